/*
 * GET /api/v2/models: the curated models with installed state, size on
 * disk, collections using them and active task ids, and the services
 * that are down (service_warnings).  One Redis round trip
 * (claims and cache generation: sent before authentication, so that it
 * overlaps the PostgreSQL one), one PostgreSQL round trip (the user and
 * the collections together, auth.c), whatever the number of models.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "findings.h"
#include "log.h"
#include "redisconn.h"
#include "revstore.h"
#include "sbuf.h"
#include "taskstate.h"

#define MIB	(1024ULL * 1024ULL)

/* Everything one list request gathers before building the answer. */
struct listctx {
	const struct registry	*reg;
	const struct listcache	*cache;
	struct ts_claim		*claims;	/* per model, or NULL */
	char			**vstatus;	/* per model: its verify
						   status value, or NULL */
	struct db_collections	 cols;
	struct scanview		 sv;
	int			 task_store_down; /* Redis did not answer */
	struct hubfacts		*facts;		/* per model, or NULL */
};

/* The service warning of a task store (Redis) that is down: what the
 * administrator cannot do until it is back. */
#define TASK_STORE_DOWN	"Task store unavailable: downloads and deletes " \
	"cannot start, and progress cannot be read, until it is back."

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
		json_add_int(o, m->mem[i].quant,
		    (long long)m->mem[i].mb);
	return o;
}

static void
add_embedding_details(cJSON *o, const struct embedding_details *e)
{
	cJSON	*d;

	if ((d = cJSON_AddObjectToObject(o, "embedding_details")) == NULL)
		return;
	json_add_int(d, "dimension", (long long)e->dimension);
	json_add_int(d, "max_sequence_length",
	    (long long)e->max_sequence_length);
	cJSON_AddStringToObject(d, "pooling_method", e->pooling_method);
	cJSON_AddBoolToObject(d, "is_asymmetric", e->is_asymmetric);
	cJSON_AddStringToObject(d, "query_prefix", e->query_prefix);
	cJSON_AddStringToObject(d, "document_prefix", e->document_prefix);
	cJSON_AddStringToObject(d, "default_query_instruction",
	    e->default_query_instruction);
}

static void
add_llm_details(cJSON *o, const struct model *m)
{
	cJSON	*d;

	if ((d = cJSON_AddObjectToObject(o, "llm_details")) == NULL)
		return;
	if (m->context_window > 0)
		json_add_int(d, "context_window", (long long)m->context_window);
	else
		cJSON_AddNullToObject(d, "context_window");
}

/* embedding_details and llm_details: the object of the model's type, null
 * for the other. */
static void
add_details(cJSON *o, const struct model *m)
{

	if (m->type == MT_EMBEDDING)
		add_embedding_details(o, &m->emb);
	else
		cJSON_AddNullToObject(o, "embedding_details");
	if (m->type == MT_LLM)
		add_llm_details(o, m);
	else
		cJSON_AddNullToObject(o, "llm_details");
}

/*
 * What never changes in a model's object, printed once per process by
 * cJSON (list_init): its head, from "{" to "\"is_installed\":", and its
 * tail, from ",\"embedding_details\"" to is_default_embedding_model's
 * value.  A request prints only the rest: building, printing and freeing
 * the whole tree with cJSON was a third of the responder's time.
 */
struct frag {
	char	*head;
	char	*tail;
};

/* The object o printed and deleted; NULL on out-of-memory. */
static char *
print_object(cJSON *o)
{
	char	*s = o != NULL ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

/* The head: the fields before is_installed, without the closing "}". */
static char *
frag_head(const struct model *m)
{
	struct sbuf	 b = SBUF_INIT;
	cJSON		*o;
	char		*s;

	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddStringToObject(o, "id", m->id);
		cJSON_AddStringToObject(o, "name", m->name);
		cJSON_AddStringToObject(o, "description", m->description);
		cJSON_AddStringToObject(o, "model_type",
		    model_type_str(m->type));
		cJSON_AddItemToObject(o, "memory_mb", memory_json(m));
	}
	if ((s = print_object(o)) == NULL)
		return NULL;
	sbuf_add(&b, s, strlen(s) - 1);		/* without its "}" */
	sbuf_adds(&b, ",\"is_installed\":");
	free(s);
	return sbuf_finish(&b);
}

/* 1 if m is the embedding entry of the system default embedding model. */
static int
is_default_embedding(const struct registry *reg, const struct model *m)
{

	return m->type == MT_EMBEDDING &&
	    strcmp(m->id, reg->default_embedding_model) == 0;
}

/* The tail: the details and whether m is the default embedding model,
 * with "," instead of the opening "{" and without the closing "}". */
static char *
frag_tail(const struct registry *reg, const struct model *m)
{
	cJSON	*o;
	char	*s;

	if ((o = cJSON_CreateObject()) != NULL) {
		add_details(o, m);
		cJSON_AddBoolToObject(o, "is_default_embedding_model",
		    is_default_embedding(reg, m));
	}
	if ((s = print_object(o)) != NULL) {
		s[0] = ',';
		s[strlen(s) - 1] = '\0';
	}
	return s;
}

/*
 * Builds app->list from app->reg: the printed parts of every model and
 * the id arrays.  Returns ERR_OK, or ERR_NOMEM with nothing left to free.
 * The cache borrows the registry's strings: list_free it first.
 */
enum err
list_init(struct app *app)
{
	const struct registry	*reg = app->reg;
	struct listcache	*lc = &app->list;
	size_t			 i, n = reg->n ? reg->n : 1;
	enum err		 e = ERR_NOMEM;

	memset(lc, 0, sizeof(*lc));
	if ((lc->frags = calloc(n, sizeof(*lc->frags))) == NULL ||
	    (lc->ids = calloc(n, sizeof(*lc->ids))) == NULL ||
	    (lc->emb_ids = calloc(n, sizeof(*lc->emb_ids))) == NULL)
		goto out;
	for (i = 0; i < reg->n; i++) {
		lc->ids[i] = reg->models[i].id;
		if (reg->models[i].type == MT_EMBEDDING)
			lc->emb_ids[lc->nemb++] = reg->models[i].id;
		if ((lc->frags[i].head = frag_head(&reg->models[i])) == NULL ||
		    (lc->frags[i].tail = frag_tail(reg, &reg->models[i])) ==
		    NULL)
			goto out;
	}
	e = ERR_OK;
out:
	if (e != ERR_OK)
		list_free(app);
	return e;
}

/* Frees app->list (built or not); app->reg must still be there. */
void
list_free(struct app *app)
{
	struct listcache	*lc = &app->list;
	size_t			 i;

	for (i = 0; lc->frags != NULL && i < app->reg->n; i++) {
		free(lc->frags[i].head);
		free(lc->frags[i].tail);
	}
	free(lc->frags);
	free(lc->ids);
	free(lc->emb_ids);
	memset(lc, 0, sizeof(*lc));
}

/*
 * The ids of the embedding models, the models whose collections the list
 * shows; *n is their number.  Borrowed from app: valid until list_free.
 */
const char *const *
list_embedding_ids(const struct app *app, size_t *n)
{

	*n = app->list.nemb;
	return app->list.emb_ids;
}

/* A JSON string as cJSON prints it (the same escapes as the rest). */
static void
add_string(struct sbuf *b, const char *s)
{
	char	*p = print_object(cJSON_CreateString(s));

	if (p == NULL) {
		b->failed = true;
		return;
	}
	sbuf_adds(b, p);
	free(p);
}

/* The string s, or null when s is NULL. */
static void
add_string_or_null(struct sbuf *b, const char *s)
{

	if (s != NULL)
		add_string(b, s);
	else
		sbuf_adds(b, "null");
}

static void
add_uint(struct sbuf *b, unsigned long long v)
{
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%llu", v);
	sbuf_adds(b, buf);
}

/* The names of the collections using m, as a JSON array. */
static void
add_collections(struct sbuf *b, const struct listctx *lc,
    const struct model *m)
{
	size_t	 k;
	int	 first = 1;

	sbuf_adds(b, "[");
	for (k = 0; m->type == MT_EMBEDDING && k < lc->cols.n; k++) {
		if (strcmp(lc->cols.v[k].model, m->id) != 0)
			continue;
		if (!first)
			sbuf_adds(b, ",");
		add_string(b, lc->cols.v[k].name);
		first = 0;
	}
	sbuf_adds(b, "]");
}

/* The claim's task id when its operation shows in the list slot named
 * slot (ts_op_list_slot), else null. */
static void
add_task_id(struct sbuf *b, const struct ts_claim *c, const char *slot)
{
	const char	*s = c != NULL ? ts_op_list_slot(c->op) : NULL;

	add_string_or_null(b, s != NULL && strcmp(s, slot) == 0 ?
	    c->task_id : NULL);
}

/* The size on disk of an installed repo in units (floored), else null. */
static void
add_size(struct sbuf *b, const struct hfrepo *repo, unsigned long long unit)
{

	if (repo != NULL)
		add_uint(b, repo->size_on_disk / unit);
	else
		sbuf_adds(b, "null");
}

/* Appended (cache doctor): partial_size_mb and partial_size_bytes (the
 * model repo's unfinished downloads and orphan blobs, as the scan counts
 * partial_cache_size_mb; 0 without a repo), then verify_status (null, or
 * the last verify's or repair's {status, problems, checked_at, task_id}). */
static void
add_doctor(struct sbuf *b, const struct listctx *lc, size_t i)
{
	const struct hfrepo	*repo = lc->sv.scan == NULL ? NULL :
	    hfcache_find(lc->sv.scan, "model", lc->reg->models[i].id);
	struct findings_status	 fs;
	char			 buf[160];

	sbuf_adds(b, ",\"partial_size_mb\":");
	add_uint(b, repo != NULL ? repo->partial_bytes / MIB : 0);
	sbuf_adds(b, ",\"partial_size_bytes\":");
	add_uint(b, repo != NULL ? repo->partial_bytes : 0);
	sbuf_adds(b, ",\"verify_status\":");
	if (lc->vstatus == NULL ||
	    findings_status_parse(lc->vstatus[i], &fs) == -1) {
		sbuf_adds(b, "null");
		return;
	}
	snprintf(buf, sizeof(buf), "{\"status\":\"%s\",\"problems\":%llu,"
	    "\"checked_at\":%lld,\"task_id\":\"%s\"}", fs.ok ? "ok" :
	    "problems", fs.problems, fs.checked_at, fs.task_id);
	sbuf_adds(b, buf);
}

/* A model's object, fields in the contract's order. */
static void
add_model(struct sbuf *b, const struct listctx *lc, size_t i)
{
	const struct model	*m = &lc->reg->models[i];
	const struct hfrepo	*repo = installed_repo(lc, m);
	const struct ts_claim	*c = lc->claims ? &lc->claims[i] : NULL;

	sbuf_adds(b, lc->cache->frags[i].head);
	sbuf_adds(b, repo != NULL ? "true" : "false");
	sbuf_adds(b, ",\"size_on_disk_mb\":");
	add_size(b, repo, MIB);
	sbuf_adds(b, ",\"used_by_collections\":");
	add_collections(b, lc, m);
	sbuf_adds(b, ",\"active_download_task_id\":");
	add_task_id(b, c, "download");
	sbuf_adds(b, ",\"active_delete_task_id\":");
	add_task_id(b, c, "delete");
	sbuf_adds(b, lc->cache->frags[i].tail);
	/* Appended for the Models page: the bytes of size_on_disk_mb. */
	sbuf_adds(b, ",\"size_on_disk_bytes\":");
	add_size(b, repo, 1);
	/* Appended (second wave): the operation of the model's claim. */
	sbuf_adds(b, ",\"active_operation\":");
	add_string_or_null(b, c != NULL && c->op != TS_OP_NONE ?
	    ts_op_str(c->op) : NULL);
	/* Appended (revisions): sizes, revisions and updates. */
	revs_list_fields(b, lc->facts != NULL ? &lc->facts[i] : NULL,
	    lc->sv.scan, m->id);
	add_doctor(b, lc, i);
	sbuf_adds(b, "}");
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
	json_add_int(o, "total_cache_size_mb", (long long)total);
	json_add_int(o, "managed_cache_size_mb", (long long)managed);
	json_add_int(o, "unmanaged_cache_size_mb",
	    (long long)(total > managed ? total - managed : 0));
	json_add_int(o, "unmanaged_repo_count",
	    (long long)unmanaged_repos);
	json_add_int(o, "partial_cache_size_mb",
	    (long long)(s->partial_bytes / MIB));
	return o;
}

/*
 * Sends the list's MGET before authentication queries PostgreSQL, so
 * that both servers work at once (route.c); list_prefetch_end drops the
 * reply when the request ended before the list read it.
 */
void
list_prefetch(struct req *r)
{

	r->claims_sent = ts_active_send(r->app->redis, r->app->list.ids,
	    r->app->reg->n, FINDINGS_STATUS_KIND) == ERR_OK ? 1 : -1;
	if (r->claims_sent == 1)
		revs_prefetch(r);
}

/* Reads and drops the reply of list_prefetch if the list did not. */
void
list_prefetch_end(struct req *r)
{

	if (r->claims_sent == 1)
		ts_active_drop(r->app->redis);
	r->claims_sent = 0;
	revs_prefetch_end(r);
}

/* Reads the claims, the verify statuses and the generation (one MGET,
 * sent by list_prefetch or now); Redis down is not an error here: the
 * list degrades to null task ids and a service warning. */
static void
load_claims(struct req *r, struct listctx *lc, int *have_gen,
    unsigned long long *gen)
{
	const struct registry	*reg = lc->reg;
	size_t			 n = reg->n ? reg->n : 1;
	enum err		 e = ERR_REDIS;

	*have_gen = 0;
	lc->claims = calloc(n, sizeof(*lc->claims));
	lc->vstatus = calloc(n, sizeof(*lc->vstatus));
	if (lc->claims == NULL || lc->vstatus == NULL)
		e = ERR_NOMEM;
	else {
		if (r->claims_sent == 0)
			r->claims_sent = ts_active_send(r->app->redis,
			    lc->cache->ids, reg->n, FINDINGS_STATUS_KIND) ==
			    ERR_OK ? 1 : -1;
		if (r->claims_sent == 1) {
			e = ts_active_recv(r->app->redis, reg->n, lc->claims,
			    gen, lc->vstatus);
			r->claims_sent = 0;
		}
	}
	/* The claims' reply left unread; the facts' reply behind it stays
	 * for revs_facts (the same round trip). */
	if (r->claims_sent == 1)
		ts_active_drop(r->app->redis);
	r->claims_sent = 0;
	if (e == ERR_OK) {
		*have_gen = 1;
		return;
	}
	lc->task_store_down = e == ERR_REDIS;
	free(lc->claims);
	free(lc->vstatus);
	lc->claims = NULL;
	lc->vstatus = NULL;
}

/* Frees the verify statuses of lc. */
static void
free_vstatus(struct listctx *lc)
{
	size_t	 i;

	for (i = 0; lc->vstatus != NULL && i < lc->reg->n; i++)
		free(lc->vstatus[i]);
	free(lc->vstatus);
}

/* The collections, unless authentication fetched them already. */
static enum err
load_collections(struct req *r, struct listctx *lc)
{

	if (r->have_cols) {		/* taken over */
		lc->cols = r->cols;
		memset(&r->cols, 0, sizeof(r->cols));
		r->have_cols = 0;
		return ERR_OK;
	}
	if (r->p.has_model_type && r->p.model_type != MT_EMBEDDING)
		return ERR_OK;
	return db_collections_using(r->app->db, lc->cache->emb_ids,
	    lc->cache->nemb, &lc->cols);
}

/* The selected models, comma-separated. */
static void
add_models(struct sbuf *b, const struct req *r, const struct listctx *lc)
{
	const struct registry	*reg = lc->reg;
	size_t			 i;
	int			 first = 1;

	for (i = 0; i < reg->n; i++) {
		if (!model_selected(r, &reg->models[i]))
			continue;
		if (r->p.installed_only &&
		    installed_repo(lc, &reg->models[i]) == NULL)
			continue;
		if (!first)
			sbuf_adds(b, ",");
		add_model(b, lc, i);
		first = 0;
	}
}

/* cache_size when asked for, else null. */
static void
add_cache_size(struct sbuf *b, const struct req *r,
    const struct listctx *lc)
{
	char	*s;

	if (!r->p.include_cache_size) {
		sbuf_adds(b, "null");
		return;
	}
	if ((s = print_object(cache_size_json(lc))) == NULL)
		b->failed = true;
	else
		sbuf_adds(b, s);
	free(s);
}

/* service_warnings: the dependencies down right now, for a banner. */
static void
add_service_warnings(struct sbuf *b, const struct listctx *lc)
{

	sbuf_adds(b, "[");
	if (lc->task_store_down) {
		sbuf_adds(b, "{\"service\":\"task_store\",\"detail\":");
		add_string(b, TASK_STORE_DOWN);
		sbuf_adds(b, "}");
	}
	sbuf_adds(b, "]");
}

/* The answer, or NULL on out-of-memory. */
static char *
list_text(const struct req *r, const struct listctx *lc)
{
	struct sbuf	 b = SBUF_INIT;

	sbuf_adds(&b, "{\"models\":[");
	add_models(&b, r, lc);
	sbuf_adds(&b, "],\"cache_size\":");
	add_cache_size(&b, r, lc);
	sbuf_adds(&b, ",\"hf_cache_scan_error\":");
	add_string_or_null(&b, lc->sv.error);
	sbuf_adds(&b, ",\"service_warnings\":");
	add_service_warnings(&b, lc);
	sbuf_adds(&b, "}");
	return sbuf_finish(&b);
}

/* GET /api/v2/models. */
void
handle_list(struct req *r)
{
	struct listctx		 lc;
	unsigned long long	 gen = 0;
	int			 have_gen;
	enum err		 e;

	memset(&lc, 0, sizeof(lc));
	lc.reg = r->app->reg;
	lc.cache = &r->app->list;
	load_claims(r, &lc, &have_gen, &gen);
	lc.facts = revs_facts(r);
	/* A forced refresh is for every responder: bump the generation so
	 * the others drop their scan too (ours is then as new as that). */
	if (r->p.force_refresh_cache &&
	    ts_bump_generation(r->app->redis, &gen) == ERR_OK)
		have_gen = 1;
	if ((e = load_collections(r, &lc)) != ERR_OK) {
		resp_err(r, e);
		goto out;
	}
	scancache_get(r->app, r->p.force_refresh_cache, have_gen, gen,
	    &lc.sv);
	resp_ok_text(r, list_text(r, &lc));
out:
	free(lc.facts);
	free(lc.claims);
	free_vstatus(&lc);
	db_collections_free(&lc.cols);
}
