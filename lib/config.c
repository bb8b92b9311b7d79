/*
 * The configuration: defaults, then the environment (the host
 * application's variable names), then conf/mm.yaml through yamldoc with
 * every key checked against a table, then the sanity checks, then the
 * curated registry (loaded once to validate the model sources and learn
 * the default embedding model).  Secrets (JWT_SECRET_KEY, the URLs, the
 * hub token) never appear in a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "cachedir.h"
#include "log.h"
#include "pypath.h"
#include "registry.h"
#include "yamldoc.h"

#define CONFIG_DATABASE_URL	"postgresql://localhost:5432/semantik"
#define CONFIG_REDIS_URL	"redis://localhost:6379/0"
#define CONFIG_HF_ENDPOINT	"https://huggingface.co"
#define CONFIG_SEARCH_API_URL	"http://localhost:8000"
#define CONFIG_TOKEN_MAX	65536	/* bytes of the hub token file */
#define CONFIG_RUNNER_ID_MAX	64
#define CONFIG_ID_CHARS		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789._-"

/* The numeric defaults; strings are filled in by config_load(). */
static const struct config CONFIG_DEFAULT = {
	.scan_ttl = 15,
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
	.parallel_files = 4,
	.disk_reserve_mb = 1024,
	.retry_max = 5,
	.retry_base_ms = 1000,
	.retry_max_ms = 8000,
	.stall_seconds = 30,
	.progress_interval_ms = 250,
	.connect_timeout = 10,
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

enum ckind { CK_UINT, CK_ULL, CK_BOOL, CK_PATH, CK_RUNNER, CK_SOURCES };

/* Every YAML key: section, key, kind, field, bounds. */
static const struct ckey {
	const char	*section;
	const char	*key;
	enum ckind	 kind;
	size_t		 off;
	long long	 min;
	long long	 max;
} ckeys[] = {
#define K(s, k, kind, f, lo, hi) { s, k, kind, offsetof(struct config, f), \
	    lo, hi }
	K("models", "sources", CK_SOURCES, sources, 0, 0),
	K("cache", "scan_ttl_seconds", CK_UINT, scan_ttl, 0, 86400),
	K("api", "vecpipe_timeout_ms", CK_UINT, vecpipe_timeout_ms, 1, 60000),
	K("api", "token_ttl_seconds", CK_UINT, token_ttl, 60, 31536000),
	K("database", "connect_timeout_seconds", CK_UINT, db_connect_timeout,
	    1, 300),
	K("database", "statement_timeout_ms", CK_UINT,
	    db_statement_timeout_ms, 1, 3600000),
	K("redis", "timeout_ms", CK_UINT, redis_timeout_ms, 1, 60000),
	K("jobs", "concurrency", CK_UINT, concurrency, 1, 64),
	K("jobs", "heartbeat_interval_seconds", CK_UINT, heartbeat_interval,
	    1, 3600),
	K("jobs", "heartbeat_ttl_seconds", CK_UINT, heartbeat_ttl, 2, 86400),
	K("jobs", "download_soft_limit_seconds", CK_UINT,
	    download_soft_limit, 1, 604800),
	K("jobs", "download_hard_limit_seconds", CK_UINT,
	    download_hard_limit, 1, 604800),
	K("jobs", "delete_soft_limit_seconds", CK_UINT, delete_soft_limit,
	    1, 86400),
	K("jobs", "delete_hard_limit_seconds", CK_UINT, delete_hard_limit,
	    1, 86400),
	K("jobs", "max_attempts", CK_UINT, max_attempts, 1, 100),
	K("jobs", "parallel_files", CK_UINT, parallel_files, 1, 64),
	K("jobs", "disk_reserve_mb", CK_ULL, disk_reserve_mb, 0,
	    1LL << 30),
	K("jobs", "retry_max", CK_UINT, retry_max, 0, 100),
	K("jobs", "retry_base_ms", CK_UINT, retry_base_ms, 1, 600000),
	K("jobs", "retry_max_ms", CK_UINT, retry_max_ms, 1, 3600000),
	K("jobs", "stall_seconds", CK_UINT, stall_seconds, 1, 3600),
	K("jobs", "progress_interval_ms", CK_UINT, progress_interval_ms,
	    10, 60000),
	K("jobs", "connect_timeout_seconds", CK_UINT, connect_timeout,
	    1, 300),
	K("jobs", "runner_id", CK_RUNNER, runner_id, 0, 0),
	K("log", "file", CK_PATH, log_file, 0, 0),
	K("log", "debug", CK_BOOL, debug, 0, 0),
#undef K
};

#define NCKEYS	(sizeof(ckeys) / sizeof(ckeys[0]))

struct cctx {
	const char	 *path;		/* the YAML file */
	char		 *dir;		/* its directory; NULL: the cwd */
	const char	*(*getenv_fn)(const char *);
	char		 *errbuf;
	size_t		  errlen;
};

const char *
config_getenv(const char *name)
{

	return getenv(name);
}

static enum err
cfail(struct cctx *c, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum err
cfail(struct cctx *c, enum err e, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->errbuf, c->errlen, fmt, ap);
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
 * Environment.
 */

/* Python's truthy rule: value.upper() in {"1", "ON", "YES", "TRUE"}. */
static int
truthy(const char *v)
{

	return v != NULL && (strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0 ||
	    strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0);
}

static int
blank(const char *s)
{

	return s[strspn(s, " \t\n\r\v\f")] == '\0';
}

/* Whether s is [A-Za-z0-9._-]{1,64}. */
static int
valid_runner_id(const char *s)
{
	size_t	 len = strlen(s);

	return len > 0 && len <= CONFIG_RUNNER_ID_MAX &&
	    strspn(s, CONFIG_ID_CHARS) == len;
}

static enum err
env_jwt(struct cctx *c, struct config *cfg)
{
	const char	*v = c->getenv_fn("JWT_SECRET_KEY");

	if (v == NULL || blank(v))
		return cfail(c, ERR_INVAL,
		    "JWT_SECRET_KEY is not set (or blank): refusing to start");
	return set_str(c, &cfg->jwt_secret, v);
}

/* "scheme://" of url: the length of the scheme, or -1 if none. */
static int
scheme_len(const char *url)
{
	const char	*sep = strstr(url, "://");

	if (sep == NULL || sep == url || sep - url > 32)
		return -1;
	return (int)(sep - url);
}

/* DATABASE_URL in libpq form: postgresql:// or postgres://, with a
 * SQLAlchemy "+driver" removed from the scheme. */
static enum err
env_database(struct cctx *c, struct config *cfg)
{
	const char	*v = c->getenv_fn("DATABASE_URL"), *plus;
	int		 n, base;

	if (v == NULL)
		return set_str(c, &cfg->database_url, CONFIG_DATABASE_URL);
	if ((n = scheme_len(v)) == -1)
		return cfail(c, ERR_INVAL, "DATABASE_URL is not a URL "
		    "(expected postgresql://...)");
	plus = memchr(v, '+', (size_t)n);
	base = plus != NULL ? (int)(plus - v) : n;
	if (plus != NULL && (plus + 1 == v + n ||
	    strspn(plus + 1, CONFIG_ID_CHARS) < (size_t)(v + n - plus - 1)))
		return cfail(c, ERR_INVAL,
		    "DATABASE_URL has an invalid +driver in its scheme");
	if ((base == 10 && strncasecmp(v, "postgresql", 10) == 0) ||
	    (base == 8 && strncasecmp(v, "postgres", 8) == 0)) {
		free(cfg->database_url);
		if (asprintf(&cfg->database_url, "%s%s",
		    base == 10 ? "postgresql" : "postgres", v + n) == -1) {
			cfg->database_url = NULL;
			return nomem(c);
		}
		return ERR_OK;
	}
	return cfail(c, ERR_INVAL, "DATABASE_URL has an unsupported scheme "
	    "(expected postgresql:// or postgres://)");
}

/* REDIS_URL: redis:// or unix://; rediss:// is refused. */
static enum err
env_redis(struct cctx *c, struct config *cfg)
{
	const char	*v = c->getenv_fn("REDIS_URL");
	int		 n;

	if (v == NULL)
		return set_str(c, &cfg->redis_url, CONFIG_REDIS_URL);
	n = scheme_len(v);
	if (n == 6 && strncasecmp(v, "rediss", 6) == 0)
		return cfail(c, ERR_INVAL, "REDIS_URL: rediss:// (TLS) is not "
		    "supported: hiredis 0.14 has no TLS; use redis:// or "
		    "unix://");
	if ((n == 5 && strncasecmp(v, "redis", 5) == 0) ||
	    (n == 4 && strncasecmp(v, "unix", 4) == 0))
		return set_str(c, &cfg->redis_url, v);
	return cfail(c, ERR_INVAL, "REDIS_URL has an unsupported scheme "
	    "(expected redis:// or unix://)");
}

/* An http(s) base URL: trailing '/' removed, a host required. */
static enum err
env_http_url(struct cctx *c, const char *name, const char *def,
    char **dst)
{
	const char	*v = c->getenv_fn(name);
	size_t		 len;
	int		 n;

	if (v == NULL)
		v = def;
	len = strlen(v);
	while (len > 0 && v[len - 1] == '/')
		len--;
	n = scheme_len(v);
	if (!((n == 4 && strncasecmp(v, "http", 4) == 0) ||
	    (n == 5 && strncasecmp(v, "https", 5) == 0)) ||
	    len <= (size_t)n + 3)
		return cfail(c, ERR_INVAL,
		    "%s must start with http:// or https://", name);
	free(*dst);
	if ((*dst = strndup(v, len)) == NULL)
		return nomem(c);
	return ERR_OK;
}

/* HF_HOME = X($HF_HOME or join($XDG_CACHE_HOME or ~/.cache,
 * "huggingface")). */
static enum err
env_hf_home(struct cctx *c, struct config *cfg)
{

	if ((cfg->hf_home = cachedir_home(c->getenv_fn)) == NULL)
		return nomem(c);
	return ERR_OK;
}

/* The token as huggingface_hub cleans it: \r and \n removed, then
 * surrounding whitespace.  Returns malloc'd (maybe "") or NULL. */
static char *
token_clean(const char *s, size_t len)
{
	static const char	 ws[] = " \t\n\r\v\f\x1c\x1d\x1e\x1f";
	char			*t, *p, *q;
	size_t			 i;

	if ((t = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, q = t; i < len; i++)
		if (s[i] != '\r' && s[i] != '\n')
			*q++ = s[i];
	*q = '\0';
	while (q > t && strchr(ws, q[-1]) != NULL)
		*--q = '\0';
	p = t + strspn(t, ws);
	memmove(t, p, strlen(p) + 1);
	return t;
}

/* Reads the token file: a missing file is no token. */
static enum err
token_file(struct cctx *c, const char *path, char **tok)
{
	char		 buf[CONFIG_TOKEN_MAX + 1];
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd;
	enum err	 e = ERR_OK;

	*tok = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ERR_OK;
		return cfail(c, ERR_IO, "the hub token file %s: %s", path,
		    strerror(errno));
	}
	while (len < sizeof(buf) && (r = read(fd, buf + len,
	    sizeof(buf) - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			e = cfail(c, ERR_IO, "the hub token file %s: %s",
			    path, strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	if (len > CONFIG_TOKEN_MAX || memchr(buf, '\0', len) != NULL)
		e = cfail(c, ERR_INVAL, "the hub token file %s is not a "
		    "token (too large or binary)", path);
	else if ((*tok = token_clean(buf, len)) == NULL)
		e = nomem(c);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return e;
}

/* HF_TOKEN, then HUGGING_FACE_HUB_TOKEN (an empty one falls through),
 * then the file at X($HF_TOKEN_PATH or HF_HOME/token). */
static enum err
env_hf_token(struct cctx *c, struct config *cfg)
{
	const char	*v;
	char		*tok = NULL, *path = NULL, *joined = NULL;
	enum err	 e = ERR_OK;

	if ((v = c->getenv_fn("HF_TOKEN")) == NULL || *v == '\0')
		v = c->getenv_fn("HUGGING_FACE_HUB_TOKEN");
	if (v != NULL && *v != '\0' &&
	    (tok = token_clean(v, strlen(v))) == NULL)
		return nomem(c);
	if (tok == NULL || *tok == '\0') {
		free(tok);
		tok = NULL;
		if ((v = c->getenv_fn("HF_TOKEN_PATH")) == NULL)
			v = joined = pypath_join(cfg->hf_home, "token");
		if (v == NULL ||
		    (path = pypath_expand(v, c->getenv_fn)) == NULL) {
			e = nomem(c);
			goto out;
		}
		if ((e = token_file(c, path, &tok)) != ERR_OK)
			goto out;
	}
	if (tok != NULL && *tok == '\0') {
		free(tok);
		tok = NULL;
	}
	cfg->hf_token = tok;
out:
	free(joined);
	free(path);
	return e;
}

/* The variables read before the YAML file. */
static enum err
env_load(struct cctx *c, struct config *cfg)
{
	const char	*(*g)(const char *) = c->getenv_fn;
	enum err	 e;

	if ((e = env_jwt(c, cfg)) != ERR_OK ||
	    (e = env_database(c, cfg)) != ERR_OK ||
	    (e = env_redis(c, cfg)) != ERR_OK ||
	    (e = env_http_url(c, "HF_ENDPOINT", CONFIG_HF_ENDPOINT,
	    &cfg->hf_endpoint)) != ERR_OK ||
	    (e = env_http_url(c, "SEARCH_API_URL", CONFIG_SEARCH_API_URL,
	    &cfg->search_api_url)) != ERR_OK ||
	    (e = env_hf_home(c, cfg)) != ERR_OK ||
	    (e = env_hf_token(c, cfg)) != ERR_OK)
		return e;
	if ((cfg->hf_hub_cache = cachedir_hub(g)) == NULL)
		return nomem(c);
	cfg->hf_offline = truthy(g("HF_HUB_OFFLINE")) ||
	    truthy(g("TRANSFORMERS_OFFLINE"));
	cfg->hf_disable_symlinks = truthy(g("HF_HUB_DISABLE_SYMLINKS"));
	return ERR_OK;
}

/* MM_LOG_FILE and MM_RUNNER_ID win over the YAML; then the runner id's
 * default "<hostname>-0". */
static enum err
env_override(struct cctx *c, struct config *cfg)
{
	const char	*v;
	char		 host[256];
	size_t		 i, len;

	if ((v = c->getenv_fn("MM_LOG_FILE")) != NULL && *v != '\0' &&
	    set_str(c, &cfg->log_file, v) != ERR_OK)
		return ERR_NOMEM;
	if ((v = c->getenv_fn("MM_RUNNER_ID")) != NULL && *v != '\0') {
		if (!valid_runner_id(v))
			return cfail(c, ERR_INVAL,
			    "MM_RUNNER_ID must match [A-Za-z0-9._-]{1,64}");
		return set_str(c, &cfg->runner_id, v);
	}
	if (cfg->runner_id != NULL)
		return ERR_OK;
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	/* Keep the id valid: other bytes become '_', "-0" must fit. */
	len = strlen(host);
	for (i = 0; i < len; i++)
		if (strchr(CONFIG_ID_CHARS, host[i]) == NULL)
			host[i] = '_';
	if (len > CONFIG_RUNNER_ID_MAX - 2)
		host[CONFIG_RUNNER_ID_MAX - 2] = '\0';
	if (asprintf(&cfg->runner_id, "%s-0", host) == -1) {
		cfg->runner_id = NULL;
		return nomem(c);
	}
	return ERR_OK;
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
		return cfail(c, ERR_INVAL, "%s:%lu: %s: expected a string",
		    c->path, v->line, key);
	return ERR_OK;
}

/* One {type, path} entry of models.sources. */
static enum err
yaml_source(struct cctx *c, const struct yamldoc_node *v,
    struct registry_source *src)
{
	const struct yamldoc_pair	*p;
	const char			*type = NULL, *path = NULL;
	char				*res, eb[64];
	size_t				 i;
	enum err			 e;

	if (v->kind != YAMLDOC_MAPPING)
		return cfail(c, ERR_INVAL, "%s:%lu: models.sources: expected "
		    "a mapping {type, path}", c->path, v->line);
	for (i = 0; i < v->n; i++) {
		p = &v->pairs[i];
		if (strcmp(p->key, "type") == 0)
			e = yaml_str(c, "models.sources.type", &p->value,
			    &type);
		else if (strcmp(p->key, "path") == 0)
			e = yaml_str(c, "models.sources.path", &p->value,
			    &path);
		else
			e = cfail(c, ERR_INVAL, "%s:%lu: unknown key "
			    "'models.sources.%s'", c->path, p->line,
			    log_escape(eb, sizeof(eb), p->key));
		if (e != ERR_OK)
			return e;
	}
	if (type == NULL || model_type_parse(type, &src->type) == -1)
		return cfail(c, ERR_INVAL, "%s:%lu: models.sources: 'type' "
		    "must be embedding, llm, reranker or splade", c->path,
		    v->line);
	if (path == NULL || *path == '\0')
		return cfail(c, ERR_INVAL, "%s:%lu: models.sources: 'path' "
		    "is required", c->path, v->line);
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
		return cfail(c, ERR_INVAL, "%s:%lu: models.sources: expected "
		    "a non-empty sequence", c->path, v->line);
	if (v->n > CONFIG_SOURCES_MAX)
		return cfail(c, ERR_INVAL, "%s:%lu: models.sources: more than "
		    "%d sources", c->path, v->line, CONFIG_SOURCES_MAX);
	sources_clear(cfg);
	for (i = 0; i < v->n; i++) {
		if ((e = yaml_source(c, &v->items[i],
		    &cfg->sources[i])) != ERR_OK)
			return e;
		cfg->nsources++;
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
		if (!valid_runner_id(s))
			return cfail(c, ERR_INVAL, "%s:%lu: %s: must match "
			    "[A-Za-z0-9._-]{1,64}", c->path, v->line, name);
		return set_str(c, dst, s);
	}
	return resolve(c, s, dst);
}

/* Applies the value v of key k. */
static enum err
yaml_key(struct cctx *c, const struct ckey *k, const struct yamldoc_node *v,
    struct config *cfg)
{
	char		 name[64];
	const char	*why;
	long long	 n;
	int		 b;
	char		*f = (char *)cfg + k->off;

	snprintf(name, sizeof(name), "%s.%s", k->section, k->key);
	switch (k->kind) {
	case CK_SOURCES:
		return yaml_sources(c, v, cfg);
	case CK_PATH:
	case CK_RUNNER:
		return yaml_string_key(c, k, name, v, (char **)(void *)f);
	case CK_BOOL:
		if (yamldoc_bool(v, &b) == -1)
			return cfail(c, ERR_INVAL, "%s:%lu: %s: expected true "
			    "or false", c->path, v->line, name);
		*(int *)(void *)f = b;
		return ERR_OK;
	case CK_UINT:
	case CK_ULL:
		if (yamldoc_int(v, k->min, k->max, &n, &why) == -1)
			return cfail(c, ERR_INVAL, "%s:%lu: %s: %s (%lld..%lld)",
			    c->path, v->line, name, why, k->min, k->max);
		if (k->kind == CK_UINT)
			*(unsigned *)(void *)f = (unsigned)n;
		else
			*(unsigned long long *)(void *)f =
			    (unsigned long long)n;
		return ERR_OK;
	}
	return ERR_INVAL;
}

static const struct ckey *
ckey_find(const char *section, const char *key)
{
	size_t	 i;

	for (i = 0; i < NCKEYS; i++)
		if (strcmp(ckeys[i].section, section) == 0 &&
		    (key == NULL || strcmp(ckeys[i].key, key) == 0))
			return &ckeys[i];
	return NULL;
}

/* One top-level section (a mapping of keys; null is empty). */
static enum err
yaml_section(struct cctx *c, const struct yamldoc_pair *sec,
    struct config *cfg)
{
	const struct yamldoc_node	*v = &sec->value;
	const struct ckey		*k;
	char				 eb[64], sb[64];
	size_t				 i;
	enum err			 e;

	if (ckey_find(sec->key, NULL) == NULL)
		return cfail(c, ERR_INVAL, "%s:%lu: unknown key '%s'",
		    c->path, sec->line, log_escape(eb, sizeof(eb), sec->key));
	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_MAPPING)
		return cfail(c, ERR_INVAL, "%s:%lu: %s: expected a mapping",
		    c->path, v->line, sec->key);
	for (i = 0; i < v->n; i++) {
		if ((k = ckey_find(sec->key, v->pairs[i].key)) == NULL)
			return cfail(c, ERR_INVAL, "%s:%lu: unknown key "
			    "'%s.%s'", c->path, v->pairs[i].line,
			    log_escape(sb, sizeof(sb), sec->key),
			    log_escape(eb, sizeof(eb), v->pairs[i].key));
		if ((e = yaml_key(c, k, &v->pairs[i].value, cfg)) != ERR_OK)
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

	if ((e = yamldoc_load(c->path, &doc, c->errbuf, c->errlen)) !=
	    ERR_OK)
		return e == ERR_TOOBIG ? ERR_INVAL : e;
	if (doc->root != NULL && !yamldoc_is_null(doc->root) &&
	    doc->root->kind != YAMLDOC_MAPPING)
		e = cfail(c, ERR_INVAL, "%s:%lu: expected a mapping at the "
		    "top level", c->path, doc->root->line);
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

	if (cfg->heartbeat_ttl <= cfg->heartbeat_interval)
		return cfail(c, ERR_INVAL, "%s: jobs.heartbeat_ttl_seconds (%u) "
		    "must be greater than jobs.heartbeat_interval_seconds "
		    "(%u)", c->path, cfg->heartbeat_ttl,
		    cfg->heartbeat_interval);
	if (cfg->download_soft_limit >= cfg->download_hard_limit)
		return cfail(c, ERR_INVAL, "%s: "
		    "jobs.download_soft_limit_seconds (%u) must be less than "
		    "jobs.download_hard_limit_seconds (%u)", c->path,
		    cfg->download_soft_limit, cfg->download_hard_limit);
	if (cfg->delete_soft_limit >= cfg->delete_hard_limit)
		return cfail(c, ERR_INVAL, "%s: jobs.delete_soft_limit_seconds "
		    "(%u) must be less than jobs.delete_hard_limit_seconds "
		    "(%u)", c->path, cfg->delete_soft_limit,
		    cfg->delete_hard_limit);
	if (cfg->retry_base_ms > cfg->retry_max_ms)
		return cfail(c, ERR_INVAL, "%s: jobs.retry_base_ms (%u) must "
		    "not exceed jobs.retry_max_ms (%u)", c->path,
		    cfg->retry_base_ms, cfg->retry_max_ms);
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
	    c->getenv_fn("DEFAULT_EMBEDDING_MODEL"), &reg, c->errbuf,
	    c->errlen);
	if (e != ERR_OK)
		return e == ERR_TOOBIG ? ERR_INVAL : e;
	e = set_str(c, &cfg->default_embedding_model,
	    reg->default_embedding_model);
	registry_free(&reg);
	return e;
}

static enum err
yaml_dir(struct cctx *c)
{
	const char	*slash = strrchr(c->path, '/');

	if (slash == NULL)
		return ERR_OK;
	if (slash == c->path)
		c->dir = strdup("/");
	else
		c->dir = strndup(c->path, (size_t)(slash - c->path));
	return c->dir == NULL ? nomem(c) : ERR_OK;
}

enum err
config_load(const char *path, const char *(*getenv_fn)(const char *),
    struct config **out, char *errbuf, size_t errlen)
{
	struct cctx	 c;
	struct config	*cfg = NULL;
	enum err	 e;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.getenv_fn = getenv_fn;
	c.errbuf = errbuf;
	c.errlen = errlen;
	if ((e = yaml_dir(&c)) != ERR_OK)
		goto out;
	if ((cfg = malloc(sizeof(*cfg))) == NULL) {
		e = nomem(&c);
		goto out;
	}
	*cfg = CONFIG_DEFAULT;
	if ((e = env_load(&c, cfg)) != ERR_OK ||
	    (e = yaml_load(&c, cfg)) != ERR_OK ||
	    (e = env_override(&c, cfg)) != ERR_OK ||
	    (e = default_paths(&c, cfg)) != ERR_OK ||
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
	sources_clear(p);
	free(p);
	*cfg = NULL;
}
