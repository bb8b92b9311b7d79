/*
 * One repo folder of the HuggingFace Hub cache, with scan_cache_dir
 * semantics (HF-HUB.md section 5).
 *
 * The scan walks each repo with openat()/readlinkat()/fstatat() relative
 * to directory descriptors and never follows a symlink while walking: only
 * link targets are resolved, to stat the blob they name.  The usual link
 * text "../../blobs/<etag>" (one "../" per directory level below the repo)
 * is mapped straight onto the repo's blobs/ descriptor, and each unique
 * blob is stat'ed once (a per-repo set keyed by the blob path relative to
 * the repo); any other link text falls back to realpath().
 *
 * Deliberate choices where Python's behaviour is unspecified or unsafe,
 * for a cache that any process of its group may write at any time:
 * nothing is followed through a symlink but the snapshot links to the
 * repo's own blobs, and no file's content is ever quoted but a ref that is
 * exactly a commit hash.
 * - A symlink at the top level or a symlinked snapshots/ is not followed
 *   (the repo is reported as "Repo path is not a directory" or "Snapshots
 *   dir doesn't exist").  A symlink inside snapshots/ pointing to a
 *   directory counts as a revision with no files.  A blobs/ that is a
 *   symlink or not a directory makes the repo corrupted, and so does a
 *   link in a revision that does not resolve into the repo's blobs/ (Python
 *   would count a file anywhere, and skip a directory).
 * - Errors Python would raise out of the whole scan (a ref or snapshot
 *   dir that cannot be read) become a warning for that repo instead.
 * - Only regular files in refs/ are read, opened with O_NOFOLLOW, at most
 *   HFREPO_REF_MAX bytes, with Python's universal-newline translation.  A
 *   ref that is a symlink, a FIFO or anything else, and a symlinked refs/,
 *   are ignored (never opened) and named in a note for the repo, which
 *   does not make it corrupted.
 * - Only refs/, snapshots/ and blobs/ are read: the downloader's
 *   .mm-staging/<commit>/ (a revision being published) is not a revision,
 *   and the blobs only it points to are partial bytes.
 * - partial_bytes of a valid repo is the st_size of every regular
 *   blobs/ *.incomplete file plus every other regular file in blobs/ that
 *   no snapshot references.  For a corrupted repo whose folder name is
 *   valid (a directory "<type>s--<id>" with an accepted type) only the
 *   *.incomplete files count, since the walk stopped early and orphans are
 *   unknown.
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

#include "array.h"
#include "dirat.h"
#include "fdio.h"
#include "hfrefs.h"
#include "hfrepo.h"
#include "hfrev.h"
#include "pypath.h"
#include "sbuf.h"
#include "strset.h"

#define HFREPO_DEPTH_MAX	64		/* dir levels below a repo */
#define HFREPO_PATH_MAX		8192		/* path inside a repo */
#define HFREPO_LINK_MAX		4096		/* symlink text */
#define HFREPO_REF_MAX		1024		/* bytes read from a ref */
#define HFREPO_BLOBS_MAX	(1u << 24)	/* unique blobs per repo */
#define HFREPO_REVS_MAX		(1u << 20)	/* revisions per repo */
#define HFREPO_REFS_MAX		(1u << 16)	/* refs per repo */
#define HFREPO_NOTED_MAX	8		/* ignored refs named */
#define HFREPO_NOTE_MAX		(256 * 1024)	/* the note's text */

#define BLOBS_PREFIX		"blobs/"
#define BLOBS_PREFIX_LEN	(sizeof(BLOBS_PREFIX) - 1)
#define INCOMPLETE		".incomplete"
#define INCOMPLETE_LEN		(sizeof(INCOMPLETE) - 1)

/* The state of one repo scan; it stops at its first warning. */
struct repoctx {
	const char	*cache;		/* resolved cache dir, "" for "/" */
	const char	*folder;
	int		 repofd;
	int		 blobsfd;	/* -1: no blobs/ */
	struct strset	 set;		/* unique blobs seen */
	uint64_t	 size;
	size_t		 nfiles;
	char		**revs;
	size_t		 nrevs;
	size_t		 revcap;
	struct hfref	*refs;
	size_t		 nrefs;
	size_t		 refcap;
	char		*warning;
	struct sbuf	 note;		/* the refs ignored */
	size_t		 nignored;
	char		 rel[HFREPO_PATH_MAX];	/* current dir inside the repo */
	size_t		 rellen;
};

/*
 * How a directory is walked: which entries are skipped besides "." and
 * "..", and the function called for each other entry (dfd the directory,
 * depth levels below the repo, c->rel its path inside the repo).
 */
enum walk_skip {
	SKIP_NONE,
	SKIP_JUNK,		/* OS junk files and directories */
	SKIP_JUNK_FILES		/* OS junk files, directories walked */
};

struct walk {
	enum walk_skip	 skip;
	enum err	(*entry)(struct repoctx *c, int dfd, const char *name,
			    int dtype, size_t depth);
};

static const char *const junk_names[] = {
	".DS_Store", "Thumbs.db", "desktop.ini", NULL
};

/* ---------------------------------------------------------------------
 * Warnings and the path inside the repo
 */

static bool
os_junk(const char *name)
{
	size_t	 i;

	for (i = 0; junk_names[i] != NULL; i++)
		if (strcmp(name, junk_names[i]) == 0)
			return true;
	return false;
}

bool
hfrepo_skipped(const char *name)
{

	return dirat_dots(name) || os_junk(name) ||
	    strcmp(name, ".locks") == 0 || strcmp(name, "CACHEDIR.TAG") == 0;
}

/* Records the repo's (first) warning.  Returns ERR_CORRUPT or ERR_NOMEM. */
static enum err
repo_warn(struct repoctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum err
repo_warn(struct repoctx *c, const char *fmt, ...)
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
repo_warn_errno(struct repoctx *c, const char *what, const char *name)
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
rel_push(struct repoctx *c, const char *name, size_t *saved)
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
rel_pop(struct repoctx *c, size_t saved)
{

	c->rellen = saved;
	c->rel[saved] = '\0';
}

/*
 * Notes that the entry name of c->rel (a ref, or refs/ itself) is ignored:
 * its path, never its content, and only the first HFREPO_NOTED_MAX paths.
 */
static void
note_ignored(struct repoctx *c, const char *name)
{

	if (++c->nignored > HFREPO_NOTED_MAX)
		return;
	sbuf_adds(&c->note, c->nignored == 1 ? "Refs ignored, a symlink or "
	    "not a regular file: " : ", ");
	sbuf_adds(&c->note, c->cache);
	sbuf_adds(&c->note, "/");
	sbuf_adds(&c->note, c->folder);
	sbuf_adds(&c->note, "/");
	sbuf_adds(&c->note, c->rel);
	if (c->rellen > 0)
		sbuf_adds(&c->note, "/");
	sbuf_adds(&c->note, name);
}

/* The note of the refs ignored (malloc'd, the caller's), NULL when there
 * is none. */
static char *
note_finish(struct repoctx *c)
{
	char	 more[64], *note;

	if (c->nignored == 0)
		return NULL;
	if (c->nignored > HFREPO_NOTED_MAX) {
		(void)snprintf(more, sizeof(more), " and %zu more",
		    c->nignored - HFREPO_NOTED_MAX);
		sbuf_adds(&c->note, more);
	}
	note = sbuf_finish(&c->note);
	c->note.s = NULL;
	return note;
}

/* ---------------------------------------------------------------------
 * The directory walker
 */

/* Calls w->entry for every entry of d, depth levels below the repo. */
static enum err
walk(struct repoctx *c, DIR *d, size_t depth, const struct walk *w)
{
	struct dirent	*de;
	int		 dtype;
	enum err	 e;

	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			return errno == 0 ? ERR_OK :
			    repo_warn_errno(c, "directory", "");
		if (dirat_dots(de->d_name) ||
		    (w->skip == SKIP_JUNK && os_junk(de->d_name)))
			continue;
		dtype = dirat_type(dirfd(d), de);
		if (w->skip == SKIP_JUNK_FILES && dtype != DT_DIR &&
		    os_junk(de->d_name))
			continue;
		if ((e = w->entry(c, dirfd(d), de->d_name, dtype,
		    depth)) != ERR_OK)
			return e;
	}
}

/* Walks d, the directory name inside c->rel, depth levels below the repo. */
static enum err
walk_in(struct repoctx *c, DIR *d, const char *name, size_t depth,
    const struct walk *w)
{
	size_t		 saved;
	enum err	 e;

	if ((e = rel_push(c, name, &saved)) != ERR_OK)
		return e;
	e = walk(c, d, depth, w);
	rel_pop(c, saved);
	return e;
}

/* Walks the sub-directory name of dfd (depth levels below the repo). */
static enum err
walk_sub(struct repoctx *c, int dfd, const char *name, size_t depth,
    const struct walk *w)
{
	DIR		*sub;
	enum err	 e;

	if (depth + 1 > HFREPO_DEPTH_MAX)
		return repo_warn(c, "Directory too deep in cached repo: "
		    "%s/%s/%s", c->cache, c->folder, c->rel);
	if ((sub = dirat_open(dfd, name)) == NULL)
		return repo_warn_errno(c, "directory", name);
	e = walk_in(c, sub, name, depth + 1, w);
	closedir(sub);
	return e;
}

/* ---------------------------------------------------------------------
 * Blobs: the files of the revisions
 */

/* Adds a new blob (key not in the set yet) with its stat. */
static enum err
blob_insert(struct repoctx *c, const char *key, size_t n, uint64_t h,
    const struct stat *st)
{

	if (c->set.n >= HFREPO_BLOBS_MAX)
		return repo_warn(c, "Too many blobs in cached repo: %s/%s",
		    c->cache, c->folder);
	if (strset_add(&c->set, key, n, h) != ERR_OK)
		return ERR_NOMEM;
	if (!S_ISDIR(st->st_mode)) {
		c->nfiles++;
		c->size += (uint64_t)st->st_size;
	}
	return ERR_OK;
}

/* realpath() of the link full failed: a broken link is a warning. */
static enum err
blob_broken(struct repoctx *c, const char *full, const char *name)
{
	char		*shown;
	enum err	 e;

	if (errno == ENOMEM)
		return ERR_NOMEM;
	if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
		return repo_warn_errno(c, "blob", name);
	/* Show the target as Path.resolve() would. */
	if ((shown = pypath_linktarget(full)) == NULL)
		return ERR_NOMEM;
	e = repo_warn(c, "Blob missing (broken symlink): %s", shown);
	free(shown);
	return e;
}

/* The set key of the resolved blob path r: relative when in the repo. */
static const char *
blob_key(const struct repoctx *c, const char *r)
{
	size_t	 clen = strlen(c->cache), flen = strlen(c->folder);

	if (strncmp(r, c->cache, clen) == 0 && r[clen] == '/' &&
	    strncmp(r + clen + 1, c->folder, flen) == 0 &&
	    r[clen + 1 + flen] == '/')
		return r + clen + 1 + flen + 1;
	return r;
}

/*
 * Slow path: realpath() of the link at <repo>/<rel>/name, keyed relative to
 * the repo when it lands inside it.
 */
static enum err
blob_slow(struct repoctx *c, const char *name)
{
	struct stat	 st;
	char		*full = NULL, *r = NULL;
	const char	*key;
	uint64_t	 h;
	enum err	 e = ERR_OK;

	if (asprintf(&full, "%s/%s/%s%s%s", c->cache, c->folder, c->rel,
	    c->rellen > 0 ? "/" : "", name) == -1) {
		full = NULL;
		e = ERR_NOMEM;
		goto out;
	}
	if ((r = realpath(full, NULL)) == NULL) {
		e = blob_broken(c, full, name);
		goto out;
	}
	key = blob_key(c, r);
	if (strncmp(key, BLOBS_PREFIX, BLOBS_PREFIX_LEN) != 0) {
		e = repo_warn(c, "Snapshot link outside the repo's blobs: "
		    "%s", full);
		goto out;
	}
	h = strset_hash(key, strlen(key));
	if (strset_has(&c->set, key, strlen(key), h))
		goto out;
	if (stat(r, &st) == -1)
		e = errno == ENOMEM ? ERR_NOMEM :
		    repo_warn(c, "Blob missing (broken symlink): %s", r);
	else
		e = blob_insert(c, key, strlen(key), h, &st);
out:
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
scan_link(struct repoctx *c, int dfd, const char *name, size_t depth)
{
	struct stat	 st;
	char		 text[HFREPO_LINK_MAX];
	char		 key[BLOBS_PREFIX_LEN + NAME_MAX + 1];
	const char	*p;
	ssize_t		 n;
	size_t		 k, blen, klen;
	uint64_t	 h;

	if ((n = readlinkat(dfd, name, text, sizeof(text) - 1)) == -1)
		return repo_warn_errno(c, "symlink", name);
	if ((size_t)n >= sizeof(text) - 1)
		return blob_slow(c, name);
	text[n] = '\0';
	for (p = text, k = 0; p[0] == '.' && p[1] == '.' && p[2] == '/';
	    p += 3)
		k++;
	if (k != depth || strncmp(p, BLOBS_PREFIX, BLOBS_PREFIX_LEN) != 0)
		return blob_slow(c, name);
	p += BLOBS_PREFIX_LEN;
	blen = (size_t)(text + n - p);
	if (blen == 0 || blen > NAME_MAX || memchr(p, '/', blen) != NULL ||
	    dirat_dots(p))
		return blob_slow(c, name);
	klen = BLOBS_PREFIX_LEN + blen;
	memcpy(key, BLOBS_PREFIX, BLOBS_PREFIX_LEN);
	memcpy(key + BLOBS_PREFIX_LEN, p, blen + 1);
	h = strset_hash(key, klen);
	if (strset_has(&c->set, key, klen, h))
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
scan_plain(struct repoctx *c, int dfd, const char *name)
{
	struct stat	 st;
	size_t		 saved;
	uint64_t	 h;
	enum err	 e;

	if ((e = rel_push(c, name, &saved)) != ERR_OK)
		return e;
	h = strset_hash(c->rel, c->rellen);
	if (!strset_has(&c->set, c->rel, c->rellen, h)) {
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			rel_pop(c, saved);
			return repo_warn_errno(c, "file", name);
		}
		e = blob_insert(c, c->rel, c->rellen, h, &st);
	}
	rel_pop(c, saved);
	return e;
}

/*
 * Bytes of blobs/: every regular *.incomplete file, plus (all) every other
 * regular file no snapshot references.  Best effort: errors are ignored.
 */
static uint64_t
scan_partial(struct repoctx *c, bool all)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 key[BLOBS_PREFIX_LEN + NAME_MAX + 1];
	size_t		 len;
	uint64_t	 total = 0;

	if (c->blobsfd == -1 || (d = dirat_open(c->blobsfd, ".")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (dirat_type(dirfd(d), de) != DT_REG)
			continue;
		len = strlen(de->d_name);
		if (len <= INCOMPLETE_LEN || strcmp(de->d_name + len -
		    INCOMPLETE_LEN, INCOMPLETE) != 0) {
			if (!all || len > NAME_MAX)
				continue;
			memcpy(key, BLOBS_PREFIX, BLOBS_PREFIX_LEN);
			memcpy(key + BLOBS_PREFIX_LEN, de->d_name, len + 1);
			len += BLOBS_PREFIX_LEN;
			if (strset_has(&c->set, key, len, strset_hash(key, len)))
				continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(d);
	return total;
}

/* ---------------------------------------------------------------------
 * Revisions (snapshots/) and refs (refs/)
 */

static enum err	 tree_entry(struct repoctx *, int, const char *, int, size_t);
static enum err	 refs_entry(struct repoctx *, int, const char *, int, size_t);
static enum err	 snapshots_entry(struct repoctx *, int, const char *, int,
		    size_t);

/* A revision: every file below it, recursively (Python's glob("**")). */
static const struct walk walk_tree = { SKIP_NONE, tree_entry };
/* refs/: every file below it, recursively, but the OS junk files. */
static const struct walk walk_refs = { SKIP_JUNK_FILES, refs_entry };
/* snapshots/: every entry but the OS junk is a revision. */
static const struct walk walk_snapshots = { SKIP_JUNK, snapshots_entry };

static enum err
tree_entry(struct repoctx *c, int dfd, const char *name, int dtype,
    size_t depth)
{

	switch (dtype) {
	case DT_DIR:
		return walk_sub(c, dfd, name, depth, &walk_tree);
	case DT_LNK:
		return scan_link(c, dfd, name, depth);
	default:
		return scan_plain(c, dfd, name);
	}
}

/* Adds the ref name (in c->rel) pointing at the len bytes of commit. */
static enum err
ref_add(struct repoctx *c, const char *name, const char *commit, size_t len)
{
	struct hfref	*r;
	size_t		 saved;
	enum err	 e;

	if (array_grow(&c->refs, &c->refcap, c->nrefs + 1, sizeof(*c->refs),
	    HFREPO_REFS_MAX) != ERR_OK)
		return ERR_NOMEM;
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
	memcpy(r->commit, commit, len);
	r->commit[len] = '\0';
	r->commitlen = len;
	c->nrefs++;
	return ERR_OK;
}

/*
 * A ref file: read raw, text mode, at most HFREPO_REF_MAX bytes, when it
 * is a regular file; anything else (a symlink, a FIFO, replaced since
 * readdir) is noted as ignored, never opened through.
 */
static enum err
scan_ref(struct repoctx *c, int dfd, const char *name)
{
	char	 buf[HFREPO_REF_MAX];
	size_t	 len;
	int	 rc;

	if (c->nrefs >= HFREPO_REFS_MAX)
		return repo_warn(c, "Too many refs in cached repo: %s/%s",
		    c->cache, c->folder);
	if ((rc = fdio_read_regular(dfd, name, buf, sizeof(buf), &len)) == -1)
		return repo_warn_errno(c, "ref", name);
	if (rc == 1) {
		note_ignored(c, name);
		return ERR_OK;
	}
	return ref_add(c, name, buf, hfrefs_newlines(buf, len));
}

/* A directory is walked, a regular file read, anything else ignored. */
static enum err
refs_entry(struct repoctx *c, int dfd, const char *name, int dtype,
    size_t depth)
{

	switch (dtype) {
	case DT_DIR:
		return walk_sub(c, dfd, name, depth, &walk_refs);
	case DT_REG:
		return scan_ref(c, dfd, name);
	default:
		note_ignored(c, name);
		return ERR_OK;
	}
}

static enum err
add_rev(struct repoctx *c, const char *name)
{

	if (c->nrevs >= HFREPO_REVS_MAX)
		return repo_warn(c, "Too many revisions in cached repo: %s/%s",
		    c->cache, c->folder);
	if (array_grow(&c->revs, &c->revcap, c->nrevs + 1, sizeof(*c->revs),
	    HFREPO_REVS_MAX) != ERR_OK)
		return ERR_NOMEM;
	if ((c->revs[c->nrevs] = strdup(name)) == NULL)
		return ERR_NOMEM;
	c->nrevs++;
	return ERR_OK;
}

/* Every directory in snapshots/ is a revision; a file is corruption. */
static enum err
snapshots_entry(struct repoctx *c, int dfd, const char *name, int dtype,
    size_t depth)
{
	struct stat	 st;
	enum err	 e;

	switch (dtype) {
	case DT_DIR:
		if ((e = add_rev(c, name)) != ERR_OK)
			return e;
		return walk_sub(c, dfd, name, depth, &walk_tree);
	case DT_LNK:
		/* Not followed: a revision without files, unless it is a
		 * file (Path.is_file() follows links). */
		if (fstatat(dfd, name, &st, 0) == -1 || !S_ISREG(st.st_mode))
			return add_rev(c, name);
		/* FALLTHROUGH */
	case DT_REG:
		return repo_warn(c, "Snapshots folder corrupted. Found a "
		    "file: %s/%s/snapshots/%s", c->cache, c->folder, name);
	default:
		return add_rev(c, name);
	}
}

/* Every ref must name a revision. */
static enum err
check_refs(struct repoctx *c)
{
	char		*dict;
	enum err	 e;

	if (hfrefs_missing(c->refs, c->nrefs, c->revs, c->nrevs,
	    &dict) != ERR_OK)
		return ERR_NOMEM;
	if (dict == NULL)
		return ERR_OK;
	e = repo_warn(c, "Reference(s) refer to missing commit hashes: %s "
	    "(%s/%s).", dict, c->cache, c->folder);
	free(dict);
	return e;
}

/* ---------------------------------------------------------------------
 * The repo folder
 */

char *
hfrepo_folder_id(const char *rest)
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

/* The type and id of the folder name (of type dtype) into repo. */
static enum err
parse_folder(struct repoctx *c, const char *name, int dtype,
    struct hfrepo *repo)
{
	const char	*dash;

	if (dtype != DT_DIR)
		return repo_warn(c, "Repo path is not a directory: %s/%s",
		    c->cache, name);
	if ((dash = strstr(name, "--")) == NULL)
		return repo_warn(c, "Repo path is not a valid HuggingFace "
		    "cache directory: %s/%s", c->cache, name);
	/* repo_type = prefix[:-1], repo_id = rest.replace("--", "/") */
	repo->type = strndup(name, dash > name ? (size_t)(dash - name) - 1 :
	    0);
	repo->id = hfrepo_folder_id(dash + 2);
	repo->folder = strdup(name);
	if (repo->type == NULL || repo->id == NULL || repo->folder == NULL)
		return ERR_NOMEM;
	if (strcmp(repo->type, "dataset") != 0 &&
	    strcmp(repo->type, "model") != 0 &&
	    strcmp(repo->type, "space") != 0)
		return repo_warn(c, "Repo type must be `dataset`, `model` or "
		    "`space`, found `%s` (%s/%s).", repo->type, c->cache, name);
	return ERR_OK;
}

/* Opens the repo folder and its blobs/ (which may be missing, but not be
 * a symlink or a file). */
static enum err
open_repo(struct repoctx *c, int cachefd)
{

	if ((c->repofd = dirat_fd(cachefd, c->folder)) == -1) {
		if (errno == ENOTDIR || errno == ELOOP)
			return repo_warn(c, "Repo path is not a directory: "
			    "%s/%s", c->cache, c->folder);
		return repo_warn_errno(c, "repo", "");
	}
	if ((c->blobsfd = dirat_fd(c->repofd, "blobs")) != -1 ||
	    errno == ENOENT)
		return ERR_OK;
	if (errno == ENOTDIR || errno == ELOOP)
		return repo_warn(c, "Blobs dir is a symlink or not a directory "
		    "in cached repo: %s/%s/blobs", c->cache, c->folder);
	return repo_warn_errno(c, "blobs", "blobs");
}

static enum err
open_snapshots(struct repoctx *c, DIR **snap)
{

	if ((*snap = dirat_open(c->repofd, "snapshots")) != NULL)
		return ERR_OK;
	if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
		return repo_warn(c, "Snapshots dir doesn't exist in cached "
		    "repo: %s/%s/snapshots", c->cache, c->folder);
	return repo_warn_errno(c, "snapshots", "snapshots");
}

/* refs/ is optional (*refs NULL) but cannot be a file; a symlinked one
 * is ignored (noted). */
static enum err
open_refs(struct repoctx *c, DIR **refs)
{
	struct stat	 st;

	if ((*refs = dirat_open(c->repofd, "refs")) != NULL ||
	    errno == ENOENT)
		return ERR_OK;
	if (errno != ENOTDIR && errno != ELOOP)
		return repo_warn_errno(c, "refs", "refs");
	if (fstatat(c->repofd, "refs", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		return repo_warn(c, "Refs directory cannot be a file: "
		    "%s/%s/refs", c->cache, c->folder);
	note_ignored(c, "refs");
	return ERR_OK;
}

/* Walks refs/ then snapshots/ and checks that the refs name revisions. */
static enum err
walk_repo(struct repoctx *c)
{
	DIR		*snap = NULL, *refs = NULL;
	enum err	 e;

	if ((e = open_snapshots(c, &snap)) != ERR_OK ||
	    (e = open_refs(c, &refs)) != ERR_OK)
		goto out;
	if (refs != NULL &&
	    (e = walk_in(c, refs, "refs", 1, &walk_refs)) != ERR_OK)
		goto out;
	if ((e = walk_in(c, snap, "snapshots", 1, &walk_snapshots)) != ERR_OK)
		goto out;
	e = check_refs(c);
out:
	if (refs != NULL)
		closedir(refs);
	if (snap != NULL)
		closedir(snap);
	return e;
}

/* The content of refs/main, or NULL when there is none. */
static const char *
main_ref(const struct repoctx *c)
{
	size_t	 i;

	for (i = 0; i < c->nrefs; i++)
		if (strcmp(c->refs[i].name, "main") == 0)
			return c->refs[i].commitlen == HFREFS_COMMIT_LEN ?
			    c->refs[i].commit : NULL;
	return NULL;
}

/* Releases what the scan of one repo holds. */
static void
repoctx_free(struct repoctx *c)
{
	size_t	 i;

	if (c->blobsfd != -1)
		close(c->blobsfd);
	if (c->repofd != -1)
		close(c->repofd);
	strset_clear(&c->set);
	for (i = 0; i < c->nrevs; i++)
		free(c->revs[i]);
	free(c->revs);
	for (i = 0; i < c->nrefs; i++) {
		free(c->refs[i].name);
		free(c->refs[i].commit);
	}
	free(c->refs);
	free(c->warning);
	free(c->note.s);
}

enum err
hfrepo_scan(int cachefd, const char *cache, const struct dirent *de,
    struct hfrepo *repo, char **warning, char **note)
{
	struct repoctx	 c;
	bool		 opened = false;
	enum err	 e;

	memset(&c, 0, sizeof(c));
	c.note = (struct sbuf)SBUF_INIT_MAX(HFREPO_NOTE_MAX);
	c.cache = cache;
	c.folder = de->d_name;
	c.repofd = c.blobsfd = -1;
	memset(repo, 0, sizeof(*repo));
	*warning = *note = NULL;
	if ((e = parse_folder(&c, de->d_name, dirat_type(cachefd, de),
	    repo)) != ERR_OK || (e = open_repo(&c, cachefd)) != ERR_OK)
		goto out;
	opened = true;
	if ((e = walk_repo(&c)) != ERR_OK)
		goto out;
	repo->size_on_disk = c.size;
	repo->nb_files = c.nfiles;
	repo->nrevisions = c.nrevs;
	repo->partial_bytes = scan_partial(&c, true);
	(void)hfrev_head(c.repofd, main_ref(&c), c.revs, c.nrevs, repo->head);
out:
	if (e != ERR_OK) {
		free(repo->folder);
		free(repo->id);
		free(repo->type);
		memset(repo, 0, sizeof(*repo));
	}
	if (e == ERR_CORRUPT) {
		repo->partial_bytes = opened ? scan_partial(&c, false) : 0;
		*warning = c.warning;
		c.warning = NULL;
	}
	if (e == ERR_OK || e == ERR_CORRUPT)
		*note = note_finish(&c);
	repoctx_free(&c);
	return e;
}
