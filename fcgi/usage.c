/*
 * GET /usage (the preflight) and DELETE /cache: what references a model,
 * what removing it frees, and the checks that block or only warn.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "hfdelete.h"
#include "log.h"
#include "vecpipe.h"

#define MIB	(1024ULL * 1024ULL)

struct usage {
	const char		*id;	/* the model, curated or not */
	struct scanview		 sv;
	const struct hfrepo	*installed;	/* repo with a revision */
	int			 present;	/* anything of it on disk */
	int			 estimate_ok;
	uint64_t		 freed;
	struct db_usage		 db;
	int			 is_default;
	int			 vp_ok;
	struct vecpipe_loaded	 vp;
	char			 vp_err[256];
};

/* Whether VecPipe has the model loaded (best effort: vecpipe_loaded logs
 * a failure, which becomes a warning of the answer). */
static void
usage_probe_vecpipe(struct req *r, struct usage *u)
{
	const struct config	*cfg = r->app->cfg;

	u->vp_ok = vecpipe_loaded(cfg->search_api_url,
	    cfg->vecpipe_timeout_ms, u->id, &u->vp, u->vp_err,
	    sizeof(u->vp_err)) == ERR_OK;
}

/* What the cache holds of the model: installed repo, anything at all on
 * disk, and what removing it would free. */
static void
usage_scan_cache(struct req *r, struct usage *u)
{

	u->installed = scan_installed(r, u->id, &u->sv);
	u->estimate_ok = hfdelete_estimate(r->app->cfg->hf_hub_cache, "model",
	    u->id, &u->freed, &u->present) == ERR_OK;
}

/*
 * Gathers everything about the model of the request: a curated one, or
 * with any_id any well-formed repo id (nothing else reaches the cache or
 * the database).  Answers 400/503 itself and returns -1 then.
 */
static int
usage_load(struct req *r, struct usage *u, int any_id)
{
	const struct model	*m;
	enum err		 e;

	memset(u, 0, sizeof(*u));
	if ((m = registry_find_id(r->app->reg, r->p.model_id)) != NULL)
		u->id = m->id;
	else if (any_id && valid_repo_id(r->p.model_id) == 0)
		u->id = r->p.model_id;
	else {
		resp_not_curated(r, r->p.model_id);
		return -1;
	}
	if ((e = db_model_usage(r->app->db, u->id, &u->db)) != ERR_OK) {
		resp_err(r, e);
		return -1;
	}
	usage_scan_cache(r, u);
	u->is_default = strcmp(u->id,
	    r->app->reg->default_embedding_model) == 0;
	usage_probe_vecpipe(r, u);
	return 0;
}

static void
add_warning(cJSON *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_warning(cJSON *w, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(w, cJSON_CreateString(buf));
}

/* Appends s to the list in buf, after ", " unless it is item 0. */
static void
join_item(char *buf, size_t len, size_t i, const char *s)
{
	size_t	 n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", i ? ", " : "", s);
}

/* "Model is used by N collection(s): a, b, c" (the first three). */
static void
warn_collections(cJSON *w, const struct usage *u)
{
	char	 names[768] = "";
	size_t	 i;

	for (i = 0; i < u->db.cols.n && i < 3; i++)
		join_item(names, sizeof(names), i, u->db.cols.v[i].name);
	add_warning(w, "Model is used by %zu collection(s): %s",
	    u->db.cols.n, names);
}

/* "Model is currently loaded in VecPipe GPU memory (embedding, ...)". */
static void
warn_vecpipe(cJSON *w, const struct usage *u)
{
	char	 types[128] = "";
	size_t	 i;

	for (i = 0; i < u->vp.ntypes; i++)
		join_item(types, sizeof(types), i, u->vp.types[i]);
	add_warning(w, "Model is currently loaded in VecPipe GPU memory "
	    "(%s)", types);
}

/* The warnings of the contract, in order; the collections line only when
 * with_collections.  NULL on out-of-memory. */
static cJSON *
usage_warnings(const struct usage *u, int with_collections)
{
	cJSON	*w = cJSON_CreateArray();

	if (w == NULL)
		return NULL;
	if (with_collections && u->db.cols.n > 0)
		warn_collections(w, u);
	if (u->db.preferences > 0)
		add_warning(w, "%ld user(s) have this as their default "
		    "embedding model", u->db.preferences);
	if (u->db.llm_configs > 0)
		add_warning(w, "%ld LLM configuration(s) reference this "
		    "model", u->db.llm_configs);
	if (u->is_default)
		add_warning(w, "This is the system default embedding model");
	if (u->vp_ok && u->vp.ntypes > 0)
		warn_vecpipe(w, u);
	if (!u->vp_ok)
		add_warning(w, "Unable to verify whether the model is "
		    "currently loaded in VecPipe (status unknown)");
	if (u->sv.error != NULL)
		add_warning(w, "Unable to verify local HuggingFace cache "
		    "state (installed status may be inaccurate)");
	return w;
}

static cJSON *
collection_names(const struct usage *u)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; a != NULL && i < u->db.cols.n; i++)
		cJSON_AddItemToArray(a,
		    cJSON_CreateString(u->db.cols.v[i].name));
	return a;
}

/* loaded_in_vecpipe and loaded_vecpipe_model_types. */
static void
add_vecpipe(cJSON *o, const struct usage *u)
{
	cJSON	*types;
	size_t	 i;

	cJSON_AddBoolToObject(o, "loaded_in_vecpipe",
	    u->vp_ok && u->vp.ntypes > 0);
	types = cJSON_AddArrayToObject(o, "loaded_vecpipe_model_types");
	for (i = 0; u->vp_ok && i < u->vp.ntypes; i++)
		cJSON_AddItemToArray(types,
		    cJSON_CreateString(u->vp.types[i]));
}

/* is_installed, size_on_disk_mb and estimated_freed_size_mb. */
static void
add_sizes(cJSON *o, const struct usage *u)
{

	cJSON_AddBoolToObject(o, "is_installed", u->installed != NULL);
	if (u->installed != NULL)
		cJSON_AddNumberToObject(o, "size_on_disk_mb",
		    (double)(u->installed->size_on_disk / MIB));
	else
		cJSON_AddNullToObject(o, "size_on_disk_mb");
	cJSON_AddNumberToObject(o, "estimated_freed_size_mb",
	    (double)(u->freed / MIB));
}

/* The preflight's answer, fields in the contract's order; NULL on
 * out-of-memory. */
static cJSON *
usage_json(const struct usage *u)
{
	cJSON	*o = cJSON_CreateObject(), *w;
	int	 can_delete = u->db.cols.n == 0;

	if (o == NULL)
		return NULL;
	w = usage_warnings(u, 1);
	cJSON_AddStringToObject(o, "model_id", u->id);
	add_sizes(o, u);
	cJSON_AddItemToObject(o, "blocked_by_collections",
	    collection_names(u));
	cJSON_AddNumberToObject(o, "user_preferences_count",
	    (double)u->db.preferences);
	cJSON_AddNumberToObject(o, "llm_config_count",
	    (double)u->db.llm_configs);
	cJSON_AddBoolToObject(o, "is_default_embedding_model", u->is_default);
	add_vecpipe(o, u);
	json_add_string_or_null(o, "hf_cache_scan_error", u->sv.error);
	json_add_string_or_null(o, "vecpipe_query_error",
	    u->vp_ok ? NULL : u->vp_err);
	cJSON_AddItemToObject(o, "warnings", w);
	cJSON_AddBoolToObject(o, "can_delete", can_delete);
	cJSON_AddBoolToObject(o, "requires_confirmation",
	    can_delete && cJSON_GetArraySize(w) > 0);
	/* Appended for the Models page: the exact bytes of the MB above. */
	json_add_int(o, "estimated_freed_bytes", (long long)u->freed);
	return o;
}

/* GET /api/v2/models/usage: for any well-formed model id, as the
 * reference. */
void
handle_usage(struct req *r)
{
	struct usage	 u;

	if (usage_load(r, &u, 1) == -1)
		return;
	resp_ok(r, usage_json(&u));
	db_usage_free(&u.db);
}

/* A 409 whose conflict object carries collections and warnings. */
static void
delete_conflict(struct req *r, const struct usage *u, const char *type,
    const char *detail, int confirm, cJSON *warnings)
{
	cJSON	*c = conflict_json(type, detail, u->id, NULL);

	if (c != NULL) {
		cJSON_ReplaceItemInObjectCaseSensitive(c,
		    "blocked_by_collections", collection_names(u));
		cJSON_ReplaceItemInObjectCaseSensitive(c,
		    "requires_confirmation", cJSON_CreateBool(confirm));
		cJSON_ReplaceItemInObjectCaseSensitive(c, "warnings",
		    warnings);
	} else
		cJSON_Delete(warnings);
	resp_err_json(r, ERR_CONFLICT, c);
}

/* DELETE /api/v2/models/cache: curated models only. */
void
handle_delete(struct req *r)
{
	struct usage	 u;
	cJSON		*w;
	char		 msg[128];

	if (usage_load(r, &u, 0) == -1)
		return;
	if (!u.present && u.estimate_ok && u.sv.error == NULL) {
		resp_ok(r, task_start_json(NULL, u.id, TS_OP_DELETE,
		    TS_NOT_INSTALLED, NULL));
		goto out;
	}
	if (u.db.cols.n > 0) {
		snprintf(msg, sizeof(msg), "Cannot delete: model is used by "
		    "%zu collection(s)", u.db.cols.n);
		delete_conflict(r, &u, "in_use_block", msg, 0,
		    usage_warnings(&u, 1));
		goto out;
	}
	w = usage_warnings(&u, 0);
	if (cJSON_GetArraySize(w) > 0 && !r->p.confirm) {
		delete_conflict(r, &u, "requires_confirmation", "Deletion "
		    "requires confirmation due to active usage", 1, w);
		goto out;
	}
	if (!r->p.confirm) {
		cJSON_Delete(w);
		w = NULL;
	}
	start_task(r, u.id, TS_OP_DELETE, w);
out:
	db_usage_free(&u.db);
}
