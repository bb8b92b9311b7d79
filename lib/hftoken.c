/*
 * The hub token (see hftoken.h).  The token is a secret: it never goes
 * into a message, and the buffer that held the file is wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "hftoken.h"
#include "pypath.h"

#define HFTOKEN_FILE_MAX	65536	/* bytes of the token file */

struct tctx {
	const char	*(*getenv_fn)(const char *);
	char		 *errbuf;
	size_t		  errlen;
};

static enum err
nomem(struct tctx *t)
{

	snprintf(t->errbuf, t->errlen, "out of memory");
	return ERR_NOMEM;
}

/* The token as huggingface_hub cleans it: \r and \n removed, then
 * surrounding whitespace.  Returns malloc'd (maybe "") or NULL. */
static char *
token_clean(const char *s, size_t len)
{
	static const char	 ws[] = " \t\n\r\v\f\x1c\x1d\x1e\x1f";
	char			*t, *p, *q;
	size_t			 i;

	if ((t = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, q = t; i < len; i++)
		if (s[i] != '\r' && s[i] != '\n')
			*q++ = s[i];
	*q = '\0';
	while (q > t && strchr(ws, q[-1]) != NULL)
		*--q = '\0';
	p = t + strspn(t, ws);
	memmove(t, p, strlen(p) + 1);
	return t;
}

/* Reads the token file into *tok (cleaned): a missing file is no token
 * (NULL). */
static enum err
token_file(struct tctx *t, const char *path, char **tok)
{
	char		 buf[HFTOKEN_FILE_MAX + 1];
	size_t		 len = 0;
	int		 fd;
	enum err	 e = ERR_OK;

	*tok = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1 && (errno == ENOENT || errno == ENOTDIR))
		return ERR_OK;
	if (fd == -1 || fdio_read(fd, buf, sizeof(buf), &len) == -1) {
		snprintf(t->errbuf, t->errlen, "the hub token file %s: %s",
		    path, strerror(errno));
		e = ERR_IO;
	} else if (len > HFTOKEN_FILE_MAX || memchr(buf, '\0', len) != NULL) {
		snprintf(t->errbuf, t->errlen, "the hub token file %s is not "
		    "a token (too large or binary)", path);
		e = ERR_INVAL;
	} else if ((*tok = token_clean(buf, len)) == NULL)
		e = nomem(t);
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return e;
}

/* HF_TOKEN, then HUGGING_FACE_HUB_TOKEN (an empty one falls through),
 * cleaned into *tok; NULL if neither is set. */
static enum err
token_env(struct tctx *t, char **tok)
{
	const char	*v;

	*tok = NULL;
	if ((v = t->getenv_fn("HF_TOKEN")) == NULL || *v == '\0')
		v = t->getenv_fn("HUGGING_FACE_HUB_TOKEN");
	if (v != NULL && *v != '\0' &&
	    (*tok = token_clean(v, strlen(v))) == NULL)
		return nomem(t);
	return ERR_OK;
}

/* The token file at X($HF_TOKEN_PATH or hf_home/token) into *tok. */
static enum err
token_path(struct tctx *t, const char *hf_home, char **tok)
{
	const char	*v;
	char		*joined = NULL, *path = NULL;
	enum err	 e;

	*tok = NULL;
	if ((v = t->getenv_fn("HF_TOKEN_PATH")) == NULL)
		v = joined = pypath_join(hf_home, "token");
	if (v == NULL || (path = pypath_expand(v, t->getenv_fn)) == NULL)
		e = nomem(t);
	else
		e = token_file(t, path, tok);
	free(path);
	free(joined);
	return e;
}

enum err
hftoken_load(const char *(*getenv_fn)(const char *), const char *hf_home,
    char **tok, char *errbuf, size_t errlen)
{
	struct tctx	 t = { getenv_fn, errbuf, errlen };
	enum err	 e;

	if ((e = token_env(&t, tok)) != ERR_OK)
		return e;
	if (*tok == NULL || **tok == '\0') {
		free(*tok);
		if ((e = token_path(&t, hf_home, tok)) != ERR_OK)
			return e;
	}
	if (*tok != NULL && **tok == '\0') {
		free(*tok);
		*tok = NULL;
	}
	return ERR_OK;
}
