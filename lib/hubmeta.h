#ifndef MM_HUBMETA_H
#define MM_HUBMETA_H

#include <stddef.h>

#include "err.h"
#include "hfwrite.h"

struct hubdl;
struct hblob;

/*
 * Resolves d->revision to d->commit (no request for a 40-hex commit),
 * then lists the commit's tree, page after page, into a temporary spool
 * file (an unlinked O_TMPFILE in the cache directory), checks
 * it and groups its files into d->blobs, setting bytes_total and
 * files_total.  Memory does not grow with the listing's bytes, only with
 * its number of files (about 80 bytes each, plus its blobs).  Returns
 * ERR_OK, or the first failure recorded in d: ERR_INVAL for an unsafe
 * listing; ERR_TOOBIG past 200,000 files, d->o.max_path_depth segments in
 * a path, d->o.max_dirs directories implied by the file paths,
 * d->o.max_listing_bytes bytes of pages, or a snapshot link path of
 * PATH_MAX bytes or more (the message names the setting); ERR_IO for the
 * spool; or a request error.  Nothing is made in the cache.
 */
enum err	 hubmeta_get(struct hubdl *d);

/*
 * The listed files in path order, read back from the spool (after
 * hubmeta_get succeeded); valid as long as d.
 */
void		 hubmeta_list(struct hubdl *d, struct hfwrite_list *l);

/*
 * The path of a file holding blob b into buf (len bytes).  Returns 0, or
 * -1 with errno set.
 */
int		 hubmeta_blob_path(const struct hubdl *d, const struct hblob *b,
		    char *buf, size_t len);

#endif
