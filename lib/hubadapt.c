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
	a->b0 = 0;
	a->rate = 0;
	a->least = 0;
}

/* The window ended with rate: take the next step, or undo this one. */
static void
judge(struct hubadapt *a, uint64_t rate, uint64_t now)
{

	a->t0 = now;
	if (a->least < a->target) {
		a->state = HUBADAPT_SETTLE;	/* too little work to tell */
		return;
	}
	if (a->rate != 0 &&
	    rate * 100 < a->rate * (100 + HUBADAPT_GROWTH_PCT)) {
		a->target = a->prev;
		a->state = HUBADAPT_DONE;
		return;
	}
	a->rate = rate;
	a->prev = a->target;
	if (a->target >= a->max) {
		a->state = HUBADAPT_DONE;
		return;
	}
	a->target = a->target * 2 < a->max ? a->target * 2 : a->max;
	a->state = HUBADAPT_SETTLE;
}

unsigned
hubadapt_tick(struct hubadapt *a, uint64_t now, uint64_t bytes, unsigned busy)
{

	switch (a->state) {
	case HUBADAPT_SETTLE:
		if (now - a->t0 >= HUBADAPT_SETTLE_MS) {
			a->state = HUBADAPT_MEASURE;
			a->t0 = now;
			a->b0 = bytes;
			a->least = busy;
		}
		break;
	case HUBADAPT_MEASURE:
		if (busy < a->least)
			a->least = busy;
		if (now - a->t0 >= HUBADAPT_WINDOW_MS)
			judge(a, (bytes - a->b0) * 1000 / (now - a->t0), now);
		break;
	case HUBADAPT_DONE:
		break;
	}
	return a->target;
}
