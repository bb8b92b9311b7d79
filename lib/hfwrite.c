/*
 * Writing the HuggingFace Hub cache: directories, CACHEDIR.TAG, lock
 * files, atomic refs and trees, relative snapshot links, and the digests
 * that name blobs.  Everything below the cache directory is reached
 * through directory descriptors without following symlinks.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "dirat.h"
#include "fdio.h"
#include "hex.h"
#include "hfwrite.h"
#include "hubname.h"
#include "sbuf.h"

#define TREES_JSON_MAX	(512UL * 1024 * 1024)	/* hard cap on the text */

const char	 hfwrite_cachedir_tag_text[] =
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by huggingface_hub.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n";

/* Adds setgid to a directory this process just created. */
static void
set_sgid(int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == 0 && (st.st_mode & S_ISGID) == 0)
		(void)fchmod(fd, (st.st_mode & 07777) | S_ISGID);
}

int
hfwrite_mkdirs(const char *path)
{
	char	 buf[PATH_MAX], *p;
	int	 fd;

	if (strlen(path) >= sizeof(buf) || *path == '\0') {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, path);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char	 c = *p;

			*p = '\0';
			if (mkdir(buf, 0775) == 0) {
				if ((fd = open(buf, O_RDONLY | O_DIRECTORY |
				    O_CLOEXEC)) != -1) {
					set_sgid(fd);
					close(fd);
				}
			} else if (errno != EEXIST)
				return -1;
			*p = c;
		}
		if (*p == '\0')
			return 0;
	}
}

int
hfwrite_dir(int dirfd, const char *name, int create)
{
	int	 fd, created = 0;

	if (create) {
		if (mkdirat(dirfd, name, 0775) == 0)
			created = 1;
		else if (errno != EEXIST)
			return -1;
	}
	fd = dirat_fd(dirfd, name);
	if (fd != -1 && created)
		set_sgid(fd);
	return fd;
}

int
hfwrite_dirs(int dirfd, const char *relpath, int create)
{
	char		 seg[HUBNAME_SEG_MAX + 1];
	const char	*p, *end;
	size_t		 n;
	int		 fd, next;

	if ((fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	for (p = relpath; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		if ((end = strchr(p, '/')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0 || n >= sizeof(seg) || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(fd);
			errno = n >= sizeof(seg) ? ENAMETOOLONG : EINVAL;
			return -1;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		next = hfwrite_dir(fd, seg, create);
		close(fd);
		if ((fd = next) == -1)
			return -1;
	}
	return fd;
}

/*
 * Removing a tree: one directory descriptor at a time, so any depth works
 * without a path buffer or a descriptor per level.
 */

#define RM_DEPTH_MAX	(1UL << 20)	/* levels: beyond any real tree */

/* One directory on the way down: its identity, its name in its parent. */
struct rm_level {
	dev_t	 dev;
	ino_t	 ino;
	char	*name;
};

/* The walk of hfwrite_rmtree: the directories from the top down. */
struct rm_walk {
	int		 top;		/* holds lv[0]; the caller's */
	int		 fd;		/* lv[n - 1]; -1 when n is 0 */
	struct rm_level	*lv;
	size_t		 n, cap;
};

/*
 * Unlinks every entry of directory fd that is not a directory (a link is
 * removed, never followed) and copies the name of the first subdirectory
 * met into sub.  Returns 1 when there is one, 0 when fd is now empty, -1
 * with errno on error.
 */
static int
rm_clear(int fd, char *sub, size_t sublen)
{
	struct dirent	*de;
	DIR		*d;
	int		 dfd, rc, saved;

	if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	rewinddir(d);	/* the offset is shared with earlier passes */
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			rc = errno != 0 ? -1 : 0;
			break;
		}
		if (dirat_dots(de->d_name) ||
		    unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		rc = errno == EISDIR ? 1 : -1;
		if (rc == 1)
			snprintf(sub, sublen, "%s", de->d_name);
		break;
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return rc;
}

/* Makes room for one more level, named name; -1 with errno ENOMEM. */
static int
rm_grow(struct rm_walk *w, const char *name)
{

	if (array_grow(&w->lv, &w->cap, w->n + 1, sizeof(*w->lv),
	    RM_DEPTH_MAX) != ERR_OK ||
	    (w->lv[w->n].name = strdup(name)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Opens the directory name inside the deepest one and goes down into it. */
static int
rm_down(struct rm_walk *w, const char *name)
{
	struct stat	 st;
	int		 fd, saved;

	if ((fd = dirat_fd(w->n == 0 ? w->top : w->fd, name)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || rm_grow(w, name) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	w->lv[w->n].dev = st.st_dev;
	w->lv[w->n].ino = st.st_ino;
	w->n++;
	if (w->fd != -1)
		close(w->fd);
	w->fd = fd;
	return 0;
}

/*
 * Goes up from the deepest directory, now empty, and removes it.  The
 * parent is reached through "..", and must be the directory the walk came
 * down from (else the tree was moved meanwhile: EXDEV, nothing removed).
 */
static int
rm_up(struct rm_walk *w)
{
	struct rm_level	*lv = &w->lv[w->n - 1];
	struct stat	 st;
	int		 parent = w->top, rc;

	if (w->n > 1) {
		if ((parent = dirat_fd(w->fd, "..")) == -1)
			return -1;
		if (fstat(parent, &st) == -1 ||
		    st.st_dev != w->lv[w->n - 2].dev ||
		    st.st_ino != w->lv[w->n - 2].ino) {
			close(parent);
			errno = EXDEV;
			return -1;
		}
	}
	close(w->fd);
	w->fd = w->n > 1 ? parent : -1;
	rc = unlinkat(parent, lv->name, AT_REMOVEDIR);
	free(lv->name);
	w->n--;
	return rc == -1 && errno != ENOENT ? -1 : 0;
}

int
hfwrite_rmtree(int dirfd, const char *name)
{
	struct rm_walk	 w = { dirfd, -1, NULL, 0, 0 };
	char		 sub[NAME_MAX + 1];
	int		 rc, saved;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return -1;
	rc = rm_down(&w, name);
	while (rc == 0 && w.n > 0) {
		if ((rc = rm_clear(w.fd, sub, sizeof(sub))) == 1)
			rc = rm_down(&w, sub);
		else if (rc == 0)
			rc = rm_up(&w);
	}
	saved = errno;
	if (w.fd != -1)
		close(w.fd);
	while (w.n > 0)
		free(w.lv[--w.n].name);
	free(w.lv);
	errno = saved;
	return rc;
}

int
hfwrite_cachedir_tag(int cachefd)
{
	struct stat	 st;

	if (fstatat(cachefd, "CACHEDIR.TAG", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	return hfwrite_atomic(cachefd, "CACHEDIR.TAG",
	    hfwrite_cachedir_tag_text, strlen(hfwrite_cachedir_tag_text), 0);
}

int
hfwrite_lock(int dirfd, const char *name)
{
	int	 fd, saved;

	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0664);
	if (fd != -1)
		(void)fchmod(fd, 0664);	/* as filelock does, umask aside */
	else if (errno == EEXIST) {
		fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 && errno == EACCES)
			fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW |
			    O_CLOEXEC);
	}
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno == EINTR ? EWOULDBLOCK : errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates a unique "<name>.<8 hex>.tmp" in dirfd; its name in tmp. */
static int
tmp_create(int dirfd, const char *name, char *tmp, size_t tmplen)
{
	uint32_t	 r;
	int		 fd, tries, n;

	for (tries = 0; tries < 16; tries++) {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint32_t)getpid() * 2654435761U + (uint32_t)tries;
		n = snprintf(tmp, tmplen, "%s.%08" PRIx32 ".tmp", name, r);
		if (n < 0 || (size_t)n >= tmplen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* What fills the temporary file of atomic_fill: 0, or -1 with errno. */
struct afill {
	int	(*fill)(int fd, void *arg);
	void	*arg;
};

/*
 * Replaces name inside dirfd atomically with what f writes into a unique
 * temporary file beside it, fsync()ed first when do_fsync is set.
 */
static int
atomic_fill(int dirfd, const char *name, const struct afill *f, int do_fsync)
{
	char	 tmp[NAME_MAX + 1];
	int	 fd, rc = -1, saved;

	if ((fd = tmp_create(dirfd, name, tmp, sizeof(tmp))) == -1)
		return -1;
	if (f->fill(fd, f->arg) == -1 || (do_fsync && fsync(fd) == -1))
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (rc == -1)
		(void)unlinkat(dirfd, tmp, 0);
	errno = saved;
	return rc;
}

/* The bytes hfwrite_atomic writes. */
struct span {
	const void	*data;
	size_t		 len;
};

static int
fill_span(int fd, void *arg)
{
	const struct span	*sp = arg;

	return write_all(fd, sp->data, sp->len);
}

int
hfwrite_atomic(int dirfd, const char *name, const void *data, size_t len,
    int do_fsync)
{
	struct span	 sp = { data, len };
	struct afill	 f = { fill_span, &sp };

	return atomic_fill(dirfd, name, &f, do_fsync);
}

/* 1 if name inside dirfd is a regular file holding exactly want. */
static int
file_holds(int dirfd, const char *name, const char *want)
{
	char	 buf[128];
	size_t	 n;

	return fdio_read_regular(dirfd, name, buf, sizeof(buf), &n) == 0 &&
	    n == strlen(want) && memcmp(buf, want, n) == 0;
}

/*
 * Opens (creating) the directory part of the relative path inside dirfd,
 * one segment at a time; *base then points at the last segment of path.
 * Returns the descriptor, or -1.
 */
static int
open_parent(int dirfd, const char *path, const char **base)
{
	char		 dir[HUBNAME_PATH_MAX + 1];
	const char	*slash;
	size_t		 n;

	if ((slash = strrchr(path, '/')) == NULL) {
		*base = path;
		return hfwrite_dirs(dirfd, "", 1);
	}
	if ((n = (size_t)(slash - path)) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	*base = slash + 1;
	return hfwrite_dirs(dirfd, dir, 1);
}

int
hfwrite_ref(int refsfd, const char *revision, const char *commit)
{
	const char	*base;
	int		 fd, rc, saved;

	if (strlen(revision) > HUBNAME_REV_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open_parent(refsfd, revision, &base)) == -1)
		return -1;
	if (file_holds(fd, base, commit))
		rc = 0;
	else if ((rc = hfwrite_atomic(fd, base, commit, strlen(commit), 1)) ==
	    0)
		rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Replaces name inside fd with a symlink to target. */
static int
link_replace(int fd, const char *name, const char *target)
{
	char	 cur[HUBNAME_PATH_MAX];
	ssize_t	 n;
	int	 tries;

	for (tries = 0; tries < 3; tries++) {
		if (unlinkat(fd, name, 0) == -1 && errno != ENOENT)
			return -1;
		if (symlinkat(target, fd, name) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
		/* A concurrent writer: fine if it links the same blob. */
		n = readlinkat(fd, name, cur, sizeof(cur) - 1);
		if (n >= 0) {
			cur[n] = '\0';
			if (strcmp(cur, target) == 0)
				return 0;
		}
	}
	errno = EEXIST;
	return -1;
}

int
hfwrite_link(int snapfd, const char *path, const char *etag)
{
	char		 target[HUBNAME_PATH_MAX];
	const char	*base;
	int		 fd, rc, saved;

	if (*path == '/') {
		errno = EINVAL;
		return -1;
	}
	if (strlen(path) > HUBNAME_PATH_MAX || hubname_link_target(path, etag,
	    target, sizeof(target)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open_parent(snapfd, path, &base)) == -1)
		return -1;
	rc = link_replace(fd, base, target);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

#define JB_FLUSH	32768	/* written out past this many bytes */

/* The text of trees/<commit>.json as it is built, or written out. */
struct jbuf {
	struct sbuf	 sb;		/* at most TREES_JSON_MAX */
	int		 fd;		/* -1: the text stays in sb */
	int		 invalid;	/* a path was not UTF-8 */
	int		 err;		/* errno of a failed write or get */
};

/* Writes out what b holds (b->fd != -1). */
static void
jb_flush(struct jbuf *b)
{

	if (b->err == 0 && write_all(b->fd, b->sb.s, b->sb.len) == -1)
		b->err = errno;
	sbuf_reset(&b->sb);
}

/* Appends n bytes of s, unless b already failed. */
static void
jb_put(struct jbuf *b, const char *s, size_t n)
{

	if (b->invalid || b->err != 0)
		return;
	sbuf_add(&b->sb, s, n);
	if (b->fd != -1 && b->sb.len >= JB_FLUSH && !b->sb.failed)
		jb_flush(b);
}

static void
jb_str(struct jbuf *b, const char *s)
{

	jb_put(b, s, strlen(s));
}

/* Decodes one UTF-8 sequence at s; returns its length, 0 if invalid. */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t	 n, k;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, *cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, *cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, *cp = s[0] & 0x07;
	else
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000) ||
	    *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/* One code point as Python's json.dumps(ensure_ascii=True) writes it. */
static void
jb_codepoint(struct jbuf *b, uint32_t cp)
{
	/* Pairs: a character, the letter of its two-character escape. */
	static const char	 named[] = "\"\"\\\\\nn\rr\tt\bb\ff";
	const char		*e;
	char			 esc[16];

	for (e = named; *e != '\0'; e += 2)
		if ((uint32_t)(unsigned char)e[0] == cp) {
			esc[0] = '\\';
			esc[1] = e[1];
			jb_put(b, esc, 2);
			return;
		}
	if (cp >= 0x20 && cp < 0x7f) {
		esc[0] = (char)cp;
		jb_put(b, esc, 1);
	} else if (cp < 0x10000) {
		snprintf(esc, sizeof(esc), "\\u%04" PRIx32, cp);
		jb_str(b, esc);
	} else {
		cp -= 0x10000;
		snprintf(esc, sizeof(esc), "\\u%04" PRIx32 "\\u%04" PRIx32,
		    0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		jb_str(b, esc);
	}
}

/* A JSON string as Python's json.dumps(ensure_ascii=True) writes it. */
static void
jb_jstring(struct jbuf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n;

	jb_put(b, "\"", 1);
	while (*p != '\0' && !b->sb.failed) {
		if ((n = utf8_decode(p, &cp)) == 0) {
			b->invalid = 1;
			return;
		}
		p += n;
		jb_codepoint(b, cp);
	}
	jb_put(b, "\"", 1);
}

static void
jb_member(struct jbuf *b, const char *indent, const char *key, int first)
{

	if (!first)
		jb_put(b, ",", 1);
	jb_put(b, "\n", 1);
	jb_str(b, indent);
	jb_jstring(b, key);
	jb_put(b, ": ", 2);
}

static void
jb_uint(struct jbuf *b, uint64_t v)
{
	char	 num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	jb_str(b, num);
}

static void
jb_entry(struct jbuf *b, const struct hfwrite_tree *f, int first)
{

	jb_member(b, "  ", f->path, first);
	jb_put(b, "{", 1);
	jb_member(b, "   ", "size", 1);
	jb_uint(b, f->size);
	jb_member(b, "   ", "blob_id", 0);
	jb_jstring(b, f->blob_id);
	if (f->lfs_sha256 != NULL) {
		jb_member(b, "   ", "lfs_sha256", 0);
		jb_jstring(b, f->lfs_sha256);
		jb_member(b, "   ", "lfs_size", 0);
		jb_uint(b, f->lfs_size);
	}
	if (f->xet_hash != NULL) {
		jb_member(b, "   ", "xet_hash", 0);
		jb_jstring(b, f->xet_hash);
	}
	jb_str(b, "\n  }");
}

/*
 * The whole text into b (written out when b->fd is set).  Returns 0, or -1
 * with errno set.
 */
static int
jb_trees(struct jbuf *b, const struct hfwrite_list *l)
{
	struct hfwrite_tree	 f;
	size_t			 i;

	jb_str(b, "{\n \"format_version\": 1,\n \"files\": {");
	for (i = 0; i < l->n && b->err == 0; i++) {
		if (l->get(l->arg, i, &f) == -1)
			b->err = errno;
		else
			jb_entry(b, &f, i == 0);
	}
	jb_str(b, l->n > 0 ? "\n }\n}" : "}\n}");
	if (b->fd != -1 && !b->sb.failed)
		jb_flush(b);
	if (b->invalid || b->sb.failed || b->err != 0) {
		errno = b->invalid ? EINVAL : b->err != 0 ? b->err : ENOMEM;
		return -1;
	}
	return 0;
}

char *
hfwrite_trees_json(const struct hfwrite_list *l, size_t *len)
{
	struct jbuf	 b = { SBUF_INIT_MAX(TREES_JSON_MAX), -1, 0, 0 };
	int		 saved;

	if (jb_trees(&b, l) == -1) {
		saved = errno;
		free(b.sb.s);
		errno = saved;
		return NULL;
	}
	*len = b.sb.len;
	return b.sb.s;
}

static int
fill_trees(int fd, void *arg)
{
	struct jbuf	 b = { SBUF_INIT_MAX(2 * JB_FLUSH), fd, 0, 0 };
	int		 rc, saved;

	rc = jb_trees(&b, arg);
	saved = errno;
	free(b.sb.s);
	errno = saved;
	return rc;
}

int
hfwrite_trees(int repofd, const char *commit, const struct hfwrite_list *l)
{
	struct afill	 f = { fill_trees, (void *)(uintptr_t)l };
	char		 name[64];
	int		 fd, rc, saved;

	snprintf(name, sizeof(name), "%s.json", commit);
	if ((fd = hfwrite_dir(repofd, "trees", 1)) == -1)
		return -1;
	rc = atomic_fill(fd, name, &f, 0);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int
list_array_get(void *arg, size_t i, struct hfwrite_tree *f)
{
	const struct hfwrite_tree	*files = arg;

	*f = files[i];
	return 0;
}

void
hfwrite_list_array(struct hfwrite_list *l, const struct hfwrite_tree *files,
    size_t n)
{

	l->n = n;
	l->get = list_array_get;
	l->arg = (void *)(uintptr_t)files;
}

int
hfwrite_hash_begin(EVP_MD_CTX *md, int lfs, uint64_t size)
{
	char	 hdr[32];
	int	 n;

	if (EVP_DigestInit_ex(md, lfs ? EVP_sha256() : EVP_sha1(), NULL) != 1)
		return -1;
	if (lfs)
		return 0;
	n = snprintf(hdr, sizeof(hdr), "blob %" PRIu64, size);
	/* The header ends with its NUL byte: "blob <size>\0". */
	return EVP_DigestUpdate(md, hdr, (size_t)n + 1) == 1 ? 0 : -1;
}

int
hfwrite_hash_matches(EVP_MD_CTX *md, const char *etag)
{
	unsigned char		 dig[EVP_MAX_MD_SIZE];
	char			 txt[2 * EVP_MAX_MD_SIZE + 1];
	unsigned		 n;

	if (EVP_DigestFinal_ex(md, dig, &n) != 1)
		return 0;
	hex_encode(dig, n, txt);
	return strcmp(txt, etag) == 0;
}
