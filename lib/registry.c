/*
 * The curated model registry: the source files are read with yamldoc,
 * every key of a model entry is checked against a table (unknown keys are
 * errors: a typo must not silently drop a field), entries sharing an
 * identity (id, type) are merged, and the result is sorted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "log.h"
#include "registry.h"
#include "valid.h"
#include "yamldoc.h"

#define REGISTRY_DEFAULT_EMBEDDING	"Qwen/Qwen3-Embedding-0.6B"
#define REGISTRY_MEM_MAX		1000000000LL	/* MB */
#define REGISTRY_QUANT_MAX		32		/* bytes */
#define REGISTRY_MODELS_MAX		(1 << 20)	/* entries loaded */

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
	size_t		 seq;		/* first-seen order: a stable sort */
};

struct loader {
	struct ent	*v;
	size_t		 n;
	size_t		 cap;
	size_t		 seq;
	char		*defmodel;	/* first embedding file's default */
	struct yamldoc_msg msg;		/* names the file being read */
	enum model_type	 type;		/* the models it holds */
	int		 curated;	/* entries loaded, not only checked */
};

enum fkind { FK_STR, FK_INT, FK_BOOL, FK_MEM };

#define T_EMB	(1u << MT_EMBEDDING)
#define T_LLM	(1u << MT_LLM)
#define T_ALL	((1u << MT__MAX) - 1)
#define T_HUB	(T_ALL & ~T_LLM)	/* files in the "models:" format */

/* The keys a model entry may hold: where each is allowed, and where its
 * value is kept (elsewhere it is checked, then dropped). */
static const struct field {
	const char	*key;
	enum fkind	 kind;
	unsigned	 types;		/* where the key is allowed */
	unsigned	 kept;		/* where it is stored at off (0: never) */
	size_t		 off;		/* in struct model */
	long long	 max;		/* FK_INT: the range is 0..max */
} fields[] = {
#define F(k, kind, types, kept, f, max) \
	{ k, kind, types, kept, offsetof(struct model, f), max }
	F("id", FK_STR, T_ALL, T_ALL, id, 0),
	F("name", FK_STR, T_ALL, T_HUB, name, 0),
	F("display_name", FK_STR, T_LLM, T_LLM, name, 0),
	F("description", FK_STR, T_ALL, T_ALL, description, 0),
	F("dimension", FK_INT, T_HUB, T_EMB, emb.dimension, 1L << 20),
	F("max_sequence_length", FK_INT, T_HUB, T_EMB,
	    emb.max_sequence_length, 1L << 30),
	F("pooling_method", FK_STR, T_HUB, T_EMB, emb.pooling_method, 0),
	F("is_asymmetric", FK_BOOL, T_HUB, T_EMB, emb.is_asymmetric, 0),
	F("query_prefix", FK_STR, T_HUB, T_EMB, emb.query_prefix, 0),
	F("document_prefix", FK_STR, T_HUB, T_EMB, emb.document_prefix, 0),
	F("default_query_instruction", FK_STR, T_HUB, T_EMB,
	    emb.default_query_instruction, 0),
	F("requires_instruction", FK_BOOL, T_HUB, 0, id, 0),
	F("supports_quantization", FK_BOOL, T_HUB, 0, id, 0),
	F("recommended_quantization", FK_STR, T_HUB, 0, id, 0),
	F("tier_recommendation", FK_STR, T_LLM, 0, id, 0),
	F("context_window", FK_INT, T_LLM, T_LLM, context_window, 1L << 30),
	F("memory_mb", FK_MEM, T_ALL, T_ALL, mem, 0),
#undef F
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

static enum err
nomem(struct loader *l)
{

	return yamldoc_fail(&l->msg, ERR_NOMEM, 0, "out of memory");
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

/* A string value: any scalar; null is "".  *dst is replaced; with dst
 * NULL the value is only checked. */
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
		return yamldoc_fail(&l->msg, ERR_INVAL, v->line,
		    "%s: expected a string", p->key);
	if (dst == NULL)
		return ERR_OK;
	free(*dst);
	if ((*dst = strdup(s)) == NULL)
		return nomem(l);
	return ERR_OK;
}

/* An integer in 0..max; null is 0.  With dst NULL it is only checked. */
static enum err
get_int(struct loader *l, const struct yamldoc_pair *p, long long max,
    long *dst)
{
	const char	*why;
	long long	 v = 0;

	if (!yamldoc_is_null(&p->value) &&
	    yamldoc_int(&p->value, 0, max, &v, &why) == -1)
		return yamldoc_fail(&l->msg, ERR_INVAL, p->value.line,
		    "%s: %s (0..%lld)", p->key, why, max);
	if (dst != NULL)
		*dst = (long)v;
	return ERR_OK;
}

/* A boolean.  With dst NULL it is only checked. */
static enum err
get_bool(struct loader *l, const struct yamldoc_pair *p, int *dst)
{
	int	 b;

	if (yamldoc_bool(&p->value, &b) == -1)
		return yamldoc_fail(&l->msg, ERR_INVAL, p->value.line,
		    "%s: expected true or false", p->key);
	if (dst != NULL)
		*dst = b;
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

/* One quantization of memory_mb into *qm. */
static enum err
get_quant(struct loader *l, const struct yamldoc_pair *q,
    struct quant_mem *qm)
{
	const char	*why;
	char		 eb[64];
	long long	 mb;

	if (!valid_quant(q->key))
		return yamldoc_fail(&l->msg, ERR_INVAL, q->line,
		    "memory_mb: invalid quantization '%s'",
		    esc(eb, sizeof(eb), q->key));
	if (yamldoc_int(&q->value, 0, REGISTRY_MEM_MAX, &mb, &why) == -1)
		return yamldoc_fail(&l->msg, ERR_INVAL, q->value.line,
		    "memory_mb.%s: %s (0..%lld)", q->key, why,
		    REGISTRY_MEM_MAX);
	if ((qm->quant = strdup(q->key)) == NULL)
		return nomem(l);
	qm->mb = (long)mb;
	return ERR_OK;
}

/* memory_mb: a mapping of quantization to whole megabytes. */
static enum err
get_mem(struct loader *l, const struct yamldoc_pair *p, struct model *m)
{
	const struct yamldoc_node	*v = &p->value;
	size_t				 i;
	enum err			 err;

	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_MAPPING)
		return yamldoc_fail(&l->msg, ERR_INVAL, v->line,
		    "memory_mb: expected a mapping");
	if (v->n > 0 && (m->mem = calloc(v->n, sizeof(*m->mem))) == NULL)
		return nomem(l);
	for (i = 0; i < v->n; i++) {
		if ((err = get_quant(l, &v->pairs[i], &m->mem[i])) != ERR_OK)
			return err;
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

/* Reads one key of a model entry into e. */
static enum err
entry_key(struct loader *l, const struct yamldoc_pair *p, struct ent *e)
{
	const struct field	*f;
	char			 eb[64];
	void			*dst = NULL;
	enum err		 err;

	if ((f = field_find(p->key, e->m.type)) == NULL)
		return yamldoc_fail(&l->msg, ERR_INVAL, p->line,
		    "unknown key '%s' in a model entry",
		    esc(eb, sizeof(eb), p->key));
	if (f->kept & (1u << e->m.type))
		dst = (char *)&e->m + f->off;
	switch (f->kind) {
	case FK_STR:
		return get_str(l, p, dst);
	case FK_INT:
		return get_int(l, p, f->max, dst);
	case FK_BOOL:
		/* is_asymmetric is the one boolean kept. */
		if ((err = get_bool(l, p, dst)) == ERR_OK && dst != NULL)
			e->has_asym = 1;
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
		return yamldoc_fail(&l->msg, ERR_INVAL, n->line,
		    "model entry without 'id'");
	if (valid_repo_id(m->id) == -1)
		return yamldoc_fail(&l->msg, ERR_INVAL, n->line,
		    "invalid model id '%s'", esc(eb, sizeof(eb), m->id));
	if (m->name == NULL || *m->name == '\0')
		return yamldoc_fail(&l->msg, ERR_INVAL, n->line,
		    "model '%s' without '%s'", m->id,
		    m->type == MT_LLM ? "display_name" : "name");
	return ERR_OK;
}

/* Reads one model entry; the caller clears e, also on error. */
static enum err
parse_entry(struct loader *l, const struct yamldoc_node *n, struct ent *e)
{
	size_t		 i;
	enum err	 err;

	memset(e, 0, sizeof(*e));
	e->m.type = l->type;
	if (n->kind != YAMLDOC_MAPPING)
		return yamldoc_fail(&l->msg, ERR_INVAL, n->line,
		    "a model entry must be a mapping");
	for (i = 0; i < n->n; i++)
		if ((err = entry_key(l, &n->pairs[i], e)) != ERR_OK)
			return err;
	if ((err = entry_defaults(l, &e->m)) != ERR_OK)
		return err;
	return l->curated ? entry_check(l, n, &e->m) : ERR_OK;
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

/* Whether m has a memory figure for quant. */
static int
has_quant(const struct model *m, const char *quant)
{
	size_t	 i;

	for (i = 0; i < m->nmem; i++)
		if (strcmp(m->mem[i].quant, quant) == 0)
			return 1;
	return 0;
}

/* Adds the quantizations of src that dst lacks (first value wins),
 * taking their strings from src. */
static enum err
mem_merge(struct loader *l, struct model *dst, struct model *src)
{
	size_t	 i, cap = dst->nmem;

	for (i = 0; i < src->nmem; i++) {
		if (has_quant(dst, src->mem[i].quant))
			continue;
		if (array_grow(&dst->mem, &cap, dst->nmem + 1,
		    sizeof(*dst->mem), YAMLDOC_MAX_NODES) != ERR_OK)
			return nomem(l);
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
	size_t		 i;
	enum err	 err;

	for (i = 0; i < l->n; i++)
		if (l->v[i].m.type == e->m.type &&
		    strcmp(l->v[i].m.id, e->m.id) == 0) {
			err = merge(l, &l->v[i], e);
			model_clear(&e->m);
			return err;
		}
	switch (array_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v),
	    REGISTRY_MODELS_MAX)) {
	case ERR_OK:
		break;
	case ERR_TOOBIG:
		return yamldoc_fail(&l->msg, ERR_INVAL, 0,
		    "more than %d models", REGISTRY_MODELS_MAX);
	default:
		return nomem(l);
	}
	e->seq = l->seq++;
	l->v[l->n++] = *e;
	memset(e, 0, sizeof(*e));
	return ERR_OK;
}

/* A "models:" sequence of entries of the file's type. */
static enum err
parse_models(struct loader *l, const struct yamldoc_pair *p)
{
	const struct yamldoc_node	*v = &p->value;
	struct ent			 e;
	size_t				 i;
	enum err			 err;

	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_SEQUENCE)
		return yamldoc_fail(&l->msg, ERR_INVAL, v->line,
		    "models: expected a sequence");
	for (i = 0; i < v->n; i++) {
		err = parse_entry(l, &v->items[i], &e);
		if (err == ERR_OK && l->curated)
			err = add(l, &e);
		model_clear(&e.m);
		if (err != ERR_OK)
			return err;
	}
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
		err = yamldoc_fail(&l->msg, ERR_INVAL, p->value.line,
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

/* A string checked, not used: the reference ignores it. */
static enum err
check_str(struct loader *l, const struct yamldoc_pair *p)
{

	return get_str(l, p, NULL);
}

static enum err
check_bool(struct loader *l, const struct yamldoc_pair *p)
{

	return get_bool(l, p, NULL);
}

/* A key of a mapping above the model entries, and what reads its value
 * (NULL: read by the caller). */
struct keyop {
	const char	*key;
	unsigned	 types;		/* the files where it is allowed */
	enum err	(*fn)(struct loader *, const struct yamldoc_pair *);
};

/* The top level of a file in the "models:" format. */
static const struct keyop hub_keys[] = {
	{ "models",			T_HUB,		parse_models },
	{ "default_embedding_model",	T_EMB,		parse_default },
	{ "default_model",		T_HUB & ~T_EMB,	check_str },
	{ "default_quantization",	T_HUB & ~T_EMB,	check_str },
};

/* The top level of the LLM registry, and one of its providers. */
static const struct keyop llm_keys[] = {
	{ "providers",			T_LLM,		NULL },
};
static const struct keyop provider_keys[] = {
	{ "is_local",			T_LLM,		check_bool },
	{ "models",			T_LLM,		parse_models },
};

#define NKEYOPS(v)	(sizeof(v) / sizeof((v)[0]))

static const struct keyop *
keyop_find(const struct keyop *ops, size_t nops, const char *key,
    enum model_type t)
{
	size_t	 i;

	for (i = 0; i < nops; i++)
		if (strcmp(ops[i].key, key) == 0 && (ops[i].types & (1u << t)))
			return &ops[i];
	return NULL;
}

/* Hands each key of map to its op; a key without one is an error (said
 * to be in provider prov when prov is not NULL). */
static enum err
walk_keys(struct loader *l, const struct yamldoc_node *map,
    const struct keyop *ops, size_t nops, const char *prov)
{
	const struct yamldoc_pair	*p;
	const struct keyop		*op;
	char				 eb[64], pb[64];
	size_t				 i;
	enum err			 err;

	for (i = 0; i < map->n; i++) {
		p = &map->pairs[i];
		if ((op = keyop_find(ops, nops, p->key, l->type)) != NULL) {
			if (op->fn != NULL && (err = op->fn(l, p)) != ERR_OK)
				return err;
		} else if (prov == NULL)
			return yamldoc_fail(&l->msg, ERR_INVAL, p->line,
			    "unknown key '%s'", esc(eb, sizeof(eb), p->key));
		else
			return yamldoc_fail(&l->msg, ERR_INVAL, p->line,
			    "unknown key '%s' in provider '%s'",
			    esc(eb, sizeof(eb), p->key),
			    esc(pb, sizeof(pb), prov));
	}
	return ERR_OK;
}

/* One provider of the LLM registry: {is_local, models}; only "local" is
 * curated. */
static enum err
parse_provider(struct loader *l, const struct yamldoc_pair *prov)
{
	char	 eb[64];

	if (prov->value.kind != YAMLDOC_MAPPING)
		return yamldoc_fail(&l->msg, ERR_INVAL, prov->value.line,
		    "providers.%s: expected a mapping",
		    esc(eb, sizeof(eb), prov->key));
	l->curated = strcmp(prov->key, "local") == 0;
	return walk_keys(l, &prov->value, provider_keys,
	    NKEYOPS(provider_keys), prov->key);
}

/* The LLM registry: providers.<name>.models. */
static enum err
parse_llm(struct loader *l, const struct yamldoc_node *root)
{
	const struct yamldoc_node	*v;
	size_t				 i;
	enum err			 err;

	if ((err = walk_keys(l, root, llm_keys, NKEYOPS(llm_keys), NULL)) !=
	    ERR_OK)
		return err;
	if ((v = yamldoc_get(root, "providers")) == NULL)
		return yamldoc_fail(&l->msg, ERR_INVAL, 0,
		    "no 'providers' mapping");
	if (yamldoc_is_null(v))
		return ERR_OK;
	if (v->kind != YAMLDOC_MAPPING)
		return yamldoc_fail(&l->msg, ERR_INVAL, v->line,
		    "providers: expected a mapping");
	for (i = 0; i < v->n; i++)
		if ((err = parse_provider(l, &v->pairs[i])) != ERR_OK)
			return err;
	return ERR_OK;
}

/* A file of the "models:" format, every entry curated. */
static enum err
parse_hub(struct loader *l, const struct yamldoc_node *root)
{

	if (yamldoc_get(root, "models") == NULL)
		return yamldoc_fail(&l->msg, ERR_INVAL, 0, "no 'models' list");
	l->curated = 1;
	return walk_keys(l, root, hub_keys, NKEYOPS(hub_keys), NULL);
}

static enum err
load_source(struct loader *l, const struct registry_source *src)
{
	struct yamldoc	*doc = NULL;
	enum err	 err;

	l->msg.name = src->path;
	if ((unsigned)src->type >= MT__MAX)
		return yamldoc_fail(&l->msg, ERR_INVAL, 0,
		    "invalid model type");
	l->type = src->type;
	if ((err = yamldoc_load(src->path, &doc, l->msg.errbuf,
	    l->msg.errlen)) != ERR_OK)
		return err == ERR_TOOBIG ? ERR_INVAL : err;
	if (doc->root == NULL || doc->root->kind != YAMLDOC_MAPPING)
		err = yamldoc_fail(&l->msg, ERR_INVAL, doc->root == NULL ? 0 :
		    doc->root->line, "expected a mapping at the top level");
	else if (src->type == MT_LLM)
		err = parse_llm(l, doc->root);
	else
		err = parse_hub(l, doc->root);
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
	l.msg.name = "registry";
	l.msg.errbuf = errbuf;
	l.msg.errlen = errlen;
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
