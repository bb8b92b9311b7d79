/*
 * A blob being fetched: its lock, partial file, digest and part map (see
 * hubpartial.h).  Every file is reached through the download's directory
 * descriptors without following a symlink.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "hfwrite.h"
#include "hubdl.h"
#include "hubmeta.h"
#include "hubpartial.h"
#include "log.h"

/*
 * The most one write(2) hands the page cache.  A larger write makes the
 * kernel allocate a large folio for it, from the high-order free blocks
 * that a VM's free page reporting has handed back to the host: touching
 * them again costs the host a fault per page, and a 1 GiB download 5 to
 * 7 times its system time (make bench; 8 KiB is what curl writes).
 */
#define WRITE_CHUNK		(8UL * 1024)

/*
 * The files.
 */

/* "<etag><suffix>" of b into out (HUBPARTIAL_NAME_MAX bytes). */
static void
partial_name(const struct hblob *b, const char *suffix, char *out)
{

	snprintf(out, HUBPARTIAL_NAME_MAX, "%s%s", b->etag, suffix);
}

/*
 * Opens the partial file suffix of b in blobsfd for reading and writing,
 * creating it empty when create is set.  Returns its descriptor with *st,
 * or -1 with errno: ENOENT when missing, EINVAL when not a regular file,
 * EMLINK when it has another link (a hard link to a file elsewhere).
 */
static int
partial_open(int blobsfd, const struct hblob *b, const char *suffix,
    int create, struct stat *st)
{
	char	 name[HUBPARTIAL_NAME_MAX];
	int	 fd, err = 0;

	partial_name(b, suffix, name);
	fd = openat(blobsfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
	    (create ? O_CREAT | O_TRUNC : 0), 0666);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		err = errno;
	else if (!S_ISREG(st->st_mode))
		err = EINVAL;
	else if (st->st_nlink != 1)
		err = EMLINK;
	if (err != 0) {
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Reads the part map of b from locksfd into p, for a .mm.incomplete of
 * have bytes.  Returns 0, or -1 when there is none or it is not to be
 * trusted (p then holds nothing).
 */
static int
map_load(int locksfd, const struct hblob *b, uint64_t have,
    struct hubparts *p)
{
	unsigned char	 buf[HUBPARTS_MAP_MAX + 1];
	char		 name[HUBPARTIAL_NAME_MAX];
	size_t		 len;

	hubparts_init(p, b->size);
	partial_name(b, HUBPARTIAL_MAP, name);
	if (locksfd == -1 || fdio_read_regular(locksfd, name, (char *)buf,
	    sizeof(buf), &len) != 0 ||
	    hubparts_decode(p, buf, len, b->etag, b->size) == -1)
		return -1;
	if (hubparts_extent(p) > have) {	/* bytes the file lacks */
		hubparts_init(p, b->size);
		return -1;
	}
	return 0;
}

static void
map_remove(int locksfd, const struct hblob *b)
{
	char	 name[HUBPARTIAL_NAME_MAX];

	partial_name(b, HUBPARTIAL_MAP, name);
	(void)unlinkat(locksfd, name, 0);
}

uint64_t
hubpartial_have(int blobsfd, int locksfd, const struct hblob *b)
{
	struct hubparts	 p;
	struct stat	 st;
	char		 name[HUBPARTIAL_NAME_MAX];

	partial_name(b, HUBPARTIAL_PARTS, name);
	if (fstatat(blobsfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && map_load(locksfd, b, (uint64_t)st.st_size,
	    &p) == 0)
		return p.filled;
	partial_name(b, HUBPARTIAL_ONE, name);
	if (fstatat(blobsfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && (uint64_t)st.st_size <= b->size)
		return (uint64_t)st.st_size;
	return 0;
}

/*
 * The slot.
 */

static const char *
partial_suffix(const struct hubpartial *xb)
{

	return xb->multi ? HUBPARTIAL_PARTS : HUBPARTIAL_ONE;
}

void
hubpartial_init(struct hubpartial *xb, struct hubdl *d)
{

	memset(xb, 0, sizeof(*xb));
	xb->d = d;
	xb->fd = xb->lockfd = -1;
}

void
hubpartial_release(struct hubpartial *xb)
{

	(void)hubhash_wait(&xb->h);
	if (xb->fd != -1)
		close(xb->fd);
	if (xb->lockfd != -1)
		close(xb->lockfd);
	xb->fd = xb->lockfd = -1;
	free(xb->cdn);
	xb->cdn = NULL;
	if (xb->b != NULL && xb->b->state == BLOB_BUSY)
		xb->b->state = BLOB_TODO;
	xb->b = NULL;
}

void
hubpartial_free(struct hubpartial *xb)
{

	hubpartial_release(xb);
	hubhash_free(&xb->h);
	EVP_MD_CTX_free(xb->md);
	xb->md = NULL;
}

enum err
hubpartial_ioerr(struct hubpartial *xb, int errnum)
{
	char	 what[HUBNAME_PATH_MAX + 512];

	snprintf(what, sizeof(what), "%s/blobs/%s%s (%s)", xb->d->folder,
	    xb->b->etag, partial_suffix(xb), xb->path);
	return hubdl_ioerr(xb->d, errnum, what);
}

void
hubpartial_cdn_note(struct hubpartial *xb, const char *url)
{

	if (xb->cdn != NULL && strcmp(xb->cdn, url) == 0)
		return;
	free(xb->cdn);
	xb->cdn = strdup(url);	/* NULL: every part resolves again */
}

void
hubpartial_cdn_forget(struct hubpartial *xb, const char *url)
{

	if (xb->cdn != NULL && strcmp(xb->cdn, url) == 0) {
		free(xb->cdn);
		xb->cdn = NULL;
	}
}

/*
 * The digest.
 */

/* Starts the digest over, from byte 0 of the partial file. */
static int
digest_reset(struct hubpartial *xb)
{

	(void)hubhash_wait(&xb->h);
	hubhash_reset(&xb->h, xb->fd, 0);
	xb->hashed = 0;
	return hfwrite_hash_begin(xb->md, xb->b->lfs, xb->b->size);
}

/*
 * Hands the digest what the contiguous prefix gained; the write of len
 * bytes of data at at made it grow (the thread-less digest takes them
 * from there when they are exactly the gain).
 */
static int
digest_follow(struct hubpartial *xb, const char *data, size_t len,
    uint64_t at)
{
	uint64_t	 to = xb->parts.prefix;
	int		 rc;

	if (to <= xb->hashed)
		return 0;
	if (at == xb->hashed && to == at + len)
		rc = hubhash_put(&xb->h, data, len, to);
	else
		rc = hubhash_advance(&xb->h, to);
	xb->hashed = to;
	return rc;
}

/* Sets the digest of the slot up, the first time it is used. */
static enum err
digest_setup(struct hubpartial *xb)
{

	if (xb->md != NULL)
		return ERR_OK;
	if ((xb->md = EVP_MD_CTX_new()) == NULL ||
	    hubhash_init(&xb->h, xb->md) == -1)
		return hubdl_fail(xb->d, ERR_NOMEM, "out of memory");
	return ERR_OK;
}

/*
 * Writing, checkpoints, the end.
 */

static int
map_save(struct hubpartial *xb)
{
	unsigned char	 buf[HUBPARTS_MAP_MAX];
	char		 name[HUBPARTIAL_NAME_MAX];
	size_t		 len;
	int		 sync = xb->d->o.fsync_blobs;

	/* What the map vouches for must be on disk before it is. */
	if (sync && fdatasync(xb->fd) == -1)
		return -1;
	len = hubparts_encode(&xb->parts, xb->b->etag, buf);
	partial_name(xb->b, HUBPARTIAL_MAP, name);
	return hfwrite_atomic(xb->d->locksfd, name, buf, len, sync);
}

enum err
hubpartial_checkpoint(struct hubpartial *xb)
{
	char	 what[512];

	if (!xb->multi || map_save(xb) == 0)
		return ERR_OK;
	snprintf(what, sizeof(what), ".locks/%s/%s%s", xb->d->folder,
	    xb->b->etag, HUBPARTIAL_MAP);
	return hubdl_ioerr(xb->d, errno, what);
}

int
hubpartial_write(struct hubpartial *xb, int i, const char *data, size_t len)
{
	struct hubpiece	*q = &xb->parts.piece[i];
	uint64_t	 at = q->pos;
	size_t		 off = 0;
	ssize_t		 n;

	while (off < len) {
		n = pwrite(xb->fd, data + off, len - off < WRITE_CHUNK ?
		    len - off : WRITE_CHUNK, (off_t)(at + off));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		off += (size_t)n;
	}
	hubparts_wrote(&xb->parts, i, len);
	if (digest_follow(xb, data, len, at) == -1) {
		errno = ENOMEM;
		return -1;
	}
	hubdl_credit(xb->d, xb->b, xb->parts.filled);
	if (xb->multi && q->pos - q->mark >= xb->d->o.checkpoint_bytes)
		return map_save(xb);
	return 0;
}

enum err
hubpartial_reset(struct hubpartial *xb)
{

	(void)hubhash_wait(&xb->h);
	if (ftruncate(xb->fd, 0) == -1)
		return hubpartial_ioerr(xb, errno);
	hubparts_init(&xb->parts, xb->b->size);
	if (xb->multi)
		map_remove(xb->d->locksfd, xb->b);
	xb->stream = 0;
	if (digest_reset(xb) == -1)
		return hubdl_fail(xb->d, ERR_NOMEM, "out of memory");
	return ERR_OK;
}

/* The partial file is complete and verified: rename it into place. */
static enum err
partial_finish(struct hubpartial *xb)
{
	struct hubdl	*d = xb->d;
	struct hblob	*b = xb->b;
	char		 from[HUBPARTIAL_NAME_MAX];

	partial_name(b, partial_suffix(xb), from);
	if ((d->o.fsync_blobs && fsync(xb->fd) == -1) ||
	    renameat(d->blobsfd, from, d->blobsfd, b->etag) == -1)
		return hubpartial_ioerr(xb, errno);
	if (xb->multi)
		map_remove(d->locksfd, b);
	hubdl_blob_done(d, b);
	hubpartial_release(xb);
	return ERR_OK;
}

enum err
hubpartial_mismatch(struct hubpartial *xb)
{
	struct hubdl	*d = xb->d;
	struct hblob	*b = xb->b;
	char		 name[HUBPARTIAL_NAME_MAX];

	log_warnx("%s: content of %s does not match %s", d->repo_id, xb->path,
	    b->etag);
	if (++b->mismatches > 1) {
		partial_name(b, partial_suffix(xb), name);
		(void)unlinkat(d->blobsfd, name, 0);
		if (xb->multi)
			map_remove(d->locksfd, b);
		return hubdl_fail(d, ERR_INVAL, "The content of %s did not "
		    "match its listed hash %s (twice): the hub or CDN served "
		    "wrong data", xb->path, b->etag);
	}
	return hubpartial_reset(xb);
}

enum err
hubpartial_settle(struct hubpartial *xb)
{

	if (xb->b == NULL || xb->nconn > 0 || !hubparts_complete(&xb->parts))
		return ERR_OK;
	if (hubhash_wait(&xb->h) == -1)
		return hubdl_fail(xb->d, ERR_NOMEM, "out of memory");
	if (hfwrite_hash_matches(xb->md, xb->b->etag))
		return partial_finish(xb);
	return hubpartial_mismatch(xb);
}

/*
 * Claiming a blob: its lock, then what its partial file holds.
 */

/* Drops a .mm.incomplete whose map is not to be trusted, and the map. */
static void
partial_discard(struct hubpartial *xb)
{
	char	 name[HUBPARTIAL_NAME_MAX];

	log_warnx("%s: discarding the partial file of %s: its part map is "
	    "missing or not valid", xb->d->repo_id, xb->path);
	close(xb->fd);
	xb->fd = -1;
	partial_name(xb->b, HUBPARTIAL_PARTS, name);
	(void)unlinkat(xb->d->blobsfd, name, 0);
	map_remove(xb->d->locksfd, xb->b);
}

/*
 * Takes over a .incomplete (ours or another tool's: its bytes are
 * contiguous): as it is for one stream; for parts, its bytes go into a
 * map first, then it becomes the .mm.incomplete (never a file with holes
 * under the name other tools resume).
 */
static enum err
partial_adopt(struct hubpartial *xb, const struct stat *st, int parts)
{
	struct hubdl	*d = xb->d;
	struct hblob	*b = xb->b;
	char		 from[HUBPARTIAL_NAME_MAX], to[HUBPARTIAL_NAME_MAX];
	uint64_t	 have = (uint64_t)st->st_size;

	xb->multi = 0;
	if (have > b->size && ftruncate(xb->fd, 0) == -1)
		return hubpartial_ioerr(xb, errno);
	(void)hubparts_add(&xb->parts, 0, have > b->size ? 0 : have);
	if (!parts || have >= b->size)
		return ERR_OK;
	xb->multi = 1;
	if (hubpartial_checkpoint(xb) != ERR_OK)
		return d->err;
	partial_name(b, HUBPARTIAL_ONE, from);
	partial_name(b, HUBPARTIAL_PARTS, to);
	if (renameat(d->blobsfd, from, d->blobsfd, to) == -1)
		return hubpartial_ioerr(xb, errno);
	return ERR_OK;
}

/*
 * Opens the partial file of the locked blob: a .mm.incomplete with a map
 * it can trust, else a .incomplete, else a new one (for parts, a stale
 * map removed first).
 */
static enum err
partial_open_any(struct hubpartial *xb, int parts)
{
	struct hubdl	*d = xb->d;
	struct stat	 st;

	hubparts_init(&xb->parts, xb->b->size);
	xb->multi = 1;
	if ((xb->fd = partial_open(d->blobsfd, xb->b, HUBPARTIAL_PARTS, 0,
	    &st)) != -1) {
		if (map_load(d->locksfd, xb->b, (uint64_t)st.st_size,
		    &xb->parts) == 0)
			return ERR_OK;
		partial_discard(xb);
	} else if (errno != ENOENT)
		return hubpartial_ioerr(xb, errno);
	xb->multi = 0;
	if ((xb->fd = partial_open(d->blobsfd, xb->b, HUBPARTIAL_ONE, 0,
	    &st)) != -1)
		return partial_adopt(xb, &st, parts);
	if (errno != ENOENT)
		return hubpartial_ioerr(xb, errno);
	xb->multi = parts;
	if (parts)
		map_remove(d->locksfd, xb->b);
	if ((xb->fd = partial_open(d->blobsfd, xb->b, partial_suffix(xb), 1,
	    &st)) == -1)
		return hubpartial_ioerr(xb, errno);
	return ERR_OK;
}

/*
 * Hashes what the partial file holds from byte 0 on, credits it, and
 * verifies a complete one.
 */
static enum err
partial_load(struct hubpartial *xb)
{
	struct hubdl	*d = xb->d;
	uint64_t	 have = xb->parts.prefix;
	int		 r = 0;

	if (digest_reset(xb) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	if (have > 0 && (r = hubhash_file(&xb->h, xb->fd, have,
	    hubdl_stop_cb, d)) == -1)
		return hubpartial_ioerr(xb, errno);
	if (r == 1)
		return ERR_OK;	/* stopping: the caller looks */
	xb->hashed = have;
	hubdl_credit(d, xb->b, xb->parts.filled);
	if (!hubparts_complete(&xb->parts))
		return ERR_OK;
	if (hfwrite_hash_matches(xb->md, xb->b->etag))
		return partial_finish(xb);
	log_warnx("%s: partial %s does not match, restarting", d->repo_id,
	    xb->path);
	return hubpartial_reset(xb);
}

/* 1 if blob b is already in place (hubdl_blob_done called). */
static int
blob_present(struct hubdl *d, struct hblob *b)
{
	struct stat	 st;

	/* A blob to fetch again (repair) is not in place: its new copy is
	 * renamed over it. */
	if (!b->refetch && fstatat(d->blobsfd, b->etag, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		hubdl_blob_done(d, b);
		return 1;
	}
	return 0;
}

enum err
hubpartial_claim(struct hubpartial *xb, struct hblob *b, int parts,
    int *busy)
{
	struct hubdl	*d = xb->d;
	char		 lock[HUBPARTIAL_NAME_MAX], what[512];

	*busy = 0;
	if (blob_present(d, b))
		return ERR_OK;
	partial_name(b, ".lock", lock);
	if ((xb->lockfd = hfwrite_lock(d->locksfd, lock)) == -1) {
		if (errno == EWOULDBLOCK) {
			*busy = 1;
			return ERR_OK;
		}
		snprintf(what, sizeof(what), ".locks/%s/%s", d->folder, lock);
		return hubdl_ioerr(d, errno, what);
	}
	xb->b = b;
	b->state = BLOB_BUSY;
	xb->stream = 0;
	if (blob_present(d, b)) {	/* another process finished it */
		hubpartial_release(xb);
		return ERR_OK;
	}
	if (hubmeta_blob_path(d, b, xb->path, sizeof(xb->path)) == -1)
		return hubdl_ioerr(d, errno, "(a temporary file)");
	xb->ectx = d->ectx;
	xb->ectx.file = xb->path;
	if (digest_setup(xb) != ERR_OK || partial_open_any(xb, parts) !=
	    ERR_OK)
		return d->err;
	return partial_load(xb);
}
