/*
 * Suite "hubsrc": the sources of a download (HF_ENDPOINT, then the
 * mirrors), their cool-downs and the fail-over order; the URL checks of
 * hub.mirrors and hub.token_origins; the token sent only to the listed
 * origins.
 */
#include <stddef.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "hubhttp.h"
#include "hubsrc.h"
#include "unit.h"

#define EP	"https://hf.example"
#define M1	"https://m1.example/hf"
#define M2	"http://10.0.0.2:8080"

static void
sources(struct hubsrc *s, struct hubsrc_conf *sc)
{

	memset(sc, 0, sizeof(*sc));
	sc->mirrors[0] = (char *)M1;
	sc->mirrors[1] = (char *)M2;
	sc->nmirrors = 2;
	hubsrc_init(s, EP, sc, 10);
}

/* The endpoint first, then the mirrors in order; a failed one cools
 * down and the next usable one is current. */
static void
test_failover(void)
{
	struct hubsrc		 s;
	struct hubsrc_conf	 sc;

	sources(&s, &sc);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_EQUAL(s.cooldown_ms, 10000);
	CU_ASSERT_STRING_EQUAL(hubsrc_current(&s), EP);
	CU_ASSERT_EQUAL(hubsrc_fail(&s, 0, 1000), 1);
	CU_ASSERT_STRING_EQUAL(hubsrc_current(&s), M1);
	/* A late failure of the source already left changes nothing. */
	CU_ASSERT_EQUAL(hubsrc_fail(&s, 0, 1500), 1);
	CU_ASSERT_STRING_EQUAL(hubsrc_current(&s), M1);
	CU_ASSERT_EQUAL(hubsrc_fail(&s, 1, 2000), 1);
	CU_ASSERT_STRING_EQUAL(hubsrc_current(&s), M2);
	/* Every one cooling down: none usable, current unchanged. */
	CU_ASSERT_EQUAL(hubsrc_fail(&s, 2, 3000), 0);
	CU_ASSERT_STRING_EQUAL(hubsrc_current(&s), M2);
	/* The endpoint's cool-down is over at 11500: it is used again. */
	CU_ASSERT_EQUAL(hubsrc_fail(&s, 2, 11600), 1);
	CU_ASSERT_STRING_EQUAL(hubsrc_current(&s), EP);
	CU_ASSERT_EQUAL(hubsrc_fail(&s, 7, 11600), 0);
}

/* No mirror: the endpoint alone, and its failure leaves nothing. */
static void
test_alone(void)
{
	struct hubsrc	 s;

	hubsrc_init(&s, EP, NULL, 0);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.cooldown_ms, HUBSRC_COOLDOWN_DEFAULT * 1000);
	CU_ASSERT_EQUAL(hubsrc_fail(&s, 0, 5), 0);
	CU_ASSERT_STRING_EQUAL(hubsrc_current(&s), EP);
}

static void
test_check_url(void)
{
	static const struct {
		const char	*url;
		int		 origin, ok;
	} cases[] = {
		{ "https://m.example", 0, 0 },
		{ "http://m.example:8080/some/path/", 0, 0 },
		{ "HTTPS://M.example", 1, 0 },
		{ "https://m.example/", 1, 0 },
		{ "https://m.example/p", 1, -1 },
		{ "ftp://m.example", 0, -1 },
		{ "m.example", 0, -1 },
		{ "https://", 0, -1 },
		{ "https://:443", 0, -1 },
		{ "https://u@m.example", 0, -1 },
		{ "https://m.example/a?b", 0, -1 },
		{ "https://m.example/#f", 0, -1 },
		{ "https://m.example/a b", 0, -1 },
		{ "https://m.ex\tample", 0, -1 },
	};
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		CU_ASSERT_EQUAL(hubsrc_check_url(cases[i].url, cases[i].origin,
		    &why), cases[i].ok);
		CU_ASSERT(cases[i].ok == 0 || why != NULL);
	}
}

/* The token only to the listed origins (default ports filled in); the
 * endpoint's own origin without a list. */
static void
test_token_origins(void)
{
	static const char *const list[] = { "https://hf.example",
	    "http://10.0.0.2:8080" };
	struct hubhttp_opts	 o;

	memset(&o, 0, sizeof(o));
	o.endpoint = M1;
	o.token = "hf_x";
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, M1 "/api/models/a/b"), 1);
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, EP "/api/models/a/b"), 0);
	o.token_origins = list;
	o.ntoken_origins = 2;
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, M1 "/api/models/a/b"), 0);
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, "https://HF.example:443/x"), 1);
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, "http://10.0.0.2:8080/x"), 1);
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, "http://10.0.0.2/x"), 0);
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, "http://hf.example/x"), 0);
	o.ntoken_origins = 0;		/* token_origins: [] */
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, EP "/x"), 0);
	o.ntoken_origins = 2;
	o.token = NULL;
	CU_ASSERT_EQUAL(hubhttp_sends_auth(&o, EP "/x"), 0);
}

static const struct unit_test tests[] = {
	{ "fail-over order and cool-downs", test_failover },
	{ "the endpoint alone", test_alone },
	{ "mirror and origin URLs checked", test_check_url },
	{ "the token only to the listed origins", test_token_origins },
	{ NULL, NULL }
};

UNIT_SUITE("hubsrc", NULL, NULL, tests)
