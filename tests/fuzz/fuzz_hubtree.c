/*
 * libFuzzer harness: the Hub's JSON answers as the download reads them,
 * through lib/hubmeta.c's own static functions (the file is included).  The
 * input is split at NUL bytes: the first part is a revision answer
 * (meta_revision_body), each further part one page of the tree listing
 * (meta_page).  A listing that is accepted is then checked (meta_check_paths)
 * and grouped into blobs (meta_group); every file that survives must have
 * a safe name, a blob named by 40 or 64 lowercase hex digits, one size
 * per blob, and trees/<commit>.json must be valid JSON with one member
 * per file.  A self-test at start-up checks that sizes adding up past
 * 2^53 bytes are refused rather than wrapped.
 */
#include "../../lib/hubmeta.c"

#include "hfwrite.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
dl_init(struct hubdl *d, char *msg, size_t msglen)
{

	hubdl_init(d, msg, msglen);
	d->repo_id = "org/name";
	d->revision = "main";
	memcpy(d->commit, "0123456789abcdef0123456789abcdef01234567", 41);
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

static void
check_listing(struct hubdl *d)
{
	struct hfwrite_tree	*t;
	cJSON			*root;
	char			*json;
	size_t			 i, len;
	uint64_t		 total = 0;

	for (i = 0; i < d->nfiles; i++) {
		const struct hfile	*f = &d->files[i];
		const struct hblob	*b = &d->blobs[f->blob];

		if (hubname_valid_filename(f->path) != 0 ||
		    hubname_is_commit(f->oid) != 0 ||
		    hubname_is_oid(b->etag) != 0 ||
		    (f->lfs_oid[0] != '\0' && (strlen(f->lfs_oid) != 64 ||
		    strcmp(b->etag, f->lfs_oid) != 0 ||
		    b->size != f->lfs_size)) ||
		    (f->lfs_oid[0] == '\0' && (strcmp(b->etag, f->oid) != 0 ||
		    b->size != f->size)))
			abort();
		if (i > 0 && strcmp(d->files[i - 1].path, f->path) >= 0)
			abort();	/* sorted, no duplicate */
	}
	for (i = 0; i < d->nblobs; i++) {
		if (d->blobs[i].size > SIZE_MAX_JSON ||
		    total > UINT64_MAX - d->blobs[i].size)
			abort();
		total += d->blobs[i].size;
	}
	if (total != d->prog.bytes_total || d->prog.files_total != d->nfiles)
		abort();
	if ((t = calloc(d->nfiles + 1, sizeof(*t))) == NULL)
		abort();
	for (i = 0; i < d->nfiles; i++) {
		t[i].path = d->files[i].path;
		t[i].size = d->files[i].size;
		t[i].blob_id = d->files[i].oid;
		t[i].lfs_sha256 = d->files[i].lfs_oid[0] ?
		    d->files[i].lfs_oid : NULL;
		t[i].lfs_size = d->files[i].lfs_size;
		t[i].xet_hash = d->files[i].xet;
	}
	if ((json = hfwrite_trees_json(t, d->nfiles, &len)) == NULL)
		abort();
	root = cJSON_ParseWithLength(json, len);
	if (root == NULL || cJSON_GetArraySize(cJSON_GetObjectItem(root,
	    "files")) != (int)d->nfiles)
		abort();
	cJSON_Delete(root);
	free(json);
	free(t);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct hubdl	 d;
	char		 msg[512];
	size_t		 i, n = 2100;

	/* 2100 distinct blobs of 2^53 bytes each: 2^64 is passed. */
	dl_init(&d, msg, sizeof(msg));
	if ((d.files = calloc(n, sizeof(*d.files))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		snprintf(d.files[i].oid, sizeof(d.files[i].oid), "%040zx", i);
		d.files[i].size = (uint64_t)SIZE_MAX_JSON;
		if (asprintf(&d.files[i].path, "f%zu", i) == -1)
			abort();
	}
	d.nfiles = d.capfiles = n;
	if (meta_group(&d) == ERR_OK)
		abort();	/* the total wrapped around */
	check_message(&d);
	hubdl_free(&d);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hubdl	 d;
	char		 msg[1024], *buf, *part, *end;
	size_t		 len;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	dl_init(&d, msg, sizeof(msg));
	/* The revision answer. */
	len = strlen(buf);
	if (meta_revision_body(&d, buf, len) == ERR_OK) {
		if (hubname_is_commit(d.commit) != 0)
			abort();
	} else
		check_message(&d);
	d.err = ERR_OK;
	msg[0] = '\0';
	/* The pages of the listing. */
	for (part = buf + len; part < end && d.err == ERR_OK; ) {
		part++;
		len = (size_t)(end - part);
		if (memchr(part, '\0', len) != NULL)
			len = strlen(part);
		(void)meta_page(&d, part, len);
		part += len;
	}
	if (d.err == ERR_OK && meta_check_paths(&d) == ERR_OK &&
	    meta_group(&d) == ERR_OK)
		check_listing(&d);
	else if (d.err != ERR_OK)
		check_message(&d);
	hubdl_free(&d);
	free(buf);
	return 0;
}
