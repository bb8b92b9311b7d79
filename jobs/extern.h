#ifndef MM_JOBS_EXTERN_H
#define MM_JOBS_EXTERN_H

/*
 * Declarations shared by the files of mm-jobd, the job runner: main.c is
 * the parent (queue, fork, reap, limits, heartbeat); job.c runs one job
 * in a child; download.c is the download job.
 */

#include <signal.h>

#include "config.h"
#include "redisconn.h"
#include "registry.h"
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

double	 mono_now(void);

/* job.c: runs the job in the child and returns its exit status. */
int	 job_run(struct job *j);

/* download.c */
int	 job_download(struct job *j);

/* delete.c */
int	 job_delete(struct job *j);

#endif
