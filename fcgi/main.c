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
#include "metrics.h"
#include "mono.h"

/*
 * Set on a stop signal (SIGTERM, SIGINT, or SIGQUIT, which multiwatch
 * sends its children when it stops): the accept loop ends and the
 * pending metrics are flushed.  The only file-scope state, since a
 * signal handler must reach it.
 */
static volatile sig_atomic_t	 got_term;

/* libfcgi retries an interrupted accept unless told a shutdown is
 * pending. */
static void
on_term(int sig)
{

	(void)sig;
	got_term = 1;
	FCGX_ShutdownPending();
}

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

/* The command line. */
struct opts {
	const char	*conf;		/* -f, else $MM_CONFIG, else the default */
	const char	*mint;		/* -T username */
	int		 check;		/* -n */
	int		 fg;		/* -d */
};

static void
opts_parse(int argc, char *argv[], struct opts *o)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	if ((o->conf = getenv("MM_CONFIG")) == NULL || *o->conf == '\0')
		o->conf = "conf/mm.yaml";
	while ((ch = getopt(argc, argv, "df:nT:")) != -1) {
		switch (ch) {
		case 'd': o->fg = 1; break;
		case 'f': o->conf = optarg; break;
		case 'n': o->check = 1; break;
		case 'T': o->mint = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
}

/* Logs one access line.  A JWT pasted into the path is not logged ("eyJ"
 * is base64url for '{"'). */
static void
log_access(const struct req *r, double t0)
{
	char	 path[256], method[32];

	log_info("cid=%s %s %s %d %.1fms", r->cid,
	    log_escape(method, sizeof(method), r->method),
	    r->path != NULL && strstr(r->path, "eyJ") != NULL ?
	    "[redacted]" : log_escape(path, sizeof(path), r->path),
	    r->status, (mono_now() - t0) * 1e3);
}

/* Answers requests until accept fails. */
static void
serve(struct app *app)
{
	FCGX_Request	 fr;
	struct req	 r;
	double		 t0;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0)
		fatalx("FCGX_Init failed");
	log_info("ready");
	while (!got_term && FCGX_Accept_r(&fr) >= 0) {
		t0 = mono_now();
		if (req_init(&r, &fr, app) != ERR_OK)
			resp_err_detail(&r, ERR_INVAL, "Invalid query string");
		else
			route_request(&r);
		log_access(&r, t0);
		obs_request_done(&r, mono_now() - t0);
		req_free(&r);
		FCGX_Finish_r(&fr);
		obs_idle(app, &got_term);
	}
	(void)metrics_flush(app->redis);
	log_info("%s: exiting", got_term ? "stop signal" : "accept failed");
}

/* The stop signals, without SA_RESTART: they end the wait between
 * requests. */
static void
term_handler(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

/* Opens the log file, the database, Redis and the list's cache; exits on
 * failure. */
static void
app_open(struct app *app, const struct opts *o)
{
	const struct config	*cfg = app->cfg;
	char			 err[1024];

	if (!o->fg && cfg->log_file != NULL &&
	    log_init("mm-api", cfg->log_file) == -1)
		log_warn("cannot open log file %s", cfg->log_file);
	log_setdebug(cfg->debug);
	signal(SIGPIPE, SIG_IGN);
	term_handler();
	app->db = db_open(cfg->database_url, cfg->db_connect_timeout,
	    cfg->db_statement_timeout_ms, "mm-api");
	app->redis = rconn_open(cfg->redis_url, cfg->redis_timeout_ms, err,
	    sizeof(err));
	if (app->db == NULL || app->redis == NULL)
		fatalx("%s", app->redis ? "out of memory" : err);
	if (list_init(app) != ERR_OK)
		fatalx("out of memory");
	metrics_set_enabled(!cfg->metrics_off);
	rconn_set_hook(app->redis, metrics_hook, NULL);
	audit_open(&app->audit, cfg->audit_file, cfg->audit_max_events);
}

static void
app_close(struct app *app)
{

	scancache_free(&app->scans);
	list_free(app);
	audit_close(&app->audit);
	rconn_close(&app->redis);
	db_close(&app->db);
}

int
main(int argc, char *argv[])
{
	struct config	*cfg = NULL;
	struct app	 app;
	struct opts	 o;
	char		 err[1024];

	opts_parse(argc, argv, &o);
	log_init("mm-api", NULL);
	if (config_load(o.conf, config_getenv, &cfg, err, sizeof(err)) !=
	    ERR_OK)
		fatalx("%s", err);
	memset(&app, 0, sizeof(app));
	app.cfg = cfg;
	if (o.mint != NULL)
		mint_token(cfg, o.mint);
	else if (registry_load(cfg->sources, cfg->nsources,
	    cfg->default_embedding_model, &app.reg, err, sizeof(err)) !=
	    ERR_OK)
		fatalx("%s", err);
	else if (o.check)
		printf("configuration OK\n");
	else {
		app_open(&app, &o);
		serve(&app);
		app_close(&app);
	}
	registry_free(&app.reg);
	config_free(&cfg);
	return 0;
}
