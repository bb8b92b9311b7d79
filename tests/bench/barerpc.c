/*
 * barerpc: the floor of the list endpoint once its round trips are paid.
 * Like barefcgi it answers every request with the bytes of one file, and
 * before that it makes exactly the round trips DESIGN.md allows a list
 * request, with mm-api's own code: db_user_with_collections() (one
 * PostgreSQL query) and ts_active_many() (one Redis MGET).  Nothing else:
 * no token check, no validation, no JSON.
 *
 *	spawn-fcgi -s SOCKET -- barerpc FILE USERNAME MODELS-FILE
 *
 * MODELS-FILE lists the curated ids, one per line, the embedding ones
 * prefixed by "e ".  DATABASE_URL and REDIS_URL come from the
 * environment, as for mm-api.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "db.h"
#include "redisconn.h"
#include "taskstate.h"

#define MODELS_MAX	512

static char		*body;
static size_t		 bodylen;
static const char	*ids[MODELS_MAX], *emb[MODELS_MAX];
static size_t		 nids, nemb;

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
	char	 line[512], *id;

	if ((f = fopen(path, "r")) == NULL)
		die("cannot read the models file");
	while (fgets(line, sizeof(line), f) != NULL && nids < MODELS_MAX) {
		line[strcspn(line, "\n")] = '\0';
		id = strncmp(line, "e ", 2) == 0 ? line + 2 : line;
		if ((ids[nids] = strdup(id)) == NULL)
			die("out of memory");
		if (id != line)
			emb[nemb++] = ids[nids];
		nids++;
	}
	fclose(f);
}

int
main(int argc, char *argv[])
{
	static struct ts_claim		 claims[MODELS_MAX];
	FCGX_Request			 fr;
	struct db			*db;
	struct rconn			*redis;
	struct db_user			 user;
	struct db_collections		 cols;
	unsigned long long		 gen;
	const char			*cid, *dburl, *rurl;
	char				 err[256];

	if (argc != 4) {
		fprintf(stderr, "usage: barerpc FILE USERNAME MODELS-FILE\n");
		return 2;
	}
	slurp(argv[1]);
	load_models(argv[3]);
	if ((dburl = getenv("DATABASE_URL")) == NULL ||
	    (rurl = getenv("REDIS_URL")) == NULL)
		die("DATABASE_URL and REDIS_URL are needed");
	if ((db = db_open(dburl, 5, 0, "barerpc")) == NULL ||
	    (redis = rconn_open(rurl, 2000, err, sizeof(err))) == NULL)
		die("cannot set up the connections");
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0)
		die("FCGX_Init failed");
	while (FCGX_Accept_r(&fr) >= 0) {
		if (db_user_with_collections(db, argv[2], emb, nemb, &user,
		    &cols) != ERR_OK)
			die("the query failed");
		db_collections_free(&cols);
		if (ts_active_many(redis, ids, nids, claims, &gen) != ERR_OK)
			die("MGET failed");
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
