#ifndef MM_RUNQ_H
#define MM_RUNQ_H

#include <stddef.h>

#include "err.h"
#include "redisconn.h"
#include "taskstate.h"

/*
 * The job runners' side of the queue (DESIGN.md "Redis"), with these keys
 * besides taskstate.h's queue and task hashes:
 *   model-manager:processing:{runner_id}  list of the ids a runner took
 *   model-manager:runner:{runner_id}      heartbeat: a nonce per start of
 *                                         the runner, EX heartbeat_ttl
 *   model-manager:lease:{task_id}         the one process running a task
 *   model-manager:reservations            hash task id -> bytes to fetch
 *
 * A runner BLMOVEs a task id from the queue into its own processing list,
 * and LREMs it when the job is over.  Any runner re-queues the processing
 * list of a runner whose heartbeat lapsed.  Every function returns
 * ERR_REDIS when Redis cannot answer (logged by redisconn) and ERR_INVAL
 * when an id is too long for a key.
 */

#define RUNQ_RESERVATIONS_KEY	TS_KEY_PREFIX "reservations"

/* Takes the next task id into the runner's processing list, blocking up
 * to timeout_s seconds.  *task_id is "" when none came. */
enum err	 runq_take(struct rconn *r, const char *runner_id,
		    unsigned timeout_s, char *task_id, size_t len);
/* Removes task_id from the runner's processing list. */
enum err	 runq_done(struct rconn *r, const char *runner_id,
		    const char *task_id);
/* Moves task_id from the processing list back to the head of the queue
 * (it is taken next). */
enum err	 runq_requeue(struct rconn *r, const char *runner_id,
		    const char *task_id);
/* Moves everything in the runner's processing list back to the queue
 * (start-up after a crash); *moved counts them. */
enum err	 runq_requeue_all(struct rconn *r, const char *runner_id,
		    long long *moved);

/*
 * A runner id belongs to one live runner: each start of a runner takes
 * its heartbeat key with a nonce of its own (SET NX EX ttl).  ERR_OK when
 * it is ours now; ERR_CONFLICT when another nonce holds it (a live
 * runner, or the key of one that died less than ttl ago).
 */
enum err	 runq_runner_claim(struct rconn *r, const char *runner_id,
		    const char *nonce, unsigned ttl);
/*
 * Renews the heartbeat key (if it lapsed, takes it again), refreshes the
 * claims of every queued task, and, when recover is set, re-queues the
 * processing lists of runners whose heartbeat lapsed (*recovered counts
 * the tasks).  ERR_CONFLICT, with nothing done, when the key holds
 * another nonce: another runner took the id over.
 */
enum err	 runq_heartbeat(struct rconn *r, const char *runner_id,
		    const char *nonce, unsigned ttl, int recover,
		    long long *recovered);
/* Deletes the heartbeat key if it still holds nonce (clean shutdown). */
enum err	 runq_heartbeat_stop(struct rconn *r, const char *runner_id,
		    const char *nonce);

/* A task's lease: SET NX EX held by the one process running it, so no job
 * ever runs twice.  ERR_CONFLICT when another holder has it. */
enum err	 runq_lease_acquire(struct rconn *r, const char *task_id,
		    const char *holder, unsigned ttl);
/* Renews the lease if holder still has it: ERR_CONFLICT if not. */
enum err	 runq_lease_renew(struct rconn *r, const char *task_id,
		    const char *holder, unsigned ttl);
/* Releases the lease if holder still has it (nothing otherwise). */
enum err	 runq_lease_release(struct rconn *r, const char *task_id,
		    const char *holder);

/*
 * Disk reservations of running downloads, so that concurrent downloads on
 * one cache volume are admitted against what the others still need.
 */
/* Sets (bytes > 0) or clears (bytes == 0) the task's reservation. */
enum err	 runq_reserve(struct rconn *r, const char *task_id,
		    unsigned long long bytes);
/* The sum of the reservations of other running tasks; entries of tasks
 * that are no longer running are dropped on the way. */
enum err	 runq_reserved_by_others(struct rconn *r, const char *task_id,
		    unsigned long long *bytes);

#endif
