/*
 * Unit tests for lib/jwt.c.  Tokens are built here from raw header and
 * claims JSON (base64url by OpenSSL's encoder, HMAC-SHA256 by HMAC()), so
 * every rejection path can be reached with an otherwise valid signature;
 * two constants were produced by PyJWT 2.6 and pin byte compatibility.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jwt.h"
#include "unit.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define KEY		"unit-test-secret"
#define NOW		((time_t)1700000000)
#define HS256		"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/*
 * PyJWT 2.6: jwt.encode({"sub": "alice", "exp": 2000000000,
 * "iat": 1700000000, "type": "access"}, "unit-test-secret", "HS256").
 */
static const char	 pyjwt_alice[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhbGljZSIsImV4cCI6MjAwMDAwMDAwMCwiaWF0IjoxNzAwMDAwMDAwLCJ0"
    "eXBlIjoiYWNjZXNzIn0."
    "xmWJ0NvIGlnVoD2r4y7j2Yw41mK_lzU6Mep6oEEdWpA";

/*
 * PyJWT 2.6, the host's claim shape: jwt.encode({"sub": "admin",
 * "exp": 1900000000, "type": "access"}, "change-me-in-production").
 */
static const char	 pyjwt_admin[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhZG1pbiIsImV4cCI6MTkwMDAwMDAwMCwidHlwZSI6ImFjY2VzcyJ9."
    "e77BiZhCvpWTmg6o-km9ycssiQYX3tOi9oifFOHR4Vs";

/* Unpadded base64url of len bytes; malloc'd. */
static char *
b64u(const void *data, size_t len)
{
	char	*out, *p;

	if ((out = malloc(len / 3 * 4 + 5)) == NULL)
		abort();
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	for (p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
	return out;
}

/* "<input>.<HS256 signature of input under key>"; malloc'd. */
static char *
sign_input(const char *input, const char *key)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	char		*s, *tok;

	if (HMAC(EVP_sha256(), key, (int)strlen(key),
	    (const unsigned char *)input, strlen(input), mac, &maclen) == NULL)
		abort();
	s = b64u(mac, maclen);
	if (asprintf(&tok, "%s.%s", input, s) == -1)
		abort();
	free(s);
	return tok;
}

/* "<b64 hdr>.<b64 claims>.<HS256 signature under key>", key NULL means
 * an empty signature.  malloc'd. */
static char *
mktoken(const char *hdr, const char *claims, const char *key)
{
	char	*h, *c, *input, *tok;

	h = b64u(hdr, strlen(hdr));
	c = b64u(claims, strlen(claims));
	if (asprintf(&input, "%s.%s", h, c) == -1)
		abort();
	if (key != NULL)
		tok = sign_input(input, key);
	else if (asprintf(&tok, "%s.", input) == -1)
		abort();
	free(h);
	free(c);
	free(input);
	return tok;
}

static void
test_result_str(void)
{
	int	 r, q;

	for (r = 0; r < JWT__MAX; r++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(jwt_result_str(r));
		CU_ASSERT(strlen(jwt_result_str(r)) > 0);
		for (q = 0; q < r; q++)
			CU_ASSERT(strcmp(jwt_result_str(r),
			    jwt_result_str(q)) != 0);
	}
	CU_ASSERT_STRING_EQUAL(jwt_result_str(JWT__MAX), "unknown result");
}

static void
test_looks_like(void)
{
	static const struct {
		const char	*in;
		int		 want;
	} cases[] = {
		{ "a.b.c", 1 }, { "..", 1 }, { "a..", 1 }, { ".b.", 1 },
		{ pyjwt_alice, 1 },
		{ "", 0 }, { "abc", 0 }, { "a.b", 0 }, { ".", 0 },
		{ "a.b.c.d", 0 }, { "...", 0 }, { "mm_0123456789abcdef", 0 },
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++)
		CU_ASSERT_EQUAL(jwt_looks_like(cases[i].in), cases[i].want);
}

static void
test_pyjwt_compat(void)
{
	char	 sub[64], *tok;

	CU_ASSERT_EQUAL(jwt_verify(pyjwt_alice, KEY, NOW, sub, sizeof(sub)),
	    JWT_OK);
	CU_ASSERT_STRING_EQUAL(sub, "alice");
	CU_ASSERT_EQUAL(jwt_verify(pyjwt_alice, KEY, 2000000000, sub,
	    sizeof(sub)), JWT_EXPIRED);
	CU_ASSERT_EQUAL(jwt_verify(pyjwt_alice, KEY, 1999999999, sub,
	    sizeof(sub)), JWT_OK);
	CU_ASSERT_EQUAL(jwt_verify(pyjwt_admin, "change-me-in-production",
	    NOW, sub, sizeof(sub)), JWT_OK);
	CU_ASSERT_STRING_EQUAL(sub, "admin");
	CU_ASSERT_EQUAL(jwt_verify(pyjwt_admin, KEY, NOW, sub, sizeof(sub)),
	    JWT_BAD_SIG);
	CU_ASSERT_STRING_EQUAL(sub, "");

	/* Signing the same claims gives PyJWT's bytes exactly. */
	tok = jwt_sign(KEY, "alice", 1700000000, 2000000000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	CU_ASSERT_STRING_EQUAL(tok, pyjwt_alice);
	free(tok);
}

static void
test_sign_roundtrip(void)
{
	static const char *const subs[] = { "alice", "a", "user@example.com",
	    "J\xc3\xbcrgen", "with \"quotes\" and \\", "tab\there" };
	char	 sub[64], *tok;
	size_t	 i;

	for (i = 0; i < NELEM(subs); i++) {
		tok = jwt_sign(KEY, subs[i], NOW, NOW + 3600);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
		CU_ASSERT_EQUAL(jwt_looks_like(tok), 1);
		CU_ASSERT_PTR_NULL(strchr(tok, '='));
		CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, sub, sizeof(sub)),
		    JWT_OK);
		CU_ASSERT_STRING_EQUAL(sub, subs[i]);
		CU_ASSERT_EQUAL(jwt_verify(tok, "other", NOW, sub, sizeof(sub)),
		    JWT_BAD_SIG);
		CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW + 3600, sub,
		    sizeof(sub)), JWT_EXPIRED);
		free(tok);
	}
	/* An exp beyond 2038 and INT_MAX survives cJSON's printer. */
	tok = jwt_sign(KEY, "alice", NOW, (time_t)4102444800);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY, (time_t)4102444799, sub,
	    sizeof(sub)), JWT_OK);
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY, (time_t)4102444800, sub,
	    sizeof(sub)), JWT_EXPIRED);
	free(tok);
	CU_ASSERT_PTR_NULL(jwt_sign(KEY, NULL, NOW, NOW + 1));
}

/* Header and claims JSON signed with KEY, verified at NOW. */
static const struct {
	const char	*hdr;
	const char	*claims;
	enum jwt_result	 want;
	const char	*sub;
} claim_cases[] = {
	/* The good token, and header variants that stay acceptable. */
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_OK, "alice" },
	{ "{\"alg\":\"HS256\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_OK, "alice" },
	{ " {\"typ\":\"JWT\", \"alg\":\"HS256\"} ",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_OK, "alice" },
	/* Algorithms: only exactly "HS256". */
	{ "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"alg\":\"HS384\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"alg\":\"hs256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"alg\":\"HS256 \"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"typ\":\"JWT\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"ALG\":\"HS256\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"alg\":null}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"alg\":[\"HS256\"]}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	/* Duplicate keys: the last one wins, as in Python's json. */
	{ "{\"alg\":\"HS256\",\"alg\":\"none\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_BAD_ALG, "" },
	{ "{\"alg\":\"none\",\"alg\":\"HS256\"}",
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_OK, "alice" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\","
	    "\"type\":\"refresh\"}", JWT_BAD_TYPE, "" },
	{ HS256, "{\"sub\":\"mallory\",\"exp\":1700003600,\"type\":\"access\","
	    "\"sub\":\"alice\"}", JWT_OK, "alice" },
	/* exp: required, a number, expired when exp <= now. */
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700000000,\"type\":\"access\"}",
	    JWT_EXPIRED, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700000001,\"type\":\"access\"}",
	    JWT_OK, "alice" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1600000000,\"type\":\"access\"}",
	    JWT_EXPIRED, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700000000.9,\"type\":\"access\"}",
	    JWT_EXPIRED, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700000001.5,\"type\":\"access\"}",
	    JWT_OK, "alice" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1.7000036e9,\"type\":\"access\"}",
	    JWT_OK, "alice" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":-1,\"type\":\"access\"}",
	    JWT_EXPIRED, "" },
	{ HS256, "{\"sub\":\"alice\",\"type\":\"access\"}", JWT_NO_EXP, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":\"1700003600\",\"type\":\"access\"}",
	    JWT_NO_EXP, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":null,\"type\":\"access\"}",
	    JWT_NO_EXP, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":true,\"type\":\"access\"}",
	    JWT_NO_EXP, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":[1700003600],\"type\":\"access\"}",
	    JWT_NO_EXP, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1e999,\"type\":\"access\"}",
	    JWT_NO_EXP, "" },
	{ HS256, "{\"sub\":\"alice\",\"EXP\":1700003600,\"type\":\"access\"}",
	    JWT_NO_EXP, "" },
	/* nbf: honoured when present, not yet valid when nbf > now. */
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":1700000001,"
	    "\"type\":\"access\"}", JWT_NOT_YET, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":1700000000,"
	    "\"type\":\"access\"}", JWT_OK, "alice" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":1600000000,"
	    "\"type\":\"access\"}", JWT_OK, "alice" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"nbf\":\"soon\","
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	/* An expired token is expired whatever its nbf. */
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700000000,\"nbf\":1700000001,"
	    "\"type\":\"access\"}", JWT_EXPIRED, "" },
	/* type must be the string "access". */
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"refresh\"}",
	    JWT_BAD_TYPE, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600}", JWT_BAD_TYPE, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"Access\"}",
	    JWT_BAD_TYPE, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":null}",
	    JWT_BAD_TYPE, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":[\"access\"]}",
	    JWT_BAD_TYPE, "" },
	/* sub: a non-empty string. */
	{ HS256, "{\"exp\":1700003600,\"type\":\"access\"}", JWT_NO_SUB, "" },
	{ HS256, "{\"sub\":\"\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_NO_SUB, "" },
	{ HS256, "{\"sub\":42,\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_NO_SUB, "" },
	{ HS256, "{\"sub\":null,\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_NO_SUB, "" },
	{ HS256, "{\"sub\":{\"name\":\"alice\"},\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_NO_SUB, "" },
	{ HS256, "{\"sub\":\"\\u0061lice\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_OK, "alice" },
	/* A literal backslash-u0000 text is fine; an escaped NUL is not. */
	{ HS256, "{\"sub\":\"a\\\\u0000\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_OK, "a\\u0000" },
	{ HS256, "{\"sub\":\"alice\\u0000admin\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	/* Header and claims must be JSON objects and nothing more. */
	{ "{\"alg\":\"HS256\"", "{\"sub\":\"alice\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	{ "not json", "{\"sub\":\"alice\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	{ "[\"HS256\"]", "{\"sub\":\"alice\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	{ "\"HS256\"", "{\"sub\":\"alice\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	{ HS256 "x", "{\"sub\":\"alice\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	{ HS256 "{}", "{\"sub\":\"alice\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	{ "", "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}",
	    JWT_MALFORMED, "" },
	{ "{\"alg\":\"HS256\",\"x\":\"\xff\"}", "{\"sub\":\"alice\","
	    "\"exp\":1700003600,\"type\":\"access\"}", JWT_MALFORMED, "" },
	{ HS256, "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}"
	    " garbage", JWT_MALFORMED, "" },
	{ HS256, "[{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}]",
	    JWT_MALFORMED, "" },
	{ HS256, "1700003600", JWT_MALFORMED, "" },
	{ HS256, "", JWT_MALFORMED, "" },
	{ HS256, "{\"sub\":\"al\xff\xfeice\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
	{ HS256, "{\"sub\":\"\xed\xa0\x80\",\"exp\":1700003600,"
	    "\"type\":\"access\"}", JWT_MALFORMED, "" },
};

static void
test_claims(void)
{
	char		 sub[64], *tok;
	enum jwt_result	 r;
	size_t		 i;

	for (i = 0; i < NELEM(claim_cases); i++) {
		tok = mktoken(claim_cases[i].hdr, claim_cases[i].claims, KEY);
		strcpy(sub, "untouched");
		r = jwt_verify(tok, KEY, NOW, sub, sizeof(sub));
		CU_ASSERT_EQUAL(r, claim_cases[i].want);
		CU_ASSERT_STRING_EQUAL(sub, claim_cases[i].sub);
		if (r != claim_cases[i].want)
			fprintf(stderr, "jwt case %zu: %s\n", i,
			    jwt_result_str(r));
		free(tok);
	}
}

static void
test_alg_none(void)
{
	static const char	*claims =
	    "{\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\"}";
	static const char *const hdrs[] = {
	    "{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"alg\":\"none\"}",
	    "{\"alg\":\"None\"}", "{\"alg\":\"\"}", "{}", HS256 };
	char	 sub[64], *tok;
	size_t	 i;

	/* Without a signature: refused for its algorithm, or (HS256, last)
	 * because there is no signature. */
	for (i = 0; i < NELEM(hdrs); i++) {
		tok = mktoken(hdrs[i], claims, NULL);
		CU_ASSERT_EQUAL(tok[strlen(tok) - 1], '.');
		CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, sub, sizeof(sub)),
		    i + 1 < NELEM(hdrs) ? JWT_BAD_ALG : JWT_BAD_SIG);
		free(tok);
	}
	/* With a signature made by the right key, still refused. */
	tok = mktoken(hdrs[0], claims, KEY);
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, sub, sizeof(sub)),
	    JWT_BAD_ALG);
	free(tok);
	/* An empty key does not make an empty signature acceptable. */
	tok = mktoken(HS256, claims, NULL);
	CU_ASSERT_EQUAL(jwt_verify(tok, "", NOW, sub, sizeof(sub)),
	    JWT_BAD_SIG);
	free(tok);
}

/* Replaces c by the base64url character 32 places away: this flips the
 * most significant of its six bits, which always carries data. */
static char
b64_flip(char c)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const char		*p;

	if ((p = strchr(a, c)) == NULL || c == '\0')
		abort();
	return a[(p - a) ^ 0x20];
}

static void
test_bad_signature(void)
{
	char		 sub[64], *tok, *bad;
	const char	*d1, *d2;
	enum jwt_result	 r;
	size_t		 i, len;

	tok = jwt_sign(KEY, "alice", NOW, NOW + 3600);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	len = strlen(tok);
	d1 = strchr(tok, '.');
	d2 = strrchr(tok, '.');
	CU_ASSERT_EQUAL(jwt_verify(tok, "unit-test-secreT", NOW, sub,
	    sizeof(sub)), JWT_BAD_SIG);
	CU_ASSERT_EQUAL(jwt_verify(tok, "", NOW, sub, sizeof(sub)),
	    JWT_BAD_SIG);
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY "x", NOW, sub, sizeof(sub)),
	    JWT_BAD_SIG);
	/* Every single-character change is refused.  In the payload and
	 * the signature it is a bad signature; in the header it may also
	 * break the JSON or the alg first. */
	if ((bad = strdup(tok)) == NULL)
		abort();
	for (i = 0; i < len; i++) {
		if (tok[i] == '.')
			continue;
		bad[i] = b64_flip(tok[i]);
		r = jwt_verify(bad, KEY, NOW, sub, sizeof(sub));
		CU_ASSERT(tok + i > d1 ? r == JWT_BAD_SIG :
		    r == JWT_BAD_SIG || r == JWT_MALFORMED || r == JWT_BAD_ALG);
		CU_ASSERT_STRING_EQUAL(sub, "");
		bad[i] = tok[i];
	}
	/* A truncated or extended signature. */
	bad[len - 1] = '\0';
	CU_ASSERT_EQUAL(jwt_verify(bad, KEY, NOW, sub, sizeof(sub)),
	    JWT_BAD_SIG);
	bad[d2 - tok + 1] = '\0';
	CU_ASSERT_EQUAL(jwt_verify(bad, KEY, NOW, sub, sizeof(sub)),
	    JWT_BAD_SIG);
	free(bad);
	if (asprintf(&bad, "%sAAAA", tok) == -1)
		abort();
	CU_ASSERT_EQUAL(jwt_verify(bad, KEY, NOW, sub, sizeof(sub)),
	    JWT_BAD_SIG);
	free(bad);
	free(tok);
}

static void
test_malformed(void)
{
	static const char *const cases[] = {
		"",
		".",
		"..",
		"abc",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.x.y",
		"a.b.c.d",
		/* Characters outside base64url, and padding. */
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9*.e30.AAAA",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9=.e30.AAAA",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9+.e30.AAAA",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9/.e30.AAAA",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9 .e30.AAAA",
		"eyJhbGciOiJIUzI1NiJ9.e30.AAA=",
		"eyJhbGciOiJIUzI1NiJ9.e30.AA*A",
		"eyJhbGciOiJIUzI1NiJ9.e30.AAAAA",	/* 4n+1 characters */
		"eyJhbGciOiJIUzI1NiJ9A.e30.AAAA",	/* 4n+1 characters */
		"eyJhbGciOiJIUzI1NiJ9\n.e30.AAAA",
	};
	char	 sub[64];
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		strcpy(sub, "untouched");
		CU_ASSERT_EQUAL(jwt_verify(cases[i], KEY, NOW, sub,
		    sizeof(sub)), JWT_MALFORMED);
		CU_ASSERT_STRING_EQUAL(sub, "");
	}
}

static void
test_bad_payload_encoding(void)
{
	char	 sub[64], *tok, *h, *input;

	/* Well signed, but the payload is not base64url. */
	h = b64u(HS256, strlen(HS256));
	if (asprintf(&input, "%s.e30*", h) == -1)
		abort();
	tok = sign_input(input, KEY);
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, sub, sizeof(sub)),
	    JWT_MALFORMED);
	free(tok);
	free(input);
	free(h);
}

static void
test_sub_buffer(void)
{
	char	 sub[8], *tok;

	/* Seven characters fit in eight bytes; eight do not. */
	tok = jwt_sign(KEY, "1234567", NOW, NOW + 60);
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, sub, sizeof(sub)), JWT_OK);
	CU_ASSERT_STRING_EQUAL(sub, "1234567");
	free(tok);
	tok = jwt_sign(KEY, "12345678", NOW, NOW + 60);
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, sub, sizeof(sub)),
	    JWT_NO_SUB);
	CU_ASSERT_STRING_EQUAL(sub, "");
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, sub, 0), JWT_NO_SUB);
	free(tok);
}

static void
test_too_long(void)
{
	char	*sub, *tok, out[8192];
	size_t	 n, len;
	int	 at_limit = 0, over = 0;

	/* Valid tokens up to 8192 bytes pass, longer ones are malformed. */
	for (n = 6000; n < 6100; n++) {
		if ((sub = malloc(n + 1)) == NULL)
			abort();
		memset(sub, 'u', n);
		sub[n] = '\0';
		tok = jwt_sign(KEY, sub, NOW, NOW + 60);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
		len = strlen(tok);
		if (len <= 8192) {
			CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, out,
			    sizeof(out)), JWT_OK);
			CU_ASSERT_STRING_EQUAL(out, sub);
		} else {
			CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, out,
			    sizeof(out)), JWT_MALFORMED);
		}
		at_limit += len == 8192;
		over += len == 8193;
		free(tok);
		free(sub);
	}
	CU_ASSERT_EQUAL(at_limit, 1);
	CU_ASSERT_EQUAL(over, 1);
	/* A huge token is refused without being read in full. */
	n = 1 << 20;
	if ((tok = malloc(n + 1)) == NULL)
		abort();
	memset(tok, 'A', n);
	tok[10] = tok[20] = '.';
	tok[n] = '\0';
	CU_ASSERT_EQUAL(jwt_verify(tok, KEY, NOW, out, sizeof(out)),
	    JWT_MALFORMED);
	free(tok);
}

/*
 * PyJWT 2.10's own checks, at NOW, as jwt.decode(token, key,
 * algorithms=["HS256"]) makes them: iat through Python's int() (no
 * leeway), aud refused unless empty (no audience is configured), jti a
 * string; and our refusal of any "crit" header.  The good token's other
 * claims are those of claim_cases[0].
 */
#define GOOD	"\"sub\":\"alice\",\"exp\":1700003600,\"type\":\"access\""
static const struct {
	const char	*hdr;
	const char	*claims;
	enum jwt_result	 want;
} pyjwt_cases[] = {
	/* iat: an int, a float truncated toward zero, a bool. */
	{ HS256, "{" GOOD ",\"iat\":1700000000}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":1600000000}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":1700000001}", JWT_IAT_FUTURE },
	{ HS256, "{" GOOD ",\"iat\":1700000000.9}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":1700000001.5}", JWT_IAT_FUTURE },
	{ HS256, "{" GOOD ",\"iat\":-1.9}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":1.7e9}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":1e10}", JWT_IAT_FUTURE },
	{ HS256, "{" GOOD ",\"iat\":true}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":false}", JWT_OK },
	/* iat: a str int() reads. */
	{ HS256, "{" GOOD ",\"iat\":\"1700000000\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":\"1700000001\"}", JWT_IAT_FUTURE },
	{ HS256, "{" GOOD ",\"iat\":\" +1700000000\\n\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":\"-5\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":\"0017\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":\"1_700_000_000\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":\"1_700_000_001\"}", JWT_IAT_FUTURE },
	{ HS256, "{" GOOD ",\"iat\":\"99999999999999999999999\"}",
	    JWT_IAT_FUTURE },
	{ HS256, "{" GOOD ",\"iat\":\"\\u0661\\u0667\\u0660\\u0660\"}",
	    JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":\"\xef\xbc\x91\xef\xbc\x97\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":\"\\u00a017\\u3000\\u2028\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"iat\":\"\\u0085\\t17\\u000b\"}", JWT_OK },
	/* iat: what int() refuses (ValueError, TypeError, OverflowError). */
	{ HS256, "{" GOOD ",\"iat\":\"\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"  \"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"yesterday\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"1700000000.0\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"1e9\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"0x10\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"1__7\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"_17\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"17_\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"+-17\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"- 17\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"1 7\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"\\u001c17\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":\"\\u00b217\"}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":null}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":[1600000000]}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":{}}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":1e400}", JWT_BAD_IAT },
	{ HS256, "{" GOOD ",\"iat\":-1e400}", JWT_BAD_IAT },
	/* The last iat wins, as in Python's json. */
	{ HS256, "{" GOOD ",\"iat\":null,\"iat\":1}", JWT_OK },
	/* aud: refused when Python finds it true. */
	{ HS256, "{" GOOD ",\"aud\":\"semantik\"}", JWT_BAD_AUD },
	{ HS256, "{" GOOD ",\"aud\":[\"semantik\"]}", JWT_BAD_AUD },
	{ HS256, "{" GOOD ",\"aud\":[\"\"]}", JWT_BAD_AUD },
	{ HS256, "{" GOOD ",\"aud\":[null]}", JWT_BAD_AUD },
	{ HS256, "{" GOOD ",\"aud\":{\"a\":1}}", JWT_BAD_AUD },
	{ HS256, "{" GOOD ",\"aud\":true}", JWT_BAD_AUD },
	{ HS256, "{" GOOD ",\"aud\":1}", JWT_BAD_AUD },
	{ HS256, "{" GOOD ",\"aud\":-0.5}", JWT_BAD_AUD },
	{ HS256, "{" GOOD ",\"aud\":null}", JWT_OK },
	{ HS256, "{" GOOD ",\"aud\":\"\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"aud\":[]}", JWT_OK },
	{ HS256, "{" GOOD ",\"aud\":{}}", JWT_OK },
	{ HS256, "{" GOOD ",\"aud\":false}", JWT_OK },
	{ HS256, "{" GOOD ",\"aud\":0}", JWT_OK },
	{ HS256, "{" GOOD ",\"aud\":0.0}", JWT_OK },
	{ HS256, "{" GOOD ",\"aud\":\"x\",\"aud\":[]}", JWT_OK },
	{ HS256, "{" GOOD ",\"aud\":[],\"aud\":\"x\"}", JWT_BAD_AUD },
	/* jti: a string when present; iss is not checked without an
	 * issuer, nor is kid by decode() in 2.10. */
	{ HS256, "{" GOOD ",\"jti\":\"abc\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"jti\":\"\"}", JWT_OK },
	{ HS256, "{" GOOD ",\"jti\":5}", JWT_BAD_JTI },
	{ HS256, "{" GOOD ",\"jti\":null}", JWT_BAD_JTI },
	{ HS256, "{" GOOD ",\"iss\":42}", JWT_OK },
	{ "{\"alg\":\"HS256\",\"kid\":7}", "{" GOOD "}", JWT_OK },
	/* crit: no extension is understood, whatever it lists. */
	{ "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", "{" GOOD "}", JWT_CRIT },
	{ "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":true}", "{" GOOD "}",
	    JWT_CRIT },
	{ "{\"alg\":\"HS256\",\"crit\":[]}", "{" GOOD "}", JWT_CRIT },
	{ "{\"alg\":\"HS256\",\"crit\":null}", "{" GOOD "}", JWT_CRIT },
	{ "{\"alg\":\"HS256\",\"crit\":\"x\",\"crit\":null}", "{" GOOD "}",
	    JWT_CRIT },
	{ "{\"alg\":\"HS256\",\"Crit\":[\"x\"]}", "{" GOOD "}", JWT_OK },
	/* b64 false is a detached payload, which PyJWT refuses without
	 * one; only the JSON false (Python's "is False"). */
	{ "{\"alg\":\"HS256\",\"b64\":false}", "{" GOOD "}", JWT_MALFORMED },
	{ "{\"alg\":\"HS256\",\"b64\":true}", "{" GOOD "}", JWT_OK },
	{ "{\"alg\":\"HS256\",\"b64\":0}", "{" GOOD "}", JWT_OK },
	{ "{\"alg\":\"HS256\",\"b64\":null}", "{" GOOD "}", JWT_OK },
};

static void
test_pyjwt_claims(void)
{
	char		 sub[64], *tok;
	enum jwt_result	 r;
	size_t		 i;

	for (i = 0; i < NELEM(pyjwt_cases); i++) {
		tok = mktoken(pyjwt_cases[i].hdr, pyjwt_cases[i].claims, KEY);
		r = jwt_verify(tok, KEY, NOW, sub, sizeof(sub));
		CU_ASSERT_EQUAL(r, pyjwt_cases[i].want);
		if (r != pyjwt_cases[i].want)
			fprintf(stderr, "pyjwt case %zu: %s\n", i,
			    jwt_result_str(r));
		free(tok);
	}
}

/* Verifies a token whose iat is a str of sign and n digits "5". */
static enum jwt_result
verify_long_iat(size_t n, char sign)
{
	char		 sub[64], *digits, *claims, *tok;
	enum jwt_result	 r;

	if ((digits = malloc(n + 1)) == NULL)
		abort();
	memset(digits, '5', n);
	digits[n] = '\0';
	if (asprintf(&claims, "{" GOOD ",\"iat\":\"%c%s\"}", sign,
	    digits) == -1)
		abort();
	tok = mktoken(HS256, claims, KEY);
	r = jwt_verify(tok, KEY, NOW, sub, sizeof(sub));
	free(tok);
	free(claims);
	free(digits);
	return r;
}

static void
test_pyjwt_iat_digits(void)
{

	/* Python's int() reads at most 4300 digits. */
	CU_ASSERT_EQUAL(verify_long_iat(4300, '-'), JWT_OK);
	CU_ASSERT_EQUAL(verify_long_iat(4301, '-'), JWT_BAD_IAT);
	CU_ASSERT_EQUAL(verify_long_iat(4300, '+'), JWT_IAT_FUTURE);
	CU_ASSERT_EQUAL(verify_long_iat(4301, '+'), JWT_BAD_IAT);
}

static const struct unit_test tests[] = {
	{ "jwt_result_str", test_result_str },
	{ "jwt_looks_like counts dots", test_looks_like },
	{ "PyJWT tokens verify and are reproduced", test_pyjwt_compat },
	{ "jwt_sign round-trips", test_sign_roundtrip },
	{ "alg, exp, nbf, type, sub and JSON rules", test_claims },
	{ "alg none is refused", test_alg_none },
	{ "any flipped character is refused", test_bad_signature },
	{ "malformed tokens", test_malformed },
	{ "payload outside base64url", test_bad_payload_encoding },
	{ "sub longer than the buffer", test_sub_buffer },
	{ "length limit", test_too_long },
	{ "PyJWT 2.10: iat, aud, jti; crit and b64 headers",
	    test_pyjwt_claims },
	{ "PyJWT 2.10: an iat of 4300 digits at most", test_pyjwt_iat_digits },
	{ NULL, NULL }
};

UNIT_SUITE("jwt", NULL, NULL, tests)
