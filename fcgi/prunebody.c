/*
 * The body of POST /cache/prune, validated as FastAPI's pydantic model
 * {model_id: str | None, what: list[Kind] (at least one), confirm: bool =
 * False} with extra fields forbidden: the 422 shapes of route.c, each
 * error at its place.  Pure (no I/O): the JSON body fuzzer runs it.
 */
#include "extern.h"
#include "hfprune.h"

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

