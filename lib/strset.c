#include <stdlib.h>
#include <string.h>

#include "strset.h"

uint64_t
strset_hash(const char *s, size_t n)
{
	uint64_t	 h = 1469598103934665603ULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot of key in tab (capacity cap), or the free slot where it goes. */
static size_t
strset_slot(const struct strset_ent *tab, size_t cap, const char *key,
    size_t n, uint64_t h)
{
	size_t	 i;

	for (i = h & (cap - 1); tab[i].key != NULL; i = (i + 1) & (cap - 1))
		if (key != NULL && tab[i].hash == h &&
		    strncmp(tab[i].key, key, n) == 0 && tab[i].key[n] == '\0')
			break;
	return i;
}

bool
strset_has(const struct strset *set, const char *key, size_t n, uint64_t h)
{

	if (set->cap == 0)
		return false;
	return set->tab[strset_slot(set->tab, set->cap, key, n, h)].key != NULL;
}

/* Doubles the table (256 slots at first), moving every entry. */
static enum err
strset_grow(struct strset *set)
{
	struct strset_ent	*tab;
	size_t			 cap, i;

	cap = set->cap == 0 ? 256 : set->cap * 2;
	if ((tab = calloc(cap, sizeof(*tab))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < set->cap; i++)
		if (set->tab[i].key != NULL)
			tab[strset_slot(tab, cap, NULL, 0,
			    set->tab[i].hash)] = set->tab[i];
	free(set->tab);
	set->tab = tab;
	set->cap = cap;
	return ERR_OK;
}

enum err
strset_add(struct strset *set, const char *key, size_t n, uint64_t h)
{
	char	*k;

	if ((set->n + 1) * 2 > set->cap && strset_grow(set) != ERR_OK)
		return ERR_NOMEM;
	if ((k = strndup(key, n)) == NULL)
		return ERR_NOMEM;
	set->tab[strset_slot(set->tab, set->cap, NULL, 0, h)] =
	    (struct strset_ent){ k, h };
	set->n++;
	return ERR_OK;
}

void
strset_clear(struct strset *set)
{
	size_t	 i;

	for (i = 0; i < set->cap; i++)
		free(set->tab[i].key);
	free(set->tab);
	*set = (struct strset)STRSET_INIT;
}
