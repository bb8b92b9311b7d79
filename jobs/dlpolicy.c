/*
 * The download policy inside a download job (policy.h): the deployment's
 * cap over every transfer of the job together (bwcap.h), with the policy
 * read again every second so that a change applies within one; the
 * pause at the end of the window (waitq.h); and the time limits counted
 * on transfer time: the time the cap held the transfers back does not
 * count, and a capped download's soft limit grows to twice its size at
 * the cap (the hard one by as much).  The runner reads the hard limit
 * the job set itself from the task's "time_limit" field (gate.c).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "log.h"
#include "waitq.h"
#include "window.h"

#define LIMIT_STEP	2	/* s: the hard limit written when it moved by
				   this much */

/* Reads the policy; a Redis outage keeps the one read before. */
static void
dlpol_read(struct dlpolicy *pw)
{
	struct policy	 p;

	if (policy_load(pw->job->redis, &pw->job->cfg->policy, &p) != ERR_OK)
		return;
	if (p.max_bps != pw->pol.max_bps)
		log_info("task=%s event=download.cap bytes_per_second=%lld",
		    pw->job->task_id, p.max_bps);
	pw->pol = p;
	bwcap_set_rate(&pw->bw, p.max_bps);
}

void
dlpol_init(struct dlpolicy *pw, struct job *j)
{
	const struct config	*cfg = j->cfg;

	memset(pw, 0, sizeof(*pw));
	pw->job = j;
	pw->soft = cfg->download_soft_limit;
	pw->hard = cfg->download_hard_limit;
	pw->written = cfg->download_hard_limit;
	policy_default(&pw->pol);
	bwcap_init(&pw->bw, j->redis);
	dlpol_read(pw);
	pw->next_read = mono_now() + 1;
}

int
dlpol_take(struct dlpolicy *pw, size_t len)
{

	return bwcap_take(&pw->bw, len, mono_ms());
}

unsigned
dlpol_wait(struct dlpolicy *pw)
{

	return bwcap_wait(&pw->bw, mono_ms());
}

/* Seconds the cap held the transfers back. */
static unsigned long long
throttled_s(const struct dlpolicy *pw)
{

	return bwcap_throttled(&pw->bw, mono_ms()) / 1000;
}

/* The limits under the cap (they only grow). */
static void
dlpol_limits(struct dlpolicy *pw, uint64_t total)
{
	const struct config	*cfg = pw->job->cfg;
	unsigned long long	 soft;

	soft = policy_time_limit(cfg->download_soft_limit, total,
	    pw->pol.max_bps);
	if (soft > pw->soft) {
		pw->soft = soft;
		pw->hard = cfg->download_hard_limit + soft -
		    cfg->download_soft_limit;
	}
}

int
dlpol_fields(struct dlpolicy *pw, const char **f)
{
	unsigned long long	 hard = pw->hard + throttled_s(pw);

	if (hard < pw->written + LIMIT_STEP)
		return 0;
	pw->written = hard;
	snprintf(pw->limit, sizeof(pw->limit), "%ld:%llu", (long)getpid(),
	    hard);
	f[0] = "time_limit";
	f[1] = pw->limit;
	return 1;
}

int
dlpol_tick(struct dlpolicy *pw, double now, uint64_t total)
{
	const struct job	*j = pw->job;

	if (now < pw->next_read)
		return pw->outside;
	pw->next_read = now + 1;
	dlpol_read(pw);
	dlpol_limits(pw, total);
	pw->outside = pw->pol.pause_outside && !j->ignore_window &&
	    !window_open(&pw->pol, window_clock(j->cfg->clock_offset));
	return pw->outside;
}

int
dlpol_timed_out(const struct dlpolicy *pw, double now)
{
	double	 ran = now - pw->job->started - (double)throttled_s(pw);

	return ran >= (double)pw->soft;
}

int
dlpol_park(struct dlpolicy *pw)
{
	struct job		*j = pw->job;
	struct window_state	 st;
	char			 reason[WINDOW_REASON_MAX];
	time_t			 now = window_clock(j->cfg->clock_offset);
	enum err		 e;

	window_at(&pw->pol, now, &st);
	window_reason(&pw->pol, &st, now, reason, sizeof(reason));
	e = waitq_park(j->redis, j->task_id, reason, 1);
	(void)ts_bump_generation(j->redis, NULL);	/* partial files */
	if (e == ERR_REDIS) {
		log_warnx("task=%s event=download.pause_failed outcome=\"back "
		    "on the queue\"", j->task_id);
		return JOB_EXIT_REQUEUE;
	}
	if (e == ERR_CONFLICT)
		job_task_ended(j->redis, &j->audit, &(struct task_end){
		    .task_id = j->task_id, .model_id = j->model_id, .op = j->op,
		    .status = TS_CANCELLED, .duration = mono_now() - j->started,
		    .fetched = j->fetched });
	else
		log_info("task=%s event=download.paused reason=\"%s\"",
		    j->task_id, reason);
	return JOB_EXIT_DONE;
}
