#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	char	*p;
	size_t	 cap;

	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 64 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->nomem = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
sbuf_adds(struct sbuf *b, const char *s)
{

	sbuf_add(b, s, strlen(s));
}

char *
sbuf_finish(struct sbuf *b)
{

	if (b->nomem) {
		free(b->s);
		b->s = NULL;
		return NULL;
	}
	if (b->s == NULL)
		return strdup("");
	return b->s;
}
