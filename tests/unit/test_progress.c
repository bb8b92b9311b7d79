/* Progress maths: speed over a sliding window, ETA, resumed bytes. */
#include <CUnit/CUnit.h>

#include "progress.h"
#include "unit.h"

static void
test_unknown_at_start(void)
{
	struct progress_meter	 m;

	progress_init(&m, 100.0, 10);
	CU_ASSERT(progress_speed(&m) < 0);
	CU_ASSERT_EQUAL(progress_eta(&m, 1000), -1);
	CU_ASSERT_EQUAL(progress_eta(&m, 0), 0);
	progress_add(&m, 100.2, 5000);		/* < 0.5 s of history */
	CU_ASSERT(progress_speed(&m) < 0);
}

static void
test_steady_rate(void)
{
	struct progress_meter	 m;
	int			 i;

	progress_init(&m, 0, 10);
	for (i = 1; i <= 20; i++)
		progress_add(&m, i * 0.25, (uint64_t)i * 250000);
	/* 1,000,000 bytes per second. */
	CU_ASSERT_DOUBLE_EQUAL(progress_speed(&m), 1e6, 1);
	CU_ASSERT_EQUAL(progress_eta(&m, 3000000), 3);
	CU_ASSERT_EQUAL(progress_eta(&m, 3000001), 4);	/* rounded up */
}

static void
test_window_forgets(void)
{
	struct progress_meter	 m;
	int			 i;

	/* Fast for 5 s, then slow for 12 s: the 10 s window sees the slow
	 * rate only. */
	progress_init(&m, 0, 10);
	for (i = 1; i <= 5; i++)
		progress_add(&m, i, (uint64_t)i * 10000000);
	for (i = 1; i <= 12; i++)
		progress_add(&m, 5 + i, 50000000 + (uint64_t)i * 1000);
	CU_ASSERT_DOUBLE_EQUAL(progress_speed(&m), 1000, 1);
}

static void
test_stalled(void)
{
	struct progress_meter	 m;

	progress_init(&m, 0, 10);
	progress_add(&m, 1, 1000);
	progress_add(&m, 12, 1000);
	progress_add(&m, 13, 1000);
	/* Nothing moved within the window: speed 0, ETA unknown. */
	CU_ASSERT_DOUBLE_EQUAL(progress_speed(&m), 0, 0.001);
	CU_ASSERT_EQUAL(progress_eta(&m, 10), -1);
}

static void
test_many_samples(void)
{
	struct progress_meter	 m;
	int			 i;

	/* More samples than the ring holds, closely spaced. */
	progress_init(&m, 0, 10);
	for (i = 1; i <= 1000; i++)
		progress_add(&m, i * 0.01, (uint64_t)i * 100);
	CU_ASSERT_DOUBLE_EQUAL(progress_speed(&m), 10000, 50);
}

/* Sizes in messages: 1024 steps, whole bytes, one decimal above. */
static void
test_fmt_bytes(void)
{
	char	 buf[32];

	progress_fmt_bytes(buf, sizeof(buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "0 B");
	progress_fmt_bytes(buf, sizeof(buf), 1023);
	CU_ASSERT_STRING_EQUAL(buf, "1023 B");
	progress_fmt_bytes(buf, sizeof(buf), 1536);
	CU_ASSERT_STRING_EQUAL(buf, "1.5 KB");
	progress_fmt_bytes(buf, sizeof(buf), 3ULL << 30);
	CU_ASSERT_STRING_EQUAL(buf, "3.0 GB");
	progress_fmt_bytes(buf, sizeof(buf), 5ULL << 50);
	CU_ASSERT_STRING_EQUAL(buf, "5120.0 TB");
}

static const struct unit_test tests[] = {
	{ "sizes as people read them", test_fmt_bytes },
	{ "speed unknown at start", test_unknown_at_start },
	{ "steady rate and ETA", test_steady_rate },
	{ "window forgets old rate", test_window_forgets },
	{ "stalled transfer", test_stalled },
	{ "ring wraps", test_many_samples },
	{ NULL, NULL }
};

UNIT_SUITE("progress", NULL, NULL, tests)
