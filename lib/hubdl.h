#ifndef MM_HUBDL_H
#define MM_HUBDL_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"
#include "hub.h"
#include "hubhttp.h"
#include "hubname.h"
#include "hubtree.h"

/*
 * The state of one snapshot download, private to its modules: hub.c (the
 * orchestration), hubmeta.c (revision and listing), hubxfer.c (the
 * transfers) and hubpartial.c (each blob's partial file).  The first failure is recorded with its message
 * (hubdl_fail); later ones are dropped.
 */

/*
 * One file of the listing while it is checked and grouped (hubmeta.c):
 * its record in the listing spool, its blob, and the first bytes of its
 * path to sort by without reading the spool most of the time.
 */
#define HFILE_KEY	24

struct hfile {
	uint64_t	 off;		/* its record in d->spoolfd */
	uint64_t	 bsize;		/* its blob's size */
	unsigned char	 etag[32];	/* its blob's name, binary */
	unsigned char	 key[HFILE_KEY]; /* its path's start, NUL-padded */
	uint16_t	 plen;		/* its path's length */
	uint8_t		 etaglen;	/* 20 (git) or 32 (LFS sha256) */
};

/*
 * A file as the listing spool stores it: this header, then plen bytes of
 * path and xlen bytes of xetHash.
 */
struct hrec {
	uint64_t	 size;		/* tree "size" */
	uint64_t	 lfs_size;
	uint16_t	 plen;
	uint16_t	 xlen;		/* 0: no xetHash */
	char		 oid[41];	/* git object id */
	char		 lfs_oid[65];	/* "" unless LFS */
};

/* One record read back, its strings NUL-terminated. */
struct hrecbuf {
	struct hrec	 h;
	char		 path[HUBNAME_PATH_MAX + 1];
	char		 xet[HUBTREE_XET_MAX + 1];
};

enum blob_state { BLOB_TODO, BLOB_BUSY, BLOB_DONE };

/* One distinct blob to put in place (files may share one). */
struct hblob {
	char		 etag[65];
	uint64_t	 rec;		/* the spool record of a file holding
					   it (hubmeta_blob_path) */
	uint64_t	 size;
	int		 lfs;
	size_t		 nfiles;
	enum blob_state	 state;
	uint64_t	 credited;	/* counted in bytes_done */
	uint64_t	 retry_at;	/* lock busy: next try, ms */
	int		 mismatches;
	int		 refetch;	/* in place, fetched again (repair) */
};

struct hubdl {
	struct hub_opts			 o;		/* defaults filled */
	struct hubhttp_opts		 http;		/* from o */
	const struct hub_callbacks	*cb;
	const char			*cache_dir, *repo_id, *revision;
	const char			*endpoint;	/* in use */
	char				*primary;	/* HF_ENDPOINT */
	struct hubsrc			 src;		/* and mirrors */
	const char			*torig[HUBSRC_MAX];
	char				 folder[256];
	char				 commit[41];
	struct hfile			*files;		/* while listing */
	size_t				 nfiles, capfiles;
	uint64_t			*order;		/* records, by path */
	int				 spoolfd;	/* the listing's */
	uint64_t			 listed;	/* bytes of pages */
	struct hrecbuf			 rb;		/* a record read */
	struct hblob			*blobs;
	size_t				 nblobs, left;
	struct hub_progress		 prog;
	const void			*retrying;	/* the request */
	int				 retry_moved;	/* tell at once */
	uint64_t			 last_tick;
	int				 stopped;
	int				 cachefd, repofd, blobsfd, locksfd;
	char				*msg;
	size_t				 msglen;
	char				 nomsg[8];	/* msg when none given */
	enum err			 err;		/* first failure */
	struct hubhttp_errctx		 ectx;
};

/*
 * Clears d for a download: no descriptor open, messages into msg (a
 * private buffer when msg is NULL or msglen 0).
 */
void	 hubdl_init(struct hubdl *d, char *msg, size_t msglen);

/* Frees what d holds and closes its descriptors. */
void	 hubdl_free(struct hubdl *d);

/* Records the first failure: its code and message.  Returns d->err. */
enum err hubdl_fail(struct hubdl *d, enum err e, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Records a file system failure errnum on what (relative to the cache) as
 * ERR_IO, with advice for a full disk or denied permission.
 */
enum err hubdl_ioerr(struct hubdl *d, int errnum, const char *what);

/*
 * Calls cb->progress when force is set, the retry state moved, or a few
 * hundred ms passed since the last call.  Returns non-zero once the
 * callback asked to stop (then d->stopped is set).
 */
int	 hubdl_tick(struct hubdl *d, int force);

/*
 * The retry state of d->prog, as hubhttp_opts.on_retry (arg is d): set
 * when request req is about to be retried, cleared when data flows again
 * on the request being retried; the next hubdl_tick reports the change.
 */
void	 hubdl_retry_note(void *arg, const void *req, unsigned attempt,
	    const char *cause);

/*
 * The source in use failed for a request sent to source i (a connect
 * error, 5xx or 429 once its retries were spent): it cools down and the
 * next one is used, told in the progress and the log.  Returns 1 if a
 * source is usable (maybe one another request moved to already), 0 if
 * every one is cooling down.
 */
int	 hubdl_failover(struct hubdl *d, size_t i);

/* Points d->endpoint, the requests, messages and progress at the source
 * in use. */
void	 hubdl_use_source(struct hubdl *d);

/* hubdl_tick(arg, 0), as a stop callback. */
int	 hubdl_stop_cb(void *arg);

/* Counts bytes (at most b's size) of b as on disk. */
void	 hubdl_credit(struct hubdl *d, struct hblob *b, uint64_t bytes);

/* b is in place: its bytes and files are done. */
void	 hubdl_blob_done(struct hubdl *d, struct hblob *b);

#endif
