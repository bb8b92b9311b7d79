/*
 * Python's POSIX path helpers, as huggingface_hub and the host application
 * use them on the environment: os.path.join, expanduser, expandvars and
 * Path.resolve().  Each was checked against CPython's posixpath/pathlib.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pypath.h"
#include "sbuf.h"

#define PYPATH_LINK_MAX	4096		/* symlink text */

char *
pypath_join(const char *a, const char *b)
{
	struct sbuf	 sb = SBUF_INIT;

	if (b[0] == '/' || a[0] == '\0')
		sbuf_adds(&sb, b);
	else {
		sbuf_adds(&sb, a);
		if (a[strlen(a) - 1] != '/')
			sbuf_add(&sb, "/", 1);
		sbuf_adds(&sb, b);
	}
	return sbuf_finish(&sb);
}

/* The home directory of user (NULL: the current user), malloc'd; NULL if
 * unknown or out of memory (*nomem set then). */
static char *
pw_home(const char *user, bool *nomem)
{
	struct passwd	 pw, *res = NULL;
	char		*buf = NULL, *home = NULL;
	size_t		 len = 4096;
	int		 rc;

	for (;;) {
		if ((buf = malloc(len)) == NULL) {
			*nomem = true;
			goto out;
		}
		if (user != NULL)
			rc = getpwnam_r(user, &pw, buf, len, &res);
		else
			rc = getpwuid_r(getuid(), &pw, buf, len, &res);
		if (rc != ERANGE || len >= 1024 * 1024)
			break;
		free(buf);
		buf = NULL;
		len *= 2;
	}
	if (rc == 0 && res != NULL && pw.pw_dir != NULL &&
	    (home = strdup(pw.pw_dir)) == NULL)
		*nomem = true;
out:
	free(buf);
	return home;
}

/*
 * The home directory "~" or "~user" (the len bytes after '~' at user)
 * stands for, malloc'd into *home; *home NULL when it is unknown.
 * Returns -1 on out-of-memory.
 */
static int
tilde_home(const char *user, size_t len,
    const char *(*getenv_fn)(const char *), char **home)
{
	const char	*env;
	char		*name;
	bool		 nomem = false;

	if (len == 0) {
		if ((env = getenv_fn("HOME")) != NULL)
			return (*home = strdup(env)) == NULL ? -1 : 0;
		*home = pw_home(NULL, &nomem);
		return nomem ? -1 : 0;
	}
	if ((name = strndup(user, len)) == NULL)
		return -1;
	*home = pw_home(name, &nomem);
	free(name);
	return nomem ? -1 : 0;
}

char *
pypath_expanduser(const char *path, const char *(*getenv_fn)(const char *))
{
	struct sbuf	 sb = SBUF_INIT;
	const char	*slash;
	char		*home;
	size_t		 i, hlen;

	if (path[0] != '~')
		return strdup(path);
	slash = strchr(path + 1, '/');
	i = slash != NULL ? (size_t)(slash - path) : strlen(path);
	if (tilde_home(path + 1, i - 1, getenv_fn, &home) == -1)
		return NULL;
	if (home == NULL)
		return strdup(path);
	hlen = strlen(home);
	while (hlen > 0 && home[hlen - 1] == '/')
		hlen--;
	sbuf_add(&sb, home, hlen);
	sbuf_adds(&sb, path + i);
	if (sb.len == 0 && !sb.failed)
		sbuf_add(&sb, "/", 1);
	free(home);
	return sbuf_finish(&sb);
}

static bool
isword(char ch)
{

	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

/*
 * The variable reference at q ('$'): its name (q + *noff, *nlen bytes;
 * *nlen 0 for "${}") and its length in *reflen.  Returns false when no
 * reference starts there.
 */
static bool
var_ref(const char *q, size_t *noff, size_t *nlen, size_t *reflen)
{
	const char	*end;

	if (q[1] == '{' && (end = strchr(q + 2, '}')) != NULL) {
		*noff = 2;
		*nlen = (size_t)(end - q - 2);
		*reflen = *nlen + 3;
		return true;
	}
	if (!isword(q[1]))
		return false;
	for (end = q + 1; isword(*end); end++)
		;
	*noff = 1;
	*nlen = (size_t)(end - q - 1);
	*reflen = *nlen + 1;
	return true;
}

char *
pypath_expandvars(const char *path, const char *(*getenv_fn)(const char *))
{
	struct sbuf	 sb = SBUF_INIT;
	const char	*p, *q, *val;
	char		*name;
	size_t		 noff, nlen, reflen;

	for (p = path; (q = strchr(p, '$')) != NULL; p = q + reflen) {
		sbuf_add(&sb, p, (size_t)(q - p));
		if (!var_ref(q, &noff, &nlen, &reflen)) {
			/* No variable here: keep the '$', look further on. */
			reflen = 1;
			sbuf_add(&sb, q, 1);
			continue;
		}
		val = NULL;
		if (nlen > 0) {
			if ((name = strndup(q + noff, nlen)) == NULL) {
				free(sb.s);
				return NULL;
			}
			val = getenv_fn(name);
			free(name);
		}
		if (val != NULL)
			sbuf_adds(&sb, val);
		else
			sbuf_add(&sb, q, reflen);
	}
	sbuf_adds(&sb, p);
	return sbuf_finish(&sb);
}

char *
pypath_expand(const char *path, const char *(*getenv_fn)(const char *))
{
	char	*u, *v;

	if ((u = pypath_expanduser(path, getenv_fn)) == NULL)
		return NULL;
	v = pypath_expandvars(u, getenv_fn);
	free(u);
	return v;
}

/*
 * Lexical normalisation of an absolute path in place: collapses "//",
 * "/./" and "dir/.." (".." at the root stays at the root).
 */
static void
normalise(char *path)
{
	char	*in, *out, *seg;
	size_t	 n;

	/* out never passes the '/' before the segment being read. */
	in = out = path + 1;
	while (*in != '\0') {
		while (*in == '/')
			in++;
		if (*in == '\0')
			break;
		seg = in;
		while (*in != '\0' && *in != '/')
			in++;
		n = (size_t)(in - seg);
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path + 1 && out[-1] != '/')
				out--;
			if (out > path + 1)
				out--;
			continue;
		}
		if (out > path + 1)
			*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	*out = '\0';
}

/* path made absolute textually against the cwd ("/" if unknown). */
static char *
absolute(const char *path)
{
	struct sbuf	 sb = SBUF_INIT;
	char		 cwd[PATH_MAX];

	/* Python does not resolve the cwd again. */
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
		sbuf_adds(&sb, cwd);
		sbuf_add(&sb, "/", 1);
	} else if (path[0] != '/')
		sbuf_add(&sb, "/", 1);
	sbuf_adds(&sb, path);
	return sbuf_finish(&sb);
}

/*
 * The normalised absolute path abs (freed here), its longest existing
 * prefix resolved through symlinks and the rest kept as it is.  NULL on
 * out-of-memory.
 */
static char *
resolve_prefix(char *abs)
{
	struct sbuf	 sb = SBUF_INIT;
	char		*cut, *r, save;

	for (cut = abs + strlen(abs); ; cut--) {
		while (cut > abs && *cut != '/')
			cut--;
		if (cut == abs)
			return abs;	/* only "/" is left */
		save = *cut;
		*cut = '\0';
		r = realpath(abs, NULL);
		*cut = save;
		if (r != NULL)
			break;
		if (errno == ENOMEM) {
			free(abs);
			return NULL;
		}
	}
	if (strcmp(r, "/") != 0)
		sbuf_adds(&sb, r);
	sbuf_adds(&sb, cut);
	free(r);
	free(abs);
	return sbuf_finish(&sb);
}

char *
pypath_abspath(const char *path)
{
	char	*abs, *r;

	if ((abs = absolute(path)) == NULL)
		return NULL;
	if ((r = realpath(abs, NULL)) != NULL || errno == ENOMEM) {
		free(abs);
		return r;
	}
	normalise(abs);
	return resolve_prefix(abs);
}

char *
pypath_linktarget(const char *link)
{
	char		 text[PYPATH_LINK_MAX];
	char		*dir = NULL, *target = NULL, *res = NULL;
	const char	*slash;
	ssize_t		 n;

	n = readlink(link, text, sizeof(text) - 1);
	if (n < 0 || (size_t)n >= sizeof(text) - 1)
		return strdup(link);
	text[n] = '\0';
	if (text[0] == '/')
		return pypath_abspath(text);
	slash = strrchr(link, '/');
	if ((dir = strndup(link, slash != NULL ? (size_t)(slash - link) :
	    0)) == NULL)
		goto out;
	if ((target = pypath_join(dir, text)) == NULL)
		goto out;
	res = pypath_abspath(target);
out:
	free(target);
	free(dir);
	return res;
}
