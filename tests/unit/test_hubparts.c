/*
 * Suite "hubparts": the bookkeeping of a blob fetched in parts (parts
 * taken in order, their lengths, the contiguous prefix, exact byte
 * counts with overlapping ranges, the part map and its refusals of
 * anything off), and the adaptation of the connection count (hubadapt)
 * on simulated CDNs.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "hubadapt.h"
#include "hubparts.h"
#include "unit.h"

#define MIB	(1024ULL * 1024)
#define ETAG	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parts are taken in file order, each a share of what is left, the last
 * one taking a remainder shorter than lo with it. */
static void
test_take(void)
{
	struct hubparts	 p;
	int		 a, b, c;

	hubparts_init(&p, 100 * MIB);
	CU_ASSERT_EQUAL(hubparts_next_len(&p, 8, MIB, 64 * MIB),
	    100 * MIB / 16);
	CU_ASSERT_EQUAL(hubparts_next_len(&p, 1, MIB, 8 * MIB), 8 * MIB);
	a = hubparts_take(&p, 10 * MIB, MIB);
	b = hubparts_take(&p, 10 * MIB, MIB);
	CU_ASSERT(a >= 0 && b >= 0 && a != b);
	CU_ASSERT_EQUAL(p.piece[a].start, 0);
	CU_ASSERT_EQUAL(p.piece[a].end, 10 * MIB);
	CU_ASSERT_EQUAL(p.piece[b].start, 10 * MIB);
	CU_ASSERT_EQUAL(p.npieces, 2);
	/* Only 80 MiB are free now: a 16th of them. */
	CU_ASSERT_EQUAL(hubparts_next_len(&p, 8, MIB, 64 * MIB), 5 * MIB);
	CU_ASSERT_EQUAL(hubparts_next_len(&p, 8, 8 * MIB, 64 * MIB), 8 * MIB);
	/* 79.5 MiB asked of 80: the half MiB left over goes with it. */
	c = hubparts_take(&p, 80 * MIB - MIB / 2, MIB);
	CU_ASSERT_EQUAL(p.piece[c].start, 20 * MIB);
	CU_ASSERT_EQUAL(p.piece[c].end, 100 * MIB);
	CU_ASSERT_FALSE(hubparts_has_hole(&p));
	CU_ASSERT_EQUAL(hubparts_take(&p, MIB, MIB), -1);
	CU_ASSERT_FALSE(hubparts_complete(&p));
}

/* The prefix grows with the part that holds its end, and jumps over what
 * later parts wrote when it reaches them. */
static void
test_prefix(void)
{
	struct hubparts	 p;
	int		 a, b;

	hubparts_init(&p, 30);
	a = hubparts_take(&p, 10, 1);
	b = hubparts_take(&p, 10, 1);
	hubparts_wrote(&p, b, 10);
	CU_ASSERT_EQUAL(p.prefix, 0);
	CU_ASSERT_EQUAL(p.filled, 10);
	CU_ASSERT_EQUAL(hubparts_drop(&p, b), 0);
	hubparts_wrote(&p, a, 4);
	CU_ASSERT_EQUAL(p.prefix, 4);
	hubparts_wrote(&p, a, 6);
	CU_ASSERT_EQUAL(p.prefix, 20);
	CU_ASSERT_EQUAL(p.filled, 20);
	hubparts_drop(&p, a);
	CU_ASSERT_EQUAL(p.ndone, 1);
	CU_ASSERT_EQUAL(p.done[0].end, 20);
	a = hubparts_take(&p, 0, 1);
	CU_ASSERT_EQUAL(p.piece[a].start, 20);
	CU_ASSERT_EQUAL(p.piece[a].end, 30);
	hubparts_wrote(&p, a, 10);
	CU_ASSERT_TRUE(hubparts_complete(&p));
}

/* A part dropped half-way: what it wrote stays, the rest is taken
 * again from where it stopped. */
static void
test_drop(void)
{
	struct hubparts	 p;
	int		 a, b;

	hubparts_init(&p, 100);
	a = hubparts_take(&p, 50, 1);
	b = hubparts_take(&p, 50, 1);
	hubparts_wrote(&p, a, 20);
	hubparts_drop(&p, a);
	CU_ASSERT_TRUE(hubparts_has_hole(&p));
	a = hubparts_take(&p, 0, 1);
	CU_ASSERT_EQUAL(p.piece[a].start, 20);
	CU_ASSERT_EQUAL(p.piece[a].end, 50);
	CU_ASSERT_EQUAL(p.piece[b].start, 50);
	CU_ASSERT_EQUAL(p.filled, 20);
	CU_ASSERT_EQUAL(p.prefix, 20);
	/* A part no longer in flight: nothing changes. */
	CU_ASSERT_EQUAL(hubparts_drop(&p, -1), 0);
	CU_ASSERT_EQUAL(hubparts_drop(&p, HUBPARTS_PIECES - 1), 0);
	CU_ASSERT_EQUAL(p.npieces, 2);
}

/* One stream over recorded ranges (a server that ignored a Range): each
 * byte counts once, and the prefix moves past what is recorded. */
static void
test_stream_overlap(void)
{
	struct hubparts	 p;
	int		 s;

	hubparts_init(&p, 100);
	CU_ASSERT_EQUAL(hubparts_add(&p, 10, 30), 0);
	CU_ASSERT_EQUAL(hubparts_add(&p, 60, 70), 0);
	CU_ASSERT_EQUAL(p.filled, 30);
	s = hubparts_take_all(&p);
	CU_ASSERT_EQUAL(p.piece[s].start, 0);
	CU_ASSERT_EQUAL(p.piece[s].end, 100);
	hubparts_wrote(&p, s, 15);
	CU_ASSERT_EQUAL(p.filled, 40);
	CU_ASSERT_EQUAL(p.prefix, 30);
	hubparts_wrote(&p, s, 50);	/* to 65 */
	CU_ASSERT_EQUAL(p.filled, 70);
	CU_ASSERT_EQUAL(p.prefix, 70);
	hubparts_wrote(&p, s, 35);
	CU_ASSERT_EQUAL(p.filled, 100);
	CU_ASSERT_TRUE(hubparts_complete(&p));
	hubparts_drop(&p, s);
	CU_ASSERT_EQUAL(p.ndone, 1);
	CU_ASSERT_EQUAL(p.filled, 100);
}

/* Recorded ranges merge with those they touch; a disjoint one past the
 * limit is refused (and forgotten: fetched again). */
static void
test_add(void)
{
	struct hubparts	 p;
	uint64_t	 i;

	hubparts_init(&p, 1000);
	CU_ASSERT_EQUAL(hubparts_add(&p, 50, 60), 0);
	CU_ASSERT_EQUAL(hubparts_add(&p, 10, 20), 0);
	CU_ASSERT_EQUAL(hubparts_add(&p, 20, 30), 0);	/* adjacent */
	CU_ASSERT_EQUAL(hubparts_add(&p, 55, 80), 0);	/* overlapping */
	CU_ASSERT_EQUAL(hubparts_add(&p, 990, 2000), 0); /* clipped */
	CU_ASSERT_EQUAL(p.ndone, 3);
	CU_ASSERT_EQUAL(p.done[0].start, 10);
	CU_ASSERT_EQUAL(p.done[0].end, 30);
	CU_ASSERT_EQUAL(p.done[1].start, 50);
	CU_ASSERT_EQUAL(p.done[1].end, 80);
	CU_ASSERT_EQUAL(p.done[2].end, 1000);
	CU_ASSERT_EQUAL(p.filled, 20 + 30 + 10);
	CU_ASSERT_EQUAL(hubparts_add(&p, 0, 990), 0);
	CU_ASSERT_EQUAL(p.ndone, 1);
	CU_ASSERT_TRUE(hubparts_complete(&p));
	hubparts_init(&p, 1000);
	for (i = 0; i < HUBPARTS_SPANS; i++)
		CU_ASSERT_EQUAL(hubparts_add(&p, 2 * i, 2 * i + 1), 0);
	CU_ASSERT_EQUAL(hubparts_add(&p, 500, 501), -1);
	CU_ASSERT_EQUAL(hubparts_add(&p, 1, 2), 0);	/* merges two */
	CU_ASSERT_EQUAL(p.ndone, HUBPARTS_SPANS - 1);
}

/* The map's integers and checksum, written independently of lib/. */
static void
unit_put_le64(unsigned char *b, uint64_t v)
{
	int	 i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
unit_fnv1a(const unsigned char *b, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (len-- > 0)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

/* A map of two ranges: one recorded, and one recorded with a part's
 * written bytes just after it. */
static size_t
sample_map(struct hubparts *p, unsigned char *buf)
{
	int	 a;

	hubparts_init(p, 10 * MIB);
	hubparts_add(p, 0, MIB);
	hubparts_add(p, 4 * MIB, 5 * MIB);
	a = hubparts_take(p, MIB, 1);
	hubparts_wrote(p, a, 1000);
	return hubparts_encode(p, ETAG, buf);
}

/* The map records the parts' written bytes too, and reads back. */
static void
test_map_roundtrip(void)
{
	struct hubparts	 p, q;
	unsigned char	 buf[HUBPARTS_MAP_MAX];
	size_t		 len;
	int		 i;

	len = sample_map(&p, buf);
	CU_ASSERT_EQUAL(len, HUBPARTS_MAP_LEN(2));
	CU_ASSERT_EQUAL(memcmp(buf, "MMPARTS\0\1\0\0\0\2\0\0\0", 16), 0);
	for (i = 0; i < HUBPARTS_PIECES; i++)
		if (p.piece[i].used)
			CU_ASSERT_EQUAL(p.piece[i].mark, p.piece[i].pos);
	CU_ASSERT_EQUAL(hubparts_decode(&q, buf, len, ETAG, 10 * MIB), 0);
	CU_ASSERT_EQUAL(q.ndone, 2);
	CU_ASSERT_EQUAL(q.done[0].start, 0);
	CU_ASSERT_EQUAL(q.done[0].end, MIB + 1000);
	CU_ASSERT_EQUAL(q.done[1].start, 4 * MIB);
	CU_ASSERT_EQUAL(q.filled, p.filled);
	CU_ASSERT_EQUAL(q.prefix, MIB + 1000);
	CU_ASSERT_EQUAL(hubparts_extent(&q), 5 * MIB);
	CU_ASSERT_EQUAL(q.npieces, 0);
}

/* Every single changed byte of a map is refused (the checksum, or the
 * field it hits); so are other lengths, blobs and sizes. */
static void
test_map_hostile(void)
{
	struct hubparts	 p, q;
	unsigned char	 buf[HUBPARTS_MAP_MAX], bad[HUBPARTS_MAP_MAX];
	size_t		 len, i;

	len = sample_map(&p, buf);
	for (i = 0; i < len; i++) {
		memcpy(bad, buf, len);
		bad[i] ^= 0x01;
		CU_ASSERT_EQUAL(hubparts_decode(&q, bad, len, ETAG, 10 * MIB),
		    -1);
		CU_ASSERT_EQUAL(q.ndone, 0);
		CU_ASSERT_EQUAL(q.filled, 0);
	}
	CU_ASSERT_EQUAL(hubparts_decode(&q, buf, len - 1, ETAG, 10 * MIB), -1);
	CU_ASSERT_EQUAL(hubparts_decode(&q, buf, 0, ETAG, 10 * MIB), -1);
	CU_ASSERT_EQUAL(hubparts_decode(&q, buf, len, ETAG, 11 * MIB), -1);
	CU_ASSERT_EQUAL(hubparts_decode(&q, buf, len, "0123", 10 * MIB), -1);
}

/* Ranges out of order, overlapping, adjacent, empty or past the end are
 * refused even with a valid checksum. */
static void
test_map_ranges(void)
{
	static const struct {
		uint64_t	 s0, e0, s1, e1;
		int		 ok;
	} cases[] = {
		{ 0, 10, 20, 30, 0 }, { 20, 30, 0, 10, -1 },
		{ 0, 10, 5, 30, -1 }, { 0, 10, 10, 30, -1 },
		{ 0, 10, 20, 20, -1 }, { 0, 10, 20, 101, -1 },
		{ 10, 5, 20, 30, -1 }, { 0, 10, 99, 100, 0 },
	};
	struct hubparts	 p, q;
	unsigned char	 buf[HUBPARTS_MAP_MAX];
	size_t		 i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Encoded right, then the ranges overwritten in place and
		 * the checksum made right again. */
		hubparts_init(&p, 100);
		hubparts_add(&p, 0, 1);
		hubparts_add(&p, 50, 51);
		len = hubparts_encode(&p, ETAG, buf);
		unit_put_le64(buf + HUBPARTS_MAP_HDR, cases[i].s0);
		unit_put_le64(buf + HUBPARTS_MAP_HDR + 8, cases[i].e0);
		unit_put_le64(buf + HUBPARTS_MAP_HDR + 16, cases[i].s1);
		unit_put_le64(buf + HUBPARTS_MAP_HDR + 24, cases[i].e1);
		unit_put_le64(buf + len - 8, unit_fnv1a(buf, len - 8));
		CU_ASSERT_EQUAL(hubparts_decode(&q, buf, len, ETAG, 100),
		    cases[i].ok);
		if (hubparts_decode(&q, buf, len, ETAG, 100) != cases[i].ok)
			fprintf(stderr, "map range case %zu\n", i);
	}
}

/*
 * The connection count on simulated CDNs: rate(n) is the aggregate rate
 * of n busy connections; work the connections there is work for.
 */
static unsigned
simulate(unsigned start, unsigned max, uint64_t (*rate)(unsigned),
    unsigned work, unsigned *steps)
{
	struct hubadapt	 a;
	uint64_t	 t, bytes = 0;
	unsigned	 n, last;

	hubadapt_init(&a, start, max, 1000);
	n = last = a.target;
	*steps = 0;
	for (t = 1000; t < 20000; t += 50) {
		n = hubadapt_tick(&a, t, bytes, n < work ? n : work);
		bytes += rate(n < work ? n : work) / 20;
		if (n != last)
			(*steps)++;
		last = n;
	}
	return n;
}

static uint64_t
capped(unsigned n)
{

	return (uint64_t)n * 25000000;	/* 25 MB/s per connection */
}

static uint64_t
uncapped(unsigned n)
{

	return 900000000 + n * 1000;	/* the link, whatever the count */
}

static uint64_t
saturating(unsigned n)
{

	return (uint64_t)(n < 6 ? n : 6) * 25000000;	/* a 150 MB/s link */
}

static void
test_adapt(void)
{
	struct hubadapt	 a;
	unsigned	 steps;

	CU_ASSERT_EQUAL(simulate(4, 16, capped, 64, &steps), 16);
	CU_ASSERT_EQUAL(steps, 2);	/* 4, 8, 16 */
	CU_ASSERT_EQUAL(simulate(4, 16, uncapped, 64, &steps), 4);
	CU_ASSERT_EQUAL(steps, 2);	/* 8 tried, undone */
	CU_ASSERT_EQUAL(simulate(4, 16, saturating, 64, &steps), 8);
	CU_ASSERT_EQUAL(simulate(4, 12, capped, 64, &steps), 12);
	CU_ASSERT_EQUAL(simulate(4, 2, capped, 64, &steps), 2);
	CU_ASSERT_EQUAL(steps, 0);
	/* Work for 3 only: nothing to judge, the count stays. */
	CU_ASSERT_EQUAL(simulate(4, 16, capped, 3, &steps), 4);
	CU_ASSERT_EQUAL(steps, 0);
	hubadapt_init(&a, 16, 16, 0);
	CU_ASSERT_EQUAL(a.state, HUBADAPT_DONE);
	hubadapt_init(&a, 0, 0, 0);
	CU_ASSERT_EQUAL(hubadapt_tick(&a, 10000, 0, 1), 1);
}

/* Exactly 10% more in both halves of the window is a step kept; a
 * little less in one half is undone, however much the other grew. */
static void
test_adapt_threshold(void)
{
	struct hubadapt	 a;

	hubadapt_init(&a, 4, 16, 0);
	hubadapt_tick(&a, 100, 0, 4);
	hubadapt_tick(&a, 250, 300000, 4);
	CU_ASSERT_EQUAL(hubadapt_tick(&a, 400, 600000, 4), 8);	/* 2 MB/s */
	hubadapt_tick(&a, 500, 600000, 8);
	hubadapt_tick(&a, 650, 930000, 8);
	CU_ASSERT_EQUAL(hubadapt_tick(&a, 800, 1260000, 8), 16); /* 2.2 */
	hubadapt_tick(&a, 900, 1260000, 16);
	hubadapt_tick(&a, 1050, 1623000, 16);			/* 2.42 */
	CU_ASSERT_EQUAL(hubadapt_tick(&a, 1200, 1985999, 16), 8); /* 2.42- */
	CU_ASSERT_EQUAL(a.state, HUBADAPT_DONE);
	CU_ASSERT_EQUAL(hubadapt_tick(&a, 9000, 9000000000ULL, 16), 8);

	hubadapt_init(&a, 4, 16, 0);
	hubadapt_tick(&a, 100, 0, 4);
	hubadapt_tick(&a, 250, 300000, 4);
	CU_ASSERT_EQUAL(hubadapt_tick(&a, 400, 600000, 4), 8);
	hubadapt_tick(&a, 500, 600000, 8);
	hubadapt_tick(&a, 650, 1500000, 8);			/* 6 MB/s */
	CU_ASSERT_EQUAL(hubadapt_tick(&a, 800, 1800000, 8), 4); /* 2 */
}

static const struct unit_test tests[] = {
	{ "parts taken in order, their lengths", test_take },
	{ "the contiguous prefix", test_prefix },
	{ "a part dropped half-way", test_drop },
	{ "one stream over recorded ranges", test_stream_overlap },
	{ "recorded ranges merge, bounded", test_add },
	{ "part map round trip", test_map_roundtrip },
	{ "part map: any changed byte refused", test_map_hostile },
	{ "part map: ranges checked", test_map_ranges },
	{ "connections adapt to the CDN", test_adapt },
	{ "connections: the 10% threshold", test_adapt_threshold },
	{ NULL, NULL }
};

UNIT_SUITE("hubparts", NULL, NULL, tests)
