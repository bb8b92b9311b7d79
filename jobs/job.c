/*
 * One job, in a child of mm-jobd: take the task's lease (so it never runs
 * twice), mark it running, run the operation, release the lease.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "log.h"
#include "metrics.h"

/*
 * Set by the child's SIGTERM handler: the job stops at its next chunk.
 * The only state of this file, since a signal handler must reach it; the
 * job reads it through struct job's stop.
 */
static volatile sig_atomic_t	 job_stop;

static void
on_term(int sig)
{

	(void)sig;
	job_stop = 1;
}

/* SIGTERM and SIGINT stop the job (without SA_RESTART, so that a wait is
 * cut short); the parent's other handlers do not apply here. */
static void
job_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
}

/* The exit status when the lease could not be taken. */
static int
lease_refused(struct job *j, enum err e)
{
	char	 why[300];

	if (e == ERR_CONFLICT || *j->stop) {
		log_warnx("task=%s event=job.lease_busy", j->task_id);
		return JOB_EXIT_REQUEUE;
	}
	log_warnx("task=%s event=job.lease_failed error=\"%s\"", j->task_id,
	    log_escape(why, sizeof(why), rconn_error(j->redis)));
	return JOB_EXIT_FAILED;
}

/*
 * What runs each operation.  One this runner does not know (a newer
 * responder's, in a deployment being upgraded) fails its task, naming it.
 */
static int (*const job_ops[TS_OP_COUNT])(struct job *) = {
	[TS_OP_DOWNLOAD] = job_download,
	[TS_OP_DELETE] = job_delete,
	[TS_OP_UPDATE] = job_update,
	[TS_OP_CHECK] = job_check,
	[TS_OP_VERIFY] = job_verify,
	[TS_OP_REPAIR] = job_repair,
	[TS_OP_PRUNE] = job_prune,
};

/* Runs the operation of the running task j; the exit status. */
static int
job_operate(struct job *j)
{
	char	 why[128];

	if ((unsigned)j->op < TS_OP_COUNT && job_ops[j->op] != NULL)
		return job_ops[j->op](j);
	snprintf(why, sizeof(why), "This job runner cannot run %s tasks: "
	    "upgrade it", ts_op_str(j->op));
	return job_finish(j, TS_FAILED, why);
}

/* Marks the task running and runs its operation; the exit status. */
static int
job_dispatch(struct job *j)
{
	/* No retry state from a run before this one. */
	const char	*running[] = { "status", TS_RUNNING, "attempt", "",
	    "attempt_max", "", "last_error", "" };
	char		 why[300];
	int		 cancel;
	enum err	 e;

	e = ts_task_update(j->redis, j->task_id, j->model_id, j->op, running,
	    (int)(sizeof(running) / sizeof(running[0]) / 2), &cancel);
	if (e == ERR_CONFLICT || e == ERR_NOTFOUND)
		return JOB_EXIT_DONE;	/* ended meanwhile (cancelled) */
	if (e != ERR_OK) {
		log_warnx("task=%s event=job.requeued reason=\"cannot mark it "
		    "running: %s\"", j->task_id,
		    log_escape(why, sizeof(why), rconn_error(j->redis)));
		return JOB_EXIT_REQUEUE;
	}
	if (cancel)			/* cancelled before it started */
		return job_finish(j, TS_CANCELLED, NULL);
	if (j->op == TS_OP_DOWNLOAD)
		metrics_add(MET_DOWNLOADS_STARTED, NULL, NULL, 1);
	return job_operate(j);
}

/* Runs the job under its lease; the exit status. */
static int
job_run(struct job *j)
{
	enum err	 e;
	int		 rc;

	if ((e = job_lease_take(j)) != ERR_OK)
		return lease_refused(j, e);
	rc = job_dispatch(j);
	job_lease_release(j);
	return rc;
}

int
job_main(const struct config *cfg, const struct ts_task *t)
{
	struct job	 j;
	char		 err[256];
	int		 rc;

	job_signals();
	memset(&j, 0, sizeof(j));
	j.cfg = cfg;
	j.stop = &job_stop;
	j.op = t->op;
	j.ignore_window = t->ignore_window;
	j.started = mono_now();
	snprintf(j.task_id, sizeof(j.task_id), "%s", t->task_id);
	snprintf(j.model_id, sizeof(j.model_id), "%s", t->model_id);
	snprintf(j.params, sizeof(j.params), "%s", t->params);
	snprintf(j.holder, sizeof(j.holder), "%s:%ld", cfg->runner_id,
	    (long)getpid());
	if ((j.redis = rconn_open(cfg->redis_url, cfg->redis_timeout_ms, err,
	    sizeof(err))) == NULL) {
		log_warnx("task=%s event=job.redis_failed error=\"%s\"",
		    j.task_id, err);
		return JOB_EXIT_FAILED;
	}
	/* Progress writes carry the counts; what is left goes before the
	 * exit. */
	rconn_set_hook(j.redis, metrics_hook, NULL);
	audit_open(&j.audit, cfg->audit_file, cfg->audit_max_events);
	rc = job_run(&j);
	if (j.fetched > 0)
		metrics_add(MET_DOWNLOAD_BYTES, NULL, NULL, (double)j.fetched);
	(void)metrics_flush(j.redis);
	free(j.result);
	audit_close(&j.audit);
	rconn_close(&j.redis);
	return rc;
}
