/* Bounded number parsing, the monotonic clock, growing arrays and strings. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <CUnit/CUnit.h>

#include "array.h"
#include "mono.h"
#include "num.h"
#include "sbuf.h"
#include "unit.h"

static void
test_parse(void)
{
	static const struct {
		const char	*s;
		long long	 min, max, want;
		const char	*why;	/* NULL when it parses */
	} cases[] = {
		{ "0", 0, 10, 0, NULL },
		{ "10", 0, 10, 10, NULL },
		{ "-5", -10, 10, -5, NULL },
		{ "007", 0, 10, 7, NULL },
		{ "9223372036854775807", 0, LLONG_MAX, LLONG_MAX, NULL },
		{ "-9223372036854775808", LLONG_MIN, 0, LLONG_MIN, NULL },
		{ "11", 0, 10, 0, "too large" },
		{ "-1", 0, 10, 0, "too small" },
		{ "9223372036854775808", 0, LLONG_MAX, 0, "too large" },
		{ "-9223372036854775809", LLONG_MIN, 0, 0, "too small" },
		{ "", 0, 10, 0, "invalid" },
		{ "-", -10, 10, 0, "invalid" },
		{ " 1", 0, 10, 0, "invalid" },
		{ "1 ", 0, 10, 0, "invalid" },
		{ "+1", 0, 10, 0, "invalid" },
		{ "1x", 0, 10, 0, "invalid" },
		{ "0x10", 0, 100, 0, "invalid" },
		{ "--1", -10, 10, 0, "invalid" },
	};
	const char	*why;
	long long	 v;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 42;
		why = "unset";
		rc = num_parse(cases[i].s, cases[i].min, cases[i].max, &v,
		    &why);
		if (cases[i].why == NULL) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_PTR_NULL(why);
			CU_ASSERT_EQUAL(v, cases[i].want);
		} else {
			CU_ASSERT_EQUAL(rc, -1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(why);
			CU_ASSERT_STRING_EQUAL(why, cases[i].why);
			CU_ASSERT_EQUAL(v, 42);
		}
	}
	CU_ASSERT_EQUAL(num_parse("3", 0, 5, &v, NULL), 0);
	CU_ASSERT_EQUAL(num_parse("6", 0, 5, &v, NULL), -1);
}

static void
test_double(void)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "x", "1e999", "inf", "nan", "-inf", "1.5x",
	};
	double	 d = 0;
	size_t	 i;

	CU_ASSERT_EQUAL(num_parse_double("1.5", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 1.5, 1e-12);
	CU_ASSERT_EQUAL(num_parse_double("-2e3", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, -2000, 1e-9);
	CU_ASSERT_EQUAL(num_parse_double(".25", &d), 0);
	CU_ASSERT_DOUBLE_EQUAL(d, 0.25, 1e-12);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = 7;
		CU_ASSERT_EQUAL(num_parse_double(bad[i], &d), -1);
		CU_ASSERT_DOUBLE_EQUAL(d, 7, 0);
	}
}

static void
test_mono(void)
{
	uint64_t	 a = mono_ms(), b = mono_ms();
	double		 s = mono_now(), t = mono_now();

	CU_ASSERT(b >= a);
	CU_ASSERT(t >= s);
	CU_ASSERT(s > 0);
}

static void
test_grow(void)
{
	int	*v = NULL;
	size_t	 cap = 0, i;

	CU_ASSERT_EQUAL(array_grow(&v, &cap, 1, sizeof(*v), 100), ERR_OK);
	CU_ASSERT_EQUAL(cap, 16);
	for (i = 0; i < 16; i++)
		v[i] = (int)i;
	CU_ASSERT_EQUAL(array_grow(&v, &cap, 16, sizeof(*v), 100), ERR_OK);
	CU_ASSERT_EQUAL(cap, 16);
	CU_ASSERT_EQUAL(array_grow(&v, &cap, 17, sizeof(*v), 100), ERR_OK);
	CU_ASSERT_EQUAL(cap, 32);
	CU_ASSERT_EQUAL(v[15], 15);
	CU_ASSERT_EQUAL(array_grow(&v, &cap, 90, sizeof(*v), 100), ERR_OK);
	CU_ASSERT_EQUAL(cap, 100);
	CU_ASSERT_EQUAL(array_grow(&v, &cap, 101, sizeof(*v), 100),
	    ERR_TOOBIG);
	CU_ASSERT_EQUAL(cap, 100);
	CU_ASSERT_EQUAL(v[15], 15);
	free(v);
}

static void
test_sbuf(void)
{
	struct sbuf	 b = SBUF_INIT_MAX(8), d = SBUF_INIT;
	char		*s, data[] = "abcd";

	sbuf_adds(&b, "abc");
	sbuf_add(&b, "defg", 4);	/* 7 bytes and the NUL: full */
	CU_ASSERT_FALSE(b.failed);
	CU_ASSERT_STRING_EQUAL(b.s, "abcdefg");
	sbuf_add(&b, "h", 1);
	CU_ASSERT_TRUE(b.failed);
	CU_ASSERT_TRUE(b.toobig);
	CU_ASSERT_EQUAL(b.len, 7);
	sbuf_adds(&b, "");		/* nothing more once failed */
	CU_ASSERT_TRUE(b.failed);
	sbuf_reset(&b);
	CU_ASSERT_FALSE(b.failed);
	CU_ASSERT_FALSE(b.toobig);
	CU_ASSERT_EQUAL(b.max, 8);
	CU_ASSERT_STRING_EQUAL(b.s, "");
	sbuf_adds(&b, "xy");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = sbuf_finish(&b));
	CU_ASSERT_STRING_EQUAL(s, "xy");
	free(s);
	b = (struct sbuf)SBUF_INIT_MAX(4);
	sbuf_adds(&b, "12345");
	CU_ASSERT_PTR_NULL(sbuf_finish(&b));	/* failed: freed, NULL */
	CU_ASSERT_PTR_NULL(b.s);
	b = (struct sbuf)SBUF_INIT_MAX(4);
	CU_ASSERT_EQUAL(sbuf_write_cb(data, 1, 2, &b), 2);
	CU_ASSERT_EQUAL(sbuf_write_cb(data + 2, 2, 1, &b), 0);	/* past max */
	CU_ASSERT_EQUAL(sbuf_write_cb(data, 1, 0, &b), 0);	/* failed */
	CU_ASSERT_STRING_EQUAL(b.s, "ab");
	free(b.s);
	CU_ASSERT_EQUAL(d.max, SBUF_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s = sbuf_finish(&d));
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

static const struct unit_test tests[] = {
	{ "bounded integers", test_parse },
	{ "finite doubles", test_double },
	{ "monotonic clock", test_mono },
	{ "growing arrays", test_grow },
	{ "growing strings", test_sbuf },
	{ NULL, NULL }
};

UNIT_SUITE("num", NULL, NULL, tests)
