/*
 * A pull reader of one page of the Hub's tree listing: a small JSON
 * tokenizer over a fixed buffer that keeps only the members a download
 * needs (type, path, size, oid, lfs.oid, lfs.size, xetHash) and skips the
 * rest without storing it, so a page of any size costs the same memory.
 * Duplicate members: the last one wins, as in Python's json.
 */
#include <errno.h>
#include <string.h>

#include "hubtree.h"

#define TWO53	9007199254740992ULL	/* 2^53, JSON's exact integers */

/* Where a string value goes: max bytes plus a NUL, or nowhere (s NULL). */
struct tstr {
	char	*s;
	size_t	 max;
	size_t	 len;
	int	 bad;		/* too long, or an escaped NUL */
};

/* The next byte without taking it, or -1 at the end or after an error. */
static int
tpeek(struct hubtree *t)
{
	long	 n;

	if (t->pos == t->len && !t->eof) {
		t->pos = t->len = 0;
		if ((n = t->read(t->arg, t->buf, sizeof(t->buf))) <= 0) {
			t->eof = 1;
			if (n < 0)
				t->rerr = errno != 0 ? errno : EIO;
		} else
			t->len = (size_t)n;
	}
	return t->pos < t->len ? (unsigned char)t->buf[t->pos] : -1;
}

/* The next byte, taken, or -1. */
static int
tget(struct hubtree *t)
{
	int	 c = tpeek(t);

	if (c != -1)
		t->pos++;
	return c;
}

/* The next byte after white space, not taken. */
static int
tws(struct hubtree *t)
{
	int	 c;

	while ((c = tpeek(t)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		t->pos++;
	return c;
}

/* Takes the byte c after white space: 0, or -1 if another comes. */
static int
texpect(struct hubtree *t, int c)
{

	if (tws(t) != c)
		return -1;
	t->pos++;
	return 0;
}

static void
str_put(struct tstr *o, const char *b, size_t n)
{

	if (o->s == NULL || o->bad)
		return;
	if (o->len + n > o->max) {
		o->bad = 1;
		return;
	}
	memcpy(o->s + o->len, b, n);
	o->len += n;
	o->s[o->len] = '\0';
}

/* Four hex digits of a \u escape into *v: 0, or -1. */
static int
str_hex4(struct hubtree *t, unsigned *v)
{
	int	 i, c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = tget(t);
		if (c >= '0' && c <= '9')
			*v = *v * 16 + (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*v = *v * 16 + (unsigned)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

/* Code point cp as UTF-8 into o; NUL and lone surrogates make it bad. */
static void
str_utf8(struct tstr *o, unsigned cp)
{
	char	 b[4];

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
		o->bad = 1;
	else if (cp < 0x80)
		b[0] = (char)cp, str_put(o, b, 1);
	else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		str_put(o, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		str_put(o, b, 3);
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		str_put(o, b, 4);
	}
}

/* A \u escape (the "\u" taken), with a surrogate pair's second half. */
static int
str_unicode(struct hubtree *t, struct tstr *o)
{
	unsigned	 hi, lo;

	if (str_hex4(t, &hi) == -1)
		return -1;
	if (hi >= 0xd800 && hi <= 0xdbff && tpeek(t) == '\\') {
		t->pos++;
		if (tget(t) != 'u' || str_hex4(t, &lo) == -1)
			return -1;
		if (lo >= 0xdc00 && lo <= 0xdfff)
			hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
		else {
			str_utf8(o, hi);	/* lone: bad */
			hi = lo;
		}
	}
	str_utf8(o, hi);
	return 0;
}

/* One escape (the '\' taken): 0, or -1 on bad syntax. */
static int
str_escape(struct hubtree *t, struct tstr *o)
{
	static const char	 from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char		*p;
	int			 c = tget(t);

	if (c == 'u')
		return str_unicode(t, o);
	if (c <= 0 || (p = strchr(from, c)) == NULL)
		return -1;
	str_put(o, &to[p - from], 1);
	return 0;
}

/* A string (its opening '"' next) into o: 0, or -1 on bad syntax. */
static int
tstring(struct hubtree *t, struct tstr *o)
{
	char	 ch;
	int	 c;

	o->len = 0;
	o->bad = 0;
	if (o->s != NULL)
		o->s[0] = '\0';
	if (texpect(t, '"') == -1)
		return -1;
	while ((c = tget(t)) != '"') {
		if (c < 0x20)		/* the end, or a raw control byte */
			return -1;
		if (c == '\\') {
			if (str_escape(t, o) == -1)
				return -1;
			continue;
		}
		ch = (char)c;
		str_put(o, &ch, 1);
	}
	return 0;
}

/* Takes a run of digits; their count.  *v saturates past 2^53. */
static int
tdigits(struct hubtree *t, uint64_t *v)
{
	int	 c, n = 0;

	while ((c = tpeek(t)) >= '0' && c <= '9') {
		t->pos++;
		n++;
		if (*v <= TWO53)
			*v = *v * 10 + (uint64_t)(c - '0');
	}
	return n;
}

/*
 * A JSON number: 0 and *v when it is an integer in [0, 2^53] (*exact set),
 * 0 with *exact clear for any other number, -1 on bad syntax.
 */
static int
tnumber(struct hubtree *t, uint64_t *v, int *exact)
{
	uint64_t	 junk = 0;
	int		 neg = 0, lead, n;

	*v = 0;
	*exact = 0;
	if (tws(t) == '-')
		neg = 1, t->pos++;
	lead = tpeek(t);
	if ((n = tdigits(t, v)) == 0 || (lead == '0' && n > 1))
		return -1;
	*exact = !neg && *v <= TWO53;
	if (tpeek(t) == '.') {
		t->pos++;
		*exact = 0;
		if (tdigits(t, &junk) == 0)
			return -1;
	}
	if ((tpeek(t) | 0x20) == 'e') {
		t->pos++;
		*exact = 0;
		if (tpeek(t) == '+' || tpeek(t) == '-')
			t->pos++;
		if (tdigits(t, &junk) == 0)
			return -1;
	}
	return 0;
}

/* The literal word (true, false, null) next: 0, or -1. */
static int
tliteral(struct hubtree *t, const char *word)
{

	tws(t);
	for (; *word != '\0'; word++)
		if (tget(t) != *word)
			return -1;
	return 0;
}

static int	tskip(struct hubtree *, int);

/* The members or elements of a container (its opener taken) up to close. */
static int
tskip_items(struct hubtree *t, int close, int depth)
{
	struct tstr	 none = { NULL, 0, 0, 0 };

	if (tws(t) == close) {
		t->pos++;
		return 0;
	}
	for (;;) {
		if (close == '}' && (tstring(t, &none) == -1 ||
		    texpect(t, ':') == -1))
			return -1;
		if (tskip(t, depth) == -1)
			return -1;
		if (texpect(t, ',') == 0)
			continue;
		return texpect(t, close);
	}
}

/* Skips any value, containers at most HUBTREE_DEPTH_MAX deep. */
static int
tskip(struct hubtree *t, int depth)
{
	struct tstr	 none = { NULL, 0, 0, 0 };
	uint64_t	 v;
	int		 c = tws(t), exact;

	if (c == '"')
		return tstring(t, &none);
	if (c == '{' || c == '[') {
		if (depth >= HUBTREE_DEPTH_MAX)
			return -1;
		t->pos++;
		return tskip_items(t, c == '{' ? '}' : ']', depth + 1);
	}
	if (c == 't')
		return tliteral(t, "true");
	if (c == 'f')
		return tliteral(t, "false");
	if (c == 'n')
		return tliteral(t, "null");
	return tnumber(t, &v, &exact);
}

/* A string member into buf (max bytes): sets flag when it fits. */
static int
member_str(struct hubtree *t, char *buf, size_t max, unsigned flag)
{
	struct tstr	 o = { buf, max, 0, 0 };

	t->e.flags &= ~flag;
	if (tws(t) != '"')
		return tskip(t, 1);
	if (tstring(t, &o) == -1)
		return -1;
	if (!o.bad)
		t->e.flags |= flag;
	return 0;
}

/* An integer member into *v: sets flag when it is one in [0, 2^53]. */
static int
member_size(struct hubtree *t, uint64_t *v, unsigned flag)
{
	int	 c = tws(t), exact;

	t->e.flags &= ~flag;
	if (c != '-' && (c < '0' || c > '9'))
		return tskip(t, 1);
	if (tnumber(t, v, &exact) == -1)
		return -1;
	if (exact)
		t->e.flags |= flag;
	return 0;
}

static int	member(struct hubtree *, int);

/* The members of an object (its '{' next); lfs: the entry's "lfs". */
static int
tobject(struct hubtree *t, int lfs)
{

	if (texpect(t, '{') == -1)
		return -1;
	if (tws(t) == '}') {
		t->pos++;
		return 0;
	}
	do {
		if (member(t, lfs) == -1)
			return -1;
	} while (texpect(t, ',') == 0);
	return texpect(t, '}');
}

/* "type": "file" sets HUBTREE_FILE; any string HUBTREE_TYPED. */
static int
member_type(struct hubtree *t)
{
	char	 type[16];

	if (member_str(t, type, sizeof(type) - 1, HUBTREE_TYPED) == -1)
		return -1;
	if ((t->e.flags & HUBTREE_TYPED) && strcmp(type, "file") == 0)
		t->e.flags |= HUBTREE_FILE;
	else
		t->e.flags &= ~HUBTREE_FILE;
	return 0;
}

/* "lfs": an object (HUBTREE_LFS), or anything else (null: not LFS). */
static int
member_lfs(struct hubtree *t)
{

	t->e.flags &= ~(HUBTREE_LFS | HUBTREE_LFS_OID | HUBTREE_LFS_SIZE);
	if (tws(t) != '{')
		return tskip(t, 1);
	t->e.flags |= HUBTREE_LFS;
	return tobject(t, 1);
}

/* One member of an object: "key": value. */
static int
member(struct hubtree *t, int lfs)
{
	struct hubtree_entry	*e = &t->e;
	char			 key[16];
	struct tstr		 k = { key, sizeof(key) - 1, 0, 0 };

	if (tstring(t, &k) == -1 || texpect(t, ':') == -1)
		return -1;
	if (k.bad)
		return tskip(t, 1);
	if (lfs && strcmp(key, "oid") == 0)
		return member_str(t, e->lfs_oid, 64, HUBTREE_LFS_OID);
	if (lfs && strcmp(key, "size") == 0)
		return member_size(t, &e->lfs_size, HUBTREE_LFS_SIZE);
	if (lfs)
		return tskip(t, 2);
	if (strcmp(key, "path") == 0)
		return member_str(t, e->path, HUBNAME_PATH_MAX, HUBTREE_PATH);
	if (strcmp(key, "oid") == 0)
		return member_str(t, e->oid, 64, HUBTREE_OID);
	if (strcmp(key, "size") == 0)
		return member_size(t, &e->size, HUBTREE_SIZE);
	if (strcmp(key, "xetHash") == 0)
		return member_str(t, e->xet, HUBTREE_XET_MAX, HUBTREE_XET);
	if (strcmp(key, "type") == 0)
		return member_type(t);
	if (strcmp(key, "lfs") == 0)
		return member_lfs(t);
	return tskip(t, 1);
}

/* The array's elements, its '[' taken. */
static enum err
telements(struct hubtree *t, enum err (*cb)(void *,
    const struct hubtree_entry *), void *cbarg)
{
	enum err	 rc;

	if (tws(t) == ']') {
		t->pos++;
		return ERR_OK;
	}
	do {
		t->e.flags = 0;
		if (tobject(t, 0) == -1)
			return ERR_UPSTREAM;
		if ((rc = cb(cbarg, &t->e)) != ERR_OK)
			return rc;
	} while (texpect(t, ',') == 0);
	return texpect(t, ']') == -1 ? ERR_UPSTREAM : ERR_OK;
}

enum err
hubtree_parse(struct hubtree *t, long (*read)(void *, char *, size_t),
    void *arg, enum err (*cb)(void *, const struct hubtree_entry *),
    void *cbarg)
{
	enum err	 rc;

	t->read = read;
	t->arg = arg;
	t->pos = t->len = 0;
	t->eof = t->rerr = 0;
	if (texpect(t, '[') == 0) {
		rc = telements(t, cb, cbarg);
		if (rc == ERR_OK && tws(t) != -1)
			rc = ERR_UPSTREAM;	/* bytes after the array */
	} else
		rc = ERR_UPSTREAM;
	if (t->rerr != 0 && (rc == ERR_OK || rc == ERR_UPSTREAM))
		rc = ERR_IO;
	return rc;
}

/* The members of the top-level object: key's string value into out. */
static int
tmembers(struct hubtree *t, const char *key, struct tstr *o)
{
	char		 k[32];
	struct tstr	 ks = { k, sizeof(k) - 1, 0, 0 };

	if (texpect(t, '{') == -1)
		return -1;
	if (tws(t) == '}')
		return tget(t) == '}' ? 0 : -1;
	do {
		if (tstring(t, &ks) == -1 || texpect(t, ':') == -1)
			return -1;
		if (!ks.bad && strcmp(k, key) == 0 && tws(t) == '"') {
			if (tstring(t, o) == -1)
				return -1;
		} else if (tskip(t, 1) == -1)
			return -1;
	} while (texpect(t, ',') == 0);
	return texpect(t, '}');
}

enum err
hubtree_member(struct hubtree *t, long (*read)(void *, char *, size_t),
    void *arg, const char *key, char *out, size_t max)
{
	struct tstr	 o = { out, max, 0, 0 };
	int		 r;

	t->read = read;
	t->arg = arg;
	t->pos = t->len = 0;
	t->eof = t->rerr = 0;
	out[0] = '\0';
	r = tmembers(t, key, &o);
	if (o.bad)
		out[0] = '\0';
	if (t->rerr != 0)
		return ERR_IO;
	return r == -1 || tws(t) != -1 ? ERR_UPSTREAM : ERR_OK;
}
