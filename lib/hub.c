/*
 * The HuggingFace Hub snapshot download (HF-HUB.md sections 2-4 and 8),
 * step by step: check the arguments, resolve the revision and list the
 * commit's tree (hubmeta.c), survey what the cache already holds, admit,
 * lay the repo folder out (removing what an interrupted run left in
 * .mm-staging), fetch every missing blob (hubxfer.c), and only when every
 * blob is in place stage the snapshot links, write trees/<commit>.json,
 * publish the snapshot in one rename and write refs/<revision>
 * (hubsnap.c).  Every directory below the cache is opened with
 * O_NOFOLLOW | O_DIRECTORY relative to its parent's descriptor.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dirat.h"
#include "hfwrite.h"
#include "hub.h"
#include "hubdl.h"
#include "hubhttp.h"
#include "hubmeta.h"
#include "hubname.h"
#include "hubpartial.h"
#include "hubsnap.h"
#include "hubxfer.h"
#include "log.h"
#include "valid.h"

#define DEFAULT_ENDPOINT	"https://huggingface.co"
#define DEFAULT_PARTS		8
#define DEFAULT_PART_MIN	(64ULL << 20)
#define DEFAULT_CHECKPOINT	(8ULL << 20)

/*
 * The cache: what is already there, admission, directories.
 */

static int
cmp_etag(const void *a, const void *b)
{

	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
close_if(int fd)
{

	if (fd != -1)
		close(fd);
}

/* Credits complete blobs and partial files already in blobs/; a blob to
 * fetch again (o.refetch: repair) is not complete. */
static void
dl_survey(struct hubdl *d)
{
	struct stat	 st;
	const char	*key;
	size_t		 i;
	int		 repofd, blobsfd, locks, locksfd;

	repofd = dirat_fd(d->cachefd, d->folder);
	blobsfd = dirat_fd(repofd, "blobs");
	locks = dirat_fd(d->cachefd, ".locks");
	locksfd = dirat_fd(locks, d->folder);
	for (i = 0; blobsfd != -1 && i < d->nblobs; i++) {
		struct hblob	*b = &d->blobs[i];

		key = b->etag;
		b->refetch = d->o.nrefetch > 0 && bsearch(&key, d->o.refetch,
		    d->o.nrefetch, sizeof(*d->o.refetch), cmp_etag) != NULL;
		if (!b->refetch && fstatat(blobsfd, b->etag, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			hubdl_blob_done(d, b);
		else
			hubdl_credit(d, b, hubpartial_have(blobsfd, locksfd, b));
	}
	d->prog.bytes_resumed = d->prog.bytes_done;
	close_if(locksfd);
	close_if(locks);
	close_if(blobsfd);
	close_if(repofd);
}

static enum err
dl_admit(struct hubdl *d)
{
	char	 m[512];

	if (d->cb == NULL || d->cb->admit == NULL)
		return ERR_OK;
	m[0] = '\0';
	if (d->cb->admit(d->cb->arg, &d->prog, d->prog.bytes_total -
	    d->prog.bytes_done, m, sizeof(m)) != 0)
		return hubdl_fail(d, ERR_IO, "%s", m[0] != '\0' ? m :
		    "Not enough disk space for this download");
	return ERR_OK;
}

/*
 * Records the failure errnum on what (relative to the cache); a symlink or
 * a file where a directory of the layout goes (O_NOFOLLOW | O_DIRECTORY
 * refused it) gets its own message.
 */
static enum err
dl_fserr(struct hubdl *d, int errnum, const char *what)
{

	if (errnum == ELOOP || errnum == ENOTDIR)
		return hubdl_fail(d, ERR_IO, "Refusing %s/%s: a symlink or a "
		    "file where the cache layout has a directory (nothing in "
		    "the cache is followed through a symlink); remove it and "
		    "retry", d->cache_dir, what);
	return hubdl_ioerr(d, errnum, what);
}

/* Opens (creating) dirfd/name into *fd; what names it in messages. */
static enum err
dl_mkdir(struct hubdl *d, int dirfd, const char *name, const char *what,
    int *fd)
{

	if ((*fd = hfwrite_dir(dirfd, name, 1)) == -1)
		return dl_fserr(d, errno, what);
	return ERR_OK;
}

static enum err
dl_layout(struct hubdl *d)
{
	char	 what[512];
	int	 fd = -1, locks = -1;

	snprintf(what, sizeof(what), "%s/refs", d->folder);
	if (dl_mkdir(d, d->cachefd, d->folder, d->folder, &d->repofd) ||
	    dl_mkdir(d, d->repofd, "refs", what, &fd))
		goto out;
	close(fd);
	snprintf(what, sizeof(what), "%s/snapshots", d->folder);
	if (dl_mkdir(d, d->repofd, "snapshots", what, &fd))
		goto out;
	close(fd);
	fd = -1;
	snprintf(what, sizeof(what), "%s/blobs", d->folder);
	if (dl_mkdir(d, d->repofd, "blobs", what, &d->blobsfd) ||
	    dl_mkdir(d, d->cachefd, ".locks", ".locks", &locks))
		goto out;
	snprintf(what, sizeof(what), ".locks/%s", d->folder);
	if (dl_mkdir(d, locks, d->folder, what, &d->locksfd))
		goto out;
	if (hfwrite_cachedir_tag(d->cachefd) == -1)
		hubdl_ioerr(d, errno, "CACHEDIR.TAG");
out:
	if (locks != -1)
		close(locks);
	return d->err;
}

/*
 * Takes the repo's staging lock into *fd; with wait, polls while another
 * writer holds it (stopping when asked to), else *fd stays -1 then.
 */
static enum err
dl_lock_staging(struct hubdl *d, int wait, int *fd)
{
	struct timespec	 nap = { 0, 100 * 1000 * 1000 };
	char		 what[512];

	snprintf(what, sizeof(what), ".locks/%s/%s", d->folder, HUBSNAP_LOCK);
	while ((*fd = hfwrite_lock(d->locksfd, HUBSNAP_LOCK)) == -1) {
		if (errno != EWOULDBLOCK)
			return dl_fserr(d, errno, what);
		if (!wait)
			return ERR_OK;
		if (hubdl_tick(d, 0))
			return hubdl_fail(d, ERR_TIMEOUT, "stopped");
		nanosleep(&nap, NULL);
	}
	return ERR_OK;
}

/*
 * Removes what an interrupted run left in <repo>/.mm-staging, unless
 * another writer is publishing there right now (what it stages is its own).
 */
static enum err
dl_clean(struct hubdl *d)
{
	struct stat	 st;
	char		 what[512];
	int		 lock;

	if (dl_lock_staging(d, 0, &lock) != ERR_OK || lock == -1)
		return d->err;
	snprintf(what, sizeof(what), "%s/%s", d->folder, HUBSNAP_STAGING);
	if (fstatat(d->repofd, HUBSNAP_STAGING, &st, AT_SYMLINK_NOFOLLOW) ==
	    0) {
		log_info("%s: removing %s, left by an interrupted download",
		    d->repo_id, what);
		if (hubsnap_clean(d->repofd) == -1)
			dl_fserr(d, errno, what);
	}
	close(lock);
	return d->err;
}

/*
 * The end: the snapshot, once every blob is in place.
 */

static enum err
dl_snapshot(struct hubdl *d)
{
	struct hfwrite_list	 l;
	char			 what[HUBNAME_PATH_MAX + 128];
	char			 where[HUBNAME_PATH_MAX + 512];
	int			 lock, rc, saved;

	if (dl_lock_staging(d, 1, &lock) != ERR_OK)
		return d->err;
	hubmeta_list(d, &l);
	rc = hubsnap_write(d->repofd, d->commit, d->revision, &l, what,
	    sizeof(what));
	saved = errno;
	close(lock);
	if (rc == 0)
		return ERR_OK;
	if (saved == ENOMEM)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	snprintf(where, sizeof(where), "%s/%s", d->folder, what);
	return dl_fserr(d, saved, where);
}

/*
 * Setup and the whole download.
 */

/* Refusals before anything is sent or made. */
static enum err
dl_check_input(struct hubdl *d, const struct hub_opts *opts)
{
	const char	*p;

	if (valid_repo_id(d->repo_id) == -1)
		return hubdl_fail(d, ERR_INVAL, "Invalid repository id");
	if (hubname_valid_revision(d->revision) == -1)
		return hubdl_fail(d, ERR_INVAL, "Invalid revision for %s",
		    d->repo_id);
	if (d->cache_dir == NULL || *d->cache_dir == '\0')
		return hubdl_fail(d, ERR_INVAL, "No cache directory");
	for (p = opts->token; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return hubdl_fail(d, ERR_INVAL, "HF_TOKEN contains "
			    "control characters");
	if (opts->disable_symlinks)
		return hubdl_fail(d, ERR_INVAL, "HF_HUB_DISABLE_SYMLINKS is "
		    "set: this service only writes symlinked caches; unset it "
		    "to download %s", d->repo_id);
	if (opts->offline)
		return hubdl_fail(d, ERR_UPSTREAM, "HF_HUB_OFFLINE is set: "
		    "cannot download %s", d->repo_id);
	return ERR_OK;
}

/*
 * d->primary: the configured endpoint or the default, no trailing '/';
 * then the sources (it, then the mirrors) and the token's origins.
 */
static enum err
dl_endpoint(struct hubdl *d, const struct hub_opts *opts)
{
	const struct hubsrc_conf	*sc = opts->sources;
	size_t				 n;

	if ((d->primary = strdup(opts->endpoint != NULL &&
	    *opts->endpoint != '\0' ? opts->endpoint : DEFAULT_ENDPOINT)) ==
	    NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	n = strlen(d->primary);
	while (n > 0 && d->primary[n - 1] == '/')
		d->primary[--n] = '\0';
	if (hubhttp_same_origin(d->primary, d->primary) != 1 ||
	    (strncmp(d->primary, "http://", 7) != 0 &&
	    strncmp(d->primary, "https://", 8) != 0))
		return hubdl_fail(d, ERR_INVAL, "Invalid HF_ENDPOINT");
	hubsrc_init(&d->src, d->primary, sc, opts->mirror_cooldown);
	d->http.token_origins = d->torig;
	if (sc == NULL || !sc->origins_set)
		d->torig[d->http.ntoken_origins++] = d->primary;
	for (n = 0; sc != NULL && n < sc->norigins; n++)
		d->torig[d->http.ntoken_origins++] = sc->origins[n];
	return ERR_OK;
}

/* The transfer settings with their defaults (hub.h). */
static void
dl_transfer_options(struct hub_opts *o)
{

	if (o->max_connections == 0)
		o->max_connections = 1;
	if (o->parts_per_file == 0)
		o->parts_per_file = DEFAULT_PARTS;
	if (o->parts_per_file > HUBPARTS_PIECES)
		o->parts_per_file = HUBPARTS_PIECES;
	if (o->part_min_bytes == 0)
		o->part_min_bytes = DEFAULT_PART_MIN;
	if (o->checkpoint_bytes == 0)
		o->checkpoint_bytes = DEFAULT_CHECKPOINT;
}

/* The options with their defaults, as the requests and messages see them. */
static enum err
dl_options(struct hubdl *d, const struct hub_opts *opts)
{

	d->o = *opts;
	if (dl_endpoint(d, opts) != ERR_OK)
		return d->err;
	d->o.endpoint = d->primary;
	dl_transfer_options(&d->o);
	if (hubname_repo_folder("model", d->repo_id, d->folder,
	    sizeof(d->folder)) == -1)
		return hubdl_fail(d, ERR_INVAL, "Invalid repository id");
	hubdl_use_source(d);
	d->http.token = opts->token;
	d->http.connect_timeout = opts->connect_timeout;
	d->http.stall_seconds = opts->stall_seconds;
	d->http.retry_max = opts->retry_max;
	d->http.retry_base_ms = opts->retry_base_ms;
	d->http.retry_max_ms = opts->retry_max_ms;
	d->http.user_agent = opts->user_agent;
	d->http.on_retry = hubdl_retry_note;
	d->http.on_retry_arg = d;
	d->ectx.repo_id = d->repo_id;
	d->ectx.revision = d->revision;
	d->ectx.token_sent = opts->token != NULL && *opts->token != '\0';
	return ERR_OK;
}

static enum err
dl_open_cache(struct hubdl *d)
{

	if (hfwrite_mkdirs(d->cache_dir) == -1 ||
	    (d->cachefd = open(d->cache_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return hubdl_ioerr(d, errno, ".");
	return ERR_OK;
}

/* The download once its arguments are known to be good. */
static enum err
dl_run(struct hubdl *d)
{
	char	 ep[512];

	if (hubhttp_global_init() == -1)
		return hubdl_fail(d, ERR_NOMEM, "libcurl initialisation failed");
	hubhttp_redact(d->endpoint, ep, sizeof(ep));
	log_info("download %s@%s from %s", d->repo_id, d->revision, ep);
	if (hubmeta_get(d) != ERR_OK || dl_open_cache(d) != ERR_OK)
		return d->err;
	dl_survey(d);
	if (dl_admit(d) != ERR_OK || dl_layout(d) != ERR_OK ||
	    dl_clean(d) != ERR_OK)
		return d->err;
	if (hubdl_tick(d, 1))
		return hubdl_fail(d, ERR_TIMEOUT, "stopped");
	if (hubxfer_run(d) != ERR_OK || dl_snapshot(d) != ERR_OK)
		return d->err;
	(void)hubdl_tick(d, 1);
	log_info("download %s@%s complete: commit %s, %zu files, %" PRIu64
	    " bytes (%" PRIu64 " already on disk)", d->repo_id, d->revision,
	    d->commit, d->nfiles, d->prog.bytes_total, d->prog.bytes_resumed);
	return ERR_OK;
}

enum err
hub_snapshot_download(const struct hub_opts *opts, const char *cache_dir,
    const char *repo_id, const char *revision, const struct hub_callbacks *cb,
    char *msg, size_t msglen)
{
	struct hubdl	 d;
	enum err	 rc;

	hubdl_init(&d, msg, msglen);
	d.cb = cb;
	d.cache_dir = cache_dir;
	d.repo_id = repo_id != NULL ? repo_id : "";
	d.revision = revision != NULL ? revision : "main";
	if (dl_check_input(&d, opts) == ERR_OK &&
	    dl_options(&d, opts) == ERR_OK)
		(void)dl_run(&d);
	rc = d.err;
	hubdl_free(&d);
	return rc;
}

/* The listing of d, once hubmeta_get succeeded, handed to blob and out. */
static void
info_report(const struct hubdl *d, void (*blob)(void *, const char *,
    uint64_t), void *arg, struct hub_revinfo *out)
{
	size_t	 i;

	memcpy(out->commit, d->commit, sizeof(out->commit));
	out->bytes_total = d->prog.bytes_total;
	out->nfiles = d->nfiles;
	for (i = 0; blob != NULL && i < d->nblobs; i++)
		blob(arg, d->blobs[i].etag, d->blobs[i].size);
}

enum err
hub_revision_info(const struct hub_opts *opts, const char *cache_dir,
    const char *repo_id, const char *revision, const struct hub_callbacks *cb,
    void (*blob)(void *arg, const char *etag, uint64_t size), void *arg,
    struct hub_revinfo *out, char *msg, size_t msglen)
{
	struct hubdl	 d;
	enum err	 rc;

	memset(out, 0, sizeof(*out));
	hubdl_init(&d, msg, msglen);
	d.cb = cb;
	d.cache_dir = cache_dir;
	d.repo_id = repo_id != NULL ? repo_id : "";
	d.revision = revision != NULL ? revision : "main";
	if (dl_check_input(&d, opts) == ERR_OK &&
	    dl_options(&d, opts) == ERR_OK) {
		if (hubhttp_global_init() == -1)
			hubdl_fail(&d, ERR_NOMEM, "libcurl initialisation "
			    "failed");
		else if (hubmeta_get(&d) == ERR_OK)
			info_report(&d, blob, arg, out);
	}
	rc = d.err;
	hubdl_free(&d);
	return rc;
}
