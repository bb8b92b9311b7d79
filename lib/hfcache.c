/*
 * HuggingFace Hub cache: scan_cache_dir semantics (HF-HUB.md section 5).
 * This file walks the top level of the cache and gathers the results;
 * each entry is scanned by hfrepo_scan().
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "hfcache.h"
#include "hfrepo.h"
#include "log.h"

#define HFCACHE_MSG_MAX		(4096 + 256)	/* a scan failure message */
#define HFCACHE_ENTRIES_MAX	(1u << 20)	/* top-level entries */

struct scanctx {
	const char	*cache;		/* resolved cache dir, "" for "/" */
	struct hfscan	*scan;
	size_t		 repocap;
	size_t		 warncap;
	char		*errbuf;
	size_t		 errlen;
};

static void
scan_fail(struct scanctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Logs the scan failure once (escaped) and copies it to the errbuf. */
static void
scan_fail(struct scanctx *c, const char *fmt, ...)
{
	char	 msg[HFCACHE_MSG_MAX];
	char	 esc[sizeof(msg) * 4];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("hfcache_scan: %s", log_escape(esc, sizeof(esc), msg));
	if (c->errbuf != NULL && c->errlen > 0)
		(void)snprintf(c->errbuf, c->errlen, "%s", msg);
}

static enum err
push_warning(struct scanctx *c, char *warning)
{
	struct hfscan	*s = c->scan;

	if (array_grow(&s->warnings, &c->warncap, s->nwarnings + 1,
	    sizeof(*s->warnings), HFCACHE_ENTRIES_MAX) != ERR_OK) {
		free(warning);
		return ERR_NOMEM;
	}
	s->warnings[s->nwarnings++] = warning;
	return ERR_OK;
}

static enum err
push_repo(struct scanctx *c, const struct hfrepo *repo)
{
	struct hfscan	*s = c->scan;

	if (array_grow(&s->repos, &c->repocap, s->n + 1, sizeof(*s->repos),
	    HFCACHE_ENTRIES_MAX) != ERR_OK)
		return ERR_NOMEM;
	s->repos[s->n++] = *repo;
	s->size_on_disk += repo->size_on_disk;
	s->partial_bytes += repo->partial_bytes;
	return ERR_OK;
}

/*
 * Scans the top-level entry de of cachefd.  A corrupted repo adds a
 * warning and returns ERR_OK, and so do the refs a repo ignored; only
 * out-of-memory stops the scan.
 */
static enum err
scan_entry(struct scanctx *c, int cachefd, const struct dirent *de)
{
	struct hfrepo	 repo;
	char		*warning, *note;
	enum err	 e;

	switch (e = hfrepo_scan(cachefd, c->cache, de, &repo, &warning,
	    &note)) {
	case ERR_OK:
		if ((e = push_repo(c, &repo)) != ERR_OK) {
			free(repo.folder);
			free(repo.id);
			free(repo.type);
		}
		break;
	case ERR_CORRUPT:
		c->scan->partial_bytes += repo.partial_bytes;
		e = push_warning(c, warning);
		break;
	default:
		return e;
	}
	if (note == NULL)
		return e;
	if (e != ERR_OK) {
		free(note);
		return e;
	}
	return push_warning(c, note);
}

/*
 * Opens the cache directory dir into *d, its resolved path in *real.  A
 * missing directory is an empty cache: ERR_OK with *d NULL.
 */
static enum err
scan_open(struct scanctx *c, const char *dir, char **real, DIR **d)
{
	int	 fd, saved;

	*d = NULL;
	if ((*real = realpath(dir, NULL)) == NULL) {
		if ((saved = errno) == ENOENT || saved == ENOTDIR)
			return ERR_OK;
		scan_fail(c, "Cannot read %s: %s", dir, strerror(saved));
		return saved == ENOMEM ? ERR_NOMEM : ERR_IO;
	}
	if ((fd = open(*real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOTDIR)
			scan_fail(c, "Scan cache expects a directory but "
			    "found a file: %s", *real);
		else
			scan_fail(c, "Cannot read %s: %s", *real,
			    strerror(errno));
		return ERR_IO;
	}
	if ((*d = fdopendir(fd)) == NULL) {
		close(fd);
		return ERR_NOMEM;
	}
	c->cache = strcmp(*real, "/") == 0 ? "" : *real;
	return ERR_OK;
}

/* Scans every entry of d, the cache directory real. */
static enum err
scan_list(struct scanctx *c, DIR *d, const char *real)
{
	struct dirent	*de;
	size_t		 nentries = 0;
	enum err	 e;

	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno == 0)
				return ERR_OK;
			scan_fail(c, "Cannot read %s: %s", real,
			    strerror(errno));
			return ERR_IO;
		}
		if (hfrepo_skipped(de->d_name))
			continue;
		if (++nentries > HFCACHE_ENTRIES_MAX) {
			scan_fail(c, "Too many entries in %s", real);
			return ERR_TOOBIG;
		}
		if ((e = scan_entry(c, dirfd(d), de)) != ERR_OK)
			return e;
	}
}

/* Orders repos by (type, id), as hfcache_find() looks them up. */
static int
cmp_find(const void *key, const void *elem)
{
	const struct hfrepo	*k = key, *r = elem;
	int			 c;

	if ((c = strcmp(k->type, r->type)) != 0)
		return c;
	return strcmp(k->id, r->id);
}

static int
cmp_repo(const void *a, const void *b)
{
	int	 r;

	if ((r = cmp_find(a, b)) != 0)
		return r;
	return strcmp(((const struct hfrepo *)a)->folder,
	    ((const struct hfrepo *)b)->folder);
}

enum err
hfcache_scan(const char *dir, struct hfscan **out, char *errbuf,
    size_t errlen)
{
	struct scanctx	 c = { "", NULL, 0, 0, errbuf, errlen };
	DIR		*d = NULL;
	char		*real = NULL;
	enum err	 e;

	*out = NULL;
	if ((c.scan = calloc(1, sizeof(*c.scan))) == NULL) {
		e = ERR_NOMEM;
		goto out;
	}
	if ((e = scan_open(&c, dir, &real, &d)) != ERR_OK || d == NULL)
		goto out;
	if ((e = scan_list(&c, d, real)) == ERR_OK && c.scan->n > 1)
		qsort(c.scan->repos, c.scan->n, sizeof(*c.scan->repos),
		    cmp_repo);
out:
	if (e == ERR_NOMEM)
		scan_fail(&c, "out of memory");
	if (e != ERR_OK)
		hfcache_free(&c.scan);
	if (d != NULL)
		closedir(d);
	free(real);
	*out = c.scan;
	return e;
}

const struct hfrepo *
hfcache_find(const struct hfscan *scan, const char *type, const char *id)
{
	struct hfrepo	 key;

	if (scan == NULL || scan->n == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.type = (char *)(uintptr_t)type;
	key.id = (char *)(uintptr_t)id;
	return bsearch(&key, scan->repos, scan->n, sizeof(*scan->repos),
	    cmp_find);
}

void
hfcache_free(struct hfscan **scanp)
{
	struct hfscan	*scan;
	size_t		 i;

	if (scanp == NULL || (scan = *scanp) == NULL)
		return;
	for (i = 0; i < scan->n; i++) {
		free(scan->repos[i].type);
		free(scan->repos[i].id);
		free(scan->repos[i].folder);
	}
	free(scan->repos);
	for (i = 0; i < scan->nwarnings; i++)
		free(scan->warnings[i]);
	free(scan->warnings);
	free(scan);
	*scanp = NULL;
}
