#ifndef MM_TASKSTATE_H
#define MM_TASKSTATE_H

#include <stddef.h>

#include "err.h"
#include "redisconn.h"

/*
 * Task state in Redis, with the host application's key names:
 *   model-manager:active:{model_id}   claim, "{op}:{task_id}", EX 86400
 *   model-manager:task:{task_id}      task hash, every field a string
 *   model-manager:queue               LPUSH'ed bare task ids
 * and ours:
 *   model-manager:cache-generation    INCR'ed when a job changes the cache
 */

#define TS_KEY_PREFIX		"model-manager:"
#define TS_GENERATION_KEY	TS_KEY_PREFIX "cache-generation"
#define TS_KEY_MAX		512

enum ts_op {
	TS_OP_NONE = 0,
	TS_OP_DOWNLOAD,
	TS_OP_DELETE
};

/* A parsed claim value "{op}:{task_id}". */
struct ts_claim {
	enum ts_op	 op;
	char		 task_id[64];
};

/* Writes "model-manager:active:<model_id>" into buf; -1 if too long. */
int		 ts_active_key(char *buf, size_t len, const char *model_id);

/* Parses a claim value; 0, or -1 if it is not "download:<id>" or
 * "delete:<id>". */
int		 ts_claim_parse(const char *value, struct ts_claim *out);

/*
 * Reads the claims of models[0..n) and the cache generation in one round
 * trip (one MGET).  claims[i].op is TS_OP_NONE where there is none;
 * *generation is 0 when never bumped.  ERR_REDIS when Redis is down.
 */
enum err	 ts_active_many(struct rconn *r, const char *const *models,
		    size_t n, struct ts_claim *claims,
		    unsigned long long *generation);

#endif
