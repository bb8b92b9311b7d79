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

/*
 * Reads at most cap bytes of the file name inside dirfd into buf, only
 * if it is a regular file: it is opened without following a symlink and
 * without blocking on a FIFO, so a file a hostile writer replaced is never
 * read through.  Returns 0 with the byte count in *len, 1 when name is a
 * symlink, a FIFO or anything but a regular file (nothing read), or -1
 * with errno set.
 */
int	 fdio_read_regular(int dirfd, const char *name, char *buf, size_t cap,
	    size_t *len);

#endif
