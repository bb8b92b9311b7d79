/*
 * The metadata of a snapshot download (HF-HUB.md section 3): the commit
 * of the revision, then the commit's recursive tree listing, page after
 * page, checked (safe, unique paths; hex object ids; sane sizes) and
 * grouped into the distinct blobs to fetch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "array.h"
#include "hubdl.h"
#include "hubfetch.h"
#include "hubhttp.h"
#include "hubmeta.h"
#include "hubname.h"
#include "valid.h"

#define LISTING_FILES_MAX	200000
#define TREE_PAGES_MAX		100000
#define TREE_PAGE_MAX		(64UL * 1024 * 1024)
#define REVISION_BODY_MAX	(16UL * 1024 * 1024)
#define SIZE_MAX_JSON		9007199254740992.0	/* 2^53 */

static void
meta_call(struct hubdl *d, CURL *e, struct hubhttp_hdrs *h, struct hubfetch_call *c)
{

	c->opts = &d->http;
	c->ectx = &d->ectx;
	c->easy = e;
	c->hdrs = h;
	c->stop = hubdl_stop_cb;
	c->stop_arg = d;
}

/* The commit of the revision answer body (len bytes) into d->commit. */
static enum err
meta_revision_body(struct hubdl *d, const char *body, size_t len)
{
	cJSON		*root;
	const cJSON	*sha;
	enum err	 rc = ERR_OK;

	root = strlen(body) != len ? NULL :
	    cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1);
	sha = cJSON_GetObjectItemCaseSensitive(root, "sha");
	if (!cJSON_IsString(sha) || hubname_is_commit(sha->valuestring) ==
	    -1)
		rc = hubdl_fail(d, ERR_INVAL, "The hub answered no valid commit "
		    "hash for %s at revision %s", d->repo_id, d->revision);
	else
		memcpy(d->commit, sha->valuestring, sizeof(d->commit));
	cJSON_Delete(root);
	return rc;
}

static enum err
meta_resolve(struct hubdl *d, CURL *e, struct hubhttp_hdrs *h)
{
	struct hubfetch_call	 c;
	char			 rev[3 * HUBNAME_REV_MAX + 1], *url = NULL;
	char			*body = NULL;
	size_t			 len;
	enum err		 rc;

	if (hubname_is_commit(d->revision) == 0) {
		memcpy(d->commit, d->revision, sizeof(d->commit));
		return ERR_OK;
	}
	meta_call(d, e, h, &c);
	if (hubname_quote(d->revision, 0, rev, sizeof(rev)) == -1 ||
	    asprintf(&url, "%s/api/models/%s/revision/%s", d->endpoint,
	    d->repo_id, rev) == -1) {
		url = NULL;
		rc = hubdl_fail(d, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = hubfetch_get(&c, url, REVISION_BODY_MAX, &body, &len, NULL,
	    d->msg, d->msglen)) != ERR_OK) {
		d->err = rc;
		goto out;
	}
	rc = meta_revision_body(d, body, len);
out:
	free(body);
	free(url);
	return rc;
}

/* A JSON number that is an integer in [0, 2^53]. */
static int
json_size(const cJSON *n, uint64_t *out)
{

	if (!cJSON_IsNumber(n) || n->valuedouble < 0 ||
	    n->valuedouble > SIZE_MAX_JSON ||
	    n->valuedouble != (double)(uint64_t)n->valuedouble)
		return -1;
	*out = (uint64_t)n->valuedouble;
	return 0;
}

static enum err
meta_bad_entry(struct hubdl *d, const char *what, const char *path)
{
	char	 c[256];

	return hubdl_fail(d, ERR_INVAL, "The hub's listing of %s at %s has %s "
	    "(\"%s\"): refusing the whole listing", d->repo_id, d->commit,
	    what, path != NULL ? hubname_clean(c, sizeof(c), path) : "?");
}

/* Fills f from the tree entry of a file whose path is valid. */
static enum err
meta_entry_file(struct hubdl *d, const cJSON *it, const char *path,
    struct hfile *f)
{
	const cJSON	*oid, *lfs, *loid, *xet;

	oid = cJSON_GetObjectItemCaseSensitive(it, "oid");
	lfs = cJSON_GetObjectItemCaseSensitive(it, "lfs");
	xet = cJSON_GetObjectItemCaseSensitive(it, "xetHash");
	if (json_size(cJSON_GetObjectItemCaseSensitive(it, "size"),
	    &f->size) == -1)
		return meta_bad_entry(d, "an invalid size for", path);
	if (!cJSON_IsString(oid) || hubname_is_commit(oid->valuestring) == -1)
		return meta_bad_entry(d, "an invalid object id for", path);
	memcpy(f->oid, oid->valuestring, sizeof(f->oid));
	if (lfs != NULL && !cJSON_IsNull(lfs)) {
		loid = cJSON_GetObjectItemCaseSensitive(lfs, "oid");
		if (!cJSON_IsString(loid) || strlen(loid->valuestring) != 64 ||
		    hubname_is_oid(loid->valuestring) == -1 ||
		    json_size(cJSON_GetObjectItemCaseSensitive(lfs, "size"),
		    &f->lfs_size) == -1)
			return meta_bad_entry(d, "invalid LFS data for", path);
		memcpy(f->lfs_oid, loid->valuestring, sizeof(f->lfs_oid));
	}
	if (cJSON_IsString(xet) && strlen(xet->valuestring) <= 256 &&
	    valid_utf8(xet->valuestring, strlen(xet->valuestring)) == 0 &&
	    (f->xet = strdup(xet->valuestring)) == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	if ((f->path = strdup(path)) == NULL)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	return ERR_OK;
}

static enum err
meta_entry(struct hubdl *d, const cJSON *it)
{
	const cJSON	*type, *path;
	struct hfile	*nf;
	enum err	 rc;

	type = cJSON_GetObjectItemCaseSensitive(it, "type");
	path = cJSON_GetObjectItemCaseSensitive(it, "path");
	if (!cJSON_IsString(type) || !cJSON_IsString(path))
		return meta_bad_entry(d, "an entry without type or path", NULL);
	if (hubname_valid_filename(path->valuestring) == -1)
		return meta_bad_entry(d, "an unsafe path", path->valuestring);
	if (strcmp(type->valuestring, "file") != 0)
		return ERR_OK;		/* directories make no entry */
	if ((rc = array_grow(&d->files, &d->capfiles, d->nfiles + 1,
	    sizeof(*d->files), LISTING_FILES_MAX)) == ERR_TOOBIG)
		return hubdl_fail(d, ERR_TOOBIG, "The listing of %s has more "
		    "than %d files", d->repo_id, LISTING_FILES_MAX);
	if (rc != ERR_OK)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	nf = &d->files[d->nfiles];
	memset(nf, 0, sizeof(*nf));
	if (meta_entry_file(d, it, path->valuestring, nf) != ERR_OK) {
		free(nf->path);
		free(nf->xet);
		return d->err;
	}
	d->nfiles++;
	return ERR_OK;
}

static enum err
meta_page(struct hubdl *d, const char *body, size_t len)
{
	cJSON		*root;
	const cJSON	*it;

	/* cJSON would cut a name at an escaped NUL: refuse those. */
	if (strstr(body, "\\u0000") != NULL)
		return meta_bad_entry(d, "a NUL character in a name", NULL);
	root = strlen(body) != len ? NULL :
	    cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1);
	if (root == NULL ||
	    !cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return hubdl_fail(d, ERR_UPSTREAM, "The hub's tree listing of %s "
		    "at %s is not a JSON array", d->repo_id, d->commit);
	}
	cJSON_ArrayForEach(it, root)
		if (meta_entry(d, it) != ERR_OK)
			break;
	cJSON_Delete(root);
	return d->err;
}

/* The next page's URL from the answer's Link header, or NULL. */
static enum err
meta_next_page(struct hubdl *d, const struct hubhttp_hdrs *h, const char *cur,
    char **next)
{
	char	 target[sizeof(h->link)];
	int	 r;

	*next = NULL;
	if (h->overflow || (r = hubhttp_link_next(h->link, target,
	    sizeof(target))) == -1)
		return hubdl_fail(d, ERR_UPSTREAM, "The hub sent a malformed Link "
		    "header in the listing of %s", d->repo_id);
	if (r == 0)
		return ERR_OK;
	if ((*next = hubhttp_resolve(cur, target)) == NULL)
		return hubdl_fail(d, ERR_UPSTREAM, "The hub sent an invalid next "
		    "page URL in the listing of %s", d->repo_id);
	return ERR_OK;
}

static enum err
meta_list(struct hubdl *d, CURL *e, struct hubhttp_hdrs *h)
{
	struct hubfetch_call	 c;
	char			*url = NULL, *final = NULL, *body = NULL;
	size_t			 len, pages = 0;
	enum err		 rc;

	meta_call(d, e, h, &c);
	if (asprintf(&url, "%s/api/models/%s/tree/%s?recursive=true&"
	    "expand=false", d->endpoint, d->repo_id, d->commit) == -1)
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	while (url != NULL) {
		if (++pages > TREE_PAGES_MAX) {
			hubdl_fail(d, ERR_UPSTREAM, "The listing of %s does not "
			    "end (more than %d pages)", d->repo_id,
			    TREE_PAGES_MAX);
			break;
		}
		if ((rc = hubfetch_get(&c, url, TREE_PAGE_MAX, &body, &len,
		    &final, d->msg, d->msglen)) != ERR_OK) {
			d->err = rc;
			break;
		}
		free(url);
		url = NULL;
		if (meta_page(d, body, len) != ERR_OK ||
		    meta_next_page(d, h, final, &url) != ERR_OK)
			break;
		free(body);
		free(final);
		body = final = NULL;
	}
	free(body);
	free(final);
	free(url);
	return d->err;
}

static int
file_path_cmp(const void *a, const void *b)
{
	const struct hfile	*x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* The blob name of a file: its LFS sha256, else its git object id. */
static const char *
file_etag(const struct hfile *f)
{

	return f->lfs_oid[0] != '\0' ? f->lfs_oid : f->oid;
}

static int
file_etag_cmp(const void *a, const void *b)
{
	const struct hfile *const	*x = a, *const *y = b;

	return strcmp(file_etag(*x), file_etag(*y));
}

/* Refuses duplicate paths and a path that is also a folder of another. */
static enum err
meta_check_paths(struct hubdl *d)
{
	struct hfile	 key;
	char		 prefix[HUBNAME_PATH_MAX + 1], *slash;
	size_t		 i;

	if (d->nfiles == 0)
		return ERR_OK;	/* an empty repo: no qsort() of NULL */
	qsort(d->files, d->nfiles, sizeof(*d->files), file_path_cmp);
	for (i = 0; i < d->nfiles; i++) {
		if (i > 0 && strcmp(d->files[i - 1].path, d->files[i].path) ==
		    0)
			return meta_bad_entry(d, "a path listed twice",
			    d->files[i].path);
		snprintf(prefix, sizeof(prefix), "%s", d->files[i].path);
		key.path = prefix;
		while ((slash = strrchr(prefix, '/')) != NULL) {
			*slash = '\0';
			if (bsearch(&key, d->files, d->nfiles,
			    sizeof(*d->files), file_path_cmp) != NULL)
				return meta_bad_entry(d, "a path that is both "
				    "a file and a folder", prefix);
		}
	}
	return ERR_OK;
}

/* Adds file f to the blob *bp, or to a new one when its etag differs. */
static enum err
meta_blob_add(struct hubdl *d, struct hfile *f, struct hblob **bp)
{
	struct hblob	*b = *bp;
	const char	*etag = file_etag(f);
	uint64_t	 size = f->lfs_oid[0] != '\0' ? f->lfs_size : f->size;

	if (b == NULL || strcmp(b->etag, etag) != 0) {
		/* A hostile listing must not wrap the total around. */
		if (size > SIZE_MAX_JSON - d->prog.bytes_total)
			return hubdl_fail(d, ERR_TOOBIG, "The listing of %s "
			    "adds up to more than 2^53 bytes", d->repo_id);
		b = *bp = &d->blobs[d->nblobs++];
		memcpy(b->etag, etag, strlen(etag) + 1);
		b->path = f->path;
		b->size = size;
		b->lfs = f->lfs_oid[0] != '\0';
		d->prog.bytes_total += size;
	} else if (b->size != size)
		return meta_bad_entry(d, "two sizes for one object in",
		    f->path);
	b->nfiles++;
	f->blob = (size_t)(b - d->blobs);
	return ERR_OK;
}

/* Groups the files by etag into blobs; sets bytes_total. */
static enum err
meta_group(struct hubdl *d)
{
	struct hfile	**by = NULL;
	struct hblob	 *b = NULL;
	size_t		  i;

	if (d->nfiles > 0 && ((by = calloc(d->nfiles, sizeof(*by))) == NULL ||
	    (d->blobs = calloc(d->nfiles, sizeof(*d->blobs))) == NULL)) {
		free(by);
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < d->nfiles; i++)
		by[i] = &d->files[i];
	if (d->nfiles > 0)
		qsort(by, d->nfiles, sizeof(*by), file_etag_cmp);
	for (i = 0; i < d->nfiles && d->err == ERR_OK; i++)
		(void)meta_blob_add(d, by[i], &b);
	free(by);
	d->prog.files_total = d->nfiles;
	d->left = d->nblobs;
	return d->err;
}

enum err
hubmeta_get(struct hubdl *d)
{
	struct hubhttp_hdrs	*h;
	CURL			*e = NULL;

	if ((h = malloc(sizeof(*h))) == NULL ||
	    (e = hubhttp_easy(&d->http, h)) == NULL) {
		free(h);
		return hubdl_fail(d, ERR_NOMEM, "out of memory");
	}
	if (meta_resolve(d, e, h) == ERR_OK && meta_list(d, e, h) == ERR_OK &&
	    meta_check_paths(d) == ERR_OK)
		(void)meta_group(d);
	curl_easy_cleanup(e);
	free(h);
	return d->err;
}

