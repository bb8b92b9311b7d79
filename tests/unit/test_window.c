/*
 * Download windows against the clock (window.h): overnight and several
 * windows, none, every minute covered, and the daylight-saving days of
 * Europe/Berlin (the last Sundays of March and October 2025), read from
 * the system's tz database.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "unit.h"
#include "window.h"

/* The epoch second of a UTC date and time. */
static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

/* A policy in zone with windows "HH:MM-HH:MM" given as minute pairs. */
static void
pol(struct policy *p, const char *zone, const unsigned *w, size_t n)
{
	size_t	 i;

	policy_default(p);
	strcpy(p->tz, zone);
	for (i = 0; i < n; i++) {
		p->windows[i].start = w[2 * i];
		p->windows[i].end = w[2 * i + 1];
	}
	p->nwindows = n;
}

#define HM(h, m)	((h) * 60 + (m))

static void
check(const struct policy *p, time_t now, int open, time_t next, int index)
{
	struct window_state	 st;

	window_at(p, now, &st);
	CU_ASSERT_EQUAL(st.open, open);
	CU_ASSERT_EQUAL(st.next, next);
	CU_ASSERT_EQUAL(st.index, index);
	CU_ASSERT_EQUAL(window_open(p, now), open);
}

static void
test_none_and_always(void)
{
	const unsigned	 halves[] = { HM(0, 0), HM(12, 0), HM(12, 0),
	    HM(0, 0) };
	struct policy	 p;

	pol(&p, "Europe/Berlin", NULL, 0);
	check(&p, utc(2025, 6, 1, 12, 0), 1, 0, -1);
	pol(&p, "UTC", halves, 2);
	check(&p, utc(2025, 6, 1, 3, 0), 1, 0, 0);
	check(&p, utc(2025, 6, 1, 13, 0), 1, 0, 1);
}

static void
test_overnight(void)
{
	const unsigned	 w[] = { HM(22, 0), HM(6, 0) };
	struct policy	 p;

	pol(&p, "UTC", w, 1);
	check(&p, utc(2025, 6, 1, 23, 0), 1, utc(2025, 6, 2, 6, 0), 0);
	check(&p, utc(2025, 6, 2, 5, 59), 1, utc(2025, 6, 2, 6, 0), 0);
	/* The end is not inside, the start is. */
	check(&p, utc(2025, 6, 2, 6, 0), 0, utc(2025, 6, 2, 22, 0), 0);
	check(&p, utc(2025, 6, 2, 12, 0) + 30, 0, utc(2025, 6, 2, 22, 0), 0);
	check(&p, utc(2025, 6, 2, 22, 0), 1, utc(2025, 6, 3, 6, 0), 0);
}

static void
test_several(void)
{
	const unsigned	 w[] = { HM(1, 0), HM(2, 0), HM(13, 0), HM(14, 30) };
	struct policy	 p;

	pol(&p, "UTC", w, 2);
	check(&p, utc(2025, 6, 1, 3, 0), 0, utc(2025, 6, 1, 13, 0), 1);
	check(&p, utc(2025, 6, 1, 13, 10), 1, utc(2025, 6, 1, 14, 30), 1);
	check(&p, utc(2025, 6, 1, 15, 0), 0, utc(2025, 6, 2, 1, 0), 0);
	/* Adjacent windows: open across the join. */
	{
		const unsigned	 adj[] = { HM(1, 0), HM(2, 0), HM(2, 0),
		    HM(3, 0) };

		pol(&p, "UTC", adj, 2);
		check(&p, utc(2025, 6, 1, 1, 30), 1, utc(2025, 6, 1, 3, 0), 0);
	}
}

/* Berlin, 30 March 2025: 02:00 CET becomes 03:00 CEST (01:00 UTC). */
static void
test_dst_spring(void)
{
	const unsigned	 night[] = { HM(1, 0), HM(6, 0) };
	const unsigned	 gap[] = { HM(2, 0), HM(2, 30) };
	struct policy	 p;

	pol(&p, "Europe/Berlin", night, 1);
	/* 00:00 CET: opens at 01:00 CET = 00:00 UTC. */
	check(&p, utc(2025, 3, 29, 23, 0), 0, utc(2025, 3, 30, 0, 0), 0);
	/* Open at 01:30 CET; closes at 06:00 CEST = 04:00 UTC: a window of
	 * four hours of real time that night. */
	check(&p, utc(2025, 3, 30, 0, 30), 1, utc(2025, 3, 30, 4, 0), 0);
	/* A window inside the skipped hour does not open that day: next is
	 * 02:00 CEST on the 31st, 00:00 UTC. */
	pol(&p, "Europe/Berlin", gap, 1);
	check(&p, utc(2025, 3, 29, 22, 0), 0, utc(2025, 3, 31, 0, 0), 0);
	/* The day before, 02:00 CET is 01:00 UTC. */
	check(&p, utc(2025, 3, 28, 22, 0), 0, utc(2025, 3, 29, 1, 0), 0);
}

/* Berlin, 26 October 2025: 03:00 CEST becomes 02:00 CET (01:00 UTC). */
static void
test_dst_autumn(void)
{
	const unsigned	 night[] = { HM(1, 0), HM(6, 0) };
	const unsigned	 twice[] = { HM(2, 0), HM(2, 30) };
	struct policy	 p;

	pol(&p, "Europe/Berlin", night, 1);
	/* 01:00 CEST = 23:00 UTC the 25th, 06:00 CET = 05:00 UTC: six hours
	 * of real time. */
	check(&p, utc(2025, 10, 25, 22, 0), 0, utc(2025, 10, 25, 23, 0), 0);
	check(&p, utc(2025, 10, 25, 23, 30), 1, utc(2025, 10, 26, 5, 0), 0);
	/* 02:00-02:30 happens twice: 00:00-00:30 UTC (CEST), then
	 * 01:00-01:30 UTC (CET). */
	pol(&p, "Europe/Berlin", twice, 1);
	check(&p, utc(2025, 10, 25, 23, 30), 0, utc(2025, 10, 26, 0, 0), 0);
	check(&p, utc(2025, 10, 26, 0, 10), 1, utc(2025, 10, 26, 0, 30), 0);
	check(&p, utc(2025, 10, 26, 0, 30), 0, utc(2025, 10, 26, 1, 0), 0);
	check(&p, utc(2025, 10, 26, 1, 0), 1, utc(2025, 10, 26, 1, 30), 0);
}

/* A zone with a 45-minute offset (Nepal, UTC+5:45, no DST). */
static void
test_odd_offset(void)
{
	const unsigned	 w[] = { HM(6, 0), HM(7, 0) };
	struct policy	 p;

	pol(&p, "Asia/Kathmandu", w, 1);
	check(&p, utc(2025, 6, 1, 0, 0), 0, utc(2025, 6, 1, 0, 15), 0);
}

static void
test_reason(void)
{
	const unsigned	 w[] = { HM(1, 0), HM(6, 0), HM(20, 0), HM(21, 0) };
	struct window_state	 st;
	struct policy	 p;
	char		 buf[WINDOW_REASON_MAX];
	time_t		 now = utc(2025, 6, 1, 20, 48) + 10;

	pol(&p, "Europe/Berlin", w, 2);
	/* 22:48:10 CEST: the 01:00 window opens in 2 h 11 min 50 s. */
	window_at(&p, now, &st);
	window_reason(&p, &st, now, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Waiting for the download window "
	    "01:00\xe2\x80\x93" "06:00 (Europe/Berlin), starts in 2 h 12 min");
	window_wait_fmt(59, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1 min");
	window_wait_fmt(0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "less than a minute");
	window_wait_fmt(7200, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2 h");
	window_wait_fmt(3599, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1 h");
	window_wait_fmt(3540, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "59 min");
}

/* TZ is what it was after a computation: set, or unset. */
static void
test_tz_restored(void)
{
	const unsigned	 w[] = { HM(1, 0), HM(6, 0) };
	struct policy	 p;
	struct window_state	 st;
	char		*old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	pol(&p, "Europe/Berlin", w, 1);
	setenv("TZ", ":America/New_York", 1);
	window_at(&p, utc(2025, 6, 1, 12, 0), &st);
	CU_ASSERT_STRING_EQUAL(getenv("TZ"), ":America/New_York");
	unsetenv("TZ");
	(void)window_open(&p, utc(2025, 6, 1, 12, 0));
	CU_ASSERT_PTR_NULL(getenv("TZ"));
	if (old != NULL)
		setenv("TZ", old, 1);
	tzset();
	free(old);
}

static const struct unit_test tests[] = {
	{ "no window, and windows covering the day: always open",
	    test_none_and_always },
	{ "an overnight window", test_overnight },
	{ "several windows", test_several },
	{ "Europe/Berlin's spring-forward day", test_dst_spring },
	{ "Europe/Berlin's fall-back day", test_dst_autumn },
	{ "a zone with a 45-minute offset", test_odd_offset },
	{ "the waiting reason and durations", test_reason },
	{ "TZ is restored", test_tz_restored },
	{ NULL, NULL }
};

UNIT_SUITE("window", NULL, NULL, tests)
