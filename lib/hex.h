#ifndef MM_HEX_H
#define MM_HEX_H

#include <stddef.h>

/* Hexadecimal digits and digests in lowercase hex.  These cannot fail. */

/* The value of hex digit c (either case), or -1 if c is not one. */
int	 hex_digit(int c);

/* Writes the 2n lowercase hex digits of data[0..n) and a NUL into out
 * (2n + 1 bytes). */
void	 hex_encode(const void *data, size_t n, char *out);

/* SHA-256 (64 digits) and SHA-1 (40 digits) of data[0..n) into out. */
void	 hex_sha256(const void *data, size_t n, char out[65]);
void	 hex_sha1(const void *data, size_t n, char out[41]);

#endif
