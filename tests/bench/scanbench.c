/*
 * scanbench: times hfcache_scan(), the cache scan of the list endpoint.
 *
 *	scanbench DIR [WARM_RUNS]
 *
 * The first scan runs in this fresh process, as in a responder that just
 * started (the kernel's page and dentry caches cannot be dropped here, so
 * "first" is not "cold disk"); then WARM_RUNS (default 5) more scans, as a
 * responder rescanning after its TTL.  Prints one JSON line:
 * {"first_ms", "warm_ms" (median), "warm_min_ms", "repos", "blobs",
 *  "warnings", "maxrss_kib"}.  Exit status 0, 1 when a scan fails, 2 on
 * bad usage.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hfcache.h"
#include "log.h"

#define WARM_MAX	100

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One timed scan; keeps the result in *keep when keep is not NULL. */
static double
timed_scan(const char *dir, struct hfscan **keep)
{
	struct hfscan	*s = NULL;
	char		 err[512];
	double		 t0, t;

	t0 = now_ms();
	if (hfcache_scan(dir, &s, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "scanbench: %s\n", err);
		exit(1);
	}
	t = now_ms() - t0;
	if (keep != NULL)
		*keep = s;
	else
		hfcache_free(&s);
	return t;
}

int
main(int argc, char *argv[])
{
	struct hfscan	*s = NULL;
	struct rusage	 ru;
	double		 first, warm[WARM_MAX];
	unsigned long	 n = 5, blobs = 0;
	char		*end;
	size_t		 i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: scanbench DIR [WARM_RUNS]\n");
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		n = strtoul(argv[2], &end, 10);
		if (errno != 0 || *end != '\0' || n == 0 || n > WARM_MAX) {
			fprintf(stderr, "scanbench: bad WARM_RUNS\n");
			return 2;
		}
	}
	log_init("scanbench", NULL);
	first = timed_scan(argv[1], &s);
	for (i = 0; i < n; i++)
		warm[i] = timed_scan(argv[1], NULL);
	qsort(warm, n, sizeof(warm[0]), dbl_cmp);
	for (i = 0; i < s->n; i++)
		blobs += s->repos[i].nb_files;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"first_ms\": %.3f, \"warm_ms\": %.3f, \"warm_min_ms\": %.3f, "
	    "\"repos\": %zu, \"blobs\": %lu, \"warnings\": %zu, "
	    "\"maxrss_kib\": %ld}\n", first, warm[n / 2], warm[0], s->n, blobs,
	    s->nwarnings, ru.ru_maxrss);
	hfcache_free(&s);
	return 0;
}
