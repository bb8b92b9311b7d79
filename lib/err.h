#ifndef MM_ERR_H
#define MM_ERR_H

/*
 * The one error type of lib/.  lib/ never speaks HTTP: fcgi/ maps these
 * codes to statuses at the edge.
 */
enum err {
	ERR_OK = 0,
	ERR_NOMEM,	/* out of memory */
	ERR_INVAL,	/* invalid input or configuration */
	ERR_NOTFOUND,	/* the thing asked for does not exist */
	ERR_CONFLICT,	/* another operation holds it */
	ERR_DB,		/* PostgreSQL unavailable or failed */
	ERR_REDIS,	/* Redis unavailable or failed */
	ERR_IO,		/* file system error */
	ERR_TIMEOUT,	/* a deadline passed */
	ERR_UPSTREAM,	/* a remote server (hub, VecPipe) failed */
	ERR_TOOBIG,	/* a hard size limit was exceeded */
	ERR_CORRUPT,	/* a corrupted cache entry */
	ERR__MAX
};

/* Returns a static, human-readable name for e; never NULL. */
const char	*err_str(enum err e);

#endif
