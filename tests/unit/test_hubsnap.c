/*
 * Suite "hubsnap": the snapshot of a downloaded commit written into a
 * temporary repo folder (links, trees/<commit>.json, refs/<revision>), and
 * the path named when a step fails.
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

static void
test_failures(void)
{
	char	*tmp = unit_tmpdir(), what[256], p[PATH_MAX];
	int	 repo;

	repo = open(tmp, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(repo != -1);
	/* A file where the snapshot directory goes. */
	snprintf(p, sizeof(p), "%s/snapshots/" C40, tmp);
	unit_write_file(p, "x", 1);
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), -1);
	CU_ASSERT_EQUAL(errno, ENOTDIR);
	CU_ASSERT_STRING_EQUAL(what, "snapshots/" C40);
	unlink(p);
	/* A file where trees/ goes. */
	snprintf(p, sizeof(p), "%s/trees", tmp);
	unit_write_file(p, "x", 1);
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "main", list(), what,
	    sizeof(what)), -1);
	CU_ASSERT_STRING_EQUAL(what, "trees/" C40 ".json");
	unlink(p);
	/* A file where refs/ goes. */
	snprintf(p, sizeof(p), "%s/refs", tmp);
	unit_write_file(p, "x", 1);
	CU_ASSERT_EQUAL(hubsnap_write(repo, C40, "v1/x", list(), what,
	    sizeof(what)), -1);
	CU_ASSERT_STRING_EQUAL(what, "refs/v1/x");
	close(repo);
	unit_rmtree(tmp);
	free(tmp);
}

static const struct unit_test tests[] = {
	{ "links, trees and ref", test_write },
	{ "the path that failed", test_failures },
	{ NULL, NULL }
};

UNIT_SUITE("hubsnap", NULL, NULL, tests)
