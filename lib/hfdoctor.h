#ifndef MM_HFDOCTOR_H
#define MM_HFDOCTOR_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "proclocks.h"

/*
 * The cache doctor's view of the HF cache: for each repo folder, what can
 * be reclaimed or is broken, found by walking it with no-follow opens
 * (nothing is hashed, no file's content is read but a ref's, and no
 * symlink is followed: snapshot links are read as text and mapped onto
 * the repo's blobs/ when they have the layout's form).  hfprune.h removes
 * what this finds, re-checking each item with this same scan.
 *
 * Kinds of items:
 * - partial: a regular blobs/ *.incomplete file (ours "<etag>.incomplete",
 *   our multi-part "<etag>.mm.incomplete" with its part map
 *   .locks/<folder>/<etag>.mm.parts, or another tool's
 *   "<etag>.<x>.incomplete");
 * - orphan blob: a regular file of blobs/ that no snapshot link (and no
 *   link of a revision being published in .mm-staging/) names;
 * - detached revision: a directory of snapshots/ that no ref names, with
 *   the blobs only detached revisions use (each counted with the first
 *   such revision in name order).  A repo without a single ref naming a
 *   commit has none: a revision downloaded by its commit hash writes no
 *   ref, and is what the repo holds;
 * - broken link: a snapshot link to a blob that is not there, or whose
 *   text does not have the layout's form (never followed to find out);
 * - stale lock: a regular *.lock or *.mm.parts file of .locks/<folder>/
 *   with no partial file of its blob, that no process holds;
 * - staging: a leftover .mm-staging/ (a revision being published, or an
 *   interrupted publication that the next download removes).
 * Bytes are apparent (st_size, as du -b) and disk (st_blocks * 512; 0 for
 * a file with other hard links, whose removal frees nothing).
 */

enum hfdoc_kind {
	HFDOC_PARTIAL = 0,
	HFDOC_ORPHAN,
	HFDOC_DETACHED,
	HFDOC_BROKEN_LINK,
	HFDOC_STALE_LOCK,
	HFDOC_STAGING,
	HFDOC__MAX
};

/* "partial", "orphan_blobs", "detached_revisions", "broken_links",
 * "stale_locks", "staging"; "" out of range. */
const char	*hfdoc_kind_str(enum hfdoc_kind k);
/* The kind named s; 0, or -1 if none. */
int		 hfdoc_kind_parse(const char *s, enum hfdoc_kind *k);

/* How a partial file was written, from its name. */
enum hfdoc_writer {
	HFDOC_W_SINGLE = 0,	/* <etag>.incomplete: resumable */
	HFDOC_W_MULTIPART,	/* <etag>.mm.incomplete + part map */
	HFDOC_W_OTHER		/* <etag>.<x>.incomplete: another tool's */
};

/* One finding.  Strings are malloc'd and owned by the item. */
struct hfdoc_item {
	enum hfdoc_kind	 kind;
	char		*name;		/* path relative to the cache */
	char		*etag;		/* its blob (partial, orphan, lock),
					   or the commit (detached); may be
					   NULL */
	uint64_t	 apparent;
	uint64_t	 disk;
	int64_t		 mtime;		/* newest of what it holds */
	dev_t		 dev;		/* the file or directory itself */
	ino_t		 ino;
	int		 held;		/* its lock: 1, 0, -1 unknown */
	enum hfdoc_writer writer;	/* partial */
	char		*map;		/* partial: its part map, or NULL */
	size_t		 files;		/* detached: snapshot entries */
	char		**blobs;	/* detached: names of the blobs freed
					   with it */
	size_t		 nblobs;
	char		**shared;	/* detached: names of the blobs a
					   ref's revision also uses (kept) */
	size_t		 nshared;
	uint64_t	 shared_bytes;
	const char	*reason;	/* broken link: "missing_blob",
					   "not_a_blob_link" */
};

/* One repo folder.  Strings malloc'd, owned. */
struct hfdoc_repo {
	char		*type;		/* "model", "dataset", "space" */
	char		*id;
	char		*folder;
	struct hfdoc_item *items;
	size_t		 n;
	size_t		 nrevisions;
	size_t		 nrefs;		/* refs naming a commit */
	uint64_t	 partial_size;	/* blobs/ *.incomplete + orphan blobs
					   (the scan's partial_bytes) */
	char		*warning;	/* what could not be read, or NULL;
					   then no orphan or detached item is
					   reported (references unknown) */
};

/* A file of a revision, as the scan walks it (hfdoc_opts.on_file). */
struct hfdoc_file {
	const char	*rev;		/* snapshots/<rev> */
	const char	*path;		/* inside the revision */
	const char	*blob;		/* the blob a link in the layout's form
					   names, else NULL */
	int		 link;		/* a symlink (else a regular file) */
	int		 present;	/* blob is a regular file of blobs/ */
	uint64_t	 size;		/* its size, when present */
};

struct hfdoc_opts {
	int64_t			 now;	/* epoch seconds, for ages */
	const struct proclocks *locks; /* may be NULL: held unknown */
	/* Called for each link and regular file of each revision (not
	 * staging); non-zero fails the scan with ERR_NOMEM.  May be NULL. */
	int			(*on_file)(void *arg,
				    const struct hfdoc_file *f);
	void			*arg;
};

/*
 * Scans the repo folder of cachefd (a directory named "<type>s--<id>").
 * ERR_NOTFOUND when it does not exist, ERR_INVAL when the name is not a
 * repo folder's or it is not a directory (a symlink is never followed),
 * ERR_NOMEM.  Anything else that cannot be read is out->warning.  Free
 * with hfdoc_repo_free().
 */
enum err	 hfdoc_repo_scan(int cachefd, const char *folder,
		    const struct hfdoc_opts *o, struct hfdoc_repo *out);
/* Frees what r holds; r may be reused.  Accepts a zeroed r. */
void		 hfdoc_repo_free(struct hfdoc_repo *r);

/* Every repo of the cache, sorted by (type, id). */
struct hfdoc_report {
	struct hfdoc_repo	*repos;
	size_t			 n;
};

/*
 * Scans every repo folder of the cache directory dir (entries that are
 * not repo folders, .locks and CACHEDIR.TAG are skipped).  A missing
 * directory is an empty cache.  ERR_IO (message in errbuf) when dir
 * cannot be read, ERR_TOOBIG past 2^20 entries, ERR_NOMEM.  Free with
 * hfdoc_report_free().
 */
enum err	 hfdoc_scan(const char *dir, const struct hfdoc_opts *o,
		    struct hfdoc_report *out, char *errbuf, size_t errlen);
/* The same for the one repo folder of dir (out->n 0 when it is not
 * there, or is not a repo folder). */
enum err	 hfdoc_scan_one(const char *dir, const struct hfdoc_opts *o,
		    const char *folder, struct hfdoc_report *out);
void		 hfdoc_report_free(struct hfdoc_report *rep);

#endif
