/*
 * The configuration (lib/config.c): defaults, the shipped conf/mm.yaml,
 * every environment rule through a fake environment, YAML overrides and
 * errors, relative source paths, and the hub token file.
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "config.h"
#include "unit.h"
#include "webhook.h"
#include "yamldoc.h"

struct envvar {
	const char	*name;
	const char	*value;		/* NULL: unset (hides the base) */
};

#define ENV_MAX	6

static const struct envvar	*case_env;
static const struct envvar	*extra_env;

static const struct envvar base_env[] = {
	{ "JWT_SECRET_KEY", "s3cret" },
	{ "HOME", "/nonexistent-mm/home/u" },
	{ NULL, NULL }
};

/* The case's variables, then the extra ones, then the base. */
static const char *
fake_getenv(const char *name)
{
	const struct envvar	*sets[] = { case_env, extra_env, base_env };
	const struct envvar	*p;
	size_t			 i;

	for (i = 0; i < 3; i++)
		for (p = sets[i]; p != NULL && p->name != NULL; p++)
			if (strcmp(p->name, name) == 0)
				return p->value;
	return NULL;
}

static void
fixture_free(const char *name, const char *text)
{

	free(unit_fixture(name, text));
}

/* A secret file of the given mode next to the fixture mm.yaml. */
static void
secret_fixture(const char *name, const char *text, mode_t mode)
{
	char	*p = unit_fixture(name, text);

	if (chmod(p, mode) == -1)
		abort();
	free(p);
}

/* Model files next to the fixture mm.yaml (the default sources). */
static int
suite_init(void)
{

	(void)unit_scratch_init();
	fixture_free("models/embedding.yaml",
	    "default_embedding_model: org/emb-a\nmodels:\n"
	    "- {id: org/emb-a, name: emb-a, dimension: 8}\n");
	fixture_free("models/llm.yaml", "providers:\n  local:\n    models:\n"
	    "    - {id: org/llm-a, display_name: llm-a}\n");
	fixture_free("models/reranker.yaml",
	    "models:\n- {id: org/rer-a, name: rer-a}\n");
	fixture_free("models/splade.yaml",
	    "models:\n- {id: org/spl-a, name: spl-a}\n");
	fixture_free("empty.yaml", "# all defaults\n");
	secret_fixture("ok.secret", "k3y-0k\n", 0600);
	secret_fixture("open.secret", "k3y-open\n", 0640);
	secret_fixture("empty.secret", "\n", 0600);
	return 0;
}

/* Loads path with env; returns the config or NULL (err filled). */
static struct config *
load(const char *path, const struct envvar *env, enum err *e, char *err,
    size_t errlen)
{
	struct config	*cfg = (struct config *)&cfg;	/* must be reset */

	case_env = env;
	err[0] = '\0';
	*e = config_load(path, fake_getenv, &cfg, err, errlen);
	case_env = NULL;
	if (*e != ERR_OK)
		CU_ASSERT_PTR_NULL(cfg);
	return *e == ERR_OK ? cfg : NULL;
}

/* The numeric settings, their YAML names and built-in defaults. */
static const struct {
	const char	*key;
	size_t		 off;
	unsigned	 def;
	unsigned	 other;		/* a valid non-default value */
} uints[] = {
	{ "cache.scan_ttl_seconds", offsetof(struct config, scan_ttl), 15, 0 },
	{ "cache.prune_min_age_seconds", offsetof(struct config,
	    prune_min_age), 3600, 0 },
	{ "api.vecpipe_timeout_ms", offsetof(struct config,
	    vecpipe_timeout_ms), 2000, 1 },
	{ "api.token_ttl_seconds", offsetof(struct config, token_ttl), 86400,
	    60 },
	{ "database.connect_timeout_seconds", offsetof(struct config,
	    db_connect_timeout), 2, 300 },
	{ "database.statement_timeout_ms", offsetof(struct config,
	    db_statement_timeout_ms), 5000, 3600000 },
	{ "redis.timeout_ms", offsetof(struct config, redis_timeout_ms),
	    2000, 60000 },
	{ "jobs.concurrency", offsetof(struct config, concurrency), 2, 64 },
	{ "jobs.heartbeat_interval_seconds", offsetof(struct config,
	    heartbeat_interval), 3, 1 },
	{ "jobs.heartbeat_ttl_seconds", offsetof(struct config,
	    heartbeat_ttl), 10, 2 },
	{ "jobs.download_soft_limit_seconds", offsetof(struct config,
	    download_soft_limit), 14400, 1 },
	{ "jobs.download_hard_limit_seconds", offsetof(struct config,
	    download_hard_limit), 21600, 604800 },
	{ "jobs.delete_soft_limit_seconds", offsetof(struct config,
	    delete_soft_limit), 600, 86399 },
	{ "jobs.delete_hard_limit_seconds", offsetof(struct config,
	    delete_hard_limit), 900, 86400 },
	{ "jobs.max_attempts", offsetof(struct config, max_attempts), 3,
	    100 },
	{ "jobs.retry_max", offsetof(struct config, retry_max), 5, 0 },
	{ "jobs.retry_base_ms", offsetof(struct config, retry_base_ms), 1000,
	    1 },
	{ "jobs.retry_max_ms", offsetof(struct config, retry_max_ms), 8000,
	    3600000 },
	{ "jobs.stall_seconds", offsetof(struct config, stall_seconds), 30,
	    3600 },
	{ "jobs.progress_interval_ms", offsetof(struct config,
	    progress_interval_ms), 250, 10 },
	{ "jobs.connect_timeout_seconds", offsetof(struct config,
	    connect_timeout), 10, 1 },
	{ "jobs.verify_max_mb_per_second", offsetof(struct config,
	    verify_max_mb_per_second), 0, 200 },
	{ "downloads.max_connections", offsetof(struct config,
	    max_connections), 16, 1 },
	{ "downloads.parts_per_file", offsetof(struct config,
	    parts_per_file), 8, 32 },
	{ "hub.max_path_depth", offsetof(struct config, hub_max_path_depth),
	    32, 1 },
	{ "hub.max_dirs", offsetof(struct config, hub_max_dirs), 10000,
	    1000000 },
	{ "hub.mirror_cooldown_seconds", offsetof(struct config,
	    hub_mirror_cooldown), 60, 1 },
};

#define NUINTS	(sizeof(uints) / sizeof(uints[0]))

static unsigned
uint_at(const struct config *cfg, size_t off)
{

	return *(const unsigned *)(const void *)((const char *)cfg + off);
}

/* "<hostname>-0", as config_load builds it for a plain hostname. */
static void
host_runner(char *buf, size_t len)
{
	char	 host[256];

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[62] = '\0';
	snprintf(buf, len, "%s-0", host);
}

static void
check_defaults(const struct config *cfg)
{
	char	 runner[300];
	size_t	 i;

	for (i = 0; i < NUINTS; i++) {
		CU_ASSERT_EQUAL(uint_at(cfg, uints[i].off), uints[i].def);
		if (uint_at(cfg, uints[i].off) != uints[i].def)
			fprintf(stderr, "%s = %u\n", uints[i].key,
			    uint_at(cfg, uints[i].off));
	}
	CU_ASSERT_EQUAL(cfg->disk_reserve_mb, 1024);
	CU_ASSERT_EQUAL(cfg->hub_max_listing_bytes, 64ULL * 1024 * 1024);
	CU_ASSERT_EQUAL(cfg->part_min_bytes, 64ULL * 1024 * 1024);
	CU_ASSERT_EQUAL(cfg->checkpoint_bytes, 8ULL * 1024 * 1024);
	CU_ASSERT_EQUAL(cfg->parallel_files, 0);
	CU_ASSERT_EQUAL(cfg->debug, 0);
	host_runner(runner, sizeof(runner));
	if (strspn(runner, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == strlen(runner))
		CU_ASSERT_STRING_EQUAL(cfg->runner_id, runner);
}

static void
test_defaults(void)
{
	struct config	*cfg;
	char		 err[512], *want;
	char		*path = unit_fixture_path("empty.yaml");
	enum err	 e;
	size_t		 i;
	static const char *const files[] = { "embedding", "llm", "reranker",
	    "splade" };

	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL(e, ERR_OK);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		CU_FAIL_FATAL("config_load");
	}
	check_defaults(cfg);
	CU_ASSERT_PTR_NULL(cfg->log_file);
	CU_ASSERT_STRING_EQUAL(cfg->jwt_secret, "s3cret");
	CU_ASSERT_STRING_EQUAL(cfg->database_url,
	    "postgresql://localhost:5432/semantik");
	CU_ASSERT_STRING_EQUAL(cfg->redis_url, "redis://localhost:6379/0");
	CU_ASSERT_STRING_EQUAL(cfg->hf_endpoint, "https://huggingface.co");
	CU_ASSERT_STRING_EQUAL(cfg->search_api_url, "http://localhost:8000");
	CU_ASSERT_STRING_EQUAL(cfg->hf_home,
	    "/nonexistent-mm/home/u/.cache/huggingface");
	CU_ASSERT_STRING_EQUAL(cfg->hf_hub_cache,
	    "/nonexistent-mm/home/u/.cache/huggingface/hub");
	CU_ASSERT_PTR_NULL(cfg->hf_token);
	CU_ASSERT_EQUAL(cfg->hf_offline, 0);
	CU_ASSERT_EQUAL(cfg->hf_disable_symlinks, 0);
	CU_ASSERT_STRING_EQUAL(cfg->default_embedding_model, "org/emb-a");
	/* The default sources, relative to the YAML file's directory. */
	CU_ASSERT_EQUAL_FATAL(cfg->nsources, 4);
	for (i = 0; i < 4; i++) {
		if (asprintf(&want, "%s/models/%s.yaml", unit_scratch(),
		    files[i]) == -1)
			abort();
		CU_ASSERT_EQUAL(cfg->sources[i].type, (enum model_type)i);
		CU_ASSERT_STRING_EQUAL(cfg->sources[i].path, want);
		free(want);
	}
	config_free(&cfg);
	CU_ASSERT_PTR_NULL(cfg);
	config_free(&cfg);
	config_free(NULL);
	free(path);
}

/* The shipped file: every key present, commented, with its default. */
static void
test_shipped(void)
{
	static const char *const others[] = { "models.sources",
	    "jobs.disk_reserve_mb", "jobs.runner_id", "hub.max_listing_bytes",
	    "hub.mirrors", "hub.token_origins",
	    "downloads.part_min_bytes", "downloads.checkpoint_bytes",
	    "log.file", "log.debug", "notify.webhooks",
	    "notify.delivery_timeout_ms", "notify.connect_timeout_ms",
	    "notify.delivery_attempts", "notify.backoff_base_ms",
	    "notify.backoff_max_ms", "notify.max_in_flight",
	    "policy.max_bytes_per_second", "policy.windows", "policy.timezone",
	    "policy.pause_outside_window" };
	struct config		*cfg;
	struct yamldoc		*doc = NULL;
	const struct yamldoc_node *sec;
	char			 err[512], key[64], *dot;
	const char		*k;
	enum err		 e;
	size_t			 i;

	cfg = load("conf/mm.yaml", NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL(e, ERR_OK);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		CU_FAIL_FATAL("config_load conf/mm.yaml");
	}
	check_defaults(cfg);
	CU_ASSERT_PTR_NULL(cfg->log_file);
	CU_ASSERT_EQUAL_FATAL(cfg->nsources, 4);
	CU_ASSERT_STRING_EQUAL(cfg->sources[0].path,
	    "conf/models/embedding.yaml");
	CU_ASSERT_STRING_EQUAL(cfg->sources[1].path, "conf/models/llm.yaml");
	CU_ASSERT_STRING_EQUAL(cfg->sources[2].path,
	    "conf/models/reranker.yaml");
	CU_ASSERT_STRING_EQUAL(cfg->sources[3].path,
	    "conf/models/splade.yaml");
	CU_ASSERT_EQUAL(cfg->sources[1].type, MT_LLM);
	CU_ASSERT_STRING_EQUAL(cfg->default_embedding_model,
	    "Qwen/Qwen3-Embedding-0.6B");
	config_free(&cfg);

	CU_ASSERT_EQUAL_FATAL(yamldoc_load("conf/mm.yaml", &doc, err,
	    sizeof(err)), ERR_OK);
	for (i = 0; i < NUINTS + sizeof(others) / sizeof(others[0]); i++) {
		k = i < NUINTS ? uints[i].key : others[i - NUINTS];
		snprintf(key, sizeof(key), "%s", k);
		dot = strchr(key, '.');
		*dot = '\0';
		sec = yamldoc_get(doc->root, key);
		CU_ASSERT(yamldoc_get(sec, dot + 1) != NULL);
		if (yamldoc_get(sec, dot + 1) == NULL)
			fprintf(stderr, "conf/mm.yaml lacks %s\n", k);
	}
	yamldoc_free(&doc);
}

/*
 * The environment rules.  field names a config member; want NULL means
 * the member is NULL; with err != ERR_OK, want is the whole message.
 */
static const struct {
	struct envvar	 env[ENV_MAX];
	enum err	 err;
	const char	*field;
	const char	*want;
} envs[] = {
	/* JWT_SECRET_KEY: required, non-blank, kept as is. */
	{ { { "JWT_SECRET_KEY", NULL } }, ERR_INVAL, NULL,
	    "JWT_SECRET_KEY is not set (or blank): refusing to start" },
	{ { { "JWT_SECRET_KEY", "" } }, ERR_INVAL, NULL,
	    "JWT_SECRET_KEY is not set (or blank): refusing to start" },
	{ { { "JWT_SECRET_KEY", " \t\r\n " } }, ERR_INVAL, NULL,
	    "JWT_SECRET_KEY is not set (or blank): refusing to start" },
	{ { { "JWT_SECRET_KEY", " x " } }, ERR_OK, "jwt_secret", " x " },
	/* DATABASE_URL: libpq form. */
	{ { { "DATABASE_URL", "postgresql+asyncpg://mm:hunter2@db:5432/sk" } },
	    ERR_OK, "database_url", "postgresql://mm:hunter2@db:5432/sk" },
	{ { { "DATABASE_URL", "postgresql+psycopg2://db/x" } }, ERR_OK,
	    "database_url", "postgresql://db/x" },
	{ { { "DATABASE_URL", "postgres+asyncpg://db/x" } }, ERR_OK,
	    "database_url", "postgres://db/x" },
	{ { { "DATABASE_URL", "postgres://mm@db/sk" } }, ERR_OK,
	    "database_url", "postgres://mm@db/sk" },
	{ { { "DATABASE_URL", "PostgreSQL://db/x?sslmode=require" } }, ERR_OK,
	    "database_url", "postgresql://db/x?sslmode=require" },
	{ { { "DATABASE_URL", NULL } }, ERR_OK, "database_url",
	    "postgresql://localhost:5432/semantik" },
	{ { { "DATABASE_URL", "mysql://root:hunter2@db/x" } }, ERR_INVAL, NULL,
	    "DATABASE_URL has an unsupported scheme (expected postgresql:// "
	    "or postgres://)" },
	{ { { "DATABASE_URL", "postgresqlx://db/x" } }, ERR_INVAL, NULL,
	    "DATABASE_URL has an unsupported scheme (expected postgresql:// "
	    "or postgres://)" },
	{ { { "DATABASE_URL", "postgresql+://u:hunter2@db" } }, ERR_INVAL, NULL,
	    "DATABASE_URL has an invalid +driver in its scheme" },
	{ { { "DATABASE_URL", "postgresql+as nc://db" } }, ERR_INVAL, NULL,
	    "DATABASE_URL has an invalid +driver in its scheme" },
	{ { { "DATABASE_URL", "mm:hunter2@db/x" } }, ERR_INVAL, NULL,
	    "DATABASE_URL is not a URL (expected postgresql://...)" },
	{ { { "DATABASE_URL", "" } }, ERR_INVAL, NULL,
	    "DATABASE_URL is not a URL (expected postgresql://...)" },
	/* REDIS_URL: redis:// and unix://, never rediss://. */
	{ { { "REDIS_URL", "redis://:hunter2@cache:6379/2" } }, ERR_OK,
	    "redis_url", "redis://:hunter2@cache:6379/2" },
	{ { { "REDIS_URL", "unix:///run/redis/redis.sock?db=1" } }, ERR_OK,
	    "redis_url", "unix:///run/redis/redis.sock?db=1" },
	{ { { "REDIS_URL", NULL } }, ERR_OK, "redis_url",
	    "redis://localhost:6379/0" },
	{ { { "REDIS_URL", "rediss://:hunter2@cache:6380/0" } }, ERR_INVAL,
	    NULL, "REDIS_URL: rediss:// (TLS) is not supported: hiredis 0.14 "
	    "has no TLS; use redis:// or unix://" },
	{ { { "REDIS_URL", "http://cache" } }, ERR_INVAL, NULL,
	    "REDIS_URL has an unsupported scheme (expected redis:// or "
	    "unix://)" },
	{ { { "REDIS_URL", "cache:6379" } }, ERR_INVAL, NULL,
	    "REDIS_URL has an unsupported scheme (expected redis:// or "
	    "unix://)" },
	/* HF_ENDPOINT: rstrip('/'), http(s) only. */
	{ { { "HF_ENDPOINT", "https://hub.example.com///" } }, ERR_OK,
	    "hf_endpoint", "https://hub.example.com" },
	{ { { "HF_ENDPOINT", "http://127.0.0.1:8080/" } }, ERR_OK,
	    "hf_endpoint", "http://127.0.0.1:8080" },
	{ { { "HF_ENDPOINT", "https://hub.example.com/mirror/" } }, ERR_OK,
	    "hf_endpoint", "https://hub.example.com/mirror" },
	{ { { "HF_ENDPOINT", "ftp://hub" } }, ERR_INVAL, NULL,
	    "HF_ENDPOINT must start with http:// or https://" },
	{ { { "HF_ENDPOINT", "" } }, ERR_INVAL, NULL,
	    "HF_ENDPOINT must start with http:// or https://" },
	{ { { "HF_ENDPOINT", "https:///" } }, ERR_INVAL, NULL,
	    "HF_ENDPOINT must start with http:// or https://" },
	{ { { "HF_ENDPOINT", "hub.example.com" } }, ERR_INVAL, NULL,
	    "HF_ENDPOINT must start with http:// or https://" },
	/* Offline: upper() in {1, ON, YES, TRUE}, either variable. */
	{ { { "HF_HUB_OFFLINE", "1" } }, ERR_OK, "hf_offline", "1" },
	{ { { "HF_HUB_OFFLINE", "ON" } }, ERR_OK, "hf_offline", "1" },
	{ { { "HF_HUB_OFFLINE", "on" } }, ERR_OK, "hf_offline", "1" },
	{ { { "HF_HUB_OFFLINE", "Yes" } }, ERR_OK, "hf_offline", "1" },
	{ { { "HF_HUB_OFFLINE", "TRUE" } }, ERR_OK, "hf_offline", "1" },
	{ { { "HF_HUB_OFFLINE", "true" } }, ERR_OK, "hf_offline", "1" },
	{ { { "HF_HUB_OFFLINE", "0" } }, ERR_OK, "hf_offline", "0" },
	{ { { "HF_HUB_OFFLINE", "false" } }, ERR_OK, "hf_offline", "0" },
	{ { { "HF_HUB_OFFLINE", "" } }, ERR_OK, "hf_offline", "0" },
	{ { { "HF_HUB_OFFLINE", "2" } }, ERR_OK, "hf_offline", "0" },
	{ { { "HF_HUB_OFFLINE", "y" } }, ERR_OK, "hf_offline", "0" },
	{ { { "HF_HUB_OFFLINE", " 1" } }, ERR_OK, "hf_offline", "0" },
	{ { { "TRANSFORMERS_OFFLINE", "yes" } }, ERR_OK, "hf_offline", "1" },
	{ { { "HF_HUB_OFFLINE", "0" }, { "TRANSFORMERS_OFFLINE", "1" } },
	    ERR_OK, "hf_offline", "1" },
	{ { { "HF_HUB_DISABLE_SYMLINKS", "1" } }, ERR_OK,
	    "hf_disable_symlinks", "1" },
	{ { { "HF_HUB_DISABLE_SYMLINKS", "On" } }, ERR_OK,
	    "hf_disable_symlinks", "1" },
	{ { { "HF_HUB_DISABLE_SYMLINKS", "off" } }, ERR_OK,
	    "hf_disable_symlinks", "0" },
	/* HF_HOME: X($HF_HOME or join($XDG_CACHE_HOME or ~/.cache, ...)). */
	{ { { "HF_HOME", "/srv/hf" } }, ERR_OK, "hf_home", "/srv/hf" },
	{ { { "HF_HOME", "~/hf" } }, ERR_OK, "hf_home",
	    "/nonexistent-mm/home/u/hf" },
	{ { { "HF_HOME", "~" } }, ERR_OK, "hf_home", "/nonexistent-mm/home/u" },
	{ { { "HF_HOME", "~/hf" }, { "HOME", "/h//" } }, ERR_OK, "hf_home",
	    "/h/hf" },
	{ { { "HF_HOME", "~" }, { "HOME", "/" } }, ERR_OK, "hf_home", "/" },
	{ { { "HF_HOME", "~no_such_user_mm/hf" } }, ERR_OK, "hf_home",
	    "~no_such_user_mm/hf" },
	{ { { "HF_HOME", "$BASE/hf" }, { "BASE", "/b" } }, ERR_OK, "hf_home",
	    "/b/hf" },
	{ { { "HF_HOME", "${BASE}/hf$X" }, { "BASE", "/b" }, { "X", "1" } },
	    ERR_OK, "hf_home", "/b/hf1" },
	{ { { "HF_HOME", "$NOPE/hf" } }, ERR_OK, "hf_home", "$NOPE/hf" },
	{ { { "HF_HOME", "${}/$/hf$" } }, ERR_OK, "hf_home", "${}/$/hf$" },
	{ { { "HF_HOME", "$A" }, { "A", "$B" }, { "B", "/x" } }, ERR_OK,
	    "hf_home", "$B" },
	{ { { "HF_HOME", "~/$D" }, { "D", "d" } }, ERR_OK, "hf_home",
	    "/nonexistent-mm/home/u/d" },
	{ { { "XDG_CACHE_HOME", "/xdg" } }, ERR_OK, "hf_home",
	    "/xdg/huggingface" },
	{ { { "XDG_CACHE_HOME", "~/xdg/" } }, ERR_OK, "hf_home",
	    "/nonexistent-mm/home/u/xdg/huggingface" },
	{ { { "HF_HOME", "/srv/hf" }, { "XDG_CACHE_HOME", "/xdg" } }, ERR_OK,
	    "hf_home", "/srv/hf" },
	{ { { "HF_HOME", "" } }, ERR_OK, "hf_home", "" },
	/* The hub cache comes from cachedir_hub(). */
	{ { { "HF_HUB_CACHE", "/nonexistent-mm/cache" } }, ERR_OK,
	    "hf_hub_cache", "/nonexistent-mm/cache" },
	{ { { "HF_HOME", "/nonexistent-mm/hf" } }, ERR_OK, "hf_hub_cache",
	    "/nonexistent-mm/hf/hub" },
	/* The token from the environment (files: test_token_file). */
	{ { { "HF_TOKEN", "hf_abc" } }, ERR_OK, "hf_token", "hf_abc" },
	{ { { "HF_TOKEN", " hf_abc \r\n" } }, ERR_OK, "hf_token", "hf_abc" },
	{ { { "HF_TOKEN", "hf_\r\nabc" } }, ERR_OK, "hf_token", "hf_abc" },
	{ { { "HF_TOKEN", "" }, { "HUGGING_FACE_HUB_TOKEN", "hf_legacy" } },
	    ERR_OK, "hf_token", "hf_legacy" },
	{ { { "HUGGING_FACE_HUB_TOKEN", "hf_legacy" } }, ERR_OK, "hf_token",
	    "hf_legacy" },
	{ { { "HF_TOKEN", "hf_new" }, { "HUGGING_FACE_HUB_TOKEN", "hf_old" } },
	    ERR_OK, "hf_token", "hf_new" },
	{ { { "HF_TOKEN", "\n" }, { "HUGGING_FACE_HUB_TOKEN", "hf_old" } },
	    ERR_OK, "hf_token", NULL },
	{ { { "HF_TOKEN", " " } }, ERR_OK, "hf_token", NULL },
	/* SEARCH_API_URL. */
	{ { { "SEARCH_API_URL", "http://vecpipe:8000/" } }, ERR_OK,
	    "search_api_url", "http://vecpipe:8000" },
	{ { { "SEARCH_API_URL", "HTTPS://vecpipe" } }, ERR_OK,
	    "search_api_url", "HTTPS://vecpipe" },
	{ { { "SEARCH_API_URL", "vecpipe:8000" } }, ERR_INVAL, NULL,
	    "SEARCH_API_URL must start with http:// or https://" },
	/* DEFAULT_EMBEDDING_MODEL wins over the registry's. */
	{ { { "DEFAULT_EMBEDDING_MODEL", "BAAI/bge-m3" } }, ERR_OK,
	    "default_embedding_model", "BAAI/bge-m3" },
	{ { { "DEFAULT_EMBEDDING_MODEL", "" } }, ERR_OK,
	    "default_embedding_model", "org/emb-a" },
	/* MM_LOG_FILE, MM_RUNNER_ID. */
	{ { { "MM_LOG_FILE", "/var/log/mm.log" } }, ERR_OK, "log_file",
	    "/var/log/mm.log" },
	{ { { "MM_LOG_FILE", "" } }, ERR_OK, "log_file", NULL },
	{ { { "MM_RUNNER_ID", "runner.1_a-B" } }, ERR_OK, "runner_id",
	    "runner.1_a-B" },
	{ { { "MM_RUNNER_ID", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxx" } }, ERR_OK, "runner_id",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" },
	{ { { "MM_RUNNER_ID", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxx" } }, ERR_INVAL, NULL,
	    "MM_RUNNER_ID must match [A-Za-z0-9._-]{1,64}" },
	{ { { "MM_RUNNER_ID", "bad id" } }, ERR_INVAL, NULL,
	    "MM_RUNNER_ID must match [A-Za-z0-9._-]{1,64}" },
	{ { { "MM_RUNNER_ID", "a/b" } }, ERR_INVAL, NULL,
	    "MM_RUNNER_ID must match [A-Za-z0-9._-]{1,64}" },
};

/* A config member by name, as a string (ints as "%d"); NULL if NULL. */
static const char *
field(const struct config *cfg, const char *name, char *buf, size_t len)
{
	static const struct {
		const char	*name;
		size_t		 off;
		int		 isint;
	} f[] = {
#define S(n) { #n, offsetof(struct config, n), 0 }
		S(jwt_secret), S(database_url), S(redis_url),
		S(hf_hub_cache), S(hf_home), S(hf_endpoint), S(hf_token),
		S(default_embedding_model), S(search_api_url), S(log_file),
		S(runner_id),
#undef S
		{ "hf_offline", offsetof(struct config, hf_offline), 1 },
		{ "hf_disable_symlinks", offsetof(struct config,
		    hf_disable_symlinks), 1 },
	};
	const char	*p = (const char *)cfg;
	size_t		 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (strcmp(f[i].name, name) != 0)
			continue;
		if (!f[i].isint)
			return *(char *const *)(const void *)(p + f[i].off);
		snprintf(buf, len, "%d",
		    *(const int *)(const void *)(p + f[i].off));
		return buf;
	}
	CU_FAIL_FATAL("unknown field");
	return NULL;
}

static void
test_env(void)
{
	struct config	*cfg;
	char		 err[512], buf[32];
	char		*path = unit_fixture_path("empty.yaml");
	const char	*got;
	enum err	 e;
	size_t		 i;

	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		cfg = load(path, envs[i].env, &e, err, sizeof(err));
		CU_ASSERT_EQUAL(e, envs[i].err);
		/* No secret ever reaches a message. */
		CU_ASSERT_PTR_NULL(strstr(err, "hunter2"));
		CU_ASSERT_PTR_NULL(strstr(err, "s3cret"));
		if (e != envs[i].err) {
			fprintf(stderr, "env case %zu (%s): %s\n", i,
			    envs[i].env[0].name, err);
			config_free(&cfg);
			continue;
		}
		if (e != ERR_OK) {
			CU_ASSERT_STRING_EQUAL(err, envs[i].want);
			continue;
		}
		got = field(cfg, envs[i].field, buf, sizeof(buf));
		if (envs[i].want == NULL) {
			CU_ASSERT_PTR_NULL(got);
		} else {
			CU_ASSERT(got != NULL &&
			    strcmp(got, envs[i].want) == 0);
		}
		if ((got == NULL) != (envs[i].want == NULL) ||
		    (got != NULL && strcmp(got, envs[i].want) != 0))
			fprintf(stderr, "env case %zu (%s): %s = '%s'\n", i,
			    envs[i].env[0].name, envs[i].field,
			    got != NULL ? got : "(null)");
		config_free(&cfg);
	}
	free(path);
}

/* The token file: $HF_TOKEN_PATH or <HF_HOME>/token, cleaned. */
static void
test_token_file(void)
{
	struct config	*cfg;
	char		 err[512], want[512], *big, *home, *tokpath, *dirpath;
	enum err	 e;
	size_t		 i;
	static const struct {
		const char	*hf_token;
		const char	*path_var;	/* HF_TOKEN_PATH */
		const char	*home_token;	/* <HF_HOME>/token */
		const char	*alt_token;	/* <scratch>/tok/alt */
		const char	*want;
	} cases[] = {
		{ NULL, NULL, "  hf_file \r\n\n", NULL, "hf_file" },
		{ NULL, NULL, "hf_\r\nsplit\n", NULL, "hf_split" },
		{ NULL, NULL, " \n\t\r\n ", NULL, NULL },
		{ NULL, NULL, "", NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
		{ "hf_env", NULL, "hf_file", NULL, "hf_env" },
		{ "\r\n", NULL, "hf_file", NULL, "hf_file" },
		{ NULL, "$TOKDIR/alt", "hf_file", "hf_alt\n", "hf_alt" },
		{ NULL, "$TOKDIR/missing", "hf_file", NULL, NULL },
	};

	home = unit_fixture_path("hfhome");
	tokpath = unit_fixture_path("hfhome/token");
	dirpath = unit_fixture_path("tok");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct envvar	 env[] = {
			{ "HF_HOME", home },
			{ "TOKDIR", dirpath },
			{ "HF_TOKEN", cases[i].hf_token },
			{ "HF_TOKEN_PATH", cases[i].path_var },
			{ NULL, NULL }
		};

		unit_rmtree(home);
		unit_rmtree(dirpath);
		if (cases[i].home_token != NULL)
			fixture_free("hfhome/token", cases[i].home_token);
		if (cases[i].alt_token != NULL)
			fixture_free("tok/alt", cases[i].alt_token);
		cfg = load("conf/mm.yaml", env, &e, err, sizeof(err));
		CU_ASSERT_EQUAL(e, ERR_OK);
		if (cfg == NULL) {
			fprintf(stderr, "token case %zu: %s\n", i, err);
			continue;
		}
		if (cases[i].want == NULL) {
			CU_ASSERT_PTR_NULL(cfg->hf_token);
		} else {
			CU_ASSERT(cfg->hf_token != NULL &&
			    strcmp(cfg->hf_token, cases[i].want) == 0);
		}
		CU_ASSERT_STRING_EQUAL(cfg->hf_home, home);
		config_free(&cfg);
	}

	/* A token path that is a directory, or a file that is no token. */
	{
		struct envvar	 env[] = {
			{ "HF_TOKEN_PATH", dirpath }, { NULL, NULL }
		};

		fixture_free("tok/alt", "x");
		cfg = load("conf/mm.yaml", env, &e, err, sizeof(err));
		CU_ASSERT_EQUAL(e, ERR_IO);
		snprintf(want, sizeof(want),
		    "the hub token file %s: Is a directory", dirpath);
		CU_ASSERT_STRING_EQUAL(err, want);
	}
	if ((big = malloc(70000)) == NULL)
		abort();
	memset(big, 'h', 69999);
	big[69999] = '\0';
	fixture_free("hfhome/token", big);
	free(big);
	{
		struct envvar	 env[] = {
			{ "HF_HOME", home }, { NULL, NULL }
		};

		cfg = load("conf/mm.yaml", env, &e, err, sizeof(err));
		CU_ASSERT_EQUAL(e, ERR_INVAL);
		snprintf(want, sizeof(want), "the hub token file %s is not a "
		    "token (too large or binary)", tokpath);
		CU_ASSERT_STRING_EQUAL(err, want);
	}
	unit_rmtree(home);
	unit_rmtree(dirpath);
	free(home);
	free(tokpath);
	free(dirpath);
}

/* Every key changed in the YAML; the environment still wins where it
 * should. */
static void
test_yaml_overrides(void)
{
	struct config	*cfg;
	char		 err[512], *path, *want;
	size_t		 i;
	enum err	 e;
	static const struct envvar env[] = {
		{ "MM_RUNNER_ID", "env-runner" }, { NULL, NULL }
	};

	path = unit_fixture("override.yaml",
	    "cache: {scan_ttl_seconds: 0, prune_min_age_seconds: 0}\n"
	    "api: {vecpipe_timeout_ms: 1, token_ttl_seconds: 60}\n"
	    "database: {connect_timeout_seconds: 300,"
	    " statement_timeout_ms: 3600000}\n"
	    "redis: {timeout_ms: 60000}\n"
	    "jobs:\n"
	    "  concurrency: 64\n"
	    "  heartbeat_interval_seconds: 1\n"
	    "  heartbeat_ttl_seconds: 2\n"
	    "  download_soft_limit_seconds: 1\n"
	    "  download_hard_limit_seconds: 604800\n"
	    "  delete_soft_limit_seconds: 86399\n"
	    "  delete_hard_limit_seconds: 86400\n"
	    "  max_attempts: 100\n"
	    "  disk_reserve_mb: 1073741824\n"
	    "  retry_max: 0\n"
	    "  retry_base_ms: 1\n"
	    "  retry_max_ms: 3600000\n"
	    "  stall_seconds: 3600\n"
	    "  progress_interval_ms: 10\n"
	    "  connect_timeout_seconds: 1\n"
	    "  verify_max_mb_per_second: 200\n"
	    "  runner_id: yaml.r-1\n"
	    "downloads: {max_connections: 1, parts_per_file: 32,"
	    " part_min_bytes: 65536, checkpoint_bytes: 1073741824}\n"
	    "hub: {max_path_depth: 1, max_dirs: 1000000,"
	    " max_listing_bytes: 1024, mirror_cooldown_seconds: 1}\n"
	    "log:\n"
	    "  file: logs/mm.log\n"
	    "  debug: true\n"
	    "models: {sources: [{type: splade, path: models/splade.yaml}]}\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL(e, ERR_OK);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		CU_FAIL_FATAL("config_load");
	}
	for (i = 0; i < NUINTS; i++) {
		CU_ASSERT_EQUAL(uint_at(cfg, uints[i].off), uints[i].other);
		if (uint_at(cfg, uints[i].off) != uints[i].other)
			fprintf(stderr, "%s = %u\n", uints[i].key,
			    uint_at(cfg, uints[i].off));
	}
	CU_ASSERT_EQUAL(cfg->disk_reserve_mb, 1073741824ULL);
	CU_ASSERT_EQUAL(cfg->hub_max_listing_bytes, 1024);
	CU_ASSERT_EQUAL(cfg->part_min_bytes, 65536);
	CU_ASSERT_EQUAL(cfg->checkpoint_bytes, 1ULL << 30);
	CU_ASSERT_EQUAL(cfg->debug, 1);
	CU_ASSERT_STRING_EQUAL(cfg->runner_id, "yaml.r-1");
	if (asprintf(&want, "%s/logs/mm.log", unit_scratch()) == -1)
		abort();
	CU_ASSERT_STRING_EQUAL(cfg->log_file, want);
	free(want);
	CU_ASSERT_EQUAL_FATAL(cfg->nsources, 1);
	CU_ASSERT_EQUAL(cfg->sources[0].type, MT_SPLADE);
	/* No embedding source: the built-in default model. */
	CU_ASSERT_STRING_EQUAL(cfg->default_embedding_model,
	    "Qwen/Qwen3-Embedding-0.6B");
	config_free(&cfg);

	/* MM_RUNNER_ID and MM_LOG_FILE win over the YAML. */
	cfg = load(path, env, &e, err, sizeof(err));
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_STRING_EQUAL(cfg->runner_id, "env-runner");
	config_free(&cfg);
	{
		static const struct envvar env2[] = {
			{ "MM_LOG_FILE", "/var/log/other.log" }, { NULL, NULL }
		};

		cfg = load(path, env2, &e, err, sizeof(err));
		CU_ASSERT_FATAL(cfg != NULL);
		CU_ASSERT_STRING_EQUAL(cfg->log_file, "/var/log/other.log");
		CU_ASSERT_STRING_EQUAL(cfg->runner_id, "yaml.r-1");
		config_free(&cfg);
	}
	free(path);

	/* "" keeps the defaults; an absolute log path stays. */
	path = unit_fixture("override2.yaml", "jobs: {runner_id: ''}\n"
	    "log: {file: /abs/mm.log, debug: false}\ncache: ~\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_STRING_EQUAL(cfg->log_file, "/abs/mm.log");
	CU_ASSERT_EQUAL(cfg->debug, 0);
	check_defaults(cfg);
	config_free(&cfg);
	free(path);
}

/* YAML errors: the message is "<path><suffix>". */
static const struct {
	const char	*text;
	enum err	 err;
	const char	*suffix;
} yaml_errors[] = {
	{ "jobs:\n  concurency: 3\n", ERR_INVAL,
	    ":2: unknown key 'jobs.concurency'" },
	{ "job:\n  concurrency: 3\n", ERR_INVAL, ":1: unknown key 'job'" },
	{ "jobs:\n  connect_timeout: 3\n", ERR_INVAL,
	    ":2: unknown key 'jobs.connect_timeout'" },
	{ "cache:\n  scan_ttl: 3\n", ERR_INVAL,
	    ":2: unknown key 'cache.scan_ttl'" },
	{ "jobs:\n  concurrency: 0\n", ERR_INVAL,
	    ":2: jobs.concurrency: too small (1..64)" },
	{ "jobs:\n  concurrency: 65\n", ERR_INVAL,
	    ":2: jobs.concurrency: too large (1..64)" },
	{ "jobs:\n  concurrency: two\n", ERR_INVAL,
	    ":2: jobs.concurrency: not an integer (1..64)" },
	{ "jobs:\n  concurrency: \"2\"\n", ERR_INVAL,
	    ":2: jobs.concurrency: not an integer (1..64)" },
	{ "jobs:\n  concurrency: -1\n", ERR_INVAL,
	    ":2: jobs.concurrency: too small (1..64)" },
	{ "jobs:\n  concurrency: 2.5\n", ERR_INVAL,
	    ":2: jobs.concurrency: not an integer (1..64)" },
	{ "jobs:\n  concurrency:\n", ERR_INVAL,
	    ":2: jobs.concurrency: not an integer (1..64)" },
	{ "api:\n  token_ttl_seconds: 59\n", ERR_INVAL,
	    ":2: api.token_ttl_seconds: too small (60..31536000)" },
	{ "jobs:\n  disk_reserve_mb: 1073741825\n", ERR_INVAL,
	    ":2: jobs.disk_reserve_mb: too large (0..1073741824)" },
	{ "jobs:\n  max_attempts: 99999999999999999999\n", ERR_INVAL,
	    ":2: jobs.max_attempts: too large (1..100)" },
	{ "hub:\n  max_path_depth: 33\n", ERR_INVAL,
	    ":2: hub.max_path_depth: too large (1..32)" },
	{ "hub:\n  max_path_depth: 0\n", ERR_INVAL,
	    ":2: hub.max_path_depth: too small (1..32)" },
	{ "hub:\n  max_dirs: 0\n", ERR_INVAL,
	    ":2: hub.max_dirs: too small (1..1000000)" },
	{ "hub:\n  max_dirs: 1000001\n", ERR_INVAL,
	    ":2: hub.max_dirs: too large (1..1000000)" },
	{ "hub:\n  max_listing_bytes: 1023\n", ERR_INVAL,
	    ":2: hub.max_listing_bytes: too small (1024..1073741824)" },
	{ "hub:\n  max_listing_bytes: 1073741825\n", ERR_INVAL,
	    ":2: hub.max_listing_bytes: too large (1024..1073741824)" },
	{ "hub:\n  mirrors: [ftp://m.example]\n", ERR_INVAL,
	    ":2: hub.mirrors: item 1 is not a valid mirror URL: not an http "
	    "or https URL" },
	{ "hub:\n  mirrors: [http://a.example, 'https://u:p@m.example/']\n",
	    ERR_INVAL, ":2: hub.mirrors: item 2 is not a valid mirror URL: "
	    "user info is not allowed" },
	{ "hub:\n  mirrors: ['https://m.example/x?sig=1']\n", ERR_INVAL,
	    ":2: hub.mirrors: item 1 is not a valid mirror URL: a query or "
	    "fragment is not allowed" },
	{ "hub:\n  mirrors: [http://1, http://2, http://3, http://4, "
	    "http://5, http://6, http://7, http://8, http://9]\n", ERR_INVAL,
	    ":2: hub.mirrors: expected a list of at most 8 URLs" },
	{ "hub:\n  mirrors: http://m.example\n", ERR_INVAL,
	    ":2: hub.mirrors: expected a list of at most 8 URLs" },
	{ "hub:\n  token_origins: ['https://hf.example/api']\n", ERR_INVAL,
	    ":2: hub.token_origins: item 1 is not a valid origin "
	    "(scheme://host[:port]): an origin has no path" },
	{ "hub:\n  mirror_cooldown_seconds: 0\n", ERR_INVAL,
	    ":2: hub.mirror_cooldown_seconds: too small (1..86400)" },
	{ "hub:\n  max_dirs: 10\n  depth: 3\n", ERR_INVAL,
	    ":3: unknown key 'hub.depth'" },
	{ "log:\n  debug: yes\n", ERR_INVAL,
	    ":2: log.debug: expected true or false" },
	{ "log:\n  debug: 1\n", ERR_INVAL,
	    ":2: log.debug: expected true or false" },
	{ "log:\n  file: [a]\n", ERR_INVAL, ":2: log.file: expected a string" },
	{ "jobs:\n  runner_id: bad id\n", ERR_INVAL,
	    ":2: jobs.runner_id: must match [A-Za-z0-9._-]{1,64}" },
	{ "jobs: 3\n", ERR_INVAL, ":1: jobs: expected a mapping" },
	{ "- jobs\n", ERR_INVAL, ":1: expected a mapping at the top level" },
	{ "just text\n", ERR_INVAL, ":1: expected a mapping at the top level" },
	{ "jobs:\n  concurrency: 2\n  concurrency: 3\n", ERR_INVAL,
	    ":3: duplicate key 'concurrency'" },
	{ "jobs: {}\ncache: {}\njobs: {}\n", ERR_INVAL,
	    ":3: duplicate key 'jobs'" },
	{ "jobs: [\n", ERR_INVAL,
	    ":2: did not find expected node content (while parsing a flow "
	    "node)" },
	{ "jobs:\n\tconcurrency: 2\n", ERR_INVAL,
	    ":2: found character that cannot start any token (while scanning "
	    "for the next token)" },
	{ "jobs:\n  heartbeat_interval_seconds: 10\n", ERR_INVAL,
	    ": jobs.heartbeat_ttl_seconds (10) must be greater than "
	    "jobs.heartbeat_interval_seconds (10)" },
	{ "jobs:\n  download_soft_limit_seconds: 21600\n", ERR_INVAL,
	    ": jobs.download_soft_limit_seconds (21600) must be less than "
	    "jobs.download_hard_limit_seconds (21600)" },
	{ "jobs:\n  delete_hard_limit_seconds: 500\n", ERR_INVAL,
	    ": jobs.delete_soft_limit_seconds (600) must be less than "
	    "jobs.delete_hard_limit_seconds (500)" },
	{ "jobs:\n  parallel_files: 4\ndownloads:\n  max_connections: 4\n",
	    ERR_INVAL, ": jobs.parallel_files is deprecated and replaced by "
	    "downloads.max_connections: remove it" },
	{ "downloads:\n  parts_per_file: 33\n", ERR_INVAL,
	    ":2: downloads.parts_per_file: too large (1..32)" },
	{ "downloads:\n  part_min_bytes: 65535\n", ERR_INVAL,
	    ":2: downloads.part_min_bytes: too small (65536..1099511627776)" },
	{ "downloads:\n  max_connections: 0\n", ERR_INVAL,
	    ":2: downloads.max_connections: too small (1..64)" },
	{ "jobs:\n  retry_max_ms: 999\n", ERR_INVAL,
	    ": jobs.retry_base_ms (1000) must not exceed jobs.retry_max_ms "
	    "(999)" },
	{ "models:\n  sources: []\n", ERR_INVAL,
	    ":2: models.sources: expected a non-empty sequence" },
	{ "models:\n  source: []\n", ERR_INVAL,
	    ":2: unknown key 'models.source'" },
	{ "models:\n  sources:\n  - {type: sparse, path: x.yaml}\n",
	    ERR_INVAL, ":3: models.sources: 'type' must be embedding, llm, "
	    "reranker or splade" },
	{ "models:\n  sources:\n  - {path: x.yaml}\n", ERR_INVAL,
	    ":3: models.sources: 'type' must be embedding, llm, reranker or "
	    "splade" },
	{ "models:\n  sources:\n  - {type: llm}\n", ERR_INVAL,
	    ":3: models.sources: 'path' is required" },
	{ "models:\n  sources:\n  - {type: llm, path: ''}\n", ERR_INVAL,
	    ":3: models.sources: 'path' is required" },
	{ "models:\n  sources:\n  - {type: llm, path: x, weight: 2}\n",
	    ERR_INVAL, ":3: unknown key 'models.sources.weight'" },
	{ "models:\n  sources:\n  - models/llm.yaml\n", ERR_INVAL,
	    ":3: models.sources: expected a mapping {type, path}" },
	{ "models:\n  sources: [" "{type: llm, path: a}, {type: llm, path: a},"
	    "{type: llm, path: a}, {type: llm, path: a},"
	    "{type: llm, path: a}, {type: llm, path: a},"
	    "{type: llm, path: a}, {type: llm, path: a},"
	    "{type: llm, path: a}, {type: llm, path: a},"
	    "{type: llm, path: a}, {type: llm, path: a},"
	    "{type: llm, path: a}, {type: llm, path: a},"
	    "{type: llm, path: a}, {type: llm, path: a},"
	    "{type: llm, path: a}]\n", ERR_INVAL,
	    ":2: models.sources: more than 16 sources" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://h/x', events: "
	    "[download.completed], secret_file: open.secret}\n", ERR_INVAL,
	    ":3: notify.webhooks (a): secret file SCRATCH/open.secret: group or "
	    "others have access (mode 640); it must be readable by the service "
	    "user only (chmod 600)" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://h/x', events: "
	    "[download.completed], secret_file: empty.secret}\n", ERR_INVAL,
	    ":3: notify.webhooks (a): secret file SCRATCH/empty.secret: empty" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://h/x', events: "
	    "[download.completed], secret_file: none.secret}\n", ERR_INVAL,
	    ":3: notify.webhooks (a): secret file SCRATCH/none.secret: No such "
	    "file or directory" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://u:p@h/x', events: "
	    "[download.completed], secret_file: ok.secret}\n", ERR_INVAL,
	    ":3: notify.webhooks (a): url needs a host and no user or password "
	    "(user@host)" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'ftp://h/x', events: "
	    "[download.completed], secret_file: ok.secret}\n", ERR_INVAL,
	    ":3: notify.webhooks (a): url must start with http:// or https://" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://h/x', events: "
	    "[download.done], secret_file: ok.secret}\n", ERR_INVAL,
	    ":3: notify.webhooks.events: unknown event 'download.done' (known: "
	    "download.completed|failed|cancelled, delete.completed|failed|"
	    "cancelled, prune.completed|failed|cancelled)" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://h/x', events: [], "
	    "secret_file: ok.secret}\n", ERR_INVAL,
	    ":3: notify.webhooks.events: expected a non-empty list" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://h/x', events: "
	    "[download.completed]}\n", ERR_INVAL,
	    ":3: notify.webhooks: 'secret_file' is required" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://h/x', events: "
	    "[download.completed], secret_file: ok.secret, secret: x}\n",
	    ERR_INVAL, ":3: unknown key 'notify.webhooks.secret'" },
	{ "notify:\n  webhooks:\n  - {name: 'a b', url: 'http://h/x', events: "
	    "[download.completed], secret_file: ok.secret}\n", ERR_INVAL,
	    ":3: notify.webhooks.name: must match [A-Za-z0-9._-]{1,64}" },
	{ "notify:\n  webhooks:\n  - {name: a, url: 'http://h/x', events: "
	    "[download.completed], secret_file: ok.secret}\n"
	    "  - {name: a, url: 'http://h/y', events: "
	    "[delete.failed], secret_file: ok.secret}\n", ERR_INVAL,
	    ":4: notify.webhooks.name: 'a' used twice" },
	{ "notify:\n  webhooks: {name: a}\n", ERR_INVAL,
	    ":2: notify.webhooks: expected a list" },
	{ "notify:\n  delivery_attempts: 0\n", ERR_INVAL,
	    ":2: notify.delivery_attempts: too small (1..100)" },
	{ "notify:\n  backoff_base_ms: 5000\n  backoff_max_ms: 4000\n",
	    ERR_INVAL, ": notify.backoff_base_ms (5000) must not exceed "
	    "notify.backoff_max_ms (4000)" },
	{ "notify:\n  max_in_flight: 1\n  webhooks:\n"
	    "  - {name: a, url: 'http://h/x', events: [download.completed], "
	    "secret_file: ok.secret}\n"
	    "  - {name: b, url: 'http://h/y', events: [download.completed], "
	    "secret_file: ok.secret}\n", ERR_INVAL,
	    ": notify.max_in_flight (1) must be at least the number of webhooks "
	    "(2): each event may need one delivery per webhook" },
	{ "notify:\n  retries: 3\n", ERR_INVAL,
	    ":2: unknown key 'notify.retries'" },
	{ "policy:\n  cap: 3\n", ERR_INVAL, ":2: unknown key 'policy.cap'" },
	{ "policy:\n  timezone: Mars/Base\n", ERR_INVAL, ":2: policy.timezone: "
	    "not a time zone of the system's tz database (such as "
	    "Europe/Berlin)" },
	{ "policy:\n  max_bytes_per_second: 0\n", ERR_INVAL,
	    ":2: policy.max_bytes_per_second: too small (null or "
	    "65536..1000000000000)" },
};

/* Replaces "SCRATCH" in s (size len) by the scratch directory. */
static void
scratch_subst(char *s, size_t len)
{
	char	 tmp[1024], *p;

	if ((p = strstr(s, "SCRATCH")) == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%.*s%s%s", (int)(p - s), s,
	    unit_scratch(), p + 7);
	if (strlen(tmp) >= len)
		abort();
	memcpy(s, tmp, strlen(tmp) + 1);
}

/* Webhooks: each entry with its URL, events and the secret read from its
 * file (newline trimmed); none by default. */
static void
test_webhooks(void)
{
	struct config	*cfg;
	char		 err[512], *path;
	enum err	 e;

	path = unit_fixture("hooks.yaml", "notify:\n"
	    "  webhooks:\n"
	    "  - {name: ops.1, url: 'https://h:8443/p?q=1', events: "
	    "[download.completed, delete.failed, prune.cancelled], "
	    "secret_file: ok.secret}\n"
	    "  - {name: b, url: 'http://127.0.0.1/', events: "
	    "[download.failed], secret_file: ok.secret}\n"
	    "  delivery_attempts: 3\n  max_in_flight: 2\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	if (cfg == NULL)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL_FATAL(cfg->nwebhooks, 2);
	CU_ASSERT_STRING_EQUAL(cfg->webhooks[0].name, "ops.1");
	CU_ASSERT_STRING_EQUAL(cfg->webhooks[0].url, "https://h:8443/p?q=1");
	CU_ASSERT_EQUAL(cfg->webhooks[0].events,
	    (1U << WH_EV_DOWNLOAD_COMPLETED) | (1U << WH_EV_DELETE_FAILED) |
	    (1U << WH_EV_PRUNE_CANCELLED));
	CU_ASSERT_EQUAL(cfg->webhooks[0].secretlen, 6);
	CU_ASSERT_STRING_EQUAL(cfg->webhooks[0].secret, "k3y-0k");
	CU_ASSERT_EQUAL(cfg->webhooks[1].events, 1U << WH_EV_DOWNLOAD_FAILED);
	CU_ASSERT_EQUAL(cfg->notify_max_attempts, 3);
	CU_ASSERT_EQUAL(cfg->notify_max_in_flight, 2);
	CU_ASSERT_EQUAL(cfg->notify_backoff_base_ms, 1000);
	config_free(&cfg);
	free(path);
	cfg = load("conf/mm.yaml", NULL, &e, err, sizeof(err));
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL(cfg->nwebhooks, 0);
	CU_ASSERT_EQUAL(cfg->notify_timeout_ms, 10000);
	CU_ASSERT_EQUAL(cfg->notify_connect_timeout_ms, 3000);
	CU_ASSERT_EQUAL(cfg->notify_max_attempts, 8);
	CU_ASSERT_EQUAL(cfg->notify_backoff_max_ms, 60000);
	CU_ASSERT_EQUAL(cfg->notify_max_in_flight, 16);
	config_free(&cfg);
}

/* The policy's seed, from its section (none: no cap, any time, UTC, no
 * pause), and the test clock's offset from the environment. */
static void
test_policy_seed(void)
{
	static const struct envvar offset[] = {
		{ "MM_TEST_CLOCK_OFFSET_SECONDS", "-3600" }, { NULL, NULL }
	};
	static const struct envvar bad[] = {
		{ "MM_TEST_CLOCK_OFFSET_SECONDS", "1h" }, { NULL, NULL }
	};
	struct config	*cfg;
	char		 err[512], *path;
	enum err	 e;

	path = unit_fixture("policy.yaml", "policy:\n"
	    "  max_bytes_per_second: 20000000\n"
	    "  windows: [{start: \"22:00\", end: \"06:00\"}]\n"
	    "  timezone: Europe/Berlin\n  pause_outside_window: true\n");
	cfg = load(path, offset, &e, err, sizeof(err));
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL(cfg->policy.max_bps, 20000000);
	CU_ASSERT_EQUAL(cfg->policy.nwindows, 1);
	CU_ASSERT_EQUAL(cfg->policy.windows[0].start, 22 * 60);
	CU_ASSERT_STRING_EQUAL(cfg->policy.tz, "Europe/Berlin");
	CU_ASSERT_TRUE(cfg->policy.pause_outside);
	CU_ASSERT_EQUAL(cfg->clock_offset, -3600);
	config_free(&cfg);
	free(path);
	cfg = load("conf/mm.yaml", NULL, &e, err, sizeof(err));
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL(cfg->policy.max_bps, 0);
	CU_ASSERT_EQUAL(cfg->policy.nwindows, 0);
	CU_ASSERT_STRING_EQUAL(cfg->policy.tz, "UTC");
	CU_ASSERT_FALSE(cfg->policy.pause_outside);
	CU_ASSERT_EQUAL(cfg->clock_offset, 0);
	config_free(&cfg);
	CU_ASSERT_PTR_NULL(load("conf/mm.yaml", bad, &e, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "MM_TEST_CLOCK_OFFSET_SECONDS must be an "
	    "integer number of seconds (at most ten years)");
}

static void
test_yaml_errors(void)
{
	struct config	*cfg;
	char		 err[512], want[512], name[32], *path;
	enum err	 e;
	size_t		 i;

	for (i = 0; i < sizeof(yaml_errors) / sizeof(yaml_errors[0]); i++) {
		snprintf(name, sizeof(name), "bad%zu.yaml", i);
		path = unit_fixture(name, yaml_errors[i].text);
		cfg = load(path, NULL, &e, err, sizeof(err));
		snprintf(want, sizeof(want), "%s%s", path,
		    yaml_errors[i].suffix);
		scratch_subst(want, sizeof(want));
		CU_ASSERT_EQUAL(e, yaml_errors[i].err);
		CU_ASSERT_STRING_EQUAL(err, want);
		if (e != yaml_errors[i].err || strcmp(err, want) != 0)
			fprintf(stderr, "yaml case %zu: %s\n", i, err);
		config_free(&cfg);
		free(path);
	}
}

/* Source paths: relative to the YAML file's directory; absolute kept;
 * a missing file, or a bad model file, fails the load. */
static void
test_sources(void)
{
	struct config	*cfg;
	char		 err[512], want[512], *text, *path;
	enum err	 e;

	fixture_free("sub/extra/splade.yaml",
	    "models:\n- {id: org/spl-b, name: spl-b}\n");
	if (asprintf(&text, "models:\n  sources:\n"
	    "  - {type: embedding, path: ../models/embedding.yaml}\n"
	    "  - {type: llm, path: %s/models/llm.yaml}\n"
	    "  - {type: splade, path: extra/splade.yaml}\n",
	    unit_scratch()) == -1)
		abort();
	path = unit_fixture("sub/mm.yaml", text);
	free(text);
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL(e, ERR_OK);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		CU_FAIL_FATAL("config_load");
	}
	CU_ASSERT_EQUAL_FATAL(cfg->nsources, 3);
	snprintf(want, sizeof(want), "%s/sub/../models/embedding.yaml",
	    unit_scratch());
	CU_ASSERT_STRING_EQUAL(cfg->sources[0].path, want);
	CU_ASSERT_EQUAL(cfg->sources[0].type, MT_EMBEDDING);
	snprintf(want, sizeof(want), "%s/models/llm.yaml", unit_scratch());
	CU_ASSERT_STRING_EQUAL(cfg->sources[1].path, want);
	CU_ASSERT_EQUAL(cfg->sources[1].type, MT_LLM);
	snprintf(want, sizeof(want), "%s/sub/extra/splade.yaml",
	    unit_scratch());
	CU_ASSERT_STRING_EQUAL(cfg->sources[2].path, want);
	CU_ASSERT_EQUAL(cfg->sources[2].type, MT_SPLADE);
	CU_ASSERT_STRING_EQUAL(cfg->default_embedding_model, "org/emb-a");
	config_free(&cfg);
	free(path);

	/* A missing source file. */
	path = unit_fixture("sub/missing.yaml",
	    "models: {sources: [{type: llm, path: nope.yaml}]}\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL(e, ERR_IO);
	snprintf(want, sizeof(want), "%s/sub/nope.yaml: No such file or "
	    "directory", unit_scratch());
	CU_ASSERT_STRING_EQUAL(err, want);
	free(path);

	/* A bad model file fails the configuration too. */
	fixture_free("sub/bad-models.yaml", "models:\n- {id: a/b}\n");
	path = unit_fixture("sub/bad.yaml",
	    "models: {sources: [{type: reranker, path: bad-models.yaml}]}\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL(e, ERR_INVAL);
	snprintf(want, sizeof(want), "%s/sub/bad-models.yaml:2: model 'a/b' "
	    "without 'name'", unit_scratch());
	CU_ASSERT_STRING_EQUAL(err, want);
	free(path);

	/* A missing configuration file. */
	path = unit_fixture_path("nope/mm.yaml");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL(e, ERR_IO);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	CU_ASSERT_STRING_EQUAL(err, want);
	free(path);
}

static void
test_getenv(void)
{

	CU_ASSERT_EQUAL(setenv("MM_UNIT_CONFIG_VAR", "v1", 1), 0);
	CU_ASSERT_STRING_EQUAL(config_getenv("MM_UNIT_CONFIG_VAR"), "v1");
	CU_ASSERT_EQUAL(unsetenv("MM_UNIT_CONFIG_VAR"), 0);
	CU_ASSERT_PTR_NULL(config_getenv("MM_UNIT_CONFIG_VAR"));
}

/* The deprecated jobs.parallel_files is read as downloads.max_connections
 * when that is not given. */
static void
test_parallel_files(void)
{
	struct config	*cfg;
	char		 err[512], *path;
	enum err	 e;

	path = unit_fixture("alias.yaml", "jobs:\n  parallel_files: 5\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_FATAL(cfg != NULL);
	CU_ASSERT_EQUAL(cfg->max_connections, 5);
	config_free(&cfg);
	free(path);
}

/* hub.mirrors and hub.token_origins: trailing '/' removed, in order;
 * token_origins absent, null or empty told apart. */
static void
test_mirrors(void)
{
	struct config	*cfg;
	char		 err[512], *path;
	enum err	 e;

	path = unit_fixture("mirrors.yaml", "hub:\n  mirrors: "
	    "['https://m1.example/hf/', 'http://10.0.0.2:8080']\n"
	    "  token_origins: ['https://HF.example:443/']\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(e, ERR_OK);
	CU_ASSERT_EQUAL(cfg->hub_src.nmirrors, 2);
	CU_ASSERT_STRING_EQUAL(cfg->hub_src.mirrors[0],
	    "https://m1.example/hf");
	CU_ASSERT_STRING_EQUAL(cfg->hub_src.mirrors[1], "http://10.0.0.2:8080");
	CU_ASSERT_EQUAL(cfg->hub_src.norigins, 1);
	CU_ASSERT_STRING_EQUAL(cfg->hub_src.origins[0],
	    "https://HF.example:443");
	CU_ASSERT(cfg->hub_src.origins_set);
	config_free(&cfg);
	free(path);
	path = unit_fixture("mirrors0.yaml", "hub:\n  token_origins: []\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(e, ERR_OK);
	CU_ASSERT(cfg->hub_src.origins_set && cfg->hub_src.norigins == 0);
	config_free(&cfg);
	free(path);
	path = unit_fixture("mirrors1.yaml", "hub:\n  token_origins: ~\n");
	cfg = load(path, NULL, &e, err, sizeof(err));
	CU_ASSERT_EQUAL_FATAL(e, ERR_OK);
	CU_ASSERT(!cfg->hub_src.origins_set && cfg->hub_src.nmirrors == 0);
	config_free(&cfg);
	free(path);
}

static const struct unit_test tests[] = {
	{ "hub.mirrors and hub.token_origins", test_mirrors },
	{ "notify.webhooks", test_webhooks },
	{ "policy: the seed and the test clock's offset", test_policy_seed },
	{ "defaults", test_defaults },
	{ "shipped conf/mm.yaml", test_shipped },
	{ "environment rules", test_env },
	{ "hub token file", test_token_file },
	{ "YAML overrides", test_yaml_overrides },
	{ "jobs.parallel_files, deprecated", test_parallel_files },
	{ "YAML errors name file, line and key", test_yaml_errors },
	{ "model source paths", test_sources },
	{ "config_getenv", test_getenv },
	{ NULL, NULL }
};

UNIT_SUITE("config", suite_init, unit_scratch_cleanup, tests)
