#ifndef MM_AUDIT_H
#define MM_AUDIT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "redisconn.h"

/*
 * The audit trail: one JSON object per event, kept in the Redis stream
 * AUDIT_KEY (XADD MAXLEN ~ audit.max_events, one field "event" holding
 * the object) and appended as one line to the audit file of the process
 * that recorded it.
 *
 * Who writes what.  The process where the event happens records it: a
 * responder its requests (before the answer is finished, so an answered
 * request is in the stream), the runner or the job child the task ends it
 * writes.  Each appends its own line to its own audit.file with one
 * O_APPEND write(2) of at most AUDIT_LINE_MAX bytes, so processes sharing
 * the file never interleave; on several hosts each host's file holds its
 * own processes' events, and the stream holds every event of the
 * deployment.  The webhooks' notifier (jobs/notify.c) reads the stream
 * through a consumer group and keeps only "task.ended" events: their id,
 * task_id, model_id, operation, outcome and detail say everything.
 *
 * No token, signed URL or cache content is ever put in an event: the
 * caller passes names, ids, statuses and the texts the API answers.
 */

#define AUDIT_KEY	"model-manager:audit"
#define AUDIT_LINE_MAX	4096	/* one event, JSON, newline included */
#define AUDIT_LIMIT_MAX	1000	/* events per page of audit_list */
#define AUDIT_SCAN_MAX	10000	/* entries one audit_list reads at most */
#define AUDIT_ID_MAX	48	/* a stream id "<ms>-<seq>" */

struct audit_event {
	const char	*event;		/* "download.requested", ... */
	const char	*user;		/* NULL: none (a task's end) */
	const char	*auth;		/* "jwt", "api_key" or NULL */
	const char	*client;	/* the client address or NULL */
	const char	*model_id;
	const char	*task_id;
	const char	*operation;	/* "download", "delete" or NULL */
	const char	*outcome;	/* task status or refusal kind */
	int		 http_status;	/* 0: none (a task's end) */
	const char	*detail;	/* the answer's detail, the task error */
	int		 confirm;	/* a delete's confirm; -1: not one */
	const cJSON	*warnings;	/* acknowledged or refused; NULL: none */
	const cJSON	*change;	/* {old, new} of a setting; NULL: none */
	const char	*cid;		/* correlation id or NULL */
	double		 duration;	/* seconds (a task's end); < 0: none */
};

/* Where a process appends its events; fd -1 when it has no file. */
struct audit_sink {
	int		 fd;
	unsigned	 max_events;
};

/* Opens path (NULL or "": none) for appending, mode 0640; a failure is
 * logged and leaves the sink without a file. */
void		 audit_open(struct audit_sink *s, const char *path,
		    unsigned max_events);
void		 audit_close(struct audit_sink *s);

/*
 * The event as one JSON object: "id" first when id is not NULL, "time"
 * (t as UTC ISO 8601 with milliseconds), then every member the event
 * has, members absent when NULL/-1/0.  Strings are cut and any invalid
 * UTF-8 replaced so that the text stays under AUDIT_LINE_MAX (detail and
 * warnings go, "truncated": true, when even that is not enough).
 * malloc'd, NULL on out-of-memory.
 */
char		*audit_json(const struct audit_event *e, double t,
		    const char *id);

/*
 * Records e now: XADD to the stream, then its line (with the stream id,
 * or "id": null when Redis failed) to the sink's file.  ERR_REDIS when
 * the stream could not take it (the file still does).  Counted in the
 * metrics (events, and failures by sink).
 */
enum err	 audit_record(struct rconn *r, struct audit_sink *s,
		    const struct audit_event *e);

/* 0 if s is a stream id ("<ms>" or "<ms>-<seq>", decimal, 20 digits at
 * most each), else -1.  Pure. */
int		 audit_id_valid(const char *s);

struct audit_query {
	unsigned	 limit;		/* 1..AUDIT_LIMIT_MAX */
	const char	*before;	/* a valid id, exclusive; NULL: newest */
	const char	*model_id;	/* filters; NULL: any */
	const char	*user;
};

/*
 * Newest first, the events before q->before matching the filters, at
 * most q->limit, reading at most AUDIT_SCAN_MAX entries.  *events is a
 * new cJSON array (each event with its "id") for the caller to delete;
 * next (AUDIT_ID_MAX bytes) is where the next page starts, "" when the
 * stream has nothing older.  ERR_REDIS, ERR_NOMEM.
 */
enum err	 audit_list(struct rconn *r, const struct audit_query *q,
		    cJSON **events, char *next);

#endif
