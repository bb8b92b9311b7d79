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

/* A fresh empty directory under $TMPDIR (or /tmp); malloc'd path.  Aborts
 * on failure. */
char	*unit_tmpdir(void);
/* rm -rf path (never follows symlinks). */
void	 unit_rmtree(const char *path);
/* Writes len bytes of data to path, creating parent directories. */
void	 unit_write_file(const char *path, const void *data, unsigned long len);

#endif
