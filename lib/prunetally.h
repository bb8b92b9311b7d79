#ifndef MM_PRUNETALLY_H
#define MM_PRUNETALLY_H

#include <cjson/cJSON.h>

#include "hfdoctor.h"
#include "hfprune.h"

/*
 * The account of a prune, the same whether it is planned (the answer of
 * a dry run) or done (a prune task's result): per repo and kind, the
 * items and bytes that go (or went), and each item that stays with why.
 *
 *   {"<freed>": {"items", "apparent_bytes", "disk_bytes"},
 *    "skipped": {"items", "apparent_bytes", "disk_bytes"},
 *    "repos": [{"repo_type", "repo_id",
 *               "<freed>": {"<kind>": {"items", "apparent_bytes",
 *                                      "disk_bytes"}, ...},
 *               "skipped": [{"path", "kind", "reason", "apparent_bytes",
 *                            "disk_bytes"}, ...],
 *               "skipped_truncated": bool}]}
 *
 * <freed> is the caller's word ("would_free", "freed").  Only repos with
 * something freed or skipped are listed; a repo lists at most
 * PRUNETALLY_SKIPS_MAX skipped items (its totals count them all).
 */

#define PRUNETALLY_SKIPS_MAX	1000

struct prunetally;

/* A new, empty account; NULL on out-of-memory. */
struct prunetally *prunetally_new(const char *freed);
/* What follows belongs to the repo of this type and id. */
void		 prunetally_repo(struct prunetally *t, const char *type,
		    const char *id);
/* Item it goes (HFPRUNE_GO) or stays (why).  Can't fail: out of memory
 * is reported by prunetally_json. */
void		 prunetally_add(struct prunetally *t,
		    const struct hfdoc_item *it, enum hfprune_skip why);
/* The bytes and items freed so far. */
void		 prunetally_freed(const struct prunetally *t,
		    uint64_t *apparent, uint64_t *disk, uint64_t *items);
/* Ends the account (nothing more may be added) and gives it as a new
 * cJSON object (the caller deletes it), or NULL on out-of-memory. */
cJSON		*prunetally_json(struct prunetally *t);
/* Adds {"items", "apparent_bytes", "disk_bytes"} to o as name (the
 * report's sums have this shape too).  Out of memory adds nothing. */
void		 prunetally_bytes_json(cJSON *o, const char *name,
		    uint64_t items, uint64_t apparent, uint64_t disk);
/* Accepts NULL; sets *t to NULL. */
void		 prunetally_free(struct prunetally **t);

#endif
