/*
 * The check: each curated model's revision main looked up on the hub
 * (its commit, the size of its files, and the bytes an update of the
 * installed revision would fetch: the blobs main lists that the installed
 * snapshot's links do not name), in a child of the runner, recorded as
 * the model's hub facts in Redis (revstore.h).  A check is a
 * deployment-wide task (model id ""): it holds no model claim and skips
 * the models that have one.
 *
 * Each model is looked up at most once per hub.check_interval_seconds for
 * the whole deployment: the sorted set of next-check times says which
 * are due (a model never checked is due at once), and a check visits
 * each due model once.  The runner's main loop queues a check when one is
 * due (check_schedule, never a lookup itself); POST /check-updates makes
 * every model due first.  A model the hub does not answer for (not
 * found, gated without a token, an unsafe listing) is recorded as
 * unknown; when the hub itself fails (unreachable, 5xx or 429 after the
 * retries, which wait as Retry-After says), that is logged once and the
 * models left are not asked this time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "extern.h"
#include "hfrev.h"
#include "hub.h"
#include "log.h"
#include "metrics.h"
#include "revstore.h"

/* A model skipped (claimed) or not reached is due again after this, or
 * after the interval when that is shorter. */
#define CHECK_RETRY_S		900
#define CHECK_LINES_MAX		1000	/* per-model lines in the result */
#define MIB			(1024ULL * 1024ULL)

enum outcome { CO_CHECKED, CO_UNKNOWN, CO_SKIPPED, CO_ERROR, CO__MAX };

static const char *const outcome_names[CO__MAX] = {
	"checked", "unknown", "skipped", "error"
};

enum check_stop { CS_NONE, CS_CANCEL, CS_TERM, CS_LIMIT, CS_LEASE,
	CS_REDIS };

/* One check task. */
struct check {
	struct job		*j;
	struct registry		*reg;
	const char		**ids;		/* distinct curated ids */
	size_t			 n;
	unsigned char		*due, *visited;
	size_t			 done, total;	/* progress: models */
	size_t			 counts[CO__MAX];
	size_t			 updates;	/* updates available */
	int			 hub_failed;	/* the rest is not asked */
	enum check_stop		 stop;
	cJSON			*lines;		/* the result's models */
	struct strset		 installed;	/* blobs of the model's
						   installed revision */
	uint64_t		 update_bytes;	/* main's blobs not in it */
};

/* The hub's polls for a stop while a lookup waits: SIGTERM. */
static int
check_poll(void *arg, const struct hub_progress *p)
{
	struct check	*c = arg;

	(void)p;
	return *c->j->stop != 0;
}

/* Each blob of main's listing: counted when the installed revision's
 * links do not name it. */
static void
check_blob(void *arg, const char *etag, uint64_t size)
{
	struct check	*c = arg;
	size_t		 len = strlen(etag);

	if (!strset_has(&c->installed, etag, len, strset_hash(etag, len)))
		c->update_bytes += size;
}

/* A size in MB (bytes // 2^20) as a member, or null when unknown. */
static void
add_mb(cJSON *o, const char *name, int known, uint64_t bytes)
{

	if (known)
		cJSON_AddNumberToObject(o, name, (double)(bytes / MIB));
	else
		cJSON_AddNullToObject(o, name);
}

/* A string member, or null when s is "". */
static void
add_str(cJSON *o, const char *name, const char *s)
{

	if (*s != '\0')
		cJSON_AddStringToObject(o, name, s);
	else
		cJSON_AddNullToObject(o, name);
}

/* The result's line of one model. */
static void
check_line(struct check *c, const char *id, enum outcome oc,
    const struct hubfacts *f, const char *detail)
{
	int	 known = f->state == RS_KNOWN, upd;
	cJSON	*o;

	if (cJSON_GetArraySize(c->lines) >= CHECK_LINES_MAX ||
	    (o = cJSON_CreateObject()) == NULL)
		return;
	upd = known && f->against[0] != '\0';
	cJSON_AddStringToObject(o, "model_id", id);
	cJSON_AddStringToObject(o, "outcome", outcome_names[oc]);
	add_str(o, "latest_revision", known ? f->commit : "");
	add_mb(o, "download_size_mb", known, f->size_bytes);
	add_str(o, "installed_revision", f->against);
	if (upd)
		cJSON_AddBoolToObject(o, "update_available",
		    strcmp(f->against, f->commit) != 0);
	else
		cJSON_AddNullToObject(o, "update_available");
	add_mb(o, "update_size_mb", upd, (uint64_t)f->update_bytes);
	add_str(o, "detail", detail);
	cJSON_AddItemToArray(c->lines, o);
}

/* Records the outcome of model id: facts (when f is given), its next
 * check, the counts and the result's line. */
static void
check_record(struct check *c, const char *id, enum outcome oc,
    const struct hubfacts *f, const char *detail)
{
	const struct config	*cfg = c->j->cfg;
	struct hubfacts		 none;
	unsigned		 wait = cfg->hub_check_interval;
	double			 now = (double)time(NULL);

	if (f != NULL && revstore_put(c->j->redis, id, f) != ERR_OK)
		c->stop = CS_REDIS;
	if ((oc == CO_SKIPPED || oc == CO_ERROR) && wait > CHECK_RETRY_S)
		wait = CHECK_RETRY_S;
	if (revstore_schedule(c->j->redis, id, revstore_next(now, wait,
	    revstore_uniform())) != ERR_OK)
		c->stop = CS_REDIS;
	c->counts[oc]++;
	metrics_add(MET_HUB_CHECKS, outcome_names[oc], NULL, 1);
	if (f == NULL) {
		memset(&none, 0, sizeof(none));
		f = &none;
	}
	if (f->state == RS_KNOWN && f->against[0] != '\0' &&
	    strcmp(f->against, f->commit) != 0)
		c->updates++;
	check_line(c, id, oc, f, detail);
}

/* Our words for a model the hub does not answer for (never the hub's). */
static const char *
unknown_reason(enum err e)
{

	switch (e) {
	case ERR_NOTFOUND:
		return "Not found on the hub";
	case ERR_CONFLICT:
		return "Gated or unauthorised: accept its licence on the hub "
		    "and set HF_TOKEN";
	default:
		return "The hub's listing was refused (unsafe or over a "
		    "hub limit)";
	}
}

/* The installed revision of id and the blobs its links name; installed
 * "" when there is none. */
static void
check_installed(struct check *c, const char *id, char installed[41])
{
	const char	*cache = c->j->cfg->hf_hub_cache;

	strset_clear(&c->installed);
	c->update_bytes = 0;
	if (hfrev_installed(cache, id, installed) != ERR_OK ||
	    hfrev_blobs(cache, id, installed, &c->installed) != ERR_OK)
		installed[0] = '\0';
}

/* The hub failed: said once per check, the models left are not asked. */
static void
check_hub_failed(struct check *c, const char *id, const char *msg)
{
	char	 esc[600];

	c->hub_failed = 1;
	log_warnx("task=%s event=check.hub_failed model=%s error=\"%s\" "
	    "outcome=\"the models left are not asked in this check\"",
	    c->j->task_id, id, log_escape(esc, sizeof(esc), msg));
}

/* The facts of a lookup that answered. */
static void
check_known(struct check *c, const char *id, const struct hub_revinfo *ri,
    const char *installed)
{
	struct hubfacts	 f;

	memset(&f, 0, sizeof(f));
	f.state = RS_KNOWN;
	f.checked_at = (double)time(NULL);
	memcpy(f.commit, ri->commit, sizeof(f.commit));
	f.size_bytes = ri->bytes_total;
	f.files = ri->nfiles;
	memcpy(f.against, installed, sizeof(f.against));
	f.update_bytes = installed[0] == '\0' ? -1 :
	    strcmp(installed, ri->commit) == 0 ? 0 :
	    (long long)c->update_bytes;
	check_record(c, id, CO_CHECKED, &f, "");
}

/* Looks model id up on the hub and records what it says. */
static void
check_lookup(struct check *c, const char *id)
{
	struct hub_callbacks	 cb = { .arg = c, .progress = check_poll };
	struct hub_opts		 opts;
	struct hub_revinfo	 ri;
	struct hubfacts		 f;
	char			 installed[41], msg[512];
	enum err		 e;

	check_installed(c, id, installed);
	job_hub_opts(c->j->cfg, &opts);
	e = hub_revision_info(&opts, c->j->cfg->hf_hub_cache, id, "main", &cb,
	    check_blob, c, &ri, msg, sizeof(msg));
	if (e == ERR_OK)
		check_known(c, id, &ri, installed);
	else if (e == ERR_NOTFOUND || e == ERR_CONFLICT || e == ERR_INVAL ||
	    e == ERR_TOOBIG) {
		memset(&f, 0, sizeof(f));
		f.state = RS_UNKNOWN;
		f.checked_at = (double)time(NULL);
		f.update_bytes = -1;
		snprintf(f.reason, sizeof(f.reason), "%s", unknown_reason(e));
		check_record(c, id, CO_UNKNOWN, &f, f.reason);
	} else if (e == ERR_TIMEOUT)
		c->stop = CS_TERM;
	else {
		if (e == ERR_UPSTREAM)
			check_hub_failed(c, id, msg);
		check_record(c, id, CO_ERROR, NULL, e == ERR_UPSTREAM ?
		    "The hub failed (see the runner's log)" : err_str(e));
	}
}

/* 1 when model id has a claim (another operation runs on it). */
static int
check_claimed(struct check *c, const char *id)
{
	struct ts_claim		 claim;
	unsigned long long	 gen;

	if (ts_active_many(c->j->redis, &id, 1, &claim, &gen) != ERR_OK) {
		c->stop = CS_REDIS;
		return 1;
	}
	return claim.op != TS_OP_NONE;
}

/* The progress write between two models, and the reasons to stop. */
static void
check_progress(struct check *c)
{
	struct job	*j = c->j;
	char		 done[24], total[24];
	const char	*f[] = { "files_done", done, "files_total", total };
	int		 cancel = 0;
	enum err	 e;

	snprintf(done, sizeof(done), "%zu", c->done);
	snprintf(total, sizeof(total), "%zu", c->total);
	if (job_lease_keep(j) == ERR_CONFLICT) {
		c->stop = CS_LEASE;
		return;
	}
	e = ts_task_update(j->redis, j->task_id, j->model_id, j->op, f, 2,
	    &cancel);
	if (cancel || e == ERR_CONFLICT)
		c->stop = CS_CANCEL;
	else if (*j->stop)
		c->stop = CS_TERM;
	else if (mono_now() - j->started >= j->cfg->download_soft_limit)
		c->stop = CS_LIMIT;
}

/* One model of a pass. */
static void
check_model(struct check *c, const char *id)
{

	if (check_claimed(c, id)) {
		if (c->stop == CS_NONE)
			check_record(c, id, CO_SKIPPED, NULL, "Another "
			    "operation is active for this model");
	} else if (c->hub_failed)
		check_record(c, id, CO_ERROR, NULL, "Not asked: the hub "
		    "failed earlier in this check");
	else
		check_lookup(c, id);
	c->done++;
}

/* Visits the models due now that this check has not visited yet; the
 * number visited, 0 when none is due. */
static size_t
check_pass(struct check *c)
{
	size_t	 i, visited = 0;

	if (revstore_due(c->j->redis, c->ids, c->n, (double)time(NULL),
	    c->due) != ERR_OK) {
		c->stop = CS_REDIS;
		return 0;
	}
	for (i = 0; i < c->n; i++)
		c->total += c->due[i] && !c->visited[i];
	for (i = 0; i < c->n && c->stop == CS_NONE; i++) {
		if (!c->due[i] || c->visited[i])
			continue;
		c->visited[i] = 1;
		visited++;
		check_progress(c);
		if (c->stop == CS_NONE)
			check_model(c, c->ids[i]);
	}
	return visited;
}

/* The task's result. */
static char *
check_result(struct check *c, int offline)
{
	cJSON	*o;
	char	*s;
	int	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddBoolToObject(o, "offline", offline);
	for (i = 0; i < CO__MAX; i++)
		cJSON_AddNumberToObject(o, outcome_names[i],
		    (double)c->counts[i]);
	cJSON_AddNumberToObject(o, "updates_available", (double)c->updates);
	cJSON_AddItemToObject(o, "models", c->lines != NULL ? c->lines :
	    cJSON_CreateArray());
	c->lines = NULL;
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Ends the task after the passes, however they ended. */
static int
check_end(struct check *c)
{
	struct job	*j = c->j;
	const char	*pending[] = { "status", TS_PENDING };
	int		 cancel;

	j->result = check_result(c, 0);
	log_info("task=%s event=check.ended stop=%d checked=%zu unknown=%zu "
	    "skipped=%zu errors=%zu updates=%zu", j->task_id, c->stop,
	    c->counts[CO_CHECKED], c->counts[CO_UNKNOWN],
	    c->counts[CO_SKIPPED], c->counts[CO_ERROR], c->updates);
	switch (c->stop) {
	case CS_NONE:
		return job_finish(j, TS_COMPLETED, NULL);
	case CS_CANCEL:
		return job_finish(j, TS_CANCELLED, NULL);
	case CS_LIMIT:
		return job_finish(j, TS_FAILED, "Check timed out");
	case CS_LEASE:
		return JOB_EXIT_DONE;
	case CS_TERM:
		(void)ts_task_update(j->redis, j->task_id, j->model_id, j->op,
		    pending, 1, &cancel);
		return JOB_EXIT_REQUEUE;
	default:
		return job_finish(j, TS_FAILED, "Task store unavailable "
		    "during the check");
	}
}

/* Loads the registry and the state of the passes; -1 with a message. */
static int
check_open(struct check *c, char *err, size_t errlen)
{
	const struct config	*cfg = c->j->cfg;

	if (registry_load(cfg->sources, cfg->nsources,
	    cfg->default_embedding_model, &c->reg, err, errlen) != ERR_OK)
		return -1;
	if ((c->ids = revstore_model_ids(c->reg, &c->n)) == NULL ||
	    (c->due = calloc(c->n + 1, 1)) == NULL ||
	    (c->visited = calloc(c->n + 1, 1)) == NULL ||
	    (c->lines = cJSON_CreateArray()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
check_free(struct check *c)
{

	strset_clear(&c->installed);
	cJSON_Delete(c->lines);
	free(c->visited);
	free(c->due);
	free(c->ids);
	registry_free(&c->reg);
}

int
job_check(struct job *j)
{
	struct check	 c;
	char		 err[1024];
	int		 rc;

	memset(&c, 0, sizeof(c));
	c.j = j;
	if (j->cfg->hf_offline) {
		/* HF_HUB_OFFLINE: not a request is sent. */
		j->result = check_result(&c, 1);
		log_info("task=%s event=check.offline", j->task_id);
		return job_finish(j, TS_COMPLETED, NULL);
	}
	if (check_open(&c, err, sizeof(err)) == -1) {
		check_free(&c);
		return job_finish(j, TS_FAILED, err);
	}
	while (c.stop == CS_NONE && check_pass(&c) > 0)
		;
	if (c.stop == CS_NONE)
		check_progress(&c);	/* every model done */
	rc = check_end(&c);
	check_free(&c);
	return rc;
}

/*
 * The scheduling, in the parent.
 */

/* Queues a new check task, unless one is queued or running (its claim). */
static void
check_enqueue(struct rconn *r)
{
	struct ts_claim		 held;
	enum ts_claim_outcome	 outcome;
	char			 id[37];

	ts_new_task_id(id);
	if (ts_claim(r, "", TS_OP_CHECK, id, &outcome, &held) != ERR_OK ||
	    outcome != TS_CLAIM_NEW)
		return;
	if (ts_task_create(r, id, "", TS_OP_CHECK) == ERR_OK &&
	    ts_enqueue(r, id) == ERR_OK) {
		log_info("task=%s op=check event=check.scheduled", id);
		return;
	}
	(void)ts_task_finish(r, id, "", TS_OP_CHECK, TS_FAILED,
	    "Failed to enqueue task: Task store unavailable");
	(void)ts_release(r, "", TS_OP_CHECK, id);
}

void
check_schedule(struct rconn *r, const struct config *cfg,
    const struct registry *reg)
{
	const char	**ids;
	unsigned char	*due = NULL;
	size_t		 n, i;

	if (cfg->hub_check_interval == 0 || cfg->hf_offline)
		return;
	if ((ids = revstore_model_ids(reg, &n)) == NULL ||
	    (due = calloc(n + 1, 1)) == NULL) {
		free(ids);
		return;
	}
	if (n > 0 && revstore_due(r, ids, n, (double)time(NULL), due) ==
	    ERR_OK) {
		for (i = 0; i < n && !due[i]; i++)
			;
		if (i < n)
			check_enqueue(r);
	}
	free(due);
	free(ids);
}
