#ifndef MM_HFREFS_H
#define MM_HFREFS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/*
 * The refs of a cached repo (refs/<name> files holding a commit hash) and
 * huggingface_hub's check that each names a revision in snapshots/.  A
 * ref's content is quoted only when it is exactly a commit hash (40
 * lowercase hex): anything else may be what a hostile writer of the cache
 * made the ref point at.
 */

#define HFREFS_COMMIT_LEN	40
#define HFREFS_NOT_COMMIT	"<not a commit hash>"

struct hfref {
	char		*name;		/* relative to refs/, e.g. "refs/pr/1" */
	char		*commit;	/* raw content, newline-translated */
	size_t		 commitlen;	/* commit may hold NUL bytes */
};

/*
 * Python's text-mode reading of the len bytes at buf, in place: "\r\n"
 * and "\r" become "\n".  Returns the new length.  Cannot fail.
 */
size_t		 hfrefs_newlines(char *buf, size_t len);

/* Whether the len bytes at s are exactly a commit hash.  Cannot fail. */
bool		 hfrefs_is_commit(const char *s, size_t len);

/*
 * Sorts refs by name and revs (commit hashes) with strcmp, then finds the
 * refs whose commit is not in revs.  *out is NULL when there is none, else
 * a malloc'd Python repr of {commit: {ref, ...}} (the text of scan_cache_dir's
 * "Reference(s) refer to missing commit hashes" warning) that the caller
 * frees; refs whose content is not a commit hash are grouped under the
 * unquoted key HFREFS_NOT_COMMIT instead of their content.  Returns ERR_OK
 * or ERR_NOMEM (*out NULL).
 */
enum err	 hfrefs_missing(struct hfref *refs, size_t nrefs, char **revs,
		    size_t nrevs, char **out);

#endif
