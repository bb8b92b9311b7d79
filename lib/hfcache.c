/*
 * HuggingFace Hub cache: directory resolution and scan_cache_dir semantics
 * (HF-HUB.md sections 1 and 5).
 *
 * The scan walks each repo with openat()/readlinkat()/fstatat() relative
 * to directory descriptors and never follows a symlink while walking: only
 * link targets are resolved, to stat the blob they name.  The usual link
 * text "../../blobs/<etag>" (one "../" per directory level below the repo)
 * is mapped straight onto the repo's blobs/ descriptor, and each unique
 * blob is stat'ed once (a per-repo hash set keyed by the blob path relative
 * to the repo); any other link text falls back to realpath().
 *
 * Deliberate choices where Python's behaviour is unspecified or unsafe:
 * - A symlink at the top level or a symlinked snapshots/ is not followed
 *   (the repo is reported as "Repo path is not a directory" or "Snapshots
 *   dir doesn't exist").  A symlink inside snapshots/ pointing to a
 *   directory counts as a revision with no files; a symlink in a revision
 *   pointing to a directory is skipped (as Python's glob does).  A
 *   symlinked blobs/ is never walked: links into it go through realpath()
 *   and its partial files are not counted.
 * - Errors Python would raise out of the whole scan (a ref or snapshot
 *   dir that cannot be read) become a warning for that repo instead.
 * - Only regular files in refs/ are read (through a symlink too), at most
 *   HFCACHE_REF_MAX bytes, with Python's universal-newline translation.
 * - partial_bytes of a valid repo is the st_size of every regular
 *   blobs/ *.incomplete file plus every other regular file in blobs/ that
 *   no snapshot references.  For a corrupted repo whose folder name is
 *   valid (a directory "<type>s--<id>" with an accepted type) only the
 *   *.incomplete files count, since the walk stopped early and orphans are
 *   unknown; it goes into hfscan.partial_bytes only.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hfcache.h"
#include "log.h"
#include "pypath.h"
#include "sbuf.h"

#define HFCACHE_DEPTH_MAX	64		/* dir levels below a repo */
#define HFCACHE_PATH_MAX	4096		/* path inside a repo */
#define HFCACHE_LINK_MAX	4096		/* symlink text */
#define HFCACHE_REF_MAX		1024		/* bytes read from a ref */
#define HFCACHE_ENTRIES_MAX	(1u << 20)	/* top-level entries */
#define HFCACHE_BLOBS_MAX	(1u << 24)	/* unique blobs per repo */
#define HFCACHE_REVS_MAX	(1u << 20)	/* revisions per repo */
#define HFCACHE_REFS_MAX	(1u << 16)	/* refs per repo */

#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* A repo scan stops at its first problem: the warning is in ctx.warning. */
#define ERR_CORRUPT	ERR_INVAL

struct blobent {
	char		*key;		/* path relative to the repo, or absolute */
	uint64_t	 hash;
	uint64_t	 size;
	bool		 isdir;
};

struct blobset {
	struct blobent	*tab;
	size_t		 cap;		/* power of two, or 0 */
	size_t		 n;
};

struct ref {
	char		*name;		/* relative to refs/, e.g. "refs/pr/1" */
	char		*commit;	/* raw content, newline-translated */
	size_t		 commitlen;
};

struct scanctx {
	const char	*cache;		/* resolved cache dir, "" for "/" */
	struct hfscan	*scan;
	size_t		 repocap;
	size_t		 warncap;

	/* Per repo. */
	const char	*folder;
	int		 repofd;
	int		 blobsfd;
	bool		 blobs_slow;	/* blobs/ unusable: realpath always */
	struct blobset	 set;
	uint64_t	 size;
	size_t		 nfiles;
	char		**revs;
	size_t		 nrevs;
	size_t		 revcap;
	struct ref	*refs;
	size_t		 nrefs;
	size_t		 refcap;
	char		*warning;
	char		 rel[HFCACHE_PATH_MAX];	/* current dir inside the repo */
	size_t		 rellen;
};

static const char *const ignored_names[] = {
	".DS_Store", "Thumbs.db", "desktop.ini", NULL
};

/* ---------------------------------------------------------------------
 * Directory resolution
 */

char *
hfcache_resolve_home(const char *(*getenv_fn)(const char *))
{
	const char	*base;
	char		*joined = NULL, *res;

	if ((base = getenv_fn("HF_HOME")) == NULL) {
		if ((base = getenv_fn("XDG_CACHE_HOME")) == NULL)
			base = "~/.cache";
		if ((joined = pypath_join(base, "huggingface")) == NULL)
			return NULL;
		base = joined;
	}
	res = pypath_expand(base, getenv_fn);
	free(joined);
	return res;
}

char *
hfcache_resolve_dir(const char *(*getenv_fn)(const char *))
{
	const char	*v;
	char		*home = NULL, *hub = NULL;
	char		*cache = NULL, *cache_u = NULL, *res = NULL;

	if ((v = getenv_fn("HF_HUB_CACHE")) == NULL)
		v = getenv_fn("HUGGINGFACE_HUB_CACHE");
	if (v == NULL) {
		if ((home = hfcache_resolve_home(getenv_fn)) == NULL)
			goto out;
		if ((hub = pypath_join(home, "hub")) == NULL)
			goto out;
		v = hub;
	}
	if ((cache = pypath_expand(v, getenv_fn)) == NULL)
		goto out;
	/* snapshot_download: Path(cache_dir).expanduser().resolve() */
	if ((cache_u = pypath_expanduser(cache, getenv_fn)) == NULL)
		goto out;
	res = pypath_abspath(cache_u);
out:
	if (res == NULL)
		log_warnx("%s: out of memory", __func__);
	free(cache_u);
	free(cache);
	free(hub);
	free(home);
	return res;
}

/* ---------------------------------------------------------------------
 * Blob set
 */

static uint64_t
blob_hash(const char *s, size_t n)
{
	uint64_t	 h = 1469598103934665603ULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct blobent *
blobset_find(const struct blobset *set, const char *key, size_t n,
    uint64_t h)
{
	size_t	 i;

	if (set->cap == 0)
		return NULL;
	for (i = h & (set->cap - 1); set->tab[i].key != NULL;
	    i = (i + 1) & (set->cap - 1))
		if (set->tab[i].hash == h &&
		    strncmp(set->tab[i].key, key, n) == 0 &&
		    set->tab[i].key[n] == '\0')
			return &set->tab[i];
	return NULL;
}

static enum err
blobset_grow(struct blobset *set)
{
	struct blobent	*tab, *e;
	size_t		 cap, i, j;

	cap = set->cap == 0 ? 256 : set->cap * 2;
	if ((tab = calloc(cap, sizeof(*tab))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < set->cap; i++) {
		e = &set->tab[i];
		if (e->key == NULL)
			continue;
		for (j = e->hash & (cap - 1); tab[j].key != NULL;
		    j = (j + 1) & (cap - 1))
			;
		tab[j] = *e;
	}
	free(set->tab);
	set->tab = tab;
	set->cap = cap;
	return ERR_OK;
}

/* Adds key (not present yet); the copy is owned by the set. */
static enum err
blobset_add(struct blobset *set, const char *key, size_t n, uint64_t h,
    uint64_t size, bool isdir)
{
	size_t	 i;
	char	*k;

	if ((set->n + 1) * 2 > set->cap && blobset_grow(set) != ERR_OK)
		return ERR_NOMEM;
	if ((k = strndup(key, n)) == NULL)
		return ERR_NOMEM;
	for (i = h & (set->cap - 1); set->tab[i].key != NULL;
	    i = (i + 1) & (set->cap - 1))
		;
	set->tab[i] = (struct blobent){ k, h, size, isdir };
	set->n++;
	return ERR_OK;
}

static void
blobset_clear(struct blobset *set)
{
	size_t	 i;

	for (i = 0; i < set->cap; i++)
		free(set->tab[i].key);
	free(set->tab);
	*set = (struct blobset){ NULL, 0, 0 };
}

/* ---------------------------------------------------------------------
 * Scan helpers
 */

static bool
hfcache_ignored(const char *name)
{
	size_t	 i;

	for (i = 0; ignored_names[i] != NULL; i++)
		if (strcmp(name, ignored_names[i]) == 0)
			return true;
	return false;
}

static bool
hfcache_dots(const char *name)
{

	return name[0] == '.' && (name[1] == '\0' ||
	    (name[1] == '.' && name[2] == '\0'));
}

/* Records the repo's (first) warning. Returns ERR_CORRUPT or ERR_NOMEM. */
static enum err
repo_warn(struct scanctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum err
repo_warn(struct scanctx *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	if (c->warning != NULL)
		return ERR_CORRUPT;
	va_start(ap, fmt);
	rc = vasprintf(&c->warning, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		c->warning = NULL;
		return ERR_NOMEM;
	}
	return ERR_CORRUPT;
}

/* A problem reading inside a repo: a warning naming path and errno. */
static enum err
repo_warn_errno(struct scanctx *c, const char *what, const char *name)
{
	int	 saved = errno;

	if (saved == ENOMEM)
		return ERR_NOMEM;
	return repo_warn(c, "Cannot read %s %s/%s%s%s%s%s: %s", what,
	    c->cache, c->folder, c->rellen > 0 ? "/" : "", c->rel,
	    name[0] != '\0' ? "/" : "", name, strerror(saved));
}

/* Appends "/name" (or "name" at the repo root) to c->rel. */
static enum err
rel_push(struct scanctx *c, const char *name, size_t *saved)
{
	size_t	 n = strlen(name);

	*saved = c->rellen;
	if (c->rellen + 1 + n + 1 > sizeof(c->rel))
		return repo_warn(c, "Path too long in cached repo: %s/%s/%s",
		    c->cache, c->folder, c->rel);
	if (c->rellen > 0)
		c->rel[c->rellen++] = '/';
	memcpy(c->rel + c->rellen, name, n + 1);
	c->rellen += n;
	return ERR_OK;
}

static void
rel_pop(struct scanctx *c, size_t saved)
{

	c->rellen = saved;
	c->rel[saved] = '\0';
}

/* The entry's type as a DT_* value, lstat'ing if readdir did not say. */
static int
hfcache_dtype(int dfd, const struct dirent *de)
{
	struct stat	 st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type;
	if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return DT_UNKNOWN;
	if (S_ISDIR(st.st_mode))
		return DT_DIR;
	if (S_ISLNK(st.st_mode))
		return DT_LNK;
	if (S_ISREG(st.st_mode))
		return DT_REG;
	return DT_UNKNOWN;
}

/* Opens a sub-directory without following symlinks as a DIR stream. */
static DIR *
hfcache_opendir(int dfd, const char *name)
{
	DIR	*d;
	int	 fd;

	if ((fd = openat(dfd, name, DIR_FLAGS)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return d;
}

/* Adds a new blob (key not in the set yet) with its stat. */
static enum err
blob_insert(struct scanctx *c, const char *key, size_t n, uint64_t h,
    const struct stat *st)
{

	if (c->set.n >= HFCACHE_BLOBS_MAX)
		return repo_warn(c, "Too many blobs in cached repo: %s/%s",
		    c->cache, c->folder);
	if (blobset_add(&c->set, key, n, h, (uint64_t)st->st_size,
	    S_ISDIR(st->st_mode)) != ERR_OK)
		return ERR_NOMEM;
	if (!S_ISDIR(st->st_mode)) {
		c->nfiles++;
		c->size += (uint64_t)st->st_size;
	}
	return ERR_OK;
}

/*
 * What Path.resolve() shows for the broken link at full: its target made
 * absolute, with the longest existing prefix resolved.  Malloc'd or NULL.
 */
static char *
hfcache_linkshown(const char *full)
{
	char		 text[HFCACHE_LINK_MAX];
	char		*dir = NULL, *target = NULL, *res = NULL;
	const char	*slash;
	ssize_t		 n;

	n = readlink(full, text, sizeof(text) - 1);
	if (n < 0 || (size_t)n >= sizeof(text) - 1)
		return strdup(full);
	text[n] = '\0';
	if (text[0] == '/')
		return pypath_abspath(text);
	slash = strrchr(full, '/');
	if ((dir = strndup(full, (size_t)(slash - full))) == NULL)
		goto out;
	if ((target = pypath_join(dir, text)) == NULL)
		goto out;
	res = pypath_abspath(target);
out:
	free(target);
	free(dir);
	return res;
}

/*
 * Slow path: realpath() of the link at <repo>/<rel>/name, keyed relative to
 * the repo when it lands inside it.
 */
static enum err
blob_slow(struct scanctx *c, const char *name)
{
	struct stat	 st;
	char		*full = NULL, *r = NULL, *shown = NULL;
	const char	*key;
	size_t		 plen;
	uint64_t	 h;
	enum err	 e;

	if (asprintf(&full, "%s/%s/%s%s%s", c->cache, c->folder, c->rel,
	    c->rellen > 0 ? "/" : "", name) == -1) {
		full = NULL;
		e = ERR_NOMEM;
		goto out;
	}
	if ((r = realpath(full, NULL)) == NULL) {
		if (errno == ENOMEM) {
			e = ERR_NOMEM;
			goto out;
		}
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) {
			e = repo_warn_errno(c, "blob", name);
			goto out;
		}
		/* Broken: show the target as Path.resolve() would. */
		if ((shown = hfcache_linkshown(full)) == NULL) {
			e = ERR_NOMEM;
			goto out;
		}
		e = repo_warn(c, "Blob missing (broken symlink): %s", shown);
		goto out;
	}
	plen = strlen(c->cache) + 1 + strlen(c->folder);
	key = r;
	if (strncmp(r, c->cache, strlen(c->cache)) == 0 &&
	    r[strlen(c->cache)] == '/' &&
	    strncmp(r + strlen(c->cache) + 1, c->folder,
	    strlen(c->folder)) == 0 && r[plen] == '/')
		key = r + plen + 1;
	h = blob_hash(key, strlen(key));
	if (blobset_find(&c->set, key, strlen(key), h) != NULL) {
		e = ERR_OK;
		goto out;
	}
	if (stat(r, &st) == -1) {
		e = errno == ENOMEM ? ERR_NOMEM :
		    repo_warn(c, "Blob missing (broken symlink): %s", r);
		goto out;
	}
	e = blob_insert(c, key, strlen(key), h, &st);
out:
	free(shown);
	free(r);
	free(full);
	return e;
}

/*
 * A symlink in a snapshot, in a directory depth levels below the repo:
 * "../" * depth + "blobs/<name>" goes straight to blobs/, anything else
 * through realpath().
 */
static enum err
scan_link(struct scanctx *c, int dfd, const char *name, size_t depth)
{
	struct stat	 st;
	char		 text[HFCACHE_LINK_MAX];
	char		 key[sizeof("blobs/") + NAME_MAX];
	const char	*p;
	ssize_t		 n;
	size_t		 k, blen, klen;
	uint64_t	 h;

	if ((n = readlinkat(dfd, name, text, sizeof(text) - 1)) == -1)
		return repo_warn_errno(c, "symlink", name);
	if ((size_t)n >= sizeof(text) - 1 || c->blobs_slow)
		return blob_slow(c, name);
	text[n] = '\0';
	for (p = text, k = 0; p[0] == '.' && p[1] == '.' && p[2] == '/';
	    p += 3)
		k++;
	if (k != depth || strncmp(p, "blobs/", 6) != 0)
		return blob_slow(c, name);
	p += 6;
	blen = (size_t)(text + n - p);
	if (blen == 0 || blen > NAME_MAX || memchr(p, '/', blen) != NULL ||
	    hfcache_dots(p))
		return blob_slow(c, name);
	memcpy(key, "blobs/", 6);
	memcpy(key + 6, p, blen + 1);
	klen = 6 + blen;
	h = blob_hash(key, klen);
	if (blobset_find(&c->set, key, klen, h) != NULL)
		return ERR_OK;
	if (c->blobsfd == -1 ||
	    fstatat(c->blobsfd, p, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (c->blobsfd == -1 || errno == ENOENT)
			return repo_warn(c,
			    "Blob missing (broken symlink): %s/%s/blobs/%s",
			    c->cache, c->folder, p);
		return blob_slow(c, name);
	}
	if (S_ISLNK(st.st_mode))
		return blob_slow(c, name);
	return blob_insert(c, key, klen, h, &st);
}

/* A non-symlink, non-directory entry of a snapshot: its own blob. */
static enum err
scan_plain(struct scanctx *c, int dfd, const char *name)
{
	struct stat	 st;
	size_t		 saved;
	uint64_t	 h;
	enum err	 e;

	if ((e = rel_push(c, name, &saved)) != ERR_OK)
		return e;
	h = blob_hash(c->rel, c->rellen);
	if (blobset_find(&c->set, c->rel, c->rellen, h) == NULL) {
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rel_pop(c, saved);
			return repo_warn_errno(c, "file", name);
		}
		e = blob_insert(c, c->rel, c->rellen, h, &st);
	}
	rel_pop(c, saved);
	return e;
}

/* Walks a revision's directory d (depth levels below the repo). */
static enum err
scan_tree(struct scanctx *c, DIR *d, size_t depth)
{
	struct dirent	*de;
	DIR		*sub;
	size_t		 saved;
	enum err	 e = ERR_OK;

	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				e = repo_warn_errno(c, "directory", "");
			break;
		}
		if (hfcache_dots(de->d_name))
			continue;
		switch (hfcache_dtype(dirfd(d), de)) {
		case DT_DIR:
			if (depth + 1 > HFCACHE_DEPTH_MAX) {
				e = repo_warn(c, "Directory too deep in cached "
				    "repo: %s/%s/%s", c->cache, c->folder,
				    c->rel);
				break;
			}
			if ((sub = hfcache_opendir(dirfd(d),
			    de->d_name)) == NULL) {
				e = repo_warn_errno(c, "directory", de->d_name);
				break;
			}
			if ((e = rel_push(c, de->d_name, &saved)) == ERR_OK) {
				e = scan_tree(c, sub, depth + 1);
				rel_pop(c, saved);
			}
			closedir(sub);
			break;
		case DT_LNK:
			e = scan_link(c, dirfd(d), de->d_name, depth);
			break;
		default:
			e = scan_plain(c, dirfd(d), de->d_name);
			break;
		}
		if (e != ERR_OK)
			break;
	}
	return e;
}

/* Reads one ref file (regular, through a symlink too) into c->refs. */
static enum err
scan_ref(struct scanctx *c, int dfd, const char *name, int dtype)
{
	struct stat	 st;
	struct ref	*r;
	char		 buf[HFCACHE_REF_MAX];
	size_t		 len = 0, i, j, saved;
	ssize_t		 n;
	int		 fd;
	enum err	 e;

	if (dtype != DT_REG && (fstatat(dfd, name, &st, 0) == -1 ||
	    !S_ISREG(st.st_mode)))
		return ERR_OK;		/* directory, broken link, fifo... */
	if (c->nrefs >= HFCACHE_REFS_MAX)
		return repo_warn(c, "Too many refs in cached repo: %s/%s",
		    c->cache, c->folder);
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1)
		return repo_warn_errno(c, "ref", name);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ERR_OK;
	}
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			close(fd);
			return repo_warn_errno(c, "ref", name);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	/* Text mode: "\r\n" and "\r" read as "\n". */
	for (i = j = 0; i < len; i++) {
		if (buf[i] == '\r') {
			buf[j++] = '\n';
			if (i + 1 < len && buf[i + 1] == '\n')
				i++;
		} else
			buf[j++] = buf[i];
	}
	len = j;
	if (c->nrefs == c->refcap) {
		i = c->refcap == 0 ? 8 : c->refcap * 2;
		if ((r = reallocarray(c->refs, i, sizeof(*r))) == NULL)
			return ERR_NOMEM;
		c->refs = r;
		c->refcap = i;
	}
	if ((e = rel_push(c, name, &saved)) != ERR_OK)
		return e;
	r = &c->refs[c->nrefs];
	r->name = strdup(c->rel + sizeof("refs"));
	r->commit = malloc(len + 1);
	rel_pop(c, saved);
	if (r->name == NULL || r->commit == NULL) {
		free(r->name);
		free(r->commit);
		return ERR_NOMEM;
	}
	memcpy(r->commit, buf, len);
	r->commit[len] = '\0';
	r->commitlen = len;
	c->nrefs++;
	return ERR_OK;
}

/* Walks refs/ (d, depth levels below the repo) recursively. */
static enum err
scan_refs(struct scanctx *c, DIR *d, size_t depth)
{
	struct dirent	*de;
	DIR		*sub;
	size_t		 saved;
	int		 dtype;
	enum err	 e = ERR_OK;

	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				e = repo_warn_errno(c, "directory", "");
			break;
		}
		if (hfcache_dots(de->d_name))
			continue;
		dtype = hfcache_dtype(dirfd(d), de);
		if (dtype == DT_DIR) {
			if (depth + 1 > HFCACHE_DEPTH_MAX) {
				e = repo_warn(c, "Directory too deep in cached "
				    "repo: %s/%s/%s", c->cache, c->folder,
				    c->rel);
				break;
			}
			if ((sub = hfcache_opendir(dirfd(d),
			    de->d_name)) == NULL) {
				e = repo_warn_errno(c, "directory", de->d_name);
				break;
			}
			if ((e = rel_push(c, de->d_name, &saved)) == ERR_OK) {
				e = scan_refs(c, sub, depth + 1);
				rel_pop(c, saved);
			}
			closedir(sub);
		} else if (!hfcache_ignored(de->d_name))
			e = scan_ref(c, dirfd(d), de->d_name, dtype);
		if (e != ERR_OK)
			break;
	}
	return e;
}

static enum err
add_rev(struct scanctx *c, const char *name)
{
	char	**v;
	size_t	  cap;

	if (c->nrevs >= HFCACHE_REVS_MAX)
		return repo_warn(c, "Too many revisions in cached repo: %s/%s",
		    c->cache, c->folder);
	if (c->nrevs == c->revcap) {
		cap = c->revcap == 0 ? 4 : c->revcap * 2;
		if ((v = reallocarray(c->revs, cap, sizeof(*v))) == NULL)
			return ERR_NOMEM;
		c->revs = v;
		c->revcap = cap;
	}
	if ((c->revs[c->nrevs] = strdup(name)) == NULL)
		return ERR_NOMEM;
	c->nrevs++;
	return ERR_OK;
}

/* Every directory in snapshots/ (d) is a revision; c->rel is "snapshots". */
static enum err
scan_snapshots(struct scanctx *c, DIR *d)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*sub;
	size_t		 saved;
	enum err	 e = ERR_OK;

	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				e = repo_warn_errno(c, "directory", "");
			break;
		}
		if (hfcache_dots(de->d_name) || hfcache_ignored(de->d_name))
			continue;
		switch (hfcache_dtype(dirfd(d), de)) {
		case DT_DIR:
			if ((e = add_rev(c, de->d_name)) != ERR_OK)
				break;
			if ((sub = hfcache_opendir(dirfd(d),
			    de->d_name)) == NULL) {
				e = repo_warn_errno(c, "directory", de->d_name);
				break;
			}
			if ((e = rel_push(c, de->d_name, &saved)) == ERR_OK) {
				e = scan_tree(c, sub, 2);
				rel_pop(c, saved);
			}
			closedir(sub);
			break;
		case DT_REG:
			e = repo_warn(c, "Snapshots folder corrupted. Found a "
			    "file: %s/%s/snapshots/%s", c->cache, c->folder,
			    de->d_name);
			break;
		case DT_LNK:
			/* Not followed: a revision without files, unless it
			 * is a file (Path.is_file() follows links). */
			if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			    S_ISREG(st.st_mode))
				e = repo_warn(c, "Snapshots folder corrupted. "
				    "Found a file: %s/%s/snapshots/%s",
				    c->cache, c->folder, de->d_name);
			else
				e = add_rev(c, de->d_name);
			break;
		default:
			e = add_rev(c, de->d_name);
			break;
		}
		if (e != ERR_OK)
			break;
	}
	return e;
}

/* Python's repr() of a str (bytes >= 0x80 are copied as they are). */
static void
pyrepr(struct sbuf *sb, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 q = '\'', esc[4];
	size_t			 i;
	unsigned char		 ch;

	if (memchr(s, '\'', len) != NULL && memchr(s, '"', len) == NULL)
		q = '"';
	sbuf_add(sb, &q, 1);
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == (unsigned char)q || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			sbuf_add(sb, esc, 2);
		} else if (ch == '\n')
			sbuf_add(sb, "\\n", 2);
		else if (ch == '\r')
			sbuf_add(sb, "\\r", 2);
		else if (ch == '\t')
			sbuf_add(sb, "\\t", 2);
		else if (ch < 0x20 || ch == 0x7f) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[ch >> 4];
			esc[3] = hex[ch & 0xf];
			sbuf_add(sb, esc, 4);
		} else
			sbuf_add(sb, (const char *)&ch, 1);
	}
	sbuf_add(sb, &q, 1);
}

static int
cmp_str(const void *a, const void *b)
{

	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_ref(const void *a, const void *b)
{

	return strcmp(((const struct ref *)a)->name,
	    ((const struct ref *)b)->name);
}

static bool
ref_known(const struct scanctx *c, const struct ref *r)
{
	const char	*key = r->commit;

	if (memchr(r->commit, '\0', r->commitlen) != NULL)
		return false;
	return bsearch(&key, c->revs, c->nrevs, sizeof(*c->revs),
	    cmp_str) != NULL;
}

/*
 * Every ref must name a revision, else the warning with Python's
 * repr of {commit: {ref, ...}} (refs sorted by name).
 */
static enum err
check_refs(struct scanctx *c)
{
	struct sbuf	 sb = SBUF_INIT;
	bool		*done = NULL;
	size_t		 i, j, nmiss = 0;
	bool		 first;
	enum err	 e = ERR_OK;

	if (c->nrefs == 0)
		return ERR_OK;
	qsort(c->revs, c->nrevs, sizeof(*c->revs), cmp_str);
	qsort(c->refs, c->nrefs, sizeof(*c->refs), cmp_ref);
	if ((done = calloc(c->nrefs, sizeof(*done))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < c->nrefs; i++) {
		done[i] = ref_known(c, &c->refs[i]);
		if (!done[i])
			nmiss++;
	}
	if (nmiss == 0)
		goto out;
	sbuf_add(&sb, "{", 1);
	for (i = 0; i < c->nrefs; i++) {
		if (done[i])
			continue;
		if (sb.len > 1)
			sbuf_add(&sb, ", ", 2);
		pyrepr(&sb, c->refs[i].commit, c->refs[i].commitlen);
		sbuf_add(&sb, ": {", 3);
		first = true;
		for (j = i; j < c->nrefs; j++) {
			if (done[j] || c->refs[j].commitlen !=
			    c->refs[i].commitlen || memcmp(c->refs[j].commit,
			    c->refs[i].commit, c->refs[i].commitlen) != 0)
				continue;
			if (!first)
				sbuf_add(&sb, ", ", 2);
			first = false;
			pyrepr(&sb, c->refs[j].name, strlen(c->refs[j].name));
			if (j != i)
				done[j] = true;
		}
		done[i] = true;
		sbuf_add(&sb, "}", 1);
	}
	sbuf_add(&sb, "}", 1);
	if (sb.nomem) {
		e = ERR_NOMEM;
		goto out;
	}
	e = repo_warn(c, "Reference(s) refer to missing commit hashes: %s "
	    "(%s/%s).", sb.s, c->cache, c->folder);
out:
	free(sb.s);
	free(done);
	return e;
}

/*
 * Bytes of blobs/: every regular *.incomplete file, plus (all) every other
 * regular file no snapshot references.  Best effort: errors are ignored.
 */
static uint64_t
scan_partial(struct scanctx *c, bool all)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 key[sizeof("blobs/") + NAME_MAX];
	size_t		 len;
	uint64_t	 total = 0;
	int		 fd;
	bool		 inc;

	if (c->blobsfd == -1)
		return 0;
	if ((fd = openat(c->blobsfd, ".", DIR_FLAGS)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (hfcache_dtype(fd, de) != DT_REG)
			continue;
		len = strlen(de->d_name);
		inc = len > 11 &&
		    strcmp(de->d_name + len - 11, ".incomplete") == 0;
		if (!inc) {
			if (!all || len > NAME_MAX)
				continue;
			memcpy(key, "blobs/", 6);
			memcpy(key + 6, de->d_name, len + 1);
			if (blobset_find(&c->set, key, 6 + len,
			    blob_hash(key, 6 + len)) != NULL)
				continue;
		}
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

static enum err
push_warning(struct scanctx *c)
{
	struct hfscan	 *s = c->scan;
	char		**v;
	size_t		  cap;

	if (s->nwarnings == c->warncap) {
		cap = c->warncap == 0 ? 8 : c->warncap * 2;
		if ((v = reallocarray(s->warnings, cap, sizeof(*v))) == NULL)
			return ERR_NOMEM;
		s->warnings = v;
		c->warncap = cap;
	}
	s->warnings[s->nwarnings++] = c->warning;
	c->warning = NULL;
	return ERR_OK;
}

static enum err
push_repo(struct scanctx *c, struct hfrepo *repo)
{
	struct hfscan	*s = c->scan;
	struct hfrepo	*v;
	size_t		 cap;

	if (s->n == c->repocap) {
		cap = c->repocap == 0 ? 16 : c->repocap * 2;
		if ((v = reallocarray(s->repos, cap, sizeof(*v))) == NULL)
			return ERR_NOMEM;
		s->repos = v;
		c->repocap = cap;
	}
	s->repos[s->n++] = *repo;
	return ERR_OK;
}

/* id = rest with every "--" replaced by "/" (str.replace). */
static char *
hfcache_folder_id(const char *rest)
{
	char	*id, *o;

	if ((id = malloc(strlen(rest) + 1)) == NULL)
		return NULL;
	for (o = id; *rest != '\0'; ) {
		if (rest[0] == '-' && rest[1] == '-') {
			*o++ = '/';
			rest += 2;
		} else
			*o++ = *rest++;
	}
	*o = '\0';
	return id;
}

static void
repo_reset(struct scanctx *c)
{
	size_t	 i;

	if (c->blobsfd != -1)
		close(c->blobsfd);
	if (c->repofd != -1)
		close(c->repofd);
	c->blobsfd = c->repofd = -1;
	c->blobs_slow = false;
	blobset_clear(&c->set);
	for (i = 0; i < c->nrevs; i++)
		free(c->revs[i]);
	free(c->revs);
	c->revs = NULL;
	c->nrevs = c->revcap = 0;
	for (i = 0; i < c->nrefs; i++) {
		free(c->refs[i].name);
		free(c->refs[i].commit);
	}
	free(c->refs);
	c->refs = NULL;
	c->nrefs = c->refcap = 0;
	free(c->warning);
	c->warning = NULL;
	c->size = 0;
	c->nfiles = 0;
	c->rellen = 0;
	c->rel[0] = '\0';
}

/*
 * Scans the top-level entry name (type dtype) of the cache dir cachefd.  A
 * corrupted repo adds a warning and returns ERR_OK; only out-of-memory
 * stops the scan.
 */
static enum err
scan_repo(struct scanctx *c, int cachefd, const char *name, int dtype)
{
	struct hfrepo	 repo = { NULL, NULL, NULL, 0, 0, 0, 0 };
	struct stat	 st;
	DIR		*snap = NULL, *refs = NULL;
	const char	*dash;
	size_t		 saved;
	int		 fd;
	bool		 named = false;
	enum err	 e;

	c->folder = name;
	if (dtype != DT_DIR) {
		e = repo_warn(c, "Repo path is not a directory: %s/%s",
		    c->cache, name);
		goto out;
	}
	if ((dash = strstr(name, "--")) == NULL) {
		e = repo_warn(c, "Repo path is not a valid HuggingFace cache "
		    "directory: %s/%s", c->cache, name);
		goto out;
	}
	/* repo_type = prefix[:-1], repo_id = rest.replace("--", "/") */
	repo.type = strndup(name, dash > name ? (size_t)(dash - name) - 1 : 0);
	repo.id = hfcache_folder_id(dash + 2);
	repo.folder = strdup(name);
	if (repo.type == NULL || repo.id == NULL || repo.folder == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	if (strcmp(repo.type, "dataset") != 0 &&
	    strcmp(repo.type, "model") != 0 &&
	    strcmp(repo.type, "space") != 0) {
		e = repo_warn(c, "Repo type must be `dataset`, `model` or "
		    "`space`, found `%s` (%s/%s).", repo.type, c->cache, name);
		goto out;
	}
	if ((c->repofd = openat(cachefd, name, DIR_FLAGS)) == -1) {
		if (errno == ENOTDIR || errno == ELOOP)
			e = repo_warn(c, "Repo path is not a directory: %s/%s",
			    c->cache, name);
		else
			e = repo_warn_errno(c, "repo", "");
		goto out;
	}
	named = true;
	if ((c->blobsfd = openat(c->repofd, "blobs", DIR_FLAGS)) == -1 &&
	    errno != ENOENT)
		c->blobs_slow = true;

	if ((fd = openat(c->repofd, "snapshots", DIR_FLAGS)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			e = repo_warn(c, "Snapshots dir doesn't exist in cached "
			    "repo: %s/%s/snapshots", c->cache, name);
		else
			e = repo_warn_errno(c, "snapshots", "snapshots");
		goto out;
	}
	if ((snap = fdopendir(fd)) == NULL) {
		close(fd);
		e = ERR_NOMEM;
		goto out;
	}

	if ((fd = openat(c->repofd, "refs", DIR_FLAGS)) == -1) {
		if (errno == ENOTDIR || errno == ELOOP) {
			if (fstatat(c->repofd, "refs", &st, 0) == 0 &&
			    S_ISREG(st.st_mode)) {
				e = repo_warn(c, "Refs directory cannot be a "
				    "file: %s/%s/refs", c->cache, name);
				goto out;
			}
		} else if (errno != ENOENT) {
			e = repo_warn_errno(c, "refs", "refs");
			goto out;
		}
	} else if ((refs = fdopendir(fd)) == NULL) {
		close(fd);
		e = ERR_NOMEM;
		goto out;
	}
	if (refs != NULL) {
		if ((e = rel_push(c, "refs", &saved)) != ERR_OK)
			goto out;
		e = scan_refs(c, refs, 1);
		rel_pop(c, saved);
		if (e != ERR_OK)
			goto out;
	}

	if ((e = rel_push(c, "snapshots", &saved)) != ERR_OK)
		goto out;
	e = scan_snapshots(c, snap);
	rel_pop(c, saved);
	if (e != ERR_OK)
		goto out;
	if ((e = check_refs(c)) != ERR_OK)
		goto out;

	repo.size_on_disk = c->size;
	repo.nb_files = c->nfiles;
	repo.nrevisions = c->nrevs;
	repo.partial_bytes = scan_partial(c, true);
	if ((e = push_repo(c, &repo)) != ERR_OK)
		goto out;
	c->scan->size_on_disk += repo.size_on_disk;
	c->scan->partial_bytes += repo.partial_bytes;
	repo = (struct hfrepo){ NULL, NULL, NULL, 0, 0, 0, 0 };
out:
	if (e == ERR_CORRUPT) {
		if (named)
			c->scan->partial_bytes += scan_partial(c, false);
		e = push_warning(c);
	}
	if (refs != NULL)
		closedir(refs);
	if (snap != NULL)
		closedir(snap);
	free(repo.folder);
	free(repo.id);
	free(repo.type);
	repo_reset(c);
	return e;
}

static int
cmp_repo(const void *a, const void *b)
{
	const struct hfrepo	*ra = a, *rb = b;
	int			 r;

	if ((r = strcmp(ra->type, rb->type)) != 0)
		return r;
	if ((r = strcmp(ra->id, rb->id)) != 0)
		return r;
	return strcmp(ra->folder, rb->folder);
}

static void
hfcache_fail(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Logs the scan failure once (escaped) and copies it to errbuf. */
static void
hfcache_fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
	char	 msg[HFCACHE_PATH_MAX + 256];
	char	 esc[sizeof(msg) * 4];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("hfcache_scan: %s", log_escape(esc, sizeof(esc), msg));
	if (errbuf != NULL && errlen > 0)
		(void)snprintf(errbuf, errlen, "%s", msg);
}

enum err
hfcache_scan(const char *dir, struct hfscan **out, char *errbuf,
    size_t errlen)
{
	struct scanctx	*c = NULL;
	struct hfscan	*scan = NULL;
	struct dirent	*de;
	DIR		*d = NULL;
	char		*real = NULL;
	size_t		 nentries = 0;
	int		 fd;
	enum err	 e = ERR_OK;

	*out = NULL;
	if ((scan = calloc(1, sizeof(*scan))) == NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	c->scan = scan;
	c->repofd = c->blobsfd = -1;
	if ((real = realpath(dir, NULL)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			goto out;	/* no cache yet: empty */
		e = errno == ENOMEM ? ERR_NOMEM : ERR_IO;
		hfcache_fail(errbuf, errlen, "Cannot read %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	if ((fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		e = ERR_IO;
		if (errno == ENOTDIR)
			hfcache_fail(errbuf, errlen, "Scan cache expects a "
			    "directory but found a file: %s", real);
		else
			hfcache_fail(errbuf, errlen, "Cannot read %s: %s",
			    real, strerror(errno));
		goto out;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		e = ERR_NOMEM;
		goto out;
	}
	c->cache = strcmp(real, "/") == 0 ? "" : real;
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				e = ERR_IO;
				hfcache_fail(errbuf, errlen,
				    "Cannot read %s: %s", real,
				    strerror(errno));
			}
			break;
		}
		if (hfcache_dots(de->d_name) || hfcache_ignored(de->d_name) ||
		    strcmp(de->d_name, ".locks") == 0 ||
		    strcmp(de->d_name, "CACHEDIR.TAG") == 0)
			continue;
		if (++nentries > HFCACHE_ENTRIES_MAX) {
			e = ERR_TOOBIG;
			hfcache_fail(errbuf, errlen, "Too many entries in %s",
			    real);
			break;
		}
		if ((e = scan_repo(c, dirfd(d), de->d_name,
		    hfcache_dtype(dirfd(d), de))) != ERR_OK)
			break;
	}
	if (e == ERR_OK && scan->n > 1)
		qsort(scan->repos, scan->n, sizeof(*scan->repos), cmp_repo);
out:
	if (e == ERR_NOMEM)
		hfcache_fail(errbuf, errlen, "out of memory");
	if (e != ERR_OK)
		hfcache_free(&scan);
	if (d != NULL)
		closedir(d);
	free(real);
	free(c);
	*out = scan;
	return e;
}

static int
cmp_find(const void *key, const void *elem)
{
	const struct hfrepo	*k = key, *r = elem;
	int			 c;

	if ((c = strcmp(k->type, r->type)) != 0)
		return c;
	return strcmp(k->id, r->id);
}

const struct hfrepo *
hfcache_find(const struct hfscan *scan, const char *type, const char *id)
{
	struct hfrepo	 key;

	if (scan == NULL || scan->n == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.type = (char *)(uintptr_t)type;
	key.id = (char *)(uintptr_t)id;
	return bsearch(&key, scan->repos, scan->n, sizeof(*scan->repos),
	    cmp_find);
}

void
hfcache_free(struct hfscan **scanp)
{
	struct hfscan	*scan;
	size_t		 i;

	if (scanp == NULL || (scan = *scanp) == NULL)
		return;
	for (i = 0; i < scan->n; i++) {
		free(scan->repos[i].type);
		free(scan->repos[i].id);
		free(scan->repos[i].folder);
	}
	free(scan->repos);
	for (i = 0; i < scan->nwarnings; i++)
		free(scan->warnings[i]);
	free(scan->warnings);
	free(scan);
	*scanp = NULL;
}
