/*
 * The digest of a partial blob, hashed on its own thread behind the
 * writer (see hubhash.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "hubhash.h"

#define HASH_READ	(256UL * 1024)	/* read back at once */
#define HASH_KICK	(1UL << 20)	/* wake the thread this late */
#define HASH_BACKLOG	(64UL << 20)	/* the writer waits beyond */

/* Reads back and hashes n bytes at off; 0, or -1 with errno. */
static int
hash_chunk(struct hubhash *h, int fd, uint64_t off, size_t n)
{
	ssize_t	 r;

	while (n > 0) {
		r = pread(fd, h->rbuf, n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			errno = r == 0 ? EIO : errno;
			return -1;
		}
		if (EVP_DigestUpdate(h->md, h->rbuf, (size_t)r) != 1) {
			errno = ENOMEM;
			return -1;
		}
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

/* Under h->mu: sleeps until bytes wait or quit.  0 to go on, -1 to end. */
static int
hash_idle(struct hubhash *h)
{

	while (h->done == h->avail && !h->quit) {
		h->idle = 1;
		pthread_cond_broadcast(&h->cv);
		pthread_cond_wait(&h->cv, &h->mu);
	}
	h->idle = 0;
	return h->done == h->avail ? -1 : 0;
}

static void *
hash_main(void *arg)
{
	struct hubhash	*h = arg;
	uint64_t	 off;
	size_t		 n;
	int		 fd, ok;

	pthread_mutex_lock(&h->mu);
	while (hash_idle(h) == 0) {
		off = h->done;
		n = h->avail - off < HASH_READ ? (size_t)(h->avail - off) :
		    HASH_READ;
		fd = h->fd;
		pthread_mutex_unlock(&h->mu);
		ok = hash_chunk(h, fd, off, n) == 0;
		pthread_mutex_lock(&h->mu);
		if (ok)
			h->done += n;
		else {
			h->failed = 1;
			h->done = h->avail;
		}
		if (h->throttled)
			pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Starts the thread (signals blocked there); without it, the caller's
 * thread hashes. */
static void
hash_start(struct hubhash *h)
{
	sigset_t	 all, old;

	if (pthread_mutex_init(&h->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&h->cv, NULL) != 0) {
		pthread_mutex_destroy(&h->mu);
		return;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	h->running = pthread_create(&h->tid, NULL, hash_main, h) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!h->running) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
	}
}

int
hubhash_init(struct hubhash *h, EVP_MD_CTX *md)
{

	h->md = md;
	h->fd = -1;
	if ((h->rbuf = malloc(HASH_READ)) == NULL)
		return -1;
	hash_start(h);
	return 0;
}

void
hubhash_free(struct hubhash *h)
{

	if (h->running) {
		pthread_mutex_lock(&h->mu);
		h->quit = 1;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->tid, NULL);
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		h->running = 0;
	}
	free(h->rbuf);
	h->rbuf = NULL;
}

int
hubhash_wait(struct hubhash *h)
{
	int	 failed;

	if (!h->running)
		return 0;
	pthread_mutex_lock(&h->mu);
	if (h->done < h->avail)
		pthread_cond_broadcast(&h->cv);
	while (h->done < h->avail || !h->idle)
		pthread_cond_wait(&h->cv, &h->mu);
	failed = h->failed;
	h->failed = 0;
	pthread_mutex_unlock(&h->mu);
	return failed ? -1 : 0;
}

void
hubhash_reset(struct hubhash *h, int fd, uint64_t at)
{

	if (h->running)
		pthread_mutex_lock(&h->mu);
	h->fd = fd;
	h->done = h->avail = h->base = at;
	if (h->running)
		pthread_mutex_unlock(&h->mu);
}

int
hubhash_put(struct hubhash *h, const void *data, size_t len,
    uint64_t written)
{

	if (!h->running) {
		h->done = h->avail = written;
		return EVP_DigestUpdate(h->md, data, len) == 1 ? 0 : -1;
	}
	pthread_mutex_lock(&h->mu);
	h->avail = written;
	if (h->idle && h->avail - h->done >= HASH_KICK)
		pthread_cond_broadcast(&h->cv);
	/* Never far ahead: what is read back stays in the page cache, and a
	 * stop waits for the hash of it all.  Bytes that a jump made
	 * available were written a while ago: the writer never waits for
	 * those. */
	while (h->avail - (h->done > h->base ? h->done : h->base) >
	    HASH_BACKLOG) {
		h->throttled = 1;
		pthread_cond_wait(&h->cv, &h->mu);
	}
	h->throttled = 0;
	pthread_mutex_unlock(&h->mu);
	return 0;
}

int
hubhash_advance(struct hubhash *h, uint64_t upto)
{
	uint64_t	 n;

	if (!h->running) {
		for (; h->done < upto; h->done += n) {
			n = upto - h->done < HASH_READ ? upto - h->done :
			    HASH_READ;
			if (hash_chunk(h, h->fd, h->done, (size_t)n) == -1)
				return -1;
		}
		h->avail = h->base = h->done;
		return 0;
	}
	pthread_mutex_lock(&h->mu);
	if (upto > h->avail)
		h->avail = h->base = upto;
	if (h->idle)
		pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

int
hubhash_file(struct hubhash *h, int fd, uint64_t have,
    int (*stop)(void *), void *arg)
{
	uint64_t	 off;
	size_t		 n;

	if (hubhash_wait(h) == -1) {
		errno = ENOMEM;
		return -1;
	}
	for (off = 0; off < have; off += n) {
		n = have - off < HASH_READ ? (size_t)(have - off) : HASH_READ;
		if (hash_chunk(h, fd, off, n) == -1)
			return -1;
		if (stop != NULL && stop(arg) != 0)
			return 1;
	}
	hubhash_reset(h, fd, have);
	return 0;
}
