/*
 * A YAML document tree built from libyaml's event parser by recursive
 * descent (the depth is bounded, so is the recursion).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "log.h"
#include "num.h"
#include "yamldoc.h"

struct pctx {
	yaml_parser_t	 p;
	const char	*name;
	size_t		 nodes;
	char		*errbuf;
	size_t		 errlen;
};

static enum err	 parse_node(struct pctx *, yaml_event_t *,
		    struct yamldoc_node *, unsigned);

static const char *const kind_strs[YAMLDOC__MAX] = {
	"scalar",		/* YAMLDOC_SCALAR */
	"mapping",		/* YAMLDOC_MAPPING */
	"sequence",		/* YAMLDOC_SEQUENCE */
};

const char *
yamldoc_kind_str(enum yamldoc_kind k)
{

	if ((unsigned)k >= YAMLDOC__MAX)
		return "node";
	return kind_strs[k];
}

/* Frees what n holds (not n itself) and zeroes it. */
static void
node_clear(struct yamldoc_node *n)
{
	size_t	 i;

	if (n->kind == YAMLDOC_MAPPING)
		for (i = 0; i < n->n; i++) {
			free(n->pairs[i].key);
			node_clear(&n->pairs[i].value);
		}
	else if (n->kind == YAMLDOC_SEQUENCE)
		for (i = 0; i < n->n; i++)
			node_clear(&n->items[i]);
	free(n->str);
	free(n->pairs);
	free(n->items);
	memset(n, 0, sizeof(*n));
}

void
yamldoc_free(struct yamldoc **doc)
{

	if (doc == NULL || *doc == NULL)
		return;
	if ((*doc)->root != NULL) {
		node_clear((*doc)->root);
		free((*doc)->root);
	}
	free((*doc)->name);
	free(*doc);
	*doc = NULL;
}

static enum err
fail(struct pctx *c, enum err e, unsigned long line, const char *what)
{

	if (line > 0)
		snprintf(c->errbuf, c->errlen, "%s:%lu: %s", c->name, line,
		    what);
	else
		snprintf(c->errbuf, c->errlen, "%s: %s", c->name, what);
	return e;
}

/* The next event, or a message naming the line of the syntax error. */
static enum err
next_event(struct pctx *c, yaml_event_t *ev)
{
	char	 what[256];

	if (yaml_parser_parse(&c->p, ev))
		return ERR_OK;
	if (c->p.error == YAML_MEMORY_ERROR)
		return fail(c, ERR_NOMEM, 0, "out of memory");
	if (c->p.context != NULL)
		snprintf(what, sizeof(what), "%s (%s)",
		    c->p.problem != NULL ? c->p.problem : "syntax error",
		    c->p.context);
	else
		snprintf(what, sizeof(what), "%s",
		    c->p.problem != NULL ? c->p.problem : "syntax error");
	return fail(c, ERR_INVAL, (unsigned long)c->p.problem_mark.line + 1,
	    what);
}

static unsigned long
ev_line(const yaml_event_t *ev)
{

	return (unsigned long)ev->start_mark.line + 1;
}

/* Counts one node against the limit. */
static enum err
count_node(struct pctx *c)
{
	char	 what[64];

	if (++c->nodes <= YAMLDOC_MAX_NODES)
		return ERR_OK;
	snprintf(what, sizeof(what), "more than %d nodes", YAMLDOC_MAX_NODES);
	return fail(c, ERR_TOOBIG, 0, what);
}

/* A copy of a scalar event's value; refuses embedded NUL bytes. */
static enum err
scalar_dup(struct pctx *c, const yaml_event_t *ev, char **out)
{
	const char	*v = (const char *)ev->data.scalar.value;
	size_t		 len = ev->data.scalar.length;

	if (memchr(v, '\0', len) != NULL)
		return fail(c, ERR_INVAL, ev_line(ev),
		    "NUL character in a scalar");
	if ((*out = strndup(v, len)) == NULL)
		return fail(c, ERR_NOMEM, 0, "out of memory");
	return ERR_OK;
}

/* Grows *arr (of size elements) to hold at least n + 1, zeroing the new
 * slot. */
static enum err
grow(struct pctx *c, void **arr, size_t size, size_t n, size_t *cap)
{
	void	*p;
	size_t	 ncap;

	if (n == *cap) {
		ncap = *cap == 0 ? 4 : *cap * 2;
		if ((p = reallocarray(*arr, ncap, size)) == NULL)
			return fail(c, ERR_NOMEM, 0, "out of memory");
		*arr = p;
		*cap = ncap;
	}
	memset((char *)*arr + n * size, 0, size);
	return ERR_OK;
}

static enum err
parse_seq(struct pctx *c, struct yamldoc_node *out, unsigned depth)
{
	yaml_event_t	 ev;
	size_t		 cap = 0;
	enum err	 e;

	for (;;) {
		if ((e = next_event(c, &ev)) != ERR_OK)
			return e;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return ERR_OK;
		}
		if ((e = grow(c, (void **)&out->items, sizeof(*out->items),
		    out->n, &cap)) != ERR_OK) {
			yaml_event_delete(&ev);
			return e;
		}
		out->n++;
		if ((e = parse_node(c, &ev, &out->items[out->n - 1],
		    depth + 1)) != ERR_OK)
			return e;
	}
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct yamldoc_pair *const *pa = a, *const *pb = b;
	int	 r;

	if ((r = strcmp((*pa)->key, (*pb)->key)) != 0)
		return r;
	return *pa < *pb ? -1 : *pa > *pb;
}

/* Refuses a key given twice, naming its second occurrence (the first
 * such in document order).  O(n log n). */
static enum err
check_dups(struct pctx *c, const struct yamldoc_node *map)
{
	const struct yamldoc_pair	**v, *dup = NULL;
	char				 what[192], key[128];
	size_t				 i;

	if (map->n < 2)
		return ERR_OK;
	if ((v = reallocarray(NULL, map->n, sizeof(*v))) == NULL)
		return fail(c, ERR_NOMEM, 0, "out of memory");
	for (i = 0; i < map->n; i++)
		v[i] = &map->pairs[i];
	qsort(v, map->n, sizeof(*v), pair_cmp);
	for (i = 1; i < map->n; i++)
		if (strcmp(v[i - 1]->key, v[i]->key) == 0 &&
		    (dup == NULL || v[i] < dup))
			dup = v[i];
	free(v);
	if (dup == NULL)
		return ERR_OK;
	snprintf(what, sizeof(what), "duplicate key '%s'",
	    log_escape(key, sizeof(key), dup->key));
	return fail(c, ERR_INVAL, dup->line, what);
}

/* The key event of a mapping entry: a scalar without an anchor. */
static enum err
parse_key(struct pctx *c, yaml_event_t *ev, struct yamldoc_pair *pair)
{
	enum err	 e;

	pair->line = ev_line(ev);
	if (ev->type == YAML_ALIAS_EVENT ||
	    (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor != NULL))
		e = fail(c, ERR_INVAL, pair->line,
		    "anchors and aliases are not supported");
	else if (ev->type != YAML_SCALAR_EVENT)
		e = fail(c, ERR_INVAL, pair->line,
		    "complex mapping keys are not supported");
	else if ((e = count_node(c)) == ERR_OK)
		e = scalar_dup(c, ev, &pair->key);
	yaml_event_delete(ev);
	return e;
}

static enum err
parse_map(struct pctx *c, struct yamldoc_node *out, unsigned depth)
{
	yaml_event_t		 ev;
	struct yamldoc_pair	*pair;
	size_t			 cap = 0;
	enum err		 e;

	for (;;) {
		if ((e = next_event(c, &ev)) != ERR_OK)
			return e;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return check_dups(c, out);
		}
		if ((e = grow(c, (void **)&out->pairs, sizeof(*out->pairs),
		    out->n, &cap)) != ERR_OK) {
			yaml_event_delete(&ev);
			return e;
		}
		pair = &out->pairs[out->n++];
		if ((e = parse_key(c, &ev, pair)) != ERR_OK)
			return e;
		if ((e = next_event(c, &ev)) != ERR_OK)
			return e;
		if ((e = parse_node(c, &ev, &pair->value, depth + 1)) !=
		    ERR_OK)
			return e;
	}
}

/* Builds out from ev (which this function deletes) and the events of its
 * children. */
static enum err
parse_node(struct pctx *c, yaml_event_t *ev, struct yamldoc_node *out,
    unsigned depth)
{
	const yaml_char_t	*anchor = NULL;
	char			 what[64];
	enum err		 e;

	out->line = ev_line(ev);
	if (ev->type == YAML_SCALAR_EVENT)
		anchor = ev->data.scalar.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		anchor = ev->data.sequence_start.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		anchor = ev->data.mapping_start.anchor;
	if (anchor != NULL || ev->type == YAML_ALIAS_EVENT)
		e = fail(c, ERR_INVAL, out->line,
		    "anchors and aliases are not supported");
	else if (count_node(c) != ERR_OK)
		e = ERR_TOOBIG;
	else if (ev->type == YAML_SCALAR_EVENT) {
		out->kind = YAMLDOC_SCALAR;
		out->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		e = scalar_dup(c, ev, &out->str);
	} else if (depth >= YAMLDOC_MAX_DEPTH) {
		snprintf(what, sizeof(what), "nested deeper than %d levels",
		    YAMLDOC_MAX_DEPTH);
		e = fail(c, ERR_TOOBIG, out->line, what);
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		out->kind = YAMLDOC_SEQUENCE;
		e = ERR_OK;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		out->kind = YAMLDOC_MAPPING;
		e = ERR_OK;
	} else
		e = fail(c, ERR_INVAL, out->line, "unexpected YAML event");
	yaml_event_delete(ev);
	if (e != ERR_OK || out->kind == YAMLDOC_SCALAR)
		return e;
	if (out->kind == YAMLDOC_SEQUENCE)
		return parse_seq(c, out, depth);
	return parse_map(c, out, depth);
}

/* Expects an event of type want (anything else is "what"). */
static enum err
expect(struct pctx *c, yaml_event_type_t want, const char *what)
{
	yaml_event_t	 ev;
	enum err	 e;

	if ((e = next_event(c, &ev)) != ERR_OK)
		return e;
	if (ev.type != want)
		e = fail(c, ERR_INVAL, ev_line(&ev), what);
	yaml_event_delete(&ev);
	return e;
}

/* The stream: nothing, or exactly one document. */
static enum err
parse_stream(struct pctx *c, struct yamldoc *doc)
{
	yaml_event_t	 ev;
	enum err	 e;

	if ((e = expect(c, YAML_STREAM_START_EVENT, "no YAML stream")) !=
	    ERR_OK || (e = next_event(c, &ev)) != ERR_OK)
		return e;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return ERR_OK;
	}
	yaml_event_delete(&ev);
	if ((doc->root = calloc(1, sizeof(*doc->root))) == NULL)
		return fail(c, ERR_NOMEM, 0, "out of memory");
	if ((e = next_event(c, &ev)) != ERR_OK ||
	    (e = parse_node(c, &ev, doc->root, 0)) != ERR_OK ||
	    (e = expect(c, YAML_DOCUMENT_END_EVENT, "document end expected"))
	    != ERR_OK)
		return e;
	return expect(c, YAML_STREAM_END_EVENT,
	    "multiple documents are not supported");
}

enum err
yamldoc_parse(const char *name, const char *buf, size_t len,
    struct yamldoc **out, char *errbuf, size_t errlen)
{
	struct pctx	 c;
	struct yamldoc	*doc = NULL;
	char		 what[64];
	enum err	 e;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.errbuf = errbuf;
	c.errlen = errlen;
	if (len > YAMLDOC_MAX_BYTES) {
		snprintf(what, sizeof(what), "larger than %d bytes",
		    YAMLDOC_MAX_BYTES);
		return fail(&c, ERR_TOOBIG, 0, what);
	}
	if (!yaml_parser_initialize(&c.p))
		return fail(&c, ERR_NOMEM, 0, "out of memory");
	yaml_parser_set_input_string(&c.p, (const unsigned char *)buf, len);
	if ((doc = calloc(1, sizeof(*doc))) == NULL ||
	    (doc->name = strdup(name)) == NULL) {
		e = fail(&c, ERR_NOMEM, 0, "out of memory");
		goto out;
	}
	if ((e = parse_stream(&c, doc)) != ERR_OK)
		goto out;
	*out = doc;
	doc = NULL;
out:
	yamldoc_free(&doc);
	yaml_parser_delete(&c.p);
	return e;
}

/* Reads at most YAMLDOC_MAX_BYTES + 1 bytes of fd into *buf. */
static enum err
read_all(int fd, const char *path, char **buf, size_t *len, char *errbuf,
    size_t errlen)
{
	size_t	 cap = YAMLDOC_MAX_BYTES + 1;
	ssize_t	 r;

	*len = 0;
	if ((*buf = malloc(cap)) == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		return ERR_NOMEM;
	}
	while (*len < cap) {
		r = read(fd, *buf + *len, cap - *len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
			return ERR_IO;
		}
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	return ERR_OK;
}

enum err
yamldoc_load(const char *path, struct yamldoc **out, char *errbuf,
    size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len;
	int		 fd = -1;
	enum err	 e;

	*out = NULL;
	/* O_NONBLOCK: never hang opening a FIFO; S_ISREG refuses it. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1 || fstat(fd, &st) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		e = ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		e = ERR_IO;
		goto out;
	}
	if ((e = read_all(fd, path, &buf, &len, errbuf, errlen)) != ERR_OK)
		goto out;
	e = yamldoc_parse(path, buf, len, out, errbuf, errlen);
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return e;
}

const struct yamldoc_node *
yamldoc_get(const struct yamldoc_node *map, const char *key)
{
	size_t	 i;

	if (map == NULL || map->kind != YAMLDOC_MAPPING)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key, key) == 0)
			return &map->pairs[i].value;
	return NULL;
}

int
yamldoc_is_null(const struct yamldoc_node *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null",
	    "NULL" };
	size_t	 i;

	if (n == NULL)
		return 1;
	if (n->kind != YAMLDOC_SCALAR || !n->plain)
		return 0;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(n->str, nulls[i]) == 0)
			return 1;
	return 0;
}

int
yamldoc_int(const struct yamldoc_node *n, long long min, long long max,
    long long *out, const char **errstr)
{
	const char	*d;

	*errstr = "not an integer";
	if (n == NULL || n->kind != YAMLDOC_SCALAR || !n->plain)
		return -1;
	d = *n->str == '-' ? n->str + 1 : n->str;
	/* No leading zeros (YAML 1.1 reads 010 as octal). */
	if (d[0] == '0' && d[1] != '\0')
		return -1;
	if (num_parse(n->str, min, max, out, errstr) == -1) {
		if (strcmp(*errstr, "invalid") == 0)
			*errstr = "not an integer";
		return -1;
	}
	return 0;
}

int
yamldoc_bool(const struct yamldoc_node *n, int *out)
{
	static const char *const t[] = { "true", "True", "TRUE" };
	static const char *const f[] = { "false", "False", "FALSE" };
	size_t	 i;

	if (n == NULL || n->kind != YAMLDOC_SCALAR || !n->plain)
		return -1;
	for (i = 0; i < 3; i++) {
		if (strcmp(n->str, t[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(n->str, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}
