#include <sys/time.h>

#include <assert.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include "hex.h"
#include "log.h"
#include "num.h"
#include "redisconn.h"

#define RCONN_URL_MAX	1024

struct rconn {
	char		*host;		/* NULL for a unix socket */
	char		*path;		/* unix socket path */
	int		 port;
	char		*user;		/* ACL user or NULL */
	char		*password;	/* NULL = no AUTH */
	long		 db;
	unsigned	 timeout_ms;
	redisContext	*ctx;
	int		 pending;	/* pipelined replies still unread */
	int		 skip;		/* piggybacked replies to drop first */
	int		 in_hook;
	void		(*hook)(struct rconn *, void *);
	void		*hook_arg;
	int		 failing;	/* the last command failed */
	char		 error[256];	/* why, for rconn_error() */
};

/* Percent-decodes s[0..len) into a new string; NULL on error. */
static char *
urldup(const char *s, size_t len)
{
	char	*out, *p;
	size_t	 i;

	if ((out = p = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && hex_digit(s[i + 1]) >= 0 &&
		    hex_digit(s[i + 2]) >= 0) {
			*p++ = (char)(hex_digit(s[i + 1]) * 16 +
			    hex_digit(s[i + 2]));
			i += 2;
		} else
			*p++ = s[i];
	}
	*p = '\0';
	if (strlen(out) != (size_t)(p - out)) {	/* %00 */
		free(out);
		return NULL;
	}
	return out;
}

/* Parses s[0..len) as a decimal within [min, max]; 0 or -1. */
static int
parse_long(const char *s, size_t len, long min, long max, long *out)
{
	char		 buf[32];
	long long	 v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (num_parse(buf, min, max, &v, NULL) == -1)
		return -1;
	*out = (long)v;
	return 0;
}

/* Parses "[[user]:password@]" at the start of *s (up to end). */
static int
parse_userinfo(struct rconn *r, const char **s, const char *end)
{
	const char	*at, *colon;

	for (at = *s; at < end && *at != '@'; at++)
		if (*at == '/')
			return 0;
	if (at == end)
		return 0;
	colon = memchr(*s, ':', at - *s);
	if (colon != NULL) {
		if (colon > *s && (r->user = urldup(*s, colon - *s)) == NULL)
			return -1;
		if ((r->password = urldup(colon + 1, at - colon - 1)) == NULL)
			return -1;
	} else if (at > *s && (r->password = urldup(*s, at - *s)) == NULL)
		return -1;
	*s = at + 1;
	return 0;
}

/* Parses "?db=N&password=P" (unix URLs). */
static int
parse_query(struct rconn *r, const char *q)
{
	const char	*amp, *eq;
	size_t		 len;

	while (q != NULL && *q != '\0') {
		amp = strchr(q, '&');
		len = amp ? (size_t)(amp - q) : strlen(q);
		eq = memchr(q, '=', len);
		if (eq == NULL)
			return -1;
		if ((size_t)(eq - q) == 2 && strncmp(q, "db", 2) == 0) {
			if (parse_long(eq + 1, len - 3, 0, 1000000, &r->db))
				return -1;
		} else if ((size_t)(eq - q) == 8 &&
		    strncmp(q, "password", 8) == 0) {
			free(r->password);
			r->password = urldup(eq + 1, len - 9);
			if (r->password == NULL)
				return -1;
		} else
			return -1;
		q = amp ? amp + 1 : NULL;
	}
	return 0;
}

static int
parse_tcp(struct rconn *r, const char *s)
{
	const char	*end = s + strlen(s), *hostend, *slash, *colon;
	long		 port = 6379;

	if (parse_userinfo(r, &s, end) == -1)
		return -1;
	slash = strchr(s, '/');
	hostend = slash ? slash : end;
	if (*s == '[') {			/* [::1]:6379 */
		const char *rb = memchr(s, ']', hostend - s);
		if (rb == NULL)
			return -1;
		r->host = strndup(s + 1, rb - s - 1);
		colon = rb + 1 < hostend && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(s, ':', hostend - s);
		r->host = strndup(s, (colon ? colon : hostend) - s);
	}
	if (r->host == NULL || *r->host == '\0')
		return -1;
	if (colon != NULL &&
	    parse_long(colon + 1, hostend - colon - 1, 1, 65535, &port))
		return -1;
	r->port = (int)port;
	if (slash != NULL && slash[1] != '\0' &&
	    parse_long(slash + 1, strlen(slash + 1), 0, 1000000, &r->db))
		return -1;
	return 0;
}

static int
parse_unix(struct rconn *r, const char *s)
{
	const char	*end = s + strlen(s), *q;

	if (parse_userinfo(r, &s, end) == -1)
		return -1;
	if (*s != '/')
		return -1;
	q = strchr(s, '?');
	if ((r->path = strndup(s, (q ? q : end) - s)) == NULL)
		return -1;
	return parse_query(r, q ? q + 1 : NULL);
}

static void
rconn_free_fields(struct rconn *r)
{

	free(r->host);
	free(r->path);
	free(r->user);
	free(r->password);
}

static int
rconn_parse(struct rconn *r, const char *url, char *errbuf, size_t errlen)
{
	int	 rc;

	if (strlen(url) > RCONN_URL_MAX) {
		snprintf(errbuf, errlen, "REDIS_URL is too long");
		return -1;
	}
	if (strncmp(url, "rediss://", 9) == 0) {
		snprintf(errbuf, errlen, "REDIS_URL: rediss:// (TLS) is not "
		    "supported by this build (hiredis 0.14 has no TLS); use a "
		    "local TLS tunnel and redis:// or unix://");
		return -1;
	}
	if (strncmp(url, "redis://", 8) == 0)
		rc = parse_tcp(r, url + 8);
	else if (strncmp(url, "unix://", 7) == 0)
		rc = parse_unix(r, url + 7);
	else {
		snprintf(errbuf, errlen, "REDIS_URL must start with redis:// "
		    "or unix://");
		return -1;
	}
	if (rc == -1)
		snprintf(errbuf, errlen, "REDIS_URL is malformed (expected "
		    "redis://[[user]:password@]host[:port][/db] or "
		    "unix://[[user]:password@]/path[?db=N])");
	return rc;
}

int
rconn_url_check(const char *url, char *errbuf, size_t errlen)
{
	struct rconn	 r;
	int		 rc;

	memset(&r, 0, sizeof(r));
	rc = rconn_parse(&r, url, errbuf, errlen);
	rconn_free_fields(&r);
	return rc;
}

struct rconn *
rconn_open(const char *url, unsigned timeout_ms, char *errbuf, size_t errlen)
{
	struct rconn	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	r->timeout_ms = timeout_ms;
	if (rconn_parse(r, url, errbuf, errlen) == -1) {
		rconn_close(&r);
		return NULL;
	}
	return r;
}

void
rconn_reset(struct rconn *r)
{

	if (r == NULL)
		return;
	if (r->ctx != NULL)
		redisFree(r->ctx);
	r->ctx = NULL;
	r->pending = 0;
	r->skip = 0;
}

void
rconn_close(struct rconn **r)
{

	if (r == NULL || *r == NULL)
		return;
	rconn_reset(*r);
	rconn_free_fields(*r);
	free(*r);
	*r = NULL;
}

/* Where r connects to, for log lines. */
static const char *
rconn_endpoint(const struct rconn *r)
{

	return r->path != NULL ? r->path : r->host;
}

/*
 * The one place a failure of the connection is handled: records why (for
 * rconn_error), logs it, and drops the context (a hiredis context that
 * failed once is dead).  The same failure again, before Redis answered in
 * between, is logged at debug level only, so that an outage is one line
 * however often the caller retries.
 */
static void
rconn_fail(struct rconn *r, const char *func, const char *what,
    const char *why)
{
	char	 msg[sizeof(r->error)];

	snprintf(msg, sizeof(msg), "%s: %s", what, why);
	if (r->failing && strcmp(msg, r->error) == 0)
		log_debug("%s: redis %s: %s (again)", func, rconn_endpoint(r),
		    msg);
	else
		log_warnx("%s: redis %s: %s", func, rconn_endpoint(r), msg);
	memcpy(r->error, msg, sizeof(msg));
	r->failing = 1;
	rconn_reset(r);
}

/* Redis answered: the outage (if any) is over. */
static void
rconn_answered(struct rconn *r)
{

	if (!r->failing)
		return;
	r->failing = 0;
	log_info("redis %s: answering again", rconn_endpoint(r));
}

const char *
rconn_error(const struct rconn *r)
{

	return r->error;
}

/* Runs AUTH or SELECT on a fresh context; 0, or -1 (handled). */
static int
rconn_setup_cmd(struct rconn *r, int argc, const char **argv)
{
	redisReply	*rep;
	int		 rc = 0;

	if ((rep = redisCommandArgv(r->ctx, argc, argv, NULL)) == NULL) {
		rconn_fail(r, __func__, argv[0], r->ctx->errstr);
		return -1;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		rconn_fail(r, __func__, argv[0], rep->str);
		rc = -1;
	}
	freeReplyObject(rep);
	return rc;
}

/* Sends AUTH and SELECT on a fresh context; 0 or -1 (handled). */
static int
rconn_handshake(struct rconn *r)
{
	char		 db[24];
	const char	*auth[] = { "AUTH", r->user, r->password };
	const char	*select[] = { "SELECT", db };

	if (r->password != NULL && r->user == NULL) {
		auth[1] = r->password;
		if (rconn_setup_cmd(r, 2, auth) == -1)
			return -1;
	} else if (r->password != NULL && rconn_setup_cmd(r, 3, auth) == -1)
		return -1;
	snprintf(db, sizeof(db), "%ld", r->db);
	if (r->db != 0 && rconn_setup_cmd(r, 2, select) == -1)
		return -1;
	return 0;
}

/*
 * 1 if the idle connection was closed by the server.  Idle, a healthy
 * connection has nothing to read: anything there is the server's close (a
 * restart, a failover, an idle timeout), so the caller starts afresh
 * instead of failing the command it is about to send.
 */
static int
rconn_closed(const struct rconn *r)
{
	struct pollfd	 pfd;

	if (r->pending > 0)
		return 0;
	pfd.fd = r->ctx->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) != 0;
}

/* Makes sure r->ctx is a live connection; 0 or -1 (handled). */
static int
rconn_ensure(struct rconn *r)
{
	struct timeval	 tv;

	if (r->ctx != NULL && !rconn_closed(r))
		return 0;
	rconn_reset(r);
	tv.tv_sec = r->timeout_ms / 1000;
	tv.tv_usec = (r->timeout_ms % 1000) * 1000;
	r->ctx = r->path != NULL ? redisConnectUnixWithTimeout(r->path, tv) :
	    redisConnectWithTimeout(r->host, r->port, tv);
	if (r->ctx == NULL) {
		rconn_fail(r, __func__, "connect", "out of memory");
		return -1;
	}
	if (r->ctx->err) {
		rconn_fail(r, __func__, "connect", r->ctx->errstr);
		return -1;
	}
	if (redisSetTimeout(r->ctx, tv) != REDIS_OK) {
		rconn_fail(r, __func__, "set timeout", r->ctx->errstr);
		return -1;
	}
	return rconn_handshake(r);
}

void
rconn_set_hook(struct rconn *r, void (*hook)(struct rconn *, void *),
    void *arg)
{

	r->hook = hook;
	r->hook_arg = arg;
}

enum err
rconn_piggyback(struct rconn *r, int argc, const char **argv)
{

	if (r->ctx == NULL ||
	    redisAppendCommandArgv(r->ctx, argc, argv, NULL) != REDIS_OK)
		return ERR_REDIS;
	r->skip++;
	return ERR_OK;
}

/* Runs the hook when nothing is queued yet (so that what it queues goes
 * first, and its replies come first). */
static void
rconn_run_hook(struct rconn *r)
{

	if (r->hook == NULL || r->in_hook || r->pending > 0 || r->skip > 0)
		return;
	r->in_hook = 1;
	r->hook(r, r->hook_arg);
	r->in_hook = 0;
}

/* Reads and drops the replies of piggybacked commands; 0, or -1
 * (handled: the connection is reset). */
static int
rconn_drop_skipped(struct rconn *r)
{
	void	*rep;

	while (r->skip > 0) {
		rep = NULL;
		if (redisGetReply(r->ctx, &rep) != REDIS_OK || rep == NULL) {
			rconn_fail(r, __func__, "reply", r->ctx->errstr);
			return -1;
		}
		r->skip--;
		if (((redisReply *)rep)->type == REDIS_REPLY_ERROR)
			log_warnx("%s: redis: piggybacked command: %s",
			    __func__, ((redisReply *)rep)->str);
		freeReplyObject(rep);
	}
	return 0;
}

redisReply *
rconn_cmd(struct rconn *r, int argc, const char **argv, const size_t *argvlen)
{
	redisReply	*rep = NULL;

	if (rconn_ensure(r) == -1)
		return NULL;
	rconn_run_hook(r);
	if (r->skip == 0)
		rep = redisCommandArgv(r->ctx, argc, argv, argvlen);
	else if (redisAppendCommandArgv(r->ctx, argc, argv, argvlen) ==
	    REDIS_OK && rconn_drop_skipped(r) == 0 &&
	    redisGetReply(r->ctx, (void **)&rep) != REDIS_OK)
		rep = NULL;
	if (r->ctx == NULL)
		return NULL;		/* failed while dropping: handled */
	if (rep == NULL)
		rconn_fail(r, __func__, argv[0], r->ctx->errstr);
	else
		rconn_answered(r);
	return rep;
}

redisReply *
rconn_cmdv(struct rconn *r, int argc, const char **argv)
{

	return rconn_cmd(r, argc, argv, NULL);
}

/* Redis answered what with an error reply: its text is logged and kept
 * for rconn_error (the connection itself is fine). */
static void
rconn_refused(struct rconn *r, const char *func, const char *what,
    const redisReply *rep)
{

	snprintf(r->error, sizeof(r->error), "%s: %s", what, rep->str);
	log_warnx("%s: redis: %s", func, r->error);
}

/* Reads an integer reply into *v and frees it; an error reply is logged
 * (its text kept for rconn_error). */
static enum err
rconn_take_int(struct rconn *r, const char *func, const char *what,
    redisReply *rep, long long *v)
{
	enum err	 e = ERR_REDIS;

	if (rep == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_INTEGER) {
		if (v != NULL)
			*v = rep->integer;
		e = ERR_OK;
	} else if (rep->type == REDIS_REPLY_ERROR)
		rconn_refused(r, func, what, rep);
	freeReplyObject(rep);
	return e;
}

enum err
rconn_int(struct rconn *r, int argc, const char **argv, long long *v)
{

	return rconn_take_int(r, __func__, argv[0], rconn_cmdv(r, argc, argv),
	    v);
}

enum err
rconn_script_int(struct rconn *r, const char *script, int nkeys, int argc,
    const char **argv, long long *v)
{

	return rconn_take_int(r, __func__, "script",
	    rconn_script(r, script, nkeys, argc, argv), v);
}

enum err
rconn_run(struct rconn *r, int argc, const char **argv)
{
	redisReply	*rep;
	enum err	 e = ERR_OK;

	if ((rep = rconn_cmdv(r, argc, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_ERROR) {
		rconn_refused(r, __func__, argv[0], rep);
		e = ERR_REDIS;
	}
	freeReplyObject(rep);
	return e;
}

static const char del_if_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) end return 0";

enum err
rconn_del_if(struct rconn *r, const char *key, const char *value)
{
	const char	*argv[] = { key, value };

	return rconn_script_int(r, del_if_lua, 1, 2, argv, NULL);
}

enum err
rconn_append(struct rconn *r, int argc, const char **argv,
    const size_t *argvlen)
{

	if (rconn_ensure(r) == -1)
		return ERR_REDIS;
	rconn_run_hook(r);
	if (redisAppendCommandArgv(r->ctx, argc, argv, argvlen) != REDIS_OK) {
		rconn_fail(r, __func__, argv[0], r->ctx->errstr);
		return ERR_REDIS;
	}
	r->pending++;
	return ERR_OK;
}

enum err
rconn_flush(struct rconn *r)
{
	int	 done = 0;

	if (r->ctx == NULL || r->pending == 0)
		return ERR_REDIS;
	while (!done)
		if (redisBufferWrite(r->ctx, &done) != REDIS_OK) {
			rconn_fail(r, __func__, "write", r->ctx->errstr);
			return ERR_REDIS;
		}
	return ERR_OK;
}

enum err
rconn_reply(struct rconn *r, redisReply **reply)
{
	void	*rep = NULL;

	*reply = NULL;
	if (r->ctx == NULL || r->pending == 0 || rconn_drop_skipped(r) == -1)
		return ERR_REDIS;
	if (redisGetReply(r->ctx, &rep) != REDIS_OK || rep == NULL) {
		rconn_fail(r, __func__, "reply", r->ctx->errstr);
		return ERR_REDIS;
	}
	r->pending--;
	rconn_answered(r);
	*reply = rep;
	return ERR_OK;
}

redisReply *
rconn_script(struct rconn *r, const char *script, int nkeys, int argc,
    const char **argv)
{
	const char	*args[3 + RCONN_SCRIPT_ARGS];
	char		 sha[41], nk[16];
	redisReply	*rep;
	int		 i;

	assert(argc <= RCONN_SCRIPT_ARGS);
	hex_sha1(script, strlen(script), sha);
	snprintf(nk, sizeof(nk), "%d", nkeys);
	args[0] = "EVALSHA";
	args[1] = sha;
	args[2] = nk;
	for (i = 0; i < argc; i++)
		args[3 + i] = argv[i];
	rep = rconn_cmdv(r, 3 + argc, args);
	if (rep == NULL || rep->type != REDIS_REPLY_ERROR ||
	    strncmp(rep->str, "NOSCRIPT", 8) != 0)
		return rep;
	freeReplyObject(rep);
	args[0] = "EVAL";
	args[1] = script;
	return rconn_cmdv(r, 3 + argc, args);
}
