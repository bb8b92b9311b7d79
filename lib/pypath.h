#ifndef MM_PYPATH_H
#define MM_PYPATH_H

/*
 * Python's POSIX path helpers (posixpath, pathlib), for the paths that
 * huggingface_hub and the host application compute from the environment.
 * Every function returns a malloc'd string the caller frees, or NULL on
 * out-of-memory only; arguments are borrowed for the call.  getenv_fn
 * stands for os.environ (getenv(3) in production, a fake environment in
 * tests) and must return NULL for an unset variable; "" counts as set.
 */

/* os.path.join(a, b): b if it is absolute or a is "", else a and b with
 * one "/" between them unless a already ends with "/". */
char	*pypath_join(const char *a, const char *b);

/*
 * os.path.expanduser(): a leading "~" is $HOME (else the current user's
 * home from the user database) and "~user" that user's home; trailing
 * slashes of the home are dropped and an empty result is "/".  A path not
 * starting with "~", or naming an unknown user, is returned as it is.
 */
char	*pypath_expanduser(const char *path,
	    const char *(*getenv_fn)(const char *));

/*
 * os.path.expandvars(): "$name" (name of [A-Za-z0-9_]+) and "${name}" are
 * replaced by the variable's value; unknown variables, "${}" and a lone
 * "$" stay as they are, and values are not expanded again.
 */
char	*pypath_expandvars(const char *path,
	    const char *(*getenv_fn)(const char *));

/* pypath_expandvars(pypath_expanduser(path)). */
char	*pypath_expand(const char *path,
	    const char *(*getenv_fn)(const char *));

/*
 * Path(path).resolve() (non-strict): made absolute against the cwd ("/" if
 * the cwd is unknown), the longest existing prefix resolved through
 * symlinks, the rest normalised lexically ("//", "/./" and "dir/.."
 * collapse; ".." at the root stays there).  No trailing "/" except for "/".
 * Unlike Python, when the whole path does not exist, ".." is collapsed
 * before the symlinks are resolved ("link/../x" is "x" beside link, not
 * beside link's target), and a dangling symlink or a symlink loop is kept
 * as it is (Python follows the former and raises on the latter).
 */
char	*pypath_abspath(const char *path);

/*
 * What Path(link).resolve() shows for link, a symlink whose target does
 * not exist: the target read with readlink(2), made absolute against
 * link's directory, through pypath_abspath().  When link cannot be read,
 * a copy of link.
 */
char	*pypath_linktarget(const char *link);

#endif
