#ifndef MM_WEBHOOK_H
#define MM_WEBHOOK_H

#include <stddef.h>

#include "err.h"

/*
 * Webhooks: what a notification is, apart from sending it (the runner's
 * notifier child sends, jobs/notify.c).  Everything here is pure but
 * webhook_secret_read, which reads one file.
 *
 * Events.  A webhook event is a task's end (the audit trail's
 * "task.ended") named "<operation>.<outcome>": WH_EV_* below.  A delete
 * whose model was already gone (status not_installed) is a
 * delete.completed: the body's "outcome" keeps the exact status.
 * prune.* are accepted in the configuration for the prune operation to
 * come; nothing emits them yet.
 */

enum wh_event {
	WH_EV_DOWNLOAD_COMPLETED = 0,
	WH_EV_DOWNLOAD_FAILED,
	WH_EV_DOWNLOAD_CANCELLED,
	WH_EV_DELETE_COMPLETED,
	WH_EV_DELETE_FAILED,
	WH_EV_DELETE_CANCELLED,
	WH_EV_PRUNE_COMPLETED,
	WH_EV_PRUNE_FAILED,
	WH_EV_PRUNE_CANCELLED,
	WH_EV__MAX
};

#define WEBHOOK_URL_MAX		2048	/* bytes of a webhook URL */
#define WEBHOOK_SECRET_MAX	4096	/* bytes of a secret file */
#define WEBHOOK_BODY_MAX	8192	/* bytes of a body (an audit event is
					   at most AUDIT_LINE_MAX) */
#define WEBHOOK_ID_LEN		36	/* a delivery id, UUID form */

/* The name of e ("download.completed"), or NULL if e is out of range. */
const char	*webhook_event_str(enum wh_event e);
/* The event named s, or -1. */
int		 webhook_event_parse(const char *s);

/* The webhook event of a task of operation op that ended with status
 * outcome, or -1 when that end is no webhook event. */
int		 webhook_event_of(const char *op, const char *outcome);

/* 0 when url may be a webhook: http:// or https://, a host, no
 * userinfo, no blank or control character, WEBHOOK_URL_MAX bytes at most;
 * else -1 and *why a static reason. */
int		 webhook_url_check(const char *url, const char **why);

/*
 * Reads the secret at path into secret (WEBHOOK_SECRET_MAX bytes), its
 * length in *len, one trailing newline (or CR LF) removed.  The file must
 * be a regular file (not a symlink) with no permission for group or
 * others, and not empty.  ERR_INVAL or ERR_IO with a message naming the
 * path in errbuf (never the content).
 */
enum err	 webhook_secret_read(const char *path, char *secret,
		    size_t *len, char *errbuf, size_t errlen);

/* The lowercase hex HMAC-SHA256 of body[0..n) with key[0..keylen) into
 * out (65 bytes).  Cannot fail. */
void		 webhook_sign(const void *key, size_t keylen, const void *body,
		    size_t n, char out[65]);

/*
 * The delivery id of the stream entry stream_id for the webhook named
 * hook: a UUID (version 8, RFC 9562) made from the SHA-256 of both, so
 * that every retry, and a runner that takes the entry over after another
 * died, sends the same id; two entries or two webhooks never share one.
 * Into out (WEBHOOK_ID_LEN + 1 bytes).  Cannot fail.
 */
void		 webhook_delivery_id(const char *stream_id, const char *hook,
		    char out[WEBHOOK_ID_LEN + 1]);

/*
 * The body for the audit event audit_json (the stream entry's JSON)
 * whose stream id is stream_id: its members with "event" replaced by
 * the webhook event's name, plus "audit_id" (the stream id) and
 * "delivery_id".  malloc'd, for the caller to free; NULL when the event
 * is not a JSON object, on out-of-memory or past WEBHOOK_BODY_MAX.
 */
char		*webhook_body(const char *audit_json, const char *stream_id,
		    enum wh_event ev, const char *delivery_id);

/* The pause before attempt `attempt` + 1 (attempt >= 1 failed so far):
 * base_ms doubled per failed attempt, max_ms at most.  Pure. */
unsigned	 webhook_backoff_ms(unsigned base_ms, unsigned max_ms,
		    unsigned attempt);

#endif
