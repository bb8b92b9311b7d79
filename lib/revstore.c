/*
 * The revisions feature's state in Redis (revstore.h): each model's hub
 * facts as a small JSON text, the sorted set of next-check times, and an
 * update task's keep_old option.
 */
#include <sys/random.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hubname.h"
#include "log.h"
#include "num.h"
#include "registry.h"
#include "revstore.h"
#include "valid.h"

#define JSON_INT_MAX	9007199254740992.0	/* 2^53 */

/*
 * Facts as JSON.
 */

static const char *const state_names[] = {
	[RS_NONE] = "none", [RS_KNOWN] = "known", [RS_UNKNOWN] = "unknown",
};

/* A whole number member, printed exactly (cJSON 1.7.15 prints 15
 * significant digits of a double). */
static void
add_count(cJSON *o, const char *name, uint64_t v)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	cJSON_AddRawToObject(o, name, buf);
}

/* A commit member: the string, or null when c is "". */
static void
add_commit(cJSON *o, const char *name, const char *c)
{

	if (*c != '\0')
		cJSON_AddStringToObject(o, name, c);
	else
		cJSON_AddNullToObject(o, name);
}

char *
revstore_encode(const struct hubfacts *f)
{
	cJSON	*o;
	char	*s;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "state", state_names[f->state]);
	add_count(o, "checked_at", f->checked_at > 0 ?
	    (uint64_t)f->checked_at : 0);
	add_commit(o, "commit", f->commit);
	add_count(o, "size_bytes", f->size_bytes);
	add_count(o, "files", f->files);
	add_commit(o, "installed", f->against);
	if (f->update_bytes >= 0)
		add_count(o, "update_bytes", (uint64_t)f->update_bytes);
	else
		cJSON_AddNullToObject(o, "update_bytes");
	if (f->reason[0] != '\0')
		cJSON_AddStringToObject(o, "reason", f->reason);
	else
		cJSON_AddNullToObject(o, "reason");
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A whole number 0..2^53 member into *v; -1 otherwise. */
static int
get_count(const cJSON *o, const char *name, double *v)
{
	const cJSON	*i = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(i) || !(i->valuedouble >= 0) ||
	    i->valuedouble > JSON_INT_MAX || floor(i->valuedouble) !=
	    i->valuedouble)
		return -1;
	*v = i->valuedouble;
	return 0;
}

/* A commit member (or null, read as "" when nullable) into out. */
static int
get_commit(const cJSON *o, const char *name, int nullable, char out[41])
{
	const cJSON	*i = cJSON_GetObjectItemCaseSensitive(o, name);

	out[0] = '\0';
	if (nullable && cJSON_IsNull(i))
		return 0;
	if (!cJSON_IsString(i) || hubname_is_commit(i->valuestring) == -1)
		return -1;
	memcpy(out, i->valuestring, 41);
	return 0;
}

/* update_bytes: a count, or null for -1. */
static int
get_update(const cJSON *o, long long *v)
{
	const cJSON	*i = cJSON_GetObjectItemCaseSensitive(o, "update_bytes");
	double		 d;

	*v = -1;
	if (cJSON_IsNull(i))
		return 0;
	if (get_count(o, "update_bytes", &d) == -1)
		return -1;
	*v = (long long)d;
	return 0;
}

/* reason: UTF-8 text shorter than REVSTORE_REASON_MAX, or null. */
static int
get_reason(const cJSON *o, char *out)
{
	const cJSON	*i = cJSON_GetObjectItemCaseSensitive(o, "reason");
	size_t		 n;

	out[0] = '\0';
	if (cJSON_IsNull(i))
		return 0;
	if (!cJSON_IsString(i) || (n = strlen(i->valuestring)) >=
	    REVSTORE_REASON_MAX || valid_utf8(i->valuestring, n) == -1)
		return -1;
	memcpy(out, i->valuestring, n + 1);
	return 0;
}

/* The state member; RS_NONE is never stored. */
static int
get_state(const cJSON *o, enum revstore_state *st)
{
	const cJSON	*i = cJSON_GetObjectItemCaseSensitive(o, "state");

	if (!cJSON_IsString(i))
		return -1;
	if (strcmp(i->valuestring, "known") == 0)
		*st = RS_KNOWN;
	else if (strcmp(i->valuestring, "unknown") == 0)
		*st = RS_UNKNOWN;
	else
		return -1;
	return 0;
}

/* Every field of the object o into f. */
static int
decode_object(const cJSON *o, struct hubfacts *f)
{
	double	 size, files;

	if (get_state(o, &f->state) == -1 ||
	    get_count(o, "checked_at", &f->checked_at) == -1 ||
	    get_commit(o, "commit", f->state != RS_KNOWN, f->commit) == -1 ||
	    get_count(o, "size_bytes", &size) == -1 ||
	    get_count(o, "files", &files) == -1 ||
	    get_commit(o, "installed", 1, f->against) == -1 ||
	    get_update(o, &f->update_bytes) == -1 ||
	    get_reason(o, f->reason) == -1)
		return -1;
	f->size_bytes = (uint64_t)size;
	f->files = (uint64_t)files;
	return 0;
}

int
revstore_decode(const char *s, size_t len, struct hubfacts *f)
{
	cJSON	*o;
	int	 rc = -1;

	memset(f, 0, sizeof(*f));
	f->update_bytes = -1;
	if (len == 0 || len > REVSTORE_FACTS_MAX ||
	    (o = cJSON_ParseWithLength(s, len)) == NULL)
		return -1;
	if (cJSON_IsObject(o))
		rc = decode_object(o, f);
	cJSON_Delete(o);
	if (rc == -1) {
		memset(f, 0, sizeof(*f));
		f->update_bytes = -1;
	}
	return rc;
}

/*
 * Facts in Redis.
 */

static int
facts_key(char *buf, size_t len, const char *model_id)
{

	return ts_key(buf, len, "hub", model_id);
}

enum err
revstore_put(struct rconn *r, const char *model_id, const struct hubfacts *f)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { "SET", key, NULL };
	enum err	 e;

	if (facts_key(key, sizeof(key), model_id) == -1)
		return ERR_INVAL;
	if ((argv[2] = revstore_encode(f)) == NULL)
		return ERR_NOMEM;
	e = strlen(argv[2]) > REVSTORE_FACTS_MAX ? ERR_INVAL :
	    rconn_run(r, 3, argv);
	free((char *)(uintptr_t)argv[2]);
	return e;
}

/* The facts of one MGET element (a string or nil) into f. */
static void
facts_of(const redisReply *el, struct hubfacts *f)
{

	memset(f, 0, sizeof(*f));
	f->update_bytes = -1;
	if (el->type != REDIS_REPLY_STRING)
		return;
	if (revstore_decode(el->str, el->len, f) == -1)
		log_warnx("redis: hub facts that do not parse (%zu bytes): "
		    "ignored", (size_t)el->len);
}

enum err
revstore_get(struct rconn *r, const char *model_id, struct hubfacts *f)
{
	const char	*ids[] = { model_id };
	enum err	 e;

	if ((e = revstore_send(r, ids, 1)) != ERR_OK)
		return e;
	return revstore_recv(r, 1, f);
}

enum err
revstore_send(struct rconn *r, const char *const *ids, size_t n)
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
	argv[1] = REVSTORE_DUE_KEY;	/* no model: a key that is no string */
	e = ERR_INVAL;
	for (i = 0; i < n; i++) {
		if (facts_key(keys + i * TS_KEY_MAX, TS_KEY_MAX, ids[i]) == -1)
			goto out;
		argv[1 + i] = keys + i * TS_KEY_MAX;
	}
	if ((e = rconn_append(r, n > 0 ? (int)n + 1 : 2, argv, NULL)) ==
	    ERR_OK)
		e = rconn_flush(r);
out:
	free(keys);
	free(argv);
	return e;
}

enum err
revstore_recv(struct rconn *r, size_t n, struct hubfacts *out)
{
	redisReply	*rep;
	size_t		 i;
	enum err	 e;

	if ((e = rconn_reply(r, &rep)) != ERR_OK)
		return e;
	if (rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != (n > 0 ? n : 1)) {
		log_warnx("redis: MGET of the hub facts: unexpected reply");
		freeReplyObject(rep);
		return ERR_REDIS;
	}
	for (i = 0; i < n; i++)
		facts_of(rep->element[i], &out[i]);
	freeReplyObject(rep);
	return ERR_OK;
}

void
revstore_drop(struct rconn *r)
{
	redisReply	*rep;

	if (rconn_reply(r, &rep) == ERR_OK)
		freeReplyObject(rep);
}

/*
 * The schedule.
 */

/* Reads the n ZSCORE replies queued by revstore_due into due[]. */
static enum err
due_replies(struct rconn *r, size_t n, double now, unsigned char *due)
{
	redisReply	*rep;
	enum err	 e = ERR_OK;
	double		 at;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (rconn_reply(r, &rep) != ERR_OK)
			return ERR_REDIS;	/* the connection is reset */
		due[i] = 1;
		if (rep->type == REDIS_REPLY_STRING &&
		    num_parse_double(rep->str, &at) == 0)
			due[i] = at <= now;
		else if (rep->type != REDIS_REPLY_NIL)
			e = ERR_REDIS;
		freeReplyObject(rep);
	}
	return e;
}

enum err
revstore_due(struct rconn *r, const char *const *ids, size_t n, double now,
    unsigned char *due)
{
	size_t		 i;

	for (i = 0; i < n; i++) {
		const char	*argv[] = { "ZSCORE", REVSTORE_DUE_KEY, ids[i] };

		if (rconn_append(r, 3, argv, NULL) != ERR_OK)
			return ERR_REDIS;
	}
	return due_replies(r, n, now, due);
}

enum err
revstore_schedule(struct rconn *r, const char *model_id, double at)
{
	char		 score[32];
	const char	*argv[] = { "ZADD", REVSTORE_DUE_KEY, score, model_id };

	snprintf(score, sizeof(score), "%.0f", ceil(at));
	return rconn_run(r, 4, argv);
}

enum err
revstore_all_due(struct rconn *r, const char *const *ids, size_t n)
{
	const char	**argv;
	size_t		 i;
	enum err	 e;

	if (n == 0)
		return ERR_OK;
	if ((argv = calloc(2 + 2 * n, sizeof(*argv))) == NULL)
		return ERR_NOMEM;
	argv[0] = "ZADD";
	argv[1] = REVSTORE_DUE_KEY;
	for (i = 0; i < n; i++) {
		argv[2 + 2 * i] = "0";
		argv[3 + 2 * i] = ids[i];
	}
	e = rconn_run(r, (int)(2 + 2 * n), argv);
	free(argv);
	return e;
}

double
revstore_next(double now, unsigned interval, double u)
{

	if (!(u >= 0) || u >= 1)
		u = 0.5;
	return now + (double)interval * (0.9 + 0.2 * u);
}

const char **
revstore_model_ids(const struct registry *reg, size_t *n)
{
	const char	**ids;
	size_t		 i, k;

	*n = 0;
	if ((ids = calloc(reg->n + 1, sizeof(*ids))) == NULL)
		return NULL;
	for (i = 0; i < reg->n; i++) {
		for (k = 0; k < *n && strcmp(ids[k], reg->models[i].id) != 0;
		    k++)
			;
		if (k == *n)
			ids[(*n)++] = reg->models[i].id;
	}
	return ids;
}

double
revstore_uniform(void)
{
	uint32_t	 v;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		return 0.5;
	return (double)v / 4294967296.0;
}

/*
 * An update task's option.
 */

enum err
revstore_keep_old(struct rconn *r, const char *task_id, int *keep_old)
{
	char		 key[TS_KEY_MAX];
	const char	*argv[] = { "HGET", key, REVSTORE_KEEP_OLD };
	redisReply	*rep;

	*keep_old = 0;
	if (ts_key(key, sizeof(key), "task", task_id) == -1)
		return ERR_INVAL;
	if ((rep = rconn_cmdv(r, 3, argv)) == NULL)
		return ERR_REDIS;
	*keep_old = rep->type == REDIS_REPLY_STRING &&
	    strcmp(rep->str, "1") == 0;
	freeReplyObject(rep);
	return ERR_OK;
}
