#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
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
	char	*end;

	*out = 0;
	if (rep->type != REDIS_REPLY_STRING)
		return 0;
	errno = 0;
	*out = strtoull(rep->str, &end, 10);
	if (errno != 0 || *end != '\0') {
		*out = 0;
		return -1;
	}
	return 0;
}

enum err
ts_active_many(struct rconn *r, const char *const *models, size_t n,
    struct ts_claim *claims, unsigned long long *generation)
{
	const char	**argv = NULL;
	char		**keys = NULL;
	redisReply	*rep = NULL;
	enum err	 e = ERR_NOMEM;
	size_t		 i;

	*generation = 0;
	memset(claims, 0, n * sizeof(*claims));
	argv = calloc(n + 2, sizeof(*argv));
	keys = calloc(n, sizeof(*keys));
	if (argv == NULL || keys == NULL)
		goto out;
	argv[0] = "MGET";
	for (i = 0; i < n; i++) {
		if ((keys[i] = malloc(TS_KEY_MAX)) == NULL ||
		    ts_active_key(keys[i], TS_KEY_MAX, models[i]) == -1)
			goto out;
		argv[1 + i] = keys[i];
	}
	argv[1 + n] = TS_GENERATION_KEY;
	e = ERR_REDIS;
	if ((rep = rconn_cmdv(r, (int)n + 2, argv)) == NULL)
		goto out;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n + 1) {
		log_warnx("redis: MGET: unexpected reply");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (rep->element[i]->type == REDIS_REPLY_STRING)
			(void)ts_claim_parse(rep->element[i]->str, &claims[i]);
	(void)parse_generation(rep->element[n], generation);
	e = ERR_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	for (i = 0; keys != NULL && i < n; i++)
		free(keys[i]);
	free(keys);
	free(argv);
	return e;
}
