/*
 * The download policy in the runner, mm-jobd's parent (policy.h): every
 * second the policy from Redis and the waiting set's tick (waitq.h),
 * which starts the waiting downloads once a window opens and otherwise
 * keeps them alive with their reasons current; the gate that parks a
 * download taken from the queue outside its window (before it counts as
 * an attempt); and the hard time limit a capped download's job set
 * itself (dlpolicy.c).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "extern.h"
#include "log.h"
#include "num.h"
#include "waitq.h"
#include "window.h"

#define REFRESH_S	30	/* waiting tasks' TTLs and reasons, at least */

/* Logs a change of the policy (the first read included). */
static void
gate_note(const struct gate *g, const struct policy *p)
{

	if (g->have && memcmp(&g->pol, p, sizeof(*p)) == 0)
		return;
	log_info("event=runner.policy cap=%lld windows=%zu timezone=%s "
	    "pause_outside_window=%d", p->max_bps, p->nwindows, p->tz,
	    p->pause_outside);
}

/* Reads the policy; 0, or -1 while Redis is away (the old one kept). */
static int
gate_read(struct gate *g, struct rconn *r, const struct config *cfg)
{
	struct policy	 p;

	if (policy_load(r, &cfg->policy, &p) != ERR_OK)
		return -1;
	gate_note(g, &p);
	g->pol = p;
	g->have = 1;
	return 0;
}

/* The reason of the waiting tasks when it is to be written now, else
 * NULL: it changed (a minute passed, the policy moved), or REFRESH_S
 * passed. */
static const char *
gate_reason(struct gate *g, time_t clock, double now, char *buf,
    size_t len)
{
	struct window_state	 st;

	window_at(&g->pol, clock, &st);
	window_reason(&g->pol, &st, clock, buf, len);
	if (strcmp(buf, g->reason) == 0 && now < g->next_refresh)
		return NULL;
	snprintf(g->reason, sizeof(g->reason), "%s", buf);
	g->next_refresh = now + REFRESH_S;
	return buf;
}

void
gate_tick(struct gate *g, struct rconn *r, const struct config *cfg,
    double now)
{
	char		 buf[WINDOW_REASON_MAX];
	const char	*reason = NULL;
	time_t		 clock = window_clock(cfg->clock_offset);
	long long	 moved;
	int		 open;

	if (now < g->next_tick)
		return;
	g->next_tick = now + 1;
	if (gate_read(g, r, cfg) == -1)
		return;
	open = window_open(&g->pol, clock);
	if (!open && g->waiting > 0)
		reason = gate_reason(g, clock, now, buf, sizeof(buf));
	if (waitq_tick(r, open, reason, &moved, &g->waiting) != ERR_OK) {
		g->reason[0] = '\0';	/* write it again */
		return;
	}
	if (moved > 0)
		log_info("event=runner.window_open tasks=%lld", moved);
}

/* Parks t with the reason of the window it waits for; 1 when it left the
 * processing list's care (parked, cancelled meanwhile, or gone), -1 when
 * Redis failed. */
static int
gate_park(struct gate *g, struct rconn *r, struct audit_sink *a,
    const struct config *cfg, const struct ts_task *t)
{
	struct window_state	 st;
	char			 reason[WINDOW_REASON_MAX];
	time_t			 clock = window_clock(cfg->clock_offset);
	enum err		 e;

	window_at(&g->pol, clock, &st);
	window_reason(&g->pol, &st, clock, reason, sizeof(reason));
	if ((e = waitq_park(r, t->task_id, reason, 0)) == ERR_REDIS)
		return -1;
	if (e == ERR_OK) {
		g->waiting++;
		log_info("task=%s model=%s event=job.waiting reason=\"%s\"",
		    t->task_id, t->model_id, reason);
	} else if (e == ERR_CONFLICT)
		job_task_ended(r, a, &(struct task_end){ .task_id = t->task_id,
		    .model_id = t->model_id, .op = t->op,
		    .status = TS_CANCELLED, .duration = -1 });
	return 1;
}

int
gate_check(struct gate *g, struct rconn *r, struct audit_sink *a,
    const struct config *cfg, const struct ts_task *t)
{

	if (t->op != TS_OP_DOWNLOAD || t->ignore_window)
		return 0;
	if (!g->have && gate_read(g, r, cfg) == -1)
		return -1;
	if (window_open(&g->pol, window_clock(cfg->clock_offset)))
		return 0;
	return gate_park(g, r, a, cfg, t);
}

/* The limit the job of pid c->pid set itself in t ("<pid>:<s>"), or 0. */
static unsigned long long
job_set_limit(const struct child *c, const struct ts_task *t)
{
	char		 pid[24];
	const char	*colon = strchr(t->time_limit, ':');
	long long	 p, s;

	if (colon == NULL || (size_t)(colon - t->time_limit) >= sizeof(pid))
		return 0;
	snprintf(pid, sizeof(pid), "%.*s", (int)(colon - t->time_limit),
	    t->time_limit);
	if (num_parse(pid, 1, INT_MAX, &p, NULL) == -1 || p != c->pid ||
	    num_parse(colon + 1, 0, LLONG_MAX, &s, NULL) == -1)
		return 0;
	return (unsigned long long)s;
}

unsigned long long
gate_hard_limit(struct rconn *r, struct child *c, unsigned long long hard,
    double now)
{
	struct ts_task	 t;

	if (c->op != TS_OP_DOWNLOAD || now - c->started < (double)hard)
		return hard;
	if (now >= c->limit_read) {
		c->limit_read = now + 1;
		if (ts_task_get(r, c->task_id, &t) == ERR_OK)
			c->limit = job_set_limit(c, &t);
	}
	return c->limit > hard ? c->limit : hard;
}
