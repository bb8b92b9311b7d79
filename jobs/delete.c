/*
 * The delete job: re-check in PostgreSQL that no collection uses the
 * model (one may have appeared since the request), then remove the
 * repo's whole folder from the cache, partial downloads included.  The
 * collections are checked again after every wait for a blob lock and
 * immediately before the first unlink: our database role is read-only, so
 * no lock can keep a collection from being created in between, and this
 * is the narrowest window we can give.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "extern.h"
#include "findings.h"
#include "hfdelete.h"
#include "log.h"

/* Says in msg which collections use the model. */
static void
in_use_msg(char *msg, size_t len, const struct db_collections *cols)
{
	size_t	 i, n;

	n = (size_t)snprintf(msg, len, "Cannot delete: model is used by %zu "
	    "collection(s):", cols->n);
	for (i = 0; i < cols->n && n < len; i++)
		n += (size_t)snprintf(msg + n, len - n, "%s %s", i ? "," : "",
		    cols->v[i].name);
}

/*
 * The collections check of one delete job: the job, one database
 * connection for every check (opened at the first, re-made by lib/db if
 * it drops while a lock is waited for), and the job's exit status once a
 * check has ended the task.
 */
struct recheck {
	struct job	*j;
	struct db	*db;
	int		 rc;
};

/* Fails the task if a collection uses the model now; 0 = go on, else -1
 * with the child's exit status in rk->rc.  Also the removal's check. */
static int
recheck_collections(void *arg)
{
	struct recheck		*rk = arg;
	struct job		*j = rk->j;
	struct db_collections	 cols;
	const char		*models[] = { j->model_id };
	char			 msg[512];
	enum err		 e;

	if (rk->db == NULL)
		rk->db = db_open(j->cfg->database_url,
		    j->cfg->db_connect_timeout,
		    j->cfg->db_statement_timeout_ms, "mm-jobd");
	e = rk->db ? db_collections_using(rk->db, models, 1, &cols) :
	    ERR_NOMEM;
	if (e != ERR_OK) {
		rk->rc = job_finish(j, TS_FAILED, "Database unavailable: "
		    "cannot re-check the collections using this model; "
		    "nothing was deleted");
		return -1;
	}
	if (cols.n == 0)
		return 0;
	in_use_msg(msg, sizeof(msg), &cols);
	db_collections_free(&cols);
	log_warnx("task=%s model=%s event=delete.refused", j->task_id,
	    j->model_id);
	rk->rc = job_finish(j, TS_FAILED, msg);
	return -1;
}

/* The delete once the first check passed: the removal, its own checks,
 * and the task's ending. */
static int
delete_checked(struct job *j, struct recheck *rk)
{
	struct hfdelete_check	 check = { recheck_collections, rk };
	char			 msg[512];
	enum err		 e;
	int			 rc;

	e = hfdelete_remove(j->cfg->hf_hub_cache, "model", j->model_id,
	    j->cfg->delete_soft_limit, &check, msg, sizeof(msg));
	if (e == ERR_CONFLICT)
		return rk->rc;
	if (e == ERR_NOTFOUND) {
		rc = job_end(j, TS_NOT_INSTALLED, NULL);
		log_info("task=%s model=%s event=delete.not_installed",
		    j->task_id, j->model_id);
	} else if (e != ERR_OK) {
		log_warnx("task=%s model=%s event=delete.failed error=\"%s\"",
		    j->task_id, j->model_id, msg);
		rc = job_end(j, TS_FAILED, msg);
	} else {
		/* What a verify found of it is gone with it. */
		(void)findings_forget(j->redis, j->model_id);
		rc = job_end(j, TS_COMPLETED, NULL);
		log_info("task=%s model=%s event=delete.completed",
		    j->task_id, j->model_id);
	}
	return rc;
}

int
job_delete(struct job *j)
{
	struct recheck	 rk = { j, NULL, JOB_EXIT_FAILED };
	int		 rc;

	rc = recheck_collections(&rk) == -1 ? rk.rc : delete_checked(j, &rk);
	db_close(&rk.db);
	return rc;
}
