/*
 * libFuzzer harness: the responder's front line (fcgi/route.c with
 * request.c and response.c): routing, the query string, the JSON body
 * (size limit, UTF-8, syntax, duplicate keys, content type) and the
 * validation table, exactly as mm-api runs them.  The harness stands in
 * for libfcgi (parameters, input and output streams), authentication (a
 * superuser) and the handlers (which check what validation let
 * through).  The input is "METHOD\nPATH\nQUERY\nCONTENT-TYPE\nBODY".
 * Every answer must be one of the statuses the contract allows, with a
 * body that is valid UTF-8 JSON of the right shape.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "hfprune.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	const char	*in;		/* the body */
	size_t		 inlen, inpos;
	char		*out;		/* what the responder wrote */
	size_t		 outlen, outcap;
	int		 handled;	/* a handler ran */
} io;

/* --- libfcgi ----------------------------------------------------------- */

char *
FCGX_GetParam(const char *name, FCGX_ParamArray envp)
{
	size_t	 n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

int
FCGX_GetStr(char *str, int n, FCGX_Stream *stream)
{
	size_t	 k = io.inlen - io.inpos;

	if ((size_t)n < k)
		k = (size_t)n;
	memcpy(str, io.in + io.inpos, k);
	io.inpos += k;
	return (int)k;
}

int
FCGX_PutStr(const char *str, int n, FCGX_Stream *stream)
{
	char	*p;

	if (io.outlen + (size_t)n + 1 > io.outcap) {
		io.outcap = (io.outlen + (size_t)n + 1) * 2;
		if ((p = realloc(io.out, io.outcap)) == NULL)
			abort();
		io.out = p;
	}
	memcpy(io.out + io.outlen, str, (size_t)n);
	io.outlen += (size_t)n;
	io.out[io.outlen] = '\0';
	return n;
}

int
FCGX_PutS(const char *str, FCGX_Stream *stream)
{

	return FCGX_PutStr(str, (int)strlen(str), stream);
}

int	FCGX_FPrintF(FCGX_Stream *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

int
FCGX_FPrintF(FCGX_Stream *stream, const char *format, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, format);
	n = vasprintf(&s, format, ap);
	va_end(ap);
	if (n < 0)
		abort();
	FCGX_PutStr(s, n, stream);
	free(s);
	return n;
}

/* --- authentication and handlers ---------------------------------------- */

int
auth_check(struct req *r)
{

	r->user.is_superuser = 1;
	r->user.is_active = 1;
	return 0;
}

static void
handled(struct req *r)
{

	io.handled = 1;
	resp_json(r, 200, cJSON_CreateObject(), NULL);
}

/* A model id from the query or the body: a whole C string. */
static void
check_model_id(const struct req *r)
{

	if (r->p.model_id == NULL)
		abort();
	/* From the JSON body it is UTF-8 and never cut at a NUL escape. */
	if (r->json != NULL && (valid_utf8(r->p.model_id,
	    strlen(r->p.model_id)) != 0 || strstr(r->body, "\\u0000") != NULL))
		abort();
}

void
handle_list(struct req *r)
{

	if (r->p.installed_only > 1 || r->p.include_cache_size > 1 ||
	    r->p.force_refresh_cache > 1 || (r->p.has_model_type &&
	    (unsigned)r->p.model_type > MT_SPLADE))
		abort();
	handled(r);
}

/* The list's Redis prefetch: nothing to send here. */
void
list_prefetch(struct req *r)
{

	r->claims_sent = -1;
}

void
list_prefetch_end(struct req *r)
{

	r->claims_sent = 0;
}

void
handle_download(struct req *r)
{

	check_model_id(r);
	if (r->json == NULL || !cJSON_IsObject(r->json))
		abort();
	handled(r);
}

void
handle_usage(struct req *r)
{

	check_model_id(r);
	handled(r);
}

void
handle_delete(struct req *r)
{

	check_model_id(r);
	if (r->p.confirm != 0 && r->p.confirm != 1)
		abort();
	handled(r);
}

void
handle_update(struct req *r)
{

	check_model_id(r);
	if (r->json == NULL || !cJSON_IsObject(r->json) ||
	    (r->p.keep_old != 0 && r->p.keep_old != 1) ||
	    (r->p.confirm != 0 && r->p.confirm != 1))
		abort();
	handled(r);
}

void
handle_check_updates(struct req *r)
{

	handled(r);
}

static void
check_task_id(const struct req *r)
{
	char	 canon[37], reason[160];

	if (strlen(r->p.task_id) != 36 ||
	    valid_uuid(r->p.task_id, canon, reason, sizeof(reason)) != 0 ||
	    strcmp(canon, r->p.task_id) != 0)
		abort();
}

void
handle_task(struct req *r)
{

	check_task_id(r);
	handled(r);
}

void
handle_cancel(struct req *r)
{

	check_task_id(r);
	handled(r);
}

void
handle_start_now(struct req *r)
{

	check_task_id(r);
	handled(r);
}

/* The cache doctor's: verify and repair take a model id, the prune's
 * body is typed (a model id or none, at least one kind it removes, a
 * boolean confirm). */
void
handle_verify(struct req *r)
{

	check_model_id(r);
	handled(r);
}

void
handle_policy_get(struct req *r)
{

	handled(r);
}

/* A policy validation let through: every field within its rules. */
void
handle_policy_put(struct req *r)
{
	const struct policy	*p = &r->p.policy;
	size_t			 i;

	if (p->nwindows > POLICY_WINDOWS_MAX || !policy_tz_valid(p->tz) ||
	    (p->max_bps != 0 && (p->max_bps < POLICY_RATE_MIN ||
	    p->max_bps > POLICY_RATE_MAX)))
		abort();
	for (i = 0; i < p->nwindows; i++)
		if (p->windows[i].start >= 1440 || p->windows[i].end >= 1440 ||
		    p->windows[i].start == p->windows[i].end)
			abort();
	handled(r);
}

void
handle_repair(struct req *r)
{

	check_model_id(r);
	handled(r);
}

void
handle_prune(struct req *r)
{

	if (r->p.model_id != NULL)
		check_model_id(r);
	if (r->p.prune_kinds == 0 || (r->p.prune_kinds & ~HFPRUNE_KINDS) ||
	    (r->p.confirm != 0 && r->p.confirm != 1))
		abort();
	handled(r);
}

void
handle_report(struct req *r)
{

	handled(r);
}

/* The observability hooks: nothing to record here. */
void
obs_note(struct req *r, int status, const cJSON *body)
{

	(void)r;
	(void)status;
	(void)body;
}

void
obs_audit(struct req *r)
{

	if (r->operation == NULL)
		abort();
}

void
handle_metrics(struct req *r)
{

	handled(r);
}

/* The audit's query: validated into its bounds. */
void
handle_audit(struct req *r)
{

	if (r->p.limit < 1 || r->p.limit > AUDIT_LIMIT_MAX ||
	    (r->p.before != NULL && audit_id_valid(r->p.before) != 0) ||
	    (r->p.f_model_id != NULL && strlen(r->p.f_model_id) > 256) ||
	    (r->p.f_user != NULL && strlen(r->p.f_user) > 256))
		abort();
	handled(r);
}

/* --- the answer -------------------------------------------------------- */

/*
 * A redirect names a path of printable ASCII without a space: nothing of
 * the request can end the header or start another one.
 */
static void
check_location(const char *head, const char *end)
{
	const char	*p;

	if ((p = strstr(head, "\r\nLocation: /")) == NULL || p >= end)
		abort();
	for (p += strlen("\r\nLocation: "); *p != '\r'; p++)
		if (*p <= ' ' || *p > '~')
			abort();
}

static void
check_answer(const struct req *r)
{
	const char	*body;
	const cJSON	*detail, *e;
	cJSON		*root;
	int		 st;

	if (sscanf(io.out, "Status: %d ", &st) != 1 || st != r->status)
		abort();
	switch (st) {
	case 200:
		if (!io.handled)
			abort();
		break;
	case 307: case 400: case 404: case 405: case 413: case 422:
		if (io.handled)
			abort();
		break;
	default:
		abort();
	}
	if ((body = strstr(io.out, "\r\n\r\n")) == NULL)
		abort();
	if (st == 307)
		check_location(io.out, body);
	body += 4;
	if (valid_utf8(body, strlen(body)) != 0 ||
	    strlen(body) != io.outlen - (size_t)(body - io.out))
		abort();
	if ((root = cJSON_Parse(body)) == NULL)
		abort();
	if (st != 200) {
		detail = cJSON_GetObjectItemCaseSensitive(root, "detail");
		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root,
		    "reference")) || detail == NULL)
			abort();
		if (st == 422) {
			if (!cJSON_IsArray(detail) ||
			    cJSON_GetArraySize(detail) == 0)
				abort();
			cJSON_ArrayForEach(e, detail)
				if (!cJSON_IsString(cJSON_GetObjectItem(e,
				    "type")) || !cJSON_IsArray(
				    cJSON_GetObjectItem(e, "loc")) ||
				    !cJSON_IsString(cJSON_GetObjectItem(e,
				    "msg")) || !cJSON_HasObjectItem(e,
				    "input"))
					abort();
		} else if (!cJSON_IsString(detail))
			abort();
	}
	cJSON_Delete(root);
}

/* The next '\n'-terminated field of *p (up to end), NUL-terminated. */
static char *
field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t	*nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t		 n = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);
	char		*s;

	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p = nl != NULL ? nl + 1 : end;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FCGX_Request	 fr;
	struct app	 app;
	struct req	 r;
	const uint8_t	*p = data, *end = data + size;
	char		*method, *path, *query, *ctype, *env[8], cl[32];
	size_t		 n = 0, i;

	method = field(&p, end);
	path = field(&p, end);
	query = field(&p, end);
	ctype = field(&p, end);
	memset(&io, 0, sizeof(io));
	io.in = (const char *)p;
	io.inlen = (size_t)(end - p);
	snprintf(cl, sizeof(cl), "%zu", io.inlen);
	/* Parameters are C strings: nginx never passes a NUL. */
	if (asprintf(&env[n++], "REQUEST_METHOD=%s", method) == -1 ||
	    asprintf(&env[n++], "DOCUMENT_URI=%s", path) == -1 ||
	    asprintf(&env[n++], "QUERY_STRING=%s", query) == -1 ||
	    asprintf(&env[n++], "CONTENT_LENGTH=%s", cl) == -1 ||
	    (*ctype != '\0' && asprintf(&env[n++], "CONTENT_TYPE=%s",
	    ctype) == -1))
		abort();
	env[n] = NULL;
	memset(&fr, 0, sizeof(fr));
	fr.envp = env;
	memset(&app, 0, sizeof(app));
	if (req_init(&r, &fr, &app) != ERR_OK)
		resp_err_detail(&r, ERR_INVAL, "Invalid query string");
	else
		route_request(&r);
	check_answer(&r);
	req_free(&r);
	for (i = 0; i < n; i++)
		free(env[i]);
	free(method);
	free(path);
	free(query);
	free(ctype);
	free(io.out);
	return 0;
}
