/*
 * CUnit runner: every suite registered by a test_*.c constructor.  The
 * exit status is the verdict (0 when every test passed).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "unit.h"

#define UNIT_SUITES_MAX	64

struct unit_suite {
	const char		*name;
	int			(*init)(void);
	int			(*cleanup)(void);
	const struct unit_test	*tests;
};

static struct unit_suite	 suites[UNIT_SUITES_MAX];
static size_t			 nsuites;

void
unit_add_suite(const char *name, int (*init)(void), int (*cleanup)(void),
    const struct unit_test *tests)
{

	if (nsuites == UNIT_SUITES_MAX) {
		fprintf(stderr, "too many unit suites\n");
		abort();
	}
	suites[nsuites++] = (struct unit_suite){ name, init, cleanup, tests };
}

char *
unit_tmpdir(void)
{
	const char	*base = getenv("TMPDIR");
	char		*path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/mm-unit.XXXXXX", base) == -1 ||
	    mkdtemp(path) == NULL) {
		perror("unit_tmpdir");
		abort();
	}
	return path;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{

	(void)st; (void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) == -1 && errno != ENOENT ? -1 : 0;
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

void
unit_rmtree(const char *path)
{

	/* Make everything writable first so read-only fixtures go too. */
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
unit_write_file(const char *path, const void *data, unsigned long len)
{
	char	*dir, *p;
	int	 fd;

	if ((dir = strdup(path)) == NULL)
		abort();
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		(void)mkdir(dir, 0755);
		*p = '/';
	}
	free(dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		abort();
	}
	close(fd);
}

/* The scratch directory of the running suite, NULL outside one. */
static char	*scratch;

int
unit_scratch_init(void)
{

	if (scratch != NULL) {
		fprintf(stderr, "unit_scratch_init: already set up\n");
		abort();
	}
	scratch = unit_tmpdir();
	return 0;
}

int
unit_scratch_cleanup(void)
{

	if (scratch != NULL) {
		unit_rmtree(scratch);
		free(scratch);
		scratch = NULL;
	}
	return 0;
}

const char *
unit_scratch(void)
{

	if (scratch == NULL) {
		fprintf(stderr, "unit_scratch: the suite has no scratch "
		    "directory (unit_scratch_init)\n");
		abort();
	}
	return scratch;
}

char *
unit_fixture_path(const char *name)
{
	char	*path;

	if (asprintf(&path, "%s/%s", unit_scratch(), name) == -1)
		abort();
	return path;
}

char *
unit_fixture(const char *name, const char *text)
{
	char	*path = unit_fixture_path(name);

	unit_write_file(path, text, strlen(text));
	return path;
}

int
main(void)
{
	CU_pSuite	 s;
	size_t		 i, j;
	unsigned	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (i = 0; i < nsuites; i++) {
		s = CU_add_suite(suites[i].name, suites[i].init,
		    suites[i].cleanup);
		if (s == NULL)
			return 2;
		for (j = 0; suites[i].tests[j].name != NULL; j++)
			if (CU_add_test(s, suites[i].tests[j].name,
			    suites[i].tests[j].fn) == NULL)
				return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() +
	    CU_get_number_of_suites_failed() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}

int
unit_nest(int dfd, unsigned long n, unsigned long seglen)
{
	char		 name[256];
	unsigned long	 i;
	int		 fd;

	for (i = 0; i < n && dfd != -1; i++) {
		memset(name, 'L', seglen);
		snprintf(name + seglen - 3, 4, "%03lu", i % 1000);
		(void)mkdirat(dfd, name, 0755);
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY);
		close(dfd);
		dfd = fd;
	}
	CU_ASSERT_FATAL(dfd != -1);
	return dfd;
}
