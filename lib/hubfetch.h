#ifndef MM_HUBFETCH_H
#define MM_HUBFETCH_H

#include <stddef.h>

#include <curl/curl.h>

#include "err.h"
#include "hubhttp.h"

/*
 * A blocking GET of a small Hub answer (the revision, the pages of the
 * tree listing) on one easy handle, with the redirects and retries of
 * hubretry.h.
 */

struct hubfetch_call {
	const struct hubhttp_opts	*opts;
	const struct hubhttp_errctx	*ectx;
	CURL				*easy;	/* from hubhttp_easy */
	struct hubhttp_hdrs		*hdrs;	/* the easy's headers */
	int				(*stop)(void *arg); /* may be NULL */
	void				*stop_arg;
};

/*
 * GETs url following up to HUBRETRY_HOPS_MAX redirects (auth sent only to
 * the token's origins, hubhttp_sends_auth), retrying transient failures with
 * backoff, polling c->stop while waiting.  On ERR_OK (a 200 answer),
 * *body is a malloc'd NUL-terminated copy of the body (at most maxbytes,
 * else ERR_TOOBIG) and *final_url (if final_url is not NULL) the malloc'd
 * URL that answered; the caller frees both.  Otherwise an error from
 * hubhttp_error / hubhttp_curl_error, ERR_TIMEOUT ("stopped") when
 * c->stop asked to stop, or ERR_NOMEM, with the message in msg.
 */
enum err hubfetch_get(const struct hubfetch_call *c, const char *url,
	    size_t maxbytes, char **body, size_t *len, char **final_url,
	    char *msg, size_t msglen);

/*
 * As hubfetch_get, but the body goes into the file fd (truncated before
 * each attempt, so it holds exactly the answer's body, from offset 0; at
 * most maxbytes, else ERR_TOOBIG) and its length into *len.  A write
 * error is ERR_IO.  On ERR_OK *final_url is the malloc'd URL that
 * answered, which the caller frees.
 */
enum err hubfetch_spool(const struct hubfetch_call *c, const char *url,
	    int fd, size_t maxbytes, size_t *len, char **final_url, char *msg,
	    size_t msglen);

#endif
