/*
 * The audit trail: events as JSON objects, in a capped Redis stream and
 * in each process's own audit file; the paged, filtered reading of the
 * stream.  audit.h says who writes what.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "metrics.h"
#include "valid.h"

#define STR_MAX		256	/* bytes of a name, id or outcome */
#define STR_CUT		64	/* the same when the event is too long:
				   9 x 64 x 6 (\u00XX) bytes fit a line */
#define DETAIL_MAX	1024	/* bytes of the detail */
#define WARNINGS_MAX	8	/* warnings kept */
#define WARNING_MAX	200	/* bytes of one */
#define LIST_BATCH	200	/* entries per XREVRANGE */

void
audit_open(struct audit_sink *s, const char *path, unsigned max_events)
{

	s->fd = -1;
	s->max_events = max_events;
	if (path == NULL || *path == '\0')
		return;
	if ((s->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1)
		log_warn("%s: %s", __func__, path);
}

void
audit_close(struct audit_sink *s)
{

	if (s->fd != -1)
		(void)close(s->fd);
	s->fd = -1;
}

/* The length of the UTF-8 sequence that starts with byte c; 0 if c
 * cannot start one. */
static size_t
seqlen(unsigned char c)
{

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	return c >= 0xf0 && c <= 0xf4 ? 4 : 0;
}

/* Copies at most max bytes of s, whole characters only, into a new
 * string, each byte of invalid UTF-8 replaced by '?'.  NULL on
 * out-of-memory. */
static char *
clean_str(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *o;
	size_t			 n;

	if ((out = o = malloc(max + 1)) == NULL)
		return NULL;
	while (*p != '\0' && (size_t)(o - out) < max) {
		n = seqlen(*p);
		if (n == 0 || strnlen((const char *)p, n) < n ||
		    valid_utf8((const char *)p, n) == -1)
			n = 0;
		if ((size_t)(o - out) + (n ? n : 1) > max)
			break;
		if (n == 0)
			*o++ = '?';
		else
			memcpy(o, p, n);
		o += n;
		p += n ? n : 1;
	}
	*o = '\0';
	return out;
}

/* Adds name: s cut to max bytes, unless s is NULL. */
static void
add_str(cJSON *o, const char *name, const char *s, size_t max)
{
	char	*c;

	if (s == NULL)
		return;
	if ((c = clean_str(s, max)) != NULL)
		cJSON_AddStringToObject(o, name, c);
	free(c);
}

/* "2025-01-02T03:04:05.678Z" */
static void
iso_time(char *buf, size_t len, double t)
{
	struct tm	 tm;
	time_t		 s = (time_t)t;
	int		 ms = (int)((t - (double)s) * 1000);

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ms < 0 ? 0 : ms > 999 ? 999 : ms);
}

/* The first WARNINGS_MAX string warnings of w, each cut. */
static void
add_warnings(cJSON *o, const cJSON *w)
{
	const cJSON	*c;
	cJSON		*a;
	char		*s;
	int		 n = 0;

	if ((a = cJSON_AddArrayToObject(o, "warnings")) == NULL)
		return;
	cJSON_ArrayForEach(c, w) {
		if (!cJSON_IsString(c) || n++ == WARNINGS_MAX)
			continue;
		if ((s = clean_str(c->valuestring, WARNING_MAX)) != NULL)
			cJSON_AddItemToArray(a, cJSON_CreateString(s));
		free(s);
	}
}

/* Every member of e but id and time; detail and warnings only when
 * full, the other strings cut shorter when not. */
static void
add_members(cJSON *o, const struct audit_event *e, int full)
{
	size_t	 max = full ? STR_MAX : STR_CUT;

	add_str(o, "event", e->event, max);
	add_str(o, "user", e->user, max);
	add_str(o, "auth", e->auth, max);
	add_str(o, "client", e->client, max);
	add_str(o, "model_id", e->model_id, max);
	add_str(o, "task_id", e->task_id, max);
	add_str(o, "operation", e->operation, max);
	add_str(o, "outcome", e->outcome, max);
	if (e->http_status != 0)
		cJSON_AddNumberToObject(o, "http_status", e->http_status);
	if (e->confirm >= 0)
		cJSON_AddBoolToObject(o, "confirm", e->confirm);
	if (e->duration >= 0)
		cJSON_AddNumberToObject(o, "duration_seconds",
		    (double)(long long)(e->duration * 1000) / 1000);
	add_str(o, "correlation_id", e->cid, max);
	if (full && e->warnings != NULL)
		add_warnings(o, e->warnings);
	if (full && e->change != NULL)
		cJSON_AddItemToObject(o, "change", cJSON_Duplicate(e->change,
		    1));
	if (full)
		add_str(o, "detail", e->detail, DETAIL_MAX);
	else
		cJSON_AddTrueToObject(o, "truncated");
}

/* The event printed, with or without its long members. */
static char *
event_print(const struct audit_event *e, double t, const char *id, int full)
{
	cJSON	*o;
	char	 ts[64], *s;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (id != NULL && *id != '\0')
		cJSON_AddStringToObject(o, "id", id);
	else if (id != NULL)
		cJSON_AddNullToObject(o, "id");
	iso_time(ts, sizeof(ts), t);
	cJSON_AddStringToObject(o, "time", ts);
	add_members(o, e, full);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

char *
audit_json(const struct audit_event *e, double t, const char *id)
{
	char	*s;

	if ((s = event_print(e, t, id, 1)) == NULL ||
	    strlen(s) < AUDIT_LINE_MAX - 1)
		return s;
	free(s);
	return event_print(e, t, id, 0);
}

/* Appends the event's line (with id, "" = null) to the sink's file in
 * one write. */
static void
audit_append(struct audit_sink *s, const struct audit_event *e, double t,
    const char *id)
{
	char	*line;
	size_t	 n;

	if (s->fd == -1)
		return;
	if ((line = audit_json(e, t, id)) == NULL) {
		metrics_add(MET_AUDIT_FAILURES, "file", NULL, 1);
		return;
	}
	n = strlen(line);
	line[n] = '\n';		/* over the NUL: the length is known */
	if (write(s->fd, line, n + 1) != (ssize_t)(n + 1)) {
		log_warn("%s: audit file", __func__);
		metrics_add(MET_AUDIT_FAILURES, "file", NULL, 1);
	}
	free(line);
}

/* XADD of the event; its id in id (AUDIT_ID_MAX), "" on failure. */
static enum err
audit_xadd(struct rconn *r, unsigned max, const char *json, char *id)
{
	const char	*argv[] = { "XADD", AUDIT_KEY, "MAXLEN", "~", NULL,
	    "*", "event", json };
	char		 cap[16];
	redisReply	*rep;
	enum err	 e = ERR_REDIS;

	*id = '\0';
	snprintf(cap, sizeof(cap), "%u", max);
	argv[4] = cap;
	if ((rep = rconn_cmdv(r, 8, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_STRING && rep->len < AUDIT_ID_MAX) {
		memcpy(id, rep->str, rep->len + 1);
		e = ERR_OK;
	} else if (rep->type == REDIS_REPLY_ERROR)
		log_warnx("%s: redis: XADD: %s", __func__, rep->str);
	freeReplyObject(rep);
	return e;
}

enum err
audit_record(struct rconn *r, struct audit_sink *s,
    const struct audit_event *e)
{
	struct timespec	 ts;
	char		 id[AUDIT_ID_MAX], *json;
	double		 t;
	enum err	 err = ERR_NOMEM;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	*id = '\0';
	if ((json = audit_json(e, t, NULL)) != NULL)
		err = audit_xadd(r, s->max_events, json, id);
	free(json);
	metrics_add(MET_AUDIT_EVENTS, e->event, NULL, 1);
	if (err != ERR_OK)
		metrics_add(MET_AUDIT_FAILURES, "stream", NULL, 1);
	audit_append(s, e, t, id);
	return err;
}

/* 0 if s[0..n) is 1 to 20 decimal digits. */
static int
digits_ok(const char *s, size_t n)
{

	if (n == 0 || n > 20)
		return -1;
	return strspn(s, "0123456789") >= n ? 0 : -1;
}

int
audit_id_valid(const char *s)
{
	const char	*dash;

	if (s == NULL)
		return -1;
	if ((dash = strchr(s, '-')) == NULL)
		return digits_ok(s, strlen(s));
	if (digits_ok(s, (size_t)(dash - s)) == -1)
		return -1;
	return digits_ok(dash + 1, strlen(dash + 1)) == 0 &&
	    strlen(dash + 1) == strspn(dash + 1, "0123456789") ? 0 : -1;
}

/* 1 if member name of o is the string want (or want is NULL). */
static int
member_is(const cJSON *o, const char *name, const char *want)
{
	const cJSON	*v;

	if (want == NULL)
		return 1;
	v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

/* The event of one stream entry [id, [field, value, ...]] with its id
 * first, when it matches q; NULL otherwise. */
static cJSON *
entry_event(const redisReply *en, const struct audit_query *q)
{
	const redisReply	*f;
	cJSON			*o, *ev, *c;

	if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
	    (f = en->element[1])->type != REDIS_REPLY_ARRAY ||
	    f->elements < 2 || f->element[1]->type != REDIS_REPLY_STRING)
		return NULL;
	if ((ev = cJSON_Parse(f->element[1]->str)) == NULL)
		return NULL;
	if (!member_is(ev, "model_id", q->model_id) ||
	    !member_is(ev, "user", q->user) ||
	    (o = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(ev);
		return NULL;
	}
	cJSON_AddStringToObject(o, "id", en->element[0]->str);
	while ((c = ev->child) != NULL)
		cJSON_AddItemToObject(o, c->string,
		    cJSON_DetachItemViaPointer(ev, c));
	cJSON_Delete(ev);
	return o;
}

/* Reads entry en: its id into next, its event into a when it matches q.
 * 1 when the page is full now. */
static int
take_entry(const redisReply *en, const struct audit_query *q, cJSON *a,
    char *next)
{
	cJSON	*ev;

	if (en->type != REDIS_REPLY_ARRAY || en->elements < 1 ||
	    en->element[0]->type != REDIS_REPLY_STRING ||
	    en->element[0]->len >= AUDIT_ID_MAX)
		return 0;
	memcpy(next, en->element[0]->str, en->element[0]->len + 1);
	if ((ev = entry_event(en, q)) != NULL)
		cJSON_AddItemToArray(a, ev);
	return (unsigned)cJSON_GetArraySize(a) == q->limit;
}

/*
 * One XREVRANGE from start (exclusive unless "+"): appends matches to a,
 * sets next to the last id read.  *done: 1 when the stream has nothing
 * older, 2 when the page is full (more may follow), else 0.  The number
 * of entries read, -1 on failure.
 */
static long
list_batch(struct rconn *r, const struct audit_query *q, const char *start,
    cJSON *a, char *next, int *done)
{
	const char	*argv[] = { "XREVRANGE", AUDIT_KEY, start, "-",
	    "COUNT", NULL };
	char		 count[16];
	redisReply	*rep;
	size_t		 i;

	snprintf(count, sizeof(count), "%d", LIST_BATCH);
	argv[5] = count;
	if ((rep = rconn_cmdv(r, 6, argv)) == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return -1;
	}
	*done = rep->elements < LIST_BATCH;
	for (i = 0; i < rep->elements; i++)
		if (take_entry(rep->element[i], q, a, next)) {
			*done = i + 1 == rep->elements && *done ? 1 : 2;
			i++;
			break;
		}
	freeReplyObject(rep);
	return (long)i;
}

enum err
audit_list(struct rconn *r, const struct audit_query *q, cJSON **events,
    char *next)
{
	char		 start[AUDIT_ID_MAX + 1];
	long		 n, scanned = 0;
	int		 done = 0;

	*next = '\0';
	if ((*events = cJSON_CreateArray()) == NULL)
		return ERR_NOMEM;
	if (q->before != NULL)
		snprintf(start, sizeof(start), "(%s", q->before);
	else
		snprintf(start, sizeof(start), "+");
	while (!done && scanned < AUDIT_SCAN_MAX) {
		if ((n = list_batch(r, q, start, *events, next, &done)) < 0) {
			cJSON_Delete(*events);
			*events = NULL;
			return ERR_REDIS;
		}
		scanned += n;
		snprintf(start, sizeof(start), "(%s", next);
	}
	if (done == 1)
		*next = '\0';	/* nothing older */
	return ERR_OK;
}
