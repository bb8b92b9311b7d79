/* The revisions of a cached repo: the installed one, the blobs a
 * snapshot names, and the removal of an old revision. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "hfrev.h"
#include "unit.h"

#define C1	"1111111111111111111111111111111111111111"
#define C2	"2222222222222222222222222222222222222222"
#define C3	"3333333333333333333333333333333333333333"
#define B_A	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B_B	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define B_C	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define B_D	"dddddddddddddddddddddddddddddddddddddddd"

/* <scratch>/<cache>/models--org--m/<rel> in one of four buffers. */
static char *
rpath(const char *cache, const char *rel)
{
	static char	 buf[4][1024];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s/models--org--m%s%s",
	    unit_scratch(), cache, *rel ? "/" : "", rel);
	return buf[i];
}

static void
blob(const char *cache, const char *etag, size_t size)
{
	char	 name[128], *data;

	data = calloc(1, size + 1);
	snprintf(name, sizeof(name), "blobs/%s", etag);
	unit_write_file(rpath(cache, name), data, size);
	free(data);
}

/* mkdir -p <repo>/<rel>. */
static void
dirs(const char *cache, const char *rel)
{
	char	 keep[256];

	snprintf(keep, sizeof(keep), "%s/.keep", rel);
	unit_write_file(rpath(cache, keep), "", 0);
	(void)unlink(rpath(cache, keep));
}

/*
 * C1: a -> A, sub/b -> B, c -> C (LFS name); C2: a -> A, d -> D;
 * refs/main names C2 unless main is NULL; refs/v1 names C1.
 */
static void
make_repo(const char *cache, const char *main)
{

	blob(cache, B_A, 10);
	blob(cache, B_B, 20);
	blob(cache, B_C, 30);
	blob(cache, B_D, 40);
	dirs(cache, "snapshots/" C1 "/sub");
	dirs(cache, "snapshots/" C2);
	CU_ASSERT_EQUAL(symlink("../../blobs/" B_A,
	    rpath(cache, "snapshots/" C1 "/a")), 0);
	CU_ASSERT_EQUAL(symlink("../../../blobs/" B_B,
	    rpath(cache, "snapshots/" C1 "/sub/b")), 0);
	CU_ASSERT_EQUAL(symlink("../../blobs/" B_C,
	    rpath(cache, "snapshots/" C1 "/c")), 0);
	CU_ASSERT_EQUAL(symlink("../../blobs/" B_A,
	    rpath(cache, "snapshots/" C2 "/a")), 0);
	CU_ASSERT_EQUAL(symlink("../../blobs/" B_D,
	    rpath(cache, "snapshots/" C2 "/d")), 0);
	if (main != NULL)
		unit_write_file(rpath(cache, "refs/main"), main, strlen(main));
	unit_write_file(rpath(cache, "refs/v1"), C1, 40);
	unit_write_file(rpath(cache, "trees/" C1 ".json"), "{}", 2);
}

static char *
cache_dir(const char *cache)
{
	static char	 buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", unit_scratch(), cache);
	return buf;
}

/* Sets the modification time of snapshots/<commit> to t. */
static void
snap_mtime(const char *cache, const char *commit, time_t t)
{
	struct timeval	 tv[2] = { { t, 0 }, { t, 0 } };
	char		 rel[64];

	snprintf(rel, sizeof(rel), "snapshots/%s", commit);
	CU_ASSERT_EQUAL(utimes(rpath(cache, rel), tv), 0);
}

static void
test_installed(void)
{
	char	 out[41];

	make_repo("i1", C2);
	CU_ASSERT_EQUAL(hfrev_installed(cache_dir("i1"), "org/m", out),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(out, C2);
	/* No refs/main: the newest snapshot. */
	make_repo("i2", NULL);
	snap_mtime("i2", C1, 2000000000);
	snap_mtime("i2", C2, 1000000000);
	CU_ASSERT_EQUAL(hfrev_installed(cache_dir("i2"), "org/m", out),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(out, C1);
	/* refs/main naming no snapshot, or not a commit: the same. */
	make_repo("i3", C3);
	snap_mtime("i3", C1, 1000000000);
	snap_mtime("i3", C2, 2000000000);
	CU_ASSERT_EQUAL(hfrev_installed(cache_dir("i3"), "org/m", out),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(out, C2);
	make_repo("i4", C1 "\n");
	snap_mtime("i4", C1, 1000000000);
	snap_mtime("i4", C2, 2000000000);
	CU_ASSERT_EQUAL(hfrev_installed(cache_dir("i4"), "org/m", out),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(out, C2);
	/* A symlinked refs/main is never read through. */
	make_repo("i5", NULL);
	snap_mtime("i5", C1, 1000000000);
	snap_mtime("i5", C2, 2000000000);
	unit_write_file(rpath("i5", "outside"), C1, 40);
	CU_ASSERT_EQUAL(symlink("../outside", rpath("i5", "refs/main")), 0);
	CU_ASSERT_EQUAL(hfrev_installed(cache_dir("i5"), "org/m", out),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(out, C2);
	/* None: a repo without snapshots, or no repo. */
	unit_write_file(rpath("i6", "blobs/" B_A ".incomplete"), "x", 1);
	dirs("i6", "snapshots");
	CU_ASSERT_EQUAL(hfrev_installed(cache_dir("i6"), "org/m", out),
	    ERR_NOTFOUND);
	CU_ASSERT_STRING_EQUAL(out, "");
	CU_ASSERT_EQUAL(hfrev_installed(cache_dir("i7"), "org/m", out),
	    ERR_NOTFOUND);
}

static int
has(const struct strset *s, const char *k)
{

	return strset_has(s, k, strlen(k), strset_hash(k, strlen(k)));
}

static void
test_blobs(void)
{
	struct strset	 s = STRSET_INIT;

	make_repo("b1", C2);
	/* Links that name no blob are not counted. */
	CU_ASSERT_EQUAL(symlink("../../elsewhere/" B_D,
	    rpath("b1", "snapshots/" C1 "/e")), 0);
	CU_ASSERT_EQUAL(symlink("../../myblobs/" B_D,
	    rpath("b1", "snapshots/" C1 "/f")), 0);
	CU_ASSERT_EQUAL(symlink("../../blobs/xyz",
	    rpath("b1", "snapshots/" C1 "/g")), 0);
	CU_ASSERT_EQUAL(hfrev_blobs(cache_dir("b1"), "org/m", C1, &s), ERR_OK);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT(has(&s, B_A) && has(&s, B_B) && has(&s, B_C));
	CU_ASSERT(!has(&s, B_D));
	strset_clear(&s);
	CU_ASSERT_EQUAL(hfrev_blobs(cache_dir("b1"), "org/m", C3, &s),
	    ERR_NOTFOUND);
	CU_ASSERT_EQUAL(hfrev_blobs(cache_dir("b1"), "org/m", "../x", &s),
	    ERR_NOTFOUND);
	strset_clear(&s);
}

static int
exists(const char *p)
{
	struct stat	 st;

	return lstat(p, &st) == 0;
}

static void
test_drop(void)
{
	struct hfrev_dropped	 d;
	char			 msg[256];

	make_repo("d1", C2);
	CU_ASSERT_EQUAL(hfrev_drop(cache_dir("d1"), "org/m", C1, 1, &d, msg,
	    sizeof(msg)), ERR_OK);
	/* B and C only C1 used; A is C2's too. */
	CU_ASSERT_EQUAL(d.blobs, 2);
	CU_ASSERT_EQUAL(d.bytes, 50);
	CU_ASSERT_EQUAL(d.shared, 1);
	CU_ASSERT_EQUAL(d.busy, 0);
	CU_ASSERT_EQUAL(d.refs, 1);
	CU_ASSERT(!exists(rpath("d1", "snapshots/" C1)));
	CU_ASSERT(!exists(rpath("d1", "blobs/" B_B)));
	CU_ASSERT(!exists(rpath("d1", "blobs/" B_C)));
	CU_ASSERT(exists(rpath("d1", "blobs/" B_A)));
	CU_ASSERT(exists(rpath("d1", "blobs/" B_D)));
	CU_ASSERT(!exists(rpath("d1", "refs/v1")));
	CU_ASSERT(exists(rpath("d1", "refs/main")));
	CU_ASSERT(!exists(rpath("d1", "trees/" C1 ".json")));
	CU_ASSERT(!exists(rpath("d1", ".mm-staging")));
	CU_ASSERT(exists(rpath("d1", "snapshots/" C2 "/a")));
	/* Gone now; and refs/main's revision is never removed. */
	CU_ASSERT_EQUAL(hfrev_drop(cache_dir("d1"), "org/m", C1, 1, &d, msg,
	    sizeof(msg)), ERR_NOTFOUND);
	CU_ASSERT_EQUAL(hfrev_drop(cache_dir("d1"), "org/m", C2, 1, &d, msg,
	    sizeof(msg)), ERR_CONFLICT);
	CU_ASSERT(exists(rpath("d1", "snapshots/" C2 "/a")));
}

static void
test_drop_locked(void)
{
	struct hfrev_dropped	 d;
	char			 msg[256], lock[1024];
	int			 fd;

	make_repo("d2", C2);
	/* Another process holds blob B's lock: B is kept. */
	snprintf(lock, sizeof(lock), "%s/d2/.locks/models--org--m/" B_B
	    ".lock", unit_scratch());
	unit_write_file(lock, "", 0);
	CU_ASSERT_FATAL((fd = open(lock, O_RDWR)) != -1);
	CU_ASSERT_EQUAL(flock(fd, LOCK_EX), 0);
	CU_ASSERT_EQUAL(hfrev_drop(cache_dir("d2"), "org/m", C1, 0, &d, msg,
	    sizeof(msg)), ERR_OK);
	CU_ASSERT_EQUAL(d.busy, 1);
	CU_ASSERT_EQUAL(d.blobs, 1);
	CU_ASSERT(exists(rpath("d2", "blobs/" B_B)));
	CU_ASSERT(!exists(rpath("d2", "blobs/" B_C)));
	close(fd);
}

static const struct unit_test tests[] = {
	{ "the installed revision", test_installed },
	{ "the blobs a snapshot names", test_blobs },
	{ "removing an old revision keeps shared blobs", test_drop },
	{ "a blob whose lock is held is kept", test_drop_locked },
	{ NULL, NULL }
};

UNIT_SUITE("hfrev", unit_scratch_init, unit_scratch_cleanup, tests)
