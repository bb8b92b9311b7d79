/*
 * The transfers of a snapshot download (HF-HUB.md sections 2 and 3): every
 * missing blob fetched through one libcurl multi handle by up to
 * max_connections connections, their count adapted to what the CDN gives
 * (hubadapt.h).  A blob of at least part_min_bytes is fetched in parts,
 * up to parts_per_file Range requests at once, each the next range in
 * file order (hubparts.h), so that the digest following the contiguous
 * prefix keeps up; a smaller one as one stream, resumed with a Range
 * where a partial file is left.  Each blob's lock, partial file, digest
 * and part map are hubpartial.h's.  Redirects and retries follow
 * hubretry.h; the signed URL that served a blob is reused for its next
 * parts, and resolved again from /resolve when a request on it fails.  A
 * server that answers a Range with the whole file gets one stream for
 * that blob.  A source that still fails once its retries are spent cools
 * down (hubsrc.h) and the part goes on from the next one, with a Range
 * from where it stands.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "hubadapt.h"
#include "hubdl.h"
#include "hubhttp.h"
#include "hubname.h"
#include "hubpartial.h"
#include "hubparts.h"
#include "hubretry.h"
#include "hubxfer.h"
#include "log.h"
#include "mono.h"

#define LOCK_RETRY_MS		250
#define POLL_MS			100
#define BODY_SLACK		(1UL << 20)	/* error bodies on size 0 */
#define MSG_MAX			4608		/* a retry verdict's message */
/*
 * The longest part: the parts ahead of the prefix (parts_per_file at
 * most) wait in the page cache for the digest to reach them.
 */
#define PART_MAX		(64ULL << 20)
#define PART_FLOOR		(64ULL << 10)

/*
 * Why a write callback aborted its transfer: XF_ENOUGH when the part is
 * complete but the server sent on past its end, XF_CANCEL when another
 * connection took the blob over as one stream.
 */
enum xfail { XF_NONE, XF_WRITE, XF_TOOLONG, XF_RANGE, XF_ETAG, XF_CANCEL,
	XF_ENOUGH };

struct engine;

/* A connection: one request at a time, for one part of a blob. */
struct xconn {
	struct engine		*g;
	struct hubpartial	*xb;		/* NULL when idle */
	int			 piece;		/* its part in xb->parts */
	CURL			*easy;
	struct hubhttp_hdrs	 hdrs;
	struct curl_slist	*sl;
	struct hubretry		 r;		/* URL, attempts, redirects */
	int			 cached;	/* r.url is xb->cdn as cached */
	uint64_t		 attempt_from;	/* the part's pos at the start */
	int			 hub_origin;	/* r.url is on the endpoint */
	size_t			 src;		/* the source it started on */
	int			 started;	/* body accepted */
	enum xfail		 fail;
	int			 wr_errno;
	int			 active;	/* in the multi handle */
	int			 paused;	/* by the bandwidth cap */
	uint64_t		 wake_at;	/* waiting to retry */
};

/* Every connection and blob slot, and the blobs still to hand out. */
struct engine {
	struct hubdl		*d;
	CURLM			*multi;
	struct xconn		*c;
	size_t			 nc;
	struct hubpartial	*xb;
	size_t			 nxb;
	size_t			*waitq;		/* blobs whose lock is busy */
	size_t			 nwait;
	size_t			 cursor;	/* next blob in listing order */
	uint64_t		 seq;		/* blobs taken so far */
	uint64_t		 fetched;	/* body bytes written */
	unsigned		 busy;		/* connections holding a part */
	struct hubadapt		 adapt;
	uint64_t		 part_lo, part_hi; /* part lengths */
	char			 msg[MSG_MAX];	/* the retry policy's */
};

static enum err	conn_failed_write(struct xconn *);
static enum err	conn_again(struct xconn *, CURLcode);

/*
 * Connections.
 */

static struct hubpiece *
conn_piece(struct xconn *c)
{

	return &c->xb->parts.piece[c->piece];
}

/* c lets go of its part: what it wrote stays recorded. */
static void
conn_leave(struct xconn *c)
{
	struct hubpartial	*xb = c->xb;

	if (c->active) {
		curl_multi_remove_handle(c->g->multi, c->easy);
		c->active = 0;
	}
	c->paused = 0;
	c->wake_at = 0;
	c->fail = XF_NONE;
	if (xb == NULL)
		return;
	if (c->piece >= 0)
		(void)hubparts_drop(&xb->parts, c->piece);
	xb->nconn--;
	c->g->busy--;
	c->xb = NULL;
}

/* Sends the request of c for the rest of its part, on c->r.url. */
static enum err
conn_send(struct xconn *c)
{
	struct hubdl		*d = c->g->d;
	struct hubpartial	*xb = c->xb;
	struct hubpiece		*q = conn_piece(c);
	uint64_t		 to;

	hubhttp_hdrs_reset(&c->hdrs);
	c->started = 0;
	c->paused = 0;
	c->fail = XF_NONE;
	c->attempt_from = q->pos;
	c->hub_origin = hubhttp_same_origin(c->r.url, d->endpoint) == 1;
	to = xb->multi && !xb->stream ? q->end - 1 : HUBHTTP_OPEN;
	if (hubhttp_request_range(c->easy, &d->http, c->r.url, q->pos, to,
	    xb->b->size + BODY_SLACK, &c->sl, &c->r.auth) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	if (curl_multi_add_handle(c->g->multi, c->easy) != CURLM_OK)
		return hubdl_fail(d, ERR_NOMEM, "cannot start a transfer");
	c->active = 1;
	return ERR_OK;
}

/*
 * Starts (again) the request of c: on the signed URL that served its blob
 * last, else from the /resolve URL of the commit.
 */
static enum err
conn_start(struct xconn *c)
{
	struct hubdl		*d = c->g->d;
	struct hubpartial	*xb = c->xb;
	char			 q[3 * HUBNAME_PATH_MAX + 1], *url;

	c->wake_at = 0;
	c->src = d->src.cur;
	c->cached = xb->cdn != NULL;
	if (c->cached)
		url = strdup(xb->cdn);
	else if (hubname_quote(xb->path, 1, q, sizeof(q)) == -1 ||
	    asprintf(&url, "%s/%s/resolve/%s/%s", d->endpoint, d->repo_id,
	    d->commit, q) == -1)
		url = NULL;
	if (url == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	hubretry_restart(&c->r, url);
	return conn_send(c);
}

/* Gives c the next range of xb (all that is left of one stream). */
static enum err
conn_take(struct xconn *c, struct hubpartial *xb)
{
	struct engine	*g = c->g;
	uint64_t	 len = 0;
	int		 i;

	if (xb->multi)
		len = hubparts_next_len(&xb->parts, g->d->o.parts_per_file,
		    g->part_lo, g->part_hi);
	if ((i = hubparts_take(&xb->parts, len, g->part_lo)) == -1)
		return hubdl_fail(g->d, ERR_NOMEM, "no part to take");
	c->xb = xb;
	c->piece = i;
	xb->nconn++;
	g->busy++;
	c->r.attempts = 0;
	c->r.ectx = &xb->ectx;
	return conn_start(c);
}

/* Checks the hub's ETag / X-Linked-Etag against the listing. */
static int
conn_etag_ok(struct xconn *c)
{
	const char	*raw = c->hdrs.linked_etag[0] != '\0' ?
			    c->hdrs.linked_etag : c->hdrs.etag;
	char		 etag[65], e[130];

	if (!c->hub_origin || raw[0] == '\0')
		return 1;
	if (hubname_etag(raw, etag) == 0 && strcmp(etag, c->xb->b->etag) == 0)
		return 1;
	hubdl_fail(c->g->d, ERR_INVAL, "The hub's ETag for %s (%s) does not "
	    "match its listing (%s): refusing the file", c->xb->path,
	    hubname_clean(e, sizeof(e), raw), c->xb->b->etag);
	return 0;
}

/*
 * The server ignores Range requests for the blob of c (it answered with
 * the whole file): c takes it as one stream from byte 0, written over
 * what is on disk (the map keeps what it recorded); the other parts stop.
 */
static void
conn_stream(struct xconn *c)
{
	struct hubpartial	*xb = c->xb;
	struct engine		*g = c->g;
	size_t			 i;

	if (!xb->stream)
		log_info("%s: the server ignores Range requests for %s: "
		    "fetching it as one stream", g->d->repo_id, xb->path);
	xb->stream = 1;
	for (i = 0; i < g->nc; i++) {
		if (g->c[i].xb != xb || &g->c[i] == c)
			continue;
		/* Its written bytes stay recorded; its part is no more. */
		(void)hubparts_drop(&xb->parts, g->c[i].piece);
		g->c[i].piece = -1;
		if (g->c[i].active)
			g->c[i].fail = XF_CANCEL;
		else
			conn_leave(&g->c[i]);
	}
	(void)hubparts_drop(&xb->parts, c->piece);
	c->piece = hubparts_take_all(&xb->parts);
}

/*
 * A 200 answer: the whole file from byte 0, whatever the Range asked.
 * Returns 0, or -1 with c->wr_errno.
 */
static int
conn_whole(struct xconn *c)
{
	struct hubpartial	*xb = c->xb;
	struct hubpiece		*q = conn_piece(c);

	if (q->start == 0 && q->pos == 0 && (!xb->multi || xb->stream))
		return 0;
	if (xb->multi) {
		conn_stream(c);
		return 0;
	}
	if (hubpartial_reset(xb) != ERR_OK) {	/* one stream: start it over */
		c->wr_errno = errno;
		return -1;
	}
	c->piece = hubparts_take_all(&xb->parts);
	return 0;
}

/* The first body bytes of a 200/206 answer: check and position. */
static int
conn_body_start(struct xconn *c)
{
	uint64_t	 start;

	if (!conn_etag_ok(c)) {
		c->fail = XF_ETAG;
		return -1;
	}
	if (c->hdrs.status == 206) {
		if (hubhttp_content_range_start(c->hdrs.content_range,
		    &start) == -1 || start != conn_piece(c)->pos) {
			c->fail = XF_RANGE;
			return -1;
		}
	} else if (conn_whole(c) == -1) {
		c->fail = XF_WRITE;
		return -1;
	}
	if (!c->hub_origin)
		hubpartial_cdn_note(c->xb, c->r.url);
	c->started = 1;
	return 0;
}

/* Writes len bytes of the body at the part's position. */
static int
conn_put(struct xconn *c, const char *data, size_t len)
{

	if (hubpartial_write(c->xb, c->piece, data, len) == -1) {
		c->wr_errno = errno;
		return -1;
	}
	c->g->fetched += len;
	hubdl_retry_note(c->g->d, &c->r, 0, NULL);	/* data flows */
	return 0;
}

/*
 * Bytes past the end of the part: past the file's for one stream (a
 * failure), else the rest of a range the server sent on after it (the
 * part is complete once what it asked for is written).
 */
static size_t
conn_past_end(struct xconn *c, const char *data, size_t len)
{
	struct hubpiece	*q = conn_piece(c);

	if (!c->xb->multi || c->xb->stream) {
		c->fail = XF_TOOLONG;
		return 0;
	}
	c->fail = XF_ENOUGH;
	if (conn_put(c, data, (size_t)(q->end - q->pos)) == -1)
		c->fail = XF_WRITE;
	return 0;
}

/*
 * The bandwidth cap (hub_callbacks bw_take, bw_wait): every connection of
 * the download asks before it writes body bytes; one the cap holds back
 * pauses (libcurl hands the same bytes over again once resumed).
 */

/* 1 if the cap holds len body bytes of c back: c pauses. */
static int
conn_capped(struct xconn *c, size_t len)
{
	const struct hub_callbacks	*cb = c->g->d->cb;

	if (cb == NULL || cb->bw_take == NULL || cb->bw_take(cb->arg, len))
		return 0;
	c->paused = 1;
	return 1;
}

/* How long the engine may wait for its sockets: POLL_MS, less when a
 * paused connection may go on sooner. */
static long
engine_poll_ms(const struct engine *g)
{
	const struct hub_callbacks	*cb = g->d->cb;
	unsigned			 w;
	size_t				 i;

	if (cb == NULL || cb->bw_wait == NULL)
		return POLL_MS;
	for (i = 0; i < g->nc; i++)
		if (g->c[i].paused) {
			w = cb->bw_wait(cb->arg);
			return w < POLL_MS ? (long)w : POLL_MS;
		}
	return POLL_MS;
}

/* Resumes the paused connections once the cap may let bytes through. */
static void
engine_resume(struct engine *g)
{
	const struct hub_callbacks	*cb = g->d->cb;
	size_t				 i;

	if (cb == NULL || cb->bw_wait == NULL || cb->bw_wait(cb->arg) > 0)
		return;
	for (i = 0; i < g->nc; i++)
		if (g->c[i].paused) {
			g->c[i].paused = 0;
			/* May hand the held bytes over at once. */
			(void)curl_easy_pause(g->c[i].easy, CURLPAUSE_CONT);
		}
}

static size_t
conn_write(char *data, size_t size, size_t n, void *arg)
{
	struct xconn	*c = arg;
	size_t		 len = size * n;

	if (c->fail == XF_CANCEL)
		return 0;
	if (!c->started) {
		if (c->hdrs.status != 200 && c->hdrs.status != 206)
			return len;	/* a redirect or error body */
		if (conn_body_start(c) == -1)
			return 0;
	}
	if (conn_capped(c, len))
		return CURL_WRITEFUNC_PAUSE;
	if (conn_piece(c)->pos + len > conn_piece(c)->end)
		return conn_past_end(c, data, len);
	if (conn_put(c, data, len) == -1) {
		c->fail = XF_WRITE;
		return 0;
	}
	return len;
}

/* The part of c is on disk: record it, verify a complete blob. */
static enum err
conn_part_done(struct xconn *c)
{
	struct hubpartial	*xb = c->xb;

	conn_leave(c);
	if (hubpartial_checkpoint(xb) != ERR_OK)
		return xb->d->err;
	return hubpartial_settle(xb);
}

/* A 3xx answer: follow it ourselves. */
static enum err
conn_redirect(struct xconn *c)
{

	if (!conn_etag_ok(c))
		return c->g->d->err;
	if (hubretry_follow(&c->r, &c->hdrs) != ERR_OK)
		return hubdl_fail(c->g->d, c->r.err, "%s", c->g->msg);
	c->cached = 0;
	return conn_send(c);
}

/* A 200/206 answer ended without a transport error. */
static enum err
conn_complete(struct xconn *c)
{

	if (!c->started && conn_body_start(c) == -1)
		return conn_failed_write(c);
	if (conn_piece(c)->pos < conn_piece(c)->end)
		return conn_again(c, CURLE_PARTIAL_FILE);
	return conn_part_done(c);
}

/*
 * The source c started on failed after its retries: it cools down and c
 * goes on from the next source (or the one another connection moved to)
 * with a Range from where its part stands.  0 if none is left.
 */
static int
conn_failover(struct xconn *c)
{
	struct hubdl	*d = c->g->d;

	if (!hubdl_failover(d, c->src) || d->src.cur == c->src)
		return 0;
	if (c->xb->cdn != NULL)
		hubpartial_cdn_forget(c->xb, c->xb->cdn);
	c->r.attempts = 0;
	return 1;
}

/* Acts on the retry policy's verdict on the request that ended. */
static enum err
conn_verdict(struct xconn *c, enum hubretry_next next)
{

	switch (next) {
	case HUBRETRY_DONE:
		return conn_complete(c);
	case HUBRETRY_FOLLOW:
		return conn_redirect(c);
	case HUBRETRY_WAIT:
		c->wake_at = mono_ms() + (c->r.wait_ms ? c->r.wait_ms : 1);
		return ERR_OK;
	default:
		if (c->r.err == ERR_UPSTREAM && conn_failover(c))
			return conn_start(c);
		return hubdl_fail(c->g->d, c->r.err, "%s", c->g->msg);
	}
}

/*
 * A transient failure: retry later, with a Range from where the part
 * stands.  A request that brought bytes does not count as an attempt.
 */
static enum err
conn_again(struct xconn *c, CURLcode cc)
{

	return conn_verdict(c, hubretry_again(&c->r, cc, &c->hdrs,
	    conn_piece(c)->pos > c->attempt_from));
}

/* One stream's partial file cannot be resumed: start it over, retry. */
static enum err
conn_restart_one(struct xconn *c)
{
	struct hubpartial	*xb = c->xb;

	if (hubpartial_reset(xb) != ERR_OK)
		return c->g->d->err;
	c->piece = hubparts_take_all(&xb->parts);
	return conn_again(c, CURLE_OK);
}

/* What the write callback reported, once the transfer ended. */
static enum err
conn_failed_write(struct xconn *c)
{
	struct hubpartial	*xb = c->xb;

	switch (c->fail) {
	case XF_ETAG:
		return c->g->d->err;
	case XF_CANCEL:
		conn_leave(c);
		return hubpartial_settle(xb);
	case XF_ENOUGH:
		return conn_part_done(c);
	case XF_TOOLONG:
		/* The second time fails the download: say why. */
		if (xb->b->mismatches > 0)
			hubdl_fail(c->g->d, ERR_INVAL, "The hub or CDN sent "
			    "more than the %" PRIu64 " bytes listed for %s "
			    "(twice): refusing the file", xb->b->size,
			    xb->path);
		conn_leave(c);
		return hubpartial_mismatch(xb);
	case XF_RANGE:
		return xb->multi ? conn_again(c, CURLE_OK) :
		    conn_restart_one(c);
	default:
		return hubpartial_ioerr(xb, c->wr_errno);
	}
}

/*
 * The signed URL that served the blob before answered an error (expired,
 * most likely): resolve it again at once, no attempt counted.
 */
static enum err
conn_resolve_again(struct xconn *c)
{

	hubpartial_cdn_forget(c->xb, c->r.url);
	return conn_start(c);
}

static enum err
conn_done(struct xconn *c, CURLcode cc)
{

	curl_multi_remove_handle(c->g->multi, c->easy);
	c->active = c->paused = 0;
	if (c->fail != XF_NONE)
		return conn_failed_write(c);
	if (cc == CURLE_OK && c->cached && c->hdrs.status >= 400)
		return conn_resolve_again(c);
	if (cc == CURLE_OK && c->hdrs.status == 416)
		return c->xb->multi ? conn_again(c, CURLE_OK) :
		    conn_restart_one(c);
	return conn_verdict(c, hubretry_judge(&c->r, cc, &c->hdrs,
	    conn_piece(c)->pos > c->attempt_from));
}

/*
 * The engine.
 */

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

/*
 * The blob taken first that has a range nobody fetches and room for one
 * more connection, or NULL.
 */
static struct hubpartial *
engine_open_blob(struct engine *g)
{
	struct hubpartial	*xb, *best = NULL;
	unsigned		 room;
	size_t			 i;

	for (i = 0; i < g->nxb; i++) {
		xb = &g->xb[i];
		if (xb->b == NULL)
			continue;
		room = xb->multi && !xb->stream ? g->d->o.parts_per_file : 1;
		if (xb->nconn < room && (best == NULL || xb->seq < best->seq) &&
		    hubparts_has_hole(&xb->parts))
			best = xb;
	}
	return best;
}

static struct hubpartial *
engine_free_slot(struct engine *g)
{
	size_t	 i;

	for (i = 0; i < g->nxb; i++)
		if (g->xb[i].b == NULL)
			return &g->xb[i];
	return NULL;
}

/* Puts b, whose lock another process holds, aside for a while. */
static void
engine_defer(struct engine *g, struct hblob *b)
{

	b->retry_at = mono_ms() + LOCK_RETRY_MS;
	g->waitq[g->nwait++] = (size_t)(b - g->d->blobs);
}

/*
 * Takes blob b into the free slot xb (in parts when it is big enough and
 * there are connections for parts), or defers it while its lock is busy.
 */
static void
engine_claim(struct engine *g, struct hubpartial *xb, struct hblob *b)
{
	const struct hub_opts	*o = &g->d->o;
	int			 busy;

	xb->seq = ++g->seq;
	if (hubpartial_claim(xb, b, g->nc >= 2 && o->parts_per_file >= 2 &&
	    b->size >= o->part_min_bytes, &busy) == ERR_OK && busy)
		engine_defer(g, b);
}

/*
 * Gives the idle connection c work: the next range of a blob under way,
 * else of the next blob.  Returns 0 when there is none.
 */
static int
engine_work(struct engine *g, struct xconn *c)
{
	struct hubdl		*d = g->d;
	struct hubpartial	*xb;
	struct hblob		*b;

	while (d->err == ERR_OK && !d->stopped) {
		if ((xb = engine_open_blob(g)) != NULL)
			return conn_take(c, xb) == ERR_OK;
		if ((xb = engine_free_slot(g)) == NULL ||
		    (b = engine_pick(g, mono_ms())) == NULL)
			return 0;
		engine_claim(g, xb, b);
	}
	return 0;
}

/* Gives idle connections work while fewer than target are busy. */
static void
engine_fill_to(struct engine *g, unsigned target)
{
	size_t	 i;

	for (i = 0; i < g->nc && g->busy < target; i++)
		if (g->c[i].xb == NULL && !engine_work(g, &g->c[i]))
			break;
}

/*
 * Restarts connections whose backoff ended, then gives idle ones work
 * while fewer are busy than the adapted count allows.
 */
static void
engine_fill(struct engine *g)
{
	struct hubdl	*d = g->d;
	unsigned	 target;
	uint64_t	 now = mono_ms();
	size_t		 i;

	for (i = 0; i < g->nc && d->err == ERR_OK; i++) {
		struct xconn	*c = &g->c[i];

		if (c->xb != NULL && !c->active && c->wake_at != 0 &&
		    c->wake_at <= now)
			(void)conn_start(c);
	}
	engine_fill_to(g, g->adapt.target);
	/* Judged on the connections that have work now: one between two
	 * parts is not a lack of work. */
	target = hubadapt_tick(&g->adapt, now, g->fetched, g->busy);
	engine_fill_to(g, target);
}

/* Sets connection c up: its easy handle. */
static enum err
conn_init(struct engine *g, struct xconn *c)
{
	struct hubdl	*d = g->d;

	c->g = g;
	c->r.opts = &d->http;
	c->r.ectx = &d->ectx;
	c->r.cdn_retry = 1;
	c->r.msg = g->msg;
	c->r.msglen = sizeof(g->msg);
	if ((c->easy = hubhttp_easy(&d->http, &c->hdrs)) == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, conn_write);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	return ERR_OK;
}

static enum err
engine_init(struct engine *g, struct hubdl *d)
{
	const struct hub_opts	*o = &d->o;
	size_t			 i;

	g->d = d;
	g->nc = o->max_connections;
	g->nxb = g->nc + 1;
	if ((g->multi = curl_multi_init()) == NULL ||
	    (g->waitq = calloc(d->nblobs, sizeof(*g->waitq))) == NULL ||
	    (g->c = calloc(g->nc, sizeof(*g->c))) == NULL ||
	    (g->xb = calloc(g->nxb, sizeof(*g->xb))) == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	for (i = 0; i < g->nxb; i++)
		hubpartial_init(&g->xb[i], d);
	g->part_lo = o->part_min_bytes / (2 * (uint64_t)o->parts_per_file);
	if (g->part_lo < PART_FLOOR)
		g->part_lo = PART_FLOOR;
	g->part_hi = g->part_lo > PART_MAX ? g->part_lo : PART_MAX;
	hubadapt_init(&g->adapt, o->start_connections ? o->start_connections :
	    HUBADAPT_START, (unsigned)g->nc, mono_ms());
	for (i = 0; i < g->nc; i++)
		if (conn_init(g, &g->c[i]) != ERR_OK)
			return d->err;
	return ERR_OK;
}

/* Lets every connection go, records the maps, frees everything. */
static void
engine_free(struct engine *g)
{
	size_t	 i;

	for (i = 0; g->c != NULL && i < g->nc; i++)
		conn_leave(&g->c[i]);
	for (i = 0; g->xb != NULL && i < g->nxb; i++) {
		struct hubpartial	*xb = &g->xb[i];

		if (xb->b != NULL)
			(void)hubpartial_checkpoint(xb);
		hubpartial_free(xb);
	}
	for (i = 0; g->c != NULL && i < g->nc; i++) {
		if (g->c[i].easy != NULL)
			curl_easy_cleanup(g->c[i].easy);
		curl_slist_free_all(g->c[i].sl);
		hubretry_free(&g->c[i].r);
	}
	free(g->c);
	free(g->xb);
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
			(void)conn_done((struct xconn *)(void *)priv,
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
		d->prog.connections = g.busy;
		if (d->err != ERR_OK || hubdl_tick(d, 0) || d->left == 0)
			break;
		engine_resume(&g);
		if (curl_multi_perform(g.multi, &running) != CURLM_OK) {
			hubdl_fail(d, ERR_NOMEM, "libcurl multi failure");
			break;
		}
		/* A transfer that ended may have freed a connection: give it
		 * work now, not after waiting for the others (up to
		 * POLL_MS). */
		if (engine_drain(&g) == 0 && d->err == ERR_OK && d->left > 0)
			(void)curl_multi_poll(g.multi, NULL, 0,
			    (int)engine_poll_ms(&g), NULL);
	}
	d->prog.connections = 0;
	if (d->stopped)
		hubdl_fail(d, ERR_TIMEOUT, "stopped");
out:
	engine_free(&g);
	return d->err;
}
