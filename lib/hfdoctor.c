/*
 * The cache doctor's scan of a repo folder (hfdoctor.h).  Order of the
 * walk: blobs/ (every regular file stat'ed once, sorted by name), the
 * repo's lock folder .locks/<folder>/, refs/ (the commits they name),
 * snapshots/ (each link read as text and mapped onto a blob), the
 * .mm-staging/ of a publication, then the classification.  Every
 * directory is opened with O_NOFOLLOW | O_DIRECTORY from its parent's
 * descriptor; a link's target is never opened.  Only the revisions no
 * ref names (and staging) have every entry stat'ed, for their bytes.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "dirat.h"
#include "fdio.h"
#include "hfdocctx.h"
#include "hfrefs.h"
#include "hfrepo.h"

#define DOC_REF_MAX	1024		/* bytes read of a ref */
#define DOC_REFS_MAX	(1u << 16)
#define DOC_REPOS_MAX	(1u << 20)

#define INCOMPLETE	".incomplete"
#define MM_INCOMPLETE	".mm.incomplete"

static const char *const kind_names[HFDOC__MAX] = {
	[HFDOC_PARTIAL] = "partial",
	[HFDOC_ORPHAN] = "orphan_blobs",
	[HFDOC_DETACHED] = "detached_revisions",
	[HFDOC_BROKEN_LINK] = "broken_links",
	[HFDOC_STALE_LOCK] = "stale_locks",
	[HFDOC_STAGING] = "staging",
};

const char *
hfdoc_kind_str(enum hfdoc_kind k)
{

	return (unsigned)k < HFDOC__MAX ? kind_names[k] : "";
}

int
hfdoc_kind_parse(const char *s, enum hfdoc_kind *k)
{
	int	 i;

	for (i = 0; i < HFDOC__MAX; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum hfdoc_kind)i;
			return 0;
		}
	return -1;
}

/* ---------------------------------------------------------------------
 * Findings and warnings
 */

void
hfdoc_warn(struct ctx *c, int refs, const char *fmt, ...)
{
	va_list	 ap;

	if (refs)
		c->unsure = 1;
	if (c->out->warning != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&c->out->warning, fmt, ap) == -1)
		c->out->warning = NULL;
	va_end(ap);
}

struct hfdoc_item *
hfdoc_item_add(struct ctx *c, enum hfdoc_kind kind, const char *fmt, ...)
{
	struct hfdoc_repo	*r = c->out;
	struct hfdoc_item	*it;
	va_list			 ap;
	int			 rc;

	if (array_grow(&r->items, &c->capitems, r->n + 1, sizeof(*r->items),
	    DOC_ENTRIES_MAX) != ERR_OK)
		return NULL;
	it = &r->items[r->n];
	memset(it, 0, sizeof(*it));
	va_start(ap, fmt);
	rc = vasprintf(&it->name, fmt, ap);
	va_end(ap);
	if (rc == -1)
		return NULL;
	it->kind = kind;
	r->n++;
	return it;
}

/* The stat of an entry as apparent and disk bytes (0 disk for a file
 * with other hard links: removing it frees nothing). */
static void
stat_bytes(const struct stat *st, uint64_t *apparent, uint64_t *disk)
{

	*apparent = (uint64_t)st->st_size;
	*disk = S_ISREG(st->st_mode) && st->st_nlink > 1 ? 0 :
	    (uint64_t)st->st_blocks * 512;
}

void
hfdoc_acc_add(struct acc *a, const struct stat *st)
{
	uint64_t	 ap, dk;

	stat_bytes(st, &ap, &dk);
	a->apparent += ap;
	a->disk += dk;
	if ((int64_t)st->st_mtime > a->mtime)
		a->mtime = (int64_t)st->st_mtime;
}

static int
cmp_fent(const void *a, const void *b)
{

	return strcmp(((const struct fent *)a)->name,
	    ((const struct fent *)b)->name);
}

/* The entry named name of the sorted list l, or NONE. */
size_t
hfdoc_fent_find(const struct fents *l, const char *name)
{
	struct fent	 key, *f;

	if (l->n == 0)
		return NONE;
	key.name = (char *)(uintptr_t)name;
	f = bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_fent);
	return f != NULL ? (size_t)(f - l->v) : NONE;
}

/* Adds name with its stat to l; ERR_NOMEM or ERR_TOOBIG. */
static enum err
fent_add(struct fents *l, const char *name, const struct stat *st)
{
	struct fent	*f;
	enum err	 e;

	if ((e = array_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v),
	    DOC_ENTRIES_MAX)) != ERR_OK)
		return e;
	f = &l->v[l->n];
	memset(f, 0, sizeof(*f));
	if ((f->name = strdup(name)) == NULL)
		return ERR_NOMEM;
	stat_bytes(st, &f->size, &f->disk);
	f->mtime = (int64_t)st->st_mtime;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->det = f->seen = NONE;
	l->n++;
	return ERR_OK;
}

static void
fents_free(struct fents *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Whether name ends with suffix (and has something before it). */
static int
ends_with(const char *name, const char *suffix)
{
	size_t	 n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* ---------------------------------------------------------------------
 * blobs/ and the lock folder
 */

/* A regular *.incomplete file of blobs/: a partial item. */
static enum err
add_partial(struct ctx *c, const char *name, const struct stat *st)
{
	struct hfdoc_item	*it;
	size_t			 n;

	if ((it = hfdoc_item_add(c, HFDOC_PARTIAL, "%s/blobs/%s", c->folder,
	    name)) == NULL ||
	    (it->etag = strndup(name, strcspn(name, "."))) == NULL)
		return ERR_NOMEM;
	stat_bytes(st, &it->apparent, &it->disk);
	it->mtime = (int64_t)st->st_mtime;
	it->dev = st->st_dev;
	it->ino = st->st_ino;
	n = strlen(it->etag);
	it->writer = strcmp(name + n, INCOMPLETE) == 0 ? HFDOC_W_SINGLE :
	    strcmp(name + n, MM_INCOMPLETE) == 0 ? HFDOC_W_MULTIPART :
	    HFDOC_W_OTHER;
	c->out->partial_size += (uint64_t)st->st_size;
	return ERR_OK;
}

/* Reads the regular files of the directory d into l (or, with
 * partials, the *.incomplete ones as partial items).  Anything else (a
 * FIFO named like a partial, a symlink, a directory) is ignored. */
static enum err
read_files(struct ctx *c, DIR *d, struct fents *l, int partials)
{
	struct dirent	*de;
	struct stat	 st;
	enum err	 e = ERR_OK;

	while (e == ERR_OK && (de = readdir(d)) != NULL) {
		if (dirat_dots(de->d_name) || fstatat(dirfd(d), de->d_name,
		    &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (partials && ends_with(de->d_name, INCOMPLETE))
			e = add_partial(c, de->d_name, &st);
		else
			e = fent_add(l, de->d_name, &st);
	}
	if (e == ERR_TOOBIG)
		hfdoc_warn(c, 1, "Too many files in a folder of %s: the rest "
		    "is not looked at", c->folder);
	if (e != ERR_NOMEM && l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_fent);
	return e == ERR_TOOBIG ? ERR_OK : e;
}

static enum err
read_blobs(struct ctx *c)
{
	DIR		*d;
	enum err	 e;

	if ((c->blobsfd = dirat_fd(c->repofd, "blobs")) == -1) {
		if (errno != ENOENT)
			hfdoc_warn(c, 1, "Cannot read %s/blobs: %s", c->folder,
			    errno == ELOOP || errno == ENOTDIR ? "a symlink or "
			    "not a directory (not followed)" : strerror(errno));
		return ERR_OK;
	}
	if ((d = dirat_open(c->blobsfd, ".")) == NULL)
		return errno == ENOMEM ? ERR_NOMEM : ERR_OK;
	e = read_files(c, d, &c->blobs, 1);
	closedir(d);
	return e;
}

/* .locks/<folder>/: a symlink or a file there makes every lock unknown
 * (a writer following it keeps its locks where we do not look). */
static enum err
read_locks(struct ctx *c)
{
	DIR		*d = NULL;
	int		 locks;
	enum err	 e;

	if ((locks = dirat_fd(c->cachefd, ".locks")) != -1) {
		d = dirat_open(locks, c->folder);
		close(locks);
	}
	if (d == NULL) {
		if (errno != ENOENT)
			c->locks_unknown = 1;
		return errno == ENOMEM ? ERR_NOMEM : ERR_OK;
	}
	e = read_files(c, d, &c->locks, 0);
	closedir(d);
	return e;
}

/* Whether the lock file name is held: 1, 0, or -1 unknown. */
int
hfdoc_lock_held(struct ctx *c, const char *name, int mark)
{
	size_t	 i;

	if (c->locks_unknown)
		return -1;
	if ((i = hfdoc_fent_find(&c->locks, name)) == NONE)
		return 0;
	if (mark)
		c->locks.v[i].used = 1;
	return proclocks_held(c->o->locks, c->locks.v[i].dev,
	    c->locks.v[i].ino);
}

/* The lock of the blob etag ("<etag>.lock"). */
static int
blob_lock_held(struct ctx *c, const char *etag, int mark)
{
	char	 name[NAME_MAX + 1];

	if (snprintf(name, sizeof(name), "%s.lock", etag) >=
	    (int)sizeof(name))
		return 0;
	return hfdoc_lock_held(c, name, mark);
}

/* ---------------------------------------------------------------------
 * refs/
 */

int
hfdoc_cmp_str(const void *a, const void *b)
{

	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A ref: its content, when exactly a commit, joins c->refs. */
static enum err
read_ref(struct ctx *c, int dfd, const char *name)
{
	char	 buf[DOC_REF_MAX];
	size_t	 len;

	if (fdio_read_regular(dfd, name, buf, sizeof(buf), &len) != 0)
		return ERR_OK;
	len = hfrefs_newlines(buf, len);
	if (!hfrefs_is_commit(buf, len))
		return ERR_OK;
	if (array_grow(&c->refs, &c->caprefs, c->nrefs + 1,
	    sizeof(*c->refs), DOC_REFS_MAX) != ERR_OK)
		return ERR_OK;		/* more refs than anyone writes */
	if ((c->refs[c->nrefs] = strndup(buf, len)) == NULL)
		return ERR_NOMEM;
	c->nrefs++;
	return ERR_OK;
}

/* Reads every ref below d (depth levels below the repo). */
static enum err
walk_refs(struct ctx *c, DIR *d, size_t depth)
{
	struct dirent	*de;
	DIR		*sub;
	enum err	 e = ERR_OK;
	int		 type;

	while (e == ERR_OK && (de = readdir(d)) != NULL) {
		if (dirat_dots(de->d_name))
			continue;
		if ((type = dirat_type(dirfd(d), de)) == DT_REG) {
			e = read_ref(c, dirfd(d), de->d_name);
			continue;
		}
		if (type != DT_DIR ||
		    depth >= DOC_DEPTH_MAX ||
		    (sub = dirat_open(dirfd(d), de->d_name)) == NULL)
			continue;
		e = walk_refs(c, sub, depth + 1);
		closedir(sub);
	}
	return e;
}

static enum err
read_refs(struct ctx *c)
{
	DIR		*d;
	enum err	 e;

	if ((d = dirat_open(c->repofd, "refs")) == NULL)
		return errno == ENOMEM ? ERR_NOMEM : ERR_OK;
	e = walk_refs(c, d, 1);
	closedir(d);
	if (c->nrefs > 1)
		qsort(c->refs, c->nrefs, sizeof(*c->refs), hfdoc_cmp_str);
	c->out->nrefs = c->nrefs;
	return e;
}

/* ---------------------------------------------------------------------
 * Classification
 */

/* Each partial's lock (held or not) and part map. */
static enum err
finish_partials(struct ctx *c)
{
	struct hfdoc_item	*it;
	char			 map[NAME_MAX + 1];
	size_t			 i, k;

	for (i = 0; i < c->out->n; i++) {
		it = &c->out->items[i];
		if (it->kind != HFDOC_PARTIAL)
			continue;
		it->held = blob_lock_held(c, it->etag, 1);
		if (it->writer != HFDOC_W_MULTIPART || snprintf(map,
		    sizeof(map), "%s.mm.parts", it->etag) >= (int)sizeof(map) ||
		    (k = hfdoc_fent_find(&c->locks, map)) == NONE)
			continue;
		c->locks.v[k].used = 1;
		if (asprintf(&it->map, ".locks/%s/%s", c->folder, map) == -1) {
			it->map = NULL;
			return ERR_NOMEM;
		}
		it->apparent += c->locks.v[k].size;
		it->disk += c->locks.v[k].disk;
	}
	return ERR_OK;
}

/* An item for blob b of blobs/ (an orphan). */
static enum err
add_blob_item(struct ctx *c, enum hfdoc_kind kind, const struct fent *b)
{
	struct hfdoc_item	*it;

	if ((it = hfdoc_item_add(c, kind, "%s/blobs/%s", c->folder, b->name)) ==
	    NULL || (it->etag = strdup(b->name)) == NULL)
		return ERR_NOMEM;
	it->apparent = b->size;
	it->disk = b->disk;
	it->mtime = b->mtime;
	it->dev = b->dev;
	it->ino = b->ino;
	it->held = blob_lock_held(c, b->name, 0);
	return ERR_OK;
}

/* Whether blob b is freed by removing detached revision r (only detached
 * revisions link to it, r first). */
static int
freed_with(const struct fent *b, size_t r)
{

	return !b->cur && !b->odd && !b->staged && b->det == r;
}

/* Blob bi of detached item it: freed with it, or shared (kept). */
static enum err
detached_blob(struct ctx *c, struct hfdoc_item *it, size_t r, size_t bi)
{
	const struct fent	*b = &c->blobs.v[bi];
	int			 h;

	if (b->cur) {
		if ((it->shared[it->nshared] = strdup(b->name)) == NULL)
			return ERR_NOMEM;
		it->nshared++;
		it->shared_bytes += b->size;
		return ERR_OK;
	}
	if (!freed_with(b, r))
		return ERR_OK;
	it->blobs[it->nblobs] = strdup(b->name);
	if (it->blobs[it->nblobs] == NULL)
		return ERR_NOMEM;
	it->nblobs++;
	it->apparent += b->size;
	it->disk += b->disk;
	if (b->mtime > it->mtime)
		it->mtime = b->mtime;
	if ((h = blob_lock_held(c, b->name, 0)) != 0 && it->held != 1)
		it->held = h;
	return ERR_OK;
}

static enum err
add_detached(struct ctx *c, size_t r)
{
	struct rev		*rv = &c->revs[r];
	struct hfdoc_item	*it;
	size_t			 k;
	enum err		 e = ERR_OK;

	if ((it = hfdoc_item_add(c, HFDOC_DETACHED, "%s/snapshots/%s", c->folder,
	    rv->name)) == NULL || (it->etag = strdup(rv->name)) == NULL ||
	    (it->blobs = calloc(rv->nblobs + 1, sizeof(char *))) == NULL ||
	    (it->shared = calloc(rv->nblobs + 1, sizeof(char *))) == NULL)
		return ERR_NOMEM;
	it->apparent = rv->acc.apparent;
	it->disk = rv->acc.disk;
	it->mtime = rv->acc.mtime;
	it->files = rv->acc.files;
	it->dev = rv->dev;
	it->ino = rv->ino;
	it->held = hfdoc_lock_held(c, STAGING_LOCK, 0);
	for (k = 0; e == ERR_OK && k < rv->nblobs; k++)
		e = detached_blob(c, it, r, rv->blobs[k]);
	return e;
}

/* Orphan blobs, detached revisions, and partial_size's orphan part. */
static enum err
classify_blobs(struct ctx *c)
{
	const struct fent	*b;
	size_t			 i;
	enum err		 e = ERR_OK;

	for (i = 0; i < c->blobs.n; i++) {
		b = &c->blobs.v[i];
		if (!b->cur && !b->odd && b->det == NONE)
			c->out->partial_size += b->size;
	}
	if (c->unsure)
		return ERR_OK;
	for (i = 0; e == ERR_OK && i < c->blobs.n; i++) {
		b = &c->blobs.v[i];
		if (!b->cur && !b->odd && !b->staged && b->det == NONE)
			e = add_blob_item(c, HFDOC_ORPHAN, b);
	}
	for (i = 0; e == ERR_OK && i < c->nrevs; i++)
		if (!c->revs[i].current)
			e = add_detached(c, i);
	return e;
}

/* Lock files no partial or staging uses, that nobody holds. */
static enum err
classify_locks(struct ctx *c)
{
	struct hfdoc_item	*it;
	const struct fent	*l;
	size_t			 i;

	for (i = 0; i < c->locks.n; i++) {
		l = &c->locks.v[i];
		if (l->used || (!ends_with(l->name, ".lock") &&
		    !ends_with(l->name, ".mm.parts")) ||
		    proclocks_held(c->o->locks, l->dev, l->ino) != 0)
			continue;
		if ((it = hfdoc_item_add(c, HFDOC_STALE_LOCK, ".locks/%s/%s",
		    c->folder, l->name)) == NULL || (it->etag = strndup(l->name,
		    strcspn(l->name, "."))) == NULL)
			return ERR_NOMEM;
		it->apparent = l->size;
		it->disk = l->disk;
		it->mtime = l->mtime;
		it->dev = l->dev;
		it->ino = l->ino;
	}
	return ERR_OK;
}

/* ---------------------------------------------------------------------
 * The repo folder
 */

/* "<type>s--<id with / as -->" into the repo's type, id and folder. */
static enum err
parse_folder(const char *name, struct hfdoc_repo *out)
{
	const char	*dash = strstr(name, "--");

	if (dash == NULL || dash == name || dash[-1] != 's' || dash[2] == '\0')
		return ERR_INVAL;
	if ((out->type = strndup(name, (size_t)(dash - name) - 1)) == NULL ||
	    (out->id = hfrepo_folder_id(dash + 2)) == NULL ||
	    (out->folder = strdup(name)) == NULL)
		return ERR_NOMEM;
	if (strcmp(out->type, "model") != 0 &&
	    strcmp(out->type, "dataset") != 0 &&
	    strcmp(out->type, "space") != 0)
		return ERR_INVAL;
	return ERR_OK;
}

static void
ctx_free(struct ctx *c)
{
	size_t	 i;

	fents_free(&c->blobs);
	fents_free(&c->locks);
	for (i = 0; i < c->nrefs; i++)
		free(c->refs[i]);
	free(c->refs);
	for (i = 0; i < c->nrevs; i++) {
		free(c->revs[i].name);
		free(c->revs[i].blobs);
	}
	free(c->revs);
	if (c->blobsfd != -1)
		close(c->blobsfd);
	if (c->repofd != -1)
		close(c->repofd);
}

/* Every step of the scan of the open repo folder. */
static enum err
scan_steps(struct ctx *c)
{
	enum err	 e;

	if ((e = read_blobs(c)) != ERR_OK || (e = read_locks(c)) != ERR_OK ||
	    (e = read_refs(c)) != ERR_OK ||
	    (e = hfdoc_read_snapshots(c)) != ERR_OK ||
	    (e = hfdoc_read_staging(c)) != ERR_OK ||
	    (e = finish_partials(c)) != ERR_OK)
		return e;
	if ((e = classify_blobs(c)) != ERR_OK)
		return e;
	return classify_locks(c);
}

enum err
hfdoc_repo_scan(int cachefd, const char *folder, const struct hfdoc_opts *o,
    struct hfdoc_repo *out)
{
	struct ctx	 c;
	enum err	 e;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.cachefd = cachefd;
	c.repofd = c.blobsfd = -1;
	c.folder = folder;
	c.out = out;
	if ((e = parse_folder(folder, out)) != ERR_OK)
		goto out;
	if ((c.repofd = dirat_fd(cachefd, folder)) == -1) {
		e = errno == ENOENT ? ERR_NOTFOUND : errno == ENOMEM ?
		    ERR_NOMEM : ERR_INVAL;
		goto out;
	}
	e = scan_steps(&c);
out:
	ctx_free(&c);
	if (e != ERR_OK)
		hfdoc_repo_free(out);
	return e;
}

static void
item_free(struct hfdoc_item *it)
{
	size_t	 i;

	free(it->name);
	free(it->etag);
	free(it->map);
	for (i = 0; i < it->nblobs; i++)
		free(it->blobs[i]);
	free(it->blobs);
	for (i = 0; i < it->nshared; i++)
		free(it->shared[i]);
	free(it->shared);
}

void
hfdoc_repo_free(struct hfdoc_repo *r)
{
	size_t	 i;

	for (i = 0; i < r->n; i++)
		item_free(&r->items[i]);
	free(r->items);
	free(r->type);
	free(r->id);
	free(r->folder);
	free(r->warning);
	memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------------
 * The whole cache
 */

static int
cmp_repo(const void *a, const void *b)
{
	const struct hfdoc_repo	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->type, y->type)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

/* Scans each repo folder of d into rep. */
static enum err
scan_entries(DIR *d, const struct hfdoc_opts *o, struct hfdoc_report *rep)
{
	struct hfdoc_repo	 r;
	struct dirent		*de;
	size_t			 cap = 0;
	enum err		 e;

	while ((de = readdir(d)) != NULL) {
		if (hfrepo_skipped(de->d_name))
			continue;
		if ((e = hfdoc_repo_scan(dirfd(d), de->d_name, o, &r)) ==
		    ERR_NOMEM)
			return e;
		if (e != ERR_OK)
			continue;	/* not a repo folder, or gone */
		if ((e = array_grow(&rep->repos, &cap, rep->n + 1,
		    sizeof(*rep->repos), DOC_REPOS_MAX)) != ERR_OK) {
			hfdoc_repo_free(&r);
			return e;
		}
		rep->repos[rep->n++] = r;
	}
	return ERR_OK;
}

enum err
hfdoc_scan(const char *dir, const struct hfdoc_opts *o,
    struct hfdoc_report *out, char *errbuf, size_t errlen)
{
	DIR		*d;
	int		 fd;
	enum err	 e;

	memset(out, 0, sizeof(*out));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return ERR_OK;
		(void)snprintf(errbuf, errlen, "Cannot read %s: %s", dir,
		    strerror(errno));
		return ERR_IO;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return ERR_NOMEM;
	}
	e = scan_entries(d, o, out);
	closedir(d);
	if (e != ERR_OK) {
		(void)snprintf(errbuf, errlen, "Cannot scan %s: %s", dir,
		    err_str(e));
		hfdoc_report_free(out);
		return e;
	}
	if (out->n > 1)
		qsort(out->repos, out->n, sizeof(*out->repos), cmp_repo);
	return ERR_OK;
}

enum err
hfdoc_scan_one(const char *dir, const struct hfdoc_opts *o,
    const char *folder, struct hfdoc_report *out)
{
	int		 fd;
	enum err	 e;

	memset(out, 0, sizeof(*out));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return ERR_OK;
	if ((out->repos = calloc(1, sizeof(*out->repos))) == NULL)
		e = ERR_NOMEM;
	else if ((e = hfdoc_repo_scan(fd, folder, o, out->repos)) == ERR_OK)
		out->n = 1;
	close(fd);
	return e == ERR_NOTFOUND || e == ERR_INVAL ? ERR_OK : e;
}

void
hfdoc_report_free(struct hfdoc_report *rep)
{
	size_t	 i;

	for (i = 0; i < rep->n; i++)
		hfdoc_repo_free(&rep->repos[i]);
	free(rep->repos);
	memset(rep, 0, sizeof(*rep));
}
