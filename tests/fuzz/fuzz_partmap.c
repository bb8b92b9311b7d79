/*
 * libFuzzer harness: the part map of a blob fetched in parts (hubparts.h),
 * a file anyone who can write the cache may have written.  The input is
 * a 2-byte little-endian length L (its top bit set: keep the checksum as
 * it is), L bytes of map, then operations.  The map's checksum is made
 * right before it is decoded unless asked not to, so that the ranges
 * themselves are explored, not only the refusal of a wrong checksum.  A map decoded must hold
 * sorted, disjoint, non-adjacent ranges within the blob and exact byte
 * counts, encode back to the same bytes, and stay consistent while parts
 * are taken, written and dropped as the rest of the input says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hubparts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ETAG	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static uint64_t
get_u64(const unsigned char *b)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* Writes the FNV-1a 64 of buf[0, len - 8) into its last 8 bytes. */
static void
fix_checksum(unsigned char *buf, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i + 8 < len; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	for (i = 0; i < 8; i++)
		buf[len - 8 + i] = (unsigned char)(h >> (8 * i));
}

static void
check(const struct hubparts *p)
{
	uint64_t	 sum = 0;
	size_t		 i;

	if (p->ndone > HUBPARTS_SPANS || p->filled > p->size ||
	    p->prefix > p->size || p->npieces > HUBPARTS_PIECES)
		abort();
	for (i = 0; i < p->ndone; i++) {
		if (p->done[i].start >= p->done[i].end ||
		    p->done[i].end > p->size ||
		    (i > 0 && p->done[i].start <= p->done[i - 1].end))
			abort();
		sum += p->done[i].end - p->done[i].start;
	}
	if (p->npieces == 0 && sum != p->filled)
		abort();
	for (i = 0; i < HUBPARTS_PIECES; i++)
		if (p->piece[i].used && (p->piece[i].pos < p->piece[i].start ||
		    p->piece[i].pos > p->piece[i].end ||
		    p->piece[i].end > p->size))
			abort();
}

/* Takes, writes and drops parts as the bytes say. */
static void
play(struct hubparts *p, const uint8_t *ops, size_t n)
{
	int		 i;
	uint64_t	 len;

	for (; n >= 2; ops += 2, n -= 2) {
		i = ops[0] % HUBPARTS_PIECES;
		if (ops[0] & 0x80) {
			(void)hubparts_drop(p, i);
		} else if (!p->piece[i].used) {
			(void)hubparts_take(p, hubparts_next_len(p, 4, 1,
			    ops[1] + 1), 1);
		} else {
			len = p->piece[i].end - p->piece[i].pos;
			hubparts_wrote(p, i, len < ops[1] ? len : ops[1]);
		}
		check(p);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hubparts	 p, q;
	unsigned char	 buf[HUBPARTS_MAP_MAX], again[HUBPARTS_MAP_MAX];
	uint64_t	 blob;
	size_t		 len, n;

	if (size < 2)
		return 0;
	len = (size_t)data[0] | (size_t)(data[1] & 0x7f) << 8;
	if (len > size - 2)
		len = size - 2;
	if (len > HUBPARTS_MAP_MAX)
		len = HUBPARTS_MAP_MAX;
	memcpy(buf, data + 2, len);
	if (len >= HUBPARTS_MAP_LEN(0) && (data[1] & 0x80) == 0)
		fix_checksum(buf, len);
	blob = len >= 24 ? get_u64(buf + 16) % (1ULL << 40) : 1000;
	if (hubparts_decode(&p, buf, len, ETAG, blob) == -1) {
		if (p.ndone != 0 || p.filled != 0)
			abort();
		return 0;
	}
	check(&p);
	n = hubparts_encode(&p, ETAG, again);
	if (n != len || memcmp(buf, again, len) != 0 ||
	    hubparts_decode(&q, again, n, ETAG, blob) == -1 ||
	    q.filled != p.filled || q.prefix != p.prefix)
		abort();
	play(&p, data + 2 + len, size - 2 - len);
	return 0;
}
