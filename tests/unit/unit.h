#ifndef MM_UNIT_H
#define MM_UNIT_H

/*
 * Each tests/unit/test_NAME.c registers its CUnit suite from a constructor:
 *
 *	static const struct unit_test tests[] = {
 *		{ "parses booleans", test_bool },
 *		{ NULL, NULL }
 *	};
 *	UNIT_SUITE("valid", NULL, NULL, tests)
 *
 * main.c adds every registered suite to the CUnit registry and runs them.
 */

struct unit_test {
	const char	*name;
	void		(*fn)(void);
};

void	unit_add_suite(const char *name, int (*init)(void),
	    int (*cleanup)(void), const struct unit_test *tests);

#define UNIT_SUITE(name, init, cleanup, tests)				\
	__attribute__((constructor)) static void			\
	unit_register_suite(void)					\
	{								\
		unit_add_suite((name), (init), (cleanup), (tests));	\
	}

/*
 * The scratch directory of a suite: pass unit_scratch_init and
 * unit_scratch_cleanup to UNIT_SUITE (or call them from the suite's own
 * init and cleanup).  unit_scratch_init makes a fresh empty directory and
 * returns 0 (it aborts on failure); unit_scratch_cleanup removes it with
 * everything in it and returns 0.  unit_scratch() is its path, owned by
 * main.c and valid in between; it aborts outside a suite that has one.
 */
int		 unit_scratch_init(void);
int		 unit_scratch_cleanup(void);
const char	*unit_scratch(void);
/* "<scratch>/name", malloc'd: the caller frees it.  Aborts on failure. */
char		*unit_fixture_path(const char *name);
/* Writes text to <scratch>/name (parent directories made); returns its
 * malloc'd path, which the caller frees.  Aborts on failure. */
char		*unit_fixture(const char *name, const char *text);

/* A fresh empty directory under $TMPDIR (or /tmp); malloc'd path.  Aborts
 * on failure. */
char	*unit_tmpdir(void);
/* rm -rf path (never follows symlinks). */
void	 unit_rmtree(const char *path);
/* Writes len bytes of data to path, creating parent directories. */
void	 unit_write_file(const char *path, const void *data, unsigned long len);
/* Makes n nested directories of names seglen bytes long (3..255) below
 * the directory dfd, never building a whole path; returns the deepest one
 * (dfd is closed).  A failure fails the test. */
int	 unit_nest(int dfd, unsigned long n, unsigned long seglen);

#endif
