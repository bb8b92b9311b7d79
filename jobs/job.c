/*
 * One job, in a child of mm-jobd: take the task's lease (so it never runs
 * twice), mark it running, run the operation, release the lease.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "log.h"

volatile sig_atomic_t	 job_stop;

static void
on_term(int sig)
{

	(void)sig;
	job_stop = 1;
}

static unsigned
lease_ttl(const struct job *j)
{

	return j->cfg->heartbeat_ttl * 3;
}

int
job_finish(struct job *j, const char *status, const char *error)
{
	double		 deadline = mono_now() + JOB_FINISH_WAIT;
	useconds_t	 pause = 100 * 1000;
	enum err	 e;

	while ((e = ts_task_finish(j->redis, j->task_id, j->model_id, j->op,
	    status, error)) == ERR_REDIS && mono_now() < deadline) {
		usleep(pause);
		if (pause < 2000 * 1000)
			pause *= 2;
	}
	if (e != ERR_REDIS)
		return JOB_EXIT_DONE;
	log_warnx("task=%s event=job.status_unwritten status=%s "
	    "reason=\"Redis unreachable for %d s\"", j->task_id, status,
	    JOB_FINISH_WAIT);
	return JOB_EXIT_REQUEUE;
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

/* Waits for the lease a little while: a previous holder (a child of a
 * runner that just died) lets it go when it notices. */
static enum err
lease_take(struct job *j)
{
	double		 deadline = mono_now() + lease_ttl(j) + 2;
	enum err	 e;

	while ((e = runq_lease_acquire(j->redis, j->task_id, j->holder,
	    lease_ttl(j))) == ERR_CONFLICT && mono_now() < deadline &&
	    !job_stop)
		usleep(500 * 1000);
	return e;
}

int
job_run(struct job *j)
{
	struct sigaction	 sa;
	const char		*running[] = { "status", TS_RUNNING };
	int			 rc, cancel;
	enum err		 e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	if ((e = lease_take(j)) != ERR_OK) {
		log_warnx("task=%s event=job.lease_busy", j->task_id);
		return e == ERR_CONFLICT || job_stop ? JOB_EXIT_REQUEUE :
		    JOB_EXIT_FAILED;
	}
	e = ts_task_update(j->redis, j->task_id, j->model_id, j->op, running,
	    1, &cancel);
	if (e == ERR_CONFLICT || e == ERR_NOTFOUND)
		rc = JOB_EXIT_DONE;	/* ended meanwhile (e.g. cancelled) */
	else if (e != ERR_OK)
		rc = JOB_EXIT_REQUEUE;
	else if (cancel)		/* cancelled before it started */
		rc = job_finish(j, TS_CANCELLED, NULL);
	else if (j->op == TS_OP_DOWNLOAD)
		rc = job_download(j);
	else
		rc = job_delete(j);
	(void)runq_lease_release(j->redis, j->task_id, j->holder);
	return rc;
}
