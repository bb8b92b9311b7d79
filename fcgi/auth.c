/*
 * Authentication, exactly as the host application: a Bearer token that is
 * either an HS256 JWT (user loaded by username) or an API key (sha256 of
 * the token looked up in api_keys).  Tokens are never logged.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "extern.h"
#include "hex.h"
#include "jwt.h"
#include "log.h"

#define TOKEN_MAX	8192

/* Answers a failed user lookup: notfound when there is no such user,
 * else the error's own answer (503 for the database).  Returns the
 * status. */
static int
auth_lookup_failed(struct req *r, enum err e, enum ans notfound)
{

	if (e == ERR_NOTFOUND)
		resp_ans(r, notfound);
	else
		resp_err(r, e);
	return r->status;
}

/* Answers the refusal a; returns its status. */
static int
auth_refuse(struct req *r, enum ans a)
{

	resp_ans(r, a);
	return r->status;
}

/* Loads the user named by the JWT's subject, with the list's collections
 * in the same round trip when the route wants them. */
static enum err
auth_load_user(struct req *r, const char *username)
{
	const char *const	*ids;
	size_t			 n;
	enum err		 e;

	if (!r->want_cols)
		return db_user_by_name(r->app->db, username, &r->user);
	ids = list_embedding_ids(r->app, &n);
	e = db_user_with_collections(r->app->db, username, ids, n, &r->user,
	    &r->cols);
	r->have_cols = e == ERR_OK;
	return e;
}

static int
auth_jwt(struct req *r, const char *token)
{
	char		 sub[DB_USERNAME_MAX];
	enum jwt_result	 jr;
	enum err	 e;

	jr = jwt_verify(token, r->app->cfg->jwt_secret, time(NULL), sub,
	    sizeof(sub));
	if (jr != JWT_OK) {
		log_info("cid=%s auth=jwt rejected: %s", r->cid,
		    jwt_result_str(jr));
		return auth_refuse(r, ANS_BAD_CREDENTIALS);
	}
	r->auth_kind = "jwt";
	if ((e = auth_load_user(r, sub)) != ERR_OK)
		return auth_lookup_failed(r, e, ANS_USER_NOT_FOUND);
	if (!r->user.is_active)
		return auth_refuse(r, ANS_INACTIVE_USER);
	return 0;
}

static int
auth_api_key(struct req *r, const char *token)
{
	char		 hash[65];
	enum err	 e;

	r->auth_kind = "api_key";
	hex_sha256(token, strlen(token), hash);
	if ((e = db_user_by_api_key(r->app->db, hash, &r->user)) != ERR_OK)
		return auth_lookup_failed(r, e, ANS_BAD_API_KEY);
	return 0;
}

/*
 * Authenticates r from its Authorization header.  Returns 0 with r->user
 * set, or the status of the error response already written.
 */
int
auth_check(struct req *r)
{
	const char	*h = req_header(r, "HTTP_AUTHORIZATION");
	const char	*sp, *token;

	/* FastAPI's HTTPBearer: scheme, " ", credentials (partition). */
	if (h == NULL || (sp = strchr(h, ' ')) == NULL || sp == h ||
	    sp[1] == '\0')
		return auth_refuse(r, ANS_NOT_AUTHENTICATED);
	token = sp + 1;
	if ((size_t)(sp - h) != 6 || strncasecmp(h, "bearer", 6) != 0 ||
	    strlen(token) > TOKEN_MAX)
		return auth_refuse(r, ANS_BAD_CREDENTIALS);
	/* The scrape token reads the metrics, without the database, and is
	 * refused everywhere else. */
	if (obs_is_scrape_token(r->app, token)) {
		if (strcmp(r->endpoint, "metrics") != 0)
			return auth_refuse(r, ANS_BAD_CREDENTIALS);
		r->scrape = 1;
		return 0;
	}
	return jwt_looks_like(token) ? auth_jwt(r, token) :
	    auth_api_key(r, token);
}
