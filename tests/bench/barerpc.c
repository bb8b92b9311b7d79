/*
 * barerpc: the floor of the list endpoint once its round trips are paid.
 * Like barefcgi it answers every request with the bytes of one file, and
 * before that it makes exactly the round trips DESIGN.md allows a list
 * request and mm-api makes: one PostgreSQL query (mm-api's own SQL, the
 * user with the collections of the embedding models, prepared once) and
 * one Redis MGET (the claims of every curated model and the cache
 * generation).  Nothing else: no token check, no JSON.
 *
 *	spawn-fcgi -s SOCKET -- barerpc FILE USERNAME MODELS-FILE
 *
 * MODELS-FILE lists the curated ids, one per line, the embedding ones
 * prefixed by "e ".  DATABASE_URL and REDIS_URL (unix://PATH) come from
 * the environment, as for mm-api.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#define MODELS_MAX	512

/* The SQL of db_user_with_collections() in lib/db.c. */
static const char sql[] =
    "SELECT u.id, u.username, coalesce(u.is_active, false), "
    "coalesce(u.is_superuser, false), c.embedding_model, c.name "
    "FROM users u LEFT JOIN collections c "
    "ON coalesce(u.is_active, false) AND "
    "coalesce(u.is_superuser, false) AND "
    "c.embedding_model = ANY($2::text[]) WHERE u.username = $1 "
    "ORDER BY c.embedding_model COLLATE \"C\", c.name COLLATE \"C\"";

static char	*body;
static size_t	 bodylen;
static const char *argv_mget[MODELS_MAX + 2];
static int	 nmget;
static char	 emb[16384];		/* the text[] literal */

static void	die(const char *) __attribute__((noreturn));

static void
die(const char *msg)
{

	fprintf(stderr, "barerpc: %s\n", msg);
	exit(1);
}

static void
slurp(const char *path)
{
	FILE	*f;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (body = malloc((size_t)n + 1)) == NULL ||
	    fread(body, 1, (size_t)n, f) != (size_t)n)
		die("cannot read the answer file");
	bodylen = (size_t)n;
	fclose(f);
}

static void
load_models(const char *path)
{
	FILE	*f;
	char	 line[512], key[600], *id;
	size_t	 len;

	if ((f = fopen(path, "r")) == NULL)
		die("cannot read the models file");
	argv_mget[nmget++] = "MGET";
	strcpy(emb, "{");
	while (fgets(line, sizeof(line), f) != NULL && nmget < MODELS_MAX) {
		line[strcspn(line, "\n")] = '\0';
		id = strncmp(line, "e ", 2) == 0 ? line + 2 : line;
		if (id != line) {
			len = strlen(emb);
			snprintf(emb + len, sizeof(emb) - len, "%s\"%s\"",
			    len > 1 ? "," : "", id);
		}
		snprintf(key, sizeof(key), "model-manager:active:%s", id);
		if ((argv_mget[nmget++] = strdup(key)) == NULL)
			die("out of memory");
	}
	fclose(f);
	len = strlen(emb);
	snprintf(emb + len, sizeof(emb) - len, "}");
	argv_mget[nmget++] = "model-manager:cache-generation";
}

int
main(int argc, char *argv[])
{
	FCGX_Request	 fr;
	PGconn		*pg;
	PGresult	*res;
	redisContext	*rc;
	redisReply	*rep;
	const char	*cid, *db, *ru, *params[2];

	if (argc != 4) {
		fprintf(stderr, "usage: barerpc FILE USERNAME MODELS-FILE\n");
		return 2;
	}
	slurp(argv[1]);
	load_models(argv[3]);
	params[0] = argv[2];
	params[1] = emb;
	if ((db = getenv("DATABASE_URL")) == NULL ||
	    (ru = getenv("REDIS_URL")) == NULL ||
	    strncmp(ru, "unix://", 7) != 0)
		die("DATABASE_URL and REDIS_URL=unix://PATH are needed");
	if ((pg = PQconnectdb(db)) == NULL || PQstatus(pg) != CONNECTION_OK)
		die("cannot connect to PostgreSQL");
	res = PQprepare(pg, "list", sql, 2, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(PQerrorMessage(pg));
	PQclear(res);
	if ((rc = redisConnectUnix(ru + 7)) == NULL || rc->err)
		die("cannot connect to Redis");
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0)
		die("FCGX_Init failed");
	while (FCGX_Accept_r(&fr) >= 0) {
		res = PQexecPrepared(pg, "list", 2, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) < 1)
			die("the query failed");
		PQclear(res);
		if ((rep = redisCommandArgv(rc, nmget, argv_mget, NULL)) ==
		    NULL || rep->type != REDIS_REPLY_ARRAY)
			die("MGET failed");
		freeReplyObject(rep);
		cid = FCGX_GetParam("HTTP_X_CORRELATION_ID", fr.envp);
		FCGX_FPrintF(fr.out, "Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Correlation-ID: %s\r\n\r\n", cid != NULL ? cid : "-");
		FCGX_PutStr(body, (int)bodylen, fr.out);
		FCGX_Finish_r(&fr);
	}
	return 0;
}
