/*
 * The webhooks' consumer group on the audit stream: create, read, take
 * over, acknowledge, renew.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookq.h"
#include "log.h"
#include "num.h"

#define HOOKQ_RENEW_MAX	256

/* ERR_NOTFOUND for a NOGROUP error reply, ERR_REDIS (logged) for another
 * error reply or none, else ERR_OK. */
static enum err
reply_err(const redisReply *rep, const char *cmd)
{

	if (rep == NULL)
		return ERR_REDIS;
	if (rep->type != REDIS_REPLY_ERROR)
		return ERR_OK;
	if (strncmp(rep->str, "NOGROUP", 7) == 0)
		return ERR_NOTFOUND;
	log_warnx("%s: redis: %s: %s", __func__, cmd, rep->str);
	return ERR_REDIS;
}

enum err
hookq_group_create(struct rconn *r, int *created)
{
	const char	*argv[] = { "XGROUP", "CREATE", AUDIT_KEY, HOOKQ_GROUP,
	    "$", "MKSTREAM" };
	redisReply	*rep;
	enum err	 e = ERR_OK;

	if (created != NULL)
		*created = 0;
	if ((rep = rconn_cmdv(r, 6, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_STATUS && created != NULL)
		*created = 1;
	else if (rep->type == REDIS_REPLY_ERROR &&
	    strncmp(rep->str, "BUSYGROUP", 9) != 0) {
		log_warnx("%s: redis: XGROUP CREATE: %s", __func__, rep->str);
		e = ERR_REDIS;
	}
	freeReplyObject(rep);
	return e;
}

/* The "event" field's value of an entry's field list, or NULL (an entry
 * read from a pending list that the stream no longer has has none). */
static const char *
entry_json(const redisReply *fields)
{
	size_t	 i;

	if (fields == NULL || fields->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, "event") == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING)
			return fields->element[i + 1]->str;
	return NULL;
}

/* Hands each entry [id, fields] of list to fn; the count, and the last
 * id in last (may be NULL). */
static size_t
entries(const redisReply *list, const struct hookq_sink *sink, char *last)
{
	const redisReply	*en;
	size_t			 i, n = 0;

	if (list == NULL || list->type != REDIS_REPLY_ARRAY)
		return 0;
	for (i = 0; i < list->elements; i++) {
		en = list->element[i];
		if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
		    en->element[0]->type != REDIS_REPLY_STRING ||
		    en->element[0]->len >= AUDIT_ID_MAX)
			continue;
		sink->fn(sink->arg, en->element[0]->str,
		    entry_json(en->element[1]));
		if (last != NULL)
			memcpy(last, en->element[0]->str,
			    en->element[0]->len + 1);
		n++;
	}
	return n;
}

enum err
hookq_read(struct rconn *r, const char *consumer, const char *from,
    size_t count, unsigned block_ms, const struct hookq_sink *sink,
    size_t *got, char *last)
{
	const char	*argv[11] = { "XREADGROUP", "GROUP", HOOKQ_GROUP,
	    consumer, "COUNT", NULL, "BLOCK", NULL, "STREAMS", AUDIT_KEY,
	    from };
	char		 cnt[24], blk[16];
	redisReply	*rep;
	enum err	 e;

	snprintf(cnt, sizeof(cnt), "%zu", count);
	snprintf(blk, sizeof(blk), "%u", block_ms);
	argv[5] = cnt;
	argv[7] = blk;
	*got = 0;
	if (block_ms == 0)	/* no BLOCK: drop those two arguments */
		memmove(&argv[6], &argv[8], 3 * sizeof(argv[0]));
	rep = rconn_cmdv(r, block_ms > 0 ? 11 : 9, argv);
	if ((e = reply_err(rep, "XREADGROUP")) == ERR_OK &&
	    rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
	    rep->element[0]->type == REDIS_REPLY_ARRAY &&
	    rep->element[0]->elements == 2)
		*got = entries(rep->element[0]->element[1], sink, last);
	if (rep != NULL)
		freeReplyObject(rep);
	return e;
}

/* XAUTOCLAIM's third element: ids the stream no longer has (Redis has
 * dropped them from the pending list); each to fn with json NULL. */
static void
trimmed(const redisReply *ids, const struct hookq_sink *sink)
{
	size_t	 i;

	if (ids == NULL || ids->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < ids->elements; i++)
		if (ids->element[i]->type == REDIS_REPLY_STRING &&
		    ids->element[i]->len < AUDIT_ID_MAX)
			sink->fn(sink->arg, ids->element[i]->str, NULL);
}

enum err
hookq_autoclaim(struct rconn *r, const char *consumer, char *cursor,
    size_t count, const struct hookq_sink *sink, size_t *got)
{
	const char	*argv[] = { "XAUTOCLAIM", AUDIT_KEY, HOOKQ_GROUP,
	    consumer, NULL, cursor, "COUNT", NULL };
	char		 cnt[24], idle[24];
	redisReply	*rep;
	enum err	 e;

	snprintf(idle, sizeof(idle), "%d", HOOKQ_CLAIM_IDLE_MS);
	snprintf(cnt, sizeof(cnt), "%zu", count);
	argv[4] = idle;
	argv[7] = cnt;
	*got = 0;
	rep = rconn_cmdv(r, 8, argv);
	if ((e = reply_err(rep, "XAUTOCLAIM")) == ERR_OK &&
	    rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[0]->len < AUDIT_ID_MAX) {
		*got = entries(rep->element[1], sink, NULL);
		if (rep->elements >= 3)
			trimmed(rep->element[2], sink);
		memcpy(cursor, rep->element[0]->str, rep->element[0]->len + 1);
	}
	if (rep != NULL)
		freeReplyObject(rep);
	return e;
}

/* KEYS[1] the stream, KEYS[2] the entry's state; ARGV[1] the group,
 * ARGV[2] the entry id. */
static const char ack_lua[] =
    "redis.call('DEL', KEYS[2]) "
    "return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])";

/* KEYS[1] the entry's state; ARGV: webhook name, value, ttl (ms). */
static const char record_lua[] =
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[3])";

/* The state key of entry id into key (sizeof HOOKQ_STATE_PREFIX +
 * AUDIT_ID_MAX bytes). */
static void
state_key(char *key, size_t len, const char *id)
{

	snprintf(key, len, "%s%s", HOOKQ_STATE_PREFIX, id);
}

enum err
hookq_ack(struct rconn *r, const char *id)
{
	char		 key[sizeof(HOOKQ_STATE_PREFIX) + AUDIT_ID_MAX];
	const char	*argv[] = { AUDIT_KEY, key, HOOKQ_GROUP, id };

	state_key(key, sizeof(key), id);
	return rconn_script_int(r, ack_lua, 2, 4, argv, NULL);
}

enum err
hookq_record(struct rconn *r, const char *id, const char *hook,
    int attempts)
{
	char		 key[sizeof(HOOKQ_STATE_PREFIX) + AUDIT_ID_MAX], v[16];
	const char	*argv[] = { key, hook, v, HOOKQ_STATE_TTL_MS };

	state_key(key, sizeof(key), id);
	if (attempts < 0)
		snprintf(v, sizeof(v), "done");
	else
		snprintf(v, sizeof(v), "%d", attempts);
	return rconn_script_int(r, record_lua, 1, 4, argv, NULL);
}

/* One field's value: -1 for "done", else the attempts (0: none or not a
 * number). */
static int
state_value(const redisReply *v)
{
	long long	 n;

	if (v->type != REDIS_REPLY_STRING)
		return 0;
	if (strcmp(v->str, "done") == 0)
		return -1;
	return num_parse(v->str, 0, 1000, &n, NULL) == 0 ? (int)n : 0;
}

enum err
hookq_state(struct rconn *r, const char *id, const char *const *hooks,
    size_t n, int *attempts)
{
	char		 key[sizeof(HOOKQ_STATE_PREFIX) + AUDIT_ID_MAX];
	const char	*argv[HOOKQ_HOOKS_MAX + 2] = { "HMGET", key };
	redisReply	*rep;
	size_t		 i;
	enum err	 e = ERR_REDIS;

	for (i = 0; i < n; i++)
		attempts[i] = 0;
	if (n == 0 || n > HOOKQ_HOOKS_MAX)
		return ERR_OK;
	state_key(key, sizeof(key), id);
	for (i = 0; i < n; i++)
		argv[2 + i] = hooks[i];
	if ((rep = rconn_cmdv(r, (int)n + 2, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == n) {
		for (i = 0; i < n; i++)
			attempts[i] = state_value(rep->element[i]);
		e = ERR_OK;
	} else
		log_warnx("%s: redis: HMGET: unexpected reply", __func__);
	freeReplyObject(rep);
	return e;
}

enum err
hookq_renew(struct rconn *r, const char *consumer, const char *const *ids,
    size_t n)
{
	const char	*argv[HOOKQ_RENEW_MAX + 6];
	size_t		 i;

	if (n == 0 || n > HOOKQ_RENEW_MAX)
		return ERR_OK;
	argv[0] = "XCLAIM";
	argv[1] = AUDIT_KEY;
	argv[2] = HOOKQ_GROUP;
	argv[3] = consumer;
	argv[4] = "0";
	for (i = 0; i < n; i++)
		argv[5 + i] = ids[i];
	argv[5 + n] = "JUSTID";
	return rconn_run(r, (int)(n + 6), argv);
}
