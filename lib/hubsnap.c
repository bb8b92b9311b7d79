/*
 * The snapshot of a downloaded commit: its links, its trees/<commit>.json
 * and the ref of its revision, in that order, so that a reader never finds
 * a ref to a snapshot that is not complete.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hubsnap.h"

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

/* Opens (creating) snapshots/<commit>; -1 with errno. */
static int
snap_dir(int repofd, const char *commit)
{
	int	 snaps, snap, saved;

	if ((snaps = hfwrite_dir(repofd, "snapshots", 1)) == -1)
		return -1;
	snap = hfwrite_dir(snaps, commit, 1);
	saved = errno;
	close(snaps);
	errno = saved;
	return snap;
}

static int
snap_links(int repofd, const char *commit, const struct hfwrite_list *files,
    char *what, size_t whatlen)
{
	struct hfwrite_tree	 f;
	const char		*etag;
	size_t			 i;
	int			 snap, rc = 0, saved;

	if ((snap = snap_dir(repofd, commit)) == -1)
		return snap_fail(what, whatlen, "snapshots/%s", commit);
	for (i = 0; i < files->n && rc == 0; i++) {
		if ((rc = files->get(files->arg, i, &f)) == -1) {
			snap_fail(what, whatlen, "snapshots/%s", commit);
			break;
		}
		etag = f.lfs_sha256 != NULL ? f.lfs_sha256 : f.blob_id;
		if ((rc = hfwrite_link(snap, f.path, etag)) == -1)
			snap_fail(what, whatlen, "snapshots/%s/%s", commit,
			    f.path);
	}
	saved = errno;
	close(snap);
	errno = saved;
	return rc;
}

static int
snap_ref(int repofd, const char *commit, const char *revision, char *what,
    size_t whatlen)
{
	int	 refs, rc, saved;

	if (strcmp(revision, commit) == 0)
		return 0;
	if ((refs = hfwrite_dir(repofd, "refs", 1)) == -1)
		return snap_fail(what, whatlen, "refs/%s", revision);
	if ((rc = hfwrite_ref(refs, revision, commit)) == -1)
		snap_fail(what, whatlen, "refs/%s", revision);
	saved = errno;
	close(refs);
	errno = saved;
	return rc;
}

int
hubsnap_write(int repofd, const char *commit, const char *revision,
    const struct hfwrite_list *files, char *what, size_t whatlen)
{

	if (snap_links(repofd, commit, files, what, whatlen) == -1)
		return -1;
	if (hfwrite_trees(repofd, commit, files) == -1)
		return snap_fail(what, whatlen, "trees/%s.json", commit);
	return snap_ref(repofd, commit, revision, what, whatlen);
}
