/*
 * The transfers of a snapshot download (HF-HUB.md sections 2 and 3): every
 * missing blob fetched, several at once through one libcurl multi handle,
 * into blobs/<etag>.incomplete under its .locks/ flock, resumed with a
 * Range where a partial file is left, its size and hash verified as it
 * streams (hubhash.h), then renamed onto blobs/<etag>.  Redirects and
 * retries follow hubretry.h; a retried file starts over from its /resolve
 * URL (a CDN's signed URL may have expired).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "hfwrite.h"
#include "hubdl.h"
#include "hubhash.h"
#include "hubhttp.h"
#include "hubmeta.h"
#include "hubname.h"
#include "hubretry.h"
#include "hubxfer.h"
#include "log.h"
#include "mono.h"

/*
 * The most one write(2) hands the page cache.  A larger write makes the
 * kernel allocate a large folio for it, from the high-order free blocks
 * that a VM's free page reporting has handed back to the host: touching
 * them again costs the host a fault per page, and a 1 GiB download 5 to
 * 7 times its system time (make bench; 8 KiB is what curl writes).
 */
#define WRITE_CHUNK		(8UL * 1024)
#define LOCK_RETRY_MS		250
#define POLL_MS			100
#define BODY_SLACK		(1UL << 20)	/* error bodies on size 0 */
#define MSG_MAX			4608		/* a retry verdict's message */

/* Why a write callback aborted its transfer. */
enum xfail { XF_NONE, XF_WRITE, XF_TOOLONG, XF_RANGE, XF_ETAG };

struct engine;

/* A transfer slot. */
struct xfer {
	struct engine		*g;
	struct hubdl		*d;
	struct hblob		*b;		/* NULL when idle */
	CURL			*easy;
	struct hubhttp_hdrs	 hdrs;
	struct curl_slist	*sl;
	EVP_MD_CTX		*md;
	struct hubhash		 h;		/* hashes into md */
	struct hubretry		 r;		/* URL, attempts, redirects */
	struct hubhttp_errctx	 ectx;		/* names b in messages */
	char			 path[HUBNAME_PATH_MAX + 1]; /* b's */
	int			 lockfd, fd;
	uint64_t		 written;	/* on disk (hashed or queued) */
	uint64_t		 attempt_from;	/* written at request start */
	int			 hub_origin;	/* url is on the endpoint */
	int			 started;	/* body accepted */
	enum xfail		 fail;
	int			 wr_errno;
	int			 active;	/* in the multi handle */
	int			 paused;	/* by the bandwidth cap */
	uint64_t		 wake_at;	/* waiting to (re)start */
};

/* Every slot, and the blobs still to hand out. */
struct engine {
	struct hubdl		*d;
	CURLM			*multi;
	struct xfer		*x;
	size_t			 nx;
	size_t			*waitq;		/* blobs whose lock is busy */
	size_t			 nwait;
	size_t			 cursor;	/* next blob in listing order */
	char			 msg[MSG_MAX];	/* the retry policy's */
};

static enum err	xfer_failed_write(struct xfer *);
static enum err	xfer_again(struct xfer *, CURLcode);

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
	    x->b->etag, x->path);
}

/* A file system failure on the partial file. */
static enum err
xfer_ioerr(struct xfer *x, int errnum)
{
	char	 what[HUBNAME_PATH_MAX + 512];

	xfer_what(x, what, sizeof(what));
	return hubdl_ioerr(x->d, errnum, what);
}

/* Writes len bytes of the body to the partial file and hashes them (or
 * queues them for the hasher). */
static int
xfer_put(struct xfer *x, const char *data, size_t len)
{
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
	hubdl_retry_note(x->d, &x->r, 0, NULL);	/* data flows */
	if (hubhash_put(&x->h, data, len, x->written) == -1) {
		x->wr_errno = ENOMEM;
		return -1;
	}
	hubdl_credit(x->d, x->b, x->written);
	return 0;
}

/* Empties the partial file and restarts its digest. */
static int
xfer_truncate(struct xfer *x)
{

	(void)hubhash_wait(&x->h);	/* the digest starts over */
	x->written = 0;
	hubhash_reset(&x->h, x->fd, 0);
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
	hubdl_fail(x->d, ERR_INVAL, "The hub's ETag for %s (%s) does not "
	    "match its listing (%s): refusing the file", x->path,
	    hubname_clean(c, sizeof(c), raw), x->b->etag);
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

/* --- bandwidth cap hook: begin (hub_callbacks bw_take, bw_wait) --- */

/* 1 if the cap holds len body bytes of x back: x pauses. */
static int
xfer_capped(struct xfer *x, size_t len)
{
	const struct hub_callbacks	*cb = x->d->cb;

	if (cb == NULL || cb->bw_take == NULL || cb->bw_take(cb->arg, len))
		return 0;
	x->paused = 1;
	return 1;
}

/* How long the engine may wait for its sockets: POLL_MS, less when a
 * paused transfer may go on sooner. */
static long
engine_poll_ms(const struct engine *g)
{
	const struct hub_callbacks	*cb = g->d->cb;
	unsigned			 w;
	size_t				 i;

	if (cb == NULL || cb->bw_wait == NULL)
		return POLL_MS;
	for (i = 0; i < g->nx; i++)
		if (g->x[i].paused) {
			w = cb->bw_wait(cb->arg);
			return w < POLL_MS ? (long)w : POLL_MS;
		}
	return POLL_MS;
}

/* Resumes the paused transfers once the cap may let bytes through. */
static void
engine_resume(struct engine *g)
{
	const struct hub_callbacks	*cb = g->d->cb;
	size_t				 i;

	if (cb == NULL || cb->bw_wait == NULL || cb->bw_wait(cb->arg) > 0)
		return;
	for (i = 0; i < g->nx; i++)
		if (g->x[i].paused) {
			g->x[i].paused = 0;
			/* May hand the held bytes over at once. */
			(void)curl_easy_pause(g->x[i].easy, CURLPAUSE_CONT);
		}
}

/* --- bandwidth cap hook: end --- */

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
	if (xfer_capped(x, len))
		return CURL_WRITEFUNC_PAUSE;
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

/* Sends the request for x->r.url, resuming at x->written. */
static enum err
xfer_send(struct xfer *x)
{
	struct hubdl	*d = x->d;

	hubhttp_hdrs_reset(&x->hdrs);
	x->started = 0;
	x->paused = 0;
	x->fail = XF_NONE;
	x->attempt_from = x->written;
	x->hub_origin = hubhttp_same_origin(x->r.url, d->endpoint) == 1;
	if (hubhttp_request(x->easy, &d->http, x->r.url, x->written,
	    x->b->size + BODY_SLACK, &x->sl, &x->r.auth) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(x->g->multi, x->easy) != CURLM_OK)
		return hubdl_fail(d, ERR_NOMEM, "cannot start a transfer");
	x->active = 1;
	return ERR_OK;
}

/* Starts (again) from the /resolve URL of the commit. */
static enum err
xfer_start(struct xfer *x)
{
	struct hubdl	*d = x->d;
	char		 q[3 * HUBNAME_PATH_MAX + 1], *url;

	x->wake_at = 0;
	if (hubname_quote(x->path, 1, q, sizeof(q)) == -1 ||
	    asprintf(&url, "%s/%s/resolve/%s/%s", d->endpoint, d->repo_id,
	    d->commit, q) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	hubretry_restart(&x->r, url);
	return xfer_send(x);
}

/* Frees the slot: closes the files (once hashed), unlocks. */
static void
xfer_release(struct xfer *x)
{

	if (x->active) {
		curl_multi_remove_handle(x->g->multi, x->easy);
		x->active = 0;
	}
	x->paused = 0;
	(void)hubhash_wait(&x->h);
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
	struct hubdl	*d = x->d;
	struct hblob	*b = x->b;
	char		 from[96];

	blob_name(b, ".incomplete", from, sizeof(from));
	if ((d->o.fsync_blobs && fsync(x->fd) == -1) ||
	    renameat(d->blobsfd, from, d->blobsfd, b->etag) == -1)
		return xfer_ioerr(x, errno);
	close(x->fd);
	x->fd = -1;
	hubdl_blob_done(d, b);
	xfer_release(x);
	return ERR_OK;
}

/* Content that does not match: drop it, retry the file once. */
static enum err
xfer_mismatch(struct xfer *x)
{
	struct hubdl	*d = x->d;
	struct hblob	*b = x->b;
	char		 name[96];

	log_warnx("%s: content of %s does not match %s", d->repo_id, x->path,
	    b->etag);
	if (++b->mismatches > 1) {
		blob_name(b, ".incomplete", name, sizeof(name));
		(void)unlinkat(d->blobsfd, name, 0);
		return hubdl_fail(d, ERR_INVAL, "The content of %s did not "
		    "match its listed hash %s (twice): the hub or CDN served "
		    "wrong data", x->path, b->etag);
	}
	if (xfer_truncate(x) == -1)
		return xfer_ioerr(x, x->wr_errno);
	x->r.attempts = 0;
	return xfer_start(x);
}

/* Every byte is on disk: check the digest. */
static enum err
xfer_verify(struct xfer *x)
{

	if (hubhash_wait(&x->h) == -1)
		return hubdl_fail(x->d, ERR_NOMEM, "out of memory");
	if (hfwrite_hash_matches(x->md, x->b->etag))
		return xfer_finish(x);
	return xfer_mismatch(x);
}

/* A 3xx answer: follow it ourselves. */
static enum err
xfer_redirect(struct xfer *x)
{

	if (!xfer_etag_ok(x))
		return x->d->err;
	if (hubretry_follow(&x->r, &x->hdrs) != ERR_OK)
		return hubdl_fail(x->d, x->r.err, "%s", x->g->msg);
	return xfer_send(x);
}

/* A 200/206 answer ended without a transport error. */
static enum err
xfer_complete(struct xfer *x)
{

	if (!x->started && xfer_body_start(x) == -1)
		return xfer_failed_write(x);
	if (x->written < x->b->size)
		return xfer_again(x, CURLE_PARTIAL_FILE);
	return xfer_verify(x);
}

/* Acts on the retry policy's verdict on the request that ended. */
static enum err
xfer_verdict(struct xfer *x, enum hubretry_next next)
{

	switch (next) {
	case HUBRETRY_DONE:
		return xfer_complete(x);
	case HUBRETRY_FOLLOW:
		return xfer_redirect(x);
	case HUBRETRY_WAIT:
		x->wake_at = mono_ms() + (x->r.wait_ms ? x->r.wait_ms : 1);
		return ERR_OK;
	default:
		return hubdl_fail(x->d, x->r.err, "%s", x->g->msg);
	}
}

/*
 * A transient failure: retry later from the /resolve URL with Range.  A
 * request that brought bytes does not count as an attempt.
 */
static enum err
xfer_again(struct xfer *x, CURLcode cc)
{

	return xfer_verdict(x, hubretry_again(&x->r, cc, &x->hdrs,
	    x->written > x->attempt_from));
}

/* What the write callback reported, once the transfer ended. */
static enum err
xfer_failed_write(struct xfer *x)
{
	struct hubdl	*d = x->d;

	switch (x->fail) {
	case XF_ETAG:
		return d->err;
	case XF_TOOLONG:
		/* The second time fails the download: say why. */
		if (x->b->mismatches > 0)
			hubdl_fail(d, ERR_INVAL, "The hub or CDN sent more "
			    "than the %" PRIu64 " bytes listed for %s (twice): "
			    "refusing the file", x->b->size, x->path);
		return xfer_mismatch(x);
	case XF_RANGE:
		if (xfer_truncate(x) == -1)
			break;
		return xfer_again(x, CURLE_OK);
	default:
		break;
	}
	return xfer_ioerr(x, x->wr_errno);
}

static enum err
xfer_done(struct xfer *x, CURLcode cc)
{

	curl_multi_remove_handle(x->g->multi, x->easy);
	x->active = x->paused = 0;
	if (x->fail != XF_NONE)
		return xfer_failed_write(x);
	if (cc == CURLE_OK && x->hdrs.status == 416) {
		if (xfer_truncate(x) == -1)
			return xfer_failed_write(x);
		return xfer_again(x, CURLE_OK);
	}
	return xfer_verdict(x, hubretry_judge(&x->r, cc, &x->hdrs,
	    x->written > x->attempt_from));
}

/* Re-hashes the bytes of a partial file already on disk. */
static int
xfer_rehash(struct xfer *x, uint64_t have)
{
	int	 r;

	if ((r = hubhash_file(&x->h, x->fd, have, hubdl_stop_cb, x->d)) ==
	    -1) {
		x->wr_errno = errno;
		return -1;
	}
	if (r == 0)
		x->written = have;
	return 0;	/* stopping: the caller looks */
}

/* Opens the partial file of x->b, its digest begun from nothing. */
static enum err
xfer_open_partial(struct xfer *x, struct stat *st)
{
	struct hubdl	*d = x->d;
	char		 name[96];

	blob_name(x->b, ".incomplete", name, sizeof(name));
	x->written = 0;
	x->fd = openat(d->blobsfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0666);
	if (x->fd == -1 || fstat(x->fd, st) == -1)
		return xfer_ioerr(x, errno);
	if (!S_ISREG(st->st_mode))
		return xfer_ioerr(x, EINVAL);
	if (st->st_nlink != 1)	/* a hard link to a file elsewhere */
		return xfer_ioerr(x, EMLINK);
	(void)hubhash_wait(&x->h);	/* a new digest */
	hubhash_reset(&x->h, x->fd, 0);
	if (hfwrite_hash_begin(x->md, x->b->lfs, x->b->size) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	return ERR_OK;
}

/*
 * Opens the partial file of the locked blob and picks up what it holds.
 * Returns ERR_OK with the slot ready to send, or already released when the
 * partial file turned out complete.
 */
static enum err
xfer_open(struct xfer *x)
{
	struct hubdl	*d = x->d;
	struct hblob	*b = x->b;
	struct stat	 st;

	if (xfer_open_partial(x, &st) != ERR_OK)
		return d->err;
	if ((uint64_t)st.st_size > b->size && xfer_truncate(x) == -1)
		return xfer_ioerr(x, x->wr_errno);
	if ((uint64_t)st.st_size <= b->size && st.st_size > 0 &&
	    xfer_rehash(x, (uint64_t)st.st_size) == -1)
		return xfer_ioerr(x, x->wr_errno);
	if (d->stopped)
		return ERR_OK;
	hubdl_credit(d, b, x->written);
	if (x->written == b->size) {
		if (hfwrite_hash_matches(x->md, b->etag))
			return xfer_finish(x);
		log_warnx("%s: partial %s does not match, restarting",
		    d->repo_id, x->path);
		if (xfer_truncate(x) == -1)
			return xfer_ioerr(x, x->wr_errno);
	}
	return ERR_OK;
}

/* 1 if blob b is already in place (hubdl_blob_done called); never for
 * a blob to fetch again. */
static int
blob_present(struct hubdl *d, struct hblob *b)
{
	struct stat	 st;

	if (!b->refetch && fstatat(d->blobsfd, b->etag, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode)) {
		hubdl_blob_done(d, b);
		return 1;
	}
	return 0;
}

/* Puts b, whose lock another process holds, aside for a while. */
static void
engine_defer(struct engine *g, struct hblob *b)
{

	b->retry_at = mono_ms() + LOCK_RETRY_MS;
	g->waitq[g->nwait++] = (size_t)(b - g->d->blobs);
}

/*
 * Takes blob b into slot x: skips it if already in place, defers it if
 * another process holds its lock.  Returns ERR_OK (x->b set when a
 * request is to be sent) or the failure.
 */
static enum err
xfer_claim(struct xfer *x, struct hblob *b)
{
	struct hubdl	*d = x->d;
	char		 lock[96], what[512];

	if (blob_present(d, b))
		return ERR_OK;
	blob_name(b, ".lock", lock, sizeof(lock));
	if ((x->lockfd = hfwrite_lock(d->locksfd, lock)) == -1) {
		if (errno == EWOULDBLOCK) {
			engine_defer(x->g, b);
			return ERR_OK;
		}
		snprintf(what, sizeof(what), ".locks/%s/%s", d->folder, lock);
		return hubdl_ioerr(d, errno, what);
	}
	x->b = b;
	b->state = BLOB_BUSY;
	if (blob_present(d, b)) {	/* another process finished it */
		xfer_release(x);
		return ERR_OK;
	}
	if (hubmeta_blob_path(d, b, x->path, sizeof(x->path)) == -1) {
		xfer_release(x);
		return hubdl_ioerr(d, errno, "(a temporary file)");
	}
	x->ectx.file = x->path;
	x->r.attempts = 0;
	if (xfer_open(x) != ERR_OK || x->b == NULL || d->stopped)
		return d->err;
	return xfer_start(x);
}

/*
 * The next blob to fetch, or NULL: first a deferred one whose lock is
 * worth trying again, then the next one in listing order.
 */
static struct hblob *
engine_pick(struct engine *g, uint64_t now)
{
	struct hblob	*b;
	size_t		 i;

	for (i = 0; i < g->nwait; i++) {
		b = &g->d->blobs[g->waitq[i]];
		if (b->retry_at <= now) {
			g->waitq[i] = g->waitq[--g->nwait];
			return b;
		}
	}
	while (g->cursor < g->d->nblobs) {
		b = &g->d->blobs[g->cursor++];
		if (b->state == BLOB_TODO)
			return b;
	}
	return NULL;
}

/* Fills idle slots and restarts slots whose backoff ended. */
static void
engine_fill(struct engine *g)
{
	struct hubdl	*d = g->d;
	struct hblob	*b;
	size_t		 i;
	uint64_t	 now = mono_ms();

	for (i = 0; i < g->nx && d->err == ERR_OK && !d->stopped; i++) {
		struct xfer	*x = &g->x[i];

		if (x->b != NULL) {
			if (!x->active && x->wake_at != 0 && x->wake_at <= now)
				(void)xfer_start(x);
			continue;
		}
		while (x->b == NULL && d->err == ERR_OK && !d->stopped &&
		    (b = engine_pick(g, now)) != NULL)
			(void)xfer_claim(x, b);
	}
}

/* Sets slot x up: its easy handle, digest and hasher. */
static enum err
xfer_init(struct engine *g, struct xfer *x)
{
	struct hubdl	*d = g->d;

	x->g = g;
	x->d = d;
	x->ectx = d->ectx;
	x->r.opts = &d->http;
	x->r.ectx = &x->ectx;
	x->r.cdn_retry = 1;
	x->r.msg = g->msg;
	x->r.msglen = sizeof(g->msg);
	if ((x->easy = hubhttp_easy(&d->http, &x->hdrs)) == NULL ||
	    (x->md = EVP_MD_CTX_new()) == NULL ||
	    hubhash_init(&x->h, x->md) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	return ERR_OK;
}

static enum err
engine_init(struct engine *g, struct hubdl *d)
{
	size_t	 i, n = d->o.parallel_files;

	g->d = d;
	if (n > d->left)
		n = d->left;
	if (n == 0)
		n = 1;
	if ((g->multi = curl_multi_init()) == NULL ||
	    (g->waitq = calloc(d->nblobs, sizeof(*g->waitq))) == NULL ||
	    (g->x = calloc(n, sizeof(*g->x))) == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	g->nx = n;
	for (i = 0; i < n; i++)
		g->x[i].fd = g->x[i].lockfd = -1;
	for (i = 0; i < n; i++)
		if (xfer_init(g, &g->x[i]) != ERR_OK)
			return d->err;
	return ERR_OK;
}

static void
engine_free(struct engine *g)
{
	size_t	 i;

	for (i = 0; g->x != NULL && i < g->nx; i++) {
		struct xfer	*x = &g->x[i];

		xfer_release(x);
		hubhash_free(&x->h);
		if (x->easy != NULL)
			curl_easy_cleanup(x->easy);
		curl_slist_free_all(x->sl);
		EVP_MD_CTX_free(x->md);
		hubretry_free(&x->r);
	}
	free(g->x);
	free(g->waitq);
	if (g->multi != NULL)
		curl_multi_cleanup(g->multi);
}

/* Handles the transfers that ended; returns how many did. */
static int
engine_drain(struct engine *g)
{
	struct CURLMsg	*m;
	char		*priv;
	int		 left, ended = 0;

	while (g->d->err == ERR_OK &&
	    (m = curl_multi_info_read(g->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		ended++;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    &priv) == CURLE_OK && priv != NULL)
			(void)xfer_done((struct xfer *)(void *)priv,
			    m->data.result);
	}
	return ended;
}

enum err
hubxfer_run(struct hubdl *d)
{
	struct engine	 g;
	int		 running;

	if (d->left == 0)
		return ERR_OK;
	memset(&g, 0, sizeof(g));
	if (engine_init(&g, d) != ERR_OK)
		goto out;
	while (d->left > 0 && d->err == ERR_OK) {
		engine_fill(&g);
		if (d->err != ERR_OK || hubdl_tick(d, 0) || d->left == 0)
			break;
		engine_resume(&g);
		if (curl_multi_perform(g.multi, &running) != CURLM_OK) {
			hubdl_fail(d, ERR_NOMEM, "libcurl multi failure");
			break;
		}
		/* A transfer that ended may have freed a slot: fill it now,
		 * not after waiting for the others (up to POLL_MS). */
		if (engine_drain(&g) == 0 && d->err == ERR_OK && d->left > 0)
			(void)curl_multi_poll(g.multi, NULL, 0,
			    (int)engine_poll_ms(&g), NULL);
	}
	if (d->stopped)
		hubdl_fail(d, ERR_TIMEOUT, "stopped");
out:
	engine_free(&g);
	return d->err;
}
