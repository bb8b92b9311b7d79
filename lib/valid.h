#ifndef MM_VALID_H
#define MM_VALID_H

#include <stddef.h>

/*
 * Pure validators for input at the HTTP edge: no I/O, no globals.  Each
 * returns 0 on success and -1 on invalid input unless said otherwise.
 */

/* Booleans as the reference (pydantic) accepts them, case-insensitively:
 * true/false, 1/0, yes/no, on/off, t/f, y/n. */
int	 valid_bool(const char *s, int *out);

/*
 * A UUID in any form pydantic accepts (hyphenated, 32 hex digits,
 * "urn:uuid:" prefix, braces; either case).  On success writes the
 * canonical lowercase hyphenated form (36 chars + NUL) into canon.  On
 * failure writes pydantic's reason (e.g. "invalid length: expected length
 * 32 for simple format, found 3") into reason.
 */
int	 valid_uuid(const char *s, char canon[37], char *reason,
	    size_t reasonlen);

/* An incoming X-Correlation-ID: [A-Za-z0-9._-]{1,64}. */
int	 valid_correlation_id(const char *s);

/* A HuggingFace repo id (HF-HUB.md section 2): 1-96 of [A-Za-z0-9._-],
 * "name" or "ns/name", no "--" or "..", not ending in ".git". */
int	 valid_repo_id(const char *s);

/* Strict UTF-8 (no overlongs, no surrogates, no NUL). */
int	 valid_utf8(const char *s, size_t len);

/*
 * A copy of s where every byte sequence that is not valid UTF-8 becomes
 * U+FFFD, as Starlette decodes a query string.  malloc'd; NULL on
 * out-of-memory.
 */
char	*valid_utf8_clean(const char *s);

/*
 * A parsed query string.  Pairs keep their order; names and values are
 * percent-decoded ('+' is a space) and NUL-terminated; a value may still
 * hold bytes that are not UTF-8 (callers check what they use).
 */
struct query_param {
	char	*name;
	char	*value;
};
struct query {
	struct query_param	*params;
	size_t			 n;
};

/*
 * Parses qs (may be NULL or "").  Fails (-1) on more than maxparams pairs,
 * a decoded name or value containing NUL (%00), or out-of-memory.  Free
 * with query_free().
 */
int	 query_parse(const char *qs, size_t maxparams, struct query *out);
/* The value of the LAST pair named name (Starlette's rule), or NULL. */
const char *query_get(const struct query *q, const char *name);
/* Accepts a zeroed struct; leaves it zeroed. */
void	 query_free(struct query *q);

#endif
