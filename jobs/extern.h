#ifndef MM_JOBS_EXTERN_H
#define MM_JOBS_EXTERN_H

/*
 * Declarations shared by the files of mm-jobd, the job runner.  Calls go
 * one way only, down this list:
 *   main.c      the parent: queue, fork, reap, limits, heartbeat, reload
 *   ending.c    the parent: how a child ended, written to Redis (kept and
 *               written again while Redis is away)
 *   job.c       one job, in a child: lease, status "running", dispatch
 *   gate.c      the parent: the download policy (waiting set, gate,
 *               capped downloads' hard limits)
 *   repair.c    the repair job (a verify first when none is recorded,
 *               then a download of each revision with problems)
 *   download.c  the download job (and the transfer repair uses)
 *   dlpolicy.c  the download job's cap, window and time limits
 *   verify.c    the verify job
 *   prune.c     the prune job
 *   delete.c    the delete job
 *   update.c    the update job: a download of main, then the old
 *               revision's removal
 *   check.c     the check job (hub facts), and its scheduling by the
 *               parent
 *   jobstate.c  what a job writes about its task: its lease, its ending
 *   notify.c    the notifier child: webhooks from the audit stream
 */

#include <sys/types.h>

#include <signal.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "bwcap.h"
#include "config.h"
#include "mono.h"
#include "redisconn.h"
#include "runq.h"
#include "taskstate.h"
#include "window.h"

struct hub_progress;

/* Exit statuses of a job child. */
#define JOB_EXIT_DONE		0	/* terminal status written */
#define JOB_EXIT_REQUEUE	75	/* stopped: back on the queue */
#define JOB_EXIT_FAILED		1	/* parent must write "failed" */

/* How long a job that ended keeps trying to write its final progress
 * and status while Redis is away (a restart, a failover), in seconds. */
#define JOB_FINISH_WAIT		60

/* A slot of the parent: one running child. */
struct child {
	pid_t		 pid;		/* 0 = free slot */
	char		 task_id[64];
	char		 model_id[256];
	enum ts_op	 op;
	double		 started;	/* monotonic seconds */
	int		 hard_killed;
	unsigned long long limit;	/* hard limit its job set, s; 0: none */
	double		 limit_read;	/* when to read it again */
};

/*
 * How a child ended, to be written to Redis: back on the queue, or done
 * (failed with why first, when the child wrote no terminal status).
 */
struct ending {
	char		 task_id[64];
	char		 model_id[256];
	enum ts_op	 op;
	int		 requeue;
	double		 ran;		/* seconds the child ran */
	char		 why[160];	/* "" = the child ended it */
};

/* The endings Redis could not take yet, ENDINGS_MAX at most. */
#define ENDINGS_MAX	256
struct endings {
	struct ending	*v;
	size_t		 n, cap;
};

/* Everything a job child has: given by the parent, owned by the child. */
struct job {
	const struct config	*cfg;
	struct rconn		*redis;		/* the child's own */
	/* Set on SIGTERM: stop at the next chunk. */
	const volatile sig_atomic_t *stop;
	char			 task_id[64];
	char			 model_id[256];
	enum ts_op		 op;
	char			 holder[128];	/* lease holder id */
	int			 ignore_window;	/* started now (a download) */
	double			 started;	/* monotonic seconds */
	unsigned long long	 fetched;	/* bytes fetched (download) */
	char			*result;	/* malloc'd JSON the task ends
						   with (its "result"), or NULL */
	/* An operation built on the download (update): called once the
	 * snapshot is published, before the task ends completed; may set
	 * result.  NULL for a plain download. */
	void			(*published)(struct job *,
				    const struct hub_progress *);
	void			*opdata;	/* the operation's own state */
	char			 params[256];	/* the task's params */
	/* The transfer's revision (NULL: main) and the blobs it fetches
	 * again (repair; sorted etags). */
	const char		*revision;
	const char *const	*refetch;
	size_t			 nrefetch;
	struct audit_sink	 audit;		/* the child's own */
};

/* ending.c */
/* Fills e from child c and its wait(2) status.  Cannot fail. */
void	 ending_of(struct ending *e, const struct child *c, int status);
/* Writes e to Redis for runner_id; when Redis is away, keeps it in l to
 * be written again by endings_retry.  Logs what happened to the task;
 * a task it fails is a task.ended event in audit. */
void	 endings_add(struct endings *l, struct rconn *r,
	    struct audit_sink *audit, const char *runner_id,
	    const struct ending *e);
/* Writes the endings kept in l until Redis fails again. */
void	 endings_retry(struct endings *l, struct rconn *r,
	    struct audit_sink *audit, const char *runner_id);
/* Frees what l holds (the endings still kept are lost). */
void	 endings_free(struct endings *l);

/* job.c: in the child, runs task t with the configuration cfg and
 * returns the child's exit status (JOB_EXIT_*).  Logs why it failed. */
int	 job_main(const struct config *cfg, const struct ts_task *t);

/* download.c, delete.c, update.c, check.c, verify.c, repair.c, prune.c:
 * run the operation; return the exit status. */
int	 job_download(struct job *j);
int	 job_delete(struct job *j);
int	 job_update(struct job *j);
int	 job_check(struct job *j);
int	 job_verify(struct job *j);
int	 job_repair(struct job *j);
int	 job_prune(struct job *j);
/*
 * download.c: the transfer of j->revision (main when NULL; j->refetch
 * fetched again) with a download's progress, cancel, limits and disk
 * admission.  Returns 0 when every file is in place, -1 with a message in
 * msg when it failed (the task still running), or 1 when it stopped on
 * request: the task then ended or went back to the queue, and *rc is the
 * exit status.
 */
int	 job_fetch(struct job *j, char *msg, size_t msglen, int *rc);
/*
 * verify.c: verifies the model's revisions with progress; stores the
 * findings (findings.h) and gives them in *findings (the caller deletes
 * them).  Returns 0, -1 with msg, or 1 when stopped (*rc as job_fetch).
 */
int	 job_verify_run(struct job *j, cJSON **findings, char *msg,
	    size_t msglen, int *rc);

/* check.c, in the parent: queues a deployment-wide check task when a
 * curated model is due (nothing when hub.check_interval_seconds is 0 or
 * the hub is offline).  Can't fail: Redis errors wait for the next call. */
void	 check_schedule(struct rconn *r, const struct config *cfg,
	    const struct registry *reg);

/* gate.c: the download policy in the parent. */
struct gate {
	struct policy	 pol;		/* read every second */
	int		 have;		/* pol was read once */
	double		 next_tick;	/* monotonic seconds */
	double		 next_refresh;	/* of the waiting tasks */
	long long	 waiting;	/* tasks waiting, at the last tick */
	char		 reason[WINDOW_REASON_MAX]; /* the last written */
};
/* Every second (now is mono_now()): reads the policy, then starts the
 * waiting downloads if a window is open, else keeps them alive. */
void	 gate_tick(struct gate *g, struct rconn *r, const struct config *cfg,
	    double now);
/*
 * Before download t (taken from the queue) starts: 0 to run it; 1 when
 * it is outside its window and now waits (or was cancelled meanwhile,
 * or is gone): it leaves the processing list, no attempt counted; -1
 * when Redis failed.
 */
int	 gate_check(struct gate *g, struct rconn *r, struct audit_sink *a,
	    const struct config *cfg, const struct ts_task *t);
/* The hard time limit of child c (now is mono_now()): hard, or more when
 * its job, a capped download, set itself a longer one. */
unsigned long long gate_hard_limit(struct rconn *r, struct child *c,
	    unsigned long long hard, double now);

/* dlpolicy.c: the download policy inside a download job. */
struct dlpolicy {
	struct job		*job;
	struct policy		 pol;		/* read every second */
	struct bwcap		 bw;		/* the job's share of the cap */
	double			 next_read;	/* monotonic seconds */
	int			 outside;	/* must pause: window closed */
	unsigned long long	 soft, hard;	/* limits (s), grown by the cap */
	unsigned long long	 written;	/* hard limit last written */
	char			 limit[48];	/* its field's value */
};
/* Reads the policy: the cap applies from the first byte. */
void	 dlpol_init(struct dlpolicy *pw, struct job *j);
/* The cap's hook (hub_callbacks bw_take and bw_wait). */
int	 dlpol_take(struct dlpolicy *pw, size_t len);
unsigned dlpol_wait(struct dlpolicy *pw);
/* At every progress call: reads the policy again once a second (the cap,
 * the limits); 1 when the download must pause (window closed). */
int	 dlpol_tick(struct dlpolicy *pw, double now, uint64_t total);
/* The "time_limit" field for the runner (the hard limit, plus the time
 * the cap held the job back) into f[0..1] when it moved; 1, else 0. */
int	 dlpol_fields(struct dlpolicy *pw, const char **f);
/* 1 past the soft limit, counted on the time not held back by the cap. */
int	 dlpol_timed_out(const struct dlpolicy *pw, double now);
/* Paused at the window's end: into the waiting set, the attempt given
 * back, partial files kept; the exit status. */
int	 dlpol_park(struct dlpolicy *pw);

/* jobstate.c */
/* Retrying while Redis is away: a deadline and a doubling pause. */
struct job_wait {
	double		 deadline;	/* monotonic seconds */
	unsigned	 pause_ms;
};
/* Starts a wait of at most seconds. */
void	 job_wait_start(struct job_wait *w, unsigned seconds);
/* Sleeps the next pause and returns 1; 0 (at once) past the deadline. */
int	 job_wait(struct job_wait *w);
/*
 * Takes the task's lease, waiting a little for a previous holder (a child
 * of a runner that just died lets it go when it notices).  ERR_CONFLICT
 * when another process still holds it, ERR_REDIS when Redis is away.
 */
enum err job_lease_take(struct job *j);
/* Renews the task's lease, or takes it again when it lapsed (a Redis
 * outage).  ERR_CONFLICT when another process holds it: it runs the task
 * now, so this one must stop without writing anything. */
enum err job_lease_keep(struct job *j);
/* The Hub client's settings of a job (a download's transfers, a check's
 * lookups), from the configuration. */
struct hub_opts;
void	 job_hub_opts(const struct config *cfg, struct hub_opts *o);
/* Releases the lease if this job still holds it. */
void	 job_lease_release(struct job *j);
/*
 * Writes the task's terminal status and releases its claim
 * (ts_task_finish), retrying while Redis cannot be reached, so that a job
 * that ended never leaves its task "running".  Returns JOB_EXIT_DONE, or
 * JOB_EXIT_REQUEUE when Redis stayed away JOB_FINISH_WAIT seconds: the
 * task then goes back on the queue and its next run ends it.
 */
int	 job_finish(struct job *j, const char *status, const char *error);
/* job_finish for a job that may have changed the cache: first bumps the
 * cache generation, so that responders scan it again. */
int	 job_end(struct job *j, const char *status, const char *error);
/* Why a job stopped before its end. */
enum job_stop {
	JOB_STOP_NONE = 0,
	JOB_STOP_CANCEL,	/* the task's cancel flag */
	JOB_STOP_TERM,		/* SIGTERM: the runner stops */
	JOB_STOP_LIMIT,		/* the soft time limit */
	JOB_STOP_LEASE		/* another process took the task over */
};
/*
 * Writes progress fields (nfields name/value pairs) of the running task,
 * renewing its lease first.  Returns 0 to go on (a write Redis missed
 * included), or 1 when the job must stop, with *why: JOB_STOP_CANCEL (a
 * cancel, or the task ended from outside) or JOB_STOP_LEASE (another
 * process runs the task: nothing more may be written).
 */
int	 job_progress(struct job *j, const char *const *fields, int nfields,
	    enum job_stop *why);
/*
 * Ends a job that stopped for why: cancelled; back on the queue as
 * pending (SIGTERM); failed with limit_msg (time limit); nothing written
 * (lease lost).  Returns the exit status.
 */
int	 job_stopped(struct job *j, enum job_stop why, const char *limit_msg);
/*
 * A task was just made terminal (status, error) by this process: counts
 * it (tasks ended and their duration, or -1 when it never ran; a
 * download's end by outcome and reason, when ran) and records its
 * task.ended audit event.  Shared by the child and the runner.
 */
struct task_end {
	const char	*task_id;
	const char	*model_id;
	enum ts_op	 op;
	const char	*status;
	const char	*error;		/* NULL or "": none */
	double		 duration;	/* seconds it ran; < 0: never ran */
	unsigned long long fetched;	/* bytes a download fetched */
};
void	 job_task_ended(struct rconn *r, struct audit_sink *audit,
	    const struct task_end *te);

/*
 * notify.c: the notifier, in a child of the runner (only when webhooks
 * are configured): sends the webhooks of the audit stream's events until
 * *stop is set, then returns the child's exit status.  Fatal when it
 * cannot start (libcurl, memory); Redis outages are waited out.
 */
int	 notify_main(const struct config *cfg,
	    const volatile sig_atomic_t *stop);

#endif
