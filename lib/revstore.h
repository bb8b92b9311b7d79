#ifndef MM_REVSTORE_H
#define MM_REVSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "redisconn.h"
#include "taskstate.h"

/*
 * What the revisions feature keeps in Redis, for every responder and
 * runner of a deployment:
 *   model-manager:hub:{model_id}   the hub facts of a model, a JSON text of
 *                                  at most REVSTORE_FACTS_MAX bytes (no
 *                                  expiry: a check replaces them)
 *   model-manager:hub-due          sorted set: model id -> the epoch second
 *                                  its next check is due (absent: due now)
 * and the option keep_old of an update task, a field of its task hash.
 * Every function returns ERR_REDIS when Redis cannot answer (logged by
 * redisconn) and ERR_INVAL for a model id too long for a key.
 */

#define REVSTORE_DUE_KEY	TS_KEY_PREFIX "hub-due"
#define REVSTORE_FACTS_MAX	1024
#define REVSTORE_REASON_MAX	128

enum revstore_state {
	RS_NONE = 0,		/* never checked */
	RS_KNOWN,		/* the hub answered */
	RS_UNKNOWN		/* the hub does not answer for it (404, gated) */
};

/*
 * The hub facts of a model: revision main as the last check saw it, and
 * what updating the installed revision would fetch.
 */
struct hubfacts {
	enum revstore_state state;
	double		 checked_at;	/* epoch seconds */
	char		 commit[41];	/* main's commit (RS_KNOWN) */
	uint64_t	 size_bytes;	/* its distinct blobs, each once */
	uint64_t	 files;		/* its files */
	char		 against[41];	/* the installed commit update_bytes
					   was computed against; "" = none */
	long long	 update_bytes;	/* bytes of the blobs main has and
					   that revision has not; -1 unknown */
	char		 reason[REVSTORE_REASON_MAX]; /* RS_UNKNOWN: why, in
					   our words (never the hub's) */
};

/*
 * The JSON text of f: a malloc'd string the caller frees, or NULL on
 * out-of-memory.
 */
char		*revstore_encode(const struct hubfacts *f);

/*
 * Parses the len bytes at s into f, checking every field (commits are 40
 * lowercase hex, sizes whole numbers up to 2^53, the reason at most
 * REVSTORE_REASON_MAX - 1 bytes of UTF-8).  Returns 0, or -1 (f then
 * reads RS_NONE) for anything else.  Pure.
 */
int		 revstore_decode(const char *s, size_t len, struct hubfacts *f);

/* Stores f as model_id's facts (SET). */
enum err	 revstore_put(struct rconn *r, const char *model_id,
		    const struct hubfacts *f);

/* Reads model_id's facts into f (RS_NONE when there are none, or when
 * what is stored does not parse: logged). */
enum err	 revstore_get(struct rconn *r, const char *model_id,
		    struct hubfacts *f);

/*
 * The facts of ids[0..n) in one MGET, in two halves as ts_active_send and
 * ts_active_recv (so that it rides the list's round trip):
 * revstore_send queues and sends it, revstore_recv (which must follow
 * before any other reply is read from r) fills out[0..n), revstore_drop
 * reads and drops the reply.
 */
enum err	 revstore_send(struct rconn *r, const char *const *ids,
		    size_t n);
enum err	 revstore_recv(struct rconn *r, size_t n, struct hubfacts *out);
void		 revstore_drop(struct rconn *r);

/*
 * Which of ids[0..n) are due at epoch second now (never scheduled, or
 * scheduled at or before now): due[i] set to 1 or 0.  One round trip.
 */
enum err	 revstore_due(struct rconn *r, const char *const *ids,
		    size_t n, double now, unsigned char *due);

/* Schedules model_id's next check at epoch second at. */
enum err	 revstore_schedule(struct rconn *r, const char *model_id,
		    double at);

/* Makes every one of ids[0..n) due now (one ZADD). */
enum err	 revstore_all_due(struct rconn *r, const char *const *ids,
		    size_t n);

/*
 * The next check after now: now + interval * (1 + (0.2 * u - 0.1)), the
 * interval spread by +-10 % with u uniform in [0, 1).  Pure.
 */
double		 revstore_next(double now, unsigned interval, double u);

/*
 * The distinct ids of the curated models (an id curated under two types
 * is one model on the hub), in registry order: a malloc'd array of *n
 * strings borrowed from reg, which the caller frees; NULL on
 * out-of-memory.
 */
struct registry;
const char	**revstore_model_ids(const struct registry *reg, size_t *n);

/* A uniform number in [0, 1) from the kernel's random source. */
double		 revstore_uniform(void);

/* The update option keep_old of a task, a field of its hash ("1" or
 * "0"; absent: 0). */
#define REVSTORE_KEEP_OLD	"keep_old"
enum err	 revstore_keep_old(struct rconn *r, const char *task_id,
		    int *keep_old);

#endif
