#ifndef MM_HUBHTTP_H
#define MM_HUBHTTP_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"
#include "hub.h"

/*
 * libcurl plumbing for the Hub download: easy handles with the common
 * options (http/https only, no signals, connect timeout, stall limit,
 * identity encoding, user agent, no automatic redirects), the response
 * headers the protocol reads, redirect resolution, the Authorization
 * policy (the token goes only to the endpoint's own scheme+host+port),
 * retry and backoff rules, and the mapping of Hub errors to enum err with
 * an actionable message.  Messages never contain a token or a query
 * string.
 */

#define HUBHTTP_HOPS_MAX	10	/* redirects followed per request */

/* The response headers of one HTTP response (the last one received). */
struct hubhttp_hdrs {
	long	 status;		/* 0 until a status line arrived */
	char	 etag[128];
	char	 linked_etag[128];	/* X-Linked-Etag */
	char	 location[4096];
	char	 content_range[128];
	char	 retry_after[64];
	char	 error_code[64];	/* X-Error-Code */
	char	 error_message[256];	/* X-Error-Message */
	char	 repo_commit[64];	/* X-Repo-Commit */
	char	 request_id[128];	/* X-Request-Id */
	char	 link[8192];		/* every Link header, ", "-joined */
	int	 overflow;		/* a Location or Link was too long */
};

/* Clears every field. */
void	 hubhttp_hdrs_reset(struct hubhttp_hdrs *h);

/*
 * CURLOPT_HEADERFUNCTION callback storing into the struct hubhttp_hdrs
 * passed as CURLOPT_HEADERDATA; a status line starts a new response.
 */
size_t	 hubhttp_header_cb(char *buf, size_t size, size_t n, void *arg);

/*
 * A new easy handle with the common options of opts, its headers going
 * into h (which must outlive it).  Returns NULL on out-of-memory; free
 * with curl_easy_cleanup().
 */
CURL	*hubhttp_easy(const struct hub_opts *opts, struct hubhttp_hdrs *h);

/*
 * Points e at url for a GET: the Authorization header only when
 * hubhttp_sends_auth(opts, url), "Range: bytes=<range_from>-" when
 * range_from > 0, at most maxsize bytes of body.  *slist is replaced (the
 * previous list freed); the caller frees the last one with
 * curl_slist_free_all() after the transfer.  Returns 0, or -1 on
 * out-of-memory.  *auth (may be NULL) tells whether a token was attached.
 */
int	 hubhttp_request(CURL *e, const struct hub_opts *opts, const char *url,
	    uint64_t range_from, uint64_t maxsize, struct curl_slist **slist,
	    int *auth);

/* 1 if opts has a token and url has the endpoint's scheme, host, port. */
int	 hubhttp_sends_auth(const struct hub_opts *opts, const char *url);

/*
 * 1 if URLs a and b share scheme, host (case-insensitive) and port
 * (default ports filled in), 0 if not, -1 if either cannot be parsed.
 */
int	 hubhttp_same_origin(const char *a, const char *b);

/*
 * Resolves a Location (absolute, scheme-relative, absolute-path or
 * relative) against base.  Returns a malloc'd absolute URL the caller
 * frees, or NULL if it cannot be parsed or is not http/https.
 */
char	*hubhttp_resolve(const char *base, const char *location);

/*
 * Writes url without user info, query or fragment ("scheme://host[:port]
 * /path") into out, for messages and logs; "(invalid URL)" if unparsable.
 */
void	 hubhttp_redact(const char *url, char *out, size_t outlen);

/*
 * Finds the target of rel="next" in a Link header value (RFC 8288; rel
 * quoted or not, possibly a space-separated list).  Returns 1 with the
 * URL in out, 0 when there is none, -1 when the value is malformed or the
 * URL does not fit.
 */
int	 hubhttp_link_next(const char *link, char *out, size_t outlen);

/*
 * Parses a Retry-After value given in seconds (surrounding blanks
 * allowed; HTTP dates are not supported).  Returns 0 with *secs, or -1.
 */
int	 hubhttp_retry_after(const char *v, unsigned *secs);

/*
 * The wait before retry number attempt (1 for the first retry):
 * retry_base_ms doubled per attempt, capped at retry_max_ms; a valid
 * retry_after (may be NULL or "") wins, capped at 4 * retry_max_ms.
 * Zero opts fields mean 1000 and 8000 ms.
 */
unsigned hubhttp_backoff_ms(const struct hub_opts *opts, unsigned attempt,
	    const char *retry_after);

/* 1 for statuses worth retrying: 408, 429 and 5xx. */
int	 hubhttp_transient_status(long status);

/* 1 for transport failures worth retrying (connect, timeout, stall,
 * broken stream). */
int	 hubhttp_transient_curl(CURLcode rc);

/*
 * The first byte position of a "bytes <first>-<last>/<total>"
 * Content-Range value.  Returns 0, or -1 if malformed.
 */
int	 hubhttp_content_range_start(const char *v, uint64_t *start);

/* What an error message needs to name. */
struct hubhttp_errctx {
	const char	*endpoint;
	const char	*repo_id;
	const char	*revision;
	const char	*file;		/* NULL for API requests */
	int		 token_sent;	/* the failing request carried one */
};

/*
 * Maps a final non-2xx, non-3xx status (with X-Error-Code and
 * X-Error-Message from h, may be NULL) to an error and a one-line
 * message: RevisionNotFound / EntryNotFound / RepoNotFound / 404 give
 * ERR_NOTFOUND; GatedRepo, 401 and 403 give ERR_CONFLICT (saying whether
 * a token was sent); anything else ERR_UPSTREAM.
 */
enum err hubhttp_error(long status, const struct hubhttp_hdrs *h,
	    const struct hubhttp_errctx *e, char *msg, size_t msglen);

/*
 * The message for a transport failure rc on url after attempts tries
 * (ERR_UPSTREAM).
 */
enum err hubhttp_curl_error(CURLcode rc, const char *url,
	    const struct hubhttp_errctx *e, unsigned attempts, char *msg,
	    size_t msglen);

/* A blocking GET with redirects and retries (hubhttp_fetch). */
struct hubhttp_call {
	const struct hub_opts		*opts;
	const struct hubhttp_errctx	*ectx;
	CURL				*easy;	/* from hubhttp_easy */
	struct hubhttp_hdrs		*hdrs;	/* the easy's headers */
	int				(*stop)(void *arg); /* may be NULL */
	void				*stop_arg;
};

/*
 * GETs url following up to HUBHTTP_HOPS_MAX redirects (auth dropped when
 * leaving the endpoint's origin), retrying transient failures with
 * backoff, polling c->stop while waiting.  On ERR_OK (a 200 answer),
 * *body is a malloc'd NUL-terminated copy of the body (at most maxbytes,
 * else ERR_TOOBIG) and *final_url (if final_url is not NULL) the malloc'd
 * URL that answered; the caller frees both.  Otherwise an error from
 * hubhttp_error / hubhttp_curl_error, ERR_TIMEOUT ("stopped") when
 * c->stop asked to stop, or ERR_NOMEM, with the message in msg.
 */
enum err hubhttp_fetch(const struct hubhttp_call *c, const char *url,
	    size_t maxbytes, char **body, size_t *len, char **final_url,
	    char *msg, size_t msglen);

/*
 * Sleeps ms milliseconds, polling stop(arg) every 50 ms.  Returns 0, or
 * -1 as soon as stop returned non-zero.
 */
int	 hubhttp_sleep(unsigned ms, int (*stop)(void *), void *arg);

#endif
