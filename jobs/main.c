/*
 * mm-jobd: the job runner.  The parent takes task ids from the Redis
 * queue into its processing list, forks one child per job (at most
 * `concurrency` at once), reaps them and makes sure every task ends in a
 * terminal status.  It keeps a heartbeat so other runners can recover its
 * jobs if it dies, and recovers theirs.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extern.h"
#include "log.h"

struct child {
	pid_t		 pid;		/* 0 = free slot */
	char		 task_id[64];
	char		 model_id[256];
	enum ts_op	 op;
	double		 started;
	int		 hard_killed;
};

static volatile sig_atomic_t	 got_term, got_chld, got_hup;

static struct config	*cfg;
static struct registry	*reg;
static struct rconn	*redis;		/* commands */
static struct rconn	*qredis;	/* the blocking BLMOVE */
static struct child	*children;
static size_t		 nslots;
static const char	*conf_path;

static void
on_signal(int sig)
{

	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
usage(void)
{

	fprintf(stderr, "usage: mm-jobd [-dn] [-f config]\n");
	exit(2);
}

static size_t
nrunning(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < nslots; i++)
		n += children[i].pid != 0;
	return n;
}

/* Ends a task the runner cannot run, with a reason, and drops it. */
static void
refuse_task(const struct ts_task *t, const char *why)
{

	log_warnx("task=%s model=%s event=job.refused reason=\"%s\"",
	    t->task_id, t->model_id, why);
	(void)ts_task_finish(redis, t->task_id, t->model_id, t->op, TS_FAILED,
	    why);
	(void)runq_done(redis, cfg->runner_id, t->task_id);
}

/* 1 if the claim of the task's model is this task's. */
static int
task_holds_claim(const struct ts_task *t)
{
	int	 held;

	return ts_claim_held(redis, t->model_id, t->op, t->task_id,
	    &held) == ERR_OK && held;
}

/* Re-checks everything about a task taken from the queue (nothing in the
 * queue is trusted).  0 = run it. */
static int
check_task(const char *task_id, struct ts_task *t)
{
	long long	 attempts;
	char		 why[128];

	if (ts_task_get(redis, task_id, t) != ERR_OK) {
		log_warnx("task=%s event=job.dropped reason=\"no such task\"",
		    task_id);
		(void)runq_done(redis, cfg->runner_id, task_id);
		return -1;
	}
	if (ts_status_terminal(t->status)) {
		(void)runq_done(redis, cfg->runner_id, task_id);
		return -1;
	}
	if (t->op == TS_OP_NONE || registry_find_id(reg, t->model_id) == NULL) {
		refuse_task(t, "Model is not in the curated model list");
		return -1;
	}
	if (!task_holds_claim(t)) {
		refuse_task(t, "Task no longer holds the claim on its model");
		return -1;
	}
	if (ts_count_attempt(redis, task_id, &attempts) != ERR_OK)
		return -1;
	if ((unsigned long long)attempts > cfg->max_attempts) {
		snprintf(why, sizeof(why), "Gave up after %u attempts",
		    cfg->max_attempts);
		refuse_task(t, why);
		return -1;
	}
	return 0;
}

static void
child_main(const struct ts_task *t, pid_t parent)
{
	struct job	 j;
	char		 err[256];
	int		 rc;

	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(JOB_EXIT_REQUEUE);
	/* Never use the parent's connections in the child. */
	rconn_reset(redis);
	rconn_reset(qredis);
	memset(&j, 0, sizeof(j));
	j.cfg = cfg;
	j.reg = reg;
	j.op = t->op;
	j.started = mono_now();
	snprintf(j.task_id, sizeof(j.task_id), "%s", t->task_id);
	snprintf(j.model_id, sizeof(j.model_id), "%s", t->model_id);
	snprintf(j.holder, sizeof(j.holder), "%s:%ld", cfg->runner_id,
	    (long)getpid());
	if ((j.redis = rconn_open(cfg->redis_url, cfg->redis_timeout_ms, err,
	    sizeof(err))) == NULL)
		_exit(JOB_EXIT_FAILED);
	rc = job_run(&j);
	rconn_close(&j.redis);
	_exit(rc);
}

static void
start_job(const char *task_id)
{
	struct ts_task	 t;
	size_t		 i;
	pid_t		 pid, parent = getpid();

	if (check_task(task_id, &t) == -1)
		return;
	for (i = 0; i < nslots && children[i].pid != 0; i++)
		;
	if (i == nslots) {		/* cannot happen: checked by caller */
		(void)runq_requeue(redis, cfg->runner_id, task_id);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		(void)runq_requeue(redis, cfg->runner_id, task_id);
		return;
	}
	if (pid == 0)
		child_main(&t, parent);
	children[i] = (struct child){ .pid = pid, .op = t.op,
	    .started = mono_now() };
	snprintf(children[i].task_id, sizeof(children[i].task_id), "%s",
	    t.task_id);
	snprintf(children[i].model_id, sizeof(children[i].model_id), "%s",
	    t.model_id);
	log_info("task=%s model=%s op=%s pid=%ld attempt=%llu runner=%s "
	    "event=job.started", t.task_id, t.model_id, ts_op_str(t.op),
	    (long)pid, t.attempts + 1, cfg->runner_id);
}

/*
 * How a child ended, to be written to Redis: back on the queue, or done
 * (failed with why first, when the child wrote no terminal status).  An
 * ending Redis could not take is kept and written again every second, so
 * that a child that ends during a Redis outage never leaves its task
 * "running".
 */
struct ending {
	char		 task_id[64];
	char		 model_id[256];
	enum ts_op	 op;
	int		 requeue;
	char		 why[160];	/* "" = the child wrote its status */
};

#define ENDINGS_MAX	256
static struct ending	 endings[ENDINGS_MAX];
static size_t		 nendings;

/* 0 when written, -1 when Redis was away. */
static int
ending_write(const struct ending *e)
{
	enum err	 r;

	if (e->requeue) {
		if (runq_requeue(redis, cfg->runner_id, e->task_id) == ERR_REDIS)
			return -1;
		log_info("task=%s event=job.requeued", e->task_id);
		return 0;
	}
	if (e->why[0] != '\0') {
		if ((r = ts_task_finish(redis, e->task_id, e->model_id, e->op,
		    TS_FAILED, e->why)) == ERR_REDIS)
			return -1;
		if (r == ERR_OK) {
			log_warnx("task=%s event=job.failed reason=\"%s\"",
			    e->task_id, e->why);
			(void)ts_bump_generation(redis, NULL);
		}
	}
	return runq_done(redis, cfg->runner_id, e->task_id) == ERR_REDIS ? -1 :
	    0;
}

/* Writes the endings Redis could not take before. */
static void
endings_retry(void)
{
	size_t	 i = 0;

	while (i < nendings)
		if (ending_write(&endings[i]) == 0)
			endings[i] = endings[--nendings];
		else
			return;		/* still away */
}

/* Records how a child ended; a task left without a terminal status is
 * failed with a clear error and its claim released. */
static void
child_ended(struct child *c, int status)
{
	struct ending	 e;

	memset(&e, 0, sizeof(e));
	memcpy(e.task_id, c->task_id, sizeof(e.task_id));
	memcpy(e.model_id, c->model_id, sizeof(e.model_id));
	e.op = c->op;
	e.requeue = WIFEXITED(status) &&
	    WEXITSTATUS(status) == JOB_EXIT_REQUEUE;
	if (e.requeue || (WIFEXITED(status) && WEXITSTATUS(status) ==
	    JOB_EXIT_DONE))
		;
	else if (c->hard_killed)
		snprintf(e.why, sizeof(e.why), "%s timed out (hard time limit "
		    "reached, job killed)", c->op == TS_OP_DOWNLOAD ?
		    "Download" : "Delete");
	else if (WIFSIGNALED(status))
		snprintf(e.why, sizeof(e.why), "Job process was killed by "
		    "signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else
		snprintf(e.why, sizeof(e.why), "Job process exited with "
		    "status %d", WEXITSTATUS(status));
	if (!e.requeue)
		log_info("task=%s event=job.ended status=%d", c->task_id,
		    status);
	if (ending_write(&e) == -1) {
		if (nendings < ENDINGS_MAX)
			endings[nendings++] = e;
		log_warnx("task=%s event=job.ending_deferred reason=\"Redis "
		    "unreachable\"", e.task_id);
	}
	memset(c, 0, sizeof(*c));
}

static void
reap(void)
{
	pid_t	 pid;
	int	 status;
	size_t	 i;

	got_chld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < nslots; i++)
			if (children[i].pid == pid)
				child_ended(&children[i], status);
}

static void
enforce_limits(double now)
{
	unsigned	 hard;
	size_t		 i;

	for (i = 0; i < nslots; i++) {
		if (children[i].pid == 0 || children[i].hard_killed)
			continue;
		hard = children[i].op == TS_OP_DOWNLOAD ?
		    cfg->download_hard_limit : cfg->delete_hard_limit;
		if (now - children[i].started >= hard) {
			log_warnx("task=%s pid=%ld event=job.killed "
			    "reason=\"hard time limit\"", children[i].task_id,
			    (long)children[i].pid);
			children[i].hard_killed = 1;
			(void)kill(children[i].pid, SIGKILL);
		}
	}
}

/*
 * Renews this runner's heartbeat and recovers the jobs of dead runners,
 * but only once Redis has answered for a whole heartbeat TTL: after an
 * outage every heartbeat has lapsed, live runners' too, and they need
 * that long to renew theirs before anyone counts them dead.
 */
static void
heartbeat(double now)
{
	static double	 up_since = -1;
	long long	 recovered;
	int		 recover;

	if (up_since < 0)
		up_since = now;
	recover = now - up_since >= cfg->heartbeat_ttl;
	if (runq_heartbeat(redis, cfg->runner_id, cfg->heartbeat_ttl, recover,
	    &recovered) != ERR_OK) {
		up_since = -1;
		return;
	}
	if (recovered > 0)
		log_info("event=runner.recovered tasks=%lld", recovered);
}

/* SIGHUP: load the configuration and registry anew; keep the old ones if
 * either is bad.  Children already running keep their copy. */
static void
reload(void)
{
	struct config	*ncfg = NULL;
	struct registry	*nreg = NULL;
	char		 err[1024];

	got_hup = 0;
	if (config_load(conf_path, config_getenv, &ncfg, err,
	    sizeof(err)) != ERR_OK || registry_load(ncfg->sources,
	    ncfg->nsources, ncfg->default_embedding_model, &nreg, err,
	    sizeof(err)) != ERR_OK) {
		log_warnx("reload failed, keeping the old configuration: %s",
		    err);
		config_free(&ncfg);
		return;
	}
	if (ncfg->concurrency != cfg->concurrency ||
	    strcmp(ncfg->runner_id, cfg->runner_id) != 0 ||
	    strcmp(ncfg->redis_url, cfg->redis_url) != 0) {
		log_warnx("reload: concurrency, runner id and REDIS_URL "
		    "change only on restart");
		ncfg->concurrency = cfg->concurrency;
		free(ncfg->runner_id);
		free(ncfg->redis_url);
		ncfg->runner_id = strdup(cfg->runner_id);
		ncfg->redis_url = strdup(cfg->redis_url);
		if (ncfg->runner_id == NULL || ncfg->redis_url == NULL)
			fatalx("out of memory");
	}
	config_free(&cfg);
	registry_free(&reg);
	cfg = ncfg;
	reg = nreg;
	log_info("event=runner.reloaded models=%zu", reg->n);
}

/* SIGTERM: children stop at their next chunk and put their tasks back on
 * the queue as pending, claims kept. */
static void
shutdown_children(void)
{
	double	 deadline = mono_now() + 30;
	size_t	 i;

	for (i = 0; i < nslots; i++)
		if (children[i].pid != 0)
			(void)kill(children[i].pid, SIGTERM);
	while (nrunning() > 0 && mono_now() < deadline) {
		reap();
		if (nrunning() > 0)
			usleep(100 * 1000);
	}
	for (i = 0; i < nslots; i++)
		if (children[i].pid != 0) {
			(void)kill(children[i].pid, SIGKILL);
			(void)waitpid(children[i].pid, NULL, 0);
			(void)runq_requeue(redis, cfg->runner_id,
			    children[i].task_id);
		}
}

static void
run(void)
{
	char		 task_id[64];
	double		 next_hb = 0, next_ending = 0, now;
	long long	 moved;
	int		 resumed = 0;

	while (!got_term) {
		if (got_chld)
			reap();
		if (got_hup)
			reload();
		now = mono_now();
		if (now >= next_hb) {
			heartbeat(now);
			next_hb = now + cfg->heartbeat_interval;
		}
		enforce_limits(now);
		if (nendings > 0 && now >= next_ending) {
			endings_retry();
			next_ending = now + 1;
		}
		/* What this runner had taken before it stopped goes back on
		 * the queue before it takes anything (Redis may come up after
		 * the runner: keep trying). */
		if (!resumed) {
			if (runq_requeue_all(redis, cfg->runner_id, &moved) !=
			    ERR_OK) {
				sleep(1);
				continue;
			}
			resumed = 1;
			if (moved > 0)
				log_info("event=runner.resumed tasks=%lld",
				    moved);
		}
		if (nrunning() >= nslots) {
			usleep(200 * 1000);
			continue;
		}
		if (runq_take(qredis, cfg->runner_id, 1, task_id,
		    sizeof(task_id)) != ERR_OK) {
			sleep(1);
			continue;
		}
		if (*task_id != '\0')
			start_job(task_id);
	}
	log_info("event=runner.stopping running=%zu", nrunning());
	shutdown_children();
	(void)runq_heartbeat_stop(redis, cfg->runner_id);
}

static void
setup_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char *argv[])
{
	char	 err[1024];
	int	 ch, check = 0, fg = 0;

	conf_path = getenv("MM_CONFIG");
	if (conf_path == NULL || *conf_path == '\0')
		conf_path = "conf/mm.yaml";
	while ((ch = getopt(argc, argv, "df:n")) != -1) {
		switch (ch) {
		case 'd': fg = 1; break;
		case 'f': conf_path = optarg; break;
		case 'n': check = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("mm-jobd", NULL);
	if (config_load(conf_path, config_getenv, &cfg, err,
	    sizeof(err)) != ERR_OK)
		fatalx("%s", err);
	if (registry_load(cfg->sources, cfg->nsources,
	    cfg->default_embedding_model, &reg, err, sizeof(err)) != ERR_OK)
		fatalx("%s", err);
	if (check) {
		printf("configuration OK\n");
		registry_free(&reg);
		config_free(&cfg);
		return 0;
	}
	if (!fg && daemon(1, 0) == -1)
		fatal("daemon");
	if (cfg->log_file != NULL && log_init("mm-jobd", cfg->log_file) == -1)
		log_warn("cannot open log file %s", cfg->log_file);
	log_setdebug(cfg->debug);
	umask(002);
	setup_signals();
	nslots = cfg->concurrency;
	if ((children = calloc(nslots, sizeof(*children))) == NULL)
		fatalx("out of memory");
	if ((redis = rconn_open(cfg->redis_url, cfg->redis_timeout_ms, err,
	    sizeof(err))) == NULL || (qredis = rconn_open(cfg->redis_url,
	    cfg->redis_timeout_ms + 2000, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("event=runner.started runner=%s concurrency=%zu cache=%s",
	    cfg->runner_id, nslots, cfg->hf_hub_cache);
	run();
	log_info("event=runner.stopped");
	rconn_close(&redis);
	rconn_close(&qredis);
	free(children);
	registry_free(&reg);
	config_free(&cfg);
	return 0;
}
