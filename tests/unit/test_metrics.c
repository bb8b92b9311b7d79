/* Metrics: the histogram bucketing, failure reasons, and the Prometheus
 * exposition of a snapshot. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "metrics.h"
#include "unit.h"

static void
test_bucket(void)
{
	static const struct {
		enum metric	 m;
		double		 v;
		size_t		 want;
	} cases[] = {
		{ MET_HTTP_DURATION, 0, 0 },
		{ MET_HTTP_DURATION, 0.001, 0 },	/* le is inclusive */
		{ MET_HTTP_DURATION, 0.0011, 1 },
		{ MET_HTTP_DURATION, 10, 12 },
		{ MET_HTTP_DURATION, 10.5, 13 },	/* +Inf */
		{ MET_TASK_DURATION, 0.2, 0 },
		{ MET_TASK_DURATION, 1e9, 10 },
		{ MET_DOWNLOAD_THROUGHPUT, 1e6, 1 },
		{ MET_SCAN_DURATION, 31, 12 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_EQUAL(metrics_bucket(cases[i].m, cases[i].v),
		    cases[i].want);
}

static void
test_reason(void)
{
	static const struct {
		const char	*msg;
		const char	*want;
	} cases[] = {
		{ "Repository org/x is gated or requires authentication",
		    "gated" },
		{ "The content of a.bin did not match its listed hash 00 "
		    "(twice): the hub or CDN served wrong data", "integrity" },
		{ "Not enough disk space in /c: needs 1 GB, 2 MB free",
		    "disk_full" },
		{ "Download timed out", "timeout" },
		{ "Repository org/x not found on http://h", "not_found" },
		{ "Permission denied on /c/x (y): z", "permission" },
		{ "HF_HUB_OFFLINE is set: downloads are disabled", "offline" },
		{ "Job process was killed by signal 9 (Killed)",
		    "interrupted" },
		{ "Cannot connect to h (Couldn't connect) after 3 attempts",
		    "hub_error" },
		{ "cancelled", "cancelled" },
		{ "", "other" },
		{ NULL, "other" },
		{ "something odd", "other" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_STRING_EQUAL(metrics_reason_str(metrics_reason(
		    cases[i].msg)), cases[i].want);
}

/* The exposition of a hand-made snapshot (fields sorted by name). */
static char *
format(struct met_field *f, size_t n, const struct met_cache *c)
{
	struct met_runner	 run[] = { { "host-0", 2 }, { "host-1", 0 } };
	struct met_snapshot	 s = { f, n, 7, run, 2 };
	struct sbuf		 b = SBUF_INIT;

	metrics_format(&s, c, &b);
	return sbuf_finish(&b);
}

static void
test_format(void)
{
	static const struct {
		const char	*name;
		double		 value;
	} fields[] = {
		{ "bogus_series", 5 },
		{ "mm_downloads_failed_total{reason=\"gated\"}", 2 },
		{ "mm_http_request_duration_seconds_bucket{endpoint=\"list\","
		    "status=\"200\",le=\"+Inf\"}", 1 },
		{ "mm_http_request_duration_seconds_bucket{endpoint=\"list\","
		    "status=\"200\",le=\"0.001\"}", 2 },
		{ "mm_http_request_duration_seconds_bucket{endpoint=\"list\","
		    "status=\"200\",le=\"0.01\"}", 3 },
		{ "mm_http_request_duration_seconds_count{endpoint=\"list\","
		    "status=\"200\"}", 6 },
		{ "mm_http_request_duration_seconds_sum{endpoint=\"list\","
		    "status=\"200\"}", 12.5 },
		{ "mm_scan_nothing", 1 },
	};
	struct met_field	 f[8];
	struct met_cache	 c = { 1, 300, 200, 100, 7, 1, 4096 };
	char			*t;
	size_t			 i;

	for (i = 0; i < 8; i++) {
		f[i].name = strdup(fields[i].name);
		f[i].value = fields[i].value;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = format(f, 8, &c));
	for (i = 0; i < 8; i++)
		free(f[i].name);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "# HELP mm_downloads_started_total "));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "# TYPE mm_downloads_started_total counter\n"
	    "mm_downloads_started_total 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "mm_downloads_failed_total{reason=\"gated\"} 2\n"));
	/* Cumulative, +Inf and _count equal. */
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "# TYPE mm_http_request_duration_seconds histogram\n"
	    "mm_http_request_duration_seconds_bucket{endpoint=\"list\","
	    "status=\"200\",le=\"0.001\"} 2\n"
	    "mm_http_request_duration_seconds_bucket{endpoint=\"list\","
	    "status=\"200\",le=\"0.0025\"} 2\n"
	    "mm_http_request_duration_seconds_bucket{endpoint=\"list\","
	    "status=\"200\",le=\"0.005\"} 2\n"
	    "mm_http_request_duration_seconds_bucket{endpoint=\"list\","
	    "status=\"200\",le=\"0.01\"} 5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "status=\"200\",le=\"10\"} 5\n"
	    "mm_http_request_duration_seconds_bucket{endpoint=\"list\","
	    "status=\"200\",le=\"+Inf\"} 6\n"
	    "mm_http_request_duration_seconds_sum{endpoint=\"list\","
	    "status=\"200\"} 12.5\n"
	    "mm_http_request_duration_seconds_count{endpoint=\"list\","
	    "status=\"200\"} 6\n"));
	CU_ASSERT_PTR_NULL(strstr(t, "bogus"));
	CU_ASSERT_PTR_NULL(strstr(t, "mm_scan_nothing"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "mm_queue_depth 7\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "mm_jobs_running 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "mm_runners_live 2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "mm_runner_jobs_running{runner=\"host-1\"} 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "mm_cache_size_bytes{kind=\"partial\"} 7\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "mm_cache_free_bytes 4096\n"));
	free(t);
}

/* No scan yet: the families are there, without samples; no label set
 * of a histogram without observations. */
static void
test_format_empty(void)
{
	struct met_cache	 c;
	char			*t;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t = format(NULL, 0, &c));
	CU_ASSERT_PTR_NOT_NULL(strstr(t,
	    "# TYPE mm_cache_size_bytes gauge\n# HELP mm_cache_free_bytes"));
	CU_ASSERT_PTR_NULL(strstr(t, "_bucket"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "mm_download_fetched_bytes_total 0\n"));
	free(t);
}

/* The pending table: increments wait, forget drops them. */
static void
test_pending(void)
{

	metrics_forget();
	CU_ASSERT_EQUAL(metrics_pending(NULL), 0);
	metrics_observe(MET_SCAN_DURATION, NULL, NULL, 0.02);
	metrics_add(MET_OPERATIONS, "delete", "pending", 1);
	CU_ASSERT_EQUAL(metrics_pending(NULL), 1);
	metrics_forget();
	CU_ASSERT_EQUAL(metrics_pending(NULL), 0);
}

static const struct unit_test tests[] = {
	{ "histogram buckets", test_bucket },
	{ "failure reasons", test_reason },
	{ "exposition", test_format },
	{ "exposition of nothing", test_format_empty },
	{ "pending increments", test_pending },
	{ NULL, NULL }
};

UNIT_SUITE("metrics", NULL, NULL, tests)
