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
 * ever followed (not even in the path to a lock file), and nothing
 * outside the repo folder is touched (a repo folder that is itself a
 * symlink is unlinked, not followed).  Nothing reads a file's content.
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
 * A check of the caller's (that nothing uses the model now): fn(arg)
 * returns 0 to go on, anything else to stop the removal.
 */
struct hfdelete_check {
	int	(*fn)(void *arg);
	void	*arg;
};

/*
 * Removes the repo folder.  Waits up to lock_timeout_s in all for the
 * blob locks (.locks/<folder>/<etag>.lock, as huggingface_hub's filelock;
 * another process may be downloading the blob), opened one directory at
 * a time with no-follow: a lock folder that is a symlink is not used.
 * check (may be NULL) runs after each lock it had to wait for and once
 * more immediately before the first unlink.  ERR_NOTFOUND when there is
 * no folder; ERR_CONFLICT when check stopped it, ERR_TIMEOUT when a lock
 * stays held (nothing removed either way); ERR_IO with a message in msg
 * otherwise.  Walks with directory descriptors, never a whole path, down
 * to 256 levels.  Every lock stays open until the end: raises the
 * process's soft limit on open files to fit them when it can.
 */
enum err	 hfdelete_remove(const char *cache_dir, const char *type,
		    const char *repo_id, unsigned lock_timeout_s,
		    const struct hfdelete_check *check, char *msg,
		    size_t msglen);

#endif
