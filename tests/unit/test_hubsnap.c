/*
 * Suite "hubsnap": the snapshot of a downloaded commit written into a
 * temporary repo folder (links staged then published in one rename,
 * trees/<commit>.json, refs/<revision>), an existing snapshot exchanged,
 * leftovers and planted symlinks, the path named when a step fails, and
 * the no-follow tree removal it relies on.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "hfwrite.h"
#include "hubsnap.h"
#include "unit.h"

#define C40	"cccccccccccccccccccccccccccccccccccccccc"
#define B40	"1111111111111111111111111111111111111111"
#define L64	"2222222222222222222222222222222222222222" \
		"222222222222222222222222"

static const struct hfwrite_tree files[] = {
	{ "config.json", 2, B40, NULL, 0, NULL },
	{ "sub/model.bin", 130, "3333333333333333333333333333333333333333",
	    L64, 9, NULL },
};

/* The files above as a list. */
static const struct hfwrite_list *
list(void)
{
	static struct hfwrite_list	 l;

	hfwrite_list_array(&l, files, 2);
	return &l;
}

/* The target of the link rel inside dir, or "" */
static const char *
link_of(const char *dir, const char *rel, char *buf, size_t len)
{
	char	 p[PATH_MAX];
	ssize_t	 n;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if ((n = readlink(p, buf, len - 1)) < 0)
		n = 0;
	buf[n] = '\0';
	return buf;
}

static void
test_write(void)
{
	char		*tmp = unit_tmpdir(), buf[256], what[256], p[PATH_MAX];
	struct stat	 st;
	ssize_t		 n;
	int		 repo, fd;

	repo = open(tmp, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(repo != -1);
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), 0);
	CU_ASSERT_STRING_EQUAL(link_of(tmp, "snapshots/" C40 "/config.json",
	    buf, sizeof(buf)), "../../blobs/" B40);
	CU_ASSERT_STRING_EQUAL(link_of(tmp, "snapshots/" C40 "/sub/model.bin",
	    buf, sizeof(buf)), "../../../blobs/" L64);
	snprintf(p, sizeof(p), "%s/trees/" C40 ".json", tmp);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/refs/main", tmp);
	fd = open(p, O_RDONLY);
	CU_ASSERT_FATAL(fd != -1);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	CU_ASSERT_EQUAL(n, 40);
	CU_ASSERT_EQUAL(memcmp(buf, C40, 40), 0);
	/* The revision is the commit: no ref. */
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, C40, list(), what,
	    sizeof(what)), 0);
	snprintf(p, sizeof(p), "%s/refs/" C40, tmp);
	CU_ASSERT_EQUAL(lstat(p, &st), -1);
	close(repo);
	unit_rmtree(tmp);
	free(tmp);
}

/* Whether path exists (as anything, a dangling link too). */
static int
exists(const char *dir, const char *rel)
{
	char		 p[PATH_MAX];
	struct stat	 st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

static int
open_dir(const char *path)
{
	int	 fd;

	fd = open(path, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(fd != -1);
	return fd;
}

/* Makes the symlink rel inside dir pointing to target. */
static void
mklink(const char *dir, const char *rel, const char *target)
{
	char	 p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	CU_ASSERT_FATAL(symlink(target, p) == 0);
}

/* Only the links are staged, then renamed: nothing stays in staging. */
static void
test_staging(void)
{
	char	*tmp = unit_tmpdir(), what[256], buf[256], p[PATH_MAX];
	int	 repo = open_dir(tmp);

	/* A leftover of a killed run, a link out of the repo in it. */
	snprintf(p, sizeof(p), "%s/canary", tmp);
	unit_write_file(p, "c", 1);
	snprintf(p, sizeof(p), "%s/.mm-staging/" C40 "/d/x", tmp);
	unit_write_file(p, "x", 1);
	mklink(tmp, ".mm-staging/" C40 "/stale", "../../canary");
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), 0);
	CU_ASSERT(!exists(tmp, ".mm-staging"));
	CU_ASSERT(!exists(tmp, "snapshots/" C40 "/stale"));
	CU_ASSERT(exists(tmp, "canary"));
	CU_ASSERT_STRING_EQUAL(link_of(tmp, "snapshots/" C40 "/sub/model.bin",
	    buf, sizeof(buf)), "../../../blobs/" L64);
	close(repo);
	unit_rmtree(tmp);
	free(tmp);
}

/*
 * An existing snapshot (another writer's, with a file of its own and one
 * missing) is exchanged whole: ours wins, its own links are kept.
 */
static void
test_existing(void)
{
	char	*tmp = unit_tmpdir(), what[256], buf[256], p[PATH_MAX];
	int	 repo = open_dir(tmp), snap;

	snap = hfwrite_dirs(repo, "snapshots/" C40, 1);
	CU_ASSERT_FATAL(snap != -1);
	CU_ASSERT_EQUAL(hfwrite_link(snap, "config.json", B40), 0);
	CU_ASSERT_EQUAL(hfwrite_link(snap, "other/extra.txt", L64), 0);
	close(snap);
	mklink(tmp, "snapshots/" C40 "/sub", "/");	/* ours is a dir */
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), 0);
	CU_ASSERT_STRING_EQUAL(link_of(tmp, "snapshots/" C40 "/sub/model.bin",
	    buf, sizeof(buf)), "../../../blobs/" L64);
	CU_ASSERT_STRING_EQUAL(link_of(tmp, "snapshots/" C40 "/config.json",
	    buf, sizeof(buf)), "../../blobs/" B40);
	CU_ASSERT_STRING_EQUAL(link_of(tmp, "snapshots/" C40
	    "/other/extra.txt", buf, sizeof(buf)), "../../../blobs/" L64);
	CU_ASSERT(!exists(tmp, ".mm-staging"));
	/* A file where the snapshot goes is replaced too. */
	snprintf(p, sizeof(p), "%s/snapshots/" C40, tmp);
	unit_rmtree(p);
	unit_write_file(p, "x", 1);
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), 0);
	CU_ASSERT_STRING_EQUAL(link_of(tmp, "snapshots/" C40 "/config.json",
	    buf, sizeof(buf)), "../../blobs/" B40);
	close(repo);
	unit_rmtree(tmp);
	free(tmp);
}

static void
test_failures(void)
{
	char	*tmp = unit_tmpdir(), what[256], p[PATH_MAX];
	int	 repo = open_dir(tmp);

	/* A file where the staging directory goes: nothing published. */
	snprintf(p, sizeof(p), "%s/.mm-staging", tmp);
	unit_write_file(p, "x", 1);
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), -1);
	CU_ASSERT_EQUAL(errno, ENOTDIR);
	CU_ASSERT_STRING_EQUAL(what, ".mm-staging/" C40);
	CU_ASSERT(!exists(tmp, "snapshots/" C40));
	unlink(p);
	/* A file where trees/ goes: nothing published either. */
	snprintf(p, sizeof(p), "%s/trees", tmp);
	unit_write_file(p, "x", 1);
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), -1);
	CU_ASSERT_STRING_EQUAL(what, "trees/" C40 ".json");
	CU_ASSERT(!exists(tmp, "snapshots/" C40));
	unlink(p);
	/* A file where refs/ goes: published, the ref fails. */
	snprintf(p, sizeof(p), "%s/refs", tmp);
	unit_write_file(p, "x", 1);
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "v1/x", list(), what,
	    sizeof(what)), -1);
	CU_ASSERT_STRING_EQUAL(what, "refs/v1/x");
	CU_ASSERT(exists(tmp, "snapshots/" C40 "/config.json"));
	close(repo);
	unit_rmtree(tmp);
	free(tmp);
}

/* A symlinked ref is replaced by a file; its target is never read. */
static void
test_ref_symlink(void)
{
	char	*tmp = unit_tmpdir(), what[256], p[PATH_MAX], buf[64];
	int	 repo = open_dir(tmp), fd;
	ssize_t	 n;

	snprintf(p, sizeof(p), "%s/secret", tmp);
	unit_write_file(p, "secret", 6);
	snprintf(p, sizeof(p), "%s/refs", tmp);
	CU_ASSERT_EQUAL(mkdir(p, 0775), 0);
	mklink(tmp, "refs/main", "../secret");
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), 0);
	CU_ASSERT_STRING_EQUAL(link_of(tmp, "refs/main", buf, sizeof(buf)),
	    "");
	snprintf(p, sizeof(p), "%s/secret", tmp);
	fd = open(p, O_RDONLY);
	CU_ASSERT_FATAL(fd != -1);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	CU_ASSERT(n == 6 && memcmp(buf, "secret", 6) == 0);
	close(repo);
	unit_rmtree(tmp);
	free(tmp);
}

/*
 * hfwrite_rmtree: a tree deeper than PATH_MAX with links to outside in
 * it goes; what the links point to stays; a link at the top is removed
 * itself.
 */
static void
test_rmtree(void)
{
	char	*tmp = unit_tmpdir(), *out = unit_tmpdir(), p[PATH_MAX];
	int	 top = open_dir(tmp), fd, next, i;

	snprintf(p, sizeof(p), "%s/canary", out);
	unit_write_file(p, "c", 1);
	CU_ASSERT_EQUAL(mkdirat(top, "t", 0775), 0);
	fd = openat(top, "t", O_RDONLY | O_DIRECTORY);
	for (i = 0; i < 2200 && fd != -1; i++) {
		CU_ASSERT_EQUAL(symlinkat(out, fd, "out"), 0);
		CU_ASSERT_EQUAL(mkdirat(fd, "dd", 0775), 0);
		next = openat(fd, "dd", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	CU_ASSERT_FATAL(fd != -1);
	close(fd);
	CU_ASSERT_EQUAL(hfwrite_rmtree(top, "t"), 0);
	CU_ASSERT(!exists(tmp, "t"));
	CU_ASSERT(exists(out, "canary"));
	mklink(tmp, "l", out);
	CU_ASSERT_EQUAL(hfwrite_rmtree(top, "l"), 0);
	CU_ASSERT(!exists(tmp, "l"));
	CU_ASSERT(exists(out, "canary"));
	CU_ASSERT_EQUAL(hfwrite_rmtree(top, "none"), 0);
	close(top);
	unit_rmtree(tmp);
	unit_rmtree(out);
	free(tmp);
	free(out);
}

static const struct unit_test tests[] = {
	{ "links, trees and ref", test_write },
	{ "staged, then renamed; leftovers removed", test_staging },
	{ "an existing snapshot exchanged, its extras kept", test_existing },
	{ "the path that failed, nothing half-published", test_failures },
	{ "a symlinked ref replaced, never followed", test_ref_symlink },
	{ "rmtree: any depth, links never followed", test_rmtree },
	{ NULL, NULL }
};

UNIT_SUITE("hubsnap", NULL, NULL, tests)
