#ifndef MM_HUBHASH_H
#define MM_HUBHASH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*
 * The digest of a partial blob, computed on a thread of its own: SHA-256
 * costs about as much CPU as receiving and writing the bytes, so on the
 * transfer loop's thread it would halve the speed.  The writer appends to
 * the file and reports how far it got (hubhash_put); the thread follows,
 * reading back from the page cache what was written and hashing it.  It
 * is woken only when a good batch waits or someone waits for it, not at
 * every write (a wake-up is an interrupt to the other CPU; in a VM, an
 * exit).  Without a thread (it could not start), hubhash_put hashes on
 * the caller's thread.  Everything that reads, resets or closes behind
 * the digest waits for it first (hubhash_wait).
 */
struct hubhash {
	pthread_t		 tid;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	EVP_MD_CTX		*md;
	unsigned char		*rbuf;		/* read-back buffer */
	int			 fd;		/* the partial file */
	uint64_t		 done, avail;	/* hashed, written */
	uint64_t		 base;		/* avail at the last jump */
	int			 idle;		/* waiting for bytes */
	int			 throttled;	/* the writer waits for it */
	int			 failed;	/* a read or update failed */
	int			 quit;
	int			 running;	/* thread started */
};

/*
 * Sets h up to feed md (owned by the caller) and starts its thread, with
 * every signal blocked there.  Returns 0, or -1 when out of memory (h
 * then holds nothing); a thread that cannot start is not an error.
 */
int	 hubhash_init(struct hubhash *h, EVP_MD_CTX *md);

/* Ends the thread, once idle, and frees h's buffer.  Accepts a zeroed h. */
void	 hubhash_free(struct hubhash *h);

/*
 * Waits until the digest holds every byte reported: call it before
 * reading, resetting or updating md on this thread, and before closing or
 * truncating the file.  Returns -1 (the failure then forgotten) when a
 * read or an update failed, else 0.
 */
int	 hubhash_wait(struct hubhash *h);

/* Points the idle h at fd, everything before at counted as hashed. */
void	 hubhash_reset(struct hubhash *h, int fd, uint64_t at);

/*
 * The writer put len bytes of data in the file, which now holds
 * written bytes: hashes them, or has the thread do it (waiting when it
 * lags too far behind).  Returns 0, or -1 if the digest failed.
 */
int	 hubhash_put(struct hubhash *h, const void *data, size_t len,
	    uint64_t written);

/*
 * The file now holds every byte before upto, some of them written out of
 * order (parts of a blob that finished before the bytes ahead of them):
 * hashes them up to there, or has the thread do it (it reads them back;
 * the writer does not wait for that).  Returns 0, or -1 if the digest
 * failed.
 */
int	 hubhash_advance(struct hubhash *h, uint64_t upto);

/*
 * Hashes bytes [0, have) of fd on the caller's thread (after
 * hubhash_wait), then points h at fd from have.  stop (may be NULL) is
 * polled between reads.  Returns 0; 1 when stop asked to (h is then not
 * reset); -1 with errno (EIO for a short file, ENOMEM for the digest).
 */
int	 hubhash_file(struct hubhash *h, int fd, uint64_t have,
	    int (*stop)(void *), void *arg);

#endif
