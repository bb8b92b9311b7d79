/*
 * libFuzzer harness: the Hub's JSON answers as the download reads them,
 * through lib/hubmeta.c's own static functions (the file is included) and
 * the streaming reader of lib/hubtree.c.  The input is split at NUL bytes:
 * the first part is a revision answer (hubtree_member of "sha"), each
 * further part one page of the tree listing, written to a memory file and
 * read back as a download reads its spooled pages (meta_page).  A listing
 * that is accepted is then checked (meta_check_paths, with small limits on
 * depth and directories) and grouped into blobs (meta_group); every file
 * that survives must have a safe name within the limits, a blob named by
 * 40 or 64 lowercase hex digits, one size per blob, paths in strictly
 * increasing order, and trees/<commit>.json must be valid JSON with one
 * member per file.  A self-test at start-up checks that sizes adding up
 * past 2^53 bytes are refused rather than wrapped.
 */
#include "../../lib/hubmeta.c"

#include <sys/mman.h>

#include <cjson/cJSON.h>

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DEPTH	8
#define FUZZ_DIRS	50

static void
dl_init(struct hubdl *d, struct mlist *m, char *msg, size_t msglen)
{

	hubdl_init(d, msg, msglen);
	d->repo_id = "org/name";
	d->revision = "main";
	d->cache_dir = "/cache";
	memcpy(d->folder, "models--org--name", 18);
	memcpy(d->commit, "0123456789abcdef0123456789abcdef01234567", 41);
	d->o.max_path_depth = FUZZ_DEPTH;
	d->o.max_dirs = FUZZ_DIRS;
	memset(m, 0, sizeof(*m));
	m->d = d;
	meta_limits(d, m);
	if ((d->spoolfd = memfd_create("spool", 0)) == -1 ||
	    (m->rawfd = memfd_create("page", 0)) == -1)
		abort();
}

static void
check_message(const struct hubdl *d)
{
	const char	*p;

	if (d->err == ERR_OK || d->msg[0] == '\0' ||
	    memchr(d->msg, '\0', d->msglen) == NULL)
		abort();
	for (p = d->msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

/* Every file, in order, against its blob; the trees text. */
static void
check_listing(struct hubdl *d)
{
	struct hfwrite_list	 l;
	struct hfwrite_tree	 f;
	char			 prev[HUBNAME_PATH_MAX + 1] = "", *json;
	cJSON			*root;
	const char		*p;
	size_t			 i, len;
	unsigned		 depth;

	hubmeta_list(d, &l);
	for (i = 0; i < l.n; i++) {
		if (l.get(l.arg, i, &f) == -1 ||
		    hubname_valid_filename(f.path) != 0 ||
		    hubname_is_commit(f.blob_id) != 0 ||
		    (f.lfs_sha256 != NULL && (strlen(f.lfs_sha256) != 64 ||
		    hubname_is_oid(f.lfs_sha256) != 0)) ||
		    (i > 0 && strcmp(prev, f.path) >= 0))
			abort();
		for (p = f.path, depth = 1; *p != '\0'; p++)
			depth += *p == '/';
		if (depth > FUZZ_DEPTH)
			abort();
		snprintf(prev, sizeof(prev), "%s", f.path);
	}
	for (i = 0; i < d->nblobs; i++)
		if (hubname_is_oid(d->blobs[i].etag) != 0 ||
		    d->blobs[i].size > SIZE_MAX_JSON)
			abort();
	if ((json = hfwrite_trees_json(&l, &len)) == NULL)
		abort();
	root = cJSON_ParseWithLength(json, len);
	if (root == NULL || cJSON_GetArraySize(cJSON_GetObjectItem(root,
	    "files")) != (int)d->nfiles)
		abort();
	cJSON_Delete(root);
	free(json);
}

/* One page of len bytes, as the download reads a spooled one. */
static void
page(struct mlist *m, const char *p, size_t len)
{

	if (ftruncate(m->rawfd, 0) == -1 ||
	    pwrite(m->rawfd, p, len, 0) != (ssize_t)len)
		abort();
	(void)meta_page(m, len);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct mlist	 m;
	static struct msort	 s;
	struct hubdl		 d;
	char			 msg[512], buf[4096];
	size_t			 i, n = 2100;
	int			 k;

	/* 2100 distinct blobs of 2^53 bytes each: 2^64 is passed. */
	dl_init(&d, &m, msg, sizeof(msg));
	k = snprintf(buf, sizeof(buf), "[");
	for (i = 0; i < n; i++) {
		k = snprintf(buf, sizeof(buf), "%s{\"type\":\"file\",\"path\":"
		    "\"f%zu\",\"size\":%llu,\"oid\":\"%040zx\"}", i ? "," : "[",
		    i, (unsigned long long)SIZE_MAX_JSON, i);
		if (write(m.rawfd, buf, (size_t)k) != k)
			abort();
	}
	if (write(m.rawfd, "]", 1) != 1)
		abort();
	s.d = &d;
	if (meta_page(&m, (size_t)lseek(m.rawfd, 0, SEEK_CUR)) != ERR_OK ||
	    meta_spool_flush(&m) != ERR_OK ||
	    meta_check_paths(&d, &s, FUZZ_DIRS) != ERR_OK ||
	    meta_group(&d) == ERR_OK)
		abort();	/* the total wrapped around */
	check_message(&d);
	close(m.rawfd);
	hubdl_free(&d);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mlist	 m;
	static struct msort	 s;
	struct hubdl		 d;
	struct span		 sp;
	char			 msg[1024], sha[41], *end, *part, *buf;
	size_t			 len;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	dl_init(&d, &m, msg, sizeof(msg));
	/* The revision answer. */
	len = strlen(buf);
	if (pwrite(m.rawfd, buf, len, 0) != (ssize_t)len)
		abort();
	sp = (struct span){ m.rawfd, 0, len };
	if (hubtree_member(&m.t, span_read, &sp, "sha", sha, 40) == ERR_OK &&
	    sha[0] != '\0' && strlen(sha) > 40)
		abort();
	/* The pages of the listing. */
	for (part = buf + len; part < end && d.err == ERR_OK; ) {
		part++;
		len = (size_t)(end - part);
		if (memchr(part, '\0', len) != NULL)
			len = strlen(part);
		page(&m, part, len);
		part += len;
	}
	s.d = &d;
	s.err = 0;
	if (d.err == ERR_OK && meta_spool_flush(&m) == ERR_OK &&
	    meta_check_paths(&d, &s, FUZZ_DIRS) == ERR_OK &&
	    meta_group(&d) == ERR_OK)
		check_listing(&d);
	else if (d.err != ERR_OK)
		check_message(&d);
	close(m.rawfd);
	hubdl_free(&d);
	free(buf);
	return 0;
}
