#include <math.h>
#include <stdio.h>

#include "progress.h"

void
progress_init(struct progress_meter *m, double now, double window)
{

	m->window = window;
	m->head = 0;
	m->n = 1;
	m->t[0] = now;
	m->b[0] = 0;
}

void
progress_add(struct progress_meter *m, double now, uint64_t fetched)
{
	unsigned	 last = m->head;

	/* Samples closer than 1/16 s replace the newest one. */
	if (m->n > 1 && now - m->t[last] < 0.0625 &&
	    m->t[last] > m->t[(last + PROGRESS_SAMPLES - 1) %
	    PROGRESS_SAMPLES]) {
		m->t[last] = now;
		m->b[last] = fetched;
		return;
	}
	m->head = (m->head + 1) % PROGRESS_SAMPLES;
	m->t[m->head] = now;
	m->b[m->head] = fetched;
	if (m->n < PROGRESS_SAMPLES)
		m->n++;
}

/* The oldest sample still inside the window (or the oldest kept). */
static unsigned
progress_base(const struct progress_meter *m)
{
	unsigned	 i, idx, best;
	double		 newest = m->t[m->head];

	best = (m->head + PROGRESS_SAMPLES - (m->n - 1)) % PROGRESS_SAMPLES;
	for (i = m->n - 1; i > 0; i--) {
		idx = (m->head + PROGRESS_SAMPLES - i) % PROGRESS_SAMPLES;
		if (newest - m->t[idx] <= m->window)
			return idx;
		best = (idx + 1) % PROGRESS_SAMPLES;
	}
	return best;
}

double
progress_speed(const struct progress_meter *m)
{
	unsigned	 base;
	double		 dt;

	if (m->n < 2)
		return -1;
	base = progress_base(m);
	dt = m->t[m->head] - m->t[base];
	if (dt < 0.5 || m->b[m->head] <= m->b[base])
		return m->b[m->head] > 0 && dt >= 0.5 ? 0 : -1;
	return (double)(m->b[m->head] - m->b[base]) / dt;
}

long long
progress_eta(const struct progress_meter *m, uint64_t remaining)
{
	double	 s;

	if (remaining == 0)
		return 0;
	if ((s = progress_speed(m)) <= 0)
		return -1;
	return (long long)ceil((double)remaining / s);
}

void
progress_fmt_bytes(char *buf, size_t len, uint64_t b)
{
	const char	*unit[] = { "B", "KB", "MB", "GB", "TB" };
	double		 v = (double)b;
	int		 i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
}
