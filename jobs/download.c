/*
 * The download job: the whole repo at main through the Hub snapshot
 * protocol into the shared cache, with exact progress written to the task
 * hash a few times a second, cancel and time limits checked at every
 * write, and disk admission before the first byte.
 */
#include <sys/statvfs.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "hub.h"
#include "log.h"
#include "progress.h"

enum stop_reason { STOP_NONE, STOP_CANCEL, STOP_TERM, STOP_SOFT_LIMIT,
	STOP_LEASE, STOP_WINDOW };

struct dlctx {
	struct job		*job;
	struct dlpolicy		 pw;		/* cap, window, limits */
	struct progress_meter	 meter;
	double			 last_write;
	enum stop_reason	 stop;
	int			 lease_lost;	/* another runs it */
	int			 write_failed;	/* Redis was away */
	struct hub_progress	 last;
};

/* The bytes of p still to fetch. */
static uint64_t
dl_remaining(const struct hub_progress *p)
{

	return p->bytes_total > p->bytes_done ? p->bytes_total - p->bytes_done :
	    0;
}

/* The progress fields of the task hash, as ts_task_update takes them;
 * "" is none. */
#define DF_LEN	32
enum dl_field { DF_BYTES, DF_TOTAL, DF_FILES_DONE, DF_FILES_TOTAL, DF_SPEED,
	DF_ETA, DF_ATTEMPT, DF_ATTEMPT_MAX, DF_LAST_ERROR, DF_CONNECTIONS,
	DF_SOURCE, DF__MAX };
struct dl_fields {
	char		 v[DF__MAX][DF_LEN];
	const char	*f[2 * DF__MAX + 2];	/* + the policy's */
};

static const char *const dl_names[DF__MAX] = { "bytes_downloaded",
	"bytes_total", "files_done", "files_total", "bytes_per_second",
	"eta_seconds", "attempt", "attempt_max", "last_error", "connections",
	"source" };

/* Formats p and the meter's speed and ETA ("" when unknown) into df. */
static void
dl_fields(struct dl_fields *df, const struct progress_meter *m,
    const struct hub_progress *p)
{
	double		 speed = progress_speed(m);
	long long	 eta;
	size_t		 i;

	/* Before the listing the total is unknown: so is the ETA. */
	eta = p->bytes_total == 0 ? -1 : progress_eta(m, dl_remaining(p));
	snprintf(df->v[DF_BYTES], DF_LEN, "%" PRIu64, p->bytes_done);
	snprintf(df->v[DF_TOTAL], DF_LEN, "%" PRIu64, p->bytes_total);
	snprintf(df->v[DF_FILES_DONE], DF_LEN, "%zu", p->files_done);
	snprintf(df->v[DF_FILES_TOTAL], DF_LEN, "%zu", p->files_total);
	snprintf(df->v[DF_SPEED], DF_LEN, "%.0f", speed);
	snprintf(df->v[DF_ETA], DF_LEN, "%lld", eta);
	snprintf(df->v[DF_ATTEMPT], DF_LEN, "%u", p->attempt);
	snprintf(df->v[DF_ATTEMPT_MAX], DF_LEN, "%u", p->attempt_max);
	snprintf(df->v[DF_CONNECTIONS], DF_LEN, "%u", p->connections);
	for (i = 0; i < DF__MAX; i++) {
		df->f[2 * i] = dl_names[i];
		df->f[2 * i + 1] = df->v[i];
	}
	df->f[2 * DF_LAST_ERROR + 1] = p->last_error;
	df->f[2 * DF_SOURCE + 1] = p->source;
	if (speed < 0)
		df->f[2 * DF_SPEED + 1] = "";
	if (eta < 0)
		df->f[2 * DF_ETA + 1] = "";
	if (p->attempt == 0)
		df->f[2 * DF_ATTEMPT + 1] = df->f[2 * DF_ATTEMPT_MAX + 1] = "";
}

/* Writes the progress fields; returns the cancel flag (1 too when the
 * lease is lost: nothing is written then).  A failed write (Redis away)
 * is not a reason to stop: the next one may succeed. */
static int
dl_write(struct dlctx *dc, const struct hub_progress *p)
{
	struct job		*j = dc->job;
	struct dl_fields	 df;
	int			 cancel = 0, n;
	enum err		 e;

	if (job_lease_keep(j) == ERR_CONFLICT) {
		dc->lease_lost = 1;
		return 1;
	}
	dl_fields(&df, &dc->meter, p);
	n = DF__MAX + dlpol_fields(&dc->pw, df.f + 2 * DF__MAX);
	e = ts_task_update(j->redis, j->task_id, j->model_id, j->op, df.f, n,
	    &cancel);
	if (e == ERR_CONFLICT)
		cancel = 1;	/* ended from outside: stop */
	dc->write_failed = e == ERR_REDIS;
	if (p->bytes_total > 0)
		(void)runq_reserve(j->redis, j->task_id, dl_remaining(p));
	return cancel;
}

/* What disk admission weighs, in bytes. */
struct admission {
	uint64_t	 missing;	/* still to fetch for this download */
	uint64_t	 avail;		/* free space of the cache */
	uint64_t	 others;	/* still needed by other downloads */
	uint64_t	 reserve;	/* kept free by the configuration */
};

/* Says in msg why the download does not fit in the cache's file system. */
static void
admission_refused(const struct admission *a, const char *cache, char *msg,
    size_t msglen)
{
	char	 m[32], f[32], o[32], r[32];

	progress_fmt_bytes(m, sizeof(m), a->missing);
	progress_fmt_bytes(f, sizeof(f), a->avail);
	progress_fmt_bytes(o, sizeof(o), a->others);
	progress_fmt_bytes(r, sizeof(r), a->reserve);
	snprintf(msg, msglen, "Not enough disk space in %s: needs %s, %s free "
	    "(other downloads still need %s, %s is kept in reserve)", cache,
	    m, f, o, r);
}

/*
 * Disk admission: the bytes still to fetch, plus what the other running
 * downloads still need (their reservations in Redis), must fit in the free
 * space of the cache's file system minus the configured reserve.  An
 * admitted download reserves its own remaining bytes.
 */
static int
dl_admit(void *arg, const struct hub_progress *p, uint64_t missing,
    char *msg, size_t msglen)
{
	struct dlctx		*dc = arg;
	struct job		*j = dc->job;
	const struct config	*cfg = j->cfg;
	struct statvfs		 vfs;
	struct admission	 a;
	unsigned long long	 others = 0;

	/* The exact total is known now: show it even if refused. */
	dc->last = *p;
	(void)dl_write(dc, p);
	if (statvfs(cfg->hf_hub_cache, &vfs) == -1)
		return 0;	/* the download will say what is wrong */
	(void)runq_reserved_by_others(j->redis, j->task_id, &others);
	a.missing = missing;
	a.avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	a.others = others;
	a.reserve = (uint64_t)cfg->disk_reserve_mb * 1024 * 1024;
	if (a.missing + a.others + a.reserve > a.avail) {
		admission_refused(&a, cfg->hf_hub_cache, msg, msglen);
		return -1;
	}
	(void)runq_reserve(j->redis, j->task_id, missing);
	return 0;
}

/* Notes why the transfer must stop, if it must now: SIGTERM, the end of
 * the download window, or the soft time limit (a cancel is seen when
 * progress is written). */
static void
dl_check_stop(struct dlctx *dc, double now)
{
	struct job	*j = dc->job;

	if (dc->stop != STOP_NONE)
		return;
	if (*j->stop)
		dc->stop = STOP_TERM;
	else if (dlpol_tick(&dc->pw, now, dc->last.bytes_total))
		dc->stop = STOP_WINDOW;
	else if (dlpol_timed_out(&dc->pw, now))
		dc->stop = STOP_SOFT_LIMIT;
}

/* The cap's hook, for every transfer of the download. */
static int
dl_bw_take(void *arg, size_t len)
{
	struct dlctx	*dc = arg;

	return dlpol_take(&dc->pw, len);
}

static unsigned
dl_bw_wait(void *arg)
{
	struct dlctx	*dc = arg;

	return dlpol_wait(&dc->pw);
}

/* 1 if the retry state of p is not the one of the last progress call
 * (which was written: a change is written at once). */
static int
dl_retry_moved(const struct dlctx *dc, const struct hub_progress *p)
{

	return p->attempt != dc->last.attempt ||
	    strcmp(p->last_error, dc->last.last_error) != 0;
}

/* The hub's progress callback: the meter, stop reasons, and a write at
 * most every progress_interval_ms (and at the end, to stop, or when a
 * retry starts or ends). */
static int
dl_progress(void *arg, const struct hub_progress *p)
{
	struct dlctx	*dc = arg;
	struct job	*j = dc->job;
	double		 now = mono_now();
	int		 now_too = p->files_done == p->files_total ||
			    dl_retry_moved(dc, p);

	progress_add(&dc->meter, now, p->bytes_done - p->bytes_resumed);
	j->fetched = p->bytes_done - p->bytes_resumed;	/* metrics */
	dc->last = *p;
	if (dc->lease_lost)
		return 1;
	dl_check_stop(dc, now);
	if (!now_too && dc->stop == STOP_NONE && (now - dc->last_write) *
	    1000 < j->cfg->progress_interval_ms)
		return 0;
	dc->last_write = now;
	if (dl_write(dc, p) && dc->stop == STOP_NONE)
		dc->stop = STOP_CANCEL;
	if (dc->lease_lost)
		dc->stop = STOP_LEASE;
	return dc->stop != STOP_NONE;
}

/* Ends the task after the transfer stopped on request. */
static int
dl_stopped(struct dlctx *dc)
{
	static const enum job_stop	 why[] = {
		[STOP_NONE] = JOB_STOP_CANCEL, [STOP_CANCEL] = JOB_STOP_CANCEL,
		[STOP_TERM] = JOB_STOP_TERM, [STOP_SOFT_LIMIT] = JOB_STOP_LIMIT,
		[STOP_LEASE] = JOB_STOP_LEASE, [STOP_WINDOW] = JOB_STOP_CANCEL };

	if (dc->stop == STOP_WINDOW)
		return dlpol_park(&dc->pw);
	return job_stopped(dc->job, why[dc->stop], "Download timed out");
}

/* Runs the transfer: ERR_OK, or why it stopped (a message in msg). */
static enum err
dl_fetch(struct dlctx *dc, char *msg, size_t msglen)
{
	struct job		*j = dc->job;
	struct hub_opts		 opts;
	struct hub_callbacks	 cb;
	enum err		 e;

	job_hub_opts(j->cfg, &opts);
	memset(&cb, 0, sizeof(cb));
	cb.arg = dc;
	cb.admit = dl_admit;
	cb.progress = dl_progress;
	cb.bw_take = dl_bw_take;
	cb.bw_wait = dl_bw_wait;
	*msg = '\0';
	log_info("task=%s model=%s event=download.started endpoint=%s",
	    j->task_id, j->model_id, opts.endpoint);
	opts.refetch = j->refetch;
	opts.nrefetch = j->nrefetch;
	e = hub_snapshot_download(&opts, j->cfg->hf_hub_cache, j->model_id,
	    j->revision != NULL ? j->revision : "main", &cb, msg, msglen);
	(void)runq_reserve(j->redis, j->task_id, 0);
	return e;
}

/* Ends the task after the transfer failed with e and msg. */
static int
dl_failed(struct dlctx *dc, enum err e, const char *msg)
{
	struct job	*j = dc->job;
	char		 esc[1100];

	log_warnx("task=%s event=download.failed error=\"%s\"", j->task_id,
	    log_escape(esc, sizeof(esc), msg));
	return job_end(j, TS_FAILED, *msg ? msg : err_str(e));
}

/* Ends the task after the whole repo landed: the exact totals, then the
 * status, both waiting for Redis a while. */
static int
dl_completed(struct dlctx *dc)
{
	struct job	*j = dc->job;
	struct job_wait	 w;
	int		 rc;

	dc->last.bytes_done = dc->last.bytes_total;
	dc->last.files_done = dc->last.files_total;
	job_wait_start(&w, JOB_FINISH_WAIT);
	while (dl_write(dc, &dc->last) == 0 && dc->write_failed &&
	    job_wait(&w))
		;
	if (dc->lease_lost) {
		dc->stop = STOP_LEASE;
		return dl_stopped(dc);
	}
	if (j->published != NULL)
		j->published(j, &dc->last);
	rc = job_end(j, TS_COMPLETED, NULL);
	log_info("task=%s model=%s event=download.completed bytes=%" PRIu64,
	    j->task_id, j->model_id, dc->last.bytes_total);
	return rc;
}

/* Sets dc up for a transfer of job j. */
static void
dl_init(struct dlctx *dc, struct job *j)
{

	memset(dc, 0, sizeof(*dc));
	dc->job = j;
	dlpol_init(&dc->pw, j);
	progress_init(&dc->meter, mono_now(), 10);
}

/* The transfer and how it ended: 0 complete, -1 failed (e, msg), 1
 * stopped on request (the task ended: *rc is the exit status). */
static int
dl_transfer(struct dlctx *dc, char *msg, size_t msglen, enum err *e,
    int *rc)
{

	*e = dl_fetch(dc, msg, msglen);
	if (dc->lease_lost)
		dc->stop = STOP_LEASE;
	if ((*e == ERR_TIMEOUT && dc->stop != STOP_NONE) ||
	    dc->stop == STOP_LEASE) {
		*rc = dl_stopped(dc);
		return 1;
	}
	return *e != ERR_OK ? -1 : 0;
}

int
job_download(struct job *j)
{
	struct dlctx	 dc;
	char		 msg[1024];
	enum err	 e;
	int		 rc;

	dl_init(&dc, j);
	switch (dl_transfer(&dc, msg, sizeof(msg), &e, &rc)) {
	case 1:
		return rc;
	case -1:
		return dl_failed(&dc, e, msg);
	default:
		return dl_completed(&dc);
	}
}

int
job_fetch(struct job *j, char *msg, size_t msglen, int *rc)
{
	struct dlctx	 dc;
	enum err	 e;
	int		 k;

	dl_init(&dc, j);
	if ((k = dl_transfer(&dc, msg, msglen, &e, rc)) == -1 &&
	    *msg == '\0')
		snprintf(msg, msglen, "%s", err_str(e));
	return k;
}
