#include <openssl/evp.h>

#include "hex.h"

int
hex_digit(int c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
hex_encode(const void *data, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*p = data;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static void
hex_digest(const EVP_MD *md, const void *data, size_t n, char *out,
    size_t outlen)
{
	unsigned char	 dig[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;

	/* EVP_Digest on a built-in algorithm only fails on out-of-memory
	 * inside OpenSSL; an all-zero digest then never matches anything. */
	if (EVP_Digest(data, n, dig, &len, md, NULL) != 1)
		len = 0;
	while (len < (outlen - 1) / 2)
		dig[len++] = 0;
	hex_encode(dig, (outlen - 1) / 2, out);
}

void
hex_sha256(const void *data, size_t n, char out[65])
{

	hex_digest(EVP_sha256(), data, n, out, 65);
}

void
hex_sha1(const void *data, size_t n, char out[41])
{

	hex_digest(EVP_sha1(), data, n, out, 41);
}
