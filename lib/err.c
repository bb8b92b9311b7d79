#include "err.h"

static const char *const err_strs[ERR__MAX] = {
	"success",			/* ERR_OK */
	"out of memory",		/* ERR_NOMEM */
	"invalid input",		/* ERR_INVAL */
	"not found",			/* ERR_NOTFOUND */
	"conflict",			/* ERR_CONFLICT */
	"database unavailable",		/* ERR_DB */
	"task store unavailable",	/* ERR_REDIS */
	"i/o error",			/* ERR_IO */
	"timed out",			/* ERR_TIMEOUT */
	"upstream failure",		/* ERR_UPSTREAM */
	"too large",			/* ERR_TOOBIG */
	"corrupted cache entry",	/* ERR_CORRUPT */
};

const char *
err_str(enum err e)
{

	if ((unsigned)e >= ERR__MAX)
		return "unknown error";
	return err_strs[e];
}
