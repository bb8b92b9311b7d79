#ifndef MM_HFDELETE_H
#define MM_HFDELETE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Removing a whole repo from the HF cache, as huggingface_hub's
 * delete_revisions does when every revision goes, but safely for a cache
 * shared by other processes: the blob locks are taken in sorted order
 * first, the walk uses openat/unlinkat with O_NOFOLLOW so no symlink is
 * ever followed, and nothing outside the repo folder is touched (a repo
 * folder that is itself a symlink is unlinked, not followed).
 */

/* Writes "<type>s--<id with / as -->" into buf; -1 if it does not fit. */
int		 hfdelete_folder(char *buf, size_t len, const char *type,
		    const char *repo_id);

/*
 * What removing the repo folder frees: the allocated size (st_blocks) of
 * every file under it, a file with several hard links counted only when
 * all of its links are inside the folder.  *present is 0 (and *bytes 0)
 * when the folder does not exist.  ERR_IO when it cannot be read.
 */
enum err	 hfdelete_estimate(const char *cache_dir, const char *type,
		    const char *repo_id, uint64_t *bytes, int *present);

/*
 * Removes the repo folder.  Waits up to lock_timeout_s for each blob lock
 * (another process may be downloading it).  ERR_NOTFOUND when there is no
 * folder; ERR_TIMEOUT when a lock stays held; ERR_IO with a message
 * otherwise.
 */
enum err	 hfdelete_remove(const char *cache_dir, const char *type,
		    const char *repo_id, unsigned lock_timeout_s,
		    char *msg, size_t msglen);

#endif
