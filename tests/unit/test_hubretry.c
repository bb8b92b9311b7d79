/*
 * Suite "hubretry": the retry and redirect policy of Hub requests, judged
 * on made-up outcomes (no request is sent): transient failures, the
 * attempt count and its reset, a CDN's errors, the final messages,
 * redirects and their limit, Retry-After and backoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "hubhttp.h"
#include "hubretry.h"
#include "unit.h"

#define HUB	"http://127.0.0.1:9"
#define CDN	"http://127.0.0.2:9"

struct fixture {
	struct hubhttp_opts	 o;
	struct hubhttp_errctx	 e;
	struct hubretry		 r;
	struct hubhttp_hdrs	*h;
	char			 msg[512];
};

static void
fixture_init(struct fixture *f, const char *url, int cdn_retry)
{
	char	*u;

	memset(f, 0, sizeof(*f));
	f->o.endpoint = HUB;
	f->o.retry_max = 2;
	f->o.retry_base_ms = 100;
	f->o.retry_max_ms = 1000;
	f->e.endpoint = HUB;
	f->e.repo_id = "org/m";
	f->e.revision = "main";
	f->e.file = "w.bin";
	f->r.opts = &f->o;
	f->r.ectx = &f->e;
	f->r.cdn_retry = cdn_retry;
	f->r.msg = f->msg;
	f->r.msglen = sizeof(f->msg);
	u = strdup(url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	hubretry_restart(&f->r, u);
	f->h = calloc(1, sizeof(*f->h));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->h);
}

static void
fixture_free(struct fixture *f)
{

	hubretry_free(&f->r);
	free(f->h);
}

static void
test_judge(void)
{
	static const struct {
		const char		*url;
		int			 cdn_retry;
		CURLcode		 cc;
		long			 status;
		enum hubretry_next	 next;
		enum err		 err;
	} cases[] = {
		{ HUB "/x", 0, CURLE_OK, 200, HUBRETRY_DONE, ERR_OK },
		{ HUB "/x", 1, CURLE_OK, 206, HUBRETRY_DONE, ERR_OK },
		{ HUB "/x", 0, CURLE_OK, 302, HUBRETRY_FOLLOW, ERR_OK },
		{ CDN "/x", 1, CURLE_OK, 307, HUBRETRY_FOLLOW, ERR_OK },
		{ HUB "/x", 0, CURLE_OK, 503, HUBRETRY_WAIT, ERR_OK },
		{ HUB "/x", 0, CURLE_OK, 429, HUBRETRY_WAIT, ERR_OK },
		{ HUB "/x", 1, CURLE_OK, 404, HUBRETRY_FAIL, ERR_NOTFOUND },
		{ HUB "/x", 0, CURLE_OK, 401, HUBRETRY_FAIL, ERR_CONFLICT },
		{ CDN "/x", 1, CURLE_OK, 403, HUBRETRY_WAIT, ERR_OK },
		{ CDN "/x", 0, CURLE_OK, 403, HUBRETRY_FAIL, ERR_CONFLICT },
		{ HUB "/x", 0, CURLE_COULDNT_CONNECT, 0, HUBRETRY_WAIT,
		    ERR_OK },
		{ HUB "/x", 1, CURLE_PARTIAL_FILE, 200, HUBRETRY_WAIT,
		    ERR_OK },
		{ HUB "/x", 0, CURLE_UNSUPPORTED_PROTOCOL, 0, HUBRETRY_FAIL,
		    ERR_UPSTREAM },
	};
	struct fixture	 f;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fixture_init(&f, cases[i].url, cases[i].cdn_retry);
		f.h->status = cases[i].status;
		CU_ASSERT_EQUAL(hubretry_judge(&f.r, cases[i].cc, f.h, 0),
		    cases[i].next);
		if (cases[i].next == HUBRETRY_FAIL) {
			CU_ASSERT_EQUAL(f.r.err, cases[i].err);
			CU_ASSERT_NOT_EQUAL(f.msg[0], '\0');
		}
		if (cases[i].next == HUBRETRY_WAIT) {
			CU_ASSERT_EQUAL(f.r.attempts, 1);
			CU_ASSERT_EQUAL(f.r.wait_ms, 100);
		}
		fixture_free(&f);
	}
}

/* The attempts in a row, their reset, and the final messages. */
static void
test_spent(void)
{
	struct fixture	 f;

	fixture_init(&f, CDN "/o?sig=s", 1);
	f.h->status = 403;
	snprintf(f.h->retry_after, sizeof(f.h->retry_after), "1");
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_OK, f.h, 0), HUBRETRY_WAIT);
	CU_ASSERT_EQUAL(f.r.wait_ms, 1000);	/* Retry-After wins */
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_OK, f.h, 0), HUBRETRY_WAIT);
	CU_ASSERT_EQUAL(f.r.attempts, 2);
	/* Bytes came: no attempt counted. */
	CU_ASSERT_EQUAL(hubretry_again(&f.r, CURLE_PARTIAL_FILE, f.h, 1),
	    HUBRETRY_WAIT);
	CU_ASSERT_EQUAL(f.r.attempts, 0);
	CU_ASSERT_EQUAL(f.r.wait_ms, 100);
	f.r.attempts = 2;
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_OK, f.h, 0), HUBRETRY_FAIL);
	CU_ASSERT_EQUAL(f.r.err, ERR_CONFLICT);
	CU_ASSERT_STRING_EQUAL(f.msg, "The CDN answered HTTP 403 for w.bin "
	    "(after 3 attempts)");
	fixture_free(&f);

	fixture_init(&f, HUB "/api/models/org/m/revision/main", 0);
	f.e.file = NULL;
	f.o.retry_max = 0;
	f.h->status = 500;
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_OK, f.h, 0), HUBRETRY_FAIL);
	CU_ASSERT_EQUAL(f.r.err, ERR_UPSTREAM);
	CU_ASSERT_STRING_EQUAL(f.msg, "The hub failed with HTTP 500 for "
	    "repository org/m (after 1 attempts)");
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_COULDNT_CONNECT, f.h, 0),
	    HUBRETRY_FAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "Cannot connect to " HUB));
	fixture_free(&f);
}

static void
test_follow(void)
{
	struct fixture	 f;
	int		 i;

	fixture_init(&f, HUB "/a/b?x=1", 0);
	snprintf(f.h->location, sizeof(f.h->location), "/c");
	f.h->status = 302;
	CU_ASSERT_EQUAL(hubretry_follow(&f.r, f.h), ERR_OK);
	CU_ASSERT_STRING_EQUAL(f.r.url, HUB "/c");
	snprintf(f.h->location, sizeof(f.h->location), CDN "/o?sig=s");
	CU_ASSERT_EQUAL(hubretry_follow(&f.r, f.h), ERR_OK);
	CU_ASSERT_STRING_EQUAL(f.r.url, CDN "/o?sig=s");
	snprintf(f.h->location, sizeof(f.h->location), "ftp://h/x");
	CU_ASSERT_EQUAL(hubretry_follow(&f.r, f.h), ERR_UPSTREAM);
	CU_ASSERT_STRING_EQUAL(f.msg, "The hub sent an invalid redirect "
	    "(HTTP 302) for w.bin");
	/* The hops since the last restart are limited. */
	hubretry_restart(&f.r, strdup(HUB "/x"));
	snprintf(f.h->location, sizeof(f.h->location), "/x");
	for (i = 0; i < HUBRETRY_HOPS_MAX; i++)
		CU_ASSERT_EQUAL(hubretry_follow(&f.r, f.h), ERR_OK);
	CU_ASSERT_EQUAL(hubretry_follow(&f.r, f.h), ERR_UPSTREAM);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "Too many redirects (more "
	    "than 10) for w.bin"));
	/* An API request is named by its URL, without the query. */
	f.e.file = NULL;
	CU_ASSERT_EQUAL(hubretry_follow(&f.r, f.h), ERR_UPSTREAM);
	CU_ASSERT_PTR_NOT_NULL(strstr(f.msg, "for " HUB "/x:"));
	fixture_free(&f);
}

static void
test_retry_after(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 secs;
	} cases[] = {
		{ "5", 0, 5 }, { " 10 ", 0, 10 }, { "0", 0, 0 },
		{ "86400", 0, 86400 }, { "86401", -1, 0 },
		{ "99999999999999999999", -1, 0 }, { "-1", -1, 0 },
		{ "1.5", -1, 0 }, { "", -1, 0 }, { "5s", -1, 0 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", -1, 0 },
	};
	struct hubhttp_opts	 o;
	unsigned	 secs;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		secs = 12345;
		CU_ASSERT_EQUAL(hubretry_after(cases[i].in, &secs),
		    cases[i].rc);
		if (cases[i].rc == 0)
			CU_ASSERT_EQUAL(secs, cases[i].secs);
	}
	CU_ASSERT_EQUAL(hubretry_after(NULL, &secs), -1);

	memset(&o, 0, sizeof(o));
	o.retry_base_ms = 100;
	o.retry_max_ms = 1000;
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 1, NULL), 100);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 2, NULL), 200);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 4, NULL), 800);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 5, NULL), 1000);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 60, NULL), 1000);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 1, "2"), 2000);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 1, "3600"), 4000);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 3, "soon"), 400);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 3, ""), 400);
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 1, NULL), 1000);
	CU_ASSERT_EQUAL(hubretry_backoff_ms(&o, 10, NULL), 8000);

	CU_ASSERT_TRUE(hubretry_transient_status(503));
	CU_ASSERT_TRUE(hubretry_transient_status(500));
	CU_ASSERT_TRUE(hubretry_transient_status(429));
	CU_ASSERT_TRUE(hubretry_transient_status(408));
	CU_ASSERT_FALSE(hubretry_transient_status(404));
	CU_ASSERT_FALSE(hubretry_transient_status(401));
	CU_ASSERT_FALSE(hubretry_transient_status(416));
	CU_ASSERT_TRUE(hubretry_transient_curl(CURLE_COULDNT_CONNECT));
	CU_ASSERT_TRUE(hubretry_transient_curl(CURLE_OPERATION_TIMEDOUT));
	CU_ASSERT_TRUE(hubretry_transient_curl(CURLE_PARTIAL_FILE));
	CU_ASSERT_FALSE(hubretry_transient_curl(CURLE_UNSUPPORTED_PROTOCOL));
	CU_ASSERT_FALSE(hubretry_transient_curl(CURLE_WRITE_ERROR));
}

/* A transient failure in words: never a URL, a token or content. */
static void
test_cause(void)
{
	static const struct {
		CURLcode	 cc;
		long		 status;
		int		 cdn;
		unsigned	 stall;
		const char	*words;
	} cases[] = {
		{ CURLE_OK, 500, 0, 0, "Hub error (HTTP 500)" },
		{ CURLE_OK, 503, 0, 0, "Hub error (HTTP 503)" },
		{ CURLE_OK, 408, 0, 0, "Hub error (HTTP 408)" },
		{ CURLE_OK, 429, 0, 0, "Hub rate limit (HTTP 429)" },
		{ CURLE_OK, 403, 1, 0, "CDN error (HTTP 403)" },
		{ CURLE_OK, 206, 0, 0, "Unexpected answer from the hub "
		    "(HTTP 206)" },
		{ CURLE_RECV_ERROR, 200, 0, 0, "Connection to the hub lost" },
		{ CURLE_PARTIAL_FILE, 206, 1, 0, "Connection to the hub lost" },
		{ CURLE_GOT_NOTHING, 0, 0, 0, "Connection to the hub lost" },
		{ CURLE_COULDNT_CONNECT, 0, 0, 0, "Cannot connect to the hub" },
		{ CURLE_COULDNT_RESOLVE_HOST, 0, 0, 0,
		    "Cannot connect to the hub" },
		{ CURLE_OPERATION_TIMEDOUT, 200, 0, 10,
		    "No data from the hub for 10 s" },
		{ CURLE_OPERATION_TIMEDOUT, 200, 0, 0,
		    "No data from the hub for 60 s" },
		{ CURLE_OPERATION_TIMEDOUT, 0, 0, 10, "No answer from the hub" },
		{ CURLE_SEND_ERROR, 0, 0, 0, "Connection to the hub lost" },
		{ CURLE_WRITE_ERROR, 0, 0, 0, "Transfer from the hub failed" },
	};
	char	 buf[HUBRETRY_CAUSE_MAX];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hubretry_cause(cases[i].cc, cases[i].status, cases[i].cdn,
		    cases[i].stall, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, cases[i].words);
	}
	hubretry_cause(CURLE_OK, 500, 0, 0, buf, 8);	/* truncated */
	CU_ASSERT_STRING_EQUAL(buf, "Hub err");
}

/* What on_retry was told last, and how many times. */
struct told {
	int		 calls;
	const void	*req;
	unsigned	 attempt;
	char		 cause[HUBRETRY_CAUSE_MAX];
	int		 flowing;	/* cause was NULL */
};

static void
told_cb(void *arg, const void *req, unsigned attempt, const char *cause)
{
	struct told	*t = arg;

	t->calls++;
	t->req = req;
	t->attempt = attempt;
	t->flowing = cause == NULL;
	snprintf(t->cause, sizeof(t->cause), "%s", cause ? cause : "");
}

/* Each retry is told with its number and cause, and a 200 as data
 * flowing; the signed URL of a CDN never appears. */
static void
test_notify(void)
{
	struct fixture	 f;
	struct told	 t;

	memset(&t, 0, sizeof(t));
	fixture_init(&f, CDN "/o?X-Amz-Signature=secret", 1);
	f.o.on_retry = told_cb;
	f.o.on_retry_arg = &t;
	f.o.stall_seconds = 10;
	f.h->status = 503;
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_OK, f.h, 0), HUBRETRY_WAIT);
	CU_ASSERT_EQUAL(t.calls, 1);
	CU_ASSERT_PTR_EQUAL(t.req, &f.r);
	CU_ASSERT_EQUAL(t.attempt, 1);
	CU_ASSERT_STRING_EQUAL(t.cause, "CDN error (HTTP 503)");
	f.h->status = 200;
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_OPERATION_TIMEDOUT, f.h,
	    0), HUBRETRY_WAIT);
	CU_ASSERT_EQUAL(t.attempt, 2);
	CU_ASSERT_STRING_EQUAL(t.cause, "No data from the hub for 10 s");
	/* Bytes came before the failure: the retry is the first again. */
	CU_ASSERT_EQUAL(hubretry_again(&f.r, CURLE_RECV_ERROR, f.h, 1),
	    HUBRETRY_WAIT);
	CU_ASSERT_EQUAL(t.attempt, 1);
	CU_ASSERT_STRING_EQUAL(t.cause, "Connection to the hub lost");
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_OK, f.h, 0), HUBRETRY_DONE);
	CU_ASSERT_EQUAL(t.calls, 4);
	CU_ASSERT_TRUE(t.flowing);
	CU_ASSERT_EQUAL(t.attempt, 0);
	/* Attempts spent: a failure, not a retry. */
	f.h->status = 500;
	f.r.attempts = f.o.retry_max;
	CU_ASSERT_EQUAL(hubretry_judge(&f.r, CURLE_OK, f.h, 0), HUBRETRY_FAIL);
	CU_ASSERT_EQUAL(t.calls, 4);
	fixture_free(&f);
}

static const struct unit_test tests[] = {
	{ "judging an outcome", test_judge },
	{ "a transient failure in words", test_cause },
	{ "retries and data flowing, told", test_notify },
	{ "attempts spent, reset, final messages", test_spent },
	{ "redirects and their limit", test_follow },
	{ "Retry-After and backoff", test_retry_after },
	{ NULL, NULL }
};

UNIT_SUITE("hubretry", NULL, NULL, tests)
