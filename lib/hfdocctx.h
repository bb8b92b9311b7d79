#ifndef MM_HFDOCCTX_H
#define MM_HFDOCCTX_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#include "hfdoctor.h"

/*
 * The state of one repo scan of the cache doctor, private to its two
 * files: hfdoctor.c (blobs/, the lock folder, refs/, the classification,
 * the public API) and hfdocsnap.c (the links of snapshots/ and of
 * .mm-staging/).
 */

#define DOC_DEPTH_MAX	64		/* directory levels below a repo */
#define DOC_REL_MAX	8192		/* a path inside the repo */
#define DOC_ENTRIES_MAX	(1u << 24)	/* blobs, locks, items of a repo */
#define DOC_REVS_MAX	(1u << 20)
#define NONE		((size_t)-1)
#define STAGING		".mm-staging"
#define STAGING_LOCK	"mm-staging.lock"

/* A regular file of blobs/ or of the lock folder, stat'ed. */
struct fent {
	char		*name;
	uint64_t	 size, disk;
	int64_t		 mtime;
	dev_t		 dev;
	ino_t		 ino;
	/* blobs: */
	int		 cur;		/* a ref's revision links to it */
	int		 odd;		/* an odd link may name it */
	int		 staged;	/* a staged link names it */
	size_t		 det;		/* first detached revision, or NONE */
	size_t		 seen;		/* last revision that noted it */
	/* locks: */
	int		 used;		/* by a partial or by staging */
};

struct fents {
	struct fent	*v;
	size_t		 n, cap;
};

/* What a walk adds its entries' bytes to (a detached revision, staging). */
struct acc {
	uint64_t	 apparent, disk;
	int64_t		 mtime;
	size_t		 files;
};

struct rev {
	char		*name;
	int		 current;
	struct acc	 acc;
	dev_t		 dev;
	ino_t		 ino;
	size_t		*blobs;		/* distinct blobs it links to */
	size_t		 nblobs, cap;
};

struct ctx {
	const struct hfdoc_opts	*o;
	int			 cachefd, repofd, blobsfd;
	const char		*folder;
	struct fents		 blobs, locks;
	int			 locks_unknown;
	char			**refs;		/* commits, sorted */
	size_t			 nrefs, caprefs;
	struct rev		*revs;
	size_t			 nrevs, caprevs;
	size_t			 currev;	/* being walked; NONE: staging */
	struct acc		*acc;		/* NULL: bytes not wanted */
	int			 unsure;	/* references not all known */
	struct hfdoc_repo	*out;
	size_t			 capitems;
	char			 rel[DOC_REL_MAX];
	size_t			 rellen;
};

/* Records the repo's first warning; with refs set, the references are
 * not all known, so that no orphan or detached revision is reported. */
void		 hfdoc_warn(struct ctx *c, int refs, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* A new zeroed item of kind named by the format (a path relative to the
 * cache), or NULL on out-of-memory. */
struct hfdoc_item *hfdoc_item_add(struct ctx *c, enum hfdoc_kind kind,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds the bytes and mtime of st to a. */
void		 hfdoc_acc_add(struct acc *a, const struct stat *st);
/* The entry named name of the sorted list l, or NONE. */
size_t		 hfdoc_fent_find(const struct fents *l, const char *name);
/* Whether the lock file name of the repo is held: 1, 0, -1 unknown;
 * mark notes it as used (not stale). */
int		 hfdoc_lock_held(struct ctx *c, const char *name, int mark);
/* strcmp of two char * (qsort, bsearch). */
int		 hfdoc_cmp_str(const void *a, const void *b);

/* hfdocsnap.c: walks snapshots/ (the revisions) and .mm-staging/. */
enum err	 hfdoc_read_snapshots(struct ctx *c);
enum err	 hfdoc_read_staging(struct ctx *c);

#endif
