/*
 * Pruning one repo folder (hfprune.h).  A plan (a scan of the repo with
 * the locks of /proc/locks) gives the candidates, in the order detached
 * revisions, orphan blobs, partials, stale locks.  They go in batches: the
 * locks of a batch's items are taken first, then the repo is scanned
 * again (the locks this process holds left out of /proc/locks, so that
 * "held" means held by someone else), and each item that this fresh scan
 * still finds, as the same file, unused and old enough, is removed with
 * the bytes the fresh scan gives it.
 */
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "dirat.h"
#include "hfprune.h"
#include "hfwrite.h"
#include "proclocks.h"

#define BATCH_LOCKS	256		/* locks held at once, about */
#define LOCKS_NONE	(-1)		/* no lock folder: nobody locks */
#define LOCKS_UNKNOWN	(-2)		/* a symlink or a file there */
#define STAGING_LOCK	"mm-staging.lock"

static const char *const skip_names[HFPRUNE__MAX] = {
	[HFPRUNE_GO] = "removed",
	[HFPRUNE_CLAIM] = "active_claim",
	[HFPRUNE_HELD] = "lock_held",
	[HFPRUNE_UNKNOWN] = "lock_unknown",
	[HFPRUNE_RECENT] = "recent",
	[HFPRUNE_CHANGED] = "changed",
	[HFPRUNE_FAILED] = "failed",
};

/* The kinds in the order they are pruned. */
static const enum hfdoc_kind prune_order[] = {
	HFDOC_DETACHED, HFDOC_ORPHAN, HFDOC_PARTIAL, HFDOC_STALE_LOCK
};

/* A lock this process holds. */
struct held {
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
};

struct pruner {
	const struct hfprune_opts	*o;
	int				 cachefd, repofd, locksfd;
	const char			*folder;
	struct hfdoc_repo		 plan;
	size_t				*batch;		/* plan items */
	size_t				 nbatch;
	struct held			*held;
	size_t				 nheld, capheld;
};

const char *
hfprune_skip_str(enum hfprune_skip s)
{

	return (unsigned)s < HFPRUNE__MAX ? skip_names[s] : "";
}

enum hfprune_skip
hfprune_decide(const struct hfdoc_item *it, int64_t now, unsigned min_age)
{

	if (it->held == 1)
		return HFPRUNE_HELD;
	if (it->held == -1)
		return HFPRUNE_UNKNOWN;
	if (it->mtime > now - (int64_t)min_age)
		return HFPRUNE_RECENT;
	return HFPRUNE_GO;
}

/* The last component of path. */
static const char *
base_name(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static void
note(const struct pruner *p, const struct hfdoc_item *it,
    enum hfprune_skip why)
{

	if (p->o->note != NULL)
		p->o->note(p->o->arg, it, why);
}

static int
stopped(const struct pruner *p)
{

	return p->o->stop != NULL && p->o->stop(p->o->arg) != 0;
}

/* ---------------------------------------------------------------------
 * Locks
 */

/* Raises the soft limit of open files to fit n more, if it can. */
static void
fit_fds(size_t n)
{
	struct rlimit	 rl;
	rlim_t		 need = (rlim_t)n + 128;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/* Takes the lock file name of the repo's lock folder.  A file that is
 * not there needs no lock (nobody can hold it). */
static enum hfprune_skip
lock_one(struct pruner *p, const char *name)
{
	enum hfprune_skip	 why = HFPRUNE_UNKNOWN;
	struct stat		 st;
	int			 fd;

	if (p->locksfd == LOCKS_UNKNOWN)
		return HFPRUNE_UNKNOWN;
	if (p->locksfd == LOCKS_NONE)
		return HFPRUNE_GO;
	/* Read-only: flock needs no more, and a lock file another user
	 * made without group write still locks. */
	if ((fd = openat(p->locksfd, name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? HFPRUNE_GO : errno == EMFILE ||
		    errno == ENFILE ? HFPRUNE_FAILED : HFPRUNE_UNKNOWN;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		why = flock(fd, LOCK_EX | LOCK_NB) == 0 ? HFPRUNE_GO :
		    HFPRUNE_HELD;
	if (why == HFPRUNE_GO && array_grow(&p->held, &p->capheld,
	    p->nheld + 1, sizeof(*p->held), SIZE_MAX / sizeof(*p->held)) !=
	    ERR_OK)
		why = HFPRUNE_FAILED;
	if (why != HFPRUNE_GO) {
		close(fd);
		return why;
	}
	p->held[p->nheld++] = (struct held){ fd, st.st_dev, st.st_ino };
	return HFPRUNE_GO;
}

/* The lock of blob etag. */
static enum hfprune_skip
lock_blob(struct pruner *p, const char *etag)
{
	char	 name[NAME_MAX + 1];

	if (etag == NULL || snprintf(name, sizeof(name), "%s.lock", etag) >=
	    (int)sizeof(name))
		return HFPRUNE_GO;
	return lock_one(p, name);
}

/* Releases the locks held from index from on. */
static void
unlock_from(struct pruner *p, size_t from)
{

	while (p->nheld > from)
		close(p->held[--p->nheld].fd);
}

/* Takes every lock item it needs; on a refusal, none stays taken. */
static enum hfprune_skip
lock_item(struct pruner *p, const struct hfdoc_item *it)
{
	enum hfprune_skip	 why = HFPRUNE_GO;
	size_t			 mark = p->nheld, i;
	const char		*base = base_name(it->name);

	switch (it->kind) {
	case HFDOC_DETACHED:
		why = lock_one(p, STAGING_LOCK);
		for (i = 0; why == HFPRUNE_GO && i < it->nblobs; i++)
			why = lock_blob(p, it->blobs[i]);
		break;
	case HFDOC_STALE_LOCK:
		why = strstr(base, ".mm.parts") != NULL ?
		    lock_blob(p, it->etag) : lock_one(p, base);
		break;
	default:
		why = lock_blob(p, it->etag);
	}
	if (why != HFPRUNE_GO)
		unlock_from(p, mark);
	return why;
}

/* /proc/locks now, without the locks this process holds. */
static enum err
others_locks(const struct pruner *p, struct proclocks *l)
{
	size_t		 i;
	enum err	 e;

	if ((e = proclocks_load(p->o->locks_path, l)) != ERR_OK)
		return e;
	for (i = 0; i < p->nheld; i++)
		proclocks_forget(l, p->held[i].dev, p->held[i].ino);
	return ERR_OK;
}

/* ---------------------------------------------------------------------
 * Removal
 */

/* unlinkat, as a verdict: a file already gone changed under us. */
static enum hfprune_skip
unlink_verdict(int dfd, const char *name)
{

	if (dfd == -1)
		return HFPRUNE_FAILED;
	if (unlinkat(dfd, name, 0) == 0)
		return HFPRUNE_GO;
	return errno == ENOENT ? HFPRUNE_CHANGED : HFPRUNE_FAILED;
}

/* A detached revision: its snapshot, then the blobs only it used. */
static enum hfprune_skip
remove_detached(struct pruner *p, int blobsfd, const struct hfdoc_item *it)
{
	size_t	 i;
	int	 snaps;

	if ((snaps = dirat_fd(p->repofd, "snapshots")) == -1)
		return HFPRUNE_FAILED;
	if (hfwrite_rmtree(snaps, it->etag) == -1) {
		close(snaps);
		return HFPRUNE_FAILED;
	}
	close(snaps);
	for (i = 0; i < it->nblobs; i++)
		(void)unlink_verdict(blobsfd, it->blobs[i]);
	return HFPRUNE_GO;
}

/* Removes the fresh item it. */
static enum hfprune_skip
remove_item(struct pruner *p, const struct hfdoc_item *it)
{
	enum hfprune_skip	 why;
	int			 blobsfd;

	if (it->kind == HFDOC_STALE_LOCK)
		return unlink_verdict(p->locksfd < 0 ? -1 : p->locksfd,
		    base_name(it->name));
	blobsfd = dirat_fd(p->repofd, "blobs");
	if (it->kind == HFDOC_DETACHED)
		why = remove_detached(p, blobsfd, it);
	else
		why = unlink_verdict(blobsfd, base_name(it->name));
	if (why == HFPRUNE_GO && it->map != NULL && p->locksfd >= 0)
		(void)unlink_verdict(p->locksfd, base_name(it->map));
	if (blobsfd != -1)
		close(blobsfd);
	return why;
}

/* The item of fresh with the kind and name of it, or NULL. */
static const struct hfdoc_item *
fresh_item(const struct hfdoc_repo *fresh, const struct hfdoc_item *it)
{
	size_t	 i;

	for (i = 0; i < fresh->n; i++)
		if (fresh->items[i].kind == it->kind &&
		    strcmp(fresh->items[i].name, it->name) == 0)
			return &fresh->items[i];
	return NULL;
}

/* Re-checks the planned item it against fresh, then removes it. */
static void
recheck_remove(struct pruner *p, const struct hfdoc_repo *fresh,
    const struct hfdoc_item *it)
{
	const struct hfdoc_item	*f = fresh_item(fresh, it);
	enum hfprune_skip	 why;

	if (f == NULL || f->dev != it->dev || f->ino != it->ino) {
		note(p, it, HFPRUNE_CHANGED);
		return;
	}
	if ((why = hfprune_decide(f, (int64_t)time(NULL),
	    p->o->min_age)) == HFPRUNE_GO)
		why = remove_item(p, f);
	note(p, f, why);
}

/* Scans the repo again, the batch's locks held, and removes what still
 * has to go; then releases the locks. */
static enum err
run_batch(struct pruner *p)
{
	struct hfdoc_opts	 opts;
	struct hfdoc_repo	 fresh;
	struct proclocks	 locks;
	size_t			 i;
	enum err		 e;

	if (p->nbatch == 0)
		return ERR_OK;
	memset(&fresh, 0, sizeof(fresh));
	if ((e = others_locks(p, &locks)) == ERR_OK) {
		memset(&opts, 0, sizeof(opts));
		opts.now = (int64_t)time(NULL);
		opts.locks = &locks;
		e = hfdoc_repo_scan(p->cachefd, p->folder, &opts, &fresh);
	}
	for (i = 0; i < p->nbatch; i++) {
		if (e == ERR_OK)
			recheck_remove(p, &fresh, &p->plan.items[p->batch[i]]);
		else if (e != ERR_NOMEM)
			note(p, &p->plan.items[p->batch[i]], HFPRUNE_CHANGED);
	}
	hfdoc_repo_free(&fresh);
	proclocks_free(&locks);
	unlock_from(p, 0);
	p->nbatch = 0;
	return e == ERR_NOMEM ? e : ERR_OK;
}

/* ---------------------------------------------------------------------
 * The plan
 */

/* Planned item i: skipped now, or locked and put in the batch. */
static enum err
plan_item(struct pruner *p, size_t i)
{
	const struct hfdoc_item	*it = &p->plan.items[i];
	enum hfprune_skip	 why;

	why = hfprune_decide(it, (int64_t)time(NULL), p->o->min_age);
	if (why == HFPRUNE_GO)
		why = lock_item(p, it);
	if (why != HFPRUNE_GO) {
		note(p, it, why);
		return ERR_OK;
	}
	p->batch[p->nbatch++] = i;
	return p->nheld >= BATCH_LOCKS ? run_batch(p) : ERR_OK;
}

/* Every planned item of the kinds asked for, in prune_order. */
static enum err
prune_items(struct pruner *p)
{
	size_t		 k, i;
	enum err	 e = ERR_OK;

	for (k = 0; k < sizeof(prune_order) / sizeof(prune_order[0]); k++) {
		if (!(p->o->kinds & (1u << prune_order[k])))
			continue;
		for (i = 0; e == ERR_OK && i < p->plan.n; i++) {
			if (p->plan.items[i].kind != prune_order[k])
				continue;
			if (stopped(p)) {
				unlock_from(p, 0);	/* the batch stays */
				p->nbatch = 0;
				return ERR_TIMEOUT;
			}
			e = plan_item(p, i);
		}
	}
	if (e == ERR_OK)
		e = run_batch(p);
	return e;
}

/* Opens the repo's lock folder: LOCKS_NONE when there is none, and
 * LOCKS_UNKNOWN when it is a symlink or not a directory. */
static int
open_locks(int cachefd, const char *folder)
{
	int	 all, fd = -1, saved;

	if ((all = dirat_fd(cachefd, ".locks")) != -1) {
		fd = dirat_fd(all, folder);
		saved = errno;
		close(all);
		errno = saved;
	}
	if (fd != -1)
		return fd;
	return errno == ENOENT ? LOCKS_NONE : LOCKS_UNKNOWN;
}

/* The most locks one batch may hold: a batch, plus the largest item. */
static size_t
locks_needed(const struct hfdoc_repo *plan)
{
	size_t	 i, n = BATCH_LOCKS;

	for (i = 0; i < plan->n; i++)
		if (plan->items[i].nblobs + 1 + BATCH_LOCKS > n)
			n = plan->items[i].nblobs + 1 + BATCH_LOCKS;
	return n;
}

/* Scans the repo for the plan and opens what removals need. */
static enum err
pruner_open(struct pruner *p)
{
	struct hfdoc_opts	 opts;
	struct proclocks	 locks;
	enum err		 e;

	if ((e = proclocks_load(p->o->locks_path, &locks)) != ERR_OK)
		return e;
	memset(&opts, 0, sizeof(opts));
	opts.now = (int64_t)time(NULL);
	opts.locks = &locks;
	e = hfdoc_repo_scan(p->cachefd, p->folder, &opts, &p->plan);
	proclocks_free(&locks);
	if (e != ERR_OK)
		return e;
	if ((p->repofd = dirat_fd(p->cachefd, p->folder)) == -1)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_INVAL;
	p->locksfd = open_locks(p->cachefd, p->folder);
	if ((p->batch = calloc(p->plan.n + 1, sizeof(*p->batch))) == NULL)
		return ERR_NOMEM;
	fit_fds(locks_needed(&p->plan));
	return ERR_OK;
}

enum err
hfprune_repo(int cachefd, const char *folder, const struct hfprune_opts *o)
{
	struct pruner	 p;
	enum err	 e;

	memset(&p, 0, sizeof(p));
	p.o = o;
	p.cachefd = cachefd;
	p.folder = folder;
	p.repofd = p.locksfd = -1;
	if ((e = pruner_open(&p)) == ERR_OK)
		e = prune_items(&p);
	unlock_from(&p, 0);
	free(p.held);
	free(p.batch);
	hfdoc_repo_free(&p.plan);
	if (p.locksfd >= 0)
		close(p.locksfd);
	if (p.repofd != -1)
		close(p.repofd);
	return e;
}
