#ifndef MM_HFREV_H
#define MM_HFREV_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "strset.h"

/*
 * The revisions of one repo of the HF cache: which one is installed,
 * which blobs a revision's snapshot links name, and the removal of a
 * revision that is no longer refs/main's (as huggingface_hub's
 * delete_revisions does for one revision of several: its snapshot, the
 * refs naming it, and the blobs no remaining snapshot uses).  As
 * everywhere below the cache, nothing is followed through a symlink:
 * link texts are read with readlinkat(2), never resolved, and every
 * directory is opened with O_NOFOLLOW relative to its parent.
 */

/*
 * The installed revision of a repo, from the directory repofd, the
 * content main of refs/main (NULL when there is none or it is not a
 * commit hash) and the names revs[0..nrevs) of snapshots/: main when it
 * names one of revs, else the newest of revs that is a commit hash
 * (modification time of its snapshot directory, then the greater name).
 * Writes it into out and returns 0; -1 (out "") when there is none.
 */
int		 hfrev_head(int repofd, const char *main, char *const *revs,
		    size_t nrevs, char out[41]);

/*
 * The installed revision (hfrev_head) of the model repo_id in the cache
 * cache_dir.  ERR_NOTFOUND when it has none; ERR_IO when the repo cannot
 * be read; ERR_NOMEM.
 */
enum err	 hfrev_installed(const char *cache_dir, const char *repo_id,
		    char out[41]);

/*
 * Adds to set (caller's, freed with strset_clear) the blob names (40 or
 * 64 lowercase hex) that the links of snapshots/<commit> of the model
 * repo_id point to: a link whose text ends in "blobs/<name>".
 * ERR_NOTFOUND when there is no such snapshot; ERR_IO, ERR_TOOBIG (more
 * than 64 levels, or 2^24 blobs), ERR_NOMEM.
 */
enum err	 hfrev_blobs(const char *cache_dir, const char *repo_id,
		    const char *commit, struct strset *set);

/* What hfrev_drop did. */
struct hfrev_dropped {
	size_t		 blobs;		/* blobs removed */
	uint64_t	 bytes;		/* their size (st_size) */
	size_t		 shared;	/* kept: a remaining snapshot uses them */
	size_t		 busy;		/* kept: their lock stayed held */
	size_t		 refs;		/* refs that named the revision, removed */
};

/*
 * Removes the revision old of the model repo_id, holding the repo's
 * staging lock (hubsnap.h): refuses when refs/main names old
 * (ERR_CONFLICT); removes every other ref naming it; moves
 * snapshots/<old> into .mm-staging/ (the revision is gone in one
 * rename; an interrupted removal leaves it there, for the next download
 * to clear); then, with the locks of the blobs its links name taken in
 * sorted order (at most 256 at once), removes each blob that no
 * remaining snapshot's link names; last the moved snapshot and
 * trees/<old>.json.  Waits up to lock_wait_s in all for locks (a blob
 * whose lock stays held is kept).  ERR_NOTFOUND when there is no such
 * snapshot, ERR_TIMEOUT when the staging lock stays held (nothing
 * removed), ERR_IO with a message in msg.
 */
enum err	 hfrev_drop(const char *cache_dir, const char *repo_id,
		    const char *old, unsigned lock_wait_s,
		    struct hfrev_dropped *out, char *msg, size_t msglen);

#endif
