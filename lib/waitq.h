#ifndef MM_WAITQ_H
#define MM_WAITQ_H

#include "err.h"
#include "redisconn.h"
#include "taskstate.h"

/*
 * The waiting set: downloads that may not run now (outside the policy's
 * download windows, policy.h), in the sorted set WAITQ_KEY scored by when
 * they began waiting (first come, first served when a window opens), not
 * in the queue.  A waiting task keeps its claim and its status "pending",
 * with a "waiting_reason" field saying what it waits for.  The runners'
 * tick (every second) moves every waiting task to the queue once a window
 * is open, and otherwise keeps their task hashes and claims alive and
 * their reasons current; whether a window is open is decided from the
 * policy at each tick, so that a change of the policy applies within a
 * second.  Every function here is one Lua script (atomic: two runners
 * never both move one task) and returns ERR_REDIS when Redis cannot
 * answer, ERR_INVAL for an id too long for a key.
 */

#define WAITQ_KEY	TS_KEY_PREFIX "waiting"

/*
 * Puts a pending task into the waiting set with reason (status pending,
 * its speed and retry state cleared, its TTL and its claim's refreshed);
 * uncount gives back the attempt its run counted (a download paused at
 * a window's end).  ERR_OK when parked; ERR_CONFLICT when a cancel was
 * requested meanwhile: the task ended cancelled, its claim released;
 * ERR_NOTFOUND when it is gone or already ended.
 */
enum err	 waitq_park(struct rconn *r, const char *task_id,
		    const char *reason, int uncount);
/* Takes a waiting task out of the set, marks it cancelled and releases
 * its claim.  ERR_NOTFOUND when it was not waiting. */
enum err	 waitq_cancel(struct rconn *r, const char *task_id,
		    const char *model_id, enum ts_op op);
/* Moves a waiting task to the taking end of the queue marked
 * "ignore_window" (it runs whatever the windows say, and does not pause
 * at a window's end).  ERR_NOTFOUND when it was not waiting. */
enum err	 waitq_start_now(struct rconn *r, const char *task_id);

/*
 * The runners' tick.  open: a window is open, every waiting task goes to
 * the queue (*moved counts them).  Else, when reason is not NULL, each
 * waiting task gets it, and its hash's and claim's TTLs are refreshed;
 * tasks gone or ended leave the set.  *waiting: tasks left waiting.
 */
enum err	 waitq_tick(struct rconn *r, int open, const char *reason,
		    long long *moved, long long *waiting);

/* The number of waiting tasks in *n. */
enum err	 waitq_count(struct rconn *r, long long *n);

#endif
