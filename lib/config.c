/*
 * The configuration: defaults, then the environment (the host
 * application's variable names), then conf/mm.yaml through yamldoc with
 * every key checked against a table, then the sanity checks, then the
 * curated registry (loaded once to validate the model sources and learn
 * the default embedding model).  Secrets (JWT_SECRET_KEY, the URLs, the
 * hub token) never appear in a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confenv.h"
#include "config.h"
#include "log.h"
#include "pypath.h"
#include "registry.h"
#include "webhook.h"
#include "yamldoc.h"


#define DEFAULT_MAX_CONNECTIONS	16

/* The numeric defaults; strings are filled in by config_load(). */
static const struct config CONFIG_DEFAULT = {
	.scan_ttl = 15,
	.prune_min_age = 3600,
	.vecpipe_timeout_ms = 2000,
	.token_ttl = 86400,
	.db_connect_timeout = 2,
	.db_statement_timeout_ms = 5000,
	.redis_timeout_ms = 2000,
	.concurrency = 2,
	.heartbeat_interval = 3,
	.heartbeat_ttl = 10,
	.download_soft_limit = 14400,
	.download_hard_limit = 21600,
	.delete_soft_limit = 600,
	.delete_hard_limit = 900,
	.max_attempts = 3,
	.max_connections = 0,		/* not given: see downloads_resolve */
	.parts_per_file = 8,
	.part_min_bytes = 64ULL * 1024 * 1024,
	.checkpoint_bytes = 8ULL * 1024 * 1024,
	.disk_reserve_mb = 1024,
	.retry_max = 5,
	.retry_base_ms = 1000,
	.retry_max_ms = 8000,
	.stall_seconds = 30,
	.progress_interval_ms = 250,
	.connect_timeout = 10,
	.hub_max_path_depth = 32,
	.hub_max_dirs = 10000,
	.hub_max_listing_bytes = 64ULL * 1024 * 1024,
	.hub_check_interval = 86400,
	.hub_mirror_cooldown = HUBSRC_COOLDOWN_DEFAULT,
	.audit_max_events = 100000,
	.notify_timeout_ms = 10000,
	.notify_connect_timeout_ms = 3000,
	.notify_max_attempts = 8,
	.notify_backoff_base_ms = 1000,
	.notify_backoff_max_ms = 60000,
	.notify_max_in_flight = 16,
	.policy = { .tz = "UTC" },
	.debug = 0,
};

/* The default model sources, relative to the YAML file's directory. */
static const struct {
	enum model_type	 type;
	const char	*path;
} default_sources[] = {
	{ MT_EMBEDDING,	"models/embedding.yaml" },
	{ MT_LLM,	"models/llm.yaml" },
	{ MT_RERANKER,	"models/reranker.yaml" },
	{ MT_SPLADE,	"models/splade.yaml" },
};

enum ckind { CK_UINT, CK_ULL, CK_BOOL, CK_PATH, CK_RUNNER, CK_SOURCES,
	CK_WEBHOOKS, CK_POLICY, CK_URLS };

/* A YAML key of one section: its kind, the field it sets, its bounds. */
struct ckey {
	const char	*key;
	enum ckind	 kind;
	size_t		 off;
	long long	 min;
	long long	 max;
};

#define K(k, kind, f, lo, hi)	{ k, kind, offsetof(struct config, f), lo, hi }
#define U(k, f, lo, hi)		K(k, CK_UINT, f, lo, hi)
#define ULL(k, f, lo, hi)	K(k, CK_ULL, f, lo, hi)

static const struct ckey models_keys[] = {
	K("sources", CK_SOURCES, sources, 0, 0),
};
static const struct ckey cache_keys[] = {
	U("scan_ttl_seconds", scan_ttl, 0, 86400),
	U("prune_min_age_seconds", prune_min_age, 0, 31536000),
};
static const struct ckey api_keys[] = {
	U("vecpipe_timeout_ms", vecpipe_timeout_ms, 1, 60000),
	U("token_ttl_seconds", token_ttl, 60, 31536000),
};
static const struct ckey database_keys[] = {
	U("connect_timeout_seconds", db_connect_timeout, 1, 300),
	U("statement_timeout_ms", db_statement_timeout_ms, 1, 3600000),
};
static const struct ckey redis_keys[] = {
	U("timeout_ms", redis_timeout_ms, 1, 60000),
};
static const struct ckey jobs_keys[] = {
	U("concurrency", concurrency, 1, 64),
	U("heartbeat_interval_seconds", heartbeat_interval, 1, 3600),
	U("heartbeat_ttl_seconds", heartbeat_ttl, 2, 86400),
	U("download_soft_limit_seconds", download_soft_limit, 1, 604800),
	U("download_hard_limit_seconds", download_hard_limit, 1, 604800),
	U("delete_soft_limit_seconds", delete_soft_limit, 1, 86400),
	U("delete_hard_limit_seconds", delete_hard_limit, 1, 86400),
	U("max_attempts", max_attempts, 1, 100),
	U("parallel_files", parallel_files, 1, 64),
	ULL("disk_reserve_mb", disk_reserve_mb, 0, 1073741824),
	U("retry_max", retry_max, 0, 100),
	U("retry_base_ms", retry_base_ms, 1, 600000),
	U("retry_max_ms", retry_max_ms, 1, 3600000),
	U("stall_seconds", stall_seconds, 1, 3600),
	U("progress_interval_ms", progress_interval_ms, 10, 60000),
	U("connect_timeout_seconds", connect_timeout, 1, 300),
	U("verify_max_mb_per_second", verify_max_mb_per_second, 0, 1000000),
	K("runner_id", CK_RUNNER, runner_id, 0, 0),
};
static const struct ckey downloads_keys[] = {
	U("max_connections", max_connections, 1, 64),
	U("parts_per_file", parts_per_file, 1, 32),
	ULL("part_min_bytes", part_min_bytes, 65536, 1ULL << 40),
	ULL("checkpoint_bytes", checkpoint_bytes, 65536, 1ULL << 30),
};
static const struct ckey hub_keys[] = {
	U("max_path_depth", hub_max_path_depth, 1, CONFIG_HUB_DEPTH_MAX),
	U("max_dirs", hub_max_dirs, 1, 1000000),
	ULL("max_listing_bytes", hub_max_listing_bytes, 1024, 1073741824),
	U("check_interval_seconds", hub_check_interval, 0, 31536000),
	K("mirrors", CK_URLS, hub_src, 0, 0),
	K("token_origins", CK_URLS, hub_src, 0, 0),
	U("mirror_cooldown_seconds", hub_mirror_cooldown, 1, 86400),
};
static const struct ckey audit_keys[] = {
	U("max_events", audit_max_events, 100, 10000000),
	K("file", CK_PATH, audit_file, 0, 0),
};
static const struct ckey notify_keys[] = {
	K("webhooks", CK_WEBHOOKS, webhooks, 0, 0),
	U("delivery_timeout_ms", notify_timeout_ms, 100, 600000),
	U("connect_timeout_ms", notify_connect_timeout_ms, 100, 600000),
	U("delivery_attempts", notify_max_attempts, 1, 100),
	U("backoff_base_ms", notify_backoff_base_ms, 10, 3600000),
	U("backoff_max_ms", notify_backoff_max_ms, 10, 86400000),
	U("max_in_flight", notify_max_in_flight, 1, 256),
};
/* Checked by policy.c (policy_yaml_key). */
static const struct ckey policy_keys[] = {
	K("max_bytes_per_second", CK_POLICY, policy, 0, 0),
	K("windows", CK_POLICY, policy, 0, 0),
	K("timezone", CK_POLICY, policy, 0, 0),
	K("pause_outside_window", CK_POLICY, policy, 0, 0),
};
static const struct ckey log_keys[] = {
	K("file", CK_PATH, log_file, 0, 0),
	K("debug", CK_BOOL, debug, 0, 0),
};

#undef ULL
#undef U
#undef K

/* Every section of the YAML file and its keys. */
static const struct csection {
	const char		*name;
	const struct ckey	*keys;
	size_t			 nkeys;
} csections[] = {
#define S(s)	{ #s, s##_keys, sizeof(s##_keys) / sizeof(s##_keys[0]) }
	S(models), S(cache), S(api), S(database), S(redis), S(jobs),
	S(downloads), S(hub), S(audit), S(notify), S(policy), S(log),
#undef S
};

struct cctx {
	struct yamldoc_msg	  msg;	/* names the YAML file */
	char			 *dir;	/* its directory; NULL: the cwd */
	const char		*(*getenv_fn)(const char *);
};

const char *
config_getenv(const char *name)
{

	return getenv(name);
}

static enum err
cfail(struct cctx *c, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes a message that names no place in the YAML file; returns e. */
static enum err
cfail(struct cctx *c, enum err e, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->msg.errbuf, c->msg.errlen, fmt, ap);
	va_end(ap);
	return e;
}

static enum err
nomem(struct cctx *c)
{

	return cfail(c, ERR_NOMEM, "out of memory");
}

/* A copy of s into *dst (replacing it). */
static enum err
set_str(struct cctx *c, char **dst, const char *s)
{

	free(*dst);
	if ((*dst = strdup(s)) == NULL)
		return nomem(c);
	return ERR_OK;
}

/* ------------------------------------------------------------------ *
 * Paths (Python's os.path helpers are in pypath.c).
 */

/* p relative to the YAML file's directory (absolute paths unchanged). */
static enum err
resolve(struct cctx *c, const char *p, char **out)
{

	if (p[0] == '/' || c->dir == NULL)
		*out = strdup(p);
	else
		*out = pypath_join(c->dir, p);
	return *out == NULL ? nomem(c) : ERR_OK;
}

/* ------------------------------------------------------------------ *
 * The YAML file.
 */

/* A string value: any scalar, null is "". */
static enum err
yaml_str(struct cctx *c, const char *key, const struct yamldoc_node *v,
    const char **out)
{

	if (yamldoc_is_null(v))
		*out = "";
	else if (v->kind == YAMLDOC_SCALAR)
		*out = v->str;
	else
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "%s: expected a string", key);
	return ERR_OK;
}

/* The keys of one models.sources entry: *type and *path (NULL if not
 * given). */
static enum err
source_keys(struct cctx *c, const struct yamldoc_node *v, const char **type,
    const char **path)
{
	const struct yamldoc_pair	*p;
	char				 eb[64];
	size_t				 i;
	enum err			 e;

	for (i = 0; i < v->n; i++) {
		p = &v->pairs[i];
		if (strcmp(p->key, "type") == 0)
			e = yaml_str(c, "models.sources.type", &p->value, type);
		else if (strcmp(p->key, "path") == 0)
			e = yaml_str(c, "models.sources.path", &p->value, path);
		else
			e = yamldoc_fail(&c->msg, ERR_INVAL, p->line,
			    "unknown key 'models.sources.%s'",
			    log_escape(eb, sizeof(eb), p->key));
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* One {type, path} entry of models.sources. */
static enum err
yaml_source(struct cctx *c, const struct yamldoc_node *v,
    struct registry_source *src)
{
	const char	*type = NULL, *path = NULL;
	char		*res;
	enum err	 e;

	if (v->kind != YAMLDOC_MAPPING)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "models.sources: expected a mapping {type, path}");
	if ((e = source_keys(c, v, &type, &path)) != ERR_OK)
		return e;
	if (type == NULL || model_type_parse(type, &src->type) == -1)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "models.sources: 'type' must be embedding, llm, reranker "
		    "or splade");
	if (path == NULL || *path == '\0')
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "models.sources: 'path' is required");
	if ((e = resolve(c, path, &res)) != ERR_OK)
		return e;
	src->path = res;
	return ERR_OK;
}

static void
sources_clear(struct config *cfg)
{
	size_t	 i;

	/* The paths are ours: malloc'd by yaml_sources/default_paths. */
	for (i = 0; i < cfg->nsources; i++)
		free((char *)(uintptr_t)cfg->sources[i].path);
	cfg->nsources = 0;
}

static enum err
yaml_sources(struct cctx *c, const struct yamldoc_node *v,
    struct config *cfg)
{
	size_t		 i;
	enum err	 e;

	if (v->kind != YAMLDOC_SEQUENCE || v->n == 0)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "models.sources: expected a non-empty sequence");
	if (v->n > CONFIG_SOURCES_MAX)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "models.sources: more than %d sources", CONFIG_SOURCES_MAX);
	sources_clear(cfg);
	for (i = 0; i < v->n; i++) {
		if ((e = yaml_source(c, &v->items[i],
		    &cfg->sources[i])) != ERR_OK)
			return e;
		cfg->nsources++;
	}
	return ERR_OK;
}

/* ------------------------------------------------------------------ *
 * notify.webhooks: [{name, url, events, secret_file}, ...]
 */

static void
webhooks_clear(struct config *cfg)
{
	struct config_webhook	*w;
	size_t			 i;

	for (i = 0; i < cfg->nwebhooks; i++) {
		w = &cfg->webhooks[i];
		free(w->name);
		free(w->url);
		if (w->secret != NULL)
			explicit_bzero(w->secret, w->secretlen);
		free(w->secret);
		memset(w, 0, sizeof(*w));
	}
	cfg->nwebhooks = 0;
}

/* The events of a webhook: a non-empty sequence of known names. */
static enum err
webhook_events(struct cctx *c, const struct yamldoc_node *v,
    unsigned *events)
{
	char	 eb[64];
	size_t	 i;
	int	 ev;

	if (v->kind != YAMLDOC_SEQUENCE || v->n == 0)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "notify.webhooks.events: expected a non-empty list");
	for (i = 0; i < v->n; i++) {
		if (v->items[i].kind != YAMLDOC_SCALAR ||
		    (ev = webhook_event_parse(v->items[i].str)) == -1)
			return yamldoc_fail(&c->msg, ERR_INVAL, v->items[i].line,
			    "notify.webhooks.events: unknown event '%s' (known: "
			    "download.completed|failed|cancelled, delete."
			    "completed|failed|cancelled, prune.completed|failed|"
			    "cancelled)", v->items[i].kind == YAMLDOC_SCALAR ?
			    log_escape(eb, sizeof(eb), v->items[i].str) : "");
		*events |= 1U << ev;
	}
	return ERR_OK;
}

/* The secret of w from secret_file (relative to the YAML file). */
static enum err
webhook_secret(struct cctx *c, const struct yamldoc_node *v,
    struct config_webhook *w)
{
	char		*path = NULL, buf[WEBHOOK_SECRET_MAX], msg[512];
	enum err	 e;

	if (v->kind != YAMLDOC_SCALAR || *v->str == '\0')
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "notify.webhooks.secret_file: expected a path");
	if ((e = resolve(c, v->str, &path)) != ERR_OK)
		return e;
	e = webhook_secret_read(path, buf, &w->secretlen, msg, sizeof(msg));
	free(path);
	if (e != ERR_OK)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "notify.webhooks (%s): %s", w->name, msg);
	if ((w->secret = malloc(w->secretlen + 1)) == NULL)
		e = nomem(c);
	else
		memcpy(w->secret, buf, w->secretlen + 1);
	explicit_bzero(buf, sizeof(buf));
	return e;
}

/* The url of w, checked. */
static enum err
webhook_url(struct cctx *c, const struct yamldoc_node *v,
    struct config_webhook *w)
{
	const char	*why;

	if (v->kind != YAMLDOC_SCALAR || webhook_url_check(v->str, &why) ==
	    -1)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "notify.webhooks (%s): url %s", w->name,
		    v->kind != YAMLDOC_SCALAR ? "must be a string" : why);
	return set_str(c, &w->url, v->str);
}

/* The pair named key of mapping v, or NULL. */
static const struct yamldoc_node *
pair_get(const struct yamldoc_node *v, const char *key)
{
	size_t	 i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->pairs[i].key, key) == 0)
			return &v->pairs[i].value;
	return NULL;
}

/* Every key of a webhook entry is known and present; its name is valid
 * and not used by an earlier one. */
static enum err
webhook_keys(struct cctx *c, const struct yamldoc_node *v,
    const struct config *cfg)
{
	static const char *const known[] = { "name", "url", "events",
	    "secret_file" };
	const struct yamldoc_node	*n;
	char				 eb[64];
	size_t				 i, k;

	for (i = 0; i < v->n; i++) {
		for (k = 0; k < 4 &&
		    strcmp(known[k], v->pairs[i].key) != 0; k++)
			;
		if (k == 4)
			return yamldoc_fail(&c->msg, ERR_INVAL, v->pairs[i].line,
			    "unknown key 'notify.webhooks.%s'",
			    log_escape(eb, sizeof(eb), v->pairs[i].key));
	}
	for (k = 0; k < 4; k++)
		if (pair_get(v, known[k]) == NULL)
			return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
			    "notify.webhooks: '%s' is required", known[k]);
	n = pair_get(v, "name");
	if (n->kind != YAMLDOC_SCALAR || !confenv_runner_id_ok(n->str))
		return yamldoc_fail(&c->msg, ERR_INVAL, n->line,
		    "notify.webhooks.name: must match [A-Za-z0-9._-]{1,64}");
	for (i = 0; i < cfg->nwebhooks; i++)
		if (cfg->webhooks[i].name != NULL &&
		    strcmp(cfg->webhooks[i].name, n->str) == 0)
			return yamldoc_fail(&c->msg, ERR_INVAL, n->line,
			    "notify.webhooks.name: '%s' used twice", n->str);
	return ERR_OK;
}

/* One entry of notify.webhooks into w. */
static enum err
yaml_webhook(struct cctx *c, const struct yamldoc_node *v,
    const struct config *cfg, struct config_webhook *w)
{
	enum err	 e;

	if (v->kind != YAMLDOC_MAPPING)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "notify.webhooks: expected a mapping {name, url, events, "
		    "secret_file}");
	if ((e = webhook_keys(c, v, cfg)) != ERR_OK ||
	    (e = set_str(c, &w->name, pair_get(v, "name")->str)) != ERR_OK ||
	    (e = webhook_url(c, pair_get(v, "url"), w)) != ERR_OK ||
	    (e = webhook_events(c, pair_get(v, "events"), &w->events)) !=
	    ERR_OK)
		return e;
	return webhook_secret(c, pair_get(v, "secret_file"), w);
}

static enum err
yaml_webhooks(struct cctx *c, const struct yamldoc_node *v,
    struct config *cfg)
{
	size_t		 i;
	enum err	 e;

	webhooks_clear(cfg);
	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_SEQUENCE)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "notify.webhooks: expected a list");
	if (v->n > CONFIG_WEBHOOKS_MAX)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "notify.webhooks: more than %d webhooks",
		    CONFIG_WEBHOOKS_MAX);
	for (i = 0; i < v->n; i++) {
		/* Counted first: a half-filled entry is freed too. */
		cfg->nwebhooks++;
		if ((e = yaml_webhook(c, &v->items[i], cfg,
		    &cfg->webhooks[i])) != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* jobs.runner_id ("" keeps the default) or log.file ("" is stderr). */
static enum err
yaml_string_key(struct cctx *c, const struct ckey *k, const char *name,
    const struct yamldoc_node *v, char **dst)
{
	const char	*s = "";
	enum err	 e;

	if ((e = yaml_str(c, name, v, &s)) != ERR_OK)
		return e;
	free(*dst);
	*dst = NULL;
	if (*s == '\0')
		return ERR_OK;
	if (k->kind == CK_RUNNER) {
		if (!confenv_runner_id_ok(s))
			return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
			    "%s: must match [A-Za-z0-9._-]{1,64}", name);
		return set_str(c, dst, s);
	}
	return resolve(c, s, dst);
}

/* An integer key within its bounds, into the unsigned field f. */
static enum err
yaml_uint_key(struct cctx *c, const struct ckey *k, const char *name,
    const struct yamldoc_node *v, void *f)
{
	const char	*why;
	long long	 n;

	if (yamldoc_int(v, k->min, k->max, &n, &why) == -1)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "%s: %s (%lld..%lld)", name, why, k->min, k->max);
	if (k->kind == CK_UINT)
		*(unsigned *)f = (unsigned)n;
	else
		*(unsigned long long *)f = (unsigned long long)n;
	return ERR_OK;
}

/* Applies the value v of key k of section sec. */
static enum err
yaml_key(struct cctx *c, const struct csection *sec, const struct ckey *k,
    const struct yamldoc_node *v, struct config *cfg)
{
	char	 name[64];
	int	 b;
	void	*f = (char *)cfg + k->off;

	snprintf(name, sizeof(name), "%s.%s", sec->name, k->key);
	switch (k->kind) {
	case CK_SOURCES:
		return yaml_sources(c, v, cfg);
	case CK_WEBHOOKS:
		return yaml_webhooks(c, v, cfg);
	case CK_POLICY:
		return policy_yaml_key(&cfg->policy, k->key, v, &c->msg);
	case CK_URLS:
		return hubsrc_yaml(&c->msg, name, v, f);
	case CK_PATH:
	case CK_RUNNER:
		return yaml_string_key(c, k, name, v, f);
	case CK_BOOL:
		if (yamldoc_bool(v, &b) == -1)
			return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
			    "%s: expected true or false", name);
		*(int *)f = b;
		return ERR_OK;
	case CK_UINT:
	case CK_ULL:
		return yaml_uint_key(c, k, name, v, f);
	}
	return ERR_INVAL;
}

static const struct csection *
section_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(csections) / sizeof(csections[0]); i++)
		if (strcmp(csections[i].name, name) == 0)
			return &csections[i];
	return NULL;
}

static const struct ckey *
ckey_find(const struct csection *sec, const char *key)
{
	size_t	 i;

	for (i = 0; i < sec->nkeys; i++)
		if (strcmp(sec->keys[i].key, key) == 0)
			return &sec->keys[i];
	return NULL;
}

/* One top-level section (a mapping of keys; null is empty). */
static enum err
yaml_section(struct cctx *c, const struct yamldoc_pair *p,
    struct config *cfg)
{
	const struct yamldoc_node	*v = &p->value;
	const struct csection		*sec;
	const struct ckey		*k;
	char				 eb[64], sb[64];
	size_t				 i;
	enum err			 e;

	if ((sec = section_find(p->key)) == NULL)
		return yamldoc_fail(&c->msg, ERR_INVAL, p->line,
		    "unknown key '%s'", log_escape(eb, sizeof(eb), p->key));
	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_MAPPING)
		return yamldoc_fail(&c->msg, ERR_INVAL, v->line,
		    "%s: expected a mapping", p->key);
	for (i = 0; i < v->n; i++) {
		if ((k = ckey_find(sec, v->pairs[i].key)) == NULL)
			return yamldoc_fail(&c->msg, ERR_INVAL,
			    v->pairs[i].line, "unknown key '%s.%s'",
			    log_escape(sb, sizeof(sb), p->key),
			    log_escape(eb, sizeof(eb), v->pairs[i].key));
		if ((e = yaml_key(c, sec, k, &v->pairs[i].value, cfg)) !=
		    ERR_OK)
			return e;
	}
	return ERR_OK;
}

static enum err
yaml_load(struct cctx *c, struct config *cfg)
{
	struct yamldoc	*doc = NULL;
	size_t		 i;
	enum err	 e;

	if ((e = yamldoc_load(c->msg.name, &doc, c->msg.errbuf,
	    c->msg.errlen)) != ERR_OK)
		return e == ERR_TOOBIG ? ERR_INVAL : e;
	if (doc->root != NULL && !yamldoc_is_null(doc->root) &&
	    doc->root->kind != YAMLDOC_MAPPING)
		e = yamldoc_fail(&c->msg, ERR_INVAL, doc->root->line,
		    "expected a mapping at the top level");
	else if (doc->root != NULL && doc->root->kind == YAMLDOC_MAPPING)
		for (i = 0; i < doc->root->n && e == ERR_OK; i++)
			e = yaml_section(c, &doc->root->pairs[i], cfg);
	yamldoc_free(&doc);
	return e;
}

/* The default sources when the YAML names none. */
static enum err
default_paths(struct cctx *c, struct config *cfg)
{
	size_t		 i;
	char		*p;
	enum err	 e;

	if (cfg->nsources > 0)
		return ERR_OK;
	for (i = 0; i < sizeof(default_sources) / sizeof(default_sources[0]);
	    i++) {
		if ((e = resolve(c, default_sources[i].path, &p)) != ERR_OK)
			return e;
		cfg->sources[i].type = default_sources[i].type;
		cfg->sources[i].path = p;
		cfg->nsources++;
	}
	return ERR_OK;
}

/* The relations between keys that bounds alone cannot express. */
static enum err
sanity(struct cctx *c, const struct config *cfg)
{
	const struct yamldoc_msg	*m = &c->msg;

	if (cfg->heartbeat_ttl <= cfg->heartbeat_interval)
		return yamldoc_fail(m, ERR_INVAL, 0,
		    "jobs.heartbeat_ttl_seconds (%u) must be greater than "
		    "jobs.heartbeat_interval_seconds (%u)",
		    cfg->heartbeat_ttl, cfg->heartbeat_interval);
	if (cfg->download_soft_limit >= cfg->download_hard_limit)
		return yamldoc_fail(m, ERR_INVAL, 0,
		    "jobs.download_soft_limit_seconds (%u) must be less than "
		    "jobs.download_hard_limit_seconds (%u)",
		    cfg->download_soft_limit, cfg->download_hard_limit);
	if (cfg->delete_soft_limit >= cfg->delete_hard_limit)
		return yamldoc_fail(m, ERR_INVAL, 0,
		    "jobs.delete_soft_limit_seconds (%u) must be less than "
		    "jobs.delete_hard_limit_seconds (%u)",
		    cfg->delete_soft_limit, cfg->delete_hard_limit);
	if (cfg->notify_max_in_flight < cfg->nwebhooks)
		return yamldoc_fail(m, ERR_INVAL, 0, "notify.max_in_flight "
		    "(%u) must be at least the number of webhooks (%zu): each "
		    "event may need one delivery per webhook",
		    cfg->notify_max_in_flight, cfg->nwebhooks);
	if (cfg->notify_backoff_base_ms > cfg->notify_backoff_max_ms)
		return yamldoc_fail(m, ERR_INVAL, 0, "notify.backoff_base_ms "
		    "(%u) must not exceed notify.backoff_max_ms (%u)",
		    cfg->notify_backoff_base_ms, cfg->notify_backoff_max_ms);
	if (cfg->retry_base_ms > cfg->retry_max_ms)
		return yamldoc_fail(m, ERR_INVAL, 0, "jobs.retry_base_ms (%u) "
		    "must not exceed jobs.retry_max_ms (%u)",
		    cfg->retry_base_ms, cfg->retry_max_ms);
	return ERR_OK;
}

/*
 * downloads.max_connections, from the deprecated jobs.parallel_files
 * when only that is given (with a warning), else 16.
 */
static enum err
downloads_resolve(struct cctx *c, struct config *cfg)
{

	if (cfg->parallel_files != 0 && cfg->max_connections != 0)
		return yamldoc_fail(&c->msg, ERR_INVAL, 0, "jobs.parallel_files "
		    "is deprecated and replaced by downloads.max_connections: "
		    "remove it");
	if (cfg->parallel_files != 0) {
		log_warnx("%s: jobs.parallel_files is deprecated: read as "
		    "downloads.max_connections (%u); rename it", c->msg.name,
		    cfg->parallel_files);
		cfg->max_connections = cfg->parallel_files;
	}
	if (cfg->max_connections == 0)
		cfg->max_connections = DEFAULT_MAX_CONNECTIONS;
	return ERR_OK;
}

/* Loads the registry once: validates the sources, learns the default
 * embedding model (DEFAULT_EMBEDDING_MODEL wins). */
static enum err
registry_default(struct cctx *c, struct config *cfg)
{
	struct registry	*reg = NULL;
	enum err	 e;

	e = registry_load(cfg->sources, cfg->nsources,
	    c->getenv_fn("DEFAULT_EMBEDDING_MODEL"), &reg, c->msg.errbuf,
	    c->msg.errlen);
	if (e != ERR_OK)
		return e == ERR_TOOBIG ? ERR_INVAL : e;
	e = set_str(c, &cfg->default_embedding_model,
	    reg->default_embedding_model);
	registry_free(&reg);
	return e;
}

/* The YAML file's directory into c->dir (NULL: the cwd). */
static enum err
yaml_dir(struct cctx *c)
{
	const char	*path = c->msg.name, *slash = strrchr(path, '/');

	if (slash == NULL)
		return ERR_OK;
	if (slash == path)
		c->dir = strdup("/");
	else
		c->dir = strndup(path, (size_t)(slash - path));
	return c->dir == NULL ? nomem(c) : ERR_OK;
}

enum err
config_load(const char *path, const char *(*getenv_fn)(const char *),
    struct config **out, char *errbuf, size_t errlen)
{
	struct cctx	 c = { .msg = { path, errbuf, errlen },
	    .getenv_fn = getenv_fn };
	struct config	*cfg = NULL;
	enum err	 e;

	*out = NULL;
	if ((e = yaml_dir(&c)) != ERR_OK)
		goto out;
	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		e = nomem(&c);
		goto out;
	}
	*cfg = CONFIG_DEFAULT;
	if ((e = confenv_load(getenv_fn, cfg, errbuf, errlen)) != ERR_OK ||
	    (e = yaml_load(&c, cfg)) != ERR_OK ||
	    (e = confenv_override(getenv_fn, cfg, errbuf, errlen)) !=
	    ERR_OK ||
	    (e = default_paths(&c, cfg)) != ERR_OK ||
	    (e = downloads_resolve(&c, cfg)) != ERR_OK ||
	    (e = sanity(&c, cfg)) != ERR_OK ||
	    (e = registry_default(&c, cfg)) != ERR_OK)
		goto out;
	*out = cfg;
	cfg = NULL;
out:
	config_free(&cfg);
	free(c.dir);
	return e;
}

/* Frees s after wiping it (it may be a secret). */
static void
free_secret(char *s)
{

	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
config_free(struct config **cfg)
{
	struct config	*p;

	if (cfg == NULL || (p = *cfg) == NULL)
		return;
	free_secret(p->jwt_secret);
	free_secret(p->database_url);
	free_secret(p->redis_url);
	free_secret(p->hf_token);
	free(p->hf_hub_cache);
	free(p->hf_home);
	free(p->hf_endpoint);
	free(p->default_embedding_model);
	free(p->search_api_url);
	free(p->log_file);
	free(p->runner_id);
	free(p->audit_file);
	free_secret(p->metrics_token);
	sources_clear(p);
	webhooks_clear(p);
	hubsrc_conf_free(&p->hub_src);
	free(p);
	*cfg = NULL;
}
