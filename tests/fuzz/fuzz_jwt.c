/*
 * libFuzzer harness: the JWT parser (jwt_verify).  The first input byte
 * picks the mode: an even byte passes the rest as the token itself
 * (reaching the split, base64url and header checks); an odd one signs
 * the rest as "<header>.<payload>" (each part base64url-encoded from raw
 * bytes separated by a NUL) with the key, so that the claims are
 * reached too.  Every accepted token must name a non-empty sub that
 * fits, and a token of our own signing (jwt_sign) must verify back to
 * its sub.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jwt.h"
#include "valid.h"

#define SECRET	"fuzz-secret-key"
#define NOW	((time_t)1700000000)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Unpadded base64url of len bytes at out; returns the length written. */
static size_t
enc(const uint8_t *in, size_t len, char *out)
{
	unsigned	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0;

	for (i = 0; i < len; i++) {
		acc = ((acc << 8) | in[i]) & 0xffff;
		for (bits += 8; bits >= 6; bits -= 6)
			out[o++] = b64[(acc >> (bits - 6)) & 0x3f];
	}
	if (bits > 0)
		out[o++] = b64[(acc << (6 - bits)) & 0x3f];
	return o;
}

/* "<b64 header>.<b64 payload>.<b64 HMAC>" from "header\0payload". */
static char *
signed_token(const uint8_t *data, size_t size)
{
	const uint8_t	*nul = memchr(data, 0, size);
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	size_t		 hl = nul ? (size_t)(nul - data) : size, o;
	char		*tok;

	if ((tok = malloc(size * 2 + 64)) == NULL)
		return NULL;
	o = enc(data, hl, tok);
	tok[o++] = '.';
	if (nul != NULL)
		o += enc(nul + 1, size - hl - 1, tok + o);
	if (HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    (const unsigned char *)tok, o, mac, &maclen) == NULL) {
		free(tok);
		return NULL;
	}
	tok[o++] = '.';
	o += enc(mac, maclen, tok + o);
	tok[o] = '\0';
	return tok;
}

static void
check(const char *tok)
{
	enum jwt_result	 r;
	char		 sub[64], sub2[64];

	memset(sub, 'x', sizeof(sub));
	r = jwt_verify(tok, SECRET, NOW, sub, sizeof(sub));
	if ((unsigned)r >= JWT__MAX || jwt_result_str(r) == NULL)
		abort();
	if (r != JWT_OK) {
		if (sub[0] != '\0')
			abort();	/* nothing leaks from a refused token */
		return;
	}
	if (!jwt_looks_like(tok) || sub[0] == '\0' ||
	    strnlen(sub, sizeof(sub)) == sizeof(sub) ||
	    valid_utf8(sub, strlen(sub)) != 0)
		abort();
	/* Same answer twice; never with another key. */
	if (jwt_verify(tok, SECRET, NOW, sub2, sizeof(sub2)) != JWT_OK ||
	    strcmp(sub, sub2) != 0 ||
	    jwt_verify(tok, SECRET "x", NOW, sub2, sizeof(sub2)) == JWT_OK)
		abort();
}

/* Our own tokens verify back to their sub. */
static void
roundtrip(const uint8_t *data, size_t size)
{
	char		 sub[64], in[64], *tok;
	enum jwt_result	 r;

	if (size == 0 || size >= sizeof(in) || memchr(data, 0, size) != NULL)
		return;
	memcpy(in, data, size);
	in[size] = '\0';
	if ((tok = jwt_sign(SECRET, in, NOW - 10, NOW + 600)) == NULL)
		abort();
	r = jwt_verify(tok, SECRET, NOW, sub, sizeof(sub));
	if (valid_utf8(in, size) == 0 && (r != JWT_OK || strcmp(sub, in) != 0))
		abort();
	if (valid_utf8(in, size) != 0 && r == JWT_OK)
		abort();
	if (jwt_verify(tok, SECRET, NOW + 600, sub, sizeof(sub)) !=
	    (valid_utf8(in, size) == 0 ? JWT_EXPIRED : JWT_MALFORMED))
		abort();
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*tok;

	if (size == 0)
		return 0;
	if (data[0] & 1)
		tok = signed_token(data + 1, size - 1);
	else {
		if ((tok = malloc(size)) == NULL)
			return 0;
		memcpy(tok, data + 1, size - 1);
		tok[size - 1] = '\0';
	}
	if (tok != NULL)
		check(tok);
	free(tok);
	roundtrip(data + 1, size - 1);
	return 0;
}
