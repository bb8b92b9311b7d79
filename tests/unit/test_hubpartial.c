/*
 * Suite "hubpartial": what the survey credits for a blob's partial files
 * (hubpartial_have) in a scratch cache: a .mm.incomplete only as far as a
 * part map it can trust vouches for it (a map that is a symlink, a FIFO,
 * too long, or claims bytes the file lacks is not read or not trusted),
 * else a .incomplete no bigger than the blob.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "hubdl.h"
#include "hubpartial.h"
#include "hubparts.h"
#include "unit.h"

#define ETAG	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SIZE	1000

struct fix {
	char	*dir;
	int	 blobs, locks;
	struct hblob b;
};

static void
fix_init(struct fix *f)
{

	memset(f, 0, sizeof(*f));
	f->dir = unit_tmpdir();
	f->blobs = open(f->dir, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(f->blobs != -1);
	f->locks = dup(f->blobs);	/* one directory for both is enough */
	snprintf(f->b.etag, sizeof(f->b.etag), "%s", ETAG);
	f->b.size = SIZE;
	f->b.lfs = 1;
}

static void
fix_free(struct fix *f)
{

	close(f->blobs);
	close(f->locks);
	unit_rmtree(f->dir);
	free(f->dir);
}

/* Writes name in the fixture's directory with len bytes of data. */
static void
put(struct fix *f, const char *name, const void *data, size_t len)
{
	char	*path;

	if (asprintf(&path, "%s/%s", f->dir, name) == -1)
		abort();
	unit_write_file(path, data, len);
	free(path);
}

/* A map of the range [start, end) into buf; its length. */
static size_t
map_of(uint64_t start, uint64_t end, unsigned char *buf)
{
	struct hubparts	 p;

	hubparts_init(&p, SIZE);
	hubparts_add(&p, start, end);
	return hubparts_encode(&p, ETAG, buf);
}

/* A valid map vouches for its bytes; with no map, or a map that claims
 * more than the file holds, the .mm.incomplete counts for nothing. */
static void
test_map(void)
{
	unsigned char	 buf[HUBPARTS_MAP_MAX + 8], zero[SIZE];
	struct fix	 f;
	size_t		 len;

	memset(zero, 0, sizeof(zero));
	memset(buf, 0, sizeof(buf));
	fix_init(&f);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 0);
	put(&f, ETAG ".mm.incomplete", zero, 600);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 0);
	len = map_of(100, 600, buf);
	put(&f, ETAG ".mm.parts", buf, len);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 500);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, -1, &f.b), 0);
	len = map_of(100, 601, buf);	/* past the file's end */
	put(&f, ETAG ".mm.parts", buf, len);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 0);
	(void)map_of(100, 600, buf);	/* longer than any map */
	put(&f, ETAG ".mm.parts", buf, HUBPARTS_MAP_MAX + 1);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 0);
	/* Without a map to trust, a .incomplete counts (not a bigger one). */
	put(&f, ETAG ".incomplete", zero, 300);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 300);
	put(&f, ETAG ".incomplete", zero, SIZE);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), SIZE);
	f.b.size = SIZE - 1;
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 0);
	fix_free(&f);
}

/* A map that is a symlink (to a valid map) or a FIFO is not read. */
static void
test_map_not_regular(void)
{
	unsigned char	 buf[HUBPARTS_MAP_MAX], zero[SIZE];
	struct fix	 f;
	size_t		 len;

	memset(zero, 0, sizeof(zero));
	fix_init(&f);
	put(&f, ETAG ".mm.incomplete", zero, SIZE);
	len = map_of(0, SIZE, buf);
	put(&f, "elsewhere", buf, len);
	CU_ASSERT_EQUAL(symlinkat("elsewhere", f.locks, ETAG ".mm.parts"), 0);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 0);
	CU_ASSERT_EQUAL(unlinkat(f.locks, ETAG ".mm.parts", 0), 0);
	CU_ASSERT_EQUAL(mkfifoat(f.locks, ETAG ".mm.parts", 0600), 0);
	CU_ASSERT_EQUAL(hubpartial_have(f.blobs, f.locks, &f.b), 0);
	fix_free(&f);
}

static const struct unit_test tests[] = {
	{ "a part map vouches for its bytes only", test_map },
	{ "a part map that is no regular file", test_map_not_regular },
	{ NULL, NULL }
};

UNIT_SUITE("hubpartial", NULL, NULL, tests)
