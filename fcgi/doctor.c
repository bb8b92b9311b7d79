/*
 * The cache doctor's requests: POST /verify and POST /repair (a task on
 * a curated, installed model), and POST /cache/prune (a dry run answered
 * by report.c, or a prune task for one repo or for the whole cache).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "hfprune.h"
#include "log.h"

/*
 * POST /verify and POST /repair: a curated model, claimed first (an
 * operation already on it answers as start_task does), then a model that
 * is not installed gives its claim back and answers not_installed.
 */
static void
start_on_installed(struct req *r, enum ts_op op)
{
	const struct model	*m;
	struct scanview		 sv;
	cJSON			*none = NULL;
	char			 id[37];

	if ((m = registry_find_id(r->app->reg, r->p.model_id)) == NULL) {
		resp_not_curated(r, r->p.model_id);
		return;
	}
	ts_new_task_id(id);
	if (!claim_or_answer(r, m->id, op, id, &none))
		return;
	if (scan_installed(r, m->id, &sv) != NULL || sv.error != NULL) {
		enqueue_claimed(r, m->id, op, id, NULL, NULL, 0);
		return;
	}
	claim_give_back(r, m->id, op, id);
	resp_ok(r, task_start_json(NULL, m->id, op, TS_NOT_INSTALLED, NULL));
}

void
handle_verify(struct req *r)
{

	start_on_installed(r, TS_OP_VERIFY);
}

void
handle_repair(struct req *r)
{

	start_on_installed(r, TS_OP_REPAIR);
}

/* The kinds of bits as the task keeps them: "partial,orphan_blobs". */
static void
kinds_text(unsigned bits, char *buf, size_t len)
{
	size_t	 n = 0;
	int	 k;

	buf[0] = '\0';
	for (k = 0; k < HFDOC__MAX; k++)
		if (bits & (1u << k))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
			    "%s%s", n > 0 ? "," : "", hfdoc_kind_str(k));
}

/* A prune task of model_id ("" for the whole cache) for the kinds asked. */
static void
start_prune(struct req *r, const char *model_id)
{
	cJSON		*none = NULL;
	char		 id[37], kinds[128];
	const char	*fields[] = { "params", kinds };

	kinds_text(r->p.prune_kinds, kinds, sizeof(kinds));
	ts_new_task_id(id);
	if (claim_or_answer(r, model_id, TS_OP_PRUNE, id, &none))
		enqueue_claimed(r, model_id, TS_OP_PRUNE, id, NULL, fields, 1);
}

/*
 * POST /cache/prune.  Without confirm, what it would free (report.c),
 * which changes nothing and is no audit event.  With it, a prune task:
 * of one repo (its claim taken, as every operation on a model does), or
 * with a null model_id of the whole cache (model-manager:active-all:prune,
 * the job skipping models that have a claim).  A repo that is not in the
 * cache answers not_installed.
 */
void
handle_prune(struct req *r)
{
	const char	*id = r->p.model_id;

	if (id != NULL && valid_repo_id(id) == -1) {
		resp_err_detail(r, ERR_INVAL, "model_id must be a repository "
		    "id (\"org/name\")");
		return;
	}
	if (!r->p.confirm) {
		r->operation = NULL;
		prune_preview(r);
		return;
	}
	if (id != NULL && !doctor_repo_present(r, id)) {
		resp_ok(r, task_start_json(NULL, id, TS_OP_PRUNE,
		    TS_NOT_INSTALLED, NULL));
		return;
	}
	start_prune(r, id != NULL ? id : "");
}
