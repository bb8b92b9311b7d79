#ifndef MM_HUBSRC_H
#define MM_HUBSRC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "yamldoc.h"

/*
 * The sources of a download: HF_ENDPOINT first, then the mirrors of
 * hub.mirrors, in order.  A source that failed (a connect error, 5xx or
 * 429 once its retries are spent) cools down for a while and the next
 * one is used; the metadata and the files come from the current one,
 * always at the commit the download pinned.  The token goes only to the
 * origins of hub.token_origins (default: HF_ENDPOINT's).  Pure logic:
 * the caller gives the clock.
 */

#define HUBSRC_MIRRORS_MAX	8
#define HUBSRC_MAX		(1 + HUBSRC_MIRRORS_MAX)
#define HUBSRC_URL_MAX		512
#define HUBSRC_COOLDOWN_DEFAULT	60	/* seconds */

/* What the configuration says (hub.mirrors, hub.token_origins). */
struct hubsrc_conf {
	char	*mirrors[HUBSRC_MIRRORS_MAX];	/* no trailing '/' */
	size_t	 nmirrors;
	char	*origins[HUBSRC_MAX];		/* "scheme://host[:port]" */
	size_t	 norigins;
	int	 origins_set;	/* token_origins given (maybe empty) */
};

/*
 * Reads the YAML value v of the key name ("hub.mirrors" or
 * "hub.token_origins") into sc: a list of at most HUBSRC_MIRRORS_MAX
 * http(s) URLs without user info, query or fragment (a mirror's trailing
 * '/' removed; an origin has no path).  Errors go to m, naming the key.
 */
enum err hubsrc_yaml(const struct yamldoc_msg *m, const char *name,
	    const struct yamldoc_node *v, struct hubsrc_conf *sc);

/* Frees what sc holds. */
void	 hubsrc_conf_free(struct hubsrc_conf *sc);

/*
 * 0 if url is an acceptable endpoint ("http(s)://host[:port][/path]", no
 * user info, query or fragment, no blank or control character; with
 * origin set, no path either), else -1 with the reason in *why.
 */
int	 hubsrc_check_url(const char *url, int origin, const char **why);

/* The sources of one download. */
struct hubsrc {
	const char	*url[HUBSRC_MAX];	/* borrowed */
	uint64_t	 cool_until[HUBSRC_MAX]; /* ms; 0 = usable */
	size_t		 n;
	size_t		 cur;		/* in use */
	unsigned	 cooldown_ms;
};

/*
 * Sets s up with endpoint first, then the mirrors (borrowed: they must
 * outlive s); cooldown_s 0 means HUBSRC_COOLDOWN_DEFAULT.
 */
void	 hubsrc_init(struct hubsrc *s, const char *endpoint,
	    const struct hubsrc_conf *sc, unsigned cooldown_s);

/* The source in use. */
const char *hubsrc_current(const struct hubsrc *s);

/*
 * Source i failed at now (ms): it cools down until now + cooldown_ms.
 * If it is the one in use, the next source not cooling down at now
 * (after it, wrapping round) becomes current.  Returns 1 if a usable
 * source is current, 0 if every one is cooling down (then current is
 * unchanged).
 */
int	 hubsrc_fail(struct hubsrc *s, size_t i, uint64_t now);

#endif
