/*
 * The deployment's bandwidth cap: a token bucket in Redis and each job's
 * local share of it (bwcap.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bwcap.h"
#include "log.h"

#define WAIT_MAX_MS	1000	/* the longest pause before asking again */

/*
 * KEYS: the bucket.  ARGV: rate, burst, want, least.  Refills from TIME
 * (microseconds), grants min(want, tokens) when least tokens are there;
 * else says how long until want (a whole slice) is there, so that a
 * saturated job asks about twice a slice, not once a piece.  Returns
 * {grant, milliseconds to wait}.
 */
static const char take_lua[] =
    "local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]) "
    "local want, least = tonumber(ARGV[3]), tonumber(ARGV[4]) "
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) "
    "local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts') "
    "local tokens, ts = tonumber(b[1]), tonumber(b[2]) "
    "if not tokens or not ts then tokens, ts = burst, now end "
    "if now > ts then tokens = tokens + (now - ts) * rate / 1000000 end "
    "if tokens > burst then tokens = burst end "
    "local grant, wait = 0, 0 "
    "if tokens >= least then "
    "  grant = math.min(want, math.floor(tokens)) tokens = tokens - grant "
    "else wait = math.ceil((math.min(want, burst) - tokens) * 1000 / "
    "rate) end "
    "redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', "
    "tostring(now)) "
    "redis.call('PEXPIRE', KEYS[1], 60000) "
    "return {grant, wait}";

void
bwcap_init(struct bwcap *b, struct rconn *r)
{

	*b = (struct bwcap){ .ask = bwcap_ask_redis, .arg = r };
}

void
bwcap_set_rate(struct bwcap *b, long long rate)
{

	b->rate = rate > 0 ? rate : 0;
}

uint64_t
bwcap_slice(long long rate)
{
	uint64_t	 s = (uint64_t)(rate > 0 ? rate : 0) / 20;

	return s > BWCAP_CHUNK ? s : BWCAP_CHUNK;
}

uint64_t
bwcap_burst(long long rate)
{
	uint64_t	 s = (uint64_t)(rate > 0 ? rate : 0) / 10;

	return s > 2 * BWCAP_CHUNK ? s : 2 * BWCAP_CHUNK;
}

/* The refusals end: count how long they lasted. */
static void
unthrottle(struct bwcap *b, uint64_t now)
{

	if (b->since != 0 && now > b->since)
		b->throttled += now - b->since;
	b->since = 0;
}

/* Spends len of what was granted; 1. */
static int
spend(struct bwcap *b, size_t len, uint64_t now)
{

	b->have -= len;
	unthrottle(b, now);
	return 1;
}

/* Asks the bucket for what len needs beyond what is granted. */
static void
ask(struct bwcap *b, size_t len, uint64_t now)
{
	uint64_t	 need = len - b->have, burst = bwcap_burst(b->rate);
	uint64_t	 want = bwcap_slice(b->rate), grant = 0;
	unsigned	 wait = 0;

	if (want < need)
		want = need;
	if (b->ask(b->arg, b->rate, burst, want, need < burst ? need : burst,
	    &grant, &wait) != ERR_OK) {
		/* Redis away: pace this job alone at the cap. */
		grant = want;
		wait = 0;
		/* Rounded up: never faster than the cap. */
		b->next_ask = now + (grant * 1000 + (uint64_t)b->rate - 1) /
		    (uint64_t)b->rate;
	} else
		b->next_ask = now + (wait > WAIT_MAX_MS ? WAIT_MAX_MS : wait);
	b->have += grant;
}

int
bwcap_take(struct bwcap *b, size_t len, uint64_t now)
{

	if (b->rate <= 0) {
		unthrottle(b, now);
		return 1;
	}
	if (b->have >= len)
		return spend(b, len, now);
	if (now >= b->next_ask) {
		ask(b, len, now);
		if (b->have >= len)
			return spend(b, len, now);
		if (b->next_ask <= now)
			b->next_ask = now + 1;
	}
	if (b->since == 0)
		b->since = now;
	return 0;
}

unsigned
bwcap_wait(const struct bwcap *b, uint64_t now)
{

	if (b->rate <= 0 || now >= b->next_ask)
		return 0;
	return (unsigned)(b->next_ask - now);
}

uint64_t
bwcap_throttled(const struct bwcap *b, uint64_t now)
{

	return b->throttled + (b->since != 0 && now > b->since ?
	    now - b->since : 0);
}

enum err
bwcap_ask_redis(void *arg, long long rate, uint64_t burst, uint64_t want,
    uint64_t least, uint64_t *grant, unsigned *wait_ms)
{
	char		 a[4][24];
	const char	*argv[] = { BWCAP_KEY, a[0], a[1], a[2], a[3] };
	redisReply	*rep;
	enum err	 e = ERR_REDIS;

	*grant = 0;
	*wait_ms = 0;
	snprintf(a[0], sizeof(a[0]), "%lld", rate);
	snprintf(a[1], sizeof(a[1]), "%llu", (unsigned long long)burst);
	snprintf(a[2], sizeof(a[2]), "%llu", (unsigned long long)want);
	snprintf(a[3], sizeof(a[3]), "%llu", (unsigned long long)least);
	if ((rep = rconn_script(arg, take_lua, 1, 5, argv)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_INTEGER &&
	    rep->element[1]->type == REDIS_REPLY_INTEGER &&
	    rep->element[0]->integer >= 0 && rep->element[1]->integer >= 0) {
		*grant = (uint64_t)rep->element[0]->integer;
		*wait_ms = (unsigned)(rep->element[1]->integer > WAIT_MAX_MS ?
		    WAIT_MAX_MS : rep->element[1]->integer);
		e = ERR_OK;
	} else
		log_warnx("%s: unexpected reply from the bucket script",
		    __func__);
	freeReplyObject(rep);
	return e;
}
