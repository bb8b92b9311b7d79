/*
 * Pure validators for input at the HTTP edge (see valid.h).  Every
 * function here is free of I/O and globals so that it can be unit-tested
 * and fuzzed on its own.  Character classes are ASCII-only on purpose:
 * the C library's ctype functions depend on the locale.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "valid.h"

#define CORRID_MAX	64
#define REPO_PART_MAX	96

static int
is_alnum(unsigned char c)
{

	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

/* ASCII-only case-insensitive equality (strcasecmp follows the locale). */
static int
ascii_caseeq(const char *a, const char *b)
{
	unsigned char	 x, y;

	for (;; a++, b++) {
		x = (unsigned char)*a;
		y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x = x - 'A' + 'a';
		if (y >= 'A' && y <= 'Z')
			y = y - 'A' + 'a';
		if (x != y)
			return 0;
		if (x == '\0')
			return 1;
	}
}

int
valid_bool(const char *s, int *out)
{
	static const char *const falses[] = { "0", "off", "f", "false", "n",
	    "no" };
	static const char *const trues[] = { "1", "on", "t", "true", "y",
	    "yes" };
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(falses) / sizeof(falses[0]); i++) {
		if (ascii_caseeq(s, falses[i])) {
			*out = 0;
			return 0;
		}
		if (ascii_caseeq(s, trues[i])) {
			*out = 1;
			return 0;
		}
	}
	return -1;
}

/*
 * Length of the well-formed UTF-8 sequence at p (at most avail bytes), or
 * 0 if it is malformed: truncated, a stray continuation byte, an overlong
 * form, a surrogate, above U+10FFFF, or NUL.
 */
static size_t
utf8_seqlen(const unsigned char *p, size_t avail)
{
	uint32_t	 cp;
	size_t		 n, k;

	if (p[0] == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
valid_utf8(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n;

	for (i = 0; i < len; i += n)
		if ((n = utf8_seqlen(p + i, len - i)) == 0)
			return -1;
	return 0;
}

/*
 * UUIDs.  pydantic hands strings to the Rust uuid crate (1.x,
 * Uuid::parse_str): a fast path accepts exactly four shapes, and only
 * when it fails is the input re-scanned to explain why.  uuid_reason()
 * follows that second scan step by step, including its quirks (byte
 * positions are 1-based and count the prefix; groups are numbered from
 * 0; a wrong last group is measured against the whole input).
 */
static const size_t	 uuid_dashes[4] = { 8, 13, 18, 23 };
static const size_t	 uuid_starts[5] = { 0, 9, 14, 19, 24 };
static const size_t	 uuid_glens[5] = { 8, 4, 4, 4, 12 };

/* 32 hex digits into 16 bytes. */
static int
uuid_simple(const char *s, unsigned char out[16])
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < 16; i++) {
		hi = hex_digit((unsigned char)s[2 * i]);
		lo = hex_digit((unsigned char)s[2 * i + 1]);
		if (hi == -1 || lo == -1)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* 36 characters 8-4-4-4-12 into 16 bytes. */
static int
uuid_hyphenated(const char *s, unsigned char out[16])
{
	char	 hex[32];
	size_t	 i, n = 0, d = 0;

	for (i = 0; i < 36; i++) {
		if (d < 4 && i == uuid_dashes[d]) {
			if (s[i] != '-')
				return -1;
			d++;
		} else
			hex[n++] = s[i];
	}
	return uuid_simple(hex, out);
}

/* The fast path: simple, hyphenated, braced or URN, nothing else. */
static int
uuid_parse(const char *s, size_t len, unsigned char out[16])
{

	if (len == 32)
		return uuid_simple(s, out);
	if (len == 36)
		return uuid_hyphenated(s, out);
	if (len == 38 && s[0] == '{' && s[37] == '}')
		return uuid_hyphenated(s + 1, out);
	if (len == 45 && strncmp(s, "urn:uuid:", 9) == 0)
		return uuid_hyphenated(s + 9, out);
	return -1;
}

/* The UUID inside a "{...}" or "urn:uuid:" wrapper into *u and *ulen
 * (s itself without one).  Returns 1 if there was no wrapper (the simple
 * format is then possible), else 0. */
static int
uuid_unwrap(const char *s, size_t len, const char **u, size_t *ulen)
{

	*u = s;
	*ulen = len;
	if (len >= 2 && s[0] == '{' && s[len - 1] == '}') {
		*u = s + 1;
		*ulen = len - 2;
		return 0;
	}
	if (strncmp(s, "urn:uuid:", 9) == 0) {
		*u = s + 9;
		*ulen = len - 9;
		return 0;
	}
	return 1;
}

/*
 * Scans the ulen characters of u: the positions of the first four hyphens
 * go into bounds and their number into *hyphens.  Returns -1, with the
 * reason written, at the first character that is neither a hyphen nor a
 * hex digit; else 0.
 */
static int
uuid_scan(const char *u, size_t ulen, size_t bounds[4], size_t *hyphens,
    char *reason, size_t reasonlen)
{
	size_t	 i, n;

	*hyphens = 0;
	for (i = 0; i < ulen; i++) {
		if (u[i] == '-') {
			if (*hyphens < 4)
				bounds[*hyphens] = i;
			(*hyphens)++;
		} else if (hex_digit((unsigned char)u[i]) == -1) {
			n = utf8_seqlen((const unsigned char *)u + i, ulen - i);
			/* pydantic >= 2.10 text; the position does not
			 * count a urn: or brace prefix. */
			snprintf(reason, reasonlen, "invalid character: "
			    "found `%.*s` at %zu", (int)n, u + i, i + 1);
			return -1;
		}
	}
	return 0;
}

/* Explains why uuid_parse() rejected s, in the crate's words. */
static void
uuid_reason(const char *s, size_t len, char *reason, size_t reasonlen)
{
	const char	*u;
	size_t		 ulen, hyphens, bounds[4], i, n;
	int		 simple;

	if (valid_utf8(s, len) == -1) {
		snprintf(reason, reasonlen, "non-UTF8 input");
		return;
	}
	simple = uuid_unwrap(s, len, &u, &ulen);
	if (uuid_scan(u, ulen, bounds, &hyphens, reason, reasonlen) == -1)
		return;
	if (hyphens == 0 && simple)
		snprintf(reason, reasonlen, "invalid length: expected length "
		    "32 for simple format, found %zu", len);
	else if (hyphens != 4)
		snprintf(reason, reasonlen,
		    "invalid group count: expected 5, found %zu", hyphens + 1);
	else {
		for (i = 0; i < 4; i++)
			if (bounds[i] != uuid_starts[i + 1] - 1)
				break;
		n = i < 4 ? bounds[i] - uuid_starts[i] : len - uuid_starts[4];
		snprintf(reason, reasonlen, "invalid group length in group "
		    "%zu: expected %zu, found %zu", i, uuid_glens[i], n);
	}
}

int
valid_uuid(const char *s, char canon[37], char *reason, size_t reasonlen)
{
	unsigned char	 b[16];
	size_t		 len;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	len = strlen(s);
	if (uuid_parse(s, len, b) == -1) {
		if (reason != NULL && reasonlen > 0)
			uuid_reason(s, len, reason, reasonlen);
		return -1;
	}
	snprintf(canon, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int
valid_correlation_id(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == CORRID_MAX)
			return -1;
		if (!is_alnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return -1;
	}
	return i == 0 ? -1 : 0;
}

/* A word character of Python's \w, ASCII only. */
static int
is_word(unsigned char c)
{

	return is_alnum(c) || c == '_';
}

/*
 * One side of a repo id: \b[\w\-.]+\b, so it starts and ends with a word
 * character.  huggingface_hub bounds only the name (1-96); we bound the
 * namespace as well, so that "<type>s--ns--name" stays a legal file name.
 */
static int
repo_part_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > REPO_PART_MAX)
		return 0;
	if (!is_word((unsigned char)s[0]) || !is_word((unsigned char)s[len - 1]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_word((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

int
valid_repo_id(const char *s)
{
	const char	*slash, *name = s;
	size_t		 len = strlen(s);

	if ((slash = strchr(s, '/')) != NULL) {
		if (strchr(slash + 1, '/') != NULL ||
		    !repo_part_ok(s, (size_t)(slash - s)))
			return -1;
		name = slash + 1;
	}
	if (!repo_part_ok(name, strlen(name)))
		return -1;
	if (strstr(s, "--") != NULL || strstr(s, "..") != NULL)
		return -1;
	if (len >= 4 && strcmp(s + len - 4, ".git") == 0)
		return -1;
	return 0;
}

/*
 * Percent-decodes n bytes of src into dst as Python's unquote_plus does:
 * '+' is a space, %XX (either case) is a byte, any other '%' is kept.
 * NUL-terminates dst.  Returns -1 if a %00 decodes to NUL.
 */
static int
query_decode(const char *src, size_t n, char *dst)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (src[i] == '+') {
			*dst++ = ' ';
			continue;
		}
		if (src[i] == '%' && i + 2 < n &&
		    (hi = hex_digit((unsigned char)src[i + 1])) != -1 &&
		    (lo = hex_digit((unsigned char)src[i + 2])) != -1) {
			if (hi == 0 && lo == 0)
				return -1;
			*dst++ = (char)(hi << 4 | lo);
			i += 2;
			continue;
		}
		*dst++ = src[i];
	}
	*dst = '\0';
	return 0;
}

/* Number of non-empty '&'-separated pairs in qs. */
static size_t
query_count(const char *qs)
{
	size_t	 n = 0;
	size_t	 seg;

	for (;;) {
		seg = strcspn(qs, "&");
		if (seg > 0)
			n++;
		if (qs[seg] == '\0')
			return n;
		qs += seg + 1;
	}
}

/* Decodes the pair "name[=value]" of length seg into p, text at *bufp. */
static int
query_pair(const char *pair, size_t seg, struct query_param *p, char **bufp)
{
	const char	*eq;
	size_t		 nlen;

	eq = memchr(pair, '=', seg);
	nlen = eq != NULL ? (size_t)(eq - pair) : seg;
	p->name = *bufp;
	if (query_decode(pair, nlen, p->name) == -1)
		return -1;
	p->value = p->name + strlen(p->name) + 1;
	if (eq == NULL)
		p->value[0] = '\0';
	else if (query_decode(eq + 1, seg - nlen - 1, p->value) == -1)
		return -1;
	*bufp = p->value + strlen(p->value) + 1;
	return 0;
}

/*
 * One allocation for the n pairs of qs and their text: the array first,
 * then the decoded strings, which never outgrow the raw pair plus two
 * NULs.  *buf is where the text starts.  NULL on overflow or OOM.
 */
static struct query_param *
query_alloc(const char *qs, size_t n, char **buf)
{
	struct query_param	*params;
	size_t			 len = strlen(qs);

	if (n > (SIZE_MAX - len - 1) / (sizeof(*params) + 2))
		return NULL;
	if ((params = malloc(n * (sizeof(*params) + 2) + len + 1)) == NULL)
		return NULL;
	*buf = (char *)(params + n);
	return params;
}

int
query_parse(const char *qs, size_t maxparams, struct query *out)
{
	struct query_param	*params;
	char			*buf;
	size_t			 n, seg, i = 0;

	memset(out, 0, sizeof(*out));
	if (qs == NULL || (n = query_count(qs)) == 0)
		return 0;
	if (n > maxparams || (params = query_alloc(qs, n, &buf)) == NULL)
		return -1;
	for (;;) {
		seg = strcspn(qs, "&");
		if (seg > 0 && query_pair(qs, seg, &params[i++], &buf) == -1) {
			free(params);
			return -1;
		}
		if (qs[seg] == '\0')
			break;
		qs += seg + 1;
	}
	out->params = params;
	out->n = n;
	return 0;
}

const char *
query_get(const struct query *q, const char *name)
{
	size_t	 i;

	for (i = q->n; i > 0; i--)
		if (strcmp(q->params[i - 1].name, name) == 0)
			return q->params[i - 1].value;
	return NULL;
}

void
query_free(struct query *q)
{

	if (q == NULL)
		return;
	free(q->params);
	q->params = NULL;
	q->n = 0;
}

char *
valid_utf8_clean(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), i = 0, n;
	char			*out, *o;

	if ((out = o = malloc(len * 3 + 1)) == NULL)
		return NULL;
	while (i < len) {
		if ((n = utf8_seqlen(p + i, len - i)) == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(o, p + i, n);
		o += n;
		i += n;
	}
	*o = '\0';
	return out;
}
