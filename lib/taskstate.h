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
 * The runners' keys (processing lists, heartbeats, leases, reservations)
 * are runq.h's.
 */

#define TS_KEY_PREFIX		"model-manager:"
#define TS_GENERATION_KEY	TS_KEY_PREFIX "cache-generation"
#define TS_KEY_MAX		512

/*
 * The operations of tasks (DESIGN.md, second wave).  Each claims its
 * model; a deployment-wide task (model id "") claims its operation
 * instead: model-manager:active-all:{op}.
 */
enum ts_op {
	TS_OP_NONE = 0,
	TS_OP_DOWNLOAD,
	TS_OP_DELETE,
	TS_OP_VERIFY,
	TS_OP_REPAIR,
	TS_OP_UPDATE,
	TS_OP_PRUNE,
	TS_OP_CHECK
};
#define TS_OP_COUNT	(TS_OP_CHECK + 1)

/* A parsed claim value "{op}:{task_id}". */
struct ts_claim {
	enum ts_op	 op;
	char		 task_id[64];
};

/* Writes "model-manager:<kind>:<id>" into buf (len bytes); 0, or -1 if
 * it does not fit. */
int		 ts_key(char *buf, size_t len, const char *kind,
		    const char *id);
/* Writes "model-manager:active:<model_id>" into buf; -1 if too long. */
int		 ts_active_key(char *buf, size_t len, const char *model_id);

/* Parses a claim value; 0, or -1 if it is not "<op>:<id>" for one of
 * the operations. */
int		 ts_claim_parse(const char *value, struct ts_claim *out);

/*
 * Reads the claims of models[0..n) and the cache generation in one round
 * trip (one MGET).  claims[i].op is TS_OP_NONE where there is none;
 * *generation is 0 when never bumped.  ERR_REDIS when Redis is down.
 */
enum err	 ts_active_many(struct rconn *r, const char *const *models,
		    size_t n, struct ts_claim *claims,
		    unsigned long long *generation);
/* The same in two halves, so that the caller can do something else while
 * Redis answers: ts_active_send queues and sends the MGET, and
 * ts_active_recv (which must follow before any other command on r) reads
 * its reply.  With extra (a key kind, e.g. "verify-status") the same MGET
 * also reads model-manager:<extra>:<model> of each model, given back in
 * values[0..n) (malloc'd strings or NULL; the caller frees them): pass
 * values to ts_active_recv exactly when extra was given. */
enum err	 ts_active_send(struct rconn *r, const char *const *models,
		    size_t n, const char *extra);
enum err	 ts_active_recv(struct rconn *r, size_t n,
		    struct ts_claim *claims, unsigned long long *generation,
		    char **values);
/* Reads and drops the reply of a ts_active_send that is not wanted. */
void		 ts_active_drop(struct rconn *r);

/* *held = 1 when the model's claim names this op and task_id.  ERR_REDIS
 * when Redis cannot answer (*held is then 0). */
enum err	 ts_claim_held(struct rconn *r, const char *model_id,
		    enum ts_op op, const char *task_id, int *held);

/* Terminal and non-terminal statuses of the contract (+ cancelled). */
#define TS_PENDING		"pending"
#define TS_RUNNING		"running"
#define TS_COMPLETED		"completed"
#define TS_FAILED		"failed"
#define TS_ALREADY_INSTALLED	"already_installed"
#define TS_NOT_INSTALLED	"not_installed"
#define TS_CANCELLED		"cancelled"
/* The answer of POST /update for a model installed at the latest commit
 * the last check saw (a start answer, with no task: never a task's). */
#define TS_UP_TO_DATE		"up_to_date"

#define TS_TTL			86400	/* claims and task hashes */
#define TS_QUEUE_KEY		TS_KEY_PREFIX "queue"

/* 1 if status is terminal (nothing will change it any more). */
int		 ts_status_terminal(const char *status);
const char	*ts_op_str(enum ts_op op);	/* "download", ..., "" */
int		 ts_op_parse(const char *s, enum ts_op *op);
/* The list field that shows an active task of op: "download" for
 * download, repair and update (active_download_task_id), "delete" for
 * delete and prune (active_delete_task_id), else NULL. */
const char	*ts_op_list_slot(enum ts_op op);
/* 1 if op may change the files of the cache (its end bumps the cache
 * generation): all but verify and check. */
int		 ts_op_writes_cache(enum ts_op op);

/* A task hash, decoded.  Missing numeric fields read as 0; the optional
 * speed, ETA and retry state read as -1 or "" when absent ("null"). */
struct ts_task {
	char		 task_id[64];
	char		 model_id[256];
	enum ts_op	 op;
	char		 status[32];
	unsigned long long bytes_downloaded;
	unsigned long long bytes_total;
	char		 error[1024];
	double		 updated_at;
	double		 bytes_per_second;	/* -1 = unknown */
	long long	 eta_seconds;		/* -1 = unknown */
	unsigned long long files_done;
	unsigned long long files_total;
	unsigned long long attempts;
	int		 cancel_requested;
	/* While a download retries a transient hub failure: */
	long long	 attempt;		/* the retry, -1 = none */
	long long	 attempt_max;		/* -1 = none */
	char		 last_error[128];	/* its cause, "" = none */
	char		 source[512];		/* the hub endpoint in use,
						   "" = none */
	/* A download outside its window (waitq.h): */
	char		 waiting_reason[192];	/* what it waits for, "" */
	int		 ignore_window;		/* started now: no window */
	/* "<pid>:<seconds>": the hard time limit the job of that pid set
	 * itself (a capped download), "" = none. */
	char		 time_limit[48];
	char		 params[256];		/* what the task was asked to
						   do beyond its operation
						   (a prune's kinds), "" */
	long long	 connections;		/* of a running download, -1 =
						   none */
};

/* A new random (version 4) task id, lowercase hyphenated. */
void		 ts_new_task_id(char out[37]);

enum ts_claim_outcome {
	TS_CLAIM_NEW = 0,	/* we hold it now */
	TS_CLAIM_SAME_OP,	/* same operation active: its id in *held */
	TS_CLAIM_OTHER_OP	/* the other operation holds it: in *held */
};

/*
 * Claims model_id for op/task_id: SET NX EX; on failure GET it (vanished
 * → SET once more).  ERR_REDIS when Redis is down; ERR_INVAL for a model
 * id too long for a key; ERR_CONFLICT (logged) when the claim kept
 * changing under us (set and gone again twice).
 */
enum err	 ts_claim(struct rconn *r, const char *model_id, enum ts_op op,
		    const char *task_id, enum ts_claim_outcome *outcome,
		    struct ts_claim *held);
/* Releases the claim only if it is still op/task_id (one Lua script). */
enum err	 ts_release(struct rconn *r, const char *model_id,
		    enum ts_op op, const char *task_id);

/* Creates the task hash (status pending, zeros) with its TTL. */
enum err	 ts_task_create(struct rconn *r, const char *task_id,
		    const char *model_id, enum ts_op op);
/* Reads a task: ERR_OK, ERR_NOTFOUND or ERR_REDIS. */
enum err	 ts_task_get(struct rconn *r, const char *task_id,
		    struct ts_task *out);

/*
 * Writes fields (names/values, nfields pairs, TS_UPDATE_FIELDS at most:
 * ERR_INVAL beyond) to a task that is not yet terminal, refreshes its TTL
 * and, when the claim is still this task's, the claim's TTL.  *cancel is
 * set to 1 when a cancel was requested.
 * Returns ERR_NOTFOUND when the task is gone, ERR_CONFLICT when it is
 * already terminal (nothing written), ERR_REDIS when Redis is down.
 */
#define TS_UPDATE_FIELDS	16
enum err	 ts_task_update(struct rconn *r, const char *task_id,
		    const char *model_id, enum ts_op op,
		    const char *const *fields, int nfields, int *cancel);

/* Marks a task terminal (status, error) unless it already is, and
 * releases its claim; both in one Lua script.  ERR_CONFLICT if it was
 * already terminal. */
enum err	 ts_task_finish(struct rconn *r, const char *task_id,
		    const char *model_id, enum ts_op op, const char *status,
		    const char *error);
/* The same, also storing result (a JSON text of at most TS_RESULT_MAX
 * bytes, else ERR_INVAL; NULL: none) in the task's "result" field. */
#define TS_RESULT_MAX	(1024 * 1024)
enum err	 ts_task_finish_result(struct rconn *r, const char *task_id,
		    const char *model_id, enum ts_op op, const char *status,
		    const char *error, const char *result);
/* The result of a task: *json is a malloc'd JSON text (the caller frees
 * it), or NULL when the task has none.  ERR_REDIS when Redis is down. */
enum err	 ts_task_result(struct rconn *r, const char *task_id,
		    char **json);

/* LPUSH task_id on the queue (runq.h has the runners' side). */
enum err	 ts_enqueue(struct rconn *r, const char *task_id);

/*
 * Cancels a task still waiting in the queue: takes it off the queue, marks
 * it cancelled and releases its claim, atomically.  ERR_OK when done,
 * ERR_NOTFOUND when it was no longer in the queue (a runner has it).
 */
enum err	 ts_cancel_queued(struct rconn *r, const char *task_id,
		    const char *model_id, enum ts_op op);
/* Sets the cancel flag a running job reads at every progress write.
 * ERR_CONFLICT when the task is already terminal. */
enum err	 ts_request_cancel(struct rconn *r, const char *task_id,
		    const char *model_id, enum ts_op op);

/* HINCRBY attempts; the new count in *attempts. */
enum err	 ts_count_attempt(struct rconn *r, const char *task_id,
		    long long *attempts);

/* The cache generation in *gen (0 when Redis has none). */
enum err	 ts_generation(struct rconn *r, unsigned long long *gen);

/* INCR the cache generation (responders then drop their scan cache);
 * the new one in *gen unless gen is NULL. */
enum err	 ts_bump_generation(struct rconn *r, unsigned long long *gen);

#endif
