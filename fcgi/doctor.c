/*
 * The cache doctor's requests: POST /verify and POST /repair (a task on
 * a curated, installed model), POST /cache/prune (a dry run answered
 * here by report.c, or a prune task for one repo or for the whole
 * cache), and the validation of the prune's body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "hfprune.h"
#include "log.h"

/* The enum message of the prune's kinds, as pydantic words it. */
#define PRUNE_WHAT_MSG	"Input should be 'partial', 'orphan_blobs', " \
	"'detached_revisions' or 'stale_locks'"

/* Adds position i to the "loc" of the last error of errs. */
static void
loc_index(cJSON *errs, int i)
{
	cJSON	*last = cJSON_GetArrayItem(errs, cJSON_GetArraySize(errs) - 1);

	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(last, "loc"),
	    cJSON_CreateNumber(i));
}

/* "model_id": a string, or null for every repo of the cache. */
static void
check_model(struct req *r, cJSON *errs)
{
	cJSON	*v = json_last(r->json, "model_id");

	if (v == NULL)
		verr_add(errs, "missing", "body", "model_id", "Field required",
		    cJSON_Duplicate(r->json, 1));
	else if (cJSON_IsString(v))
		r->p.model_id = v->valuestring;
	else if (!cJSON_IsNull(v))
		verr_add(errs, "string_type", "body", "model_id",
		    "Input should be a valid string", cJSON_Duplicate(v, 1));
}

/* "what": a non-empty list of the kinds a prune removes. */
static void
check_what(struct req *r, cJSON *errs)
{
	cJSON		*v = json_last(r->json, "what"), *k;
	enum hfdoc_kind	 kind;
	int		 i = 0;

	if (v == NULL || !cJSON_IsArray(v)) {
		verr_add(errs, v == NULL ? "missing" : "list_type", "body",
		    "what", v == NULL ? "Field required" :
		    "Input should be a valid list", cJSON_Duplicate(v == NULL ?
		    r->json : v, 1));
		return;
	}
	if (cJSON_GetArraySize(v) == 0)
		verr_add(errs, "too_short", "body", "what", "List should have "
		    "at least 1 item after validation, not 0",
		    cJSON_CreateArray());
	cJSON_ArrayForEach(k, v) {
		if (cJSON_IsString(k) && hfdoc_kind_parse(k->valuestring,
		    &kind) == 0 && (HFPRUNE_KINDS & (1u << kind)))
			r->p.prune_kinds |= 1u << kind;
		else {
			verr_add(errs, "enum", "body", "what", PRUNE_WHAT_MSG,
			    cJSON_Duplicate(k, 1));
			loc_index(errs, i);
		}
		i++;
	}
}

/* "confirm": optional, false by default; a boolean as pydantic reads
 * one in JSON (true/false, 0/1, or the words valid_bool accepts). */
static void
check_confirm(struct req *r, cJSON *errs)
{
	cJSON	*v = json_last(r->json, "confirm");
	int	 b;

	if (v == NULL)
		return;
	if (cJSON_IsBool(v))
		r->p.confirm = cJSON_IsTrue(v);
	else if (cJSON_IsNumber(v) && (v->valuedouble == 0 ||
	    v->valuedouble == 1))
		r->p.confirm = v->valuedouble == 1;
	else if (cJSON_IsString(v) && valid_bool(v->valuestring, &b) == 0)
		r->p.confirm = b;
	else
		verr_add(errs, cJSON_IsString(v) ? "bool_parsing" : "bool_type",
		    "body", "confirm", cJSON_IsString(v) ? "Input should be a "
		    "valid boolean, unable to interpret input" : "Input should "
		    "be a valid boolean", cJSON_Duplicate(v, 1));
}

/* The body model {"model_id": str | null, "what": [kind, ...],
 * "confirm": bool = false}, extra fields forbidden. */
void
prune_body_check(struct req *r, cJSON *errs)
{
	static const char *const names[] = { "model_id", "what", "confirm",
	    NULL };

	if (body_is_object(r, errs) == -1)
		return;
	check_model(r, errs);
	check_what(r, errs);
	check_confirm(r, errs);
	body_extras(r, names, errs);
}

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
		enqueue_claimed(r, m->id, op, id, NULL, NULL);
		return;
	}
	if (ts_release(r->app->redis, m->id, op, id) != ERR_OK)
		log_warnx("cid=%s: the claim of %s (task %s) was not given "
		    "back", r->cid, m->id, id);
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
	cJSON	*none = NULL;
	char	 id[37], kinds[128];

	kinds_text(r->p.prune_kinds, kinds, sizeof(kinds));
	ts_new_task_id(id);
	if (claim_or_answer(r, model_id, TS_OP_PRUNE, id, &none))
		enqueue_claimed(r, model_id, TS_OP_PRUNE, id, kinds, NULL);
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
