/*
 * The prune job: removes the kinds of items the task asks for (its
 * params, "partial,orphan_blobs,...") from one repo, or from every repo
 * of the cache (model id ""), with hfprune.h: nothing a ref's revision
 * uses, nothing whose lock a process holds, nothing modified within
 * cache.prune_min_age_seconds, each item re-checked right before it goes.
 * A prune of the whole cache takes each model's claim while it prunes its
 * repo and skips a model another task holds, so that no download can
 * start on a repo being pruned.  Progress: bytes_downloaded counts the
 * bytes freed, files_done the items dealt with (of the plan's totals);
 * cancel and SIGTERM stop it between items.  The result tells what went
 * and what stayed, and why (prunetally.h).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "hfprune.h"
#include "hubname.h"
#include "log.h"
#include "metrics.h"
#include "prunetally.h"

struct pctx {
	struct job		*j;
	unsigned		 kinds;
	struct prunetally	*tally;
	uint64_t		 plan_bytes, plan_items, done_items;
	double			 last_write;
	enum job_stop		 stop;
};

/* The kinds of the task's params ("partial,orphan_blobs"); 0 if none is
 * one a prune removes. */
static unsigned
parse_kinds(const char *params)
{
	char		 buf[256], *p, *tok, *save = NULL;
	enum hfdoc_kind	 k;
	unsigned	 bits = 0;

	snprintf(buf, sizeof(buf), "%s", params);
	for (p = buf; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
		if (hfdoc_kind_parse(tok, &k) == 0)
			bits |= 1u << k;
	return bits & HFPRUNE_KINDS;
}

/* Writes the progress; 1 when the prune must stop (pc->stop says why). */
static int
p_write(struct pctx *pc)
{
	uint64_t	 freed, disk, items;
	char		 v[4][32];
	const char	*f[8] = { "bytes_downloaded", v[0], "bytes_total", v[1],
	    "files_done", v[2], "files_total", v[3] };

	prunetally_freed(pc->tally, &freed, &disk, &items);
	snprintf(v[0], sizeof(v[0]), "%" PRIu64, freed);
	snprintf(v[1], sizeof(v[1]), "%" PRIu64, pc->plan_bytes);
	snprintf(v[2], sizeof(v[2]), "%" PRIu64, pc->done_items);
	snprintf(v[3], sizeof(v[3]), "%" PRIu64, pc->plan_items);
	return job_progress(pc->j, f, 4, &pc->stop);
}

/* hfprune's stop: SIGTERM, the time limit, or a cancel seen when the
 * progress is written (every progress_interval_ms). */
static int
p_stop(void *arg)
{
	struct pctx	*pc = arg;
	struct job	*j = pc->j;
	double		 now = mono_now();

	if (pc->stop != JOB_STOP_NONE)
		return 1;
	if (*j->stop)
		pc->stop = JOB_STOP_TERM;
	else if (now - j->started >= j->cfg->delete_soft_limit)
		pc->stop = JOB_STOP_LIMIT;
	if (pc->stop != JOB_STOP_NONE)
		return 1;
	if ((now - pc->last_write) * 1000 < j->cfg->progress_interval_ms)
		return 0;
	pc->last_write = now;
	return p_write(pc);
}

/* hfprune's note: into the account and the metrics. */
static void
p_note(void *arg, const struct hfdoc_item *it, enum hfprune_skip why)
{
	struct pctx	*pc = arg;

	pc->done_items++;
	prunetally_add(pc->tally, it, why);
	if (why == HFPRUNE_GO)
		metrics_add(MET_PRUNE_FREED, hfdoc_kind_str(it->kind), NULL,
		    (double)it->apparent);
}

/* Every item of rp of the kinds asked for stays, for why. */
static void
skip_repo(struct pctx *pc, const struct hfdoc_repo *rp,
    enum hfprune_skip why)
{
	size_t	 i;

	for (i = 0; i < rp->n; i++)
		if (pc->kinds & (1u << rp->items[i].kind))
			p_note(pc, &rp->items[i], why);
}

/* Takes the claim of a model repo for a prune of the whole cache; 1 when
 * it is ours now, 0 when another task holds it. */
static int
repo_claim(struct pctx *pc, const struct hfdoc_repo *rp)
{
	struct ts_claim		 held;
	enum ts_claim_outcome	 out;

	if (strcmp(rp->type, "model") != 0 || pc->j->model_id[0] != '\0')
		return 1;
	return ts_claim(pc->j->redis, rp->id, TS_OP_PRUNE, pc->j->task_id,
	    &out, &held) == ERR_OK && out == TS_CLAIM_NEW;
}

static void
repo_release(struct pctx *pc, const struct hfdoc_repo *rp)
{

	if (strcmp(rp->type, "model") == 0 && pc->j->model_id[0] == '\0')
		(void)ts_release(pc->j->redis, rp->id, TS_OP_PRUNE,
		    pc->j->task_id);
}

/* Prunes the repo rp of cachefd; ERR_TIMEOUT when stopped. */
static enum err
prune_repo(struct pctx *pc, int cachefd, const struct hfdoc_repo *rp)
{
	struct hfprune_opts	 o;
	enum err		 e;

	prunetally_repo(pc->tally, rp->type, rp->id);
	if (!repo_claim(pc, rp)) {
		skip_repo(pc, rp, HFPRUNE_CLAIM);
		return ERR_OK;
	}
	memset(&o, 0, sizeof(o));
	o.kinds = pc->kinds;
	o.min_age = pc->j->cfg->prune_min_age;
	o.locks_path = "/proc/locks";
	o.note = p_note;
	o.stop = p_stop;
	o.arg = pc;
	e = hfprune_repo(cachefd, rp->folder, &o);
	repo_release(pc, rp);
	return e == ERR_NOTFOUND || e == ERR_INVAL ? ERR_OK : e;
}

/* The plan: the repos (the task's one, or all) and their items of the
 * kinds asked for, the totals of the progress. */
static enum err
p_plan(struct pctx *pc, struct hfdoc_report *rep)
{
	struct hfdoc_opts	 o;
	const struct job	*j = pc->j;
	const struct hfdoc_item	*it;
	size_t			 i, k;
	char			 msg[512], folder[512];
	enum err		 e;

	memset(&o, 0, sizeof(o));
	o.now = (int64_t)time(NULL);
	if (j->model_id[0] == '\0')
		e = hfdoc_scan(j->cfg->hf_hub_cache, &o, rep, msg, sizeof(msg));
	else if (hubname_repo_folder("model", j->model_id, folder,
	    sizeof(folder)) == -1)
		e = ERR_INVAL;
	else
		e = hfdoc_scan_one(j->cfg->hf_hub_cache, &o, folder, rep);
	for (i = 0; e == ERR_OK && i < rep->n; i++)
		for (k = 0; k < rep->repos[i].n; k++) {
			it = &rep->repos[i].items[k];
			if (!(pc->kinds & (1u << it->kind)))
				continue;
			pc->plan_items++;
			pc->plan_bytes += it->apparent;
		}
	return e;
}

/* Plans, then prunes each repo in scope; ERR_TIMEOUT when stopped. */
static enum err
p_run(struct pctx *pc)
{
	struct hfdoc_report	 rep;
	size_t			 i;
	int			 cachefd;
	enum err		 e;

	if ((e = p_plan(pc, &rep)) != ERR_OK)
		return e;
	if ((cachefd = open(pc->j->cfg->hf_hub_cache, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		hfdoc_report_free(&rep);
		return ERR_OK;		/* no cache: nothing to prune */
	}
	(void)p_write(pc);
	for (i = 0; e == ERR_OK && i < rep.n; i++)
		e = prune_repo(pc, cachefd, &rep.repos[i]);
	close(cachefd);
	hfdoc_report_free(&rep);
	return e;
}

/* The account as the task's result, with what it was asked. */
static void
p_result(struct pctx *pc)
{
	cJSON	*o = prunetally_json(pc->tally), *what;
	int	 k;

	if (o == NULL)
		return;
	if (pc->j->model_id[0] != '\0')
		cJSON_AddStringToObject(o, "model_id", pc->j->model_id);
	else
		cJSON_AddNullToObject(o, "model_id");
	what = cJSON_AddArrayToObject(o, "what");
	for (k = 0; k < HFDOC__MAX; k++)
		if (pc->kinds & (1u << k))
			cJSON_AddItemToArray(what,
			    cJSON_CreateString(hfdoc_kind_str(k)));
	pc->j->result = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
}

int
job_prune(struct job *j)
{
	struct pctx	 pc;
	enum err	 e;
	int		 rc;

	memset(&pc, 0, sizeof(pc));
	pc.j = j;
	if ((pc.kinds = parse_kinds(j->params)) == 0)
		return job_finish(j, TS_FAILED, "Nothing to prune: the task "
		    "names no kind (partial, orphan_blobs, detached_revisions, "
		    "stale_locks)");
	if ((pc.tally = prunetally_new("freed")) == NULL)
		return job_finish(j, TS_FAILED, "out of memory");
	e = p_run(&pc);
	if (pc.stop == JOB_STOP_NONE)
		(void)p_write(&pc);
	p_result(&pc);
	prunetally_free(&pc.tally);
	if (pc.stop != JOB_STOP_NONE)
		return job_stopped(j, pc.stop, "Prune timed out "
		    "(jobs.delete_soft_limit_seconds); what it freed is in its "
		    "result");
	if (e != ERR_OK) {
		log_warnx("task=%s event=prune.failed error=\"%s\"",
		    j->task_id, err_str(e));
		return job_end(j, TS_FAILED, err_str(e));
	}
	rc = job_end(j, TS_COMPLETED, NULL);
	log_info("task=%s model=%s event=prune.completed", j->task_id,
	    j->model_id[0] != '\0' ? j->model_id : "(all)");
	return rc;
}
