/*
 * The HF_HOME and hub cache directories, with huggingface_hub's precedence
 * of environment variables (constants.py).
 */
#include <stdlib.h>

#include "cachedir.h"
#include "log.h"
#include "pypath.h"

char *
cachedir_home(const char *(*getenv_fn)(const char *))
{
	const char	*base;
	char		*joined = NULL, *res;

	if ((base = getenv_fn("HF_HOME")) == NULL) {
		if ((base = getenv_fn("XDG_CACHE_HOME")) == NULL)
			base = "~/.cache";
		if ((joined = pypath_join(base, "huggingface")) == NULL)
			return NULL;
		base = joined;
	}
	res = pypath_expand(base, getenv_fn);
	free(joined);
	return res;
}

char *
cachedir_hub(const char *(*getenv_fn)(const char *))
{
	const char	*v;
	char		*home = NULL, *hub = NULL;
	char		*cache = NULL, *cache_u = NULL, *res = NULL;

	if ((v = getenv_fn("HF_HUB_CACHE")) == NULL)
		v = getenv_fn("HUGGINGFACE_HUB_CACHE");
	if (v == NULL) {
		if ((home = cachedir_home(getenv_fn)) == NULL)
			goto out;
		if ((hub = pypath_join(home, "hub")) == NULL)
			goto out;
		v = hub;
	}
	if ((cache = pypath_expand(v, getenv_fn)) == NULL)
		goto out;
	/* snapshot_download: Path(cache_dir).expanduser().resolve() */
	if ((cache_u = pypath_expanduser(cache, getenv_fn)) == NULL)
		goto out;
	res = pypath_abspath(cache_u);
out:
	if (res == NULL)
		log_warnx("%s: out of memory", __func__);
	free(cache_u);
	free(cache);
	free(hub);
	free(home);
	return res;
}
