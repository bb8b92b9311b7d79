/* The hub facts' text, the next-check time and the curated ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "registry.h"
#include "revstore.h"
#include "unit.h"

#define C1	"1111111111111111111111111111111111111111"
#define C2	"2222222222222222222222222222222222222222"

static void
test_round_trip(void)
{
	struct hubfacts	 f, g;
	char		*s;

	memset(&f, 0, sizeof(f));
	f.state = RS_KNOWN;
	f.checked_at = 1796000000.7;
	memcpy(f.commit, C1, 41);
	memcpy(f.against, C2, 41);
	f.size_bytes = 9007199254740992ULL;
	f.files = 12;
	f.update_bytes = 2098176;
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = revstore_encode(&f));
	CU_ASSERT_EQUAL(revstore_decode(s, strlen(s), &g), 0);
	CU_ASSERT_EQUAL(g.state, RS_KNOWN);
	CU_ASSERT_EQUAL(g.checked_at, 1796000000.0);
	CU_ASSERT_STRING_EQUAL(g.commit, C1);
	CU_ASSERT_STRING_EQUAL(g.against, C2);
	CU_ASSERT_EQUAL(g.size_bytes, 9007199254740992ULL);
	CU_ASSERT_EQUAL(g.files, 12);
	CU_ASSERT_EQUAL(g.update_bytes, 2098176);
	CU_ASSERT_STRING_EQUAL(g.reason, "");
	free(s);

	memset(&f, 0, sizeof(f));
	f.state = RS_UNKNOWN;
	f.update_bytes = -1;
	snprintf(f.reason, sizeof(f.reason), "Not found on the hub");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = revstore_encode(&f));
	CU_ASSERT_STRING_EQUAL(s, "{\"state\":\"unknown\",\"checked_at\":0,"
	    "\"commit\":null,\"size_bytes\":0,\"files\":0,\"installed\":null,"
	    "\"update_bytes\":null,\"reason\":\"Not found on the hub\"}");
	CU_ASSERT_EQUAL(revstore_decode(s, strlen(s), &g), 0);
	CU_ASSERT_EQUAL(g.state, RS_UNKNOWN);
	CU_ASSERT_EQUAL(g.update_bytes, -1);
	CU_ASSERT_STRING_EQUAL(g.reason, "Not found on the hub");
	free(s);
}

#define OK_HEAD	"{\"state\":\"known\",\"checked_at\":1,\"commit\":\"" C1 "\","

static void
test_refused(void)
{
	static const char *const invalids[] = {
		"",
		"[]",
		"{\"state\":\"known\"}",
		"{\"state\":\"none\",\"checked_at\":1,\"commit\":null,"
		    "\"size_bytes\":0,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":null,\"reason\":null}",
		/* a known state needs a commit */
		"{\"state\":\"known\",\"checked_at\":1,\"commit\":null,"
		    "\"size_bytes\":0,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":null,\"reason\":null}",
		/* a commit is 40 lowercase hex, nothing else */
		"{\"state\":\"known\",\"checked_at\":1,\"commit\":\"../../x\","
		    "\"size_bytes\":0,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":null,\"reason\":null}",
		OK_HEAD "\"size_bytes\":-1,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":null,\"reason\":null}",
		OK_HEAD "\"size_bytes\":1.5,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":null,\"reason\":null}",
		OK_HEAD "\"size_bytes\":1e300,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":null,\"reason\":null}",
		OK_HEAD "\"size_bytes\":0,\"files\":0,\"installed\":\""
		    C1 "0\",\"update_bytes\":null,\"reason\":null}",
		OK_HEAD "\"size_bytes\":0,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":\"5\",\"reason\":null}",
		OK_HEAD "\"size_bytes\":0,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":null,\"reason\":7}",
		OK_HEAD "\"size_bytes\":0,\"files\":0,\"installed\":null,"
		    "\"update_bytes\":null,\"reason\":\"\xff\"}",
		NULL
	};
	struct hubfacts	 f;
	size_t		 i;

	for (i = 0; invalids[i] != NULL; i++) {
		CU_ASSERT_EQUAL(revstore_decode(invalids[i],
		    strlen(invalids[i]), &f), -1);
		CU_ASSERT_EQUAL(f.state, RS_NONE);
	}
	CU_ASSERT_EQUAL(revstore_decode(OK_HEAD "\"size_bytes\":0,\"files\":0,"
	    "\"installed\":null,\"update_bytes\":null,\"reason\":null}",
	    strlen(OK_HEAD) + 86, &f), 0);
}

static void
test_reason_bound(void)
{
	char		 text[REVSTORE_FACTS_MAX * 2];
	char		 reason[REVSTORE_REASON_MAX + 1];
	struct hubfacts	 f;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	snprintf(text, sizeof(text), OK_HEAD "\"size_bytes\":0,\"files\":0,"
	    "\"installed\":null,\"update_bytes\":null,\"reason\":\"%s\"}",
	    reason);
	CU_ASSERT_EQUAL(revstore_decode(text, strlen(text), &f), -1);
	reason[REVSTORE_REASON_MAX - 1] = '\0';
	snprintf(text, sizeof(text), OK_HEAD "\"size_bytes\":0,\"files\":0,"
	    "\"installed\":null,\"update_bytes\":null,\"reason\":\"%s\"}",
	    reason);
	CU_ASSERT_EQUAL(revstore_decode(text, strlen(text), &f), 0);
	/* A text over the bound is refused before it is parsed. */
	memset(text, ' ', sizeof(text));
	memcpy(text, "{}", 2);
	CU_ASSERT_EQUAL(revstore_decode(text, REVSTORE_FACTS_MAX + 1, &f), -1);
}

static void
test_next(void)
{

	CU_ASSERT_EQUAL(revstore_next(1000, 100, 0), 1090);
	CU_ASSERT_EQUAL(revstore_next(1000, 100, 0.5), 1100);
	CU_ASSERT(revstore_next(1000, 100, 0.999999) < 1110);
	CU_ASSERT(revstore_next(1000, 100, 0.999999) > 1109);
	CU_ASSERT_EQUAL(revstore_next(1000, 0, 0.3), 1000);
	/* Out of range: the middle. */
	CU_ASSERT_EQUAL(revstore_next(1000, 100, 1), 1100);
	CU_ASSERT_EQUAL(revstore_next(1000, 100, -0.5), 1100);
	CU_ASSERT(revstore_uniform() >= 0 && revstore_uniform() < 1);
}

static void
test_model_ids(void)
{
	char		 a[] = "org/a", b[] = "org/b", a2[] = "org/a";
	char		 c[] = "org/c";
	struct model	 m[4];
	struct registry	 reg;
	const char	**ids;
	size_t		 n;

	memset(m, 0, sizeof(m));
	m[0].id = a;
	m[1].id = b;
	m[2].id = a2;	/* the same repo under another type */
	m[3].id = c;
	memset(&reg, 0, sizeof(reg));
	reg.models = m;
	reg.n = 4;
	CU_ASSERT_PTR_NOT_NULL_FATAL(ids = revstore_model_ids(&reg, &n));
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_STRING_EQUAL(ids[0], "org/a");
	CU_ASSERT_STRING_EQUAL(ids[1], "org/b");
	CU_ASSERT_STRING_EQUAL(ids[2], "org/c");
	free(ids);
}

static const struct unit_test tests[] = {
	{ "facts: encode and decode", test_round_trip },
	{ "facts: what does not parse is refused", test_refused },
	{ "facts: the reason and the text are bounded", test_reason_bound },
	{ "next check: interval +-10 %", test_next },
	{ "curated ids, each once", test_model_ids },
	{ NULL, NULL }
};

UNIT_SUITE("revstore", NULL, NULL, tests)
