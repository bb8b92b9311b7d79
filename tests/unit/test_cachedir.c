/*
 * cachedir: the HF_HOME and hub cache directory precedence of
 * huggingface_hub, on a fake environment.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "cachedir.h"
#include "unit.h"

struct envcase {
	const char	*vars[6][2];	/* name, value; NULL name ends */
	const char	*want;		/* "." prefix: relative to the cwd */
};

static const struct envcase	*cur_env;

static const char *
fake_getenv(const char *name)
{
	size_t	 i;

	for (i = 0; cur_env->vars[i][0] != NULL; i++)
		if (strcmp(cur_env->vars[i][0], name) == 0)
			return cur_env->vars[i][1];
	return NULL;
}

static void
test_resolve_dir(void)
{
	static const struct envcase envs[] = {
		/* Precedence. */
		{ { { "HF_HUB_CACHE", "/mm-nx/a" },
		    { "HUGGINGFACE_HUB_CACHE", "/mm-nx/b" },
		    { "HF_HOME", "/mm-nx/c" }, { "XDG_CACHE_HOME", "/mm-nx/d" },
		    { "HOME", "/mm-nx/h" } }, "/mm-nx/a" },
		{ { { "HUGGINGFACE_HUB_CACHE", "/mm-nx/b" },
		    { "HF_HOME", "/mm-nx/c" }, { "XDG_CACHE_HOME", "/mm-nx/d" },
		    { "HOME", "/mm-nx/h" } }, "/mm-nx/b" },
		{ { { "HF_HOME", "/mm-nx/c" }, { "XDG_CACHE_HOME", "/mm-nx/d" },
		    { "HOME", "/mm-nx/h" } }, "/mm-nx/c/hub" },
		{ { { "XDG_CACHE_HOME", "/mm-nx/d" }, { "HOME", "/mm-nx/h" } },
		    "/mm-nx/d/huggingface/hub" },
		{ { { "HOME", "/mm-nx/h" } }, "/mm-nx/h/.cache/huggingface/hub" },
		{ { { "HOME", "/mm-nx/h/" } },
		    "/mm-nx/h/.cache/huggingface/hub" },
		/* "" counts as set. */
		{ { { "HF_HUB_CACHE", "" }, { "HF_HOME", "/mm-nx/c" } }, "." },
		{ { { "HUGGINGFACE_HUB_CACHE", "" }, { "HF_HOME", "/mm-nx/c" } },
		    "." },
		{ { { "HF_HOME", "" }, { "HOME", "/mm-nx/h" } }, "./hub" },
		{ { { "XDG_CACHE_HOME", "" }, { "HOME", "/mm-nx/h" } },
		    "./huggingface/hub" },
		{ { { "HOME", "" } }, "/.cache/huggingface/hub" },
		/* ~ and $VAR. */
		{ { { "HF_HUB_CACHE", "~/hc" }, { "HOME", "/mm-nx/h" } },
		    "/mm-nx/h/hc" },
		{ { { "HF_HUB_CACHE", "~" }, { "HOME", "/mm-nx/h" } },
		    "/mm-nx/h" },
		{ { { "HF_HOME", "~/hf" }, { "HOME", "/mm-nx/h" } },
		    "/mm-nx/h/hf/hub" },
		{ { { "XDG_CACHE_HOME", "~/xdg" }, { "HOME", "/mm-nx/h" } },
		    "/mm-nx/h/xdg/huggingface/hub" },
		{ { { "HF_HUB_CACHE", "$B/x" }, { "B", "/mm-nx/b" } },
		    "/mm-nx/b/x" },
		{ { { "HF_HUB_CACHE", "${B}y/$B" }, { "B", "/mm-nx/b" } },
		    "/mm-nx/by/mm-nx/b" },
		{ { { "HF_HUB_CACHE", "/mm-nx/$NOPE/${NOPE}/x" } },
		    "/mm-nx/$NOPE/${NOPE}/x" },
		{ { { "HF_HUB_CACHE", "/mm-nx/${}/$/${B" }, { "B", "/x" } },
		    "/mm-nx/${}/$/${B" },
		{ { { "HF_HOME", "$B" }, { "B", "/mm-nx/b" } }, "/mm-nx/b/hub" },
		{ { { "HF_HUB_CACHE", "$H/c" }, { "H", "~/v" },
		    { "HOME", "/mm-nx/h" } }, "/mm-nx/h/v/c" },
		{ { { "HF_HUB_CACHE", "~mm-no-such-user-x/c" } },
		    "./~mm-no-such-user-x/c" },
		/* Relative made absolute, normalised. */
		{ { { "HF_HUB_CACHE", "rel/dir" } }, "./rel/dir" },
		{ { { "HF_HUB_CACHE", "/mm-nx//a/./b/" } }, "/mm-nx/a/b" },
		{ { { "HF_HUB_CACHE", "/mm-nx/a/../b/.." } }, "/mm-nx" },
		{ { { "HF_HUB_CACHE", "/../mm-nx" } }, "/mm-nx" },
		{ { { "HF_HUB_CACHE", "/" } }, "/" },
	};
	char	 cwdbuf[PATH_MAX], *cwd, *got, *want;
	size_t	 i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwdbuf, sizeof(cwdbuf)));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cwd = realpath(cwdbuf, NULL));
	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		cur_env = &envs[i];
		got = cachedir_hub(fake_getenv);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		if (envs[i].want[0] == '.') {
			if (asprintf(&want, "%s%s", strcmp(cwd, "/") == 0 ?
			    "" : cwd, envs[i].want + 1) == -1)
				abort();
			if (want[0] == '\0') {
				free(want);
				want = strdup("/");
			}
		} else
			want = strdup(envs[i].want);
		CU_ASSERT_STRING_EQUAL(got, want);
		if (strcmp(got, want) != 0)
			fprintf(stderr, "\nresolve case %zu: got %s want %s\n",
			    i, got, want);
		free(want);
		free(got);
	}
	free(cwd);
}

/* HF_HOME alone: expanded, never made absolute. */
static void
test_resolve_home(void)
{
	static const struct envcase envs[] = {
		{ { { "HF_HOME", "/mm-nx/c" }, { "XDG_CACHE_HOME", "/mm-nx/d" },
		    { "HOME", "/mm-nx/h" } }, "/mm-nx/c" },
		{ { { "XDG_CACHE_HOME", "/mm-nx/d" }, { "HOME", "/mm-nx/h" } },
		    "/mm-nx/d/huggingface" },
		{ { { "HOME", "/mm-nx/h/" } }, "/mm-nx/h/.cache/huggingface" },
		{ { { "HOME", "" } }, "/.cache/huggingface" },
		{ { { "HF_HOME", "" }, { "HOME", "/mm-nx/h" } }, "" },
		{ { { "XDG_CACHE_HOME", "" } }, "huggingface" },
		{ { { "HF_HOME", "rel//x/.." } }, "rel//x/.." },
		{ { { "HF_HOME", "~/hf" }, { "HOME", "/mm-nx/h" } },
		    "/mm-nx/h/hf" },
		{ { { "XDG_CACHE_HOME", "$B/" }, { "B", "/mm-nx/b" } },
		    "/mm-nx/b/huggingface" },
		{ { { "HF_HOME", "$H" }, { "H", "~/v" } }, "~/v" },
	};
	char	*got;
	size_t	 i;

	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		cur_env = &envs[i];
		got = cachedir_home(fake_getenv);
		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_STRING_EQUAL(got, envs[i].want);
		if (strcmp(got, envs[i].want) != 0)
			fprintf(stderr, "\nhome case %zu: got %s want %s\n",
			    i, got, envs[i].want);
		free(got);
	}
}

/* Existing prefixes are resolved through symlinks (Path.resolve()). */
static void
test_resolve_symlink(void)
{
	static struct envcase	 env = { { { "HF_HUB_CACHE", NULL } }, NULL };
	char			*tmp, *real, *link, *val, *got, *want;

	tmp = unit_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(real = realpath(tmp, NULL));
	if (asprintf(&link, "%s/link", tmp) == -1 ||
	    asprintf(&val, "%s/link/./hub/../hub2", tmp) == -1 ||
	    asprintf(&want, "%s/target/hub2", real) == -1)
		abort();
	if (asprintf(&got, "%s/target", tmp) == -1)
		abort();
	CU_ASSERT_EQUAL_FATAL(mkdir(got, 0755), 0);
	free(got);
	CU_ASSERT_EQUAL_FATAL(symlink("target", link), 0);
	env.vars[0][1] = val;
	cur_env = &env;
	got = cachedir_hub(fake_getenv);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	/* Existing: fully resolved. */
	free(val);
	free(want);
	if (asprintf(&val, "%s/link", tmp) == -1 ||
	    asprintf(&want, "%s/target", real) == -1)
		abort();
	env.vars[0][1] = val;
	got = cachedir_hub(fake_getenv);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(want);
	free(val);
	free(link);
	free(real);
	unit_rmtree(tmp);
	free(tmp);
}

static const struct unit_test tests[] = {
	{ "home environment table", test_resolve_home },
	{ "hub environment table", test_resolve_dir },
	{ "hub resolves existing symlinks", test_resolve_symlink },
	{ NULL, NULL }
};

UNIT_SUITE("cachedir", NULL, NULL, tests)
