/* hfrefs: text-mode newlines and the missing-commit warning text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "hfrefs.h"
#include "unit.h"

static void
test_newlines(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "", "" },
		{ "abc", "abc" },
		{ "abc\n", "abc\n" },
		{ "abc\r\n", "abc\n" },
		{ "abc\r", "abc\n" },
		{ "a\r\rb\r\n\n", "a\n\nb\n\n" },
		{ "\n\r", "\n\n" },
	};
	char	 buf[32];
	size_t	 i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].in);
		memcpy(buf, cases[i].in, n);
		n = hfrefs_newlines(buf, n);
		CU_ASSERT_EQUAL(n, strlen(cases[i].want));
		CU_ASSERT_EQUAL(memcmp(buf, cases[i].want, n), 0);
	}
}

/* refs given as "name=commit"; the repr Python prints, or NULL. */
struct refcase {
	const char	*refs[5];
	const char	*revs[3];
	const char	*want;
};

static void
check_case(const struct refcase *rc)
{
	struct hfref	 refs[5];
	char		*revs[3], *out, *eq;
	size_t		 nrefs = 0, nrevs = 0, i;

	for (; rc->refs[nrefs] != NULL; nrefs++) {
		refs[nrefs].name = strdup(rc->refs[nrefs]);
		eq = strchr(refs[nrefs].name, '=');
		*eq = '\0';
		refs[nrefs].commit = eq + 1;
		refs[nrefs].commitlen = strlen(eq + 1);
	}
	for (; rc->revs[nrevs] != NULL; nrevs++)
		revs[nrevs] = (char *)(uintptr_t)rc->revs[nrevs];
	CU_ASSERT_EQUAL_FATAL(hfrefs_missing(refs, nrefs, revs, nrevs,
	    &out), ERR_OK);
	if (rc->want == NULL) {
		CU_ASSERT_PTR_NULL(out);
	} else {
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_STRING_EQUAL(out, rc->want);
	}
	free(out);
	for (i = 0; i < nrefs; i++)
		free(refs[i].name);
}

static void
test_missing(void)
{
	static const struct refcase cases[] = {
		{ { NULL }, { "a", NULL }, NULL },
		{ { "main=a", NULL }, { "b", "a", NULL }, NULL },
		{ { "main=c", NULL }, { "a", NULL }, "{'c': {'main'}}" },
		{ { "v2=c", "main=c", "v1=a", NULL }, { "a", NULL },
		    "{'c': {'main', 'v2'}}" },
		{ { "x=d", "main=c", NULL }, { NULL },
		    "{'c': {'main'}, 'd': {'x'}}" },
		{ { "main=c\n", NULL }, { "c", NULL }, "{'c\\n': {'main'}}" },
		{ { "it's=c", NULL }, { NULL }, "{'c': {\"it's\"}}" },
		{ { "q'\"=c\t\x01", NULL }, { NULL },
		    "{'c\\t\\x01': {'q\\'\"'}}" },
		{ { "refs/pr/1=c\\", NULL }, { NULL },
		    "{'c\\\\': {'refs/pr/1'}}" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

static const struct unit_test tests[] = {
	{ "text-mode newlines", test_newlines },
	{ "missing commits, grouped, Python repr", test_missing },
	{ NULL, NULL }
};

UNIT_SUITE("hfrefs", NULL, NULL, tests)
