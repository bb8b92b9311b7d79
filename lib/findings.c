#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "num.h"
#include "taskstate.h"
#include "valid.h"

void
findings_status_format(const struct findings_status *s, char *buf,
    size_t len)
{

	(void)snprintf(buf, len, "%s %llu %lld %s", s->ok ? "ok" : "problems",
	    s->problems, s->checked_at, s->task_id);
}

int
findings_status_parse(const char *v, struct findings_status *out)
{
	char		 word[16], num[24], at[24];
	long long	 n, t;

	memset(out, 0, sizeof(*out));
	if (v == NULL || sscanf(v, "%15s %23s %23s %63s", word, num, at,
	    out->task_id) != 4 || valid_uuid(out->task_id, out->task_id, NULL,
	    0) == -1 ||
	    num_parse(num, 0, LLONG_MAX, &n, NULL) == -1 ||
	    num_parse(at, 0, LLONG_MAX, &t, NULL) == -1)
		return -1;
	if (strcmp(word, "ok") == 0)
		out->ok = 1;
	else if (strcmp(word, "problems") != 0)
		return -1;
	out->problems = (unsigned long long)n;
	out->checked_at = t;
	return 0;
}

/* The two keys of model_id; -1 if they do not fit. */
static int
findings_keys(const char *model_id, char *data, char *status)
{

	return ts_key(data, TS_KEY_MAX, FINDINGS_KIND, model_id) == -1 ||
	    ts_key(status, TS_KEY_MAX, FINDINGS_STATUS_KIND, model_id) == -1 ?
	    -1 : 0;
}

enum err
findings_store(struct rconn *r, const char *model_id, const char *json,
    const struct findings_status *s)
{
	char		 data[TS_KEY_MAX], status[TS_KEY_MAX];
	char		 value[FINDINGS_STATUS_MAX];
	const char	*argv[] = { "MSET", data, json, status, value };

	if (findings_keys(model_id, data, status) == -1)
		return ERR_INVAL;
	findings_status_format(s, value, sizeof(value));
	return rconn_run(r, 5, argv);
}

enum err
findings_get(struct rconn *r, const char *model_id, char **json)
{
	char		 data[TS_KEY_MAX], status[TS_KEY_MAX];
	const char	*argv[] = { "GET", data };
	redisReply	*rep;
	enum err	 e = ERR_OK;

	*json = NULL;
	if (findings_keys(model_id, data, status) == -1)
		return ERR_OK;
	if ((rep = rconn_cmdv(r, 2, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_STRING &&
	    (*json = strdup(rep->str)) == NULL)
		e = ERR_NOMEM;
	freeReplyObject(rep);
	return e;
}

enum err
findings_forget(struct rconn *r, const char *model_id)
{
	char		 data[TS_KEY_MAX], status[TS_KEY_MAX];
	const char	*argv[] = { "DEL", data, status };

	if (findings_keys(model_id, data, status) == -1)
		return ERR_OK;
	return rconn_int(r, 3, argv, NULL);
}
