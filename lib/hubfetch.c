/*
 * The blocking GET of the Hub's metadata answers: one easy handle, the
 * body kept in memory up to a hard maximum, redirects and retries as
 * hubretry.c decides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hubfetch.h"
#include "hubretry.h"
#include "mono.h"
#include "sbuf.h"

#define SLEEP_POLL_MS	50	/* stop() polled this often while waiting */

/* The state of one hubfetch_get. */
struct fetch {
	struct sbuf		 b;	/* the body, capped */
	struct curl_slist	*sl;
	struct hubretry		 r;
};

static int
fetch_xferinfo(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	const struct hubfetch_call	*c = arg;

	return c->stop != NULL && c->stop(c->stop_arg) != 0;
}

/* One GET of f->r.url into f->b; the transfer's result. */
static CURLcode
fetch_once(const struct hubfetch_call *c, struct fetch *f)
{

	sbuf_reset(&f->b);
	hubhttp_hdrs_reset(c->hdrs);
	if (hubhttp_request(c->easy, c->opts, f->r.url, 0, f->b.max, &f->sl,
	    &f->r.auth) == -1)
		return CURLE_OUT_OF_MEMORY;
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, sbuf_write_cb);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &f->b);
	curl_easy_setopt(c->easy, CURLOPT_XFERINFOFUNCTION, fetch_xferinfo);
	curl_easy_setopt(c->easy, CURLOPT_XFERINFODATA, (void *)c);
	curl_easy_setopt(c->easy, CURLOPT_NOPROGRESS, 0L);
	return curl_easy_perform(c->easy);
}

/*
 * Sleeps ms milliseconds, polling c->stop.  Returns 0, or -1 as soon as
 * it asked to stop.
 */
static int
fetch_sleep(const struct hubfetch_call *c, unsigned ms)
{
	uint64_t	 end = mono_ms() + ms, t;
	struct timespec	 ts;

	for (;;) {
		if (c->stop != NULL && c->stop(c->stop_arg) != 0)
			return -1;
		if ((t = mono_ms()) >= end)
			return 0;
		t = end - t > SLEEP_POLL_MS ? SLEEP_POLL_MS : end - t;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)t * 1000000L;
		nanosleep(&ts, NULL);
	}
}

static enum err
fetch_stopped(char *msg, size_t msglen)
{

	snprintf(msg, msglen, "stopped");
	return ERR_TIMEOUT;
}

/*
 * Judges one attempt: ERR_OK with *again set to go on, ERR_OK with
 * *again clear on a 200, or the error.
 */
static enum err
fetch_step(const struct hubfetch_call *c, struct fetch *f, CURLcode cc,
    size_t maxbytes, int *again, char *msg, size_t msglen)
{
	char	 red[512];

	*again = 1;
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return fetch_stopped(msg, msglen);
	if (cc == CURLE_OUT_OF_MEMORY || (f->b.failed && !f->b.toobig)) {
		snprintf(msg, msglen, "out of memory");
		return ERR_NOMEM;
	}
	if (f->b.toobig || cc == CURLE_FILESIZE_EXCEEDED) {
		hubhttp_redact(f->r.url, red, sizeof(red));
		snprintf(msg, msglen, "The hub's answer from %s is larger "
		    "than %zu bytes", red, maxbytes);
		return ERR_TOOBIG;
	}
	switch (hubretry_judge(&f->r, cc, c->hdrs, 0)) {
	case HUBRETRY_DONE:
		*again = 0;
		return ERR_OK;
	case HUBRETRY_FOLLOW:
		return hubretry_follow(&f->r, c->hdrs);
	case HUBRETRY_WAIT:
		if (fetch_sleep(c, f->r.wait_ms) == -1)
			return fetch_stopped(msg, msglen);
		return ERR_OK;
	default:
		return f->r.err;
	}
}

/* Hands the body and the final URL over to the caller. */
static enum err
fetch_result(struct fetch *f, char **body, size_t *len, char **final_url,
    char *msg, size_t msglen)
{

	*len = f->b.len;
	if ((*body = sbuf_finish(&f->b)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return ERR_NOMEM;
	}
	f->b.s = NULL;	/* now the caller's */
	if (final_url != NULL) {
		*final_url = f->r.url;
		f->r.url = NULL;
	}
	return ERR_OK;
}

enum err
hubfetch_get(const struct hubfetch_call *c, const char *url, size_t maxbytes,
    char **body, size_t *len, char **final_url, char *msg, size_t msglen)
{
	struct fetch	 f;
	enum err	 rc = ERR_NOMEM;
	int		 again = 1;

	memset(&f, 0, sizeof(f));
	f.b = (struct sbuf)SBUF_INIT_MAX(maxbytes + 1);
	f.r.opts = c->opts;
	f.r.ectx = c->ectx;
	f.r.msg = msg;
	f.r.msglen = msglen;
	*body = NULL;
	if (final_url != NULL)
		*final_url = NULL;
	if ((f.r.url = strdup(url)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	while (again)
		if ((rc = fetch_step(c, &f, fetch_once(c, &f), maxbytes,
		    &again, msg, msglen)) != ERR_OK)
			goto out;
	rc = fetch_result(&f, body, len, final_url, msg, msglen);
out:
	curl_slist_free_all(f.sl);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	free(f.b.s);
	hubretry_free(&f.r);
	return rc;
}
