/*
 * The repair job: fetches again only what the model's last verify found
 * bad (a verify runs first, in this task, when none is recorded).  Each
 * revision with problems is downloaded at its commit (job_fetch), the
 * blobs found corrupt or of the wrong size handed to the downloader as
 * blobs to fetch again: each lands in its partial file, is verified as it
 * streams, then renamed over the old blob, so a model in use stays
 * loadable throughout; a missing blob is fetched, and the revision's
 * links are written again, in one rename of the snapshot (a link's text
 * does not change).  The hub unreachable or the revision gone from it
 * fails the task and changes nothing.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dirat.h"
#include "extern.h"
#include "findings.h"
#include "hfverify.h"
#include "hubname.h"
#include "log.h"
#include "metrics.h"

#define REVS_MAX	64		/* revisions repaired in one task */
#define RECHECK_BUF	(1024 * 1024)	/* bytes read at once, re-hashing */

/* What the repair did, for its result and the new findings. */
struct rctx {
	struct job	*j;
	cJSON		*problems;	/* the findings' (borrowed) */
	cJSON		*repaired;	/* the problems fixed */
	cJSON		*left;		/* those not fixed */
	char		 failed[1200];	/* the first failure, "" none */
};

static int
cmp_str(const void *a, const void *b)
{

	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A string member of o, or NULL. */
static const char *
str_of(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The distinct revisions of the problems (at most REVS_MAX). */
static size_t
revisions_of(const cJSON *problems, const char **revs)
{
	const cJSON	*p;
	const char	*rev;
	size_t		 n = 0, i;

	cJSON_ArrayForEach(p, problems) {
		if ((rev = str_of(p, "revision")) == NULL)
			continue;
		for (i = 0; i < n && strcmp(revs[i], rev) != 0; i++)
			;
		if (i == n && n < REVS_MAX)
			revs[n++] = rev;
	}
	return n;
}

/* The blobs of rev's problems that are in place but bad (corrupt, of
 * the wrong size): fetched again.  Sorted, distinct; *n their number. */
static const char **
refetch_of(const cJSON *problems, const char *rev, size_t *n)
{
	const cJSON	*p;
	const char	**v, *kind, *blob, *r;
	size_t		 i, k = 0;

	*n = 0;
	if ((v = calloc((size_t)cJSON_GetArraySize(problems) + 1,
	    sizeof(*v))) == NULL)
		return NULL;
	cJSON_ArrayForEach(p, problems) {
		kind = str_of(p, "kind");
		blob = str_of(p, "blob");
		r = str_of(p, "revision");
		if (blob != NULL && kind != NULL && r != NULL &&
		    strcmp(r, rev) == 0 && (strcmp(kind, "corrupt") == 0 ||
		    strcmp(kind, "wrong_size") == 0))
			v[k++] = blob;
	}
	qsort(v, k, sizeof(*v), cmp_str);
	for (i = 0; i < k; i++)
		if (*n == 0 || strcmp(v[*n - 1], v[i]) != 0)
			v[(*n)++] = v[i];
	return v;
}

/* Whether blob (fetched again) now has the content its name says, hashed
 * through buf (RECHECK_BUF bytes); a blob that cannot be read is not. */
static int
blob_sound(int blobsfd, const char *blob, void *buf)
{
	struct hfv_blob	 b;

	memset(&b, 0, sizeof(b));
	b.name = (char *)(uintptr_t)blob;
	return buf != NULL && hfverify_blob(blobsfd, &b, buf, RECHECK_BUF,
	    NULL, NULL) == ERR_OK && b.state == HFV_OK;
}

/* The repo's blobs/, or -1. */
static int
blobs_dir(const struct job *j)
{
	char	 folder[512];
	int	 cfd, repofd, fd;

	if (hubname_repo_folder("model", j->model_id, folder,
	    sizeof(folder)) == -1 || (cfd = open(j->cfg->hf_hub_cache,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	repofd = dirat_fd(cfd, folder);
	fd = dirat_fd(repofd, "blobs");
	if (repofd != -1)
		close(repofd);
	close(cfd);
	return fd;
}

/*
 * The problems of rev go to into; with recheck (the revision was fetched
 * again), a blob found corrupt or of the wrong size is hashed once more
 * and goes to rc->left unless it is sound now.
 */
static void
move_problems(struct rctx *rc, const char *rev, cJSON *into, int recheck)
{
	const cJSON	*p;
	const char	*kind, *blob;
	void		*buf = recheck ? malloc(RECHECK_BUF) : NULL;
	int		 fd = recheck ? blobs_dir(rc->j) : -1;

	cJSON_ArrayForEach(p, rc->problems) {
		if (str_of(p, "revision") == NULL ||
		    strcmp(str_of(p, "revision"), rev) != 0)
			continue;
		kind = str_of(p, "kind");
		blob = str_of(p, "blob");
		cJSON_AddItemToArray(recheck && blob != NULL && kind != NULL &&
		    (strcmp(kind, "corrupt") == 0 ||
		    strcmp(kind, "wrong_size") == 0) && !blob_sound(fd, blob,
		    buf) ? rc->left : into, cJSON_Duplicate(p, 1));
	}
	free(buf);
	if (fd != -1)
		close(fd);
}

/* Repairs revision rev: 0, 1 stopped (*exit set), -1 failed. */
static int
repair_rev(struct rctx *rc, const char *rev, int *exit)
{
	struct job	*j = rc->j;
	const char	**refetch;
	char		 msg[1024];
	size_t		 n;
	int		 k;

	if ((refetch = refetch_of(rc->problems, rev, &n)) == NULL)
		return -1;
	j->revision = rev;
	j->refetch = refetch;
	j->nrefetch = n;
	log_info("task=%s model=%s event=repair.revision revision=%s "
	    "refetch=%zu", j->task_id, j->model_id, rev, n);
	k = job_fetch(j, msg, sizeof(msg), exit);
	j->refetch = NULL;
	j->nrefetch = 0;
	free(refetch);
	if (k == 0) {
		metrics_add(MET_REPAIR_FILES, NULL, NULL, (double)n);
		move_problems(rc, rev, rc->repaired, 1);
	} else if (k == -1) {
		log_warnx("task=%s model=%s event=repair.failed revision=%s",
		    j->task_id, j->model_id, rev);
		move_problems(rc, rev, rc->left, 0);
		if (rc->failed[0] == '\0')
			snprintf(rc->failed, sizeof(rc->failed), "Repair of "
			    "revision %s failed: %s", rev, msg);
	}
	return k;
}

/* The findings after the repair: what is left (status ok when nothing). */
static void
store_left(struct rctx *rc, const cJSON *before)
{
	struct findings_status	 fs;
	cJSON			*f = cJSON_Duplicate(before, 1);
	char			*text;
	size_t			 n = (size_t)cJSON_GetArraySize(rc->left);

	fs.ok = n == 0;
	fs.problems = n;
	fs.checked_at = (long long)time(NULL);
	snprintf(fs.task_id, sizeof(fs.task_id), "%s", rc->j->task_id);
	if (f == NULL)
		return;
	cJSON_ReplaceItemInObjectCaseSensitive(f, "status",
	    cJSON_CreateString(n == 0 ? "ok" : "problems"));
	cJSON_ReplaceItemInObjectCaseSensitive(f, "checked_at",
	    cJSON_CreateNumber((double)fs.checked_at));
	cJSON_ReplaceItemInObjectCaseSensitive(f, "source",
	    cJSON_CreateString("repair"));
	cJSON_ReplaceItemInObjectCaseSensitive(f, "task_id",
	    cJSON_CreateString(rc->j->task_id));
	cJSON_ReplaceItemInObjectCaseSensitive(f, "problems_total",
	    cJSON_CreateNumber((double)n));
	cJSON_ReplaceItemInObjectCaseSensitive(f, "problems",
	    cJSON_Duplicate(rc->left, 1));
	if ((text = cJSON_PrintUnformatted(f)) == NULL ||
	    findings_store(rc->j->redis, rc->j->model_id, text, &fs) != ERR_OK)
		log_warnx("task=%s model=%s event=repair.unstored",
		    rc->j->task_id, rc->j->model_id);
	free(text);
	cJSON_Delete(f);
}

/* The findings to repair: the recorded ones, else a verify's now.
 * Returns 0, or the verify's outcome (1 stopped, -1 failed, 2 nothing). */
static int
repair_findings(struct job *j, cJSON **findings, char *msg, size_t len,
    int *exit)
{
	char	*text = NULL;

	*findings = NULL;
	if (findings_get(j->redis, j->model_id, &text) == ERR_OK &&
	    text != NULL && (*findings = cJSON_Parse(text)) != NULL &&
	    cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*findings,
	    "problems"))) {
		free(text);
		return 0;
	}
	free(text);
	cJSON_Delete(*findings);
	log_info("task=%s model=%s event=repair.verify_first", j->task_id,
	    j->model_id);
	return job_verify_run(j, findings, msg, len, exit);
}

/* The repair's result: what was fixed, what was not, bytes fetched. */
static void
repair_result(struct rctx *rc)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "model_id", rc->j->model_id);
	cJSON_AddNumberToObject(o, "bytes_fetched", (double)rc->j->fetched);
	cJSON_AddItemToObject(o, "repaired", cJSON_Duplicate(rc->repaired,
	    1));
	cJSON_AddItemToObject(o, "not_repaired", cJSON_Duplicate(rc->left,
	    1));
	rc->j->result = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
}

/* Repairs each revision of findings; the task's exit status. */
static int
repair_all(struct job *j, cJSON *findings)
{
	struct rctx	 rc = { j, NULL, cJSON_CreateArray(),
	    cJSON_CreateArray(), "" };
	const char	*revs[REVS_MAX];
	size_t		 n, i;
	int		 k = 0, exit = JOB_EXIT_DONE;

	rc.problems = cJSON_GetObjectItemCaseSensitive(findings, "problems");
	n = revisions_of(rc.problems, revs);
	for (i = 0; i < n && k != 1; i++)
		k = repair_rev(&rc, revs[i], &exit);
	if (k != 1 && rc.failed[0] == '\0' && cJSON_GetArraySize(rc.left) > 0)
		snprintf(rc.failed, sizeof(rc.failed), "%d file(s) still do not "
		    "match their blob after the repair",
		    cJSON_GetArraySize(rc.left));
	if (k != 1) {
		store_left(&rc, findings);
		repair_result(&rc);
		exit = job_end(j, rc.failed[0] != '\0' ? TS_FAILED :
		    TS_COMPLETED, rc.failed[0] != '\0' ? rc.failed : NULL);
	}
	log_info("task=%s model=%s event=repair.done repaired=%d left=%d",
	    j->task_id, j->model_id, cJSON_GetArraySize(rc.repaired),
	    cJSON_GetArraySize(rc.left));
	cJSON_Delete(rc.repaired);
	cJSON_Delete(rc.left);
	return exit;
}

int
job_repair(struct job *j)
{
	cJSON	*findings = NULL;
	char	 msg[512];
	int	 exit = JOB_EXIT_DONE, rc;

	switch (repair_findings(j, &findings, msg, sizeof(msg), &exit)) {
	case 1:
		return exit;
	case 2:
		return job_finish(j, TS_NOT_INSTALLED, NULL);
	case -1:
		return job_finish(j, TS_FAILED, msg);
	}
	rc = findings != NULL ? repair_all(j, findings) :
	    job_finish(j, TS_FAILED, "out of memory");
	cJSON_Delete(findings);
	return rc;
}
