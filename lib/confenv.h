#ifndef MM_CONFENV_H
#define MM_CONFENV_H

#include <stddef.h>

#include "config.h"
#include "err.h"

/*
 * The environment part of the configuration (config.h): the host
 * application's variables, read before conf/mm.yaml, and the two
 * variables that win over it.  Each function returns ERR_OK, or
 * ERR_INVAL, ERR_IO or ERR_NOMEM with a message naming the variable (never
 * its value) in errbuf.  Strings set in cfg are malloc'd; config_free
 * releases them.
 */

/*
 * JWT_SECRET_KEY, DATABASE_URL, REDIS_URL, HF_ENDPOINT, SEARCH_API_URL,
 * HF_HOME, the hub token, the cache directory, HF_HUB_OFFLINE and
 * HF_HUB_DISABLE_SYMLINKS into cfg.
 */
enum err	 confenv_load(const char *(*getenv_fn)(const char *),
		    struct config *cfg, char *errbuf, size_t errlen);

/*
 * MM_LOG_FILE and MM_RUNNER_ID (they win over the YAML file), then the
 * runner id's default "<hostname>-0" when none was given.
 */
enum err	 confenv_override(const char *(*getenv_fn)(const char *),
		    struct config *cfg, char *errbuf, size_t errlen);

/* 1 if s is a valid runner id, [A-Za-z0-9._-]{1,64}; else 0. */
int		 confenv_runner_id_ok(const char *s);

#endif
