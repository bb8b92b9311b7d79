/*
 * Verifying a repo's revisions: each kind of problem, sizes from
 * trees/<commit>.json, a stop from the progress callback.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "hex.h"
#include "hfverify.h"
#include "unit.h"

#define C1	"1111111111111111111111111111111111111111"
#define REPO	"models--org--v"

static char *
path(const char *cache, const char *rel)
{
	static char	 buf[4][1024];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s/%s", unit_scratch(), cache,
	    rel);
	return buf[i];
}

/* The git blob id of data. */
static void
git_oid(const char *data, char out[41])
{
	char	 buf[256];
	int	 n;

	n = snprintf(buf, sizeof(buf), "blob %zu", strlen(data)) + 1;
	memcpy(buf + n, data, strlen(data));
	hex_sha1(buf, (size_t)n + strlen(data), out);
}

static void
blob(const char *cache, const char *name, const char *data)
{
	char	 rel[256];

	snprintf(rel, sizeof(rel), REPO "/blobs/%s", name);
	unit_write_file(path(cache, rel), data, strlen(data));
}

static void
lnk(const char *cache, const char *target, const char *file)
{
	char	 rel[256];

	snprintf(rel, sizeof(rel), REPO "/snapshots/" C1 "/%s", file);
	CU_ASSERT_EQUAL(symlink(target, path(cache, rel)), 0);
}

struct fixture {
	char	 lfs[65], git[41], bad[65], big[65];
};

/*
 * good.safetensors (LFS, right), config.json (git, right), bad.bin (its
 * blob's content changed), gone.bin (no blob), odd (a link out), copy.txt
 * (a regular file), big.bin (right, but its listing says another size).
 */
static void
make_repo(const char *cache, struct fixture *f)
{
	char	 cmd[1200];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s'",
	    path(cache, REPO "/snapshots/" C1), path(cache, REPO "/blobs"));
	CU_ASSERT_EQUAL(system(cmd), 0);
	hex_sha256("weights", 7, f->lfs);
	git_oid("{\"a\": 1}", f->git);
	hex_sha256("original", 8, f->bad);
	hex_sha256("big one", 7, f->big);
	blob(cache, f->lfs, "weights");
	blob(cache, f->git, "{\"a\": 1}");
	blob(cache, f->bad, "tampered");
	blob(cache, f->big, "big one");
	snprintf(cmd, sizeof(cmd), "../../blobs/%s", f->lfs);
	lnk(cache, cmd, "good.safetensors");
	snprintf(cmd, sizeof(cmd), "../../blobs/%s", f->git);
	lnk(cache, cmd, "config.json");
	snprintf(cmd, sizeof(cmd), "../../blobs/%s", f->bad);
	lnk(cache, cmd, "bad.bin");
	lnk(cache, "../../blobs/" C1 "ffffffffffffffffffffffff", "gone.bin");
	lnk(cache, "/etc/passwd", "odd");
	snprintf(cmd, sizeof(cmd), "../../blobs/%s", f->big);
	lnk(cache, cmd, "big.bin");
	unit_write_file(path(cache, REPO "/snapshots/" C1 "/copy.txt"), "c",
	    1);
}

static const struct hfv_file *
file_of(const struct hfv_plan *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].path, name) == 0)
			return &p->files[i];
	return NULL;
}

/* Plans and hashes every blob of the repo of cache. */
static void
verify(const char *cache, struct hfv_plan *p)
{
	char	 buf[4096];
	size_t	 i;
	int	 cfd, bfd;

	cfd = open(path(cache, ""), O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(cfd != -1);
	CU_ASSERT_EQUAL_FATAL(hfverify_plan(cfd, REPO, p), ERR_OK);
	bfd = open(path(cache, REPO "/blobs"), O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(bfd != -1);
	for (i = 0; i < p->nblobs; i++)
		if (p->blobs[i].hash)
			CU_ASSERT_EQUAL(hfverify_blob(bfd, &p->blobs[i], buf,
			    sizeof(buf), NULL, NULL), ERR_OK);
	hfverify_settle(p);
	close(bfd);
	close(cfd);
}

static enum hfv_kind
state_of(const struct hfv_plan *p, const char *name)
{
	const struct hfv_file	*f = file_of(p, name);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	return f->state;
}

static void
test_problems(void)
{
	struct fixture	 f;
	struct hfv_plan	 p;
	size_t		 i;

	make_repo("a", &f);
	verify("a", &p);
	CU_ASSERT_EQUAL(p.nrevs, 1);
	CU_ASSERT_EQUAL(p.nfiles, 7);
	CU_ASSERT_EQUAL(p.sizes_known, 0);
	CU_ASSERT_EQUAL(state_of(&p, "good.safetensors"), HFV_OK);
	CU_ASSERT_EQUAL(state_of(&p, "config.json"), HFV_OK);
	CU_ASSERT_EQUAL(state_of(&p, "bad.bin"), HFV_CORRUPT);
	CU_ASSERT_EQUAL(state_of(&p, "gone.bin"), HFV_MISSING_BLOB);
	CU_ASSERT_EQUAL(state_of(&p, "odd"), HFV_BROKEN_LINK);
	CU_ASSERT_EQUAL(state_of(&p, "copy.txt"), HFV_UNCHECKED);
	CU_ASSERT_EQUAL(state_of(&p, "big.bin"), HFV_OK);
	for (i = 0; i < p.nblobs; i++)
		if (strcmp(p.blobs[i].name, f.bad) == 0) {
			char	 want[65];

			hex_sha256("tampered", 8, want);
			CU_ASSERT_STRING_EQUAL(p.blobs[i].actual, want);
		}
	/* Four blobs, every byte hashed once. */
	CU_ASSERT_EQUAL(p.nblobs, 4);
	CU_ASSERT_EQUAL(p.bytes, 7 + 8 + 8 + 7);
	hfverify_free(&p);
}

/* The listing's sizes and blobs: a wrong size is found without hashing,
 * and a link to another blob than listed is a broken link. */
static void
test_trees(void)
{
	struct fixture	 f;
	struct hfv_plan	 p;
	char		 json[2048];
	size_t		 i;

	make_repo("t", &f);
	snprintf(json, sizeof(json), "{\"format_version\": 1, \"files\": {"
	    "\"big.bin\": {\"size\": 100, \"blob_id\": \"%.40s\", "
	    "\"lfs_sha256\": \"%s\", \"lfs_size\": 99},"
	    "\"config.json\": {\"size\": 8, \"blob_id\": \"%s\"},"
	    "\"good.safetensors\": {\"size\": 7, \"blob_id\": \"%.40s\", "
	    "\"lfs_sha256\": \"%s\", \"lfs_size\": 7}}}",
	    f.big, f.big, f.git, f.lfs, f.bad);
	unit_write_file(path("t", REPO "/trees/" C1 ".json"), json,
	    strlen(json));
	verify("t", &p);
	CU_ASSERT_EQUAL(p.sizes_known, 1);
	CU_ASSERT_EQUAL(state_of(&p, "big.bin"), HFV_WRONG_SIZE);
	CU_ASSERT_EQUAL(file_of(&p, "big.bin")->expected_size, 99);
	CU_ASSERT_EQUAL(state_of(&p, "good.safetensors"), HFV_BROKEN_LINK);
	CU_ASSERT_STRING_EQUAL(file_of(&p, "good.safetensors")->expected,
	    f.bad);
	CU_ASSERT_EQUAL(state_of(&p, "config.json"), HFV_OK);
	for (i = 0; i < p.nblobs; i++)
		if (strcmp(p.blobs[i].name, f.big) == 0)
			CU_ASSERT_EQUAL(p.blobs[i].hash, 0);
	hfverify_free(&p);
}

static int
stop_at_once(void *arg, uint64_t n)
{

	*(uint64_t *)arg += n;
	return 1;
}

/* The progress callback sees the bytes and can stop the hashing. */
static void
test_stop(void)
{
	struct fixture	 f;
	struct hfv_plan	 p;
	uint64_t	 seen = 0;
	char		 buf[4];
	size_t		 i;
	int		 cfd, bfd;

	make_repo("s", &f);
	cfd = open(path("s", ""), O_RDONLY | O_DIRECTORY);
	CU_ASSERT_EQUAL_FATAL(hfverify_plan(cfd, REPO, &p), ERR_OK);
	bfd = open(path("s", REPO "/blobs"), O_RDONLY | O_DIRECTORY);
	for (i = 0; i < p.nblobs && !p.blobs[i].hash; i++)
		;
	CU_ASSERT_FATAL(i < p.nblobs);
	CU_ASSERT_EQUAL(hfverify_blob(bfd, &p.blobs[i], buf, sizeof(buf),
	    stop_at_once, &seen), ERR_TIMEOUT);
	CU_ASSERT_EQUAL(seen, 4);
	CU_ASSERT_EQUAL(p.blobs[i].state, HFV_OK);	/* not judged */
	hfverify_free(&p);
	CU_ASSERT_EQUAL(hfverify_plan(cfd, "models--org--absent", &p),
	    ERR_NOTFOUND);
	close(bfd);
	close(cfd);
}

static const struct unit_test tests[] = {
	{ "every kind of problem", test_problems },
	{ "sizes and blobs of trees/<commit>.json", test_trees },
	{ "progress and stop", test_stop },
	{ NULL, NULL }
};

UNIT_SUITE("hfverify", unit_scratch_init, unit_scratch_cleanup, tests)
