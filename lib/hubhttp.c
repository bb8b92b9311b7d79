/*
 * libcurl plumbing for the Hub download: common easy options, response
 * headers, URL origins and the Authorization policy, and Hub error
 * mapping.
 */
#include <inttypes.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hubhttp.h"
#include "hubname.h"
#include "log.h"

#define DEFAULT_UA		"modelmgr/1.0; hf_hub-compatible"
#define DEFAULT_CONNECT		10	/* seconds */
#define WHAT_MAX		4200	/* "repository <id>" or a file path */

static pthread_once_t	 global_once = PTHREAD_ONCE_INIT;
static int		 global_failed;

static void
global_init(void)
{

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("%s: curl_global_init failed", __func__);
		global_failed = 1;
	}
}

int
hubhttp_global_init(void)
{

	if (pthread_once(&global_once, global_init) != 0)
		return -1;
	return global_failed ? -1 : 0;
}

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

#define FIELD(f)	offsetof(struct hubhttp_hdrs, f), \
			sizeof(((struct hubhttp_hdrs *)0)->f)

/* The headers kept; strict: a value cut to fit marks an overflow. */
static const struct hdr_field {
	const char	*name;
	size_t		 off, len;
	int		 strict;
} hdr_fields[] = {
	{ "etag", FIELD(etag), 0 },
	{ "x-linked-etag", FIELD(linked_etag), 0 },
	{ "location", FIELD(location), 1 },
	{ "content-range", FIELD(content_range), 0 },
	{ "retry-after", FIELD(retry_after), 0 },
	{ "x-error-code", FIELD(error_code), 0 },
	{ "x-error-message", FIELD(error_message), 0 },
	{ "x-repo-commit", FIELD(repo_commit), 0 },
	{ "x-request-id", FIELD(request_id), 0 },
};

/* Stores the value v (vl bytes) of the header named buf (nl bytes). */
static void
hdr_store(struct hubhttp_hdrs *h, const char *buf, size_t nl, const char *v,
    size_t vl)
{
	const struct hdr_field	*f;
	size_t			 i;

	if (nl == 4 && strncasecmp(buf, "link", 4) == 0) {
		hdr_link(h, v, vl);
		return;
	}
	for (i = 0; i < sizeof(hdr_fields) / sizeof(hdr_fields[0]); i++) {
		f = &hdr_fields[i];
		if (strlen(f->name) != nl || strncasecmp(buf, f->name, nl) != 0)
			continue;
		if (hdr_copy((char *)h + f->off, f->len, v, vl) == -1 &&
		    f->strict)
			h->overflow = 1;
		return;
	}
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
	hdr_store(h, buf, nl, v, vl);
	return len;
}

CURL *
hubhttp_easy(const struct hubhttp_opts *o, struct hubhttp_hdrs *h)
{
	CURL	*e;
	long	 stall = o->stall_seconds ? (long)o->stall_seconds :
		    HUBHTTP_STALL_DEFAULT;

	if (hubhttp_global_init() == -1 || (e = curl_easy_init()) == NULL)
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
hubhttp_sends_auth(const struct hubhttp_opts *o, const char *url)
{
	size_t	 i;

	if (o->token == NULL || *o->token == '\0')
		return 0;
	if (o->token_origins == NULL)
		return o->endpoint != NULL &&
		    hubhttp_same_origin(url, o->endpoint) == 1;
	for (i = 0; i < o->ntoken_origins; i++)
		if (hubhttp_same_origin(url, o->token_origins[i]) == 1)
			return 1;
	return 0;
}

/* Appends "Authorization: Bearer <token>" to *l; 0, or -1. */
static int
slist_auth(struct curl_slist **l, const char *token)
{
	struct curl_slist	*t;
	char			*hdr;

	if (asprintf(&hdr, "Authorization: Bearer %s", token) == -1)
		return -1;
	t = curl_slist_append(*l, hdr);
	explicit_bzero(hdr, strlen(hdr));
	free(hdr);
	if (t == NULL)
		return -1;
	*l = t;
	return 0;
}

/* Appends "Range: bytes=<from>-[<to>]" to *l (no <to> when it is
 * HUBHTTP_OPEN); 0, or -1 (*l then freed). */
static int
slist_range(struct curl_slist **l, uint64_t from, uint64_t to)
{
	struct curl_slist	*t;
	char			 range[64];

	if (to == HUBHTTP_OPEN)
		snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-",
		    from);
	else
		snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-%"
		    PRIu64, from, to);
	if ((t = curl_slist_append(*l, range)) == NULL) {
		curl_slist_free_all(*l);
		*l = NULL;
		return -1;
	}
	*l = t;
	return 0;
}

int
hubhttp_request(CURL *e, const struct hubhttp_opts *o, const char *url,
    uint64_t range_from, uint64_t maxsize, struct curl_slist **slist,
    int *auth)
{

	return hubhttp_request_range(e, o, url, range_from, HUBHTTP_OPEN,
	    maxsize, slist, auth);
}

int
hubhttp_request_range(CURL *e, const struct hubhttp_opts *o, const char *url,
    uint64_t from, uint64_t to, uint64_t maxsize, struct curl_slist **slist,
    int *auth)
{
	struct curl_slist	*l = NULL;
	int			 sends = hubhttp_sends_auth(o, url);

	curl_slist_free_all(*slist);
	*slist = NULL;
	if (auth != NULL)
		*auth = sends;
	if ((sends && slist_auth(&l, o->token) == -1) ||
	    ((from > 0 || to != HUBHTTP_OPEN) &&
	    slist_range(&l, from, to) == -1))
		return -1;
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

void
hubhttp_what(const struct hubhttp_errctx *e, char *out, size_t outlen)
{

	if (e->file != NULL)
		snprintf(out, outlen, "%s", e->file);
	else
		snprintf(out, outlen, "repository %s", e->repo_id);
}

/*
 * The answers that name a missing repository, revision or file, or a
 * disabled repository: their message in msg, or -1 for other answers.
 */
static int
error_missing(long status, const char *code, const struct hubhttp_hdrs *h,
    const struct hubhttp_errctx *e, const char *ep, char *msg, size_t msglen)
{

	if (strcmp(code, "RevisionNotFound") == 0)
		snprintf(msg, msglen, "Revision %s not found in repository "
		    "%s on %s", e->revision, e->repo_id, ep);
	else if (strcmp(code, "EntryNotFound") == 0)
		snprintf(msg, msglen, "File %s not found in repository %s on "
		    "%s", e->file != NULL ? e->file : "(listing)", e->repo_id,
		    ep);
	else if (h != NULL && strcmp(h->error_message,
	    "Access to this resource is disabled.") == 0)
		snprintf(msg, msglen, "Repository %s is disabled on %s",
		    e->repo_id, ep);
	else if (strcmp(code, "RepoNotFound") == 0 || (status == 404 &&
	    e->file == NULL))
		snprintf(msg, msglen, "Repository %s not found on %s%s",
		    e->repo_id, ep, e->token_sent ? "" :
		    " (if it is private or gated, set HF_TOKEN)");
	else if (status == 404)
		snprintf(msg, msglen, "File %s not found in repository %s on "
		    "%s (HTTP 404)", e->file, e->repo_id, ep);
	else
		return -1;
	return 0;
}

/* Any other failing status, with the hub's own message quoted. */
static void
error_status(long status, const struct hubhttp_hdrs *h,
    const struct hubhttp_errctx *e, char *msg, size_t msglen)
{
	char	 what[WHAT_MAX], detail[300], t[260];

	hubhttp_what(e, what, sizeof(what));
	detail[0] = '\0';
	if (h != NULL && h->error_message[0] != '\0')
		snprintf(detail, sizeof(detail), ": %s",
		    hubname_clean(t, sizeof(t), h->error_message));
	if (status == 429)
		snprintf(msg, msglen, "The hub is rate-limiting requests for "
		    "%s (HTTP 429), retry later%s", what, detail);
	else if (status >= 500)
		snprintf(msg, msglen, "The hub failed with HTTP %ld for %s%s",
		    status, what, detail);
	else
		snprintf(msg, msglen, "The hub answered HTTP %ld for %s%s",
		    status, what, detail);
}

/* 1 when the answer refuses access (gated, or 401/403). */
static int
auth_refused(const char *code, long status)
{

	if (strcmp(code, "RevisionNotFound") == 0 ||
	    strcmp(code, "EntryNotFound") == 0)
		return 0;	/* the repository itself was readable */
	return strcmp(code, "GatedRepo") == 0 || (strcmp(code,
	    "RepoNotFound") != 0 && (status == 401 || status == 403));
}

enum err
hubhttp_error(long status, const struct hubhttp_hdrs *h,
    const struct hubhttp_errctx *e, char *msg, size_t msglen)
{
	char		 ep[512];
	const char	*code = h != NULL ? h->error_code : "";

	hubhttp_redact(e->endpoint, ep, sizeof(ep));
	if (auth_refused(code, status)) {
		snprintf(msg, msglen, "Repository %s is gated or requires "
		    "authorisation: accept its licence on the Hub and set "
		    "HF_TOKEN (%s; HTTP %ld)", e->repo_id, e->token_sent ?
		    "a token was sent and refused" : "no token was sent",
		    status);
		return ERR_CONFLICT;
	}
	if (error_missing(status, code, h, e, ep, msg, msglen) == 0)
		return ERR_NOTFOUND;
	error_status(status, h, e, msg, msglen);
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
	hubhttp_what(e, what, sizeof(what));
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

