/*
 * Download windows against the clock, in the policy's time zone
 * (window.h).  The next change is found by walking the minutes ahead:
 * windows are whole minutes and every zone's offset is too, so the first
 * minute whose state differs is exactly when the state changes, across
 * any daylight-saving jump (a skipped or repeated hour) without special
 * cases.  The walk stops after two days: with at least one window and
 * one closed minute, the state changes within 25 hours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "window.h"

#define DAY_MINUTES	(24 * 60)
#define WALK_MINUTES	(2 * DAY_MINUTES)
#define EN_DASH		"\xe2\x80\x93"

time_t
window_clock(long long offset)
{

	return time(NULL) + (time_t)offset;
}

/* 1 if minute m of the day is inside window w. */
static int
inside(const struct policy_window *w, unsigned m)
{

	if (w->start < w->end)
		return m >= w->start && m < w->end;
	return m >= w->start || m < w->end;
}

/* The first window of p holding minute m, or -1. */
static int
holding(const struct policy *p, unsigned m)
{
	size_t	 i;

	for (i = 0; i < p->nwindows; i++)
		if (inside(&p->windows[i], m))
			return (int)i;
	return -1;
}

/* 1 if every minute of the day is inside a window. */
static int
always_open(const struct policy *p)
{
	unsigned	 m;

	for (m = 0; m < DAY_MINUTES; m++)
		if (holding(p, m) == -1)
			return 0;
	return 1;
}

/* The minute of the day at t, in the zone TZ names now. */
static unsigned
minute_at(time_t t)
{
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (unsigned)(tm.tm_hour * 60 + tm.tm_min);
}

/* The saved TZ while a policy's zone is entered. */
struct tzsave {
	char	*old;		/* NULL: TZ was unset */
};

static void
tz_enter(const char *zone, struct tzsave *s)
{
	const char	*old = getenv("TZ");
	char		 tz[POLICY_TZ_MAX + 2];

	s->old = old != NULL ? strdup(old) : NULL;
	snprintf(tz, sizeof(tz), ":%s", zone);
	(void)setenv("TZ", tz, 1);
	tzset();
}

static void
tz_leave(struct tzsave *s)
{

	if (s->old != NULL)
		(void)setenv("TZ", s->old, 1);
	else
		(void)unsetenv("TZ");
	tzset();
	free(s->old);
	s->old = NULL;
}

/* The first minute boundary after now where open changes; 0: none. */
static time_t
walk(const struct policy *p, time_t now, int open)
{
	time_t	 t = now - now % 60;
	int	 k;

	for (k = 0; k < WALK_MINUTES; k++) {
		t += 60;
		if ((holding(p, minute_at(t)) != -1) != open)
			return t;
	}
	return 0;
}

void
window_at(const struct policy *p, time_t now, struct window_state *st)
{
	struct tzsave	 s;

	st->open = 1;
	st->next = 0;
	st->index = -1;
	if (p->nwindows == 0)
		return;
	tz_enter(p->tz, &s);
	st->index = holding(p, minute_at(now));
	st->open = st->index != -1;
	if (!st->open || !always_open(p))
		st->next = walk(p, now, st->open);
	if (!st->open && st->next != 0)
		st->index = holding(p, minute_at(st->next));
	tz_leave(&s);
}

int
window_open(const struct policy *p, time_t now)
{
	struct tzsave	 s;
	int		 open;

	if (p->nwindows == 0)
		return 1;
	tz_enter(p->tz, &s);
	open = holding(p, minute_at(now)) != -1;
	tz_leave(&s);
	return open;
}

void
window_fmt(const struct policy_window *w, char buf[WINDOW_FMT_MAX])
{
	char	 a[6], b[6];

	policy_time_fmt(w->start, a);
	policy_time_fmt(w->end, b);
	snprintf(buf, WINDOW_FMT_MAX, "%s" EN_DASH "%s", a, b);
}

void
window_wait_fmt(long long seconds, char *buf, size_t len)
{
	long long	 m = seconds > 0 ? (seconds + 59) / 60 : 0;

	if (m == 0)
		snprintf(buf, len, "less than a minute");
	else if (m < 60)
		snprintf(buf, len, "%lld min", m);
	else if (m % 60 == 0)
		snprintf(buf, len, "%lld h", m / 60);
	else
		snprintf(buf, len, "%lld h %lld min", m / 60, m % 60);
}

void
window_reason(const struct policy *p, const struct window_state *st,
    time_t now, char *buf, size_t len)
{
	char	 w[WINDOW_FMT_MAX], in[32];

	if (st->open || st->index < 0) {
		snprintf(buf, len, "The download window is open");
		return;
	}
	window_fmt(&p->windows[st->index], w);
	window_wait_fmt((long long)(st->next - now), in, sizeof(in));
	snprintf(buf, len, "Waiting for the download window %s (%s), starts "
	    "in %s", w, p->tz, in);
}
