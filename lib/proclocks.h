#ifndef MM_PROCLOCKS_H
#define MM_PROCLOCKS_H

#include <sys/types.h>

#include <stddef.h>

#include "err.h"

/*
 * The file locks held on this host right now, read from /proc/locks
 * (every FLOCK, POSIX and OFD lock, waiters included) without taking any,
 * so that a running download is never disturbed by someone looking.
 * /proc/locks shows the locks of the processes of this PID namespace
 * only, and none of other hosts (a cache on NFS).
 */

struct proclock {
	unsigned	 major, minor;	/* the device, as /proc/locks shows it */
	unsigned long	 ino;
};

struct proclocks {
	struct proclock	*v;		/* sorted by inode */
	size_t		 n;
	int		 failed;	/* could not be read: all unknown */
};

/*
 * Parses the text of /proc/locks (len bytes at text) into out; lines it
 * cannot read are skipped.  ERR_NOMEM (out then empty).  Pure.
 */
enum err	 proclocks_parse(const char *text, size_t len,
		    struct proclocks *out);
/* Reads and parses path (normally "/proc/locks"); a file that cannot be
 * read sets out->failed.  ERR_NOMEM only. */
enum err	 proclocks_load(const char *path, struct proclocks *out);
/* 1 when a lock on the file of device dev (st_dev) and inode ino is
 * held, 0 when not, -1 when unknown (l NULL or failed). */
int		 proclocks_held(const struct proclocks *l, dev_t dev,
		    ino_t ino);
/* Forgets one lock on (dev, ino): the caller's own, so that
 * proclocks_held then tells whether anyone else holds or waits for it. */
void		 proclocks_forget(struct proclocks *l, dev_t dev, ino_t ino);
/* Accepts a zeroed l; l may be reused. */
void		 proclocks_free(struct proclocks *l);

#endif
