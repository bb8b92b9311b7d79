#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hfrefs.h"
#include "sbuf.h"

size_t
hfrefs_newlines(char *buf, size_t len)
{
	size_t	 i, j;

	for (i = j = 0; i < len; i++) {
		if (buf[i] == '\r') {
			buf[j++] = '\n';
			if (i + 1 < len && buf[i + 1] == '\n')
				i++;
		} else
			buf[j++] = buf[i];
	}
	return j;
}

/* The escape of ch inside a repr quoted with q, in esc; 0 if none. */
static size_t
pyrepr_escape(unsigned char ch, char q, char esc[4])
{
	static const char	 hex[] = "0123456789abcdef";

	esc[0] = '\\';
	if (ch == (unsigned char)q || ch == '\\') {
		esc[1] = (char)ch;
		return 2;
	}
	if (ch == '\n' || ch == '\r' || ch == '\t') {
		esc[1] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
		return 2;
	}
	if (ch < 0x20 || ch == 0x7f) {
		esc[1] = 'x';
		esc[2] = hex[ch >> 4];
		esc[3] = hex[ch & 0xf];
		return 4;
	}
	return 0;
}

/* Python's repr() of a str (bytes >= 0x80 are copied as they are). */
static void
pyrepr(struct sbuf *sb, const char *s, size_t len)
{
	char	 q = '\'', esc[4];
	size_t	 i, n;

	if (memchr(s, '\'', len) != NULL && memchr(s, '"', len) == NULL)
		q = '"';
	sbuf_add(sb, &q, 1);
	for (i = 0; i < len; i++) {
		if ((n = pyrepr_escape((unsigned char)s[i], q, esc)) > 0)
			sbuf_add(sb, esc, n);
		else
			sbuf_add(sb, s + i, 1);
	}
	sbuf_add(sb, &q, 1);
}

static int
cmp_str(const void *a, const void *b)
{

	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_ref(const void *a, const void *b)
{

	return strcmp(((const struct hfref *)a)->name,
	    ((const struct hfref *)b)->name);
}

/* Whether r names one of the sorted revs. */
static bool
ref_known(const struct hfref *r, char **revs, size_t nrevs)
{
	const char	*key = r->commit;

	if (memchr(r->commit, '\0', r->commitlen) != NULL)
		return false;
	return bsearch(&key, revs, nrevs, sizeof(*revs), cmp_str) != NULL;
}

bool
hfrefs_is_commit(const char *s, size_t len)
{
	size_t	 i;

	if (len != HFREFS_COMMIT_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Whether a and b are shown under one key: the same commit hash, or
 * both something else (never quoted). */
static bool
same_commit(const struct hfref *a, const struct hfref *b)
{
	bool	 ca = hfrefs_is_commit(a->commit, a->commitlen);

	if (ca != hfrefs_is_commit(b->commit, b->commitlen))
		return false;
	return !ca || memcmp(a->commit, b->commit, a->commitlen) == 0;
}

/* The key of r's group: its commit hash, or a placeholder for any other
 * content, which may be anything a ref was made to point at. */
static void
add_key(struct sbuf *sb, const struct hfref *r)
{

	if (hfrefs_is_commit(r->commit, r->commitlen))
		pyrepr(sb, r->commit, r->commitlen);
	else
		sbuf_adds(sb, HFREFS_NOT_COMMIT);
}

/*
 * Appends "commit: {ref, ...}" for refs[i] and every later ref not done yet
 * with the same commit, marking them done.
 */
static void
add_group(struct sbuf *sb, const struct hfref *refs, size_t nrefs,
    bool *done, size_t i)
{
	size_t	 j;

	add_key(sb, &refs[i]);
	sbuf_add(sb, ": {", 3);
	for (j = i; j < nrefs; j++) {
		if (done[j] || !same_commit(&refs[j], &refs[i]))
			continue;
		if (j != i)
			sbuf_add(sb, ", ", 2);
		pyrepr(sb, refs[j].name, strlen(refs[j].name));
		done[j] = true;
	}
	sbuf_add(sb, "}", 1);
}

enum err
hfrefs_missing(struct hfref *refs, size_t nrefs, char **revs, size_t nrevs,
    char **out)
{
	struct sbuf	 sb = SBUF_INIT;
	bool		*done;
	size_t		 i, nmiss = 0;

	*out = NULL;
	if (nrefs == 0)
		return ERR_OK;
	qsort(revs, nrevs, sizeof(*revs), cmp_str);
	qsort(refs, nrefs, sizeof(*refs), cmp_ref);
	if ((done = calloc(nrefs, sizeof(*done))) == NULL)
		return ERR_NOMEM;
	for (i = 0; i < nrefs; i++)
		if (!(done[i] = ref_known(&refs[i], revs, nrevs)))
			nmiss++;
	if (nmiss > 0) {
		sbuf_add(&sb, "{", 1);
		for (i = 0; i < nrefs; i++) {
			if (done[i])
				continue;
			if (sb.len > 1)
				sbuf_add(&sb, ", ", 2);
			add_group(&sb, refs, nrefs, done, i);
		}
		sbuf_add(&sb, "}", 1);
		*out = sbuf_finish(&sb);
	}
	free(done);
	return nmiss > 0 && *out == NULL ? ERR_NOMEM : ERR_OK;
}
