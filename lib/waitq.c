/*
 * The waiting set of downloads outside their window (waitq.h).
 */
#include <stdio.h>
#include <time.h>

#include "waitq.h"

/* The terminal statuses as taskstate.c's scripts know them. */
#define TERMINAL_LUA \
    "local term = {completed=1, failed=1, already_installed=1, " \
    "not_installed=1, cancelled=1} "

/* Keeps the claim of task id (hash key tk) alive if it is still its. */
#define CLAIM_TOUCH_LUA \
    "local function touch(p, tk, id) " \
    "local t = redis.call('HMGET', tk, 'model_id', 'operation') " \
    "if t[1] and t[2] then local ck = p .. 'active:' .. t[1] " \
    "if redis.call('GET', ck) == t[2] .. ':' .. id then " \
    "redis.call('EXPIRE', ck, 86400) end end end "

/*
 * KEYS: task, waiting.  ARGV: id, reason, updated_at, key prefix,
 * uncount, score.  -1 gone or ended; 2 cancelled (cancel was requested);
 * 1 parked.
 */
static const char park_lua[] =
    TERMINAL_LUA CLAIM_TOUCH_LUA
    "local st = redis.call('HGET', KEYS[1], 'status') "
    "if not st or term[st] then return -1 end "
    "if redis.call('HGET', KEYS[1], 'cancel_requested') == '1' then "
    "  local t = redis.call('HMGET', KEYS[1], 'model_id', 'operation') "
    "  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'error', '', "
    "'updated_at', ARGV[3], 'waiting_reason', '') "
    "  redis.call('HDEL', KEYS[1], 'bytes_per_second', 'eta_seconds') "
    "  redis.call('ZREM', KEYS[2], ARGV[1]) "
    "  local ck = ARGV[4] .. 'active:' .. (t[1] or '') "
    "  if redis.call('GET', ck) == (t[2] or '') .. ':' .. ARGV[1] then "
    "redis.call('DEL', ck) end return 2 end "
    "redis.call('HSET', KEYS[1], 'status', 'pending', 'waiting_reason', "
    "ARGV[2], 'updated_at', ARGV[3], 'attempt', '', 'attempt_max', '', "
    "'last_error', '') "
    "redis.call('HDEL', KEYS[1], 'bytes_per_second', 'eta_seconds') "
    "if ARGV[5] == '1' and (tonumber(redis.call('HGET', KEYS[1], "
    "'attempts')) or 0) > 0 then "
    "redis.call('HINCRBY', KEYS[1], 'attempts', -1) end "
    "redis.call('EXPIRE', KEYS[1], 86400) touch(ARGV[4], KEYS[1], ARGV[1]) "
    "redis.call('ZADD', KEYS[2], 'NX', ARGV[6], ARGV[1]) return 1";

/* "<epoch>.<micro>", as taskstate.c writes updated_at. */
static void
epoch_now(char *buf, size_t len)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, len, "%lld.%06ld", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000);
}

/* Milliseconds since the epoch, the score of a task that starts
 * waiting. */
static void
epoch_ms(char *buf, size_t len)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, len, "%lld", (long long)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000);
}

enum err
waitq_park(struct rconn *r, const char *task_id, const char *reason,
    int uncount)
{
	char		 task[TS_KEY_MAX], now[32], score[24];
	const char	*argv[] = { task, WAITQ_KEY, task_id, reason, now,
	    TS_KEY_PREFIX, uncount ? "1" : "0", score };
	long long	 rc;

	if (ts_key(task, sizeof(task), "task", task_id) == -1)
		return ERR_INVAL;
	epoch_now(now, sizeof(now));
	epoch_ms(score, sizeof(score));
	if (rconn_script_int(r, park_lua, 2, 8, argv, &rc) != ERR_OK)
		return ERR_REDIS;
	return rc == 1 ? ERR_OK : rc == 2 ? ERR_CONFLICT : ERR_NOTFOUND;
}

/* KEYS: waiting, task, claim.  ARGV: id, updated_at, claim value. */
static const char cancel_lua[] =
    "if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end "
    "if redis.call('EXISTS', KEYS[2]) == 1 then "
    "redis.call('HSET', KEYS[2], 'status', 'cancelled', 'error', '', "
    "'updated_at', ARGV[2], 'waiting_reason', '') "
    "redis.call('EXPIRE', KEYS[2], 86400) end "
    "if redis.call('GET', KEYS[3]) == ARGV[3] then "
    "redis.call('DEL', KEYS[3]) end return 1";

enum err
waitq_cancel(struct rconn *r, const char *task_id, const char *model_id,
    enum ts_op op)
{
	char		 task[TS_KEY_MAX], claim[TS_KEY_MAX], now[32];
	char		 value[128];
	const char	*argv[] = { WAITQ_KEY, task, claim, task_id, now,
	    value };
	long long	 rc;

	if (ts_key(task, sizeof(task), "task", task_id) == -1 ||
	    ts_active_key(claim, sizeof(claim), model_id) == -1)
		return ERR_INVAL;
	snprintf(value, sizeof(value), "%s:%s", ts_op_str(op), task_id);
	epoch_now(now, sizeof(now));
	if (rconn_script_int(r, cancel_lua, 3, 6, argv, &rc) != ERR_OK)
		return ERR_REDIS;
	return rc == 1 ? ERR_OK : ERR_NOTFOUND;
}

/* KEYS: waiting, task, queue.  ARGV: id, updated_at. */
static const char start_now_lua[] =
    "if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end "
    "redis.call('HSET', KEYS[2], 'ignore_window', '1', 'waiting_reason', "
    "'', 'updated_at', ARGV[2]) "
    "redis.call('RPUSH', KEYS[3], ARGV[1]) return 1";

enum err
waitq_start_now(struct rconn *r, const char *task_id)
{
	char		 task[TS_KEY_MAX], now[32];
	const char	*argv[] = { WAITQ_KEY, task, TS_QUEUE_KEY, task_id,
	    now };
	long long	 rc;

	if (ts_key(task, sizeof(task), "task", task_id) == -1)
		return ERR_INVAL;
	epoch_now(now, sizeof(now));
	if (rconn_script_int(r, start_now_lua, 3, 5, argv, &rc) != ERR_OK)
		return ERR_REDIS;
	return rc == 1 ? ERR_OK : ERR_NOTFOUND;
}

/*
 * KEYS: waiting, queue.  ARGV: key prefix, "1" open, "1" refresh,
 * reason.  Returns {moved, still waiting}.
 */
static const char tick_lua[] =
    TERMINAL_LUA CLAIM_TOUCH_LUA
    "local p, moved = ARGV[1], 0 "
    "if ARGV[2] ~= '1' and ARGV[3] ~= '1' then "
    "return {0, redis.call('ZCARD', KEYS[1])} end "
    "for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do "
    "  local tk = p .. 'task:' .. id "
    "  local st = redis.call('HGET', tk, 'status') "
    "  if not st or term[st] then redis.call('ZREM', KEYS[1], id) "
    "  elseif ARGV[2] == '1' then redis.call('ZREM', KEYS[1], id) "
    "    redis.call('HSET', tk, 'waiting_reason', '') "
    "    redis.call('LPUSH', KEYS[2], id) moved = moved + 1 "
    "  else redis.call('HSET', tk, 'waiting_reason', ARGV[4]) "
    "    redis.call('EXPIRE', tk, 86400) touch(p, tk, id) end end "
    "return {moved, redis.call('ZCARD', KEYS[1])}";

enum err
waitq_tick(struct rconn *r, int open, const char *reason, long long *moved,
    long long *waiting)
{
	const char	*argv[] = { WAITQ_KEY, TS_QUEUE_KEY, TS_KEY_PREFIX,
	    open ? "1" : "0", reason != NULL ? "1" : "0",
	    reason != NULL ? reason : "" };
	redisReply	*rep;
	enum err	 e = ERR_REDIS;

	*moved = *waiting = 0;
	if ((rep = rconn_script(r, tick_lua, 2, 6, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_INTEGER &&
	    rep->element[1]->type == REDIS_REPLY_INTEGER) {
		*moved = rep->element[0]->integer;
		*waiting = rep->element[1]->integer;
		e = ERR_OK;
	}
	freeReplyObject(rep);
	return e;
}

enum err
waitq_count(struct rconn *r, long long *n)
{
	const char	*argv[] = { "ZCARD", WAITQ_KEY };

	*n = 0;
	return rconn_int(r, 2, argv, n);
}
