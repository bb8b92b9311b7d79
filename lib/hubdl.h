#ifndef MM_HUBDL_H
#define MM_HUBDL_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"
#include "hub.h"
#include "hubhttp.h"

/*
 * The state of one snapshot download, private to its modules: hub.c (the
 * orchestration), hubmeta.c (revision and listing) and hubxfer.c (the
 * transfers).  The first failure is recorded with its message
 * (hubdl_fail); later ones are dropped.
 */

/* One file of the listing. */
struct hfile {
	char		*path;
	uint64_t	 size;		/* tree "size" */
	char		 oid[41];	/* git object id */
	char		 lfs_oid[65];	/* "" unless LFS */
	uint64_t	 lfs_size;
	char		*xet;		/* xetHash or NULL */
	size_t		 blob;		/* index in d->blobs */
};

enum blob_state { BLOB_TODO, BLOB_BUSY, BLOB_DONE };

/* One distinct blob to put in place (files may share one). */
struct hblob {
	char		 etag[65];
	const char	*path;		/* a file holding it, for messages */
	uint64_t	 size;
	int		 lfs;
	size_t		 nfiles;
	enum blob_state	 state;
	uint64_t	 credited;	/* counted in bytes_done */
	uint64_t	 retry_at;	/* lock busy: next try, ms */
	int		 mismatches;
};

struct hubdl {
	struct hub_opts			 o;		/* defaults filled */
	struct hubhttp_opts		 http;		/* from o */
	const struct hub_callbacks	*cb;
	const char			*cache_dir, *repo_id, *revision;
	char				*endpoint;
	char				 folder[256];
	char				 commit[41];
	struct hfile			*files;
	size_t				 nfiles, capfiles;
	struct hblob			*blobs;
	size_t				 nblobs, left;
	struct hub_progress		 prog;
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
 * Calls cb->progress when force is set or a few hundred ms passed since
 * the last call.  Returns non-zero once the callback asked to stop (then
 * d->stopped is set).
 */
int	 hubdl_tick(struct hubdl *d, int force);

/* hubdl_tick(arg, 0), as a stop callback. */
int	 hubdl_stop_cb(void *arg);

/* Counts bytes (at most b's size) of b as on disk. */
void	 hubdl_credit(struct hubdl *d, struct hblob *b, uint64_t bytes);

/* b is in place: its bytes and files are done. */
void	 hubdl_blob_done(struct hubdl *d, struct hblob *b);

#endif
