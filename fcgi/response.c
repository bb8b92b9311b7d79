/*
 * Writing responses: the status line, X-Correlation-ID on every answer,
 * JSON bodies, and the error shapes of the contract ({"detail",
 * "reference"} and FastAPI's 422 list).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "log.h"

static const char *
reason_phrase(int status)
{

	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Request Entity Too Large";
	case 422: return "Unprocessable Entity";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

int
status_for_err(enum err e)
{

	switch (e) {
	case ERR_OK: return 200;
	case ERR_INVAL: return 400;
	case ERR_NOTFOUND: return 404;
	case ERR_CONFLICT: return 409;
	case ERR_TOOBIG: return 413;
	case ERR_DB:
	case ERR_REDIS: return 503;
	case ERR_TIMEOUT:
	case ERR_UPSTREAM: return 504;
	default: return 500;
	}
}

/* Writes the response and consumes body (cJSON_Delete).  extra_headers,
 * when non-NULL, is one or more "Name: value\r\n" lines. */
void
resp_json(struct req *r, int status, cJSON *body, const char *extra_headers)
{
	char	*text;

	text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	resp_text(r, status, text, extra_headers);
}

/* Writes the response with text (JSON, malloc'd: freed here; NULL for
 * out-of-memory, answered 500). */
void
resp_text(struct req *r, int status, char *text, const char *extra_headers)
{

	if (text == NULL)
		status = 500;
	FCGX_FPrintF(r->fcgi->out, "Status: %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Correlation-ID: %s\r\n%s\r\n", status, reason_phrase(status),
	    r->cid, extra_headers ? extra_headers : "");
	if (text != NULL)
		FCGX_PutS(text, r->fcgi->out);
	else
		FCGX_FPrintF(r->fcgi->out, "{\"detail\":\"Internal Server "
		    "Error\",\"reference\":\"ERR-%s\"}", r->cid);
	free(text);
	r->status = status;
}

void
resp_error_json(struct req *r, int status, cJSON *detail,
    const char *extra_headers)
{
	cJSON	*o;
	char	 ref[CID_MAX + 8];

	snprintf(ref, sizeof(ref), "ERR-%s", r->cid);
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(o, "detail", detail) ||
	    cJSON_AddStringToObject(o, "reference", ref) == NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	resp_json(r, status, o, extra_headers);
}

void
resp_error(struct req *r, int status, const char *detail)
{
	char	*clean = utf8_sanitize(detail);

	resp_error_json(r, status, cJSON_CreateString(clean ? clean : ""),
	    status == 401 ? "WWW-Authenticate: Bearer\r\n" : NULL);
	free(clean);
}

cJSON *
verr_new(void)
{

	return cJSON_CreateArray();
}

/* Adds one FastAPI validation error: loc is [where, field]; input is
 * consumed (NULL means JSON null). */
void
verr_add(cJSON *list, const char *type, const char *where, const char *field,
    const char *msg, cJSON *input)
{
	cJSON	*e, *loc;

	if ((e = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(input);
		return;
	}
	cJSON_AddStringToObject(e, "type", type);
	loc = cJSON_AddArrayToObject(e, "loc");
	cJSON_AddItemToArray(loc, cJSON_CreateString(where));
	if (field != NULL)
		cJSON_AddItemToArray(loc, cJSON_CreateString(field));
	cJSON_AddStringToObject(e, "msg", msg);
	cJSON_AddItemToObject(e, "input", input ? input : cJSON_CreateNull());
	cJSON_AddItemToArray(list, e);
}

/*
 * A copy of s where every byte sequence that is not valid UTF-8 becomes
 * U+FFFD, as Starlette decodes a query string.  malloc'd; NULL on
 * out-of-memory.
 */
char *
utf8_sanitize(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *o;
	size_t			 n, len = strlen(s);

	if ((out = o = malloc(len * 3 + 1)) == NULL)
		return NULL;
	while (*p != '\0') {
		if (*p < 0x80)
			n = 1;
		else if ((*p & 0xe0) == 0xc0)
			n = 2;
		else if ((*p & 0xf0) == 0xe0)
			n = 3;
		else if ((*p & 0xf8) == 0xf0)
			n = 4;
		else
			n = 0;
		if (n == 0 || valid_utf8((const char *)p, n) == -1) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}
