/*
 * Revisions: the hub facts a check stored (revstore.h) shown in the list,
 * POST /check-updates (a deployment-wide check task), POST /update (an
 * update task, with the collections preflight) and the disk admission of
 * downloads and updates at request time, where the hub facts give their
 * size.
 */
#include <sys/statvfs.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "log.h"
#include "progress.h"
#include "revstore.h"
#include "sbuf.h"

#define MIB	(1024ULL * 1024ULL)

/*
 * The list's fields.
 */

/* Sends the MGET of every model's facts right behind the list's claims
 * (list_prefetch): the same round trip. */
void
revs_prefetch(struct req *r)
{

	r->facts_sent = revstore_send(r->app->redis, r->app->list.ids,
	    r->app->reg->n) == ERR_OK ? 1 : -1;
}

/* Reads and drops the facts' reply if the list did not read it. */
void
revs_prefetch_end(struct req *r)
{

	if (r->facts_sent == 1)
		revstore_drop(r->app->redis);
	r->facts_sent = 0;
}

/*
 * The facts of every registry model, in registry order: a calloc'd array
 * the caller frees, from the prefetched reply (or a round trip of its
 * own); NULL when Redis cannot say (the fields then read null).
 */
struct hubfacts *
revs_facts(struct req *r)
{
	struct hubfacts	*f;
	size_t		 n = r->app->reg->n;
	enum err	 e = ERR_REDIS;

	if ((f = calloc(n + 1, sizeof(*f))) == NULL) {
		revs_prefetch_end(r);
		return NULL;
	}
	if (r->facts_sent == 0 && revstore_send(r->app->redis,
	    r->app->list.ids, n) == ERR_OK)
		r->facts_sent = 1;
	if (r->facts_sent == 1)
		e = revstore_recv(r->app->redis, n, f);
	r->facts_sent = 0;
	if (e != ERR_OK) {
		free(f);
		return NULL;
	}
	return f;
}

/* ",\"<name>\":" then v, or null when v is NULL. */
static void
add_field(struct sbuf *b, const char *name, const char *v)
{

	sbuf_adds(b, ",\"");
	sbuf_adds(b, name);
	sbuf_adds(b, "\":");
	sbuf_adds(b, v != NULL ? v : "null");
}

/* A commit (40 hex: nothing to escape) as a JSON string, or null. */
static void
add_commit(struct sbuf *b, const char *name, const char *c)
{
	char	 q[43];

	snprintf(q, sizeof(q), "\"%s\"", c != NULL ? c : "");
	add_field(b, name, c != NULL && *c != '\0' ? q : NULL);
}

/* bytes // 2^20, or null when !known. */
static void
add_mb(struct sbuf *b, const char *name, int known, uint64_t bytes)
{
	char	 v[24];

	snprintf(v, sizeof(v), "%llu", (unsigned long long)(bytes / MIB));
	add_field(b, name, known ? v : NULL);
}

/*
 * The fields the list appends for model_id: download_size_mb,
 * installed_revision, latest_revision, update_available, update_size_mb
 * (known only when the facts were computed against the revision installed
 * now) and revisions.  f may be NULL (Redis did not answer).
 */
void
revs_list_fields(struct sbuf *b, const struct hubfacts *f,
    const struct hfscan *scan, const char *model_id)
{
	const struct hfrepo	*repo = hfcache_find(scan, "model", model_id);
	const char		*head = NULL;
	int			 known = f != NULL && f->state == RS_KNOWN;
	int			 cmp = 0, sized;
	char			 n[24];

	if (repo != NULL && repo->nrevisions > 0 && repo->head[0] != '\0')
		head = repo->head;
	if (known && head != NULL)
		cmp = strcmp(f->commit, head) != 0 ? 1 : -1;
	/* The change's size: none when up to date; else only if the check
	 * compared main with the revision installed now. */
	sized = cmp == -1 || (cmp == 1 && f->update_bytes >= 0 &&
	    strcmp(f->against, head) == 0);
	add_mb(b, "download_size_mb", known, known ? f->size_bytes : 0);
	add_commit(b, "installed_revision", head);
	add_commit(b, "latest_revision", known ? f->commit : NULL);
	add_field(b, "update_available", cmp == 0 ? NULL : cmp == 1 ?
	    "true" : "false");
	add_mb(b, "update_size_mb", sized, cmp == 1 && sized ?
	    (uint64_t)f->update_bytes : 0);
	snprintf(n, sizeof(n), "%zu", repo != NULL ? repo->nrevisions : 0);
	add_field(b, "revisions", n);
}

/*
 * Disk admission at request time.
 */

/* The free space of the file system of path (or of its nearest existing
 * parent: the cache may not exist yet) into *avail; -1 when unknown. */
static int
disk_avail(const char *path, uint64_t *avail)
{
	struct statvfs	 vfs;
	char		 p[PATH_MAX], *d;
	int		 i;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -1;
	for (i = 0; i < 64; i++) {
		if (statvfs(p, &vfs) == 0) {
			*avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
			return 0;
		}
		if (errno != ENOENT || strcmp(p, "/") == 0)
			return -1;
		d = dirname(p);		/* p itself, or a static "." */
		memmove(p, d, strlen(d) + 1);
	}
	return -1;
}

/* Answers 409 insufficient_space, with the bytes needed and free. */
static void
resp_no_space(struct req *r, const char *model_id, enum ts_op op,
    uint64_t need, uint64_t avail, uint64_t reserve)
{
	char	 msg[256], n[32], a[32], k[32];
	cJSON	*c;

	progress_fmt_bytes(n, sizeof(n), need);
	progress_fmt_bytes(a, sizeof(a), avail);
	progress_fmt_bytes(k, sizeof(k), reserve);
	snprintf(msg, sizeof(msg), "Not enough disk space to %s: needs %s, "
	    "%s free (%s is kept in reserve)", ts_op_str(op), n, a, k);
	if ((c = conflict_json("insufficient_space", msg, model_id, NULL)) !=
	    NULL) {
		json_add_int(c, "needed_bytes", (long long)need);
		json_add_int(c, "free_bytes", (long long)avail);
	}
	resp_err_json(r, ERR_CONFLICT, c);
}

/*
 * What a download or update of model_id still has to fetch, when the hub
 * facts say: a download the whole of main, an update the blobs main has
 * and the installed revision has not (the facts must have been computed
 * against the revision installed now); minus what the repo already holds
 * of unfinished downloads.  A lower bound (the job admits exactly): 0
 * and -1 when unknown.
 */
static int
admit_need(struct req *r, const char *model_id, enum ts_op op,
    const struct scanview *sv, uint64_t *need)
{
	const struct hfrepo	*repo;
	struct hubfacts		 f;
	uint64_t		 partial;

	if (revstore_get(r->app->redis, model_id, &f) != ERR_OK ||
	    f.state != RS_KNOWN)
		return -1;
	repo = hfcache_find(sv->scan, "model", model_id);
	partial = repo != NULL ? repo->partial_bytes : 0;
	if (op == TS_OP_DOWNLOAD)
		*need = f.size_bytes;
	else if (repo != NULL && f.update_bytes >= 0 &&
	    strcmp(f.against, repo->head) == 0)
		*need = (uint64_t)f.update_bytes;
	else
		return -1;
	*need = *need > partial ? *need - partial : 0;
	return 0;
}

/*
 * Disk admission at request time: a download or update whose size the
 * hub facts give, and that cannot fit in the free space of the cache's
 * file system minus jobs.disk_reserve_mb, is refused at once: 409
 * insufficient_space, after giving back the claim of task_id.  Returns
 * 0 to go on (the job admits it again, exactly), or -1 when answered.
 */
int
revs_admit(struct req *r, const char *model_id, enum ts_op op,
    const char *task_id, const struct scanview *sv)
{
	const struct config	*cfg = r->app->cfg;
	uint64_t		 need, avail, reserve;

	if (admit_need(r, model_id, op, sv, &need) == -1 ||
	    disk_avail(cfg->hf_hub_cache, &avail) == -1)
		return 0;
	reserve = (uint64_t)cfg->disk_reserve_mb * MIB;
	avail = avail > reserve ? avail - reserve : 0;
	if (need <= avail)
		return 0;
	claim_give_back(r, model_id, op, task_id);
	resp_no_space(r, model_id, op, need, avail, reserve);
	return -1;
}

/*
 * POST /check-updates.
 */

/* Every curated model due now, then a check task (or the one running). */
void
handle_check_updates(struct req *r)
{
	const char	**ids;
	size_t		 n;
	enum err	 e;

	if ((ids = revstore_model_ids(r->app->reg, &n)) == NULL) {
		resp_err(r, ERR_NOMEM);
		return;
	}
	e = revstore_all_due(r->app->redis, ids, n);
	free(ids);
	if (e != ERR_OK)
		resp_err(r, e == ERR_NOMEM ? e : ERR_REDIS);
	else
		start_task(r, "", TS_OP_CHECK, NULL);
}

/*
 * POST /update.
 */

/* The collections using the model: the update's preflight (an update
 * changes what the model computes).  -1 when answered 503. */
static int
update_collections(struct req *r, const char *model_id,
    struct db_collections *cols)
{
	const char	*models[] = { model_id };
	enum err	 e;

	memset(cols, 0, sizeof(*cols));
	if ((e = db_collections_using(r->app->db, models, 1, cols)) ==
	    ERR_OK)
		return 0;
	resp_err(r, e);
	return -1;
}

/* The warnings of an update of a model that collections use. */
static cJSON *
update_warnings(const struct db_collections *cols)
{
	cJSON	*w = cJSON_CreateArray();
	char	 names[768] = "", msg[1024];
	size_t	 i, len;

	for (i = 0; i < cols->n && i < 3; i++) {
		len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%s",
		    i ? ", " : "", cols->v[i].name);
	}
	snprintf(msg, sizeof(msg), "Model is used by %zu collection(s): %s",
	    cols->n, names);
	cJSON_AddItemToArray(w, cJSON_CreateString(msg));
	cJSON_AddItemToArray(w, cJSON_CreateString("Their vectors were "
	    "computed with the installed revision: embeddings of the new "
	    "revision may not match them until the collections are "
	    "re-indexed"));
	return w;
}

/* Answers 409 requires_confirmation, naming the collections. */
static void
update_confirm(struct req *r, const char *model_id,
    const struct db_collections *cols)
{
	cJSON	*c, *names;
	size_t	 i;

	c = conflict_json("requires_confirmation", "Update requires "
	    "confirmation: collections use this model", model_id, NULL);
	if (c != NULL) {
		names = cJSON_CreateArray();
		for (i = 0; names != NULL && i < cols->n; i++)
			cJSON_AddItemToArray(names,
			    cJSON_CreateString(cols->v[i].name));
		cJSON_ReplaceItemInObjectCaseSensitive(c,
		    "blocked_by_collections", names);
		cJSON_ReplaceItemInObjectCaseSensitive(c,
		    "requires_confirmation", cJSON_CreateTrue());
		cJSON_ReplaceItemInObjectCaseSensitive(c, "warnings",
		    update_warnings(cols));
	}
	resp_err_json(r, ERR_CONFLICT, c);
}

/* 200 with no task (status not_installed or up_to_date), after giving
 * back the claim of task_id. */
static void
update_no_task(struct req *r, const char *model_id, const char *task_id,
    const char *status)
{

	claim_give_back(r, model_id, TS_OP_UPDATE, task_id);
	resp_ok(r, task_start_json(NULL, model_id, TS_OP_UPDATE, status,
	    NULL));
}

/* 1 when the facts of the last check say that the installed revision
 * head is main's latest commit. */
static int
update_is_latest(struct req *r, const char *model_id, const char *head)
{
	struct hubfacts	 f;

	return revstore_get(r->app->redis, model_id, &f) == ERR_OK &&
	    f.state == RS_KNOWN && strcmp(f.commit, head) == 0;
}

/* The update once its claim is ours: the installed state, the
 * preflight, the disk, then the task. */
static void
update_claimed(struct req *r, const char *model_id, const char *id)
{
	struct db_collections	 cols;
	const struct hfrepo	*repo;
	struct scanview		 sv;
	cJSON			*w = NULL;
	const char		*fields[] = { REVSTORE_KEEP_OLD,
				    r->p.keep_old ? "1" : "0" };

	repo = scan_installed(r, model_id, &sv);
	if (repo == NULL && sv.error == NULL) {
		update_no_task(r, model_id, id, TS_NOT_INSTALLED);
		return;
	}
	if (repo != NULL && update_is_latest(r, model_id, repo->head)) {
		update_no_task(r, model_id, id, TS_UP_TO_DATE);
		return;
	}
	if (update_collections(r, model_id, &cols) == -1) {
		claim_give_back(r, model_id, TS_OP_UPDATE, id);
		return;
	}
	if (cols.n > 0 && !r->p.confirm) {
		claim_give_back(r, model_id, TS_OP_UPDATE, id);
		update_confirm(r, model_id, &cols);
	} else if (revs_admit(r, model_id, TS_OP_UPDATE, id, &sv) == 0) {
		w = cols.n > 0 ? update_warnings(&cols) : NULL;
		enqueue_claimed(r, model_id, TS_OP_UPDATE, id, w, fields, 1);
	}
	db_collections_free(&cols);
}

/*
 * POST /api/v2/models/update {"model_id", "keep_old", "confirm"}: not
 * curated 400; the claim (409 cross_op_exclusion, or the update already
 * running); not installed 200 not_installed; installed at the latest
 * commit the last check saw 200 up_to_date; used by collections and not
 * confirm 409 requires_confirmation; cannot fit 409
 * insufficient_space; else a task.
 */
void
handle_update(struct req *r)
{
	const struct model	*m;
	cJSON			*none = NULL;
	char			 id[37];

	if ((m = registry_find_id(r->app->reg, r->p.model_id)) == NULL) {
		resp_not_curated(r, r->p.model_id);
		return;
	}
	ts_new_task_id(id);
	if (claim_or_answer(r, m->id, TS_OP_UPDATE, id, &none))
		update_claimed(r, m->id, id);
}
