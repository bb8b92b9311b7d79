#ifndef MM_JOBS_EXTERN_H
#define MM_JOBS_EXTERN_H

/*
 * Declarations shared by the files of mm-jobd, the job runner: main.c is
 * the parent (queue, fork, reap, limits, heartbeat); job.c runs one job
 * in a child; download.c is the download job.
 */

#include <signal.h>

#include "config.h"
#include "mono.h"
#include "redisconn.h"
#include "registry.h"
#include "runq.h"
#include "taskstate.h"

/* Exit statuses of a job child. */
#define JOB_EXIT_DONE		0	/* terminal status written */
#define JOB_EXIT_REQUEUE	75	/* stopped by SIGTERM: back to queue */
#define JOB_EXIT_FAILED		1	/* parent must write "failed" */

struct job {
	const struct config	*cfg;
	const struct registry	*reg;
	struct rconn		*redis;		/* the child's own */
	char			 task_id[64];
	char			 model_id[256];
	enum ts_op		 op;
	char			 holder[128];	/* lease holder id */
	double			 started;	/* monotonic seconds */
};

/* Set by the child's SIGTERM handler: stop at the next chunk. */
extern volatile sig_atomic_t	job_stop;


/* How long a job that ended keeps trying to write its final progress
 * and status while Redis is away (a restart, a failover), in seconds. */
#define JOB_FINISH_WAIT		60

/* job.c: runs the job in the child and returns its exit status. */
int	 job_run(struct job *j);
/*
 * job.c: writes the task's terminal status and releases its claim
 * (ts_task_finish), retrying while Redis cannot be reached, so that a job
 * that ended never leaves its task "running".  Returns JOB_EXIT_DONE, or
 * JOB_EXIT_REQUEUE when Redis stayed away too long (the job then runs
 * again and ends the task that time).
 */
int	 job_finish(struct job *j, const char *status, const char *error);
/* job.c: renews the task's lease, or takes it again when it lapsed (a
 * Redis outage).  ERR_CONFLICT when another process holds it: it runs
 * the task now, so this one must stop without writing anything. */
enum err job_lease_keep(struct job *j);

/* download.c */
int	 job_download(struct job *j);

/* delete.c */
int	 job_delete(struct job *j);

#endif
