/*
 * The configuration's environment: the host application's variable
 * names (JWT_SECRET_KEY, DATABASE_URL, REDIS_URL, HF_*, SEARCH_API_URL)
 * read before conf/mm.yaml, and MM_LOG_FILE and MM_RUNNER_ID, which win
 * over it.  Secrets (JWT_SECRET_KEY, the URLs, the hub token) never
 * appear in a message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cachedir.h"
#include "confenv.h"
#include "hftoken.h"
#include "num.h"

#define CONFIG_DATABASE_URL	"postgresql://localhost:5432/semantik"
#define CONFIG_REDIS_URL	"redis://localhost:6379/0"
#define CONFIG_HF_ENDPOINT	"https://huggingface.co"
#define CONFIG_SEARCH_API_URL	"http://localhost:8000"
#define CONFIG_RUNNER_ID_MAX	64
#define CONFIG_ID_CHARS		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
				"abcdefghijklmnopqrstuvwxyz0123456789._-"

/* The environment and where a message goes. */
struct ectx {
	const char	*(*getenv_fn)(const char *);
	struct {
		char	*errbuf;
		size_t	 errlen;
	}		 msg;
};

static enum err
cfail(struct ectx *c, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes a message into c's buffer; returns e. */
static enum err
cfail(struct ectx *c, enum err e, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->msg.errbuf, c->msg.errlen, fmt, ap);
	va_end(ap);
	return e;
}

static enum err
nomem(struct ectx *c)
{

	return cfail(c, ERR_NOMEM, "out of memory");
}

/* A copy of s into *dst (replacing it). */
static enum err
set_str(struct ectx *c, char **dst, const char *s)
{

	free(*dst);
	if ((*dst = strdup(s)) == NULL)
		return nomem(c);
	return ERR_OK;
}

/* a followed by b into *dst (replacing it). */
static enum err
set_concat(struct ectx *c, char **dst, const char *a, const char *b)
{

	free(*dst);
	if (asprintf(dst, "%s%s", a, b) == -1) {
		*dst = NULL;
		return nomem(c);
	}
	return ERR_OK;
}


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
int
confenv_runner_id_ok(const char *s)
{
	size_t	 len = strlen(s);

	return len > 0 && len <= CONFIG_RUNNER_ID_MAX &&
	    strspn(s, CONFIG_ID_CHARS) == len;
}

static enum err
env_jwt(struct ectx *c, struct config *cfg)
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

/* Whether the first n bytes of url are scheme, in any case. */
static int
scheme_is(const char *url, int n, const char *scheme)
{

	return n >= 0 && (size_t)n == strlen(scheme) &&
	    strncasecmp(url, scheme, (size_t)n) == 0;
}

/* The length of the scheme (n bytes of url) without a SQLAlchemy
 * "+driver", or -1 if the driver is not [A-Za-z0-9._-]+. */
static int
scheme_base(const char *url, int n)
{
	const char	*plus = memchr(url, '+', (size_t)n);
	size_t		 dlen;

	if (plus == NULL)
		return n;
	dlen = (size_t)(url + n - plus - 1);
	if (dlen == 0 || strspn(plus + 1, CONFIG_ID_CHARS) < dlen)
		return -1;
	return (int)(plus - url);
}

/* DATABASE_URL in libpq form: postgresql:// or postgres://, with a
 * SQLAlchemy "+driver" removed from the scheme. */
static enum err
env_database(struct ectx *c, struct config *cfg)
{
	const char	*v = c->getenv_fn("DATABASE_URL"), *scheme;
	int		 n, base;

	if (v == NULL)
		return set_str(c, &cfg->database_url, CONFIG_DATABASE_URL);
	if ((n = scheme_len(v)) == -1)
		return cfail(c, ERR_INVAL, "DATABASE_URL is not a URL "
		    "(expected postgresql://...)");
	if ((base = scheme_base(v, n)) == -1)
		return cfail(c, ERR_INVAL,
		    "DATABASE_URL has an invalid +driver in its scheme");
	if (scheme_is(v, base, "postgresql"))
		scheme = "postgresql";
	else if (scheme_is(v, base, "postgres"))
		scheme = "postgres";
	else
		return cfail(c, ERR_INVAL, "DATABASE_URL has an unsupported "
		    "scheme (expected postgresql:// or postgres://)");
	return set_concat(c, &cfg->database_url, scheme, v + n);
}

/* REDIS_URL: redis:// or unix://; rediss:// is refused. */
static enum err
env_redis(struct ectx *c, struct config *cfg)
{
	const char	*v = c->getenv_fn("REDIS_URL");
	int		 n;

	if (v == NULL)
		return set_str(c, &cfg->redis_url, CONFIG_REDIS_URL);
	n = scheme_len(v);
	if (scheme_is(v, n, "rediss"))
		return cfail(c, ERR_INVAL, "REDIS_URL: rediss:// (TLS) is not "
		    "supported: hiredis 0.14 has no TLS; use redis:// or "
		    "unix://");
	if (scheme_is(v, n, "redis") || scheme_is(v, n, "unix"))
		return set_str(c, &cfg->redis_url, v);
	return cfail(c, ERR_INVAL, "REDIS_URL has an unsupported scheme "
	    "(expected redis:// or unix://)");
}

/* An http(s) base URL: trailing '/' removed, a host required. */
static enum err
env_http_url(struct ectx *c, const char *name, const char *def,
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
	if (!(scheme_is(v, n, "http") || scheme_is(v, n, "https")) ||
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
env_hf_home(struct ectx *c, struct config *cfg)
{

	if ((cfg->hf_home = cachedir_home(c->getenv_fn)) == NULL)
		return nomem(c);
	return ERR_OK;
}

/* The hub token: HF_TOKEN, HUGGING_FACE_HUB_TOKEN or the token file. */
static enum err
env_hf_token(struct ectx *c, struct config *cfg)
{

	return hftoken_load(c->getenv_fn, cfg->hf_home, &cfg->hf_token,
	    c->msg.errbuf, c->msg.errlen);
}

/* The variables read before the YAML file. */
static enum err
env_load(struct ectx *c, struct config *cfg)
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

/* The runner id's default: "<hostname>-0", other bytes than
 * [A-Za-z0-9._-] becoming '_' and the name cut so that "-0" fits. */
static enum err
default_runner_id(struct ectx *c, struct config *cfg)
{
	char	 host[256];
	size_t	 i, len;

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	len = strlen(host);
	for (i = 0; i < len; i++)
		if (strchr(CONFIG_ID_CHARS, host[i]) == NULL)
			host[i] = '_';
	if (len > CONFIG_RUNNER_ID_MAX - 2)
		host[CONFIG_RUNNER_ID_MAX - 2] = '\0';
	return set_concat(c, &cfg->runner_id, host, "-0");
}

/* MM_TEST_CLOCK_OFFSET_SECONDS, a test aid: seconds (at most ten years
 * either way) added to the clock the download windows are read on. */
static enum err
env_clock_offset(struct ectx *c, struct config *cfg)
{
	const char	*v = c->getenv_fn("MM_TEST_CLOCK_OFFSET_SECONDS");

	if (v == NULL || *v == '\0')
		return ERR_OK;
	if (num_parse(v, -315360000, 315360000, &cfg->clock_offset, NULL) ==
	    -1)
		return cfail(c, ERR_INVAL, "MM_TEST_CLOCK_OFFSET_SECONDS must be "
		    "an integer number of seconds (at most ten years)");
	return ERR_OK;
}

/* MM_LOG_FILE, MM_AUDIT_LOG and MM_RUNNER_ID win over the YAML; then the
 * runner id's default.  MM_METRICS_TOKEN (blank = none) and the clock
 * offset are read here too. */
static enum err
env_override(struct ectx *c, struct config *cfg)
{
	const char	*v;

	if (env_clock_offset(c, cfg) != ERR_OK)
		return ERR_INVAL;

	if ((v = c->getenv_fn("MM_LOG_FILE")) != NULL && *v != '\0' &&
	    set_str(c, &cfg->log_file, v) != ERR_OK)
		return ERR_NOMEM;
	if ((v = c->getenv_fn("MM_AUDIT_LOG")) != NULL && *v != '\0' &&
	    set_str(c, &cfg->audit_file, v) != ERR_OK)
		return ERR_NOMEM;
	if ((v = c->getenv_fn("MM_METRICS")) != NULL)
		cfg->metrics_off = strcmp(v, "off") == 0;
	if ((v = c->getenv_fn("MM_METRICS_TOKEN")) != NULL &&
	    strspn(v, " \t") != strlen(v) &&
	    set_str(c, &cfg->metrics_token, v) != ERR_OK)
		return ERR_NOMEM;
	if ((v = c->getenv_fn("MM_RUNNER_ID")) != NULL && *v != '\0') {
		if (!confenv_runner_id_ok(v))
			return cfail(c, ERR_INVAL,
			    "MM_RUNNER_ID must match [A-Za-z0-9._-]{1,64}");
		return set_str(c, &cfg->runner_id, v);
	}
	if (cfg->runner_id != NULL)
		return ERR_OK;
	return default_runner_id(c, cfg);
}

enum err
confenv_load(const char *(*getenv_fn)(const char *), struct config *cfg,
    char *errbuf, size_t errlen)
{
	struct ectx	 c = { getenv_fn, { errbuf, errlen } };

	return env_load(&c, cfg);
}

enum err
confenv_override(const char *(*getenv_fn)(const char *), struct config *cfg,
    char *errbuf, size_t errlen)
{
	struct ectx	 c = { getenv_fn, { errbuf, errlen } };

	return env_override(&c, cfg);
}
