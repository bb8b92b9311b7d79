/*
 * The verify job: every file of the model's revisions checked against
 * its blob name (hfverify.h), each distinct blob hashed once, with
 * progress (bytes_downloaded counts the bytes checked, files_done the
 * files), cancel, SIGTERM and the download's time limits, at most at
 * jobs.verify_max_mb_per_second; the findings are stored (findings.h)
 * and are the task's result.  The cache is never changed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include "dirat.h"
#include "extern.h"
#include "findings.h"
#include "hfverify.h"
#include "hubname.h"
#include "log.h"
#include "metrics.h"
#include "progress.h"

#define VERIFY_BUF	(1024 * 1024)	/* bytes read at once */
#define PROBLEMS_MAX	1000		/* problems listed */
#define PROBLEMS_BYTES	(256 * 1024)	/* their paths, about */
#define NONE		((size_t)-1)

struct vctx {
	struct job		*j;
	struct hfv_plan		 plan;
	struct progress_meter	 meter;
	uint64_t		 done;		/* bytes hashed */
	size_t			 files_done;
	size_t			*blob_files;	/* files per blob */
	double			 started, last_write;
	enum job_stop		 stop;
};

/* ---------------------------------------------------------------------
 * Progress
 */

/* Writes the progress; 1 when the job must stop (vc->stop says why). */
static int
v_write(struct vctx *vc)
{
	char		 v[6][32];
	const char	*f[12] = { "bytes_downloaded", v[0], "bytes_total",
	    v[1], "files_done", v[2], "files_total", v[3],
	    "bytes_per_second", v[4], "eta_seconds", v[5] };
	double		 speed = progress_speed(&vc->meter);
	long long	 eta = progress_eta(&vc->meter, vc->plan.bytes -
			    vc->done);

	snprintf(v[0], sizeof(v[0]), "%" PRIu64, vc->done);
	snprintf(v[1], sizeof(v[1]), "%" PRIu64, vc->plan.bytes);
	snprintf(v[2], sizeof(v[2]), "%zu", vc->files_done);
	snprintf(v[3], sizeof(v[3]), "%zu", vc->plan.nfiles);
	snprintf(v[4], sizeof(v[4]), "%.0f", speed);
	snprintf(v[5], sizeof(v[5]), "%lld", eta);
	if (speed < 0)
		f[9] = "";
	if (eta < 0)
		f[11] = "";
	return job_progress(vc->j, f, 6, &vc->stop);
}

/* Sleeps as long as it takes to stay at jobs.verify_max_mb_per_second. */
static void
v_pace(struct vctx *vc, double now)
{
	unsigned	 mbps = vc->j->cfg->verify_max_mb_per_second;
	double		 ahead;

	if (mbps == 0)
		return;
	ahead = (double)vc->done / ((double)mbps * 1048576.0) -
	    (now - vc->started);
	if (ahead > 0)
		usleep((useconds_t)(ahead * 1e6));
}

/* hfverify_blob's tick: n more bytes hashed. */
static int
v_tick(void *arg, uint64_t n)
{
	struct vctx	*vc = arg;
	struct job	*j = vc->j;
	double		 now = mono_now();

	vc->done += n;
	v_pace(vc, now);
	now = mono_now();
	progress_add(&vc->meter, now, vc->done);
	if (*j->stop)
		vc->stop = JOB_STOP_TERM;
	else if (now - j->started >= j->cfg->download_soft_limit)
		vc->stop = JOB_STOP_LIMIT;
	if (vc->stop != JOB_STOP_NONE)
		return 1;
	if ((now - vc->last_write) * 1000 < j->cfg->progress_interval_ms)
		return 0;
	vc->last_write = now;
	return v_write(vc);
}

/* ---------------------------------------------------------------------
 * The findings
 */

/* A name read from the cache as a JSON value: a blob name (40 or 64
 * lowercase hex digits) as it is, anything else null (a link's text is
 * never quoted). */
static cJSON *
oid_json(const char *s)
{

	return s != NULL && hubname_is_oid(s) == 0 ? cJSON_CreateString(s) :
	    cJSON_CreateNull();
}

/* One problem: path, revision, kind, expected, actual, blob. */
static cJSON *
problem_json(const struct hfv_plan *p, const struct hfv_file *f)
{
	const struct hfv_blob	*b = f->bi != NONE ? &p->blobs[f->bi] : NULL;
	cJSON			*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "path", f->path);
	cJSON_AddStringToObject(o, "revision", f->rev);
	cJSON_AddStringToObject(o, "kind", hfverify_kind_str(f->state));
	if (f->state == HFV_WRONG_SIZE && b != NULL) {
		cJSON_AddNumberToObject(o, "expected",
		    (double)f->expected_size);
		cJSON_AddNumberToObject(o, "actual", (double)b->size);
	} else if (f->state == HFV_BROKEN_LINK) {
		cJSON_AddItemToObject(o, "expected", oid_json(f->expected));
		cJSON_AddItemToObject(o, "actual", oid_json(f->blob));
	} else {
		cJSON_AddItemToObject(o, "expected", oid_json(f->blob));
		cJSON_AddItemToObject(o, "actual", oid_json(f->state ==
		    HFV_CORRUPT && b != NULL ? b->actual : NULL));
	}
	cJSON_AddItemToObject(o, "blob", oid_json(f->blob));
	return o;
}

static int
is_problem(enum hfv_kind k)
{

	return k != HFV_OK && k != HFV_UNCHECKED;
}

/* The problems (the first PROBLEMS_MAX, about PROBLEMS_BYTES of paths),
 * counted by kind in the metrics; *n is their number. */
static cJSON *
problems_json(const struct hfv_plan *p, size_t *n, size_t *unchecked)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i, listed = 0, bytes = 0;

	*n = *unchecked = 0;
	for (i = 0; i < p->nfiles; i++) {
		if (p->files[i].state == HFV_UNCHECKED)
			(*unchecked)++;
		if (!is_problem(p->files[i].state))
			continue;
		(*n)++;
		metrics_add(MET_VERIFY_PROBLEMS,
		    hfverify_kind_str(p->files[i].state), NULL, 1);
		bytes += strlen(p->files[i].path) + 200;
		if (listed >= PROBLEMS_MAX || bytes > PROBLEMS_BYTES)
			continue;
		cJSON_AddItemToArray(a, problem_json(p, &p->files[i]));
		listed++;
	}
	return a;
}

/* The findings of the verify vc, as its result and as stored. */
static cJSON *
v_findings(struct vctx *vc, struct findings_status *fs)
{
	const struct hfv_plan	*p = &vc->plan;
	size_t			 n, unchecked, i;
	cJSON			*o = cJSON_CreateObject(), *revs, *probs;

	probs = problems_json(p, &n, &unchecked);
	fs->ok = n == 0;
	fs->problems = n;
	fs->checked_at = (long long)time(NULL);
	snprintf(fs->task_id, sizeof(fs->task_id), "%s", vc->j->task_id);
	cJSON_AddStringToObject(o, "model_id", vc->j->model_id);
	cJSON_AddStringToObject(o, "status", n == 0 ? "ok" : "problems");
	cJSON_AddNumberToObject(o, "checked_at", (double)fs->checked_at);
	cJSON_AddStringToObject(o, "task_id", vc->j->task_id);
	cJSON_AddStringToObject(o, "source", ts_op_str(vc->j->op));
	revs = cJSON_AddArrayToObject(o, "revisions");
	for (i = 0; i < p->nrevs; i++)
		cJSON_AddItemToArray(revs, cJSON_CreateString(p->revs[i]));
	cJSON_AddNumberToObject(o, "files_checked",
	    (double)(p->nfiles - unchecked));
	cJSON_AddNumberToObject(o, "files_unchecked", (double)unchecked);
	cJSON_AddNumberToObject(o, "bytes_checked", (double)vc->done);
	cJSON_AddBoolToObject(o, "sizes_checked", p->sizes_known);
	cJSON_AddNumberToObject(o, "problems_total", (double)n);
	cJSON_AddBoolToObject(o, "problems_truncated",
	    (size_t)cJSON_GetArraySize(probs) < n);
	cJSON_AddItemToObject(o, "problems", probs);
	return o;
}

/* ---------------------------------------------------------------------
 * The run
 */

/* Files per blob, and the files done before any hashing (those with
 * nothing to hash). */
static int
v_count(struct vctx *vc)
{
	const struct hfv_plan	*p = &vc->plan;
	size_t			 i, bi;

	if ((vc->blob_files = calloc(p->nblobs + 1,
	    sizeof(*vc->blob_files))) == NULL)
		return -1;
	for (i = 0; i < p->nfiles; i++) {
		bi = p->files[i].bi;
		if (bi != NONE && p->files[i].state == HFV_OK &&
		    p->blobs[bi].hash)
			vc->blob_files[bi]++;
		else
			vc->files_done++;
	}
	return 0;
}

/* Hashes every blob to hash: 0, 1 stopped (vc->stop), -1 failed (msg). */
static int
v_hash(struct vctx *vc, int blobsfd, char *msg, size_t msglen)
{
	struct hfv_plan	*p = &vc->plan;
	void		*buf;
	size_t		 i;
	enum err	 e = ERR_OK;

	if ((buf = malloc(VERIFY_BUF)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	for (i = 0; e == ERR_OK && i < p->nblobs; i++) {
		if (!p->blobs[i].hash)
			continue;
		e = hfverify_blob(blobsfd, &p->blobs[i], buf, VERIFY_BUF,
		    v_tick, vc);
		vc->files_done += vc->blob_files[i];
	}
	free(buf);
	if (e == ERR_TIMEOUT)
		return 1;
	if (e != ERR_OK) {
		snprintf(msg, msglen, "Cannot read blob %s of %s: %s",
		    p->blobs[i - 1].name, vc->j->model_id, err_str(e));
		return -1;
	}
	return v_write(vc) == 1 ? 1 : 0;
}

/* Plans and hashes the repo; 2 when it is not in the cache. */
static int
v_run(struct vctx *vc, char *msg, size_t msglen)
{
	char		 folder[512];
	int		 cfd, repofd, blobsfd, rc;
	enum err	 e;

	if (hubname_repo_folder("model", vc->j->model_id, folder,
	    sizeof(folder)) == -1 || (cfd = open(vc->j->cfg->hf_hub_cache,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 2;
	if ((e = hfverify_plan(cfd, folder, &vc->plan)) != ERR_OK) {
		close(cfd);
		snprintf(msg, msglen, "Cannot list the files of %s: %s",
		    vc->j->model_id, err_str(e));
		return e == ERR_NOTFOUND || e == ERR_INVAL ? 2 : -1;
	}
	repofd = dirat_fd(cfd, folder);
	blobsfd = dirat_fd(repofd, "blobs");
	if (repofd != -1)
		close(repofd);
	close(cfd);
	if (v_count(vc) == -1 || v_write(vc) == 1)
		rc = vc->stop != JOB_STOP_NONE ? 1 : -1;
	else
		rc = v_hash(vc, blobsfd, msg, msglen);
	if (blobsfd != -1)
		close(blobsfd);
	return rc;
}

int
job_verify_run(struct job *j, cJSON **findings, char *msg, size_t msglen,
    int *rc)
{
	struct findings_status	 fs;
	struct vctx		 vc;
	char			*text;
	int			 k;

	*findings = NULL;
	*msg = '\0';
	memset(&vc, 0, sizeof(vc));
	vc.j = j;
	vc.started = mono_now();
	progress_init(&vc.meter, vc.started, 10);
	if ((k = v_run(&vc, msg, msglen)) == 1)
		*rc = job_stopped(j, vc.stop, "Verify timed out");
	if (k == 0) {
		hfverify_settle(&vc.plan);
		*findings = v_findings(&vc, &fs);
		text = *findings != NULL ? cJSON_PrintUnformatted(*findings) :
		    NULL;
		if (text == NULL || findings_store(j->redis, j->model_id, text,
		    &fs) != ERR_OK)
			log_warnx("task=%s model=%s event=verify.unstored",
			    j->task_id, j->model_id);
		free(text);
	}
	hfverify_free(&vc.plan);
	free(vc.blob_files);
	return k;
}

int
job_verify(struct job *j)
{
	cJSON	*findings;
	char	 msg[512];
	int	 rc = JOB_EXIT_DONE;

	switch (job_verify_run(j, &findings, msg, sizeof(msg), &rc)) {
	case 1:
		return rc;
	case 2:
		return job_finish(j, TS_NOT_INSTALLED, NULL);
	case -1:
		log_warnx("task=%s event=verify.failed error=\"%s\"",
		    j->task_id, msg);
		return job_finish(j, TS_FAILED, msg);
	}
	if (findings == NULL)
		return job_finish(j, TS_FAILED, "out of memory");
	j->result = cJSON_PrintUnformatted(findings);
	log_info("task=%s model=%s event=verify.completed problems=%d",
	    j->task_id, j->model_id, cJSON_GetObjectItemCaseSensitive(findings,
	    "problems_total")->valueint);
	cJSON_Delete(findings);
	return job_finish(j, TS_COMPLETED, NULL);
}
