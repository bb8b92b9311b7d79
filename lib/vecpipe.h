#ifndef MM_VECPIPE_H
#define MM_VECPIPE_H

#include <stddef.h>

#include "err.h"

/*
 * The best-effort probe of VecPipe's loaded models:
 * GET {SEARCH_API_URL}/memory/models, an array of {model_name,
 * model_type, quantization, location, memory_mb, idle_seconds,
 * use_count}.  Any failure is reported, never fatal to the caller.
 */

#define VECPIPE_TYPES_MAX	8

struct vecpipe_loaded {
	/* Distinct model_type values of the entries whose model_name is the
	 * model, in order of first appearance. */
	char	 types[VECPIPE_TYPES_MAX][16];
	size_t	 ntypes;
};

/*
 * Asks VecPipe at base_url whether model_id is loaded, within timeout_ms
 * in all.  ERR_OK with out filled (ntypes 0 = not loaded), or
 * ERR_UPSTREAM (refused, timeout, non-2xx, not JSON, wrong shape) with a
 * short reason in errbuf, which is also logged here (at info level: the
 * probe is best-effort), so the caller need not log it again.
 */
enum err	 vecpipe_loaded(const char *base_url, unsigned timeout_ms,
		    const char *model_id, struct vecpipe_loaded *out,
		    char *errbuf, size_t errlen);

/* The same on a response body already fetched (pure; for tests); body[len]
 * must be NUL. */
enum err	 vecpipe_parse(const char *body, size_t len,
		    const char *model_id, struct vecpipe_loaded *out,
		    char *errbuf, size_t errlen);

#endif
