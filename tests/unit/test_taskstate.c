/* Task state: claim values, statuses, task ids, key names. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "taskstate.h"
#include "unit.h"
#include "valid.h"

static void
test_claim_parse(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		enum ts_op	 op;
		const char	*id;
	} cases[] = {
		{ "download:0b9c7e1e-1111-4222-8333-444455556666", 0,
		    TS_OP_DOWNLOAD, "0b9c7e1e-1111-4222-8333-444455556666" },
		{ "delete:abc", 0, TS_OP_DELETE, "abc" },
		{ "verify:v1", 0, TS_OP_VERIFY, "v1" },
		{ "repair:r1", 0, TS_OP_REPAIR, "r1" },
		{ "update:u1", 0, TS_OP_UPDATE, "u1" },
		{ "prune:p1", 0, TS_OP_PRUNE, "p1" },
		{ "check:c1", 0, TS_OP_CHECK, "c1" },
		{ "check:", -1, TS_OP_NONE, "" },
		{ "prunes:p1", -1, TS_OP_NONE, "" },
		{ "prun:p1", -1, TS_OP_NONE, "" },
		{ ":p1", -1, TS_OP_NONE, "" },
		{ "download:", -1, TS_OP_NONE, "" },
		{ "upload:abc", -1, TS_OP_NONE, "" },
		{ "downloadabc", -1, TS_OP_NONE, "" },
		{ "", -1, TS_OP_NONE, "" },
		{ "Download:abc", -1, TS_OP_NONE, "" },
	};
	struct ts_claim	 c;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(ts_claim_parse(cases[i].in, &c), cases[i].rc);
		CU_ASSERT_EQUAL(c.op, cases[i].op);
		if (cases[i].rc == 0)
			CU_ASSERT_STRING_EQUAL(c.task_id, cases[i].id);
	}
	CU_ASSERT_EQUAL(ts_claim_parse(NULL, &c), -1);
}

static void
test_statuses(void)
{
	const char	*terminal[] = { "completed", "failed",
	    "already_installed", "not_installed", "cancelled" };
	const char	*live[] = { "pending", "running", "", "Completed" };
	size_t		 i;

	for (i = 0; i < 5; i++)
		CU_ASSERT_TRUE(ts_status_terminal(terminal[i]));
	for (i = 0; i < 4; i++)
		CU_ASSERT_FALSE(ts_status_terminal(live[i]));
}

static void
test_task_ids(void)
{
	char	 a[37], b[37], canon[37], reason[128];

	ts_new_task_id(a);
	ts_new_task_id(b);
	CU_ASSERT_EQUAL(strlen(a), 36);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(a[14], '4');			/* version 4 */
	CU_ASSERT_PTR_NOT_NULL(strchr("89ab", a[19]));	/* variant */
	CU_ASSERT_EQUAL(valid_uuid(a, canon, reason, sizeof(reason)), 0);
	CU_ASSERT_STRING_EQUAL(a, canon);
}

static void
test_keys(void)
{
	char	 buf[64];
	char	 longid[600];

	CU_ASSERT_EQUAL(ts_active_key(buf, sizeof(buf), "org/name"), 0);
	CU_ASSERT_STRING_EQUAL(buf, "model-manager:active:org/name");
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	CU_ASSERT_EQUAL(ts_active_key(buf, sizeof(buf), longid), -1);
	CU_ASSERT_EQUAL(ts_key(buf, sizeof(buf), "lease", "t1"), 0);
	CU_ASSERT_STRING_EQUAL(buf, "model-manager:lease:t1");
	CU_ASSERT_EQUAL(ts_key(buf, sizeof(buf), "processing", longid), -1);
	/* Exactly full: the NUL does not fit. */
	CU_ASSERT_EQUAL(ts_key(buf, 23, "lease", "t1"), 0);
	CU_ASSERT_EQUAL(ts_key(buf, 22, "lease", "t1"), -1);
	CU_ASSERT_STRING_EQUAL(ts_op_str(TS_OP_DOWNLOAD), "download");
	CU_ASSERT_STRING_EQUAL(ts_op_str(TS_OP_DELETE), "delete");
}

/* Every operation's name parses back to it; its list slot and whether
 * it changes the cache follow DESIGN.md's second wave. */
static void
test_ops(void)
{
	static const struct {
		enum ts_op	 op;
		const char	*name, *slot;
		int		 writes;
	} cases[] = {
		{ TS_OP_DOWNLOAD, "download", "download", 1 },
		{ TS_OP_DELETE, "delete", "delete", 1 },
		{ TS_OP_VERIFY, "verify", NULL, 0 },
		{ TS_OP_REPAIR, "repair", "download", 1 },
		{ TS_OP_UPDATE, "update", "download", 1 },
		{ TS_OP_PRUNE, "prune", "delete", 1 },
		{ TS_OP_CHECK, "check", NULL, 0 },
	};
	enum ts_op	 op;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_STRING_EQUAL(ts_op_str(cases[i].op), cases[i].name);
		CU_ASSERT_EQUAL(ts_op_parse(cases[i].name, &op), 0);
		CU_ASSERT_EQUAL(op, cases[i].op);
		if (cases[i].slot == NULL) {
			CU_ASSERT_PTR_NULL(ts_op_list_slot(cases[i].op));
		} else {
			CU_ASSERT_STRING_EQUAL(ts_op_list_slot(cases[i].op),
			    cases[i].slot);
		}
		CU_ASSERT_EQUAL(ts_op_writes_cache(cases[i].op),
		    cases[i].writes);
	}
	CU_ASSERT_EQUAL(ts_op_parse("", &op), -1);
	CU_ASSERT_EQUAL(ts_op_parse("Verify", &op), -1);
	CU_ASSERT_STRING_EQUAL(ts_op_str(TS_OP_NONE), "");
	CU_ASSERT_STRING_EQUAL(ts_op_str((enum ts_op)99), "");
	CU_ASSERT_PTR_NULL(ts_op_list_slot((enum ts_op)99));
	CU_ASSERT_FALSE(ts_op_writes_cache(TS_OP_NONE));
}

static const struct unit_test tests[] = {
	{ "operations", test_ops },
	{ "claim values", test_claim_parse },
	{ "terminal statuses", test_statuses },
	{ "task ids are UUIDv4", test_task_ids },
	{ "key names", test_keys },
	{ NULL, NULL }
};

UNIT_SUITE("taskstate", NULL, NULL, tests)
