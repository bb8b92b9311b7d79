#ifndef MM_YAMLDOC_H
#define MM_YAMLDOC_H

#include <stddef.h>

#include "err.h"

/*
 * A small YAML document tree on top of libyaml: mappings, sequences and
 * scalars, each remembering the line it starts on, for configuration
 * files whose every key is validated.  Hard limits on the input size, the
 * nesting depth and the number of nodes; duplicate mapping keys, complex
 * (non-scalar) keys, anchors, aliases and multi-document streams are
 * refused.  Tags are ignored.
 */

#define YAMLDOC_MAX_BYTES	(1024 * 1024)	/* input size */
#define YAMLDOC_MAX_DEPTH	32		/* nested collections */
#define YAMLDOC_MAX_NODES	65536		/* nodes + mapping keys */

enum yamldoc_kind {
	YAMLDOC_SCALAR = 0,
	YAMLDOC_MAPPING,
	YAMLDOC_SEQUENCE,
	YAMLDOC__MAX
};

struct yamldoc_pair;

struct yamldoc_node {
	enum yamldoc_kind	 kind;
	unsigned long		 line;	/* 1-based */
	char			*str;	/* SCALAR: the text (no NUL inside) */
	int			 plain;	/* SCALAR: unquoted, not a block */
	struct yamldoc_pair	*pairs;	/* MAPPING: in document order */
	struct yamldoc_node	*items;	/* SEQUENCE: in document order */
	size_t			 n;	/* number of pairs or items */
};

struct yamldoc_pair {
	char			*key;
	unsigned long		 line;	/* line of the key */
	struct yamldoc_node	 value;
};

struct yamldoc {
	char			*name;	/* file name used in messages */
	struct yamldoc_node	*root;	/* NULL for an empty stream */
};

/*
 * Parses len bytes of buf; name is used in messages ("name:line: ...").
 * Returns ERR_OK and a tree in *out that the caller frees with
 * yamldoc_free(); or ERR_INVAL (syntax error, duplicate key, alias, ...),
 * ERR_TOOBIG (a limit above) or ERR_NOMEM, with a message in errbuf and
 * *out NULL.
 */
enum err	 yamldoc_parse(const char *name, const char *buf, size_t len,
		    struct yamldoc **out, char *errbuf, size_t errlen);

/*
 * Reads and parses the regular file at path, as yamldoc_parse() with
 * name = path.  A file that cannot be opened or read, or that is not a
 * regular file, is ERR_IO.
 */
enum err	 yamldoc_load(const char *path, struct yamldoc **out,
		    char *errbuf, size_t errlen);

/*
 * Where the messages about one document go: every message naming a place
 * in a YAML file (here, in the configuration and in the registry) reads
 * "name:line: what", or "name: what" about the whole file.
 */
struct yamldoc_msg {
	const char	*name;		/* the file, as messages name it */
	char		*errbuf;
	size_t		 errlen;
};

/*
 * Writes the message fmt about line (0: the whole file) into m->errbuf;
 * the "what" part is cut at 255 bytes.  Returns e, so that a failure is
 * written and returned in one statement.
 */
enum err	 yamldoc_fail(const struct yamldoc_msg *m, enum err e,
		    unsigned long line, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/* Accepts NULL; sets *doc to NULL. */
void		 yamldoc_free(struct yamldoc **doc);

/* The value of key in the mapping map, or NULL (also when map is NULL or
 * not a mapping).  Borrowed: lives as long as the document. */
const struct yamldoc_node *yamldoc_get(const struct yamldoc_node *map,
		    const char *key);

/* "scalar", "mapping", "sequence"; for messages. */
const char	*yamldoc_kind_str(enum yamldoc_kind k);

/* 1 if n is NULL or a plain scalar "", "~", "null", "Null" or "NULL". */
int		 yamldoc_is_null(const struct yamldoc_node *n);

/*
 * A plain scalar holding a decimal integer in [min, max] (an optional
 * '-', then digits only).  Returns 0 and sets *out, or -1 and sets
 * *errstr to a static reason ("not an integer", "too small", "too
 * large").
 */
int		 yamldoc_int(const struct yamldoc_node *n, long long min,
		    long long max, long long *out, const char **errstr);

/* A plain scalar true, True, TRUE, false, False or FALSE.  Returns 0 and
 * sets *out to 1 or 0, or -1. */
int		 yamldoc_bool(const struct yamldoc_node *n, int *out);

#endif
