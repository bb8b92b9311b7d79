#ifndef MM_PROGRESS_H
#define MM_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Transfer speed and ETA over a sliding window.  Bytes that were already
 * on disk when a download resumed count in the progress but never in the
 * speed: the meter only sees bytes fetched by this run.
 */

#define PROGRESS_SAMPLES	32

struct progress_meter {
	double		 window;	/* seconds of history used */
	double		 t[PROGRESS_SAMPLES];
	uint64_t	 b[PROGRESS_SAMPLES];
	unsigned	 head, n;
};

/* Starts a meter at time now (seconds, monotonic) with 0 bytes fetched. */
void	 progress_init(struct progress_meter *m, double now, double window);
/* Records that fetched bytes have been fetched by time now (monotonic,
 * non-decreasing). */
void	 progress_add(struct progress_meter *m, double now, uint64_t fetched);
/* Bytes per second over the window, or -1 until measurable (less than
 * 0.5 s of history, or nothing fetched yet). */
double	 progress_speed(const struct progress_meter *m);
/* Whole seconds left for remaining bytes at the current speed (rounded
 * up), 0 when nothing remains, or -1 when the speed is unknown. */
long long progress_eta(const struct progress_meter *m, uint64_t remaining);
/* Writes b as people read it into buf (len bytes): "512 B", "1.5 GB"
 * (1024 steps, one decimal past bytes). */
void	 progress_fmt_bytes(char *buf, size_t len, uint64_t b);

#endif
