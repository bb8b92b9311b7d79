#ifndef MM_WINDOW_H
#define MM_WINDOW_H

#include <stddef.h>
#include <time.h>

#include "policy.h"

/*
 * The download windows of a policy against the clock, in the policy's
 * time zone with its rules from the system's tz database (daylight saving
 * included): is a window open now, when does that change, and the
 * sentence a waiting task shows.  The zone is entered by setting TZ (and
 * tzset) around each computation and restored after: safe in these
 * processes, whose only other threads (a download's hashers) never read
 * the environment or the local time.
 */

struct window_state {
	int	 open;		/* downloads may run now */
	time_t	 next;		/* when open changes; 0: never */
	int	 index;		/* the window open now, or the one opening at
				   next; -1: none (no window) */
};

/* The wall clock the windows are read on: time(2) plus offset seconds
 * (MM_TEST_CLOCK_OFFSET_SECONDS, a test aid; 0 otherwise). */
time_t		 window_clock(long long offset);

/*
 * Where now stands against p's windows.  No window: open, never
 * changing.  Windows covering every minute of the day: open, never
 * changing.  Can't fail (a zone the system lost reads as UTC, as glibc
 * does).
 */
void		 window_at(const struct policy *p, time_t now,
		    struct window_state *st);

/* Only whether a window of p is open at now (window_at's open). */
int		 window_open(const struct policy *p, time_t now);

/* "01:00–06:00" (an en dash; 14 bytes with the NUL). */
#define WINDOW_FMT_MAX	16
void		 window_fmt(const struct policy_window *w,
		    char buf[WINDOW_FMT_MAX]);

/* "3 h 12 min", "12 min", "3 h", "less than a minute": seconds rounded
 * up to the minute. */
void		 window_wait_fmt(long long seconds, char *buf, size_t len);

/*
 * What a task waiting for st's next window says: "Waiting for the
 * download window 01:00–06:00 (Europe/Berlin), starts in 3 h 12 min".
 * st must be closed (else the sentence says the window is open).
 */
#define WINDOW_REASON_MAX	192
void		 window_reason(const struct policy *p,
		    const struct window_state *st, time_t now, char *buf,
		    size_t len);

#endif
