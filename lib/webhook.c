/*
 * Webhooks apart from sending them: event names and mapping, URL and
 * secret checks, the signature, the delivery id and the body.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "hex.h"
#include "webhook.h"

static const char *const event_names[WH_EV__MAX] = {
	[WH_EV_DOWNLOAD_COMPLETED] = "download.completed",
	[WH_EV_DOWNLOAD_FAILED] = "download.failed",
	[WH_EV_DOWNLOAD_CANCELLED] = "download.cancelled",
	[WH_EV_DELETE_COMPLETED] = "delete.completed",
	[WH_EV_DELETE_FAILED] = "delete.failed",
	[WH_EV_DELETE_CANCELLED] = "delete.cancelled",
	[WH_EV_PRUNE_COMPLETED] = "prune.completed",
	[WH_EV_PRUNE_FAILED] = "prune.failed",
	[WH_EV_PRUNE_CANCELLED] = "prune.cancelled",
};

const char *
webhook_event_str(enum wh_event e)
{

	if ((int)e < 0 || e >= WH_EV__MAX)
		return NULL;
	return event_names[e];
}

int
webhook_event_parse(const char *s)
{
	int	 i;

	for (i = 0; i < WH_EV__MAX; i++)
		if (strcmp(event_names[i], s) == 0)
			return i;
	return -1;
}

/* The outcome part of an event name for a task status, or NULL. */
static const char *
outcome_part(const char *outcome)
{

	if (strcmp(outcome, "completed") == 0 ||
	    strcmp(outcome, "not_installed") == 0)
		return "completed";
	if (strcmp(outcome, "failed") == 0)
		return "failed";
	if (strcmp(outcome, "cancelled") == 0)
		return "cancelled";
	return NULL;
}

int
webhook_event_of(const char *op, const char *outcome)
{
	const char	*part;
	char		 name[64];

	if (op == NULL || outcome == NULL ||
	    (part = outcome_part(outcome)) == NULL)
		return -1;
	/* not_installed is a delete's end only. */
	if (strcmp(outcome, "not_installed") == 0 && strcmp(op, "delete") != 0)
		return -1;
	if (snprintf(name, sizeof(name), "%s.%s", op, part) >=
	    (int)sizeof(name))
		return -1;
	return webhook_event_parse(name);
}

/* The authority of url after "scheme://": ok when non-empty, no '@'. */
static int
authority_ok(const char *a)
{
	size_t	 n = strcspn(a, "/?#");

	return n > 0 && memchr(a, '@', n) == NULL && a[0] != ':';
}

int
webhook_url_check(const char *url, const char **why)
{
	const char	*p, *rest;

	if (strlen(url) > WEBHOOK_URL_MAX) {
		*why = "longer than 2048 bytes";
		return -1;
	}
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			*why = "has a blank or control character";
			return -1;
		}
	if (strncmp(url, "http://", 7) == 0)
		rest = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		rest = url + 8;
	else {
		*why = "must start with http:// or https://";
		return -1;
	}
	if (!authority_ok(rest)) {
		*why = "needs a host and no user or password (user@host)";
		return -1;
	}
	return 0;
}

/* Checks the opened secret file fd (path for the messages). */
static enum err
secret_stat(int fd, const char *path, char *errbuf, size_t errlen)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1) {
		snprintf(errbuf, errlen, "secret file %s: %s", path,
		    strerror(errno));
		return ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "secret file %s: not a regular file",
		    path);
		return ERR_INVAL;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(errbuf, errlen, "secret file %s: group or others "
		    "have access (mode %03o); it must be readable by the "
		    "service user only (chmod 600)", path,
		    (unsigned)(st.st_mode & 0777));
		return ERR_INVAL;
	}
	return ERR_OK;
}

/* Reads all of fd (at most max - 1 bytes) into buf; the length or -1. */
static ssize_t
read_all(int fd, char *buf, size_t max)
{
	size_t	 n = 0;
	ssize_t	 r;

	while (n < max) {
		if ((r = read(fd, buf + n, max - n)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? (ssize_t)n : -1;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

/* Checks the secret read (n bytes of s) and trims its newline. */
static enum err
secret_trim(char *s, ssize_t n, size_t *len, const char *path,
    char *errbuf, size_t errlen)
{

	if (n >= WEBHOOK_SECRET_MAX) {
		snprintf(errbuf, errlen, "secret file %s: longer than %d bytes",
		    path, WEBHOOK_SECRET_MAX - 1);
		return ERR_INVAL;
	}
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n == 0) {
		snprintf(errbuf, errlen, "secret file %s: empty", path);
		return ERR_INVAL;
	}
	s[n] = '\0';
	*len = (size_t)n;
	return ERR_OK;
}

enum err
webhook_secret_read(const char *path, char *secret, size_t *len,
    char *errbuf, size_t errlen)
{
	ssize_t		 n;
	int		 fd;
	enum err	 e;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		snprintf(errbuf, errlen, "secret file %s: %s", path,
		    strerror(errno));
		return ERR_IO;
	}
	if ((e = secret_stat(fd, path, errbuf, errlen)) == ERR_OK) {
		if ((n = read_all(fd, secret, WEBHOOK_SECRET_MAX)) == -1) {
			snprintf(errbuf, errlen, "secret file %s: %s", path,
			    strerror(errno));
			e = ERR_IO;
		} else
			e = secret_trim(secret, n, len, path, errbuf, errlen);
	}
	close(fd);
	return e;
}

void
webhook_sign(const void *key, size_t keylen, const void *body, size_t n,
    char out[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, body, n, md, &mdlen) ==
	    NULL || mdlen != 32) {
		out[0] = '\0';	/* cannot happen with SHA-256 */
		return;
	}
	hex_encode(md, mdlen, out);
}

void
webhook_delivery_id(const char *stream_id, const char *hook,
    char out[WEBHOOK_ID_LEN + 1])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	EVP_MD_CTX	*c;
	char		 h[33];

	memset(md, 0, sizeof(md));
	if ((c = EVP_MD_CTX_new()) != NULL) {
		EVP_DigestInit_ex(c, EVP_sha256(), NULL);
		EVP_DigestUpdate(c, stream_id, strlen(stream_id) + 1);
		EVP_DigestUpdate(c, hook, strlen(hook));
		EVP_DigestFinal_ex(c, md, NULL);
		EVP_MD_CTX_free(c);
	}
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x80);	/* version 8 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);	/* variant */
	hex_encode(md, 16, h);
	snprintf(out, WEBHOOK_ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h,
	    h + 8, h + 12, h + 16, h + 20);
}

/* Sets member name of o to the string v (replacing it); -1 on failure. */
static int
set_member(cJSON *o, const char *name, const char *v)
{
	cJSON	*s;

	if ((s = cJSON_CreateString(v)) == NULL)
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	if (!cJSON_AddItemToObject(o, name, s)) {
		cJSON_Delete(s);
		return -1;
	}
	return 0;
}

char *
webhook_body(const char *audit_json, const char *stream_id,
    enum wh_event ev, const char *delivery_id)
{
	cJSON	*o;
	char	*s = NULL;

	if ((o = cJSON_Parse(audit_json)) == NULL)
		return NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
	if (cJSON_IsObject(o) &&
	    set_member(o, "event", webhook_event_str(ev)) == 0 &&
	    set_member(o, "audit_id", stream_id) == 0 &&
	    set_member(o, "delivery_id", delivery_id) == 0)
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s != NULL && strlen(s) >= WEBHOOK_BODY_MAX) {
		free(s);
		s = NULL;
	}
	return s;
}

unsigned
webhook_backoff_ms(unsigned base_ms, unsigned max_ms, unsigned attempt)
{
	unsigned long long	 d = base_ms;
	unsigned		 i;

	for (i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	return d > max_ms ? max_ms : (unsigned)d;
}
