/* No-follow directory opening. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "dirat.h"
#include "unit.h"

static void
test_fd(void)
{
	char	*dir = unit_tmpdir(), sub[512], link[512], file[512];
	int	 dfd, fd;
	DIR	*d;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("sub", link), 0);
	unit_write_file(file, "x", 1);
	CU_ASSERT_FATAL((dfd = open(dir, O_RDONLY | O_DIRECTORY)) != -1);

	CU_ASSERT((fd = dirat_fd(dfd, "sub")) != -1);
	close(fd);
	errno = 0;
	CU_ASSERT_EQUAL(dirat_fd(dfd, "link"), -1);
	CU_ASSERT(errno == ELOOP || errno == ENOTDIR);
	CU_ASSERT_EQUAL(dirat_fd(dfd, "file"), -1);
	CU_ASSERT_EQUAL(errno, ENOTDIR);
	CU_ASSERT_EQUAL(dirat_fd(dfd, "missing"), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_EQUAL(dirat_fd(-1, "sub"), -1);
	CU_ASSERT_EQUAL(errno, EBADF);
	CU_ASSERT_PTR_NOT_NULL(d = dirat_open(dfd, "sub"));
	if (d != NULL)
		closedir(d);
	CU_ASSERT_PTR_NULL(dirat_open(dfd, "link"));
	CU_ASSERT_TRUE(dirat_dots("."));
	CU_ASSERT_TRUE(dirat_dots(".."));
	CU_ASSERT_FALSE(dirat_dots("..."));
	CU_ASSERT_FALSE(dirat_dots(".a"));
	close(dfd);
	unit_rmtree(dir);
	free(dir);
}

static const struct unit_test tests[] = {
	{ "no-follow directory opens", test_fd },
	{ NULL, NULL }
};

UNIT_SUITE("dirat", NULL, NULL, tests)
