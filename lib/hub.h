#ifndef MM_HUB_H
#define MM_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hubsrc.h"

/*
 * The HuggingFace Hub snapshot download, written into the shared cache in
 * exactly the layout huggingface_hub writes (HF-HUB.md): resolve the
 * revision to a commit, list every file with its size (tree listing),
 * fetch each file into blobs/<etag>.incomplete (or, fetched as several
 * ranged parts at once, blobs/<etag>.mm.incomplete with its part map)
 * under the flock of .locks/<repo>/<etag>.lock, verify it, rename it onto
 * blobs/<etag>, and only when every blob is in place write the relative
 * snapshot links, refs/<revision> (no newline) and trees/<commit>.json.
 */

struct hub_opts {
	const char	*endpoint;	/* HF_ENDPOINT, no trailing '/' */
	const char	*token;		/* NULL = anonymous */
	/* hub.mirrors (tried after endpoint) and hub.token_origins; NULL:
	 * none, and the token for the endpoint's origin only. */
	const struct hubsrc_conf *sources;
	unsigned	 mirror_cooldown; /* seconds, 0 = the default */
	int		 offline;	/* HF_HUB_OFFLINE: fail before sending */
	int		 disable_symlinks; /* refuse, with a clear message */
	unsigned	 connect_timeout; /* seconds */
	unsigned	 stall_seconds;	/* no byte for this long = stalled */
	unsigned	 max_connections; /* transfers at once, parts and whole
					    files together (>= 1) */
	unsigned	 start_connections; /* at first, then adapted (0 = 4) */
	unsigned	 parts_per_file; /* ranged parts of one file at once */
	uint64_t	 part_min_bytes; /* a file this big is fetched in parts */
	uint64_t	 checkpoint_bytes; /* a part map is written this often,
					     per part */
	unsigned	 retry_max;	/* transient failures, per request */
	unsigned	 retry_base_ms;
	unsigned	 retry_max_ms;
	const char	*user_agent;
	int		 fsync_blobs;	/* fsync each blob before its rename */
	unsigned	 max_path_depth; /* segments of a listed path */
	unsigned	 max_dirs;	/* directories the file paths imply */
	uint64_t	 max_listing_bytes; /* every listing page together */
	/* Repair: blobs fetched again even though blobs/ has them (their
	 * etags, sorted by strcmp), each renamed over the old one once its
	 * new copy is verified.  NULL: none. */
	const char *const *refetch;
	size_t		 nrefetch;
};
/*
 * Zero fields get defaults: endpoint https://huggingface.co, connect 10 s,
 * stall 60 s, 1 transfer at once (then no parts), 8 parts per file, parts
 * from 64 MiB, a checkpoint every 8 MiB, 4 connections at first, backoff
 * 1000 ms doubling to 8000 ms, user agent "modelmgr/1.0;
 * hf_hub-compatible", path depth 32 (at most 32), 10,000 directories,
 * 64 MiB of listing.  retry_max 0 means no retry.
 */

struct hub_progress {
	uint64_t	 bytes_total;	/* sum of every file's size (a blob
					   shared by several files once) */
	uint64_t	 bytes_done;	/* on disk, monotonic */
	uint64_t	 bytes_resumed;	/* already on disk at the start:
					   complete blobs and partial files */
	size_t		 files_total;
	size_t		 files_done;
	/* While a request is being retried after a transient failure,
	 * until data flows again on it: */
	unsigned	 attempt;	/* the retry, 1-based; 0 = none */
	unsigned	 attempt_max;	/* retry_max */
	char		 last_error[64]; /* hubretry_cause's words, or "" */
	unsigned	 connections;	/* transfers under way (or waiting to
					   retry) now */
	char		 source[HUBSRC_URL_MAX]; /* the endpoint in use */
};

struct hub_callbacks {
	void	*arg;
	/*
	 * Called once after the listing and before the first byte.
	 * bytes_missing is what still has to be fetched.  Return 0 to go
	 * on, or -1 with a message in msg to fail the download (disk
	 * admission).  May be NULL.
	 */
	int	(*admit)(void *arg, const struct hub_progress *p,
		    uint64_t bytes_missing, char *msg, size_t msglen);
	/*
	 * Called as bytes land (at most every few hundred ms, and once at
	 * the end), and as soon as a retry starts or data flows again.
	 * Return non-zero to stop the download (cancel, time limit); the
	 * download then ends with ERR_TIMEOUT... see below.  May be NULL.
	 */
	int	(*progress)(void *arg, const struct hub_progress *p);
	/*
	 * The bandwidth cap (both NULL: none), over every transfer of the
	 * download together.  bw_take(arg, len) is asked before len body
	 * bytes of a transfer are written: 1 = write them (they are
	 * counted), 0 = not now: the transfer pauses and libcurl hands the
	 * same bytes over again once it is resumed.  bw_wait(arg) is how
	 * many milliseconds until bw_take may say yes (0: now); paused
	 * transfers are resumed then.
	 */
	int	(*bw_take)(void *arg, size_t len);
	unsigned (*bw_wait)(void *arg);
};

/*
 * Downloads the whole repo_id (a model repo) at revision into the cache
 * directory cache_dir.  On failure returns an error and an actionable
 * one-line message in msg (never containing a token or a signed URL):
 *   ERR_INVAL     bad input, or the server sent unsafe names/etags/commits
 *   ERR_NOTFOUND  repository or revision not found
 *   ERR_CONFLICT  gated or unauthorised (accept the licence, set HF_TOKEN)
 *   ERR_UPSTREAM  the hub failed after retries, or offline mode
 *   ERR_IO        disk full, permission denied, other file system errors
 *   ERR_TIMEOUT   stopped by the progress callback (cancel / time limit),
 *                 message "stopped"
 *   ERR_TOOBIG    the listing exceeds a limit (200,000 files, or one of
 *                 max_path_depth, max_dirs, max_listing_bytes, or a link
 *                 path longer than PATH_MAX), refused before anything
 *                 is fetched or made in the cache
 *   ERR_NOMEM     out of memory
 * A refusal by cb->admit returns ERR_IO with the callback's message.
 * revision NULL means "main".  Before the listing is complete, progress
 * calls (used to poll for a stop) carry bytes_total 0.
 * Partial files are kept (blobs/<etag>.incomplete, or .mm.incomplete and
 * its part map) for a later resume.
 */
enum err	 hub_snapshot_download(const struct hub_opts *opts,
		    const char *cache_dir, const char *repo_id,
		    const char *revision, const struct hub_callbacks *cb,
		    char *msg, size_t msglen);

/* What a revision holds, as its tree listing says. */
struct hub_revinfo {
	char		 commit[41];	/* the revision's commit */
	uint64_t	 bytes_total;	/* every distinct blob once */
	size_t		 nfiles;
};

/*
 * Resolves revision (NULL: "main") of repo_id and lists its tree with
 * the requests, checks and limits of hub_snapshot_download, without
 * making anything in cache_dir (which may hold the listing's temporary
 * files), then calls blob(arg, etag, size) once per distinct blob (etag
 * 40 or 64 lowercase hex) and fills *out.  cb->progress is polled for a
 * stop while requests wait (bytes_total 0); cb->admit is not called.
 * Errors and messages as hub_snapshot_download's (offline mode is
 * ERR_UPSTREAM before anything is sent).
 */
enum err	 hub_revision_info(const struct hub_opts *opts,
		    const char *cache_dir, const char *repo_id,
		    const char *revision, const struct hub_callbacks *cb,
		    void (*blob)(void *arg, const char *etag, uint64_t size),
		    void *arg, struct hub_revinfo *out, char *msg,
		    size_t msglen);

#endif
