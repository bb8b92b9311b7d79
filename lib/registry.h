#ifndef MM_REGISTRY_H
#define MM_REGISTRY_H

#include <stddef.h>

#include "err.h"

/*
 * The curated model registry: the models an admin may download, read from
 * the source files listed in the configuration (conf/models/ by default).
 * Identity is (id, model_type).  Entries sharing an identity are merged:
 * the entry with more non-empty type-specific fields wins, a tie goes to
 * the source listed first, and memory_mb maps are merged key by key (the
 * first value seen in source order wins).  Models are sorted by
 * (model_type name, name) with byte comparison (strcmp), as the reference.
 */

enum model_type {
	MT_EMBEDDING = 0,
	MT_LLM,
	MT_RERANKER,
	MT_SPLADE,
	MT__MAX
};

/* "embedding", "llm", "reranker", "splade"; NULL if out of range. */
const char	*model_type_str(enum model_type t);
/* Returns 0 and sets *t, or -1 if s names no type (case-sensitive). */
int		 model_type_parse(const char *s, enum model_type *t);

struct quant_mem {
	char	*quant;		/* "float32", "int8", ... */
	long	 mb;
};

struct embedding_details {
	long	 dimension;		/* 0 = unknown */
	long	 max_sequence_length;	/* 0 = unknown */
	char	*pooling_method;	/* never NULL ("" = unknown) */
	int	 is_asymmetric;
	char	*query_prefix;		/* never NULL */
	char	*document_prefix;	/* never NULL */
	char	*default_query_instruction; /* never NULL */
};

struct model {
	char			*id;
	char			*name;
	char			*description;	/* never NULL */
	enum model_type		 type;
	struct quant_mem	*mem;		/* in source order */
	size_t			 nmem;
	struct embedding_details emb;		/* MT_EMBEDDING only */
	long			 context_window; /* MT_LLM; 0 = unknown */
};

/* One source file and the type of models it holds.  MT_LLM files use the
 * host application's registry format (providers.<name>.models; only the
 * provider key "local" is curated, name = display_name); the other types
 * use "models: [{id, name, description, memory_mb, ...}]". */
struct registry_source {
	enum model_type	 type;
	const char	*path;
};

struct registry {
	struct model	*models;	/* sorted, see above */
	size_t		 n;
	char		*default_embedding_model; /* never NULL */
};

/*
 * Loads and merges the sources in order.  default_model, when non-NULL,
 * wins over the embedding file's default_embedding_model; without either,
 * "Qwen/Qwen3-Embedding-0.6B".  On error returns ERR_INVAL (or ERR_IO,
 * ERR_NOMEM) and writes a message naming the file, line and key into
 * errbuf; *out is then NULL.  The caller frees *out with registry_free().
 */
enum err	 registry_load(const struct registry_source *src, size_t nsrc,
		    const char *default_model, struct registry **out,
		    char *errbuf, size_t errlen);

/* The model with that identity, or NULL.  Borrowed: lives as long as reg. */
const struct model *registry_find(const struct registry *reg, const char *id,
		    enum model_type type);
/* The first model (in sorted order) with that id, whatever its type. */
const struct model *registry_find_id(const struct registry *reg,
		    const char *id);
/* Accepts NULL; sets *reg to NULL. */
void		 registry_free(struct registry **reg);

#endif
