#ifndef MM_HFREFS_H
#define MM_HFREFS_H

#include <stddef.h>

#include "err.h"

/*
 * The refs of a cached repo (refs/<name> files holding a commit hash) and
 * huggingface_hub's check that each names a revision in snapshots/.
 */

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

/*
 * Sorts refs by name and revs (commit hashes) with strcmp, then finds the
 * refs whose commit is not in revs.  *out is NULL when there is none, else
 * a malloc'd Python repr of {commit: {ref, ...}} (the text of scan_cache_dir's
 * "Reference(s) refer to missing commit hashes" warning) that the caller
 * frees.  Returns ERR_OK or ERR_NOMEM (*out NULL).
 */
enum err	 hfrefs_missing(struct hfref *refs, size_t nrefs, char **revs,
		    size_t nrevs, char **out);

#endif
