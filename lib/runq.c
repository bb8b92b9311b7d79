/*
 * The job runners' side of the queue: processing lists, heartbeats,
 * leases and disk reservations (see runq.h for the keys).
 */
#include <stdio.h>

#include "runq.h"

/* The processing list of runner_id in buf; -1 if too long. */
static int
processing_key(char *buf, size_t len, const char *runner_id)
{

	return ts_key(buf, len, "processing", runner_id);
}

enum err
runq_take(struct rconn *r, const char *runner_id, unsigned timeout_s,
    char *task_id, size_t len)
{
	char		 proc[TS_KEY_MAX], tmo[16];
	const char	*argv[] = { "BLMOVE", TS_QUEUE_KEY, proc, "RIGHT",
	    "LEFT", tmo };
	redisReply	*rep;
	enum err	 e = ERR_OK;

	*task_id = '\0';
	if (processing_key(proc, sizeof(proc), runner_id) == -1)
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
runq_done(struct rconn *r, const char *runner_id, const char *task_id)
{
	char		 proc[TS_KEY_MAX];
	const char	*argv[] = { "LREM", proc, "0", task_id };

	if (processing_key(proc, sizeof(proc), runner_id) == -1)
		return ERR_INVAL;
	return rconn_run(r, 4, argv);
}

static const char requeue_lua[] =
    "redis.call('LREM', KEYS[1], 0, ARGV[1]) "
    "redis.call('RPUSH', KEYS[2], ARGV[1]) return 1";

enum err
runq_requeue(struct rconn *r, const char *runner_id, const char *task_id)
{
	char		 proc[TS_KEY_MAX];
	const char	*argv[] = { proc, TS_QUEUE_KEY, task_id };

	if (processing_key(proc, sizeof(proc), runner_id) == -1)
		return ERR_INVAL;
	return rconn_script_int(r, requeue_lua, 2, 3, argv, NULL);
}

/* Moves a whole processing list to the taking end of the queue. */
static const char requeue_all_lua[] =
    "local n = 0 "
    "while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'RIGHT') do "
    "n = n + 1 end return n";

enum err
runq_requeue_all(struct rconn *r, const char *runner_id, long long *moved)
{
	char		 proc[TS_KEY_MAX];
	const char	*argv[] = { proc, TS_QUEUE_KEY };

	*moved = 0;
	if (processing_key(proc, sizeof(proc), runner_id) == -1)
		return ERR_INVAL;
	return rconn_script_int(r, requeue_all_lua, 2, 2, argv, moved);
}

/* KEYS: runner key.  ARGV: nonce, ttl.  1 when the key is ours. */
static const char runner_claim_lua[] =
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', "
    "tonumber(ARGV[2])) then return 1 end "
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end "
    "return 0";

/*
 * Runs lua on the key model-manager:<kind>:<id> with ARGV value and ttl;
 * its integer answer in *rc.  ERR_INVAL for an id too long for a key,
 * ERR_REDIS when Redis fails.
 */
static enum err
key_value_ttl(struct rconn *r, const char *lua, const char *kind,
    const char *id, const char *value, unsigned ttl, long long *rc)
{
	char		 key[TS_KEY_MAX], sttl[16];
	const char	*argv[] = { key, value, sttl };

	if (ts_key(key, sizeof(key), kind, id) == -1)
		return ERR_INVAL;
	snprintf(sttl, sizeof(sttl), "%u", ttl);
	if (rconn_script_int(r, lua, 1, 3, argv, rc) != ERR_OK)
		return ERR_REDIS;
	return ERR_OK;
}

enum err
runq_runner_claim(struct rconn *r, const char *runner_id, const char *nonce,
    unsigned ttl)
{
	long long	 rc;
	enum err	 e;

	if ((e = key_value_ttl(r, runner_claim_lua, "runner", runner_id,
	    nonce, ttl, &rc)) != ERR_OK)
		return e;
	return rc == 1 ? ERR_OK : ERR_CONFLICT;
}

/*
 * KEYS: runner key, queue.  ARGV: runner id, ttl, key prefix, recover,
 * nonce.  Returns -1 when the heartbeat holds another nonce; else renews
 * it, refreshes the claims of queued tasks, and moves the processing
 * lists of runners without a heartbeat back to the queue.
 */
static const char heartbeat_lua[] =
    "local p = ARGV[3] "
    "local hb = redis.call('GET', KEYS[1]) "
    "if hb and hb ~= ARGV[5] then return -1 end "
    "redis.call('SET', KEYS[1], ARGV[5], 'EX', tonumber(ARGV[2])) "
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
runq_heartbeat(struct rconn *r, const char *runner_id, const char *nonce,
    unsigned ttl, int recover, long long *recovered)
{
	char		 key[TS_KEY_MAX], sttl[16];
	const char	*argv[] = { key, TS_QUEUE_KEY, runner_id, sttl,
	    TS_KEY_PREFIX, recover ? "1" : "0", nonce };
	enum err	 e;

	*recovered = 0;
	if (ts_key(key, sizeof(key), "runner", runner_id) == -1)
		return ERR_INVAL;
	snprintf(sttl, sizeof(sttl), "%u", ttl);
	e = rconn_script_int(r, heartbeat_lua, 2, 7, argv, recovered);
	if (e == ERR_OK && *recovered < 0) {
		*recovered = 0;
		return ERR_CONFLICT;
	}
	return e;
}

enum err
runq_heartbeat_stop(struct rconn *r, const char *runner_id,
    const char *nonce)
{
	char	 key[TS_KEY_MAX];

	if (ts_key(key, sizeof(key), "runner", runner_id) == -1)
		return ERR_INVAL;
	return rconn_del_if(r, key, nonce);
}

enum err
runq_lease_acquire(struct rconn *r, const char *task_id, const char *holder,
    unsigned ttl)
{
	char		 key[TS_KEY_MAX], sttl[16];
	const char	*argv[] = { "SET", key, holder, "NX", "EX", sttl };
	redisReply	*rep;
	enum err	 e;

	if (ts_key(key, sizeof(key), "lease", task_id) == -1)
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
runq_lease_renew(struct rconn *r, const char *task_id, const char *holder,
    unsigned ttl)
{
	long long	 rc;
	enum err	 e;

	if ((e = key_value_ttl(r, lease_renew_lua, "lease", task_id, holder,
	    ttl, &rc)) != ERR_OK)
		return e;
	return rc == 1 ? ERR_OK : rc == 0 ? ERR_CONFLICT : ERR_REDIS;
}

enum err
runq_lease_release(struct rconn *r, const char *task_id, const char *holder)
{
	char	 key[TS_KEY_MAX];

	if (ts_key(key, sizeof(key), "lease", task_id) == -1)
		return ERR_INVAL;
	return rconn_del_if(r, key, holder);
}

enum err
runq_reserve(struct rconn *r, const char *task_id, unsigned long long bytes)
{
	char		 n[24];
	const char	*set[] = { "HSET", RUNQ_RESERVATIONS_KEY, task_id,
	    n };
	const char	*del[] = { "HDEL", RUNQ_RESERVATIONS_KEY, task_id };

	snprintf(n, sizeof(n), "%llu", bytes);
	return bytes ? rconn_run(r, 4, set) : rconn_run(r, 3, del);
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
runq_reserved_by_others(struct rconn *r, const char *task_id,
    unsigned long long *bytes)
{
	const char	*argv[] = { RUNQ_RESERVATIONS_KEY, task_id,
	    TS_KEY_PREFIX };
	long long	 n = 0;
	enum err	 e;

	e = rconn_script_int(r, reserved_lua, 1, 3, argv, &n);
	*bytes = n > 0 ? (unsigned long long)n : 0;
	return e;
}
