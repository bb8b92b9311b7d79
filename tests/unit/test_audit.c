/* Audit events as JSON, and stream ids. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "audit.h"
#include "unit.h"

static void
test_json(void)
{
	cJSON			*w = cJSON_CreateArray(), *o;
	struct audit_event	 e;
	char			*s;

	cJSON_AddItemToArray(w, cJSON_CreateString("1 user(s) have this"));
	memset(&e, 0, sizeof(e));
	e.event = "delete.requested";
	e.user = "admin";
	e.auth = "jwt";
	e.client = "127.0.0.1";
	e.model_id = "BAAI/bge-m3";
	e.task_id = "t1";
	e.operation = "delete";
	e.outcome = "pending";
	e.http_status = 200;
	e.confirm = 1;
	e.warnings = w;
	e.cid = "c1";
	e.duration = -1;
	/* 1 January 2025, 00:00:01.250 UTC */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = audit_json(&e, 1735689601.25, "1-0"));
	CU_ASSERT_STRING_EQUAL(s, "{\"id\":\"1-0\","
	    "\"time\":\"2025-01-01T00:00:01.250Z\","
	    "\"event\":\"delete.requested\",\"user\":\"admin\",\"auth\":\"jwt\","
	    "\"client\":\"127.0.0.1\",\"model_id\":\"BAAI/bge-m3\","
	    "\"task_id\":\"t1\",\"operation\":\"delete\",\"outcome\":\"pending\","
	    "\"http_status\":200,\"confirm\":true,\"correlation_id\":\"c1\","
	    "\"warnings\":[\"1 user(s) have this\"]}");
	free(s);
	/* A task's end: no user, no status, no confirm; id null. */
	memset(&e, 0, sizeof(e));
	e.event = "task.ended";
	e.outcome = "failed";
	e.detail = "bad\x01\xff";
	e.confirm = -1;
	e.duration = 1.23456;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = audit_json(&e, 0, ""));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o = cJSON_Parse(s));
	CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(o, "id")));
	CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(o, "user"));
	CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(o, "confirm"));
	CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(o, "http_status"));
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o, "detail")->valuestring,
	    "bad\x01?");
	CU_ASSERT_DOUBLE_EQUAL(cJSON_GetObjectItem(o,
	    "duration_seconds")->valuedouble, 1.234, 1e-9);
	cJSON_Delete(o);
	free(s);
	cJSON_Delete(w);
}

/* Whatever the strings, one event stays under AUDIT_LINE_MAX. */
static void
test_json_bounded(void)
{
	struct audit_event	 e;
	cJSON			*w = cJSON_CreateArray(), *o;
	char			*big, *s;
	int			 i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big = malloc(100000));
	memset(big, '\x02', 99999);	/* escaped as \u0002: 6 bytes */
	big[99999] = '\0';
	for (i = 0; i < 50; i++)
		cJSON_AddItemToArray(w, cJSON_CreateString(big));
	memset(&e, 0, sizeof(e));
	e.event = e.user = e.client = e.model_id = e.task_id = e.detail = big;
	e.outcome = e.cid = e.auth = big;
	e.warnings = w;
	e.confirm = 0;
	e.duration = -1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = audit_json(&e, 0, NULL));
	CU_ASSERT(strlen(s) < AUDIT_LINE_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o = cJSON_Parse(s));
	CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(o, "truncated")));
	CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(o, "detail"));
	cJSON_Delete(o);
	free(s);
	/* Cut strings keep whole UTF-8 characters. */
	memset(big, 0, 100000);
	for (i = 0; i < 200; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);	/* é */
	memset(&e, 0, sizeof(e));
	e.event = "x";
	e.user = big;
	e.confirm = -1;
	e.duration = -1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = audit_json(&e, 0, NULL));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o = cJSON_Parse(s));
	CU_ASSERT_EQUAL(strlen(cJSON_GetObjectItem(o, "user")->valuestring),
	    256);
	cJSON_Delete(o);
	free(s);
	free(big);
	cJSON_Delete(w);
}

static void
test_id(void)
{
	static const char *const valids[] = { "0", "1-0",
	    "1733356800000-12", "99999999999999999999-99999999999999999999",
	    NULL };
	static const char *const invalids[] = { "", "-", "1-", "-1", "a",
	    "1-a", "1-2-3", "1 ", " 1", "+1", "(1", "123456789012345678901",
	    "1-123456789012345678901", NULL };
	size_t	 i;

	for (i = 0; valids[i] != NULL; i++)
		CU_ASSERT_EQUAL(audit_id_valid(valids[i]), 0);
	for (i = 0; invalids[i] != NULL; i++)
		CU_ASSERT_EQUAL(audit_id_valid(invalids[i]), -1);
	CU_ASSERT_EQUAL(audit_id_valid(NULL), -1);
}

static const struct unit_test tests[] = {
	{ "events as JSON", test_json },
	{ "events stay one bounded line", test_json_bounded },
	{ "stream ids", test_id },
	{ NULL, NULL }
};

UNIT_SUITE("audit", NULL, NULL, tests)
