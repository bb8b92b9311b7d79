/*
 * Unit tests for lib/valid.c: table-driven {input, expected} cases for
 * every validator and for the query-string parser.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "valid.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_bool(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		int		 val;
	} cases[] = {
		{ "0", 0, 0 }, { "off", 0, 0 }, { "OFF", 0, 0 },
		{ "Off", 0, 0 }, { "f", 0, 0 }, { "F", 0, 0 },
		{ "false", 0, 0 }, { "False", 0, 0 }, { "FaLsE", 0, 0 },
		{ "n", 0, 0 }, { "N", 0, 0 }, { "no", 0, 0 }, { "nO", 0, 0 },
		{ "1", 0, 1 }, { "on", 0, 1 }, { "ON", 0, 1 }, { "t", 0, 1 },
		{ "T", 0, 1 }, { "true", 0, 1 }, { "True", 0, 1 },
		{ "TRUE", 0, 1 }, { "y", 0, 1 }, { "Y", 0, 1 }, { "yes", 0, 1 },
		{ "YeS", 0, 1 },
		{ "", -1, 0 }, { " true", -1, 0 }, { "true ", -1, 0 },
		{ "2", -1, 0 }, { "-1", -1, 0 }, { "00", -1, 0 },
		{ "01", -1, 0 }, { "1.0", -1, 0 }, { "tru", -1, 0 },
		{ "yess", -1, 0 }, { "of", -1, 0 }, { "onn", -1, 0 },
		{ "none", -1, 0 }, { "null", -1, 0 }, { "enabled", -1, 0 },
		{ "\xc4\xb0", -1, 0 },
	};
	size_t	 i;
	int	 v;

	for (i = 0; i < NELEM(cases); i++) {
		v = 42;
		CU_ASSERT_EQUAL(valid_bool(cases[i].in, &v), cases[i].rc);
		CU_ASSERT_EQUAL(v, cases[i].rc == 0 ? cases[i].val : 42);
	}
}

static void
test_uuid_valid(void)
{
	static const struct {
		const char	*in;
		const char	*canon;
	} cases[] = {
		{ "67e55044-10b1-426f-9247-bb680e5fe0c8",
		    "67e55044-10b1-426f-9247-bb680e5fe0c8" },
		{ "67E55044-10B1-426F-9247-BB680E5FE0C8",
		    "67e55044-10b1-426f-9247-bb680e5fe0c8" },
		{ "67e5504410b1426f9247bb680e5fe0c8",
		    "67e55044-10b1-426f-9247-bb680e5fe0c8" },
		{ "67E5504410B1426F9247BB680E5FE0C8",
		    "67e55044-10b1-426f-9247-bb680e5fe0c8" },
		{ "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
		    "67e55044-10b1-426f-9247-bb680e5fe0c8" },
		{ "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
		    "67e55044-10b1-426f-9247-bb680e5fe0c8" },
		{ "{F9168C5E-CEB2-4faa-B6BF-329BF39FA1E4}",
		    "f9168c5e-ceb2-4faa-b6bf-329bf39fa1e4" },
		{ "00000000-0000-0000-0000-000000000000",
		    "00000000-0000-0000-0000-000000000000" },
		{ "ffffffffffffffffffffffffffffffff",
		    "ffffffff-ffff-ffff-ffff-ffffffffffff" },
	};
	char	 canon[37], reason[256];
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		memset(canon, 'x', sizeof(canon));
		strcpy(reason, "untouched");
		CU_ASSERT_EQUAL(valid_uuid(cases[i].in, canon, reason,
		    sizeof(reason)), 0);
		CU_ASSERT_STRING_EQUAL(canon, cases[i].canon);
		CU_ASSERT_STRING_EQUAL(reason, "");
	}
	/* reason may be NULL when the caller does not want it. */
	CU_ASSERT_EQUAL(valid_uuid(cases[0].in, canon, NULL, 0), 0);
}

#define UUID_BADCHAR	"invalid character: found "
#define UUID_BADLEN	"invalid length: expected length 32 for simple " \
			"format, found "

static void
test_uuid_invalid(void)
{
	static const struct {
		const char	*in;
		const char	*reason;
	} cases[] = {
		/* Wrong length, nothing but hex digits. */
		{ "", UUID_BADLEN "0" },
		{ "abc", UUID_BADLEN "3" },
		{ "67e5504410b1426f9247bb680e5fe0c", UUID_BADLEN "31" },
		{ "67e5504410b1426f9247bb680e5fe0c88", UUID_BADLEN "33" },
		{ "231231212212423424324323477343246663", UUID_BADLEN "36" },
		/* The first bad character wins, 1-based byte position. */
		{ "!", UUID_BADCHAR "`!` at 1" },
		{ "F9168C5E-CEB2-4faa-BGBF-329BF39FA1E4", UUID_BADCHAR "`G` at 21" },
		{ "F9168C5E-CEB2-4faaXB6BFF329BF39FA1E4", UUID_BADCHAR "`X` at 19" },
		{ "67e5504410b1426%9247bb680e5fe0c8", UUID_BADCHAR "`%` at 16" },
		{ "67e5504410b1426f9247bb680e5fe0cg8", UUID_BADCHAR "`g` at 32" },
		{ "URN:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
		    UUID_BADCHAR "`U` at 1" },
		{ " 67e55044-10b1-426f-9247-bb680e5fe0c8", UUID_BADCHAR "` ` at 1" },
		{ "{67e55044-10b1-426f-9247-bb680e5fe0c8", UUID_BADCHAR "`{` at 1" },
		{ "{F9168C5E-CEB2-4faa9B6BFF329BF39FA1E41", UUID_BADCHAR "`{` at 1" },
		{ "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0cx",
		    UUID_BADCHAR "`x` at 36" },
		{ "{67e55044-10b1-426f-9247-bb680e5fe0cx}", UUID_BADCHAR "`x` at 36" },
		{ "67e55044-10b1-426f-9247-bb680e5f\xc3\xa9" "0c8",
		    UUID_BADCHAR "`\xc3\xa9` at 33" },
		{ "67e55044\xe2\x82\xac" "10b1-426f-9247-bb680e5fe0c8",
		    UUID_BADCHAR "`\xe2\x82\xac` at 9" },
		{ "67e55044-10b1-426f-9247-bb680e5fe0c8\n", UUID_BADCHAR "`\n` at 37" },
		/* Wrong number of groups. */
		{ "F9168C5E-CEB2F4faaFB6BFF329BF39FA1E4",
		    "invalid group count: expected 5, found 2" },
		{ "F9168C5E-CEB2-4faaFB6BFF329BF39FA1E4",
		    "invalid group count: expected 5, found 3" },
		{ "F9168C5E-CEB2-4faa-B6BFF329BF39FA1E4",
		    "invalid group count: expected 5, found 4" },
		{ "67e55044-10b1-426f-9247-bb680e5fe0c8-",
		    "invalid group count: expected 5, found 6" },
		{ "-----", "invalid group count: expected 5, found 6" },
		{ "{}", "invalid group count: expected 5, found 1" },
		{ "{00000000000000000000000000000000}",
		    "invalid group count: expected 5, found 1" },
		{ "urn:uuid:67e5504410b1426f9247bb680e5fe0c8",
		    "invalid group count: expected 5, found 1" },
		/* Five groups, one of the wrong length (groups count from 0). */
		{ "67e550-4105b1426f9247bb680e5fe0c",
		    "invalid group count: expected 5, found 2" },
		{ "67e550-4105-b142-6f92-47bb680e5fe0c",
		    "invalid group length in group 0: expected 8, found 6" },
		{ "F9168C5E-CEB-24fa-eB6BFF32-BF39FA1E4",
		    "invalid group length in group 1: expected 4, found 3" },
		{ "F9168C5E-CEB2-4fa-aB6BF-329BF39FA1E4",
		    "invalid group length in group 2: expected 4, found 3" },
		{ "F9168C5E-CEB2-4faa-BBF-329BF39FA1E4",
		    "invalid group length in group 3: expected 4, found 3" },
		{ "F9168C5E-CEB2-4faa-B6BF1-02BF39FA1E4",
		    "invalid group length in group 3: expected 4, found 5" },
		{ "01020304-1112-2122-3132-41424344",
		    "invalid group length in group 4: expected 12, found 8" },
		{ "F9168C5E-CEB2-4faa-B6BF-329BF39FA1E45",
		    "invalid group length in group 4: expected 12, found 13" },
		/* The crate measures a short last group on the whole input. */
		{ "{01020304-1112-2122-3132-41424344}",
		    "invalid group length in group 4: expected 12, found 10" },
		{ "\xff", "non-UTF8 input" },
	};
	char	 canon[37], reason[256];
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		strcpy(canon, "untouched");
		reason[0] = '\0';
		CU_ASSERT_EQUAL(valid_uuid(cases[i].in, canon, reason,
		    sizeof(reason)), -1);
		CU_ASSERT_STRING_EQUAL(canon, "untouched");
		CU_ASSERT_STRING_EQUAL(reason, cases[i].reason);
		if (strcmp(reason, cases[i].reason) != 0)
			fprintf(stderr, "uuid %zu: \"%s\"\n", i, reason);
	}
}

static void
test_uuid_reason_truncated(void)
{
	char	 canon[37], reason[8];

	CU_ASSERT_EQUAL(valid_uuid("abc", canon, reason, sizeof(reason)), -1);
	CU_ASSERT_STRING_EQUAL(reason, "invalid");
	CU_ASSERT_EQUAL(valid_uuid("abc", canon, NULL, 0), -1);
}

static void
test_correlation_id(void)
{
	static const struct {
		const char	*in;
		int		 rc;
	} cases[] = {
		{ "a", 0 }, { "Z", 0 }, { "0", 0 }, { ".", 0 }, { "_", 0 },
		{ "-", 0 }, { "abc-123_X.y", 0 },
		{ "0123456789012345678901234567890123456789012345678901234567890123",
		    0 },
		{ "", -1 },
		{ "01234567890123456789012345678901234567890123456789012345678901234",
		    -1 },
		{ "a b", -1 }, { "a/b", -1 }, { "a:b", -1 }, { "a+b", -1 },
		{ "%41", -1 }, { "a\n", -1 }, { "a\r\nX-Evil: 1", -1 },
		{ "\xc3\xa4", -1 }, { "a\"b", -1 }, { "a\\b", -1 },
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++)
		CU_ASSERT_EQUAL(valid_correlation_id(cases[i].in), cases[i].rc);
}

#define A96	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void
test_repo_id(void)
{
	static const struct {
		const char	*in;
		int		 rc;
	} cases[] = {
		{ "gpt2", 0 }, { "foo", 0 }, { "123", 0 }, { "a", 0 },
		{ "Foo-BAR_foo.bar123", 0 }, { "julien-c/EsperBERTo-small", 0 },
		{ "nyu-mll/glue", 0 }, { "BAAI/bge-large-en-v1.5", 0 },
		{ "Qwen/Qwen2.5-0.5B-Instruct", 0 }, { "_a", 0 }, { "a_", 0 },
		{ "_", 0 }, { "a/_b_", 0 }, { "a.b-c", 0 }, { "a.gitx", 0 },
		{ "a.GIT", 0 }, { "ns/x.Git", 0 }, { "a-b.c_d", 0 },
		{ A96, 0 }, { "ns/" A96, 0 }, { A96 "/" A96, 0 },
		{ "", -1 }, { "/", -1 }, { "a/", -1 }, { "/a", -1 },
		{ "a/b/c", -1 }, { "datasets/foo/bar", -1 }, { "a//b", -1 },
		{ ".repo_id", -1 }, { "repo_id.", -1 }, { "-a", -1 },
		{ "a-", -1 }, { ".", -1 }, { "-", -1 }, { "..", -1 },
		{ "foo--bar", -1 }, { "foo..bar", -1 }, { "foo/bar--baz", -1 },
		{ "foo--x/bar", -1 }, { "foo.git", -1 }, { "ns/foo.git", -1 },
		{ "-ns/a", -1 }, { "ns-/a", -1 }, { "ns/.a", -1 },
		{ "ns./a", -1 }, { "a b", -1 }, { "a@b", -1 }, { "a:b", -1 },
		{ "a\\b", -1 }, { "\xc3\xbc", -1 }, { "a\n", -1 },
		{ " a", -1 }, { A96 "a", -1 }, { "ns/" A96 "a", -1 },
		{ A96 "a/b", -1 },
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		CU_ASSERT_EQUAL(valid_repo_id(cases[i].in), cases[i].rc);
		if (valid_repo_id(cases[i].in) != cases[i].rc)
			fprintf(stderr, "repo id \"%s\"\n", cases[i].in);
	}
}

static void
test_utf8(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		int		 rc;
	} cases[] = {
		{ "", 0, 0 }, { "abc", 3, 0 },
		{ "\xc3\xa9", 2, 0 },			/* U+00E9 */
		{ "\xc2\x80", 2, 0 },			/* U+0080 */
		{ "\xdf\xbf", 2, 0 },			/* U+07FF */
		{ "\xe0\xa0\x80", 3, 0 },		/* U+0800 */
		{ "\xe2\x82\xac", 3, 0 },		/* U+20AC */
		{ "\xed\x9f\xbf", 3, 0 },		/* U+D7FF */
		{ "\xee\x80\x80", 3, 0 },		/* U+E000 */
		{ "\xef\xbf\xbf", 3, 0 },		/* U+FFFF */
		{ "\xf0\x90\x80\x80", 4, 0 },		/* U+10000 */
		{ "\xf0\x9d\x84\x9e", 4, 0 },		/* U+1D11E */
		{ "\xf4\x8f\xbf\xbf", 4, 0 },		/* U+10FFFF */
		{ "a\0b", 3, -1 },			/* NUL */
		{ "\0", 1, -1 },
		{ "\xc0\x80", 2, -1 },			/* overlong NUL */
		{ "\xc1\xbf", 2, -1 },			/* overlong */
		{ "\xe0\x80\x80", 3, -1 },		/* overlong */
		{ "\xe0\x9f\xbf", 3, -1 },		/* overlong */
		{ "\xf0\x8f\xbf\xbf", 4, -1 },		/* overlong */
		{ "\xed\xa0\x80", 3, -1 },		/* surrogate D800 */
		{ "\xed\xbf\xbf", 3, -1 },		/* surrogate DFFF */
		{ "\xf4\x90\x80\x80", 4, -1 },		/* above 10FFFF */
		{ "\xf5\x80\x80\x80", 4, -1 },
		{ "\xf8\x88\x80\x80\x80", 5, -1 },
		{ "\xff", 1, -1 }, { "\xfe", 1, -1 },
		{ "\x80", 1, -1 },			/* stray continuation */
		{ "a\xbf", 2, -1 },
		{ "\xc3", 1, -1 },			/* truncated */
		{ "\xe2\x82", 2, -1 },
		{ "\xf0\x9d\x84", 3, -1 },
		{ "\xc3\x28", 2, -1 },			/* bad continuation */
		{ "\xe2\x28\xac", 3, -1 },
		{ "\xe2\x82\xac", 2, -1 },		/* len cuts a sequence */
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++)
		CU_ASSERT_EQUAL(valid_utf8(cases[i].in, cases[i].len),
		    cases[i].rc);
}

/*
 * Query strings.  want lists the decoded pairs as "name=value" joined by
 * '|' (so a test name or value must not hold '|'), or NULL on failure.
 */
static void
test_query_parse(void)
{
	static const struct {
		const char	*qs;
		size_t		 max;
		const char	*want;
	} cases[] = {
		{ NULL, 10, "" },
		{ "", 10, "" },
		{ "&&&", 10, "" },
		{ "a=1", 10, "a=1" },
		{ "a=1&b=2", 10, "a=1|b=2" },
		{ "a=1&&b=2&", 10, "a=1|b=2" },
		{ "&a=1", 10, "a=1" },
		{ "a", 10, "a=" },
		{ "a=", 10, "a=" },
		{ "=v", 10, "=v" },
		{ "=", 10, "=" },
		{ "a=b=c", 10, "a=b=c" },
		{ "a=1;b=2", 10, "a=1;b=2" },
		{ "a+b=c+d", 10, "a b=c d" },
		{ "a%20b=%41%62%2b%2B", 10, "a b=Ab++" },
		{ "x=%e2%82%AC", 10, "x=\xe2\x82\xac" },
		{ "x=%ff", 10, "x=\xff" },
		{ "x=%", 10, "x=%" },
		{ "x=%4", 10, "x=%4" },
		{ "x=%zz", 10, "x=%zz" },
		{ "x=%4g1", 10, "x=%4g1" },
		{ "x=%%41", 10, "x=%A" },
		{ "x=100%25", 10, "x=100%" },
		{ "%3D=%26", 10, "==&" },
		{ "x=%00", 10, NULL },
		{ "%00=1", 10, NULL },
		{ "a=1&x=a%00b", 10, NULL },
		{ "a=1&b=2&c=3", 2, NULL },
		{ "a=1&b=2&c=3", 3, "a=1|b=2|c=3" },
		{ "a&&b", 2, "a=|b=" },
		{ "a", 0, NULL },
		{ "", 0, "" },
		{ "a=1&a=2", 10, "a=1|a=2" },
	};
	struct query	 q;
	char		 got[256];
	size_t		 i, j;
	int		 rc;

	for (i = 0; i < NELEM(cases); i++) {
		memset(&q, 0xa5, sizeof(q));
		rc = query_parse(cases[i].qs, cases[i].max, &q);
		if (cases[i].want == NULL) {
			CU_ASSERT_EQUAL(rc, -1);
			CU_ASSERT_PTR_NULL(q.params);
			CU_ASSERT_EQUAL(q.n, 0);
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		got[0] = '\0';
		for (j = 0; j < q.n; j++) {
			if (j > 0)
				strcat(got, "|");
			strcat(got, q.params[j].name);
			strcat(got, "=");
			strcat(got, q.params[j].value);
		}
		CU_ASSERT_STRING_EQUAL(got, cases[i].want);
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "query %zu: \"%s\"\n", i, got);
		query_free(&q);
		CU_ASSERT_PTR_NULL(q.params);
		CU_ASSERT_EQUAL(q.n, 0);
	}
}

static void
test_query_get(void)
{
	static const struct {
		const char	*name;
		const char	*want;
	} cases[] = {
		{ "a", "3" }, { "b", "" }, { "c", "x y" }, { "A", NULL },
		{ "d", NULL }, { "", "e" },
	};
	struct query	 q;
	size_t		 i;

	CU_ASSERT_EQUAL_FATAL(query_parse("a=1&b=2&a=3&b&c=x+y&=e", 10, &q),
	    0);
	CU_ASSERT_EQUAL(q.n, 6);
	for (i = 0; i < NELEM(cases); i++) {
		if (cases[i].want == NULL) {
			CU_ASSERT_PTR_NULL(query_get(&q, cases[i].name));
		} else {
			CU_ASSERT_STRING_EQUAL(query_get(&q, cases[i].name),
			    cases[i].want);
		}
	}
	query_free(&q);
	/* A freed (zeroed) struct finds nothing and frees again safely. */
	CU_ASSERT_PTR_NULL(query_get(&q, "a"));
	query_free(&q);
	query_free(NULL);
}

static const struct unit_test tests[] = {
	{ "valid_bool accepts pydantic's strings", test_bool },
	{ "valid_uuid accepts the four forms", test_uuid_valid },
	{ "valid_uuid gives the crate's reasons", test_uuid_invalid },
	{ "valid_uuid truncates the reason", test_uuid_reason_truncated },
	{ "valid_correlation_id", test_correlation_id },
	{ "valid_repo_id follows validate_repo_id", test_repo_id },
	{ "valid_utf8 is strict", test_utf8 },
	{ "query_parse decodes like parse_qsl", test_query_parse },
	{ "query_get returns the last value", test_query_get },
	{ NULL, NULL }
};

UNIT_SUITE("valid", NULL, NULL, tests)
