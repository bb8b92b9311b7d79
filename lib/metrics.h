#ifndef MM_METRICS_H
#define MM_METRICS_H

#include <stddef.h>

#include "err.h"
#include "redisconn.h"
#include "sbuf.h"

/*
 * Deployment-wide counters and histograms, kept in one Redis hash
 * (METRICS_KEY) whose fields are the series as the Prometheus text format
 * names them ('mm_http_requests_total{endpoint="list",status="200"}').
 *
 * Batching.  Each process adds its increments to a small fixed table in
 * memory (METRICS_PENDING_MAX series; the label values are bounded sets,
 * so the table cannot overflow in practice: an increment that finds it
 * full is dropped and logged).  The table is sent as ONE command (an
 * EVAL adding every series with one HMGET and one HSET) at most once a
 * second, pipelined in front of a command the process sends anyway
 * (metrics_hook, installed on the connection with rconn_set_hook): no
 * request gains a round trip, and a list request still costs one Redis
 * command, plus three per second per process.  A process that makes no
 * Redis call flushes with metrics_flush: responders after the answer is
 * written (and when multiwatch stops them), the runner at its heartbeat,
 * a job child before it exits.
 *
 * Delivery is at most once: increments handed to a connection that then
 * fails are not sent again (Redis may or may not have applied them), so
 * a Redis outage can lose up to a second of counts, never count twice.
 *
 * Histograms are stored per bucket (not cumulative): an observation adds
 * 1 to its own bucket, to _count and its value to _sum; metrics_format
 * sums the buckets into Prometheus' cumulative "le" series.
 *
 * The pending table is this file's own state, one per process, like
 * log.c's destination (any file may count, down to the Hub client's
 * retries); metrics_forget() empties it in a child after fork().
 * Single-threaded use only.
 */

#define METRICS_KEY		"model-manager:metrics"
#define METRICS_PENDING_MAX	512
#define METRICS_SERIES_MAX	192	/* bytes of one series' name */
#define METRICS_FLUSH_EVERY	1.0	/* seconds between two flushes */
#define METRICS_FIELDS_MAX	20000	/* series read back by a scrape */

/* The counted families; their names, help, type, labels and buckets are
 * metrics.c's table. */
enum metric {
	MET_HTTP_REQUESTS = 0,	/* counter {endpoint, status} */
	MET_HTTP_DURATION,	/* histogram {endpoint, status} */
	MET_OPERATIONS,		/* counter {operation, outcome} */
	MET_DOWNLOADS_STARTED,	/* counter */
	MET_DOWNLOADS_COMPLETED, /* counter */
	MET_DOWNLOADS_FAILED,	/* counter {reason} */
	MET_DOWNLOAD_BYTES,	/* counter: bytes fetched from the hub */
	MET_DOWNLOAD_RETRIES,	/* counter */
	MET_DOWNLOAD_STALLS,	/* counter */
	MET_DOWNLOAD_THROUGHPUT, /* histogram, bytes per second */
	MET_TASKS_ENDED,	/* counter {operation, status} */
	MET_TASK_DURATION,	/* histogram {operation} */
	MET_SCAN_DURATION,	/* histogram */
	MET_AUDIT_EVENTS,	/* counter {event} */
	MET_AUDIT_FAILURES,	/* counter {sink} */
	MET_WEBHOOK_DELIVERED,	/* counter {webhook} (configured names) */
	MET_WEBHOOK_FAILED,	/* counter {webhook}: failed attempts */
	MET_WEBHOOK_GIVEN_UP,	/* counter {webhook} */
	MET_HUB_CHECKS,		/* counter {outcome}: models a check looked
				   up (checked, unknown), skipped or could
				   not reach (error) */
	MET_UPDATE_BYTES,	/* counter: bytes fetched by update jobs */
	MET_UPDATE_FREED_BYTES,	/* counter: bytes of old revisions' blobs
				   removed by update jobs */
	MET_VERIFY_PROBLEMS,	/* counter {kind}: problems verify found */
	MET_REPAIR_FILES,	/* counter: files a repair fetched again */
	MET_PRUNE_FREED,	/* counter {kind}: bytes a prune freed */
	MET__MAX
};

/* Why a download failed: a fixed set, the label of MET_DOWNLOADS_FAILED. */
enum met_reason {
	MR_HUB_ERROR = 0, MR_GATED, MR_NOT_FOUND, MR_INTEGRITY, MR_DISK_FULL,
	MR_PERMISSION, MR_OFFLINE, MR_CANCELLED, MR_TIMEOUT, MR_INTERRUPTED,
	MR_OTHER, MR__MAX
};

/* Turns counting off (metrics_add and metrics_observe then do nothing)
 * or on again; on by default.  Only to measure what counting costs. */
void		 metrics_set_enabled(int on);

/*
 * Adds v to the series of m with label values l1, l2 (NULL for a family
 * with fewer labels; values from bounded sets only, never user input).
 * Can't fail: an increment that does not fit is dropped and logged.
 */
void		 metrics_add(enum metric m, const char *l1, const char *l2,
		    double v);
/* Observes v in the histogram m (bucket, _sum, _count). */
void		 metrics_observe(enum metric m, const char *l1,
		    const char *l2, double v);
/* The index of the bucket of m that v falls in; the number of finite
 * buckets for +Inf.  Pure. */
size_t		 metrics_bucket(enum metric m, double v);

/* The reason label of a download that failed with error text msg (the
 * task's error), or was stopped (cancelled, timed out).  Pure. */
enum met_reason	 metrics_reason(const char *msg);
const char	*metrics_reason_str(enum met_reason r);

/* The hook to give rconn_set_hook: queues the pending increments in
 * front of the command about to be sent, when a second has passed since
 * the last flush (or the table filled up). */
void		 metrics_hook(struct rconn *r, void *arg);
/* Sends the pending increments now (one round trip); ERR_OK when there
 * was nothing to send. */
enum err	 metrics_flush(struct rconn *r);
/* 1 when increments wait; *due (may be NULL) is then the monotonic time
 * at which the next flush is allowed. */
int		 metrics_pending(double *due);
/* Drops the pending increments (a child after fork: they are its
 * parent's). */
void		 metrics_forget(void);

/*
 * What a scrape reads from Redis in one round trip: every counted
 * series, the queue's length, and each live runner (a heartbeat key) with
 * the length of its processing list (its running jobs).
 */
struct met_field {
	char	*name;		/* the series */
	double	 value;
};
struct met_runner {
	char	 id[72];
	long long jobs;
};
#define METRICS_RUNNERS_MAX	256
struct met_snapshot {
	struct met_field	*fields;	/* sorted by name */
	size_t			 nfields;
	long long		 queue_depth;
	struct met_runner	*runners;	/* sorted by id */
	size_t			 nrunners;
};

/* Reads the snapshot; ERR_REDIS when Redis cannot answer, ERR_NOMEM.
 * Free with metrics_snapshot_free (accepts a zeroed snapshot). */
enum err	 metrics_snapshot(struct rconn *r, struct met_snapshot *out);
void		 metrics_snapshot_free(struct met_snapshot *s);

/* The cache as the responder's last scan saw it, for the gauges. */
struct met_cache {
	int		 have_scan;
	unsigned long long total, managed, unmanaged, partial;	/* bytes */
	int		 have_free;
	unsigned long long free_bytes;
};

/*
 * Writes the exposition (text format 0.0.4) of s and c to out: every
 * family with # HELP and # TYPE, counted ones from s (a family nobody
 * counted yet shows 0 when it has no labels), histograms cumulative with
 * +Inf equal to _count, then the gauges.  Fields of s that are no known
 * series are skipped.  out->failed on out-of-memory.
 */
void		 metrics_format(const struct met_snapshot *s,
		    const struct met_cache *c, struct sbuf *out);
/* Writes a gauge family of one unlabelled sample (name, help, v). */
void		 metrics_format_gauge(struct sbuf *out, const char *name,
		    const char *help, double v);

#endif
