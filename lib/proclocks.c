/*
 * /proc/locks, read-only.  A line looks like
 *   1: FLOCK  ADVISORY  WRITE 32538 fe:00:10952790 0 EOF
 *   2: -> FLOCK  ADVISORY  WRITE 32540 fe:00:10952790 0 EOF
 * (the second a waiter); the file is named by "major:minor:inode", the
 * device numbers in hex, the inode in decimal.
 */
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "fdio.h"
#include "hex.h"
#include "proclocks.h"

#define PROCLOCKS_MAX		(1u << 20)		/* locks kept */
#define PROCLOCKS_TEXT_MAX	(64u * 1024 * 1024)	/* bytes read */

/* Reads the hex digits of s[0..n) into *v; 0, or -1 if it is not one. */
static int
read_hex(const char *s, size_t n, unsigned *v)
{
	size_t	 i;
	int	 d;

	*v = 0;
	if (n == 0 || n > 7)
		return -1;
	for (i = 0; i < n; i++) {
		if ((d = hex_digit((unsigned char)s[i])) == -1)
			return -1;
		*v = *v * 16 + (unsigned)d;
	}
	return 0;
}

/* Reads the decimal digits of s[0..n) into *v; 0, or -1. */
static int
read_dec(const char *s, size_t n, unsigned long *v)
{
	size_t	 i;

	*v = 0;
	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	return 0;
}

/* Whether the token s[0..n) is "major:minor:inode"; then into *l. */
static int
parse_token(const char *s, size_t n, struct proclock *l)
{
	const char	*c1, *c2;

	if ((c1 = memchr(s, ':', n)) == NULL ||
	    (c2 = memchr(c1 + 1, ':', (size_t)(s + n - c1 - 1))) == NULL)
		return -1;
	if (read_hex(s, (size_t)(c1 - s), &l->major) == -1 ||
	    read_hex(c1 + 1, (size_t)(c2 - c1 - 1), &l->minor) == -1 ||
	    read_dec(c2 + 1, (size_t)(s + n - c2 - 1), &l->ino) == -1)
		return -1;
	return 0;
}

/* The file of the line s[0..n) into *l: its first token of that form. */
static int
parse_line(const char *s, size_t n, struct proclock *l)
{
	size_t	 i = 0, j;

	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		for (j = i; j < n && s[j] != ' '; j++)
			;
		if (j > i && parse_token(s + i, j - i, l) == 0)
			return 0;
		i = j;
	}
	return -1;
}

static int
cmp_lock(const void *a, const void *b)
{
	const struct proclock	*x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

enum err
proclocks_parse(const char *text, size_t len, struct proclocks *out)
{
	const char	*p = text, *end = text + len, *nl;
	struct proclock	 l;
	size_t		 cap = 0;

	memset(out, 0, sizeof(*out));
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (parse_line(p, (size_t)(nl - p), &l) == -1)
			continue;
		if (array_grow(&out->v, &cap, out->n + 1, sizeof(*out->v),
		    PROCLOCKS_MAX) != ERR_OK) {
			if (out->n < PROCLOCKS_MAX) {
				proclocks_free(out);
				return ERR_NOMEM;
			}
			out->failed = 1;	/* too many to tell */
			break;
		}
		out->v[out->n++] = l;
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_lock);
	return ERR_OK;
}

/* Reads the whole file fd (a /proc file: its size is unknown) into a
 * malloc'd buffer; NULL with errno set. */
static char *
read_all(int fd, size_t *len)
{
	char	*buf = NULL, *nb;
	size_t	 cap = 64 * 1024, got;

	*len = 0;
	for (;;) {
		if ((nb = realloc(buf, cap)) == NULL) {
			free(buf);
			return NULL;
		}
		buf = nb;
		if (fdio_read(fd, buf + *len, cap - *len, &got) == -1) {
			free(buf);
			return NULL;
		}
		*len += got;
		if (*len < cap || cap >= PROCLOCKS_TEXT_MAX)
			return buf;
		cap *= 2;
	}
}

enum err
proclocks_load(const char *path, struct proclocks *out)
{
	char		*text;
	size_t		 len;
	int		 fd;
	enum err	 e;

	memset(out, 0, sizeof(*out));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		out->failed = 1;
		return ERR_OK;
	}
	text = read_all(fd, &len);
	close(fd);
	if (text == NULL) {
		out->failed = 1;
		return errno == ENOMEM ? ERR_NOMEM : ERR_OK;
	}
	e = proclocks_parse(text, len, out);
	free(text);
	return e;
}

/* The index of the first lock on (dev, ino), or l->n. */
static size_t
find_lock(const struct proclocks *l, dev_t dev, ino_t ino)
{
	struct proclock	 key;
	size_t		 lo = 0, hi = l->n, mid;

	key.ino = (unsigned long)ino;
	while (lo < hi) {		/* the first entry with this inode */
		mid = lo + (hi - lo) / 2;
		if (cmp_lock(&l->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < l->n && l->v[lo].ino == key.ino; lo++)
		if (l->v[lo].major == major(dev) &&
		    l->v[lo].minor == minor(dev))
			return lo;
	return l->n;
}

int
proclocks_held(const struct proclocks *l, dev_t dev, ino_t ino)
{

	if (l == NULL || l->failed)
		return -1;
	return find_lock(l, dev, ino) < l->n;
}

void
proclocks_forget(struct proclocks *l, dev_t dev, ino_t ino)
{
	size_t	 i = find_lock(l, dev, ino);

	if (i >= l->n)
		return;
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
	l->n--;
}

void
proclocks_free(struct proclocks *l)
{

	free(l->v);
	memset(l, 0, sizeof(*l));
}
