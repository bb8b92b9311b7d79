/*
 * mm-api: the FastCGI responder for /api/v2/models.  spawn-fcgi (with
 * multiwatch) hands it a listening socket on fd 0; it serves one request
 * at a time, freeing all request memory before the next accept.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "jwt.h"
#include "log.h"
#include "mono.h"

static void
usage(void)
{

	fprintf(stderr, "usage: mm-api [-dn] [-f config] [-T username]\n");
	exit(2);
}

/* Prints an access token for username. */
static void
mint_token(const struct config *cfg, const char *username)
{
	time_t	 now = time(NULL);
	char	*tok;

	if ((tok = jwt_sign(cfg->jwt_secret, username, now,
	    now + (time_t)cfg->token_ttl)) == NULL)
		fatalx("cannot sign a token");
	printf("%s\n", tok);
	free(tok);
}

static void
serve(struct app *app)
{
	FCGX_Request	 fr;
	struct req	 r;
	double		 t0;
	char		 path[256], method[32];

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0)
		fatalx("FCGX_Init failed");
	log_info("ready");
	while (FCGX_Accept_r(&fr) >= 0) {
		t0 = mono_now();
		if (req_init(&r, &fr, app) != ERR_OK)
			resp_error(&r, 400, "Invalid query string");
		else
			route_request(&r);
		/* A JWT pasted into the path is not logged ("eyJ" is
		 * base64url for '{"'). */
		log_info("cid=%s %s %s %d %.1fms", r.cid,
		    log_escape(method, sizeof(method), r.method),
		    r.path != NULL && strstr(r.path, "eyJ") != NULL ?
		    "[redacted]" : log_escape(path, sizeof(path), r.path),
		    r.status, (mono_now() - t0) * 1e3);
		req_free(&r);
		FCGX_Finish_r(&fr);
	}
	log_info("accept failed: exiting");
}

int
main(int argc, char *argv[])
{
	struct config	*cfg = NULL;
	struct app	 app;
	const char	*conf = getenv("MM_CONFIG"), *mint = NULL;
	char		 err[1024];
	int		 ch, check = 0, fg = 0;

	if (conf == NULL || *conf == '\0')
		conf = "conf/mm.yaml";
	while ((ch = getopt(argc, argv, "df:nT:")) != -1) {
		switch (ch) {
		case 'd': fg = 1; break;
		case 'f': conf = optarg; break;
		case 'n': check = 1; break;
		case 'T': mint = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("mm-api", NULL);
	if (config_load(conf, config_getenv, &cfg, err, sizeof(err)) != ERR_OK)
		fatalx("%s", err);
	if (mint != NULL) {
		mint_token(cfg, mint);
		config_free(&cfg);
		return 0;
	}
	memset(&app, 0, sizeof(app));
	app.cfg = cfg;
	if (registry_load(cfg->sources, cfg->nsources,
	    cfg->default_embedding_model, &app.reg, err, sizeof(err)) != ERR_OK)
		fatalx("%s", err);
	if (check) {
		printf("configuration OK\n");
		registry_free(&app.reg);
		config_free(&cfg);
		return 0;
	}
	if (!fg && cfg->log_file != NULL &&
	    log_init("mm-api", cfg->log_file) == -1)
		log_warn("cannot open log file %s", cfg->log_file);
	log_setdebug(cfg->debug);
	signal(SIGPIPE, SIG_IGN);
	app.db = db_open(cfg->database_url, cfg->db_connect_timeout,
	    cfg->db_statement_timeout_ms, "mm-api");
	app.redis = rconn_open(cfg->redis_url, cfg->redis_timeout_ms, err,
	    sizeof(err));
	if (app.db == NULL || app.redis == NULL)
		fatalx("%s", app.redis ? "out of memory" : err);
	serve(&app);
	rconn_close(&app.redis);
	db_close(&app.db);
	list_cleanup();
	registry_free(&app.reg);
	config_free(&cfg);
	return 0;
}
