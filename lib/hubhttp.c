/*
 * libcurl plumbing for the Hub download: common easy options, response
 * headers, our own redirect handling and Authorization policy, retry and
 * backoff rules, and Hub error mapping.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hubhttp.h"
#include "log.h"
#include "mono.h"

#define DEFAULT_UA		"modelmgr/1.0; hf_hub-compatible"
#define DEFAULT_CONNECT		10	/* seconds */
#define DEFAULT_STALL		60	/* seconds */
#define DEFAULT_BASE_MS		1000
#define DEFAULT_MAX_MS		8000
#define RETRY_AFTER_MAX		86400	/* seconds, sanity bound */
#define WHAT_MAX		4200	/* "repository <id>" or a file path */

void
hubhttp_hdrs_reset(struct hubhttp_hdrs *h)
{

	memset(h, 0, sizeof(*h));
}

/* Copies n bytes of value into dst (size dstlen); 0, or -1 if cut. */
static int
hdr_copy(char *dst, size_t dstlen, const char *v, size_t n)
{

	if (n >= dstlen) {
		memcpy(dst, v, dstlen - 1);
		dst[dstlen - 1] = '\0';
		return -1;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static void
hdr_link(struct hubhttp_hdrs *h, const char *v, size_t n)
{
	size_t	 cur = strlen(h->link);

	if (cur > 0) {
		if (cur + 2 + n >= sizeof(h->link)) {
			h->overflow = 1;
			return;
		}
		memcpy(h->link + cur, ", ", 2);
		cur += 2;
	}
	if (hdr_copy(h->link + cur, sizeof(h->link) - cur, v, n) == -1)
		h->overflow = 1;
}

/* Parses "HTTP/x[.y] NNN ..." into h->status (a new response). */
static void
hdr_status(struct hubhttp_hdrs *h, const char *buf, size_t n)
{
	const char	*sp;
	long		 st = 0;
	size_t		 i;

	hubhttp_hdrs_reset(h);
	if ((sp = memchr(buf, ' ', n)) == NULL)
		return;
	for (i = (size_t)(sp - buf) + 1; i < n && i < (size_t)(sp - buf) + 4;
	    i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return;
		st = st * 10 + (buf[i] - '0');
	}
	h->status = st;
}

size_t
hubhttp_header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct hubhttp_hdrs	*h = arg;
	size_t			 len = size * n, nl, vl;
	const char		*colon, *v;

	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		hdr_status(h, buf, len);
		return len;
	}
	if ((colon = memchr(buf, ':', len)) == NULL)
		return len;
	nl = (size_t)(colon - buf);
	v = colon + 1;
	vl = len - nl - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
#define IS(name) (nl == sizeof(name) - 1 && strncasecmp(buf, name, nl) == 0)
	if (IS("etag"))
		(void)hdr_copy(h->etag, sizeof(h->etag), v, vl);
	else if (IS("x-linked-etag"))
		(void)hdr_copy(h->linked_etag, sizeof(h->linked_etag), v, vl);
	else if (IS("location")) {
		if (hdr_copy(h->location, sizeof(h->location), v, vl) == -1)
			h->overflow = 1;
	} else if (IS("content-range"))
		(void)hdr_copy(h->content_range, sizeof(h->content_range), v,
		    vl);
	else if (IS("retry-after"))
		(void)hdr_copy(h->retry_after, sizeof(h->retry_after), v, vl);
	else if (IS("x-error-code"))
		(void)hdr_copy(h->error_code, sizeof(h->error_code), v, vl);
	else if (IS("x-error-message"))
		(void)hdr_copy(h->error_message, sizeof(h->error_message), v,
		    vl);
	else if (IS("x-repo-commit"))
		(void)hdr_copy(h->repo_commit, sizeof(h->repo_commit), v, vl);
	else if (IS("x-request-id"))
		(void)hdr_copy(h->request_id, sizeof(h->request_id), v, vl);
	else if (IS("link"))
		hdr_link(h, v, vl);
#undef IS
	return len;
}

CURL *
hubhttp_easy(const struct hub_opts *o, struct hubhttp_hdrs *h)
{
	CURL	*e;
	long	 stall = o->stall_seconds ? (long)o->stall_seconds :
		    DEFAULT_STALL;

	if ((e = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK) {
		curl_easy_cleanup(e);
		return NULL;
	}
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, o->connect_timeout ?
	    (long)o->connect_timeout : (long)DEFAULT_CONNECT);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, stall);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 128L * 1024);
	curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent != NULL &&
	    *o->user_agent != '\0' ? o->user_agent : DEFAULT_UA);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, hubhttp_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
	return e;
}

int
hubhttp_sends_auth(const struct hub_opts *o, const char *url)
{

	return o->token != NULL && *o->token != '\0' && o->endpoint != NULL &&
	    hubhttp_same_origin(url, o->endpoint) == 1;
}

int
hubhttp_request(CURL *e, const struct hub_opts *o, const char *url,
    uint64_t range_from, uint64_t maxsize, struct curl_slist **slist,
    int *auth)
{
	struct curl_slist	*l = NULL, *t;
	char			 range[64], *hdr = NULL;
	int			 sends = hubhttp_sends_auth(o, url);

	curl_slist_free_all(*slist);
	*slist = NULL;
	if (auth != NULL)
		*auth = sends;
	if (sends) {
		if (asprintf(&hdr, "Authorization: Bearer %s", o->token) == -1)
			return -1;
		t = curl_slist_append(l, hdr);
		explicit_bzero(hdr, strlen(hdr));
		free(hdr);
		if (t == NULL)
			return -1;
		l = t;
	}
	if (range_from > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-",
		    range_from);
		if ((t = curl_slist_append(l, range)) == NULL) {
			curl_slist_free_all(l);
			return -1;
		}
		l = t;
	}
	*slist = l;
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK)
		return -1;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(maxsize >
	    INT64_MAX ? INT64_MAX : maxsize));
	curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	return 0;
}

struct origin {
	char	*scheme, *host, *port;
};

static void
origin_free(struct origin *o)
{

	curl_free(o->scheme);
	curl_free(o->host);
	curl_free(o->port);
}

static int
origin_get(const char *url, struct origin *o)
{
	CURLU	*u;
	int	 rc = -1;

	memset(o, 0, sizeof(*o));
	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &o->host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	rc = 0;
out:
	curl_url_cleanup(u);
	if (rc == -1)
		origin_free(o);
	return rc;
}

int
hubhttp_same_origin(const char *a, const char *b)
{
	struct origin	 x, y;
	int		 same;

	if (origin_get(a, &x) == -1)
		return -1;
	if (origin_get(b, &y) == -1) {
		origin_free(&x);
		return -1;
	}
	same = strcasecmp(x.scheme, y.scheme) == 0 &&
	    strcasecmp(x.host, y.host) == 0 && strcmp(x.port, y.port) == 0;
	origin_free(&x);
	origin_free(&y);
	return same;
}

char *
hubhttp_resolve(const char *base, const char *location)
{
	CURLU	*u;
	char	*scheme = NULL, *url = NULL, *out = NULL;

	if (*location == '\0' || (u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
	    strcasecmp(scheme, "https") != 0) ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
		goto out;
	out = strdup(url);
out:
	curl_free(url);
	curl_free(scheme);
	curl_url_cleanup(u);
	return out;
}

void
hubhttp_redact(const char *url, char *out, size_t outlen)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL, *port = NULL, *path = NULL;

	snprintf(out, outlen, "(invalid URL)");
	if ((u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
			port = NULL;
		snprintf(out, outlen, "%s://%s%s%s%s", scheme, host,
		    port != NULL ? ":" : "", port != NULL ? port : "",
		    strcmp(path, "/") == 0 ? "" : path);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
}

static const char *
skip_ws(const char *p)
{

	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* 1 if the rel value v (n bytes, unquoted) lists the token "next". */
static int
rel_has_next(const char *v, size_t n)
{
	size_t	 i = 0, start;

	while (i < n) {
		while (i < n && v[i] == ' ')
			i++;
		start = i;
		while (i < n && v[i] != ' ')
			i++;
		if (i - start == 4 && strncasecmp(v + start, "next", 4) == 0)
			return 1;
	}
	return 0;
}

/*
 * Parses the parameters after "<url>" up to the next link (",") or the
 * end.  Returns the position after them, *next set if rel has "next";
 * NULL if malformed.
 */
static const char *
link_params(const char *p, int *next)
{
	const char	*name, *val;
	size_t		 nlen, vlen;

	*next = 0;
	for (;;) {
		p = skip_ws(p);
		if (*p == ',' || *p == '\0')
			return p;
		if (*p++ != ';')
			return NULL;
		p = skip_ws(p);
		name = p;
		while (*p != '\0' && *p != '=' && *p != ';' && *p != ',' &&
		    *p != ' ')
			p++;
		nlen = (size_t)(p - name);
		p = skip_ws(p);
		if (*p != '=')
			continue;	/* a parameter without value */
		p = skip_ws(p + 1);
		if (*p == '"') {
			val = ++p;
			while (*p != '\0' && *p != '"')
				p++;
			if (*p != '"')
				return NULL;
			vlen = (size_t)(p++ - val);
		} else {
			val = p;
			while (*p != '\0' && *p != ';' && *p != ',' &&
			    *p != ' ')
				p++;
			vlen = (size_t)(p - val);
		}
		if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 &&
		    rel_has_next(val, vlen))
			*next = 1;
	}
}

int
hubhttp_link_next(const char *link, char *out, size_t outlen)
{
	const char	*p = link, *url, *end;
	int		 next;

	if (outlen > 0)
		out[0] = '\0';
	for (;;) {
		p = skip_ws(p);
		while (*p == ',')
			p = skip_ws(p + 1);
		if (*p == '\0')
			return 0;
		if (*p != '<' || (end = strchr(p, '>')) == NULL)
			return -1;
		url = p + 1;
		if ((p = link_params(end + 1, &next)) == NULL)
			return -1;
		if (next) {
			if ((size_t)(end - url) >= outlen || end == url)
				return -1;
			memcpy(out, url, (size_t)(end - url));
			out[end - url] = '\0';
			return 1;
		}
	}
}

int
hubhttp_retry_after(const char *v, unsigned *secs)
{
	unsigned long	 n = 0;
	const char	*p;

	if (v == NULL)
		return -1;
	p = skip_ws(v);
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > RETRY_AFTER_MAX)
			return -1;
	}
	if (*skip_ws(p) != '\0')
		return -1;
	*secs = (unsigned)n;
	return 0;
}

unsigned
hubhttp_backoff_ms(const struct hub_opts *o, unsigned attempt,
    const char *retry_after)
{
	uint64_t	 base = o->retry_base_ms ? o->retry_base_ms :
			    DEFAULT_BASE_MS;
	uint64_t	 max = o->retry_max_ms ? o->retry_max_ms :
			    DEFAULT_MAX_MS;
	uint64_t	 ms;
	unsigned	 secs, i;

	if (retry_after != NULL && hubhttp_retry_after(retry_after, &secs) ==
	    0) {
		ms = (uint64_t)secs * 1000;
		return (unsigned)(ms > max * 4 ? max * 4 : ms);
	}
	ms = base;
	for (i = 1; i < attempt && ms < max; i++)
		ms *= 2;
	return (unsigned)(ms > max ? max : ms);
}

int
hubhttp_transient_status(long status)
{

	return status == 408 || status == 429 || (status >= 500 &&
	    status <= 599);
}

int
hubhttp_transient_curl(CURLcode rc)
{

	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

int
hubhttp_content_range_start(const char *v, uint64_t *start)
{
	uint64_t	 n = 0;
	const char	*p = skip_ws(v);

	if (strncasecmp(p, "bytes", 5) != 0)
		return -1;
	p = skip_ws(p + 5);
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '-')
		return -1;
	*start = n;
	return 0;
}

/* Copies untrusted text for a message, replacing control characters. */
static void
clean_text(char *dst, size_t dstlen, const char *src)
{
	size_t	 i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ?
		    '?' : src[i];
	if (dstlen > 0)
		dst[i] = '\0';
}

enum err
hubhttp_error(long status, const struct hubhttp_hdrs *h,
    const struct hubhttp_errctx *e, char *msg, size_t msglen)
{
	char		 ep[512], what[WHAT_MAX], detail[300];
	const char	*code = h != NULL ? h->error_code : "";

	hubhttp_redact(e->endpoint, ep, sizeof(ep));
	if (e->file != NULL)
		snprintf(what, sizeof(what), "%s", e->file);
	else
		snprintf(what, sizeof(what), "repository %s", e->repo_id);
	detail[0] = '\0';
	if (h != NULL && h->error_message[0] != '\0') {
		char	 t[260];

		clean_text(t, sizeof(t), h->error_message);
		snprintf(detail, sizeof(detail), ": %s", t);
	}
	if (strcmp(code, "RevisionNotFound") == 0) {
		snprintf(msg, msglen, "Revision %s not found in repository "
		    "%s on %s", e->revision, e->repo_id, ep);
		return ERR_NOTFOUND;
	}
	if (strcmp(code, "EntryNotFound") == 0) {
		snprintf(msg, msglen, "File %s not found in repository %s on "
		    "%s", e->file != NULL ? e->file : "(listing)", e->repo_id,
		    ep);
		return ERR_NOTFOUND;
	}
	if (strcmp(code, "GatedRepo") == 0 || (strcmp(code,
	    "RepoNotFound") != 0 && (status == 401 || status == 403))) {
		snprintf(msg, msglen, "Repository %s is gated or requires "
		    "authorisation: accept its licence on the Hub and set "
		    "HF_TOKEN (%s; HTTP %ld)", e->repo_id, e->token_sent ?
		    "a token was sent and refused" : "no token was sent",
		    status);
		return ERR_CONFLICT;
	}
	if (h != NULL && strcmp(h->error_message,
	    "Access to this resource is disabled.") == 0) {
		snprintf(msg, msglen, "Repository %s is disabled on %s",
		    e->repo_id, ep);
		return ERR_NOTFOUND;
	}
	if (strcmp(code, "RepoNotFound") == 0 || (status == 404 &&
	    e->file == NULL)) {
		snprintf(msg, msglen, "Repository %s not found on %s%s",
		    e->repo_id, ep, e->token_sent ? "" :
		    " (if it is private or gated, set HF_TOKEN)");
		return ERR_NOTFOUND;
	}
	if (status == 404) {
		snprintf(msg, msglen, "File %s not found in repository %s on "
		    "%s (HTTP 404)", e->file, e->repo_id, ep);
		return ERR_NOTFOUND;
	}
	if (status == 429)
		snprintf(msg, msglen, "The hub is rate-limiting requests for "
		    "%s (HTTP 429), retry later%s", what, detail);
	else if (status >= 500)
		snprintf(msg, msglen, "The hub failed with HTTP %ld for %s%s",
		    status, what, detail);
	else
		snprintf(msg, msglen, "The hub answered HTTP %ld for %s%s",
		    status, what, detail);
	return ERR_UPSTREAM;
}

enum err
hubhttp_curl_error(CURLcode rc, const char *url,
    const struct hubhttp_errctx *e, unsigned attempts, char *msg,
    size_t msglen)
{
	struct origin	 o;
	char		 host[300], what[WHAT_MAX];

	if (origin_get(url, &o) == 0) {
		snprintf(host, sizeof(host), "%s://%s:%s", o.scheme, o.host,
		    o.port);
		origin_free(&o);
	} else
		snprintf(host, sizeof(host), "(invalid URL)");
	if (e->file != NULL)
		snprintf(what, sizeof(what), "%s", e->file);
	else
		snprintf(what, sizeof(what), "repository %s", e->repo_id);
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
		snprintf(msg, msglen, "Cannot connect to %s (%s) after %u "
		    "attempt%s", host, curl_easy_strerror(rc), attempts,
		    attempts == 1 ? "" : "s");
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(msg, msglen, "Transfer of %s from %s stalled or timed "
		    "out after %u attempt%s", what, host, attempts,
		    attempts == 1 ? "" : "s");
	else
		snprintf(msg, msglen, "Network error fetching %s from %s: %s "
		    "(after %u attempt%s)", what, host, curl_easy_strerror(rc),
		    attempts, attempts == 1 ? "" : "s");
	return ERR_UPSTREAM;
}

int
hubhttp_sleep(unsigned ms, int (*stop)(void *), void *arg)
{
	uint64_t	 end = mono_ms() + ms, t;
	struct timespec	 ts;

	for (;;) {
		if (stop != NULL && stop(arg) != 0)
			return -1;
		if ((t = mono_ms()) >= end)
			return 0;
		t = end - t > 50 ? 50 : end - t;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)t * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* The body of one fetch, capped. */
struct fetchbuf {
	char	*p;
	size_t	 len, cap, max;
	int	 toobig, nomem;
};

static size_t
fetch_write(char *data, size_t size, size_t n, void *arg)
{
	struct fetchbuf	*b = arg;
	size_t		 len = size * n, ncap;
	char		*np;

	if (b->len + len + 1 > b->max) {
		b->toobig = 1;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		ncap = b->cap ? b->cap : 16384;
		while (ncap < b->len + len + 1)
			ncap *= 2;
		if (ncap > b->max)
			ncap = b->max;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->nomem = 1;
			return 0;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

static int
fetch_xferinfo(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	const struct hubhttp_call	*c = arg;

	return c->stop != NULL && c->stop(c->stop_arg) != 0;
}

/* The state of one hubhttp_fetch. */
struct fetch {
	struct fetchbuf		 b;
	struct curl_slist	*sl;
	char			*cur;		/* URL being fetched */
	unsigned		 hops, attempts;
	int			 auth;		/* it carried the token */
};

/* One GET of f->cur into f->b; the transfer's result. */
static CURLcode
fetch_once(const struct hubhttp_call *c, struct fetch *f)
{

	f->b.len = 0;
	f->b.toobig = f->b.nomem = 0;
	if (f->b.p != NULL)
		f->b.p[0] = '\0';
	hubhttp_hdrs_reset(c->hdrs);
	if (hubhttp_request(c->easy, c->opts, f->cur, 0, f->b.max, &f->sl,
	    &f->auth) == -1)
		return CURLE_OUT_OF_MEMORY;
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &f->b);
	curl_easy_setopt(c->easy, CURLOPT_XFERINFOFUNCTION, fetch_xferinfo);
	curl_easy_setopt(c->easy, CURLOPT_XFERINFODATA, (void *)c);
	curl_easy_setopt(c->easy, CURLOPT_NOPROGRESS, 0L);
	return curl_easy_perform(c->easy);
}

static enum err
fetch_stopped(char *msg, size_t msglen)
{

	snprintf(msg, msglen, "stopped");
	return ERR_TIMEOUT;
}

/*
 * A transient failure (cc, or a retryable status): waits, then ERR_OK to
 * try again; or the final error once the attempts are spent.
 */
static enum err
fetch_retry(const struct hubhttp_call *c, struct fetch *f, CURLcode cc,
    char *msg, size_t msglen)
{
	struct hubhttp_errctx	 e = *c->ectx;
	char			 red[512];
	enum err		 rc;
	size_t			 n;

	e.token_sent = f->auth;
	if ((cc != CURLE_OK && !hubhttp_transient_curl(cc)) ||
	    ++f->attempts > c->opts->retry_max) {
		if (cc != CURLE_OK)
			return hubhttp_curl_error(cc, f->cur, &e, f->attempts,
			    msg, msglen);
		rc = hubhttp_error(c->hdrs->status, c->hdrs, &e, msg, msglen);
		n = strlen(msg);
		snprintf(msg + n, msglen - n, " (after %u attempts)",
		    f->attempts);
		return rc;
	}
	hubhttp_redact(f->cur, red, sizeof(red));
	if (cc != CURLE_OK)
		log_warnx("%s: %s (attempt %u), retrying", red,
		    curl_easy_strerror(cc), f->attempts);
	else
		log_warnx("%s: HTTP %ld (attempt %u), retrying", red,
		    c->hdrs->status, f->attempts);
	if (hubhttp_sleep(hubhttp_backoff_ms(c->opts, f->attempts, cc ==
	    CURLE_OK ? c->hdrs->retry_after : NULL), c->stop, c->stop_arg) ==
	    -1)
		return fetch_stopped(msg, msglen);
	return ERR_OK;
}

/* A 3xx: moves f->cur to its target. */
static enum err
fetch_redirect(const struct hubhttp_call *c, struct fetch *f, char *msg,
    size_t msglen)
{
	char	*next, red[512];

	hubhttp_redact(f->cur, red, sizeof(red));
	if (++f->hops > HUBHTTP_HOPS_MAX) {
		snprintf(msg, msglen, "Too many redirects (more than %d) from "
		    "%s: the hub is redirecting in a loop", HUBHTTP_HOPS_MAX,
		    red);
		return ERR_UPSTREAM;
	}
	if (c->hdrs->overflow ||
	    (next = hubhttp_resolve(f->cur, c->hdrs->location)) == NULL) {
		snprintf(msg, msglen, "Invalid redirect (HTTP %ld) from %s",
		    c->hdrs->status, red);
		return ERR_UPSTREAM;
	}
	free(f->cur);
	f->cur = next;
	return ERR_OK;
}

/*
 * Judges one attempt: ERR_OK with *again set to go on, ERR_OK with
 * *again clear on a 200, or the error.
 */
static enum err
fetch_step(const struct hubhttp_call *c, struct fetch *f, CURLcode cc,
    size_t maxbytes, int *again, char *msg, size_t msglen)
{
	struct hubhttp_errctx	 e = *c->ectx;
	long			 status = c->hdrs->status;
	char			 red[512];

	*again = 1;
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return fetch_stopped(msg, msglen);
	if (cc == CURLE_OUT_OF_MEMORY || f->b.nomem) {
		snprintf(msg, msglen, "out of memory");
		return ERR_NOMEM;
	}
	if (f->b.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		hubhttp_redact(f->cur, red, sizeof(red));
		snprintf(msg, msglen, "The hub's answer from %s is larger "
		    "than %zu bytes", red, maxbytes);
		return ERR_TOOBIG;
	}
	if (cc != CURLE_OK || hubhttp_transient_status(status))
		return fetch_retry(c, f, cc, msg, msglen);
	if (status >= 300 && status <= 399)
		return fetch_redirect(c, f, msg, msglen);
	*again = 0;
	if (status == 200)
		return ERR_OK;
	e.token_sent = f->auth;
	return hubhttp_error(status, c->hdrs, &e, msg, msglen);
}

enum err
hubhttp_fetch(const struct hubhttp_call *c, const char *url, size_t maxbytes,
    char **body, size_t *len, char **final_url, char *msg, size_t msglen)
{
	struct fetch	 f;
	enum err	 rc = ERR_NOMEM;
	int		 again = 1;

	memset(&f, 0, sizeof(f));
	f.b.max = maxbytes + 1;
	*body = NULL;
	if (final_url != NULL)
		*final_url = NULL;
	if ((f.cur = strdup(url)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	while (again)
		if ((rc = fetch_step(c, &f, fetch_once(c, &f), maxbytes,
		    &again, msg, msglen)) != ERR_OK)
			goto out;
	rc = ERR_NOMEM;
	if (f.b.p == NULL && (f.b.p = strdup("")) == NULL) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	*body = f.b.p;
	*len = f.b.len;
	f.b.p = NULL;
	if (final_url != NULL) {
		*final_url = f.cur;
		f.cur = NULL;
	}
	rc = ERR_OK;
out:
	curl_slist_free_all(f.sl);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	free(f.b.p);
	free(f.cur);
	return rc;
}
