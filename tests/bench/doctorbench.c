/*
 * doctorbench: times the cache doctor's code paths.
 *
 *	doctorbench report DIR [WARM_RUNS]
 *		hfdoc_scan() (the report's walk, /proc/locks read at each
 *		run) and hfcache_scan() (the list's scan) on the same cache,
 *		alternately: a first run of each in this fresh process, then
 *		WARM_RUNS (default 5) of each.  Prints {"report_first_ms",
 *		"report_warm_ms", "scan_first_ms", "scan_warm_ms" (medians),
 *		"repos", "items"}.
 *	doctorbench verify DIR FOLDER [RUNS]
 *		the verify job's path on repo FOLDER of cache DIR:
 *		hfverify_plan() then hfverify_blob() on every blob to hash,
 *		through the job's 1 MiB buffer, RUNS times (default 3).
 *		Prints {"bytes", "best_ms", "mb_per_s", "problems"}.
 *
 * Exit status 0, 1 when a scan or a verify fails, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dirat.h"
#include "hfcache.h"
#include "hfdoctor.h"
#include "hfverify.h"
#include "log.h"

#define RUNS_MAX	100
#define VERIFY_BUF	(1024 * 1024)	/* the verify job's */

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

static unsigned long
runs_of(int argc, char *argv[], int at, unsigned long dflt)
{
	unsigned long	 n;
	char		*end;

	if (argc <= at)
		return dflt;
	errno = 0;
	n = strtoul(argv[at], &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > RUNS_MAX) {
		fprintf(stderr, "doctorbench: bad run count\n");
		exit(2);
	}
	return n;
}

/* One report walk, as the endpoint makes it; *items its findings. */
static double
timed_report(const char *dir, size_t *repos, size_t *items)
{
	struct hfdoc_report	 rep;
	struct hfdoc_opts	 o;
	struct proclocks	 locks;
	char			 err[512];
	double			 t0 = now_ms(), t;
	size_t			 i;

	memset(&o, 0, sizeof(o));
	o.now = (int64_t)time(NULL);
	if (proclocks_load("/proc/locks", &locks) != ERR_OK)
		exit(1);
	o.locks = &locks;
	if (hfdoc_scan(dir, &o, &rep, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "doctorbench: %s\n", err);
		exit(1);
	}
	t = now_ms() - t0;
	*repos = rep.n;
	for (*items = 0, i = 0; i < rep.n; i++)
		*items += rep.repos[i].n;
	hfdoc_report_free(&rep);
	proclocks_free(&locks);
	return t;
}

static double
timed_scan(const char *dir)
{
	struct hfscan	*s = NULL;
	char		 err[512];
	double		 t0 = now_ms(), t;

	if (hfcache_scan(dir, &s, err, sizeof(err)) != ERR_OK) {
		fprintf(stderr, "doctorbench: %s\n", err);
		exit(1);
	}
	t = now_ms() - t0;
	hfcache_free(&s);
	return t;
}

static int
cmd_report(int argc, char *argv[])
{
	double		 rf, sf, r[RUNS_MAX], s[RUNS_MAX];
	unsigned long	 n = runs_of(argc, argv, 3, 5), i;
	size_t		 repos, items;

	rf = timed_report(argv[2], &repos, &items);
	sf = timed_scan(argv[2]);
	for (i = 0; i < n; i++) {
		r[i] = timed_report(argv[2], &repos, &items);
		s[i] = timed_scan(argv[2]);
	}
	qsort(r, n, sizeof(r[0]), dbl_cmp);
	qsort(s, n, sizeof(s[0]), dbl_cmp);
	printf("{\"report_first_ms\": %.3f, \"report_warm_ms\": %.3f, "
	    "\"scan_first_ms\": %.3f, \"scan_warm_ms\": %.3f, \"repos\": %zu, "
	    "\"items\": %zu}\n", rf, r[n / 2], sf, s[n / 2], repos, items);
	return 0;
}

/* One verify of folder: the plan, then every blob hashed. */
static double
timed_verify(int cfd, const char *folder, void *buf, unsigned long long *bytes,
    size_t *problems)
{
	struct hfv_plan	 p;
	double		 t0 = now_ms(), t;
	size_t		 i;
	int		 repofd, bfd;

	if (hfverify_plan(cfd, folder, &p) != ERR_OK)
		exit(1);
	repofd = dirat_fd(cfd, folder);
	bfd = dirat_fd(repofd, "blobs");
	for (i = 0; i < p.nblobs; i++)
		if (p.blobs[i].hash && hfverify_blob(bfd, &p.blobs[i], buf,
		    VERIFY_BUF, NULL, NULL) != ERR_OK)
			exit(1);
	t = now_ms() - t0;
	hfverify_settle(&p);
	*bytes = p.bytes;
	for (*problems = 0, i = 0; i < p.nfiles; i++)
		*problems += p.files[i].state != HFV_OK;
	hfverify_free(&p);
	close(bfd);
	close(repofd);
	return t;
}

static int
cmd_verify(int argc, char *argv[])
{
	unsigned long long	 bytes = 0;
	unsigned long		 n = runs_of(argc, argv, 4, 3), i;
	double			 best = 0, t;
	size_t			 problems = 0;
	void			*buf;
	int			 cfd;

	if (argc < 4 || (cfd = open(argv[2], O_RDONLY | O_DIRECTORY)) == -1 ||
	    (buf = malloc(VERIFY_BUF)) == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		t = timed_verify(cfd, argv[3], buf, &bytes, &problems);
		if (i == 0 || t < best)
			best = t;
	}
	printf("{\"bytes\": %llu, \"best_ms\": %.3f, \"mb_per_s\": %.1f, "
	    "\"problems\": %zu}\n", bytes, best, (double)bytes / 1048576.0 /
	    (best / 1000.0), problems);
	free(buf);
	close(cfd);
	return 0;
}

int
main(int argc, char *argv[])
{

	log_init("doctorbench", NULL);
	if (argc >= 3 && strcmp(argv[1], "report") == 0)
		return cmd_report(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc, argv);
	fprintf(stderr, "usage: doctorbench report DIR [WARM_RUNS]\n"
	    "       doctorbench verify DIR FOLDER [RUNS]\n");
	return 2;
}
