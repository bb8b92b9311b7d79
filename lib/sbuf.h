#ifndef MM_SBUF_H
#define MM_SBUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A growing NUL-terminated string.  Start from SBUF_INIT; nomem latches the
 * first allocation failure, after which appends do nothing, so callers
 * check once at the end (sbuf_finish).
 */
struct sbuf {
	char		*s;
	size_t		 len;
	size_t		 cap;
	bool		 nomem;
};

#define SBUF_INIT	{ NULL, 0, 0, false }

void	 sbuf_add(struct sbuf *b, const char *s, size_t n);
void	 sbuf_adds(struct sbuf *b, const char *s);
/* The string (malloc'd, "" when nothing was added; the caller frees it),
 * or NULL after an allocation failure (the buffer is then freed). */
char	*sbuf_finish(struct sbuf *b);

#endif
