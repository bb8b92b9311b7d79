/*
 * pypath: os.path.join, expanduser, expandvars and Path.resolve() against
 * the answers CPython 3.11 gives for the same inputs, through a fake
 * environment; resolve() on symlink fixtures built in a temp dir.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "pypath.h"
#include "unit.h"

#define NVARS	6

struct pcase {
	const char	*path;
	const char	*vars[NVARS][2];	/* name, value; NULL name ends */
	const char	*want;
};

static const char *const	(*cur_vars)[2];	/* NULL: no variables */

static const char *
fake_getenv(const char *name)
{
	size_t	 i;

	for (i = 0; cur_vars != NULL && cur_vars[i][0] != NULL; i++)
		if (strcmp(cur_vars[i][0], name) == 0)
			return cur_vars[i][1];
	return NULL;
}

/* Compares one answer, naming the case on stderr when it differs. */
static void
check(const char *what, size_t i, const char *in, char *got,
    const char *want)
{

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n%s case %zu (%s): got '%s' want '%s'\n",
		    what, i, in, got, want);
	free(got);
}

/* Runs fn over a table of cases, each with its own environment. */
static void
run_table(const char *what, const struct pcase *cases, size_t n,
    char *(*fn)(const char *, const char *(*)(const char *)))
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		cur_vars = cases[i].vars;
		check(what, i, cases[i].path,
		    fn(cases[i].path, fake_getenv), cases[i].want);
	}
	cur_vars = NULL;
}

static void
test_join(void)
{
	static const struct {
		const char	*a, *b, *want;
	} cases[] = {
		{ "a", "b", "a/b" },
		{ "a/", "b", "a/b" },
		{ "a//", "b", "a//b" },
		{ "", "b", "b" },
		{ "a", "/b", "/b" },
		{ "/", "b", "/b" },
		{ "a", "", "a/" },
		{ "", "", "" },
		{ "/a", "b/c", "/a/b/c" },
		{ "a", "b/", "a/b/" },
		{ "a/b", "../c", "a/b/../c" },
		{ "~/.cache", "huggingface", "~/.cache/huggingface" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check("join", i, cases[i].a, pypath_join(cases[i].a,
		    cases[i].b), cases[i].want);
}

static void
test_expanduser(void)
{
	static const struct pcase cases[] = {
		{ "~", { { "HOME", "/h" } }, "/h" },
		{ "~/x", { { "HOME", "/h" } }, "/h/x" },
		{ "~/", { { "HOME", "/h" } }, "/h/" },
		{ "x/~", { { "HOME", "/h" } }, "x/~" },
		{ "/~/x", { { "HOME", "/h" } }, "/~/x" },
		{ "", { { "HOME", "/h" } }, "" },
		{ "~/$B", { { "HOME", "/h" }, { "B", "/b" } }, "/h/$B" },
		{ "~", { { "HOME", "/h//" } }, "/h" },
		{ "~", { { "HOME", "/" } }, "/" },
		{ "~/x", { { "HOME", "/" } }, "/x" },
		{ "~", { { "HOME", "" } }, "/" },
		{ "~/x", { { "HOME", "" } }, "/x" },
		{ "~/y", { { "HOME", "/h/$B" }, { "B", "/b" } }, "/h/$B/y" },
		{ "~/x", { { "HOME", "rel" } }, "rel/x" },
		/* Unknown users: unchanged. */
		{ "~nosuchuser_mm/x", { { "HOME", "/h" } },
		    "~nosuchuser_mm/x" },
		{ "~~", { { "HOME", "/h" } }, "~~" },
	};

	run_table("expanduser", cases, sizeof(cases) / sizeof(cases[0]),
	    pypath_expanduser);
}

/* The user database: "~" without $HOME, and "~name". */
static void
test_expanduser_pwd(void)
{
	struct passwd	*pw;
	char		*home, *want, *got;
	size_t		 len;

	cur_vars = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw = getpwuid(getuid()));
	CU_ASSERT_PTR_NOT_NULL_FATAL(home = strdup(pw->pw_dir));
	len = strlen(home);
	while (len > 0 && home[len - 1] == '/')
		home[--len] = '\0';
	if (asprintf(&want, "%s", len == 0 ? "/" : home) == -1)
		abort();
	check("expanduser pwd", 0, "~", pypath_expanduser("~", fake_getenv),
	    want);
	free(want);
	if (asprintf(&want, "%s/x", home) == -1 ||
	    asprintf(&got, "~%s/x", pw->pw_name) == -1)
		abort();
	check("expanduser pwd", 1, got, pypath_expanduser(got, fake_getenv),
	    want);
	free(got);
	free(want);
	free(home);
}

static void
test_expandvars(void)
{
#define V	{ { "B", "/b" }, { "A", "$B" }, { "E", "" }, { "1", "one" }, \
		  { "B_", "u" } }
	static const struct pcase cases[] = {
		{ "$B/x", V, "/b/x" },
		{ "${B}y/$B", V, "/by//b" },
		{ "${B}", V, "/b" },
		{ "$B$B", V, "/b/b" },
		{ "x${B}${B}", V, "x/b/b" },
		{ "$1/x", V, "one/x" },
		{ "$B_", V, "u" },
		{ "$E|", V, "|" },
		/* Not expanded again. */
		{ "$A", V, "$B" },
		/* Unknown names stay. */
		{ "$NOPE/${NOPE}/x", V, "$NOPE/${NOPE}/x" },
		{ "$B_1", V, "$B_1" },
		{ "$1x", V, "$1x" },
		{ "${B:-x}", V, "${B:-x}" },
		{ "${a${B}}", V, "${a${B}}" },
		/* No variable at all. */
		{ "${}/$/${B", V, "${}/$/${B" },
		{ "a$", V, "a$" },
		{ "$", V, "$" },
		{ "${", V, "${" },
		{ "$$B", V, "$/b" },
		{ "~$B", V, "~/b" },
		{ "\xc3\xa9$B$\xc3\xa9", V, "\xc3\xa9/b$\xc3\xa9" },
		{ "", V, "" },
		{ "no vars", V, "no vars" },
	};
#undef V

	run_table("expandvars", cases, sizeof(cases) / sizeof(cases[0]),
	    pypath_expandvars);
}

static void
test_expand(void)
{
	static const struct pcase cases[] = {
		{ "~/$D", { { "HOME", "/h" }, { "D", "d" } }, "/h/d" },
		/* expanduser runs first: a "~" from a variable stays. */
		{ "$H/c", { { "HOME", "/h" }, { "H", "~/v" } }, "~/v/c" },
		{ "~nosuchuser_mm/$D", { { "D", "d" } }, "~nosuchuser_mm/d" },
		{ "${HOME}/x", { { "HOME", "/h" } }, "/h/x" },
		{ "/plain", { { "HOME", "/h" } }, "/plain" },
	};

	run_table("expand", cases, sizeof(cases) / sizeof(cases[0]),
	    pypath_expand);
}

/* Lexical cases on paths that do not exist; "." is the real cwd. */
static void
test_abspath_lexical(void)
{
	static const struct {
		const char	*path, *want;
	} cases[] = {
		{ "/", "/" },
		{ "//", "/" },
		{ "/mm-nx//a/./b/", "/mm-nx/a/b" },
		{ "/mm-nx/a/../b/..", "/mm-nx" },
		{ "/../mm-nx", "/mm-nx" },
		{ "/mm-nx/../../..", "/" },
		{ "//mm-nx", "/mm-nx" },
		{ "///mm-nx/.", "/mm-nx" },
		{ "mm-nx-rel/dir", "./mm-nx-rel/dir" },
		{ "mm-nx-rel/../x/", "./x" },
	};
	char	 cwdbuf[PATH_MAX], *cwd, *want;
	size_t	 i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwdbuf, sizeof(cwdbuf)));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cwd = realpath(cwdbuf, NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].want[0] != '.')
			want = strdup(cases[i].want);
		else if (asprintf(&want, "%s%s", strcmp(cwd, "/") == 0 ? "" :
		    cwd, cases[i].want + 1) == -1)
			want = NULL;
		CU_ASSERT_PTR_NOT_NULL_FATAL(want);
		check("abspath", i, cases[i].path,
		    pypath_abspath(cases[i].path), want);
		free(want);
	}
	free(cwd);
}

/*
 * Symlinks under a temp dir "@" (its real path in answers):
 *   target/hub/, target/file, sub/deep/, tl -> target, chain -> tl,
 *   link -> sub/deep, abs -> @/target (absolute).
 * Relative cases run with the cwd at @/tl.
 */
static void
test_abspath_symlinks(void)
{
	static const struct {
		const char	*path, *want;	/* "@" prefix: the temp dir */
	} cases[] = {
		{ "@/tl", "@/target" },
		{ "@/tl/", "@/target" },
		{ "@/tl/./hub/../hub2", "@/target/hub2" },
		{ "@/tl/hub", "@/target/hub" },
		{ "@/tl/nx/deeper", "@/target/nx/deeper" },
		{ "@/chain/hub", "@/target/hub" },
		{ "@/abs/nx", "@/target/nx" },
		{ "@/abs/../sub", "@/sub" },
		{ "@/link", "@/sub/deep" },
		{ "@/link/..", "@/sub" },
		{ "@/link/../deep", "@/sub/deep" },
		{ "@/nx/../tl/x", "@/target/x" },
		{ "@/tl/file", "@/target/file" },
		{ "@/tl/file/x", "@/target/file/x" },
		{ "@/sub//deep/./x/", "@/sub/deep/x" },
		{ "", "@/target" },
		{ ".", "@/target" },
		{ "..", "@" },
		{ "../link", "@/sub/deep" },
		{ "x/../y", "@/target/y" },
		{ "../tl/hub", "@/target/hub" },
	};
	char	*tmp, *real, *p, *want, *in;
	size_t	 i;
	int	 cwdfd;

	CU_ASSERT_NOT_EQUAL_FATAL(cwdfd = open(".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC), -1);
	tmp = unit_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(real = realpath(tmp, NULL));
	if (asprintf(&p, "%s/target/file", tmp) == -1)
		abort();
	unit_write_file(p, "x", 1);
	free(p);
	if (asprintf(&p, "%s/target/hub", tmp) == -1)
		abort();
	CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
	free(p);
	if (asprintf(&p, "%s/sub/deep/f", tmp) == -1)
		abort();
	unit_write_file(p, "x", 1);
	free(p);
	CU_ASSERT_EQUAL_FATAL(chdir(tmp), 0);
	if (asprintf(&p, "%s/target", tmp) == -1)
		abort();
	CU_ASSERT_EQUAL(symlink("target", "tl"), 0);
	CU_ASSERT_EQUAL(symlink("tl", "chain"), 0);
	CU_ASSERT_EQUAL(symlink("sub/deep", "link"), 0);
	CU_ASSERT_EQUAL(symlink(p, "abs"), 0);
	free(p);
	CU_ASSERT_EQUAL_FATAL(chdir("tl"), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (asprintf(&in, "%s%s", cases[i].path[0] == '@' ? tmp : "",
		    cases[i].path + (cases[i].path[0] == '@')) == -1 ||
		    asprintf(&want, "%s%s", real, cases[i].want + 1) == -1)
			abort();
		check("abspath symlinks", i, in, pypath_abspath(in), want);
		free(want);
		free(in);
	}
	CU_ASSERT_EQUAL_FATAL(fchdir(cwdfd), 0);
	close(cwdfd);
	unit_rmtree(tmp);
	free(real);
	free(tmp);
}

static const struct unit_test tests[] = {
	{ "join follows os.path.join", test_join },
	{ "expanduser with a fake $HOME", test_expanduser },
	{ "expanduser through the user database", test_expanduser_pwd },
	{ "expandvars: $name, ${name}, unknown and odd forms",
	    test_expandvars },
	{ "expand is expandvars(expanduser())", test_expand },
	{ "abspath normalises lexically", test_abspath_lexical },
	{ "abspath resolves existing symlinks", test_abspath_symlinks },
	{ NULL, NULL }
};

UNIT_SUITE("pypath", NULL, NULL, tests)
