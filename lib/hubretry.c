/*
 * The retry and redirect policy of Hub requests: transient failures,
 * backoff and Retry-After, the final message once the attempts are spent,
 * and redirects followed by hand.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubretry.h"
#include "metrics.h"
#include "log.h"
#include "num.h"

#define DEFAULT_BASE_MS		1000
#define DEFAULT_MAX_MS		8000
#define RETRY_AFTER_MAX		86400	/* seconds, sanity bound */
#define NAME_MAX_LEN		4200	/* a file path or a redacted URL */

void
hubretry_restart(struct hubretry *r, char *url)
{

	free(r->url);
	r->url = url;
	r->hops = 0;
}

void
hubretry_free(struct hubretry *r)
{

	free(r->url);
	r->url = NULL;
}

/* What the request fetches, for messages: its file, else its URL. */
static void
req_name(const struct hubretry *r, char *out, size_t outlen)
{

	if (r->ectx->file != NULL)
		snprintf(out, outlen, "%s", r->ectx->file);
	else
		hubhttp_redact(r->url, out, outlen);
}

/* 1 if r->url is not on the endpoint's origin (a CDN). */
static int
off_origin(const struct hubretry *r)
{

	return hubhttp_same_origin(r->url, r->opts->endpoint) != 1;
}

static enum hubretry_next
fail(struct hubretry *r, enum err e)
{

	r->err = e;
	return HUBRETRY_FAIL;
}

/* The final message of a request whose attempts are spent. */
static enum hubretry_next
spent(struct hubretry *r, CURLcode cc, const struct hubhttp_hdrs *h)
{
	struct hubhttp_errctx	 e = *r->ectx;
	char			 name[NAME_MAX_LEN];
	enum err		 rc;
	size_t			 n;

	e.token_sent = r->auth;
	if (cc != CURLE_OK)
		return fail(r, hubhttp_curl_error(cc, r->url, &e, r->attempts,
		    r->msg, r->msglen));
	rc = hubhttp_error(h->status, h, &e, r->msg, r->msglen);
	if (r->cdn_retry && off_origin(r)) {
		hubhttp_what(&e, name, sizeof(name));
		snprintf(r->msg, r->msglen, "The CDN answered HTTP %ld for %s",
		    h->status, name);
	}
	n = strlen(r->msg);
	snprintf(r->msg + n, r->msglen - n, " (after %u attempts)",
	    r->attempts);
	return fail(r, rc);
}

/* Tells the owner of the options about retry attempt (0: data flows). */
static void
notify(const struct hubretry *r, unsigned attempt, const char *cause)
{

	if (r->opts->on_retry != NULL)
		r->opts->on_retry(r->opts->on_retry_arg, r, attempt, cause);
}

/* Logs the retry about to be made and tells the options' owner. */
static void
announce(const struct hubretry *r, CURLcode cc, const struct hubhttp_hdrs *h,
    unsigned attempt)
{
	char	 name[NAME_MAX_LEN], cause[64], words[HUBRETRY_CAUSE_MAX];

	if (cc != CURLE_OK)
		snprintf(cause, sizeof(cause), "%s", curl_easy_strerror(cc));
	else
		snprintf(cause, sizeof(cause), "HTTP %ld", h->status);
	req_name(r, name, sizeof(name));
	log_warnx("%s: %s: %s (attempt %u), retrying in %u ms",
	    r->ectx->repo_id, name, cause, r->attempts, r->wait_ms);
	hubretry_cause(cc, h->status, r->cdn_retry && off_origin(r),
	    r->opts->stall_seconds, words, sizeof(words));
	notify(r, attempt, words);
}

enum hubretry_next
hubretry_again(struct hubretry *r, CURLcode cc, const struct hubhttp_hdrs *h,
    int progressed)
{
	unsigned	 attempt;

	if (cc == CURLE_OPERATION_TIMEDOUT)
		metrics_add(MET_DOWNLOAD_STALLS, NULL, NULL, 1);
	if (progressed)
		r->attempts = 0;	/* bytes came: resume, uncounted */
	else if (++r->attempts > r->opts->retry_max)
		return spent(r, cc, h);
	attempt = r->attempts ? r->attempts : 1;
	r->wait_ms = hubretry_backoff_ms(r->opts, attempt,
	    cc == CURLE_OK ? h->retry_after : NULL);
	announce(r, cc, h, attempt);
	metrics_add(MET_DOWNLOAD_RETRIES, NULL, NULL, 1);
	return HUBRETRY_WAIT;
}

enum hubretry_next
hubretry_judge(struct hubretry *r, CURLcode cc, const struct hubhttp_hdrs *h,
    int progressed)
{
	struct hubhttp_errctx	 e = *r->ectx;
	long			 st = h->status;

	if (cc != CURLE_OK && !hubretry_transient_curl(cc)) {
		r->attempts++;
		return spent(r, cc, h);
	}
	if (cc != CURLE_OK)
		return hubretry_again(r, cc, h, progressed);
	if (st >= 300 && st <= 399)
		return HUBRETRY_FOLLOW;
	if (st == 200 || st == 206) {
		notify(r, 0, NULL);
		return HUBRETRY_DONE;
	}
	if (hubretry_transient_status(st) || (r->cdn_retry && off_origin(r)))
		return hubretry_again(r, cc, h, progressed);
	e.token_sent = r->auth;
	return fail(r, hubhttp_error(st, h, &e, r->msg, r->msglen));
}

enum err
hubretry_follow(struct hubretry *r, const struct hubhttp_hdrs *h)
{
	char	*next, name[NAME_MAX_LEN];

	req_name(r, name, sizeof(name));
	if (++r->hops > HUBRETRY_HOPS_MAX) {
		snprintf(r->msg, r->msglen, "Too many redirects (more than %d) "
		    "for %s: the hub or CDN is redirecting in a loop",
		    HUBRETRY_HOPS_MAX, name);
		return r->err = ERR_UPSTREAM;
	}
	if (h->overflow || (next = hubhttp_resolve(r->url, h->location)) ==
	    NULL) {
		snprintf(r->msg, r->msglen, "The hub sent an invalid redirect "
		    "(HTTP %ld) for %s", h->status, name);
		return r->err = ERR_UPSTREAM;
	}
	free(r->url);
	r->url = next;
	return ERR_OK;
}

int
hubretry_after(const char *v, unsigned *secs)
{
	char		 buf[32];
	long long	 n;
	size_t		 len;

	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf) || v[0] < '0' || v[0] > '9')
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (num_parse(buf, 0, RETRY_AFTER_MAX, &n, NULL) == -1)
		return -1;
	*secs = (unsigned)n;
	return 0;
}

unsigned
hubretry_backoff_ms(const struct hubhttp_opts *o, unsigned attempt,
    const char *retry_after)
{
	uint64_t	 base = o->retry_base_ms ? o->retry_base_ms :
			    DEFAULT_BASE_MS;
	uint64_t	 max = o->retry_max_ms ? o->retry_max_ms :
			    DEFAULT_MAX_MS;
	uint64_t	 ms;
	unsigned	 secs, i;

	if (retry_after != NULL && hubretry_after(retry_after, &secs) == 0) {
		ms = (uint64_t)secs * 1000;
		return (unsigned)(ms > max * 4 ? max * 4 : ms);
	}
	ms = base;
	for (i = 1; i < attempt && ms < max; i++)
		ms *= 2;
	return (unsigned)(ms > max ? max : ms);
}

/*
 * The transport failures worth another try, each with its words for the
 * admin (NULL: a stall or a timeout, worded by hubretry_cause).
 */
static const struct {
	CURLcode	 cc;
	const char	*words;
} transient_curl[] = {
	{ CURLE_COULDNT_RESOLVE_HOST,	"Cannot connect to the hub" },
	{ CURLE_COULDNT_CONNECT,	"Cannot connect to the hub" },
	{ CURLE_SSL_CONNECT_ERROR,	"Cannot connect to the hub" },
	{ CURLE_SEND_ERROR,		"Connection to the hub lost" },
	{ CURLE_RECV_ERROR,		"Connection to the hub lost" },
	{ CURLE_PARTIAL_FILE,		"Connection to the hub lost" },
	{ CURLE_GOT_NOTHING,		"Connection to the hub lost" },
	{ CURLE_HTTP2,			"Connection to the hub lost" },
	{ CURLE_HTTP2_STREAM,		"Connection to the hub lost" },
	{ CURLE_OPERATION_TIMEDOUT,	NULL },
};

#define NTRANSIENT	(sizeof(transient_curl) / sizeof(transient_curl[0]))

/* A transport failure in words. */
static const char *
curl_cause(CURLcode cc)
{
	size_t	 i;

	for (i = 0; i < NTRANSIENT; i++)
		if (transient_curl[i].cc == cc && transient_curl[i].words)
			return transient_curl[i].words;
	return "Transfer from the hub failed";
}

void
hubretry_cause(CURLcode cc, long status, int cdn, unsigned stall_seconds,
    char *buf, size_t len)
{

	if (cc == CURLE_OPERATION_TIMEDOUT && status != 0)
		snprintf(buf, len, "No data from the hub for %u s",
		    stall_seconds ? stall_seconds : HUBHTTP_STALL_DEFAULT);
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		snprintf(buf, len, "No answer from the hub");
	else if (cc != CURLE_OK)
		snprintf(buf, len, "%s", curl_cause(cc));
	else if (cdn)
		snprintf(buf, len, "CDN error (HTTP %ld)", status);
	else if (status == 429)
		snprintf(buf, len, "Hub rate limit (HTTP 429)");
	else if (status >= 200 && status <= 299)	/* a bad range */
		snprintf(buf, len, "Unexpected answer from the hub (HTTP %ld)",
		    status);
	else
		snprintf(buf, len, "Hub error (HTTP %ld)", status);
}

int
hubretry_transient_status(long status)
{

	return status == 408 || status == 429 || (status >= 500 &&
	    status <= 599);
}

int
hubretry_transient_curl(CURLcode rc)
{
	size_t	 i;

	for (i = 0; i < NTRANSIENT; i++)
		if (transient_curl[i].cc == rc)
			return 1;
	return 0;
}
