#ifndef MM_HUBSNAP_H
#define MM_HUBSNAP_H

#include <stddef.h>

#include "hfwrite.h"

/*
 * The last step of a snapshot download, once every blob is in place in
 * blobs/: the snapshot itself, written with the primitives of hfwrite.h
 * in the layout huggingface_hub writes (HF-HUB.md section 2).
 */

/*
 * Inside repofd (the models--<org>--<name> directory) writes
 * snapshots/<commit>/<path> for each file of the list as a relative link to
 * blobs/<lfs_sha256 or blob_id>, then trees/<commit>.json, then
 * refs/<revision> holding commit (not when revision is the commit
 * itself).  Returns 0, or -1 with errno set and, in what, the path
 * relative to repofd that could not be written.
 */
int	 hubsnap_write(int repofd, const char *commit, const char *revision,
	    const struct hfwrite_list *files, char *what, size_t whatlen);

#endif
