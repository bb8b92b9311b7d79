/* The verify status value the list reads: formatted, parsed, refused. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "findings.h"
#include "unit.h"

#define TID	"0b9c7e1e-1111-4222-8333-444455556666"

static void
test_round_trip(void)
{
	struct findings_status	 s, r;
	char			 buf[FINDINGS_STATUS_MAX];

	memset(&s, 0, sizeof(s));
	s.ok = 0;
	s.problems = 3;
	s.checked_at = 1733400000;
	strcpy(s.task_id, TID);
	findings_status_format(&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "problems 3 1733400000 " TID);
	CU_ASSERT_EQUAL(findings_status_parse(buf, &r), 0);
	CU_ASSERT_EQUAL(r.ok, 0);
	CU_ASSERT_EQUAL(r.problems, 3);
	CU_ASSERT_EQUAL(r.checked_at, 1733400000);
	CU_ASSERT_STRING_EQUAL(r.task_id, TID);
	CU_ASSERT_EQUAL(findings_status_parse("ok 0 1 " TID, &r), 0);
	CU_ASSERT_EQUAL(r.ok, 1);
}

static void
test_refused(void)
{
	static const char *const bad[] = {
		"", "ok", "ok 0 1", "fine 0 1 " TID, "ok -1 1 " TID,
		"ok 0 x " TID, "ok 0 1 not-a-uuid", "ok 0 1 " TID "\"}",
		NULL
	};
	struct findings_status	 r;
	size_t			 i;

	for (i = 0; bad[i] != NULL; i++)
		CU_ASSERT_EQUAL(findings_status_parse(bad[i], &r), -1);
	CU_ASSERT_EQUAL(findings_status_parse(NULL, &r), -1);
}

static const struct unit_test tests[] = {
	{ "status: formatted and parsed back", test_round_trip },
	{ "status: what is not one is refused", test_refused },
	{ NULL, NULL }
};

UNIT_SUITE("findings", NULL, NULL, tests)
