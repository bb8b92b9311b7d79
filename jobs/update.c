/*
 * The update job: the model's main at its current commit, into the same
 * repo, through the download job.  Blobs are named by their etag, so a
 * file whose etag did not change is a blob already in place and only the
 * changed files are fetched; the new snapshot is published in one rename
 * and refs/main moves only once it is complete (hub.c), so a cancelled,
 * failed or interrupted update leaves the old revision installed and
 * intact.  Then, unless the task keeps it (keep_old), the revision
 * installed before is removed with the blobs only it used (hfrev_drop:
 * never a blob the new revision or another snapshot names).  Processes
 * that have the old files open keep reading them until they reload: an
 * unlinked file lives on while it is open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "extern.h"
#include "hfrev.h"
#include "hub.h"
#include "log.h"
#include "metrics.h"
#include "revstore.h"

/* What the update knows besides the download's state. */
struct update {
	char			 from[41];	/* installed before */
	char			 to[41];	/* installed after */
	int			 keep_old;
	int			 dropped;	/* the old revision went */
	struct hfrev_dropped	 drop;
	char			 drop_error[512];
};

/* The facts of main right after the update: the installed revision is
 * the latest, with nothing to fetch. */
static void
update_facts(struct job *j, const struct update *u,
    const struct hub_progress *p)
{
	struct hubfacts	 f;

	memset(&f, 0, sizeof(f));
	f.state = RS_KNOWN;
	f.checked_at = (double)time(NULL);
	memcpy(f.commit, u->to, sizeof(f.commit));
	memcpy(f.against, u->to, sizeof(f.against));
	f.size_bytes = p->bytes_total;
	f.files = p->files_total;
	f.update_bytes = 0;
	if (revstore_put(j->redis, j->model_id, &f) != ERR_OK)
		log_warnx("task=%s model=%s event=update.facts_unwritten",
		    j->task_id, j->model_id);
}

/* The task's result: the two revisions and what went. */
static char *
update_result(const struct job *j, const struct update *u)
{
	cJSON	*o;
	char	*s;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "from_revision", u->from);
	cJSON_AddStringToObject(o, "to_revision", u->to);
	cJSON_AddBoolToObject(o, "up_to_date", strcmp(u->from, u->to) == 0);
	cJSON_AddNumberToObject(o, "bytes_fetched", (double)j->fetched);
	cJSON_AddBoolToObject(o, "keep_old", u->keep_old);
	cJSON_AddBoolToObject(o, "old_revision_removed", u->dropped);
	cJSON_AddNumberToObject(o, "removed_blobs", (double)u->drop.blobs);
	cJSON_AddNumberToObject(o, "freed_bytes", (double)u->drop.bytes);
	cJSON_AddNumberToObject(o, "kept_shared_blobs",
	    (double)u->drop.shared);
	cJSON_AddNumberToObject(o, "kept_busy_blobs", (double)u->drop.busy);
	cJSON_AddNumberToObject(o, "removed_refs", (double)u->drop.refs);
	if (u->drop_error[0] != '\0')
		cJSON_AddStringToObject(o, "removal_error", u->drop_error);
	else
		cJSON_AddNullToObject(o, "removal_error");
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Removes the revision installed before, unless it is kept or is the
 * new one.  A failure is reported in the result: the update itself
 * succeeded. */
static void
update_drop_old(struct job *j, struct update *u)
{
	enum err	 e;

	if (u->keep_old || strcmp(u->from, u->to) == 0)
		return;
	e = hfrev_drop(j->cfg->hf_hub_cache, j->model_id, u->from,
	    j->cfg->delete_soft_limit, &u->drop, u->drop_error,
	    sizeof(u->drop_error));
	u->dropped = e == ERR_OK;
	if (e == ERR_TIMEOUT)
		snprintf(u->drop_error, sizeof(u->drop_error), "Another writer "
		    "held the repo's staging lock: revision %s was kept",
		    u->from);
	else if (e == ERR_NOTFOUND)
		u->drop_error[0] = '\0';	/* someone removed it already */
	if (e != ERR_OK && u->drop_error[0] != '\0')
		log_warnx("task=%s model=%s event=update.old_kept error=\"%s\"",
		    j->task_id, j->model_id, u->drop_error);
}

/* The download's hook, once the new snapshot is published and refs/main
 * moved: the old revision's removal, the facts and the result. */
static void
update_published(struct job *j, const struct hub_progress *p)
{
	struct update	*u = j->opdata;

	if (hfrev_installed(j->cfg->hf_hub_cache, j->model_id, u->to) !=
	    ERR_OK)
		memcpy(u->to, u->from, sizeof(u->to));	/* cannot be */
	update_drop_old(j, u);
	update_facts(j, u, p);
	if (j->fetched > 0)
		metrics_add(MET_UPDATE_BYTES, NULL, NULL, (double)j->fetched);
	if (u->drop.bytes > 0)
		metrics_add(MET_UPDATE_FREED_BYTES, NULL, NULL,
		    (double)u->drop.bytes);
	free(j->result);
	j->result = update_result(j, u);
	log_info("task=%s model=%s event=update.published from=%s to=%s "
	    "fetched=%llu old_removed=%d freed=%llu", j->task_id, j->model_id,
	    u->from, u->to, j->fetched, u->dropped,
	    (unsigned long long)u->drop.bytes);
}

int
job_update(struct job *j)
{
	struct update	 u;
	char		 msg[400];
	enum err	 e;

	memset(&u, 0, sizeof(u));
	e = hfrev_installed(j->cfg->hf_hub_cache, j->model_id, u.from);
	if (e == ERR_NOTFOUND)
		return job_end(j, TS_NOT_INSTALLED, NULL);
	if (e != ERR_OK) {
		snprintf(msg, sizeof(msg), "Cannot read the installed revision "
		    "of %s in the cache: %s", j->model_id, err_str(e));
		return job_end(j, TS_FAILED, msg);
	}
	if (revstore_keep_old(j->redis, j->task_id, &u.keep_old) != ERR_OK)
		return JOB_EXIT_REQUEUE;
	j->published = update_published;
	j->opdata = &u;
	log_info("task=%s model=%s event=update.started from=%s keep_old=%d",
	    j->task_id, j->model_id, u.from, u.keep_old);
	return job_download(j);
}
