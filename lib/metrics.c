/*
 * Counters and histograms batched in memory and added to one Redis hash;
 * the Prometheus text exposition of what that hash and a few state reads
 * hold.  metrics.h explains the batching and its guarantees.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "metrics.h"
#include "mono.h"
#include "taskstate.h"

enum mkind { MK_COUNTER, MK_HISTOGRAM };

/* A family: its name, help, type, label names and buckets. */
struct family {
	const char	*name;
	const char	*help;
	enum mkind	 kind;
	const char	*l1, *l2;	/* label names, NULL when fewer */
	const double	*buckets;	/* finite upper bounds, increasing */
	size_t		 nbuckets;
};

static const double http_buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
static const double task_buckets[] = { 0.5, 1, 5, 15, 60, 300, 900, 3600,
	14400, 43200 };
static const double rate_buckets[] = { 1e5, 1e6, 1e7, 5e7, 1e8, 2.5e8,
	5e8, 1e9, 2.5e9 };
static const double scan_buckets[] = { 0.001, 0.005, 0.01, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5, 10, 30 };

#define B(a)	(a), sizeof(a) / sizeof((a)[0])

static const struct family families[MET__MAX] = {
	[MET_HTTP_REQUESTS] = { "mm_http_requests_total", "API requests "
	    "answered by the responders, by endpoint (route name) and status",
	    MK_COUNTER, "endpoint", "status", NULL, 0 },
	[MET_HTTP_DURATION] = { "mm_http_request_duration_seconds", "Time "
	    "to answer an API request in the responder",
	    MK_HISTOGRAM, "endpoint", "status", B(http_buckets) },
	[MET_OPERATIONS] = { "mm_operations_total", "State-changing requests "
	    "(download, delete, cancel, verify, repair, prune) by outcome",
	    MK_COUNTER, "operation", "outcome", NULL, 0 },
	[MET_DOWNLOADS_STARTED] = { "mm_downloads_started_total", "Download "
	    "jobs started (each run of a job counts)", MK_COUNTER, NULL, NULL,
	    NULL, 0 },
	[MET_DOWNLOADS_COMPLETED] = { "mm_downloads_completed_total",
	    "Download jobs completed", MK_COUNTER, NULL, NULL, NULL, 0 },
	[MET_DOWNLOADS_FAILED] = { "mm_downloads_failed_total", "Download "
	    "jobs that ended without completing, by reason", MK_COUNTER,
	    "reason", NULL, NULL, 0 },
	[MET_DOWNLOAD_BYTES] = { "mm_download_fetched_bytes_total", "Bytes "
	    "fetched from the hub by download jobs (resumed bytes already on "
	    "disk excluded)", MK_COUNTER, NULL, NULL, NULL, 0 },
	[MET_DOWNLOAD_RETRIES] = { "mm_download_retries_total", "Hub requests "
	    "retried after a transient failure", MK_COUNTER, NULL, NULL, NULL,
	    0 },
	[MET_DOWNLOAD_STALLS] = { "mm_download_stalls_total", "Hub transfers "
	    "that stalled or timed out", MK_COUNTER, NULL, NULL, NULL, 0 },
	[MET_DOWNLOAD_THROUGHPUT] = { "mm_download_throughput_bytes_per_second",
	    "Average speed of completed downloads (fetched bytes over the "
	    "job's time)", MK_HISTOGRAM, NULL, NULL, B(rate_buckets) },
	[MET_TASKS_ENDED] = { "mm_tasks_ended_total", "Tasks that reached a "
	    "terminal status, by operation and status", MK_COUNTER,
	    "operation", "status", NULL, 0 },
	[MET_TASK_DURATION] = { "mm_task_duration_seconds", "Time from a job's "
	    "start to its task's end, by operation", MK_HISTOGRAM, "operation",
	    NULL, B(task_buckets) },
	[MET_SCAN_DURATION] = { "mm_cache_scan_duration_seconds", "Time of a "
	    "full scan of the HF cache by a responder", MK_HISTOGRAM, NULL,
	    NULL, B(scan_buckets) },
	[MET_AUDIT_EVENTS] = { "mm_audit_events_total", "Audit events "
	    "recorded, by event", MK_COUNTER, "event", NULL, NULL, 0 },
	[MET_AUDIT_FAILURES] = { "mm_audit_write_failures_total", "Audit "
	    "events that could not be written, by sink (stream, file)",
	    MK_COUNTER, "sink", NULL, NULL, 0 },
	[MET_WEBHOOK_DELIVERED] = { "mm_webhook_deliveries_total", "Webhook "
	    "deliveries the receiver accepted (2xx), by webhook",
	    MK_COUNTER, "webhook", NULL, NULL, 0 },
	[MET_WEBHOOK_FAILED] = { "mm_webhook_failed_attempts_total", "Webhook "
	    "delivery attempts that failed (no answer, timeout, not 2xx), by "
	    "webhook", MK_COUNTER, "webhook", NULL, NULL, 0 },
	[MET_WEBHOOK_GIVEN_UP] = { "mm_webhook_given_up_total", "Webhook "
	    "deliveries given up after notify.delivery_attempts, by webhook",
	    MK_COUNTER, "webhook", NULL, NULL, 0 },
	[MET_HUB_CHECKS] = { "mm_hub_checks_total", "Models an update check "
	    "handled, by outcome (checked, unknown to the hub, skipped while "
	    "another operation held them, error)", MK_COUNTER, "outcome",
	    NULL, NULL, 0 },
	[MET_UPDATE_BYTES] = { "mm_update_fetched_bytes_total", "Bytes "
	    "fetched from the hub by update jobs (the changed files)",
	    MK_COUNTER, NULL, NULL, NULL, 0 },
	[MET_UPDATE_FREED_BYTES] = { "mm_update_freed_bytes_total", "Bytes of "
	    "the blobs only an old revision used, removed by update jobs",
	    MK_COUNTER, NULL, NULL, NULL, 0 },
	[MET_VERIFY_PROBLEMS] = { "mm_verify_problems_total", "Problems "
	    "verify tasks found in the files of installed models, by kind",
	    MK_COUNTER, "kind", NULL, NULL, 0 },
	[MET_REPAIR_FILES] = { "mm_repair_files_total", "Files repair tasks "
	    "fetched again and put in place", MK_COUNTER, NULL, NULL, NULL, 0 },
	[MET_PRUNE_FREED] = { "mm_prune_freed_bytes_total", "Bytes (apparent "
	    "size) prune tasks removed from the cache, by kind", MK_COUNTER,
	    "kind", NULL, NULL, 0 },
};

#undef B

static const char *const reason_names[MR__MAX] = {
	[MR_HUB_ERROR] = "hub_error", [MR_GATED] = "gated",
	[MR_NOT_FOUND] = "not_found", [MR_INTEGRITY] = "integrity",
	[MR_DISK_FULL] = "disk_full", [MR_PERMISSION] = "permission",
	[MR_OFFLINE] = "offline", [MR_CANCELLED] = "cancelled",
	[MR_TIMEOUT] = "timeout", [MR_INTERRUPTED] = "interrupted",
	[MR_OTHER] = "other",
};

/*
 * The pending increments: METRICS_PENDING_MAX series, found through an
 * open-addressing index twice that size.  full asks the next hook to
 * send at once.
 */
#define PEND_SLOTS	(2 * METRICS_PENDING_MAX)
static struct {
	char		 keys[METRICS_PENDING_MAX][METRICS_SERIES_MAX];
	double		 vals[METRICS_PENDING_MAX];
	short		 slot[PEND_SLOTS];	/* index + 1; 0 = free */
	size_t		 n;
	double		 last;			/* mono_now() of the last flush */
	int		 full;
	int		 warned;
	int		 off;			/* metrics_set_enabled(0) */
} pend;

/* Copies the label value v into out, every byte that could end or break
 * the quoted value replaced by '_' (values are bounded sets anyway). */
static void
label_value(char *out, size_t len, const char *v)
{
	size_t	 i;

	for (i = 0; v[i] != '\0' && i + 1 < len; i++)
		out[i] = v[i] == '"' || v[i] == '\\' || v[i] == '\n' ? '_' :
		    v[i];
	out[i] = '\0';
}

/* name{l1="v1",l2="v2",le="b"} (parts absent when NULL) into out; -1 if
 * it does not fit. */
static int
series_key(char *out, size_t len, const char *name, const struct family *f,
    const char *v1, const char *v2, const char *le)
{
	char	 a[64], b[64];
	int	 n;

	label_value(a, sizeof(a), v1 ? v1 : "");
	label_value(b, sizeof(b), v2 ? v2 : "");
	if (f->l1 == NULL && le == NULL)
		n = snprintf(out, len, "%s", name);
	else if (f->l1 == NULL)
		n = snprintf(out, len, "%s{le=\"%s\"}", name, le);
	else
		n = snprintf(out, len, "%s{%s=\"%s\"%s%s%s%s%s%s%s%s}", name,
		    f->l1, a, f->l2 ? "," : "", f->l2 ? f->l2 : "",
		    f->l2 ? "=\"" : "", f->l2 ? b : "", f->l2 ? "\"" : "",
		    le ? ",le=\"" : "", le ? le : "", le ? "\"" : "");
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static unsigned
key_hash(const char *s)
{
	unsigned	 h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Adds v to the pending series key. */
static void
pend_add(const char *key, double v)
{
	unsigned	 i = key_hash(key) % PEND_SLOTS;
	int		 k;

	while ((k = pend.slot[i]) != 0 && strcmp(pend.keys[k - 1], key) != 0)
		i = (i + 1) % PEND_SLOTS;
	if (k != 0) {
		pend.vals[k - 1] += v;
		return;
	}
	if (pend.n == METRICS_PENDING_MAX) {
		pend.full = 1;
		if (!pend.warned++)
			log_warnx("%s: pending table full, %s dropped",
			    __func__, key);
		return;
	}
	snprintf(pend.keys[pend.n], METRICS_SERIES_MAX, "%s", key);
	pend.vals[pend.n] = v;
	pend.slot[i] = (short)++pend.n;
	if (pend.n == METRICS_PENDING_MAX)
		pend.full = 1;
}

/* Adds v to the series name(+suffix) of m, le the bucket label or NULL. */
static void
add_series(enum metric m, const char *suffix, const char *l1,
    const char *l2, const char *le, double v)
{
	const struct family	*f = &families[m];
	char			 name[96], key[METRICS_SERIES_MAX];

	snprintf(name, sizeof(name), "%s%s", f->name, suffix);
	if (series_key(key, sizeof(key), name, f, l1, l2, le) == -1) {
		log_warnx("%s: series of %s too long, dropped", __func__, name);
		return;
	}
	pend_add(key, v);
}

void
metrics_set_enabled(int on)
{

	pend.off = !on;
}

void
metrics_add(enum metric m, const char *l1, const char *l2, double v)
{

	if (!pend.off)
		add_series(m, "", l1, l2, NULL, v);
}

size_t
metrics_bucket(enum metric m, double v)
{
	const struct family	*f = &families[m];
	size_t			 i;

	for (i = 0; i < f->nbuckets && v > f->buckets[i]; i++)
		;
	return i;
}

void
metrics_observe(enum metric m, const char *l1, const char *l2, double v)
{
	const struct family	*f = &families[m];
	size_t			 i = metrics_bucket(m, v);
	char			 le[32];

	if (pend.off)
		return;
	if (i < f->nbuckets)
		snprintf(le, sizeof(le), "%g", f->buckets[i]);
	else
		snprintf(le, sizeof(le), "+Inf");
	add_series(m, "_bucket", l1, l2, le, 1);
	add_series(m, "_sum", l1, l2, NULL, v);
	add_series(m, "_count", l1, l2, NULL, 1);
}

/* 1 if msg contains any of the words (case-insensitive). */
static int
has_any(const char *msg, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcasestr(msg, *words) != NULL)
			return 1;
	return 0;
}

enum met_reason
metrics_reason(const char *msg)
{
	static const struct {
		enum met_reason	 r;
		const char	*words[7];
	} rules[] = {	/* first match wins */
		{ MR_CANCELLED, { "cancel", NULL } },
		{ MR_DISK_FULL, { "disk space", "no space", NULL } },
		{ MR_INTEGRITY, { "listed hash", "did not match", "mismatch",
		    NULL } },
		{ MR_GATED, { "gated", "requires authentication", "401",
		    "403", NULL } },
		{ MR_OFFLINE, { "offline", NULL } },
		{ MR_PERMISSION, { "permission denied", NULL } },
		{ MR_NOT_FOUND, { "not found", NULL } },
		{ MR_TIMEOUT, { "timed out", "time limit", NULL } },
		{ MR_INTERRUPTED, { "killed", "exited with", "gave up", NULL } },
		{ MR_HUB_ERROR, { "hub", "http", "connect", "network",
		    "transfer", NULL } },
	};
	size_t	 i;

	if (msg == NULL || *msg == '\0')
		return MR_OTHER;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (has_any(msg, rules[i].words))
			return rules[i].r;
	return MR_OTHER;
}

const char *
metrics_reason_str(enum met_reason r)
{

	return r < MR__MAX ? reason_names[r] : "other";
}

/*
 * Adds every pair of ARGV (series, increment) to the hash KEYS[1],
 * atomically: one HMGET and one HSET whatever the number of series (a
 * HINCRBYFLOAT per series would be as many commands in Redis' own
 * count, which the benchmark holds to one per list request).  Values
 * are written with 17 significant digits: integers stay exact up to
 * 2^53.
 */
static const char flush_lua[] =
    "local n = #ARGV / 2 local f = {} "
    "for i = 1, n do f[i] = ARGV[2 * i - 1] end "
    "local cur = redis.call('HMGET', KEYS[1], unpack(f)) "
    "local out = {} "
    "for i = 1, n do "
    "  out[2 * i - 1] = f[i] "
    "  out[2 * i] = string.format('%.17g', (tonumber(cur[i]) or 0) + "
    "tonumber(ARGV[2 * i])) end "
    "redis.call('HSET', KEYS[1], unpack(out)) "
    "return n";

/* The EVAL of the pending table in argv (4 + 2n entries, pointing into
 * pend and vals), and empties the table; the argument count. */
static int
pend_take(const char **argv, char (*vals)[32])
{
	size_t	 i;
	int	 argc = 4;

	argv[0] = "EVAL";
	argv[1] = flush_lua;
	argv[2] = "1";
	argv[3] = METRICS_KEY;
	for (i = 0; i < pend.n; i++) {
		snprintf(vals[i], 32, "%.17g", pend.vals[i]);
		argv[argc++] = pend.keys[i];
		argv[argc++] = vals[i];
	}
	pend.n = 0;
	pend.full = 0;
	pend.warned = 0;
	memset(pend.slot, 0, sizeof(pend.slot));
	pend.last = mono_now();
	return argc;
}

/* Room for one EVAL of the whole table; its key strings stay in pend
 * until the command is written (single-threaded, nothing adds
 * meanwhile). */
static const char	*flush_argv[4 + 2 * METRICS_PENDING_MAX];
static char		 flush_vals[METRICS_PENDING_MAX][32];

void
metrics_hook(struct rconn *r, void *arg)
{
	int	 argc;

	(void)arg;
	if (pend.n == 0 || (!pend.full &&
	    mono_now() < pend.last + METRICS_FLUSH_EVERY))
		return;
	argc = pend_take(flush_argv, flush_vals);
	(void)rconn_piggyback(r, argc, flush_argv);
}

enum err
metrics_flush(struct rconn *r)
{
	int	 argc;

	if (pend.n == 0)
		return ERR_OK;
	argc = pend_take(flush_argv, flush_vals);
	return rconn_run(r, argc, flush_argv);
}

int
metrics_pending(double *due)
{

	if (due != NULL)
		*due = pend.full ? 0 : pend.last + METRICS_FLUSH_EVERY;
	return pend.n > 0;
}

void
metrics_forget(void)
{

	pend.n = 0;
	pend.full = 0;
	memset(pend.slot, 0, sizeof(pend.slot));
}

/* KEYS: none.  ARGV: key prefix, most runners.  Returns the queue's
 * length, then each live runner's id and the length of its processing
 * list.  The SCAN walks the whole key space: a scrape every few seconds
 * can afford it (the heartbeat's recovery does the same). */
static const char runners_lua[] =
    "local p = ARGV[1] local out = { redis.call('LLEN', p .. 'queue') } "
    "local cursor = '0' local n = 0 local plen = string.len(p .. 'runner:') "
    "repeat "
    "  local res = redis.call('SCAN', cursor, 'MATCH', p .. 'runner:*', "
    "'COUNT', 200) "
    "  cursor = res[1] "
    "  for _, k in ipairs(res[2]) do "
    "    if n < tonumber(ARGV[2]) then "
    "      local rid = string.sub(k, plen + 1) "
    "      out[#out + 1] = rid "
    "      out[#out + 1] = redis.call('LLEN', p .. 'processing:' .. rid) "
    "      n = n + 1 end end "
    "until cursor == '0' "
    "return out";

static int
field_cmp(const void *a, const void *b)
{
	const struct met_field	*x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int
runner_cmp(const void *a, const void *b)
{
	const struct met_runner	*x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* The HGETALL reply into s->fields, sorted. */
static enum err
take_fields(const redisReply *rep, struct met_snapshot *s)
{
	size_t	 i, n;

	if (rep->type != REDIS_REPLY_ARRAY)
		return ERR_REDIS;
	n = rep->elements / 2;
	if (n > METRICS_FIELDS_MAX)
		n = METRICS_FIELDS_MAX;
	if ((s->fields = calloc(n + 1, sizeof(*s->fields))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (rep->element[2 * i]->type != REDIS_REPLY_STRING ||
		    rep->element[2 * i + 1]->type != REDIS_REPLY_STRING)
			continue;
		if ((s->fields[s->nfields].name =
		    strdup(rep->element[2 * i]->str)) == NULL)
			return ERR_NOMEM;
		s->fields[s->nfields++].value =
		    strtod(rep->element[2 * i + 1]->str, NULL);
	}
	qsort(s->fields, s->nfields, sizeof(*s->fields), field_cmp);
	return ERR_OK;
}

/* The runners script's reply into s. */
static enum err
take_runners(const redisReply *rep, struct met_snapshot *s)
{
	const redisReply	*id, *jobs;
	size_t			 i;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
	    rep->element[0]->type != REDIS_REPLY_INTEGER)
		return ERR_REDIS;
	s->queue_depth = rep->element[0]->integer;
	if ((s->runners = calloc(rep->elements / 2 + 1,
	    sizeof(*s->runners))) == NULL)
		return ERR_NOMEM;
	for (i = 1; i + 1 < rep->elements; i += 2) {
		id = rep->element[i];
		jobs = rep->element[i + 1];
		if (id->type != REDIS_REPLY_STRING ||
		    jobs->type != REDIS_REPLY_INTEGER)
			continue;
		snprintf(s->runners[s->nrunners].id,
		    sizeof(s->runners[0].id), "%s", id->str);
		s->runners[s->nrunners++].jobs = jobs->integer;
	}
	qsort(s->runners, s->nrunners, sizeof(*s->runners), runner_cmp);
	return ERR_OK;
}

/* Reads the two pipelined replies; the first error wins, both read. */
static enum err
snapshot_read(struct rconn *r, struct met_snapshot *out)
{
	redisReply	*rep;
	enum err	 e, e2;

	if ((e = rconn_reply(r, &rep)) == ERR_OK) {
		e = take_fields(rep, out);
		freeReplyObject(rep);
	}
	if (e == ERR_REDIS && rep == NULL)
		return e;	/* the connection is gone: nothing to read */
	if ((e2 = rconn_reply(r, &rep)) == ERR_OK) {
		e2 = take_runners(rep, out);
		freeReplyObject(rep);
	}
	return e != ERR_OK ? e : e2;
}

enum err
metrics_snapshot(struct rconn *r, struct met_snapshot *out)
{
	const char	*hgetall[] = { "HGETALL", METRICS_KEY };
	const char	*eval[] = { "EVAL", runners_lua, "0", TS_KEY_PREFIX,
	    NULL };
	char		 most[16];
	enum err	 e;

	memset(out, 0, sizeof(*out));
	snprintf(most, sizeof(most), "%d", METRICS_RUNNERS_MAX);
	eval[4] = most;
	if (rconn_append(r, 2, hgetall, NULL) != ERR_OK ||
	    rconn_append(r, 5, eval, NULL) != ERR_OK) {
		rconn_reset(r);
		return ERR_REDIS;
	}
	if ((e = snapshot_read(r, out)) != ERR_OK)
		metrics_snapshot_free(out);
	return e;
}

void
metrics_snapshot_free(struct met_snapshot *s)
{
	size_t	 i;

	for (i = 0; s->fields != NULL && i < s->nfields; i++)
		free(s->fields[i].name);
	free(s->fields);
	free(s->runners);
	memset(s, 0, sizeof(*s));
}

/* A sample value: integers exactly, others with 17 digits. */
static void
put_value(struct sbuf *out, double v)
{
	char	 buf[40];

	if (v > -9e15 && v < 9e15 && (double)(long long)v == v)
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
	else
		snprintf(buf, sizeof(buf), "%.17g", v);
	sbuf_adds(out, buf);
}

static void
put_sample(struct sbuf *out, const char *series, double v)
{

	sbuf_adds(out, series);
	sbuf_adds(out, " ");
	put_value(out, v);
	sbuf_adds(out, "\n");
}

static void
put_head(struct sbuf *out, const char *name, const char *help,
    const char *type)
{

	sbuf_adds(out, "# HELP ");
	sbuf_adds(out, name);
	sbuf_adds(out, " ");
	sbuf_adds(out, help);
	sbuf_adds(out, "\n# TYPE ");
	sbuf_adds(out, name);
	sbuf_adds(out, " ");
	sbuf_adds(out, type);
	sbuf_adds(out, "\n");
}

/* The value of series name in s, 0 when absent. */
static double
field_value(const struct met_snapshot *s, const char *name)
{
	struct met_field	 key, *f;

	if (s->nfields == 0)
		return 0;
	key.name = (char *)(uintptr_t)name;
	f = bsearch(&key, s->fields, s->nfields, sizeof(*s->fields),
	    field_cmp);
	return f != NULL ? f->value : 0;
}

/* The labels part ("" or "{...}") after prefix in name, or NULL when
 * name is not prefix followed by end or '{'. */
static const char *
labels_after(const char *name, const char *prefix)
{
	size_t	 n = strlen(prefix);

	if (strncmp(name, prefix, n) != 0)
		return NULL;
	if (name[n] != '\0' && name[n] != '{')
		return NULL;
	return name + n;
}

static void
format_counter(const struct met_snapshot *s, const struct family *f,
    struct sbuf *out)
{
	size_t	 i;

	if (f->l1 == NULL) {
		put_sample(out, f->name, field_value(s, f->name));
		return;
	}
	for (i = 0; i < s->nfields; i++)
		if (labels_after(s->fields[i].name, f->name) != NULL &&
		    s->fields[i].name[strlen(f->name)] == '{')
			put_sample(out, s->fields[i].name, s->fields[i].value);
}

/* name_suffix + labels, with le="b" added when le is not NULL. */
static void
hist_series(char *buf, size_t len, const char *name, const char *suffix,
    const char *labels, const char *le)
{
	size_t	 n = strlen(labels);

	if (le == NULL)
		snprintf(buf, len, "%s%s%s", name, suffix, labels);
	else if (n == 0)
		snprintf(buf, len, "%s%s{le=\"%s\"}", name, suffix, le);
	else
		snprintf(buf, len, "%s%s%.*s,le=\"%s\"}", name, suffix,
		    (int)(n - 1), labels, le);
}

/* One label set of a histogram: cumulative buckets, +Inf, sum, count. */
static void
format_hist_set(const struct met_snapshot *s, const struct family *f,
    const char *labels, double count, struct sbuf *out)
{
	char	 le[32], series[2 * METRICS_SERIES_MAX];
	double	 cum = 0;
	size_t	 i;

	for (i = 0; i < f->nbuckets; i++) {
		snprintf(le, sizeof(le), "%g", f->buckets[i]);
		hist_series(series, sizeof(series), f->name, "_bucket", labels,
		    le);
		cum += field_value(s, series);
		put_sample(out, series, cum < count ? cum : count);
	}
	hist_series(series, sizeof(series), f->name, "_bucket", labels,
	    "+Inf");
	put_sample(out, series, count);
	hist_series(series, sizeof(series), f->name, "_sum", labels, NULL);
	put_sample(out, series, field_value(s, series));
	hist_series(series, sizeof(series), f->name, "_count", labels, NULL);
	put_sample(out, series, count);
}

static void
format_histogram(const struct met_snapshot *s, const struct family *f,
    struct sbuf *out)
{
	char		 prefix[96];
	const char	*labels;
	size_t		 i;

	snprintf(prefix, sizeof(prefix), "%s_count", f->name);
	for (i = 0; i < s->nfields; i++)
		if ((labels = labels_after(s->fields[i].name, prefix)) != NULL)
			format_hist_set(s, f, labels, s->fields[i].value, out);
}

/* A gauge family of one sample per labelled value. */
static void
put_gauge(struct sbuf *out, const char *name, const char *help,
    const char *labels, double v)
{
	char	 series[160];

	put_head(out, name, help, "gauge");
	snprintf(series, sizeof(series), "%s%s", name, labels);
	put_sample(out, series, v);
}

static void
format_runners(const struct met_snapshot *s, struct sbuf *out)
{
	char		 series[160], id[72];
	long long	 running = 0;
	size_t		 i;

	for (i = 0; i < s->nrunners; i++)
		running += s->runners[i].jobs;
	put_gauge(out, "mm_queue_depth", "Tasks waiting in the queue", "",
	    (double)s->queue_depth);
	put_gauge(out, "mm_jobs_running", "Jobs taken by live runners",
	    "", (double)running);
	put_gauge(out, "mm_runners_live", "Job runners with a live heartbeat",
	    "", (double)s->nrunners);
	put_head(out, "mm_runner_jobs_running", "Jobs taken by each live "
	    "runner, by runner id", "gauge");
	for (i = 0; i < s->nrunners; i++) {
		label_value(id, sizeof(id), s->runners[i].id);
		snprintf(series, sizeof(series),
		    "mm_runner_jobs_running{runner=\"%s\"}", id);
		put_sample(out, series, (double)s->runners[i].jobs);
	}
}

static void
format_cache(const struct met_cache *c, struct sbuf *out)
{
	static const char	*kinds[] = { "total", "managed", "unmanaged",
	    "partial" };
	unsigned long long	 v[4];
	char			 series[96];
	size_t			 i;

	v[0] = c->total;
	v[1] = c->managed;
	v[2] = c->unmanaged;
	v[3] = c->partial;
	put_head(out, "mm_cache_size_bytes", "The HF cache by part, as this "
	    "responder's last scan saw it", "gauge");
	for (i = 0; c->have_scan && i < 4; i++) {
		snprintf(series, sizeof(series),
		    "mm_cache_size_bytes{kind=\"%s\"}", kinds[i]);
		put_sample(out, series, (double)v[i]);
	}
	put_head(out, "mm_cache_free_bytes", "Free space of the HF cache's "
	    "file system (available to unprivileged users)", "gauge");
	if (c->have_free)
		put_sample(out, "mm_cache_free_bytes", (double)c->free_bytes);
}

void
metrics_format_gauge(struct sbuf *out, const char *name, const char *help,
    double v)
{

	put_gauge(out, name, help, "", v);
}

void
metrics_format(const struct met_snapshot *s, const struct met_cache *c,
    struct sbuf *out)
{
	const struct family	*f;
	size_t			 i;

	for (i = 0; i < MET__MAX; i++) {
		f = &families[i];
		put_head(out, f->name, f->help, f->kind == MK_COUNTER ?
		    "counter" : "histogram");
		if (f->kind == MK_COUNTER)
			format_counter(s, f, out);
		else
			format_histogram(s, f, out);
	}
	format_runners(s, out);
	format_cache(c, out);
}
