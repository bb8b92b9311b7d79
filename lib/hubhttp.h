#ifndef MM_HUBHTTP_H
#define MM_HUBHTTP_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"

/*
 * libcurl plumbing for the Hub download: easy handles with the common
 * options (http/https only, no signals, connect timeout, stall limit,
 * identity encoding, user agent, no automatic redirects), the response
 * headers the protocol reads, URL resolution, the Authorization policy
 * (the token goes only to the listed origins, by default the endpoint's
 * own scheme+host+port), and the
 * mapping of Hub errors to enum err with an actionable message.  Messages
 * never contain a token or a query string.  The retry and redirect policy
 * is in hubretry.h.
 */

#define HUBHTTP_STALL_DEFAULT	60	/* seconds */

/* What the requests need of the download's options. */
struct hubhttp_opts {
	const char	*endpoint;	/* no trailing '/' */
	const char	*token;		/* NULL = anonymous */
	/* The origins the token may go to (hub.token_origins); NULL: the
	 * endpoint's only. */
	const char *const *token_origins;
	size_t		 ntoken_origins;
	unsigned	 connect_timeout; /* seconds, 0 = 10 */
	unsigned	 stall_seconds;	/* no byte for this long, 0 =
					   HUBHTTP_STALL_DEFAULT */
	unsigned	 retry_max;	/* transient failures, per request */
	unsigned	 retry_base_ms;	/* 0 = 1000 */
	unsigned	 retry_max_ms;	/* 0 = 8000 */
	const char	*user_agent;	/* NULL = "modelmgr/1.0; ..." */
	/*
	 * Told by the retry policy (hubretry.h) that the request req (an
	 * identity only) is about to be retried for the attempt-th time
	 * (1-based) because of cause (hubretry_cause's words); or, with
	 * attempt 0 and cause NULL, that data flows again on it.  May be
	 * NULL.
	 */
	void		(*on_retry)(void *arg, const void *req,
			    unsigned attempt, const char *cause);
	void		*on_retry_arg;
};

/*
 * Initialises libcurl for the process, once whoever calls first (it is
 * never cleaned up).  Thread-safe.  Returns 0, or -1 if libcurl failed
 * (every later call then fails too).
 */
int	 hubhttp_global_init(void);

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
 * into h (which must outlive it); initialises libcurl first if needed
 * (hubhttp_global_init).  Returns NULL on out-of-memory; free with
 * curl_easy_cleanup().
 */
CURL	*hubhttp_easy(const struct hubhttp_opts *opts,
	    struct hubhttp_hdrs *h);

/*
 * Points e at url for a GET: the Authorization header only when
 * hubhttp_sends_auth(opts, url), "Range: bytes=<range_from>-" when
 * range_from > 0, at most maxsize bytes of body.  *slist is replaced (the
 * previous list freed); the caller frees the last one with
 * curl_slist_free_all() after the transfer.  Returns 0, or -1 on
 * out-of-memory.  *auth (may be NULL) tells whether a token was attached.
 */
int	 hubhttp_request(CURL *e, const struct hubhttp_opts *opts, const char *url,
	    uint64_t range_from, uint64_t maxsize, struct curl_slist **slist,
	    int *auth);

/*
 * As hubhttp_request for the bytes [from, to] ("Range: bytes=<from>-<to>",
 * sent even for from 0), or from onwards when to is HUBHTTP_OPEN (no
 * Range for from 0).
 */
#define HUBHTTP_OPEN	UINT64_MAX
int	 hubhttp_request_range(CURL *e, const struct hubhttp_opts *opts,
	    const char *url, uint64_t from, uint64_t to, uint64_t maxsize,
	    struct curl_slist **slist, int *auth);

/*
 * 1 if opts has a token and url has the scheme, host and port of one of
 * opts->token_origins (of the endpoint when that is NULL).
 */
int	 hubhttp_sends_auth(const struct hubhttp_opts *opts,
	    const char *url);

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

/* What e names in messages: the file, else "repository <id>". */
void	 hubhttp_what(const struct hubhttp_errctx *e, char *out,
	    size_t outlen);

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

#endif
