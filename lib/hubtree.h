#ifndef MM_HUBTREE_H
#define MM_HUBTREE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hubname.h"

/*
 * A streaming (pull) reader of one page of the Hub's tree listing (HF-HUB.md
 * section 3.1): a JSON array of objects, read through a fixed buffer
 * whatever the page's size, handing over one entry at a time with just the
 * fields the download uses.  Memory is bounded by struct hubtree, never by
 * the input; unknown members of any size or nesting (up to
 * HUBTREE_DEPTH_MAX) are skipped without being kept.
 */

#define HUBTREE_BUF		65536	/* bytes read at once */
#define HUBTREE_DEPTH_MAX	32	/* nesting of skipped values */
#define HUBTREE_XET_MAX		256	/* a longer xetHash is dropped */

/* Which fields of an entry were present and well formed. */
#define HUBTREE_PATH		0x01	/* path: a string, no NUL, fits */
#define HUBTREE_SIZE		0x02	/* size: an integer in [0, 2^53] */
#define HUBTREE_OID		0x04	/* oid: a string of at most 64 bytes */
#define HUBTREE_LFS		0x08	/* lfs: an object */
#define HUBTREE_LFS_OID		0x10	/* lfs.oid: a string, <= 64 bytes */
#define HUBTREE_LFS_SIZE	0x20	/* lfs.size: an integer in [0, 2^53] */
#define HUBTREE_XET		0x40	/* xetHash: a string, <= 256 bytes */
#define HUBTREE_FILE		0x80	/* type is "file" */
#define HUBTREE_TYPED		0x100	/* type is a string */

/* One entry of the listing; strings are NUL-terminated. */
struct hubtree_entry {
	unsigned	 flags;
	char		 path[HUBNAME_PATH_MAX + 1];
	uint64_t	 size;
	char		 oid[65];
	char		 lfs_oid[65];
	uint64_t	 lfs_size;
	char		 xet[HUBTREE_XET_MAX + 1];
};

/* The reader's state: one buffer and one entry. */
struct hubtree {
	long			(*read)(void *, char *, size_t);
	void			*arg;
	char			 buf[HUBTREE_BUF];
	size_t			 pos, len;
	int			 eof;
	int			 rerr;		/* errno of a failed read */
	struct hubtree_entry	 e;
};

/*
 * Reads the page from read(arg, buf, len), which returns the number of
 * bytes it put in buf, 0 at the end, or -1 with errno set on failure, and
 * calls cb(cbarg, entry) for each
 * element of the array, in order (the entry is valid during the call).
 * Returns ERR_OK; ERR_UPSTREAM when the page is not a JSON array of
 * objects (bad syntax, nesting deeper than HUBTREE_DEPTH_MAX, bytes after
 * the array); ERR_IO when read fails (t->rerr holds its errno); or the
 * first error cb returned, which stops the reading.
 */
enum err	 hubtree_parse(struct hubtree *t,
		    long (*read)(void *arg, char *buf, size_t len), void *arg,
		    enum err (*cb)(void *cbarg, const struct hubtree_entry *e),
		    void *cbarg);

/*
 * Reads a JSON object from read(arg, ...) as hubtree_parse reads a page
 * and copies the string value of its top-level member key (the last one
 * if repeated) into out: at most max bytes and a NUL; out is "" when the
 * member is absent, not a string, longer or holds an escaped NUL.  Returns
 * ERR_OK, ERR_UPSTREAM when the input is not one JSON object, or ERR_IO.
 */
enum err	 hubtree_member(struct hubtree *t,
		    long (*read)(void *arg, char *buf, size_t len), void *arg,
		    const char *key, char *out, size_t max);

#endif
