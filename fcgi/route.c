/*
 * The front line: route (404/405; 307 for a trailing slash), body JSON
 * syntax (422), authentication (401/403/503), parameter validation (422),
 * superuser (403), then the endpoint's handler.  This is the reference's
 * order of checks.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extern.h"
#include "log.h"
#include "num.h"

/* Where a parameter is read: FastAPI's loc[0]. */
enum pwhere { IN_QUERY, IN_BODY, IN_PATH };

static const char *const where_names[] = {
	[IN_QUERY] = "query",
	[IN_BODY] = "body",
	[IN_PATH] = "path",
};

/*
 * One parameter: its name, where it is read, the field of struct params
 * it fills, and its validator.  A validator reads the value v (NULL when
 * absent; unused for IN_BODY, which reads r->json) into that field, or
 * adds its error to errs.  Validators do no I/O.
 */
struct pspec {
	const char	*name;
	enum pwhere	 where;
	size_t		 off;		/* offsetof(struct params, field) */
	void		(*check)(struct req *r, const struct pspec *ps,
			    const char *v, cJSON *errs);
};

static void	check_bool(struct req *, const struct pspec *, const char *,
		    cJSON *);
static void	check_model_type(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_required(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_uuid(struct req *, const struct pspec *, const char *,
		    cJSON *);
static void	check_body_string(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_limit(struct req *, const struct pspec *, const char *,
		    cJSON *);
static void	check_stream_id(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_filter(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_body_field(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_body_bool(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_update_extras(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_policy(struct req *, const struct pspec *,
		    const char *, cJSON *);
static void	check_prune(struct req *, const struct pspec *,
		    const char *, cJSON *);

/* The parameters of every endpoint. */
enum pid {
	P_END = 0,		/* ends a route's list */
	P_MODEL_TYPE,
	P_INSTALLED_ONLY,
	P_INCLUDE_CACHE_SIZE,
	P_FORCE_REFRESH_CACHE,
	P_MODEL_ID_QUERY,
	P_MODEL_ID_BODY,
	P_CONFIRM,
	P_TASK_ID,
	P_LIMIT,
	P_BEFORE,
	P_FILTER_MODEL_ID,
	P_FILTER_USER,
	P_UPDATE_MODEL_ID,	/* POST /update's body, then its extras */
	P_UPDATE_KEEP_OLD,
	P_UPDATE_CONFIRM,
	P_UPDATE_EXTRAS,
	P_POLICY,
	P_PRUNE_BODY,
	P__MAX
};

#define PSPEC(n, w, field, fn) { .name = (n), .where = (w), \
	.off = offsetof(struct params, field), .check = (fn) }

static const struct pspec pspecs[P__MAX] = {
	[P_MODEL_TYPE] = PSPEC("model_type", IN_QUERY, model_type,
	    check_model_type),
	[P_INSTALLED_ONLY] = PSPEC("installed_only", IN_QUERY,
	    installed_only, check_bool),
	[P_INCLUDE_CACHE_SIZE] = PSPEC("include_cache_size", IN_QUERY,
	    include_cache_size, check_bool),
	[P_FORCE_REFRESH_CACHE] = PSPEC("force_refresh_cache", IN_QUERY,
	    force_refresh_cache, check_bool),
	[P_MODEL_ID_QUERY] = PSPEC("model_id", IN_QUERY, model_id,
	    check_required),
	[P_MODEL_ID_BODY] = PSPEC("model_id", IN_BODY, model_id,
	    check_body_string),
	[P_CONFIRM] = PSPEC("confirm", IN_QUERY, confirm, check_bool),
	[P_TASK_ID] = PSPEC("task_id", IN_PATH, task_id, check_uuid),
	[P_LIMIT] = PSPEC("limit", IN_QUERY, limit, check_limit),
	[P_BEFORE] = PSPEC("before", IN_QUERY, before, check_stream_id),
	[P_FILTER_MODEL_ID] = PSPEC("model_id", IN_QUERY, f_model_id,
	    check_filter),
	[P_FILTER_USER] = PSPEC("user", IN_QUERY, f_user, check_filter),
	[P_UPDATE_MODEL_ID] = PSPEC("model_id", IN_BODY, model_id,
	    check_body_field),
	[P_UPDATE_KEEP_OLD] = PSPEC("keep_old", IN_BODY, keep_old,
	    check_body_bool),
	[P_UPDATE_CONFIRM] = PSPEC("confirm", IN_BODY, confirm,
	    check_body_bool),
	[P_UPDATE_EXTRAS] = PSPEC("", IN_BODY, model_id, check_update_extras),
	[P_POLICY] = PSPEC("policy", IN_BODY, policy, check_policy),
	[P_PRUNE_BODY] = PSPEC("", IN_BODY, prune_kinds, check_prune),
};

#define ROUTE_PARAMS_MAX	4

/*
 * A route: name is its label in the metrics (a fixed set, never the raw
 * path); operation, when set, makes its requests audit events (an
 * authenticated user's, refusals included).
 */
struct route {
	const char	*name;
	const char	*operation;
	const char	*method;
	const char	*suffix;	/* after API_PREFIX (and the task id) */
	int		 has_arg;	/* "/tasks/{id}..." */
	int		 body;		/* JSON body expected */
	int		 cols;		/* collections with the user */
	void		(*handler)(struct req *);
	enum pid	 params[ROUTE_PARAMS_MAX + 1];	/* validation order */
};

static const struct route routes[] = {
	{ .name = "list", .method = "GET", .suffix = "", .cols = 1,
	  .handler = handle_list,
	  .params = { P_MODEL_TYPE, P_INSTALLED_ONLY, P_INCLUDE_CACHE_SIZE,
	  P_FORCE_REFRESH_CACHE } },
	{ .name = "download", .operation = "download", .method = "POST",
	  .suffix = "/download", .body = 1,
	  .handler = handle_download, .params = { P_MODEL_ID_BODY } },
	{ .name = "usage", .method = "GET", .suffix = "/usage",
	  .handler = handle_usage, .params = { P_MODEL_ID_QUERY } },
	{ .name = "delete", .operation = "delete", .method = "DELETE",
	  .suffix = "/cache", .handler = handle_delete,
	  .params = { P_MODEL_ID_QUERY, P_CONFIRM } },
	{ .name = "metrics", .method = "GET", .suffix = "/metrics",
	  .handler = handle_metrics },
	{ .name = "audit", .method = "GET", .suffix = "/audit",
	  .handler = handle_audit,
	  .params = { P_LIMIT, P_BEFORE, P_FILTER_MODEL_ID, P_FILTER_USER } },
	{ .name = "report", .method = "GET", .suffix = "/cache/report",
	  .handler = handle_report },
	{ .name = "prune", .operation = "prune", .method = "POST",
	  .suffix = "/cache/prune", .body = 1, .handler = handle_prune,
	  .params = { P_PRUNE_BODY } },
	{ .name = "verify", .operation = "verify", .method = "POST",
	  .suffix = "/verify", .body = 1, .handler = handle_verify,
	  .params = { P_MODEL_ID_BODY } },
	{ .name = "repair", .operation = "repair", .method = "POST",
	  .suffix = "/repair", .body = 1, .handler = handle_repair,
	  .params = { P_MODEL_ID_BODY } },
	{ .name = "task", .method = "GET", .suffix = "", .has_arg = 1,
	  .handler = handle_task, .params = { P_TASK_ID } },
	{ .name = "cancel", .operation = "cancel", .method = "POST",
	  .suffix = "/cancel", .has_arg = 1,
	  .handler = handle_cancel, .params = { P_TASK_ID } },
	{ .name = "update", .operation = "update", .method = "POST",
	  .suffix = "/update", .body = 1, .handler = handle_update,
	  .params = { P_UPDATE_MODEL_ID, P_UPDATE_KEEP_OLD, P_UPDATE_CONFIRM,
	  P_UPDATE_EXTRAS } },
	{ .name = "check_updates", .operation = "check", .method = "POST",
	  .suffix = "/check-updates", .handler = handle_check_updates },
	{ .name = "policy_get", .method = "GET", .suffix = "/policy",
	  .handler = handle_policy_get },
	{ .name = "policy_put", .operation = "policy", .method = "PUT",
	  .suffix = "/policy", .body = 1, .handler = handle_policy_put,
	  .params = { P_POLICY } },
	{ .name = "start_now", .operation = "start_now", .method = "POST",
	  .suffix = "/start-now", .has_arg = 1,
	  .handler = handle_start_now, .params = { P_TASK_ID } },
};

#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* Matches path against a route's path; the {task_id} segment (up to the
 * next '/') in *arg. */
static int
path_match(const char *path, const struct route *rt, const char **arg)
{
	const char	*rest, *slash;
	static const char tasks[] = "/tasks/";

	if (strncmp(path, API_PREFIX, sizeof(API_PREFIX) - 1) != 0)
		return 0;
	rest = path + sizeof(API_PREFIX) - 1;
	if (!rt->has_arg)
		return strcmp(rest, rt->suffix) == 0;
	if (strncmp(rest, tasks, sizeof(tasks) - 1) != 0)
		return 0;
	rest += sizeof(tasks) - 1;
	slash = strchr(rest, '/');
	if (*rest == '\0' || slash == rest)
		return 0;
	if (strcmp(slash ? slash : "", rt->suffix) != 0)
		return 0;
	*arg = rest;
	return 1;
}

/* 1 if some route, whatever its method, has path. */
static int
path_routed(const char *path)
{
	const char	*arg;
	size_t		 i;

	for (i = 0; i < NROUTES; i++)
		if (path_match(path, &routes[i], &arg))
			return 1;
	return 0;
}

/* Appends byte c to o, percent-encoded unless keep says otherwise. */
static char *
url_put(char *o, unsigned char c, int keep)
{
	static const char	 hexd[] = "0123456789ABCDEF";

	if (keep) {
		*o++ = (char)c;
		return o;
	}
	*o++ = '%';
	*o++ = hexd[c >> 4];
	*o++ = hexd[c & 0xf];
	return o;
}

/*
 * The Location of a redirect to path (decoded, len bytes) with the raw
 * query string qs (or NULL): the path percent-encoded but for RFC 3986's
 * path characters, the query as the client sent it but for any byte
 * outside printable ASCII (or '#').  No CR, LF or space can remain.
 * malloc'd; NULL on out-of-memory.
 */
static char *
redirect_location(const char *path, size_t len, const char *qs)
{
	size_t		 i, qlen = qs != NULL ? strlen(qs) : 0;
	char		*out, *o;
	unsigned char	 c;

	if ((out = o = malloc(3 * (len + qlen) + 2)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		c = (unsigned char)path[i];
		o = url_put(o, c, (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c != 0 && strchr("-._~/!$&'()*+,;=:@", c) != NULL));
	}
	if (qlen > 0)
		*o++ = '?';
	for (i = 0; i < qlen; i++) {
		c = (unsigned char)qs[i];
		o = url_put(o, c, c > 0x20 && c < 0x7f && c != '#');
	}
	*o = '\0';
	return out;
}

/*
 * Starlette's redirect_slashes: a path that no route has but that ends in
 * '/' and that some route has once its trailing slashes go answers 307 to
 * that path, query string kept, for any method, before anything else.
 * 1 when answered.
 */
static int
slash_redirect(struct req *r)
{
	size_t	 n = strlen(r->path);
	char	*p, *loc = NULL;
	int	 hit;

	if (n < 2 || r->path[n - 1] != '/' || (p = strdup(r->path)) == NULL)
		return 0;
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if ((hit = path_routed(p)) &&
	    (loc = redirect_location(p, n,
	    req_header(r, "QUERY_STRING"))) == NULL)
		resp_err(r, ERR_NOMEM);
	else if (hit)
		resp_redirect(r, loc);
	free(loc);
	free(p);
	return hit;
}

/* Finds the route; answers 404, 405 or 307 itself and returns NULL
 * then. */
static const struct route *
route_find(struct req *r)
{
	char		 allow[64] = "";
	size_t		 i, n;

	for (i = 0; i < NROUTES; i++) {
		if (!path_match(r->path, &routes[i], &r->path_arg))
			continue;
		if (strcmp(r->method, routes[i].method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0))
			return &routes[i];
		n = strlen(allow);
		snprintf(allow + n, sizeof(allow) - n, "%s%s",
		    n ? ", " : "", routes[i].method);
	}
	if (*allow != '\0')
		resp_not_allowed(r, allow);
	else if (!slash_redirect(r))
		resp_err(r, ERR_NOTFOUND);
	return NULL;
}

/* 1 if the content type is JSON as Starlette/FastAPI decide it: missing,
 * application/json, or application/<x>+json. */
static int
content_is_json(const char *ct)
{
	size_t	 n;

	if (ct == NULL || *ct == '\0')
		return 1;
	n = strcspn(ct, ";");
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (strncasecmp(ct, "application/", 12) != 0)
		return 0;
	if (n == 16 && strncasecmp(ct + 12, "json", 4) == 0)
		return 1;
	return n > 17 && strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/*
 * What cJSON accepts but Python's json does not, or reads differently:
 * a raw control character inside a string, or between values other than
 * tab, CR and LF.  Returns its offset, or -1.  Also rewrites each \u0000
 * escape in place as \ufffd (same length, so offsets hold): cJSON would
 * end the string there, so "BAAI/bge-m3\u0000x" would read as a curated
 * id.
 */
static long
json_prescan(char *s, size_t len)
{
	size_t	 i;
	int	 in_str = 0;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 && (in_str ||
		    (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')))
			return (long)i;
		if (!in_str) {
			in_str = s[i] == '"';
			continue;
		}
		if (s[i] == '"')
			in_str = 0;
		else if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len &&
			    memcmp(s + i + 2, "0000", 4) == 0)
				memcpy(s + i + 2, "fffd", 4);
			i++;
		}
	}
	return -1;
}

/* Answers 422 json_invalid, FastAPI's loc being ["body", <position of
 * end in the body>]. */
static void
resp_json_invalid(struct req *r, const char *end)
{
	cJSON	*errs;

	if ((errs = verr_new()) == NULL) {
		resp_err(r, ERR_NOMEM);
		return;
	}
	verr_add(errs, "json_invalid", "body", NULL, "JSON decode error",
	    cJSON_CreateObject());
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(errs, 0), "loc"), cJSON_CreateNumber(
	    end != NULL && end >= r->body ? (double)(end - r->body) : 0));
	resp_invalid(r, errs);
}

/*
 * Reads and parses the body of a JSON endpoint.  Returns 0 (r->json set
 * when the body is JSON), or the status already answered (413, 422
 * json_invalid, 400).
 */
static int
body_load(struct req *r)
{
	const char	*end = NULL;
	long		 bad = -1;
	enum err	 e;

	if ((e = req_read_body(r)) == ERR_INVAL)
		resp_err_detail(r, e, "There was an error parsing the body");
	else if (e != ERR_OK)
		resp_err(r, e);
	if (e != ERR_OK)
		return r->status;
	if (r->bodylen == 0 ||
	    !content_is_json(req_header(r, "CONTENT_TYPE")))
		return 0;
	if (valid_utf8(r->body, r->bodylen) == 0 &&
	    (bad = json_prescan(r->body, r->bodylen)) == -1)
		r->json = cJSON_ParseWithLengthOpts(r->body, r->bodylen + 1,
		    &end, 1);	/* + its NUL, which valid_utf8 kept out */
	if (r->json != NULL)
		return 0;
	resp_json_invalid(r, bad != -1 ? r->body + bad : end);
	return r->status;
}

/* The value of the last member called name (duplicate keys: last wins). */
cJSON *
json_last(const cJSON *obj, const char *name)
{
	cJSON	*c, *found = NULL;

	cJSON_ArrayForEach(c, obj)
		if (c->string != NULL && strcmp(c->string, name) == 0)
			found = c;
	return found;
}

struct member {
	const cJSON	*item;
	size_t		 pos;
};

static int
member_cmp(const void *a, const void *b)
{
	const struct member	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->item->string, y->item->string)) != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * The members of obj as Python's dict keeps them: a duplicate key stays
 * at its first place with its last value.  Returns a calloc'd array with
 * one entry per member (the value to report at that place, or NULL for a
 * later duplicate) that the caller frees, or NULL on out-of-memory.
 * Sorting keeps this O(n log n) for a 64 KiB body of keys.
 */
static const cJSON **
json_dict_values(const cJSON *obj, size_t *np)
{
	struct member	*m;
	const cJSON	**vals, *c;
	size_t		 n = 0, i, j;

	cJSON_ArrayForEach(c, obj)
		n++;
	*np = n;
	if ((vals = calloc(n + 1, sizeof(*vals))) == NULL)
		return NULL;
	if ((m = calloc(n + 1, sizeof(*m))) == NULL) {
		free(vals);
		return NULL;
	}
	n = 0;
	cJSON_ArrayForEach(c, obj) {
		m[n].item = c;
		m[n].pos = n;
		n++;
	}
	qsort(m, n, sizeof(*m), member_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(m[i].item->string,
		    m[j].item->string) == 0; j++)
			;
		vals[m[i].pos] = m[j - 1].item;
	}
	free(m);
	return vals;
}

/* The field of r->p that ps fills. */
static void *
pfield(struct req *r, const struct pspec *ps)
{

	return (char *)&r->p + ps->off;
}

/* An optional boolean: absent is false (struct params is zeroed). */
static void
check_bool(struct req *r, const struct pspec *ps, const char *v, cJSON *errs)
{
	int	 b;

	if (v == NULL)
		return;
	if (valid_bool(v, &b) == -1)
		verr_add(errs, "bool_parsing", where_names[ps->where],
		    ps->name, "Input should be a valid boolean, unable to "
		    "interpret input", json_utf8(v));
	else
		*(int *)pfield(r, ps) = b;
}

/* An optional model type; sets has_model_type when present. */
static void
check_model_type(struct req *r, const struct pspec *ps, const char *v,
    cJSON *errs)
{

	if (v == NULL)
		return;
	if (model_type_parse(v, pfield(r, ps)) == -1)
		verr_add(errs, "enum", where_names[ps->where], ps->name,
		    "Input should be 'embedding', 'llm', 'reranker' or "
		    "'splade'", json_utf8(v));
	else
		r->p.has_model_type = 1;
}

/* A required string, borrowed from the query. */
static void
check_required(struct req *r, const struct pspec *ps, const char *v,
    cJSON *errs)
{

	if (v == NULL)
		verr_add(errs, "missing", where_names[ps->where], ps->name,
		    "Field required", NULL);
	else
		*(const char **)pfield(r, ps) = v;
}

/* A UUID, stored in its canonical form (char[37]). */
static void
check_uuid(struct req *r, const struct pspec *ps, const char *v,
    cJSON *errs)
{
	char	 reason[160], msg[200];

	if (valid_uuid(v, pfield(r, ps), reason, sizeof(reason)) == 0)
		return;
	snprintf(msg, sizeof(msg), "Input should be a valid UUID, %s", reason);
	verr_add(errs, "uuid_parsing", where_names[ps->where], ps->name, msg,
	    json_utf8(v));
}

/* 0 if the body is a JSON object, else -1 with its error added. */
int
body_is_object(const struct req *r, cJSON *errs)
{

	if (r->json == NULL && r->bodylen == 0) {
		verr_add(errs, "missing", "body", NULL, "Field required",
		    NULL);
		return -1;
	}
	if (r->json == NULL || !cJSON_IsObject(r->json)) {
		verr_add(errs, "model_attributes_type", "body", NULL,
		    "Input should be a valid dictionary or object to extract "
		    "fields from", r->json ? cJSON_Duplicate(r->json, 1) :
		    json_utf8(r->body));
		return -1;
	}
	return 0;
}

static void
add_extra(cJSON *errs, const cJSON *member)
{

	verr_add(errs, "extra_forbidden", "body", member->string,
	    "Extra inputs are not permitted", cJSON_Duplicate(member, 1));
}

/* 1 if s is one of the NULL-terminated names. */
static int
name_in(const char *s, const char *const *names)
{

	for (; *names != NULL; names++)
		if (strcmp(s, *names) == 0)
			return 1;
	return 0;
}

/* One error per member not in names, with its last value (Python's
 * dict); out of memory, one per member, duplicates too. */
void
body_extras(const struct req *r, const char *const *names, cJSON *errs)
{
	const cJSON	**vals, *c;
	size_t		 i, n;

	if ((vals = json_dict_values(r->json, &n)) == NULL) {
		cJSON_ArrayForEach(c, r->json)
			if (!name_in(c->string, names))
				add_extra(errs, c);
		return;
	}
	for (i = 0; i < n; i++)
		if (vals[i] != NULL && !name_in(vals[i]->string, names))
			add_extra(errs, vals[i]);
	free(vals);
}

/* A required string member of the body, which must be an object (the
 * first member of the body's model checks that); the string is borrowed
 * from r->json. */
static void
check_body_field(struct req *r, const struct pspec *ps, const char *unused,
    cJSON *errs)
{
	cJSON	*v;

	if (body_is_object(r, errs) == -1)
		return;
	if ((v = json_last(r->json, ps->name)) == NULL)
		verr_add(errs, "missing", "body", ps->name, "Field required",
		    cJSON_Duplicate(r->json, 1));
	else if (!cJSON_IsString(v))
		verr_add(errs, "string_type", "body", ps->name,
		    "Input should be a valid string", cJSON_Duplicate(v, 1));
	else
		*(const char **)pfield(r, ps) = v->valuestring;
}

/* The body model {"<name>": str} with extra fields forbidden. */
static void
check_body_string(struct req *r, const struct pspec *ps, const char *unused,
    cJSON *errs)
{
	const char	*names[] = { ps->name, NULL };

	check_body_field(r, ps, unused, errs);
	if (r->json != NULL && cJSON_IsObject(r->json))
		body_extras(r, names, errs);
}

/*
 * An optional boolean member of an object body (absent: false), read as
 * pydantic's lax mode does: true/false, the integers 0 and 1, and the
 * strings valid_bool accepts.  Another string or number is bool_parsing,
 * any other type bool_type.
 */
static void
check_body_bool(struct req *r, const struct pspec *ps, const char *unused,
    cJSON *errs)
{
	cJSON	*v;
	int	 b = -1;

	if (r->json == NULL || !cJSON_IsObject(r->json) ||
	    (v = json_last(r->json, ps->name)) == NULL)
		return;
	if (cJSON_IsBool(v))
		b = cJSON_IsTrue(v);
	else if (cJSON_IsNumber(v) && (v->valuedouble == 0 ||
	    v->valuedouble == 1))
		b = v->valuedouble == 1;
	else if (cJSON_IsString(v))
		(void)valid_bool(v->valuestring, &b);	/* b stays -1 if not */
	if (b != -1)
		*(int *)pfield(r, ps) = b;
	else if (cJSON_IsString(v) || cJSON_IsNumber(v))
		verr_add(errs, "bool_parsing", "body", ps->name, "Input should "
		    "be a valid boolean, unable to interpret input",
		    cJSON_Duplicate(v, 1));
	else
		verr_add(errs, "bool_type", "body", ps->name, "Input should be "
		    "a valid boolean", cJSON_Duplicate(v, 1));
}

/* The members POST /update's body forbids: all but its three. */
static void
check_update_extras(struct req *r, const struct pspec *ps,
    const char *unused, cJSON *errs)
{
	static const char *const names[] = { "model_id", "keep_old",
	    "confirm", NULL };

	if (r->json != NULL && cJSON_IsObject(r->json))
		body_extras(r, names, errs);
}

/* The prune's body (doctor.c checks it). */
static void
check_prune(struct req *r, const struct pspec *ps, const char *unused,
    cJSON *errs)
{

	prune_body_check(r, errs);
}

/* The audit's page size: an integer in 1..AUDIT_LIMIT_MAX, default 100
 * (FastAPI's Query(ge=1, le=1000) errors). */
static void
check_limit(struct req *r, const struct pspec *ps, const char *v,
    cJSON *errs)
{
	long long	 n;
	char		 msg[80];

	r->p.limit = 100;
	if (v == NULL)
		return;
	if (num_parse(v, LLONG_MIN, LLONG_MAX, &n, NULL) == -1) {
		verr_add(errs, "int_parsing", where_names[ps->where], ps->name,
		    "Input should be a valid integer, unable to parse string "
		    "as an integer", json_utf8(v));
		return;
	}
	if (n < 1 || n > AUDIT_LIMIT_MAX) {
		snprintf(msg, sizeof(msg), "Input should be %s %d",
		    n < 1 ? "greater than or equal to" :
		    "less than or equal to", n < 1 ? 1 : AUDIT_LIMIT_MAX);
		verr_add(errs, n < 1 ? "greater_than_equal" :
		    "less_than_equal", where_names[ps->where], ps->name, msg,
		    json_utf8(v));
		return;
	}
	r->p.limit = (unsigned)n;
}

#define STREAM_ID_PATTERN	"^[0-9]{1,20}(-[0-9]{1,20})?$"

/* An optional stream id (the audit's "before"). */
static void
check_stream_id(struct req *r, const struct pspec *ps, const char *v,
    cJSON *errs)
{

	if (v == NULL)
		return;
	if (audit_id_valid(v) == -1)
		verr_add(errs, "string_pattern_mismatch",
		    where_names[ps->where], ps->name, "String should match "
		    "pattern '" STREAM_ID_PATTERN "'", json_utf8(v));
	else
		*(const char **)pfield(r, ps) = v;
}

#define FILTER_MAX	256

/* An optional filter string of FILTER_MAX bytes at most. */
static void
check_filter(struct req *r, const struct pspec *ps, const char *v,
    cJSON *errs)
{
	char	 msg[80];

	if (v == NULL)
		return;
	if (strlen(v) > FILTER_MAX) {
		snprintf(msg, sizeof(msg), "String should have at most %d "
		    "characters", FILTER_MAX);
		verr_add(errs, "string_too_long", where_names[ps->where],
		    ps->name, msg, json_utf8(v));
	} else
		*(const char **)pfield(r, ps) = v;
}

/* One of policy_from_json's failures as FastAPI's error: loc ["body",
 * field, index, sub], as far as they go. */
static void
policy_verr(void *arg, const char *field, int index, const char *sub,
    const char *type, const char *msg, const cJSON *input)
{
	cJSON	*errs = arg, *loc;

	verr_add(errs, type, "body", field, msg, cJSON_Duplicate(input, 1));
	if (index < 0)
		return;
	loc = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errs,
	    cJSON_GetArraySize(errs) - 1), "loc");
	cJSON_AddItemToArray(loc, cJSON_CreateNumber(index));
	if (sub != NULL)
		cJSON_AddItemToArray(loc, cJSON_CreateString(sub));
}

/* The download policy: the whole body, every field required (policy.h). */
static void
check_policy(struct req *r, const struct pspec *ps, const char *unused,
    cJSON *errs)
{

	if (body_is_object(r, errs) == 0)
		(void)policy_from_json(r->json, pfield(r, ps), policy_verr,
		    errs);
}

/* Reads the parameter ps from where it lives and validates it. */
static void
validate_one(struct req *r, const struct pspec *ps, cJSON *errs)
{
	const char	*v = NULL;
	char		 arg[128];

	if (ps->where == IN_QUERY)
		v = query_get(&r->query, ps->name);
	else if (ps->where == IN_PATH) {
		snprintf(arg, sizeof(arg), "%.*s",
		    (int)strcspn(r->path_arg, "/"), r->path_arg);
		v = arg;
	}
	ps->check(r, ps, v, errs);
}

/* Runs the route's validation table; 0, or 422 already answered. */
static int
validate(struct req *r, const struct route *rt)
{
	const enum pid	*p;
	cJSON		*errs;

	if ((errs = verr_new()) == NULL) {
		resp_err(r, ERR_NOMEM);
		return r->status;
	}
	for (p = rt->params; *p != P_END; p++)
		validate_one(r, &pspecs[*p], errs);
	if (cJSON_GetArraySize(errs) == 0) {
		cJSON_Delete(errs);
		return 0;
	}
	resp_invalid(r, errs);
	return r->status;
}

/*
 * Answers r: route (404/405), body (413/422), authentication (401/403),
 * parameters (422), superuser (403), then the endpoint's handler.  This
 * function can't fail: every outcome is an answer written on r.
 */
void
route_request(struct req *r)
{
	const struct route	*rt;

	if ((rt = route_find(r)) == NULL)
		return;
	r->endpoint = rt->name;
	r->operation = rt->operation;
	if (rt->body && body_load(r) != 0)
		return;
	/* The list's Redis round trip runs while authentication queries
	 * PostgreSQL, and its collections come with the user. */
	r->want_cols = rt->cols;
	if (rt->cols)
		list_prefetch(r);
	if (auth_check(r) == 0 && validate(r, rt) == 0) {
		if (!r->user.is_superuser && !r->scrape)
			resp_ans(r, ANS_NOT_SUPERUSER);
		else
			rt->handler(r);
	}
	list_prefetch_end(r);
	/* A handler may clear r->operation: a prune's dry run changes
	 * nothing, so it is no audit event. */
	if (r->operation != NULL)
		obs_audit(r);
}
