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

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extern.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "valid.h"

/*
 * Set by on_signal, read by the main loop: the only file-scope state of
 * the runner, since a signal handler must reach it.
 */
static volatile sig_atomic_t	 got_term, got_chld, got_hup;

/* The parent's state: owned by main(), passed to every function. */
struct runner {
	const char	*conf_path;
	struct config	*cfg;
	struct registry	*reg;
	struct rconn	*redis;		/* commands */
	struct rconn	*qredis;	/* the blocking BLMOVE */
	struct child	*children;	/* cfg->concurrency slots */
	size_t		 nslots;
	struct endings	 endings;	/* not written yet: Redis away */
	struct audit_sink audit;	/* task ends the parent writes */
	struct gate	 gate;		/* the download policy */
	double		 up_since;	/* Redis up since; -1 = down */
	double		 next_hb;	/* next heartbeat (monotonic) */
	double		 next_ending;	/* next retry of endings */
	int		 resumed;	/* own processing list re-queued */
	char		 nonce[37];	/* this start's, in the heartbeat */
	int		 usurped;	/* another runner took the id over */
	pid_t		 notifier;	/* the webhook child; 0 = none */
	double		 notifier_at;	/* when to (re)start it */
	int		 notifier_stopping; /* asked to stop: no pause */
};

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
nrunning(const struct runner *rn)
{
	size_t	 i, n = 0;

	for (i = 0; i < rn->nslots; i++)
		n += rn->children[i].pid != 0;
	return n;
}

/* Ends a task the runner cannot run, with a reason, and drops it. */
static void
refuse_task(struct runner *rn, const struct ts_task *t, const char *why)
{

	log_warnx("task=%s model=%s event=job.refused reason=\"%s\"",
	    t->task_id, t->model_id, why);
	if (ts_task_finish(rn->redis, t->task_id, t->model_id, t->op,
	    TS_FAILED, why) == ERR_OK)
		job_task_ended(rn->redis, &rn->audit, &(struct task_end){
		    .task_id = t->task_id, .model_id = t->model_id, .op = t->op,
		    .status = TS_FAILED, .error = why, .duration = -1 });
	(void)runq_done(rn->redis, rn->cfg->runner_id, t->task_id);
}

/* 1 if the claim of the task's model is this task's. */
static int
task_holds_claim(struct runner *rn, const struct ts_task *t)
{
	int	 held;

	return ts_claim_held(rn->redis, t->model_id, t->op, t->task_id,
	    &held) == ERR_OK && held;
}

/*
 * 1 if t's operation may act on t's model: a curated one, but a prune
 * takes any repo of the cache; prune and check also run deployment-wide
 * (model id "").
 */
static int
task_target_ok(const struct runner *rn, const struct ts_task *t)
{

	if (t->op == TS_OP_NONE)
		return 0;
	if (t->model_id[0] == '\0')
		return t->op == TS_OP_PRUNE || t->op == TS_OP_CHECK;
	if (t->op == TS_OP_PRUNE)
		return valid_repo_id(t->model_id) == 0;
	return registry_find_id(rn->reg, t->model_id) != NULL;
}

/* Re-checks everything about a task taken from the queue (nothing in the
 * queue is trusted).  0 = run it. */
static int
check_task(struct runner *rn, const char *task_id, struct ts_task *t)
{
	long long	 attempts;
	char		 why[128];
	int		 rc;

	if (ts_task_get(rn->redis, task_id, t) != ERR_OK) {
		log_warnx("task=%s event=job.dropped reason=\"no such task\"",
		    task_id);
		(void)runq_done(rn->redis, rn->cfg->runner_id, task_id);
		return -1;
	}
	if (ts_status_terminal(t->status)) {
		(void)runq_done(rn->redis, rn->cfg->runner_id, task_id);
		return -1;
	}
	if (!task_target_ok(rn, t)) {
		refuse_task(rn, t, t->model_id[0] == '\0' ? "This operation "
		    "needs a model" : "Model is not in the curated model list");
		return -1;
	}
	if (!task_holds_claim(rn, t)) {
		refuse_task(rn, t,
		    "Task no longer holds the claim on its model");
		return -1;
	}
	/* Outside its window a download waits: no attempt counted. */
	if ((rc = gate_check(&rn->gate, rn->redis, &rn->audit, rn->cfg,
	    t)) != 0) {
		if (rc > 0)
			(void)runq_done(rn->redis, rn->cfg->runner_id, task_id);
		return -1;
	}
	if (ts_count_attempt(rn->redis, task_id, &attempts) != ERR_OK)
		return -1;
	if ((unsigned long long)attempts > rn->cfg->max_attempts) {
		snprintf(why, sizeof(why), "Gave up after %u attempts",
		    rn->cfg->max_attempts);
		refuse_task(rn, t, why);
		return -1;
	}
	return 0;
}

/* The child: dies with its parent, never touches the parent's
 * connections, runs the job and exits with its status. */
static void
child_main(struct runner *rn, const struct ts_task *t, pid_t parent)
{

	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(JOB_EXIT_REQUEUE);
	rconn_reset(rn->redis);
	rconn_reset(rn->qredis);
	metrics_forget();	/* the parent's, sent by the parent */
	_exit(job_main(rn->cfg, t));
}

/* Fills a free slot with the child pid running t. */
static void
slot_fill(struct runner *rn, size_t i, pid_t pid, const struct ts_task *t)
{
	struct child	*c = &rn->children[i];

	*c = (struct child){ .pid = pid, .op = t->op, .started = mono_now() };
	snprintf(c->task_id, sizeof(c->task_id), "%s", t->task_id);
	snprintf(c->model_id, sizeof(c->model_id), "%s", t->model_id);
	log_info("task=%s model=%s op=%s pid=%ld attempt=%llu runner=%s "
	    "event=job.started", t->task_id, t->model_id, ts_op_str(t->op),
	    (long)pid, t->attempts + 1, rn->cfg->runner_id);
}

static void
start_job(struct runner *rn, const char *task_id)
{
	struct ts_task	 t;
	size_t		 i;
	pid_t		 pid, parent = getpid();

	if (check_task(rn, task_id, &t) == -1)
		return;
	for (i = 0; i < rn->nslots && rn->children[i].pid != 0; i++)
		;
	if (i == rn->nslots) {	/* cannot happen: checked by caller */
		(void)runq_requeue(rn->redis, rn->cfg->runner_id, task_id);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("%s: fork", __func__);
		(void)runq_requeue(rn->redis, rn->cfg->runner_id, task_id);
		return;
	}
	if (pid == 0)
		child_main(rn, &t, parent);
	slot_fill(rn, i, pid, &t);
}

/*
 * The notifier child (jobs/notify.c) sends the webhooks, so that neither
 * a job nor this loop (the heartbeat) ever waits on a receiver.  Started
 * when webhooks are configured, started again a second after it dies,
 * and stopped on SIGHUP to start again at once with the new settings.
 */
static void
notifier_start(struct runner *rn)
{
	pid_t	 pid, parent = getpid();

	if ((pid = fork()) == -1) {
		log_warn("%s: fork", __func__);
		rn->notifier_at = mono_now() + 1;
		return;
	}
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		rconn_reset(rn->redis);
		rconn_reset(rn->qredis);
		metrics_forget();
		_exit(notify_main(rn->cfg, &got_term));
	}
	rn->notifier = pid;
	rn->notifier_stopping = 0;
	log_info("event=runner.notifier_started pid=%ld", (long)pid);
}

/* The notifier ended with wait(2) status: start it again soon, at once
 * when it was asked to stop (a reload). */
static void
notifier_ended(struct runner *rn, int status)
{

	if (!rn->notifier_stopping)
		log_warnx("event=runner.notifier_died status=%d; starting it "
		    "again in 1 s", status);
	rn->notifier = 0;
	rn->notifier_at = rn->notifier_stopping ? 0 : mono_now() + 1;
}

/* Asks the notifier to stop (it is reaped like any child). */
static void
notifier_stop(struct runner *rn)
{

	if (rn->notifier == 0)
		return;
	rn->notifier_stopping = 1;
	(void)kill(rn->notifier, SIGTERM);
}

/* Reaps the notifier at shutdown: SIGTERM, 10 s, then SIGKILL. */
static void
notifier_wait(struct runner *rn)
{
	double	 deadline = mono_now() + 10;

	notifier_stop(rn);
	while (rn->notifier != 0 && mono_now() < deadline) {
		if (waitpid(rn->notifier, NULL, WNOHANG) == rn->notifier)
			rn->notifier = 0;
		else
			usleep(50 * 1000);
	}
	if (rn->notifier != 0) {
		(void)kill(rn->notifier, SIGKILL);
		(void)waitpid(rn->notifier, NULL, 0);
		rn->notifier = 0;
	}
}

/* Records how the child in slot c ended, and frees the slot. */
static void
child_ended(struct runner *rn, struct child *c, int status)
{
	struct ending	 e;

	ending_of(&e, c, status);
	if (!e.requeue)
		log_info("task=%s event=job.ended status=%d", c->task_id,
		    status);
	endings_add(&rn->endings, rn->redis, &rn->audit, rn->cfg->runner_id,
	    &e);
	memset(c, 0, sizeof(*c));
}

static void
reap(struct runner *rn)
{
	pid_t	 pid;
	int	 status;
	size_t	 i;

	got_chld = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == rn->notifier)
			notifier_ended(rn, status);
		for (i = 0; i < rn->nslots; i++)
			if (rn->children[i].pid == pid)
				child_ended(rn, &rn->children[i], status);
	}
}

/* Kills the children past their hard time limit. */
static void
enforce_limits(struct runner *rn, double now)
{
	struct child	*c;
	unsigned	 hard;
	size_t		 i;

	for (i = 0; i < rn->nslots; i++) {
		c = &rn->children[i];
		if (c->pid == 0 || c->hard_killed)
			continue;
		hard = c->op == TS_OP_DELETE || c->op == TS_OP_PRUNE ?
		    rn->cfg->delete_hard_limit : rn->cfg->download_hard_limit;
		if (now - c->started >= (double)gate_hard_limit(rn->redis, c,
		    hard, now)) {
			log_warnx("task=%s pid=%ld event=job.killed "
			    "reason=\"hard time limit\"", c->task_id,
			    (long)c->pid);
			c->hard_killed = 1;
			(void)kill(c->pid, SIGKILL);
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
heartbeat(struct runner *rn, double now)
{
	long long	 recovered;
	int		 recover;
	enum err	 e;

	if (rn->up_since < 0)
		rn->up_since = now;
	recover = now - rn->up_since >= rn->cfg->heartbeat_ttl;
	e = runq_heartbeat(rn->redis, rn->cfg->runner_id, rn->nonce,
	    rn->cfg->heartbeat_ttl, recover, &recovered);
	if (e == ERR_CONFLICT) {
		log_warnx("event=runner.usurped runner id \"%s\": its heartbeat "
		    "was taken over by another mm-jobd; stopping (each runner "
		    "needs its own MM_RUNNER_ID)", rn->cfg->runner_id);
		rn->usurped = 1;
	}
	if (e != ERR_OK) {
		rn->up_since = -1;
		return;
	}
	if (recovered > 0)
		log_info("event=runner.recovered tasks=%lld", recovered);
}

/* Loads the configuration at path and the registry it names; on error
 * both are NULL and err says why. */
static enum err
load_config(const char *path, struct config **cfg, struct registry **reg,
    char *err, size_t errlen)
{
	enum err	 e;

	*reg = NULL;
	if ((e = config_load(path, config_getenv, cfg, err, errlen)) !=
	    ERR_OK)
		return e;
	if ((e = registry_load((*cfg)->sources, (*cfg)->nsources,
	    (*cfg)->default_embedding_model, reg, err, errlen)) != ERR_OK)
		config_free(cfg);
	return e;
}

/* Carries over from cur into next the settings that change only on
 * restart. */
static void
keep_restart_settings(struct config *next, const struct config *cur)
{

	if (next->concurrency == cur->concurrency &&
	    strcmp(next->runner_id, cur->runner_id) == 0 &&
	    strcmp(next->redis_url, cur->redis_url) == 0)
		return;
	log_warnx("reload: concurrency, runner id and REDIS_URL change only "
	    "on restart");
	next->concurrency = cur->concurrency;
	free(next->runner_id);
	free(next->redis_url);
	next->runner_id = strdup(cur->runner_id);
	next->redis_url = strdup(cur->redis_url);
	if (next->runner_id == NULL || next->redis_url == NULL)
		fatalx("out of memory");
}

/* SIGHUP: load the configuration and registry anew; keep the old ones if
 * either is bad.  Children already running keep their copy. */
static void
reload(struct runner *rn)
{
	struct config	*ncfg;
	struct registry	*nreg;
	char		 err[1024];

	got_hup = 0;
	if (load_config(rn->conf_path, &ncfg, &nreg, err, sizeof(err)) !=
	    ERR_OK) {
		log_warnx("reload failed, keeping the old configuration: %s",
		    err);
		return;
	}
	keep_restart_settings(ncfg, rn->cfg);
	config_free(&rn->cfg);
	registry_free(&rn->reg);
	rn->cfg = ncfg;
	rn->reg = nreg;
	notifier_stop(rn);	/* started again with the new webhooks */
	log_info("event=runner.reloaded models=%zu webhooks=%zu", rn->reg->n,
	    rn->cfg->nwebhooks);
}

/* SIGTERM: children stop at their next chunk and put their tasks back on
 * the queue as pending, claims kept. */
static void
shutdown_children(struct runner *rn)
{
	double	 deadline = mono_now() + 30;
	size_t	 i;

	for (i = 0; i < rn->nslots; i++)
		if (rn->children[i].pid != 0)
			(void)kill(rn->children[i].pid, SIGTERM);
	while (nrunning(rn) > 0 && mono_now() < deadline) {
		reap(rn);
		if (nrunning(rn) > 0)
			usleep(100 * 1000);
	}
	for (i = 0; i < rn->nslots; i++)
		if (rn->children[i].pid != 0) {
			(void)kill(rn->children[i].pid, SIGKILL);
			(void)waitpid(rn->children[i].pid, NULL, 0);
			(void)runq_requeue(rn->redis, rn->cfg->runner_id,
			    rn->children[i].task_id);
		}
}

/* The parent's chores between two takes: reap, reload, heartbeat, time
 * limits, and the endings Redis could not take before. */
static void
tend(struct runner *rn)
{
	double	 now;

	if (got_chld)
		reap(rn);
	if (got_hup)
		reload(rn);
	now = mono_now();
	if (now >= rn->next_hb) {
		heartbeat(rn, now);
		if (rn->up_since >= 0)
			check_schedule(rn->redis, rn->cfg, rn->reg);
		rn->next_hb = now + rn->cfg->heartbeat_interval;
	}
	enforce_limits(rn, now);
	gate_tick(&rn->gate, rn->redis, rn->cfg, now);
	if (rn->cfg->nwebhooks > 0 && rn->notifier == 0 &&
	    now >= rn->notifier_at)
		notifier_start(rn);
	if (rn->endings.n > 0 && now >= rn->next_ending) {
		endings_retry(&rn->endings, rn->redis, &rn->audit,
		    rn->cfg->runner_id);
		rn->next_ending = now + 1;
	}
}

/* Puts back on the queue what this runner had taken before it stopped,
 * before it takes anything; 0 once done, -1 while Redis is away (it may
 * come up after the runner: the caller keeps trying). */
static int
resume_taken(struct runner *rn)
{
	long long	 moved;

	if (runq_requeue_all(rn->redis, rn->cfg->runner_id, &moved) !=
	    ERR_OK)
		return -1;
	rn->resumed = 1;
	if (moved > 0)
		log_info("event=runner.resumed tasks=%lld", moved);
	return 0;
}

/* Takes the next task and starts it when a slot is free; waits a little
 * when none is, or when Redis is away. */
static void
take_next(struct runner *rn)
{
	char	 task_id[64];

	if (nrunning(rn) >= rn->nslots) {
		usleep(200 * 1000);
		return;
	}
	if (runq_take(rn->qredis, rn->cfg->runner_id, 1, task_id,
	    sizeof(task_id)) != ERR_OK) {
		sleep(1);
		return;
	}
	if (*task_id != '\0')
		start_job(rn, task_id);
}

/*
 * Takes the runner id before anything else, with a nonce of this start:
 * a key with another nonce is waited for one heartbeat TTL (it may be
 * this runner's own, left by a crash), then, still held, it belongs to a
 * live runner and this one exits.  0 once the id is ours; -1 on SIGTERM.
 */
static int
claim_id(struct runner *rn)
{
	const struct config	*cfg = rn->cfg;
	double			 until = -1;
	enum err		 e;

	ts_new_task_id(rn->nonce);
	while (!got_term) {
		e = runq_runner_claim(rn->redis, cfg->runner_id, rn->nonce,
		    cfg->heartbeat_ttl);
		if (e == ERR_OK)
			return 0;
		if (e == ERR_CONFLICT && until < 0) {
			until = mono_now() + cfg->heartbeat_ttl + 1;
			log_info("event=runner.waiting runner=%s: its heartbeat "
			    "is held, waiting %u s", cfg->runner_id,
			    cfg->heartbeat_ttl + 1);
		} else if (e == ERR_CONFLICT && mono_now() >= until)
			fatalx("runner id \"%s\" is in use by another live "
			    "mm-jobd (its heartbeat is still renewed): give "
			    "each runner its own MM_RUNNER_ID", cfg->runner_id);
		sleep(1);
	}
	return -1;
}

static void
run(struct runner *rn)
{

	if (claim_id(rn) == -1)
		return;
	while (!got_term && !rn->usurped) {
		tend(rn);
		if (!rn->resumed && resume_taken(rn) == -1) {
			sleep(1);
			continue;
		}
		take_next(rn);
	}
	log_info("event=runner.stopping running=%zu", nrunning(rn));
	notifier_stop(rn);
	shutdown_children(rn);
	notifier_wait(rn);
	(void)runq_heartbeat_stop(rn->redis, rn->cfg->runner_id, rn->nonce);
	(void)metrics_flush(rn->redis);
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

/* The job slots and the two Redis connections; fatal on failure. */
static void
runner_open(struct runner *rn)
{
	char	 err[1024];

	rn->nslots = rn->cfg->concurrency;
	if ((rn->children = calloc(rn->nslots, sizeof(*rn->children))) ==
	    NULL)
		fatalx("out of memory");
	if ((rn->redis = rconn_open(rn->cfg->redis_url,
	    rn->cfg->redis_timeout_ms, err, sizeof(err))) == NULL ||
	    (rn->qredis = rconn_open(rn->cfg->redis_url,
	    rn->cfg->redis_timeout_ms + 2000, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	/* The heartbeat (every few seconds) carries the runner's counts. */
	metrics_set_enabled(!rn->cfg->metrics_off);
	rconn_set_hook(rn->redis, metrics_hook, NULL);
	audit_open(&rn->audit, rn->cfg->audit_file,
	    rn->cfg->audit_max_events);
}

/* Releases everything rn holds. */
static void
runner_free(struct runner *rn)
{

	rconn_close(&rn->redis);
	rconn_close(&rn->qredis);
	audit_close(&rn->audit);
	free(rn->children);
	endings_free(&rn->endings);
	registry_free(&rn->reg);
	config_free(&rn->cfg);
}

int
main(int argc, char *argv[])
{
	struct runner	 rn;
	char		 err[1024];
	int		 ch, check = 0, fg = 0, rc;

	memset(&rn, 0, sizeof(rn));
	rn.up_since = -1;
	rn.conf_path = getenv("MM_CONFIG");
	if (rn.conf_path == NULL || *rn.conf_path == '\0')
		rn.conf_path = "conf/mm.yaml";
	while ((ch = getopt(argc, argv, "df:n")) != -1) {
		switch (ch) {
		case 'd': fg = 1; break;
		case 'f': rn.conf_path = optarg; break;
		case 'n': check = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("mm-jobd", NULL);
	if (load_config(rn.conf_path, &rn.cfg, &rn.reg, err, sizeof(err)) !=
	    ERR_OK)
		fatalx("%s", err);
	if (check) {
		printf("configuration OK\n");
		runner_free(&rn);
		return 0;
	}
	if (!fg && daemon(1, 0) == -1)
		fatal("daemon");
	if (rn.cfg->log_file != NULL &&
	    log_init("mm-jobd", rn.cfg->log_file) == -1)
		log_warn("cannot open log file %s", rn.cfg->log_file);
	log_setdebug(rn.cfg->debug);
	umask(002);
	setup_signals();
	runner_open(&rn);
	log_info("event=runner.started runner=%s concurrency=%zu cache=%s",
	    rn.cfg->runner_id, rn.nslots, rn.cfg->hf_hub_cache);
	run(&rn);
	log_info("event=runner.stopped");
	rc = rn.usurped ? 1 : 0;
	runner_free(&rn);
	return rc;
}
