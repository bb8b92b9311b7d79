#ifndef MM_FDIO_H
#define MM_FDIO_H

#include <stddef.h>

/*
 * Reads fd into buf until end of file or until cap bytes are in, retrying
 * reads interrupted by a signal.  Returns 0 with the byte count in *len,
 * or -1 with errno set (*len then counts what was read).  A file of
 * exactly cap bytes and a longer one both stop at cap: callers that must
 * tell them apart pass one byte more than they accept.
 */
int	 fdio_read(int fd, char *buf, size_t cap, size_t *len);

#endif
