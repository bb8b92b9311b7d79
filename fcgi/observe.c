/*
 * The responder's observability: its request metrics (by route name and
 * status, bounded sets), the audit events of state-changing requests,
 * the flush of its pending metrics between requests, and the two
 * endpoints GET /metrics (Prometheus text) and GET /audit.
 */
#include <sys/statvfs.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "extern.h"
#include "hex.h"
#include "log.h"
#include "metrics.h"
#include "mono.h"

#define METRICS_TEXT_MAX	(4 * 1024 * 1024)	/* one scrape's text */

/* The status as a label: one of the statuses the service answers, else
 * "other" (a bounded set whatever the client does). */
static const char *
status_label(int status)
{
	static const char *const known[] = { "200", "307", "400", "401",
	    "403", "404", "405", "409", "413", "422", "429", "500", "503",
	    "504", NULL };
	char	 buf[8];
	size_t	 i;

	snprintf(buf, sizeof(buf), "%d", status);
	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], buf) == 0)
			return known[i];
	return "other";
}

/* s if it is one of list, else dflt. */
static const char *
one_of(const char *s, const char *const *list, const char *dflt)
{

	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return *list;
	return dflt;
}

/* The outcome of an audited request, a bounded set. */
static const char *
outcome_label(const struct req *r)
{
	static const char *const statuses[] = { TS_PENDING, TS_RUNNING,
	    TS_COMPLETED, TS_FAILED, TS_ALREADY_INSTALLED, TS_NOT_INSTALLED,
	    TS_CANCELLED, TS_UP_TO_DATE, "changed", NULL };
	static const char *const conflicts[] = { "cross_op_exclusion",
	    "in_use_block", "requires_confirmation", "task_finished",
	    "not_cancellable", "insufficient_space", "not_waiting", NULL };

	switch (r->status) {
	case 200: return one_of(r->note.outcome, statuses, "other");
	case 400: return "bad_request";
	case 401: return "unauthenticated";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 409: return one_of(r->note.outcome, conflicts, "conflict");
	case 422: return "invalid";
	case 503: return "unavailable";
	default: return "error";
	}
}

/* Copies the string member name of o into buf, if there is one. */
static void
note_str(char *buf, size_t len, const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
}

/* Keeps a copy of the warnings array of o, if any. */
static void
note_warnings(struct anote *n, const cJSON *o)
{
	const cJSON	*w = cJSON_GetObjectItemCaseSensitive(o, "warnings");

	if (cJSON_IsArray(w) && n->warnings == NULL)
		n->warnings = cJSON_Duplicate(w, 1);
}

/*
 * Notes what an audited request answers, from the body about to be
 * written: a 200's task, status and warnings; an error's detail (a 409's
 * conflict type, detail and warnings; a 422's first message).
 */
void
obs_note(struct req *r, int status, const cJSON *body)
{
	struct anote	*n = &r->note;
	const cJSON	*d;

	if (body == NULL)
		return;
	if (status == 200) {
		note_str(n->task_id, sizeof(n->task_id), body, "task_id");
		note_str(n->model_id, sizeof(n->model_id), body, "model_id");
		note_str(n->outcome, sizeof(n->outcome), body, "status");
		note_warnings(n, body);
		return;
	}
	d = cJSON_GetObjectItemCaseSensitive(body, "detail");
	if (cJSON_IsString(d))
		snprintf(n->detail, sizeof(n->detail), "%s", d->valuestring);
	else if (cJSON_IsObject(d)) {
		note_str(n->outcome, sizeof(n->outcome), d, "conflict_type");
		note_str(n->detail, sizeof(n->detail), d, "detail");
		note_str(n->model_id, sizeof(n->model_id), d, "model_id");
		note_str(n->task_id, sizeof(n->task_id), d, "active_task_id");
		note_warnings(n, d);
	} else if (cJSON_IsArray(d))
		note_str(n->detail, sizeof(n->detail),
		    cJSON_GetArrayItem(d, 0), "msg");
}

/* The event's name: <operation>.requested or .refused; a cancel's are
 * task.cancelled and task.cancel_refused. */
static const char *
event_name(const struct req *r)
{
	static const char *const names[][3] = {
		{ "download", "download.requested", "download.refused" },
		{ "delete", "delete.requested", "delete.refused" },
		{ "verify", "verify.requested", "verify.refused" },
		{ "repair", "repair.requested", "repair.refused" },
		{ "prune", "prune.requested", "prune.refused" },
		{ "update", "update.requested", "update.refused" },
		{ "check", "check.requested", "check.refused" },
		{ "policy", "policy.changed", "policy.refused" },
		{ "start_now", "task.started_now", "task.start_now_refused" },
	};
	int	 ok = r->status == 200;
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(r->operation, names[i][0]) == 0)
			return names[i][ok ? 1 : 2];
	return ok ? "task.cancelled" : "task.cancel_refused";
}

/* The event of an audited request, borrowing from r. */
static void
event_of(const struct req *r, struct audit_event *e)
{
	const struct anote	*n = &r->note;

	memset(e, 0, sizeof(*e));
	e->event = event_name(r);
	e->user = r->user.username;
	e->auth = r->auth_kind;
	e->client = req_header(r, "REMOTE_ADDR");
	e->model_id = r->p.model_id != NULL ? r->p.model_id :
	    *n->model_id ? n->model_id : NULL;
	e->task_id = *n->task_id ? n->task_id :
	    *r->p.task_id ? r->p.task_id : NULL;
	e->operation = strcmp(r->operation, "download") == 0 ||
	    strcmp(r->operation, "delete") == 0 ? r->operation : NULL;
	e->outcome = outcome_label(r);
	e->http_status = r->status;
	e->detail = *n->detail ? n->detail : NULL;
	e->confirm = strcmp(r->operation, "delete") == 0 ||
	    strcmp(r->operation, "update") == 0 ||
	    strcmp(r->operation, "prune") == 0 ? r->p.confirm : -1;
	e->warnings = n->warnings;
	e->change = n->change;
	e->cid = r->cid;
	e->duration = -1;
}

/* A task this request failed (it could not be queued): its task.ended
 * event and count.  It never ran. */
void
obs_task_ended(struct req *r, const char *task_id, const char *model_id,
    enum ts_op op, const char *error)
{
	struct audit_event	 e;

	memset(&e, 0, sizeof(e));
	e.event = "task.ended";
	e.model_id = model_id;
	e.task_id = task_id;
	e.operation = ts_op_str(op);
	e.outcome = TS_FAILED;
	e.detail = error;
	e.confirm = -1;
	e.duration = -1;
	e.cid = r->cid;
	metrics_add(MET_TASKS_ENDED, e.operation, TS_FAILED, 1);
	(void)audit_record(r->app->redis, &r->app->audit, &e);
}

/* A pending task cancelled by this request ended here: its task.ended
 * event and count. */
static void
audit_cancelled_end(struct req *r, const struct audit_event *req_event)
{
	struct audit_event	 e = *req_event;
	struct ts_task		 t;

	e.event = "task.ended";
	e.http_status = 0;
	e.outcome = TS_CANCELLED;
	e.detail = NULL;
	e.operation = NULL;
	if (e.task_id != NULL &&
	    ts_task_get(r->app->redis, e.task_id, &t) == ERR_OK)
		e.operation = ts_op_str(t.op);
	metrics_add(MET_TASKS_ENDED, e.operation ? e.operation : "other",
	    TS_CANCELLED, 1);
	(void)audit_record(r->app->redis, &r->app->audit, &e);
}

/*
 * After an audited route answered: counts the operation's outcome, and
 * records the audit event when a user was authenticated (anonymous 401s
 * are only counted: a flood of them must not evict real history).
 */
void
obs_audit(struct req *r)
{
	struct audit_event	 e;

	metrics_add(MET_OPERATIONS, r->operation, outcome_label(r), 1);
	if (r->user.username[0] == '\0')
		return;
	event_of(r, &e);
	(void)audit_record(r->app->redis, &r->app->audit, &e);
	if (r->status == 200 && strcmp(r->operation, "cancel") == 0 &&
	    strcmp(r->note.outcome, TS_CANCELLED) == 0)
		audit_cancelled_end(r, &e);
}

/* Counts a request answered in seconds. */
void
obs_request_done(struct req *r, double seconds)
{
	const char	*st = status_label(r->status);

	metrics_add(MET_HTTP_REQUESTS, r->endpoint, st, 1);
	metrics_observe(MET_HTTP_DURATION, r->endpoint, st, seconds);
}

/*
 * Between two requests: sends the pending metrics once they are due
 * (at most once a second).  A connection already waiting goes first (the
 * next request's own Redis command will carry them when due); else the
 * responder waits for the due time on the listening socket (fd 0), so
 * that a new connection is not delayed, and flushes then.  A responder
 * that loses the race for a connection that woke it flushes at its next
 * request instead.
 */
void
obs_idle(struct app *app, const volatile sig_atomic_t *stop)
{
	struct pollfd	 pfd;
	double		 due, now;
	int		 rc = 0;

	if (!metrics_pending(&due))
		return;
	pfd.fd = 0;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if ((now = mono_now()) < due && !*stop) {
		if (poll(&pfd, 1, 0) == 1)
			return;		/* busy: no wait, no wake-up of all */
		rc = poll(&pfd, 1, (int)((due - now) * 1000) + 1);
	}
	if (rc == 0 || *stop || (rc == -1 && errno == EINTR))
		(void)metrics_flush(app->redis);
}

/* 1 if token is the scrape token (MM_METRICS_TOKEN): compared as
 * SHA-256 digests in constant time, so neither its bytes nor its length
 * leak through timing. */
int
obs_is_scrape_token(const struct app *app, const char *token)
{
	const char	*want = app->cfg->metrics_token;
	char		 a[65], b[65];

	if (want == NULL)
		return 0;
	hex_sha256(token, strlen(token), a);
	hex_sha256(want, strlen(want), b);
	return CRYPTO_memcmp(a, b, 64) == 0;
}

/* 1 if model i of reg is the first with its id (an id may be curated
 * under two types: its repo counts once). */
static int
first_of_id(const struct registry *reg, size_t i)
{
	size_t	 j;

	for (j = 0; j < i; j++)
		if (strcmp(reg->models[j].id, reg->models[i].id) == 0)
			return 0;
	return 1;
}

/* The cache gauges from this responder's scan cache (scanned again only
 * when it is stale, or a job changed the cache since) and the cache's
 * file system. */
static void
cache_gauges(struct req *r, struct met_cache *c)
{
	const struct registry	*reg = r->app->reg;
	const struct hfrepo	*repo;
	struct scanview		 sv;
	struct statvfs		 vfs;
	unsigned long long	 gen;
	int			 have_gen;
	size_t			 i;

	memset(c, 0, sizeof(*c));
	have_gen = ts_generation(r->app->redis, &gen) == ERR_OK;
	scancache_get(r->app, 0, have_gen, gen, &sv);
	if (sv.scan != NULL) {
		c->have_scan = 1;
		c->total = sv.scan->size_on_disk;
		c->partial = sv.scan->partial_bytes;
		for (i = 0; i < reg->n; i++)
			if (first_of_id(reg, i) && (repo = hfcache_find(
			    sv.scan, "model", reg->models[i].id)) != NULL)
				c->managed += repo->size_on_disk;
		c->unmanaged = c->total > c->managed ? c->total - c->managed :
		    0;
	}
	if (statvfs(r->app->cfg->hf_hub_cache, &vfs) == 0) {
		c->have_free = 1;
		c->free_bytes = (unsigned long long)vfs.f_bavail *
		    vfs.f_frsize;
	}
}

/*
 * GET /api/v2/models/metrics: the deployment's counters from Redis and
 * the state gauges read now.  With Redis down it answers 503 "Task store
 * unavailable", as every Redis-dependent endpoint: a partial page would
 * read as counters that went back to zero.
 */
void
handle_metrics(struct req *r)
{
	struct met_snapshot	 s;
	struct met_cache	 c;
	struct sbuf		 b = SBUF_INIT_MAX(METRICS_TEXT_MAX);
	enum err		 e;

	if ((e = metrics_snapshot(r->app->redis, &s)) != ERR_OK) {
		resp_err(r, e);
		return;
	}
	cache_gauges(r, &c);
	metrics_format(&s, &c, &b);
	policy_gauges(r, &b);
	metrics_snapshot_free(&s);
	/* NULL (out of memory, or past the maximum) answers 500. */
	resp_ok_typed(r, sbuf_finish(&b), "text/plain; version=0.0.4; "
	    "charset=utf-8");
}

/* GET /api/v2/models/audit: newest first, filtered, paged by id. */
void
handle_audit(struct req *r)
{
	struct audit_query	 q;
	cJSON			*events, *o;
	char			 next[AUDIT_ID_MAX];
	enum err		 e;

	q.limit = r->p.limit;
	q.before = r->p.before;
	q.model_id = r->p.f_model_id;
	q.user = r->p.f_user;
	if ((e = audit_list(r->app->redis, &q, &events, next)) != ERR_OK) {
		resp_err(r, e);
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(events);
		resp_err(r, ERR_NOMEM);
		return;
	}
	cJSON_AddItemToObject(o, "events", events);
	json_add_string_or_null(o, "next_before", *next ? next : NULL);
	resp_ok(r, o);
}
