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

/* Answers a lookup failure; returns the status. */
static int
auth_lookup_failed(struct req *r, enum err e, const char *notfound)
{

	if (e == ERR_NOTFOUND)
		resp_error(r, 401, notfound);
	else if (e == ERR_DB)
		resp_error(r, 503, "Database unavailable");
	else
		resp_error(r, 500, "Internal Server Error");
	return r->status;
}

static int
auth_jwt(struct req *r, const char *token)
{
	char		 sub[DB_USERNAME_MAX];
	const char	*const *ids;
	size_t		 n;
	enum jwt_result	 jr;
	enum err	 e;

	jr = jwt_verify(token, r->app->cfg->jwt_secret, time(NULL), sub,
	    sizeof(sub));
	if (jr != JWT_OK) {
		log_info("cid=%s auth=jwt rejected: %s", r->cid,
		    jwt_result_str(jr));
		resp_error(r, 401, "Invalid authentication credentials");
		return r->status;
	}
	/* The list's collections come in the same round trip. */
	if (r->want_cols && (ids = list_embedding_ids(r->app->reg, &n)) !=
	    NULL) {
		e = db_user_with_collections(r->app->db, sub, ids, n,
		    &r->user, &r->cols);
		r->have_cols = e == ERR_OK;
	} else
		e = db_user_by_name(r->app->db, sub, &r->user);
	if (e != ERR_OK)
		return auth_lookup_failed(r, e, "User not found");
	if (!r->user.is_active) {
		resp_error(r, 403, "Inactive user");
		return r->status;
	}
	return 0;
}

static int
auth_api_key(struct req *r, const char *token)
{
	char		 hash[65];
	enum err	 e;

	hex_sha256(token, strlen(token), hash);
	if ((e = db_user_by_api_key(r->app->db, hash, &r->user)) != ERR_OK)
		return auth_lookup_failed(r, e, "Invalid API key");
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
	    sp[1] == '\0') {
		resp_error(r, 401, "Not authenticated");
		return r->status;
	}
	if ((size_t)(sp - h) != 6 || strncasecmp(h, "bearer", 6) != 0) {
		resp_error(r, 401, "Invalid authentication credentials");
		return r->status;
	}
	token = sp + 1;
	if (strlen(token) > TOKEN_MAX) {
		resp_error(r, 401, "Invalid authentication credentials");
		return r->status;
	}
	return jwt_looks_like(token) ? auth_jwt(r, token) :
	    auth_api_key(r, token);
}
