#ifndef MM_SBUF_H
#define MM_SBUF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A growing NUL-terminated string of at most max bytes (its NUL
 * included): SBUF_MAX from SBUF_INIT, or m from SBUF_INIT_MAX(m), m >= 1.
 * failed latches the first failure (out of memory, or an append past max,
 * which also sets toobig), after which appends do nothing, so callers
 * check once at the end (sbuf_finish).
 */

#define SBUF_MAX	(64 * 1024 * 1024)

struct sbuf {
	char		*s;
	size_t		 len;
	size_t		 cap;
	size_t		 max;
	bool		 failed;
	bool		 toobig;
};

#define SBUF_INIT_MAX(m)	{ NULL, 0, 0, (m), false, false }
#define SBUF_INIT		SBUF_INIT_MAX(SBUF_MAX)

/* Appends n bytes of s. */
void	 sbuf_add(struct sbuf *b, const char *s, size_t n);
/*
 * Appends size * n bytes of data to the sbuf arg, in the shape of a
 * libcurl CURLOPT_WRITEFUNCTION (CURLOPT_WRITEDATA being the sbuf).
 * Returns size * n, or 0 once b failed, which makes libcurl stop.
 */
size_t	 sbuf_write_cb(char *data, size_t size, size_t n, void *arg);
/* Empties b and clears its failure, keeping its memory and its max. */
void	 sbuf_reset(struct sbuf *b);
/* Appends the string s. */
void	 sbuf_adds(struct sbuf *b, const char *s);
/* The string (malloc'd, "" when nothing was added; the caller frees it),
 * or NULL after a failure (the buffer is then freed). */
char	*sbuf_finish(struct sbuf *b);

#endif
