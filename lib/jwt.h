#ifndef MM_JWT_H
#define MM_JWT_H

#include <stddef.h>
#include <time.h>

/*
 * HS256 JSON Web Tokens as the host application issues them:
 * header {"alg":"HS256","typ":"JWT"}, claims {"sub": username,
 * "exp": epoch, "type": "access", ...}.  Only HS256 is accepted.  The
 * verdicts are PyJWT 2.10's (jwt.decode with algorithms=["HS256"], no
 * audience, no leeway), plus ours: exp, type and sub are required, and a
 * "crit" header is refused.
 */

enum jwt_result {
	JWT_OK = 0,
	JWT_MALFORMED,	/* not three base64url parts of JSON objects */
	JWT_BAD_ALG,	/* alg missing, "none" or anything but HS256 */
	JWT_BAD_SIG,	/* signature does not verify */
	JWT_NO_EXP,	/* exp missing or not a number */
	JWT_EXPIRED,	/* now >= exp (no leeway) */
	JWT_NOT_YET,	/* nbf present and now < nbf */
	JWT_BAD_TYPE,	/* claim "type" is not "access" */
	JWT_NO_SUB,	/* sub missing, not a string, or empty */
	JWT_CRIT,	/* a "crit" header: no extension is understood */
	JWT_BAD_IAT,	/* iat that Python's int() cannot read */
	JWT_IAT_FUTURE,	/* now < iat (no leeway) */
	JWT_BAD_AUD,	/* an aud claim (none is configured) */
	JWT_BAD_JTI,	/* jti present but not a string */
	JWT__MAX
};

/* Static description of r; never NULL. */
const char	*jwt_result_str(enum jwt_result r);

/* 1 if token has exactly two dots (then it is treated as a JWT), else 0. */
int		 jwt_looks_like(const char *token);

/*
 * Verifies token with key secret at time now.  On JWT_OK copies the sub
 * claim into sub (size sublen, NUL-terminated; a longer sub is
 * JWT_NO_SUB).  The signature is compared in constant time and checked
 * before any claim is trusted.
 */
enum jwt_result	 jwt_verify(const char *token, const char *secret, time_t now,
		    char *sub, size_t sublen);

/*
 * Signs an access token for sub valid from iat until exp.  Returns a
 * malloc'd string the caller frees, or NULL on error.
 */
char		*jwt_sign(const char *secret, const char *sub, time_t iat,
		    time_t exp);

#endif
