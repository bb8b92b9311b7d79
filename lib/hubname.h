#ifndef MM_HUBNAME_H
#define MM_HUBNAME_H

#include <stddef.h>

/*
 * Pure checks and name building for the Hub download (HF-HUB.md sections
 * 2, 3 and 8): no I/O, no globals.  Predicates return 0 when the input is
 * acceptable and -1 otherwise; builders return 0, or -1 when the result
 * does not fit in the caller's buffer (which then holds "").
 */

#define HUBNAME_PATH_MAX	4096	/* a repo file path, bytes */
#define HUBNAME_SEG_MAX		255	/* one path segment, bytes */
#define HUBNAME_REV_MAX		255	/* a revision, bytes */

/*
 * A file name sent by the server (tree "path"), used below
 * snapshots/<commit>/: strict UTF-8, 1..HUBNAME_PATH_MAX bytes, '/'
 * separated segments of 1..HUBNAME_SEG_MAX bytes; refuses a leading '/',
 * empty, "." and ".." segments, any '\', control characters (including
 * DEL) and Windows drive forms ("C:x").
 */
int	 hubname_valid_filename(const char *s);

/* A commit hash: exactly 40 lowercase hex digits. */
int	 hubname_is_commit(const char *s);

/* A blob name: exactly 40 or 64 lowercase hex digits. */
int	 hubname_is_oid(const char *s);

/*
 * Normalises an ETag header value as huggingface_hub does
 * (value.lstrip("W/").strip('"')) into out, then requires the result to
 * be a blob name (hubname_is_oid).  Returns -1 (out = "") otherwise.
 */
int	 hubname_etag(const char *raw, char out[65]);

/*
 * A revision given by the user, stored as refs/<revision>: 1..255 bytes
 * of printable ASCII without '\'; '/' separates non-empty segments that
 * are neither "." nor ".."; no leading or trailing '/'.
 */
int	 hubname_valid_revision(const char *s);

/*
 * The cache folder of a repo: "<type>s--" + repo_id with '/' replaced by
 * "--" (type "model" gives "models--org--name").  repo_id must already
 * be valid (valid_repo_id).
 */
int	 hubname_repo_folder(const char *type, const char *repo_id, char *out,
	    size_t outlen);

/*
 * The relative target of the snapshot link for the repo file path
 * (already valid): "../../" plus one "../" per '/' in path, then
 * "blobs/<etag>".  "sub/dir/data.bin" gives "../../../../blobs/<etag>".
 */
int	 hubname_link_target(const char *path, const char *etag, char *out,
	    size_t outlen);

/*
 * Percent-encodes s as Python's urllib.parse.quote: bytes other than
 * A-Z a-z 0-9 "_.-~" (and '/' when keep_slash) become %XX (upper case).
 * keep_slash = 1 for file paths, 0 for revisions ("refs%2Fpr%2F1").
 */
int	 hubname_quote(const char *s, int keep_slash, char *out,
	    size_t outlen);

/*
 * Copies untrusted text (a name or a header the hub sent) into dst for a
 * message, each control character (DEL included) replaced with '?' and
 * the text cut to fit.  Returns dst; dst is untouched when dstlen is 0.
 */
char	*hubname_clean(char *dst, size_t dstlen, const char *src);

#endif
