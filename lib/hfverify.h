#ifndef MM_HFVERIFY_H
#define MM_HFVERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Verifying the installed revisions of a repo against their blob names:
 * every file of every revision in snapshots/ is checked, each distinct
 * blob hashed once (SHA-256 of the content for a 64-hex LFS name, the git
 * blob SHA-1 of "blob <size>\0" + content for a 40-hex one), with the
 * sizes and blob names of trees/<commit>.json when it is there (a listing
 * over HFVERIFY_TREES_MAX bytes is not read: sizes are then unchecked).
 * Nothing is written; no link is followed (a link is mapped onto blobs/
 * by its text, as hfdoctor.h does).
 *
 * Problems, one per file:
 * - broken_link: a link not in the layout's form, or naming another blob
 *   than the listing gives for that path (expected the listing's blob,
 *   actual the blob it names);
 * - missing_blob: the blob the link names is not a regular file of blobs/
 *   (expected its name);
 * - wrong_size: the blob's size is not the listing's (expected, actual:
 *   sizes); it is not hashed;
 * - corrupt: the content's hash is not the blob's name (expected the
 *   name, actual the hash).
 * A regular file in a revision (a copy, no-symlink mode) and a blob whose
 * name is not 40 or 64 hex digits cannot be checked: they are counted as
 * unchecked.
 */

#define HFVERIFY_TREES_MAX	(16 * 1024 * 1024)
#define HFVERIFY_SIZE_UNKNOWN	UINT64_MAX

enum hfv_kind {
	HFV_OK = 0,
	HFV_CORRUPT,
	HFV_MISSING_BLOB,
	HFV_BROKEN_LINK,
	HFV_WRONG_SIZE,
	HFV_UNCHECKED
};

/* "ok", "corrupt", "missing_blob", "broken_link", "wrong_size",
 * "unchecked". */
const char	*hfverify_kind_str(enum hfv_kind k);

/* A distinct blob to hash. */
struct hfv_blob {
	char		*name;
	uint64_t	 size;		/* st_size when listed */
	enum hfv_kind	 state;		/* HFV_OK until hashed */
	char		 actual[65];	/* the hash, when corrupt */
	int		 hash;		/* to be hashed */
};

/* A file of a revision and what was found. */
struct hfv_file {
	char		*rev;		/* shared with the plan's revs */
	char		*path;		/* inside the revision */
	char		*blob;		/* the blob its link names, or NULL */
	size_t		 bi;		/* index in blobs, or (size_t)-1 */
	enum hfv_kind	 state;		/* before hashing; then from its blob */
	char		*expected;	/* the listing's blob, or NULL */
	uint64_t	 expected_size;	/* the listing's, or SIZE_UNKNOWN */
};

struct hfv_plan {
	char		**revs;
	size_t		 nrevs;
	struct hfv_file	*files;
	size_t		 nfiles;
	struct hfv_blob	*blobs;		/* sorted by name */
	size_t		 nblobs;
	uint64_t	 bytes;		/* of the blobs to hash */
	int		 sizes_known;	/* every revision had its listing */
};

/*
 * Lists the files of every revision of the repo folder of cachefd and
 * what can be told without hashing.  ERR_NOTFOUND (no such folder),
 * ERR_INVAL (not a repo folder), ERR_NOMEM.  Free with hfverify_free().
 */
enum err	 hfverify_plan(int cachefd, const char *folder,
		    struct hfv_plan *out);

/*
 * Hashes blob b of blobsfd (the repo's blobs/), reading through buf (len
 * bytes), and sets b->state (HFV_OK, HFV_CORRUPT with b->actual,
 * HFV_MISSING_BLOB when it is not a regular file any more).  tick(arg,
 * n) is called after each read of n bytes; non-zero stops the hashing
 * (ERR_TIMEOUT, b unchanged).  ERR_IO (errno set) on a read error.
 */
enum err	 hfverify_blob(int blobsfd, struct hfv_blob *b, void *buf,
		    size_t len, int (*tick)(void *arg, uint64_t n), void *arg);

/* Each file's state from its blob's, once every blob is hashed. */
void		 hfverify_settle(struct hfv_plan *p);

/* Accepts a zeroed p. */
void		 hfverify_free(struct hfv_plan *p);

#endif
