/*
 * libFuzzer harness: the Hub's response headers.  The input, up to a
 * first NUL, is a header block (lines split at '\n', each handed to
 * hubhttp_header_cb with its CRLF as libcurl does); what follows the NUL
 * is the URL it answered.  Every field must stay NUL-terminated inside
 * its buffer, and what the download reads from them (ETag, Location,
 * Link next, Content-Range, Retry-After, the error message) must be
 * parsed without overrun: a resolved redirect is an http(s) URL, a
 * redacted URL keeps no query or user info, a message no control
 * character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hubhttp.h"
#include "hubname.h"
#include "hubretry.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(f)	(memchr((f), '\0', sizeof(f)) != NULL)

static void
check_fields(const struct hubhttp_hdrs *h)
{

	if (!TERMINATED(h->etag) || !TERMINATED(h->linked_etag) ||
	    !TERMINATED(h->location) || !TERMINATED(h->content_range) ||
	    !TERMINATED(h->retry_after) || !TERMINATED(h->error_code) ||
	    !TERMINATED(h->error_message) || !TERMINATED(h->repo_commit) ||
	    !TERMINATED(h->request_id) || !TERMINATED(h->link))
		abort();
	if (h->status < 0 || h->status > 999)
		abort();
}

/* hidden: a word of url's user info or query that must not show. */
static void
check_url(const char *url, const char *hidden)
{
	char	 red[512];

	hubhttp_redact(url, red, sizeof(red));
	if (!TERMINATED(red) || strchr(red, '?') != NULL ||
	    strchr(red, '#') != NULL ||
	    (hidden != NULL && strstr(red, hidden) != NULL))
		abort();
}

/* secret: base is ours, with "hf_secret" in its user info and query. */
static void
check_derived(const struct hubhttp_hdrs *h, const char *base, int secret)
{
	struct hubhttp_opts	 o;
	struct hubhttp_errctx	 e;
	char			 etag[65], next[sizeof(h->link)], msg[1024];
	char			*url;
	const char		*p;
	uint64_t		 start;
	unsigned		 secs;
	int			 r;

	if (hubname_etag(h->etag, etag) == 0 && hubname_is_oid(etag) != 0)
		abort();
	if (hubname_etag(h->linked_etag, etag) == 0 &&
	    hubname_is_oid(etag) != 0)
		abort();
	(void)hubhttp_content_range_start(h->content_range, &start);
	if (hubretry_after(h->retry_after, &secs) == 0 &&
	    secs > 86400)
		abort();
	memset(&o, 0, sizeof(o));
	o.retry_max_ms = 2000;
	if (hubretry_backoff_ms(&o, 3, h->retry_after) > 4 * 2000)
		abort();
	r = hubhttp_link_next(h->link, next, sizeof(next));
	if (r < -1 || r > 1 || (r == 1 && next[0] == '\0'))
		abort();
	if (r == 1 && (url = hubhttp_resolve(base, next)) != NULL) {
		if (strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0)
			abort();
		check_url(url, NULL);
		free(url);
	}
	if ((url = hubhttp_resolve(base, h->location)) != NULL) {
		if (strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0)
			abort();
		if (hubhttp_same_origin(url, base) == -1)
			abort();
		check_url(url, NULL);
		free(url);
	}
	memset(&e, 0, sizeof(e));
	e.endpoint = base;
	e.repo_id = "org/name";
	e.revision = "main";
	e.file = h->status & 1 ? "dir/file.bin" : NULL;
	e.token_sent = h->status & 2;
	memset(msg, 'x', sizeof(msg));
	(void)hubhttp_error(h->status, h, &e, msg, sizeof(msg));
	if (!TERMINATED(msg) || msg[0] == '\0')
		abort();
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	/* The endpoint's user info and query never show (the hub's own
	 * message is quoted, so it may say anything). */
	if (secret && strstr(msg, "hf_secret") != NULL &&
	    strstr(h->error_message, "hf_secret") == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hubhttp_hdrs	*h;
	const uint8_t		*nul, *p, *end, *nl;
	char			*line, *base;
	size_t			 hlen, n;
	int			 secret = 0;

	if ((h = malloc(sizeof(*h))) == NULL)
		return 0;
	memset(h, 0x55, sizeof(*h));
	hubhttp_hdrs_reset(h);
	nul = memchr(data, 0, size);
	hlen = nul != NULL ? (size_t)(nul - data) : size;
	if (nul != NULL && memchr(nul + 1, 0, size - hlen - 1) == NULL &&
	    size - hlen - 1 > 0) {
		if ((base = malloc(size - hlen)) == NULL)
			abort();
		memcpy(base, nul + 1, size - hlen - 1);
		base[size - hlen - 1] = '\0';
	} else {
		if ((base = strdup("https://user:hf_secret@hub.example:8443/"
		    "api/models/org/name/tree/main?cursor=hf_secret")) == NULL)
			abort();
		secret = 1;
	}
	check_url(base, secret ? "hf_secret" : NULL);
	/* libcurl hands over one line at a time, CRLF included, no NUL. */
	if ((line = malloc(hlen + 3)) == NULL)
		abort();
	for (p = data, end = data + hlen; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		memcpy(line, p, n);
		memcpy(line + n, "\r\n", 2);
		if (hubhttp_header_cb(line, 1, n + 2, h) != n + 2)
			abort();
		check_fields(h);
		if (nl == end)
			break;
	}
	check_derived(h, base, secret);
	free(line);
	free(base);
	free(h);
	return 0;
}
