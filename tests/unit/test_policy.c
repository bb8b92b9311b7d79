/*
 * The download policy (policy.h): times, zone names, the PUT body's
 * validation (every field required, the errors FastAPI would give, each
 * where it would place it), its JSON form, the YAML seed and the time
 * limit under a cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "policy.h"
#include "unit.h"

static void
test_times(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 m;
	} cases[] = {
		{ "00:00", 0, 0 }, { "23:59", 0, 1439 }, { "01:30", 0, 90 },
		{ "24:00", -1, 0 }, { "12:60", -1, 0 }, { "1:30", -1, 0 },
		{ "01:3", -1, 0 }, { "0130", -1, 0 }, { "01:30 ", -1, 0 },
		{ " 1:30", -1, 0 }, { "aa:bb", -1, 0 }, { "", -1, 0 },
		{ "01-30", -1, 0 }, { "+1:30", -1, 0 },
	};
	unsigned	 m;
	char		 buf[6];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = 9999;
		CU_ASSERT_EQUAL(policy_time_parse(cases[i].in, &m),
		    cases[i].rc);
		if (cases[i].rc == 0)
			CU_ASSERT_EQUAL(m, cases[i].m);
	}
	policy_time_fmt(90, buf);
	CU_ASSERT_STRING_EQUAL(buf, "01:30");
}

static void
test_zones(void)
{
	const char	*valid[] = { "UTC", "Europe/Berlin",
	    "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14" };
	const char	*invalid[] = { "", "Mars/Olympus_Mons", "Europe",
	    "/etc/localtime", "../zoneinfo/UTC", "Europe/../UTC",
	    "Europe//Berlin", "Europe/Berlin/", "right/UTC", "Europe/Ber lin",
	    "Europe/Berlin\n", "zone.tab", "CET;rm",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	size_t		 i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		CU_ASSERT_TRUE(policy_tz_valid(valid[i]));
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		CU_ASSERT_FALSE(policy_tz_valid(invalid[i]));
}

/* The errors a validation reported, one "type loc" line each. */
struct errs {
	char	 text[4096];
	int	 n;
};

static void
collect(void *arg, const char *field, int index, const char *sub,
    const char *type, const char *msg, const cJSON *input)
{
	struct errs	*e = arg;
	size_t		 len = strlen(e->text);
	char		 idx[16] = "";

	(void)msg;
	(void)input;
	if (index >= 0)
		snprintf(idx, sizeof(idx), ".%d", index);
	snprintf(e->text + len, sizeof(e->text) - len, "%s%s %s%s%s%s",
	    e->n++ ? "; " : "", type, field ? field : "(body)", idx,
	    sub ? "." : "", sub ? sub : "");
}

/* Validates text; the errors in e; the return code. */
static int
validate(const char *text, struct policy *p, struct errs *e)
{
	cJSON	*o = cJSON_Parse(text);
	int	 rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	memset(e, 0, sizeof(*e));
	rc = policy_from_json(o, p, collect, e);
	cJSON_Delete(o);
	return rc;
}

#define GOOD_REST	"\"timezone\": \"Europe/Berlin\", " \
			"\"pause_outside_window\": true"

static void
test_body_valid(void)
{
	struct policy	 p;
	struct errs	 e;

	CU_ASSERT_EQUAL(validate("{\"max_bytes_per_second\": 20000000, "
	    "\"windows\": [{\"start\": \"22:00\", \"end\": \"06:00\"}, "
	    "{\"end\": \"13:30\", \"start\": \"12:00\"}], " GOOD_REST "}",
	    &p, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.text, "");
	CU_ASSERT_EQUAL(p.max_bps, 20000000);
	CU_ASSERT_EQUAL(p.nwindows, 2);
	CU_ASSERT_EQUAL(p.windows[0].start, 22 * 60);
	CU_ASSERT_EQUAL(p.windows[0].end, 6 * 60);
	CU_ASSERT_EQUAL(p.windows[1].start, 12 * 60);
	CU_ASSERT_STRING_EQUAL(p.tz, "Europe/Berlin");
	CU_ASSERT_TRUE(p.pause_outside);
	/* null cap, no window, duplicates: the last wins, "yes" is true */
	CU_ASSERT_EQUAL(validate("{\"max_bytes_per_second\": 5, "
	    "\"max_bytes_per_second\": null, \"windows\": [], "
	    "\"timezone\": \"UTC\", \"pause_outside_window\": \"yes\"}",
	    &p, &e), 0);
	CU_ASSERT_EQUAL(p.max_bps, 0);
	CU_ASSERT_EQUAL(p.nwindows, 0);
	CU_ASSERT_TRUE(p.pause_outside);
}

static void
test_body_invalid(void)
{
	static const struct {
		const char	*body;
		const char	*errs;
	} cases[] = {
		{ "[]", "model_attributes_type (body)" },
		{ "{}", "missing max_bytes_per_second; missing windows; "
		    "missing timezone; missing pause_outside_window" },
		{ "{\"max_bytes_per_second\": \"5\", \"windows\": [], "
		    GOOD_REST "}", "int_type max_bytes_per_second" },
		{ "{\"max_bytes_per_second\": true, \"windows\": [], "
		    GOOD_REST "}", "int_type max_bytes_per_second" },
		{ "{\"max_bytes_per_second\": 1e6, \"windows\": [], "
		    GOOD_REST "}", "" },
		{ "{\"max_bytes_per_second\": 100000.5, \"windows\": [], "
		    GOOD_REST "}", "int_from_float max_bytes_per_second" },
		{ "{\"max_bytes_per_second\": 0, \"windows\": [], "
		    GOOD_REST "}", "greater_than_equal max_bytes_per_second" },
		{ "{\"max_bytes_per_second\": -5, \"windows\": [], "
		    GOOD_REST "}", "greater_than_equal max_bytes_per_second" },
		{ "{\"max_bytes_per_second\": 1e300, \"windows\": [], "
		    GOOD_REST "}", "less_than_equal max_bytes_per_second" },
		{ "{\"max_bytes_per_second\": null, \"windows\": {}, "
		    GOOD_REST "}", "list_type windows" },
		{ "{\"max_bytes_per_second\": null, \"windows\": [1, "
		    "{\"start\": \"1:00\", \"end\": 5}, {\"start\": \"01:00\"}, "
		    "{\"start\": \"01:00\", \"end\": \"01:00\"}, "
		    "{\"start\": \"01:00\", \"end\": \"02:00\", \"x\": 1}], "
		    GOOD_REST "}", "model_attributes_type windows.0; "
		    "string_pattern_mismatch windows.1.start; "
		    "string_type windows.1.end; missing windows.2.end; "
		    "value_error windows.3; extra_forbidden windows.4.x" },
		{ "{\"max_bytes_per_second\": null, \"windows\": [], "
		    "\"timezone\": \"Mars/Base\", \"pause_outside_window\": 1}",
		    "value_error timezone" },
		{ "{\"max_bytes_per_second\": null, \"windows\": [], "
		    "\"timezone\": 1, \"pause_outside_window\": \"maybe\"}",
		    "string_type timezone; bool_parsing pause_outside_window" },
		{ "{\"max_bytes_per_second\": null, \"windows\": [], "
		    "\"timezone\": \"UTC\", \"pause_outside_window\": null}",
		    "bool_type pause_outside_window" },
		{ "{\"max_bytes_per_second\": null, \"windows\": [], "
		    GOOD_REST ", \"extra\": 1, \"extra\": 2, \"more\": 3}",
		    "extra_forbidden extra; extra_forbidden more" },
	};
	struct policy	 p;
	struct errs	 e;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(validate(cases[i].body, &p, &e),
		    cases[i].errs[0] ? -1 : 0);
		CU_ASSERT_STRING_EQUAL(e.text, cases[i].errs);
		if (strcmp(e.text, cases[i].errs) != 0)
			fprintf(stderr, "case %zu: %s\n", i, e.text);
	}
}

/* Seventeen windows are too many: one error, not seventeen. */
static void
test_body_too_many(void)
{
	char		 body[2048] = "{\"max_bytes_per_second\": null, "
	    "\"windows\": [";
	struct policy	 p;
	struct errs	 e;
	int		 i;

	for (i = 0; i < POLICY_WINDOWS_MAX + 1; i++)
		strcat(body, i ? ", {\"start\": \"01:00\", \"end\": \"02:00\"}"
		    : "{\"start\": \"01:00\", \"end\": \"02:00\"}");
	strcat(body, "], " GOOD_REST "}");
	CU_ASSERT_EQUAL(validate(body, &p, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.text, "too_long windows");
}

static void
test_json_round_trip(void)
{
	struct policy	 p, q;
	struct errs	 e;
	char		*s;
	cJSON		*o;

	policy_default(&p);
	s = policy_print(&p);
	CU_ASSERT_STRING_EQUAL(s, "{\"max_bytes_per_second\":null,"
	    "\"windows\":[],\"timezone\":\"UTC\","
	    "\"pause_outside_window\":false}");
	free(s);
	CU_ASSERT_EQUAL(validate("{\"max_bytes_per_second\": 3000000, "
	    "\"windows\": [{\"start\": \"01:05\", \"end\": \"00:10\"}], "
	    GOOD_REST "}", &p, &e), 0);
	s = policy_print(&p);
	CU_ASSERT_STRING_EQUAL(s, "{\"max_bytes_per_second\":3000000,"
	    "\"windows\":[{\"start\":\"01:05\",\"end\":\"00:10\"}],"
	    "\"timezone\":\"Europe/Berlin\",\"pause_outside_window\":true}");
	o = cJSON_Parse(s);
	CU_ASSERT_EQUAL(policy_from_json(o, &q, NULL, NULL), 0);
	CU_ASSERT_EQUAL(memcmp(&p, &q, sizeof(p)), 0);
	cJSON_Delete(o);
	free(s);
}

/* Loads "policy:\n<text>" and applies each key to p; the message. */
static enum err
yaml(const char *text, struct policy *p, char *msg, size_t len)
{
	struct yamldoc		*doc = NULL;
	struct yamldoc_msg	 m = { "mm.yaml", msg, len };
	const struct yamldoc_node *sec;
	size_t			 i;
	enum err		 e = ERR_OK;

	CU_ASSERT_EQUAL_FATAL(yamldoc_parse("mm.yaml", text, strlen(text),
	    &doc, msg, len), ERR_OK);
	sec = yamldoc_get(doc->root, "policy");
	policy_default(p);
	for (i = 0; i < sec->n && e == ERR_OK; i++)
		e = policy_yaml_key(p, sec->pairs[i].key, &sec->pairs[i].value,
		    &m);
	yamldoc_free(&doc);
	return e;
}

static void
test_yaml(void)
{
	struct policy	 p;
	char		 msg[512];

	CU_ASSERT_EQUAL(yaml("policy:\n  max_bytes_per_second: 20000000\n"
	    "  windows:\n    - {start: \"01:00\", end: 06:00}\n"
	    "  timezone: Europe/Berlin\n  pause_outside_window: true\n", &p,
	    msg, sizeof(msg)), ERR_OK);
	CU_ASSERT_EQUAL(p.max_bps, 20000000);
	CU_ASSERT_EQUAL(p.nwindows, 1);
	CU_ASSERT_EQUAL(p.windows[0].end, 360);
	CU_ASSERT_STRING_EQUAL(p.tz, "Europe/Berlin");
	CU_ASSERT_TRUE(p.pause_outside);
	CU_ASSERT_EQUAL(yaml("policy:\n  max_bytes_per_second: null\n"
	    "  windows: []\n", &p, msg, sizeof(msg)), ERR_OK);
	CU_ASSERT_EQUAL(p.max_bps, 0);
	CU_ASSERT_EQUAL(yaml("policy:\n  max_bytes_per_second: 10\n", &p,
	    msg, sizeof(msg)), ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "mm.yaml:2: policy."
	    "max_bytes_per_second: too small"));
	CU_ASSERT_EQUAL(yaml("policy:\n  windows:\n    - {start: \"01:00\", "
	    "end: \"01:00\"}\n", &p, msg, sizeof(msg)), ERR_INVAL);
	CU_ASSERT_EQUAL(yaml("policy:\n  windows:\n    - {start: \"01:00\"}\n",
	    &p, msg, sizeof(msg)), ERR_INVAL);
	CU_ASSERT_EQUAL(yaml("policy:\n  timezone: Mars/Base\n", &p, msg,
	    sizeof(msg)), ERR_INVAL);
	CU_ASSERT_EQUAL(yaml("policy:\n  pause_outside_window: sometimes\n",
	    &p, msg, sizeof(msg)), ERR_INVAL);
	CU_ASSERT_EQUAL(yaml("policy:\n  speed: 1\n", &p, msg, sizeof(msg)),
	    ERR_NOTFOUND);
}

static void
test_time_limit(void)
{

	CU_ASSERT_EQUAL(policy_time_limit(14400, 1000000000, 0), 14400);
	/* 1 GB at 10 kB/s takes 100,000 s: twice that */
	CU_ASSERT_EQUAL(policy_time_limit(14400, 1000000000, 10000), 200002);
	CU_ASSERT_EQUAL(policy_time_limit(14400, 1000000, 10000000), 14400);
}

static const struct unit_test tests[] = {
	{ "HH:MM times", test_times },
	{ "time zone names, checked on the tz database", test_zones },
	{ "a valid body", test_body_valid },
	{ "invalid bodies: FastAPI's errors and places", test_body_invalid },
	{ "too many windows", test_body_too_many },
	{ "JSON round trip", test_json_round_trip },
	{ "the YAML seed", test_yaml },
	{ "time limits under a cap", test_time_limit },
	{ NULL, NULL }
};

UNIT_SUITE("policy", NULL, NULL, tests)
