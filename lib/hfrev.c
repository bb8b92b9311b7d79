/*
 * The revisions of one repo of the HF cache (hfrev.h): the installed one,
 * the blobs a snapshot names, and the removal of a revision that is not
 * refs/main's any more.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dirat.h"
#include "fdio.h"
#include "hfrev.h"
#include "hfwrite.h"
#include "hubname.h"
#include "hubsnap.h"

#define HFREV_DEPTH_MAX		64		/* levels below snapshots/ */
#define HFREV_REFS_DEPTH	16		/* levels below refs/ */
#define HFREV_REVS_MAX		(1u << 20)	/* snapshots read */
#define HFREV_BLOBS_MAX		(1u << 24)	/* blob names in a set */
#define HFREV_LINK_MAX		4096		/* a link's text */
#define HFREV_BATCH		256		/* blob locks held at once */

/*
 * The installed revision.
 */

/* 1 if name is one of revs[0..n). */
static int
rev_listed(const char *name, char *const *revs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(revs[i], name) == 0)
			return 1;
	return 0;
}

/* 1 if snapshot a (mtime ma) is newer than b (mtime mb), name deciding a
 * tie. */
static int
rev_newer(const struct timespec *ma, const char *a,
    const struct timespec *mb, const char *b)
{

	if (ma->tv_sec != mb->tv_sec)
		return ma->tv_sec > mb->tv_sec;
	if (ma->tv_nsec != mb->tv_nsec)
		return ma->tv_nsec > mb->tv_nsec;
	return strcmp(a, b) > 0;
}

int
hfrev_head(int repofd, const char *main, char *const *revs, size_t nrevs,
    char out[41])
{
	struct stat	 st;
	struct timespec	 best = { 0, 0 };
	size_t		 i;
	int		 snapfd;

	out[0] = '\0';
	if (main != NULL && hubname_is_commit(main) == 0 &&
	    rev_listed(main, revs, nrevs)) {
		memcpy(out, main, 41);
		return 0;
	}
	if (nrevs == 0 || (snapfd = dirat_fd(repofd, "snapshots")) == -1)
		return -1;
	for (i = 0; i < nrevs; i++) {
		if (hubname_is_commit(revs[i]) == -1 || fstatat(snapfd,
		    revs[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (out[0] == '\0' || rev_newer(&st.st_mtim, revs[i], &best,
		    out)) {
			best = st.st_mtim;
			memcpy(out, revs[i], 41);
		}
	}
	close(snapfd);
	return out[0] != '\0' ? 0 : -1;
}

/* The content of refs/main into main when it is exactly a commit hash;
 * "" otherwise.  Never opened through a symlink. */
static void
read_main(int repofd, char main[41])
{
	size_t	 len = 0;
	int	 refsfd;

	main[0] = '\0';
	if ((refsfd = dirat_fd(repofd, "refs")) == -1)
		return;
	if (fdio_read_regular(refsfd, "main", main, 41, &len) != 0 ||
	    len != 40)
		len = 0;
	main[len] = '\0';
	close(refsfd);
}

/* The names of the entries of snapshots/ into *revs (*n of them). */
static enum err
list_revs(int repofd, char ***revs, size_t *n)
{
	struct dirent	*de;
	DIR		*d;
	char		**v;
	enum err	 e = ERR_OK;

	*revs = NULL;
	*n = 0;
	if ((d = dirat_open(repofd, "snapshots")) == NULL)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	while (e == ERR_OK && (de = readdir(d)) != NULL) {
		if (dirat_dots(de->d_name))
			continue;
		if (*n >= HFREV_REVS_MAX || (v = realloc(*revs, (*n + 1) *
		    sizeof(*v))) == NULL) {
			e = *n >= HFREV_REVS_MAX ? ERR_TOOBIG : ERR_NOMEM;
			break;
		}
		*revs = v;
		if (((*revs)[*n] = strdup(de->d_name)) == NULL)
			e = ERR_NOMEM;
		else
			(*n)++;
	}
	closedir(d);
	return e;
}

static void
free_revs(char **revs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(revs[i]);
	free(revs);
}

/* Opens the folder of the model repo_id in cache_dir: its descriptor, or
 * -1 with errno. */
static int
open_repo(const char *cache_dir, const char *repo_id)
{
	char	 folder[256];
	int	 cachefd, fd, saved;

	if (hubname_repo_folder("model", repo_id, folder, sizeof(folder)) ==
	    -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((cachefd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -1;
	fd = dirat_fd(cachefd, folder);
	saved = errno;
	close(cachefd);
	errno = saved;
	return fd;
}

enum err
hfrev_installed(const char *cache_dir, const char *repo_id, char out[41])
{
	char		**revs = NULL, main[41];
	size_t		 n = 0;
	enum err	 e;
	int		 repofd;

	out[0] = '\0';
	if ((repofd = open_repo(cache_dir, repo_id)) == -1)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	read_main(repofd, main);
	if ((e = list_revs(repofd, &revs, &n)) == ERR_OK &&
	    hfrev_head(repofd, main, revs, n, out) == -1)
		e = ERR_NOTFOUND;
	free_revs(revs, n);
	close(repofd);
	return e;
}

/*
 * The blobs snapshot links name.
 */

/* The blob name a link text ends with ("<...>blobs/<40 or 64 hex>") into
 * etag; -1 when it names none. */
static int
link_blob(const char *text, size_t len, char etag[65])
{
	const char	*base;
	size_t		 n;

	base = memrchr(text, '/', len);
	n = base != NULL ? len - (size_t)(base + 1 - text) : 0;
	if (base == NULL || (n != 40 && n != 64) || base - text < 5 ||
	    memcmp(base - 5, "blobs", 5) != 0 ||
	    (base - 5 != text && base[-6] != '/'))
		return -1;
	memcpy(etag, base + 1, n);
	etag[n] = '\0';
	return hubname_is_oid(etag);
}

/* Adds the blob the link name (in dfd) names to set, if any. */
static enum err
link_add(int dfd, const char *name, struct strset *set)
{
	char		 text[HFREV_LINK_MAX], etag[65];
	ssize_t		 len;
	uint64_t	 h;

	if ((len = readlinkat(dfd, name, text, sizeof(text))) == -1)
		return errno == ENOENT ? ERR_OK : ERR_IO;
	if ((size_t)len >= sizeof(text) ||
	    link_blob(text, (size_t)len, etag) == -1)
		return ERR_OK;
	h = strset_hash(etag, strlen(etag));
	if (strset_has(set, etag, strlen(etag), h))
		return ERR_OK;
	if (set->n >= HFREV_BLOBS_MAX)
		return ERR_TOOBIG;
	return strset_add(set, etag, strlen(etag), h);
}

/* Adds the blobs named by every link under the directory name of pfd,
 * depth levels down, to set. */
static enum err
links_in(int pfd, const char *name, unsigned depth, struct strset *set)
{
	struct dirent	*de;
	DIR		*d;
	enum err	 e = ERR_OK;

	if (depth > HFREV_DEPTH_MAX)
		return ERR_TOOBIG;
	if ((d = dirat_open(pfd, name)) == NULL)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	while (e == ERR_OK && (de = readdir(d)) != NULL) {
		if (dirat_dots(de->d_name))
			continue;
		switch (dirat_type(dirfd(d), de)) {
		case DT_DIR:
			e = links_in(dirfd(d), de->d_name, depth + 1, set);
			break;
		case DT_LNK:
			e = link_add(dirfd(d), de->d_name, set);
			break;
		default:
			break;
		}
	}
	closedir(d);
	return e == ERR_NOTFOUND && depth > 0 ? ERR_IO : e;
}

enum err
hfrev_blobs(const char *cache_dir, const char *repo_id, const char *commit,
    struct strset *set)
{
	enum err	 e;
	int		 repofd, snapfd;

	if (hubname_is_commit(commit) == -1)
		return ERR_NOTFOUND;
	if ((repofd = open_repo(cache_dir, repo_id)) == -1)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	if ((snapfd = dirat_fd(repofd, "snapshots")) == -1)
		e = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	else {
		e = links_in(snapfd, commit, 0, set);
		close(snapfd);
	}
	close(repofd);
	return e;
}

/*
 * Removing a revision.
 */

struct drop {
	const char		*repo_id;
	const char		*old;
	char			 folder[256];
	int			 repofd, snapfd, blobsfd, locksfd, stagefd;
	int			 lockfd;		/* the staging lock */
	double			 deadline;		/* for the locks */
	struct hfrev_dropped	*out;
	char			*msg;
	size_t			 msglen;
};

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Records the failure of what (errno) in the message; returns e. */
static enum err
drop_fail(struct drop *dp, enum err e, const char *what)
{

	snprintf(dp->msg, dp->msglen, "Cannot remove revision %s of %s: %s: "
	    "%s", dp->old, dp->repo_id, what, strerror(errno));
	return e;
}

/* Takes the lock name of dp->locksfd, waiting until the deadline: its
 * descriptor, or -1 (errno EWOULDBLOCK when it stayed held). */
static int
drop_lock(struct drop *dp, const char *name)
{
	struct timespec	 nap = { 0, 50 * 1000 * 1000 };
	int		 fd;

	while ((fd = hfwrite_lock(dp->locksfd, name)) == -1 &&
	    errno == EWOULDBLOCK && now_s() < dp->deadline)
		nanosleep(&nap, NULL);
	return fd;
}

/* The directories of the repo, its lock folder and its staging lock. */
static enum err
drop_open(struct drop *dp, const char *cache_dir)
{
	int	 locks;

	if ((dp->repofd = open_repo(cache_dir, dp->repo_id)) == -1)
		return errno == ENOENT ? ERR_NOTFOUND :
		    drop_fail(dp, ERR_IO, "the repo folder");
	if ((dp->snapfd = dirat_fd(dp->repofd, "snapshots")) == -1)
		return errno == ENOENT ? ERR_NOTFOUND :
		    drop_fail(dp, ERR_IO, "snapshots");
	if ((dp->blobsfd = hfwrite_dir(dp->repofd, "blobs", 1)) == -1)
		return drop_fail(dp, ERR_IO, "blobs");
	if ((dp->stagefd = hfwrite_dir(dp->repofd, HUBSNAP_STAGING, 1)) == -1)
		return drop_fail(dp, ERR_IO, HUBSNAP_STAGING);
	if ((locks = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return drop_fail(dp, ERR_IO, "the cache");
	dp->locksfd = hfwrite_dir(locks, ".locks", 1);
	close(locks);
	if (dp->locksfd == -1 || (locks = hfwrite_dir(dp->locksfd,
	    dp->folder, 1)) == -1)
		return drop_fail(dp, ERR_IO, ".locks");
	close(dp->locksfd);
	dp->locksfd = locks;
	if ((dp->lockfd = drop_lock(dp, HUBSNAP_LOCK)) == -1)
		return errno == EWOULDBLOCK ? ERR_TIMEOUT :
		    drop_fail(dp, ERR_IO, "the staging lock");
	return ERR_OK;
}

/* The checks before anything is removed: the snapshot is there, and
 * refs/main does not name it. */
static enum err
drop_check(struct drop *dp)
{
	struct stat	 st;
	char		 main[41];

	if (fstatat(dp->snapfd, dp->old, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(st.st_mode))
		return ERR_NOTFOUND;
	read_main(dp->repofd, main);
	if (strcmp(main, dp->old) == 0) {
		snprintf(dp->msg, dp->msglen, "Revision %s of %s is the one "
		    "refs/main names: it is not removed", dp->old,
		    dp->repo_id);
		return ERR_CONFLICT;
	}
	return ERR_OK;
}

static enum err	 refs_drop(struct drop *, int, unsigned);

/* One entry of a refs/ directory dfd: a regular file holding exactly
 * dp->old is removed, a directory walked. */
static enum err
ref_entry(struct drop *dp, int dfd, const struct dirent *de, unsigned depth)
{
	char	 buf[41];
	size_t	 len;
	int	 sub;

	switch (dirat_type(dfd, de)) {
	case DT_DIR:
		if (depth >= HFREV_REFS_DEPTH ||
		    (sub = dirat_fd(dfd, de->d_name)) == -1)
			return ERR_OK;
		return refs_drop(dp, sub, depth + 1);
	case DT_REG:
		if (fdio_read_regular(dfd, de->d_name, buf, sizeof(buf),
		    &len) != 0 || len != 40 || memcmp(buf, dp->old, 40) != 0)
			return ERR_OK;
		if (unlinkat(dfd, de->d_name, 0) == -1 && errno != ENOENT)
			return drop_fail(dp, ERR_IO, "a ref naming it");
		dp->out->refs++;
		return ERR_OK;
	default:
		return ERR_OK;
	}
}

/* Removes the refs naming dp->old under the refs directory dfd (closed
 * here), depth levels below refs/. */
static enum err
refs_drop(struct drop *dp, int dfd, unsigned depth)
{
	struct dirent	*de;
	DIR		*d;
	enum err	 e = ERR_OK;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return drop_fail(dp, ERR_IO, "refs");
	}
	while (e == ERR_OK && (de = readdir(d)) != NULL)
		if (!dirat_dots(de->d_name))
			e = ref_entry(dp, dirfd(d), de, depth);
	closedir(d);
	return e;
}

/* The revision disappears in one rename: snapshots/<old> moves to
 * .mm-staging/<old> (a leftover of that name is removed first). */
static enum err
drop_move(struct drop *dp)
{
	int	 refs;

	if ((refs = dirat_fd(dp->repofd, "refs")) != -1 &&
	    refs_drop(dp, refs, 0) != ERR_OK)
		return ERR_IO;
	if (hfwrite_rmtree(dp->stagefd, dp->old) == -1)
		return drop_fail(dp, ERR_IO, HUBSNAP_STAGING);
	if (renameat(dp->snapfd, dp->old, dp->stagefd, dp->old) == -1)
		return drop_fail(dp, ERR_IO, "its snapshot");
	return ERR_OK;
}

static int
name_cmp(const void *a, const void *b)
{

	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of set, sorted, in a malloc'd array of *n borrowed strings;
 * NULL on out-of-memory. */
static const char **
set_sorted(const struct strset *set, size_t *n)
{
	const char	**v;
	size_t		 i;

	*n = 0;
	if ((v = calloc(set->n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < set->cap; i++)
		if (set->tab[i].key != NULL)
			v[(*n)++] = set->tab[i].key;
	qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

/*
 * Among names[0..n), whose locks fds[i] are held (-1: it stayed busy),
 * removes each blob that no remaining snapshot names: read now, under
 * the locks, so that a writer that links a blob while holding its lock
 * (huggingface_hub does) is never left with a broken link.
 */
static enum err
drop_unused(struct drop *dp, const char *const *names, const int *fds,
    size_t n)
{
	struct strset	 keep = STRSET_INIT;
	struct stat	 st;
	enum err	 e;
	size_t		 i, len;

	if ((e = links_in(dp->repofd, "snapshots", 0, &keep)) != ERR_OK) {
		strset_clear(&keep);
		errno = e == ERR_TOOBIG ? E2BIG : errno;
		return e == ERR_NOMEM ? e :
		    drop_fail(dp, ERR_IO, "reading the remaining snapshots");
	}
	for (i = 0; i < n && e == ERR_OK; i++) {
		len = strlen(names[i]);
		if (fds[i] == -1)
			dp->out->busy++;
		else if (strset_has(&keep, names[i], len,
		    strset_hash(names[i], len)))
			dp->out->shared++;
		else if (fstatat(dp->blobsfd, names[i], &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		else if (unlinkat(dp->blobsfd, names[i], 0) == -1)
			e = drop_fail(dp, ERR_IO, "a blob only it used");
		else {
			dp->out->blobs++;
			dp->out->bytes += (uint64_t)st.st_size;
		}
	}
	strset_clear(&keep);
	return e;
}

/* drop_unused for names[0..n) (n <= HFREV_BATCH), their locks taken in
 * order first and released after. */
static enum err
drop_batch(struct drop *dp, const char *const *names, size_t n)
{
	char		 lock[80];
	int		 fds[HFREV_BATCH];
	size_t		 i;
	enum err	 e;

	for (i = 0; i < n; i++) {
		snprintf(lock, sizeof(lock), "%s.lock", names[i]);
		fds[i] = drop_lock(dp, lock);
	}
	e = drop_unused(dp, names, fds, n);
	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
	return e;
}

/* The blobs the moved snapshot names, batch after batch. */
static enum err
drop_blobs(struct drop *dp)
{
	struct strset	 old = STRSET_INIT;
	const char	**names = NULL;
	size_t		 n = 0, i;
	enum err	 e;

	if ((e = links_in(dp->stagefd, dp->old, 0, &old)) != ERR_OK &&
	    e != ERR_NOMEM)
		e = drop_fail(dp, ERR_IO, "reading its snapshot");
	if (e == ERR_OK && (names = set_sorted(&old, &n)) == NULL)
		e = ERR_NOMEM;
	for (i = 0; e == ERR_OK && i < n; i += HFREV_BATCH)
		e = drop_batch(dp, names + i, n - i < HFREV_BATCH ? n - i :
		    HFREV_BATCH);
	free(names);
	strset_clear(&old);
	return e;
}

/* The moved snapshot and trees/<old>.json go last. */
static enum err
drop_finish(struct drop *dp)
{
	char	 name[64];
	int	 trees;

	if (hfwrite_rmtree(dp->stagefd, dp->old) == -1)
		return drop_fail(dp, ERR_IO, HUBSNAP_STAGING);
	(void)unlinkat(dp->repofd, HUBSNAP_STAGING, AT_REMOVEDIR); /* empty */
	snprintf(name, sizeof(name), "%s.json", dp->old);
	if ((trees = dirat_fd(dp->repofd, "trees")) != -1) {
		if (unlinkat(trees, name, 0) == -1 && errno != ENOENT) {
			close(trees);
			return drop_fail(dp, ERR_IO, "its trees/ listing");
		}
		close(trees);
	}
	return ERR_OK;
}

static void
drop_close(struct drop *dp)
{
	int	*fds[] = { &dp->lockfd, &dp->stagefd, &dp->locksfd,
		    &dp->blobsfd, &dp->snapfd, &dp->repofd };
	size_t	 i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] != -1)
			close(*fds[i]);
}

enum err
hfrev_drop(const char *cache_dir, const char *repo_id, const char *old,
    unsigned lock_wait_s, struct hfrev_dropped *out, char *msg,
    size_t msglen)
{
	struct drop	 dp;
	char		 nomsg[8];
	enum err	 e;

	memset(out, 0, sizeof(*out));
	memset(&dp, 0, sizeof(dp));
	dp.repofd = dp.snapfd = dp.blobsfd = dp.locksfd = dp.stagefd =
	    dp.lockfd = -1;
	dp.repo_id = repo_id;
	dp.old = old;
	dp.out = out;
	dp.msg = msg != NULL && msglen > 0 ? msg : nomsg;
	dp.msglen = msg != NULL && msglen > 0 ? msglen : sizeof(nomsg);
	dp.msg[0] = '\0';
	dp.deadline = now_s() + lock_wait_s;
	if (hubname_is_commit(old) == -1 || hubname_repo_folder("model",
	    repo_id, dp.folder, sizeof(dp.folder)) == -1)
		return ERR_NOTFOUND;
	if ((e = drop_open(&dp, cache_dir)) == ERR_OK &&
	    (e = drop_check(&dp)) == ERR_OK &&
	    (e = drop_move(&dp)) == ERR_OK &&
	    (e = drop_blobs(&dp)) == ERR_OK)
		e = drop_finish(&dp);
	drop_close(&dp);
	return e;
}
