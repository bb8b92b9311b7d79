/*
 * The parts of one blob fetched as several Range requests (see
 * hubparts.h): recorded ranges, parts in flight, the contiguous prefix,
 * and the part map's encoding.  Every walk is over at most HUBPARTS_SPANS
 * + HUBPARTS_PIECES ranges, which may overlap (a whole-file stream over
 * recorded ranges): positions are moved across chains of ranges rather
 * than looked up in a single sorted list.
 */
#include <string.h>

#include "hubparts.h"

#define MAP_MAGIC	"MMPARTS"	/* and its NUL: 8 bytes */
#define MAP_VERSION	1
#define FNV_BASIS	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

/* What a walk counts as covering a byte. */
enum cover { COV_WRITTEN, COV_CLAIMED };

/* The end of the range of part q that covers, for walk kind k. */
static uint64_t
piece_end(const struct hubpiece *q, enum cover k)
{

	return k == COV_CLAIMED ? q->end : q->pos;
}

/*
 * x moved past every range covering it (recorded, or of a part other than
 * skip), repeatedly: the first byte at or after x that nothing covers.
 */
static uint64_t
cover_end(const struct hubparts *p, uint64_t x, enum cover k, int skip)
{
	size_t	 i;
	int	 moved = 1;

	while (moved) {
		moved = 0;
		for (i = 0; i < p->ndone; i++)
			if (p->done[i].start <= x && x < p->done[i].end) {
				x = p->done[i].end;
				moved = 1;
			}
		for (i = 0; i < HUBPARTS_PIECES; i++)
			if (p->piece[i].used && (int)i != skip &&
			    p->piece[i].start <= x &&
			    x < piece_end(&p->piece[i], k)) {
				x = piece_end(&p->piece[i], k);
				moved = 1;
			}
	}
	return x;
}

/* The first start of a range after x (size when none). */
static uint64_t
next_start(const struct hubparts *p, uint64_t x, enum cover k, int skip)
{
	uint64_t	 n = p->size;
	size_t		 i;

	for (i = 0; i < p->ndone; i++)
		if (p->done[i].start > x && p->done[i].start < n)
			n = p->done[i].start;
	for (i = 0; i < HUBPARTS_PIECES; i++)
		if (p->piece[i].used && (int)i != skip &&
		    piece_end(&p->piece[i], k) > p->piece[i].start &&
		    p->piece[i].start > x && p->piece[i].start < n)
			n = p->piece[i].start;
	return n;
}

/*
 * The bytes of [a, b) that no range covers (those of part skip aside).
 */
static uint64_t
uncovered(const struct hubparts *p, uint64_t a, uint64_t b, enum cover k,
    int skip)
{
	uint64_t	 x = a, y, n = 0;

	while (x < b) {
		if ((y = cover_end(p, x, k, skip)) > x) {
			x = y;
			continue;
		}
		y = next_start(p, x, k, skip);
		y = y < b ? y : b;
		n += y - x;
		x = y;
	}
	return n;
}

/* The covered ranges (written ones), in order, into out. */
static size_t
covered(const struct hubparts *p, struct hubspan *out, size_t max)
{
	uint64_t	 x = 0, y;
	size_t		 n = 0;

	while (x < p->size && n < max) {
		if ((y = cover_end(p, x, COV_WRITTEN, -1)) == x) {
			x = next_start(p, x, COV_WRITTEN, -1);
			continue;
		}
		out[n].start = x;
		out[n++].end = y;
		x = y;
	}
	return n;
}

/* filled and prefix again from scratch. */
static void
recount(struct hubparts *p)
{

	p->filled = p->size - uncovered(p, 0, p->size, COV_WRITTEN, -1);
	p->prefix = cover_end(p, 0, COV_WRITTEN, -1);
}

void
hubparts_init(struct hubparts *p, uint64_t size)
{

	memset(p, 0, sizeof(*p));
	p->size = size;
}

int
hubparts_add(struct hubparts *p, uint64_t start, uint64_t end)
{
	struct hubspan	 keep[HUBPARTS_SPANS];
	size_t		 i, n = 0, at = 0;

	if (end > p->size)
		end = p->size;
	if (start >= end)
		return 0;
	for (i = 0; i < p->ndone; i++) {
		if (p->done[i].end < start || p->done[i].start > end) {
			if (p->done[i].end < start)
				at = n + 1;
			keep[n++] = p->done[i];
			continue;
		}
		start = p->done[i].start < start ? p->done[i].start : start;
		end = p->done[i].end > end ? p->done[i].end : end;
	}
	if (n == HUBPARTS_SPANS)
		return -1;	/* touches nothing, and no room */
	memmove(&keep[at + 1], &keep[at], (n - at) * sizeof(keep[0]));
	keep[at].start = start;
	keep[at].end = end;
	memcpy(p->done, keep, (n + 1) * sizeof(keep[0]));
	p->ndone = n + 1;
	recount(p);
	return 0;
}

uint64_t
hubparts_next_len(const struct hubparts *p, unsigned parts, uint64_t lo,
    uint64_t hi)
{
	uint64_t	 free, len;

	free = uncovered(p, 0, p->size, COV_CLAIMED, -1);
	len = free / (2 * (uint64_t)(parts ? parts : 1));
	if (hi < lo)
		hi = lo;
	if (len > hi)
		len = hi;
	if (len < lo)
		len = lo;
	return len > 0 ? len : 1;
}

/* The first unclaimed byte into *start and where that range ends; 0 if
 * there is none. */
static int
first_hole(const struct hubparts *p, uint64_t *start, uint64_t *end)
{
	uint64_t	 x = 0, y;

	while (x < p->size) {
		if ((y = cover_end(p, x, COV_CLAIMED, -1)) > x) {
			x = y;
			continue;
		}
		*start = x;
		*end = next_start(p, x, COV_CLAIMED, -1);
		return 1;
	}
	return 0;
}

/* A free slot for a part, or -1. */
static int
free_piece(const struct hubparts *p)
{
	int	 i;

	for (i = 0; i < HUBPARTS_PIECES; i++)
		if (!p->piece[i].used)
			return i;
	return -1;
}

/* Starts part i on [start, end). */
static int
start_piece(struct hubparts *p, int i, uint64_t start, uint64_t end)
{
	struct hubpiece	*q = &p->piece[i];

	q->start = q->pos = q->mark = start;
	q->end = end;
	q->used = 1;
	p->npieces++;
	return i;
}

int
hubparts_take(struct hubparts *p, uint64_t len, uint64_t lo)
{
	uint64_t	 start, end;
	int		 i;

	if ((i = free_piece(p)) == -1 || !first_hole(p, &start, &end))
		return -1;
	if (len == 0 || len > end - start || end - start - len < lo)
		len = end - start;
	return start_piece(p, i, start, start + len);
}

int
hubparts_take_all(struct hubparts *p)
{
	int	 i;

	if ((i = free_piece(p)) == -1)
		return -1;
	return start_piece(p, i, 0, p->size);
}

void
hubparts_wrote(struct hubparts *p, int i, uint64_t len)
{
	struct hubpiece	*q = &p->piece[i];

	p->filled += uncovered(p, q->pos, q->pos + len, COV_WRITTEN, i);
	q->pos += len;
	if (q->start <= p->prefix && p->prefix < q->pos)
		p->prefix = cover_end(p, p->prefix, COV_WRITTEN, -1);
}

int
hubparts_drop(struct hubparts *p, int i)
{
	uint64_t	 start, pos;

	if (i < 0 || i >= HUBPARTS_PIECES || !p->piece[i].used)
		return 0;
	start = p->piece[i].start;
	pos = p->piece[i].pos;
	p->piece[i].used = 0;
	p->npieces--;
	if (pos <= start) {
		recount(p);
		return 0;
	}
	if (hubparts_add(p, start, pos) == -1) {
		recount(p);
		return -1;
	}
	return 0;
}

int
hubparts_complete(const struct hubparts *p)
{

	return p->prefix >= p->size;
}

int
hubparts_has_hole(const struct hubparts *p)
{
	uint64_t	 s, e;

	return first_hole(p, &s, &e);
}

uint64_t
hubparts_extent(const struct hubparts *p)
{

	return p->ndone > 0 ? p->done[p->ndone - 1].end : 0;
}

/*
 * The map file.
 */

static void
put_u32(unsigned char *b, uint32_t v)
{
	int	 i;

	for (i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static void
put_u64(unsigned char *b, uint64_t v)
{
	int	 i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get_u32(const unsigned char *b)
{

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static uint64_t
get_u64(const unsigned char *b)
{

	return (uint64_t)get_u32(b) | (uint64_t)get_u32(b + 4) << 32;
}

static uint64_t
fnv1a(const unsigned char *b, size_t len)
{
	uint64_t	 h = FNV_BASIS;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* The header of a map of n ranges for etag. */
static void
map_header(unsigned char *buf, uint32_t n, uint64_t size, const char *etag)
{
	size_t	 elen = strlen(etag);

	memcpy(buf, MAP_MAGIC, 8);
	put_u32(buf + 8, MAP_VERSION);
	put_u32(buf + 12, n);
	put_u64(buf + 16, size);
	memset(buf + 24, 0, 64);
	memcpy(buf + 24, etag, elen < 64 ? elen : 64);
}

size_t
hubparts_encode(struct hubparts *p, const char *etag, unsigned char *buf)
{
	struct hubspan	 s[HUBPARTS_SPANS];
	size_t		 n, i, len;

	n = covered(p, s, HUBPARTS_SPANS);
	map_header(buf, (uint32_t)n, p->size, etag);
	for (i = 0; i < n; i++) {
		put_u64(buf + HUBPARTS_MAP_HDR + 16 * i, s[i].start);
		put_u64(buf + HUBPARTS_MAP_HDR + 16 * i + 8, s[i].end);
	}
	len = HUBPARTS_MAP_LEN(n);
	put_u64(buf + len - 8, fnv1a(buf, len - 8));
	for (i = 0; i < HUBPARTS_PIECES; i++)
		if (p->piece[i].used)
			p->piece[i].mark = p->piece[i].pos;
	return len;
}

/* The ranges of a map whose header checked out; 0, or -1. */
static int
map_spans(struct hubparts *p, const unsigned char *buf, uint32_t n)
{
	const unsigned char	*r;
	uint64_t		 start, end, last = 0;
	uint32_t		 i;

	for (i = 0; i < n; i++) {
		r = buf + HUBPARTS_MAP_HDR + 16 * (size_t)i;
		start = get_u64(r);
		end = get_u64(r + 8);
		if (start >= end || end > p->size ||
		    (i > 0 && start <= last))
			return -1;
		p->done[i].start = start;
		p->done[i].end = last = end;
	}
	p->ndone = n;
	recount(p);
	return 0;
}

int
hubparts_decode(struct hubparts *p, const unsigned char *buf, size_t len,
    const char *etag, uint64_t size)
{
	unsigned char	 want[HUBPARTS_MAP_HDR];
	uint32_t	 n;

	hubparts_init(p, size);
	if (len < HUBPARTS_MAP_LEN(0) || len > HUBPARTS_MAP_MAX)
		return -1;
	n = get_u32(buf + 12);
	map_header(want, n, size, etag);
	if (n > HUBPARTS_SPANS || len != HUBPARTS_MAP_LEN(n) ||
	    memcmp(buf, want, HUBPARTS_MAP_HDR) != 0 ||
	    get_u64(buf + len - 8) != fnv1a(buf, len - 8) ||
	    map_spans(p, buf, n) == -1) {
		hubparts_init(p, size);
		return -1;
	}
	return 0;
}
