#ifndef MM_HFPRUNE_H
#define MM_HFPRUNE_H

#include <stdint.h>

#include "err.h"
#include "hfdoctor.h"

/*
 * Removing what the cache doctor found (hfdoctor.h): partial files (with
 * their part maps), orphan blobs, detached revisions (with the blobs only
 * they use) and stale lock files of one repo folder.  Nothing a ref's
 * revision uses is ever removed: an item is removed only when, with its
 * locks held, a fresh scan of the repo still finds it unchanged (same
 * file), unused and old enough.
 *
 * The locks an item takes (flock LOCK_EX | LOCK_NB, never waiting, the
 * files opened with no-follow and never created): a partial or an orphan
 * blob its blob's .locks/<folder>/<etag>.lock, a detached revision the
 * staging lock (our downloader publishes under it) and each of its
 * blobs' locks, a stale lock file itself (a part map its blob's lock).
 * A lock someone holds makes the item skipped.  A writer that takes no
 * lock (@huggingface/hub) is kept off by the minimum age alone.
 */

/* The kinds a prune may remove, as bits (1 << enum hfdoc_kind). */
#define HFPRUNE_KINDS	((1u << HFDOC_PARTIAL) | (1u << HFDOC_ORPHAN) | \
			 (1u << HFDOC_DETACHED) | (1u << HFDOC_STALE_LOCK))

/* Why an item stays. */
enum hfprune_skip {
	HFPRUNE_GO = 0,		/* removed (or to be) */
	HFPRUNE_CLAIM,		/* its model has an active task */
	HFPRUNE_HELD,		/* a process holds its lock */
	HFPRUNE_UNKNOWN,	/* its lock cannot be seen (a symlinked
				   .locks, /proc/locks unreadable) */
	HFPRUNE_RECENT,		/* modified within the minimum age */
	HFPRUNE_CHANGED,	/* changed or in use since it was found */
	HFPRUNE_FAILED,		/* its removal failed */
	HFPRUNE__MAX
};

/* "removed", "active_claim", "lock_held", "lock_unknown", "recent",
 * "changed", "failed". */
const char	*hfprune_skip_str(enum hfprune_skip s);

/* What to do with item it now (epoch seconds) with a minimum age of
 * min_age seconds: HFPRUNE_GO, or why it stays.  Pure. */
enum hfprune_skip hfprune_decide(const struct hfdoc_item *it, int64_t now,
		    unsigned min_age);

struct hfprune_opts {
	unsigned	 kinds;		/* HFPRUNE_KINDS bits */
	unsigned	 min_age;	/* seconds */
	const char	*locks_path;	/* "/proc/locks" */
	/* Each item's outcome, once: removed (GO, it as it was removed) or
	 * skipped.  May be NULL. */
	void		(*note)(void *arg, const struct hfdoc_item *it,
			    enum hfprune_skip why);
	/* Polled between items; non-zero stops the prune.  May be NULL. */
	int		(*stop)(void *arg);
	void		*arg;
};

/*
 * Prunes the repo folder of cachefd.  Returns ERR_OK, ERR_NOTFOUND (no
 * such folder), ERR_INVAL (not a repo folder), ERR_TIMEOUT when stop
 * asked to (what was removed stays removed), ERR_NOMEM.
 */
enum err	 hfprune_repo(int cachefd, const char *folder,
		    const struct hfprune_opts *o);

#endif
