/*
 * The links of the cache doctor's repo scan (hfdocctx.h): every revision
 * of snapshots/ and the publication in .mm-staging/, walked with
 * directory descriptors and never through a symlink.  A link is read as
 * text and mapped onto the repo's blobs/ when it has the layout's form
 * ("../" once per directory level, then "blobs/<name>"); its target is
 * never opened.  Only a revision no ref names, and staging, have every
 * entry stat'ed, for their bytes.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "dirat.h"
#include "hfdocctx.h"

/* Appends "/name" to c->rel (the path inside the repo); -1 if too long. */
static int
rel_push(struct ctx *c, const char *name, size_t *saved)
{
	size_t	 n = strlen(name);

	*saved = c->rellen;
	if (c->rellen + n + 2 > sizeof(c->rel))
		return -1;
	if (c->rellen > 0)
		c->rel[c->rellen++] = '/';
	memcpy(c->rel + c->rellen, name, n + 1);
	c->rellen += n;
	return 0;
}

static void
rel_pop(struct ctx *c, size_t saved)
{

	c->rellen = saved;
	c->rel[saved] = '\0';
}

/* The link name (in c->rel) is broken: an item, unless staged. */
static enum err
add_broken(struct ctx *c, const char *name, const char *reason)
{
	struct hfdoc_item	*it;
	size_t			 saved;

	if (c->currev == NONE)
		return ERR_OK;
	if (rel_push(c, name, &saved) == -1)
		return ERR_OK;
	it = hfdoc_item_add(c, HFDOC_BROKEN_LINK, "%s/%s", c->folder, c->rel);
	rel_pop(c, saved);
	if (it == NULL)
		return ERR_NOMEM;
	it->reason = reason;
	it->held = 0;
	return ERR_OK;
}

/* Blob i is linked from the revision being walked (or staging). */
static enum err
note_blob(struct ctx *c, size_t i)
{
	struct fent	*b = &c->blobs.v[i];
	struct rev	*r;

	if (c->currev == NONE) {
		b->staged = 1;
		return ERR_OK;
	}
	r = &c->revs[c->currev];
	if (r->current) {
		b->cur = 1;
		return ERR_OK;
	}
	if (b->det == NONE)
		b->det = c->currev;
	if (b->seen == c->currev)
		return ERR_OK;
	b->seen = c->currev;
	if (array_grow(&r->blobs, &r->cap, r->nblobs + 1, sizeof(*r->blobs),
	    DOC_ENTRIES_MAX) != ERR_OK)
		return ERR_NOMEM;
	r->blobs[r->nblobs++] = i;
	return ERR_OK;
}

/*
 * The blob name the link text names when it has the layout's form:
 * "../" once per directory level (depth) then "blobs/<name>"; else NULL.
 */
static const char *
link_blob(const char *text, size_t depth)
{
	const char	*p = text;
	size_t		 k = 0;

	for (; strncmp(p, "../", 3) == 0; p += 3)
		k++;
	if (k != depth || strncmp(p, "blobs/", 6) != 0)
		return NULL;
	p += 6;
	if (*p == '\0' || strchr(p, '/') != NULL || dirat_dots(p))
		return NULL;
	return p;
}

/* Tells o->on_file about the file name of the revision being walked
 * (not of staging); blob is NONE for no blob of blobs/. */
static enum err
tell_file(struct ctx *c, const char *name, const char *blob, int link,
    size_t i)
{
	struct hfdoc_file	 f;
	const char		*rev;
	size_t			 saved, skip;
	int			 rc;

	if (c->o->on_file == NULL || c->currev == NONE)
		return ERR_OK;
	rev = c->revs[c->currev].name;
	skip = sizeof("snapshots/") - 1 + strlen(rev) + 1;
	if (rel_push(c, name, &saved) == -1)
		return ERR_OK;
	f.rev = rev;
	f.path = c->rellen > skip ? c->rel + skip : name;
	f.blob = blob;
	f.link = link;
	f.present = i != NONE;
	f.size = i != NONE ? c->blobs.v[i].size : 0;
	rc = c->o->on_file(c->o->arg, &f);
	rel_pop(c, saved);
	return rc != 0 ? ERR_NOMEM : ERR_OK;
}

/* A link that does not have the layout's form: the blob its last
 * component may name is never reclaimed (it is not followed to know). */
static enum err
odd_link(struct ctx *c, const char *name, const char *text)
{
	const char	*slash = strrchr(text, '/');
	size_t		 i;

	if ((i = hfdoc_fent_find(&c->blobs, slash ? slash + 1 : text)) != NONE)
		c->blobs.v[i].odd = 1;
	return add_broken(c, name, "not_a_blob_link");
}

/* A symlink of a revision or of staging, depth levels below the repo. */
static enum err
scan_link(struct ctx *c, int dfd, const char *name, size_t depth)
{
	char		 text[PATH_MAX];
	struct stat	 st;
	const char	*blob;
	ssize_t		 n;
	size_t		 i;

	if ((n = readlinkat(dfd, name, text, sizeof(text) - 1)) == -1)
		return ERR_OK;		/* gone meanwhile */
	text[n] = '\0';
	if (c->acc != NULL && fstatat(dfd, name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0)
		hfdoc_acc_add(c->acc, &st);
	blob = link_blob(text, depth);
	i = blob != NULL ? hfdoc_fent_find(&c->blobs, blob) : NONE;
	if (tell_file(c, name, blob, 1, i) != ERR_OK)
		return ERR_NOMEM;
	if (blob == NULL)
		return odd_link(c, name, text);
	if (i != NONE)
		return note_blob(c, i);
	return add_broken(c, name, "missing_blob");
}

static enum err	 walk_tree(struct ctx *, DIR *, size_t);

/* The directory name of dfd (depth levels below the repo), in a
 * revision or staging: its own bytes, then its entries. */
static enum err
tree_dir(struct ctx *c, int dfd, const char *name, size_t depth)
{
	struct stat	 st;
	size_t		 saved;
	DIR		*d;
	enum err	 e;

	if (depth >= DOC_DEPTH_MAX || rel_push(c, name, &saved) == -1) {
		hfdoc_warn(c, 1, "A tree too deep in %s", c->folder);
		return ERR_OK;
	}
	if ((d = dirat_open(dfd, name)) == NULL) {
		hfdoc_warn(c, 1, "Cannot read %s/%s: %s", c->folder, c->rel,
		    strerror(errno));
		rel_pop(c, saved);
		return ERR_OK;
	}
	if (c->acc != NULL && fstat(dirfd(d), &st) == 0)
		hfdoc_acc_add(c->acc, &st);
	e = walk_tree(c, d, depth + 1);
	closedir(d);
	rel_pop(c, saved);
	return e;
}

/* The entries of a revision (or staging) directory d, depth levels below
 * the repo. */
static enum err
walk_tree(struct ctx *c, DIR *d, size_t depth)
{
	struct dirent	*de;
	struct stat	 st;
	enum err	 e = ERR_OK;

	while (e == ERR_OK && (de = readdir(d)) != NULL) {
		if (dirat_dots(de->d_name))
			continue;
		switch (dirat_type(dirfd(d), de)) {
		case DT_DIR:
			e = tree_dir(c, dirfd(d), de->d_name, depth);
			break;
		case DT_LNK:
			if (c->acc != NULL)
				c->acc->files++;
			e = scan_link(c, dirfd(d), de->d_name, depth);
			break;
		case DT_REG:
			e = tell_file(c, de->d_name, NULL, 0, NONE);
			/* FALLTHROUGH */
		default:
			if (c->acc == NULL || e != ERR_OK)
				break;
			c->acc->files++;
			if (fstatat(dirfd(d), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
				hfdoc_acc_add(c->acc, &st);
		}
	}
	return e;
}

/* Whether the revision name is one a ref names (or the repo has no ref:
 * then every revision is what it holds). */
static int
rev_current(const struct ctx *c, const char *name)
{

	return c->nrefs == 0 || bsearch(&name, c->refs, c->nrefs,
	    sizeof(*c->refs), hfdoc_cmp_str) != NULL;
}

static enum err
add_rev(struct ctx *c, const char *name)
{
	struct rev	*r;

	if (array_grow(&c->revs, &c->caprevs, c->nrevs + 1, sizeof(*c->revs),
	    DOC_REVS_MAX) != ERR_OK)
		return ERR_NOMEM;
	r = &c->revs[c->nrevs];
	memset(r, 0, sizeof(*r));
	if ((r->name = strdup(name)) == NULL)
		return ERR_NOMEM;
	r->current = rev_current(c, name);
	c->nrevs++;
	return ERR_OK;
}

/* A directory of snapshots/: a revision, walked (a detached one with
 * the bytes of every entry). */
static enum err
scan_rev(struct ctx *c, int dfd, const char *name)
{
	struct rev	*r;
	struct stat	 st;
	enum err	 e;

	if ((e = add_rev(c, name)) != ERR_OK)
		return e;
	c->currev = c->nrevs - 1;
	r = &c->revs[c->currev];
	if (!r->current && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r->dev = st.st_dev;
		r->ino = st.st_ino;
	}
	c->acc = r->current ? NULL : &r->acc;
	e = tree_dir(c, dfd, name, 1);
	c->acc = NULL;
	return e;
}

enum err
hfdoc_read_snapshots(struct ctx *c)
{
	struct dirent	*de;
	size_t		 saved;
	DIR		*d;
	enum err	 e = ERR_OK;

	if ((d = dirat_open(c->repofd, "snapshots")) == NULL) {
		if (errno == ELOOP || errno == ENOTDIR)
			hfdoc_warn(c, 1, "%s/snapshots is a symlink or not a "
			    "directory (not followed)", c->folder);
		return errno == ENOMEM ? ERR_NOMEM : ERR_OK;
	}
	(void)rel_push(c, "snapshots", &saved);
	while (e == ERR_OK && (de = readdir(d)) != NULL)
		if (!dirat_dots(de->d_name) &&
		    dirat_type(dirfd(d), de) == DT_DIR)
			e = scan_rev(c, dirfd(d), de->d_name);
	rel_pop(c, saved);
	closedir(d);
	c->out->nrevisions = c->nrevs;
	return e;
}

/* .mm-staging/: its links keep their blobs; the whole of it an item. */
enum err
hfdoc_read_staging(struct ctx *c)
{
	struct hfdoc_item	*it;
	struct acc		 acc;
	struct stat		 st;
	enum err		 e;

	if (fstatat(c->repofd, STAGING, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return ERR_OK;
	memset(&acc, 0, sizeof(acc));
	c->currev = NONE;
	c->acc = &acc;
	if (S_ISDIR(st.st_mode))
		e = tree_dir(c, c->repofd, STAGING, 0);
	else {
		hfdoc_acc_add(&acc, &st);
		e = ERR_OK;
	}
	c->acc = NULL;
	if (e != ERR_OK || (it = hfdoc_item_add(c, HFDOC_STAGING, "%s/%s",
	    c->folder, STAGING)) == NULL)
		return ERR_NOMEM;
	it->apparent = acc.apparent;
	it->disk = acc.disk;
	it->mtime = acc.mtime;
	it->files = acc.files;
	it->dev = st.st_dev;
	it->ino = st.st_ino;
	it->held = hfdoc_lock_held(c, STAGING_LOCK, 1);
	return ERR_OK;
}

