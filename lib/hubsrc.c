/*
 * The sources of a download (HF_ENDPOINT, then the mirrors), their
 * cool-downs, and the hub.mirrors / hub.token_origins settings.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hubsrc.h"

/* 0 if s (n bytes) is a host[:port] without user info or odd bytes. */
static int
check_authority(const char *s, size_t n, const char **why)
{
	size_t	 i;

	if (n == 0 || s[0] == ':') {
		*why = "no host";
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '@') {
			*why = "user info is not allowed";
			return -1;
		}
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) {
			*why = "blank or control character";
			return -1;
		}
	}
	return 0;
}

int
hubsrc_check_url(const char *url, int origin, const char **why)
{
	const char	*p, *slash;
	size_t		 i;

	if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else {
		*why = "not an http or https URL";
		return -1;
	}
	if (strlen(url) >= HUBSRC_URL_MAX) {
		*why = "too long";
		return -1;
	}
	if (strpbrk(url, "?#") != NULL) {
		*why = "a query or fragment is not allowed";
		return -1;
	}
	slash = strchr(p, '/');
	if (check_authority(p, slash ? (size_t)(slash - p) : strlen(p),
	    why) == -1)
		return -1;
	for (i = 0; slash != NULL && slash[i] != '\0'; i++)
		if ((unsigned char)slash[i] <= 0x20 || slash[i] == 0x7f) {
			*why = "blank or control character";
			return -1;
		}
	if (origin && slash != NULL && strcmp(slash, "/") != 0) {
		*why = "an origin has no path";
		return -1;
	}
	return 0;
}

/* A copy of url without trailing '/', or NULL. */
static char *
url_trim(const char *url)
{
	char	*s;
	size_t	 n;

	if ((s = strdup(url)) == NULL)
		return NULL;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

enum err
hubsrc_yaml(const struct yamldoc_msg *m, const char *name,
    const struct yamldoc_node *v, struct hubsrc_conf *sc)
{
	int		 origin = strstr(name, "origins") != NULL;
	char		**list = origin ? sc->origins : sc->mirrors;
	size_t		*n = origin ? &sc->norigins : &sc->nmirrors, i;
	const char	*why;

	if (yamldoc_is_null(v))
		return ERR_OK;		/* token_origins: the default */
	if (origin)
		sc->origins_set = 1;
	if (v->kind != YAMLDOC_SEQUENCE || v->n > HUBSRC_MIRRORS_MAX)
		return yamldoc_fail(m, ERR_INVAL, v->line, "%s: expected a "
		    "list of at most %d URLs", name, HUBSRC_MIRRORS_MAX);
	for (i = 0; i < v->n; i++) {
		if (v->items[i].kind != YAMLDOC_SCALAR)
			return yamldoc_fail(m, ERR_INVAL, v->items[i].line,
			    "%s: expected a URL", name);
		if (hubsrc_check_url(v->items[i].str, origin, &why) == -1)
			return yamldoc_fail(m, ERR_INVAL, v->items[i].line,
			    "%s: item %zu is not a valid %s: %s", name, i + 1,
			    origin ? "origin (scheme://host[:port])" :
			    "mirror URL", why);
		if (*n < HUBSRC_MIRRORS_MAX &&
		    (list[*n] = url_trim(v->items[i].str)) == NULL)
			return yamldoc_fail(m, ERR_NOMEM, 0, "out of memory");
		(*n)++;
	}
	return ERR_OK;
}

void
hubsrc_conf_free(struct hubsrc_conf *sc)
{
	size_t	 i;

	for (i = 0; i < sc->nmirrors; i++)
		free(sc->mirrors[i]);
	for (i = 0; i < sc->norigins; i++)
		free(sc->origins[i]);
	memset(sc, 0, sizeof(*sc));
}

void
hubsrc_init(struct hubsrc *s, const char *endpoint,
    const struct hubsrc_conf *sc, unsigned cooldown_s)
{
	size_t	 i;

	memset(s, 0, sizeof(*s));
	s->url[s->n++] = endpoint;
	for (i = 0; sc != NULL && i < sc->nmirrors && s->n < HUBSRC_MAX; i++)
		s->url[s->n++] = sc->mirrors[i];
	s->cooldown_ms = (cooldown_s ? cooldown_s : HUBSRC_COOLDOWN_DEFAULT) *
	    1000U;
}

const char *
hubsrc_current(const struct hubsrc *s)
{

	return s->url[s->cur];
}

int
hubsrc_fail(struct hubsrc *s, size_t i, uint64_t now)
{
	size_t	 k, j;

	if (i >= s->n)
		return 0;
	s->cool_until[i] = now + s->cooldown_ms;
	if (i != s->cur)
		return s->cool_until[s->cur] <= now;
	for (k = 1; k <= s->n; k++) {
		j = (i + k) % s->n;
		if (s->cool_until[j] <= now) {
			s->cur = j;
			return 1;
		}
	}
	return 0;
}
