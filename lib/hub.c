/*
 * The HuggingFace Hub snapshot download (HF-HUB.md sections 2-4 and 8):
 * resolve the revision, list the commit's tree, admit, then fetch every
 * missing blob (several at once through one libcurl multi handle) into
 * blobs/<etag>.incomplete under its .locks/ flock, verifying its size and
 * hash while it streams, and only when every blob is in place write the
 * snapshot links, trees/<commit>.json and refs/<revision>.
 *
 * Each transfer slot hashes on a thread of its own: SHA-256 costs about
 * as much CPU as receiving and writing the bytes, so on the loop's thread
 * it would halve the speed.  The loop writes what libcurl hands it
 * straight to the partial file; the thread follows, reading back from the
 * page cache what was written and hashing it.  Everything that reads,
 * resets or closes behind the digest waits for it first (xfer_hash_wait).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "hfwrite.h"
#include "hub.h"
#include "hubhttp.h"
#include "hubname.h"
#include "log.h"
#include "mono.h"
#include "valid.h"

#define DEFAULT_ENDPOINT	"https://huggingface.co"
#define LISTING_FILES_MAX	200000
#define TREE_PAGES_MAX		100000
#define TREE_PAGE_MAX		(64UL * 1024 * 1024)
#define REVISION_BODY_MAX	(16UL * 1024 * 1024)
#define HASH_READ		(256UL * 1024)	/* read back at once */
#define HASH_KICK		(1UL << 20)	/* wake the hasher this late */
#define HASH_BACKLOG		(64UL << 20)	/* the writer waits beyond */
/*
 * The most one write(2) hands the page cache.  A larger write makes the
 * kernel allocate a large folio for it, from the high-order free blocks
 * that a VM's free page reporting has handed back to the host: touching
 * them again costs the host a fault per page, and a 1 GiB download 5 to
 * 7 times its system time (make bench; 8 KiB is what curl writes).
 */
#define WRITE_CHUNK		(8UL * 1024)
#define PROGRESS_MS		250
#define LOCK_RETRY_MS		250
#define POLL_MS			100
#define SIZE_MAX_JSON		9007199254740992.0	/* 2^53 */
#define BODY_SLACK		(1UL << 20)	/* error bodies on size 0 */

/* One file of the listing. */
struct hfile {
	char		*path;
	uint64_t	 size;		/* tree "size" */
	char		 oid[41];	/* git object id */
	char		 lfs_oid[65];	/* "" unless LFS */
	uint64_t	 lfs_size;
	char		*xet;		/* xetHash or NULL */
	size_t		 blob;		/* index in dl.blobs */
};

enum blob_state { BLOB_TODO, BLOB_BUSY, BLOB_DONE };

/* One distinct blob to put in place (files may share one). */
struct hblob {
	char		 etag[65];
	const char	*path;		/* a file holding it, for messages */
	uint64_t	 size;
	int		 lfs;
	size_t		 nfiles;
	enum blob_state	 state;
	uint64_t	 credited;	/* counted in bytes_done */
	uint64_t	 retry_at;	/* lock busy: next try, ms */
	int		 mismatches;
};

/* Why a write callback aborted its transfer. */
enum xfail { XF_NONE, XF_WRITE, XF_TOOLONG, XF_RANGE, XF_ETAG };

/*
 * The hashing thread of a slot: it hashes bytes [done, avail) of the
 * partial file fd into md, reading them back from the page cache.  It is
 * woken when HASH_KICK bytes wait or someone waits for it, not at every
 * write (a wake-up is an interrupt to the other CPU; in a VM, an exit).
 */
struct hasher {
	pthread_t		 tid;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	EVP_MD_CTX		*md;
	unsigned char		*rbuf;		/* HASH_READ bytes */
	int			 fd;
	uint64_t		 done, avail;
	int			 idle;		/* waiting for bytes */
	int			 throttled;	/* the writer waits for it */
	int			 failed;	/* a read or update failed */
	int			 quit;
	int			 running;	/* thread started */
};

/* A transfer slot. */
struct xfer {
	struct dl		*d;
	struct hblob		*b;		/* NULL when idle */
	CURL			*easy;
	struct hubhttp_hdrs	 hdrs;
	struct curl_slist	*sl;
	EVP_MD_CTX		*md;
	struct hasher		 h;		/* hashes into md */
	int			 lockfd, fd;
	uint64_t		 written;	/* on disk (hashed or queued) */
	uint64_t		 attempt_from;	/* written at request start */
	char			*url;
	unsigned		 hops, attempts;
	int			 auth;		/* request carried the token */
	int			 hub_origin;	/* url is on the endpoint */
	int			 started;	/* body accepted */
	enum xfail		 fail;
	int			 wr_errno;
	int			 active;	/* in the multi handle */
	uint64_t		 wake_at;	/* waiting to (re)start */
};

struct dl {
	struct hub_opts			 o;		/* defaults filled */
	const struct hub_callbacks	*cb;
	const char			*cache_dir, *repo_id, *revision;
	char				*endpoint;
	char				 folder[256];
	char				 commit[41];
	struct hfile			*files;
	size_t				 nfiles, capfiles;
	struct hblob			*blobs;
	size_t				 nblobs, left, cursor;
	size_t				*waitq;		/* lock busy */
	size_t				 nwait;
	struct hub_progress		 prog;
	uint64_t			 last_tick;
	int				 stopped;
	int				 cachefd, repofd, blobsfd, locksfd;
	char				*msg;
	size_t				 msglen;
	enum err			 err;		/* first failure */
	CURLM				*multi;
	struct xfer			*x;
	size_t				 nx;
	struct hubhttp_errctx		 ectx;
};

/* Records the first failure: its code and message.  Returns d->err. */
static enum err
dl_fail(struct dl *d, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum err
dl_fail(struct dl *d, enum err e, const char *fmt, ...)
{
	va_list	 ap;

	if (d->err != ERR_OK)
		return d->err;
	d->err = e;
	va_start(ap, fmt);
	vsnprintf(d->msg, d->msglen, fmt, ap);
	va_end(ap);
	return e;
}

/* A file system failure on what (relative to the cache) as ERR_IO. */
static enum err
dl_ioerr(struct dl *d, int errnum, const char *what)
{

	if (errnum == ENOSPC || errnum == EDQUOT)
		return dl_fail(d, ERR_IO, "Disk full while writing %s/%s: "
		    "free space in %s and retry; the partial download is kept "
		    "and will resume", d->cache_dir, what, d->cache_dir);
	if (errnum == EACCES || errnum == EPERM || errnum == EROFS)
		return dl_fail(d, ERR_IO, "Permission denied on %s/%s (%s): "
		    "the cache must be writable by this service's group "
		    "(directories 2775, umask 002)", d->cache_dir, what,
		    strerror(errnum));
	return dl_fail(d, ERR_IO, "Cannot write %s/%s: %s", d->cache_dir, what,
	    strerror(errnum));
}

/*
 * Calls cb->progress when force is set or PROGRESS_MS passed since the
 * last call.  Returns non-zero once the callback asked to stop.
 */
static int
dl_tick(struct dl *d, int force)
{
	uint64_t	 t = mono_ms();

	if (d->stopped || d->cb == NULL || d->cb->progress == NULL)
		return d->stopped;
	if (!force && t - d->last_tick < PROGRESS_MS)
		return 0;
	d->last_tick = t;
	if (d->cb->progress(d->cb->arg, &d->prog) != 0)
		d->stopped = 1;
	return d->stopped;
}

static int
dl_stop_cb(void *arg)
{

	return dl_tick(arg, 0);
}

static void
dl_credit(struct dl *d, struct hblob *b, uint64_t bytes)
{

	if (bytes > b->size)
		bytes = b->size;
	if (bytes > b->credited) {
		d->prog.bytes_done += bytes - b->credited;
		b->credited = bytes;
	}
}

static void
dl_blob_done(struct dl *d, struct hblob *b)
{

	dl_credit(d, b, b->size);
	if (b->state != BLOB_DONE) {
		b->state = BLOB_DONE;
		d->prog.files_done += b->nfiles;
		d->left--;
	}
}

/* Puts b, whose lock another process holds, aside for a while. */
static void
dl_defer(struct dl *d, struct hblob *b, uint64_t now)
{

	b->retry_at = now + LOCK_RETRY_MS;
	d->waitq[d->nwait++] = (size_t)(b - d->blobs);
}

/*
 * Metadata: the revision's commit and the tree listing.
 */

static void
dl_call(struct dl *d, CURL *e, struct hubhttp_hdrs *h, struct hubhttp_call *c)
{

	c->opts = &d->o;
	c->ectx = &d->ectx;
	c->easy = e;
	c->hdrs = h;
	c->stop = dl_stop_cb;
	c->stop_arg = d;
}

/* The commit of the revision answer body (len bytes) into d->commit. */
static enum err
dl_revision_body(struct dl *d, const char *body, size_t len)
{
	cJSON		*root;
	const cJSON	*sha;
	enum err	 rc = ERR_OK;

	root = strlen(body) != len ? NULL :
	    cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1);
	sha = cJSON_GetObjectItemCaseSensitive(root, "sha");
	if (!cJSON_IsString(sha) || hubname_is_commit(sha->valuestring) ==
	    -1)
		rc = dl_fail(d, ERR_INVAL, "The hub answered no valid commit "
		    "hash for %s at revision %s", d->repo_id, d->revision);
	else
		memcpy(d->commit, sha->valuestring, sizeof(d->commit));
	cJSON_Delete(root);
	return rc;
}

static enum err
dl_resolve(struct dl *d, CURL *e, struct hubhttp_hdrs *h)
{
	struct hubhttp_call	 c;
	char			 rev[3 * HUBNAME_REV_MAX + 1], *url = NULL;
	char			*body = NULL;
	size_t			 len;
	enum err		 rc;

	if (hubname_is_commit(d->revision) == 0) {
		memcpy(d->commit, d->revision, sizeof(d->commit));
		return ERR_OK;
	}
	dl_call(d, e, h, &c);
	if (hubname_quote(d->revision, 0, rev, sizeof(rev)) == -1 ||
	    asprintf(&url, "%s/api/models/%s/revision/%s", d->endpoint,
	    d->repo_id, rev) == -1) {
		url = NULL;
		rc = dl_fail(d, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = hubhttp_fetch(&c, url, REVISION_BODY_MAX, &body, &len, NULL,
	    d->msg, d->msglen)) != ERR_OK) {
		d->err = rc;
		goto out;
	}
	rc = dl_revision_body(d, body, len);
out:
	free(body);
	free(url);
	return rc;
}

/* A JSON number that is an integer in [0, 2^53]. */
static int
json_size(const cJSON *n, uint64_t *out)
{

	if (!cJSON_IsNumber(n) || n->valuedouble < 0 ||
	    n->valuedouble > SIZE_MAX_JSON ||
	    n->valuedouble != (double)(uint64_t)n->valuedouble)
		return -1;
	*out = (uint64_t)n->valuedouble;
	return 0;
}

/* Copies untrusted text into a message, control characters replaced. */
static const char *
clean(char *dst, size_t dstlen, const char *src)
{
	size_t	 i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ?
		    '?' : src[i];
	dst[i] = '\0';
	return dst;
}

static enum err
dl_bad_entry(struct dl *d, const char *what, const char *path)
{
	char	 c[256];

	return dl_fail(d, ERR_INVAL, "The hub's listing of %s at %s has %s "
	    "(\"%s\"): refusing the whole listing", d->repo_id, d->commit,
	    what, path != NULL ? clean(c, sizeof(c), path) : "?");
}

/* Fills f from the tree entry of a file whose path is valid. */
static enum err
dl_entry_file(struct dl *d, const cJSON *it, const char *path,
    struct hfile *f)
{
	const cJSON	*oid, *lfs, *loid, *xet;

	oid = cJSON_GetObjectItemCaseSensitive(it, "oid");
	lfs = cJSON_GetObjectItemCaseSensitive(it, "lfs");
	xet = cJSON_GetObjectItemCaseSensitive(it, "xetHash");
	if (json_size(cJSON_GetObjectItemCaseSensitive(it, "size"),
	    &f->size) == -1)
		return dl_bad_entry(d, "an invalid size for", path);
	if (!cJSON_IsString(oid) || hubname_is_commit(oid->valuestring) == -1)
		return dl_bad_entry(d, "an invalid object id for", path);
	memcpy(f->oid, oid->valuestring, sizeof(f->oid));
	if (lfs != NULL && !cJSON_IsNull(lfs)) {
		loid = cJSON_GetObjectItemCaseSensitive(lfs, "oid");
		if (!cJSON_IsString(loid) || strlen(loid->valuestring) != 64 ||
		    hubname_is_oid(loid->valuestring) == -1 ||
		    json_size(cJSON_GetObjectItemCaseSensitive(lfs, "size"),
		    &f->lfs_size) == -1)
			return dl_bad_entry(d, "invalid LFS data for", path);
		memcpy(f->lfs_oid, loid->valuestring, sizeof(f->lfs_oid));
	}
	if (cJSON_IsString(xet) && strlen(xet->valuestring) <= 256 &&
	    valid_utf8(xet->valuestring, strlen(xet->valuestring)) == 0 &&
	    (f->xet = strdup(xet->valuestring)) == NULL)
		return dl_fail(d, ERR_NOMEM, "out of memory");
	if ((f->path = strdup(path)) == NULL)
		return dl_fail(d, ERR_NOMEM, "out of memory");
	return ERR_OK;
}

static enum err
dl_entry(struct dl *d, const cJSON *it)
{
	const cJSON	*type, *path;
	struct hfile	*nf;
	size_t		 ncap;

	type = cJSON_GetObjectItemCaseSensitive(it, "type");
	path = cJSON_GetObjectItemCaseSensitive(it, "path");
	if (!cJSON_IsString(type) || !cJSON_IsString(path))
		return dl_bad_entry(d, "an entry without type or path", NULL);
	if (hubname_valid_filename(path->valuestring) == -1)
		return dl_bad_entry(d, "an unsafe path", path->valuestring);
	if (strcmp(type->valuestring, "file") != 0)
		return ERR_OK;		/* directories make no entry */
	if (d->nfiles == LISTING_FILES_MAX)
		return dl_fail(d, ERR_TOOBIG, "The listing of %s has more "
		    "than %d files", d->repo_id, LISTING_FILES_MAX);
	if (d->nfiles == d->capfiles) {
		ncap = d->capfiles ? d->capfiles * 2 : 64;
		if ((nf = reallocarray(d->files, ncap, sizeof(*nf))) == NULL)
			return dl_fail(d, ERR_NOMEM, "out of memory");
		d->files = nf;
		d->capfiles = ncap;
	}
	nf = &d->files[d->nfiles];
	memset(nf, 0, sizeof(*nf));
	if (dl_entry_file(d, it, path->valuestring, nf) != ERR_OK) {
		free(nf->path);
		free(nf->xet);
		return d->err;
	}
	d->nfiles++;
	return ERR_OK;
}

static enum err
dl_page(struct dl *d, const char *body, size_t len)
{
	cJSON		*root;
	const cJSON	*it;

	/* cJSON would cut a name at an escaped NUL: refuse those. */
	if (strstr(body, "\\u0000") != NULL)
		return dl_bad_entry(d, "a NUL character in a name", NULL);
	root = strlen(body) != len ? NULL :
	    cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1);
	if (root == NULL ||
	    !cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return dl_fail(d, ERR_UPSTREAM, "The hub's tree listing of %s "
		    "at %s is not a JSON array", d->repo_id, d->commit);
	}
	cJSON_ArrayForEach(it, root)
		if (dl_entry(d, it) != ERR_OK)
			break;
	cJSON_Delete(root);
	return d->err;
}

/* The next page's URL from the answer's Link header, or NULL. */
static enum err
dl_next_page(struct dl *d, const struct hubhttp_hdrs *h, const char *cur,
    char **next)
{
	char	 target[sizeof(h->link)];
	int	 r;

	*next = NULL;
	if (h->overflow || (r = hubhttp_link_next(h->link, target,
	    sizeof(target))) == -1)
		return dl_fail(d, ERR_UPSTREAM, "The hub sent a malformed Link "
		    "header in the listing of %s", d->repo_id);
	if (r == 0)
		return ERR_OK;
	if ((*next = hubhttp_resolve(cur, target)) == NULL)
		return dl_fail(d, ERR_UPSTREAM, "The hub sent an invalid next "
		    "page URL in the listing of %s", d->repo_id);
	return ERR_OK;
}

static enum err
dl_list(struct dl *d, CURL *e, struct hubhttp_hdrs *h)
{
	struct hubhttp_call	 c;
	char			*url = NULL, *final = NULL, *body = NULL;
	size_t			 len, pages = 0;
	enum err		 rc;

	dl_call(d, e, h, &c);
	if (asprintf(&url, "%s/api/models/%s/tree/%s?recursive=true&"
	    "expand=false", d->endpoint, d->repo_id, d->commit) == -1)
		return dl_fail(d, ERR_NOMEM, "out of memory");
	while (url != NULL) {
		if (++pages > TREE_PAGES_MAX) {
			dl_fail(d, ERR_UPSTREAM, "The listing of %s does not "
			    "end (more than %d pages)", d->repo_id,
			    TREE_PAGES_MAX);
			break;
		}
		if ((rc = hubhttp_fetch(&c, url, TREE_PAGE_MAX, &body, &len,
		    &final, d->msg, d->msglen)) != ERR_OK) {
			d->err = rc;
			break;
		}
		free(url);
		url = NULL;
		if (dl_page(d, body, len) != ERR_OK ||
		    dl_next_page(d, h, final, &url) != ERR_OK)
			break;
		free(body);
		free(final);
		body = final = NULL;
	}
	free(body);
	free(final);
	free(url);
	return d->err;
}

static int
file_path_cmp(const void *a, const void *b)
{
	const struct hfile	*x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* The blob name of a file: its LFS sha256, else its git object id. */
static const char *
file_etag(const struct hfile *f)
{

	return f->lfs_oid[0] != '\0' ? f->lfs_oid : f->oid;
}

static int
file_etag_cmp(const void *a, const void *b)
{
	const struct hfile *const	*x = a, *const *y = b;

	return strcmp(file_etag(*x), file_etag(*y));
}

/* Refuses duplicate paths and a path that is also a folder of another. */
static enum err
dl_check_paths(struct dl *d)
{
	struct hfile	 key;
	char		 prefix[HUBNAME_PATH_MAX + 1], *slash;
	size_t		 i;

	if (d->nfiles == 0)
		return ERR_OK;	/* an empty repo: no qsort() of NULL */
	qsort(d->files, d->nfiles, sizeof(*d->files), file_path_cmp);
	for (i = 0; i < d->nfiles; i++) {
		if (i > 0 && strcmp(d->files[i - 1].path, d->files[i].path) ==
		    0)
			return dl_bad_entry(d, "a path listed twice",
			    d->files[i].path);
		snprintf(prefix, sizeof(prefix), "%s", d->files[i].path);
		key.path = prefix;
		while ((slash = strrchr(prefix, '/')) != NULL) {
			*slash = '\0';
			if (bsearch(&key, d->files, d->nfiles,
			    sizeof(*d->files), file_path_cmp) != NULL)
				return dl_bad_entry(d, "a path that is both "
				    "a file and a folder", prefix);
		}
	}
	return ERR_OK;
}

/* Groups the files by etag into blobs; sets bytes_total. */
static enum err
dl_group(struct dl *d)
{
	struct hfile	**by = NULL;
	struct hblob	 *b = NULL;
	size_t		  i;

	if (d->nfiles > 0 && ((by = calloc(d->nfiles, sizeof(*by))) == NULL ||
	    (d->blobs = calloc(d->nfiles, sizeof(*d->blobs))) == NULL)) {
		free(by);
		return dl_fail(d, ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < d->nfiles; i++)
		by[i] = &d->files[i];
	if (d->nfiles > 0)
		qsort(by, d->nfiles, sizeof(*by), file_etag_cmp);
	for (i = 0; i < d->nfiles; i++) {
		struct hfile	*f = by[i];
		uint64_t	 size = f->lfs_oid[0] ? f->lfs_size : f->size;

		if (b == NULL || strcmp(b->etag, file_etag(f)) != 0) {
			/* A hostile listing must not wrap the total around. */
			if (size > SIZE_MAX_JSON - d->prog.bytes_total) {
				free(by);
				return dl_fail(d, ERR_TOOBIG, "The listing of %s "
				    "adds up to more than 2^53 bytes",
				    d->repo_id);
			}
			b = &d->blobs[d->nblobs++];
			memcpy(b->etag, file_etag(f), strlen(file_etag(f)) + 1);
			b->path = f->path;
			b->size = size;
			b->lfs = f->lfs_oid[0] != '\0';
			d->prog.bytes_total += size;
		} else if (b->size != size) {
			free(by);
			return dl_bad_entry(d, "two sizes for one object "
			    "in", f->path);
		}
		b->nfiles++;
		f->blob = (size_t)(b - d->blobs);
	}
	free(by);
	d->prog.files_total = d->nfiles;
	d->left = d->nblobs;
	return ERR_OK;
}

/*
 * The cache: what is already there, admission, directories.
 */

static int
open_dir(int dirfd, const char *name)
{

	return dirfd == -1 ? -1 : openat(dirfd, name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
}

/* Credits complete blobs and partial files already in blobs/. */
static void
dl_survey(struct dl *d)
{
	struct stat	 st;
	char		 name[96];
	size_t		 i;
	int		 repofd, blobsfd;

	repofd = open_dir(d->cachefd, d->folder);
	blobsfd = open_dir(repofd, "blobs");
	for (i = 0; blobsfd != -1 && i < d->nblobs; i++) {
		struct hblob	*b = &d->blobs[i];

		if (fstatat(blobsfd, b->etag, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			dl_blob_done(d, b);
			continue;
		}
		snprintf(name, sizeof(name), "%s.incomplete", b->etag);
		if (fstatat(blobsfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && (uint64_t)st.st_size <= b->size)
			dl_credit(d, b, (uint64_t)st.st_size);
	}
	d->prog.bytes_resumed = d->prog.bytes_done;
	if (blobsfd != -1)
		close(blobsfd);
	if (repofd != -1)
		close(repofd);
}

static enum err
dl_admit(struct dl *d)
{
	char	 m[512];

	if (d->cb == NULL || d->cb->admit == NULL)
		return ERR_OK;
	m[0] = '\0';
	if (d->cb->admit(d->cb->arg, &d->prog, d->prog.bytes_total -
	    d->prog.bytes_done, m, sizeof(m)) != 0)
		return dl_fail(d, ERR_IO, "%s", m[0] != '\0' ? m :
		    "Not enough disk space for this download");
	return ERR_OK;
}

/* Opens (creating) dirfd/name into *fd; what names it in messages. */
static enum err
dl_mkdir(struct dl *d, int dirfd, const char *name, const char *what,
    int *fd)
{

	if ((*fd = hfwrite_dir(dirfd, name, 1)) == -1)
		return dl_ioerr(d, errno, what);
	return ERR_OK;
}

static enum err
dl_layout(struct dl *d)
{
	char	 what[512];
	int	 fd = -1, locks = -1;

	snprintf(what, sizeof(what), "%s/refs", d->folder);
	if (dl_mkdir(d, d->cachefd, d->folder, d->folder, &d->repofd) ||
	    dl_mkdir(d, d->repofd, "refs", what, &fd))
		goto out;
	close(fd);
	snprintf(what, sizeof(what), "%s/snapshots", d->folder);
	if (dl_mkdir(d, d->repofd, "snapshots", what, &fd))
		goto out;
	close(fd);
	fd = -1;
	snprintf(what, sizeof(what), "%s/blobs", d->folder);
	if (dl_mkdir(d, d->repofd, "blobs", what, &d->blobsfd) ||
	    dl_mkdir(d, d->cachefd, ".locks", ".locks", &locks))
		goto out;
	snprintf(what, sizeof(what), ".locks/%s", d->folder);
	if (dl_mkdir(d, locks, d->folder, what, &d->locksfd))
		goto out;
	if (hfwrite_cachedir_tag(d->cachefd) == -1)
		dl_ioerr(d, errno, "CACHEDIR.TAG");
out:
	if (locks != -1)
		close(locks);
	return d->err;
}

/*
 * Transfers.
 */

static void
blob_name(const struct hblob *b, const char *suffix, char *out, size_t len)
{

	snprintf(out, len, "%s%s", b->etag, suffix);
}

/* Where the partial file of x lives, relative to the cache, and for
 * which file, for messages. */
static void
xfer_what(const struct xfer *x, char *out, size_t len)
{

	snprintf(out, len, "%s/blobs/%s.incomplete (%s)", x->d->folder,
	    x->b->etag, x->b->path);
}

/* Reads back and hashes n bytes at off; 0, or -1. */
static int
hasher_chunk(struct hasher *h, uint64_t off, size_t n)
{
	ssize_t	 r;

	while (n > 0) {
		r = pread(h->fd, h->rbuf, n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || EVP_DigestUpdate(h->md, h->rbuf, (size_t)r) != 1)
			return -1;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

static void *
hasher_main(void *arg)
{
	struct hasher	*h = arg;
	uint64_t	 off;
	size_t		 n;
	int		 ok;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->done == h->avail && !h->quit) {
			h->idle = 1;
			pthread_cond_broadcast(&h->cv);
			pthread_cond_wait(&h->cv, &h->mu);
		}
		h->idle = 0;
		if (h->done == h->avail)
			break;
		off = h->done;
		n = h->avail - off < HASH_READ ? (size_t)(h->avail - off) :
		    HASH_READ;
		pthread_mutex_unlock(&h->mu);
		ok = hasher_chunk(h, off, n) == 0;
		pthread_mutex_lock(&h->mu);
		if (ok)
			h->done += n;
		else {
			h->failed = 1;
			h->done = h->avail;
		}
		if (h->throttled)
			pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Starts the slot's hashing thread (signals blocked there); without it,
 * the slot hashes on the caller's thread. */
static void
hasher_start(struct hasher *h, EVP_MD_CTX *md)
{
	sigset_t	 all, old;

	h->md = md;
	h->fd = -1;
	if (pthread_mutex_init(&h->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&h->cv, NULL) != 0) {
		pthread_mutex_destroy(&h->mu);
		return;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	h->running = pthread_create(&h->tid, NULL, hasher_main, h) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->running) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
	}
}

/* Ends the thread (its work was waited for: xfer_release). */
static void
hasher_stop(struct hasher *h)
{

	if (!h->running)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->tid, NULL);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	h->running = 0;
}

/*
 * Waits until the digest holds every byte written: call it before
 * reading, resetting or updating x->md on this thread, and before closing
 * or truncating the partial file.  -1 (and the failure forgotten) when a
 * read or an update failed.
 */
static int
xfer_hash_wait(struct xfer *x)
{
	struct hasher	*h = &x->h;
	int		 failed;

	if (!h->running)
		return 0;
	pthread_mutex_lock(&h->mu);
	if (h->done < h->avail)
		pthread_cond_broadcast(&h->cv);
	while (h->done < h->avail || !h->idle)
		pthread_cond_wait(&h->cv, &h->mu);
	failed = h->failed;
	h->failed = 0;
	pthread_mutex_unlock(&h->mu);
	return failed ? -1 : 0;
}

/* Points the (idle) hasher at the slot's file, everything up to x->written
 * counted as hashed. */
static void
xfer_hash_reset(struct xfer *x)
{
	struct hasher	*h = &x->h;

	if (!h->running)
		return;
	pthread_mutex_lock(&h->mu);
	h->fd = x->fd;
	h->done = h->avail = x->written;
	pthread_mutex_unlock(&h->mu);
}

/* Writes len bytes of the body to the partial file and hashes them (or
 * queues them for the hasher). */
static int
xfer_put(struct xfer *x, const char *data, size_t len)
{
	struct hasher	*h = &x->h;
	size_t		 off = 0;
	ssize_t		 n;

	while (off < len) {
		n = pwrite(x->fd, data + off, len - off < WRITE_CHUNK ?
		    len - off : WRITE_CHUNK, (off_t)(x->written + off));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			x->wr_errno = n == 0 ? EIO : errno;
			return -1;
		}
		off += (size_t)n;
	}
	x->written += len;
	if (!h->running) {
		if (EVP_DigestUpdate(x->md, data, len) != 1) {
			x->wr_errno = ENOMEM;
			return -1;
		}
	} else {
		pthread_mutex_lock(&h->mu);
		h->avail = x->written;
		if (h->idle && h->avail - h->done >= HASH_KICK)
			pthread_cond_broadcast(&h->cv);
		/* Never far ahead: what is read back stays in the page
		 * cache, and a stop waits for the hash of it all. */
		while (h->avail - h->done > HASH_BACKLOG) {
			h->throttled = 1;
			pthread_cond_wait(&h->cv, &h->mu);
		}
		h->throttled = 0;
		pthread_mutex_unlock(&h->mu);
	}
	dl_credit(x->d, x->b, x->written);
	return 0;
}

/* Empties the partial file and restarts its digest. */
static int
xfer_truncate(struct xfer *x)
{

	(void)xfer_hash_wait(x);	/* the digest starts over */
	x->written = 0;
	xfer_hash_reset(x);
	if (ftruncate(x->fd, 0) == -1) {
		x->wr_errno = errno;
		return -1;
	}
	if (hfwrite_hash_begin(x->md, x->b->lfs, x->b->size) == -1) {
		x->wr_errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Checks the hub's ETag / X-Linked-Etag against the listing. */
static int
xfer_etag_ok(struct xfer *x)
{
	const char	*raw = x->hdrs.linked_etag[0] != '\0' ?
			    x->hdrs.linked_etag : x->hdrs.etag;
	char		 etag[65], c[130];

	if (!x->hub_origin || raw[0] == '\0')
		return 1;
	if (hubname_etag(raw, etag) == 0 && strcmp(etag, x->b->etag) == 0)
		return 1;
	dl_fail(x->d, ERR_INVAL, "The hub's ETag for %s (%s) does not match "
	    "its listing (%s): refusing the file", x->b->path,
	    clean(c, sizeof(c), raw), x->b->etag);
	return 0;
}

/* The first body bytes of a 200/206 answer: position the file. */
static int
xfer_body_start(struct xfer *x)
{
	uint64_t	 start;

	if (!xfer_etag_ok(x)) {
		x->fail = XF_ETAG;
		return -1;
	}
	if (x->hdrs.status == 206) {
		if (hubhttp_content_range_start(x->hdrs.content_range,
		    &start) == -1 || start != x->written) {
			x->fail = XF_RANGE;
			return -1;
		}
	} else if (x->written > 0 && xfer_truncate(x) == -1) {
		/* 200 to a Range request: the whole file again. */
		x->fail = XF_WRITE;
		return -1;
	}
	x->started = 1;
	return 0;
}

static size_t
xfer_write(char *data, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n;

	if (!x->started) {
		if (x->hdrs.status != 200 && x->hdrs.status != 206)
			return len;	/* a redirect or error body */
		if (xfer_body_start(x) == -1)
			return 0;
	}
	if (x->written + len > x->b->size) {
		x->fail = XF_TOOLONG;
		return 0;
	}
	if (xfer_put(x, data, len) == -1) {
		x->fail = XF_WRITE;
		return 0;
	}
	return len;
}

/* Sends the request for x->url, resuming at x->written. */
static enum err
xfer_send(struct xfer *x)
{
	struct dl	*d = x->d;

	hubhttp_hdrs_reset(&x->hdrs);
	x->started = 0;
	x->fail = XF_NONE;
	x->attempt_from = x->written;
	x->hub_origin = hubhttp_same_origin(x->url, d->endpoint) == 1;
	if (hubhttp_request(x->easy, &d->o, x->url, x->written, x->b->size +
	    BODY_SLACK, &x->sl, &x->auth) == -1)
		return dl_fail(d, ERR_NOMEM, "out of memory");
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(d->multi, x->easy) != CURLM_OK)
		return dl_fail(d, ERR_NOMEM, "cannot start a transfer");
	x->active = 1;
	return ERR_OK;
}

/* Starts (again) from the /resolve URL of the commit. */
static enum err
xfer_start(struct xfer *x)
{
	struct dl	*d = x->d;
	char		 q[3 * HUBNAME_PATH_MAX + 1];

	x->hops = 0;
	x->wake_at = 0;
	free(x->url);
	x->url = NULL;
	if (hubname_quote(x->b->path, 1, q, sizeof(q)) == -1 ||
	    asprintf(&x->url, "%s/%s/resolve/%s/%s", d->endpoint, d->repo_id,
	    d->commit, q) == -1) {
		x->url = NULL;
		return dl_fail(d, ERR_NOMEM, "out of memory");
	}
	return xfer_send(x);
}

/* Frees the slot: closes the files (once hashed), unlocks. */
static void
xfer_release(struct xfer *x)
{

	if (x->active) {
		curl_multi_remove_handle(x->d->multi, x->easy);
		x->active = 0;
	}
	(void)xfer_hash_wait(x);
	if (x->fd != -1)
		close(x->fd);
	if (x->lockfd != -1)
		close(x->lockfd);
	x->fd = x->lockfd = -1;
	if (x->b != NULL && x->b->state == BLOB_BUSY)
		x->b->state = BLOB_TODO;
	x->b = NULL;
	x->wake_at = 0;
}

/* The partial file is complete and verified: rename it into place. */
static enum err
xfer_finish(struct xfer *x)
{
	struct dl	*d = x->d;
	struct hblob	*b = x->b;
	char		 from[96], what[512];

	blob_name(b, ".incomplete", from, sizeof(from));
	if ((d->o.fsync_blobs && fsync(x->fd) == -1) ||
	    renameat(d->blobsfd, from, d->blobsfd, b->etag) == -1) {
		xfer_what(x, what, sizeof(what));
		return dl_ioerr(d, errno, what);
	}
	close(x->fd);
	x->fd = -1;
	dl_blob_done(d, b);
	xfer_release(x);
	return ERR_OK;
}

/* Content that does not match: drop it, retry the file once. */
static enum err
xfer_mismatch(struct xfer *x)
{
	struct dl	*d = x->d;
	struct hblob	*b = x->b;
	char		 what[512];

	log_warnx("%s: content of %s does not match %s", d->repo_id, b->path,
	    b->etag);
	if (++b->mismatches > 1) {
		blob_name(b, ".incomplete", what, sizeof(what));
		(void)unlinkat(d->blobsfd, what, 0);
		return dl_fail(d, ERR_INVAL, "The content of %s did not match "
		    "its listed hash %s (twice): the hub or CDN served wrong "
		    "data", b->path, b->etag);
	}
	if (xfer_truncate(x) == -1) {
		xfer_what(x, what, sizeof(what));
		return dl_ioerr(d, x->wr_errno, what);
	}
	x->attempts = 0;
	return xfer_start(x);
}

/* Every byte is on disk: check the digest. */
static enum err
xfer_verify(struct xfer *x)
{

	if (xfer_hash_wait(x) == -1)
		return dl_fail(x->d, ERR_NOMEM, "out of memory");
	if (hfwrite_hash_matches(x->md, x->b->etag))
		return xfer_finish(x);
	return xfer_mismatch(x);
}

/*
 * A transient failure: retry later from the /resolve URL with Range.  A
 * request that brought bytes resets the attempt count.  cc or status
 * describe the failure for the final message.
 */
static enum err
xfer_retry(struct xfer *x, CURLcode cc, long status)
{
	struct dl		*d = x->d;
	struct hubhttp_errctx	 e = d->ectx;
	unsigned		 ms;
	size_t			 len;

	if (x->written > x->attempt_from)
		x->attempts = 0;	/* bytes came: resume, uncounted */
	else if (++x->attempts > d->o.retry_max) {
		e.file = x->b->path;
		e.token_sent = x->auth;
		if (d->err != ERR_OK)
			return d->err;
		if (cc != CURLE_OK)
			return d->err = hubhttp_curl_error(cc, x->url, &e,
			    x->attempts, d->msg, d->msglen);
		d->err = hubhttp_error(status, &x->hdrs, &e, d->msg, d->msglen);
		if (!x->hub_origin)
			snprintf(d->msg, d->msglen, "The CDN answered HTTP "
			    "%ld for %s", status, x->b->path);
		len = strlen(d->msg);
		snprintf(d->msg + len, d->msglen - len, " (after %u attempts)",
		    x->attempts);
		return d->err;
	}
	ms = hubhttp_backoff_ms(&d->o, x->attempts ? x->attempts : 1,
	    cc == CURLE_OK ? x->hdrs.retry_after : NULL);
	if (cc != CURLE_OK)
		log_warnx("%s: %s: %s (attempt %u), %s at byte %" PRIu64
		    " in %u ms", d->repo_id, x->b->path,
		    curl_easy_strerror(cc), x->attempts, x->written > 0 ?
		    "resuming" : "retrying", x->written, ms);
	else
		log_warnx("%s: %s: HTTP %ld (attempt %u), retrying at byte %"
		    PRIu64 " in %u ms", d->repo_id, x->b->path, status,
		    x->attempts, x->written, ms);
	x->wake_at = mono_ms() + (ms ? ms : 1);
	return ERR_OK;
}

/* A 3xx answer: follow it ourselves. */
static enum err
xfer_redirect(struct xfer *x)
{
	struct dl	*d = x->d;
	char		*next;

	if (!xfer_etag_ok(x))
		return d->err;
	if (++x->hops > HUBHTTP_HOPS_MAX)
		return dl_fail(d, ERR_UPSTREAM, "Too many redirects (more than "
		    "%d) for %s: the hub or CDN is redirecting in a loop",
		    HUBHTTP_HOPS_MAX, x->b->path);
	if (x->hdrs.overflow ||
	    (next = hubhttp_resolve(x->url, x->hdrs.location)) == NULL)
		return dl_fail(d, ERR_UPSTREAM, "The hub sent an invalid "
		    "redirect (HTTP %ld) for %s", x->hdrs.status, x->b->path);
	free(x->url);
	x->url = next;
	return xfer_send(x);
}

static enum err	xfer_failed_write(struct xfer *);

/* A 200/206 answer ended without a transport error. */
static enum err
xfer_complete(struct xfer *x)
{

	if (!x->started && xfer_body_start(x) == -1)
		return xfer_failed_write(x);
	if (x->written < x->b->size)
		return xfer_retry(x, CURLE_PARTIAL_FILE, 0);
	return xfer_verify(x);
}

/* What the write callback reported, once the transfer ended. */
static enum err
xfer_failed_write(struct xfer *x)
{
	struct dl	*d = x->d;
	char		 what[512];

	switch (x->fail) {
	case XF_ETAG:
		return d->err;
	case XF_TOOLONG:
		/* The second time fails the download: say why. */
		if (x->b->mismatches > 0)
			dl_fail(d, ERR_INVAL, "The hub or CDN sent more than "
			    "the %" PRIu64 " bytes listed for %s (twice): "
			    "refusing the file", x->b->size, x->b->path);
		return xfer_mismatch(x);
	case XF_RANGE:
		if (xfer_truncate(x) == -1)
			break;
		return xfer_retry(x, CURLE_OK, x->hdrs.status);
	default:
		break;
	}
	xfer_what(x, what, sizeof(what));
	return dl_ioerr(d, x->wr_errno, what);
}

static enum err
xfer_done(struct xfer *x, CURLcode cc)
{
	struct dl		*d = x->d;
	struct hubhttp_errctx	 e = d->ectx;
	long			 st = x->hdrs.status;

	curl_multi_remove_handle(d->multi, x->easy);
	x->active = 0;
	if (x->fail != XF_NONE)
		return xfer_failed_write(x);
	if (cc != CURLE_OK) {
		if (!hubhttp_transient_curl(cc))
			return dl_fail(d, ERR_UPSTREAM, "Downloading %s "
			    "failed: %s", x->b->path, curl_easy_strerror(cc));
		return xfer_retry(x, cc, 0);
	}
	if (st >= 300 && st <= 399)
		return xfer_redirect(x);
	if (st == 200 || st == 206)
		return xfer_complete(x);
	if (st == 416) {
		if (xfer_truncate(x) == -1)
			return xfer_failed_write(x);
		return xfer_retry(x, CURLE_OK, st);
	}
	if (hubhttp_transient_status(st) || !x->hub_origin)
		return xfer_retry(x, CURLE_OK, st);
	e.file = x->b->path;
	e.token_sent = x->auth;
	if (d->err == ERR_OK)
		d->err = hubhttp_error(st, &x->hdrs, &e, d->msg, d->msglen);
	return d->err;
}

/* Re-hashes the bytes of a partial file already on disk. */
static int
xfer_rehash(struct xfer *x, uint64_t have)
{
	uint64_t	 off = 0;
	ssize_t		 n;

	if (xfer_hash_wait(x) == -1) {
		x->wr_errno = ENOMEM;
		return -1;
	}
	while (off < have) {
		n = pread(x->fd, x->h.rbuf, have - off < HASH_READ ?
		    (size_t)(have - off) : HASH_READ, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			x->wr_errno = n == 0 ? EIO : errno;
			return -1;
		}
		if (EVP_DigestUpdate(x->md, x->h.rbuf, (size_t)n) != 1) {
			x->wr_errno = ENOMEM;
			return -1;
		}
		off += (uint64_t)n;
		if (dl_tick(x->d, 0))
			return 0;	/* stopping: the caller looks */
	}
	x->written = have;
	xfer_hash_reset(x);
	return 0;
}

/*
 * Opens the partial file of the locked blob and picks up what it holds.
 * Returns ERR_OK with the slot ready to send, or already released when the
 * partial file turned out complete.
 */
static enum err
xfer_open(struct xfer *x)
{
	struct dl	*d = x->d;
	struct hblob	*b = x->b;
	struct stat	 st;
	char		 name[96], what[512];

	blob_name(b, ".incomplete", name, sizeof(name));
	xfer_what(x, what, sizeof(what));
	x->written = 0;
	x->fd = openat(d->blobsfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0666);
	if (x->fd == -1 || fstat(x->fd, &st) == -1)
		return dl_ioerr(d, errno, what);
	if (!S_ISREG(st.st_mode))
		return dl_ioerr(d, EINVAL, what);
	(void)xfer_hash_wait(x);	/* a new digest */
	xfer_hash_reset(x);
	if (hfwrite_hash_begin(x->md, b->lfs, b->size) == -1)
		return dl_fail(d, ERR_NOMEM, "out of memory");
	if ((uint64_t)st.st_size > b->size && xfer_truncate(x) == -1)
		return dl_ioerr(d, x->wr_errno, what);
	if ((uint64_t)st.st_size <= b->size && st.st_size > 0 &&
	    xfer_rehash(x, (uint64_t)st.st_size) == -1)
		return dl_ioerr(d, x->wr_errno, what);
	if (d->stopped)
		return ERR_OK;
	dl_credit(d, b, x->written);
	if (x->written == b->size) {
		if (hfwrite_hash_matches(x->md, b->etag))
			return xfer_finish(x);
		log_warnx("%s: partial %s does not match, restarting",
		    d->repo_id, b->path);
		if (xfer_truncate(x) == -1)
			return dl_ioerr(d, x->wr_errno, what);
	}
	return ERR_OK;
}

/*
 * Takes blob b into slot x: skips it if already in place, defers it if
 * another process holds its lock.  Returns ERR_OK (x->b set when a
 * request is to be sent) or the failure.
 */
static enum err
xfer_claim(struct xfer *x, struct hblob *b)
{
	struct dl	*d = x->d;
	struct stat	 st;
	char		 lock[96], what[512];

	if (fstatat(d->blobsfd, b->etag, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode)) {
		dl_blob_done(d, b);
		return ERR_OK;
	}
	blob_name(b, ".lock", lock, sizeof(lock));
	if ((x->lockfd = hfwrite_lock(d->locksfd, lock)) == -1) {
		if (errno == EWOULDBLOCK) {
			dl_defer(d, b, mono_ms());
			return ERR_OK;
		}
		snprintf(what, sizeof(what), ".locks/%s/%s", d->folder, lock);
		return dl_ioerr(d, errno, what);
	}
	x->b = b;
	b->state = BLOB_BUSY;
	if (fstatat(d->blobsfd, b->etag, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode)) {
		dl_blob_done(d, b);	/* another process finished it */
		xfer_release(x);
		return ERR_OK;
	}
	x->attempts = 0;
	if (xfer_open(x) != ERR_OK || x->b == NULL || d->stopped)
		return d->err;
	return xfer_start(x);
}

/*
 * The next blob to fetch, or NULL: first a deferred one whose lock is
 * worth trying again, then the next one in listing order.
 */
static struct hblob *
dl_pick(struct dl *d, uint64_t now)
{
	struct hblob	*b;
	size_t		 i;

	for (i = 0; i < d->nwait; i++) {
		b = &d->blobs[d->waitq[i]];
		if (b->retry_at <= now) {
			d->waitq[i] = d->waitq[--d->nwait];
			return b;
		}
	}
	while (d->cursor < d->nblobs) {
		b = &d->blobs[d->cursor++];
		if (b->state == BLOB_TODO)
			return b;
	}
	return NULL;
}

/* Fills idle slots and restarts slots whose backoff ended. */
static void
dl_fill(struct dl *d)
{
	struct hblob	*b;
	size_t		 i;
	uint64_t	 now = mono_ms();

	for (i = 0; i < d->nx && d->err == ERR_OK && !d->stopped; i++) {
		struct xfer	*x = &d->x[i];

		if (x->b != NULL) {
			if (!x->active && x->wake_at != 0 && x->wake_at <= now)
				(void)xfer_start(x);
			continue;
		}
		while (x->b == NULL && d->err == ERR_OK && !d->stopped &&
		    (b = dl_pick(d, now)) != NULL)
			(void)xfer_claim(x, b);
	}
}

static enum err
dl_slots(struct dl *d)
{
	size_t	 i, n = d->o.parallel_files;

	if (n > d->left)
		n = d->left;
	if (n == 0)
		n = 1;
	if ((d->multi = curl_multi_init()) == NULL ||
	    (d->waitq = calloc(d->nblobs, sizeof(*d->waitq))) == NULL ||
	    (d->x = calloc(n, sizeof(*d->x))) == NULL)
		return dl_fail(d, ERR_NOMEM, "out of memory");
	d->nx = n;
	for (i = 0; i < n; i++) {
		struct xfer	*x = &d->x[i];

		x->d = d;
		x->fd = x->lockfd = -1;
		if ((x->easy = hubhttp_easy(&d->o, &x->hdrs)) == NULL ||
		    (x->md = EVP_MD_CTX_new()) == NULL ||
		    (x->h.rbuf = malloc(HASH_READ)) == NULL)
			return dl_fail(d, ERR_NOMEM, "out of memory");
		hasher_start(&x->h, x->md);
	}
	return ERR_OK;
}

static void
dl_slots_free(struct dl *d)
{
	size_t	 i;

	for (i = 0; d->x != NULL && i < d->nx; i++) {
		struct xfer	*x = &d->x[i];

		xfer_release(x);
		hasher_stop(&x->h);
		if (x->easy != NULL)
			curl_easy_cleanup(x->easy);
		curl_slist_free_all(x->sl);
		EVP_MD_CTX_free(x->md);
		free(x->h.rbuf);
		free(x->url);
	}
	free(d->x);
	d->x = NULL;
	free(d->waitq);
	d->waitq = NULL;
	if (d->multi != NULL)
		curl_multi_cleanup(d->multi);
	d->multi = NULL;
}

/* Runs the transfers until every blob is in place, a failure or a stop. */
static enum err
dl_fetch(struct dl *d)
{
	struct CURLMsg	*m;
	char		*priv;
	int		 running, left, ended;

	if (d->left == 0)
		return ERR_OK;
	if (dl_slots(d) != ERR_OK)
		goto out;
	while (d->left > 0 && d->err == ERR_OK) {
		dl_fill(d);
		if (d->err != ERR_OK || dl_tick(d, 0) || d->left == 0)
			break;
		if (curl_multi_perform(d->multi, &running) != CURLM_OK) {
			dl_fail(d, ERR_NOMEM, "libcurl multi failure");
			break;
		}
		ended = 0;
		while (d->err == ERR_OK &&
		    (m = curl_multi_info_read(d->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			ended++;
			if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    &priv) == CURLE_OK && priv != NULL)
				(void)xfer_done((struct xfer *)(void *)priv,
				    m->data.result);
		}
		/* A transfer that ended may have freed a slot: fill it now,
		 * not after waiting for the others (up to POLL_MS). */
		if (d->err == ERR_OK && d->left > 0 && ended == 0)
			(void)curl_multi_poll(d->multi, NULL, 0, POLL_MS, NULL);
	}
	if (d->stopped)
		dl_fail(d, ERR_TIMEOUT, "stopped");
out:
	dl_slots_free(d);
	return d->err;
}

/*
 * The end: snapshot links, trees/<commit>.json, refs/<revision>.
 */

static enum err
dl_links(struct dl *d)
{
	char	 what[HUBNAME_PATH_MAX + 512];
	size_t	 i;
	int	 snaps = -1, snap = -1;

	snprintf(what, sizeof(what), "%s/snapshots/%s", d->folder, d->commit);
	if (dl_mkdir(d, d->repofd, "snapshots", what, &snaps) != ERR_OK ||
	    dl_mkdir(d, snaps, d->commit, what, &snap) != ERR_OK)
		goto out;
	for (i = 0; i < d->nfiles; i++) {
		const struct hfile	*f = &d->files[i];

		if (hfwrite_link(snap, f->path, d->blobs[f->blob].etag) ==
		    -1) {
			snprintf(what, sizeof(what), "%s/snapshots/%s/%s",
			    d->folder, d->commit, f->path);
			dl_ioerr(d, errno, what);
			break;
		}
	}
out:
	if (snap != -1)
		close(snap);
	if (snaps != -1)
		close(snaps);
	return d->err;
}

static enum err
dl_trees(struct dl *d)
{
	struct hfwrite_tree	*t;
	char			 what[512];
	size_t			 i;
	int			 rc;

	if (d->nfiles > 0 && (t = calloc(d->nfiles, sizeof(*t))) == NULL)
		return dl_fail(d, ERR_NOMEM, "out of memory");
	if (d->nfiles == 0)
		t = NULL;
	for (i = 0; i < d->nfiles; i++) {
		const struct hfile	*f = &d->files[i];

		t[i].path = f->path;
		t[i].size = f->size;
		t[i].blob_id = f->oid;
		t[i].lfs_sha256 = f->lfs_oid[0] != '\0' ? f->lfs_oid : NULL;
		t[i].lfs_size = f->lfs_size;
		t[i].xet_hash = f->xet;
	}
	rc = hfwrite_trees(d->repofd, d->commit, t, d->nfiles);
	free(t);
	if (rc == -1) {
		snprintf(what, sizeof(what), "%s/trees/%s.json", d->folder,
		    d->commit);
		return errno == ENOMEM ? dl_fail(d, ERR_NOMEM, "out of memory") :
		    dl_ioerr(d, errno, what);
	}
	return ERR_OK;
}

static enum err
dl_ref(struct dl *d)
{
	char	 what[HUBNAME_REV_MAX + 300];
	int	 refs = -1;

	if (strcmp(d->revision, d->commit) == 0)
		return ERR_OK;
	snprintf(what, sizeof(what), "%s/refs/%s", d->folder, d->revision);
	if (dl_mkdir(d, d->repofd, "refs", what, &refs) != ERR_OK)
		return d->err;
	if (hfwrite_ref(refs, d->revision, d->commit) == -1)
		dl_ioerr(d, errno, what);
	close(refs);
	return d->err;
}

/*
 * Setup and the whole download.
 */

static enum err
dl_check_args(struct dl *d, const struct hub_opts *opts)
{
	const char	*p;
	size_t		 n;

	if (valid_repo_id(d->repo_id) == -1)
		return dl_fail(d, ERR_INVAL, "Invalid repository id");
	if (hubname_valid_revision(d->revision) == -1)
		return dl_fail(d, ERR_INVAL, "Invalid revision for %s",
		    d->repo_id);
	if (d->cache_dir == NULL || *d->cache_dir == '\0')
		return dl_fail(d, ERR_INVAL, "No cache directory");
	for (p = opts->token; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return dl_fail(d, ERR_INVAL, "HF_TOKEN contains control "
			    "characters");
	if (opts->disable_symlinks)
		return dl_fail(d, ERR_INVAL, "HF_HUB_DISABLE_SYMLINKS is set: "
		    "this service only writes symlinked caches; unset it to "
		    "download %s", d->repo_id);
	if (opts->offline)
		return dl_fail(d, ERR_UPSTREAM, "HF_HUB_OFFLINE is set: cannot "
		    "download %s", d->repo_id);
	d->o = *opts;
	if ((d->endpoint = strdup(opts->endpoint != NULL &&
	    *opts->endpoint != '\0' ? opts->endpoint : DEFAULT_ENDPOINT)) ==
	    NULL)
		return dl_fail(d, ERR_NOMEM, "out of memory");
	n = strlen(d->endpoint);
	while (n > 0 && d->endpoint[n - 1] == '/')
		d->endpoint[--n] = '\0';
	if (hubhttp_same_origin(d->endpoint, d->endpoint) != 1 ||
	    (strncmp(d->endpoint, "http://", 7) != 0 &&
	    strncmp(d->endpoint, "https://", 8) != 0))
		return dl_fail(d, ERR_INVAL, "Invalid HF_ENDPOINT");
	d->o.endpoint = d->endpoint;
	if (d->o.parallel_files == 0)
		d->o.parallel_files = 1;
	if (hubname_repo_folder("model", d->repo_id, d->folder,
	    sizeof(d->folder)) == -1)
		return dl_fail(d, ERR_INVAL, "Invalid repository id");
	d->ectx.endpoint = d->endpoint;
	d->ectx.repo_id = d->repo_id;
	d->ectx.revision = d->revision;
	d->ectx.token_sent = opts->token != NULL && *opts->token != '\0';
	return ERR_OK;
}

/* Resolves and lists, with one easy handle kept alive. */
static enum err
dl_metadata(struct dl *d)
{
	struct hubhttp_hdrs	*h;
	CURL			*e = NULL;

	if ((h = malloc(sizeof(*h))) == NULL ||
	    (e = hubhttp_easy(&d->o, h)) == NULL) {
		free(h);
		return dl_fail(d, ERR_NOMEM, "out of memory");
	}
	if (dl_resolve(d, e, h) == ERR_OK && dl_list(d, e, h) == ERR_OK &&
	    dl_check_paths(d) == ERR_OK)
		(void)dl_group(d);
	curl_easy_cleanup(e);
	free(h);
	return d->err;
}

static enum err
dl_open_cache(struct dl *d)
{

	if (hfwrite_mkdirs(d->cache_dir) == -1 ||
	    (d->cachefd = open(d->cache_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return dl_ioerr(d, errno, ".");
	return ERR_OK;
}

static void
dl_free(struct dl *d)
{
	size_t	 i;

	for (i = 0; i < d->nfiles; i++) {
		free(d->files[i].path);
		free(d->files[i].xet);
	}
	free(d->files);
	free(d->blobs);
	free(d->endpoint);
	if (d->locksfd != -1)
		close(d->locksfd);
	if (d->blobsfd != -1)
		close(d->blobsfd);
	if (d->repofd != -1)
		close(d->repofd);
	if (d->cachefd != -1)
		close(d->cachefd);
}

enum err
hub_snapshot_download(const struct hub_opts *opts, const char *cache_dir,
    const char *repo_id, const char *revision, const struct hub_callbacks *cb,
    char *msg, size_t msglen)
{
	struct dl	 d;
	char		 dummy[8], ep[512];
	int		 curl_up = 0;

	memset(&d, 0, sizeof(d));
	d.cachefd = d.repofd = d.blobsfd = d.locksfd = -1;
	d.msg = msg != NULL && msglen > 0 ? msg : dummy;
	d.msglen = msg != NULL && msglen > 0 ? msglen : sizeof(dummy);
	d.msg[0] = '\0';
	d.cb = cb;
	d.cache_dir = cache_dir;
	d.repo_id = repo_id != NULL ? repo_id : "";
	d.revision = revision != NULL ? revision : "main";
	if (dl_check_args(&d, opts) != ERR_OK)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dl_fail(&d, ERR_NOMEM, "libcurl initialisation failed");
		goto out;
	}
	curl_up = 1;
	hubhttp_redact(d.endpoint, ep, sizeof(ep));
	log_info("download %s@%s from %s", d.repo_id, d.revision, ep);
	if (dl_metadata(&d) != ERR_OK || dl_open_cache(&d) != ERR_OK)
		goto out;
	dl_survey(&d);
	if (dl_admit(&d) != ERR_OK || dl_layout(&d) != ERR_OK)
		goto out;
	if (dl_tick(&d, 1)) {
		dl_fail(&d, ERR_TIMEOUT, "stopped");
		goto out;
	}
	if (dl_fetch(&d) != ERR_OK || dl_links(&d) != ERR_OK ||
	    dl_trees(&d) != ERR_OK || dl_ref(&d) != ERR_OK)
		goto out;
	(void)dl_tick(&d, 1);
	log_info("download %s@%s complete: commit %s, %zu files, %" PRIu64
	    " bytes (%" PRIu64 " already on disk)", d.repo_id, d.revision,
	    d.commit, d.nfiles, d.prog.bytes_total, d.prog.bytes_resumed);
out:
	if (d.err != ERR_OK)
		log_warnx("download %s@%s failed: %s", d.repo_id, d.revision,
		    d.msg);
	dl_free(&d);
	if (curl_up)
		curl_global_cleanup();
	return d.err;
}
