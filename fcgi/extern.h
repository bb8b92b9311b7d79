#ifndef MM_FCGI_EXTERN_H
#define MM_FCGI_EXTERN_H

/*
 * Declarations shared by the files of mm-api, the FastCGI responder.
 * request.c turns the FastCGI request into a typed struct req; route.c
 * runs the checks in the reference's order and calls one handler per
 * endpoint; response.c writes statuses, headers and JSON bodies.
 */

#include <stddef.h>

#include <cjson/cJSON.h>
#include <fcgiapp.h>

#include "config.h"
#include "db.h"
#include "hfcache.h"
#include "redisconn.h"
#include "registry.h"
#include "taskstate.h"
#include "valid.h"

#define API_PREFIX	"/api/v2/models"
#define BODY_MAX	(64 * 1024)
#define QUERY_PARAMS_MAX 64
#define CID_MAX		64

/* Long-lived state of one responder process. */
struct app {
	const struct config	*cfg;
	struct registry		*reg;
	struct db		*db;
	struct rconn		*redis;
};

/* Typed parameters, filled by route.c's validation table. */
struct params {
	int		 has_model_type;
	enum model_type	 model_type;
	int		 installed_only;
	int		 include_cache_size;
	int		 force_refresh_cache;
	int		 confirm;
	const char	*model_id;	/* borrowed from the query or body */
	char		 task_id[37];	/* canonical UUID */
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
	struct db_collections cols;	/* of the embedding models */
	struct params	 p;
	int		 status;	/* status written, for the log */
};

/* request.c */
enum err	 req_init(struct req *r, FCGX_Request *fcgi, struct app *app);
void		 req_free(struct req *r);
const char	*req_header(const struct req *r, const char *cgi_name);
int		 req_read_body(struct req *r);

/* response.c */
void		 resp_json(struct req *r, int status, cJSON *body,
		    const char *extra_headers);
void		 resp_text(struct req *r, int status, char *text,
		    const char *extra_headers);
void		 resp_error(struct req *r, int status, const char *detail);
void		 resp_error_json(struct req *r, int status, cJSON *detail,
		    const char *extra_headers);
cJSON		*verr_new(void);
void		 verr_add(cJSON *list, const char *type, const char *where,
		    const char *field, const char *msg, cJSON *input);
int		 status_for_err(enum err e);
char		*utf8_sanitize(const char *s);

/* auth.c */
int		 auth_check(struct req *r);

/* route.c */
void		 route_request(struct req *r);

/* scancache.c */
struct scanview {
	const struct hfscan	*scan;	/* NULL if no scan ever succeeded */
	const char		*error;	/* NULL unless the last scan failed */
};
void		 scancache_get(struct app *app, int force, int have_gen,
		    unsigned long long gen, struct scanview *out);

/* list.c */
void		 handle_list(struct req *r);
void		 list_cleanup(void);
void		 list_prefetch(struct req *r);
void		 list_prefetch_end(struct req *r);
const char	*const *list_embedding_ids(const struct registry *reg, size_t *n);

/* tasks.c */
struct ts_claim;
struct ts_task;
cJSON		*conflict_json(const char *type, const char *detail,
		    const char *model_id, const struct ts_claim *active);
cJSON		*task_start_json(const char *task_id, const char *model_id,
		    enum ts_op op, const char *status, cJSON *warnings);
cJSON		*task_json(const struct ts_task *t);
void		 resp_not_curated(struct req *r, const char *model_id);
void		 current_scan(struct req *r, struct scanview *sv);
void		 start_task(struct req *r, const char *model_id,
		    enum ts_op op, cJSON *warnings);
void		 handle_download(struct req *r);
void		 handle_task(struct req *r);
void		 handle_cancel(struct req *r);

/* usage.c */
void		 handle_usage(struct req *r);
void		 handle_delete(struct req *r);

#endif
