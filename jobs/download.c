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
	STOP_LEASE };

struct dlctx {
	struct job		*job;
	struct progress_meter	 meter;
	double			 last_write;
	enum stop_reason	 stop;
	int			 lease_lost;	/* another process runs it */
	int			 write_failed;	/* last write: Redis away */
	struct hub_progress	 last;
};

static void
fmt_bytes(char *buf, size_t len, uint64_t b)
{
	const char	*unit[] = { "B", "KB", "MB", "GB", "TB" };
	double		 v = (double)b;
	int		 i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

static int	dl_write(struct dlctx *, const struct hub_progress *);

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
	unsigned long long	 others = 0;
	uint64_t		 avail, reserve, need;
	char			 a[32], b[32], c[32], d[32];

	/* The exact total is known now: show it even if refused. */
	dc->last = *p;
	(void)dl_write(dc, p);
	if (statvfs(cfg->hf_hub_cache, &vfs) == -1)
		return 0;	/* the download itself will say what is wrong */
	(void)runq_reserved_by_others(j->redis, j->task_id, &others);
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	reserve = (uint64_t)cfg->disk_reserve_mb * 1024 * 1024;
	need = missing + others + reserve;
	if (need > avail) {
		fmt_bytes(a, sizeof(a), missing);
		fmt_bytes(b, sizeof(b), avail);
		fmt_bytes(c, sizeof(c), others);
		fmt_bytes(d, sizeof(d), reserve);
		snprintf(msg, msglen, "Not enough disk space in %s: needs %s, "
		    "%s free (other downloads still need %s, %s is kept in "
		    "reserve)", cfg->hf_hub_cache, a, b, c, d);
		return -1;
	}
	(void)runq_reserve(j->redis, j->task_id, missing);
	return 0;
}

/* Writes the progress fields; returns the cancel flag (1 too when the
 * lease is lost: nothing is written then).  A failed write (Redis away)
 * is not a reason to stop: the next one may succeed. */
static int
dl_write(struct dlctx *dc, const struct hub_progress *p)
{
	struct job	*j = dc->job;
	char		 v[6][32];
	const char	*f[12];
	double		 speed;
	long long	 eta;
	int		 n = 0, cancel = 0;
	enum err	 e;

	if (job_lease_keep(j) == ERR_CONFLICT) {
		dc->lease_lost = 1;
		return 1;
	}
	speed = progress_speed(&dc->meter);
	/* Before the listing the total is unknown: so is the ETA. */
	eta = p->bytes_total == 0 ? -1 : progress_eta(&dc->meter,
	    p->bytes_total > p->bytes_done ? p->bytes_total - p->bytes_done :
	    0);
	snprintf(v[0], sizeof(v[0]), "%" PRIu64, p->bytes_done);
	snprintf(v[1], sizeof(v[1]), "%" PRIu64, p->bytes_total);
	snprintf(v[2], sizeof(v[2]), "%zu", p->files_done);
	snprintf(v[3], sizeof(v[3]), "%zu", p->files_total);
	snprintf(v[4], sizeof(v[4]), "%.0f", speed);
	snprintf(v[5], sizeof(v[5]), "%lld", eta);
	f[n++] = "bytes_downloaded"; f[n++] = v[0];
	f[n++] = "bytes_total"; f[n++] = v[1];
	f[n++] = "files_done"; f[n++] = v[2];
	f[n++] = "files_total"; f[n++] = v[3];
	f[n++] = "bytes_per_second"; f[n++] = speed >= 0 ? v[4] : "";
	f[n++] = "eta_seconds"; f[n++] = eta >= 0 ? v[5] : "";
	e = ts_task_update(j->redis, j->task_id, j->model_id, j->op, f, n / 2,
	    &cancel);
	if (e == ERR_CONFLICT)
		cancel = 1;	/* ended from outside: stop */
	dc->write_failed = e == ERR_REDIS;
	if (p->bytes_total > 0)
		(void)runq_reserve(j->redis, j->task_id,
		    p->bytes_total > p->bytes_done ?
		    p->bytes_total - p->bytes_done : 0);
	return cancel;
}

static int
dl_progress(void *arg, const struct hub_progress *p)
{
	struct dlctx	*dc = arg;
	struct job	*j = dc->job;
	double		 now = mono_now();
	int		 final = p->files_done == p->files_total;

	progress_add(&dc->meter, now, p->bytes_done - p->bytes_resumed);
	dc->last = *p;
	if (dc->lease_lost)
		return 1;
	if (job_stop && dc->stop == STOP_NONE)
		dc->stop = STOP_TERM;
	if (now - j->started >= j->cfg->download_soft_limit &&
	    dc->stop == STOP_NONE)
		dc->stop = STOP_SOFT_LIMIT;
	if (!final && dc->stop == STOP_NONE && (now - dc->last_write) * 1000 <
	    j->cfg->progress_interval_ms)
		return 0;
	dc->last_write = now;
	if (dl_write(dc, p) && dc->stop == STOP_NONE)
		dc->stop = STOP_CANCEL;
	if (dc->lease_lost)
		dc->stop = STOP_LEASE;
	return dc->stop != STOP_NONE;
}

static void
hub_opts_from(const struct config *cfg, struct hub_opts *o)
{

	memset(o, 0, sizeof(*o));
	o->endpoint = cfg->hf_endpoint;
	o->token = cfg->hf_token;
	o->offline = cfg->hf_offline;
	o->disable_symlinks = cfg->hf_disable_symlinks;
	o->connect_timeout = cfg->connect_timeout;
	o->stall_seconds = cfg->stall_seconds;
	o->parallel_files = cfg->parallel_files;
	o->retry_max = cfg->retry_max;
	o->retry_base_ms = cfg->retry_base_ms;
	o->retry_max_ms = cfg->retry_max_ms;
	o->user_agent = "model-manager/1.0; hf_hub-compatible";
}

/* Ends the task after the transfer stopped on request. */
static int
dl_stopped(struct dlctx *dc)
{
	struct job	*j = dc->job;
	const char	*pending[] = { "status", TS_PENDING,
	    "bytes_per_second", "", "eta_seconds", "" };
	int		 cancel, rc;

	switch (dc->stop) {
	case STOP_LEASE:
		/* Another process took the task over (our lease lapsed during
		 * a Redis outage): it writes the status, not us. */
		log_warnx("task=%s event=download.lease_lost", j->task_id);
		return JOB_EXIT_DONE;
	case STOP_TERM:
		(void)ts_task_update(j->redis, j->task_id, j->model_id, j->op,
		    pending, 3, &cancel);
		log_info("task=%s event=download.interrupted", j->task_id);
		return JOB_EXIT_REQUEUE;
	case STOP_SOFT_LIMIT:
		rc = job_finish(j, TS_FAILED, "Download timed out");
		break;
	default:
		rc = job_finish(j, TS_CANCELLED, NULL);
		log_info("task=%s event=download.cancelled", j->task_id);
		break;
	}
	(void)ts_bump_generation(j->redis, NULL);
	return rc;
}

int
job_download(struct job *j)
{
	struct hub_opts		 opts;
	struct hub_callbacks	 cb;
	struct dlctx		 dc;
	char			 msg[1024], esc[1100];
	enum err		 e;
	double			 deadline;
	useconds_t		 pause;
	int			 rc;

	memset(&dc, 0, sizeof(dc));
	dc.job = j;
	progress_init(&dc.meter, mono_now(), 10);
	hub_opts_from(j->cfg, &opts);
	cb.arg = &dc;
	cb.admit = dl_admit;
	cb.progress = dl_progress;
	*msg = '\0';
	log_info("task=%s model=%s event=download.started endpoint=%s",
	    j->task_id, j->model_id, opts.endpoint);
	e = hub_snapshot_download(&opts, j->cfg->hf_hub_cache, j->model_id,
	    "main", &cb, msg, sizeof(msg));
	(void)runq_reserve(j->redis, j->task_id, 0);
	if (dc.lease_lost)
		dc.stop = STOP_LEASE;
	if ((e == ERR_TIMEOUT && dc.stop != STOP_NONE) ||
	    dc.stop == STOP_LEASE)
		return dl_stopped(&dc);
	if (e != ERR_OK) {
		log_warnx("task=%s event=download.failed error=\"%s\"",
		    j->task_id, log_escape(esc, sizeof(esc), msg));
		rc = job_finish(j, TS_FAILED, *msg ? msg : err_str(e));
		(void)ts_bump_generation(j->redis, NULL);
		return rc;
	}
	dc.last.bytes_done = dc.last.bytes_total;
	dc.last.files_done = dc.last.files_total;
	/* The exact totals, then the status: both wait for Redis a while. */
	deadline = mono_now() + JOB_FINISH_WAIT;
	pause = 100 * 1000;
	while (dl_write(&dc, &dc.last) == 0 && dc.write_failed &&
	    mono_now() < deadline) {
		usleep(pause);
		if (pause < 2000 * 1000)
			pause *= 2;
	}
	if (dc.lease_lost) {
		dc.stop = STOP_LEASE;
		return dl_stopped(&dc);
	}
	rc = job_finish(j, TS_COMPLETED, NULL);
	(void)ts_bump_generation(j->redis, NULL);
	log_info("task=%s model=%s event=download.completed bytes=%" PRIu64,
	    j->task_id, j->model_id, dc.last.bytes_total);
	return rc;
}
