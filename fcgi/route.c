/*
 * The front line: route (404/405), body JSON syntax (422), authentication
 * (401/403/503), parameter validation (422), superuser (403), then the
 * endpoint's handler.  This is the reference's order of checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extern.h"
#include "log.h"

enum pkind {
	PK_BOOL,		/* optional boolean, default false */
	PK_MODEL_TYPE,		/* optional enum */
	PK_MODEL_ID,		/* required string */
	PK_TASK_ID		/* required UUID (path) */
};

enum pwhere { IN_QUERY, IN_BODY, IN_PATH };

struct pspec {
	const char	*name;
	enum pkind	 kind;
	enum pwhere	 where;
};

struct route {
	const char		*method;
	const char		*suffix;	/* after API_PREFIX */
	int			 has_arg;	/* "/tasks/{id}..." */
	int			 body;		/* JSON body expected */
	void			(*handler)(struct req *);
	const struct pspec	*params;	/* ends with name NULL */
	int			 cols;		/* collections with the user */
};

static const struct pspec list_params[] = {
	{ "model_type", PK_MODEL_TYPE, IN_QUERY },
	{ "installed_only", PK_BOOL, IN_QUERY },
	{ "include_cache_size", PK_BOOL, IN_QUERY },
	{ "force_refresh_cache", PK_BOOL, IN_QUERY },
	{ NULL, 0, 0 }
};

static const struct pspec download_params[] = {
	{ "model_id", PK_MODEL_ID, IN_BODY },
	{ NULL, 0, 0 }
};

static const struct pspec usage_params[] = {
	{ "model_id", PK_MODEL_ID, IN_QUERY },
	{ NULL, 0, 0 }
};

static const struct pspec delete_params[] = {
	{ "model_id", PK_MODEL_ID, IN_QUERY },
	{ "confirm", PK_BOOL, IN_QUERY },
	{ NULL, 0, 0 }
};

static const struct pspec task_params[] = {
	{ "task_id", PK_TASK_ID, IN_PATH },
	{ NULL, 0, 0 }
};

static const struct route routes[] = {
	{ "GET", "", 0, 0, handle_list, list_params, 1 },
	{ "POST", "/download", 0, 1, handle_download, download_params, 0 },
	{ "GET", "/usage", 0, 0, handle_usage, usage_params, 0 },
	{ "DELETE", "/cache", 0, 0, handle_delete, delete_params, 0 },
	{ "GET", "", 1, 0, handle_task, task_params, 0 },
	{ "POST", "/cancel", 1, 0, handle_cancel, task_params, 0 },
};

#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* Matches r->path against a route's path; sets r->path_arg. */
static int
path_matches(struct req *r, const struct route *rt)
{
	const char	*rest, *slash;
	static const char tasks[] = "/tasks/";

	if (strncmp(r->path, API_PREFIX, sizeof(API_PREFIX) - 1) != 0)
		return 0;
	rest = r->path + sizeof(API_PREFIX) - 1;
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
	r->path_arg = rest;
	return 1;
}

/* Finds the route; answers 404 or 405 itself and returns NULL then. */
static const struct route *
route_find(struct req *r)
{
	char		 allow[64] = "", hdr[96];
	size_t		 i, n;

	for (i = 0; i < NROUTES; i++) {
		if (!path_matches(r, &routes[i]))
			continue;
		if (strcmp(r->method, routes[i].method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0))
			return &routes[i];
		n = strlen(allow);
		snprintf(allow + n, sizeof(allow) - n, "%s%s",
		    n ? ", " : "", routes[i].method);
	}
	if (*allow == '\0') {
		resp_error(r, 404, "Not Found");
		return NULL;
	}
	snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	resp_error_json(r, 405, cJSON_CreateString("Method Not Allowed"), hdr);
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

/*
 * Reads and parses the body of a JSON endpoint.  Returns 0 (r->json set
 * when the body is JSON), or the status already answered (413, 422
 * json_invalid, 400).
 */
static int
body_load(struct req *r)
{
	const char	*end = NULL;
	cJSON		*errs;
	long		 bad = -1;
	int		 st;

	if ((st = req_read_body(r)) != 0) {
		resp_error(r, st, st == 413 ? "Request Entity Too Large" :
		    st == 400 ? "There was an error parsing the body" :
		    "Internal Server Error");
		return r->status;
	}
	if (r->bodylen == 0 ||
	    !content_is_json(req_header(r, "CONTENT_TYPE")))
		return 0;
	if (valid_utf8(r->body, r->bodylen) == 0 &&
	    (bad = json_prescan(r->body, r->bodylen)) == -1)
		r->json = cJSON_ParseWithLengthOpts(r->body, r->bodylen + 1,
		    &end, 1);	/* + its NUL, which valid_utf8 kept out */
	if (r->json != NULL)
		return 0;
	if (bad != -1)
		end = r->body + bad;
	errs = verr_new();
	verr_add(errs, "json_invalid", "body", NULL, "JSON decode error",
	    cJSON_CreateObject());
	/* FastAPI's loc is ["body", <position>]. */
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(errs, 0), "loc"), cJSON_CreateNumber(
	    end != NULL && end >= r->body ? (double)(end - r->body) : 0));
	resp_error_json(r, 422, errs, NULL);
	return r->status;
}

/* The value of the last member called name (duplicate keys: last wins). */
static cJSON *
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

static cJSON	*input_string(const char *);

/* The body model {"model_id": str} with extra fields forbidden. */
static void
validate_body(struct req *r, const struct pspec *ps, cJSON *errs)
{
	const cJSON	**vals;
	cJSON		*c, *v;
	size_t		 i, n;

	if (r->json == NULL && r->bodylen == 0) {
		verr_add(errs, "missing", "body", NULL, "Field required",
		    NULL);
		return;
	}
	if (r->json == NULL || !cJSON_IsObject(r->json)) {
		verr_add(errs, "model_attributes_type", "body", NULL,
		    "Input should be a valid dictionary or object to extract "
		    "fields from", r->json ? cJSON_Duplicate(r->json, 1) :
		    input_string(r->body));
		return;
	}
	if ((v = json_last(r->json, ps->name)) == NULL)
		verr_add(errs, "missing", "body", ps->name, "Field required",
		    cJSON_Duplicate(r->json, 1));
	else if (!cJSON_IsString(v))
		verr_add(errs, "string_type", "body", ps->name,
		    "Input should be a valid string", cJSON_Duplicate(v, 1));
	else
		r->p.model_id = v->valuestring;
	/* One error per extra key, with its last value (Python's dict). */
	if ((vals = json_dict_values(r->json, &n)) == NULL) {
		/* Out of memory: every extra member, duplicates too. */
		cJSON_ArrayForEach(c, r->json)
			if (strcmp(c->string, ps->name) != 0)
				verr_add(errs, "extra_forbidden", "body",
				    c->string, "Extra inputs are not "
				    "permitted", cJSON_Duplicate(c, 1));
		return;
	}
	for (i = 0; i < n; i++)
		if (vals[i] != NULL && strcmp(vals[i]->string, ps->name) != 0)
			verr_add(errs, "extra_forbidden", "body",
			    vals[i]->string, "Extra inputs are not permitted",
			    cJSON_Duplicate(vals[i], 1));
	free(vals);
}

static cJSON *
input_string(const char *s)
{
	char	*clean = utf8_sanitize(s);
	cJSON	*v = cJSON_CreateString(clean ? clean : "");

	free(clean);
	return v;
}

static void
validate_one(struct req *r, const struct pspec *ps, cJSON *errs)
{
	const char	*v = NULL, *where = "query";
	char		 reason[160], msg[200], arg[128];
	int		 b = 0;

	if (ps->where == IN_BODY) {
		validate_body(r, ps, errs);
		return;
	}
	if (ps->where == IN_PATH) {
		where = "path";
		snprintf(arg, sizeof(arg), "%.*s",
		    (int)strcspn(r->path_arg, "/"), r->path_arg);
		v = arg;
	} else
		v = query_get(&r->query, ps->name);
	switch (ps->kind) {
	case PK_BOOL:
		if (v == NULL)
			break;
		if (valid_bool(v, &b) == -1)
			verr_add(errs, "bool_parsing", where, ps->name,
			    "Input should be a valid boolean, unable to "
			    "interpret input", input_string(v));
		else if (strcmp(ps->name, "confirm") == 0)
			r->p.confirm = b;
		else if (strcmp(ps->name, "installed_only") == 0)
			r->p.installed_only = b;
		else if (strcmp(ps->name, "include_cache_size") == 0)
			r->p.include_cache_size = b;
		else
			r->p.force_refresh_cache = b;
		break;
	case PK_MODEL_TYPE:
		if (v == NULL)
			break;
		if (model_type_parse(v, &r->p.model_type) == -1)
			verr_add(errs, "enum", where, ps->name,
			    "Input should be 'embedding', 'llm', 'reranker' "
			    "or 'splade'", input_string(v));
		else
			r->p.has_model_type = 1;
		break;
	case PK_MODEL_ID:
		if (v == NULL)
			verr_add(errs, "missing", where, ps->name,
			    "Field required", NULL);
		else
			r->p.model_id = v;
		break;
	case PK_TASK_ID:
		if (valid_uuid(v, r->p.task_id, reason, sizeof(reason)) == -1) {
			snprintf(msg, sizeof(msg), "Input should be a valid "
			    "UUID, %s", reason);
			verr_add(errs, "uuid_parsing", where, ps->name, msg,
			    input_string(v));
		}
		break;
	}
}

/* Runs the route's validation table; 0, or 422 already answered. */
static int
validate(struct req *r, const struct route *rt)
{
	const struct pspec	*ps;
	cJSON			*errs;

	if ((errs = verr_new()) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		return r->status;
	}
	for (ps = rt->params; ps->name != NULL; ps++)
		validate_one(r, ps, errs);
	if (cJSON_GetArraySize(errs) == 0) {
		cJSON_Delete(errs);
		return 0;
	}
	resp_error_json(r, 422, errs, NULL);
	return r->status;
}

void
route_request(struct req *r)
{
	const struct route	*rt;

	if ((rt = route_find(r)) == NULL)
		return;
	if (rt->body && body_load(r) != 0)
		return;
	/* The list's Redis round trip runs while authentication queries
	 * PostgreSQL, and its collections come with the user. */
	r->want_cols = rt->cols;
	if (rt->cols)
		list_prefetch(r);
	if (auth_check(r) == 0 && validate(r, rt) == 0) {
		if (!r->user.is_superuser)
			resp_error(r, 403, "Superuser access required for "
			    "model management");
		else
			rt->handler(r);
	}
	list_prefetch_end(r);
}
