/*
 * GET /api/v2/models: the curated models with installed state, size on
 * disk, collections using them and active task ids.  One Redis round trip
 * (claims and cache generation), one PostgreSQL round trip (collections),
 * whatever the number of models.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "log.h"
#include "taskstate.h"

#define MIB	(1024ULL * 1024ULL)

/* Everything one list request gathers before building the answer. */
struct listctx {
	const struct registry	*reg;
	struct ts_claim		*claims;	/* per model, or NULL */
	struct db_collections	 cols;
	struct scanview		 sv;
};

/*
 * An integer member.  cJSON 1.7.15 prints every number with "%1.15g" and
 * reads it back with sscanf() to check it: ~0.5 us a number, 80 us for
 * the 170 numbers of a list answer.  The digits are the same.
 */
static void
add_int(cJSON *o, const char *name, long long v)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	cJSON_AddRawToObject(o, name, buf);
}

static int
model_selected(const struct req *r, const struct model *m)
{

	return !r->p.has_model_type || m->type == r->p.model_type;
}

static const struct hfrepo *
installed_repo(const struct listctx *lc, const struct model *m)
{
	const struct hfrepo	*repo;

	if (lc->sv.scan == NULL)
		return NULL;
	repo = hfcache_find(lc->sv.scan, "model", m->id);
	return repo != NULL && repo->nrevisions > 0 ? repo : NULL;
}

static cJSON *
memory_json(const struct model *m)
{
	cJSON	*o = cJSON_CreateObject();
	size_t	 i;

	for (i = 0; o != NULL && i < m->nmem; i++)
		add_int(o, m->mem[i].quant,
		    (long long)m->mem[i].mb);
	return o;
}

static cJSON *
used_by_json(const struct listctx *lc, const struct model *m)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	if (m->type != MT_EMBEDDING)
		return a;
	for (i = 0; a != NULL && i < lc->cols.n; i++)
		if (strcmp(lc->cols.v[i].model, m->id) == 0)
			cJSON_AddItemToArray(a,
			    cJSON_CreateString(lc->cols.v[i].name));
	return a;
}

static void
add_task_ids(cJSON *o, const struct ts_claim *c)
{

	if (c != NULL && c->op == TS_OP_DOWNLOAD)
		cJSON_AddStringToObject(o, "active_download_task_id",
		    c->task_id);
	else
		cJSON_AddNullToObject(o, "active_download_task_id");
	if (c != NULL && c->op == TS_OP_DELETE)
		cJSON_AddStringToObject(o, "active_delete_task_id",
		    c->task_id);
	else
		cJSON_AddNullToObject(o, "active_delete_task_id");
}

static void
add_details(cJSON *o, const struct model *m)
{
	const struct embedding_details	*e = &m->emb;
	cJSON				*d;

	if (m->type == MT_EMBEDDING &&
	    (d = cJSON_AddObjectToObject(o, "embedding_details")) != NULL) {
		add_int(d, "dimension", (long long)e->dimension);
		add_int(d, "max_sequence_length",
		    (long long)e->max_sequence_length);
		cJSON_AddStringToObject(d, "pooling_method",
		    e->pooling_method);
		cJSON_AddBoolToObject(d, "is_asymmetric", e->is_asymmetric);
		cJSON_AddStringToObject(d, "query_prefix", e->query_prefix);
		cJSON_AddStringToObject(d, "document_prefix",
		    e->document_prefix);
		cJSON_AddStringToObject(d, "default_query_instruction",
		    e->default_query_instruction);
	} else
		cJSON_AddNullToObject(o, "embedding_details");
	if (m->type == MT_LLM &&
	    (d = cJSON_AddObjectToObject(o, "llm_details")) != NULL) {
		if (m->context_window > 0)
			add_int(d, "context_window",
			    (long long)m->context_window);
		else
			cJSON_AddNullToObject(d, "context_window");
	} else
		cJSON_AddNullToObject(o, "llm_details");
}

/* One model object, fields in the contract's order. */
static cJSON *
model_json(const struct listctx *lc, const struct model *m,
    const struct ts_claim *claim)
{
	const struct hfrepo	*repo = installed_repo(lc, m);
	cJSON			*o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "id", m->id);
	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "description", m->description);
	cJSON_AddStringToObject(o, "model_type", model_type_str(m->type));
	cJSON_AddItemToObject(o, "memory_mb", memory_json(m));
	cJSON_AddBoolToObject(o, "is_installed", repo != NULL);
	if (repo != NULL)
		add_int(o, "size_on_disk_mb",
		    (long long)(repo->size_on_disk / MIB));
	else
		cJSON_AddNullToObject(o, "size_on_disk_mb");
	cJSON_AddItemToObject(o, "used_by_collections", used_by_json(lc, m));
	add_task_ids(o, claim);
	add_details(o, m);
	return o;
}

/* 1 if the repo is a curated model (any type). */
static int
repo_is_managed(const struct registry *reg, const struct hfrepo *repo)
{

	return strcmp(repo->type, "model") == 0 &&
	    registry_find_id(reg, repo->id) != NULL;
}

static cJSON *
cache_size_json(const struct listctx *lc)
{
	const struct hfscan	*s = lc->sv.scan;
	unsigned long long	 total, managed = 0, unmanaged_repos = 0;
	size_t			 i;
	cJSON			*o;

	if (s == NULL)
		return cJSON_CreateNull();
	for (i = 0; i < s->n; i++) {
		if (repo_is_managed(lc->reg, &s->repos[i]))
			managed += s->repos[i].size_on_disk / MIB;
		else
			unmanaged_repos++;
	}
	total = s->size_on_disk / MIB;
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	add_int(o, "total_cache_size_mb", (long long)total);
	add_int(o, "managed_cache_size_mb", (long long)managed);
	add_int(o, "unmanaged_cache_size_mb",
	    (long long)(total > managed ? total - managed : 0));
	add_int(o, "unmanaged_repo_count",
	    (long long)unmanaged_repos);
	add_int(o, "partial_cache_size_mb",
	    (long long)(s->partial_bytes / MIB));
	return o;
}

/* Reads the claims and the generation (one MGET); Redis down is not an
 * error here: the list degrades to null task ids. */
static void
load_claims(struct req *r, struct listctx *lc, int *have_gen,
    unsigned long long *gen)
{
	const struct registry	*reg = lc->reg;
	const char		**ids;
	size_t			 i;

	*have_gen = 0;
	ids = calloc(reg->n ? reg->n : 1, sizeof(*ids));
	lc->claims = calloc(reg->n ? reg->n : 1, sizeof(*lc->claims));
	if (ids == NULL || lc->claims == NULL)
		goto fail;
	for (i = 0; i < reg->n; i++)
		ids[i] = reg->models[i].id;
	if (ts_active_many(r->app->redis, ids, reg->n, lc->claims, gen) !=
	    ERR_OK)
		goto fail;
	*have_gen = 1;
	free(ids);
	return;
fail:
	free(ids);
	free(lc->claims);
	lc->claims = NULL;
}

static enum err
load_collections(struct req *r, struct listctx *lc)
{
	const struct registry	*reg = lc->reg;
	const char		**ids;
	size_t			 i, n = 0;
	enum err		 e;

	if (r->p.has_model_type && r->p.model_type != MT_EMBEDDING)
		return ERR_OK;
	if ((ids = calloc(reg->n ? reg->n : 1, sizeof(*ids))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < reg->n; i++)
		if (reg->models[i].type == MT_EMBEDDING)
			ids[n++] = reg->models[i].id;
	e = db_collections_using(r->app->db, ids, n, &lc->cols);
	free(ids);
	return e;
}

static cJSON *
list_json(struct req *r, const struct listctx *lc)
{
	const struct registry	*reg = lc->reg;
	cJSON			*o, *arr, *m;
	size_t			 i;

	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "models")) == NULL)
		goto fail;
	for (i = 0; i < reg->n; i++) {
		if (!model_selected(r, &reg->models[i]))
			continue;
		if (r->p.installed_only &&
		    installed_repo(lc, &reg->models[i]) == NULL)
			continue;
		if ((m = model_json(lc, &reg->models[i],
		    lc->claims ? &lc->claims[i] : NULL)) == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, m);
	}
	cJSON_AddItemToObject(o, "cache_size", r->p.include_cache_size ?
	    cache_size_json(lc) : cJSON_CreateNull());
	if (lc->sv.error != NULL)
		cJSON_AddStringToObject(o, "hf_cache_scan_error",
		    lc->sv.error);
	else
		cJSON_AddNullToObject(o, "hf_cache_scan_error");
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

void
handle_list(struct req *r)
{
	struct listctx		 lc;
	unsigned long long	 gen = 0;
	int			 have_gen;
	enum err		 e;
	cJSON			*o;

	memset(&lc, 0, sizeof(lc));
	lc.reg = r->app->reg;
	/* A forced refresh is for every responder: bump the generation so
	 * the others drop their scan too. */
	if (r->p.force_refresh_cache)
		(void)ts_bump_generation(r->app->redis);
	load_claims(r, &lc, &have_gen, &gen);
	if ((e = load_collections(r, &lc)) != ERR_OK) {
		resp_error(r, status_for_err(e), e == ERR_DB ?
		    "Database unavailable" : "Internal Server Error");
		goto out;
	}
	scancache_get(r->app, r->p.force_refresh_cache, have_gen, gen,
	    &lc.sv);
	if ((o = list_json(r, &lc)) == NULL)
		resp_error(r, 500, "Internal Server Error");
	else
		resp_json(r, 200, o, NULL);
out:
	free(lc.claims);
	db_collections_free(&lc.cols);
}
