/*
 * Task endpoints: POST /download (claim, create, enqueue) and
 * GET /tasks/{task_id} (progress).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "log.h"
#include "taskstate.h"

/* The 409 conflict object of the contract; every field present. */
cJSON *
conflict_json(const char *type, const char *detail, const char *model_id,
    const struct ts_claim *active)
{
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "conflict_type", type);
	cJSON_AddStringToObject(o, "detail", detail);
	cJSON_AddStringToObject(o, "model_id", model_id);
	if (active != NULL && active->op != TS_OP_NONE) {
		cJSON_AddStringToObject(o, "active_operation",
		    ts_op_str(active->op));
		cJSON_AddStringToObject(o, "active_task_id", active->task_id);
	} else {
		cJSON_AddNullToObject(o, "active_operation");
		cJSON_AddNullToObject(o, "active_task_id");
	}
	cJSON_AddArrayToObject(o, "blocked_by_collections");
	cJSON_AddFalseToObject(o, "requires_confirmation");
	cJSON_AddArrayToObject(o, "warnings");
	return o;
}

/* {task_id, model_id, operation, status, warnings} of a start answer. */
cJSON *
task_start_json(const char *task_id, const char *model_id, enum ts_op op,
    const char *status, cJSON *warnings)
{
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL) {
		cJSON_Delete(warnings);
		return NULL;
	}
	if (task_id != NULL)
		cJSON_AddStringToObject(o, "task_id", task_id);
	else
		cJSON_AddNullToObject(o, "task_id");
	cJSON_AddStringToObject(o, "model_id", model_id);
	cJSON_AddStringToObject(o, "operation", ts_op_str(op));
	cJSON_AddStringToObject(o, "status", status);
	cJSON_AddItemToObject(o, "warnings",
	    warnings ? warnings : cJSON_CreateArray());
	return o;
}

void
resp_not_curated(struct req *r, const char *model_id)
{
	char	*msg = NULL;

	if (asprintf(&msg, "Model '%s' is not in the curated model list",
	    model_id) == -1)
		msg = NULL;
	resp_error(r, 400, msg ? msg : "Model is not in the curated model "
	    "list");
	free(msg);
}

/* The scan of the cache through the per-process cache. */
void
current_scan(struct req *r, struct scanview *sv)
{
	unsigned long long	 gen;
	int			 have_gen;

	have_gen = ts_generation(r->app->redis, &gen) == ERR_OK;
	scancache_get(r->app, 0, have_gen, gen, sv);
}

/*
 * Claims model_id for op and enqueues a new task; answers every outcome
 * of steps 3-5 of the contract.
 */
void
start_task(struct req *r, const char *model_id, enum ts_op op,
    cJSON *warnings)
{
	struct ts_claim		 held;
	enum ts_claim_outcome	 outcome;
	char			 id[37], msg[256];
	enum err		 e;

	ts_new_task_id(id);
	e = ts_claim(r->app->redis, model_id, op, id, &outcome, &held);
	if (e != ERR_OK) {
		cJSON_Delete(warnings);
		resp_error(r, 503, "Task store unavailable");
		return;
	}
	if (outcome == TS_CLAIM_OTHER_OP) {
		cJSON_Delete(warnings);
		snprintf(msg, sizeof(msg), "Cannot %s: %s is active for this "
		    "model", ts_op_str(op), ts_op_str(held.op));
		resp_error_json(r, 409, conflict_json("cross_op_exclusion",
		    msg, model_id, &held), NULL);
		return;
	}
	if (outcome == TS_CLAIM_SAME_OP) {
		resp_json(r, 200, task_start_json(held.task_id, model_id, op,
		    TS_RUNNING, warnings), NULL);
		return;
	}
	if (ts_task_create(r->app->redis, id, model_id, op) != ERR_OK ||
	    ts_enqueue(r->app->redis, id) != ERR_OK) {
		cJSON_Delete(warnings);
		snprintf(msg, sizeof(msg), "Failed to enqueue task: %s",
		    err_str(ERR_REDIS));
		(void)ts_task_finish(r->app->redis, id, model_id, op,
		    TS_FAILED, msg);
		(void)ts_release(r->app->redis, model_id, op, id);
		snprintf(msg, sizeof(msg), "Failed to enqueue background %s "
		    "task", ts_op_str(op));
		resp_error(r, 503, msg);
		return;
	}
	log_info("cid=%s task=%s op=%s model=%s event=task.created", r->cid,
	    id, ts_op_str(op), model_id);
	resp_json(r, 200, task_start_json(id, model_id, op, TS_PENDING,
	    warnings), NULL);
}

void
handle_download(struct req *r)
{
	const struct model	*m;
	struct scanview		 sv;
	const struct hfrepo	*repo;

	if ((m = registry_find_id(r->app->reg, r->p.model_id)) == NULL) {
		resp_not_curated(r, r->p.model_id);
		return;
	}
	current_scan(r, &sv);
	if (sv.scan != NULL && sv.error == NULL &&
	    (repo = hfcache_find(sv.scan, "model", m->id)) != NULL &&
	    repo->nrevisions > 0) {
		resp_json(r, 200, task_start_json(NULL, m->id,
		    TS_OP_DOWNLOAD, TS_ALREADY_INSTALLED, NULL), NULL);
		return;
	}
	start_task(r, m->id, TS_OP_DOWNLOAD, NULL);
}

/* The progress body of a task. */
cJSON *
task_json(const struct ts_task *t)
{
	cJSON	*o = cJSON_CreateObject();
	char	*err;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "task_id", t->task_id);
	cJSON_AddStringToObject(o, "model_id", t->model_id);
	cJSON_AddStringToObject(o, "operation", ts_op_str(t->op));
	cJSON_AddStringToObject(o, "status", t->status);
	cJSON_AddNumberToObject(o, "bytes_downloaded",
	    (double)t->bytes_downloaded);
	cJSON_AddNumberToObject(o, "bytes_total", (double)t->bytes_total);
	if (strcmp(t->status, TS_FAILED) == 0) {
		/* It may quote what a hub sent: UTF-8 only in the answer. */
		err = utf8_sanitize(t->error);
		cJSON_AddStringToObject(o, "error", err != NULL ? err : "");
		free(err);
	} else
		cJSON_AddNullToObject(o, "error");
	cJSON_AddNumberToObject(o, "updated_at", t->updated_at);
	if (t->bytes_per_second >= 0)
		cJSON_AddNumberToObject(o, "bytes_per_second",
		    t->bytes_per_second);
	else
		cJSON_AddNullToObject(o, "bytes_per_second");
	if (t->eta_seconds >= 0)
		cJSON_AddNumberToObject(o, "eta_seconds",
		    (double)t->eta_seconds);
	else
		cJSON_AddNullToObject(o, "eta_seconds");
	cJSON_AddNumberToObject(o, "files_done", (double)t->files_done);
	cJSON_AddNumberToObject(o, "files_total", (double)t->files_total);
	return o;
}

void
handle_task(struct req *r)
{
	struct ts_task	 t;
	char		 msg[96];
	enum err	 e;

	e = ts_task_get(r->app->redis, r->p.task_id, &t);
	if (e == ERR_NOTFOUND) {
		snprintf(msg, sizeof(msg), "Task %s not found", r->p.task_id);
		resp_error(r, 404, msg);
	} else if (e != ERR_OK)
		resp_error(r, 503, "Task store unavailable");
	else
		resp_json(r, 200, task_json(&t), NULL);
}

/* Answers 200 with the task's current progress body. */
static void
resp_task(struct req *r)
{
	struct ts_task	 t;

	if (ts_task_get(r->app->redis, r->p.task_id, &t) != ERR_OK)
		resp_error(r, 503, "Task store unavailable");
	else
		resp_json(r, 200, task_json(&t), NULL);
}

static void
cancel_conflict(struct req *r, const struct ts_task *t, const char *type,
    const char *detail)
{
	struct ts_claim	 c;

	memset(&c, 0, sizeof(c));
	c.op = t->op;
	snprintf(c.task_id, sizeof(c.task_id), "%s", t->task_id);
	resp_error_json(r, 409, conflict_json(type, detail, t->model_id,
	    strcmp(type, "not_cancellable") == 0 ? &c : NULL), NULL);
}

void
handle_cancel(struct req *r)
{
	struct ts_task	 t;
	char		 msg[160];
	enum err	 e;

	e = ts_task_get(r->app->redis, r->p.task_id, &t);
	if (e == ERR_NOTFOUND) {
		snprintf(msg, sizeof(msg), "Task %s not found", r->p.task_id);
		resp_error(r, 404, msg);
		return;
	}
	if (e != ERR_OK) {
		resp_error(r, 503, "Task store unavailable");
		return;
	}
	if (ts_status_terminal(t.status)) {
		snprintf(msg, sizeof(msg), "Task %s has already finished "
		    "(%s)", t.task_id, t.status);
		cancel_conflict(r, &t, "task_finished", msg);
		return;
	}
	e = ts_cancel_queued(r->app->redis, t.task_id, t.model_id, t.op);
	if (e == ERR_OK) {
		log_info("cid=%s task=%s event=task.cancelled state=pending",
		    r->cid, t.task_id);
		resp_task(r);
		return;
	}
	if (e != ERR_NOTFOUND) {
		resp_error(r, 503, "Task store unavailable");
		return;
	}
	if (t.op == TS_OP_DELETE && strcmp(t.status, TS_RUNNING) == 0) {
		cancel_conflict(r, &t, "not_cancellable", "Cannot cancel: a "
		    "running delete cannot be interrupted safely");
		return;
	}
	e = ts_request_cancel(r->app->redis, t.task_id, t.model_id, t.op);
	if (e == ERR_CONFLICT) {	/* finished meanwhile */
		snprintf(msg, sizeof(msg), "Task %s has already finished",
		    t.task_id);
		cancel_conflict(r, &t, "task_finished", msg);
		return;
	}
	if (e != ERR_OK && e != ERR_NOTFOUND) {
		resp_error(r, 503, "Task store unavailable");
		return;
	}
	log_info("cid=%s task=%s event=task.cancel_requested", r->cid,
	    t.task_id);
	resp_task(r);
}
