/*
 * The download policy: its validation (the PUT body, the YAML seed), its
 * JSON form, and its one Redis key (policy.h).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "valid.h"

#define EXTRAS_MAX	20	/* extra members reported, at most */

static const char *const fields[] = { "max_bytes_per_second", "windows",
	"timezone", "pause_outside_window", NULL };
static const char *const window_fields[] = { "start", "end", NULL };

void
policy_default(struct policy *p)
{

	memset(p, 0, sizeof(*p));
	snprintf(p->tz, sizeof(p->tz), "UTC");
}

int
policy_time_parse(const char *s, unsigned *minutes)
{
	unsigned	 h, m;

	if (strlen(s) != 5 || s[2] != ':' ||
	    strspn(s, "0123456789") != 2 || strspn(s + 3, "0123456789") != 2)
		return -1;
	h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

void
policy_time_fmt(unsigned minutes, char buf[6])
{

	snprintf(buf, 6, "%02u:%02u", minutes / 60 % 24, minutes % 60);
}

/* 1 if name is shaped like a zone name (see policy_tz_valid). */
static int
tz_name_ok(const char *name)
{
	size_t	 n = strlen(name);

	return n > 0 && n <= POLICY_TZ_MAX && name[0] != '/' &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") == n && strstr(name, "..") == NULL &&
	    strstr(name, "//") == NULL && name[n - 1] != '/' &&
	    strncmp(name, "right/", 6) != 0;
}

int
policy_tz_valid(const char *name)
{
	const char	*dir = getenv("TZDIR");
	char		 path[512], magic[4];
	struct stat	 st;
	int		 fd, ok;

	if (!tz_name_ok(name))
		return 0;
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    read(fd, magic, 4) == 4 && memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* ------------------------------------------------------------------ *
 * The PUT body.
 */

/* What a validation reports to, and whether it failed. */
struct vctx {
	policy_err_fn	*fn;
	void		*arg;
	int		 failed;
};

static void
verr(struct vctx *c, const char *field, int index, const char *sub,
    const char *type, const char *msg, const cJSON *input)
{

	c->failed = 1;
	if (c->fn != NULL)
		c->fn(c->arg, field, index, sub, type, msg, input);
}

/* The value of the last member called name (duplicates: the last wins). */
static const cJSON *
member(const cJSON *obj, const char *name)
{
	const cJSON	*c, *found = NULL;

	cJSON_ArrayForEach(c, obj)
		if (c->string != NULL && strcmp(c->string, name) == 0)
			found = c;
	return found;
}

static int
known(const char *const *names, const char *s)
{

	for (; *names != NULL; names++)
		if (strcmp(*names, s) == 0)
			return 1;
	return 0;
}

/* 1 if an earlier member of obj than c has c's name. */
static int
seen_before(const cJSON *obj, const cJSON *c)
{
	const cJSON	*p;

	for (p = obj->child; p != NULL && p != c; p = p->next)
		if (strcmp(p->string, c->string) == 0)
			return 1;
	return 0;
}

/* extra_forbidden for each member not in names (once a name, with its
 * last value; EXTRAS_MAX at most). */
static void
check_extras(struct vctx *c, const cJSON *obj, const char *const *names,
    int index)
{
	const cJSON	*m;
	int		 n = 0;

	cJSON_ArrayForEach(m, obj) {
		if (n == EXTRAS_MAX)
			return;
		if (m->string == NULL || known(names, m->string) ||
		    seen_before(obj, m))
			continue;
		n++;
		verr(c, index < 0 ? m->string : "windows", index,
		    index < 0 ? NULL : m->string, "extra_forbidden",
		    "Extra inputs are not permitted", member(obj, m->string));
	}
}

static void
check_rate(struct vctx *c, const cJSON *v, struct policy *out)
{
	char	 msg[96];
	double	 d;

	if (cJSON_IsNull(v))
		return;
	if (!cJSON_IsNumber(v)) {
		verr(c, fields[0], -1, NULL, "int_type",
		    "Input should be a valid integer", v);
		return;
	}
	d = v->valuedouble;
	if (d > -9e18 && d < 9e18 && d != (double)(long long)d) {
		verr(c, fields[0], -1, NULL, "int_from_float", "Input should "
		    "be a valid integer, got a number with a fractional part",
		    v);
	} else if (d < (double)POLICY_RATE_MIN) {
		snprintf(msg, sizeof(msg), "Input should be greater than or "
		    "equal to %lld", POLICY_RATE_MIN);
		verr(c, fields[0], -1, NULL, "greater_than_equal", msg, v);
	} else if (d > (double)POLICY_RATE_MAX) {
		snprintf(msg, sizeof(msg), "Input should be less than or "
		    "equal to %lld", POLICY_RATE_MAX);
		verr(c, fields[0], -1, NULL, "less_than_equal", msg, v);
	} else
		out->max_bps = (long long)d;
}

/* start or end of window i into *minutes. */
static void
check_time(struct vctx *c, const cJSON *w, int i, const char *sub,
    unsigned *minutes)
{
	const cJSON	*v = member(w, sub);

	if (v == NULL)
		verr(c, fields[1], i, sub, "missing", "Field required", w);
	else if (!cJSON_IsString(v))
		verr(c, fields[1], i, sub, "string_type",
		    "Input should be a valid string", v);
	else if (policy_time_parse(v->valuestring, minutes) == -1)
		verr(c, fields[1], i, sub, "string_pattern_mismatch",
		    "String should match pattern '" POLICY_TIME_PATTERN "'", v);
}

static void
check_window(struct vctx *c, const cJSON *w, int i, struct policy *out)
{
	struct policy_window	*pw = &out->windows[i];
	int			 failed = c->failed;

	if (!cJSON_IsObject(w)) {
		verr(c, fields[1], i, NULL, "model_attributes_type",
		    "Input should be a valid dictionary or object to extract "
		    "fields from", w);
		return;
	}
	c->failed = 0;
	check_time(c, w, i, "start", &pw->start);
	check_time(c, w, i, "end", &pw->end);
	if (!c->failed && pw->start == pw->end)
		verr(c, fields[1], i, NULL, "value_error", "Value error, a "
		    "window's start and end must differ", w);
	check_extras(c, w, window_fields, i);
	c->failed |= failed;
}

static void
check_windows(struct vctx *c, const cJSON *v, struct policy *out)
{
	const cJSON	*w;
	char		 msg[96];
	int		 n = cJSON_GetArraySize(v), i = 0;

	if (!cJSON_IsArray(v)) {
		verr(c, fields[1], -1, NULL, "list_type",
		    "Input should be a valid list", v);
		return;
	}
	if (n > POLICY_WINDOWS_MAX) {
		snprintf(msg, sizeof(msg), "List should have at most %d items "
		    "after validation, not %d", POLICY_WINDOWS_MAX, n);
		verr(c, fields[1], -1, NULL, "too_long", msg, v);
		return;
	}
	cJSON_ArrayForEach(w, v)
		check_window(c, w, i++, out);
	out->nwindows = (size_t)n;
}

static void
check_tz(struct vctx *c, const cJSON *v, struct policy *out)
{
	char	 msg[160], name[POLICY_TZ_MAX + 1];

	if (!cJSON_IsString(v)) {
		verr(c, fields[2], -1, NULL, "string_type",
		    "Input should be a valid string", v);
		return;
	}
	if (policy_tz_valid(v->valuestring)) {
		snprintf(out->tz, sizeof(out->tz), "%s", v->valuestring);
		return;
	}
	snprintf(name, sizeof(name), "%s", v->valuestring);
	snprintf(msg, sizeof(msg), "Value error, unknown time zone '%s%s' "
	    "(a name of the tz database, such as Europe/Berlin)", name,
	    strlen(v->valuestring) > POLICY_TZ_MAX ? "..." : "");
	verr(c, fields[2], -1, NULL, "value_error", msg, v);
}

/* A boolean as pydantic's lax mode reads one: true/false, 0/1, and the
 * strings valid_bool knows. */
static void
check_pause(struct vctx *c, const cJSON *v, struct policy *out)
{
	int	 b;

	if (cJSON_IsBool(v))
		out->pause_outside = cJSON_IsTrue(v);
	else if (cJSON_IsNumber(v) && (v->valuedouble == 0 ||
	    v->valuedouble == 1))
		out->pause_outside = v->valuedouble == 1;
	else if (cJSON_IsString(v) && valid_bool(v->valuestring, &b) == 0)
		out->pause_outside = b;
	else if (cJSON_IsString(v))
		verr(c, fields[3], -1, NULL, "bool_parsing", "Input should be "
		    "a valid boolean, unable to interpret input", v);
	else
		verr(c, fields[3], -1, NULL, "bool_type",
		    "Input should be a valid boolean", v);
}

int
policy_from_json(const cJSON *body, struct policy *out, policy_err_fn *fn,
    void *arg)
{
	struct vctx	 c = { fn, arg, 0 };
	void		(*const check[])(struct vctx *, const cJSON *,
			    struct policy *) = { check_rate, check_windows,
			    check_tz, check_pause };
	const cJSON	*v;
	size_t		 i;

	policy_default(out);
	if (!cJSON_IsObject(body)) {
		verr(&c, NULL, -1, NULL, "model_attributes_type", "Input should "
		    "be a valid dictionary or object to extract fields from",
		    body);
		return -1;
	}
	for (i = 0; fields[i] != NULL; i++) {
		if ((v = member(body, fields[i])) == NULL)
			verr(&c, fields[i], -1, NULL, "missing",
			    "Field required", body);
		else
			check[i](&c, v, out);
	}
	check_extras(&c, body, fields, -1);
	return c.failed ? -1 : 0;
}

cJSON *
policy_to_json(const struct policy *p)
{
	cJSON	*o, *ws, *w;
	char	 t[6];
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (p->max_bps > 0)
		cJSON_AddNumberToObject(o, fields[0], (double)p->max_bps);
	else
		cJSON_AddNullToObject(o, fields[0]);
	ws = cJSON_AddArrayToObject(o, fields[1]);
	for (i = 0; ws != NULL && i < p->nwindows; i++) {
		if ((w = cJSON_CreateObject()) == NULL)
			break;
		policy_time_fmt(p->windows[i].start, t);
		cJSON_AddStringToObject(w, "start", t);
		policy_time_fmt(p->windows[i].end, t);
		cJSON_AddStringToObject(w, "end", t);
		cJSON_AddItemToArray(ws, w);
	}
	cJSON_AddStringToObject(o, fields[2], p->tz);
	cJSON_AddBoolToObject(o, fields[3], p->pause_outside);
	return o;
}

char *
policy_print(const struct policy *p)
{
	cJSON	*o;
	char	*s;

	if ((o = policy_to_json(p)) == NULL)
		return NULL;
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A stored copy into *out; -1 if it is not a valid policy. */
static int
policy_parse_text(const char *s, size_t len, struct policy *out)
{
	cJSON	*o;
	int	 rc;

	if ((o = cJSON_ParseWithLength(s, len)) == NULL)
		return -1;
	rc = policy_from_json(o, out, NULL, NULL);
	cJSON_Delete(o);
	return rc;
}

/* ------------------------------------------------------------------ *
 * The YAML seed.
 */

static enum err
yaml_window(struct policy_window *w, const struct yamldoc_node *v,
    const struct yamldoc_msg *m)
{
	const struct yamldoc_node	*s = yamldoc_get(v, "start");
	const struct yamldoc_node	*e = yamldoc_get(v, "end");

	if (v->kind != YAMLDOC_MAPPING || v->n != 2 || s == NULL ||
	    e == NULL || s->kind != YAMLDOC_SCALAR ||
	    e->kind != YAMLDOC_SCALAR ||
	    policy_time_parse(s->str, &w->start) == -1 ||
	    policy_time_parse(e->str, &w->end) == -1 || w->start == w->end)
		return yamldoc_fail(m, ERR_INVAL, v->line, "policy.windows: "
		    "each window is {start: \"HH:MM\", end: \"HH:MM\"}, "
		    "start and end different");
	return ERR_OK;
}

static enum err
yaml_windows(struct policy *p, const struct yamldoc_node *v,
    const struct yamldoc_msg *m)
{
	size_t		 i;
	enum err	 e;

	p->nwindows = 0;
	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_SEQUENCE || v->n > POLICY_WINDOWS_MAX)
		return yamldoc_fail(m, ERR_INVAL, v->line, "policy.windows: "
		    "expected a list of at most %d windows",
		    POLICY_WINDOWS_MAX);
	for (i = 0; i < v->n; i++)
		if ((e = yaml_window(&p->windows[i], &v->items[i], m)) !=
		    ERR_OK)
			return e;
	p->nwindows = v->n;
	return ERR_OK;
}

enum err
policy_yaml_key(struct policy *p, const char *key,
    const struct yamldoc_node *v, const struct yamldoc_msg *m)
{
	const char	*why;
	long long	 n;
	int		 b;

	if (strcmp(key, fields[0]) == 0) {
		if (yamldoc_is_null(v))
			n = 0;
		else if (yamldoc_int(v, POLICY_RATE_MIN, POLICY_RATE_MAX, &n,
		    &why) == -1)
			return yamldoc_fail(m, ERR_INVAL, v->line, "policy."
			    "max_bytes_per_second: %s (null or %lld..%lld)",
			    why, POLICY_RATE_MIN, POLICY_RATE_MAX);
		p->max_bps = n;
	} else if (strcmp(key, fields[1]) == 0)
		return yaml_windows(p, v, m);
	else if (strcmp(key, fields[2]) == 0) {
		if (v->kind != YAMLDOC_SCALAR || !policy_tz_valid(v->str))
			return yamldoc_fail(m, ERR_INVAL, v->line, "policy."
			    "timezone: not a time zone of the system's tz "
			    "database (such as Europe/Berlin)");
		snprintf(p->tz, sizeof(p->tz), "%s", v->str);
	} else if (strcmp(key, fields[3]) == 0) {
		if (yamldoc_bool(v, &b) == -1)
			return yamldoc_fail(m, ERR_INVAL, v->line, "policy."
			    "pause_outside_window: expected true or false");
		p->pause_outside = b;
	} else
		return ERR_NOTFOUND;
	return ERR_OK;
}

/* ------------------------------------------------------------------ *
 * Redis.
 */

/* Stores seed unless a policy is there; then reads what is there. */
static enum err
policy_seed(struct rconn *r, const struct policy *seed, struct policy *out)
{
	const char	*set[] = { "SET", POLICY_KEY, NULL, "NX" };
	const char	*get[] = { "GET", POLICY_KEY };
	redisReply	*rep;
	enum err	 e = ERR_OK;

	if ((set[2] = policy_print(seed)) == NULL)
		return ERR_NOMEM;
	e = rconn_run(r, 4, set);
	free((char *)(uintptr_t)set[2]);
	if (e != ERR_OK)
		return e;
	if ((rep = rconn_cmdv(r, 2, get)) == NULL)
		return ERR_REDIS;
	if (rep->type != REDIS_REPLY_STRING ||
	    policy_parse_text(rep->str, rep->len, out) == -1)
		*out = *seed;
	freeReplyObject(rep);
	return ERR_OK;
}

enum err
policy_load(struct rconn *r, const struct policy *seed, struct policy *out)
{
	const char	*get[] = { "GET", POLICY_KEY };
	const char	*del[] = { "DEL", POLICY_KEY };
	redisReply	*rep;
	int		 bad;

	*out = *seed;
	if ((rep = rconn_cmdv(r, 2, get)) == NULL)
		return ERR_REDIS;
	if (rep->type == REDIS_REPLY_STRING &&
	    policy_parse_text(rep->str, rep->len, out) == 0) {
		freeReplyObject(rep);
		return ERR_OK;
	}
	bad = rep->type == REDIS_REPLY_STRING;
	freeReplyObject(rep);
	if (bad) {
		log_warnx("%s: %s does not hold a valid policy: seeding it "
		    "again from the configuration", __func__, POLICY_KEY);
		(void)rconn_run(r, 2, del);
	}
	return policy_seed(r, seed, out);
}

enum err
policy_store(struct rconn *r, const struct policy *p,
    const struct policy *seed, struct policy *old)
{
	const char	*set[] = { "SET", POLICY_KEY, NULL, "GET" };
	redisReply	*rep;
	struct policy	 prev;

	if ((set[2] = policy_print(p)) == NULL)
		return ERR_NOMEM;
	rep = rconn_cmdv(r, 4, set);
	free((char *)(uintptr_t)set[2]);
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		if (rep != NULL)
			freeReplyObject(rep);
		return ERR_REDIS;
	}
	if (rep->type != REDIS_REPLY_STRING ||
	    policy_parse_text(rep->str, rep->len, &prev) == -1)
		prev = *seed;
	freeReplyObject(rep);
	if (old != NULL)
		*old = prev;
	return ERR_OK;
}

unsigned long long
policy_time_limit(unsigned long long limit, unsigned long long size,
    long long cap)
{
	unsigned long long	 need;

	if (cap <= 0)
		return limit;
	need = (size / (unsigned long long)cap + 1) * 2;
	return need > limit ? need : limit;
}
