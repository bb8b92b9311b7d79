/* Removing a repo folder: freed-size estimate, symlink traps, locks. */
#include <sys/file.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "hfdelete.h"
#include "unit.h"

/* <scratch>/<dir>[/<rel>] in one of four rotating buffers. */
static char *
path(const char *dir, const char *rel)
{
	static char	 buf[4][1024];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s%s%s", unit_scratch(), dir,
	    *rel ? "/" : "", rel);
	return buf[i];
}

static void
make_repo(const char *cache)
{
	char	 data[8192];

	memset(data, 'x', sizeof(data));
	unit_write_file(path(cache, "models--org--m/blobs/aaaa"), data,
	    8192);
	unit_write_file(path(cache, "models--org--m/blobs/bbbb.incomplete"), data, 4096);
	unit_write_file(path(cache, "models--org--m/refs/main"), "c", 1);
	(void)mkdir(path(cache, "models--org--m/snapshots"), 0755);
	(void)mkdir(path(cache, "models--org--m/snapshots/c"), 0755);
	CU_ASSERT_EQUAL(symlink("../../blobs/aaaa",
	    path(cache, "models--org--m/snapshots/c/f.bin")), 0);
	unit_write_file(path(cache, "models--org--other/blobs/keep"),
	    "keep", 4);
}

static void
test_folder_names(void)
{
	char	 buf[64];

	CU_ASSERT_EQUAL(hfdelete_folder(buf, sizeof(buf), "model",
	    "org/name"), 0);
	CU_ASSERT_STRING_EQUAL(buf, "models--org--name");
	CU_ASSERT_EQUAL(hfdelete_folder(buf, sizeof(buf), "dataset", "gpt2"),
	    0);
	CU_ASSERT_STRING_EQUAL(buf, "datasets--gpt2");
	CU_ASSERT_EQUAL(hfdelete_folder(buf, 10, "model", "org/name"), -1);
}

static void
test_estimate(void)
{
	uint64_t	 bytes, expect;
	struct stat	 st;
	int		 present;

	make_repo("c1");
	CU_ASSERT_EQUAL(hfdelete_estimate(path("c1", ""), "model",
	    "org/m", &bytes, &present), ERR_OK);
	CU_ASSERT_EQUAL(present, 1);
	/* At least both files' allocated sizes. */
	stat(path("c1", "models--org--m/blobs/aaaa"), &st);
	expect = (uint64_t)st.st_blocks * 512;
	stat(path("c1", "models--org--m/blobs/bbbb.incomplete"), &st);
	expect += (uint64_t)st.st_blocks * 512;
	CU_ASSERT(bytes >= expect);

	/* A hard link from outside the repo keeps that file's space. */
	CU_ASSERT_EQUAL(link(path("c1", "models--org--m/blobs/aaaa"),
	    path("c1", "outside-link")), 0);
	CU_ASSERT_EQUAL(hfdelete_estimate(path("c1", ""), "model",
	    "org/m", &expect, &present), ERR_OK);
	stat(path("c1", "models--org--m/blobs/aaaa"), &st);
	CU_ASSERT_EQUAL(expect, bytes - (uint64_t)st.st_blocks * 512);

	/* Two links both inside the repo: counted once. */
	unlink(path("c1", "outside-link"));
	CU_ASSERT_EQUAL(link(path("c1", "models--org--m/blobs/aaaa"),
	    path("c1", "models--org--m/blobs/aaaa2")), 0);
	CU_ASSERT_EQUAL(hfdelete_estimate(path("c1", ""), "model",
	    "org/m", &expect, &present), ERR_OK);
	CU_ASSERT_EQUAL(expect, bytes);

	CU_ASSERT_EQUAL(hfdelete_estimate(path("c1", ""), "model",
	    "org/absent", &bytes, &present), ERR_OK);
	CU_ASSERT_EQUAL(present, 0);
	CU_ASSERT_EQUAL(bytes, 0);
	CU_ASSERT_EQUAL(hfdelete_estimate(path("no-such-cache", ""),
	    "model", "org/m", &bytes, &present), ERR_OK);
	CU_ASSERT_EQUAL(present, 0);
}

static void
test_remove(void)
{
	char		 msg[256];
	struct stat	 st;

	make_repo("c2");
	CU_ASSERT_EQUAL(hfdelete_remove(path("c2", ""), "model", "org/m",
	    1, msg, sizeof(msg)), ERR_OK);
	CU_ASSERT_EQUAL(lstat(path("c2", "models--org--m"), &st), -1);
	CU_ASSERT_EQUAL(lstat(path("c2", "models--org--other/blobs/keep"), &st), 0);
	CU_ASSERT_EQUAL(hfdelete_remove(path("c2", ""), "model", "org/m",
	    1, msg, sizeof(msg)), ERR_NOTFOUND);
}

static void
test_symlink_traps(void)
{
	char		 msg[256];
	struct stat	 st;

	/* A victim outside the cache that links inside the repo point to. */
	unit_write_file(path("c3", "victim/file"), "precious", 8);
	make_repo("c3/cache");
	CU_ASSERT_EQUAL(symlink(path("c3", "victim"),
	    path("c3/cache", "models--org--m/snapshots/c/dirlink")), 0);
	CU_ASSERT_EQUAL(symlink("/", path("c3/cache", "models--org--m/blobs/root")), 0);
	CU_ASSERT_EQUAL(symlink(path("c3", "victim/file"),
	    path("c3/cache", "models--org--m/refs/pr")), 0);
	CU_ASSERT_EQUAL(hfdelete_remove(path("c3/cache", ""), "model",
	    "org/m", 1, msg, sizeof(msg)), ERR_OK);
	CU_ASSERT_EQUAL(stat(path("c3", "victim/file"), &st), 0);
	CU_ASSERT_EQUAL(st.st_size, 8);

	/* The repo folder itself is a symlink to the victim: only the
	 * link goes. */
	CU_ASSERT_EQUAL(symlink(path("c3", "victim"),
	    path("c3/cache", "models--org--evil")), 0);
	CU_ASSERT_EQUAL(hfdelete_remove(path("c3/cache", ""), "model",
	    "org/evil", 1, msg, sizeof(msg)), ERR_OK);
	CU_ASSERT_EQUAL(lstat(path("c3/cache", "models--org--evil"), &st),
	    -1);
	CU_ASSERT_EQUAL(stat(path("c3", "victim/file"), &st), 0);
}

static void
test_lock_held(void)
{
	char		 msg[256];
	struct stat	 st;
	int		 fd;

	make_repo("c4");
	(void)mkdir(path("c4", ".locks"), 0755);
	(void)mkdir(path("c4", ".locks/models--org--m"), 0755);
	fd = open(path("c4", ".locks/models--org--m/bbbb.lock"),
	    O_RDWR | O_CREAT, 0664);
	CU_ASSERT_FATAL(fd != -1);
	/* flock is per open file description: another open conflicts. */
	CU_ASSERT_EQUAL(flock(fd, LOCK_EX), 0);
	CU_ASSERT_EQUAL(hfdelete_remove(path("c4", ""), "model", "org/m",
	    1, msg, sizeof(msg)), ERR_TIMEOUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bbbb"));
	CU_ASSERT_EQUAL(lstat(path("c4", "models--org--m/blobs/aaaa"),
	    &st), 0);
	close(fd);
	CU_ASSERT_EQUAL(hfdelete_remove(path("c4", ""), "model", "org/m",
	    1, msg, sizeof(msg)), ERR_OK);
}

static const struct unit_test tests[] = {
	{ "repo folder names", test_folder_names },
	{ "freed size estimate and hard links", test_estimate },
	{ "remove leaves other repos", test_remove },
	{ "symlinks are never followed", test_symlink_traps },
	{ "a held blob lock blocks removal", test_lock_held },
	{ NULL, NULL }
};

UNIT_SUITE("hfdelete", unit_scratch_init, unit_scratch_cleanup, tests)
