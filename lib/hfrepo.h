#ifndef MM_HFREPO_H
#define MM_HFREPO_H

#include <dirent.h>
#include <stdbool.h>

#include "err.h"
#include "hfcache.h"

/*
 * One top-level entry of the HF cache, scanned with huggingface_hub's
 * scan_cache_dir semantics (HF-HUB.md section 5); hfcache_scan() calls it
 * for each entry and gathers the results.
 */

/*
 * Whether the top-level entry name is never scanned: "." and "..", .locks,
 * CACHEDIR.TAG and the OS junk files.  Cannot fail.
 */
bool		 hfrepo_skipped(const char *name);

/* The repo id of a folder name's part after "<type>s--": rest with every
 * "--" replaced by "/" (Python's str.replace).  malloc'd; NULL on
 * out-of-memory. */
char		*hfrepo_folder_id(const char *rest);

/*
 * Scans the entry de of the cache directory cachefd, whose path (for the
 * warnings; "" for "/") is cache.  Returns:
 * - ERR_OK: *repo is filled; its type, id and folder are malloc'd and the
 *   caller frees them.
 * - ERR_CORRUPT: the entry is not a valid repo.  *warning is a malloc'd
 *   message with Python's text that the caller frees; repo->partial_bytes
 *   holds the bytes of its blobs/ *.incomplete files, and the rest of
 *   *repo is zero.
 * - ERR_NOMEM: *repo is zero, *warning and *note NULL.
 * With ERR_OK and ERR_CORRUPT, *note is NULL or a malloc'd message naming
 * the refs that were ignored (symlinks, FIFOs...) without making the repo
 * corrupted; the caller frees it.  No message quotes a file's content but
 * a ref that is exactly a commit hash.  Nothing is logged: the warning
 * and the note are the report.
 */
enum err	 hfrepo_scan(int cachefd, const char *cache,
		    const struct dirent *de, struct hfrepo *repo,
		    char **warning, char **note);

#endif
