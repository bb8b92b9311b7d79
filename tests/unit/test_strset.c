/* strset: membership by (pointer, length), growth, the hash. */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "strset.h"
#include "unit.h"

/* The hash depends on every byte and on nothing else. */
static void
test_hash(void)
{
	static const char *const keys[] = { "", "a", "b", "ab", "ba",
	    "blobs/a", "blobs/b" };
	size_t	 i, j;

	CU_ASSERT_EQUAL(strset_hash("", 0), 1469598103934665603ULL);
	CU_ASSERT_EQUAL(strset_hash("ab", 1), strset_hash("a", 1));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		for (j = i + 1; j < sizeof(keys) / sizeof(keys[0]); j++)
			CU_ASSERT_NOT_EQUAL(strset_hash(keys[i],
			    strlen(keys[i])), strset_hash(keys[j],
			    strlen(keys[j])));
}

static int
has(const struct strset *set, const char *key, size_t n)
{

	return strset_has(set, key, n, strset_hash(key, n));
}

static void
test_prefix_keys(void)
{
	struct strset	 set = STRSET_INIT;
	const char	*buf = "blobs/abc/def";

	CU_ASSERT_FALSE(has(&set, "x", 1));
	CU_ASSERT_EQUAL_FATAL(strset_add(&set, buf, 9,
	    strset_hash(buf, 9)), ERR_OK);
	CU_ASSERT_TRUE(has(&set, "blobs/abc", 9));
	CU_ASSERT_TRUE(has(&set, buf, 9));
	CU_ASSERT_FALSE(has(&set, buf, 8));
	CU_ASSERT_FALSE(has(&set, buf, 13));
	CU_ASSERT_FALSE(has(&set, "", 0));
	CU_ASSERT_EQUAL(set.n, 1);
	strset_clear(&set);
	CU_ASSERT_PTR_NULL(set.tab);
	CU_ASSERT_EQUAL(set.n, 0);
	CU_ASSERT_FALSE(has(&set, "blobs/abc", 9));
	strset_clear(&set);
}

/* Many keys: the table grows and keeps every one. */
static void
test_growth(void)
{
	struct strset	 set = STRSET_INIT;
	char		 key[32];
	size_t		 i, n;

	for (i = 0; i < 5000; i++) {
		n = (size_t)snprintf(key, sizeof(key), "k%zu", i);
		CU_ASSERT_EQUAL_FATAL(strset_add(&set, key, n,
		    strset_hash(key, n)), ERR_OK);
	}
	CU_ASSERT_EQUAL(set.n, 5000);
	CU_ASSERT_TRUE(set.cap >= 2 * set.n);
	for (i = 0; i < 5000; i++) {
		n = (size_t)snprintf(key, sizeof(key), "k%zu", i);
		CU_ASSERT_TRUE(has(&set, key, n));
	}
	CU_ASSERT_FALSE(has(&set, "k5000", 5));
	strset_clear(&set);
}

static const struct unit_test tests[] = {
	{ "hash covers every byte", test_hash },
	{ "keys are (pointer, length)", test_prefix_keys },
	{ "growth keeps every key", test_growth },
	{ NULL, NULL }
};

UNIT_SUITE("strset", NULL, NULL, tests)
