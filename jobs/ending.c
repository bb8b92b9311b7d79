/*
 * How a job child ended, written to Redis by the parent: its task goes
 * back on the queue, or leaves the runner's processing list (failed first,
 * with why, when the child wrote no terminal status).  An ending Redis
 * cannot take is kept and written again every second, so that a child
 * that ends during a Redis outage never leaves its task "running".
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "extern.h"
#include "log.h"

void
ending_of(struct ending *e, const struct child *c, int status)
{
	int	 done;

	memset(e, 0, sizeof(*e));
	memcpy(e->task_id, c->task_id, sizeof(e->task_id));
	memcpy(e->model_id, c->model_id, sizeof(e->model_id));
	e->op = c->op;
	e->ran = mono_now() - c->started;
	e->requeue = WIFEXITED(status) &&
	    WEXITSTATUS(status) == JOB_EXIT_REQUEUE;
	done = WIFEXITED(status) && WEXITSTATUS(status) == JOB_EXIT_DONE;
	if (e->requeue || done)
		return;
	if (c->hard_killed)
		snprintf(e->why, sizeof(e->why), "%s timed out (hard time "
		    "limit reached, job killed)", c->op == TS_OP_DOWNLOAD ?
		    "Download" : "Delete");
	else if (WIFSIGNALED(status))
		snprintf(e->why, sizeof(e->why), "Job process was killed by "
		    "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(e->why, sizeof(e->why), "Job process exited with "
		    "status %d", WEXITSTATUS(status));
}

/* Fails the task of e with its why, unless it already ended; 0 when
 * written, -1 when Redis was away. */
static int
ending_fail(const struct ending *e, struct rconn *r, struct audit_sink *a)
{
	enum err	 err;

	err = ts_task_finish(r, e->task_id, e->model_id, e->op, TS_FAILED,
	    e->why);
	if (err == ERR_REDIS)
		return -1;
	if (err == ERR_OK) {
		log_warnx("task=%s event=job.failed reason=\"%s\"",
		    e->task_id, e->why);
		(void)ts_bump_generation(r, NULL);
		job_task_ended(r, a, &(struct task_end){ .task_id = e->task_id,
		    .model_id = e->model_id, .op = e->op, .status = TS_FAILED,
		    .error = e->why, .duration = e->ran });
	}
	return 0;
}

/* Writes e; 0 when written, -1 when Redis was away. */
static int
ending_write(const struct ending *e, struct rconn *r, struct audit_sink *a,
    const char *runner_id)
{

	if (e->requeue) {
		if (runq_requeue(r, runner_id, e->task_id) == ERR_REDIS)
			return -1;
		log_info("task=%s event=job.requeued", e->task_id);
		return 0;
	}
	if (e->why[0] != '\0' && ending_fail(e, r, a) == -1)
		return -1;
	return runq_done(r, runner_id, e->task_id) == ERR_REDIS ? -1 : 0;
}

/* Keeps e in l; -1 when l is full (or out of memory). */
static int
endings_keep(struct endings *l, const struct ending *e)
{

	if (array_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v),
	    ENDINGS_MAX) != ERR_OK)
		return -1;
	l->v[l->n++] = *e;
	return 0;
}

void
endings_add(struct endings *l, struct rconn *r, struct audit_sink *a,
    const char *runner_id, const struct ending *e)
{
	char	 why[300];

	if (ending_write(e, r, a, runner_id) == 0)
		return;
	log_escape(why, sizeof(why), rconn_error(r));
	if (endings_keep(l, e) == 0)
		log_warnx("task=%s event=job.ending_deferred reason=\"Redis "
		    "unreachable: %s\" outcome=\"written again every second "
		    "until Redis answers\"", e->task_id, why);
	else
		log_warnx("task=%s event=job.ending_lost reason=\"Redis "
		    "unreachable: %s; %zu endings already wait\" outcome=\"the "
		    "task stays in this runner's processing list until the "
		    "runner restarts and runs it again\"", e->task_id, why,
		    l->n);
}

void
endings_retry(struct endings *l, struct rconn *r, struct audit_sink *a,
    const char *runner_id)
{
	size_t	 i = 0;

	while (i < l->n)
		if (ending_write(&l->v[i], r, a, runner_id) == 0)
			l->v[i] = l->v[--l->n];
		else
			return;		/* still away */
}

void
endings_free(struct endings *l)
{

	free(l->v);
	memset(l, 0, sizeof(*l));
}
