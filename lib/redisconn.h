#ifndef MM_REDISCONN_H
#define MM_REDISCONN_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "err.h"

/*
 * A Redis connection from a REDIS_URL, connected lazily and re-connected
 * after any error (a hiredis context that failed once is dead).  URLs:
 * redis://[[user]:password@]host[:port][/db] and
 * unix://[[user]:password@]/path[?db=N&password=P]; rediss:// is refused
 * (hiredis 0.14 has no TLS).  One connection per process; never use one
 * across fork().
 */

struct rconn;

/* Parses url; returns NULL (and a message in errbuf) if it is invalid or
 * on out-of-memory.  Does not connect.  Free with rconn_close(). */
struct rconn	*rconn_open(const char *url, unsigned timeout_ms,
		    char *errbuf, size_t errlen);
/* Accepts NULL; sets *r to NULL. */
void		 rconn_close(struct rconn **r);

/* Validates a REDIS_URL without connecting: 0 or -1 with a message. */
int		 rconn_url_check(const char *url, char *errbuf,
		    size_t errlen);

/*
 * Runs one command (binary-safe arguments).  Returns the reply, which the
 * caller frees with freeReplyObject(), or NULL if Redis is unreachable or
 * the connection failed (logged here with hiredis's error text, once per
 * outage however often the caller retries; the next call reconnects).
 * An error reply (REDIS_REPLY_ERROR) is returned as a reply.
 */
redisReply	*rconn_cmd(struct rconn *r, int argc, const char **argv,
		    const size_t *argvlen);
/* The same with NUL-terminated arguments. */
redisReply	*rconn_cmdv(struct rconn *r, int argc, const char **argv);

/*
 * Pipelining: queue n commands with rconn_append*, then read exactly n
 * replies with rconn_reply.  Returns ERR_REDIS on failure (the connection
 * is then reset and every queued command is lost).
 */
enum err	 rconn_append(struct rconn *r, int argc, const char **argv,
		    const size_t *argvlen);
enum err	 rconn_reply(struct rconn *r, redisReply **reply);
/* Sends the queued commands now (rconn_reply would send them first), so
 * that Redis works on them while the caller does something else. */
enum err	 rconn_flush(struct rconn *r);

/*
 * Runs a Lua script by EVALSHA, falling back to EVAL on NOSCRIPT (the
 * script cache is lost when Redis restarts).  argv holds the keys then
 * the arguments, RCONN_SCRIPT_ARGS at most.  Returns the reply as
 * rconn_cmd does.
 */
#define RCONN_SCRIPT_ARGS	40
redisReply	*rconn_script(struct rconn *r, const char *script,
		    int nkeys, int argc, const char **argv);

/*
 * Commands whose reply the caller only checks.  Each frees its reply and
 * returns ERR_OK, or ERR_REDIS when Redis is unreachable (logged as above)
 * or answers something else (an error reply is logged, with its text).
 *   rconn_int         the reply must be an integer: in *v unless v is NULL
 *   rconn_script_int  the same for rconn_script
 *   rconn_run         any reply but an error
 *   rconn_del_if      DEL key if its value is value (GET-compare-DEL in
 *                     one Lua script: releases a lock only by its owner)
 */
enum err	 rconn_int(struct rconn *r, int argc, const char **argv,
		    long long *v);
enum err	 rconn_script_int(struct rconn *r, const char *script,
		    int nkeys, int argc, const char **argv, long long *v);
enum err	 rconn_run(struct rconn *r, int argc, const char **argv);
enum err	 rconn_del_if(struct rconn *r, const char *key,
		    const char *value);

/* Why the last command on r failed ("" until one has): the connection's
 * error or Redis's error reply.  Borrowed: valid until the next call on
 * r. */
const char	*rconn_error(const struct rconn *r);

/*
 * A hook run just before r sends a command while no reply is awaited: it
 * may queue commands of its own with rconn_piggyback, which then travel
 * in the same write as the caller's command (pipelining: no extra round
 * trip).  Their replies are read before the caller's and dropped (an
 * error reply is logged).  The metrics batch rides this way.  hook NULL
 * removes it.
 */
void		 rconn_set_hook(struct rconn *r,
		    void (*hook)(struct rconn *, void *), void *arg);
/* From a hook: queues one command whose reply is dropped.  ERR_REDIS on
 * failure (the command is then not sent). */
enum err	 rconn_piggyback(struct rconn *r, int argc, const char **argv);

/* Closes the current connection (if any) without freeing r: use in a
 * child after fork(), or after a timeout. */
void		 rconn_reset(struct rconn *r);

#endif
