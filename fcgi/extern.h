#ifndef MM_FCGI_EXTERN_H
#define MM_FCGI_EXTERN_H

/*
 * Declarations shared by the files of mm-api, the FastCGI responder.
 * request.c turns the FastCGI request into a typed struct req; route.c
 * runs the checks in the reference's order and calls one handler per
 * endpoint; response.c writes statuses, headers and JSON bodies.
 */

#include <signal.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <fcgiapp.h>

#include "audit.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "hfcache.h"
#include "policy.h"
#include "redisconn.h"
#include "registry.h"
#include "taskstate.h"
#include "valid.h"

#define API_PREFIX	"/api/v2/models"
#define BODY_MAX	(64 * 1024)
#define QUERY_PARAMS_MAX 64
#define CID_MAX		64

/*
 * The per-process cache of the HF cache scan (scancache.c): reused for
 * scan_ttl seconds, dropped when the cache generation in Redis moves.
 */
struct scancache {
	struct hfscan		*scan;		/* NULL until a scan succeeds */
	double			 at;		/* mono_now() of the last scan */
	unsigned long long	 gen;		/* generation of scan */
	int			 have_gen;
	int			 failed;	/* the last scan failed */
	char			 error[512];	/* its message */
};

/*
 * What the list prints the same way at every request, built once from the
 * registry (list_init): a model's printed head and tail (list.c), every
 * model id, and the ids of the embedding models.
 */
struct frag;
struct listcache {
	struct frag	 *frags;	/* one per registry model */
	const char	**ids;		/* every model id, registry order */
	const char	**emb_ids;	/* the embedding models' ids */
	size_t		  nemb;
};

/* Everything one responder process keeps between requests. */
struct app {
	const struct config	*cfg;
	struct registry		*reg;
	struct db		*db;
	struct rconn		*redis;
	struct scancache	 scans;
	struct listcache	 list;
	struct audit_sink	 audit;
};

/* Typed parameters, filled by route.c's validation table. */
struct params {
	int		 has_model_type;
	enum model_type	 model_type;
	int		 installed_only;
	int		 include_cache_size;
	int		 force_refresh_cache;
	int		 confirm;
	int		 keep_old;	/* POST /update */
	const char	*model_id;	/* borrowed from the query or body */
	char		 task_id[37];	/* canonical UUID */
	unsigned	 limit;		/* the audit's page size */
	const char	*before;	/* the audit's: a stream id */
	const char	*f_model_id;	/* the audit's filters */
	const char	*f_user;
	struct policy	 policy;	/* a PUT /policy body */
	unsigned	 prune_kinds;	/* a prune's "what": 1 << hfdoc_kind */
};

/*
 * What an audited request answered (observe.c notes it as the answer is
 * written): the task, the outcome (a 200's status, a 409's conflict type)
 * and detail, and the warnings of a delete.
 */
struct anote {
	char		 task_id[64];
	char		 model_id[256];	/* a cancel's, from the answer */
	char		 outcome[64];
	char		 detail[512];
	cJSON		*warnings;	/* owned; NULL: none */
	cJSON		*change;	/* owned: {old, new}; NULL: none */
};

struct req {
	FCGX_Request	*fcgi;
	struct app	*app;
	const char	*method;
	const char	*path;		/* decoded path, without the query */
	const char	*path_arg;	/* the {task_id} segment, or NULL */
	struct query	 query;
	char		*body;		/* NUL-terminated, bodylen bytes */
	size_t		 bodylen;
	cJSON		*json;		/* parsed body, when there is one */
	char		 cid[CID_MAX + 1];
	struct db_user	 user;
	int		 want_cols;	/* route: fetch cols with the user */
	int		 have_cols;	/* cols fetched */
	int		 claims_sent;	/* list's MGET: 1 sent, -1 failed */
	int		 facts_sent;	/* its hub facts' MGET: the same */
	struct db_collections cols;	/* of the embedding models */
	struct params	 p;
	int		 status;	/* status written, for the log */
	const char	*endpoint;	/* route name, a metrics label */
	const char	*operation;	/* audited route: its operation */
	const char	*auth_kind;	/* "jwt", "api_key"; NULL: none */
	int		 scrape;	/* authenticated by the scrape token */
	struct anote	 note;
};

/* request.c */
enum err	 req_init(struct req *r, FCGX_Request *fcgi, struct app *app);
void		 req_free(struct req *r);
const char	*req_header(const struct req *r, const char *cgi_name);
enum err	 req_read_body(struct req *r);

/*
 * response.c.  Every error answer takes its status, default detail and
 * extra headers from one table indexed by its code: an enum err, or one
 * of the front line's own answers below, which continue enum err's
 * numbering because lib/ has no code for them.  A code the table does
 * not know is a 500.
 */
enum ans {
	ANS_NOT_AUTHENTICATED = ERR__MAX, /* 401, no credentials */
	ANS_BAD_CREDENTIALS,	/* 401, bad scheme, JWT or size */
	ANS_USER_NOT_FOUND,	/* 401, the JWT's user is unknown */
	ANS_BAD_API_KEY,	/* 401 */
	ANS_INACTIVE_USER,	/* 403 */
	ANS_NOT_SUPERUSER,	/* 403 */
	ANS_METHOD_NOT_ALLOWED,	/* 405, with an Allow header */
	ANS_INVALID,		/* 422, FastAPI's validation list */
	ANS_REDIRECT,		/* 307, with a Location header */
	ANS__MAX
};

void		 resp_json(struct req *r, int status, cJSON *body,
		    const char *extra_headers);
void		 resp_ok(struct req *r, cJSON *body);
void		 resp_ok_text(struct req *r, char *text);
void		 resp_ok_typed(struct req *r, char *text,
		    const char *content_type);
void		 resp_err(struct req *r, enum err e);
void		 resp_err_detail(struct req *r, enum err e,
		    const char *detail);
void		 resp_err_json(struct req *r, enum err e, cJSON *detail);
void		 resp_ans(struct req *r, enum ans a);
void		 resp_not_allowed(struct req *r, const char *allow);
void		 resp_invalid(struct req *r, cJSON *errs);
void		 resp_redirect(struct req *r, const char *location);
cJSON		*verr_new(void);
void		 verr_add(cJSON *list, const char *type, const char *where,
		    const char *field, const char *msg, cJSON *input);
cJSON		*json_utf8(const char *s);
void		 json_add_string_or_null(cJSON *o, const char *name,
		    const char *s);
void		 json_add_int(cJSON *o, const char *name, long long v);

/* auth.c */
int		 auth_check(struct req *r);

/* observe.c: metrics and audit of the responder */
void		 obs_note(struct req *r, int status, const cJSON *body);
void		 obs_audit(struct req *r);
void		 obs_task_ended(struct req *r, const char *task_id,
		    const char *model_id, enum ts_op op, const char *error);
void		 obs_request_done(struct req *r, double seconds);
void		 obs_idle(struct app *app,
		    const volatile sig_atomic_t *stop);
int		 obs_is_scrape_token(const struct app *app,
		    const char *token);
void		 handle_metrics(struct req *r);
void		 handle_audit(struct req *r);

/* route.c */
void		 route_request(struct req *r);
cJSON		*json_last(const cJSON *obj, const char *name);
int		 body_is_object(const struct req *r, cJSON *errs);
void		 body_extras(const struct req *r, const char *const *names,
		    cJSON *errs);

/* scancache.c */
struct scanview {
	const struct hfscan	*scan;	/* NULL if no scan ever succeeded */
	const char		*error;	/* NULL unless the last scan failed */
};
void		 scancache_get(struct app *app, int force, int have_gen,
		    unsigned long long gen, struct scanview *out);
void		 scancache_free(struct scancache *sc);

/* list.c */
enum err	 list_init(struct app *app);
void		 list_free(struct app *app);
void		 handle_list(struct req *r);
void		 list_prefetch(struct req *r);
void		 list_prefetch_end(struct req *r);
const char	*const *list_embedding_ids(const struct app *app, size_t *n);

/* tasks.c */
struct ts_claim;
struct ts_task;
int		 task_load(struct req *r, struct ts_task *t);
cJSON		*task_json(struct req *r, const struct ts_task *t);
cJSON		*conflict_json(const char *type, const char *detail,
		    const char *model_id, const struct ts_claim *active);
cJSON		*task_start_json(const char *task_id, const char *model_id,
		    enum ts_op op, const char *status, cJSON *warnings);
void		 resp_not_curated(struct req *r, const char *model_id);
const struct hfrepo *scan_installed(struct req *r, const char *id,
		    struct scanview *sv);
void		 start_task(struct req *r, const char *model_id,
		    enum ts_op op, cJSON *warnings);
void		 claim_give_back(struct req *r, const char *model_id,
		    enum ts_op op, const char *id);
int		 claim_or_answer(struct req *r, const char *model_id,
		    enum ts_op op, const char *id, cJSON **warnings);
void		 enqueue_claimed(struct req *r, const char *model_id,
		    enum ts_op op, const char *id, cJSON *warnings,
		    const char *const *fields, int nfields);
void		 handle_download(struct req *r);
void		 handle_task(struct req *r);
void		 handle_cancel(struct req *r);

/* policy.c: the download policy */
struct sbuf;
void		 handle_policy_get(struct req *r);
void		 handle_policy_put(struct req *r);
void		 handle_start_now(struct req *r);
enum err	 policy_enqueue(struct req *r, const char *task_id,
		    enum ts_op op);
void		 policy_add_waiting(cJSON *o, const struct ts_task *t);
void		 policy_gauges(struct req *r, struct sbuf *out);
/* report.c: the cache doctor's report and prune dry run */
void		 handle_report(struct req *r);
void		 prune_preview(struct req *r);
int		 doctor_repo_present(struct req *r, const char *id);

/* prunebody.c: the prune's body, into r->p (model_id, prune_kinds,
 * confirm) or errors added to errs */
void		 prune_body_check(struct req *r, cJSON *errs);

/* doctor.c: the cache doctor's requests */
void		 handle_prune(struct req *r);
void		 handle_verify(struct req *r);
void		 handle_repair(struct req *r);

/* usage.c */
void		 handle_usage(struct req *r);
void		 handle_delete(struct req *r);

/* revisions.c: hub facts in the list, update checks, updates, and disk
 * admission at request time */
struct hubfacts;
struct sbuf;
void		 revs_prefetch(struct req *r);
struct hubfacts	*revs_facts(struct req *r);
void		 revs_prefetch_end(struct req *r);
void		 revs_list_fields(struct sbuf *b, const struct hubfacts *f,
		    const struct hfscan *scan, const char *model_id);
int		 revs_admit(struct req *r, const char *model_id,
		    enum ts_op op, const char *task_id,
		    const struct scanview *sv);
void		 handle_check_updates(struct req *r);
void		 handle_update(struct req *r);

#endif
