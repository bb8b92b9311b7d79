#ifndef MM_POLICY_H
#define MM_POLICY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "redisconn.h"
#include "yamldoc.h"

/*
 * The download policy of the deployment (DESIGN.md, second wave): a
 * bandwidth cap shared by every download of every runner, download
 * windows in a time zone, and whether a running download pauses outside
 * them.  Its truth is the JSON text at POLICY_KEY in Redis, seeded from
 * the `policy:` section of conf/mm.yaml (config.h) when Redis has none;
 * every process reads it from there (window.h does the time maths,
 * bwcap.h the cap).
 */

#define POLICY_KEY		"model-manager:policy"
#define POLICY_WINDOWS_MAX	16
#define POLICY_TZ_MAX		64
#define POLICY_RATE_MIN		65536LL		/* bytes per second */
#define POLICY_RATE_MAX		1000000000000LL	/* 1 TB/s */
#define POLICY_TEXT_MAX		4096		/* the stored JSON text */
#define POLICY_TIME_PATTERN	"^([01][0-9]|2[0-3]):[0-5][0-9]$"

/* A window, in minutes of the day in the policy's zone; start != end, and
 * end < start runs overnight. */
struct policy_window {
	unsigned	 start;
	unsigned	 end;
};

struct policy {
	long long		 max_bps;	/* 0: no cap (JSON null) */
	struct policy_window	 windows[POLICY_WINDOWS_MAX];
	size_t			 nwindows;	/* 0: any time */
	char			 tz[POLICY_TZ_MAX + 1];
	int			 pause_outside;
};

/* No cap, any time, UTC, no pause.  Can't fail. */
void		 policy_default(struct policy *p);

/* "HH:MM" (00:00-23:59, two digits each) into minutes of the day; 0, or
 * -1 if s is not such a time.  Pure. */
int		 policy_time_parse(const char *s, unsigned *minutes);
/* Writes "HH:MM" (6 bytes with the NUL). */
void		 policy_time_fmt(unsigned minutes, char buf[6]);

/*
 * 1 if name is a time zone of the system's tz database: an IANA-style
 * name ([A-Za-z0-9/_+-], POLICY_TZ_MAX bytes at most, no "..", no
 * leading '/', not "right/..." whose clocks count leap seconds) naming a
 * TZif file under the zoneinfo directory ($TZDIR, else
 * /usr/share/zoneinfo).  Checked on the file, because glibc silently
 * takes an unknown zone for UTC.
 */
int		 policy_tz_valid(const char *name);

/*
 * A validation failure of policy_from_json, where FastAPI would place it:
 * field (NULL: the body itself), index (the window, -1: none), sub (a
 * window's member, NULL: none); type and msg are pydantic's; input is the
 * offending value (borrowed; NULL: JSON null).
 */
typedef void	 policy_err_fn(void *arg, const char *field, int index,
		    const char *sub, const char *type, const char *msg,
		    const cJSON *input);

/*
 * Reads a PUT body, a JSON object with exactly the four fields
 * max_bytes_per_second (null or an integer in [POLICY_RATE_MIN,
 * POLICY_RATE_MAX]), windows (at most POLICY_WINDOWS_MAX of {start, end},
 * "HH:MM" each, start != end), timezone (policy_tz_valid) and
 * pause_outside_window (a boolean as pydantic reads one).  Duplicate keys:
 * the last wins.  Returns 0 with *out filled, or -1 after calling err
 * once per failure (err may be NULL).
 */
int		 policy_from_json(const cJSON *body, struct policy *out,
		    policy_err_fn *err, void *arg);
/* The policy as that JSON object; NULL on out-of-memory. */
cJSON		*policy_to_json(const struct policy *p);
/* The same as compact text, malloc'd; NULL on out-of-memory. */
char		*policy_print(const struct policy *p);

/*
 * One key of the `policy:` section of the YAML configuration (the same
 * four names and rules; the cap's null is YAML's null) into p; m names the
 * file for messages.  ERR_INVAL with the message in m; ERR_NOTFOUND for
 * a key that is not one of the four (the caller says "unknown key").
 */
enum err	 policy_yaml_key(struct policy *p, const char *key,
		    const struct yamldoc_node *v, const struct yamldoc_msg *m);

/*
 * The policy in Redis into *out.  When Redis has none (or something that
 * is not a valid policy, logged), seed is stored there with SET NX and
 * used (or whatever another process stored first).  ERR_REDIS when Redis
 * cannot answer (*out is then seed).
 */
enum err	 policy_load(struct rconn *r, const struct policy *seed,
		    struct policy *out);
/* Stores p; *old (may be NULL) gets the policy it replaced, or seed when
 * there was none.  ERR_REDIS, ERR_NOMEM. */
enum err	 policy_store(struct rconn *r, const struct policy *p,
		    const struct policy *seed, struct policy *old);

/*
 * A download's time limit under a cap: at least twice the time its size
 * takes at the cap (limit itself when cap is 0).  Pure.
 */
unsigned long long policy_time_limit(unsigned long long limit,
		    unsigned long long size, long long cap);

#endif
