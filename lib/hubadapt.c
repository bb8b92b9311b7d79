/*
 * The number of connections of one download, adapted to what the CDN
 * gives (see hubadapt.h).
 */
#include "hubadapt.h"

void
hubadapt_init(struct hubadapt *a, unsigned start, unsigned max, uint64_t now)
{

	a->max = max > 0 ? max : 1;
	a->target = start > 0 ? start : 1;
	if (a->target >= a->max)
		a->target = a->max;
	a->prev = a->target;
	a->state = a->target == a->max ? HUBADAPT_DONE : HUBADAPT_SETTLE;
	a->t0 = now;
	a->t1 = a->b0 = a->b1 = a->rate = 0;
	a->least = 0;
}

/* bytes over ms milliseconds, in bytes per second. */
static uint64_t
per_second(uint64_t bytes, uint64_t ms)
{

	return ms > 0 ? bytes * 1000 / ms : 0;
}

/* 1 if rate is at least the growth threshold above the last step's. */
static int
grew(const struct hubadapt *a, uint64_t rate)
{

	return rate * 100 >= a->rate * (100 + HUBADAPT_GROWTH_PCT);
}

/* The window ended at now with bytes: take the next step, or undo this
 * one. */
static void
judge(struct hubadapt *a, uint64_t now, uint64_t bytes)
{
	uint64_t	 first = per_second(a->b1 - a->b0, a->t1 - a->t0);
	uint64_t	 second = per_second(bytes - a->b1, now - a->t1);
	uint64_t	 whole = per_second(bytes - a->b0, now - a->t0);

	a->state = HUBADAPT_SETTLE;
	a->t0 = now;
	if (a->least < a->target)
		return;		/* too little work to tell */
	if (a->rate != 0 && (!grew(a, first) || !grew(a, second))) {
		a->target = a->prev;
		a->state = HUBADAPT_DONE;
		return;
	}
	a->rate = whole;
	a->prev = a->target;
	if (a->target >= a->max)
		a->state = HUBADAPT_DONE;
	else
		a->target = a->target * 2 < a->max ? a->target * 2 : a->max;
}

/* The measure goes on: the window's middle, then its end. */
static void
measure(struct hubadapt *a, uint64_t now, uint64_t bytes, unsigned busy)
{

	if (busy < a->least)
		a->least = busy;
	if (a->t1 == 0 && now - a->t0 >= HUBADAPT_WINDOW_MS / 2) {
		a->t1 = now;
		a->b1 = bytes;
	} else if (a->t1 != 0 && now - a->t0 >= HUBADAPT_WINDOW_MS &&
	    now > a->t1)
		judge(a, now, bytes);
}

unsigned
hubadapt_tick(struct hubadapt *a, uint64_t now, uint64_t bytes, unsigned busy)
{

	switch (a->state) {
	case HUBADAPT_SETTLE:
		if (now - a->t0 >= HUBADAPT_SETTLE_MS) {
			a->state = HUBADAPT_MEASURE;
			a->t0 = now;
			a->t1 = 0;
			a->b0 = bytes;
			a->least = busy;
		}
		break;
	case HUBADAPT_MEASURE:
		measure(a, now, bytes, busy);
		break;
	case HUBADAPT_DONE:
		break;
	}
	return a->target;
}
