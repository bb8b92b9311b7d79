#ifndef MM_HUBMETA_H
#define MM_HUBMETA_H

#include "err.h"

struct hubdl;

/*
 * Resolves d->revision to d->commit (no request for a 40-hex commit),
 * then lists the commit's tree into d->files (sorted by path) and groups
 * them into d->blobs, setting bytes_total and files_total.  Returns
 * ERR_OK, or the first failure recorded in d (ERR_INVAL for an unsafe
 * listing, ERR_TOOBIG past 200,000 files, or a request error).
 */
enum err	 hubmeta_get(struct hubdl *d);

#endif
