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
int		 rconn_url_check(const char *url, char *errbuf, size_t errlen);

/*
 * Runs one command (binary-safe arguments).  Returns the reply, which the
 * caller frees with freeReplyObject(), or NULL if Redis is unreachable or
 * the connection failed (logged once; the next call reconnects).  An
 * error reply (REDIS_REPLY_ERROR) is returned as a reply.
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
 * the arguments.  Returns the reply as rconn_cmd does.
 */
redisReply	*rconn_script(struct rconn *r, const char *script,
		    int nkeys, int argc, const char **argv);

/* Closes the current connection (if any) without freeing r: use in a
 * child after fork(), or after a timeout. */
void		 rconn_reset(struct rconn *r);

#endif
