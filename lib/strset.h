#ifndef MM_STRSET_H
#define MM_STRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * A set of strings: open addressing on a power-of-two table kept at most
 * half full.  Keys are given as (pointer, length) so a caller can look up
 * a prefix of a longer buffer, and with their hash (strset_hash()) so a
 * lookup followed by an insertion hashes once.  Start from STRSET_INIT.
 */
struct strset_ent {
	char		*key;
	uint64_t	 hash;
};

struct strset {
	struct strset_ent	*tab;
	size_t			 cap;	/* power of two, or 0 */
	size_t			 n;
};

#define STRSET_INIT	{ NULL, 0, 0 }

/*
 * A 64-bit FNV-1a style hash of the n bytes at s (FNV prime, offset
 * 1469598103934665603).  Cannot fail.
 */
uint64_t	 strset_hash(const char *s, size_t n);

/* Whether the n bytes at key (hash h) are in the set.  Cannot fail. */
bool		 strset_has(const struct strset *set, const char *key, size_t n,
		    uint64_t h);

/*
 * Adds a copy of the n bytes at key (hash h), which must not be in the set
 * yet; the set owns the copy.  Returns ERR_OK or ERR_NOMEM (the set is
 * then unchanged).  The caller bounds the set's size through set->n.
 */
enum err	 strset_add(struct strset *set, const char *key, size_t n,
		    uint64_t h);

/* Frees every key and the table; set is STRSET_INIT again. */
void		 strset_clear(struct strset *set);

#endif
