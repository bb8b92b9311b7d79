/*
 * The snapshot of a downloaded commit, published atomically: its links
 * are written under .mm-staging/<commit>/ (the same depth as
 * snapshots/<commit>/, so the relative links stay valid), then
 * trees/<commit>.json, then the staged tree is renamed into snapshots/
 * and only then the ref is written.  A reader never finds a revision
 * (what the scan calls installed) or a ref whose snapshot is not complete.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dirat.h"
#include "hubsnap.h"

#define MERGE_DEPTH	64	/* levels of an old snapshot kept */

/* Fails with errno kept and what naming the path. */
static int
snap_fail(char *what, size_t whatlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
snap_fail(char *what, size_t whatlen, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(what, whatlen, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* Closes fd (when not -1) with errno kept; returns rc. */
static int
snap_close(int fd, int rc)
{
	int	 saved = errno;

	if (fd != -1)
		close(fd);
	errno = saved;
	return rc;
}

/* Whether errno says the file system has no renameat2 flags. */
static int
no_rename_flags(void)
{

	return errno == EINVAL || errno == ENOSYS || errno == ENOTSUP;
}

/*
 * Opens a fresh .mm-staging/<commit> (a leftover of an interrupted run
 * removed first: hub.c holds the publishing lock) and writes the links
 * of the list into it, then fsyncs it.
 */
static int
snap_stage(int repofd, const char *commit, const struct hfwrite_list *files,
    char *what, size_t whatlen)
{
	struct hfwrite_tree	 f;
	const char		*etag;
	size_t			 i;
	int			 staging, stage = -1, rc = 0;

	if ((staging = hfwrite_dir(repofd, HUBSNAP_STAGING, 1)) == -1 ||
	    hfwrite_rmtree(staging, commit) == -1 ||
	    (stage = hfwrite_dir(staging, commit, 1)) == -1)
		return snap_close(staging, snap_fail(what, whatlen, "%s/%s",
		    HUBSNAP_STAGING, commit));
	close(staging);
	for (i = 0; i < files->n && rc == 0; i++) {
		if ((rc = files->get(files->arg, i, &f)) == -1) {
			snap_fail(what, whatlen, "%s/%s", HUBSNAP_STAGING,
			    commit);
			break;
		}
		etag = f.lfs_sha256 != NULL ? f.lfs_sha256 : f.blob_id;
		if ((rc = hfwrite_link(stage, f.path, etag)) == -1)
			snap_fail(what, whatlen, "%s/%s/%s", HUBSNAP_STAGING,
			    commit, f.path);
	}
	if (rc == 0 && (rc = fsync(stage)) == -1)
		snap_fail(what, whatlen, "%s/%s", HUBSNAP_STAGING, commit);
	return snap_close(stage, rc);
}

static int	 snap_merge(DIR *old, int newfd, int depth);

/* Copies the link name of old into new, unless new has that name. */
static int
merge_link(int oldfd, int newfd, const char *name)
{
	char	 target[PATH_MAX];
	ssize_t	 n;

	if ((n = readlinkat(oldfd, name, target, sizeof(target))) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((size_t)n >= sizeof(target))
		return 0;	/* no link of ours is that long */
	target[n] = '\0';
	if (symlinkat(target, newfd, name) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Merges the directory name of old into new (ours wins on a clash). */
static int
merge_dir(int oldfd, int newfd, const char *name, int depth)
{
	DIR	*old;
	int	 fd, rc;

	if ((fd = hfwrite_dir(newfd, name, 1)) == -1)
		return errno == ENOTDIR || errno == ELOOP ? 0 : -1;
	if ((old = dirat_open(oldfd, name)) == NULL)
		return snap_close(fd, 0);	/* gone meanwhile */
	rc = snap_merge(old, fd, depth + 1);
	closedir(old);
	return snap_close(fd, rc);
}

/*
 * Copies into newfd every symlink and directory of the old snapshot that
 * the new one lacks (the files of another allow-pattern, say).  Links are
 * copied as links, never followed; regular files (a copy-mode cache,
 * which this downloader refuses to write) and what lies deeper than
 * MERGE_DEPTH go with the old tree.
 */
static int
snap_merge(DIR *old, int newfd, int depth)
{
	struct dirent	*de;
	int		 rc = 0;

	if (depth >= MERGE_DEPTH)
		return 0;
	while (rc == 0 && (de = readdir(old)) != NULL) {
		if (dirat_dots(de->d_name))
			continue;
		switch (dirat_type(dirfd(old), de)) {
		case DT_LNK:
			rc = merge_link(dirfd(old), newfd, de->d_name);
			break;
		case DT_DIR:
			rc = merge_dir(dirfd(old), newfd, de->d_name, depth);
			break;
		}
	}
	return rc;
}

/* Keeps what the old snapshots/<commit> has that the staged one lacks. */
static int
snap_keep_old(int staging, int snaps, const char *commit)
{
	DIR	*old;
	int	 fd, rc;

	if ((old = dirat_open(snaps, commit)) == NULL)
		return 0;	/* not a directory: nothing to keep */
	if ((fd = dirat_fd(staging, commit)) == -1) {
		closedir(old);
		return -1;
	}
	rc = snap_merge(old, fd, 0);
	closedir(old);
	return snap_close(fd, rc);
}

/*
 * Moves the staged tree over an existing snapshots/<commit>: a revision
 * written by huggingface_hub or an earlier run (maybe with fewer or other
 * files), or by a writer that won a race to publish it.  What only the
 * old one has is kept, then RENAME_EXCHANGE swaps the two trees in one
 * step, so the scan sees the old revision or the new complete one, never
 * a half-written one, and the old tree, now in staging, is removed.
 * Without RENAME_EXCHANGE (NFS) two renames do it: the revision is then
 * briefly absent, still never half-written.
 */
static int
snap_replace(int staging, int snaps, const char *commit)
{
	char	 old[64];

	if (snap_keep_old(staging, snaps, commit) == -1)
		return -1;
	if (renameat2(staging, commit, snaps, commit, RENAME_EXCHANGE) == 0)
		return hfwrite_rmtree(staging, commit);
	if (!no_rename_flags())
		return -1;
	snprintf(old, sizeof(old), "%s.old", commit);
	if (hfwrite_rmtree(staging, old) == -1 ||
	    renameat(snaps, commit, staging, old) == -1 ||
	    renameat(staging, commit, snaps, commit) == -1)
		return -1;
	return hfwrite_rmtree(staging, old);
}

/*
 * Renames .mm-staging/<commit> to snapshots/<commit>: RENAME_NOREPLACE
 * when none is there, so the revision appears whole (a plain rename(2)
 * where the file system lacks the flag: it never replaces a non-empty
 * directory either), else snap_replace.  A snapshot that vanishes
 * meanwhile (ENOENT) makes it try again.
 */
static int
snap_move(int staging, int snaps, const char *commit)
{
	int	 tries, rc = -1;

	for (tries = 0; tries < 3; tries++) {
		rc = renameat2(staging, commit, snaps, commit,
		    RENAME_NOREPLACE);
		if (rc == -1 && no_rename_flags())
			rc = renameat(staging, commit, snaps, commit);
		if (rc == 0 || (errno != EEXIST && errno != ENOTEMPTY &&
		    errno != ENOTDIR))
			return rc;
		if ((rc = snap_replace(staging, snaps, commit)) == 0 ||
		    errno != ENOENT)
			return rc;
	}
	return rc;
}

/*
 * Publishes the staged snapshot and fsyncs snapshots/, so that the ref
 * written next never survives a crash without it.  The emptied
 * .mm-staging goes too.
 */
static int
snap_publish(int repofd, const char *commit, char *what, size_t whatlen)
{
	int	 staging, snaps = -1, rc = -1;

	if ((staging = dirat_fd(repofd, HUBSNAP_STAGING)) != -1 &&
	    (snaps = hfwrite_dir(repofd, "snapshots", 1)) != -1 &&
	    (rc = snap_move(staging, snaps, commit)) == 0)
		rc = fsync(snaps);
	if (rc == -1)
		snap_fail(what, whatlen, "snapshots/%s", commit);
	snap_close(staging, snap_close(snaps, rc));
	if (rc == 0)
		(void)unlinkat(repofd, HUBSNAP_STAGING, AT_REMOVEDIR);
	return rc;
}

static int
snap_ref(int repofd, const char *commit, const char *revision, char *what,
    size_t whatlen)
{
	int	 refs, rc;

	if (strcmp(revision, commit) == 0)
		return 0;
	if ((refs = hfwrite_dir(repofd, "refs", 1)) == -1)
		return snap_fail(what, whatlen, "refs/%s", revision);
	if ((rc = hfwrite_ref(refs, revision, commit)) == -1)
		snap_fail(what, whatlen, "refs/%s", revision);
	return snap_close(refs, rc);
}

int
hubsnap_write(int repofd, const char *commit, const char *revision,
    const struct hfwrite_list *files, char *what, size_t whatlen)
{

	if (snap_stage(repofd, commit, files, what, whatlen) == -1)
		return -1;
	if (hfwrite_trees(repofd, commit, files) == -1)
		return snap_fail(what, whatlen, "trees/%s.json", commit);
	if (snap_publish(repofd, commit, what, whatlen) == -1)
		return -1;
	return snap_ref(repofd, commit, revision, what, whatlen);
}

int
hubsnap_clean(int repofd)
{

	return hfwrite_rmtree(repofd, HUBSNAP_STAGING);
}
