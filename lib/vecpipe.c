#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "vecpipe.h"

#define VECPIPE_BODY_MAX	(4 * 1024 * 1024)

struct body {
	char	*buf;
	size_t	 len;
	int	 toobig;
};

static size_t
body_write(char *data, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = size * n;
	char		*nbuf;

	if (b->len + len > VECPIPE_BODY_MAX) {
		b->toobig = 1;
		return 0;
	}
	if ((nbuf = realloc(b->buf, b->len + len + 1)) == NULL)
		return 0;
	b->buf = nbuf;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

static void
add_type(struct vecpipe_loaded *out, const char *type)
{
	size_t	 i;

	for (i = 0; i < out->ntypes; i++)
		if (strcmp(out->types[i], type) == 0)
			return;
	if (out->ntypes < VECPIPE_TYPES_MAX && strlen(type) <
	    sizeof(out->types[0]))
		snprintf(out->types[out->ntypes++], sizeof(out->types[0]),
		    "%s", type);
}

enum err
vecpipe_parse(const char *body, size_t len, const char *model_id,
    struct vecpipe_loaded *out, char *errbuf, size_t errlen)
{
	cJSON	*root, *e, *name, *type;

	memset(out, 0, sizeof(*out));
	/* body[len] is the NUL that require_null_terminated looks for. */
	root = memchr(body, '\0', len) == NULL ?
	    cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1) : NULL;
	if (root == NULL || !cJSON_IsArray(root)) {
		snprintf(errbuf, errlen, "VecPipe answered something that is "
		    "not a JSON array");
		cJSON_Delete(root);
		return ERR_UPSTREAM;
	}
	cJSON_ArrayForEach(e, root) {
		if (!cJSON_IsObject(e)) {
			snprintf(errbuf, errlen, "VecPipe answered an array "
			    "of something else than objects");
			cJSON_Delete(root);
			memset(out, 0, sizeof(*out));
			return ERR_UPSTREAM;
		}
		name = cJSON_GetObjectItemCaseSensitive(e, "model_name");
		type = cJSON_GetObjectItemCaseSensitive(e, "model_type");
		if (cJSON_IsString(name) && cJSON_IsString(type) &&
		    strcmp(name->valuestring, model_id) == 0)
			add_type(out, type->valuestring);
	}
	cJSON_Delete(root);
	return ERR_OK;
}

enum err
vecpipe_loaded(const char *base_url, unsigned timeout_ms,
    const char *model_id, struct vecpipe_loaded *out, char *errbuf,
    size_t errlen)
{
	CURL		*c = NULL;
	struct body	 b = { NULL, 0, 0 };
	char		*url = NULL;
	long		 status = 0;
	CURLcode	 rc;
	enum err	 e = ERR_UPSTREAM;

	memset(out, 0, sizeof(*out));
	if (asprintf(&url, "%s/memory/models", base_url) == -1) {
		url = NULL;
		snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	if ((c = curl_easy_init()) == NULL) {
		snprintf(errbuf, errlen, "cannot initialise libcurl");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(errbuf, errlen, "%s", b.toobig ? "VecPipe answer too "
		    "large" : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		snprintf(errbuf, errlen, "VecPipe answered HTTP %ld", status);
		goto out;
	}
	e = vecpipe_parse(b.buf ? b.buf : "", b.len, model_id, out, errbuf,
	    errlen);
out:
	curl_easy_cleanup(c);
	free(b.buf);
	free(url);
	return e;
}
