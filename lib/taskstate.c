#include <sys/random.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "num.h"
#include "taskstate.h"

int
ts_active_key(char *buf, size_t len, const char *model_id)
{
	int	 n;

	n = snprintf(buf, len, TS_KEY_PREFIX "active:%s", model_id);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
ts_claim_parse(const char *value, struct ts_claim *out)
{
	const char	*colon;
	size_t		 idlen;

	memset(out, 0, sizeof(*out));
	if (value == NULL || (colon = strchr(value, ':')) == NULL)
		return -1;
	if ((size_t)(colon - value) == 8 &&
	    strncmp(value, "download", 8) == 0)
		out->op = TS_OP_DOWNLOAD;
	else if ((size_t)(colon - value) == 6 &&
	    strncmp(value, "delete", 6) == 0)
		out->op = TS_OP_DELETE;
	else
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
ts_active_send(struct rconn *r, const char *const *models, size_t n)
{
	const char	**argv;
	char		*keys;
	size_t		 i;
	enum err	 e = ERR_NOMEM;

	argv = calloc(n + 2, sizeof(*argv));
	keys = malloc(n * TS_KEY_MAX + 1);
	if (argv == NULL || keys == NULL)
		goto out;
	argv[0] = "MGET";
	for (i = 0; i < n; i++) {
		if (ts_active_key(keys + i * TS_KEY_MAX, TS_KEY_MAX,
		    models[i]) == -1)
			goto out;
		argv[1 + i] = keys + i * TS_KEY_MAX;
	}
	argv[1 + n] = TS_GENERATION_KEY;
	if ((e = rconn_append(r, (int)n + 2, argv, NULL)) == ERR_OK)
		e = rconn_flush(r);
out:
	free(keys);
	free(argv);
	return e;
}

enum err
ts_active_recv(struct rconn *r, size_t n, struct ts_claim *claims,
    unsigned long long *generation)
{
	redisReply	*rep;
	enum err	 e;
	size_t		 i;

	*generation = 0;
	memset(claims, 0, n * sizeof(*claims));
	if ((e = rconn_reply(r, &rep)) != ERR_OK)
		return e;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n + 1) {
		log_warnx("redis: MGET: unexpected reply");
		freeReplyObject(rep);
		return ERR_REDIS;
	}
	for (i = 0; i < n; i++)
		if (rep->element[i]->type == REDIS_REPLY_STRING)
			(void)ts_claim_parse(rep->element[i]->str, &claims[i]);
	(void)parse_generation(rep->element[n], generation);
	freeReplyObject(rep);
	return ERR_OK;
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
	if (ts_active_key(key, sizeof(key), model_id) == -1)
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
	if ((e = ts_active_send(r, models, n)) != ERR_OK)
		return e;
	return ts_active_recv(r, n, claims, generation);
}

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

const char *
ts_op_str(enum ts_op op)
{

	return op == TS_OP_DOWNLOAD ? "download" :
	    op == TS_OP_DELETE ? "delete" : "";
}

int
ts_op_parse(const char *s, enum ts_op *op)
{

	if (strcmp(s, "download") == 0)
		*op = TS_OP_DOWNLOAD;
	else if (strcmp(s, "delete") == 0)
		*op = TS_OP_DELETE;
	else
		return -1;
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

static int
task_key(char *buf, size_t len, const char *task_id)
{
	int	 n = snprintf(buf, len, TS_KEY_PREFIX "task:%s", task_id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

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

/* Reads an integer reply; -100 when the reply is not one. */
static long long
reply_int(const redisReply *rep)
{

	if (rep == NULL || rep->type != REDIS_REPLY_INTEGER)
		return -100;
	return rep->integer;
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

	if (ts_active_key(key, sizeof(key), model_id) == -1)
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
	return ERR_CONFLICT;
}

static const char release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";

enum err
ts_release(struct rconn *r, const char *model_id, enum ts_op op,
    const char *task_id)
{
	char		 key[TS_KEY_MAX], val[128];
	const char	*argv[] = { key, val };
	redisReply	*rep;
	enum err	 e;

	if (ts_active_key(key, sizeof(key), model_id) == -1)
		return ERR_INVAL;
	claim_value(val, sizeof(val), op, task_id);
	if ((rep = rconn_script(r, release_lua, 1, 2, argv)) == NULL)
		return ERR_REDIS;
	e = reply_int(rep) >= 0 ? ERR_OK : ERR_REDIS;
	freeReplyObject(rep);
	return e;
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

	if (task_key(key, sizeof(key), task_id) == -1)
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
	if (task_key(key, sizeof(key), task_id) == -1)
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

/* KEYS: task, claim.  ARGV: claim value, updated_at, then field/value
 * pairs.  Returns -1 gone, -2 terminal, else the cancel flag. */
static const char update_lua[] =
    "local st = redis.call('HGET', KEYS[1], 'status') "
    "if not st then return -1 end "
    "local term = {completed=1, failed=1, already_installed=1, "
    "not_installed=1, cancelled=1} "
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
	char		 tkey[TS_KEY_MAX], ckey[TS_KEY_MAX], val[128], now[32];
	const char	*argv[4 + 32];
	redisReply	*rep;
	long long	 rc;
	int		 i;

	*cancel = 0;
	if (nfields > 16 || task_key(tkey, sizeof(tkey), task_id) == -1 ||
	    ts_active_key(ckey, sizeof(ckey), model_id) == -1)
		return ERR_INVAL;
	claim_value(val, sizeof(val), op, task_id);
	epoch_now(now, sizeof(now));
	argv[0] = tkey;
	argv[1] = ckey;
	argv[2] = val;
	argv[3] = now;
	for (i = 0; i < nfields * 2; i++)
		argv[4 + i] = fields[i];
	if ((rep = rconn_script(r, update_lua, 2, 4 + nfields * 2,
	    argv)) == NULL)
		return ERR_REDIS;
	rc = reply_int(rep);
	freeReplyObject(rep);
	if (rc == -1)
		return ERR_NOTFOUND;
	if (rc == -2)
		return ERR_CONFLICT;
	if (rc < 0)
		return ERR_REDIS;
	*cancel = rc == 1;
	return ERR_OK;
}

/* KEYS: task, claim.  ARGV: status, error, updated_at, claim value.
 * Returns 1 written, 0 already terminal, -1 no such task. */
static const char finish_lua[] =
    "local st = redis.call('HGET', KEYS[1], 'status') "
    "local term = {completed=1, failed=1, already_installed=1, "
    "not_installed=1, cancelled=1} "
    "local rc = -1 "
    "if st and term[st] then rc = 0 elseif st then "
    "redis.call('HSET', KEYS[1], 'status', ARGV[1], 'error', ARGV[2], "
    "'updated_at', ARGV[3]) "
    "redis.call('HDEL', KEYS[1], 'bytes_per_second', 'eta_seconds') "
    "redis.call('EXPIRE', KEYS[1], 86400) rc = 1 end "
    "if redis.call('GET', KEYS[2]) == ARGV[4] then "
    "redis.call('DEL', KEYS[2]) end return rc";

enum err
ts_task_finish(struct rconn *r, const char *task_id, const char *model_id,
    enum ts_op op, const char *status, const char *error)
{
	char		 tkey[TS_KEY_MAX], ckey[TS_KEY_MAX], val[128], now[32];
	const char	*argv[] = { tkey, ckey, status, error ? error : "",
	    now, val };
	redisReply	*rep;
	long long	 rc;

	if (task_key(tkey, sizeof(tkey), task_id) == -1 ||
	    ts_active_key(ckey, sizeof(ckey), model_id) == -1)
		return ERR_INVAL;
	claim_value(val, sizeof(val), op, task_id);
	epoch_now(now, sizeof(now));
	if ((rep = rconn_script(r, finish_lua, 2, 6, argv)) == NULL)
		return ERR_REDIS;
	rc = reply_int(rep);
	freeReplyObject(rep);
	if (rc == -100)
		return ERR_REDIS;
	return rc == 1 ? ERR_OK : rc == 0 ? ERR_CONFLICT : ERR_NOTFOUND;
}

enum err
ts_enqueue(struct rconn *r, const char *task_id)
{
	const char	*argv[] = { "LPUSH", TS_QUEUE_KEY, task_id };
	redisReply	*rep;
	enum err	 e;

	if ((rep = rconn_cmdv(r, 3, argv)) == NULL)
		return ERR_REDIS;
	e = rep->type == REDIS_REPLY_INTEGER ? ERR_OK : ERR_REDIS;
	freeReplyObject(rep);
	return e;
}

enum err
ts_bump_generation(struct rconn *r, unsigned long long *gen)
{
	const char	*argv[] = { "INCR", TS_GENERATION_KEY };
	redisReply	*rep;
	enum err	 e;

	if ((rep = rconn_cmdv(r, 2, argv)) == NULL)
		return ERR_REDIS;
	e = rep->type == REDIS_REPLY_INTEGER && rep->integer > 0 ? ERR_OK :
	    ERR_REDIS;
	if (e == ERR_OK && gen != NULL)
		*gen = (unsigned long long)rep->integer;
	freeReplyObject(rep);
	return e;
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

static int
list_key(char *buf, size_t len, const char *what, const char *runner_id)
{
	int	 n = snprintf(buf, len, TS_KEY_PREFIX "%s:%s", what, runner_id);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Runs a script whose reply is an integer; -100 on failure. */
static long long
script_int(struct rconn *r, const char *lua, int nkeys, int argc,
    const char **argv)
{
	redisReply	*rep;
	long long	 v;

	if ((rep = rconn_script(r, lua, nkeys, argc, argv)) == NULL)
		return -100;
	if (rep->type == REDIS_REPLY_ERROR)
		log_warnx("redis: script: %s", rep->str);
	v = reply_int(rep);
	freeReplyObject(rep);
	return v;
}

enum err
ts_take(struct rconn *r, const char *runner_id, unsigned timeout_s,
    char *task_id, size_t len)
{
	char		 proc[TS_KEY_MAX], tmo[16];
	const char	*argv[] = { "BLMOVE", TS_QUEUE_KEY, proc, "RIGHT",
	    "LEFT", tmo };
	redisReply	*rep;
	enum err	 e = ERR_OK;

	*task_id = '\0';
	if (list_key(proc, sizeof(proc), "processing", runner_id) == -1)
		return ERR_INVAL;
	snprintf(tmo, sizeof(tmo), "%u", timeout_s);
	if ((rep = rconn_cmdv(r, 6, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_STRING)
		snprintf(task_id, len, "%s", rep->str);
	else if (rep->type != REDIS_REPLY_NIL)
		e = ERR_REDIS;
	freeReplyObject(rep);
	return e;
}

enum err
ts_done(struct rconn *r, const char *runner_id, const char *task_id)
{
	char		 proc[TS_KEY_MAX];
	const char	*argv[] = { "LREM", proc, "0", task_id };
	redisReply	*rep;

	if (list_key(proc, sizeof(proc), "processing", runner_id) == -1)
		return ERR_INVAL;
	if ((rep = rconn_cmdv(r, 4, argv)) == NULL)
		return ERR_REDIS;
	freeReplyObject(rep);
	return ERR_OK;
}

static const char requeue_lua[] =
    "redis.call('LREM', KEYS[1], 0, ARGV[1]) "
    "redis.call('RPUSH', KEYS[2], ARGV[1]) return 1";

enum err
ts_requeue(struct rconn *r, const char *runner_id, const char *task_id)
{
	char		 proc[TS_KEY_MAX];
	const char	*argv[] = { proc, TS_QUEUE_KEY, task_id };

	if (list_key(proc, sizeof(proc), "processing", runner_id) == -1)
		return ERR_INVAL;
	return script_int(r, requeue_lua, 2, 3, argv) == 1 ? ERR_OK :
	    ERR_REDIS;
}

/* Moves a whole processing list to the taking end of the queue. */
static const char requeue_all_lua[] =
    "local n = 0 "
    "while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'RIGHT') do "
    "n = n + 1 end return n";

enum err
ts_requeue_all(struct rconn *r, const char *runner_id, long long *moved)
{
	char		 proc[TS_KEY_MAX];
	const char	*argv[] = { proc, TS_QUEUE_KEY };

	if (list_key(proc, sizeof(proc), "processing", runner_id) == -1)
		return ERR_INVAL;
	*moved = script_int(r, requeue_all_lua, 2, 2, argv);
	return *moved >= 0 ? ERR_OK : ERR_REDIS;
}

/*
 * KEYS: runner key, queue.  ARGV: runner id, ttl, key prefix.
 * Renews the heartbeat, refreshes the claims of queued tasks, and moves
 * the processing lists of runners without a heartbeat back to the queue.
 */
static const char heartbeat_lua[] =
    "local p = ARGV[3] "
    "redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2])) "
    "for _, id in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do "
    "  local t = redis.call('HMGET', p .. 'task:' .. id, 'model_id', "
    "'operation') "
    "  if t[1] and t[2] then "
    "    local ck = p .. 'active:' .. t[1] "
    "    if redis.call('GET', ck) == t[2] .. ':' .. id then "
    "      redis.call('EXPIRE', ck, 86400) end end end "
    "local moved = 0 local cursor = '0' "
    "if ARGV[4] ~= '1' then return 0 end "
    "repeat "
    "  local res = redis.call('SCAN', cursor, 'MATCH', p .. "
    "'processing:*', 'COUNT', 100) "
    "  cursor = res[1] "
    "  for _, k in ipairs(res[2]) do "
    "    local rid = string.sub(k, string.len(p .. 'processing:') + 1) "
    "    if rid ~= ARGV[1] and redis.call('EXISTS', p .. 'runner:' .. "
    "rid) == 0 then "
    "      while redis.call('LMOVE', k, KEYS[2], 'RIGHT', 'RIGHT') do "
    "        moved = moved + 1 end end end "
    "until cursor == '0' "
    "return moved";

enum err
ts_heartbeat(struct rconn *r, const char *runner_id, unsigned ttl,
    int recover, long long *recovered)
{
	char		 key[TS_KEY_MAX], sttl[16];
	const char	*argv[] = { key, TS_QUEUE_KEY, runner_id, sttl,
	    TS_KEY_PREFIX, recover ? "1" : "0" };

	if (list_key(key, sizeof(key), "runner", runner_id) == -1)
		return ERR_INVAL;
	snprintf(sttl, sizeof(sttl), "%u", ttl);
	*recovered = script_int(r, heartbeat_lua, 2, 6, argv);
	return *recovered >= 0 ? ERR_OK : ERR_REDIS;
}

enum err
ts_heartbeat_stop(struct rconn *r, const char *runner_id)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { "DEL", key };
	redisReply	*rep;

	if (list_key(key, sizeof(key), "runner", runner_id) == -1)
		return ERR_INVAL;
	if ((rep = rconn_cmdv(r, 2, argv)) == NULL)
		return ERR_REDIS;
	freeReplyObject(rep);
	return ERR_OK;
}

enum err
ts_lease_acquire(struct rconn *r, const char *task_id, const char *holder,
    unsigned ttl)
{
	char		 key[TS_KEY_MAX], sttl[16];
	const char	*argv[] = { "SET", key, holder, "NX", "EX", sttl };
	redisReply	*rep;
	enum err	 e;

	if (list_key(key, sizeof(key), "lease", task_id) == -1)
		return ERR_INVAL;
	snprintf(sttl, sizeof(sttl), "%u", ttl);
	if ((rep = rconn_cmdv(r, 6, argv)) == NULL)
		return ERR_REDIS;
	e = rep->type == REDIS_REPLY_STATUS ? ERR_OK :
	    rep->type == REDIS_REPLY_NIL ? ERR_CONFLICT : ERR_REDIS;
	freeReplyObject(rep);
	return e;
}

static const char lease_renew_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2])) return 1 end "
    "return 0";

enum err
ts_lease_renew(struct rconn *r, const char *task_id, const char *holder,
    unsigned ttl)
{
	char		 key[TS_KEY_MAX], sttl[16];
	const char	*argv[] = { key, holder, sttl };
	long long	 rc;

	if (list_key(key, sizeof(key), "lease", task_id) == -1)
		return ERR_INVAL;
	snprintf(sttl, sizeof(sttl), "%u", ttl);
	rc = script_int(r, lease_renew_lua, 1, 3, argv);
	return rc == 1 ? ERR_OK : rc == 0 ? ERR_CONFLICT : ERR_REDIS;
}

enum err
ts_lease_release(struct rconn *r, const char *task_id, const char *holder)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { key, holder };

	if (list_key(key, sizeof(key), "lease", task_id) == -1)
		return ERR_INVAL;
	return script_int(r, release_lua, 1, 2, argv) >= 0 ? ERR_OK :
	    ERR_REDIS;
}

enum err
ts_count_attempt(struct rconn *r, const char *task_id, long long *attempts)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { "HINCRBY", key, "attempts", "1" };
	redisReply	*rep;

	if (task_key(key, sizeof(key), task_id) == -1)
		return ERR_INVAL;
	if ((rep = rconn_cmdv(r, 4, argv)) == NULL)
		return ERR_REDIS;
	*attempts = reply_int(rep);
	freeReplyObject(rep);
	return *attempts >= 0 ? ERR_OK : ERR_REDIS;
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
	char		 tkey[TS_KEY_MAX], ckey[TS_KEY_MAX], val[128], now[32];
	const char	*argv[] = { TS_QUEUE_KEY, tkey, ckey, task_id, now,
	    val };
	long long	 rc;

	if (task_key(tkey, sizeof(tkey), task_id) == -1 ||
	    ts_active_key(ckey, sizeof(ckey), model_id) == -1)
		return ERR_INVAL;
	claim_value(val, sizeof(val), op, task_id);
	epoch_now(now, sizeof(now));
	rc = script_int(r, cancel_queued_lua, 3, 6, argv);
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
ts_reserve(struct rconn *r, const char *task_id, unsigned long long bytes)
{
	char		 n[24];
	const char	*set[] = { "HSET", TS_RESERVATIONS_KEY, task_id, n };
	const char	*del[] = { "HDEL", TS_RESERVATIONS_KEY, task_id };
	redisReply	*rep;

	snprintf(n, sizeof(n), "%llu", bytes);
	if ((rep = bytes ? rconn_cmdv(r, 4, set) : rconn_cmdv(r, 3, del)) ==
	    NULL)
		return ERR_REDIS;
	freeReplyObject(rep);
	return ERR_OK;
}

/* KEYS: reservations.  ARGV: own task id, key prefix.  Sums the others'
 * reservations whose task still runs; drops the rest. */
static const char reserved_lua[] =
    "local sum = 0 "
    "local all = redis.call('HGETALL', KEYS[1]) "
    "for i = 1, #all, 2 do "
    "  local id, n = all[i], tonumber(all[i + 1]) "
    "  if id ~= ARGV[1] then "
    "    local st = redis.call('HGET', ARGV[2] .. 'task:' .. id, 'status') "
    "    if st == 'running' and n then sum = sum + n "
    "    else redis.call('HDEL', KEYS[1], id) end end end "
    "return sum";

enum err
ts_reserved_by_others(struct rconn *r, const char *task_id,
    unsigned long long *bytes)
{
	const char	*argv[] = { TS_RESERVATIONS_KEY, task_id,
	    TS_KEY_PREFIX };
	long long	 n;

	n = script_int(r, reserved_lua, 1, 3, argv);
	*bytes = n > 0 ? (unsigned long long)n : 0;
	return n >= 0 ? ERR_OK : ERR_REDIS;
}
