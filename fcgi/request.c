/*
 * The typed request: method, path, query, correlation id and body, taken
 * from the FastCGI parameters nginx sends.
 */
#include <sys/random.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "hex.h"
#include "log.h"
#include "num.h"

/* The FastCGI parameter cgi_name ("HTTP_AUTHORIZATION"), or NULL; valid
 * until the request is finished. */
const char *
req_header(const struct req *r, const char *cgi_name)
{

	return FCGX_GetParam(cgi_name, r->fcgi->envp);
}

/* 32 random hex digits, like nginx's $request_id. */
static void
cid_generate(char *out, size_t len)
{
	unsigned char	 rnd[16];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	hex_encode(rnd, len > 2 * sizeof(rnd) ? sizeof(rnd) : (len - 1) / 2,
	    out);
}

/*
 * Fills r from the FastCGI request: method, path, correlation id (the
 * client's when valid, else a new one) and the parsed query.  Returns
 * ERR_OK, or ERR_INVAL for a query string that does not parse (r is then
 * still fit to answer and to req_free).
 */
enum err
req_init(struct req *r, FCGX_Request *fcgi, struct app *app)
{
	const char	*cid, *qs;

	memset(r, 0, sizeof(*r));
	r->fcgi = fcgi;
	r->app = app;
	r->endpoint = "none";
	if ((r->method = req_header(r, "REQUEST_METHOD")) == NULL)
		r->method = "";
	if ((r->path = req_header(r, "DOCUMENT_URI")) == NULL &&
	    (r->path = req_header(r, "SCRIPT_NAME")) == NULL)
		r->path = "";
	cid = req_header(r, "HTTP_X_CORRELATION_ID");
	if (cid != NULL && valid_correlation_id(cid) == 0)
		snprintf(r->cid, sizeof(r->cid), "%s", cid);
	else
		cid_generate(r->cid, sizeof(r->cid));
	qs = req_header(r, "QUERY_STRING");
	if (query_parse(qs, QUERY_PARAMS_MAX, &r->query) == -1)
		return ERR_INVAL;
	return ERR_OK;
}

/* Frees what r owns (query, body, JSON, collections); r stays
 * reusable. */
void
req_free(struct req *r)
{

	query_free(&r->query);
	free(r->body);
	cJSON_Delete(r->json);
	db_collections_free(&r->cols);
	cJSON_Delete(r->note.warnings);
	r->note.warnings = NULL;
	cJSON_Delete(r->note.change);
	r->note.change = NULL;
	r->body = NULL;
	r->json = NULL;
}

/*
 * Reads the body announced by CONTENT_LENGTH into r->body (NUL-terminated)
 * and r->bodylen.  Returns ERR_OK; ERR_TOOBIG past BODY_MAX; ERR_INVAL on
 * a malformed length or a short body; ERR_NOMEM.
 */
enum err
req_read_body(struct req *r)
{
	const char	*cl = req_header(r, "CONTENT_LENGTH");
	long long	 len = 0;
	int		 got;

	if (cl != NULL && *cl != '\0' &&
	    num_parse(cl, 0, LLONG_MAX, &len, NULL) == -1)
		return ERR_INVAL;
	if (len > BODY_MAX)
		return ERR_TOOBIG;
	if ((r->body = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	got = len ? FCGX_GetStr(r->body, (int)len, r->fcgi->in) : 0;
	if (got < 0 || got != len)
		return ERR_INVAL;
	r->body[len] = '\0';
	r->bodylen = len;
	return ERR_OK;
}
