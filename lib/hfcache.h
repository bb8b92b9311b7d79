#ifndef MM_HFCACHE_H
#define MM_HFCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Read access to the HuggingFace Hub cache, with huggingface_hub's
 * scan_cache_dir semantics (see HF-HUB.md section 5): a repo's size is the
 * sum of st_size over the unique blobs referenced by any snapshot; a
 * corrupted repo is a warning and never aborts the scan; .locks,
 * CACHEDIR.TAG and the OS junk files are skipped.
 */

struct hfrepo {
	char		*type;		/* "model", "dataset", "space", ... */
	char		*id;		/* "org/name" or "name" */
	char		*folder;	/* "models--org--name" */
	uint64_t	 size_on_disk;	/* unique referenced blobs, st_size */
	size_t		 nb_files;	/* unique referenced blobs */
	size_t		 nrevisions;	/* directories in snapshots/ */
	uint64_t	 partial_bytes;	/* *.incomplete + unreferenced blobs */
};

struct hfscan {
	struct hfrepo	*repos;		/* valid repos, sorted by (type, id) */
	size_t		 n;
	uint64_t	 size_on_disk;	/* sum over valid repos */
	uint64_t	 partial_bytes;	/* sum of partial_bytes, all repos */
	char		**warnings;	/* one per corrupted repo */
	size_t		 nwarnings;
};

/*
 * HF_HOME as huggingface_hub resolves it: $HF_HOME, else
 * $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface, then "~" and
 * "$VAR"/"${VAR}" expanded through getenv_fn (pypath_expand()).  A
 * variable set to "" counts as set; the result is not made absolute.
 * Returns a malloc'd path the caller frees, or NULL on out-of-memory (not
 * logged).
 */
char		*hfcache_resolve_home(const char *(*getenv_fn)(const char *));

/*
 * Resolves the hub cache directory exactly as huggingface_hub does:
 * HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then $HF_HOME/hub, then
 * $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub.  A
 * variable set to "" counts as set; "~" and "$VAR"/"${VAR}" are expanded
 * (through getenv_fn, so tests can pass a fake environment).  Returns a
 * malloc'd path the caller frees, or NULL on out-of-memory.
 */
char		*hfcache_resolve_dir(const char *(*getenv_fn)(const char *));

/*
 * Scans dir.  A missing directory is an empty cache (ERR_OK, n = 0).  A
 * directory that cannot be read, or a path that is not a directory, is
 * ERR_IO with a message in errbuf.  The caller frees *out with
 * hfcache_free().
 */
enum err	 hfcache_scan(const char *dir, struct hfscan **out,
		    char *errbuf, size_t errlen);

/* The repo of that type ("model") and id, or NULL.  Borrowed from scan. */
const struct hfrepo *hfcache_find(const struct hfscan *scan, const char *type,
		    const char *id);

/* Accepts NULL; sets *scan to NULL. */
void		 hfcache_free(struct hfscan **scan);

#endif
