/*
 * The curated model registry: the source files are read with yamldoc,
 * every key of a model entry is checked against a table (unknown keys are
 * errors: a typo must not silently drop a field), entries sharing an
 * identity (id, type) are merged, and the result is sorted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registry.h"
#include "valid.h"
#include "yamldoc.h"

#define REGISTRY_DEFAULT_EMBEDDING	"Qwen/Qwen3-Embedding-0.6B"
#define REGISTRY_MEM_MAX		1000000000LL	/* MB */
#define REGISTRY_QUANT_MAX		32		/* bytes */

static const char *const type_strs[MT__MAX] = {
	"embedding",		/* MT_EMBEDDING */
	"llm",			/* MT_LLM */
	"reranker",		/* MT_RERANKER */
	"splade",		/* MT_SPLADE */
};

/* A model while loading. */
struct ent {
	struct model	 m;
	int		 has_asym;	/* is_asymmetric was given */
	size_t		 seq;		/* first-seen order, for a stable sort */
};

struct loader {
	struct ent	*v;
	size_t		 n;
	size_t		 cap;
	size_t		 seq;
	char		*defmodel;	/* first embedding file's default */
	const char	*path;		/* the file being read */
	char		*errbuf;
	size_t		 errlen;
};

/* The keys a model entry may hold. */
enum fid {
	F_ID, F_NAME, F_DISPLAY_NAME, F_DESCRIPTION, F_DIMENSION, F_MAXSEQ,
	F_POOLING, F_ASYM, F_QPREFIX, F_DPREFIX, F_DQI, F_CONTEXT, F_MEMORY,
	F_IGNORED
};
enum fkind { FK_STR, FK_INT, FK_BOOL, FK_MEM };

#define T_EMB	(1u << MT_EMBEDDING)
#define T_LLM	(1u << MT_LLM)
#define T_ALL	((1u << MT__MAX) - 1)
#define T_HUB	(T_ALL & ~T_LLM)	/* files in the "models:" format */

static const struct field {
	const char	*key;
	enum fid	 id;
	enum fkind	 kind;
	unsigned	 types;		/* where the key is allowed */
	long long	 max;		/* FK_INT: the range is 0..max */
} fields[] = {
	{ "id",				F_ID,		FK_STR,	 T_ALL, 0 },
	{ "name",			F_NAME,		FK_STR,	 T_ALL, 0 },
	{ "display_name",		F_DISPLAY_NAME,	FK_STR,	 T_LLM, 0 },
	{ "description",		F_DESCRIPTION,	FK_STR,	 T_ALL, 0 },
	{ "dimension",			F_DIMENSION,	FK_INT,	 T_HUB,
	    1L << 20 },
	{ "max_sequence_length",	F_MAXSEQ,	FK_INT,	 T_HUB,
	    1L << 30 },
	{ "pooling_method",		F_POOLING,	FK_STR,	 T_HUB, 0 },
	{ "is_asymmetric",		F_ASYM,		FK_BOOL, T_HUB, 0 },
	{ "query_prefix",		F_QPREFIX,	FK_STR,	 T_HUB, 0 },
	{ "document_prefix",		F_DPREFIX,	FK_STR,	 T_HUB, 0 },
	{ "default_query_instruction",	F_DQI,		FK_STR,	 T_HUB, 0 },
	{ "requires_instruction",	F_IGNORED,	FK_BOOL, T_HUB, 0 },
	{ "supports_quantization",	F_IGNORED,	FK_BOOL, T_HUB, 0 },
	{ "recommended_quantization",	F_IGNORED,	FK_STR,	 T_HUB, 0 },
	{ "tier_recommendation",	F_IGNORED,	FK_STR,	 T_LLM, 0 },
	{ "context_window",		F_CONTEXT,	FK_INT,	 T_LLM,
	    1L << 30 },
	{ "memory_mb",			F_MEMORY,	FK_MEM,	 T_ALL, 0 },
};

const char *
model_type_str(enum model_type t)
{

	if ((unsigned)t >= MT__MAX)
		return NULL;
	return type_strs[t];
}

int
model_type_parse(const char *s, enum model_type *t)
{
	unsigned	 i;

	for (i = 0; i < MT__MAX; i++)
		if (strcmp(s, type_strs[i]) == 0) {
			*t = (enum model_type)i;
			return 0;
		}
	return -1;
}

/* Writes "path:line: fmt..." into the loader's errbuf; returns e. */
static enum err
lfail(struct loader *l, enum err e, unsigned long line, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static enum err
lfail(struct loader *l, enum err e, unsigned long line, const char *fmt,
    ...)
{
	va_list	 ap;
	char	 what[256];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(l->errbuf, l->errlen, "%s:%lu: %s", l->path, line,
		    what);
	else
		snprintf(l->errbuf, l->errlen, "%s: %s", l->path, what);
	return e;
}

static enum err
nomem(struct loader *l)
{

	return lfail(l, ERR_NOMEM, 0, "out of memory");
}

/* File text made safe to quote in a message. */
static const char *
esc(char *buf, size_t len, const char *s)
{

	return log_escape(buf, len, s);
}

static void
model_clear(struct model *m)
{
	size_t	 i;

	free(m->id);
	free(m->name);
	free(m->description);
	for (i = 0; i < m->nmem; i++)
		free(m->mem[i].quant);
	free(m->mem);
	free(m->emb.pooling_method);
	free(m->emb.query_prefix);
	free(m->emb.document_prefix);
	free(m->emb.default_query_instruction);
	memset(m, 0, sizeof(*m));
}

/* A string value: any scalar; null is "".  *dst is replaced. */
static enum err
get_str(struct loader *l, const struct yamldoc_pair *p, char **dst)
{
	const struct yamldoc_node	*v = &p->value;
	const char			*s;

	if (yamldoc_is_null(v))
		s = "";
	else if (v->kind == YAMLDOC_SCALAR)
		s = v->str;
	else
		return lfail(l, ERR_INVAL, v->line, "%s: expected a string",
		    p->key);
	free(*dst);
	if ((*dst = strdup(s)) == NULL)
		return nomem(l);
	return ERR_OK;
}

static enum err
get_int(struct loader *l, const struct yamldoc_pair *p, long long max,
    long *dst)
{
	const char	*why;
	long long	 v;

	if (yamldoc_is_null(&p->value)) {
		*dst = 0;
		return ERR_OK;
	}
	if (yamldoc_int(&p->value, 0, max, &v, &why) == -1)
		return lfail(l, ERR_INVAL, p->value.line, "%s: %s (0..%lld)",
		    p->key, why, max);
	*dst = (long)v;
	return ERR_OK;
}

static enum err
get_bool(struct loader *l, const struct yamldoc_pair *p, int *dst)
{

	if (yamldoc_bool(&p->value, dst) == -1)
		return lfail(l, ERR_INVAL, p->value.line,
		    "%s: expected true or false", p->key);
	return ERR_OK;
}

/* A quantization name: [A-Za-z0-9._-]{1,32}. */
static int
valid_quant(const char *s)
{
	size_t	 len = strlen(s);

	return len > 0 && len <= REGISTRY_QUANT_MAX &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == len;
}

/* memory_mb: a mapping of quantization to whole megabytes. */
static enum err
get_mem(struct loader *l, const struct yamldoc_pair *p, struct model *m)
{
	const struct yamldoc_node	*v = &p->value;
	const struct yamldoc_pair	*q;
	const char			*why;
	char				 eb[64];
	long long			 mb;
	size_t				 i;

	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_MAPPING)
		return lfail(l, ERR_INVAL, v->line,
		    "memory_mb: expected a mapping");
	if (v->n > 0 && (m->mem = calloc(v->n, sizeof(*m->mem))) == NULL)
		return nomem(l);
	for (i = 0; i < v->n; i++) {
		q = &v->pairs[i];
		if (!valid_quant(q->key))
			return lfail(l, ERR_INVAL, q->line,
			    "memory_mb: invalid quantization '%s'",
			    esc(eb, sizeof(eb), q->key));
		if (yamldoc_int(&q->value, 0, REGISTRY_MEM_MAX, &mb, &why) ==
		    -1)
			return lfail(l, ERR_INVAL, q->value.line,
			    "memory_mb.%s: %s (0..%lld)", q->key, why,
			    REGISTRY_MEM_MAX);
		if ((m->mem[i].quant = strdup(q->key)) == NULL)
			return nomem(l);
		m->mem[i].mb = (long)mb;
		m->nmem++;
	}
	return ERR_OK;
}

static const struct field *
field_find(const char *key, enum model_type t)
{
	size_t	 i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].key, key) == 0 &&
		    (fields[i].types & (1u << t)))
			return &fields[i];
	return NULL;
}

/* The destination of a string field, or NULL if the value is only
 * checked (embedding details of other types, the LLM's short name). */
static char **
str_dst(struct ent *e, enum fid id)
{
	struct model	*m = &e->m;
	int		 emb = m->type == MT_EMBEDDING;

	switch (id) {
	case F_ID:
		return &m->id;
	case F_NAME:
		return m->type == MT_LLM ? NULL : &m->name;
	case F_DISPLAY_NAME:
		return &m->name;
	case F_DESCRIPTION:
		return &m->description;
	case F_POOLING:
		return emb ? &m->emb.pooling_method : NULL;
	case F_QPREFIX:
		return emb ? &m->emb.query_prefix : NULL;
	case F_DPREFIX:
		return emb ? &m->emb.document_prefix : NULL;
	case F_DQI:
		return emb ? &m->emb.default_query_instruction : NULL;
	default:
		return NULL;
	}
}

static long *
int_dst(struct ent *e, enum fid id)
{
	struct model	*m = &e->m;

	if (id == F_CONTEXT)
		return &m->context_window;
	if (m->type != MT_EMBEDDING)
		return NULL;
	return id == F_DIMENSION ? &m->emb.dimension :
	    &m->emb.max_sequence_length;
}

/* Reads one key of a model entry into e. */
static enum err
entry_key(struct loader *l, const struct yamldoc_pair *p, struct ent *e)
{
	const struct field	*f;
	char			*s = NULL, **sd, eb[64];
	long			 i = 0, *id;
	int			 b = 0;
	enum err		 err;

	if ((f = field_find(p->key, e->m.type)) == NULL)
		return lfail(l, ERR_INVAL, p->line,
		    "unknown key '%s' in a model entry",
		    esc(eb, sizeof(eb), p->key));
	switch (f->kind) {
	case FK_STR:
		sd = str_dst(e, f->id);
		err = get_str(l, p, sd != NULL ? sd : &s);
		free(s);
		return err;
	case FK_INT:
		if ((err = get_int(l, p, f->max, &i)) == ERR_OK &&
		    (id = int_dst(e, f->id)) != NULL)
			*id = i;
		return err;
	case FK_BOOL:
		if ((err = get_bool(l, p, &b)) == ERR_OK && f->id == F_ASYM &&
		    e->m.type == MT_EMBEDDING) {
			e->m.emb.is_asymmetric = b;
			e->has_asym = 1;
		}
		return err;
	case FK_MEM:
		return get_mem(l, p, &e->m);
	}
	return ERR_INVAL;
}

/* Fills the strings that were not given with "". */
static enum err
entry_defaults(struct loader *l, struct model *m)
{
	char	**s[] = { &m->description, &m->emb.pooling_method,
		    &m->emb.query_prefix, &m->emb.document_prefix,
		    &m->emb.default_query_instruction };
	size_t	 i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (*s[i] == NULL && (*s[i] = strdup("")) == NULL)
			return nomem(l);
	return ERR_OK;
}

/* The checks of a curated entry: a valid id and a name. */
static enum err
entry_check(struct loader *l, const struct yamldoc_node *n,
    const struct model *m)
{
	char	 eb[128];

	if (m->id == NULL || *m->id == '\0')
		return lfail(l, ERR_INVAL, n->line,
		    "model entry without 'id'");
	if (valid_repo_id(m->id) == -1)
		return lfail(l, ERR_INVAL, n->line, "invalid model id '%s'",
		    esc(eb, sizeof(eb), m->id));
	if (m->name == NULL || *m->name == '\0')
		return lfail(l, ERR_INVAL, n->line, "model '%s' without '%s'",
		    m->id, m->type == MT_LLM ? "display_name" : "name");
	return ERR_OK;
}

/* Reads one model entry; the caller clears e, also on error. */
static enum err
parse_entry(struct loader *l, const struct yamldoc_node *n,
    enum model_type t, int curated, struct ent *e)
{
	size_t		 i;
	enum err	 err;

	memset(e, 0, sizeof(*e));
	e->m.type = t;
	if (n->kind != YAMLDOC_MAPPING)
		return lfail(l, ERR_INVAL, n->line,
		    "a model entry must be a mapping");
	for (i = 0; i < n->n; i++)
		if ((err = entry_key(l, &n->pairs[i], e)) != ERR_OK)
			return err;
	if ((err = entry_defaults(l, &e->m)) != ERR_OK)
		return err;
	return curated ? entry_check(l, n, &e->m) : ERR_OK;
}

/* The number of non-empty type-specific fields: the merge's measure. */
static int
richness(const struct ent *e)
{
	const struct model	*m = &e->m;

	switch (m->type) {
	case MT_EMBEDDING:
		return (m->emb.dimension > 0) +
		    (m->emb.max_sequence_length > 0) +
		    (*m->emb.pooling_method != '\0') +
		    (*m->emb.query_prefix != '\0') +
		    (*m->emb.document_prefix != '\0') +
		    (*m->emb.default_query_instruction != '\0') +
		    (e->has_asym != 0);
	case MT_LLM:
		return m->context_window > 0;
	default:
		return 0;
	}
}

/* Adds the quantizations of src that dst lacks (first value wins),
 * taking their strings from src. */
static enum err
mem_merge(struct loader *l, struct model *dst, struct model *src)
{
	struct quant_mem	*p;
	size_t			 i, j;

	for (i = 0; i < src->nmem; i++) {
		for (j = 0; j < dst->nmem; j++)
			if (strcmp(dst->mem[j].quant, src->mem[i].quant) == 0)
				break;
		if (j < dst->nmem)
			continue;
		if ((p = reallocarray(dst->mem, dst->nmem + 1,
		    sizeof(*p))) == NULL)
			return nomem(l);
		dst->mem = p;
		dst->mem[dst->nmem++] = src->mem[i];
		src->mem[i].quant = NULL;
	}
	return ERR_OK;
}

/* Merges nw (taken over, cleared) into an earlier entry old. */
static enum err
merge(struct loader *l, struct ent *old, struct ent *nw)
{
	struct quant_mem	*mem;
	struct ent		 tmp;
	size_t			 nmem;

	if (richness(nw) > richness(old)) {
		/* nw wins, but the earlier memory map stays first. */
		mem = old->m.mem;
		nmem = old->m.nmem;
		old->m.mem = nw->m.mem;
		old->m.nmem = nw->m.nmem;
		nw->m.mem = mem;
		nw->m.nmem = nmem;
		tmp = *old;
		*old = *nw;
		*nw = tmp;
		old->seq = tmp.seq;
	}
	return mem_merge(l, &old->m, &nw->m);
}

/* Adds e (taken over, cleared) to the loaded models. */
static enum err
add(struct loader *l, struct ent *e)
{
	struct ent	*p;
	size_t		 i;
	enum err	 err;

	for (i = 0; i < l->n; i++)
		if (l->v[i].m.type == e->m.type &&
		    strcmp(l->v[i].m.id, e->m.id) == 0) {
			err = merge(l, &l->v[i], e);
			model_clear(&e->m);
			return err;
		}
	if (l->n == l->cap) {
		if ((p = reallocarray(l->v, l->cap == 0 ? 32 : l->cap * 2,
		    sizeof(*p))) == NULL)
			return nomem(l);
		l->v = p;
		l->cap = l->cap == 0 ? 32 : l->cap * 2;
	}
	e->seq = l->seq++;
	l->v[l->n++] = *e;
	memset(e, 0, sizeof(*e));
	return ERR_OK;
}

/* A "models:" sequence of entries of type t. */
static enum err
parse_models(struct loader *l, const struct yamldoc_pair *p,
    enum model_type t, int curated)
{
	const struct yamldoc_node	*v = &p->value;
	struct ent			 e;
	size_t				 i;
	enum err			 err;

	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_SEQUENCE)
		return lfail(l, ERR_INVAL, v->line,
		    "models: expected a sequence");
	for (i = 0; i < v->n; i++) {
		err = parse_entry(l, &v->items[i], t, curated, &e);
		if (err == ERR_OK && curated)
			err = add(l, &e);
		model_clear(&e.m);
		if (err != ERR_OK)
			return err;
	}
	return ERR_OK;
}

/* One provider of the LLM registry: {is_local, models}. */
static enum err
parse_provider(struct loader *l, const struct yamldoc_pair *prov)
{
	const struct yamldoc_node	*v = &prov->value;
	const struct yamldoc_pair	*p;
	char				 eb[64], pb[64];
	size_t				 i;
	int				 b;
	enum err			 err;

	if (v->kind != YAMLDOC_MAPPING)
		return lfail(l, ERR_INVAL, v->line,
		    "providers.%s: expected a mapping",
		    esc(eb, sizeof(eb), prov->key));
	for (i = 0; i < v->n; i++) {
		p = &v->pairs[i];
		if (strcmp(p->key, "is_local") == 0)
			err = get_bool(l, p, &b);
		else if (strcmp(p->key, "models") == 0)
			err = parse_models(l, p, MT_LLM,
			    strcmp(prov->key, "local") == 0);
		else
			err = lfail(l, ERR_INVAL, p->line,
			    "unknown key '%s' in provider '%s'",
			    esc(eb, sizeof(eb), p->key),
			    esc(pb, sizeof(pb), prov->key));
		if (err != ERR_OK)
			return err;
	}
	return ERR_OK;
}

/* The LLM registry: providers.<name>.models; only "local" is curated. */
static enum err
parse_llm(struct loader *l, const struct yamldoc_node *root)
{
	const struct yamldoc_node	*v;
	char				 eb[64];
	size_t				 i;
	enum err			 err;

	for (i = 0; i < root->n; i++)
		if (strcmp(root->pairs[i].key, "providers") != 0)
			return lfail(l, ERR_INVAL, root->pairs[i].line,
			    "unknown key '%s'",
			    esc(eb, sizeof(eb), root->pairs[i].key));
	if ((v = yamldoc_get(root, "providers")) == NULL)
		return lfail(l, ERR_INVAL, 0, "no 'providers' mapping");
	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_MAPPING)
		return lfail(l, ERR_INVAL, v->line,
		    "providers: expected a mapping");
	for (i = 0; i < v->n; i++)
		if ((err = parse_provider(l, &v->pairs[i])) != ERR_OK)
			return err;
	return ERR_OK;
}

/* default_embedding_model of an embedding file; the first one wins. */
static enum err
parse_default(struct loader *l, const struct yamldoc_pair *p)
{
	char		*s = NULL, eb[128];
	enum err	 err;

	if ((err = get_str(l, p, &s)) != ERR_OK)
		return err;
	if (*s != '\0' && valid_repo_id(s) == -1) {
		err = lfail(l, ERR_INVAL, p->value.line,
		    "default_embedding_model: invalid model id '%s'",
		    esc(eb, sizeof(eb), s));
		free(s);
		return err;
	}
	if (*s == '\0' || l->defmodel != NULL)
		free(s);
	else
		l->defmodel = s;
	return ERR_OK;
}

/* A file of the "models:" format holding models of type t. */
static enum err
parse_hub(struct loader *l, const struct yamldoc_node *root,
    enum model_type t)
{
	const struct yamldoc_pair	*p;
	char				*s = NULL, eb[64];
	size_t				 i;
	enum err			 err;

	if (yamldoc_get(root, "models") == NULL)
		return lfail(l, ERR_INVAL, 0, "no 'models' list");
	for (i = 0; i < root->n; i++) {
		p = &root->pairs[i];
		if (strcmp(p->key, "models") == 0)
			err = parse_models(l, p, t, 1);
		else if (t == MT_EMBEDDING &&
		    strcmp(p->key, "default_embedding_model") == 0)
			err = parse_default(l, p);
		else if (t != MT_EMBEDDING &&
		    (strcmp(p->key, "default_model") == 0 ||
		    strcmp(p->key, "default_quantization") == 0)) {
			/* Checked, not used: the reference ignores them. */
			err = get_str(l, p, &s);
			free(s);
			s = NULL;
		} else
			err = lfail(l, ERR_INVAL, p->line, "unknown key '%s'",
			    esc(eb, sizeof(eb), p->key));
		if (err != ERR_OK)
			return err;
	}
	return ERR_OK;
}

static enum err
load_source(struct loader *l, const struct registry_source *src)
{
	struct yamldoc	*doc = NULL;
	enum err	 err;

	l->path = src->path;
	if ((unsigned)src->type >= MT__MAX) {
		snprintf(l->errbuf, l->errlen, "%s: invalid model type",
		    src->path);
		return ERR_INVAL;
	}
	if ((err = yamldoc_load(src->path, &doc, l->errbuf, l->errlen)) !=
	    ERR_OK)
		return err == ERR_TOOBIG ? ERR_INVAL : err;
	if (doc->root == NULL || doc->root->kind != YAMLDOC_MAPPING)
		err = lfail(l, ERR_INVAL, doc->root == NULL ? 0 :
		    doc->root->line, "expected a mapping at the top level");
	else if (src->type == MT_LLM)
		err = parse_llm(l, doc->root);
	else
		err = parse_hub(l, doc->root, src->type);
	yamldoc_free(&doc);
	return err;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct ent	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(type_strs[x->m.type], type_strs[y->m.type])) != 0)
		return r;
	if ((r = strcmp(x->m.name, y->m.name)) != 0)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Moves the loaded models, sorted, into reg. */
static enum err
finish(struct loader *l, const char *default_model, struct registry *reg)
{
	const char	*def;
	size_t		 i;

	if (default_model != NULL && *default_model != '\0')
		def = default_model;
	else if (l->defmodel != NULL)
		def = l->defmodel;
	else
		def = REGISTRY_DEFAULT_EMBEDDING;
	if ((reg->default_embedding_model = strdup(def)) == NULL)
		return nomem(l);
	if (l->n == 0)
		return ERR_OK;
	if ((reg->models = calloc(l->n, sizeof(*reg->models))) == NULL)
		return nomem(l);
	qsort(l->v, l->n, sizeof(*l->v), ent_cmp);
	for (i = 0; i < l->n; i++) {
		reg->models[i] = l->v[i].m;
		memset(&l->v[i].m, 0, sizeof(l->v[i].m));
	}
	reg->n = l->n;
	return ERR_OK;
}

enum err
registry_load(const struct registry_source *src, size_t nsrc,
    const char *default_model, struct registry **out, char *errbuf,
    size_t errlen)
{
	struct loader	 l;
	struct registry	*reg = NULL;
	size_t		 i;
	enum err	 err = ERR_OK;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.path = "registry";
	l.errbuf = errbuf;
	l.errlen = errlen;
	for (i = 0; i < nsrc && err == ERR_OK; i++)
		err = load_source(&l, &src[i]);
	if (err != ERR_OK)
		goto out;
	if ((reg = calloc(1, sizeof(*reg))) == NULL) {
		err = nomem(&l);
		goto out;
	}
	if ((err = finish(&l, default_model, reg)) != ERR_OK)
		goto out;
	*out = reg;
	reg = NULL;
out:
	registry_free(&reg);
	for (i = 0; i < l.n; i++)
		model_clear(&l.v[i].m);
	free(l.v);
	free(l.defmodel);
	return err;
}

const struct model *
registry_find(const struct registry *reg, const char *id,
    enum model_type type)
{
	size_t	 i;

	for (i = 0; i < reg->n; i++)
		if (reg->models[i].type == type &&
		    strcmp(reg->models[i].id, id) == 0)
			return &reg->models[i];
	return NULL;
}

const struct model *
registry_find_id(const struct registry *reg, const char *id)
{
	size_t	 i;

	for (i = 0; i < reg->n; i++)
		if (strcmp(reg->models[i].id, id) == 0)
			return &reg->models[i];
	return NULL;
}

void
registry_free(struct registry **reg)
{
	size_t	 i;

	if (reg == NULL || *reg == NULL)
		return;
	for (i = 0; i < (*reg)->n; i++)
		model_clear(&(*reg)->models[i]);
	free((*reg)->models);
	free((*reg)->default_embedding_model);
	free(*reg);
	*reg = NULL;
}
