/*
 * The account of a prune (prunetally.h), built as the items come: the
 * totals as numbers, each repo as a cJSON object once it has something.
 */
#include <stdlib.h>
#include <string.h>

#include "prunetally.h"
#include "valid.h"

struct bytes {
	uint64_t	 items, apparent, disk;
};

struct prunetally {
	const char	*freed;		/* the word for what goes */
	cJSON		*repos;
	const char	*type, *id;	/* the repo being told */
	cJSON		*repo;		/* its object, once it has one */
	struct bytes	 kinds[HFDOC__MAX];	/* the repo's, freed */
	size_t		 nskips;	/* the repo's, listed */
	struct bytes	 total, skipped;
	int		 failed;
};

struct prunetally *
prunetally_new(const char *freed)
{
	struct prunetally	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->freed = freed;
	if ((t->repos = cJSON_CreateArray()) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

static void
bytes_add(struct bytes *b, const struct hfdoc_item *it)
{

	b->items++;
	b->apparent += it->apparent;
	b->disk += it->disk;
}

void
prunetally_bytes_json(cJSON *o, const char *name, uint64_t items,
    uint64_t apparent, uint64_t disk)
{
	cJSON	*v;

	if ((v = cJSON_AddObjectToObject(o, name)) == NULL)
		return;
	cJSON_AddNumberToObject(v, "items", (double)items);
	cJSON_AddNumberToObject(v, "apparent_bytes", (double)apparent);
	cJSON_AddNumberToObject(v, "disk_bytes", (double)disk);
}

static void
add_bytes(cJSON *o, const char *name, const struct bytes *b)
{

	prunetally_bytes_json(o, name, b->items, b->apparent, b->disk);
}

/* A string member, made valid UTF-8. */
static void
add_clean(cJSON *o, const char *name, const char *s)
{
	char	*c = valid_utf8_clean(s);

	cJSON_AddStringToObject(o, name, c != NULL ? c : "");
	free(c);
}

/* The repo being told gets its object (at its first item). */
static cJSON *
repo_object(struct prunetally *t)
{

	if (t->repo != NULL)
		return t->repo;
	if ((t->repo = cJSON_CreateObject()) == NULL)
		return NULL;
	add_clean(t->repo, "repo_type", t->type);
	add_clean(t->repo, "repo_id", t->id);
	cJSON_AddArrayToObject(t->repo, "skipped");
	cJSON_AddBoolToObject(t->repo, "skipped_truncated", 0);
	return t->repo;
}

/* Closes the repo being told: its freed kinds, then into the list. */
static void
repo_close(struct prunetally *t)
{
	cJSON	*f;
	int	 k;

	if (t->repo != NULL) {
		f = cJSON_CreateObject();
		for (k = 0; f != NULL && k < HFDOC__MAX; k++)
			if (t->kinds[k].items > 0)
				add_bytes(f, hfdoc_kind_str(k), &t->kinds[k]);
		if (f != NULL)
			cJSON_AddItemToObject(t->repo, t->freed, f);
		cJSON_AddItemToArray(t->repos, t->repo);
	}
	t->repo = NULL;
	memset(t->kinds, 0, sizeof(t->kinds));
	t->nskips = 0;
}

void
prunetally_repo(struct prunetally *t, const char *type, const char *id)
{

	repo_close(t);
	t->type = type;
	t->id = id;
}

/* A skipped item into the repo's list (the first PRUNETALLY_SKIPS_MAX). */
static void
add_skip(struct prunetally *t, cJSON *repo, const struct hfdoc_item *it,
    enum hfprune_skip why)
{
	cJSON	*s;

	if (++t->nskips > PRUNETALLY_SKIPS_MAX) {
		cJSON_ReplaceItemInObjectCaseSensitive(repo,
		    "skipped_truncated", cJSON_CreateTrue());
		return;
	}
	if ((s = cJSON_CreateObject()) == NULL) {
		t->failed = 1;
		return;
	}
	add_clean(s, "path", it->name);
	cJSON_AddStringToObject(s, "kind", hfdoc_kind_str(it->kind));
	cJSON_AddStringToObject(s, "reason", hfprune_skip_str(why));
	cJSON_AddNumberToObject(s, "apparent_bytes", (double)it->apparent);
	cJSON_AddNumberToObject(s, "disk_bytes", (double)it->disk);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(repo,
	    "skipped"), s);
}

void
prunetally_add(struct prunetally *t, const struct hfdoc_item *it,
    enum hfprune_skip why)
{
	cJSON	*repo;

	if ((repo = repo_object(t)) == NULL) {
		t->failed = 1;
		return;
	}
	if (why == HFPRUNE_GO) {
		bytes_add(&t->kinds[it->kind], it);
		bytes_add(&t->total, it);
		return;
	}
	bytes_add(&t->skipped, it);
	add_skip(t, repo, it, why);
}

void
prunetally_freed(const struct prunetally *t, uint64_t *apparent,
    uint64_t *disk, uint64_t *items)
{

	*apparent = t->total.apparent;
	*disk = t->total.disk;
	*items = t->total.items;
}

cJSON *
prunetally_json(struct prunetally *t)
{
	cJSON	*o;

	repo_close(t);		/* the last repo, into the list */
	if (t->failed || (o = cJSON_CreateObject()) == NULL)
		return NULL;
	add_bytes(o, t->freed, &t->total);
	add_bytes(o, "skipped", &t->skipped);
	cJSON_AddItemToObject(o, "repos", cJSON_Duplicate(t->repos, 1));
	return o;
}

void
prunetally_free(struct prunetally **tp)
{
	struct prunetally	*t;

	if (tp == NULL || (t = *tp) == NULL)
		return;
	cJSON_Delete(t->repo);
	cJSON_Delete(t->repos);
	free(t);
	*tp = NULL;
}
