#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "dirat.h"
#include "hfdelete.h"
#include "log.h"

#define WALK_DEPTH_MAX	256		/* directory levels below a repo */
#define INODES_MAX	(1u << 20)	/* hard-linked files in a repo */
#define ETAGS_MAX	(1u << 20)	/* files in blobs/ */

int
hfdelete_folder(char *buf, size_t len, const char *type, const char *repo_id)
{
	size_t	 o = 0;
	int	 n;

	n = snprintf(buf, len, "%ss--", type);
	if (n < 0 || (size_t)n >= len)
		return -1;
	o = (size_t)n;
	for (; *repo_id != '\0'; repo_id++) {
		if (o + 3 >= len)
			return -1;
		if (*repo_id == '/') {
			buf[o++] = '-';
			buf[o++] = '-';
		} else
			buf[o++] = *repo_id;
	}
	buf[o] = '\0';
	return 0;
}

/* Hard-linked files seen during the walk: inode, links seen. */
struct inode_seen {
	dev_t		 dev;
	ino_t		 ino;
	nlink_t		 nlink;
	nlink_t		 seen;
	blkcnt_t	 blocks;
};

struct estimate {
	uint64_t		 bytes;
	struct inode_seen	*v;
	size_t			 n, cap;
	int			 failed;
};

static void
note_linked(struct estimate *es, const struct stat *st)
{
	size_t	 i;

	for (i = 0; i < es->n; i++)
		if (es->v[i].dev == st->st_dev && es->v[i].ino == st->st_ino) {
			es->v[i].seen++;
			return;
		}
	if (array_grow(&es->v, &es->cap, es->n + 1, sizeof(*es->v),
	    INODES_MAX) != ERR_OK) {
		es->failed = 1;
		return;
	}
	es->v[es->n++] = (struct inode_seen){ st->st_dev, st->st_ino,
	    st->st_nlink, 1, st->st_blocks };
}

static void	 estimate_dir(struct estimate *, DIR *, int);

/* Sums what is under the sub-directory name of dfd (depth levels down). */
static void
estimate_sub(struct estimate *es, int dfd, const char *name, int depth)
{
	DIR	*d;

	if (depth > WALK_DEPTH_MAX) {
		es->failed = 1;
		return;
	}
	/* Gone or replaced since the fstatat: nothing to count. */
	if ((d = dirat_open(dfd, name)) == NULL) {
		if (errno == ENOMEM)
			es->failed = 1;
		return;
	}
	estimate_dir(es, d, depth);
}

/* Sums what is under the directory d (closed here). */
static void
estimate_dir(struct estimate *es, DIR *d, int depth)
{
	struct dirent	*de;
	struct stat	 st;

	while ((de = readdir(d)) != NULL) {
		if (dirat_dots(de->d_name) || fstatat(dirfd(d), de->d_name,
		    &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			es->bytes += (uint64_t)st.st_blocks * 512;
			estimate_sub(es, dirfd(d), de->d_name, depth + 1);
		} else if (st.st_nlink > 1 && !S_ISLNK(st.st_mode))
			note_linked(es, &st);
		else
			es->bytes += (uint64_t)st.st_blocks * 512;
	}
	closedir(d);
}

enum err
hfdelete_estimate(const char *cache_dir, const char *type,
    const char *repo_id, uint64_t *bytes, int *present)
{
	struct estimate	 es;
	char		 folder[512];
	struct stat	 st;
	DIR		*d;
	int		 cfd;
	size_t		 i;

	*bytes = 0;
	*present = 0;
	if (hfdelete_folder(folder, sizeof(folder), type, repo_id) == -1)
		return ERR_INVAL;
	if ((cfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? ERR_OK : ERR_IO;
	if (fstatat(cfd, folder, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		close(cfd);
		return errno == ENOENT ? ERR_OK : ERR_IO;
	}
	*present = 1;
	/* A link or a stray file: itself. */
	d = S_ISDIR(st.st_mode) ? dirat_open(cfd, folder) : NULL;
	close(cfd);
	if (!S_ISDIR(st.st_mode)) {
		*bytes = (uint64_t)st.st_blocks * 512;
		return ERR_OK;
	}
	if (d == NULL)
		return ERR_IO;
	memset(&es, 0, sizeof(es));
	es.bytes = (uint64_t)st.st_blocks * 512;
	estimate_dir(&es, d, 0);
	for (i = 0; i < es.n; i++)
		if (es.v[i].seen >= es.v[i].nlink)
			es.bytes += (uint64_t)es.v[i].blocks * 512;
	free(es.v);
	*bytes = es.bytes;
	return es.failed ? ERR_IO : ERR_OK;
}

static int	 remove_at(int, const char *, int);

/* Removes what is in the directory name of dfd, then the directory. */
static int
remove_dir(int dfd, const char *name, int depth)
{
	struct dirent	*de;
	DIR		*d;
	int		 rc = 0, saved = 0;

	if (depth > WALK_DEPTH_MAX) {
		errno = ELOOP;
		return -1;
	}
	if ((d = dirat_open(dfd, name)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (dirat_dots(de->d_name))
			continue;
		if (remove_at(dirfd(d), de->d_name, depth + 1) == -1 &&
		    rc == 0) {
			rc = -1;
			saved = errno;
		}
	}
	closedir(d);
	if (rc == -1) {
		errno = saved;
		return -1;
	}
	return unlinkat(dfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT ?
	    -1 : 0;
}

/* Removes name (in directory dfd) and everything under it, never
 * following a symlink.  Returns 0 or -1 with errno set. */
static int
remove_at(int dfd, const char *name, int depth)
{
	struct stat	 st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode))
		return remove_dir(dfd, name, depth);
	return unlinkat(dfd, name, 0) == -1 && errno != ENOENT ? -1 : 0;
}

static int
cmp_str(const void *a, const void *b)
{

	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the n strings of v and frees the duplicates; returns how many stay. */
static size_t
sort_unique(char **v, size_t n)
{
	size_t	 i, j;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 1, j = 1; i < n; i++) {
		if (strcmp(v[i], v[j - 1]) == 0)
			free(v[i]);
		else
			v[j++] = v[i];
	}
	return j;
}

/*
 * The distinct etags named in blobs/ (partials included), sorted.  Best
 * effort: the list stops at the first failure.
 */
static char **
blob_etags(int repofd, size_t *n)
{
	char		**v = NULL, *dot;
	size_t		 cap = 0;
	struct dirent	*de;
	DIR		*d;

	*n = 0;
	if ((d = dirat_open(repofd, "blobs")) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (array_grow(&v, &cap, *n + 1, sizeof(*v),
		    ETAGS_MAX) != ERR_OK)
			break;
		if ((v[*n] = strdup(de->d_name)) == NULL)
			break;
		if ((dot = strchr(v[*n], '.')) != NULL)
			*dot = '\0';
		(*n)++;
	}
	closedir(d);
	*n = sort_unique(v, *n);
	return v;
}

/*
 * The lock directory of the repo, .locks/<folder>, opened one component at
 * a time with no-follow; -1 when there is none that is a real directory
 * (then nobody can hold a lock in it: our writers open it the same way).
 */
static int
lock_dir(int cfd, const char *folder)
{
	int	 locks, fd = -1, saved = ENOENT;

	if ((locks = dirat_fd(cfd, ".locks")) == -1)
		saved = errno;
	else if ((fd = dirat_fd(locks, folder)) == -1)
		saved = errno;
	if (locks != -1)
		close(locks);
	if (saved == ELOOP || saved == ENOTDIR)
		log_warnx("hfdelete: .locks or .locks/%s is a symlink or not "
		    "a directory: its locks are not taken", folder);
	return fd;
}

/*
 * Every lock stays open until the removal ends, beside one directory per
 * level of the walk: raises the soft limit on open files to fit n locks
 * if it can (best effort; a lock that cannot be opened then fails).
 */
static void
fit_locks(size_t n)
{
	struct rlimit	 rl;
	rlim_t		 need = (rlim_t)n + WALK_DEPTH_MAX + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * Takes the lock of etag in lockfd into *fd, waiting until deadline; then
 * *waited says whether it had to wait.  -1 (*fd closed, -1) past the
 * deadline, -2 out of descriptors; any other lock file that cannot be
 * opened is skipped (0, *fd -1).
 */
static int
lock_one(int lockfd, const char *etag, time_t deadline, int *fd,
    int *waited)
{
	char	 name[NAME_MAX + 1];

	*waited = 0;
	*fd = -1;
	if (lockfd == -1 || snprintf(name, sizeof(name), "%s.lock", etag) >=
	    (int)sizeof(name))
		return 0;
	*fd = openat(lockfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0664);
	if (*fd == -1)
		return errno == EMFILE || errno == ENFILE ? -2 : 0;
	while (flock(*fd, LOCK_EX | LOCK_NB) == -1) {
		*waited = 1;
		if (time(NULL) >= deadline) {
			close(*fd);
			*fd = -1;
			return -1;
		}
		usleep(100 * 1000);
	}
	return 0;
}

/* The removal of one repo folder: what it holds while it runs. */
struct removal {
	int				 cfd;
	const char			*folder;
	char				**etags;
	size_t				 n;
	int				*fds;
	size_t				 held;
	const struct hfdelete_check	*check;
};

/*
 * Takes every blob lock in sorted order, calling the check after each
 * lock it had to wait for.  ERR_TIMEOUT (r->held locks held) when one
 * stays held, ERR_IO when out of descriptors; ERR_CONFLICT when the check
 * stopped the removal.
 */
static enum err
lock_blobs(struct removal *r, unsigned timeout_s)
{
	time_t		 deadline = time(NULL) + timeout_s;
	int		 lockfd, waited, rc = 0;

	fit_locks(r->n);
	lockfd = lock_dir(r->cfd, r->folder);
	for (; r->held < r->n; r->held++) {
		if ((rc = lock_one(lockfd, r->etags[r->held], deadline,
		    &r->fds[r->held], &waited)) < 0)
			break;
		if (waited && r->check != NULL &&
		    r->check->fn(r->check->arg) != 0) {
			r->held++;
			rc = 1;
			break;
		}
	}
	if (lockfd != -1)
		close(lockfd);
	return rc == 0 ? ERR_OK : rc == 1 ? ERR_CONFLICT : rc == -1 ?
	    ERR_TIMEOUT : ERR_IO;
}

/* Opens the cache and finds the repo folder's blobs; ERR_NOTFOUND when
 * there is no folder. */
static enum err
removal_open(struct removal *r, const char *cache_dir, char *msg,
    size_t msglen)
{
	struct stat	 st;
	int		 repofd;

	if ((r->cfd = open(cache_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		snprintf(msg, msglen, "Cannot open the cache %s: %s",
		    cache_dir, strerror(errno));
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	}
	if (fstatat(r->cfd, r->folder, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(msg, msglen, "Cannot read %s: %s", r->folder,
		    strerror(errno));
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	}
	if (S_ISDIR(st.st_mode) && (repofd = dirat_fd(r->cfd,
	    r->folder)) != -1) {
		r->etags = blob_etags(repofd, &r->n);
		close(repofd);
	}
	if (r->n > 0 && (r->fds = calloc(r->n, sizeof(*r->fds))) == NULL)
		return ERR_NOMEM;
	return ERR_OK;
}

static void
removal_close(struct removal *r)
{
	size_t	 i;

	for (i = 0; i < r->held; i++)
		if (r->fds[i] != -1)
			close(r->fds[i]);
	for (i = 0; i < r->n; i++)
		free(r->etags[i]);
	free(r->etags);
	free(r->fds);
	if (r->cfd != -1)
		close(r->cfd);
}

/* Removes the folder, every lock held; the last check comes first. */
static enum err
removal_run(struct removal *r, char *msg, size_t msglen)
{

	if (r->check != NULL && r->check->fn(r->check->arg) != 0)
		return ERR_CONFLICT;
	if (remove_at(r->cfd, r->folder, 0) == 0)
		return ERR_OK;
	snprintf(msg, msglen, "Cannot remove %s from the cache: %s%s",
	    r->folder, strerror(errno), errno == EACCES ||
	    errno == EPERM ? " (every client of a shared cache must "
	    "write it group-writable, umask 002, in the cache's "
	    "group; fix the owner or mode of its files and retry)" : "");
	return ERR_IO;
}

enum err
hfdelete_remove(const char *cache_dir, const char *type, const char *repo_id,
    unsigned lock_timeout_s, const struct hfdelete_check *check, char *msg,
    size_t msglen)
{
	struct removal	 r = { -1, NULL, NULL, 0, NULL, 0, check };
	char		 folder[512];
	enum err	 e;

	*msg = '\0';
	if (hfdelete_folder(folder, sizeof(folder), type, repo_id) == -1)
		return ERR_INVAL;
	r.folder = folder;
	if ((e = removal_open(&r, cache_dir, msg, msglen)) != ERR_OK)
		goto out;
	if ((e = lock_blobs(&r, lock_timeout_s)) == ERR_TIMEOUT)
		snprintf(msg, msglen, "Another process is still writing %s "
		    "(lock held on blob %s); try again later", repo_id,
		    r.etags[r.held]);
	else if (e == ERR_IO)
		snprintf(msg, msglen, "Cannot hold the locks of the %zu "
		    "blobs of %s at once: too many open files", r.n, repo_id);
	if (e == ERR_OK)
		e = removal_run(&r, msg, msglen);
out:
	removal_close(&r);
	return e;
}
