#ifndef MM_MONO_H
#define MM_MONO_H

#include <stdint.h>

/*
 * The monotonic clock, for deadlines and durations (never for dates).
 * These cannot fail.
 */
uint64_t	 mono_ms(void);		/* milliseconds */
double		 mono_now(void);	/* seconds, with nanoseconds */

#endif
