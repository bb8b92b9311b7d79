#ifndef MM_SBUF_H
#define MM_SBUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A growing NUL-terminated string of at most SBUF_MAX bytes (its NUL
 * included).  Start from SBUF_INIT; nomem latches the first failure (out
 * of memory, or an append past SBUF_MAX), after which appends do nothing,
 * so callers check once at the end (sbuf_finish).
 */

#define SBUF_MAX	(64 * 1024 * 1024)

struct sbuf {
	char		*s;
	size_t		 len;
	size_t		 cap;
	bool		 nomem;
};

#define SBUF_INIT	{ NULL, 0, 0, false }

/* Appends n bytes of s. */
void	 sbuf_add(struct sbuf *b, const char *s, size_t n);
/* Appends the string s. */
void	 sbuf_adds(struct sbuf *b, const char *s);
/* The string (malloc'd, "" when nothing was added; the caller frees it),
 * or NULL after a failure (the buffer is then freed). */
char	*sbuf_finish(struct sbuf *b);

#endif
