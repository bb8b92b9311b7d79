#ifndef MM_HUBSNAP_H
#define MM_HUBSNAP_H

#include <stddef.h>

#include "hfwrite.h"

/*
 * The last step of a snapshot download, once every blob is in place in
 * blobs/: the snapshot itself, written with the primitives of hfwrite.h
 * in the layout huggingface_hub writes (HF-HUB.md section 2), and
 * published atomically.
 */

/* Where a snapshot is written before it is published, in the repo folder. */
#define HUBSNAP_STAGING	".mm-staging"

/*
 * The lock file, in .locks/<repo folder>/, that a writer of the repo's
 * staging directory holds (hfwrite_lock) while it cleans it up or stages
 * and publishes a snapshot.
 */
#define HUBSNAP_LOCK	"mm-staging.lock"

/*
 * Inside repofd (the models--<org>--<name> directory), holding
 * HUBSNAP_LOCK: writes .mm-staging/<commit>/<path> for each file of
 * the list (in path order) as a relative link to blobs/<lfs_sha256 or
 * blob_id> (a leftover .mm-staging/<commit> is removed first), then trees/<commit>.json, then
 * renames the staged tree to snapshots/<commit> so that the revision
 * appears complete in one step (an existing snapshots/<commit> is
 * exchanged with it, keeping the links only it had), fsyncs snapshots/,
 * and only then writes refs/<revision> holding commit (not when revision
 * is the commit itself).  Returns 0, or -1 with errno set and, in what,
 * the path relative to repofd that could not be written.
 */
int	 hubsnap_write(int repofd, const char *commit, const char *revision,
	    const struct hfwrite_list *files, char *what, size_t whatlen);

/*
 * Removes the repo's .mm-staging (what an interrupted run left), holding
 * HUBSNAP_LOCK, without following any symlink in it or at it.  Returns 0
 * (also when there is none), or -1 with errno set.
 */
int	 hubsnap_clean(int repofd);

#endif
