/*
 * GET /cache/report and the dry run of POST /cache/prune: the cache
 * doctor's scan (hfdoctor.h: a walk, no hashing, no file content read but
 * refs), the claims of the model repos in one MGET, and /proc/locks for
 * the locks held on this host.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "hfdoctor.h"
#include "hfprune.h"
#include "hubname.h"
#include "prunetally.h"

#define REPORT_ITEMS_MAX	1000	/* items listed per kind and repo */

/* What the report or the dry run gathered. */
struct doctorview {
	struct hfdoc_report	 rep;
	struct ts_claim		*claims;	/* per repo (model repos) */
	struct proclocks	 locks;
	int64_t			 now;
};

/* Totals of one kind. */
struct ksum {
	uint64_t	 items, apparent, disk;
};

/* ---------------------------------------------------------------------
 * Gathering
 */

/* The claims of the model repos of v->rep, in one MGET. */
static enum err
load_claims(struct req *r, struct doctorview *v)
{
	const char		**ids;
	unsigned long long	 gen;
	size_t			 i;
	enum err		 e;

	ids = calloc(v->rep.n + 1, sizeof(*ids));
	v->claims = calloc(v->rep.n + 1, sizeof(*v->claims));
	if (ids == NULL || v->claims == NULL) {
		free(ids);
		return ERR_NOMEM;
	}
	/* Other repos' ids name no model: their claims are not asked. */
	for (i = 0; i < v->rep.n; i++)
		ids[i] = strcmp(v->rep.repos[i].type, "model") == 0 ?
		    v->rep.repos[i].id : "";
	e = v->rep.n == 0 ? ERR_OK : ts_active_many(r->app->redis, ids,
	    v->rep.n, v->claims, &gen);
	for (i = 0; e == ERR_OK && i < v->rep.n; i++)
		if (*ids[i] == '\0')
			v->claims[i].op = TS_OP_NONE;
	free(ids);
	return e;
}

/* The one repo folder of model id into rep (none when absent). */
static enum err
scan_one(const struct hfdoc_opts *o, const char *cache, const char *id,
    struct hfdoc_report *rep)
{
	char	 folder[512];

	memset(rep, 0, sizeof(*rep));
	if (hubname_repo_folder("model", id, folder, sizeof(folder)) == -1)
		return ERR_INVAL;
	return hfdoc_scan_one(cache, o, folder, rep);
}

/* Scans (the repo of model id, or every repo when id is NULL) and reads
 * the claims; answers 503 or 500 itself and returns -1 on failure. */
static int
doctorview_load(struct req *r, const char *id, struct doctorview *v)
{
	struct hfdoc_opts	 o;
	char			 msg[512];
	enum err		 e;

	memset(v, 0, sizeof(*v));
	memset(&o, 0, sizeof(o));
	msg[0] = '\0';
	v->now = o.now = (int64_t)time(NULL);
	if ((e = proclocks_load("/proc/locks", &v->locks)) == ERR_OK) {
		o.locks = &v->locks;
		e = id != NULL ? scan_one(&o, r->app->cfg->hf_hub_cache, id,
		    &v->rep) : hfdoc_scan(r->app->cfg->hf_hub_cache, &o,
		    &v->rep, msg, sizeof(msg));
	}
	if (e == ERR_OK)
		e = load_claims(r, v);
	if (e == ERR_OK)
		return 0;
	if (e == ERR_IO)
		resp_err_detail(r, e, msg);
	else
		resp_err(r, e);
	return -1;
}

static void
doctorview_free(struct doctorview *v)
{

	hfdoc_report_free(&v->rep);
	proclocks_free(&v->locks);
	free(v->claims);
}

/* 1 if the model repo id has an entry in the cache (not followed). */
int
doctor_repo_present(struct req *r, const char *id)
{
	char		 folder[512], path[4096];
	struct stat	 st;

	if (hubname_repo_folder("model", id, folder, sizeof(folder)) == -1 ||
	    snprintf(path, sizeof(path), "%s/%s", r->app->cfg->hf_hub_cache,
	    folder) >= (int)sizeof(path))
		return 0;
	return fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---------------------------------------------------------------------
 * The report
 */

/* lock_held: true, false, or null when it cannot be told. */
static void
add_held(cJSON *o, int held)
{

	if (held < 0)
		cJSON_AddNullToObject(o, "lock_held");
	else
		cJSON_AddBoolToObject(o, "lock_held", held);
}

static const char *const writer_names[] = {
	[HFDOC_W_SINGLE] = "single_stream",
	[HFDOC_W_MULTIPART] = "multipart",
	[HFDOC_W_OTHER] = "other_tool",
};

/* The first REPORT_ITEMS_MAX of n names, as JSON strings. */
static cJSON *
names_json(char *const *names, size_t n)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; a != NULL && i < n && i < REPORT_ITEMS_MAX; i++)
		cJSON_AddItemToArray(a, json_utf8(names[i]));
	return a;
}

/* What only some kinds of items have. */
static void
add_kind_fields(cJSON *o, const struct hfdoc_item *it)
{
	cJSON	*s;

	if (it->kind == HFDOC_PARTIAL) {
		cJSON_AddItemToObject(o, "etag", json_utf8(it->etag));
		cJSON_AddStringToObject(o, "writer", writer_names[it->writer]);
		if (it->map != NULL)
			cJSON_AddItemToObject(o, "parts_map",
			    json_utf8(it->map));
		else
			cJSON_AddNullToObject(o, "parts_map");
	} else if (it->kind == HFDOC_DETACHED) {
		cJSON_AddItemToObject(o, "commit", json_utf8(it->etag));
		json_add_int(o, "files", (long long)it->files);
		json_add_int(o, "blobs_freed", (long long)it->nblobs);
		s = cJSON_AddObjectToObject(o, "shared_with_current");
		json_add_int(s, "blobs", (long long)it->nshared);
		json_add_int(s, "apparent_bytes", (long long)it->shared_bytes);
		cJSON_AddItemToObject(s, "names", names_json(it->shared,
		    it->nshared));
	} else if (it->kind == HFDOC_BROKEN_LINK)
		cJSON_AddStringToObject(o, "reason", it->reason);
	if (it->kind != HFDOC_BROKEN_LINK && it->kind != HFDOC_STALE_LOCK)
		add_held(o, it->held);
}

/* One item of the report. */
static cJSON *
item_json(const struct hfdoc_item *it, int64_t now)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddItemToObject(o, "path", json_utf8(it->name));
	if (it->kind != HFDOC_BROKEN_LINK) {
		json_add_int(o, "apparent_bytes", (long long)it->apparent);
		json_add_int(o, "disk_bytes", (long long)it->disk);
		json_add_int(o, "age_seconds", now > it->mtime ?
		    (long long)(now - it->mtime) : 0);
	}
	add_kind_fields(o, it);
	return o;
}

static void
ksum_add(struct ksum *k, const struct hfdoc_item *it)
{

	k->items++;
	k->apparent += it->apparent;
	k->disk += it->disk;
}

static void
add_ksum(cJSON *o, const char *name, const struct ksum *k)
{

	prunetally_bytes_json(o, name, k->items, k->apparent, k->disk);
}

/* The items of repo rp, by kind (each list cut at REPORT_ITEMS_MAX),
 * with the repo's summary; adds them to the totals. */
static void
add_items(cJSON *o, const struct hfdoc_repo *rp, int64_t now,
    struct ksum *totals)
{
	struct ksum	 sum[HFDOC__MAX];
	cJSON		*lists[HFDOC__MAX], *summary;
	size_t		 i;
	int		 k;

	memset(sum, 0, sizeof(sum));
	summary = cJSON_AddObjectToObject(o, "summary");
	for (k = 0; k < HFDOC__MAX; k++)
		lists[k] = cJSON_AddArrayToObject(o, hfdoc_kind_str(k));
	for (i = 0; i < rp->n; i++) {
		ksum_add(&sum[rp->items[i].kind], &rp->items[i]);
		if (sum[rp->items[i].kind].items <= REPORT_ITEMS_MAX)
			cJSON_AddItemToArray(lists[rp->items[i].kind],
			    item_json(&rp->items[i], now));
	}
	for (k = 0; k < HFDOC__MAX; k++) {
		add_ksum(summary, hfdoc_kind_str(k), &sum[k]);
		totals[k].items += sum[k].items;
		totals[k].apparent += sum[k].apparent;
		totals[k].disk += sum[k].disk;
	}
}

/* One repo of the report. */
static cJSON *
repo_json(struct req *r, const struct hfdoc_repo *rp,
    const struct ts_claim *c, int64_t now, struct ksum *totals)
{
	cJSON	*o;
	int	 active = c->op != TS_OP_NONE;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddItemToObject(o, "repo_type", json_utf8(rp->type));
	cJSON_AddItemToObject(o, "repo_id", json_utf8(rp->id));
	cJSON_AddItemToObject(o, "folder", json_utf8(rp->folder));
	cJSON_AddBoolToObject(o, "curated", strcmp(rp->type, "model") == 0 &&
	    registry_find_id(r->app->reg, rp->id) != NULL);
	json_add_string_or_null(o, "active_operation", active ?
	    ts_op_str(c->op) : NULL);
	json_add_string_or_null(o, "active_task_id", active ? c->task_id :
	    NULL);
	json_add_int(o, "revisions", (long long)rp->nrevisions);
	json_add_int(o, "refs", (long long)rp->nrefs);
	json_add_int(o, "partial_size_bytes", (long long)rp->partial_size);
	if (rp->warning != NULL)
		cJSON_AddItemToObject(o, "warning", json_utf8(rp->warning));
	else
		cJSON_AddNullToObject(o, "warning");
	add_items(o, rp, now, totals);
	return o;
}

/* The totals: each kind's, what a prune can reclaim (its four kinds),
 * and the partial bytes the list counts. */
static void
add_totals(cJSON *o, const struct ksum *totals, uint64_t partial_size)
{
	struct ksum	 all;
	cJSON		*t;
	int		 k;

	memset(&all, 0, sizeof(all));
	t = cJSON_AddObjectToObject(o, "totals");
	for (k = 0; k < HFDOC__MAX; k++) {
		add_ksum(t, hfdoc_kind_str(k), &totals[k]);
		if (!(HFPRUNE_KINDS & (1u << k)))
			continue;
		all.items += totals[k].items;
		all.apparent += totals[k].apparent;
		all.disk += totals[k].disk;
	}
	add_ksum(t, "reclaimable", &all);
	json_add_int(t, "partial_size_bytes", (long long)partial_size);
}

static cJSON *
report_json(struct req *r, const struct doctorview *v)
{
	struct ksum	 totals[HFDOC__MAX];
	uint64_t	 partial = 0;
	cJSON		*o, *repos;
	size_t		 i;

	memset(totals, 0, sizeof(totals));
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	json_add_int(o, "generated_at", (long long)v->now);
	json_add_int(o, "prune_min_age_seconds",
	    (long long)r->app->cfg->prune_min_age);
	cJSON_AddBoolToObject(o, "locks_visible", !v->locks.failed);
	repos = cJSON_CreateArray();
	for (i = 0; i < v->rep.n; i++) {
		cJSON_AddItemToArray(repos, repo_json(r, &v->rep.repos[i],
		    &v->claims[i], v->now, totals));
		partial += v->rep.repos[i].partial_size;
	}
	add_totals(o, totals, partial);
	cJSON_AddItemToObject(o, "repos", repos);
	return o;
}

/* GET /api/v2/models/cache/report. */
void
handle_report(struct req *r)
{
	struct doctorview	 v;

	if (doctorview_load(r, NULL, &v) == 0)
		resp_ok(r, report_json(r, &v));
	doctorview_free(&v);
}

/* ---------------------------------------------------------------------
 * The dry run
 */

/* The kinds of bits, as a JSON list. */
static cJSON *
kinds_json(unsigned bits)
{
	cJSON	*a = cJSON_CreateArray();
	int	 k;

	for (k = 0; a != NULL && k < HFDOC__MAX; k++)
		if (bits & (1u << k))
			cJSON_AddItemToArray(a,
			    cJSON_CreateString(hfdoc_kind_str(k)));
	return a;
}

/* What a prune of v's repos would do now, item by item. */
static cJSON *
preview_json(struct req *r, const struct doctorview *v)
{
	const struct hfdoc_repo	*rp;
	struct prunetally	*t;
	enum hfprune_skip	 why;
	size_t			 i, j;
	cJSON			*o;

	if ((t = prunetally_new("would_free")) == NULL)
		return NULL;
	for (i = 0; i < v->rep.n; i++) {
		rp = &v->rep.repos[i];
		prunetally_repo(t, rp->type, rp->id);
		for (j = 0; j < rp->n; j++) {
			if (!(r->p.prune_kinds & (1u << rp->items[j].kind)))
				continue;
			why = v->claims[i].op != TS_OP_NONE ? HFPRUNE_CLAIM :
			    hfprune_decide(&rp->items[j], v->now,
			    r->app->cfg->prune_min_age);
			prunetally_add(t, &rp->items[j], why);
		}
	}
	o = prunetally_json(t);
	prunetally_free(&t);
	return o;
}

/* The dry run of POST /cache/prune: what it would free, exactly, and
 * what it would skip and why; nothing changes. */
void
prune_preview(struct req *r)
{
	struct doctorview	 v;
	cJSON			*o, *p;

	if (doctorview_load(r, r->p.model_id, &v) == -1) {
		doctorview_free(&v);
		return;
	}
	if ((o = cJSON_CreateObject()) != NULL) {
		json_add_string_or_null(o, "model_id", r->p.model_id);
		cJSON_AddItemToObject(o, "what", kinds_json(r->p.prune_kinds));
		cJSON_AddFalseToObject(o, "confirm");
		json_add_int(o, "prune_min_age_seconds",
		    (long long)r->app->cfg->prune_min_age);
		if ((p = preview_json(r, &v)) == NULL) {
			cJSON_Delete(o);
			o = NULL;
		} else {
			cJSON_AddItemToObject(o, "would_free",
			    cJSON_DetachItemFromObject(p, "would_free"));
			cJSON_AddItemToObject(o, "would_skip",
			    cJSON_DetachItemFromObject(p, "skipped"));
			cJSON_AddItemToObject(o, "repos",
			    cJSON_DetachItemFromObject(p, "repos"));
			cJSON_Delete(p);
		}
	}
	resp_ok(r, o);
	doctorview_free(&v);
}
