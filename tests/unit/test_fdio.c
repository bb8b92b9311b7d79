/* Reading a descriptor up to a limit; reading only a regular file. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "fdio.h"
#include "unit.h"

/* A descriptor reading the len bytes of data (a pipe), or -1. */
static int
source(const char *data, size_t len)
{
	int	 p[2];

	if (pipe(p) == -1)
		return -1;
	if (write(p[1], data, len) != (ssize_t)len) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

static void
test_read(void)
{
	static const struct {
		const char	*data;
		size_t		 cap;
		size_t		 want;	/* bytes read */
	} cases[] = {
		{ "", 8, 0 },
		{ "abc", 8, 3 },
		{ "abcdefgh", 8, 8 },
		{ "abcdefghij", 8, 8 },	/* stops at cap */
		{ "abc", 0, 0 },
	};
	char	 buf[16];
	size_t	 i, len;
	int	 fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = source(cases[i].data, strlen(cases[i].data));
		CU_ASSERT_FATAL(fd != -1);
		CU_ASSERT_EQUAL(fdio_read(fd, buf, cases[i].cap, &len), 0);
		CU_ASSERT_EQUAL(len, cases[i].want);
		CU_ASSERT(memcmp(buf, cases[i].data, len) == 0);
		close(fd);
	}
}

static void
test_error(void)
{
	char	 buf[8];
	size_t	 len = 1;
	int	 fd;

	/* Reading a write-only descriptor fails with EBADF. */
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd != -1);
	errno = 0;
	CU_ASSERT_EQUAL(fdio_read(fd, buf, sizeof(buf), &len), -1);
	CU_ASSERT_EQUAL(errno, EBADF);
	CU_ASSERT_EQUAL(len, 0);
	close(fd);
}

/* A regular file is read; a symlink, a FIFO or a directory is not. */
static void
test_regular(void)
{
	char	*tmp = unit_tmpdir(), p[4096], buf[8];
	size_t	 len;
	int	 dfd;

	snprintf(p, sizeof(p), "%s/ref", tmp);
	unit_write_file(p, "abcdefghij", 10);
	snprintf(p, sizeof(p), "%s/link", tmp);
	CU_ASSERT_FATAL(symlink("ref", p) == 0);
	snprintf(p, sizeof(p), "%s/fifo", tmp);
	CU_ASSERT_FATAL(mkfifo(p, 0600) == 0);
	snprintf(p, sizeof(p), "%s/dir", tmp);
	CU_ASSERT_FATAL(mkdir(p, 0700) == 0);
	dfd = open(tmp, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_FATAL(dfd != -1);
	CU_ASSERT_EQUAL(fdio_read_regular(dfd, "ref", buf, 8, &len), 0);
	CU_ASSERT_EQUAL(len, 8);
	CU_ASSERT(memcmp(buf, "abcdefgh", 8) == 0);
	CU_ASSERT_EQUAL(fdio_read_regular(dfd, "link", buf, 8, &len), 1);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(fdio_read_regular(dfd, "fifo", buf, 8, &len), 1);
	CU_ASSERT_EQUAL(fdio_read_regular(dfd, "dir", buf, 8, &len), 1);
	errno = 0;
	CU_ASSERT_EQUAL(fdio_read_regular(dfd, "absent", buf, 8, &len), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	close(dfd);
	unit_rmtree(tmp);
	free(tmp);
}

static const struct unit_test tests[] = {
	{ "reads up to the limit", test_read },
	{ "reports a read error", test_error },
	{ "reads a regular file only", test_regular },
	{ NULL, NULL }
};

UNIT_SUITE("fdio", NULL, NULL, tests)
