/*
 * What a job child writes about its task: the lease that makes it the one
 * process running the task, and the task's ending, both kept up through a
 * Redis outage for as long as it is worth waiting.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "hub.h"
#include "log.h"
#include "metrics.h"

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
	while ((e = ts_task_finish_result(j->redis, j->task_id, j->model_id,
	    j->op, status, error, j->result)) == ERR_REDIS && job_wait(&w))
		;
	if (e == ERR_OK)
		job_task_ended(j->redis, &j->audit, &(struct task_end){
		    .task_id = j->task_id, .model_id = j->model_id, .op = j->op,
		    .status = status, .error = error,
		    .duration = mono_now() - j->started,
		    .fetched = j->fetched });
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

int
job_progress(struct job *j, const char *const *fields, int nfields,
    enum job_stop *why)
{
	int		 cancel = 0;
	enum err	 e;

	if (job_lease_keep(j) == ERR_CONFLICT) {
		*why = JOB_STOP_LEASE;
		return 1;
	}
	e = ts_task_update(j->redis, j->task_id, j->model_id, j->op, fields,
	    nfields, &cancel);
	if (e != ERR_CONFLICT && !cancel)
		return 0;
	*why = JOB_STOP_CANCEL;
	return 1;
}

int
job_stopped(struct job *j, enum job_stop why, const char *limit_msg)
{
	const char	*pending[] = { "status", TS_PENDING,
	    "bytes_per_second", "", "eta_seconds", "", "attempt", "",
	    "attempt_max", "", "last_error", "", "connections", "" };
	int		 cancel, rc;

	switch (why) {
	case JOB_STOP_LEASE:
		/* Another process took the task over (our lease lapsed during
		 * a Redis outage): it writes the status, not us. */
		log_warnx("task=%s event=%s.lease_lost", j->task_id,
		    ts_op_str(j->op));
		return JOB_EXIT_DONE;
	case JOB_STOP_TERM:
		(void)ts_task_update(j->redis, j->task_id, j->model_id, j->op,
		    pending, (int)(sizeof(pending) / sizeof(pending[0]) / 2),
		    &cancel);
		log_info("task=%s event=%s.interrupted", j->task_id,
		    ts_op_str(j->op));
		return JOB_EXIT_REQUEUE;
	case JOB_STOP_LIMIT:
		return job_end(j, TS_FAILED, limit_msg);
	default:
		rc = job_end(j, TS_CANCELLED, NULL);
		log_info("task=%s event=%s.cancelled", j->task_id,
		    ts_op_str(j->op));
		return rc;
	}
}

/* A download's end by outcome: completed (with its throughput), or
 * failed by reason (a cancel is a reason too). */
static void
count_download_end(const struct task_end *te)
{

	if (strcmp(te->status, TS_COMPLETED) == 0) {
		metrics_add(MET_DOWNLOADS_COMPLETED, NULL, NULL, 1);
		if (te->fetched > 0 && te->duration > 0)
			metrics_observe(MET_DOWNLOAD_THROUGHPUT, NULL, NULL,
			    (double)te->fetched / te->duration);
	} else if (strcmp(te->status, TS_CANCELLED) == 0)
		metrics_add(MET_DOWNLOADS_FAILED,
		    metrics_reason_str(MR_CANCELLED), NULL, 1);
	else if (strcmp(te->status, TS_FAILED) == 0)
		metrics_add(MET_DOWNLOADS_FAILED,
		    metrics_reason_str(metrics_reason(te->error)), NULL, 1);
}

void
job_task_ended(struct rconn *r, struct audit_sink *audit,
    const struct task_end *te)
{
	struct audit_event	 e;

	metrics_add(MET_TASKS_ENDED, ts_op_str(te->op), te->status, 1);
	if (te->duration >= 0)
		metrics_observe(MET_TASK_DURATION, ts_op_str(te->op), NULL,
		    te->duration);
	if (te->op == TS_OP_DOWNLOAD && te->duration >= 0)
		count_download_end(te);
	memset(&e, 0, sizeof(e));
	e.event = "task.ended";
	e.model_id = te->model_id;
	e.task_id = te->task_id;
	e.operation = ts_op_str(te->op);
	e.outcome = te->status;
	e.detail = te->error != NULL && *te->error != '\0' ? te->error :
	    NULL;
	e.confirm = -1;
	e.duration = te->duration;
	(void)audit_record(r, audit, &e);
}

void
job_hub_opts(const struct config *cfg, struct hub_opts *o)
{

	memset(o, 0, sizeof(*o));
	o->endpoint = cfg->hf_endpoint;
	o->token = cfg->hf_token;
	o->sources = &cfg->hub_src;
	o->mirror_cooldown = cfg->hub_mirror_cooldown;
	o->offline = cfg->hf_offline;
	o->disable_symlinks = cfg->hf_disable_symlinks;
	o->connect_timeout = cfg->connect_timeout;
	o->stall_seconds = cfg->stall_seconds;
	o->max_connections = cfg->max_connections;
	o->parts_per_file = cfg->parts_per_file;
	o->part_min_bytes = cfg->part_min_bytes;
	o->checkpoint_bytes = cfg->checkpoint_bytes;
	o->retry_max = cfg->retry_max;
	o->retry_base_ms = cfg->retry_base_ms;
	o->retry_max_ms = cfg->retry_max_ms;
	o->max_path_depth = cfg->hub_max_path_depth;
	o->max_dirs = cfg->hub_max_dirs;
	o->max_listing_bytes = cfg->hub_max_listing_bytes;
	o->user_agent = "model-manager/1.0; hf_hub-compatible";
}
