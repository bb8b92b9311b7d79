/*
 * Writing responses: the status line, X-Correlation-ID on every answer,
 * JSON bodies, and the error shapes of the contract ({"detail",
 * "reference"} and FastAPI's 422 list).  This is the one place where an
 * error becomes an HTTP status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "log.h"

/* What an error answer is made of. */
struct answer {
	int		 status;
	const char	*detail;	/* the contract's default detail */
	const char	*headers;	/* extra "Name: value\r\n" lines */
};

#define BEARER	"WWW-Authenticate: Bearer\r\n"

/* Indexed by enum err, then enum ans; a missing entry (status 0) is a
 * 500, as is ERR_NOMEM. */
static const struct answer answers[ANS__MAX] = {
	[ERR_NOMEM] =		{ 500, "Internal Server Error", NULL },
	[ERR_INVAL] =		{ 400, "Bad Request", NULL },
	[ERR_NOTFOUND] =	{ 404, "Not Found", NULL },
	[ERR_CONFLICT] =	{ 409, "Conflict", NULL },
	[ERR_DB] =		{ 503, "Database unavailable", NULL },
	[ERR_REDIS] =		{ 503, "Task store unavailable", NULL },
	[ERR_TIMEOUT] =		{ 504, "Gateway Timeout", NULL },
	[ERR_UPSTREAM] =	{ 504, "Gateway Timeout", NULL },
	[ERR_TOOBIG] =		{ 413, "Request Entity Too Large", NULL },
	[ANS_NOT_AUTHENTICATED] = { 401, "Not authenticated", BEARER },
	[ANS_BAD_CREDENTIALS] =	{ 401, "Invalid authentication credentials",
				    BEARER },
	[ANS_USER_NOT_FOUND] =	{ 401, "User not found", BEARER },
	[ANS_BAD_API_KEY] =	{ 401, "Invalid API key", BEARER },
	[ANS_INACTIVE_USER] =	{ 403, "Inactive user", NULL },
	[ANS_NOT_SUPERUSER] =	{ 403, "Superuser access required for model "
				    "management", NULL },
	[ANS_METHOD_NOT_ALLOWED] = { 405, "Method Not Allowed", NULL },
	[ANS_INVALID] =		{ 422, "Unprocessable Entity", NULL },
	[ANS_REDIRECT] =	{ 307, "Temporary Redirect", NULL },
};

/* The answer of code (an enum err or enum ans); never NULL. */
static const struct answer *
answer_for(int code)
{

	if (code < 0 || code >= ANS__MAX || answers[code].status == 0)
		return &answers[ERR_NOMEM];
	return &answers[code];
}

static const char *
reason_phrase(int status)
{

	switch (status) {
	case 200: return "OK";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Request Entity Too Large";
	case 422: return "Unprocessable Entity";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Internal Server Error";
	}
}

/*
 * Writes the response with text (JSON, malloc'd: freed here; NULL for
 * out-of-memory, answered 500) and records the status in r->status.
 */
static void
resp_text_typed(struct req *r, int status, char *text,
    const char *content_type, const char *extra_headers)
{

	if (text == NULL) {
		log_warnx("%s: cid=%s: out of memory", __func__, r->cid);
		status = answers[ERR_NOMEM].status;
	}
	FCGX_FPrintF(r->fcgi->out, "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Correlation-ID: %s\r\n%s\r\n", status, reason_phrase(status),
	    text != NULL ? content_type : "application/json", r->cid,
	    extra_headers ? extra_headers : "");
	if (text != NULL)
		FCGX_PutS(text, r->fcgi->out);
	else
		FCGX_FPrintF(r->fcgi->out, "{\"detail\":\"%s\","
		    "\"reference\":\"ERR-%s\"}", answers[ERR_NOMEM].detail,
		    r->cid);
	free(text);
	r->status = status;
}

/* resp_text_typed for a JSON text. */
static void
resp_text(struct req *r, int status, char *text, const char *extra_headers)
{

	resp_text_typed(r, status, text, "application/json", extra_headers);
}

/*
 * Writes the response and consumes body (cJSON_Delete); NULL body means
 * out-of-memory.  extra_headers, when non-NULL, is one or more
 * "Name: value\r\n" lines.
 */
void
resp_json(struct req *r, int status, cJSON *body, const char *extra_headers)
{
	char	*text;

	if (r->operation != NULL)
		obs_note(r, status, body);
	text = body ? cJSON_PrintUnformatted(body) : NULL;
	cJSON_Delete(body);
	resp_text(r, status, text, extra_headers);
}

/* Answers 200 with body, which it consumes (NULL: out-of-memory, 500). */
void
resp_ok(struct req *r, cJSON *body)
{

	resp_json(r, 200, body, NULL);
}

/* Answers 200 with text of content_type (malloc'd, freed here; NULL:
 * 500). */
void
resp_ok_typed(struct req *r, char *text, const char *content_type)
{

	resp_text_typed(r, 200, text, content_type, NULL);
}

/* Answers 200 with text (malloc'd JSON, freed here; NULL: 500). */
void
resp_ok_text(struct req *r, char *text)
{

	resp_text(r, 200, text, NULL);
}

/*
 * Writes the error answer of code: {"detail": detail, "reference":
 * "ERR-<cid>"} with the table's status, and headers (NULL: the table's).
 * Consumes detail; NULL means out-of-memory.
 */
static void
resp_answer(struct req *r, int code, cJSON *detail, const char *headers)
{
	const struct answer	*a = answer_for(code);
	cJSON			*o;
	char			 ref[CID_MAX + 8];

	/* A 500 is where a failure lib/ passed up ends: logged here. */
	if (a == &answers[ERR_NOMEM])
		log_warnx("%s: cid=%s: %s", __func__, r->cid,
		    err_str((enum err)code));
	snprintf(ref, sizeof(ref), "ERR-%s", r->cid);
	if ((o = cJSON_CreateObject()) == NULL ||
	    !cJSON_AddItemToObject(o, "detail", detail)) {
		cJSON_Delete(detail);
		cJSON_Delete(o);
		o = NULL;
	} else if (cJSON_AddStringToObject(o, "reference", ref) == NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	resp_json(r, a->status, o, headers != NULL ? headers : a->headers);
}

/* The error answer of code with the table's detail. */
static void
resp_code(struct req *r, int code)
{

	resp_answer(r, code, cJSON_CreateString(answer_for(code)->detail),
	    NULL);
}

/* Answers e with the contract's detail for it (ERR_DB: 503 "Database
 * unavailable", ...); any code the table lacks is a 500. */
void
resp_err(struct req *r, enum err e)
{

	resp_code(r, (int)e);
}

/* Answers e with its status and detail instead of the table's (made
 * valid UTF-8 first; the caller keeps detail). */
void
resp_err_detail(struct req *r, enum err e, const char *detail)
{

	resp_answer(r, (int)e, json_utf8(detail), NULL);
}

/* Answers e with its status and a JSON detail (a 409 conflict object),
 * which it consumes; NULL means out-of-memory. */
void
resp_err_json(struct req *r, enum err e, cJSON *detail)
{

	resp_answer(r, (int)e, detail, NULL);
}

/* Answers one of the front line's own refusals (401, 403). */
void
resp_ans(struct req *r, enum ans a)
{

	resp_code(r, (int)a);
}

/* Answers 405 with "Allow: <allow>", allow being the route's methods
 * ("GET, POST"). */
void
resp_not_allowed(struct req *r, const char *allow)
{
	char	 hdr[96];

	snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	resp_answer(r, ANS_METHOD_NOT_ALLOWED, cJSON_CreateString(
	    answer_for(ANS_METHOD_NOT_ALLOWED)->detail), hdr);
}

/* Answers 307 to location, which must hold printable ASCII only (no CR,
 * no LF: it becomes a header line as it is). */
void
resp_redirect(struct req *r, const char *location)
{
	char	*hdr;

	if (asprintf(&hdr, "Location: %s\r\n", location) == -1) {
		resp_err(r, ERR_NOMEM);
		return;
	}
	resp_answer(r, ANS_REDIRECT, cJSON_CreateString(
	    answer_for(ANS_REDIRECT)->detail), hdr);
	free(hdr);
}

/* Answers 422 with errs, FastAPI's list (verr_new), which it consumes. */
void
resp_invalid(struct req *r, cJSON *errs)
{

	resp_answer(r, ANS_INVALID, errs, NULL);
}

/* An empty list of validation errors; NULL on out-of-memory. */
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
 * A JSON string of s made valid UTF-8 (valid_utf8_clean); "" when that
 * runs out of memory.  The caller owns the item; NULL on out-of-memory.
 */
cJSON *
json_utf8(const char *s)
{
	char	*clean = valid_utf8_clean(s);
	cJSON	*v = cJSON_CreateString(clean != NULL ? clean : "");

	free(clean);
	return v;
}

/* Adds the member name: the string s, or null when s is NULL. */
void
json_add_string_or_null(cJSON *o, const char *name, const char *s)
{

	if (s != NULL)
		cJSON_AddStringToObject(o, name, s);
	else
		cJSON_AddNullToObject(o, name);
}

/*
 * Adds the integer member name.  cJSON 1.7.15 prints every number with
 * "%1.15g" and reads it back with sscanf() to check it (~0.5 us a
 * number), and loses digits past 2^53: the same digits, printed here.
 */
void
json_add_int(cJSON *o, const char *name, long long v)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	cJSON_AddRawToObject(o, name, buf);
}
