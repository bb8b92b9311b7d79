/*
 * HS256 JSON Web Tokens (see jwt.h), checked the way the host
 * application's PyJWT does with algorithms=["HS256"] and no leeway:
 * split, header, alg, signature, payload, then the claims.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>

#include "jwt.h"
#include "valid.h"

#define JWT_MAXLEN	8192	/* longer tokens are JWT_MALFORMED */
#define JWT_SIGLEN	32	/* HMAC-SHA256 */

static const char *const jwt_strs[JWT__MAX] = {
	"valid",				/* JWT_OK */
	"malformed token",			/* JWT_MALFORMED */
	"algorithm not allowed",		/* JWT_BAD_ALG */
	"signature verification failed",	/* JWT_BAD_SIG */
	"missing or invalid exp claim",		/* JWT_NO_EXP */
	"token has expired",			/* JWT_EXPIRED */
	"token is not yet valid",		/* JWT_NOT_YET */
	"token type is not access",		/* JWT_BAD_TYPE */
	"missing or invalid sub claim",		/* JWT_NO_SUB */
	"critical header extension not understood", /* JWT_CRIT */
	"iat claim is not an integer",		/* JWT_BAD_IAT */
	"token issued in the future",		/* JWT_IAT_FUTURE */
	"unexpected audience claim",		/* JWT_BAD_AUD */
	"jti claim is not a string",		/* JWT_BAD_JTI */
};

/* Python's int() digit limit (sys.get_int_max_str_digits()). */
#define PYINT_DIGITS_MAX	4300

/*
 * The first code point of each run of ten decimal digits (Unicode 14,
 * Python 3.11's unicodedata.decimal): int() reads "\u0663" as 3.
 */
static const unsigned long pyint_zeros[] = {
	0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6,
	0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090,
	0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0,
	0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50,
	0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136,
	0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730,
	0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0,
	0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140,
	0x1e2f0, 0x1e950, 0x1fbf0,
};

/* The white space int() strips around a number (not U+001C..U+001F). */
static const unsigned long pyint_spaces[] = {
	0x9, 0xa, 0xb, 0xc, 0xd, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
	0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009,
	0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
};

static const char	 b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *
jwt_result_str(enum jwt_result r)
{

	if ((unsigned)r >= JWT__MAX)
		return "unknown result";
	return jwt_strs[r];
}

int
jwt_looks_like(const char *token)
{
	const char	*p;
	int		 dots = 0;

	for (p = token; (p = strchr(p, '.')) != NULL; p++)
		dots++;
	return dots == 2;
}

static int
b64url_val(unsigned char c)
{

	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decodes len characters of unpadded base64url.  Returns a malloc'd,
 * NUL-terminated buffer (its length in *outlen) or NULL on a character
 * outside the alphabet (padding included), an impossible length or OOM.
 * Unused trailing bits are ignored, as Python's decoder does.
 */
static unsigned char *
b64url_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char	*out;
	unsigned	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0, v;

	if (len % 4 == 1 || (out = malloc(len / 4 * 3 + 3)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if ((v = b64url_val((unsigned char)in[i])) == -1) {
			free(out);
			return NULL;
		}
		acc = ((acc << 6) | (unsigned)v) & 0xffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Unpadded base64url of len bytes; malloc'd, NULL on OOM. */
static char *
b64url_encode(const unsigned char *in, size_t len)
{
	char		*out;
	unsigned	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0;

	if ((out = malloc(len / 3 * 4 + 5)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		acc = ((acc << 8) | in[i]) & 0xffff;
		for (bits += 8; bits >= 6; bits -= 6)
			out[o++] = b64url_alphabet[(acc >> (bits - 6)) & 0x3f];
	}
	if (bits > 0)
		out[o++] = b64url_alphabet[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
	return out;
}

/*
 * 1 if the JSON text holds the escape \u0000: cJSON would cut the string
 * there, so "ab\u0000cd" would silently read as "ab".  Escaped
 * backslashes are skipped so "\\u0000" (a literal text) is not caught.
 */
static int
json_has_nul_escape(const unsigned char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < len &&
		    memcmp(s + i + 2, "0000", 4) == 0)
			return 1;
		i++;
	}
	return 0;
}

/*
 * Decodes one token part into a JSON object: strict UTF-8, nothing after
 * the value.  Returns the object (free with cJSON_Delete) or NULL.
 */
static cJSON *
jwt_part_json(const char *part, size_t len)
{
	unsigned char	*raw;
	cJSON		*obj = NULL;
	size_t		 rawlen;

	if ((raw = b64url_decode(part, len, &rawlen)) == NULL)
		return NULL;
	if (valid_utf8((const char *)raw, rawlen) == 0 &&
	    !json_has_nul_escape(raw, rawlen))
		obj = cJSON_ParseWithLengthOpts((const char *)raw, rawlen + 1,
		    NULL, 1);
	free(raw);
	if (obj != NULL && !cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		obj = NULL;
	}
	return obj;
}

/*
 * The member called name, case-sensitively.  cJSON keeps duplicate keys
 * and cJSON_GetObjectItemCaseSensitive returns the first; Python's json
 * (hence the issuer and the reference) keeps the last, so we do too.
 */
static const cJSON *
jwt_claim(const cJSON *obj, const char *name)
{
	const cJSON	*it, *last = NULL;

	cJSON_ArrayForEach(it, obj)
		if (it->string != NULL && strcmp(it->string, name) == 0)
			last = it;
	return last;
}

/* A new HMAC-SHA256 context keyed with secret (EVP_MAC_CTX_free it), or
 * NULL. */
static EVP_MAC_CTX *
jwt_key_new(const char *secret)
{
	static char		 digest[] = "SHA256";
	static EVP_MAC		*hmac;
	OSSL_PARAM		 params[2];
	EVP_MAC_CTX		*c;

	if (hmac == NULL && (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((c = EVP_MAC_CTX_new(hmac)) == NULL)
		return NULL;
	if (EVP_MAC_init(c, (const unsigned char *)secret, strlen(secret),
	    params) != 1) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	return c;
}

/*
 * The context keyed with secret, made once per secret and kept with a
 * copy of the secret (wiped when replaced): HMAC() looks the algorithms
 * up and sets the key up again on every call, a tenth of a list request's
 * time in a responder.  Borrowed; NULL on failure.
 */
static EVP_MAC_CTX *
jwt_keyed(const char *secret)
{
	static EVP_MAC_CTX	*keyed;
	static char		*keyed_secret;
	EVP_MAC_CTX		*c;

	if (keyed != NULL && strcmp(keyed_secret, secret) == 0)
		return keyed;
	if ((c = jwt_key_new(secret)) == NULL)
		return NULL;
	EVP_MAC_CTX_free(keyed);
	if (keyed_secret != NULL)
		OPENSSL_clear_free(keyed_secret, strlen(keyed_secret));
	keyed = c;
	if ((keyed_secret = OPENSSL_strdup(secret)) == NULL) {
		EVP_MAC_CTX_free(keyed);
		keyed = NULL;
	}
	return keyed;
}

/* HMAC-SHA256 of len bytes of data under secret into mac: 0, or -1. */
static int
jwt_hmac(const char *secret, const char *data, size_t len,
    unsigned char mac[JWT_SIGLEN])
{
	EVP_MAC_CTX	*keyed, *c;
	size_t		 outl = 0;
	int		 ok;

	if ((keyed = jwt_keyed(secret)) == NULL)
		return -1;
	c = EVP_MAC_CTX_dup(keyed);
	ok = c != NULL && EVP_MAC_update(c, (const unsigned char *)data,
	    len) == 1 && EVP_MAC_final(c, mac, &outl, JWT_SIGLEN) == 1 &&
	    outl == JWT_SIGLEN;
	EVP_MAC_CTX_free(c);
	return ok ? 0 : -1;
}

/*
 * The header: alg exactly "HS256"; no "crit" (we understand no extension,
 * whatever it names); "b64": false is PyJWT's detached payload, which it
 * refuses without one.
 */
static enum jwt_result
jwt_check_header(const cJSON *hdr)
{
	const cJSON	*alg;

	alg = jwt_claim(hdr, "alg");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0)
		return JWT_BAD_ALG;
	if (jwt_claim(hdr, "crit") != NULL)
		return JWT_CRIT;
	if (cJSON_IsFalse(jwt_claim(hdr, "b64")))
		return JWT_MALFORMED;
	return JWT_OK;
}

/* token is "<h>.<p>.<s>" and sig points at the second dot. */
static enum jwt_result
jwt_check_sig(const char *token, const char *sig, const char *secret)
{
	unsigned char	 mac[JWT_SIGLEN], *got;
	size_t		 gotlen;
	enum jwt_result	 r = JWT_BAD_SIG;

	if ((got = b64url_decode(sig + 1, strlen(sig + 1), &gotlen)) == NULL)
		return JWT_MALFORMED;
	if (gotlen == JWT_SIGLEN &&
	    jwt_hmac(secret, token, (size_t)(sig - token), mac) == 0 &&
	    CRYPTO_memcmp(mac, got, JWT_SIGLEN) == 0)
		r = JWT_OK;
	OPENSSL_cleanse(mac, sizeof(mac));
	free(got);
	return r;
}

/*
 * A NumericDate as PyJWT reads it, int(value): finite numbers only,
 * truncated toward zero.  Strings, booleans and null are refused.
 */
static int
jwt_numeric_date(const cJSON *item, double *out)
{

	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
		return -1;
	*out = trunc(item->valuedouble);
	return 0;
}

/* The code point at *p (valid UTF-8, as every decoded part is); moves *p
 * past it. */
static unsigned long
utf8_next(const unsigned char **p)
{
	const unsigned char	*s = *p;
	unsigned long		 c;
	int			 n, i;

	n = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	c = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (i = 1; i < n; i++)
		c = (c << 6) | (s[i] & 0x3f);
	*p = s + n;
	return c;
}

/* What int() makes of code point c: its digit, ' ' for white space,
 * c itself for '+', '-' and '_', or -1 for anything else. */
static int
pyint_char(unsigned long c)
{
	size_t	 i;

	for (i = 0; i < sizeof(pyint_zeros) / sizeof(pyint_zeros[0]); i++)
		if (c >= pyint_zeros[i] && c < pyint_zeros[i] + 10)
			return '0' + (int)(c - pyint_zeros[i]);
	for (i = 0; i < sizeof(pyint_spaces) / sizeof(pyint_spaces[0]); i++)
		if (c == pyint_spaces[i])
			return ' ';
	return c == '+' || c == '-' || c == '_' ? (int)c : -1;
}

/*
 * s as int() sees it: each code point through pyint_char, into a
 * malloc'd ASCII string the caller frees; NULL when a code point is none
 * of those (ValueError) or on out-of-memory.
 */
static char *
pyint_ascii(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *o;
	int			 c;

	if ((out = o = malloc(strlen(s) + 1)) == NULL)
		return NULL;
	while (*p != '\0') {
		if ((c = pyint_char(utf8_next(&p))) == -1) {
			free(out);
			return NULL;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

/*
 * Decimal digits with single underscores between them, from *s on, as
 * int() reads them (PYINT_DIGITS_MAX at most); their value (+inf past a
 * double) in *v, *s moved past them.  -1 when there are none or too many.
 */
static int
pyint_digits(const char **s, double *v)
{
	const char	*p = *s;
	size_t		 n = 0;

	for (*v = 0; *p >= '0' && *p <= '9'; p++) {
		*v = *v * 10 + (*p - '0');
		n++;
		if (p[1] == '_' && p[2] >= '0' && p[2] <= '9')
			p++;
	}
	*s = p;
	return n == 0 || n > PYINT_DIGITS_MAX ? -1 : 0;
}

/*
 * int(s) for a str, as Python 3.11 reads it: white space around, an
 * optional sign, then pyint_digits.  The value in *out; -1 when int()
 * raises ValueError.
 */
static int
pyint_str(const char *str, double *out)
{
	char		*a;
	const char	*s;
	double		 sign = 1, v;
	int		 rc = -1;

	if ((a = pyint_ascii(str)) == NULL)
		return -1;
	for (s = a; *s == ' '; s++)
		;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (pyint_digits(&s, &v) == 0) {
		while (*s == ' ')
			s++;
		if (*s == '\0') {
			*out = sign * v;
			rc = 0;
		}
	}
	free(a);
	return rc;
}

/*
 * int(value) for a JSON value, as PyJWT reads iat: a number truncated
 * toward zero, a boolean as 0 or 1, a string as pyint_str; null, arrays
 * and objects raise TypeError.  One difference: a number beyond a double
 * (1e400, or an integer of 400 digits) is refused, where Python takes a
 * negative integer of that size.  0, or -1 when PyJWT refuses it.
 */
static int
jwt_pyint(const cJSON *item, double *out)
{

	if (cJSON_IsBool(item)) {
		*out = cJSON_IsTrue(item) ? 1 : 0;
		return 0;
	}
	if (cJSON_IsString(item))
		return pyint_str(item->valuestring, out);
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
		return -1;
	*out = trunc(item->valuedouble);
	return 0;
}

/* Python's truth value of a JSON value (absent: false). */
static int
json_truthy(const cJSON *v)
{

	if (v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v))
		return 0;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child != NULL;
	return 1;
}

/*
 * The claims PyJWT checks besides exp and nbf, with no audience
 * configured: an iat it cannot read or that lies in the future (no
 * leeway), an aud that is not empty, a jti that is not a string.
 */
static enum jwt_result
jwt_check_pyjwt(const cJSON *claims, time_t now)
{
	const cJSON	*iat, *jti;
	double		 t;

	if ((iat = jwt_claim(claims, "iat")) != NULL) {
		if (jwt_pyint(iat, &t) == -1)
			return JWT_BAD_IAT;
		if (t > (double)now)
			return JWT_IAT_FUTURE;
	}
	if (json_truthy(jwt_claim(claims, "aud")))
		return JWT_BAD_AUD;
	if ((jti = jwt_claim(claims, "jti")) != NULL && !cJSON_IsString(jti))
		return JWT_BAD_JTI;
	return JWT_OK;
}

static enum jwt_result
jwt_check_times(const cJSON *claims, time_t now)
{
	const cJSON	*nbf;
	double		 t;

	if (jwt_numeric_date(jwt_claim(claims, "exp"), &t) == -1)
		return JWT_NO_EXP;
	if (t <= (double)now)
		return JWT_EXPIRED;
	if ((nbf = jwt_claim(claims, "nbf")) != NULL) {
		/* PyJWT: a non-integer nbf is a DecodeError. */
		if (jwt_numeric_date(nbf, &t) == -1)
			return JWT_MALFORMED;
		if (t > (double)now)
			return JWT_NOT_YET;
	}
	return JWT_OK;
}

static enum jwt_result
jwt_check_claims(const cJSON *claims, time_t now, char *sub, size_t sublen)
{
	const cJSON	*type, *s;
	enum jwt_result	 r;
	size_t		 len;

	if ((r = jwt_check_pyjwt(claims, now)) != JWT_OK ||
	    (r = jwt_check_times(claims, now)) != JWT_OK)
		return r;
	type = jwt_claim(claims, "type");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "access") != 0)
		return JWT_BAD_TYPE;
	s = jwt_claim(claims, "sub");
	if (!cJSON_IsString(s) || (len = strlen(s->valuestring)) == 0 ||
	    len >= sublen)
		return JWT_NO_SUB;
	memcpy(sub, s->valuestring, len + 1);
	return JWT_OK;
}

enum jwt_result
jwt_verify(const char *token, const char *secret, time_t now, char *sub,
    size_t sublen)
{
	cJSON		*hdr = NULL, *claims = NULL;
	const char	*d1, *d2;
	enum jwt_result	 r = JWT_MALFORMED;

	assert(token != NULL && secret != NULL && sub != NULL);
	if (sublen > 0)
		sub[0] = '\0';
	if (strnlen(token, JWT_MAXLEN + 1) > JWT_MAXLEN ||
	    !jwt_looks_like(token))
		goto out;
	d1 = strchr(token, '.');
	d2 = strchr(d1 + 1, '.');
	if ((hdr = jwt_part_json(token, (size_t)(d1 - token))) == NULL)
		goto out;
	if ((r = jwt_check_header(hdr)) != JWT_OK ||
	    (r = jwt_check_sig(token, d2, secret)) != JWT_OK)
		goto out;
	if ((claims = jwt_part_json(d1 + 1, (size_t)(d2 - d1 - 1))) == NULL) {
		r = JWT_MALFORMED;
		goto out;
	}
	r = jwt_check_claims(claims, now, sub, sublen);
out:
	cJSON_Delete(claims);
	cJSON_Delete(hdr);
	return r;
}

/* Unformatted JSON of obj, base64url-encoded; malloc'd or NULL. */
static char *
jwt_encode_json(const cJSON *obj)
{
	char	*json, *enc;

	if ((json = cJSON_PrintUnformatted(obj)) == NULL)
		return NULL;
	enc = b64url_encode((const unsigned char *)json, strlen(json));
	cJSON_free(json);
	return enc;
}

/* The header and claims of an access token, encoded, into *h and *c. */
static int
jwt_build(const char *sub, time_t iat, time_t exp, char **h, char **c)
{
	cJSON	*hdr = NULL, *claims = NULL;
	int	 rc = -1;

	if ((hdr = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(hdr, "alg", "HS256") == NULL ||
	    cJSON_AddStringToObject(hdr, "typ", "JWT") == NULL)
		goto out;
	if ((claims = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(claims, "sub", sub) == NULL ||
	    cJSON_AddNumberToObject(claims, "exp", (double)exp) == NULL ||
	    cJSON_AddNumberToObject(claims, "iat", (double)iat) == NULL ||
	    cJSON_AddStringToObject(claims, "type", "access") == NULL)
		goto out;
	if ((*h = jwt_encode_json(hdr)) == NULL)
		goto out;
	if ((*c = jwt_encode_json(claims)) == NULL) {
		free(*h);
		*h = NULL;
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(claims);
	cJSON_Delete(hdr);
	return rc;
}

/* "<h>.<c>.<signature>" signed under secret; malloc'd, or NULL. */
static char *
jwt_join_signed(const char *secret, const char *h, const char *c)
{
	unsigned char	 mac[JWT_SIGLEN];
	char		*tok, *s;
	size_t		 hl = strlen(h), cl = strlen(c);

	/* Room for "<h>.<c>.<43-char signature>". */
	if ((tok = malloc(hl + cl + 2 + 44)) == NULL)
		return NULL;
	memcpy(tok, h, hl);
	tok[hl] = '.';
	memcpy(tok + hl + 1, c, cl);
	if (jwt_hmac(secret, tok, hl + 1 + cl, mac) == -1 ||
	    (s = b64url_encode(mac, sizeof(mac))) == NULL) {
		free(tok);
		return NULL;
	}
	tok[hl + 1 + cl] = '.';
	memcpy(tok + hl + cl + 2, s, strlen(s) + 1);
	free(s);
	return tok;
}

char *
jwt_sign(const char *secret, const char *sub, time_t iat, time_t exp)
{
	char	*h = NULL, *c = NULL, *tok = NULL;

	if (secret != NULL && sub != NULL &&
	    jwt_build(sub, iat, exp, &h, &c) == 0)
		tok = jwt_join_signed(secret, h, c);
	free(c);
	free(h);
	return tok;
}
