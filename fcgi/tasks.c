/*
 * Task endpoints: POST /download (claim, create, enqueue),
 * GET /tasks/{task_id} (progress) and POST /tasks/{task_id}/cancel.
 * Whatever way a task store call fails, the answer is the contract's 503
 * "Task store unavailable" (ERR_REDIS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "log.h"
#include "taskstate.h"
#include "waitq.h"

/* The 409 conflict object of the contract, every field present (active
 * may be NULL: no active operation); NULL on out-of-memory. */
cJSON *
conflict_json(const char *type, const char *detail, const char *model_id,
    const struct ts_claim *active)
{
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "conflict_type", type);
	cJSON_AddStringToObject(o, "detail", detail);
	json_add_string_or_null(o, "model_id",
	    model_id[0] != '\0' ? model_id : NULL);
	if (active != NULL && active->op == TS_OP_NONE)
		active = NULL;
	json_add_string_or_null(o, "active_operation",
	    active != NULL ? ts_op_str(active->op) : NULL);
	json_add_string_or_null(o, "active_task_id",
	    active != NULL ? active->task_id : NULL);
	cJSON_AddArrayToObject(o, "blocked_by_collections");
	cJSON_AddFalseToObject(o, "requires_confirmation");
	cJSON_AddArrayToObject(o, "warnings");
	return o;
}

/* {task_id, model_id, operation, status, warnings} of a start answer
 * (task_id NULL: null); consumes warnings (NULL: []).  NULL on
 * out-of-memory. */
cJSON *
task_start_json(const char *task_id, const char *model_id, enum ts_op op,
    const char *status, cJSON *warnings)
{
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL) {
		cJSON_Delete(warnings);
		return NULL;
	}
	json_add_string_or_null(o, "task_id", task_id);
	json_add_string_or_null(o, "model_id",
	    model_id[0] != '\0' ? model_id : NULL);
	cJSON_AddStringToObject(o, "operation", ts_op_str(op));
	cJSON_AddStringToObject(o, "status", status);
	cJSON_AddItemToObject(o, "warnings",
	    warnings ? warnings : cJSON_CreateArray());
	return o;
}

/* Answers 400: model_id is not curated. */
void
resp_not_curated(struct req *r, const char *model_id)
{
	char	*msg = NULL;

	if (asprintf(&msg, "Model '%s' is not in the curated model list",
	    model_id) == -1)
		msg = NULL;
	resp_err_detail(r, ERR_INVAL, msg ? msg : "Model is not in the "
	    "curated model list");
	free(msg);
}

/*
 * The scan of the cache through the per-process cache, at the cache
 * generation Redis has (if it answers), into sv (borrowed from r->app);
 * returns the model repo id when it has a revision, else NULL.
 */
const struct hfrepo *
scan_installed(struct req *r, const char *id, struct scanview *sv)
{
	const struct hfrepo	*repo = NULL;
	unsigned long long	 gen;
	int			 have_gen;

	have_gen = ts_generation(r->app->redis, &gen) == ERR_OK;
	scancache_get(r->app, 0, have_gen, gen, sv);
	if (sv->scan != NULL)
		repo = hfcache_find(sv->scan, "model", id);
	return repo != NULL && repo->nrevisions > 0 ? repo : NULL;
}

/* Answers 409 cross_op_exclusion: held, another operation, has it. */
static void
claim_conflict(struct req *r, const char *model_id, enum ts_op op,
    const struct ts_claim *held)
{
	char	 msg[256];

	snprintf(msg, sizeof(msg), "Cannot %s: %s is active for this model",
	    ts_op_str(op), ts_op_str(held->op));
	resp_err_json(r, ERR_CONFLICT, conflict_json("cross_op_exclusion",
	    msg, model_id, held));
}

/*
 * Creates the task hash of id, with the extra fields (names and values,
 * nfields pairs) of its operation, and queues it.  On failure, marks the
 * task failed, releases its claim, answers 503 and returns -1.
 */
static int
task_enqueue(struct req *r, const char *id, const char *model_id,
    enum ts_op op, const char *const *fields, int nfields)
{
	char	 msg[256];
	int	 cancel;

	if (ts_task_create(r->app->redis, id, model_id, op) == ERR_OK &&
	    (nfields == 0 || ts_task_update(r->app->redis, id, model_id, op,
	    fields, nfields, &cancel) == ERR_OK) &&
	    policy_enqueue(r, id, op) == ERR_OK)
		return 0;
	snprintf(msg, sizeof(msg), "Failed to enqueue task: %s",
	    err_str(ERR_REDIS));
	if (ts_task_finish(r->app->redis, id, model_id, op, TS_FAILED, msg) ==
	    ERR_OK)
		obs_task_ended(r, id, model_id, op, msg);
	(void)ts_release(r->app->redis, model_id, op, id);
	snprintf(msg, sizeof(msg), "Failed to enqueue background %s task",
	    ts_op_str(op));
	resp_err_detail(r, ERR_REDIS, msg);
	return -1;
}

/*
 * Step 3 of the contract: claims model_id for op under the new task id.
 * Answers 503, 409 (another operation is active) or 200 with the active
 * task (the same operation), consuming *warnings, and returns 0; or
 * returns 1, answering nothing, when the claim is ours.
 */
int
claim_or_answer(struct req *r, const char *model_id, enum ts_op op,
    const char *id, cJSON **warnings)
{
	struct ts_claim		 held;
	enum ts_claim_outcome	 outcome;

	if (ts_claim(r->app->redis, model_id, op, id, &outcome, &held) !=
	    ERR_OK)
		resp_err(r, ERR_REDIS);
	else if (outcome == TS_CLAIM_OTHER_OP)
		claim_conflict(r, model_id, op, &held);
	else if (outcome == TS_CLAIM_SAME_OP) {
		resp_ok(r, task_start_json(held.task_id, model_id, op,
		    TS_RUNNING, *warnings));
		*warnings = NULL;
	} else
		return 1;
	cJSON_Delete(*warnings);
	*warnings = NULL;
	return 0;
}

/* Steps 4-5: creates (with the extra fields of task_enqueue) and queues
 * task id, whose claim is ours, and answers; consumes warnings. */
void
enqueue_claimed(struct req *r, const char *model_id, enum ts_op op,
    const char *id, cJSON *warnings, const char *const *fields, int nfields)
{

	if (task_enqueue(r, id, model_id, op, fields, nfields) == -1) {
		cJSON_Delete(warnings);
		return;
	}
	log_info("cid=%s task=%s op=%s model=%s event=task.created", r->cid,
	    id, ts_op_str(op), model_id);
	resp_ok(r, task_start_json(id, model_id, op, TS_PENDING, warnings));
}

/*
 * Claims model_id for op and enqueues a new task; answers every outcome
 * of steps 3-5 of the contract.  Consumes warnings (the start answer's
 * list; NULL for an empty one).
 */
void
start_task(struct req *r, const char *model_id, enum ts_op op,
    cJSON *warnings)
{
	char	 id[37];

	ts_new_task_id(id);
	if (claim_or_answer(r, model_id, op, id, &warnings))
		enqueue_claimed(r, model_id, op, id, warnings, NULL, 0);
}

/* Gives back the claim just taken for op on model_id under task id,
 * when no task is made after all (logged if Redis does not take it). */
void
claim_give_back(struct req *r, const char *model_id, enum ts_op op,
    const char *id)
{

	if (ts_release(r->app->redis, model_id, op, id) != ERR_OK)
		log_warnx("cid=%s: the claim of %s (task %s) was not given "
		    "back", r->cid, model_id, id);
}

/*
 * POST /api/v2/models/download.  The claim comes before the installed
 * state: a delete that waits or runs answers 409, never
 * already_installed, and no delete can start while the state is read.
 * An installed model gives back the claim just taken.
 */
void
handle_download(struct req *r)
{
	const struct model	*m;
	struct scanview		 sv;
	cJSON			*none = NULL;
	char			 id[37];

	if ((m = registry_find_id(r->app->reg, r->p.model_id)) == NULL) {
		resp_not_curated(r, r->p.model_id);
		return;
	}
	ts_new_task_id(id);
	if (!claim_or_answer(r, m->id, TS_OP_DOWNLOAD, id, &none))
		return;
	if (scan_installed(r, m->id, &sv) == NULL || sv.error != NULL) {
		if (revs_admit(r, m->id, TS_OP_DOWNLOAD, id, &sv) == 0)
			enqueue_claimed(r, m->id, TS_OP_DOWNLOAD, id, NULL,
			    NULL, 0);
		return;
	}
	claim_give_back(r, m->id, TS_OP_DOWNLOAD, id);
	resp_ok(r, task_start_json(NULL, m->id, TS_OP_DOWNLOAD,
	    TS_ALREADY_INSTALLED, NULL));
}

/* A number member, or null when v is negative (unknown). */
static void
add_known(cJSON *o, const char *name, double v)
{

	if (v >= 0)
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

/* attempt, attempt_max and last_error: the retry a running task is at,
 * else null. */
static void
add_retry(cJSON *o, const struct ts_task *t)
{
	int	 retrying = strcmp(t->status, TS_RUNNING) == 0 &&
		    t->attempt > 0;

	add_known(o, "attempt", retrying ? (double)t->attempt : -1);
	add_known(o, "attempt_max", retrying ? (double)t->attempt_max : -1);
	if (retrying && t->last_error[0] != '\0')
		cJSON_AddItemToObject(o, "last_error",
		    json_utf8(t->last_error));
	else
		cJSON_AddNullToObject(o, "last_error");
}

/* The hub endpoint a running download, update or repair uses, else null. */
static void
add_source(cJSON *o, const struct ts_task *t)
{

	if (strcmp(t->status, TS_RUNNING) == 0 && t->source[0] != '\0' &&
	    (t->op == TS_OP_DOWNLOAD || t->op == TS_OP_UPDATE ||
	    t->op == TS_OP_REPAIR))
		cJSON_AddItemToObject(o, "source", json_utf8(t->source));
	else
		cJSON_AddNullToObject(o, "source");
}

/*
 * The result of a task that ended, parsed, else null.  Only a job writes
 * it, but it is read back as any stored text is: what does not parse is
 * logged and shown as null.
 */
static void
add_result(struct req *r, cJSON *o, const struct ts_task *t)
{
	cJSON	*v = NULL;
	char	*json = NULL;

	if (ts_status_terminal(t->status) &&
	    ts_task_result(r->app->redis, t->task_id, &json) == ERR_OK &&
	    json != NULL && (v = cJSON_Parse(json)) == NULL)
		log_warnx("cid=%s task=%s: its result is not JSON", r->cid,
		    t->task_id);
	free(json);
	cJSON_AddItemToObject(o, "result", v != NULL ? v : cJSON_CreateNull());
}

/* The progress body of a task; NULL on out-of-memory.  A deployment-wide
 * task (model id "") has a null model_id. */
cJSON *
task_json(struct req *r, const struct ts_task *t)
{
	cJSON	*o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "task_id", t->task_id);
	json_add_string_or_null(o, "model_id",
	    t->model_id[0] != '\0' ? t->model_id : NULL);
	cJSON_AddStringToObject(o, "operation", ts_op_str(t->op));
	cJSON_AddStringToObject(o, "status", t->status);
	cJSON_AddNumberToObject(o, "bytes_downloaded",
	    (double)t->bytes_downloaded);
	cJSON_AddNumberToObject(o, "bytes_total", (double)t->bytes_total);
	/* It may quote what a hub sent: UTF-8 only in the answer. */
	if (strcmp(t->status, TS_FAILED) == 0)
		cJSON_AddItemToObject(o, "error", json_utf8(t->error));
	else
		cJSON_AddNullToObject(o, "error");
	cJSON_AddNumberToObject(o, "updated_at", t->updated_at);
	add_known(o, "bytes_per_second", t->bytes_per_second);
	add_known(o, "eta_seconds", (double)t->eta_seconds);
	cJSON_AddNumberToObject(o, "files_done", (double)t->files_done);
	cJSON_AddNumberToObject(o, "files_total", (double)t->files_total);
	add_retry(o, t);
	add_result(r, o, t);
	policy_add_waiting(o, t);
	/* The transfers of a running download, update or repair at once. */
	add_known(o, "connections", strcmp(t->status, TS_RUNNING) == 0 &&
	    (t->op == TS_OP_DOWNLOAD || t->op == TS_OP_UPDATE ||
	    t->op == TS_OP_REPAIR) ? (double)t->connections : -1);
	add_source(o, t);
	return o;
}

/* Reads the task of the path into t; answers 404 or 503 and returns -1
 * when there is none to read. */
int
task_load(struct req *r, struct ts_task *t)
{
	char		 msg[96];
	enum err	 e;

	if ((e = ts_task_get(r->app->redis, r->p.task_id, t)) == ERR_OK)
		return 0;
	if (e == ERR_NOTFOUND) {
		snprintf(msg, sizeof(msg), "Task %s not found", r->p.task_id);
		resp_err_detail(r, e, msg);
	} else
		resp_err(r, ERR_REDIS);
	return -1;
}

/* GET /api/v2/models/tasks/{task_id}. */
void
handle_task(struct req *r)
{
	struct ts_task	 t;

	if (task_load(r, &t) == 0)
		resp_ok(r, task_json(r, &t));
}

/* Answers 200 with the progress body of a task just cancelled (it was
 * there a moment ago: any failure to read it is the task store's). */
static void
resp_cancelled(struct req *r)
{
	struct ts_task	 t;

	if (ts_task_get(r->app->redis, r->p.task_id, &t) != ERR_OK)
		resp_err(r, ERR_REDIS);
	else
		resp_ok(r, task_json(r, &t));
}

/* Answers 409 with a conflict of type about t; with_active names t as
 * the active operation. */
static void
cancel_conflict(struct req *r, const struct ts_task *t, const char *type,
    const char *detail, int with_active)
{
	struct ts_claim	 c;

	memset(&c, 0, sizeof(c));
	c.op = t->op;
	snprintf(c.task_id, sizeof(c.task_id), "%s", t->task_id);
	resp_err_json(r, ERR_CONFLICT, conflict_json(type, detail,
	    t->model_id, with_active ? &c : NULL));
}

/* Answers 409 task_finished; with_status names t's final status. */
static void
cancel_finished(struct req *r, const struct ts_task *t, int with_status)
{
	char	 msg[160];

	if (with_status)
		snprintf(msg, sizeof(msg), "Task %s has already finished "
		    "(%s)", t->task_id, t->status);
	else
		snprintf(msg, sizeof(msg), "Task %s has already finished",
		    t->task_id);
	cancel_conflict(r, t, "task_finished", msg, 0);
}

/* Cancels t if it still waits in the queue.  Returns 0 when a runner has
 * it already (nothing answered), else 1 (answered). */
static int
cancel_pending(struct req *r, const struct ts_task *t)
{
	enum err	 e;

	e = ts_cancel_queued(r->app->redis, t->task_id, t->model_id, t->op);
	if (e == ERR_NOTFOUND)		/* or waiting for its window */
		e = waitq_cancel(r->app->redis, t->task_id, t->model_id,
		    t->op);
	if (e == ERR_NOTFOUND)
		return 0;
	if (e != ERR_OK) {
		resp_err(r, ERR_REDIS);
		return 1;
	}
	log_info("cid=%s task=%s event=task.cancelled state=pending",
	    r->cid, t->task_id);
	resp_cancelled(r);
	return 1;
}

/* Asks the runner of t to stop it, unless it is a running delete. */
static void
cancel_running(struct req *r, const struct ts_task *t)
{
	enum err	 e;

	if (t->op == TS_OP_DELETE && strcmp(t->status, TS_RUNNING) == 0) {
		cancel_conflict(r, t, "not_cancellable", "Cannot cancel: a "
		    "running delete cannot be interrupted safely", 1);
		return;
	}
	e = ts_request_cancel(r->app->redis, t->task_id, t->model_id, t->op);
	if (e == ERR_CONFLICT)		/* finished meanwhile */
		cancel_finished(r, t, 0);
	else if (e != ERR_OK && e != ERR_NOTFOUND)
		resp_err(r, ERR_REDIS);
	else {
		log_info("cid=%s task=%s event=task.cancel_requested",
		    r->cid, t->task_id);
		resp_cancelled(r);
	}
}

/* POST /api/v2/models/tasks/{task_id}/cancel. */
void
handle_cancel(struct req *r)
{
	struct ts_task	 t;

	if (task_load(r, &t) == -1)
		return;
	if (ts_status_terminal(t.status))
		cancel_finished(r, &t, 1);
	else if (!cancel_pending(r, &t))
		cancel_running(r, &t);
}
