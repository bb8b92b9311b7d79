/* The VecPipe answer parser. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "vecpipe.h"

static void
test_parse(void)
{
	static const char body[] = "[{\"model_name\":\"org/m\","
	    "\"model_type\":\"embedding\",\"quantization\":\"float16\"},"
	    "{\"model_name\":\"other\",\"model_type\":\"llm\"},"
	    "{\"model_name\":\"org/m\",\"model_type\":\"reranker\"},"
	    "{\"model_name\":\"org/m\",\"model_type\":\"embedding\"}]";
	struct vecpipe_loaded	 out;
	char			 err[128];

	CU_ASSERT_EQUAL(vecpipe_parse(body, strlen(body), "org/m", &out, err,
	    sizeof(err)), ERR_OK);
	CU_ASSERT_EQUAL(out.ntypes, 2);
	CU_ASSERT_STRING_EQUAL(out.types[0], "embedding");
	CU_ASSERT_STRING_EQUAL(out.types[1], "reranker");
	CU_ASSERT_EQUAL(vecpipe_parse(body, strlen(body), "ORG/M", &out, err,
	    sizeof(err)), ERR_OK);
	CU_ASSERT_EQUAL(out.ntypes, 0);
	CU_ASSERT_EQUAL(vecpipe_parse("[]", 2, "org/m", &out, err,
	    sizeof(err)), ERR_OK);
	CU_ASSERT_EQUAL(out.ntypes, 0);
}

static void
test_garbage(void)
{
	static const char *bad[] = { "", "{}", "not json", "[1,2]",
	    "[{\"model_name\":\"org/m\"}] trailing", "{\"models\":[]}",
	    "[\"org/m\"]" };
	struct vecpipe_loaded	 out;
	char			 err[128];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(vecpipe_parse(bad[i], strlen(bad[i]), "org/m",
		    &out, err, sizeof(err)), ERR_UPSTREAM);
		CU_ASSERT_EQUAL(out.ntypes, 0);
	}
}

static void
test_unreachable(void)
{
	struct vecpipe_loaded	 out;
	char			 err[128];

	/* Port 1 on loopback: refused at once. */
	CU_ASSERT_EQUAL(vecpipe_loaded("http://127.0.0.1:1", 500, "org/m",
	    &out, err, sizeof(err)), ERR_UPSTREAM);
	CU_ASSERT(strlen(err) > 0);
	CU_ASSERT_EQUAL(vecpipe_loaded("file:///etc", 500, "org/m", &out,
	    err, sizeof(err)), ERR_UPSTREAM);
}

static const struct unit_test tests[] = {
	{ "distinct types of matching entries", test_parse },
	{ "garbage answers are errors", test_garbage },
	{ "unreachable and non-HTTP URLs", test_unreachable },
	{ NULL, NULL }
};

UNIT_SUITE("vecpipe", NULL, NULL, tests)
