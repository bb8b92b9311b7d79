#ifndef MM_DB_H
#define MM_DB_H

#include <stddef.h>

#include "err.h"

/*
 * Read-only access to the host application's PostgreSQL tables.  Every
 * query is parameterised, prepared once per connection (PQprepare,
 * PQexecPrepared; PQexecParams where the server refuses to prepare, as
 * behind a transaction pooler).  The connection is made lazily
 * and reset after a failure, so a database that comes back is used again
 * without restarting anything.  Every function returns ERR_DB when the
 * database is unreachable or a query fails (logged once, here).
 */

struct db;

#define DB_USERNAME_MAX	256

struct db_user {
	long	 id;
	char	 username[DB_USERNAME_MAX];
	int	 is_active;
	int	 is_superuser;
};

/* A collection name and the embedding model it uses. */
struct db_collection {
	char	*model;
	char	*name;
};

struct db_collections {
	struct db_collection	*v;	/* by (model, name COLLATE "C") */
	size_t			 n;
};

/*
 * Prepares a handle for url (postgresql:// URL or key=value conninfo);
 * does not connect.  NULL on out-of-memory.  Free with db_close().
 */
struct db	*db_open(const char *url, unsigned connect_timeout,
		    unsigned statement_timeout_ms, const char *appname);
/* Accepts NULL; sets *db to NULL. */
void		 db_close(struct db **db);
/* Drops the connection without freeing the handle (use after fork()). */
void		 db_reset(struct db *db);

/* The user with that username: ERR_OK, ERR_NOTFOUND or ERR_DB. */
enum err	 db_user_by_name(struct db *db, const char *username,
		    struct db_user *out);

/*
 * The owner of an active, unexpired API key whose key_hash is hash_hex
 * (sha256, lowercase hex), if the owner is active: ERR_OK, ERR_NOTFOUND
 * or ERR_DB.  is_superuser is always 0: API keys never grant it.
 */
enum err	 db_user_by_api_key(struct db *db, const char *hash_hex,
		    struct db_user *out);

/*
 * The collections whose embedding_model is one of models[0..n), in one
 * round trip, ordered by model then name COLLATE "C".  The caller frees
 * out with db_collections_free().
 */
enum err	 db_collections_using(struct db *db, const char *const *models,
		    size_t n, struct db_collections *out);
/*
 * db_user_by_name() and, when that user is an active superuser,
 * db_collections_using() (else no collection), in one round trip.
 */
enum err	 db_user_with_collections(struct db *db, const char *username,
		    const char *const *models, size_t n, struct db_user *user,
		    struct db_collections *out);
/* Accepts a zeroed struct; leaves it zeroed. */
void		 db_collections_free(struct db_collections *c);

/* What references one model, as aggregates (never user names or ids). */
struct db_usage {
	struct db_collections	 cols;	/* collections using it, by name */
	long			 preferences;	/* users' default model */
	long			 llm_configs;	/* LLM provider configs */
};

/* Collections, preference and LLM config counts for model_id in one round
 * trip.  Free with db_usage_free(). */
enum err	 db_model_usage(struct db *db, const char *model_id,
		    struct db_usage *out);
void		 db_usage_free(struct db_usage *u);

#endif
