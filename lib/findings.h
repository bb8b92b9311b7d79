#ifndef MM_FINDINGS_H
#define MM_FINDINGS_H

#include <stddef.h>

#include "err.h"
#include "redisconn.h"

/*
 * The findings of a model's last verify (or repair), kept in Redis with no
 * expiry until the next verify or repair of that model, or its delete:
 *   model-manager:verify:{model_id}         the findings, a JSON text
 *   model-manager:verify-status:{model_id}  "<ok|problems> <count>
 *                                           <epoch seconds> <task id>",
 *                                           what the list reads of them
 *                                           in its one MGET
 * Both are written together (MSET) and removed together.
 */

#define FINDINGS_KIND		"verify"
#define FINDINGS_STATUS_KIND	"verify-status"
#define FINDINGS_STATUS_MAX	144	/* the status value, NUL included */

struct findings_status {
	int			 ok;		/* no problem found */
	unsigned long long	 problems;
	long long		 checked_at;	/* epoch seconds */
	char			 task_id[64];	/* the verify's or repair's */
};

/* Writes "<ok|problems> <count> <epoch> <task id>" into buf
 * (FINDINGS_STATUS_MAX bytes). */
void		 findings_status_format(const struct findings_status *s,
		    char *buf, size_t len);
/* Parses a status value; 0, or -1 if it is not one.  Pure. */
int		 findings_status_parse(const char *v,
		    struct findings_status *out);

/* Stores json (the findings) and s for model_id.  ERR_INVAL for an id
 * too long for a key; ERR_REDIS. */
enum err	 findings_store(struct rconn *r, const char *model_id,
		    const char *json, const struct findings_status *s);
/* The findings of model_id: *json malloc'd (the caller frees it), NULL
 * when there are none.  ERR_REDIS, ERR_NOMEM. */
enum err	 findings_get(struct rconn *r, const char *model_id,
		    char **json);
/* Removes both keys of model_id. */
enum err	 findings_forget(struct rconn *r, const char *model_id);

#endif
