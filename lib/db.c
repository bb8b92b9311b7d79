#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "num.h"

#define SQLSTATE_NO_STMT	"26000"	/* invalid_sql_statement_name */
#define SQLSTATE_DUP_STMT	"42P05"	/* duplicate_prepared_statement */

/* Every statement this module runs, all read-only. */
enum db_sql {
	SQL_USER_BY_NAME,
	SQL_USER_BY_API_KEY,
	SQL_COLLECTIONS_USING,
	SQL_USER_WITH_COLLECTIONS,
	SQL_MODEL_USAGE,
	SQL__MAX
};

static const struct db_stmt {
	const char	*text;
	int		 nparams;
} db_stmts[SQL__MAX] = {
	[SQL_USER_BY_NAME] = {
	    "SELECT id, username, coalesce(is_active, false), "
	    "coalesce(is_superuser, false) FROM users WHERE username = $1",
	    1 },
	[SQL_USER_BY_API_KEY] = {
	    "SELECT u.id, u.username, coalesce(u.is_active, false), false "
	    "FROM api_keys k JOIN users u ON u.id = k.user_id "
	    "WHERE k.key_hash = $1 AND coalesce(k.is_active, false) "
	    "AND (k.expires_at IS NULL OR k.expires_at > now()) "
	    "AND coalesce(u.is_active, false)",
	    1 },
	[SQL_COLLECTIONS_USING] = {
	    "SELECT embedding_model, name FROM collections "
	    "WHERE embedding_model = ANY($1::text[]) "
	    "ORDER BY embedding_model COLLATE \"C\", name COLLATE \"C\"",
	    1 },
	[SQL_USER_WITH_COLLECTIONS] = {
	    "SELECT u.id, u.username, coalesce(u.is_active, false), "
	    "coalesce(u.is_superuser, false), c.embedding_model, c.name "
	    "FROM users u LEFT JOIN collections c "
	    "ON coalesce(u.is_active, false) AND "
	    "coalesce(u.is_superuser, false) AND "
	    "c.embedding_model = ANY($2::text[]) WHERE u.username = $1 "
	    "ORDER BY c.embedding_model COLLATE \"C\", c.name COLLATE \"C\"",
	    2 },
	[SQL_MODEL_USAGE] = {
	    "SELECT c.embedding_model, c.name, p.n, l.n FROM "
	    "(SELECT count(*) AS n FROM user_preferences "
	    "WHERE default_embedding_model = $1) p CROSS JOIN "
	    "(SELECT count(*) AS n FROM llm_provider_configs "
	    "WHERE high_quality_model = $1 OR low_quality_model = $1) l "
	    "LEFT JOIN collections c ON c.embedding_model = $1 "
	    "ORDER BY c.name COLLATE \"C\"",
	    1 },
};

struct db {
	PGconn		*conn;
	char		*url;
	char		 timeout[16];
	char		 options[64];
	char		*appname;
	int		 prepared[SQL__MAX]; /* on this connection */
	int		 noprep;	/* preparing failed: run unprepared */
};

struct db *
db_open(const char *url, unsigned connect_timeout,
    unsigned statement_timeout_ms, const char *appname)
{
	struct db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	db->url = strdup(url);
	db->appname = strdup(appname);
	if (db->url == NULL || db->appname == NULL) {
		db_close(&db);
		return NULL;
	}
	snprintf(db->timeout, sizeof(db->timeout), "%u", connect_timeout);
	snprintf(db->options, sizeof(db->options), "-c statement_timeout=%u",
	    statement_timeout_ms);
	return db;
}

void
db_reset(struct db *db)
{

	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	memset(db->prepared, 0, sizeof(db->prepared));
	db->noprep = 0;
}

void
db_close(struct db **db)
{

	if (db == NULL || *db == NULL)
		return;
	db_reset(*db);
	free((*db)->url);
	free((*db)->appname);
	free(*db);
	*db = NULL;
}

/* The first line of a libpq message, in a static buffer. */
static const char *
firstline(const char *msg)
{
	static char	 buf[256];

	if (msg == NULL)
		return "out of memory";
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(msg, "\n"), msg);
	return buf;
}

/* Connects if needed; the URL is expanded first so the keywords after it
 * (timeouts, application name) override what it says.  A failure is
 * logged here. */
static int
db_ensure(struct db *db)
{
	const char	*keys[] = { "dbname", "connect_timeout", "options",
	    "application_name", NULL };
	const char	*vals[] = { db->url, db->timeout, db->options,
	    db->appname, NULL };

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	db_reset(db);
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		log_warnx("%s: cannot connect to the database: %s", __func__,
		    firstline(db->conn ? PQerrorMessage(db->conn) : NULL));
		db_reset(db);
		return -1;
	}
	return 0;
}

static int
db_sqlstate(const PGresult *res, const char *state)
{
	const char	*s;

	s = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s != NULL && strcmp(s, state) == 0;
}

/* The name of a statement, from its text (64-bit FNV-1a), into name. */
static void
db_stmt_name(const char *text, char *name, size_t len)
{
	unsigned long long	 h = 1469598103934665603ULL;
	const char		*p;

	for (p = text; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(name, len, "mm_%016llx", h);
}

/*
 * The name of statement q prepared on the connection (preparing it at its
 * first use), or NULL to run it unprepared.  Parsing and planning each
 * query again cost the server more than running it.  The name comes from
 * the text, so a statement met again on a pooled server connection is the
 * same one; when the server refuses to prepare, this connection stops
 * trying.
 */
static const char *
db_prepare(struct db *db, enum db_sql q, char *name, size_t len)
{
	const struct db_stmt	*st = &db_stmts[q];
	PGresult		*res;
	int			 ok;

	if (db->noprep)
		return NULL;
	db_stmt_name(st->text, name, len);
	if (db->prepared[q])
		return name;
	res = PQprepare(db->conn, name, st->text, st->nparams, NULL);
	ok = res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    db_sqlstate(res, SQLSTATE_DUP_STMT));
	PQclear(res);
	if (!ok) {
		db->noprep = 1;
		return NULL;
	}
	db->prepared[q] = 1;
	return name;
}

/* Runs statement q once on the connection, prepared when it can be.
 * Returns the result, whatever its status (PQclear it), or NULL. */
static PGresult *
db_exec(struct db *db, enum db_sql q, const char *const *params)
{
	const struct db_stmt	*st = &db_stmts[q];
	PGresult		*res;
	const char		*name;
	char			 buf[32];

	if ((name = db_prepare(db, q, buf, sizeof(buf))) == NULL)
		return PQexecParams(db->conn, st->text, st->nparams, NULL,
		    params, NULL, NULL, 0);
	res = PQexecPrepared(db->conn, name, st->nparams, params, NULL, NULL,
	    0);
	if (db_sqlstate(res, SQLSTATE_NO_STMT)) {
		/* A pooler moved us to another server connection. */
		PQclear(res);
		db->noprep = 1;
		res = PQexecParams(db->conn, st->text, st->nparams, NULL,
		    params, NULL, NULL, 0);
	}
	return res;
}

/*
 * Runs statement q with its parameters, expecting tuples.  On a
 * connection failure it resets and retries once (the server may have
 * restarted since the last request).  Returns the result (PQclear it) or
 * NULL; every failure is logged here.
 */
static PGresult *
db_query(struct db *db, enum db_sql q, const char *const *params)
{
	PGresult	*res;
	int		 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (db_ensure(db) == -1)
			return NULL;
		res = db_exec(db, q, params);
		if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
			return res;
		if (PQstatus(db->conn) == CONNECTION_OK) {
			log_warnx("%s: query failed: %s", __func__,
			    firstline(res ? PQresultErrorMessage(res) : NULL));
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		db_reset(db);
	}
	log_warnx("%s: the database connection was lost", __func__);
	return NULL;
}

static enum err
db_user_row(PGresult *res, struct db_user *out)
{
	long long	 id;

	if (PQntuples(res) == 0)
		return ERR_NOTFOUND;
	if (num_parse(PQgetvalue(res, 0, 0), LONG_MIN, LONG_MAX, &id,
	    NULL) == -1) {
		log_warnx("%s: users.id is not an integer", __func__);
		return ERR_DB;
	}
	out->id = id;
	snprintf(out->username, sizeof(out->username), "%s",
	    PQgetvalue(res, 0, 1));
	out->is_active = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	out->is_superuser = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	return ERR_OK;
}

/* Runs statement q, whose one parameter is param, for the user in its
 * first row. */
static enum err
db_user_query(struct db *db, enum db_sql q, const char *param,
    struct db_user *out)
{
	PGresult	*res;
	enum err	 e;

	if ((res = db_query(db, q, &param)) == NULL)
		return ERR_DB;
	e = db_user_row(res, out);
	PQclear(res);
	return e;
}

enum err
db_user_by_name(struct db *db, const char *username, struct db_user *out)
{

	return db_user_query(db, SQL_USER_BY_NAME, username, out);
}

enum err
db_user_by_api_key(struct db *db, const char *hash_hex, struct db_user *out)
{
	enum err	 e;

	e = db_user_query(db, SQL_USER_BY_API_KEY, hash_hex, out);
	out->is_superuser = 0;
	return e;
}

/* Builds the text form of a text[] literal: {"a","b"} with escapes. */
static char *
db_text_array(const char *const *v, size_t n)
{
	size_t	 len = 3, i;
	char	*out, *p;
	const char *s;

	for (i = 0; i < n; i++)
		len += 3 + 2 * strlen(v[i]);
	if ((out = p = malloc(len)) == NULL)
		return NULL;
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		*p++ = '"';
		for (s = v[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				*p++ = '\\';
			*p++ = *s;
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return out;
}

/* Appends the rows of res whose columns col, col + 1 (model, name) are
 * not NULL to out. */
static enum err
db_collection_rows(PGresult *res, int col, struct db_collections *out)
{
	struct db_collection	*c;
	int			 i, rows = PQntuples(res);

	if (rows > 0 && (out->v = calloc(rows, sizeof(*out->v))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < rows; i++) {
		if (PQgetisnull(res, i, col))
			continue;
		c = &out->v[out->n++];
		c->model = strdup(PQgetvalue(res, i, col));
		c->name = strdup(PQgetvalue(res, i, col + 1));
		if (c->model == NULL || c->name == NULL)
			return ERR_NOMEM;
	}
	return ERR_OK;
}

/*
 * Runs statement q, whose last parameter is the text[] of models[0..n),
 * and reads the collections from its rows.  With username (the first
 * parameter), each row starts with that user's columns (db_user_row) and
 * the collections follow them.
 */
static enum err
db_collections_query(struct db *db, enum db_sql q, const char *username,
    const char *const *models, size_t n, struct db_user *user,
    struct db_collections *out)
{
	const char	*params[2];
	PGresult	*res;
	char		*arr;
	enum err	 e;
	int		 np = 0;

	memset(out, 0, sizeof(*out));
	if ((arr = db_text_array(models, n)) == NULL)
		return ERR_NOMEM;
	if (username != NULL)
		params[np++] = username;
	params[np++] = arr;
	if ((res = db_query(db, q, params)) == NULL)
		e = ERR_DB;
	else {
		e = username != NULL ? db_user_row(res, user) : ERR_OK;
		if (e == ERR_OK)
			e = db_collection_rows(res, username != NULL ? 4 : 0,
			    out);
	}
	if (e != ERR_OK)
		db_collections_free(out);
	PQclear(res);
	free(arr);
	return e;
}

enum err
db_collections_using(struct db *db, const char *const *models, size_t n,
    struct db_collections *out)
{

	return db_collections_query(db, SQL_COLLECTIONS_USING, NULL, models, n,
	    NULL, out);
}

enum err
db_user_with_collections(struct db *db, const char *username,
    const char *const *models, size_t n, struct db_user *user,
    struct db_collections *out)
{

	return db_collections_query(db, SQL_USER_WITH_COLLECTIONS, username,
	    models, n, user, out);
}

void
db_collections_free(struct db_collections *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].model);
		free(c->v[i].name);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* A count in column col of the first row of res, into *out (left alone
 * if it is not one). */
static void
db_count(PGresult *res, int col, long *out)
{
	long long	 n;

	if (num_parse(PQgetvalue(res, 0, col), 0, LONG_MAX, &n, NULL) == 0)
		*out = n;
}

enum err
db_model_usage(struct db *db, const char *model_id, struct db_usage *out)
{
	PGresult	*res;
	enum err	 e;

	memset(out, 0, sizeof(*out));
	if ((res = db_query(db, SQL_MODEL_USAGE, &model_id)) == NULL)
		return ERR_DB;
	if (PQntuples(res) > 0) {
		db_count(res, 2, &out->preferences);
		db_count(res, 3, &out->llm_configs);
	}
	if ((e = db_collection_rows(res, 0, &out->cols)) != ERR_OK)
		db_usage_free(out);
	PQclear(res);
	return e;
}

void
db_usage_free(struct db_usage *u)
{

	db_collections_free(&u->cols);
	memset(u, 0, sizeof(*u));
}
