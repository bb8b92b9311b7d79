#ifndef MM_HUBPARTIAL_H
#define MM_HUBPARTIAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "err.h"
#include "hubhash.h"
#include "hubhttp.h"
#include "hubname.h"
#include "hubparts.h"

struct hblob;
struct hubdl;

/*
 * A blob being fetched, as the transfers see it (hubxfer.c): its lock,
 * its partial file, the digest that follows it, and the parts on disk.
 *
 * The partial files (DESIGN.md, second wave): a blob fetched as a single
 * stream is blobs/<etag>.incomplete, contiguous, as other tools write and
 * resume it; one fetched in parts has holes, so it is
 * blobs/<etag>.mm.incomplete, which no other tool picks up, with its part
 * map at .locks/<repo folder>/<etag>.mm.parts (format in hubparts.h).
 * The map is a cache file anyone with write access to the cache may have
 * written: it is read only when it is a regular file reached without a
 * symlink, within its size bound, valid as a whole, and within the
 * partial file's size; otherwise the partial file is dropped.  It is
 * replaced atomically (a temporary file renamed over it), and what it
 * vouches for is written before it (fdatasync first with fsync_blobs).
 * The digest follows the contiguous prefix on disk: it reads back what
 * the stream or the first part writes, and the parts ahead of them once
 * the prefix reaches them.
 */

#define HUBPARTIAL_ONE		".incomplete"
#define HUBPARTIAL_PARTS	".mm.incomplete"
#define HUBPARTIAL_MAP		".mm.parts"
#define HUBPARTIAL_NAME_MAX	96	/* "<etag><suffix>" and its NUL */

struct hubpartial {
	struct hubdl		*d;
	struct hblob		*b;		/* NULL: the slot is free */
	uint64_t		 seq;		/* set by the caller */
	int			 multi;		/* in parts: .mm.incomplete */
	int			 stream;	/* the server ignored a Range:
						   one part from byte 0 */
	int			 lockfd, fd;
	struct hubparts		 parts;		/* on disk, in flight */
	uint64_t		 hashed;	/* the prefix the digest has */
	EVP_MD_CTX		*md;
	struct hubhash		 h;		/* hashes into md */
	char			*cdn;		/* the signed URL that served it
						   last, or NULL */
	unsigned		 nconn;		/* connections on it (the
						   caller's count) */
	struct hubhttp_errctx	 ectx;		/* names it in messages */
	char			 path[HUBNAME_PATH_MAX + 1]; /* a file of b */
};

/* A free slot of download d.  Cannot fail. */
void	 hubpartial_init(struct hubpartial *xb, struct hubdl *d);

/* Releases the slot (hubpartial_release) and frees its digest. */
void	 hubpartial_free(struct hubpartial *xb);

/*
 * Takes blob b into the free slot xb: nothing when it is in place already
 * (hubdl_blob_done called); *busy set when another process holds its
 * lock; else locked, its partial file opened (a .mm.incomplete with a map
 * it can trust, else a .incomplete, else a new one, in parts when parts
 * is set), hashed from byte 0 as far as it is contiguous, and credited.
 * A complete partial file is verified and put in place (or emptied when
 * it does not match).  Returns ERR_OK with xb->b set when bytes are to be
 * fetched, or the failure recorded in d.
 */
enum err hubpartial_claim(struct hubpartial *xb, struct hblob *b, int parts,
	    int *busy);

/*
 * Writes len bytes of data at the position of part i, and hands the
 * digest what the contiguous prefix gained, credits the bytes, and
 * writes the part map every checkpoint_bytes of the part.  Returns 0, or
 * -1 with errno.
 */
int	 hubpartial_write(struct hubpartial *xb, int i, const char *data,
	    size_t len);

/* Writes the part map of a blob in parts (nothing for one stream). */
enum err hubpartial_checkpoint(struct hubpartial *xb);

/* Empties the partial file: nothing on disk, the digest from nothing. */
enum err hubpartial_reset(struct hubpartial *xb);

/*
 * Once no connection holds xb and every byte is on disk: checks the
 * digest, then renames the partial file onto blobs/<etag>
 * (hubdl_blob_done, the slot released), or starts the blob over
 * (hubpartial_mismatch).
 */
enum err hubpartial_settle(struct hubpartial *xb);

/*
 * Content that does not match: starts the blob over, or, the second
 * time, removes the partial file and fails with ERR_INVAL.
 */
enum err hubpartial_mismatch(struct hubpartial *xb);

/* Records a file system failure errnum on the partial file of xb. */
enum err hubpartial_ioerr(struct hubpartial *xb, int errnum);

/* Frees the slot: closes the files (once hashed), unlocks. */
void	 hubpartial_release(struct hubpartial *xb);

/* Notes url (not the hub's) as the one that serves xb now. */
void	 hubpartial_cdn_note(struct hubpartial *xb, const char *url);

/* Forgets the signed URL of xb if it is url. */
void	 hubpartial_cdn_forget(struct hubpartial *xb, const char *url);

/*
 * The bytes of b that its partial file holds, for the survey before the
 * download: those of a .mm.incomplete its map vouches for, else the size
 * of a .incomplete no bigger than b.  locksfd may be -1 (no map then).
 */
uint64_t hubpartial_have(int blobsfd, int locksfd, const struct hblob *b);

#endif
