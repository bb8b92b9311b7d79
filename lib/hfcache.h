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
 * CACHEDIR.TAG and the OS junk files are skipped.  Safe on a cache that
 * others may write: nothing is followed through a symlink but the
 * snapshot links to the repo's blobs, a ref is read only when it is a
 * regular file (a symlinked ref is ignored with a warning naming it), and
 * no warning or error quotes a file's content but a ref that is exactly a
 * commit hash (see hfrepo.c).
 */

struct hfrepo {
	char		*type;		/* "model", "dataset", "space", ... */
	char		*id;		/* "org/name" or "name" */
	char		*folder;	/* "models--org--name" */
	uint64_t	 size_on_disk;	/* unique referenced blobs, st_size */
	size_t		 nb_files;	/* unique referenced blobs */
	size_t		 nrevisions;	/* directories in snapshots/ */
	uint64_t	 partial_bytes;	/* *.incomplete + unreferenced blobs */
	char		 head[41];	/* the installed revision (hfrev_head):
					   refs/main's commit, else the newest
					   snapshot; "" when none */
};

struct hfscan {
	struct hfrepo	*repos;		/* valid repos, sorted by (type, id) */
	size_t		 n;
	uint64_t	 size_on_disk;	/* sum over valid repos */
	uint64_t	 partial_bytes;	/* sum of partial_bytes, all repos */
	char		**warnings;	/* one per corrupted repo, and one per
					 * repo that ignored refs */
	size_t		 nwarnings;
};

/*
 * Scans dir (cachedir_hub() finds the one huggingface_hub uses).  A
 * missing directory is an empty cache (ERR_OK, n = 0).  A directory that
 * cannot be read, or a path that is not a directory, is ERR_IO; more than
 * 2^20 entries is ERR_TOOBIG; ERR_NOMEM.  Errors are logged here and their
 * message copied to errbuf; *out is then NULL.  A corrupted repo is a
 * warning in the result, never an error.  The caller frees *out with
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
