#ifndef MM_CACHEDIR_H
#define MM_CACHEDIR_H

/*
 * Where huggingface_hub keeps its files, resolved from the environment
 * with its rules (HF-HUB.md section 1).  getenv_fn stands for os.environ
 * (getenv(3) in production, a fake environment in tests) and returns NULL
 * for an unset variable; a variable set to "" counts as set.
 */

/*
 * HF_HOME: $HF_HOME, else $XDG_CACHE_HOME/huggingface, else
 * ~/.cache/huggingface, then "~" and "$VAR"/"${VAR}" expanded
 * (pypath_expand()).  The result is not made absolute.  Returns a
 * malloc'd path the caller frees, or NULL on out-of-memory (not logged).
 */
char	*cachedir_home(const char *(*getenv_fn)(const char *));

/*
 * The hub cache: HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then
 * $HF_HOME/hub (HF_HOME as cachedir_home() finds it), expanded, then made
 * absolute and resolved as Path(...).expanduser().resolve() does.
 * Returns a malloc'd path the caller frees, or NULL on out-of-memory
 * (logged).
 */
char	*cachedir_hub(const char *(*getenv_fn)(const char *));

#endif
