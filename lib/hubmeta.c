/*
 * The metadata of a snapshot download (HF-HUB.md section 3): the commit
 * of the revision, then the commit's recursive tree listing, page after
 * page, checked (safe, unique paths; hex object ids; sane sizes; the
 * limits on depth, directories, bytes and link length) and grouped into
 * the distinct blobs to fetch, all before anything is made in the cache.
 *
 * Memory stays bounded whatever the hub sends: each page goes to a
 * temporary file (never into memory) and is read back through the small
 * buffer of hubtree.c; each file becomes a record in a second temporary
 * file (the spool) plus a fixed-size struct hfile in memory (80 bytes,
 * at most LISTING_FILES_MAX of them), sorted by path through a prefix
 * key (reading the spool only on a tie); the paths themselves stay in
 * the spool, read back one at a time for the checks, the transfers, the
 * links and trees/<commit>.json.  Both files are unlinked from the start:
 * O_TMPFILE in the cache directory, on the cache's disk (not a tmpfs
 * that would hold them in memory), where the job may write and where
 * nothing is ever visible to a scan or left behind by a kill; TMPDIR
 * when the cache directory does not exist yet or cannot hold one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "array.h"
#include "hex.h"
#include "hubdl.h"
#include "hubfetch.h"
#include "hubhttp.h"
#include "hubmeta.h"
#include "hubname.h"
#include "hubtree.h"
#include "valid.h"

#define LISTING_FILES_MAX	200000
#define TREE_PAGES_MAX		100000
#define REVISION_BODY_MAX	(16UL * 1024 * 1024)
#define SIZE_MAX_JSON		9007199254740992ULL	/* 2^53 */
#define SPOOL_BUF		65536	/* records written at once */
/* The longest directory a link is written in: <repo>/.mm-staging/<commit>. */
#define LINK_DIR		"/.mm-staging/0123456789012345678901234567890123456789/"
#define DEFAULT_DEPTH		32
#define DEFAULT_DIRS		10000
#define DEFAULT_LISTING		(64ULL * 1024 * 1024)

static void
meta_call(struct hubdl *d, CURL *e, struct hubhttp_hdrs *h, struct hubfetch_call *c)
{

	c->opts = &d->http;
	c->ectx = &d->ectx;
	c->easy = e;
	c->hdrs = h;
	c->stop = hubdl_stop_cb;
	c->stop_arg = d;
}

/*
 * The temporary files.
 */

/*
 * An unlinked temporary file: O_TMPFILE in the cache directory when it
 * exists (the operator's path: symlinks in it are followed, as
 * hfwrite_mkdirs does), else mkstemp(3) in TMPDIR (or /tmp) unlinked at
 * once.  -1 with errno.
 */
static int
meta_tmpfile(const struct hubdl *d)
{
	const char	*dir = getenv("TMPDIR");
	char		 tmpl[PATH_MAX];
	int		 fd;

	if ((fd = open(d->cache_dir, O_TMPFILE | O_RDWR | O_CLOEXEC,
	    0600)) != -1 || (errno != ENOENT && errno != EOPNOTSUPP &&
	    errno != EISDIR && errno != EINVAL))
		return fd;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if (snprintf(tmpl, sizeof(tmpl), "%s/mm-listing.XXXXXX", dir) >=
	    (int)sizeof(tmpl)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) != -1)
		(void)unlink(tmpl);
	return fd;
}

/* Bytes [off, end) of a temporary file, read through hubtree. */
struct span {
	int		 fd;
	uint64_t	 off, end;
};

static long
span_read(void *arg, char *buf, size_t len)
{
	struct span	*sp = arg;
	ssize_t		 n;

	if (len > sp->end - sp->off)
		len = (size_t)(sp->end - sp->off);
	if (len == 0)
		return 0;
	if ((n = pread(sp->fd, buf, len, (off_t)sp->off)) > 0)
		sp->off += (uint64_t)n;
	return n;
}

/* Exactly len bytes at off of fd: 0, or -1 (errno; EIO when short). */
static int
read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t	 n;

	if ((n = pread(fd, buf, len, (off_t)off)) == (ssize_t)len)
		return 0;
	if (n >= 0)
		errno = EIO;
	return -1;
}

/* The record at off of the spool into d->rb: 0, or -1 with errno. */
static int
meta_record(struct hubdl *d, uint64_t off)
{
	struct hrecbuf	*rb = &d->rb;

	if (read_at(d->spoolfd, &rb->h, sizeof(rb->h), off) == -1 ||
	    rb->h.plen > HUBNAME_PATH_MAX || rb->h.xlen > HUBTREE_XET_MAX ||
	    read_at(d->spoolfd, rb->path, rb->h.plen, off + sizeof(rb->h)) ==
	    -1 || read_at(d->spoolfd, rb->xet, rb->h.xlen, off +
	    sizeof(rb->h) + rb->h.plen) == -1)
		return -1;
	rb->path[rb->h.plen] = '\0';
	rb->xet[rb->h.xlen] = '\0';
	return 0;
}

/*
 * The revision.
 */

static enum err
meta_resolve(struct hubdl *d, const struct hubfetch_call *c, int rawfd,
    struct hubtree *t)
{
	struct span	 sp = { rawfd, 0, 0 };
	char		 rev[3 * HUBNAME_REV_MAX + 1], *url = NULL;
	char		*final = NULL, sha[41];
	size_t		 len;
	enum err	 rc;

	if (d->commit[0] != '\0')
		return ERR_OK;		/* pinned by a source that failed */
	if (hubname_is_commit(d->revision) == 0) {
		memcpy(d->commit, d->revision, sizeof(d->commit));
		return ERR_OK;
	}
	if (hubname_quote(d->revision, 0, rev, sizeof(rev)) == -1 ||
	    asprintf(&url, "%s/api/models/%s/revision/%s", d->endpoint,
	    d->repo_id, rev) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	if ((rc = hubfetch_spool(c, url, rawfd, REVISION_BODY_MAX, &len,
	    &final, d->msg, d->msglen)) != ERR_OK)
		d->err = rc;
	else {
		sp.end = len;
		rc = hubtree_member(t, span_read, &sp, "sha", sha, 40);
		if (rc == ERR_IO)
			hubdl_ioerr(d, t->rerr, "(a temporary file)");
		else if (rc != ERR_OK || hubname_is_commit(sha) == -1)
			hubdl_fail(d, ERR_INVAL, "The hub answered no valid "
			    "commit hash for %s at revision %s", d->repo_id,
			    d->revision);
		else
			memcpy(d->commit, sha, sizeof(d->commit));
	}
	free(final);
	free(url);
	return d->err;
}

/*
 * The listing, page after page, into the spool.
 */

/* One listing being read: its pages' file, its reader, its writer. */
struct mlist {
	struct hubdl		*d;
	struct hubfetch_call	 c;
	int			 rawfd;		/* the current page */
	unsigned		 depth;		/* hub.max_path_depth */
	uint64_t		 maxbytes;	/* hub.max_listing_bytes */
	size_t			 linkbase;	/* a link's path but the file's */
	uint64_t		 woff;		/* the spool's size */
	size_t			 wlen;
	char			 wbuf[SPOOL_BUF];
	struct hubtree		 t;
};

static enum err
meta_bad_entry(struct hubdl *d, const char *what, const char *path)
{
	char	 c[256];

	return hubdl_fail(d, ERR_INVAL, "The hub's listing of %s at %s has %s "
	    "(\"%s\"): refusing the whole listing", d->repo_id, d->commit,
	    what, path != NULL ? hubname_clean(c, sizeof(c), path) : "?");
}

static enum err
meta_spool_flush(struct mlist *m)
{
	const char	*p = m->wbuf;
	ssize_t		 n;

	while (m->wlen > 0) {
		if ((n = write(m->d->spoolfd, p, m->wlen)) == -1) {
			if (errno == EINTR)
				continue;
			return hubdl_ioerr(m->d, errno, "(a temporary file)");
		}
		p += n;
		m->wlen -= (size_t)n;
	}
	return ERR_OK;
}

/* Appends n bytes (at most SPOOL_BUF) to the spool. */
static enum err
meta_spool_put(struct mlist *m, const void *p, size_t n)
{

	if (m->wlen + n > sizeof(m->wbuf) && meta_spool_flush(m) != ERR_OK)
		return m->d->err;
	memcpy(m->wbuf + m->wlen, p, n);
	m->wlen += n;
	m->woff += n;
	return ERR_OK;
}

/* The limits on a listed path: depth, and the length of its link. */
static enum err
meta_path_limits(struct mlist *m, const char *path)
{
	struct hubdl	*d = m->d;
	const char	*p;
	unsigned	 depth = 1;
	char		 c[256];

	for (p = path; *p != '\0'; p++)
		depth += *p == '/';
	if (depth > m->depth)
		return hubdl_fail(d, ERR_TOOBIG, "The listing of %s has a path "
		    "%u levels deep (\"%s\"), more than hub.max_path_depth "
		    "(%u): refusing the whole listing", d->repo_id, depth,
		    hubname_clean(c, sizeof(c), path), m->depth);
	if (m->linkbase + (size_t)(p - path) >= PATH_MAX)
		return hubdl_fail(d, ERR_TOOBIG, "The listing of %s has a path "
		    "(\"%s\") whose snapshot link would be %zu bytes long, "
		    "PATH_MAX or more (%d): refusing the whole listing",
		    d->repo_id, hubname_clean(c, sizeof(c), path),
		    m->linkbase + (size_t)(p - path), PATH_MAX);
	return ERR_OK;
}

/* Lowercase hex hex (2n digits) into n bytes at out. */
static void
meta_unhex(const char *hex, unsigned char *out, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(hex_digit(hex[2 * i]) << 4 |
		    hex_digit(hex[2 * i + 1]));
}

/* The checks of a file entry's object ids and sizes. */
static enum err
meta_file_check(struct hubdl *d, const struct hubtree_entry *e)
{
	unsigned	 lfs = HUBTREE_LFS_OID | HUBTREE_LFS_SIZE;

	if (!(e->flags & HUBTREE_SIZE))
		return meta_bad_entry(d, "an invalid size for", e->path);
	if (!(e->flags & HUBTREE_OID) || hubname_is_commit(e->oid) == -1)
		return meta_bad_entry(d, "an invalid object id for", e->path);
	if ((e->flags & HUBTREE_LFS) && ((e->flags & lfs) != lfs ||
	    strlen(e->lfs_oid) != 64 || hubname_is_oid(e->lfs_oid) == -1))
		return meta_bad_entry(d, "invalid LFS data for", e->path);
	return ERR_OK;
}

/* The spool record of a checked file entry. */
static enum err
meta_file_record(struct mlist *m, const struct hubtree_entry *e,
    size_t plen)
{
	struct hrec	 h;
	size_t		 xlen = 0;

	memset(&h, 0, sizeof(h));
	if ((e->flags & HUBTREE_XET) &&
	    valid_utf8(e->xet, strlen(e->xet)) == 0)
		xlen = strlen(e->xet);
	h.size = e->size;
	h.plen = (uint16_t)plen;
	h.xlen = (uint16_t)xlen;
	memcpy(h.oid, e->oid, sizeof(h.oid));
	if (e->flags & HUBTREE_LFS) {
		memcpy(h.lfs_oid, e->lfs_oid, sizeof(h.lfs_oid));
		h.lfs_size = e->lfs_size;
	}
	if (meta_spool_put(m, &h, sizeof(h)) != ERR_OK ||
	    meta_spool_put(m, e->path, plen) != ERR_OK)
		return m->d->err;
	return meta_spool_put(m, e->xet, xlen);
}

/* A file entry: its struct hfile, and its record in the spool. */
static enum err
meta_file(struct mlist *m, const struct hubtree_entry *e)
{
	struct hubdl	*d = m->d;
	struct hfile	*f;
	size_t		 plen = strlen(e->path);
	enum err	 rc;

	if (meta_file_check(d, e) != ERR_OK)
		return d->err;
	if ((rc = array_grow(&d->files, &d->capfiles, d->nfiles + 1,
	    sizeof(*d->files), LISTING_FILES_MAX)) == ERR_TOOBIG)
		return hubdl_fail(d, ERR_TOOBIG, "The listing of %s has more "
		    "than %d files", d->repo_id, LISTING_FILES_MAX);
	if (rc != ERR_OK)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	f = &d->files[d->nfiles++];
	memset(f, 0, sizeof(*f));
	f->off = m->woff;
	f->plen = (uint16_t)plen;
	memcpy(f->key, e->path, plen < HFILE_KEY ? plen : HFILE_KEY);
	f->etaglen = (e->flags & HUBTREE_LFS) ? 32 : 20;
	f->bsize = (e->flags & HUBTREE_LFS) ? e->lfs_size : e->size;
	meta_unhex((e->flags & HUBTREE_LFS) ? e->lfs_oid : e->oid, f->etag,
	    f->etaglen);
	return meta_file_record(m, e, plen);
}

/* One entry of a page, as hubtree hands it over. */
static enum err
meta_entry(void *arg, const struct hubtree_entry *e)
{
	struct mlist	*m = arg;
	struct hubdl	*d = m->d;

	if (!(e->flags & HUBTREE_TYPED) || !(e->flags & HUBTREE_PATH))
		return meta_bad_entry(d, "an entry without a valid type or "
		    "path", NULL);
	if (hubname_valid_filename(e->path) == -1)
		return meta_bad_entry(d, "an unsafe path", e->path);
	if (meta_path_limits(m, e->path) != ERR_OK)
		return d->err;
	if (!(e->flags & HUBTREE_FILE))
		return ERR_OK;		/* directories make no entry */
	return meta_file(m, e);
}

/* The page of len bytes in m->rawfd. */
static enum err
meta_page(struct mlist *m, size_t len)
{
	struct hubdl	*d = m->d;
	struct span	 sp = { m->rawfd, 0, len };
	enum err	 rc;

	rc = hubtree_parse(&m->t, span_read, &sp, meta_entry, m);
	if (d->err != ERR_OK)
		return d->err;
	if (rc == ERR_IO)
		return hubdl_ioerr(d, m->t.rerr, "(a temporary file)");
	if (rc != ERR_OK)
		return hubdl_fail(d, ERR_UPSTREAM, "The hub's tree listing of %s "
		    "at %s is not a JSON array of objects", d->repo_id,
		    d->commit);
	return ERR_OK;
}

/* The next page's URL from the answer's Link header, or NULL. */
static enum err
meta_next_page(struct hubdl *d, const struct hubhttp_hdrs *h, const char *cur,
    char **next)
{
	char	 target[sizeof(h->link)];
	int	 r;

	*next = NULL;
	if (h->overflow || (r = hubhttp_link_next(h->link, target,
	    sizeof(target))) == -1)
		return hubdl_fail(d, ERR_UPSTREAM, "The hub sent a malformed Link "
		    "header in the listing of %s", d->repo_id);
	if (r == 0)
		return ERR_OK;
	if ((*next = hubhttp_resolve(cur, target)) == NULL)
		return hubdl_fail(d, ERR_UPSTREAM, "The hub sent an invalid next "
		    "page URL in the listing of %s", d->repo_id);
	return ERR_OK;
}

/* GETs one page into m->rawfd, counting it against hub.max_listing_bytes. */
static enum err
meta_fetch_page(struct mlist *m, const char *url, size_t *len, char **final)
{
	struct hubdl	*d = m->d;
	uint64_t	 left = m->maxbytes - d->listed;
	enum err	 rc;

	rc = hubfetch_spool(&m->c, url, m->rawfd, left > SIZE_MAX ? SIZE_MAX :
	    (size_t)left, len, final, d->msg, d->msglen);
	if (rc == ERR_TOOBIG)
		return hubdl_fail(d, ERR_TOOBIG, "The tree listing of %s is "
		    "larger than hub.max_listing_bytes (%" PRIu64 " bytes): "
		    "refusing it", d->repo_id, m->maxbytes);
	if (rc != ERR_OK)
		return d->err = rc;
	d->listed += *len;
	return ERR_OK;
}

static enum err
meta_list(struct mlist *m)
{
	struct hubdl	*d = m->d;
	char		*url = NULL, *final = NULL;
	size_t		 len, pages = 0;

	if (asprintf(&url, "%s/api/models/%s/tree/%s?recursive=true&"
	    "expand=false", d->endpoint, d->repo_id, d->commit) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	while (url != NULL) {
		if (++pages > TREE_PAGES_MAX) {
			hubdl_fail(d, ERR_UPSTREAM, "The listing of %s does not "
			    "end (more than %d pages)", d->repo_id,
			    TREE_PAGES_MAX);
			break;
		}
		if (meta_fetch_page(m, url, &len, &final) != ERR_OK)
			break;
		free(url);
		url = NULL;
		if (meta_page(m, len) != ERR_OK ||
		    meta_next_page(d, m->c.hdrs, final, &url) != ERR_OK)
			break;
		free(final);
		final = NULL;
	}
	free(final);
	free(url);
	if (d->err == ERR_OK)
		(void)meta_spool_flush(m);
	return d->err;
}

/*
 * Sorted by path, checked, grouped into blobs.
 */

/* Two paths read back from the spool, for sorting and checking. */
struct msort {
	struct hubdl	*d;
	int		 err;		/* errno of a failed read */
	char		 a[HUBNAME_PATH_MAX + 1];
	char		 b[HUBNAME_PATH_MAX + 1];
};

/* The path of f into buf: 0, or -1 (s->err set). */
static int
meta_path(struct msort *s, const struct hfile *f, char *buf)
{

	if (read_at(s->d->spoolfd, buf, f->plen, f->off +
	    sizeof(struct hrec)) == -1) {
		s->err = errno;
		return -1;
	}
	buf[f->plen] = '\0';
	return 0;
}

/* Byte order of the paths (code point order, as Python sorts). */
static int
file_path_cmp(const void *x, const void *y, void *arg)
{
	const struct hfile	*a = x, *b = y;
	struct msort		*s = arg;
	int			 r;

	if ((r = memcmp(a->key, b->key, HFILE_KEY)) != 0)
		return r;
	if (a->plen <= HFILE_KEY || b->plen <= HFILE_KEY)
		return (int)a->plen - (int)b->plen;
	if (meta_path(s, a, s->a) == -1 || meta_path(s, b, s->b) == -1)
		return 0;
	return strcmp(s->a, s->b);
}

static int
file_etag_cmp(const void *x, const void *y)
{
	const struct hfile	*a = x, *b = y;

	if (a->etaglen != b->etaglen)
		return (int)a->etaglen - (int)b->etaglen;
	return memcmp(a->etag, b->etag, a->etaglen);
}

/* 1 if the sorted lengths st[0..n) hold len. */
static int
meta_stacked(const uint32_t *st, size_t n, size_t len)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (st[mid] == len)
			return 1;
		if (st[mid] < len)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* State of the check, path after path in sorted order. */
struct mcheck {
	uint32_t	*st;		/* lengths of files that are prefixes
					   of the previous path */
	size_t		 nst;
	size_t		 dirs;		/* distinct directories so far */
	size_t		 prevlen;
};

/*
 * One path cur (len bytes) after prev, in sorted order: a duplicate, a
 * file that is also a folder, and the directories it adds.  Paths under
 * one directory are contiguous in sorted order, so a directory is new
 * unless it is a prefix of the previous path; a file F and F/x sort with
 * only paths starting with F between them, so F is still stacked.
 */
static enum err
meta_check_one(struct hubdl *d, struct mcheck *k, const char *prev,
    const char *cur, size_t len)
{
	size_t	 c = 0, j;
	char	 dir[HUBNAME_PATH_MAX + 1];

	while (c < len && c < k->prevlen && prev[c] == cur[c])
		c++;
	if (c == len && c == k->prevlen)
		return meta_bad_entry(d, "a path listed twice", cur);
	while (k->nst > 0 && k->st[k->nst - 1] > c)
		k->nst--;
	for (j = 0; j < len; j++) {
		if (cur[j] != '/')
			continue;
		if (j <= c && meta_stacked(k->st, k->nst, j)) {
			memcpy(dir, cur, j);
			dir[j] = '\0';
			return meta_bad_entry(d, "a path that is both a file "
			    "and a folder", dir);
		}
		if (j >= c)
			k->dirs++;
	}
	k->st[k->nst++] = (uint32_t)len;
	k->prevlen = len;
	return ERR_OK;
}

/* Sorts the files by path; refuses duplicates, a file that is also a
 * folder, and more directories than hub.max_dirs. */
static enum err
meta_check_paths(struct hubdl *d, struct msort *s, unsigned maxdirs)
{
	struct mcheck	 k = { NULL, 0, 0, 0 };
	char		*prev = s->a, *cur = s->b, *tmp;
	size_t		 i;

	if (d->nfiles == 0)
		return ERR_OK;	/* an empty repo: no qsort() of NULL */
	qsort_r(d->files, d->nfiles, sizeof(*d->files), file_path_cmp, s);
	if (s->err == 0 && (k.st = calloc(d->nfiles, sizeof(*k.st))) == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	for (i = 0; i < d->nfiles && s->err == 0; i++) {
		if (meta_path(s, &d->files[i], cur) == -1 ||
		    meta_check_one(d, &k, prev, cur, d->files[i].plen) !=
		    ERR_OK)
			break;
		if (k.dirs > maxdirs) {
			hubdl_fail(d, ERR_TOOBIG, "The listing of %s implies "
			    "more directories than hub.max_dirs (%u): refusing "
			    "the whole listing", d->repo_id, maxdirs);
			break;
		}
		tmp = prev, prev = cur, cur = tmp;
	}
	free(k.st);
	if (s->err != 0)
		hubdl_ioerr(d, s->err, "(a temporary file)");
	return d->err;
}

/* Adds file f to the blob *bp, or to a new one when its etag differs. */
static enum err
meta_blob_add(struct hubdl *d, const struct hfile *f, struct hblob **bp)
{
	struct hblob	*b = *bp;

	if (b == NULL || file_etag_cmp(f, f - 1) != 0) {
		/* A hostile listing must not wrap the total around. */
		if (f->bsize > SIZE_MAX_JSON - d->prog.bytes_total)
			return hubdl_fail(d, ERR_TOOBIG, "The listing of %s "
			    "adds up to more than 2^53 bytes", d->repo_id);
		b = *bp = &d->blobs[d->nblobs++];
		hex_encode(f->etag, f->etaglen, b->etag);
		b->rec = f->off;
		b->size = f->bsize;
		b->lfs = f->etaglen == 32;
		d->prog.bytes_total += f->bsize;
	} else if (b->size != f->bsize) {
		if (meta_record(d, f->off) == -1)
			return hubdl_ioerr(d, errno, "(a temporary file)");
		return meta_bad_entry(d, "two sizes for one object in",
		    d->rb.path);
	}
	b->nfiles++;
	return ERR_OK;
}

/*
 * Keeps the files' order by path (their records), then groups them by
 * etag into blobs and sets bytes_total; the files themselves are freed.
 */
static enum err
meta_group(struct hubdl *d)
{
	struct hblob	*b = NULL;
	size_t		 i, n = 0;

	if (d->nfiles > 0 && (d->order = calloc(d->nfiles,
	    sizeof(*d->order))) == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	for (i = 0; i < d->nfiles; i++)
		d->order[i] = d->files[i].off;
	if (d->nfiles > 0)
		qsort(d->files, d->nfiles, sizeof(*d->files), file_etag_cmp);
	for (i = 0; i < d->nfiles; i++)
		n += i == 0 || file_etag_cmp(&d->files[i], &d->files[i - 1]);
	if (n > 0 && (d->blobs = calloc(n, sizeof(*d->blobs))) == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	for (i = 0; i < d->nfiles && d->err == ERR_OK; i++)
		(void)meta_blob_add(d, &d->files[i], &b);
	free(d->files);
	d->files = NULL;
	d->capfiles = 0;
	d->prog.files_total = d->nfiles;
	d->left = d->nblobs;
	return d->err;
}

/* The listing's limits, with their defaults. */
static void
meta_limits(const struct hubdl *d, struct mlist *m)
{

	m->depth = d->o.max_path_depth != 0 ? d->o.max_path_depth :
	    DEFAULT_DEPTH;
	m->maxbytes = d->o.max_listing_bytes != 0 ? d->o.max_listing_bytes :
	    DEFAULT_LISTING;
	m->linkbase = strlen(d->cache_dir) + 1 + strlen(d->folder) +
	    strlen(LINK_DIR);
}

/* Forgets a listing read in part from a source that failed. */
static enum err
meta_restart(struct hubdl *d, struct mlist *m)
{

	free(d->files);
	d->files = NULL;
	d->nfiles = d->capfiles = 0;
	d->listed = 0;
	m->woff = 0;
	m->wlen = 0;
	d->err = ERR_OK;
	d->msg[0] = '\0';
	if (ftruncate(d->spoolfd, 0) == -1)
		return hubdl_ioerr(d, errno, "(a temporary file)");
	return ERR_OK;
}

/*
 * The commit and the listing, from the sources in turn: one that fails
 * (the hub failed after its retries) cools down and the next one is
 * asked, at the commit the first answer pinned.
 */
static enum err
meta_fetch(struct hubdl *d, struct mlist *m)
{
	size_t	 src;

	for (;;) {
		src = d->src.cur;
		if (meta_resolve(d, &m->c, m->rawfd, &m->t) == ERR_OK &&
		    meta_list(m) == ERR_OK)
			return ERR_OK;
		if (d->err != ERR_UPSTREAM || d->stopped ||
		    !hubdl_failover(d, src) || d->src.cur == src ||
		    meta_restart(d, m) != ERR_OK)
			return d->err;
	}
}

/* Everything once the files are open. */
static enum err
meta_run(struct hubdl *d, struct mlist *m, struct msort *s)
{
	unsigned	 dirs = d->o.max_dirs != 0 ? d->o.max_dirs :
			    DEFAULT_DIRS;

	if (meta_fetch(d, m) != ERR_OK)
		return d->err;
	close(m->rawfd);
	m->rawfd = -1;
	if (meta_check_paths(d, s, dirs) != ERR_OK)
		return d->err;
	return meta_group(d);
}

enum err
hubmeta_get(struct hubdl *d)
{
	struct hubhttp_hdrs	*h = NULL;
	struct mlist		*m = NULL;
	struct msort		*s = NULL;
	CURL			*e = NULL;

	if ((h = malloc(sizeof(*h))) == NULL ||
	    (m = calloc(1, sizeof(*m))) == NULL ||
	    (s = calloc(1, sizeof(*s))) == NULL ||
	    (e = hubhttp_easy(&d->http, h)) == NULL) {
		hubdl_fail(d, ERR_NOMEM, "out of memory");
		goto out;
	}
	m->d = s->d = d;
	m->rawfd = -1;
	meta_limits(d, m);
	meta_call(d, e, h, &m->c);
	if ((m->rawfd = meta_tmpfile(d)) == -1 ||
	    (d->spoolfd = meta_tmpfile(d)) == -1) {
		hubdl_ioerr(d, errno, "(a temporary file for the listing)");
		goto out;
	}
	(void)meta_run(d, m, s);
out:
	if (m != NULL && m->rawfd != -1)
		close(m->rawfd);
	if (e != NULL)
		curl_easy_cleanup(e);
	free(s);
	free(m);
	free(h);
	return d->err;
}

/* File i of the listing, by path, for struct hfwrite_list. */
static int
meta_get(void *arg, size_t i, struct hfwrite_tree *f)
{
	struct hubdl	*d = arg;
	struct hrec	*h = &d->rb.h;

	if (meta_record(d, d->order[i]) == -1)
		return -1;
	f->path = d->rb.path;
	f->size = h->size;
	f->blob_id = h->oid;
	f->lfs_sha256 = h->lfs_oid[0] != '\0' ? h->lfs_oid : NULL;
	f->lfs_size = h->lfs_size;
	f->xet_hash = h->xlen > 0 ? d->rb.xet : NULL;
	return 0;
}

void
hubmeta_list(struct hubdl *d, struct hfwrite_list *l)
{

	l->n = d->nfiles;
	l->get = meta_get;
	l->arg = d;
}

int
hubmeta_blob_path(const struct hubdl *d, const struct hblob *b, char *buf,
    size_t len)
{
	struct hrec	 h;

	if (read_at(d->spoolfd, &h, sizeof(h), b->rec) == -1)
		return -1;
	if (h.plen >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (read_at(d->spoolfd, buf, h.plen, b->rec + sizeof(h)) == -1)
		return -1;
	buf[h.plen] = '\0';
	return 0;
}
