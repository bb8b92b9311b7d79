/*
 * A YAML document tree built from libyaml's event parser by recursive
 * descent (the depth is bounded, so is the recursion).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "array.h"
#include "fdio.h"
#include "log.h"
#include "num.h"
#include "yamldoc.h"

struct pctx {
	yaml_parser_t		 p;
	struct yamldoc_msg	 msg;
	size_t			 nodes;
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

enum err
yamldoc_fail(const struct yamldoc_msg *m, enum err e, unsigned long line,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 what[256];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(m->errbuf, m->errlen, "%s:%lu: %s", m->name, line,
		    what);
	else
		snprintf(m->errbuf, m->errlen, "%s: %s", m->name, what);
	return e;
}

/* The next event, or a message naming the line of the syntax error. */
static enum err
next_event(struct pctx *c, yaml_event_t *ev)
{
	const char	*problem;
	unsigned long	 line;

	if (yaml_parser_parse(&c->p, ev))
		return ERR_OK;
	if (c->p.error == YAML_MEMORY_ERROR)
		return yamldoc_fail(&c->msg, ERR_NOMEM, 0, "out of memory");
	problem = c->p.problem != NULL ? c->p.problem : "syntax error";
	line = (unsigned long)c->p.problem_mark.line + 1;
	if (c->p.context != NULL)
		return yamldoc_fail(&c->msg, ERR_INVAL, line, "%s (%s)",
		    problem, c->p.context);
	return yamldoc_fail(&c->msg, ERR_INVAL, line, "%s", problem);
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

	if (++c->nodes <= YAMLDOC_MAX_NODES)
		return ERR_OK;
	return yamldoc_fail(&c->msg, ERR_TOOBIG, 0, "more than %d nodes",
	    YAMLDOC_MAX_NODES);
}

/* A copy of a scalar event's value; refuses embedded NUL bytes. */
static enum err
scalar_dup(struct pctx *c, const yaml_event_t *ev, char **out)
{
	const char	*v = (const char *)ev->data.scalar.value;
	size_t		 len = ev->data.scalar.length;

	if (memchr(v, '\0', len) != NULL)
		return yamldoc_fail(&c->msg, ERR_INVAL, ev_line(ev),
		    "NUL character in a scalar");
	if ((*out = strndup(v, len)) == NULL)
		return yamldoc_fail(&c->msg, ERR_NOMEM, 0, "out of memory");
	return ERR_OK;
}

/* Makes room for need elements of size bytes in the array *arr. */
static enum err
grow(struct pctx *c, void *arr, size_t *cap, size_t need, size_t size)
{

	switch (array_grow(arr, cap, need, size, YAMLDOC_MAX_NODES)) {
	case ERR_OK:
		return ERR_OK;
	case ERR_TOOBIG:
		return yamldoc_fail(&c->msg, ERR_TOOBIG, 0,
		    "more than %d nodes", YAMLDOC_MAX_NODES);
	default:
		return yamldoc_fail(&c->msg, ERR_NOMEM, 0, "out of memory");
	}
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
		if ((e = grow(c, &out->items, &cap, out->n + 1,
		    sizeof(*out->items))) != ERR_OK) {
			yaml_event_delete(&ev);
			return e;
		}
		memset(&out->items[out->n], 0, sizeof(out->items[0]));
		if ((e = parse_node(c, &ev, &out->items[out->n++],
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
	char				 key[128];
	size_t				 i;

	if (map->n < 2)
		return ERR_OK;
	if ((v = reallocarray(NULL, map->n, sizeof(*v))) == NULL)
		return yamldoc_fail(&c->msg, ERR_NOMEM, 0, "out of memory");
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
	return yamldoc_fail(&c->msg, ERR_INVAL, dup->line, "duplicate key '%s'",
	    log_escape(key, sizeof(key), dup->key));
}

/* The key event of a mapping entry: a scalar without an anchor. */
static enum err
parse_key(struct pctx *c, yaml_event_t *ev, struct yamldoc_pair *pair)
{
	enum err	 e;

	pair->line = ev_line(ev);
	if (ev->type == YAML_ALIAS_EVENT ||
	    (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor != NULL))
		e = yamldoc_fail(&c->msg, ERR_INVAL, pair->line,
		    "anchors and aliases are not supported");
	else if (ev->type != YAML_SCALAR_EVENT)
		e = yamldoc_fail(&c->msg, ERR_INVAL, pair->line,
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
		if ((e = grow(c, &out->pairs, &cap, out->n + 1,
		    sizeof(*out->pairs))) != ERR_OK) {
			yaml_event_delete(&ev);
			return e;
		}
		pair = &out->pairs[out->n++];
		memset(pair, 0, sizeof(*pair));
		if ((e = parse_key(c, &ev, pair)) != ERR_OK)
			return e;
		if ((e = next_event(c, &ev)) != ERR_OK)
			return e;
		if ((e = parse_node(c, &ev, &pair->value, depth + 1)) !=
		    ERR_OK)
			return e;
	}
}

/* The anchor of a node's start event, or NULL. */
static const yaml_char_t *
ev_anchor(const yaml_event_t *ev)
{

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/* Sets the line and kind of out (and a scalar's text) from the event that
 * starts it. */
static enum err
node_start(struct pctx *c, const yaml_event_t *ev, struct yamldoc_node *out,
    unsigned depth)
{
	enum err	 e;

	out->line = ev_line(ev);
	if (ev_anchor(ev) != NULL || ev->type == YAML_ALIAS_EVENT)
		return yamldoc_fail(&c->msg, ERR_INVAL, out->line,
		    "anchors and aliases are not supported");
	if ((e = count_node(c)) != ERR_OK)
		return e;
	if (ev->type == YAML_SCALAR_EVENT) {
		out->kind = YAMLDOC_SCALAR;
		out->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return scalar_dup(c, ev, &out->str);
	}
	if (depth >= YAMLDOC_MAX_DEPTH)
		return yamldoc_fail(&c->msg, ERR_TOOBIG, out->line,
		    "nested deeper than %d levels", YAMLDOC_MAX_DEPTH);
	if (ev->type == YAML_SEQUENCE_START_EVENT)
		out->kind = YAMLDOC_SEQUENCE;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		out->kind = YAMLDOC_MAPPING;
	else
		return yamldoc_fail(&c->msg, ERR_INVAL, out->line,
		    "unexpected YAML event");
	return ERR_OK;
}

/* Builds out from ev (which this function deletes) and the events of its
 * children. */
static enum err
parse_node(struct pctx *c, yaml_event_t *ev, struct yamldoc_node *out,
    unsigned depth)
{
	enum err	 e;

	e = node_start(c, ev, out, depth);
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
		e = yamldoc_fail(&c->msg, ERR_INVAL, ev_line(&ev), "%s", what);
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
		return yamldoc_fail(&c->msg, ERR_NOMEM, 0, "out of memory");
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
	enum err	 e;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.msg.name = name;
	c.msg.errbuf = errbuf;
	c.msg.errlen = errlen;
	if (len > YAMLDOC_MAX_BYTES)
		return yamldoc_fail(&c.msg, ERR_TOOBIG, 0,
		    "larger than %d bytes", YAMLDOC_MAX_BYTES);
	if (!yaml_parser_initialize(&c.p))
		return yamldoc_fail(&c.msg, ERR_NOMEM, 0, "out of memory");
	yaml_parser_set_input_string(&c.p, (const unsigned char *)buf, len);
	if ((doc = calloc(1, sizeof(*doc))) == NULL ||
	    (doc->name = strdup(name)) == NULL) {
		e = yamldoc_fail(&c.msg, ERR_NOMEM, 0, "out of memory");
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
read_all(const struct yamldoc_msg *m, int fd, char **buf, size_t *len)
{

	if ((*buf = malloc(YAMLDOC_MAX_BYTES + 1)) == NULL)
		return yamldoc_fail(m, ERR_NOMEM, 0, "out of memory");
	if (fdio_read(fd, *buf, YAMLDOC_MAX_BYTES + 1, len) == -1)
		return yamldoc_fail(m, ERR_IO, 0, "%s", strerror(errno));
	return ERR_OK;
}

/* Opens the regular file m->name for reading into *fd. */
static enum err
open_regular(const struct yamldoc_msg *m, int *fd)
{
	struct stat	 st;
	enum err	 e = ERR_OK;

	/* O_NONBLOCK: never hang opening a FIFO; S_ISREG refuses it. */
	if ((*fd = open(m->name, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		return yamldoc_fail(m, ERR_IO, 0, "%s", strerror(errno));
	if (fstat(*fd, &st) == -1)
		e = yamldoc_fail(m, ERR_IO, 0, "%s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		e = yamldoc_fail(m, ERR_IO, 0, "not a regular file");
	if (e != ERR_OK) {
		close(*fd);
		*fd = -1;
	}
	return e;
}

enum err
yamldoc_load(const char *path, struct yamldoc **out, char *errbuf,
    size_t errlen)
{
	struct yamldoc_msg	 m = { path, errbuf, errlen };
	char			*buf = NULL;
	size_t			 len;
	int			 fd;
	enum err		 e;

	*out = NULL;
	if ((e = open_regular(&m, &fd)) != ERR_OK)
		return e;
	if ((e = read_all(&m, fd, &buf, &len)) == ERR_OK)
		e = yamldoc_parse(path, buf, len, out, errbuf, errlen);
	free(buf);
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
