#ifndef MM_HUBXFER_H
#define MM_HUBXFER_H

#include "err.h"

struct hubdl;

/*
 * Puts every blob of d that is not in place yet into d->blobsfd: up to
 * d->o.max_connections transfers at once (whole blobs, or ranged parts of
 * blobs of at least d->o.part_min_bytes, up to d->o.parts_per_file of one
 * blob at once), crediting d->prog (connections included) and calling
 * the progress callback as bytes land.  Returns ERR_OK when every blob is
 * in place, ERR_TIMEOUT ("stopped") when the callback asked to stop, or
 * the first failure recorded in d.  Partial files are kept, with their
 * part maps up to date, for a later resume.
 */
enum err	 hubxfer_run(struct hubdl *d);

#endif
