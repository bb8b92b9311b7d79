#ifndef MM_HUBRETRY_H
#define MM_HUBRETRY_H

#include <stddef.h>

#include <curl/curl.h>

#include "err.h"
#include "hubhttp.h"

/*
 * The one retry and redirect policy of Hub requests, shared by the
 * blocking GET of the metadata (hubfetch.h) and the parallel blob
 * transfers (hubxfer.h): which failures are transient, how long to wait
 * (doubling backoff, Retry-After), when the attempts are spent and what
 * the final message says, and how a redirect is followed (a hop limit,
 * Location resolved against the current URL; hubhttp_request then sends
 * the token only to the token's origins, hubhttp_sends_auth).  The caller
 * sends the requests and does the waiting.
 */

#define HUBRETRY_HOPS_MAX	10	/* redirects followed per request */

/* One request across its attempts and redirects. */
struct hubretry {
	const struct hubhttp_opts	*opts;
	const struct hubhttp_errctx	*ectx;	/* file, repo for messages */
	int		 cdn_retry;	/* errors from another origin are
					   transient too */
	char		*url;		/* being fetched, owned */
	int		 auth;		/* the last request carried a token */
	unsigned	 attempts;	/* failed tries in a row */
	unsigned	 hops;		/* redirects since the restart */
	unsigned	 wait_ms;	/* HUBRETRY_WAIT: before the next try */
	enum err	 err;		/* HUBRETRY_FAIL: the error */
	char		*msg;		/* HUBRETRY_FAIL: its message */
	size_t		 msglen;
};

enum hubretry_next {
	HUBRETRY_DONE,		/* a 200 or 206 answer: read it */
	HUBRETRY_FOLLOW,	/* a 3xx answer: hubretry_follow */
	HUBRETRY_WAIT,		/* transient: send again after wait_ms */
	HUBRETRY_FAIL		/* final: err, and the message in msg */
};

/*
 * Starts r over at url (malloc'd; r owns it from now on and frees the
 * previous one), with no redirect followed.  The attempt count is kept.
 */
void	 hubretry_restart(struct hubretry *r, char *url);

/* Frees r->url.  r may be used again after hubretry_restart. */
void	 hubretry_free(struct hubretry *r);

/*
 * Judges the request on r->url that ended with cc and the headers h.
 * progressed tells that it brought body bytes: the failure then counts
 * as no attempt (the transfer resumes).  Transport failures worth a retry
 * and statuses 408, 429 and 5xx (any status from another origin with
 * r->cdn_retry) give HUBRETRY_WAIT, logged and told to
 * r->opts->on_retry, until r->opts->retry_max attempts in a row failed;
 * then, or at once for other failures, HUBRETRY_FAIL with r->err and
 * r->msg from hubhttp_error or hubhttp_curl_error.  HUBRETRY_DONE tells
 * r->opts->on_retry that data flows.
 */
enum hubretry_next hubretry_judge(struct hubretry *r, CURLcode cc,
	    const struct hubhttp_hdrs *h, int progressed);

/*
 * A transient failure the caller found itself (a short body, a bad
 * range): as hubretry_judge does for one.
 */
enum hubretry_next hubretry_again(struct hubretry *r, CURLcode cc,
	    const struct hubhttp_hdrs *h, int progressed);

/*
 * Moves r->url to the Location of the 3xx answer in h.  Returns ERR_OK,
 * or ERR_UPSTREAM (also in r->err, the message in r->msg) after
 * HUBRETRY_HOPS_MAX hops or for a Location that is not an http(s) URL
 * (out of memory while resolving it counts as such).
 */
enum err hubretry_follow(struct hubretry *r, const struct hubhttp_hdrs *h);

/*
 * Parses a Retry-After value given in seconds, at most a day (surrounding
 * blanks allowed; HTTP dates are not supported).  Returns 0 with *secs,
 * or -1.
 */
int	 hubretry_after(const char *v, unsigned *secs);

/*
 * The wait before retry number attempt (1 for the first retry):
 * retry_base_ms doubled per attempt, capped at retry_max_ms; a valid
 * retry_after (may be NULL or "") wins, capped at 4 * retry_max_ms.
 * Zero opts fields mean 1000 and 8000 ms.
 */
unsigned hubretry_backoff_ms(const struct hubhttp_opts *opts,
	    unsigned attempt, const char *retry_after);

/*
 * The transient failure of a request in a few words for people, without
 * any URL, token or content: "Hub error (HTTP 500)", "Hub rate limit
 * (HTTP 429)", "CDN error (HTTP 503)" (cdn: not the endpoint's origin),
 * "Connection to the hub lost", "No data from the hub for 30 s"
 * (stall_seconds, 0 = HUBHTTP_STALL_DEFAULT), and so on.  cc is the
 * transfer's result and status the answer's status (0 if none came).
 * Writes at most len bytes into buf (HUBRETRY_CAUSE_MAX is enough).
 */
#define HUBRETRY_CAUSE_MAX	64
void	 hubretry_cause(CURLcode cc, long status, int cdn,
	    unsigned stall_seconds, char *buf, size_t len);

/* 1 for statuses worth retrying: 408, 429 and 5xx. */
int	 hubretry_transient_status(long status);

/* 1 for transport failures worth retrying (connect, timeout, stall,
 * broken stream). */
int	 hubretry_transient_curl(CURLcode rc);

#endif
