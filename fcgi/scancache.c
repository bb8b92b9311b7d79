/*
 * The per-process cache of the HF cache scan: reused for scan_ttl seconds,
 * dropped at once when a job bumps the cache generation in Redis, and
 * kept (with the error reported) when a rescan fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extern.h"
#include "log.h"
#include "mono.h"

static struct {
	struct hfscan		*scan;
	double			 at;	/* mono_now() of the scan */
	unsigned long long	 gen;
	int			 have_gen;
	char			 error[512];
	int			 failed;
} sc;

static int
scancache_stale(const struct app *app, int have_gen, unsigned long long gen)
{

	if (sc.scan == NULL || sc.failed)
		return 1;
	if (have_gen && (!sc.have_gen || gen != sc.gen))
		return 1;
	return mono_now() - sc.at >= (double)app->cfg->scan_ttl;
}

/* Logs a fresh scan's per-repo warnings when they differ in number from
 * the previous scan's, so a corrupted repo is reported without repeating
 * it at every TTL. */
static void
log_scan_warnings(const struct hfscan *fresh, const struct hfscan *old)
{
	char	 esc[512];
	size_t	 i;

	if (old != NULL && old->nwarnings == fresh->nwarnings)
		return;
	for (i = 0; i < fresh->nwarnings; i++)
		log_warnx("cache scan: %s", log_escape(esc, sizeof(esc),
		    fresh->warnings[i]));
}

void
scancache_get(struct app *app, int force, int have_gen,
    unsigned long long gen, struct scanview *out)
{
	struct hfscan	*fresh = NULL;
	char		 err[sizeof(sc.error)];
	enum err	 e;

	if (force || scancache_stale(app, have_gen, gen)) {
		e = hfcache_scan(app->cfg->hf_hub_cache, &fresh, err,
		    sizeof(err));
		sc.at = mono_now();
		if (e == ERR_OK) {
			log_scan_warnings(fresh, sc.scan);
			hfcache_free(&sc.scan);
			sc.scan = fresh;
			sc.failed = 0;
			sc.gen = gen;
			sc.have_gen = have_gen;
		} else {
			if (!sc.failed)
				log_warnx("cache scan of %s failed: %s",
				    app->cfg->hf_hub_cache, err);
			sc.failed = 1;
			snprintf(sc.error, sizeof(sc.error), "%s", err);
		}
	}
	out->scan = sc.scan;
	out->error = sc.failed ? sc.error : NULL;
}
