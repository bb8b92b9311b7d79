/*
 * Webhooks (lib/webhook.c): event names and the task-end mapping, URL
 * checks, the secret file rules, the signature (RFC 4231 vectors), the
 * delivery id, the body and the backoff.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <cjson/cJSON.h>

#include "unit.h"
#include "webhook.h"

static void
test_names(void)
{
	int	 i;

	for (i = 0; i < WH_EV__MAX; i++)
		CU_ASSERT_EQUAL(webhook_event_parse(webhook_event_str(i)), i);
	CU_ASSERT_PTR_NULL(webhook_event_str(WH_EV__MAX));
	CU_ASSERT_EQUAL(webhook_event_parse("download"), -1);
	CU_ASSERT_EQUAL(webhook_event_parse("task.ended"), -1);
	CU_ASSERT_EQUAL(webhook_event_parse(""), -1);
}

static const struct {
	const char	*op, *outcome;
	int		 want;
} ends[] = {
	{ "download", "completed", WH_EV_DOWNLOAD_COMPLETED },
	{ "download", "failed", WH_EV_DOWNLOAD_FAILED },
	{ "download", "cancelled", WH_EV_DOWNLOAD_CANCELLED },
	{ "delete", "completed", WH_EV_DELETE_COMPLETED },
	{ "delete", "not_installed", WH_EV_DELETE_COMPLETED },
	{ "delete", "failed", WH_EV_DELETE_FAILED },
	{ "delete", "cancelled", WH_EV_DELETE_CANCELLED },
	{ "prune", "completed", WH_EV_PRUNE_COMPLETED },
	{ "download", "not_installed", -1 },
	{ "download", "already_installed", -1 },
	{ "download", "running", -1 },
	{ "download", "pending", -1 },
	{ "verify", "completed", -1 },
	{ "", "completed", -1 },
	{ NULL, "completed", -1 },
	{ "download", NULL, -1 },
};

static void
test_mapping(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		CU_ASSERT_EQUAL(webhook_event_of(ends[i].op, ends[i].outcome),
		    ends[i].want);
		if (webhook_event_of(ends[i].op, ends[i].outcome) !=
		    ends[i].want)
			fprintf(stderr, "mapping case %zu\n", i);
	}
}

static const char *const valid_urls[] = {
	"http://127.0.0.1:8080/hook", "https://hooks.example/a?b=c",
	"http://h", "https://[::1]:9/x", "http://h#frag",
};
static const char *const invalid_urls[] = {
	"ftp://h/x", "http:/h", "http://", "http:///x", "https://u:p@h/x",
	"http://u@h", "http://h/ x", "http://h/\tx", "HTTP://h", "h/x", "",
	"http://:80/x",
};

static void
test_urls(void)
{
	const char	*why;
	char		*big;
	size_t		 i;

	for (i = 0; i < sizeof(valid_urls) / sizeof(valid_urls[0]); i++)
		CU_ASSERT_EQUAL(webhook_url_check(valid_urls[i], &why), 0);
	for (i = 0; i < sizeof(invalid_urls) / sizeof(invalid_urls[0]); i++) {
		why = NULL;
		CU_ASSERT_EQUAL(webhook_url_check(invalid_urls[i], &why), -1);
		CU_ASSERT_PTR_NOT_NULL(why);
		if (why == NULL)
			fprintf(stderr, "url accepted: %s\n", invalid_urls[i]);
	}
	if ((big = malloc(WEBHOOK_URL_MAX + 2)) == NULL)
		abort();
	memset(big, 'a', WEBHOOK_URL_MAX + 1);
	memcpy(big, "http://", 7);
	big[WEBHOOK_URL_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(webhook_url_check(big, &why), -1);
	big[WEBHOOK_URL_MAX] = '\0';
	CU_ASSERT_EQUAL(webhook_url_check(big, &why), 0);
	free(big);
}

/* Writes a secret fixture of the given mode; its malloc'd path. */
static char *
secret_file(const char *name, const char *text, mode_t mode)
{
	char	*p = unit_fixture(name, text);

	if (chmod(p, mode) == -1)
		abort();
	return p;
}

static void
test_secret(void)
{
	char	 s[WEBHOOK_SECRET_MAX], err[512], *p, *q, *big;
	size_t	 len;

	p = secret_file("a.secret", "abc\r\n", 0600);
	CU_ASSERT_EQUAL(webhook_secret_read(p, s, &len, err, sizeof(err)),
	    ERR_OK);
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT_STRING_EQUAL(s, "abc");
	CU_ASSERT_FATAL(chmod(p, 0604) == 0);
	CU_ASSERT_EQUAL(webhook_secret_read(p, s, &len, err, sizeof(err)),
	    ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
	CU_ASSERT_PTR_NULL(strstr(err, "abc"));
	CU_ASSERT_FATAL(chmod(p, 0400) == 0);
	CU_ASSERT_EQUAL(webhook_secret_read(p, s, &len, err, sizeof(err)),
	    ERR_OK);
	/* A symlink is refused, even to a good file. */
	q = unit_fixture_path("link.secret");
	CU_ASSERT_FATAL(symlink(p, q) == 0);
	CU_ASSERT_EQUAL(webhook_secret_read(q, s, &len, err, sizeof(err)),
	    ERR_IO);
	free(q);
	free(p);
	p = secret_file("e.secret", "", 0600);
	CU_ASSERT_EQUAL(webhook_secret_read(p, s, &len, err, sizeof(err)),
	    ERR_INVAL);
	free(p);
	if ((big = malloc(WEBHOOK_SECRET_MAX + 1)) == NULL)
		abort();
	memset(big, 'k', WEBHOOK_SECRET_MAX);
	big[WEBHOOK_SECRET_MAX] = '\0';
	p = secret_file("big.secret", big, 0600);
	CU_ASSERT_EQUAL(webhook_secret_read(p, s, &len, err, sizeof(err)),
	    ERR_INVAL);
	free(p);
	free(big);
	CU_ASSERT_EQUAL(webhook_secret_read(unit_scratch(), s, &len, err,
	    sizeof(err)), ERR_INVAL);
}

static void
test_sign(void)
{
	char	 out[65];
	unsigned char key[20];

	/* RFC 4231, test cases 1 and 2. */
	memset(key, 0x0b, sizeof(key));
	webhook_sign(key, sizeof(key), "Hi There", 8, out);
	CU_ASSERT_STRING_EQUAL(out, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
	webhook_sign("Jefe", 4, "what do ya want for nothing?", 28, out);
	CU_ASSERT_STRING_EQUAL(out, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
}

static void
test_delivery_id(void)
{
	char	 a[WEBHOOK_ID_LEN + 1], b[WEBHOOK_ID_LEN + 1];

	webhook_delivery_id("1700000000000-0", "ops", a);
	webhook_delivery_id("1700000000000-0", "ops", b);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_EQUAL(strlen(a), WEBHOOK_ID_LEN);
	CU_ASSERT(a[8] == '-' && a[13] == '-' && a[18] == '-' &&
	    a[23] == '-');
	CU_ASSERT_EQUAL(a[14], '8');
	CU_ASSERT_PTR_NOT_NULL(strchr("89ab", a[19]));
	webhook_delivery_id("1700000000000-1", "ops", b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	webhook_delivery_id("1700000000000-0", "ops2", b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	/* The two parts are kept apart: ("a-1", "b") is not ("a-", "1b"). */
	webhook_delivery_id("1-1", "b", a);
	webhook_delivery_id("1-", "1b", b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static void
test_body(void)
{
	const char	*ev = "{\"id\":\"9-9\",\"time\":\"2026-01-01T00:00:00.000Z\","
	    "\"event\":\"task.ended\",\"model_id\":\"org/m\",\"task_id\":\"t1\","
	    "\"operation\":\"download\",\"outcome\":\"completed\"}";
	cJSON		*o;
	char		*s, *big;

	s = webhook_body(ev, "1-0", WH_EV_DOWNLOAD_COMPLETED, "d-1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	o = cJSON_Parse(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o, "event")->valuestring,
	    "download.completed");
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o, "audit_id")->valuestring,
	    "1-0");
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o,
	    "delivery_id")->valuestring, "d-1");
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o, "task_id")->valuestring,
	    "t1");
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o, "time")->valuestring,
	    "2026-01-01T00:00:00.000Z");
	CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(o, "id"));
	cJSON_Delete(o);
	free(s);
	CU_ASSERT_PTR_NULL(webhook_body("[1]", "1-0", 0, "d"));
	CU_ASSERT_PTR_NULL(webhook_body("{", "1-0", 0, "d"));
	if ((big = malloc(WEBHOOK_BODY_MAX + 16)) == NULL)
		abort();
	memset(big, 'x', WEBHOOK_BODY_MAX + 15);
	memcpy(big, "{\"detail\":\"", 11);
	memcpy(big + WEBHOOK_BODY_MAX + 13, "\"}", 3);
	CU_ASSERT_PTR_NULL(webhook_body(big, "1-0", 0, "d"));
	free(big);
}

static const struct {
	unsigned	 base, max, attempt, want;
} backoffs[] = {
	{ 1000, 60000, 1, 1000 }, { 1000, 60000, 2, 2000 },
	{ 1000, 60000, 3, 4000 }, { 1000, 60000, 7, 60000 },
	{ 1000, 60000, 100, 60000 }, { 500, 2000, 0, 500 },
	{ 3000, 3000, 5, 3000 }, { 10, 86400000, 40, 86400000 },
};

static void
test_backoff(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(backoffs) / sizeof(backoffs[0]); i++)
		CU_ASSERT_EQUAL(webhook_backoff_ms(backoffs[i].base,
		    backoffs[i].max, backoffs[i].attempt), backoffs[i].want);
}

static const struct unit_test tests[] = {
	{ "event names", test_names },
	{ "task ends to events", test_mapping },
	{ "URLs", test_urls },
	{ "secret files", test_secret },
	{ "signature (RFC 4231)", test_sign },
	{ "delivery id", test_delivery_id },
	{ "body", test_body },
	{ "backoff", test_backoff },
	{ NULL, NULL }
};

UNIT_SUITE("webhook", unit_scratch_init, unit_scratch_cleanup, tests)
