/* The account of a prune: totals, per repo and kind, skipped items. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "prunetally.h"
#include "unit.h"

static struct hfdoc_item
item(enum hfdoc_kind kind, const char *name, uint64_t apparent)
{
	struct hfdoc_item	 it;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	it.name = (char *)(uintptr_t)name;
	it.apparent = apparent;
	it.disk = apparent + 1;
	return it;
}

static double
num(const cJSON *o, const char *path1, const char *path2)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, path1);

	if (path2 != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, path2);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void
test_account(void)
{
	struct prunetally	*t = prunetally_new("freed");
	struct hfdoc_item	 a = item(HFDOC_PARTIAL, "m/blobs/a.incomplete", 10);
	struct hfdoc_item	 b = item(HFDOC_ORPHAN, "m/blobs/b", 20);
	struct hfdoc_item	 c = item(HFDOC_ORPHAN, "n/blobs/\xff", 40);
	uint64_t		 ap, dk, n;
	cJSON			*o, *repos, *r0, *r1, *sk;
	char			*text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	prunetally_repo(t, "model", "org/empty");	/* nothing: unlisted */
	prunetally_repo(t, "model", "org/m");
	prunetally_add(t, &a, HFPRUNE_GO);
	prunetally_add(t, &b, HFPRUNE_GO);
	prunetally_repo(t, "dataset", "org/n");
	prunetally_add(t, &c, HFPRUNE_HELD);
	prunetally_freed(t, &ap, &dk, &n);
	CU_ASSERT(ap == 30 && dk == 32 && n == 2);
	o = prunetally_json(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(num(o, "freed", "apparent_bytes"), 30);
	CU_ASSERT_EQUAL(num(o, "freed", "items"), 2);
	CU_ASSERT_EQUAL(num(o, "skipped", "disk_bytes"), 41);
	repos = cJSON_GetObjectItemCaseSensitive(o, "repos");
	CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(repos), 2);
	r0 = cJSON_GetArrayItem(repos, 0);
	r1 = cJSON_GetArrayItem(repos, 1);
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItemCaseSensitive(r0,
	    "repo_id")->valuestring, "org/m");
	CU_ASSERT_EQUAL(num(cJSON_GetObjectItemCaseSensitive(r0, "freed"),
	    "orphan_blobs", "apparent_bytes"), 20);
	CU_ASSERT_EQUAL(num(cJSON_GetObjectItemCaseSensitive(r0, "freed"),
	    "partial", "items"), 1);
	sk = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r1,
	    "skipped"), 0);
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItemCaseSensitive(sk,
	    "reason")->valuestring, "lock_held");
	/* A name that is not UTF-8 is made one. */
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItemCaseSensitive(sk,
	    "path")->valuestring, "n/blobs/\xef\xbf\xbd");
	text = cJSON_PrintUnformatted(o);
	CU_ASSERT_PTR_NOT_NULL(text);
	cJSON_free(text);
	cJSON_Delete(o);
	prunetally_free(&t);
	CU_ASSERT_PTR_NULL(t);
	prunetally_free(NULL);
}

/* A repo lists PRUNETALLY_SKIPS_MAX skipped items, and counts them all. */
static void
test_truncated(void)
{
	struct prunetally	*t = prunetally_new("would_free");
	struct hfdoc_item	 it = item(HFDOC_PARTIAL, "m/x", 1);
	cJSON			*o, *r;
	size_t			 i;

	prunetally_repo(t, "model", "org/m");
	for (i = 0; i < PRUNETALLY_SKIPS_MAX + 5; i++)
		prunetally_add(t, &it, HFPRUNE_RECENT);
	o = prunetally_json(t);
	r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "repos"), 0);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r,
	    "skipped")), PRUNETALLY_SKIPS_MAX);
	CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
	    "skipped_truncated")));
	CU_ASSERT_EQUAL(num(o, "skipped", "items"), PRUNETALLY_SKIPS_MAX + 5);
	cJSON_Delete(o);
	prunetally_free(&t);
}

static const struct unit_test tests[] = {
	{ "totals, repos, kinds, reasons", test_account },
	{ "skipped items listed up to the limit", test_truncated },
	{ NULL, NULL }
};

UNIT_SUITE("prunetally", NULL, NULL, tests)
