#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "sbuf.h"

void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{

	if (b->nomem)
		return;
	if (n >= SBUF_MAX - b->len || array_grow(&b->s, &b->cap,
	    b->len + n + 1, 1, SBUF_MAX) != ERR_OK) {
		b->nomem = true;
		return;
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
