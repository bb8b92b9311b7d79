#ifndef MM_HOOKQ_H
#define MM_HOOKQ_H

#include <stddef.h>

#include "audit.h"
#include "err.h"
#include "redisconn.h"

/*
 * The webhooks' side of the audit stream (AUDIT_KEY): the consumer group
 * HOOKQ_GROUP, each runner's notifier one consumer of it (named by the
 * runner id).  An entry read stays pending on its consumer until
 * hookq_ack; pending entries of a consumer idle HOOKQ_CLAIM_IDLE_MS are
 * taken over by another with hookq_autoclaim.  jobs/notify.c explains
 * the guarantees this gives.
 *
 * Entries reach the caller through fn(arg, id, json): id the stream id
 * (at most AUDIT_ID_MAX - 1 bytes), json the event, or NULL when the
 * stream no longer has the entry (trimmed by the cap before it was
 * delivered).  Both are borrowed for the call only.
 *
 * Every function returns ERR_OK, ERR_REDIS (Redis away or an error
 * reply, logged), or ERR_NOTFOUND when the group (or the stream) is gone:
 * create it again.
 */

#define HOOKQ_GROUP		"webhooks"
#define HOOKQ_CLAIM_IDLE_MS	60000
#define HOOKQ_STATE_PREFIX	"model-manager:webhook:"	/* + stream id */
#define HOOKQ_STATE_TTL_MS	"604800000"	/* 7 days, a safety net */
#define HOOKQ_HOOKS_MAX		16

/* Creates the group at the stream's end ("$", MKSTREAM): events already
 * in the stream are not delivered.  ERR_OK when it exists already;
 * *created (may be NULL) says whether this call made it. */
enum err	 hookq_group_create(struct rconn *r, int *created);

/*
 * Where the entries read go: fn(arg, id, json) for each, json NULL for an
 * id the stream no longer has.
 */
struct hookq_sink {
	void	(*fn)(void *arg, const char *id, const char *json);
	void	*arg;
};

/*
 * XREADGROUP of at most count entries for consumer: from ">" the new
 * ones (waiting up to block_ms when not 0), from an id the consumer's own
 * pending entries after it.  *got is how many; last (AUDIT_ID_MAX bytes,
 * may be NULL) the id of the last one, unchanged when none.
 */
enum err	 hookq_read(struct rconn *r, const char *consumer,
		    const char *from, size_t count, unsigned block_ms,
		    const struct hookq_sink *sink, size_t *got, char *last);

/*
 * XAUTOCLAIM of at most count entries idle HOOKQ_CLAIM_IDLE_MS, from
 * cursor (AUDIT_ID_MAX bytes, "0-0" to start), which is advanced ("0-0"
 * once the scan is through).  Entries the stream no longer has reach fn
 * with json NULL.  *got counts the entries taken over.
 */
enum err	 hookq_autoclaim(struct rconn *r, const char *consumer,
		    char *cursor, size_t count, const struct hookq_sink *sink,
		    size_t *got);

/*
 * The deliveries of an entry, kept while it is pending in the hash
 * HOOKQ_STATE_PREFIX<id> (one field per webhook name), so that a
 * notifier that takes the entry again (a restart, a reload, a take-over)
 * neither sends what was delivered nor starts the attempts over.
 *
 * hookq_state reads it for the n (1..HOOKQ_HOOKS_MAX) webhook names
 * hooks: attempts[i] is -1 when webhook i is done with (delivered or
 * given up), else the attempts made so far (0: none).
 * hookq_record writes attempts (-1: done) for hook.
 */
enum err	 hookq_state(struct rconn *r, const char *id,
		    const char *const *hooks, size_t n, int *attempts);
enum err	 hookq_record(struct rconn *r, const char *id,
		    const char *hook, int attempts);

/* Acknowledges entry id: it leaves the group's pending list, and its
 * delivery state goes. */
enum err	 hookq_ack(struct rconn *r, const char *id);

/* Resets the idle time of the n (1..256) entries ids, pending on
 * consumer, so that no other consumer takes them over yet. */
enum err	 hookq_renew(struct rconn *r, const char *consumer,
		    const char *const *ids, size_t n);

#endif
