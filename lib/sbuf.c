#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "sbuf.h"

void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{

	if (b->failed)
		return;
	if (n >= b->max - b->len) {
		b->failed = b->toobig = true;
		return;
	}
	if (array_grow(&b->s, &b->cap, b->len + n + 1, 1, b->max) != ERR_OK) {
		b->failed = true;
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

size_t
sbuf_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct sbuf	*b = arg;

	sbuf_add(b, data, size * n);
	return b->failed ? 0 : size * n;
}

void
sbuf_reset(struct sbuf *b)
{

	b->len = 0;
	b->failed = b->toobig = false;
	if (b->s != NULL)
		b->s[0] = '\0';
}

char *
sbuf_finish(struct sbuf *b)
{

	if (b->failed) {
		free(b->s);
		b->s = NULL;
		return NULL;
	}
	if (b->s == NULL)
		return strdup("");
	return b->s;
}
