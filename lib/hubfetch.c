/*
 * The blocking GET of the Hub's metadata answers: one easy handle, the
 * body kept in memory up to a hard maximum, redirects and retries as
 * hubretry.c decides.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hubfetch.h"
#include "hubretry.h"
#include "mono.h"
#include "sbuf.h"

#define SLEEP_POLL_MS	50	/* stop() polled this often while waiting */

/* The state of one hubfetch_get or hubfetch_spool. */
struct fetch {
	struct sbuf		 b;	/* the body, capped (fd -1) */
	int			 fd;	/* the body's file, or -1 */
	size_t			 flen;	/* bytes written to fd */
	int			 ferr;	/* errno of a failed write */
	struct curl_slist	*sl;
	struct hubretry		 r;
};

/* Appends the body to f->fd, at most f->b.max - 1 bytes in all. */
static size_t
fetch_fd_cb(char *data, size_t size, size_t n, void *arg)
{
	struct fetch	*f = arg;
	size_t		 len = size * n, done = 0;
	ssize_t		 w;

	if (len >= f->b.max - f->flen) {
		f->b.failed = f->b.toobig = true;
		return 0;
	}
	while (done < len) {
		if ((w = write(f->fd, data + done, len - done)) == -1) {
			if (errno == EINTR)
				continue;
			f->ferr = errno;
			f->b.failed = true;
			return 0;
		}
		done += (size_t)w;
	}
	f->flen += len;
	return len;
}

/* Empties the body before an attempt: 0, or -1 (f->ferr set). */
static int
fetch_reset(struct fetch *f)
{

	sbuf_reset(&f->b);
	f->flen = 0;
	if (f->fd != -1 && (ftruncate(f->fd, 0) == -1 ||
	    lseek(f->fd, 0, SEEK_SET) == -1)) {
		f->ferr = errno;
		return -1;
	}
	return 0;
}

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

	if (fetch_reset(f) == -1)
		return CURLE_WRITE_ERROR;
	hubhttp_hdrs_reset(c->hdrs);
	if (hubhttp_request(c->easy, c->opts, f->r.url, 0, f->b.max, &f->sl,
	    &f->r.auth) == -1)
		return CURLE_OUT_OF_MEMORY;
	if (f->fd != -1) {
		curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, fetch_fd_cb);
		curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, f);
	} else {
		curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION,
		    sbuf_write_cb);
		curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &f->b);
	}
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
	if (f->ferr != 0) {
		snprintf(msg, msglen, "Cannot write the hub's answer to a "
		    "temporary file: %s", strerror(f->ferr));
		return ERR_IO;
	}
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

/* Runs the GET of url into f, then hands the result over with done. */
static enum err
fetch_run(const struct hubfetch_call *c, struct fetch *f, const char *url,
    size_t maxbytes, char *msg, size_t msglen)
{
	enum err	 rc;
	int		 again = 1;

	f->r.opts = c->opts;
	f->r.ectx = c->ectx;
	f->r.msg = msg;
	f->r.msglen = msglen;
	if ((f->r.url = strdup(url)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return ERR_NOMEM;
	}
	while (again)
		if ((rc = fetch_step(c, f, fetch_once(c, f), maxbytes,
		    &again, msg, msglen)) != ERR_OK)
			return rc;
	return ERR_OK;
}

static void
fetch_free(const struct hubfetch_call *c, struct fetch *f)
{

	curl_slist_free_all(f->sl);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	free(f->b.s);
	hubretry_free(&f->r);
}

enum err
hubfetch_get(const struct hubfetch_call *c, const char *url, size_t maxbytes,
    char **body, size_t *len, char **final_url, char *msg, size_t msglen)
{
	struct fetch	 f;
	enum err	 rc;

	memset(&f, 0, sizeof(f));
	f.b = (struct sbuf)SBUF_INIT_MAX(maxbytes + 1);
	f.fd = -1;
	*body = NULL;
	if (final_url != NULL)
		*final_url = NULL;
	if ((rc = fetch_run(c, &f, url, maxbytes, msg, msglen)) == ERR_OK)
		rc = fetch_result(&f, body, len, final_url, msg, msglen);
	fetch_free(c, &f);
	return rc;
}

enum err
hubfetch_spool(const struct hubfetch_call *c, const char *url, int fd,
    size_t maxbytes, size_t *len, char **final_url, char *msg, size_t msglen)
{
	struct fetch	 f;
	enum err	 rc;

	memset(&f, 0, sizeof(f));
	f.b = (struct sbuf)SBUF_INIT_MAX(maxbytes + 1);
	f.fd = fd;
	*final_url = NULL;
	if ((rc = fetch_run(c, &f, url, maxbytes, msg, msglen)) == ERR_OK) {
		*len = f.flen;
		*final_url = f.r.url;
		f.r.url = NULL;
	}
	fetch_free(c, &f);
	return rc;
}
