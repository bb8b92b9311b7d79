#ifndef MM_CONFIG_H
#define MM_CONFIG_H

#include <stddef.h>

#include "err.h"
#include "hubsrc.h"
#include "policy.h"
#include "registry.h"

/*
 * The service configuration: the host application's environment variables
 * first, then conf/mm.yaml (read with libyaml) for everything else.  Loaded
 * once into a struct pre-filled with defaults, read-only afterwards.  Every
 * YAML key is validated; unknown keys are errors.  Relative paths in the
 * YAML are relative to the YAML file's directory.
 */

#define CONFIG_SOURCES_MAX	16
#define CONFIG_HUB_DEPTH_MAX	32	/* the scan and the delete go this deep */
#define CONFIG_WEBHOOKS_MAX	16

/* One of notify.webhooks. */
struct config_webhook {
	char	*name;			/* [A-Za-z0-9._-]{1,64}, unique */
	char	*url;			/* http(s), no userinfo (webhook.h) */
	unsigned events;		/* bit (1 << enum wh_event) per event */
	char	*secret;		/* from secret_file, read at load */
	size_t	 secretlen;
};

struct config {
	/* Environment (host application names). */
	char	*jwt_secret;		/* JWT_SECRET_KEY, required, non-blank */
	char	*database_url;		/* DATABASE_URL, libpq form (+driver
					   stripped); default
					   postgresql://localhost:5432/semantik */
	char	*redis_url;		/* REDIS_URL; default
					   redis://localhost:6379/0 */
	char	*hf_hub_cache;		/* resolved as huggingface_hub does */
	char	*hf_home;		/* HF_HOME resolved (token file lives here) */
	char	*hf_endpoint;		/* HF_ENDPOINT, trailing '/' removed;
					   default https://huggingface.co */
	char	*hf_token;		/* HF_TOKEN, HUGGING_FACE_HUB_TOKEN or
					   the token file; NULL if none */
	int	 hf_offline;		/* HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE */
	int	 hf_disable_symlinks;	/* HF_HUB_DISABLE_SYMLINKS */
	char	*default_embedding_model; /* DEFAULT_EMBEDDING_MODEL or the
					   registry's; never NULL */
	char	*search_api_url;	/* SEARCH_API_URL; default
					   http://localhost:8000 */
	char	*log_file;		/* MM_LOG_FILE, else log.file; NULL =
					   stderr */
	char	*runner_id;		/* MM_RUNNER_ID, else jobs.runner_id,
					   else "<hostname>-0" */
	char	*metrics_token;		/* MM_METRICS_TOKEN: reads the
					   metrics only; NULL = none */
	int	 metrics_off;		/* MM_METRICS=off: nothing counted
					   (to measure what counting costs) */

	/* models: */
	struct registry_source sources[CONFIG_SOURCES_MAX];
	size_t	 nsources;

	/* cache: */
	unsigned scan_ttl;		/* seconds; default 15 */
	unsigned prune_min_age;		/* seconds a prune leaves anything
					   modified alone; default 3600 */

	/* api: */
	unsigned vecpipe_timeout_ms;	/* default 2000 */
	unsigned token_ttl;		/* seconds, tokens minted by mm-api -T;
					   default 86400 */

	/* database: */
	unsigned db_connect_timeout;	/* seconds; default 2 */
	unsigned db_statement_timeout_ms; /* default 5000 */

	/* redis: */
	unsigned redis_timeout_ms;	/* default 2000 */

	/* jobs: */
	unsigned concurrency;		/* default 2 */
	unsigned heartbeat_interval;	/* seconds; default 3 */
	unsigned heartbeat_ttl;		/* seconds; default 10 */
	unsigned download_soft_limit;	/* seconds; default 14400 */
	unsigned download_hard_limit;	/* seconds; default 21600 */
	unsigned delete_soft_limit;	/* seconds; default 600 */
	unsigned delete_hard_limit;	/* seconds; default 900 */
	unsigned max_attempts;		/* default 3 */
	unsigned parallel_files;	/* deprecated: read as
					   downloads.max_connections; 0 = not
					   given */
	unsigned long long disk_reserve_mb; /* default 1024 */
	unsigned retry_max;		/* default 5 */
	unsigned retry_base_ms;		/* default 1000 */
	unsigned retry_max_ms;		/* default 8000 */
	unsigned stall_seconds;		/* default 30 */
	unsigned progress_interval_ms;	/* default 250 */
	unsigned connect_timeout;	/* seconds, hub connections; default 10 */
	unsigned verify_max_mb_per_second; /* a verify's reading pace; 0 =
					   as fast as it can (default) */

	/* downloads: (the transfers of one download job) */
	unsigned max_connections;	/* parts and whole files at once;
					   default 16 */
	unsigned parts_per_file;	/* ranged parts of one file at once;
					   default 8 */
	unsigned long long part_min_bytes; /* files this big go in parts;
					   default 64 MiB */
	unsigned long long checkpoint_bytes; /* part map written this often
					   per part; default 8 MiB */

	/* hub: (limits on the hub's tree listing) */
	unsigned hub_max_path_depth;	/* segments of a path; default 32 */
	unsigned hub_max_dirs;		/* directories implied; default 10000 */
	unsigned long long hub_max_listing_bytes; /* every page; default
					   64 MiB */
	struct hubsrc_conf hub_src;	/* hub.mirrors, hub.token_origins */
	unsigned hub_mirror_cooldown;	/* seconds a failed source is
					   skipped; default 60 */
	unsigned hub_check_interval;	/* seconds between two checks of a
					   model; 0 = none scheduled; default
					   86400 */

	/* audit: */
	unsigned audit_max_events;	/* stream cap; default 100000 */
	char	*audit_file;		/* MM_AUDIT_LOG, else audit.file; NULL =
					   no file (the stream only) */

	/* notify: (webhooks; none = no notifier, no consumer group) */
	struct config_webhook webhooks[CONFIG_WEBHOOKS_MAX];
	size_t	 nwebhooks;
	unsigned notify_timeout_ms;	/* delivery_timeout_ms: one attempt;
					   default 10000 */
	unsigned notify_connect_timeout_ms; /* default 3000 */
	unsigned notify_max_attempts;	/* delivery_attempts, then given up;
					   default 8 */
	unsigned notify_backoff_base_ms; /* first retry delay; default 1000 */
	unsigned notify_backoff_max_ms;	/* longest retry delay; default 60000 */
	unsigned notify_max_in_flight;	/* deliveries at once; default 16 */

	/* policy: the download policy's seed, stored in Redis when Redis has
	   none (Redis is the truth after that; policy.h). */
	struct policy policy;		/* default: no cap, any time, UTC */
	long long clock_offset;		/* MM_TEST_CLOCK_OFFSET_SECONDS, a test
					   aid: seconds added to the wall clock
					   the download windows are read on */

	int	 debug;			/* log.debug */
};

/*
 * Loads path (the YAML file; required) and the environment through
 * getenv_fn (pass getenv; tests pass a fake).  On error returns ERR_INVAL,
 * ERR_IO or ERR_NOMEM with a message naming the file, line and key (or the
 * environment variable) in errbuf, and *out NULL.  Free with config_free().
 */
enum err	 config_load(const char *path,
		    const char *(*getenv_fn)(const char *),
		    struct config **out, char *errbuf, size_t errlen);

/* getenv(3) with the signature config_load and cachedir take. */
const char	*config_getenv(const char *name);

/* Accepts NULL; sets *cfg to NULL. */
void		 config_free(struct config **cfg);

#endif
