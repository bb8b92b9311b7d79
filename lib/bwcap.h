#ifndef MM_BWCAP_H
#define MM_BWCAP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "redisconn.h"

/*
 * The bandwidth cap of the deployment: one token bucket in Redis
 * (BWCAP_KEY, a hash {tokens, ts}), refilled at the cap from Redis's own
 * clock (TIME) by one Lua script, and drawn on by every download job of
 * every runner.  A job takes a slice of the bucket (a twentieth of a
 * second at the cap, at least BWCAP_CHUNK bytes) and spends it locally on the
 * bytes its transfers receive; when the bucket cannot give what the next
 * piece needs, the script says how long until it can, and the job's
 * transfers pause until then.  A lone download gets every token, two get
 * what they ask for in turn; the bucket holds at most a tenth of a
 * second at the cap (at least 2 x BWCAP_CHUNK), so a 10-second average
 * exceeds the cap by at most that burst plus a slice per job.
 *
 * Redis away: the job paces itself alone at the cap (a deployment of N
 * runners may then reach N times the cap until Redis is back).
 * Single-threaded use; no allocation.
 */

#define BWCAP_KEY	"model-manager:bw"
#define BWCAP_CHUNK	(128 * 1024)	/* the largest piece libcurl hands */

/*
 * Asks the bucket for want bytes at rate with at most burst held: grants
 * min(want, tokens) when at least least tokens are there, else 0 with
 * *wait_ms until min(want, burst) will be.  ERR_REDIS when it cannot be
 * asked.
 */
typedef enum err bwcap_ask_fn(void *arg, long long rate, uint64_t burst,
		    uint64_t want, uint64_t least, uint64_t *grant,
		    unsigned *wait_ms);

struct bwcap {
	long long	 rate;		/* bytes per second; 0: no cap */
	uint64_t	 have;		/* granted, not spent yet */
	uint64_t	 next_ask;	/* ms (monotonic): not before */
	uint64_t	 since;		/* ms: refused since; 0: not */
	uint64_t	 throttled;	/* ms refused, in all */
	bwcap_ask_fn	*ask;
	void		*arg;
};

/* A cap with no rate, asking the bucket in Redis through r. */
void		 bwcap_init(struct bwcap *b, struct rconn *r);
/* Sets the rate (0: no cap); what was granted stays granted. */
void		 bwcap_set_rate(struct bwcap *b, long long rate);
/* A twentieth of a second at rate, at least BWCAP_CHUNK.  Pure. */
uint64_t	 bwcap_slice(long long rate);
/* A tenth of a second at rate, at least 2 x BWCAP_CHUNK.  Pure. */
uint64_t	 bwcap_burst(long long rate);
/*
 * 1 if len bytes may be written now (they are counted), 0 if they must
 * wait (then bwcap_wait says how long).  now is mono_ms().
 */
int		 bwcap_take(struct bwcap *b, size_t len, uint64_t now);
/* Milliseconds until bwcap_take may say yes; 0: now. */
unsigned	 bwcap_wait(const struct bwcap *b, uint64_t now);
/* Milliseconds bwcap_take said no for, in all, up to now. */
uint64_t	 bwcap_throttled(const struct bwcap *b, uint64_t now);

/* The bucket in Redis: a bwcap_ask_fn whose arg is a struct rconn. */
enum err	 bwcap_ask_redis(void *arg, long long rate, uint64_t burst,
		    uint64_t want, uint64_t least, uint64_t *grant,
		    unsigned *wait_ms);

#endif
