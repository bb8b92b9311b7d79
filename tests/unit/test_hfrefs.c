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

#define H1	"1111111111111111111111111111111111111111"
#define H2	"abcdef0123456789abcdef0123456789abcdef01"
#define NC	HFREFS_NOT_COMMIT

/* Only a commit hash is quoted: any other content may be a secret. */
static void
test_missing(void)
{
	static const struct refcase cases[] = {
		{ { NULL }, { "a", NULL }, NULL },
		{ { "main=a", NULL }, { "b", "a", NULL }, NULL },
		{ { "main=c", NULL }, { "a", NULL }, "{" NC ": {'main'}}" },
		{ { "v2=c", "main=c", "v1=a", NULL }, { "a", NULL },
		    "{" NC ": {'main', 'v2'}}" },
		{ { "x=d", "main=c", NULL }, { NULL },
		    "{" NC ": {'main', 'x'}}" },
		{ { "main=c\n", NULL }, { "c", NULL }, "{" NC ": {'main'}}" },
		{ { "it's=c", NULL }, { NULL }, "{" NC ": {\"it's\"}}" },
		{ { "q'\"=c\t\x01", NULL }, { NULL },
		    "{" NC ": {'q\\'\"'}}" },
		{ { "refs/pr/1=c\\", NULL }, { NULL },
		    "{" NC ": {'refs/pr/1'}}" },
		{ { "main=" H1, NULL }, { H2, NULL }, "{'" H1 "': {'main'}}" },
		{ { "v2=" H2, "v1=JWT_SECRET_KEY=s3cr3t", "main=" H1,
		    "pr=" H2, NULL }, { NULL },
		    "{'" H1 "': {'main'}, '" H2 "': {'pr', 'v2'}, " NC
		    ": {'v1'}}" },
		{ { "main=" H1 "\n", "up=ABCDEF0123456789ABCDEF0123456789ABCDEF01",
		    NULL }, { H1, NULL }, "{" NC ": {'main', 'up'}}" },
		{ { "main=" H1, NULL }, { H1, NULL }, NULL },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

static void
test_is_commit(void)
{
	static const char *const valids[] = { H1, H2, NULL };
	static const char *const invalids[] = {
		"", "abc", H1 "1", H1 "\n", "g111111111111111111111111111111111111111",
		"A111111111111111111111111111111111111111",
		"11111111111111111111111111111111111111 1", NULL
	};
	size_t	 i;

	for (i = 0; valids[i] != NULL; i++)
		CU_ASSERT(hfrefs_is_commit(valids[i], strlen(valids[i])));
	for (i = 0; invalids[i] != NULL; i++)
		CU_ASSERT(!hfrefs_is_commit(invalids[i], strlen(invalids[i])));
	/* A NUL inside is not a commit hash either. */
	CU_ASSERT(!hfrefs_is_commit("111111111111111111111\0"
	    "111111111111111111", 40));
}

static const struct unit_test tests[] = {
	{ "text-mode newlines", test_newlines },
	{ "missing commits, grouped, content never quoted", test_missing },
	{ "a commit hash is exactly 40 lowercase hex", test_is_commit },
	{ NULL, NULL }
};

UNIT_SUITE("hfrefs", NULL, NULL, tests)
