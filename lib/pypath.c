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

char *
pypath_expanduser(const char *path, const char *(*getenv_fn)(const char *))
{
	struct sbuf	 sb = SBUF_INIT;
	const char	*slash, *env;
	char		*user = NULL, *home = NULL, *res = NULL;
	size_t		 i, hlen;
	bool		 nomem = false;

	if (path[0] != '~')
		return strdup(path);
	slash = strchr(path + 1, '/');
	i = slash != NULL ? (size_t)(slash - path) : strlen(path);
	if (i == 1) {
		if ((env = getenv_fn("HOME")) != NULL) {
			if ((home = strdup(env)) == NULL)
				goto out;
		} else
			home = pw_home(NULL, &nomem);
	} else {
		if ((user = strndup(path + 1, i - 1)) == NULL)
			goto out;
		home = pw_home(user, &nomem);
	}
	if (nomem)
		goto out;
	if (home == NULL) {
		res = strdup(path);
		goto out;
	}
	hlen = strlen(home);
	while (hlen > 0 && home[hlen - 1] == '/')
		hlen--;
	sbuf_add(&sb, home, hlen);
	sbuf_adds(&sb, path + i);
	if (sb.len == 0 && !sb.nomem)
		sbuf_add(&sb, "/", 1);
	res = sbuf_finish(&sb);
out:
	free(user);
	free(home);
	return res;
}

static bool
isword(char ch)
{

	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_';
}

char *
pypath_expandvars(const char *path, const char *(*getenv_fn)(const char *))
{
	struct sbuf	 sb = SBUF_INIT;
	const char	*p, *q, *close, *val;
	char		*name;
	size_t		 nlen;

	p = path;
	while ((q = strchr(p, '$')) != NULL) {
		sbuf_add(&sb, p, (size_t)(q - p));
		if (q[1] == '{' && (close = strchr(q + 2, '}')) != NULL) {
			name = q + 2 == close ? NULL :
			    strndup(q + 2, (size_t)(close - q - 2));
			nlen = (size_t)(close + 1 - q);
			if (q + 2 != close && name == NULL)
				goto nomem;
		} else if (isword(q[1])) {
			for (close = q + 1; isword(*close); close++)
				;
			if ((name = strndup(q + 1,
			    (size_t)(close - q - 1))) == NULL)
				goto nomem;
			nlen = (size_t)(close - q);
		} else {
			/* No variable here: keep the '$', look further on. */
			sbuf_add(&sb, q, 1);
			p = q + 1;
			continue;
		}
		val = name != NULL ? getenv_fn(name) : NULL;
		free(name);
		if (val != NULL)
			sbuf_adds(&sb, val);
		else
			sbuf_add(&sb, q, nlen);
		p = q + nlen;
	}
	sbuf_adds(&sb, p);
	return sbuf_finish(&sb);
nomem:
	free(sb.s);
	return NULL;
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

char *
pypath_abspath(const char *path)
{
	struct sbuf	 sb = SBUF_INIT;
	char		 cwd[PATH_MAX];
	char		*abs, *r, *cut, *res;
	char		 save;

	/* Made absolute textually: Python does not resolve the cwd again. */
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
		sbuf_adds(&sb, cwd);
		sbuf_add(&sb, "/", 1);
	} else if (path[0] != '/')
		sbuf_add(&sb, "/", 1);
	sbuf_adds(&sb, path);
	if ((abs = sbuf_finish(&sb)) == NULL)
		return NULL;
	if ((r = realpath(abs, NULL)) != NULL) {
		free(abs);
		return r;
	}
	if (errno == ENOMEM) {
		free(abs);
		return NULL;
	}
	normalise(abs);
	/* Resolve the longest prefix that exists, keep the rest as is. */
	cut = abs + strlen(abs);
	for (;;) {
		while (cut > abs && *cut != '/')
			cut--;
		if (cut == abs) {
			/* Only "/" is left: nothing to resolve. */
			return abs;
		}
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
		cut--;
	}
	sb = (struct sbuf)SBUF_INIT;
	if (strcmp(r, "/") != 0)
		sbuf_adds(&sb, r);
	sbuf_adds(&sb, cut);
	free(r);
	free(abs);
	res = sbuf_finish(&sb);
	return res;
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
