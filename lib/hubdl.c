/*
 * The state of one snapshot download: the first failure and its message,
 * progress reports, and the release of everything it holds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hubdl.h"
#include "log.h"
#include "mono.h"

#define PROGRESS_MS	250

void
hubdl_init(struct hubdl *d, char *msg, size_t msglen)
{

	memset(d, 0, sizeof(*d));
	d->cachefd = d->repofd = d->blobsfd = d->locksfd = -1;
	d->spoolfd = -1;
	d->msg = msg != NULL && msglen > 0 ? msg : d->nomsg;
	d->msglen = msg != NULL && msglen > 0 ? msglen : sizeof(d->nomsg);
	d->msg[0] = '\0';
}

static void
close_fd(int *fd)
{

	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

void
hubdl_free(struct hubdl *d)
{

	free(d->files);
	free(d->order);
	close_fd(&d->spoolfd);
	free(d->blobs);
	free(d->primary);
	close_fd(&d->locksfd);
	close_fd(&d->blobsfd);
	close_fd(&d->repofd);
	close_fd(&d->cachefd);
}

enum err
hubdl_fail(struct hubdl *d, enum err e, const char *fmt, ...)
{
	va_list	 ap;

	if (d->err != ERR_OK)
		return d->err;
	d->err = e;
	va_start(ap, fmt);
	vsnprintf(d->msg, d->msglen, fmt, ap);
	va_end(ap);
	return e;
}

enum err
hubdl_ioerr(struct hubdl *d, int errnum, const char *what)
{

	if (errnum == ENOSPC || errnum == EDQUOT)
		return hubdl_fail(d, ERR_IO, "Disk full while writing %s/%s: "
		    "free space in %s and retry; the partial download is kept "
		    "and will resume", d->cache_dir, what, d->cache_dir);
	if (errnum == EACCES || errnum == EPERM || errnum == EROFS)
		return hubdl_fail(d, ERR_IO, "Permission denied on %s/%s (%s): "
		    "the cache must be writable by this service's group "
		    "(directories 2775, umask 002)", d->cache_dir, what,
		    strerror(errnum));
	return hubdl_fail(d, ERR_IO, "Cannot write %s/%s: %s", d->cache_dir,
	    what, strerror(errnum));
}

int
hubdl_tick(struct hubdl *d, int force)
{
	uint64_t	 t = mono_ms();

	if (d->stopped || d->cb == NULL || d->cb->progress == NULL)
		return d->stopped;
	if (!force && !d->retry_moved && t - d->last_tick < PROGRESS_MS)
		return 0;
	d->last_tick = t;
	d->retry_moved = 0;
	if (d->cb->progress(d->cb->arg, &d->prog) != 0)
		d->stopped = 1;
	return d->stopped;
}

void
hubdl_retry_note(void *arg, const void *req, unsigned attempt,
    const char *cause)
{
	struct hubdl	*d = arg;

	if (cause == NULL && (req != d->retrying || d->prog.attempt == 0))
		return;		/* the common case: nothing to clear */
	d->retrying = cause != NULL ? req : NULL;
	d->prog.attempt = cause != NULL ? attempt : 0;
	d->prog.attempt_max = cause != NULL ? d->http.retry_max : 0;
	snprintf(d->prog.last_error, sizeof(d->prog.last_error), "%s",
	    cause != NULL ? cause : "");
	d->retry_moved = 1;
}

/* The source in use, everywhere the requests and progress look. */
void
hubdl_use_source(struct hubdl *d)
{

	d->endpoint = hubsrc_current(&d->src);
	d->http.endpoint = d->endpoint;
	d->ectx.endpoint = d->endpoint;
	hubhttp_redact(d->endpoint, d->prog.source, sizeof(d->prog.source));
}

int
hubdl_failover(struct hubdl *d, size_t i)
{
	char	 from[HUBSRC_URL_MAX];
	size_t	 was = d->src.cur;

	hubhttp_redact(d->src.url[i], from, sizeof(from));
	if (!hubsrc_fail(&d->src, i, mono_ms()))
		return 0;
	if (d->src.cur == was)
		return 1;
	hubdl_use_source(d);
	log_warnx("%s: %s failed: going on from %s", d->repo_id, from,
	    d->prog.source);
	d->retry_moved = 1;
	return 1;
}

int
hubdl_stop_cb(void *arg)
{

	return hubdl_tick(arg, 0);
}

void
hubdl_credit(struct hubdl *d, struct hblob *b, uint64_t bytes)
{

	if (bytes > b->size)
		bytes = b->size;
	if (bytes > b->credited) {
		d->prog.bytes_done += bytes - b->credited;
		b->credited = bytes;
	}
}

void
hubdl_blob_done(struct hubdl *d, struct hblob *b)
{

	hubdl_credit(d, b, b->size);
	if (b->state != BLOB_DONE) {
		b->state = BLOB_DONE;
		d->prog.files_done += b->nfiles;
		d->left--;
	}
}
