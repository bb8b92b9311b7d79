/*
 * The cache doctor: /proc/locks, the scan of a repo folder (every kind of
 * item, hostile trees) and the prune (what stays, what goes, re-checks).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "hfdoctor.h"
#include "hfprune.h"
#include "proclocks.h"
#include "unit.h"

#define C1	"1111111111111111111111111111111111111111"
#define C2	"2222222222222222222222222222222222222222"
#define REPO	"models--org--m"
#define OLD	(time(NULL) - 7200)

/* <scratch>/<cache>/<rel> in one of four rotating buffers. */
static char *
path(const char *cache, const char *rel)
{
	static char	 buf[4][1024];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s%s%s", unit_scratch(), cache,
	    *rel ? "/" : "", rel);
	return buf[i];
}

/* Writes n bytes at <cache>/<rel>, its mtime t (0: now). */
static void
file_at(const char *cache, const char *rel, size_t n, time_t t)
{
	struct timespec	 ts[2];
	char		*data = calloc(1, n + 1);

	CU_ASSERT_FATAL(data != NULL);
	memset(data, 'x', n);
	unit_write_file(path(cache, rel), data, n);
	free(data);
	if (t == 0)
		return;
	ts[0].tv_sec = ts[1].tv_sec = t;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	CU_ASSERT_EQUAL(utimensat(AT_FDCWD, path(cache, rel), ts,
	    AT_SYMLINK_NOFOLLOW), 0);
}

static void
link_at(const char *cache, const char *target, const char *rel)
{

	CU_ASSERT_EQUAL(symlink(target, path(cache, rel)), 0);
}

static void
dir_at(const char *cache, const char *rel)
{
	char	 cmd[1200];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path(cache, rel));
	CU_ASSERT_EQUAL(system(cmd), 0);
}

/* Sets the mtime of every entry of <cache> (links too) to t. */
static void
age_all(const char *cache, time_t t)
{
	char	 cmd[1200];

	snprintf(cmd, sizeof(cmd), "find '%s' -exec touch -h -d @%lld {} +",
	    path(cache, ""), (long long)t);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

/*
 * A repo with every kind of item: revision C1 (refs/main) links b1 and
 * b2; detached C2 links b2 and b3; b4 is an orphan; three partials (ours,
 * multi-part with its map, another tool's); a FIFO named like a partial;
 * a broken link and an odd link in C1; stale locks b1.lock and zz.lock.
 */
static void
make_repo(const char *cache)
{
	dir_at(cache, REPO "/snapshots/" C1 "/sub");
	dir_at(cache, REPO "/snapshots/" C2);
	dir_at(cache, REPO "/refs");
	dir_at(cache, ".locks/" REPO);
	unit_write_file(path(cache, REPO "/refs/main"), C1, 40);
	file_at(cache, REPO "/blobs/b1", 100, 0);
	file_at(cache, REPO "/blobs/b2", 200, 0);
	file_at(cache, REPO "/blobs/b3", 300, 0);
	file_at(cache, REPO "/blobs/b4", 400, 0);
	file_at(cache, REPO "/blobs/e5.incomplete", 50, 0);
	file_at(cache, REPO "/blobs/e6.mm.incomplete", 60, 0);
	file_at(cache, REPO "/blobs/e7.1a2b3c4d.incomplete", 70, 0);
	CU_ASSERT_EQUAL(mkfifo(path(cache, REPO "/blobs/f9.incomplete"),
	    0644), 0);
	link_at(cache, "../../blobs/b1", REPO "/snapshots/" C1 "/a");
	link_at(cache, "../../blobs/b2", REPO "/snapshots/" C1 "/b");
	link_at(cache, "../../../blobs/gone", REPO "/snapshots/" C1 "/sub/x");
	link_at(cache, "/etc/passwd", REPO "/snapshots/" C1 "/odd");
	link_at(cache, "../../blobs/b2", REPO "/snapshots/" C2 "/b");
	link_at(cache, "../../blobs/b3", REPO "/snapshots/" C2 "/c");
	file_at(cache, ".locks/" REPO "/e5.lock", 0, 0);
	file_at(cache, ".locks/" REPO "/e6.mm.parts", 16, 0);
	file_at(cache, ".locks/" REPO "/b1.lock", 0, 0);
	file_at(cache, ".locks/" REPO "/zz.lock", 0, 0);
}

static int
cachefd_of(const char *cache)
{
	int	 fd = open(path(cache, ""), O_RDONLY | O_DIRECTORY);

	CU_ASSERT_FATAL(fd != -1);
	return fd;
}

/* Scans the repo of cache with the host's /proc/locks. */
static enum err
scan(const char *cache, struct hfdoc_repo *r)
{
	struct proclocks	 locks;
	struct hfdoc_opts	 o;
	enum err		 e;
	int			 fd = cachefd_of(cache);

	CU_ASSERT_EQUAL(proclocks_load("/proc/locks", &locks), ERR_OK);
	memset(&o, 0, sizeof(o));
	o.now = (int64_t)time(NULL);
	o.locks = &locks;
	e = hfdoc_repo_scan(fd, REPO, &o, r);
	proclocks_free(&locks);
	close(fd);
	return e;
}

/* The item of kind named <cache-relative name>, or NULL. */
static const struct hfdoc_item *
find(const struct hfdoc_repo *r, enum hfdoc_kind kind, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		if (r->items[i].kind == kind &&
		    strcmp(r->items[i].name, name) == 0)
			return &r->items[i];
	return NULL;
}

static size_t
count(const struct hfdoc_repo *r, enum hfdoc_kind kind)
{
	size_t	 i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->items[i].kind == kind;
	return n;
}

static void
test_proclocks(void)
{
	static const char text[] =
	    "1: FLOCK  ADVISORY  WRITE 32538 fe:00:10952790 0 EOF\n"
	    "2: -> FLOCK  ADVISORY  WRITE 32540 fe:01:77 0 EOF\n"
	    "3: POSIX  ADVISORY  READ 12 103:02:5 0 EOF\n"
	    "garbage line\n"
	    "4: OFDLCK ADVISORY WRITE -1 zz:00:1 0 EOF";
	struct proclocks	 l;

	CU_ASSERT_EQUAL(proclocks_parse(text, sizeof(text) - 1, &l), ERR_OK);
	CU_ASSERT_EQUAL(l.n, 3);
	CU_ASSERT_EQUAL(proclocks_held(&l, makedev(0xfe, 0), 10952790), 1);
	CU_ASSERT_EQUAL(proclocks_held(&l, makedev(0xfe, 1), 77), 1);
	CU_ASSERT_EQUAL(proclocks_held(&l, makedev(0x103, 2), 5), 1);
	CU_ASSERT_EQUAL(proclocks_held(&l, makedev(0xfe, 0), 77), 0);
	CU_ASSERT_EQUAL(proclocks_held(&l, makedev(0xfe, 1), 78), 0);
	proclocks_forget(&l, makedev(0xfe, 1), 77);
	CU_ASSERT_EQUAL(proclocks_held(&l, makedev(0xfe, 1), 77), 0);
	CU_ASSERT_EQUAL(proclocks_held(NULL, 0, 1), -1);
	proclocks_free(&l);
	CU_ASSERT_EQUAL(proclocks_load("/nonexistent/locks", &l), ERR_OK);
	CU_ASSERT_EQUAL(proclocks_held(&l, 0, 1), -1);
	proclocks_free(&l);
}

/* A flock this process takes shows in /proc/locks; released, it goes. */
static void
test_proclocks_live(void)
{
	struct proclocks	 l;
	struct stat		 st;
	int			 fd;

	file_at("live", "f.lock", 0, 0);
	fd = open(path("live", "f.lock"), O_RDWR);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT_EQUAL(fstat(fd, &st), 0);
	CU_ASSERT_EQUAL(flock(fd, LOCK_EX), 0);
	CU_ASSERT_EQUAL(proclocks_load("/proc/locks", &l), ERR_OK);
	CU_ASSERT_EQUAL(proclocks_held(&l, st.st_dev, st.st_ino), 1);
	proclocks_free(&l);
	close(fd);
	CU_ASSERT_EQUAL(proclocks_load("/proc/locks", &l), ERR_OK);
	CU_ASSERT_EQUAL(proclocks_held(&l, st.st_dev, st.st_ino), 0);
	proclocks_free(&l);
}

static void
test_kinds(void)
{
	struct hfdoc_repo	 r;
	const struct hfdoc_item	*it;

	make_repo("k");
	CU_ASSERT_EQUAL_FATAL(scan("k", &r), ERR_OK);
	CU_ASSERT_STRING_EQUAL(r.type, "model");
	CU_ASSERT_STRING_EQUAL(r.id, "org/m");
	CU_ASSERT_EQUAL(r.nrevisions, 2);
	CU_ASSERT_EQUAL(r.nrefs, 1);
	CU_ASSERT_PTR_NULL(r.warning);
	CU_ASSERT_EQUAL(count(&r, HFDOC_PARTIAL), 3);	/* not the FIFO */
	it = find(&r, HFDOC_PARTIAL, REPO "/blobs/e5.incomplete");
	CU_ASSERT_FATAL(it != NULL);
	CU_ASSERT_EQUAL(it->writer, HFDOC_W_SINGLE);
	CU_ASSERT_STRING_EQUAL(it->etag, "e5");
	CU_ASSERT_EQUAL(it->apparent, 50);
	CU_ASSERT_EQUAL(it->held, 0);
	it = find(&r, HFDOC_PARTIAL, REPO "/blobs/e6.mm.incomplete");
	CU_ASSERT_FATAL(it != NULL);
	CU_ASSERT_EQUAL(it->writer, HFDOC_W_MULTIPART);
	CU_ASSERT_STRING_EQUAL(it->map, ".locks/" REPO "/e6.mm.parts");
	CU_ASSERT_EQUAL(it->apparent, 60 + 16);		/* its map too */
	it = find(&r, HFDOC_PARTIAL, REPO "/blobs/e7.1a2b3c4d.incomplete");
	CU_ASSERT_FATAL(it != NULL);
	CU_ASSERT_EQUAL(it->writer, HFDOC_W_OTHER);
	/* b4 alone is an orphan: b3 is the detached revision's. */
	CU_ASSERT_EQUAL(count(&r, HFDOC_ORPHAN), 1);
	CU_ASSERT_PTR_NOT_NULL(find(&r, HFDOC_ORPHAN, REPO "/blobs/b4"));
	/* The scan's partial bytes: partial files (maps aside) + orphans. */
	CU_ASSERT_EQUAL(r.partial_size, 50 + 60 + 70 + 400);
	hfdoc_repo_free(&r);
}

static void
test_detached_broken_locks(void)
{
	struct hfdoc_repo	 r;
	const struct hfdoc_item	*it;

	make_repo("d");
	CU_ASSERT_EQUAL_FATAL(scan("d", &r), ERR_OK);
	CU_ASSERT_EQUAL(count(&r, HFDOC_DETACHED), 1);
	it = find(&r, HFDOC_DETACHED, REPO "/snapshots/" C2);
	CU_ASSERT_FATAL(it != NULL);
	CU_ASSERT_STRING_EQUAL(it->etag, C2);
	CU_ASSERT_EQUAL(it->files, 2);
	CU_ASSERT_EQUAL_FATAL(it->nblobs, 1);
	CU_ASSERT_STRING_EQUAL(it->blobs[0], "b3");
	CU_ASSERT_EQUAL_FATAL(it->nshared, 1);
	CU_ASSERT_STRING_EQUAL(it->shared[0], "b2");
	CU_ASSERT_EQUAL(it->shared_bytes, 200);
	/* du -b: the directory, the two links' texts and b3. */
	CU_ASSERT(it->apparent > 300 + 28);
	CU_ASSERT_EQUAL(count(&r, HFDOC_BROKEN_LINK), 2);
	it = find(&r, HFDOC_BROKEN_LINK, REPO "/snapshots/" C1 "/sub/x");
	CU_ASSERT(it != NULL && strcmp(it->reason, "missing_blob") == 0);
	it = find(&r, HFDOC_BROKEN_LINK, REPO "/snapshots/" C1 "/odd");
	CU_ASSERT(it != NULL && strcmp(it->reason, "not_a_blob_link") == 0);
	/* e5.lock and the map belong to partials; b1.lock and zz.lock are
	 * stale. */
	CU_ASSERT_EQUAL(count(&r, HFDOC_STALE_LOCK), 2);
	CU_ASSERT_PTR_NOT_NULL(find(&r, HFDOC_STALE_LOCK,
	    ".locks/" REPO "/b1.lock"));
	CU_ASSERT_PTR_NOT_NULL(find(&r, HFDOC_STALE_LOCK,
	    ".locks/" REPO "/zz.lock"));
	CU_ASSERT_EQUAL(count(&r, HFDOC_STAGING), 0);
	hfdoc_repo_free(&r);
}

/* A lock someone holds: its partial is held, and the lock is not stale. */
static void
test_held(void)
{
	struct hfdoc_repo	 r;
	const struct hfdoc_item	*it;
	int			 fd1, fd2;

	make_repo("h");
	fd1 = open(path("h", ".locks/" REPO "/e5.lock"), O_RDWR);
	fd2 = open(path("h", ".locks/" REPO "/zz.lock"), O_RDWR);
	CU_ASSERT_FATAL(fd1 != -1 && fd2 != -1);
	CU_ASSERT_EQUAL(flock(fd1, LOCK_EX), 0);
	CU_ASSERT_EQUAL(flock(fd2, LOCK_SH), 0);
	CU_ASSERT_EQUAL_FATAL(scan("h", &r), ERR_OK);
	it = find(&r, HFDOC_PARTIAL, REPO "/blobs/e5.incomplete");
	CU_ASSERT(it != NULL && it->held == 1);
	CU_ASSERT_PTR_NULL(find(&r, HFDOC_STALE_LOCK,
	    ".locks/" REPO "/zz.lock"));
	hfdoc_repo_free(&r);
	close(fd1);
	close(fd2);
}

/* Without a ref every revision is the repo's: none is detached. */
static void
test_no_refs(void)
{
	struct hfdoc_repo	 r;

	make_repo("n");
	CU_ASSERT_EQUAL(unlink(path("n", REPO "/refs/main")), 0);
	CU_ASSERT_EQUAL_FATAL(scan("n", &r), ERR_OK);
	CU_ASSERT_EQUAL(r.nrefs, 0);
	CU_ASSERT_EQUAL(count(&r, HFDOC_DETACHED), 0);
	CU_ASSERT_EQUAL(count(&r, HFDOC_ORPHAN), 1);	/* b4 still */
	hfdoc_repo_free(&r);
}

/* Staging keeps the blobs it links, and is an item of its own. */
static void
test_staging(void)
{
	struct hfdoc_repo	 r;

	make_repo("s");
	dir_at("s", REPO "/.mm-staging/" C1);
	link_at("s", "../../blobs/b4", REPO "/.mm-staging/" C1 "/w");
	CU_ASSERT_EQUAL_FATAL(scan("s", &r), ERR_OK);
	CU_ASSERT_EQUAL(count(&r, HFDOC_ORPHAN), 0);
	CU_ASSERT_EQUAL(count(&r, HFDOC_STAGING), 1);
	CU_ASSERT_EQUAL(count(&r, HFDOC_BROKEN_LINK), 2);
	/* Still partial bytes for the list (the scan's rule). */
	CU_ASSERT_EQUAL(r.partial_size, 50 + 60 + 70 + 400);
	hfdoc_repo_free(&r);
}

/* Hostile trees: a symlinked blobs/ or lock folder, a deep tree, a repo
 * folder that is a symlink. */
static void
test_hostile(void)
{
	struct hfdoc_repo	 r;
	const struct hfdoc_item	*it;
	char			 p[1200];
	int			 fd;

	make_repo("x1");
	snprintf(p, sizeof(p), "%s", path("x1", REPO "/blobs"));
	CU_ASSERT_EQUAL(rename(p, path("x1", "elsewhere")), 0);
	CU_ASSERT_EQUAL(symlink(path("x1", "elsewhere"), p), 0);
	CU_ASSERT_EQUAL_FATAL(scan("x1", &r), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(r.warning);
	CU_ASSERT_EQUAL(count(&r, HFDOC_ORPHAN) + count(&r, HFDOC_PARTIAL) +
	    count(&r, HFDOC_DETACHED), 0);
	hfdoc_repo_free(&r);

	make_repo("x2");
	snprintf(p, sizeof(p), "%s", path("x2", ".locks/" REPO));
	CU_ASSERT_EQUAL(rename(p, path("x2", "lk")), 0);
	CU_ASSERT_EQUAL(symlink(path("x2", "lk"), p), 0);
	CU_ASSERT_EQUAL_FATAL(scan("x2", &r), ERR_OK);
	it = find(&r, HFDOC_PARTIAL, REPO "/blobs/e5.incomplete");
	CU_ASSERT(it != NULL && it->held == -1);
	CU_ASSERT_EQUAL(count(&r, HFDOC_STALE_LOCK), 0);
	hfdoc_repo_free(&r);

	make_repo("x3");
	fd = open(path("x3", REPO "/snapshots/" C1), O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(fd != -1);
	close(unit_nest(fd, 80, 8));
	CU_ASSERT_EQUAL_FATAL(scan("x3", &r), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL(r.warning);
	CU_ASSERT_EQUAL(count(&r, HFDOC_ORPHAN) + count(&r, HFDOC_DETACHED),
	    0);
	hfdoc_repo_free(&r);

	dir_at("x4", "real/blobs");
	CU_ASSERT_EQUAL(symlink(path("x4", "real"), path("x4", REPO)), 0);
	CU_ASSERT_EQUAL(scan("x4", &r), ERR_INVAL);
}

/* Every item goes but what a ref uses, what is held and what is new. */
struct outcome {
	size_t		 removed, held, recent;
	uint64_t	 bytes;
};

static void
note_cb(void *arg, const struct hfdoc_item *it, enum hfprune_skip why)
{
	struct outcome	*o = arg;

	if (why == HFPRUNE_GO) {
		o->removed++;
		o->bytes += it->apparent;
	} else if (why == HFPRUNE_HELD)
		o->held++;
	else if (why == HFPRUNE_RECENT)
		o->recent++;
}

static enum err
prune(const char *cache, unsigned kinds, unsigned min_age,
    struct outcome *out)
{
	struct hfprune_opts	 o;
	int			 fd = cachefd_of(cache);
	enum err		 e;

	memset(out, 0, sizeof(*out));
	memset(&o, 0, sizeof(o));
	o.kinds = kinds;
	o.min_age = min_age;
	o.locks_path = "/proc/locks";
	o.note = note_cb;
	o.arg = out;
	e = hfprune_repo(fd, REPO, &o);
	close(fd);
	return e;
}

static int
exists(const char *cache, const char *rel)
{
	struct stat	 st;

	return lstat(path(cache, rel), &st) == 0;
}

static void
test_prune(void)
{
	struct hfdoc_repo	 r;
	struct outcome		 out;
	uint64_t		 planned = 0;
	size_t			 i;
	int			 fd;

	make_repo("p");
	age_all("p", OLD);
	fd = open(path("p", ".locks/" REPO "/e5.lock"), O_RDWR);
	CU_ASSERT_FATAL(fd != -1);
	CU_ASSERT_EQUAL(flock(fd, LOCK_EX), 0);
	CU_ASSERT_EQUAL_FATAL(scan("p", &r), ERR_OK);
	for (i = 0; i < r.n; i++)
		if (r.items[i].kind != HFDOC_BROKEN_LINK && !(r.items[i].kind ==
		    HFDOC_PARTIAL && r.items[i].held))
			planned += r.items[i].apparent;
	hfdoc_repo_free(&r);
	CU_ASSERT_EQUAL(prune("p", HFPRUNE_KINDS, 3600, &out), ERR_OK);
	/* The two partials, b4, C2 (with b3), b1.lock and zz.lock. */
	CU_ASSERT_EQUAL(out.removed, 6);
	CU_ASSERT_EQUAL(out.held, 1);
	CU_ASSERT_EQUAL(out.bytes, planned);
	CU_ASSERT(exists("p", REPO "/blobs/e5.incomplete"));
	CU_ASSERT(!exists("p", REPO "/blobs/e6.mm.incomplete"));
	CU_ASSERT(!exists("p", ".locks/" REPO "/e6.mm.parts"));
	CU_ASSERT(!exists("p", REPO "/blobs/e7.1a2b3c4d.incomplete"));
	CU_ASSERT(exists("p", REPO "/blobs/f9.incomplete"));	/* FIFO */
	CU_ASSERT(!exists("p", REPO "/blobs/b4"));
	CU_ASSERT(!exists("p", REPO "/snapshots/" C2));
	CU_ASSERT(!exists("p", REPO "/blobs/b3"));
	CU_ASSERT(exists("p", REPO "/blobs/b1"));
	CU_ASSERT(exists("p", REPO "/blobs/b2"));	/* C1 uses it */
	CU_ASSERT(exists("p", REPO "/snapshots/" C1 "/a"));
	CU_ASSERT(exists("p", ".locks/" REPO "/e5.lock"));
	CU_ASSERT(!exists("p", ".locks/" REPO "/zz.lock"));
	close(fd);
}

/* What was modified within the minimum age stays; the kinds not asked
 * for stay. */
static void
test_prune_recent_kinds(void)
{
	struct outcome	 out;

	make_repo("r");
	CU_ASSERT_EQUAL(prune("r", HFPRUNE_KINDS, 3600, &out), ERR_OK);
	CU_ASSERT_EQUAL(out.removed, 0);
	CU_ASSERT_EQUAL(out.recent, 7);
	CU_ASSERT(exists("r", REPO "/blobs/b4"));
	age_all("r", OLD);
	CU_ASSERT_EQUAL(prune("r", 1u << HFDOC_PARTIAL, 3600, &out), ERR_OK);
	CU_ASSERT_EQUAL(out.removed, 3);
	CU_ASSERT(exists("r", REPO "/blobs/b4"));
	CU_ASSERT(exists("r", REPO "/snapshots/" C2));
	CU_ASSERT(!exists("r", REPO "/blobs/e5.incomplete"));
	CU_ASSERT_EQUAL(prune("r", 1u << HFDOC_ORPHAN, 0, &out), ERR_OK);
	CU_ASSERT_EQUAL(out.removed, 1);
	CU_ASSERT(!exists("r", REPO "/blobs/b4"));
	CU_ASSERT(exists("r", REPO "/blobs/b3"));
}

/* A prune never follows a symlink out of the cache. */
static void
test_prune_symlinks(void)
{
	struct outcome	 out;

	make_repo("y");
	file_at("y", "victim/b9", 10, 0);
	file_at("y", "victim/v.incomplete", 10, 0);
	link_at("y", path("y", "victim/b9"), REPO "/blobs/b8");
	link_at("y", path("y", "victim"), REPO "/snapshots/" C2 "/dir");
	age_all("y", OLD);
	CU_ASSERT_EQUAL(prune("y", HFPRUNE_KINDS, 3600, &out), ERR_OK);
	CU_ASSERT(!exists("y", REPO "/snapshots/" C2));
	CU_ASSERT(exists("y", "victim/b9"));
	CU_ASSERT(exists("y", "victim/v.incomplete"));
	CU_ASSERT(exists("y", REPO "/blobs/b8"));	/* a link: not a blob */
}

/* The stop callback runs before each item is planned: the first time,
 * a revision of the ref starts using the orphan b4. */
static int
link_b4(void *arg)
{
	int	*done = arg;

	if (*done == 0) {
		*done = 1;
		link_at("c", "../../blobs/b4", REPO "/snapshots/" C1 "/late");
	}
	return 0;
}

/* Each item is checked again, its locks held, right before it goes: a
 * blob a revision started to use meanwhile stays. */
static void
test_prune_recheck(void)
{
	struct hfprune_opts	 o;
	int			 done = 0, fd;

	make_repo("c");
	age_all("c", OLD);
	memset(&o, 0, sizeof(o));
	o.kinds = 1u << HFDOC_ORPHAN;
	o.min_age = 3600;
	o.locks_path = "/proc/locks";
	o.stop = link_b4;
	o.arg = &done;
	fd = cachefd_of("c");
	CU_ASSERT_EQUAL(hfprune_repo(fd, REPO, &o), ERR_OK);
	close(fd);
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT(exists("c", REPO "/blobs/b4"));
	CU_ASSERT(exists("c", REPO "/snapshots/" C1 "/late"));
}

static const struct unit_test tests[] = {
	{ "/proc/locks: parsed, looked up, forgotten", test_proclocks },
	{ "/proc/locks: a flock shows while held", test_proclocks_live },
	{ "scan: partials, orphans, partial bytes", test_kinds },
	{ "scan: detached revision, broken links, stale locks",
	    test_detached_broken_locks },
	{ "scan: held locks", test_held },
	{ "scan: no ref, no detached revision", test_no_refs },
	{ "scan: staging keeps its blobs", test_staging },
	{ "scan: hostile trees", test_hostile },
	{ "prune: keeps what a ref uses and what is held", test_prune },
	{ "prune: minimum age and kinds", test_prune_recent_kinds },
	{ "prune: symlinks are never followed", test_prune_symlinks },
	{ "prune: each item checked again before it goes",
	    test_prune_recheck },
	{ NULL, NULL }
};

UNIT_SUITE("hfdoctor", unit_scratch_init, unit_scratch_cleanup, tests)
