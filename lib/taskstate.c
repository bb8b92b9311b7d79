#include <sys/random.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "num.h"
#include "taskstate.h"

int
ts_key(char *buf, size_t len, const char *kind, const char *id)
{
	int	 n;

	n = snprintf(buf, len, TS_KEY_PREFIX "%s:%s", kind, id);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
ts_active_key(char *buf, size_t len, const char *model_id)
{

	return ts_key(buf, len, "active", model_id);
}

/* The key of the claim op takes on model_id: the model's, or the
 * operation's for a deployment-wide task (model id ""). */
static int
claim_key(char *buf, size_t len, const char *model_id, enum ts_op op)
{

	if (model_id[0] == '\0')
		return ts_key(buf, len, "active-all", ts_op_str(op));
	return ts_active_key(buf, len, model_id);
}

/* Every operation, by its enum ts_op value: its name and list slot. */
static const struct {
	const char	*name;
	const char	*slot;
} ops[TS_OP_COUNT] = {
	[TS_OP_NONE] = { "", NULL },
	[TS_OP_DOWNLOAD] = { "download", "download" },
	[TS_OP_DELETE] = { "delete", "delete" },
	[TS_OP_VERIFY] = { "verify", NULL },
	[TS_OP_REPAIR] = { "repair", "download" },
	[TS_OP_UPDATE] = { "update", "download" },
	[TS_OP_PRUNE] = { "prune", "delete" },
	[TS_OP_CHECK] = { "check", NULL },
};

const char *
ts_op_str(enum ts_op op)
{

	return (unsigned)op < TS_OP_COUNT ? ops[op].name : "";
}

const char *
ts_op_list_slot(enum ts_op op)
{

	return (unsigned)op < TS_OP_COUNT ? ops[op].slot : NULL;
}

int
ts_op_writes_cache(enum ts_op op)
{

	return op != TS_OP_NONE && op != TS_OP_VERIFY && op != TS_OP_CHECK;
}

/* The operation named by the len bytes at s; -1 if none. */
static int
op_parse(const char *s, size_t len, enum ts_op *op)
{
	size_t	 i;

	for (i = 1; i < TS_OP_COUNT; i++)
		if (strlen(ops[i].name) == len &&
		    strncmp(s, ops[i].name, len) == 0) {
			*op = (enum ts_op)i;
			return 0;
		}
	return -1;
}

int
ts_op_parse(const char *s, enum ts_op *op)
{

	return op_parse(s, strlen(s), op);
}

int
ts_claim_parse(const char *value, struct ts_claim *out)
{
	const char	*colon;
	size_t		 idlen;

	memset(out, 0, sizeof(*out));
	if (value == NULL || (colon = strchr(value, ':')) == NULL)
		return -1;
	if (op_parse(value, (size_t)(colon - value), &out->op) == -1)
		return -1;
	idlen = strlen(colon + 1);
	if (idlen == 0 || idlen >= sizeof(out->task_id)) {
		out->op = TS_OP_NONE;
		return -1;
	}
	memcpy(out->task_id, colon + 1, idlen + 1);
	return 0;
}

static int
parse_generation(const redisReply *rep, unsigned long long *out)
{
	long long	 v;

	*out = 0;
	if (rep->type != REDIS_REPLY_STRING)
		return 0;
	if (num_parse(rep->str, 0, LLONG_MAX, &v, NULL) == -1)
		return -1;
	*out = (unsigned long long)v;
	return 0;
}

enum err
ts_active_send(struct rconn *r, const char *const *models, size_t n,
    const char *extra)
{
	const char	**argv;
	char		*keys;
	size_t		 i, nk = extra != NULL ? 2 * n : n;
	enum err	 e = ERR_NOMEM;

	argv = calloc(nk + 2, sizeof(*argv));
	keys = malloc(nk * TS_KEY_MAX + 1);
	if (argv == NULL || keys == NULL)
		goto out;
	argv[0] = "MGET";
	for (i = 0; i < nk; i++) {
		if ((i < n ? ts_active_key(keys + i * TS_KEY_MAX, TS_KEY_MAX,
		    models[i]) : ts_key(keys + i * TS_KEY_MAX, TS_KEY_MAX,
		    extra, models[i - n])) == -1)
			goto out;
		argv[1 + i + (i >= n)] = keys + i * TS_KEY_MAX;
	}
	argv[1 + n] = TS_GENERATION_KEY;
	if ((e = rconn_append(r, (int)nk + 2, argv, NULL)) == ERR_OK)
		e = rconn_flush(r);
out:
	free(keys);
	free(argv);
	return e;
}

/* The extra values of an MGET reply (elements n + 1 ..) into values. */
static enum err
active_values(const redisReply *rep, size_t n, char **values)
{
	const redisReply	*el;
	size_t			 i;

	for (i = 0; i < n; i++) {
		el = rep->element[n + 1 + i];
		if (el->type == REDIS_REPLY_STRING &&
		    (values[i] = strdup(el->str)) == NULL) {
			while (i > 0)
				free(values[--i]);
			return ERR_NOMEM;
		}
	}
	return ERR_OK;
}

enum err
ts_active_recv(struct rconn *r, size_t n, struct ts_claim *claims,
    unsigned long long *generation, char **values)
{
	redisReply	*rep;
	enum err	 e;
	size_t		 i;

	*generation = 0;
	memset(claims, 0, n * sizeof(*claims));
	if (values != NULL)
		memset(values, 0, n * sizeof(*values));
	if ((e = rconn_reply(r, &rep)) != ERR_OK)
		return e;
	if (rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != n + 1 + (values != NULL ? n : 0)) {
		log_warnx("redis: MGET: unexpected reply");
		freeReplyObject(rep);
		return ERR_REDIS;
	}
	for (i = 0; i < n; i++)
		if (rep->element[i]->type == REDIS_REPLY_STRING)
			(void)ts_claim_parse(rep->element[i]->str, &claims[i]);
	(void)parse_generation(rep->element[n], generation);
	e = values != NULL ? active_values(rep, n, values) : ERR_OK;
	freeReplyObject(rep);
	return e;
}

void
ts_active_drop(struct rconn *r)
{
	redisReply	*rep;

	if (rconn_reply(r, &rep) == ERR_OK)
		freeReplyObject(rep);
}

enum err
ts_claim_held(struct rconn *r, const char *model_id, enum ts_op op,
    const char *task_id, int *held)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { "GET", key };
	struct ts_claim	 c;
	redisReply	*rep;

	*held = 0;
	if (claim_key(key, sizeof(key), model_id, op) == -1)
		return ERR_INVAL;
	if ((rep = rconn_cmdv(r, 2, argv)) == NULL)
		return ERR_REDIS;
	*held = rep->type == REDIS_REPLY_STRING &&
	    ts_claim_parse(rep->str, &c) == 0 && c.op == op &&
	    strcmp(c.task_id, task_id) == 0;
	freeReplyObject(rep);
	return ERR_OK;
}

enum err
ts_active_many(struct rconn *r, const char *const *models, size_t n,
    struct ts_claim *claims, unsigned long long *generation)
{
	enum err	 e;

	*generation = 0;
	memset(claims, 0, n * sizeof(*claims));
	if ((e = ts_active_send(r, models, n, NULL)) != ERR_OK)
		return e;
	return ts_active_recv(r, n, claims, generation, NULL);
}

/* The terminal statuses (and TERMINAL_LUA below, for the scripts). */
static const char *const terminal_statuses[] = {
	TS_COMPLETED, TS_FAILED, TS_ALREADY_INSTALLED, TS_NOT_INSTALLED,
	TS_CANCELLED, NULL
};

int
ts_status_terminal(const char *status)
{
	size_t	 i;

	for (i = 0; terminal_statuses[i] != NULL; i++)
		if (strcmp(status, terminal_statuses[i]) == 0)
			return 1;
	return 0;
}

void
ts_new_task_id(char out[37])
{
	unsigned char	 b[16];
	size_t		 i, o = 0;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		abort();	/* the kernel's CSPRNG cannot fail here */
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		snprintf(out + o, 3, "%02x", b[i]);
		o += 2;
	}
	out[36] = '\0';
}

/* Writes "<op>:<task_id>", the value of a claim. */
static void
claim_value(char *buf, size_t len, enum ts_op op, const char *task_id)
{

	snprintf(buf, len, "%s:%s", ts_op_str(op), task_id);
}

static void
epoch_now(char *buf, size_t len)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, len, "%lld.%06ld", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000);
}

/* What every script on a task and its model's claim is given. */
struct task_keys {
	char	 task[TS_KEY_MAX];	/* the task hash */
	char	 claim[TS_KEY_MAX];	/* the model's claim */
	char	 value[128];		/* our claim's value */
	char	 now[32];		/* updated_at */
};

/* Fills k for task_id of model_id; -1 if a key is too long. */
static int
task_keys(struct task_keys *k, const char *task_id, const char *model_id,
    enum ts_op op)
{

	if (ts_key(k->task, sizeof(k->task), "task", task_id) == -1 ||
	    claim_key(k->claim, sizeof(k->claim), model_id, op) == -1)
		return -1;
	claim_value(k->value, sizeof(k->value), op, task_id);
	epoch_now(k->now, sizeof(k->now));
	return 0;
}

enum err
ts_claim(struct rconn *r, const char *model_id, enum ts_op op,
    const char *task_id, enum ts_claim_outcome *outcome,
    struct ts_claim *held)
{
	char		 key[TS_KEY_MAX], val[128], ttl[16];
	const char	*set[] = { "SET", key, val, "NX", "EX", ttl };
	const char	*get[] = { "GET", key };
	redisReply	*rep;
	int		 attempt, ok;

	if (claim_key(key, sizeof(key), model_id, op) == -1)
		return ERR_INVAL;
	claim_value(val, sizeof(val), op, task_id);
	snprintf(ttl, sizeof(ttl), "%d", TS_TTL);
	for (attempt = 0; attempt < 2; attempt++) {
		if ((rep = rconn_cmdv(r, 6, set)) == NULL)
			return ERR_REDIS;
		ok = rep->type == REDIS_REPLY_STATUS;
		freeReplyObject(rep);
		if (ok) {
			*outcome = TS_CLAIM_NEW;
			return ERR_OK;
		}
		if ((rep = rconn_cmdv(r, 2, get)) == NULL)
			return ERR_REDIS;
		ok = rep->type == REDIS_REPLY_STRING &&
		    ts_claim_parse(rep->str, held) == 0;
		freeReplyObject(rep);
		if (ok) {
			*outcome = held->op == op ? TS_CLAIM_SAME_OP :
			    TS_CLAIM_OTHER_OP;
			return ERR_OK;
		}
		/* Vanished (or unreadable) between SET and GET: once more. */
	}
	log_warnx("%s: the claim on %s changed twice while being taken",
	    __func__, key);
	return ERR_CONFLICT;
}

enum err
ts_release(struct rconn *r, const char *model_id, enum ts_op op,
    const char *task_id)
{
	char	 key[TS_KEY_MAX], val[128];

	if (claim_key(key, sizeof(key), model_id, op) == -1)
		return ERR_INVAL;
	claim_value(val, sizeof(val), op, task_id);
	return rconn_del_if(r, key, val);
}

enum err
ts_task_create(struct rconn *r, const char *task_id, const char *model_id,
    enum ts_op op)
{
	char		 key[TS_KEY_MAX], now[32], ttl[16];
	const char	*hset[] = { "HSET", key, "task_id", task_id,
	    "model_id", model_id, "operation", ts_op_str(op),
	    "status", TS_PENDING, "bytes_downloaded", "0",
	    "bytes_total", "0", "error", "", "updated_at", now,
	    "files_done", "0", "files_total", "0", "attempts", "0" };
	const char	*expire[] = { "EXPIRE", key, ttl };
	redisReply	*rep;
	enum err	 e = ERR_OK;
	int		 i;

	if (ts_key(key, sizeof(key), "task", task_id) == -1)
		return ERR_INVAL;
	epoch_now(now, sizeof(now));
	snprintf(ttl, sizeof(ttl), "%d", TS_TTL);
	if (rconn_append(r, (int)(sizeof(hset) / sizeof(hset[0])), hset,
	    NULL) != ERR_OK || rconn_append(r, 3, expire, NULL) != ERR_OK)
		return ERR_REDIS;
	for (i = 0; i < 2; i++) {
		if (rconn_reply(r, &rep) != ERR_OK)
			return ERR_REDIS;
		if (rep->type == REDIS_REPLY_ERROR)
			e = ERR_REDIS;
		freeReplyObject(rep);
	}
	return e;
}

static unsigned long long
field_ull(const char *v)
{
	long long	 n;

	return num_parse(v, 0, LLONG_MAX, &n, NULL) == 0 ?
	    (unsigned long long)n : 0;
}

static double
field_double(const char *v, double dflt)
{
	double	 d;

	return num_parse_double(v, &d) == 0 ? d : dflt;
}

/* An optional count: -1 when empty or not a count. */
static long long
field_opt(const char *v)
{
	long long	 n;

	return num_parse(v, 0, LLONG_MAX, &n, NULL) == 0 ? n : -1;
}

static void
task_field(struct ts_task *t, const char *k, const char *v)
{

	if (strcmp(k, "task_id") == 0)
		snprintf(t->task_id, sizeof(t->task_id), "%s", v);
	else if (strcmp(k, "model_id") == 0)
		snprintf(t->model_id, sizeof(t->model_id), "%s", v);
	else if (strcmp(k, "operation") == 0)
		(void)ts_op_parse(v, &t->op);
	else if (strcmp(k, "status") == 0)
		snprintf(t->status, sizeof(t->status), "%s", v);
	else if (strcmp(k, "bytes_downloaded") == 0)
		t->bytes_downloaded = field_ull(v);
	else if (strcmp(k, "bytes_total") == 0)
		t->bytes_total = field_ull(v);
	else if (strcmp(k, "error") == 0)
		snprintf(t->error, sizeof(t->error), "%s", v);
	else if (strcmp(k, "updated_at") == 0)
		t->updated_at = field_double(v, 0);
	else if (strcmp(k, "bytes_per_second") == 0)
		t->bytes_per_second = field_double(v, -1);
	else if (strcmp(k, "eta_seconds") == 0)
		t->eta_seconds = (long long)field_double(v, -1);
	else if (strcmp(k, "files_done") == 0)
		t->files_done = field_ull(v);
	else if (strcmp(k, "files_total") == 0)
		t->files_total = field_ull(v);
	else if (strcmp(k, "attempts") == 0)
		t->attempts = field_ull(v);
	else if (strcmp(k, "cancel_requested") == 0)
		t->cancel_requested = strcmp(v, "1") == 0;
	else if (strcmp(k, "attempt") == 0)
		t->attempt = field_opt(v);
	else if (strcmp(k, "attempt_max") == 0)
		t->attempt_max = field_opt(v);
	else if (strcmp(k, "connections") == 0)
		t->connections = field_opt(v);
	else if (strcmp(k, "last_error") == 0)
		snprintf(t->last_error, sizeof(t->last_error), "%s", v);
	else if (strcmp(k, "source") == 0)
		snprintf(t->source, sizeof(t->source), "%s", v);
	else if (strcmp(k, "waiting_reason") == 0)
		snprintf(t->waiting_reason, sizeof(t->waiting_reason), "%s", v);
	else if (strcmp(k, "ignore_window") == 0)
		t->ignore_window = strcmp(v, "1") == 0;
	else if (strcmp(k, "time_limit") == 0)
		snprintf(t->time_limit, sizeof(t->time_limit), "%s", v);
	else if (strcmp(k, "params") == 0)
		snprintf(t->params, sizeof(t->params), "%s", v);
}

enum err
ts_task_get(struct rconn *r, const char *task_id, struct ts_task *out)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { "HGETALL", key };
	redisReply	*rep;
	size_t		 i;

	memset(out, 0, sizeof(*out));
	out->bytes_per_second = -1;
	out->eta_seconds = -1;
	out->attempt = out->attempt_max = out->connections = -1;
	if (ts_key(key, sizeof(key), "task", task_id) == -1)
		return ERR_NOTFOUND;
	if ((rep = rconn_cmdv(r, 2, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
		freeReplyObject(rep);
		return ERR_NOTFOUND;
	}
	for (i = 0; i + 1 < rep->elements; i += 2)
		if (rep->element[i]->type == REDIS_REPLY_STRING &&
		    rep->element[i + 1]->type == REDIS_REPLY_STRING)
			task_field(out, rep->element[i]->str,
			    rep->element[i + 1]->str);
	freeReplyObject(rep);
	if (out->task_id[0] == '\0')
		snprintf(out->task_id, sizeof(out->task_id), "%s", task_id);
	return ERR_OK;
}

/* The terminal statuses, as a Lua table (see terminal_statuses). */
#define TERMINAL_LUA \
    "local term = {completed=1, failed=1, already_installed=1, " \
    "not_installed=1, cancelled=1} "

/* KEYS: task, claim.  ARGV: claim value, updated_at, then field/value
 * pairs.  Returns -1 gone, -2 terminal, else the cancel flag. */
static const char update_lua[] =
    "local st = redis.call('HGET', KEYS[1], 'status') "
    "if not st then return -1 end "
    TERMINAL_LUA
    "if term[st] then return -2 end "
    "redis.call('HSET', KEYS[1], 'updated_at', ARGV[2], "
    "unpack(ARGV, 3)) "
    "redis.call('EXPIRE', KEYS[1], " "86400" ") "
    "if redis.call('GET', KEYS[2]) == ARGV[1] then "
    "redis.call('EXPIRE', KEYS[2], 86400) end "
    "if redis.call('HGET', KEYS[1], 'cancel_requested') == '1' then "
    "return 1 end return 0";

enum err
ts_task_update(struct rconn *r, const char *task_id, const char *model_id,
    enum ts_op op, const char *const *fields, int nfields, int *cancel)
{
	struct task_keys	 k;
	const char		*argv[4 + 2 * TS_UPDATE_FIELDS];
	long long		 rc;
	int			 i;

	*cancel = 0;
	if (nfields > TS_UPDATE_FIELDS ||
	    task_keys(&k, task_id, model_id, op) == -1)
		return ERR_INVAL;
	argv[0] = k.task;
	argv[1] = k.claim;
	argv[2] = k.value;
	argv[3] = k.now;
	for (i = 0; i < nfields * 2; i++)
		argv[4 + i] = fields[i];
	if (rconn_script_int(r, update_lua, 2, 4 + nfields * 2, argv,
	    &rc) != ERR_OK)
		return ERR_REDIS;
	if (rc == -1)
		return ERR_NOTFOUND;
	if (rc == -2)
		return ERR_CONFLICT;
	if (rc < 0)
		return ERR_REDIS;
	*cancel = rc == 1;
	return ERR_OK;
}

/* KEYS: task, claim.  ARGV: status, error, updated_at, claim value,
 * result ("": none).  Returns 1 written, 0 already terminal, -1 no such
 * task. */
static const char finish_lua[] =
    "local st = redis.call('HGET', KEYS[1], 'status') "
    TERMINAL_LUA
    "local rc = -1 "
    "if st and term[st] then rc = 0 elseif st then "
    "redis.call('HSET', KEYS[1], 'status', ARGV[1], 'error', ARGV[2], "
    "'updated_at', ARGV[3]) "
    "if ARGV[5] ~= '' then "
    "redis.call('HSET', KEYS[1], 'result', ARGV[5]) end "
    "redis.call('HDEL', KEYS[1], 'bytes_per_second', 'eta_seconds') "
    "redis.call('EXPIRE', KEYS[1], 86400) rc = 1 end "
    "if redis.call('GET', KEYS[2]) == ARGV[4] then "
    "redis.call('DEL', KEYS[2]) end return rc";

enum err
ts_task_finish_result(struct rconn *r, const char *task_id,
    const char *model_id, enum ts_op op, const char *status,
    const char *error, const char *result)
{
	struct task_keys	 k;
	const char		*argv[] = { k.task, k.claim, status,
	    error ? error : "", k.now, k.value, result ? result : "" };
	long long		 rc;

	if (task_keys(&k, task_id, model_id, op) == -1 ||
	    (result != NULL && strlen(result) > TS_RESULT_MAX))
		return ERR_INVAL;
	if (rconn_script_int(r, finish_lua, 2, 7, argv, &rc) != ERR_OK)
		return ERR_REDIS;
	return rc == 1 ? ERR_OK : rc == 0 ? ERR_CONFLICT : ERR_NOTFOUND;
}

enum err
ts_task_finish(struct rconn *r, const char *task_id, const char *model_id,
    enum ts_op op, const char *status, const char *error)
{

	return ts_task_finish_result(r, task_id, model_id, op, status, error,
	    NULL);
}

enum err
ts_task_result(struct rconn *r, const char *task_id, char **json)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { "HGET", key, "result" };
	redisReply	*rep;
	enum err	 e = ERR_OK;

	*json = NULL;
	if (ts_key(key, sizeof(key), "task", task_id) == -1)
		return ERR_OK;
	if ((rep = rconn_cmdv(r, 3, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_STRING && rep->len > 0 &&
	    (*json = strdup(rep->str)) == NULL)
		e = ERR_NOMEM;
	freeReplyObject(rep);
	return e;
}

/* KEYS: queue, task, claim.  ARGV: task id, updated_at, claim value. */
static const char cancel_queued_lua[] =
    "if redis.call('LREM', KEYS[1], 0, ARGV[1]) == 0 then return 0 end "
    "if redis.call('EXISTS', KEYS[2]) == 1 then "
    "redis.call('HSET', KEYS[2], 'status', 'cancelled', 'error', '', "
    "'updated_at', ARGV[2]) "
    "redis.call('EXPIRE', KEYS[2], 86400) end "
    "if redis.call('GET', KEYS[3]) == ARGV[3] then "
    "redis.call('DEL', KEYS[3]) end return 1";

enum err
ts_cancel_queued(struct rconn *r, const char *task_id, const char *model_id,
    enum ts_op op)
{
	struct task_keys	 k;
	const char		*argv[] = { TS_QUEUE_KEY, k.task, k.claim,
	    task_id, k.now, k.value };
	long long		 rc;

	if (task_keys(&k, task_id, model_id, op) == -1)
		return ERR_INVAL;
	if (rconn_script_int(r, cancel_queued_lua, 3, 6, argv, &rc) != ERR_OK)
		return ERR_REDIS;
	return rc == 1 ? ERR_OK : rc == 0 ? ERR_NOTFOUND : ERR_REDIS;
}

enum err
ts_request_cancel(struct rconn *r, const char *task_id, const char *model_id,
    enum ts_op op)
{
	const char	*f[] = { "cancel_requested", "1" };
	int		 cancel;

	return ts_task_update(r, task_id, model_id, op, f, 1, &cancel);
}

enum err
ts_count_attempt(struct rconn *r, const char *task_id, long long *attempts)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { "HINCRBY", key, "attempts", "1" };

	if (ts_key(key, sizeof(key), "task", task_id) == -1)
		return ERR_INVAL;
	return rconn_int(r, 4, argv, attempts);
}

enum err
ts_enqueue(struct rconn *r, const char *task_id)
{
	const char	*argv[] = { "LPUSH", TS_QUEUE_KEY, task_id };

	return rconn_int(r, 3, argv, NULL);
}

enum err
ts_bump_generation(struct rconn *r, unsigned long long *gen)
{
	const char	*argv[] = { "INCR", TS_GENERATION_KEY };
	long long	 v;

	if (rconn_int(r, 2, argv, &v) != ERR_OK || v <= 0)
		return ERR_REDIS;
	if (gen != NULL)
		*gen = (unsigned long long)v;
	return ERR_OK;
}

enum err
ts_generation(struct rconn *r, unsigned long long *gen)
{
	const char	*argv[] = { "GET", TS_GENERATION_KEY };
	redisReply	*rep;

	*gen = 0;
	if ((rep = rconn_cmdv(r, 2, argv)) == NULL)
		return ERR_REDIS;
	if (parse_generation(rep, gen) == -1)
		log_warnx("%s: %s is not a number", __func__,
		    TS_GENERATION_KEY);
	freeReplyObject(rep);
	return ERR_OK;
}
