#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "log.h"
#include "sbuf.h"
#include "vecpipe.h"

#define VECPIPE_BODY_MAX	(4 * 1024 * 1024)

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

/* Adds the types of the entries of the array root that name model_id;
 * -1 if an entry is not an object. */
static int
add_types(const cJSON *root, const char *model_id, struct vecpipe_loaded *out)
{
	const cJSON	*e, *name, *type;

	cJSON_ArrayForEach(e, root) {
		if (!cJSON_IsObject(e))
			return -1;
		name = cJSON_GetObjectItemCaseSensitive(e, "model_name");
		type = cJSON_GetObjectItemCaseSensitive(e, "model_type");
		if (cJSON_IsString(name) && cJSON_IsString(type) &&
		    strcmp(name->valuestring, model_id) == 0)
			add_type(out, type->valuestring);
	}
	return 0;
}

enum err
vecpipe_parse(const char *body, size_t len, const char *model_id,
    struct vecpipe_loaded *out, char *errbuf, size_t errlen)
{
	cJSON		*root;
	enum err	 e = ERR_OK;

	memset(out, 0, sizeof(*out));
	/* body[len] is the NUL that require_null_terminated looks for. */
	root = memchr(body, '\0', len) == NULL ?
	    cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1) : NULL;
	if (root == NULL || !cJSON_IsArray(root)) {
		snprintf(errbuf, errlen, "VecPipe answered something that is "
		    "not a JSON array");
		e = ERR_UPSTREAM;
	} else if (add_types(root, model_id, out) == -1) {
		snprintf(errbuf, errlen, "VecPipe answered an array of "
		    "something else than objects");
		memset(out, 0, sizeof(*out));
		e = ERR_UPSTREAM;
	}
	cJSON_Delete(root);
	return e;
}

/* A handle for one GET of url into b within timeout_ms in all, or
 * NULL. */
static CURL *
vecpipe_easy(const char *url, unsigned timeout_ms, struct sbuf *b)
{
	CURL	*c;

	if ((c = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sbuf_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	return c;
}

/* GETs url within timeout_ms into b: ERR_OK on a 2xx answer, else
 * ERR_UPSTREAM with the reason in errbuf. */
static enum err
vecpipe_get(const char *url, unsigned timeout_ms, struct sbuf *b,
    char *errbuf, size_t errlen)
{
	CURL		*c;
	CURLcode	 rc;
	long		 status = 0;
	enum err	 e = ERR_UPSTREAM;

	if ((c = vecpipe_easy(url, timeout_ms, b)) == NULL) {
		snprintf(errbuf, errlen, "cannot initialise libcurl");
		return ERR_UPSTREAM;
	}
	if ((rc = curl_easy_perform(c)) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		snprintf(errbuf, errlen, "%s", b->toobig ? "VecPipe answer too "
		    "large" : curl_easy_strerror(rc));
	else if (status < 200 || status > 299)
		snprintf(errbuf, errlen, "VecPipe answered HTTP %ld", status);
	else
		e = ERR_OK;
	curl_easy_cleanup(c);
	return e;
}

enum err
vecpipe_loaded(const char *base_url, unsigned timeout_ms,
    const char *model_id, struct vecpipe_loaded *out, char *errbuf,
    size_t errlen)
{
	struct sbuf	 b = SBUF_INIT_MAX(VECPIPE_BODY_MAX + 1);
	char		*url = NULL;
	enum err	 e;

	memset(out, 0, sizeof(*out));
	if (asprintf(&url, "%s/memory/models", base_url) == -1) {
		url = NULL;
		snprintf(errbuf, errlen, "out of memory");
		e = ERR_UPSTREAM;
	} else if ((e = vecpipe_get(url, timeout_ms, &b, errbuf, errlen)) ==
	    ERR_OK)
		e = vecpipe_parse(b.s ? b.s : "", b.len, model_id, out,
		    errbuf, errlen);
	if (e != ERR_OK)
		log_info("%s: %s: %s", __func__, model_id, errbuf);
	free(b.s);
	free(url);
	return e;
}
