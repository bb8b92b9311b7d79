/*
 * The download policy at the edge (policy.h): GET and PUT
 * /api/v2/models/policy, POST /api/v2/models/tasks/{task_id}/start-now;
 * where a new download goes (the queue, or the waiting set outside its
 * window: waitq.h); the waiting reason of the progress body; the
 * policy's gauges on the metrics page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "log.h"
#include "metrics.h"
#include "waitq.h"
#include "window.h"

/* The policy in Redis (seeded from the configuration); answers 503 and
 * returns -1 when Redis cannot be read. */
static int
policy_read(struct req *r, struct policy *p)
{

	if (policy_load(r->app->redis, &r->app->cfg->policy, p) == ERR_OK)
		return 0;
	resp_err(r, ERR_REDIS);
	return -1;
}

/* GET /api/v2/models/policy. */
void
handle_policy_get(struct req *r)
{
	struct policy	 p;

	if (policy_read(r, &p) == 0)
		resp_ok(r, policy_to_json(&p));
}

/* The audit's record of a change: {"old": ..., "new": ...}. */
static cJSON *
policy_change(const struct policy *old, const struct policy *new)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddItemToObject(o, "old", policy_to_json(old));
	cJSON_AddItemToObject(o, "new", policy_to_json(new));
	return o;
}

/* PUT /api/v2/models/policy: the whole policy, validated by route.c's
 * table (policy_from_json), is stored; every runner applies it within a
 * second. */
void
handle_policy_put(struct req *r)
{
	const struct policy	*p = &r->p.policy;
	struct policy		 old;
	char			*text;
	enum err		 e;

	if ((e = policy_store(r->app->redis, p, &r->app->cfg->policy,
	    &old)) != ERR_OK) {
		resp_err(r, e == ERR_NOMEM ? e : ERR_REDIS);
		return;
	}
	r->note.change = policy_change(&old, p);
	snprintf(r->note.outcome, sizeof(r->note.outcome), "changed");
	text = policy_print(p);
	log_info("cid=%s event=policy.changed policy=%s", r->cid,
	    text != NULL ? text : "?");
	free(text);
	resp_ok(r, policy_to_json(p));
}

/* Answers 409 about t: type, detail, the task named when it still
 * runs or waits. */
static void
start_now_conflict(struct req *r, const struct ts_task *t, const char *type,
    const char *detail)
{
	struct ts_claim	 c;
	char		 msg[192];
	int		 live = !ts_status_terminal(t->status);

	memset(&c, 0, sizeof(c));
	c.op = live ? t->op : TS_OP_NONE;
	snprintf(c.task_id, sizeof(c.task_id), "%s", t->task_id);
	snprintf(msg, sizeof(msg), "Task %s %s", t->task_id, detail);
	resp_err_json(r, ERR_CONFLICT, conflict_json(type, msg, t->model_id,
	    &c));
}

/* POST /api/v2/models/tasks/{task_id}/start-now: a waiting download goes
 * to the queue, to run whatever the windows say (the cap still
 * applies). */
void
handle_start_now(struct req *r)
{
	struct ts_task	 t;
	enum err	 e;

	if (task_load(r, &t) == -1)
		return;
	if (ts_status_terminal(t.status)) {
		start_now_conflict(r, &t, "task_finished",
		    "has already finished");
		return;
	}
	if ((e = waitq_start_now(r->app->redis, t.task_id)) == ERR_NOTFOUND)
		start_now_conflict(r, &t, "not_waiting",
		    "is not waiting for a download window");
	else if (e != ERR_OK)
		resp_err(r, ERR_REDIS);
	else {
		log_info("cid=%s task=%s event=task.started_now", r->cid,
		    t.task_id);
		if (task_load(r, &t) == 0)
			resp_ok(r, task_json(r, &t));
	}
}

/*
 * Where a new task goes once created: a download outside its window
 * waits in the waiting set with its reason, anything else to the queue.
 * ERR_REDIS when Redis failed.
 */
enum err
policy_enqueue(struct req *r, const char *task_id, enum ts_op op)
{
	struct policy		 p;
	struct window_state	 st;
	char			 reason[WINDOW_REASON_MAX];
	time_t			 now = window_clock(r->app->cfg->clock_offset);

	if (op != TS_OP_DOWNLOAD)
		return ts_enqueue(r->app->redis, task_id);
	if (policy_load(r->app->redis, &r->app->cfg->policy, &p) != ERR_OK)
		return ERR_REDIS;
	if (window_open(&p, now))
		return ts_enqueue(r->app->redis, task_id);
	window_at(&p, now, &st);
	window_reason(&p, &st, now, reason, sizeof(reason));
	log_info("cid=%s task=%s event=task.waiting reason=\"%s\"", r->cid,
	    task_id, reason);
	/* A cancel that came first ended it: that is not a failure. */
	return waitq_park(r->app->redis, task_id, reason, 0) == ERR_REDIS ?
	    ERR_REDIS : ERR_OK;
}

/* waiting_reason of the progress body: a pending task's, else null. */
void
policy_add_waiting(cJSON *o, const struct ts_task *t)
{

	if (strcmp(t->status, TS_PENDING) == 0 && t->waiting_reason[0] != '\0')
		cJSON_AddItemToObject(o, "waiting_reason",
		    json_utf8(t->waiting_reason));
	else
		cJSON_AddNullToObject(o, "waiting_reason");
}

/* The cap (0: none) and the downloads waiting for a window; nothing when
 * Redis cannot say. */
void
policy_gauges(struct req *r, struct sbuf *out)
{
	struct policy	 p;
	long long	 n;

	if (policy_load(r->app->redis, &r->app->cfg->policy, &p) == ERR_OK)
		metrics_format_gauge(out, "mm_download_cap_bytes_per_second",
		    "The download policy's cap for the whole deployment, 0 "
		    "when none", (double)p.max_bps);
	if (waitq_count(r->app->redis, &n) == ERR_OK)
		metrics_format_gauge(out, "mm_downloads_waiting", "Downloads "
		    "waiting for their download window", (double)n);
}
