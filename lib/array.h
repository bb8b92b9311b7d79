#ifndef MM_ARRAY_H
#define MM_ARRAY_H

#include <stddef.h>

#include "err.h"

/*
 * Makes room for need elements of size bytes in the array *vp (a pointer
 * to the caller's element pointer) of capacity *cap, doubling from 16 and
 * never beyond max elements.  Returns ERR_OK; ERR_TOOBIG when need is
 * over max; ERR_NOMEM.  On error *vp and *cap are left as they were, so
 * the caller still owns (and frees) the old array.
 */
enum err	 array_grow(void *vp, size_t *cap, size_t need, size_t size,
		    size_t max);

#endif
