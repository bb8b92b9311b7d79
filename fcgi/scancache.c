/*
 * The per-process cache of the HF cache scan: reused for scan_ttl seconds,
 * dropped at once when a job bumps the cache generation in Redis, and
 * kept (with the error reported) when a rescan fails.  It lives in
 * struct app (app->scans).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extern.h"
#include "metrics.h"
#include "log.h"
#include "mono.h"

static int
scancache_stale(const struct app *app, int have_gen, unsigned long long gen)
{
	const struct scancache	*sc = &app->scans;

	if (sc->scan == NULL || sc->failed)
		return 1;
	if (have_gen && (!sc->have_gen || gen != sc->gen))
		return 1;
	return mono_now() - sc->at >= (double)app->cfg->scan_ttl;
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

/* Scans the cache again: a success replaces the cached scan; a failure
 * (logged by hfcache_scan) keeps it and records the message. */
static void
scancache_rescan(struct app *app, int have_gen, unsigned long long gen)
{
	struct scancache	*sc = &app->scans;
	struct hfscan		*fresh = NULL;

	sc->at = mono_now();
	if (hfcache_scan(app->cfg->hf_hub_cache, &fresh, sc->error,
	    sizeof(sc->error)) != ERR_OK) {
		sc->failed = 1;
		return;
	}
	metrics_observe(MET_SCAN_DURATION, NULL, NULL, mono_now() - sc->at);
	log_scan_warnings(fresh, sc->scan);
	hfcache_free(&sc->scan);
	sc->scan = fresh;
	sc->failed = 0;
	sc->gen = gen;
	sc->have_gen = have_gen;
}

/*
 * Points out at the cached scan, scanning first when force is set, when
 * the cached one is older than scan_ttl, or when the generation gen (if
 * have_gen) is not the cached scan's.  out borrows from app->scans: valid
 * until the next call.  This function can't fail: a failed scan shows as
 * out->error, with the last good scan (if any) still in out->scan.
 */
void
scancache_get(struct app *app, int force, int have_gen,
    unsigned long long gen, struct scanview *out)
{
	struct scancache	*sc = &app->scans;

	if (force || scancache_stale(app, have_gen, gen))
		scancache_rescan(app, have_gen, gen);
	out->scan = sc->scan;
	out->error = sc->failed ? sc->error : NULL;
}

/* Frees the cached scan; sc may be reused. */
void
scancache_free(struct scancache *sc)
{

	hfcache_free(&sc->scan);
	memset(sc, 0, sizeof(*sc));
}
