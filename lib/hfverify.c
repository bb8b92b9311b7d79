/*
 * Verifying a repo's revisions (hfverify.h): the files come from the
 * cache doctor's walk (hfdoctor.h, its on_file hook), the expected sizes
 * and blobs from trees/<commit>.json, the rest from hashing each
 * distinct blob once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "array.h"
#include "dirat.h"
#include "fdio.h"
#include "hex.h"
#include "hfdoctor.h"
#include "hfverify.h"
#include "hfwrite.h"
#include "hubname.h"

#define NONE		((size_t)-1)
#define FILES_MAX	(1u << 24)

static const char *const kind_names[] = {
	[HFV_OK] = "ok",
	[HFV_CORRUPT] = "corrupt",
	[HFV_MISSING_BLOB] = "missing_blob",
	[HFV_BROKEN_LINK] = "broken_link",
	[HFV_WRONG_SIZE] = "wrong_size",
	[HFV_UNCHECKED] = "unchecked",
};

/* The listing of one commit: path, size and blob of each file. */
struct tentry {
	const char	*path;
	const char	*etag;
	uint64_t	 size;
};

struct collect {
	struct hfv_plan	*p;
	size_t		 capfiles, caprevs;
	uint64_t	*sizes;		/* per file: its blob's size */
	size_t		 capsizes;
};

const char *
hfverify_kind_str(enum hfv_kind k)
{

	return (unsigned)k <= HFV_UNCHECKED ? kind_names[k] : "";
}

/* ---------------------------------------------------------------------
 * The files, from the doctor's walk
 */

/* The revision rev, the plan's last one or a new one. */
static char *
plan_rev(struct collect *c, const char *rev)
{
	struct hfv_plan	*p = c->p;

	if (p->nrevs > 0 && strcmp(p->revs[p->nrevs - 1], rev) == 0)
		return p->revs[p->nrevs - 1];
	if (array_grow(&p->revs, &c->caprevs, p->nrevs + 1, sizeof(*p->revs),
	    FILES_MAX) != ERR_OK)
		return NULL;
	if ((p->revs[p->nrevs] = strdup(rev)) == NULL)
		return NULL;
	return p->revs[p->nrevs++];
}

/* What a file is before any hashing. */
static enum hfv_kind
first_state(const struct hfdoc_file *f)
{

	if (!f->link)
		return HFV_UNCHECKED;
	if (f->blob == NULL)
		return HFV_BROKEN_LINK;
	return f->present ? HFV_OK : HFV_MISSING_BLOB;
}

/* hfdoc_opts.on_file: one more file of the plan. */
static int
on_file(void *arg, const struct hfdoc_file *f)
{
	struct collect	*c = arg;
	struct hfv_plan	*p = c->p;
	struct hfv_file	*v;

	if (array_grow(&p->files, &c->capfiles, p->nfiles + 1,
	    sizeof(*p->files), FILES_MAX) != ERR_OK ||
	    array_grow(&c->sizes, &c->capsizes, p->nfiles + 1,
	    sizeof(*c->sizes), FILES_MAX) != ERR_OK)
		return -1;
	v = &p->files[p->nfiles];
	memset(v, 0, sizeof(*v));
	v->bi = NONE;
	v->expected_size = HFVERIFY_SIZE_UNKNOWN;
	v->state = first_state(f);
	c->sizes[p->nfiles] = f->size;
	if ((v->rev = plan_rev(c, f->rev)) == NULL ||
	    (v->path = strdup(f->path)) == NULL ||
	    (f->blob != NULL && (v->blob = strdup(f->blob)) == NULL)) {
		free(v->path);
		return -1;
	}
	p->nfiles++;
	return 0;
}

static int
cmp_blob(const void *a, const void *b)
{

	return strcmp(((const struct hfv_blob *)a)->name,
	    ((const struct hfv_blob *)b)->name);
}

/* The blob called name, or NONE. */
static size_t
blob_index(const struct hfv_plan *p, const char *name)
{
	struct hfv_blob	 key, *b;

	key.name = (char *)(uintptr_t)name;
	b = bsearch(&key, p->blobs, p->nblobs, sizeof(*p->blobs), cmp_blob);
	return b != NULL ? (size_t)(b - p->blobs) : NONE;
}

static int
cmp_name(const void *a, const void *b)
{

	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct blobs of the files that have one (names sorted, with
 * their sizes), and each file's. */
static enum err
plan_blobs(struct hfv_plan *p, const uint64_t *sizes)
{
	const char	**names;
	size_t		 i, n = 0;

	if ((names = calloc(p->nfiles + 1, sizeof(*names))) == NULL ||
	    (p->blobs = calloc(p->nfiles + 1, sizeof(*p->blobs))) == NULL) {
		free(names);
		return ERR_NOMEM;
	}
	for (i = 0; i < p->nfiles; i++)
		if (p->files[i].state == HFV_OK)
			names[n++] = p->files[i].blob;
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		if (p->nblobs > 0 && strcmp(names[i],
		    p->blobs[p->nblobs - 1].name) == 0)
			continue;
		if ((p->blobs[p->nblobs].name = strdup(names[i])) == NULL)
			break;
		p->nblobs++;
	}
	free(names);
	if (i < n)
		return ERR_NOMEM;
	for (i = 0; i < p->nfiles; i++) {
		if (p->files[i].state != HFV_OK)
			continue;
		p->files[i].bi = blob_index(p, p->files[i].blob);
		p->blobs[p->files[i].bi].size = sizes[i];
	}
	return ERR_OK;
}

/* ---------------------------------------------------------------------
 * trees/<commit>.json
 */

static int
cmp_tentry(const void *a, const void *b)
{

	return strcmp(((const struct tentry *)a)->path,
	    ((const struct tentry *)b)->path);
}

/* A number member of o, or fallback. */
static uint64_t
num_of(const cJSON *o, const char *name, uint64_t fallback)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 9007199254740992.0)
		return fallback;
	return (uint64_t)v->valuedouble;
}

/* The files of a listing as sorted entries (borrowing from files). */
static struct tentry *
tree_entries(const cJSON *files, size_t *n)
{
	const cJSON	*f, *lfs, *oid;
	struct tentry	*v;
	size_t		 k = 0;

	*n = (size_t)cJSON_GetArraySize(files);
	if ((v = calloc(*n + 1, sizeof(*v))) == NULL)
		return NULL;
	cJSON_ArrayForEach(f, files) {
		lfs = cJSON_GetObjectItemCaseSensitive(f, "lfs_sha256");
		oid = cJSON_IsString(lfs) ? lfs :
		    cJSON_GetObjectItemCaseSensitive(f, "blob_id");
		if (f->string == NULL || !cJSON_IsString(oid))
			continue;
		v[k].path = f->string;
		v[k].etag = oid->valuestring;
		v[k++].size = num_of(f, cJSON_IsString(lfs) ? "lfs_size" :
		    "size", HFVERIFY_SIZE_UNKNOWN);
	}
	*n = k;
	qsort(v, k, sizeof(*v), cmp_tentry);
	return v;
}

/* The listing of rev, parsed; NULL when there is none (or too big). */
static cJSON *
tree_read(int treesfd, const char *rev)
{
	char	 name[128], *buf;
	size_t	 len;
	cJSON	*root = NULL;

	if (treesfd == -1 || snprintf(name, sizeof(name), "%s.json", rev) >=
	    (int)sizeof(name) || (buf = malloc(HFVERIFY_TREES_MAX + 1)) ==
	    NULL)
		return NULL;
	if (fdio_read_regular(treesfd, name, buf, HFVERIFY_TREES_MAX + 1,
	    &len) == 0 && len <= HFVERIFY_TREES_MAX)
		root = cJSON_ParseWithLength(buf, len);
	free(buf);
	return root;
}

/* What the listing says of the file v of its revision. */
static void
tree_check(struct hfv_plan *p, struct hfv_file *v, const struct tentry *t,
    size_t nt)
{
	struct tentry	 key, *e;

	key.path = v->path;
	if ((e = bsearch(&key, t, nt, sizeof(*t), cmp_tentry)) == NULL ||
	    (v->expected = strdup(e->etag)) == NULL)
		return;
	v->expected_size = e->size;
	if (v->blob != NULL && strcmp(v->blob, e->etag) != 0) {
		v->state = HFV_BROKEN_LINK;
		return;
	}
	if (v->state == HFV_OK && e->size != HFVERIFY_SIZE_UNKNOWN &&
	    p->blobs[v->bi].size != e->size)
		p->blobs[v->bi].state = HFV_WRONG_SIZE;
}

/* Checks the files of revision rev against its listing; 0 when there is
 * none. */
static int
plan_tree(struct hfv_plan *p, int treesfd, const char *rev)
{
	struct tentry	*t;
	size_t		 i, nt;
	cJSON		*root;

	if ((root = tree_read(treesfd, rev)) == NULL)
		return 0;
	t = tree_entries(cJSON_GetObjectItemCaseSensitive(root, "files"), &nt);
	for (i = 0; t != NULL && i < p->nfiles; i++)
		if (strcmp(p->files[i].rev, rev) == 0)
			tree_check(p, &p->files[i], t, nt);
	free(t);
	cJSON_Delete(root);
	return t != NULL;
}

/* The listings, then which blobs are to be hashed. */
static void
plan_hashes(struct hfv_plan *p, int repofd)
{
	size_t	 i;
	int	 treesfd = dirat_fd(repofd, "trees"), known = 1;

	for (i = 0; i < p->nrevs; i++)
		known &= plan_tree(p, treesfd, p->revs[i]);
	p->sizes_known = known && p->nrevs > 0;
	if (treesfd != -1)
		close(treesfd);
	for (i = 0; i < p->nblobs; i++) {
		if (p->blobs[i].state != HFV_OK)
			continue;
		if (hubname_is_oid(p->blobs[i].name) != 0) {
			p->blobs[i].state = HFV_UNCHECKED;
			continue;
		}
		p->blobs[i].hash = 1;
		p->bytes += p->blobs[i].size;
	}
}

enum err
hfverify_plan(int cachefd, const char *folder, struct hfv_plan *out)
{
	struct collect		 c;
	struct hfdoc_opts	 o;
	struct hfdoc_repo	 r;
	enum err		 e;
	int			 repofd;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));
	c.p = out;
	o.on_file = on_file;
	o.arg = &c;
	e = hfdoc_repo_scan(cachefd, folder, &o, &r);
	hfdoc_repo_free(&r);
	if (e == ERR_OK)
		e = plan_blobs(out, c.sizes);
	free(c.sizes);
	if (e == ERR_OK && (repofd = dirat_fd(cachefd, folder)) != -1) {
		plan_hashes(out, repofd);
		close(repofd);
	}
	if (e != ERR_OK)
		hfverify_free(out);
	return e;
}

/* ---------------------------------------------------------------------
 * Hashing
 */

/* Reads fd to its end into md through buf; ERR_TIMEOUT when tick says
 * stop, ERR_IO on a read error. */
static enum err
hash_fd(int fd, EVP_MD_CTX *md, void *buf, size_t len,
    int (*tick)(void *, uint64_t), void *arg)
{
	ssize_t	 n;

	for (;;) {
		if ((n = read(fd, buf, len)) == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return ERR_IO;
		if (n == 0)
			return ERR_OK;
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
			return ERR_NOMEM;
		if (tick != NULL && tick(arg, (uint64_t)n) != 0)
			return ERR_TIMEOUT;
	}
}

/* Finishes md and compares it with b's name. */
static enum err
hash_verdict(EVP_MD_CTX *md, struct hfv_blob *b)
{
	unsigned char	 dig[EVP_MAX_MD_SIZE];
	unsigned	 n;

	if (EVP_DigestFinal_ex(md, dig, &n) != 1)
		return ERR_NOMEM;
	hex_encode(dig, n, b->actual);
	b->state = strcmp(b->actual, b->name) == 0 ? HFV_OK : HFV_CORRUPT;
	return ERR_OK;
}

enum err
hfverify_blob(int blobsfd, struct hfv_blob *b, void *buf, size_t len,
    int (*tick)(void *arg, uint64_t n), void *arg)
{
	EVP_MD_CTX	*md = NULL;
	struct stat	 st;
	enum err	 e = ERR_NOMEM;
	int		 fd;

	if ((fd = openat(blobsfd, b->name, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) == -1 || fstat(fd, &st) ==
	    -1 || !S_ISREG(st.st_mode)) {
		b->state = HFV_MISSING_BLOB;
		e = ERR_OK;
		goto out;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((md = EVP_MD_CTX_new()) == NULL || hfwrite_hash_begin(md,
	    strlen(b->name) == 64, (uint64_t)st.st_size) == -1)
		goto out;
	if ((e = hash_fd(fd, md, buf, len, tick, arg)) == ERR_OK)
		e = hash_verdict(md, b);
out:
	EVP_MD_CTX_free(md);
	if (fd != -1)
		close(fd);
	return e;
}

void
hfverify_settle(struct hfv_plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nfiles; i++)
		if (p->files[i].state == HFV_OK && p->files[i].bi != NONE)
			p->files[i].state = p->blobs[p->files[i].bi].state;
}

void
hfverify_free(struct hfv_plan *p)
{
	size_t	 i;

	for (i = 0; i < p->nfiles; i++) {
		free(p->files[i].path);
		free(p->files[i].blob);
		free(p->files[i].expected);
	}
	free(p->files);
	for (i = 0; i < p->nblobs; i++)
		free(p->blobs[i].name);
	free(p->blobs);
	for (i = 0; i < p->nrevs; i++)
		free(p->revs[i]);
	free(p->revs);
	memset(p, 0, sizeof(*p));
}
