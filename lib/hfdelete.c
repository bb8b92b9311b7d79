#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "dirat.h"
#include "hfdelete.h"
#include "log.h"

#define WALK_DEPTH_MAX	64
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

/* Takes every lock in order; returns how many it holds in fds[]. */
static size_t
lock_blobs(int cfd, const char *folder, char **etags, size_t n, int *fds,
    unsigned timeout_s)
{
	char		 path[1024];
	time_t		 deadline = time(NULL) + timeout_s;
	size_t		 i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), ".locks/%s/%s.lock", folder,
		    etags[i]);
		fds[i] = openat(cfd, path, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0664);
		if (fds[i] == -1)
			continue;	/* no locks dir: nobody can hold one */
		while (flock(fds[i], LOCK_EX | LOCK_NB) == -1) {
			if (time(NULL) >= deadline) {
				close(fds[i]);
				return i;
			}
			usleep(100 * 1000);
		}
	}
	return n;
}

enum err
hfdelete_remove(const char *cache_dir, const char *type, const char *repo_id,
    unsigned lock_timeout_s, char *msg, size_t msglen)
{
	char		 folder[512], **etags = NULL;
	int		 cfd = -1, repofd = -1, *fds = NULL;
	size_t		 n = 0, held = 0, i;
	struct stat	 st;
	enum err	 e = ERR_IO;

	*msg = '\0';
	if (hfdelete_folder(folder, sizeof(folder), type, repo_id) == -1)
		return ERR_INVAL;
	if ((cfd = open(cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		e = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
		snprintf(msg, msglen, "Cannot open the cache %s: %s",
		    cache_dir, strerror(errno));
		goto out;
	}
	if (fstatat(cfd, folder, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		e = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
		snprintf(msg, msglen, "Cannot read %s: %s", folder,
		    strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode) && (repofd = dirat_fd(cfd, folder)) != -1)
		etags = blob_etags(repofd, &n);
	if (n > 0 && (fds = calloc(n, sizeof(*fds))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	held = lock_blobs(cfd, folder, etags, n, fds, lock_timeout_s);
	if (held < n) {
		e = ERR_TIMEOUT;
		snprintf(msg, msglen, "Another process is still writing %s "
		    "(lock held on blob %s); try again later", repo_id,
		    etags[held]);
		goto out;
	}
	if (remove_at(cfd, folder, 0) == -1) {
		snprintf(msg, msglen, "Cannot remove %s from the cache: %s%s",
		    folder, strerror(errno), errno == EACCES ||
		    errno == EPERM ? " (every client of a shared cache must "
		    "write it group-writable, umask 002, in the cache's "
		    "group; fix the owner or mode of its files and retry)" :
		    "");
		goto out;
	}
	e = ERR_OK;
out:
	for (i = 0; i < held; i++)
		if (fds[i] != -1)
			close(fds[i]);
	for (i = 0; i < n; i++)
		free(etags[i]);
	free(etags);
	free(fds);
	if (repofd != -1)
		close(repofd);
	if (cfd != -1)
		close(cfd);
	return e;
}
