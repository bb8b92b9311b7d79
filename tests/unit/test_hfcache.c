/*
 * hfcache: scan_cache_dir semantics on fixture caches built in a temp dir.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "hfcache.h"
#include "unit.h"

/*
 * A fixture is a list of operations below the cache dir: 'd' mkdir -p,
 * 'f' a file with content arg, 'l' a symlink path -> arg, 'p' a FIFO.  In a link
 * target and in expected warnings, "@" stands for the resolved cache dir.
 */
struct fx {
	char		 kind;
	const char	*path;
	const char	*arg;
};

struct exprepo {
	const char	*type;
	const char	*id;
	const char	*folder;
	uint64_t	 size;
	size_t		 nb_files;
	size_t		 nrevisions;
	uint64_t	 partial;
};

struct scancase {
	const char		*name;
	const struct fx		*fx;
	struct exprepo		 repos[8];	/* sorted; type NULL ends */
	const char		*warnings[8];	/* any order; NULL ends */
	uint64_t		 size;
	uint64_t		 partial;
};

static void
mkdirs(const char *path)
{
	char	*p, *s;

	if ((s = strdup(path)) == NULL)
		abort();
	for (p = s + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(s, 0755);
		*p = '/';
	}
	if (mkdir(s, 0755) == -1 && errno != EEXIST) {
		perror(s);
		abort();
	}
	free(s);
}

/* Every "@" in s replaced by cache.  Malloc'd. */
static char *
subst(const char *cache, const char *s)
{
	char		*r, *o;
	const char	*p;
	size_t		 n = 1;

	for (p = s; *p != '\0'; p++)
		n += *p == '@' ? strlen(cache) : 1;
	if ((r = malloc(n)) == NULL)
		abort();
	for (p = s, o = r; *p != '\0'; p++) {
		if (*p == '@') {
			memcpy(o, cache, strlen(cache));
			o += strlen(cache);
		} else
			*o++ = *p;
	}
	*o = '\0';
	return r;
}

static void
fx_build(const char *cache, const struct fx *fx)
{
	char	*path, *arg, *slash;

	for (; fx->kind != '\0'; fx++) {
		if (asprintf(&path, "%s/%s", cache, fx->path) == -1)
			abort();
		switch (fx->kind) {
		case 'd':
			mkdirs(path);
			break;
		case 'f':
			unit_write_file(path, fx->arg, strlen(fx->arg));
			break;
		case 'p':
			slash = strrchr(path, '/');
			*slash = '\0';
			mkdirs(path);
			*slash = '/';
			if (mkfifo(path, 0644) == -1) {
				perror(path);
				abort();
			}
			break;
		case 'l':
			slash = strrchr(path, '/');
			*slash = '\0';
			mkdirs(path);
			*slash = '/';
			arg = subst(cache, fx->arg);
			if (symlink(arg, path) == -1) {
				perror(path);
				abort();
			}
			free(arg);
			break;
		default:
			abort();
		}
		free(path);
	}
}

/* A fresh cache dir "<tmp>/hub" (resolved); *tmp gets the temp dir. */
static char *
new_cache(char **tmp)
{
	char	*t, *real, *cache;

	t = unit_tmpdir();
	if ((real = realpath(t, NULL)) == NULL)
		abort();
	if (asprintf(&cache, "%s/hub", real) == -1)
		abort();
	mkdirs(cache);
	free(real);
	*tmp = t;
	return cache;
}

static int
has_warning(const struct hfscan *scan, const char *want)
{
	size_t	 i;

	for (i = 0; i < scan->nwarnings; i++)
		if (strcmp(scan->warnings[i], want) == 0)
			return 1;
	return 0;
}

static void
run_case(const struct scancase *tc)
{
	struct hfscan		*scan = NULL;
	const struct exprepo	*er;
	const struct hfrepo	*r;
	char			 errbuf[256];
	char			*tmp, *cache, *w;
	size_t			 i, nrepos = 0, nwarn = 0;
	enum err		 e;

	cache = new_cache(&tmp);
	fx_build(cache, tc->fx);
	e = hfcache_scan(cache, &scan, errbuf, sizeof(errbuf));
	CU_ASSERT_EQUAL_FATAL(e, ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(scan);
	for (er = tc->repos; er->type != NULL; er++)
		nrepos++;
	for (i = 0; tc->warnings[i] != NULL; i++)
		nwarn++;
	CU_ASSERT_EQUAL(scan->n, nrepos);
	for (i = 0; i < nrepos && i < scan->n; i++) {
		er = &tc->repos[i];
		r = &scan->repos[i];
		CU_ASSERT_STRING_EQUAL(r->type, er->type);
		CU_ASSERT_STRING_EQUAL(r->id, er->id);
		CU_ASSERT_STRING_EQUAL(r->folder, er->folder);
		CU_ASSERT_EQUAL(r->size_on_disk, er->size);
		CU_ASSERT_EQUAL(r->nb_files, er->nb_files);
		CU_ASSERT_EQUAL(r->nrevisions, er->nrevisions);
		CU_ASSERT_EQUAL(r->partial_bytes, er->partial);
		if (r->size_on_disk != er->size ||
		    r->nb_files != er->nb_files ||
		    r->partial_bytes != er->partial)
			fprintf(stderr, "\n%s: %s size %ju nb %zu partial "
			    "%ju\n", tc->name, r->folder,
			    (uintmax_t)r->size_on_disk, r->nb_files,
			    (uintmax_t)r->partial_bytes);
	}
	CU_ASSERT_EQUAL(scan->nwarnings, nwarn);
	for (i = 0; tc->warnings[i] != NULL; i++) {
		w = subst(cache, tc->warnings[i]);
		CU_ASSERT(has_warning(scan, w));
		if (!has_warning(scan, w))
			fprintf(stderr, "\n%s: missing warning: %s\n",
			    tc->name, w);
		free(w);
	}
	if (scan->nwarnings != nwarn)
		for (i = 0; i < scan->nwarnings; i++)
			fprintf(stderr, "\n%s: got warning: %s\n", tc->name,
			    scan->warnings[i]);
	CU_ASSERT_EQUAL(scan->size_on_disk, tc->size);
	CU_ASSERT_EQUAL(scan->partial_bytes, tc->partial);
	hfcache_free(&scan);
	CU_ASSERT_PTR_NULL(scan);
	unit_rmtree(tmp);
	free(cache);
	free(tmp);
}

/* HF-HUB.md section 5, verified numbers. */
static const struct fx fx_verified[] = {
	{ 'f', "models--org--name/blobs/b1", "12345" },
	{ 'f', "models--org--name/blobs/b2", "0123456789" },
	{ 'f', "models--org--name/blobs/b3", "abc" },
	{ 'f', "models--org--name/blobs/b4.incomplete", "xyz" },
	{ 'l', "models--org--name/snapshots/rev1/f1", "../../blobs/b1" },
	{ 'l', "models--org--name/snapshots/rev1/f2", "../../blobs/b2" },
	{ 'l', "models--org--name/snapshots/rev2/f1", "../../blobs/b1" },
	{ 'l', "models--org--name/snapshots/rev2/sub/f3", "../../../blobs/b3" },
	{ 'f', "models--org--name/refs/main", "rev2" },
	{ 'f', "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n" },
	{ 'f', ".locks/models--org--name/b1.lock", "" },
	{ 0, NULL, NULL }
};

/* Three revisions sharing blobs; nested refs. */
static const struct fx fx_shared[] = {
	{ 'f', "models--gpt2/blobs/b1", "aaaa" },
	{ 'f', "models--gpt2/blobs/b2", "bbbbbb" },
	{ 'f', "models--gpt2/blobs/b3", "cccccccc" },
	{ 'l', "models--gpt2/snapshots/a/f1", "../../blobs/b1" },
	{ 'l', "models--gpt2/snapshots/a/f2", "../../blobs/b2" },
	{ 'l', "models--gpt2/snapshots/b/f1", "../../blobs/b1" },
	{ 'l', "models--gpt2/snapshots/b/f2", "../../blobs/b2" },
	{ 'l', "models--gpt2/snapshots/b/f3", "../../blobs/b3" },
	{ 'l', "models--gpt2/snapshots/c/f1", "../../blobs/b1" },
	{ 'l', "models--gpt2/snapshots/c/copy-of-f3", "../../blobs/b3" },
	{ 'f', "models--gpt2/refs/main", "c" },
	{ 'f', "models--gpt2/refs/v1.0", "a" },
	{ 'f', "models--gpt2/refs/refs/pr/1", "b" },
	{ 0, NULL, NULL }
};

/* Sub-folders, absolute and odd link texts, a real file, an empty dir. */
static const struct fx fx_subdirs[] = {
	{ 'f', "models--sub/blobs/x", "1" },
	{ 'f', "models--sub/blobs/y", "22" },
	{ 'f', "models--sub/blobs/z", "4444" },
	{ 'f', "models--sub/blobs/w", "88888888" },
	{ 'l', "models--sub/snapshots/r/a/f", "../../../blobs/x" },
	{ 'l', "models--sub/snapshots/r/a/b/g", "../../../../blobs/y" },
	{ 'l', "models--sub/snapshots/r/a/b/c/h", "../../../../../blobs/z" },
	{ 'l', "models--sub/snapshots/r/top", "../../blobs/x" },
	{ 'l', "models--sub/snapshots/r/abs", "@/models--sub/blobs/w" },
	{ 'l', "models--sub/snapshots/r/abs-dup", "@/models--sub/blobs/x" },
	{ 'l', "models--sub/snapshots/r/odd", "./../../blobs/y" },
	{ 'f', "models--sub/snapshots/r/copied.txt", "hello" },
	{ 'd', "models--sub/snapshots/r/emptydir", NULL },
	{ 0, NULL, NULL }
};

/* Broken links (fast and slow path) next to a good repo. */
static const struct fx fx_broken[] = {
	{ 'l', "models--bad/snapshots/r/f", "../../blobs/nope" },
	{ 'f', "models--bad/blobs/b.incomplete", "1234" },
	{ 'f', "models--bad/blobs/orphan", "12345" },
	{ 'f', "models--bad2/blobs/q", "q" },
	{ 'l', "models--bad2/snapshots/r/sub/f", "../../blobs/q" },
	{ 'l', "models--good/snapshots/r/f", "../../blobs/g" },
	{ 'f', "models--good/blobs/g", "ggg" },
	{ 0, NULL, NULL }
};

static const struct fx fx_types[] = {
	{ 'f', "datasets--nyu-mll--glue/blobs/d", "dd" },
	{ 'l', "datasets--nyu-mll--glue/snapshots/r/train.csv",
	    "../../blobs/d" },
	{ 'f', "spaces--org--app/blobs/s", "s" },
	{ 'l', "spaces--org--app/snapshots/r/app.py", "../../blobs/s" },
	{ 'f', "models--gpt2/blobs/m", "mmm" },
	{ 'l', "models--gpt2/snapshots/r/config.json", "../../blobs/m" },
	{ 'f', "kernels--org--k/blobs/k", "k" },
	{ 'l', "kernels--org--k/snapshots/r/k.so", "../../blobs/k" },
	{ 'd', "--noprefix/snapshots", NULL },
	{ 0, NULL, NULL }
};

static const struct fx fx_junk[] = {
	{ 'f', "foo", "not a repo" },
	{ 'd', "bar", NULL },
	{ 'd', ".locks/models--x", NULL },
	{ 'f', "CACHEDIR.TAG", "tag" },
	{ 'f', ".DS_Store", "" },
	{ 'f', "Thumbs.db", "" },
	{ 'd', "models--ok/snapshots", NULL },
	{ 'f', "models--ok/snapshots/.DS_Store", "" },
	{ 0, NULL, NULL }
};

static const struct fx fx_refs[] = {
	{ 'd', "models--r1/snapshots/abc", NULL },
	{ 'f', "models--r1/refs/main", "deadbeef" },
	{ 'd', "models--r2/snapshots/abc", NULL },
	{ 'f', "models--r2/refs/main", "abc\n" },
	{ 'd', "models--r3/snapshots/abc", NULL },
	{ 'f', "models--r3/refs/main", "zzz" },
	{ 'f', "models--r3/refs/dev", "zzz" },
	{ 'f', "models--r3/refs/v1", "it's" },
	{ 'd', "models--r4/snapshots/abc", NULL },
	{ 'f', "models--r4/refs/main", "abc\r\n" },
	{ 'd', "models--r5/snapshots/abc", NULL },
	{ 'f', "models--r5/refs/main", "abc" },
	{ 'f', "models--r5/refs/refs/pr/1", "abc" },
	{ 'f', "models--r5/refs/.DS_Store", "junk" },
	{ 0, NULL, NULL }
};

static const struct fx fx_layout[] = {
	{ 'f', "models--nosnap/blobs/b", "b" },
	{ 'f', "models--nosnap/blobs/b.incomplete", "12" },
	{ 'd', "models--refsfile/snapshots/abc", NULL },
	{ 'f', "models--refsfile/refs", "abc" },
	{ 'f', "models--snapfile/snapshots/afile", "x" },
	{ 'f', "models--snapfile/snapshots/.DS_Store", "" },
	{ 0, NULL, NULL }
};

static const struct fx fx_partial[] = {
	/* How the downloader leaves a download in progress. */
	{ 'd', "models--dl/snapshots", NULL },
	{ 'd', "models--dl/refs", NULL },
	{ 'f', "models--dl/blobs/e.0123abcd.incomplete", "123456" },
	/* Orphan and incomplete blobs next to a referenced one. */
	{ 'f', "models--orph/blobs/b1", "12" },
	{ 'f', "models--orph/blobs/orphan", "1234567" },
	{ 'f', "models--orph/blobs/x.incomplete", "12" },
	{ 'l', "models--orph/snapshots/r/f", "../../blobs/b1" },
	{ 0, NULL, NULL }
};

#define H1	"1111111111111111111111111111111111111111"
#define H2	"2222222222222222222222222222222222222222"

/*
 * What any process of the cache's group may plant: refs that link to a
 * secret, a FIFO ref, a symlinked refs/ or blobs/, a link out of the repo;
 * and what the downloader leaves: a .mm-staging/<commit>/ of links.
 */
static const struct fx fx_hostile[] = {
	{ 'f', ".locks/secret", "JWT_SECRET_KEY=s3cr3t" },
	{ 'f', ".locks/out/x", "outside" },
	{ 'f', "models--hl/blobs/b", "abc" },
	{ 'l', "models--hl/snapshots/" H1 "/f", "../../blobs/b" },
	{ 'l', "models--hl/refs/main", "@/.locks/secret" },
	{ 'f', "models--hl/refs/v1", H1 },
	{ 'f', "models--hf/blobs/b", "abcd" },
	{ 'l', "models--hf/snapshots/" H1 "/f", "../../blobs/b" },
	{ 'p', "models--hf/refs/main", NULL },
	{ 'd', "models--hd/snapshots/" H1, NULL },
	{ 'l', "models--hd/refs", "@/.locks" },
	{ 'd', "models--hq/snapshots/" H1, NULL },
	{ 'f', "models--hq/refs/main", "JWT_SECRET_KEY=s3cr3t" },
	{ 'l', "models--hb/snapshots/r/f", "../../blobs/x" },
	{ 'l', "models--hb/blobs", "@/.locks/out" },
	{ 'f', "models--ho/blobs/b", "b" },
	{ 'l', "models--ho/snapshots/r/f", "@/.locks/out/x" },
	{ 'd', "models--st/snapshots", NULL },
	{ 'd', "models--st/refs", NULL },
	{ 'f', "models--st/blobs/s", "12345" },
	{ 'l', "models--st/.mm-staging/" H1 "/f", "../../blobs/s" },
	{ 'f', "models--st2/blobs/a", "1" },
	{ 'f', "models--st2/blobs/b2", "22" },
	{ 'l', "models--st2/snapshots/r/f", "../../blobs/a" },
	{ 'l', "models--st2/.mm-staging/" H2 "/g", "../../blobs/b2" },
	{ 0, NULL, NULL }
};

static const struct scancase cases[] = {
	{ "verified", fx_verified,
	    { { "model", "org/name", "models--org--name", 18, 3, 2, 3 } },
	    { NULL }, 18, 3 },
	{ "shared", fx_shared,
	    { { "model", "gpt2", "models--gpt2", 18, 3, 3, 0 } },
	    { NULL }, 18, 0 },
	{ "subdirs", fx_subdirs,
	    { { "model", "sub", "models--sub", 20, 5, 1, 0 } },
	    { NULL }, 20, 0 },
	{ "broken", fx_broken,
	    { { "model", "good", "models--good", 3, 1, 1, 0 } },
	    { "Blob missing (broken symlink): @/models--bad/blobs/nope",
	      "Blob missing (broken symlink): "
	      "@/models--bad2/snapshots/blobs/q", NULL },
	    3, 4 },
	{ "types", fx_types,
	    { { "dataset", "nyu-mll/glue", "datasets--nyu-mll--glue",
		2, 1, 1, 0 },
	      { "model", "gpt2", "models--gpt2", 3, 1, 1, 0 },
	      { "space", "org/app", "spaces--org--app", 1, 1, 1, 0 } },
	    { "Repo type must be `dataset`, `model` or `space`, found "
	      "`kernel` (@/kernels--org--k).",
	      "Repo type must be `dataset`, `model` or `space`, found "
	      "`` (@/--noprefix).", NULL },
	    6, 0 },
	{ "junk", fx_junk,
	    { { "model", "ok", "models--ok", 0, 0, 0, 0 } },
	    { "Repo path is not a directory: @/foo",
	      "Repo path is not a valid HuggingFace cache directory: @/bar",
	      NULL },
	    0, 0 },
	{ "refs", fx_refs,
	    { { "model", "r5", "models--r5", 0, 0, 1, 0 } },
	    { "Reference(s) refer to missing commit hashes: "
	      "{<not a commit hash>: {'main'}} (@/models--r1).",
	      "Reference(s) refer to missing commit hashes: "
	      "{<not a commit hash>: {'main'}} (@/models--r2).",
	      "Reference(s) refer to missing commit hashes: "
	      "{<not a commit hash>: {'dev', 'main', 'v1'}} (@/models--r3).",
	      "Reference(s) refer to missing commit hashes: "
	      "{<not a commit hash>: {'main'}} (@/models--r4).", NULL },
	    0, 0 },
	{ "layout", fx_layout,
	    { { NULL, NULL, NULL, 0, 0, 0, 0 } },
	    { "Snapshots dir doesn't exist in cached repo: "
	      "@/models--nosnap/snapshots",
	      "Refs directory cannot be a file: @/models--refsfile/refs",
	      "Snapshots folder corrupted. Found a file: "
	      "@/models--snapfile/snapshots/afile", NULL },
	    0, 2 },
	{ "partial", fx_partial,
	    { { "model", "dl", "models--dl", 0, 0, 0, 6 },
	      { "model", "orph", "models--orph", 2, 1, 1, 9 } },
	    { NULL }, 2, 15 },
	{ "hostile", fx_hostile,
	    { { "model", "hd", "models--hd", 0, 0, 1, 0 },
	      { "model", "hf", "models--hf", 4, 1, 1, 0 },
	      { "model", "hl", "models--hl", 3, 1, 1, 0 },
	      { "model", "st", "models--st", 0, 0, 0, 5 },
	      { "model", "st2", "models--st2", 1, 1, 1, 2 } },
	    { "Refs ignored, a symlink or not a regular file: "
	      "@/models--hl/refs/main",
	      "Refs ignored, a symlink or not a regular file: "
	      "@/models--hf/refs/main",
	      "Refs ignored, a symlink or not a regular file: "
	      "@/models--hd/refs",
	      "Reference(s) refer to missing commit hashes: "
	      "{<not a commit hash>: {'main'}} (@/models--hq).",
	      "Blobs dir is a symlink or not a directory in cached repo: "
	      "@/models--hb/blobs",
	      "Snapshot link outside the repo's blobs: "
	      "@/models--ho/snapshots/r/f", NULL },
	    8, 7 },
};

static void
test_verified(void)
{

	run_case(&cases[0]);
}

static void
test_shared(void)
{

	run_case(&cases[1]);
}

static void
test_subdirs(void)
{

	run_case(&cases[2]);
}

static void
test_broken(void)
{

	run_case(&cases[3]);
}

static void
test_types(void)
{

	run_case(&cases[4]);
}

static void
test_junk(void)
{

	run_case(&cases[5]);
}

static void
test_refs(void)
{

	run_case(&cases[6]);
}

static void
test_layout(void)
{

	run_case(&cases[7]);
}

static void
test_partial(void)
{

	run_case(&cases[8]);
}

static void
test_hostile(void)
{

	run_case(&cases[9]);
}

static void
test_missing_and_file(void)
{
	struct hfscan	*scan = NULL;
	char		 errbuf[512], *tmp, *cache, *path, *want;
	enum err	 e;

	cache = new_cache(&tmp);

	/* Missing directory: an empty cache. */
	if (asprintf(&path, "%s/nope/hub", cache) == -1)
		abort();
	e = hfcache_scan(path, &scan, errbuf, sizeof(errbuf));
	CU_ASSERT_EQUAL(e, ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(scan);
	CU_ASSERT_EQUAL(scan->n, 0);
	CU_ASSERT_EQUAL(scan->nwarnings, 0);
	CU_ASSERT_EQUAL(scan->size_on_disk, 0);
	hfcache_free(&scan);
	free(path);

	/* A file instead of a directory. */
	if (asprintf(&path, "%s/file", cache) == -1)
		abort();
	unit_write_file(path, "x", 1);
	errbuf[0] = '\0';
	e = hfcache_scan(path, &scan, errbuf, sizeof(errbuf));
	CU_ASSERT_EQUAL(e, ERR_IO);
	CU_ASSERT_PTR_NULL(scan);
	if (asprintf(&want, "Scan cache expects a directory but found a "
	    "file: %s", path) == -1)
		abort();
	CU_ASSERT_STRING_EQUAL(errbuf, want);
	free(want);
	free(path);

	/* An empty existing directory. */
	e = hfcache_scan(cache, &scan, errbuf, sizeof(errbuf));
	CU_ASSERT_EQUAL(e, ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(scan);
	CU_ASSERT_EQUAL(scan->n, 0);
	CU_ASSERT_EQUAL(scan->nwarnings, 1);	/* "file" is junk */
	hfcache_free(&scan);
	hfcache_free(&scan);			/* NULL is fine */
	hfcache_free(NULL);

	/* Unreadable: only meaningful when permissions apply to us. */
	if (geteuid() != 0) {
		CU_ASSERT_EQUAL(chmod(cache, 0), 0);
		e = hfcache_scan(cache, &scan, errbuf, sizeof(errbuf));
		CU_ASSERT_EQUAL(e, ERR_IO);
		CU_ASSERT_PTR_NULL(scan);
		CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, strerror(EACCES)));
		(void)chmod(cache, 0755);
	}

	unit_rmtree(tmp);
	free(cache);
	free(tmp);
}

static void
test_find(void)
{
	static const struct {
		const char	*type;
		const char	*id;
		const char	*folder;	/* NULL: a miss */
	} finds[] = {
		{ "model", "gpt2", "models--gpt2" },
		{ "dataset", "nyu-mll/glue", "datasets--nyu-mll--glue" },
		{ "space", "org/app", "spaces--org--app" },
		{ "model", "glue", NULL },
		{ "dataset", "gpt2", NULL },
		{ "model", "nyu-mll/glue", NULL },
		{ "kernel", "org/k", NULL },
		{ "model", "", NULL },
		{ "model", "gpt", NULL },
		{ "space", "org/apps", NULL },
	};
	struct hfscan		*scan = NULL;
	const struct hfrepo	*r;
	char			 errbuf[256], *tmp, *cache;
	size_t			 i;

	cache = new_cache(&tmp);
	fx_build(cache, fx_types);
	CU_ASSERT_EQUAL_FATAL(hfcache_scan(cache, &scan, errbuf,
	    sizeof(errbuf)), ERR_OK);
	for (i = 1; i < scan->n; i++) {
		CU_ASSERT(strcmp(scan->repos[i - 1].type,
		    scan->repos[i].type) < 0 ||
		    (strcmp(scan->repos[i - 1].type, scan->repos[i].type) == 0
		    && strcmp(scan->repos[i - 1].id, scan->repos[i].id) < 0));
	}
	for (i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
		r = hfcache_find(scan, finds[i].type, finds[i].id);
		if (finds[i].folder == NULL) {
			CU_ASSERT_PTR_NULL(r);
		} else {
			CU_ASSERT_PTR_NOT_NULL(r);
			if (r != NULL) {
				CU_ASSERT_STRING_EQUAL(r->folder,
				    finds[i].folder);
			}
		}
	}
	CU_ASSERT_PTR_NULL(hfcache_find(NULL, "model", "gpt2"));
	hfcache_free(&scan);
	unit_rmtree(tmp);
	free(cache);
	free(tmp);
}

/* Symlinks are never followed while walking, only to stat blobs. */
static void
test_nofollow(void)
{
	struct hfscan		*scan = NULL;
	const struct hfrepo	*r;
	char			 errbuf[256], *tmp, *cache, *otmp, *outside;
	char			*p, *q, *want;

	cache = new_cache(&tmp);
	outside = new_cache(&otmp);
	fx_build(outside, fx_verified);

	/* A repo folder that is a symlink to a repo elsewhere. */
	if (asprintf(&p, "%s/models--org--name", outside) == -1 ||
	    asprintf(&q, "%s/models--link", cache) == -1)
		abort();
	CU_ASSERT_EQUAL_FATAL(symlink(p, q), 0);
	free(q);
	/* A sub-folder of a revision that links out of the cache: not
	 * followed, the repo is corrupted. */
	if (asprintf(&q, "%s/models--ext/snapshots/r/sub", cache) == -1)
		abort();
	if (asprintf(&want, "%s/models--ext/snapshots/r", cache) == -1)
		abort();
	mkdirs(want);
	free(want);
	CU_ASSERT_EQUAL_FATAL(symlink(p, q), 0);
	free(q);
	free(p);
	/* So is a link to a blob outside the cache. */
	if (asprintf(&p, "%s/models--org--name/blobs/b2", outside) == -1 ||
	    asprintf(&q, "%s/models--ext2/snapshots/r/ext", cache) == -1 ||
	    asprintf(&want, "%s/models--ext2/snapshots/r", cache) == -1)
		abort();
	mkdirs(want);
	free(want);
	CU_ASSERT_EQUAL_FATAL(symlink(p, q), 0);
	free(q);
	free(p);
	if (asprintf(&p, "%s/models--in/blobs/b", cache) == -1)
		abort();
	unit_write_file(p, "b", 1);
	free(p);
	if (asprintf(&p, "%s/models--in/snapshots/r", cache) == -1 ||
	    asprintf(&q, "%s/f", p) == -1)
		abort();
	mkdirs(p);
	free(p);
	CU_ASSERT_EQUAL_FATAL(symlink("../../blobs/b", q), 0);
	free(q);

	CU_ASSERT_EQUAL_FATAL(hfcache_scan(cache, &scan, errbuf,
	    sizeof(errbuf)), ERR_OK);
	CU_ASSERT_EQUAL(scan->n, 1);
	r = hfcache_find(scan, "model", "in");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->nb_files, 1);
	CU_ASSERT_EQUAL(r->size_on_disk, 1);
	CU_ASSERT_EQUAL(r->nrevisions, 1);
	CU_ASSERT_EQUAL_FATAL(scan->nwarnings, 3);
	if (asprintf(&want, "Repo path is not a directory: %s/models--link",
	    cache) == -1)
		abort();
	CU_ASSERT(has_warning(scan, want));
	free(want);
	if (asprintf(&want, "Snapshot link outside the repo's blobs: "
	    "%s/models--ext/snapshots/r/sub", cache) == -1)
		abort();
	CU_ASSERT(has_warning(scan, want));
	free(want);
	if (asprintf(&want, "Snapshot link outside the repo's blobs: "
	    "%s/models--ext2/snapshots/r/ext", cache) == -1)
		abort();
	CU_ASSERT(has_warning(scan, want));
	free(want);
	hfcache_free(&scan);

	/* Scanning through a symlinked cache dir reports resolved paths. */
	if (asprintf(&p, "%s/alias", tmp) == -1)
		abort();
	CU_ASSERT_EQUAL_FATAL(symlink(cache, p), 0);
	CU_ASSERT_EQUAL_FATAL(hfcache_scan(p, &scan, errbuf,
	    sizeof(errbuf)), ERR_OK);
	CU_ASSERT_EQUAL(scan->n, 1);
	CU_ASSERT_EQUAL_FATAL(scan->nwarnings, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(scan->warnings[0], cache));
	hfcache_free(&scan);
	free(p);

	unit_rmtree(otmp);
	unit_rmtree(tmp);
	free(outside);
	free(otmp);
	free(cache);
	free(tmp);
}

/* Hard limit on directory depth: a warning, other repos unaffected. */
static void
test_depth_limit(void)
{
	struct hfscan	*scan = NULL;
	char		 errbuf[256], *tmp, *cache, *p, *q;
	size_t		 i;

	cache = new_cache(&tmp);
	if (asprintf(&p, "%s/models--deep/snapshots/r", cache) == -1)
		abort();
	for (i = 0; i < 80; i++) {
		if (asprintf(&q, "%s/d", p) == -1)
			abort();
		free(p);
		p = q;
	}
	mkdirs(p);
	free(p);
	if (asprintf(&p, "%s/models--ok/snapshots/r", cache) == -1)
		abort();
	mkdirs(p);
	free(p);

	CU_ASSERT_EQUAL_FATAL(hfcache_scan(cache, &scan, errbuf,
	    sizeof(errbuf)), ERR_OK);
	CU_ASSERT_EQUAL(scan->n, 1);
	CU_ASSERT_PTR_NOT_NULL(hfcache_find(scan, "model", "ok"));
	CU_ASSERT_PTR_NULL(hfcache_find(scan, "model", "deep"));
	CU_ASSERT_EQUAL_FATAL(scan->nwarnings, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(scan->warnings[0],
	    "Directory too deep in cached repo: "));
	hfcache_free(&scan);
	unit_rmtree(tmp);
	free(cache);
	free(tmp);
}

/* A file 33 directories deep and one whose path inside the repo is
 * longer than PATH_MAX (the downloader takes paths up to 4096 bytes). */
static void
test_long_paths(void)
{
	struct hfscan		*scan = NULL;
	const struct hfrepo	*r;
	char			 errbuf[256], link[128], *tmp, *cache, *p;
	int			 fd, i;

	cache = new_cache(&tmp);
	if (asprintf(&p, "%s/models--long/blobs/b", cache) == -1)
		abort();
	unit_write_file(p, "12", 2);
	p[strlen(p) - 1] = 'c';
	unit_write_file(p, "345", 3);
	free(p);
	if (asprintf(&p, "%s/models--long/snapshots/" H1, cache) == -1)
		abort();
	mkdirs(p);
	fd = unit_nest(open(p, O_RDONLY | O_DIRECTORY), 33, 3);
	for (i = 0, link[0] = '\0'; i < 35; i++)
		strcat(link, "../");
	CU_ASSERT_EQUAL(symlinkat(strcat(link, "blobs/b"), fd, "deep"), 0);
	close(fd);
	fd = unit_nest(open(p, O_RDONLY | O_DIRECTORY), 16, 253);
	for (i = 0, link[0] = '\0'; i < 18; i++)
		strcat(link, "../");
	CU_ASSERT_EQUAL(symlinkat(strcat(link, "blobs/c"), fd, "long.bin"),
	    0);
	close(fd);
	free(p);
	CU_ASSERT_EQUAL_FATAL(hfcache_scan(cache, &scan, errbuf,
	    sizeof(errbuf)), ERR_OK);
	CU_ASSERT_EQUAL(scan->nwarnings, 0);
	r = hfcache_find(scan, "model", "long");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->nb_files, 2);
	CU_ASSERT_EQUAL(r->size_on_disk, 5);
	hfcache_free(&scan);
	unit_rmtree(tmp);
	free(cache);
	free(tmp);
}

static const struct unit_test tests[] = {
	{ "verified example: 2 revisions, 3 blobs, incomplete", test_verified },
	{ "several revisions sharing blobs, nested refs", test_shared },
	{ "sub-folders, absolute/odd links, real file", test_subdirs },
	{ "broken symlinks: warning, repo excluded", test_broken },
	{ "dataset, space, model; kernel and empty type warn", test_types },
	{ "top-level junk warns, .locks/CACHEDIR.TAG skipped", test_junk },
	{ "refs: missing commit, newline, grouping, nested", test_refs },
	{ "no snapshots/, refs file, file in snapshots/", test_layout },
	{ "empty snapshots/ valid; orphans and incomplete", test_partial },
	{ "hostile refs, blobs/, links; .mm-staging", test_hostile },
	{ "missing dir, file instead of dir, unreadable",
	    test_missing_and_file },
	{ "hfcache_find hits and misses, sort order", test_find },
	{ "symlinks are not followed while walking", test_nofollow },
	{ "directory depth limit", test_depth_limit },
	{ "33 levels deep, a path past PATH_MAX", test_long_paths },
	{ NULL, NULL }
};

UNIT_SUITE("hfcache", NULL, NULL, tests)
