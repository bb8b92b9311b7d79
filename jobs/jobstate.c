/*
 * What a job child writes about its task: the lease that makes it the one
 * process running the task, and the task's ending, both kept up through a
 * Redis outage for as long as it is worth waiting.
 */
#include <stdio.h>
#include <unistd.h>

#include "extern.h"
#include "log.h"

#define JOB_WAIT_PAUSE_MIN	100	/* ms */
#define JOB_WAIT_PAUSE_MAX	2000	/* ms: doubled up to here */

void
job_wait_start(struct job_wait *w, unsigned seconds)
{

	w->deadline = mono_now() + seconds;
	w->pause_ms = JOB_WAIT_PAUSE_MIN;
}

int
job_wait(struct job_wait *w)
{

	if (mono_now() >= w->deadline)
		return 0;
	usleep(w->pause_ms * 1000);
	if (w->pause_ms < JOB_WAIT_PAUSE_MAX)
		w->pause_ms *= 2;
	return 1;
}

/* The lease outlives three missed heartbeats. */
static unsigned
lease_ttl(const struct job *j)
{

	return j->cfg->heartbeat_ttl * 3;
}

enum err
job_lease_take(struct job *j)
{
	double		 deadline = mono_now() + lease_ttl(j) + 2;
	enum err	 e;

	while ((e = runq_lease_acquire(j->redis, j->task_id, j->holder,
	    lease_ttl(j))) == ERR_CONFLICT && mono_now() < deadline &&
	    !*j->stop)
		usleep(500 * 1000);
	return e;
}

enum err
job_lease_keep(struct job *j)
{
	enum err	 e;

	e = runq_lease_renew(j->redis, j->task_id, j->holder, lease_ttl(j));
	if (e == ERR_CONFLICT)
		e = runq_lease_acquire(j->redis, j->task_id, j->holder,
		    lease_ttl(j));
	return e;
}

void
job_lease_release(struct job *j)
{

	(void)runq_lease_release(j->redis, j->task_id, j->holder);
}

int
job_finish(struct job *j, const char *status, const char *error)
{
	struct job_wait	 w;
	char		 why[300];
	enum err	 e;

	job_wait_start(&w, JOB_FINISH_WAIT);
	while ((e = ts_task_finish(j->redis, j->task_id, j->model_id, j->op,
	    status, error)) == ERR_REDIS && job_wait(&w))
		;
	if (e != ERR_REDIS)
		return JOB_EXIT_DONE;
	log_warnx("task=%s event=job.status_unwritten status=%s "
	    "reason=\"Redis unreachable for %d s: %s\" outcome=\"the task "
	    "goes back on the queue and its next run ends it\"", j->task_id,
	    status, JOB_FINISH_WAIT,
	    log_escape(why, sizeof(why), rconn_error(j->redis)));
	return JOB_EXIT_REQUEUE;
}

int
job_end(struct job *j, const char *status, const char *error)
{

	/* First: once the claim is gone, no scan from before may answer. */
	(void)ts_bump_generation(j->redis, NULL);
	return job_finish(j, status, error);
}
