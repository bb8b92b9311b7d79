#ifndef MM_HUBADAPT_H
#define MM_HUBADAPT_H

#include <stdint.h>

/*
 * How many connections one download uses at once (hubxfer.c), found as
 * it runs: a CDN that caps each connection gives more in aggregate to
 * more connections, one that does not gives nothing for them but load.
 * The count starts low; after a settling time the aggregate rate is
 * measured over a window; while each step (doubling the count, up to the
 * maximum) raised it by at least HUBADAPT_GROWTH_PCT percent in both
 * halves of its window, the next step is tried; a step that did not is
 * undone, and the count stays.  A capped CDN doubles the rate at each
 * step, far above the threshold and the noise; asking both halves for
 * the growth keeps a noisy link that caps nothing from stepping up on one
 * lucky burst.  On loopback or a fast link a new connection reaches its
 * share well within the settling time; on a slow start it shows less
 * than its share, which only makes the growth look smaller.  A window in
 * which fewer connections were busy than allowed (not enough work for
 * them) judges nothing and is measured again.  Pure logic: the caller
 * passes the time and the byte count.
 */

#define HUBADAPT_START		4	/* connections at first */
#define HUBADAPT_SETTLE_MS	100	/* after a step, before measuring */
#define HUBADAPT_WINDOW_MS	300	/* the measure of one step */
#define HUBADAPT_GROWTH_PCT	10

enum hubadapt_state { HUBADAPT_SETTLE, HUBADAPT_MEASURE, HUBADAPT_DONE };

struct hubadapt {
	unsigned		 target;	/* connections allowed now */
	unsigned		 prev;		/* before the step measured */
	unsigned		 max;
	enum hubadapt_state	 state;
	uint64_t		 t0, t1;	/* state start, the window's
						   middle (0 before), ms */
	uint64_t		 b0, b1;	/* bytes then */
	uint64_t		 rate;		/* of the last step kept, B/s */
	unsigned		 least;		/* fewest busy in the window */
};

/*
 * Starts a at start connections (1 when 0), at most max (at least 1), at
 * time now (ms).  With start >= max the count is fixed at max.
 */
void	 hubadapt_init(struct hubadapt *a, unsigned start, unsigned max,
	    uint64_t now);

/*
 * The connections allowed at time now (ms, monotonic) when bytes were
 * received so far in all and busy connections hold work now.
 */
unsigned hubadapt_tick(struct hubadapt *a, uint64_t now, uint64_t bytes,
	    unsigned busy);

#endif
