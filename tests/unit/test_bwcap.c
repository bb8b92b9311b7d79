/*
 * The cap's local accounting (bwcap.h) against a simulated bucket that
 * behaves as the Lua script does, on a simulated clock: slices, spending,
 * refusals and their waits, the throttled time, no cap, a rate change,
 * a piece larger than the bucket, and Redis away.
 */
#include <string.h>

#include <CUnit/CUnit.h>

#include "bwcap.h"
#include "unit.h"

/* The bucket, as take_lua keeps it, on the test's clock (ms). */
struct fake {
	double		 tokens;
	uint64_t	 ts;
	uint64_t	 now;
	int		 down;		/* Redis away */
	unsigned	 asks;
};

static enum err
fake_ask(void *arg, long long rate, uint64_t burst, uint64_t want,
    uint64_t least, uint64_t *grant, unsigned *wait)
{
	struct fake	*f = arg;

	f->asks++;
	if (f->down)
		return ERR_REDIS;
	f->tokens += (double)(f->now - f->ts) * (double)rate / 1000;
	f->ts = f->now;
	if (f->tokens > (double)burst)
		f->tokens = (double)burst;
	*grant = 0;
	*wait = 0;
	if (f->tokens >= (double)least) {
		*grant = f->tokens < (double)want ? (uint64_t)f->tokens : want;
		f->tokens -= (double)*grant;
	} else
		*wait = (unsigned)(((double)(want < burst ? want : burst) -
		    f->tokens) * 1000 / (double)rate + 0.999);
	return ERR_OK;
}

static void
setup(struct bwcap *b, struct fake *f, long long rate)
{

	memset(f, 0, sizeof(*f));
	f->now = 1000;
	f->ts = 1000;
	f->tokens = (double)bwcap_burst(rate);
	bwcap_init(b, NULL);
	b->ask = fake_ask;
	b->arg = f;
	bwcap_set_rate(b, rate);
}

static void
test_sizes(void)
{

	CU_ASSERT_EQUAL(bwcap_slice(0), BWCAP_CHUNK);
	CU_ASSERT_EQUAL(bwcap_slice(10000000), 500000);
	CU_ASSERT_EQUAL(bwcap_burst(10000000), 1000000);
	CU_ASSERT_EQUAL(bwcap_burst(100000), 2 * BWCAP_CHUNK);
}

/* Without a cap, nothing is asked and everything passes. */
static void
test_no_cap(void)
{
	struct bwcap	 b;
	struct fake	 f;

	setup(&b, &f, 0);
	CU_ASSERT_EQUAL(bwcap_take(&b, 1 << 20, 1000), 1);
	CU_ASSERT_EQUAL(bwcap_wait(&b, 1000), 0);
	CU_ASSERT_EQUAL(f.asks, 0);
}

/*
 * A job taking 16 KiB pieces as fast as it may, for 20 simulated seconds
 * at 4 MB/s: what passed is the rate times the time plus the first burst,
 * in slices (few asks), and the time it was refused is counted.
 */
static void
test_paced(void)
{
	struct bwcap	 b;
	struct fake	 f;
	uint64_t	 passed = 0, end;
	long long	 rate = 4000000;

	setup(&b, &f, rate);
	end = f.now + 20000;
	while (f.now < end) {
		if (bwcap_take(&b, 16384, f.now))
			passed += 16384;
		else
			f.now += bwcap_wait(&b, f.now);
	}
	CU_ASSERT(passed <= (uint64_t)rate * 20 + bwcap_burst(rate));
	CU_ASSERT(passed >= (uint64_t)rate * 20 * 99 / 100);
	/* About one ask a slice, and one a refusal. */
	CU_ASSERT(f.asks <= 2 * 20 * 20 + 10);
	/* Spending takes no simulated time: the job waited nearly all of
	 * the 20 s, and that is counted. */
	CU_ASSERT(bwcap_throttled(&b, f.now) > 19000);
	CU_ASSERT(bwcap_throttled(&b, f.now) <= 20000);
}

/* A refusal says how long to wait, and nothing is asked before then. */
static void
test_refused(void)
{
	struct bwcap	 b;
	struct fake	 f;
	unsigned	 w;

	setup(&b, &f, 1000000);
	f.tokens = 0;
	CU_ASSERT_EQUAL(bwcap_take(&b, 100000, f.now), 0);
	/* Until a whole slice (128 KiB) is there. */
	w = bwcap_wait(&b, f.now);
	CU_ASSERT_EQUAL(w, 132);
	CU_ASSERT_EQUAL(f.asks, 1);
	CU_ASSERT_EQUAL(bwcap_take(&b, 100000, f.now + 50), 0);
	CU_ASSERT_EQUAL(f.asks, 1);
	f.now += w;
	CU_ASSERT_EQUAL(bwcap_take(&b, 100000, f.now), 1);
	CU_ASSERT_EQUAL(bwcap_throttled(&b, f.now), 132);
	/* Removing the cap lets everything through at once. */
	f.tokens = 0;
	CU_ASSERT_EQUAL(bwcap_take(&b, 900000, f.now), 0);
	bwcap_set_rate(&b, 0);
	CU_ASSERT_EQUAL(bwcap_take(&b, 900000, f.now + 5), 1);
	CU_ASSERT_EQUAL(bwcap_wait(&b, f.now + 5), 0);
	CU_ASSERT_EQUAL(bwcap_throttled(&b, f.now + 5), 137);
}

/* A piece larger than the bucket holds still passes, in two grants. */
static void
test_large_piece(void)
{
	struct bwcap	 b;
	struct fake	 f;
	size_t		 big = 3 * BWCAP_CHUNK;
	int		 i, ok = 0;

	setup(&b, &f, 100000);
	for (i = 0; i < 100 && !ok; i++) {
		ok = bwcap_take(&b, big, f.now);
		if (!ok)
			f.now += bwcap_wait(&b, f.now) + 1;
	}
	CU_ASSERT_TRUE(ok);
}

/* Redis away: the job paces itself alone at the cap. */
static void
test_redis_away(void)
{
	struct bwcap	 b;
	struct fake	 f;
	uint64_t	 passed = 0, end;
	long long	 rate = 2000000;

	setup(&b, &f, rate);
	f.down = 1;
	end = f.now + 10000;
	while (f.now < end) {
		if (bwcap_take(&b, 16384, f.now))
			passed += 16384;
		else
			f.now += bwcap_wait(&b, f.now);
	}
	CU_ASSERT(passed <= (uint64_t)rate * 10 + bwcap_slice(rate));
	CU_ASSERT(passed >= (uint64_t)rate * 10 * 95 / 100);
}

static const struct unit_test tests[] = {
	{ "slice and burst sizes", test_sizes },
	{ "no cap: nothing asked", test_no_cap },
	{ "a job paced at the rate", test_paced },
	{ "a refusal and its wait", test_refused },
	{ "a piece larger than the bucket", test_large_piece },
	{ "Redis away: paced alone", test_redis_away },
	{ NULL, NULL }
};

UNIT_SUITE("bwcap", NULL, NULL, tests)
