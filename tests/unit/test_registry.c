/*
 * The curated registry (lib/registry.c) and the YAML document tree under
 * it (lib/yamldoc.c): the shipped model files, every merge rule, the
 * byte-order sort, and the error messages, with fixtures written into a
 * temporary directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "registry.h"
#include "unit.h"
#include "yamldoc.h"

/* "q=mb,q=mb" of a model's memory map, in its order. */
static void
mem_str(const struct model *m, char *buf, size_t len)
{
	size_t	 i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < m->nmem && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s=%ld",
		    i > 0 ? "," : "", m->mem[i].quant, m->mem[i].mb);
}

static const struct registry_source shipped[] = {
	{ MT_EMBEDDING,	"conf/models/embedding.yaml" },
	{ MT_LLM,	"conf/models/llm.yaml" },
	{ MT_RERANKER,	"conf/models/reranker.yaml" },
	{ MT_SPLADE,	"conf/models/splade.yaml" },
};

/* The shipped data, in the expected sorted order. */
static const struct {
	enum model_type	 type;
	const char	*id;
} shipped_order[] = {
	{ MT_EMBEDDING, "BAAI/bge-base-en-v1.5" },
	{ MT_EMBEDDING, "BAAI/bge-large-en-v1.5" },
	{ MT_EMBEDDING, "BAAI/bge-m3" },
	{ MT_EMBEDDING, "BAAI/bge-small-en-v1.5" },
	{ MT_EMBEDDING, "Qwen/Qwen3-Embedding-0.6B" },
	{ MT_EMBEDDING, "Qwen/Qwen3-Embedding-4B" },
	{ MT_EMBEDDING, "Qwen/Qwen3-Embedding-8B" },
	{ MT_EMBEDDING, "dunzhang/stella-mrl-large-zh-v3.5-1792d" },
	{ MT_EMBEDDING, "dunzhang/stella_en_1.5B_v5" },
	{ MT_EMBEDDING, "dunzhang/stella_en_400M_v5" },
	{ MT_EMBEDDING, "google/embeddinggemma-300m" },
	{ MT_EMBEDDING, "intfloat/e5-base-v2" },
	{ MT_EMBEDDING, "intfloat/e5-large-v2" },
	{ MT_EMBEDDING, "intfloat/e5-mistral-7b-instruct" },
	{ MT_EMBEDDING, "intfloat/e5-small-v2" },
	{ MT_EMBEDDING, "intfloat/multilingual-e5-base" },
	{ MT_EMBEDDING, "intfloat/multilingual-e5-large" },
	{ MT_EMBEDDING, "intfloat/multilingual-e5-large-instruct" },
	{ MT_EMBEDDING, "nomic-ai/nomic-embed-text-v1" },
	{ MT_EMBEDDING, "nomic-ai/nomic-embed-text-v1.5" },
	{ MT_EMBEDDING, "nomic-ai/nomic-embed-text-v2-moe" },
	{ MT_EMBEDDING, "sentence-transformers/all-MiniLM-L6-v2" },
	{ MT_EMBEDDING, "sentence-transformers/all-mpnet-base-v2" },
	{ MT_LLM, "Qwen/Qwen2.5-0.5B-Instruct" },
	{ MT_LLM, "Qwen/Qwen2.5-1.5B-Instruct" },
	{ MT_LLM, "Qwen/Qwen2.5-3B-Instruct" },
	{ MT_LLM, "Qwen/Qwen2.5-7B-Instruct" },
	{ MT_RERANKER, "Qwen/Qwen3-Reranker-0.6B" },
	{ MT_RERANKER, "Qwen/Qwen3-Reranker-4B" },
	{ MT_RERANKER, "Qwen/Qwen3-Reranker-8B" },
	{ MT_SPLADE, "naver/splade-cocondenser-ensembledistil" },
	{ MT_SPLADE, "naver/splade-v3" },
};

static struct registry *
load_shipped(const char *default_model)
{
	struct registry	*reg = NULL;
	char		 err[512] = "";

	CU_ASSERT_EQUAL_FATAL(registry_load(shipped, 4, default_model, &reg,
	    err, sizeof(err)), ERR_OK);
	if (err[0] != '\0')
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
	return reg;
}

static void
test_shipped_order(void)
{
	struct registry	*reg = load_shipped(NULL);
	size_t		 i, count[MT__MAX] = { 0 };

	CU_ASSERT_EQUAL_FATAL(reg->n, 32);
	for (i = 0; i < reg->n; i++) {
		count[reg->models[i].type]++;
		CU_ASSERT_EQUAL(reg->models[i].type, shipped_order[i].type);
		CU_ASSERT_STRING_EQUAL(reg->models[i].id,
		    shipped_order[i].id);
	}
	CU_ASSERT_EQUAL(count[MT_EMBEDDING], 23);
	CU_ASSERT_EQUAL(count[MT_LLM], 4);
	CU_ASSERT_EQUAL(count[MT_RERANKER], 3);
	CU_ASSERT_EQUAL(count[MT_SPLADE], 2);
	CU_ASSERT_STRING_EQUAL(reg->default_embedding_model,
	    "Qwen/Qwen3-Embedding-0.6B");
	registry_free(&reg);
	CU_ASSERT_PTR_NULL(reg);
	registry_free(&reg);
	registry_free(NULL);
}

/* Field values of a few shipped models. */
static const struct {
	enum model_type	 type;
	const char	*id;
	const char	*name;
	const char	*description;
	long		 dimension, max_seq, context;
	const char	*pooling;
	int		 asym;
	const char	*qprefix, *dprefix, *dqi;
	const char	*mem;
} shipped_fields[] = {
	{ MT_EMBEDDING, "BAAI/bge-large-en-v1.5", "BAAI/bge-large-en-v1.5",
	    "State-of-the-art English embeddings", 1024, 512, 0, "mean", 1,
	    "Represent this sentence for searching relevant passages: ", "",
	    "", NULL },
	{ MT_EMBEDDING, "Qwen/Qwen3-Embedding-0.6B",
	    "Qwen/Qwen3-Embedding-0.6B",
	    "Qwen3 small model, instruction-aware (1024d)", 1024, 32768, 0,
	    "last_token", 1, "", "", "Given a web search query, retrieve "
	    "relevant passages that answer the query",
	    "float32=2400,float16=1200,int8=600" },
	{ MT_EMBEDDING, "Qwen/Qwen3-Embedding-8B", "Qwen/Qwen3-Embedding-8B",
	    "Qwen3 large model, MTEB #1 (4096d)", 4096, 32768, 0,
	    "last_token", 1, "", "", "Given a web search query, retrieve "
	    "relevant passages that answer the query", NULL },
	{ MT_EMBEDDING, "intfloat/e5-base-v2", "intfloat/e5-base-v2",
	    "Mid-size English embeddings (109M)", 768, 512, 0, "mean", 1,
	    "query: ", "passage: ", "", NULL },
	{ MT_EMBEDDING, "sentence-transformers/all-MiniLM-L6-v2",
	    "sentence-transformers/all-MiniLM-L6-v2",
	    "Fast, lightweight model for general use", 384, 256, 0, "mean", 0,
	    "", "", "", NULL },
	{ MT_LLM, "Qwen/Qwen2.5-0.5B-Instruct", "Local - Qwen 2.5 0.5B",
	    "Tiny model for simple tasks", 0, 0, 32768, "", 0, "", "", "",
	    "float16=1300,int8=800,int4=500" },
	{ MT_LLM, "Qwen/Qwen2.5-7B-Instruct", "Local - Qwen 2.5 7B",
	    "Large model, best quality", 0, 0, 32768, "", 0, "", "", "",
	    "float16=15000,int8=8500,int4=5000" },
	{ MT_RERANKER, "Qwen/Qwen3-Reranker-4B", "Qwen3-Reranker-4B",
	    "Cross-encoder reranker, 4B parameters", 0, 0, 0, "", 0, "", "",
	    "", "float32=16000,float16=8000,int8=4000" },
	{ MT_SPLADE, "naver/splade-v3", "splade-v3",
	    "SPLADE v3 learned sparse model", 0, 0, 0, "", 0, "", "", "",
	    "float32=880,float16=440,int8=220" },
};

static void
test_shipped_fields(void)
{
	struct registry		*reg = load_shipped(NULL);
	const struct model	*m;
	char			 mem[256];
	size_t			 i;

	for (i = 0; i < sizeof(shipped_fields) / sizeof(shipped_fields[0]);
	    i++) {
		m = registry_find(reg, shipped_fields[i].id,
		    shipped_fields[i].type);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_STRING_EQUAL(m->name, shipped_fields[i].name);
		CU_ASSERT_STRING_EQUAL(m->description,
		    shipped_fields[i].description);
		CU_ASSERT_EQUAL(m->emb.dimension, shipped_fields[i].dimension);
		CU_ASSERT_EQUAL(m->emb.max_sequence_length,
		    shipped_fields[i].max_seq);
		CU_ASSERT_EQUAL(m->context_window, shipped_fields[i].context);
		CU_ASSERT_STRING_EQUAL(m->emb.pooling_method,
		    shipped_fields[i].pooling);
		CU_ASSERT_EQUAL(m->emb.is_asymmetric, shipped_fields[i].asym);
		CU_ASSERT_STRING_EQUAL(m->emb.query_prefix,
		    shipped_fields[i].qprefix);
		CU_ASSERT_STRING_EQUAL(m->emb.document_prefix,
		    shipped_fields[i].dprefix);
		CU_ASSERT_STRING_EQUAL(m->emb.default_query_instruction,
		    shipped_fields[i].dqi);
		if (shipped_fields[i].mem != NULL) {
			mem_str(m, mem, sizeof(mem));
			CU_ASSERT_STRING_EQUAL(mem, shipped_fields[i].mem);
		}
	}
	/* Lookups: identity is (id, type); find_id is the first sorted. */
	CU_ASSERT_PTR_NULL(registry_find(reg, "Qwen/Qwen3-Reranker-4B",
	    MT_EMBEDDING));
	CU_ASSERT_PTR_NULL(registry_find(reg, "claude-opus-4-5-20251101",
	    MT_LLM));
	CU_ASSERT_PTR_NULL(registry_find_id(reg, "gpt-4o"));
	CU_ASSERT_PTR_NULL(registry_find_id(reg, "qwen/qwen3-reranker-4b"));
	m = registry_find_id(reg, "naver/splade-v3");
	CU_ASSERT(m != NULL && m->type == MT_SPLADE);
	registry_free(&reg);
}

static void
test_default_model(void)
{
	/* Source 1 has the "file" line; source 2, used when nsrc is 2,
	 * says org/second.  The first non-empty one wins. */
	static const struct {
		const char	*arg;
		const char	*file;	/* default_embedding_model line */
		size_t		 nsrc;
		const char	*want;
	} cases[] = {
		{ NULL, "", 1, "Qwen/Qwen3-Embedding-0.6B" },
		{ NULL, "default_embedding_model: \"\"\n", 1,
		    "Qwen/Qwen3-Embedding-0.6B" },
		{ NULL, "default_embedding_model: ~\n", 1,
		    "Qwen/Qwen3-Embedding-0.6B" },
		{ NULL, "default_embedding_model: BAAI/bge-m3\n", 1,
		    "BAAI/bge-m3" },
		{ NULL, "default_embedding_model: BAAI/bge-m3\n", 2,
		    "BAAI/bge-m3" },
		{ NULL, "", 2, "org/second" },
		{ NULL, "default_embedding_model: \"\"\n", 2, "org/second" },
		{ "", "default_embedding_model: BAAI/bge-m3\n", 1,
		    "BAAI/bge-m3" },
		{ "org/env-model", "default_embedding_model: BAAI/bge-m3\n", 2,
		    "org/env-model" },
		{ "org/env-model", "", 1, "org/env-model" },
	};
	struct registry_source	 src[2];
	struct registry		*reg;
	char			 err[512], text[256], *p1, *p2;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%smodels: []\n", cases[i].file);
		p1 = unit_fixture("default.yaml", text);
		/* A second embedding file's default never wins. */
		p2 = unit_fixture("default2.yaml",
		    "default_embedding_model: org/second\nmodels: []\n");
		src[0] = (struct registry_source){ MT_EMBEDDING, p1 };
		src[1] = (struct registry_source){ MT_EMBEDDING, p2 };
		reg = NULL;
		CU_ASSERT_EQUAL_FATAL(registry_load(src, cases[i].nsrc,
		    cases[i].arg, &reg, err, sizeof(err)), ERR_OK);
		CU_ASSERT_STRING_EQUAL(reg->default_embedding_model,
		    cases[i].want);
		CU_ASSERT_EQUAL(reg->n, 0);
		registry_free(&reg);
		free(p1);
		free(p2);
	}
}

/*
 * Merge rules: up to three sources; the probe (id, type) must carry the
 * expected name, description, dimension, context and memory map.
 */
static const struct {
	const char	*what;
	struct {
		enum model_type	 type;
		const char	*text;
	} src[3];
	size_t		 nmodels;
	enum model_type	 type;
	const char	*id;
	const char	*name, *description;
	long		 dimension, context;
	const char	*mem;
} merges[] = {
	{ "more fields wins even when listed later", {
	    { MT_EMBEDDING, "models:\n"
		"- id: org/m\n  name: first\n  description: one\n"
		"  dimension: 384\n"
		"  memory_mb: {float32: 100, int8: 25}\n" },
	    { MT_EMBEDDING, "models:\n"
		"- id: org/m\n  name: second\n  description: two\n"
		"  dimension: 768\n  max_sequence_length: 512\n"
		"  pooling_method: mean\n"
		"  memory_mb: {float32: 999, float16: 50}\n" } },
	    1, MT_EMBEDDING, "org/m", "second", "two", 768, 0,
	    "float32=100,int8=25,float16=50" },
	{ "tie goes to the first source", {
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/m, name: first, dimension: 384}\n" },
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/m, name: second, description: d, "
		"pooling_method: cls, memory_mb: {int8: 7}}\n" } },
	    1, MT_EMBEDDING, "org/m", "first", "", 384, 0, "int8=7" },
	{ "fewer fields never wins", {
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/m, name: first, dimension: 384, "
		"query_prefix: 'q: '}\n" },
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/m, name: second, dimension: 1024}\n" } },
	    1, MT_EMBEDDING, "org/m", "first", "", 384, 0, "" },
	{ "is_asymmetric given counts as a field, even false", {
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/m, name: first, dimension: 384}\n" },
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/m, name: second, dimension: 384, "
		"is_asymmetric: false}\n" } },
	    1, MT_EMBEDDING, "org/m", "second", "", 384, 0, "" },
	{ "empty strings and zeros are not fields", {
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/m, name: first, dimension: 8}\n" },
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/m, name: second, dimension: 0, "
		"pooling_method: '', query_prefix: ~}\n" } },
	    1, MT_EMBEDDING, "org/m", "first", "", 8, 0, "" },
	{ "memory maps merge over three sources, first value wins", {
	    { MT_RERANKER, "models:\n"
		"- {id: org/r, name: one, memory_mb: {float16: 1}}\n" },
	    { MT_RERANKER, "models:\n"
		"- {id: org/r, name: two, memory_mb: {float16: 2, int8: 2}}\n"
	    },
	    { MT_RERANKER, "models:\n"
		"- {id: org/r, name: three, memory_mb: {int4: 3, int8: 3, "
		"float32: 3}}\n" } },
	    1, MT_RERANKER, "org/r", "one", "", 0, 0,
	    "float16=1,int8=2,int4=3,float32=3" },
	{ "llm: a context window wins", {
	    { MT_LLM, "providers:\n  local:\n    models:\n"
		"    - {id: org/l, display_name: first, "
		"memory_mb: {int4: 1}}\n" },
	    { MT_LLM, "providers:\n  local:\n    models:\n"
		"    - {id: org/l, display_name: second, "
		"context_window: 4096, memory_mb: {int4: 2, int8: 4}}\n" } },
	    1, MT_LLM, "org/l", "second", "", 0, 4096, "int4=1,int8=4" },
	{ "same id, different type: two models", {
	    { MT_EMBEDDING, "models:\n"
		"- {id: org/x, name: emb, dimension: 3}\n" },
	    { MT_RERANKER, "models:\n"
		"- {id: org/x, name: rer, dimension: 3}\n" } },
	    2, MT_RERANKER, "org/x", "rer", "", 0, 0, "" },
	{ "same identity twice in one file merges too", {
	    { MT_SPLADE, "models:\n"
		"- {id: org/s, name: a, memory_mb: {int8: 1}}\n"
		"- {id: org/s, name: b, memory_mb: {float32: 4}}\n" } },
	    1, MT_SPLADE, "org/s", "a", "", 0, 0, "int8=1,float32=4" },
};

static void
test_merge(void)
{
	struct registry_source	 src[3];
	struct registry		*reg;
	const struct model	*m;
	char			 err[512], name[32], mem[256];
	char			*paths[3];
	size_t			 i, j, n;

	for (i = 0; i < sizeof(merges) / sizeof(merges[0]); i++) {
		for (n = 0; n < 3 && merges[i].src[n].text != NULL; n++) {
			snprintf(name, sizeof(name), "merge%zu-%zu.yaml", i, n);
			paths[n] = unit_fixture(name, merges[i].src[n].text);
			src[n] = (struct registry_source){
			    merges[i].src[n].type, paths[n] };
		}
		reg = NULL;
		err[0] = '\0';
		CU_ASSERT_EQUAL(registry_load(src, n, NULL, &reg, err,
		    sizeof(err)), ERR_OK);
		if (reg == NULL) {
			fprintf(stderr, "%s: %s\n", merges[i].what, err);
			CU_FAIL(merges[i].what);
			goto next;
		}
		CU_ASSERT_EQUAL(reg->n, merges[i].nmodels);
		m = registry_find(reg, merges[i].id, merges[i].type);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_STRING_EQUAL(m->id, merges[i].id);
		CU_ASSERT_STRING_EQUAL(m->name, merges[i].name);
		CU_ASSERT_STRING_EQUAL(m->description, merges[i].description);
		CU_ASSERT_EQUAL(m->emb.dimension, merges[i].dimension);
		CU_ASSERT_EQUAL(m->context_window, merges[i].context);
		mem_str(m, mem, sizeof(mem));
		CU_ASSERT_STRING_EQUAL(mem, merges[i].mem);
		if (strcmp(m->name, merges[i].name) != 0 ||
		    strcmp(mem, merges[i].mem) != 0)
			fprintf(stderr, "%s: got %s [%s]\n", merges[i].what,
			    m->name, mem);
		registry_free(&reg);
next:
		for (j = 0; j < n; j++)
			free(paths[j]);
	}
}

/* Only the embedding type keeps embedding details. */
static void
test_details_by_type(void)
{
	struct registry_source	 src[2];
	struct registry		*reg = NULL;
	const struct model	*m;
	char			 err[512], *p1, *p2;

	p1 = unit_fixture("details-emb.yaml", "models:\n"
	    "- {id: org/x, name: e, dimension: 3, max_sequence_length: 9, "
	    "pooling_method: cls, is_asymmetric: true, query_prefix: q, "
	    "document_prefix: d, default_query_instruction: i, "
	    "requires_instruction: false, supports_quantization: true, "
	    "recommended_quantization: int8}\n");
	p2 = unit_fixture("details-rer.yaml", "default_model: org/x\n"
	    "default_quantization: float16\nmodels:\n"
	    "- {id: org/x, name: r, dimension: 3, max_sequence_length: 9, "
	    "pooling_method: cls, is_asymmetric: true, query_prefix: q, "
	    "document_prefix: d, default_query_instruction: i}\n");
	src[0] = (struct registry_source){ MT_EMBEDDING, p1 };
	src[1] = (struct registry_source){ MT_RERANKER, p2 };
	CU_ASSERT_EQUAL_FATAL(registry_load(src, 2, NULL, &reg, err,
	    sizeof(err)), ERR_OK);
	m = registry_find(reg, "org/x", MT_EMBEDDING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(m->emb.dimension == 3 && m->emb.max_sequence_length == 9 &&
	    m->emb.is_asymmetric == 1);
	CU_ASSERT_STRING_EQUAL(m->emb.pooling_method, "cls");
	CU_ASSERT_STRING_EQUAL(m->emb.query_prefix, "q");
	CU_ASSERT_STRING_EQUAL(m->emb.document_prefix, "d");
	CU_ASSERT_STRING_EQUAL(m->emb.default_query_instruction, "i");
	m = registry_find(reg, "org/x", MT_RERANKER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(m->emb.dimension == 0 && m->emb.max_sequence_length == 0 &&
	    m->emb.is_asymmetric == 0);
	CU_ASSERT_STRING_EQUAL(m->emb.pooling_method, "");
	CU_ASSERT_STRING_EQUAL(m->emb.query_prefix, "");
	CU_ASSERT_EQUAL(m->nmem, 0);
	/* find_id: embedding sorts before reranker. */
	CU_ASSERT_EQUAL(registry_find_id(reg, "org/x")->type, MT_EMBEDDING);
	registry_free(&reg);
	free(p1);
	free(p2);
}

/* (type, name) by strcmp: types in name order, uppercase before '_'
 * before lowercase; equal names keep their first-seen order. */
static void
test_sort(void)
{
	static const struct {
		enum model_type	 type;
		const char	*id;
	} want[] = {
		{ MT_EMBEDDING, "o/B" }, { MT_EMBEDDING, "o/Z" },
		{ MT_EMBEDDING, "o/u" }, { MT_EMBEDDING, "o/a" },
		{ MT_EMBEDDING, "o/b" }, { MT_EMBEDDING, "o/b2" },
		{ MT_EMBEDDING, "o/b1" }, { MT_LLM, "o/l" },
		{ MT_RERANKER, "o/r" }, { MT_SPLADE, "o/a" },
	};
	struct registry_source	 src[4];
	struct registry		*reg = NULL;
	char			 err[512], *p[4];
	size_t			 i;

	p[0] = unit_fixture("sort-splade.yaml",
	    "models:\n- {id: o/a, name: a}\n");
	p[1] = unit_fixture("sort-rer.yaml", "models:\n- {id: o/r, name: A}\n");
	p[2] = unit_fixture("sort-emb.yaml", "models:\n"
	    "- {id: o/a, name: alpha}\n- {id: o/b, name: beta}\n"
	    "- {id: o/b2, name: beta2}\n- {id: o/b1, name: beta2}\n"
	    "- {id: o/Z, name: Zeta}\n- {id: o/u, name: _under}\n"
	    "- {id: o/B, name: Beta}\n");
	p[3] = unit_fixture("sort-llm.yaml", "providers:\n  local:\n"
	    "    models:\n    - {id: o/l, display_name: zzz, name: short}\n");
	src[0] = (struct registry_source){ MT_SPLADE, p[0] };
	src[1] = (struct registry_source){ MT_RERANKER, p[1] };
	src[2] = (struct registry_source){ MT_EMBEDDING, p[2] };
	src[3] = (struct registry_source){ MT_LLM, p[3] };
	CU_ASSERT_EQUAL_FATAL(registry_load(src, 4, NULL, &reg, err,
	    sizeof(err)), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(reg->n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < reg->n; i++) {
		CU_ASSERT_EQUAL(reg->models[i].type, want[i].type);
		CU_ASSERT_STRING_EQUAL(reg->models[i].id, want[i].id);
	}
	CU_ASSERT_STRING_EQUAL(registry_find(reg, "o/l", MT_LLM)->name,
	    "zzz");
	registry_free(&reg);
	for (i = 0; i < 4; i++)
		free(p[i]);
}

/* The LLM registry: only provider "local" is curated; the others are
 * checked for their shape only. */
static void
test_llm_providers(void)
{
	struct registry_source	 src;
	struct registry		*reg = NULL;
	char			 err[512], *p;

	p = unit_fixture("llm-providers.yaml", "providers:\n"
	    "  anthropic:\n    is_local: false\n    models:\n"
	    "    - {id: 'claude@2024', name: C, display_name: 'C - C', "
	    "tier_recommendation: high, context_window: 200000, "
	    "description: x}\n"
	    "  local:\n    is_local: true\n    models:\n"
	    "    - {id: org/l, name: L, display_name: 'Local - L', "
	    "tier_recommendation: low, context_window: 8192, "
	    "description: y}\n"
	    "  other:\n    models: ~\n");
	src = (struct registry_source){ MT_LLM, p };
	CU_ASSERT_EQUAL_FATAL(registry_load(&src, 1, NULL, &reg, err,
	    sizeof(err)), ERR_OK);
	CU_ASSERT_EQUAL_FATAL(reg->n, 1);
	CU_ASSERT_STRING_EQUAL(reg->models[0].id, "org/l");
	CU_ASSERT_STRING_EQUAL(reg->models[0].name, "Local - L");
	CU_ASSERT_STRING_EQUAL(reg->models[0].description, "y");
	CU_ASSERT_EQUAL(reg->models[0].context_window, 8192);
	CU_ASSERT_EQUAL(reg->models[0].type, MT_LLM);
	registry_free(&reg);
	free(p);
}

static void
test_type_names(void)
{
	static const struct {
		const char	*s;
		int		 rc;
		enum model_type	 t;
	} cases[] = {
		{ "embedding", 0, MT_EMBEDDING }, { "llm", 0, MT_LLM },
		{ "reranker", 0, MT_RERANKER }, { "splade", 0, MT_SPLADE },
		{ "Embedding", -1, MT_EMBEDDING }, { "", -1, MT_EMBEDDING },
		{ "sparse", -1, MT_EMBEDDING }, { "llm ", -1, MT_EMBEDDING },
	};
	enum model_type	 t;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = MT__MAX;
		CU_ASSERT_EQUAL(model_type_parse(cases[i].s, &t), cases[i].rc);
		if (cases[i].rc == 0) {
			CU_ASSERT_EQUAL(t, cases[i].t);
			CU_ASSERT_STRING_EQUAL(model_type_str(t), cases[i].s);
		}
	}
	CU_ASSERT_PTR_NULL(model_type_str(MT__MAX));
	CU_ASSERT_PTR_NULL(model_type_str((enum model_type)-1));
}

/* Errors: the message is "<path><suffix>" exactly. */
static const struct {
	enum model_type	 type;
	const char	*text;		/* NULL: the file does not exist */
	enum err	 err;
	const char	*suffix;
} errors[] = {
	{ MT_EMBEDDING, NULL, ERR_IO, ": No such file or directory" },
	{ MT_EMBEDDING, "models:\n- id: org/m\n  name: [unclosed\n",
	    ERR_INVAL, ":4: did not find expected ',' or ']' "
	    "(while parsing a flow sequence)" },
	{ MT_EMBEDDING, "models:\n- id: org/m\n   name: x\n", ERR_INVAL,
	    ":3: mapping values are not allowed in this context" },
	{ MT_EMBEDDING, "models:\n- id: org/m\n  name: m\n  colour: red\n",
	    ERR_INVAL, ":4: unknown key 'colour' in a model entry" },
	{ MT_EMBEDDING, "modles: []\nmodels: []\n", ERR_INVAL,
	    ":1: unknown key 'modles'" },
	{ MT_RERANKER, "default_embedding_model: a/b\nmodels: []\n",
	    ERR_INVAL, ":1: unknown key 'default_embedding_model'" },
	{ MT_EMBEDDING, "default_model: a/b\nmodels: []\n", ERR_INVAL,
	    ":1: unknown key 'default_model'" },
	{ MT_LLM, "providers:\n  local:\n    models:\n"
	    "    - {id: a/b, display_name: x, dimension: 3}\n", ERR_INVAL,
	    ":4: unknown key 'dimension' in a model entry" },
	{ MT_LLM, "providers:\n  local:\n    is_local: true\n"
	    "    modles: []\n", ERR_INVAL,
	    ":4: unknown key 'modles' in provider 'local'" },
	{ MT_LLM, "models: []\n", ERR_INVAL, ":1: unknown key 'models'" },
	{ MT_LLM, "{}\n", ERR_INVAL, ": no 'providers' mapping" },
	{ MT_EMBEDDING, "models:\n- id: org/m\n  name: m\n  id: org/n\n",
	    ERR_INVAL, ":4: duplicate key 'id'" },
	{ MT_EMBEDDING, "models: []\nmodels: []\n", ERR_INVAL,
	    ":2: duplicate key 'models'" },
	{ MT_EMBEDDING, "models:\n- id: org/m\n  name: m\n  memory_mb:\n"
	    "    int8: lots\n", ERR_INVAL,
	    ":5: memory_mb.int8: not an integer (0..1000000000)" },
	{ MT_SPLADE, "models:\n- {id: a/b, name: m, memory_mb: {int8: 1.5}}\n",
	    ERR_INVAL, ":2: memory_mb.int8: not an integer (0..1000000000)" },
	{ MT_SPLADE, "models:\n- {id: a/b, name: m, memory_mb: {int8: -1}}\n",
	    ERR_INVAL, ":2: memory_mb.int8: too small (0..1000000000)" },
	{ MT_SPLADE, "models:\n- {id: a/b, name: m, memory_mb: {int8: '1'}}\n",
	    ERR_INVAL, ":2: memory_mb.int8: not an integer (0..1000000000)" },
	{ MT_SPLADE, "models:\n- {id: a/b, name: m, memory_mb: [1]}\n",
	    ERR_INVAL, ":2: memory_mb: expected a mapping" },
	{ MT_SPLADE, "models:\n- {id: a/b, name: m, memory_mb: {'in t8': 1}}\n",
	    ERR_INVAL, ":2: memory_mb: invalid quantization 'in t8'" },
	{ MT_EMBEDDING, "models:\n- {id: a/b, name: m, dimension: '384'}\n",
	    ERR_INVAL, ":2: dimension: not an integer (0..1048576)" },
	{ MT_EMBEDDING, "models:\n- {id: a/b, name: m, dimension: 0384}\n",
	    ERR_INVAL, ":2: dimension: not an integer (0..1048576)" },
	{ MT_EMBEDDING, "models:\n- {id: a/b, name: m, dimension: 2000000}\n",
	    ERR_INVAL, ":2: dimension: too large (0..1048576)" },
	{ MT_EMBEDDING, "models:\n- {id: a/b, name: m, is_asymmetric: yes}\n",
	    ERR_INVAL, ":2: is_asymmetric: expected true or false" },
	{ MT_EMBEDDING, "models:\n- {id: a/b, name: [m]}\n", ERR_INVAL,
	    ":2: name: expected a string" },
	{ MT_EMBEDDING, "models:\n- name: m\n  description: no id\n",
	    ERR_INVAL, ":2: model entry without 'id'" },
	{ MT_EMBEDDING, "models:\n- {id: '', name: m}\n", ERR_INVAL,
	    ":2: model entry without 'id'" },
	{ MT_EMBEDDING, "models:\n- {id: 'org/a b', name: m}\n", ERR_INVAL,
	    ":2: invalid model id 'org/a b'" },
	{ MT_EMBEDDING, "models:\n- {id: org/x--y, name: m}\n", ERR_INVAL,
	    ":2: invalid model id 'org/x--y'" },
	{ MT_EMBEDDING, "models:\n- {id: a/b/c, name: m}\n", ERR_INVAL,
	    ":2: invalid model id 'a/b/c'" },
	{ MT_RERANKER, "models:\n- {id: org/m}\n", ERR_INVAL,
	    ":2: model 'org/m' without 'name'" },
	{ MT_LLM, "providers:\n  local:\n    models:\n"
	    "    - {id: org/m, name: short}\n", ERR_INVAL,
	    ":4: model 'org/m' without 'display_name'" },
	{ MT_EMBEDDING, "models: {id: a/b}\n", ERR_INVAL,
	    ":1: models: expected a sequence" },
	{ MT_EMBEDDING, "models:\n- just a string\n", ERR_INVAL,
	    ":2: a model entry must be a mapping" },
	{ MT_EMBEDDING, "default_embedding_model: a/b\n", ERR_INVAL,
	    ": no 'models' list" },
	{ MT_EMBEDDING, "default_embedding_model: 'not valid'\nmodels: []\n",
	    ERR_INVAL, ":1: default_embedding_model: invalid model id "
	    "'not valid'" },
	{ MT_EMBEDDING, "- a\n", ERR_INVAL,
	    ":1: expected a mapping at the top level" },
	{ MT_EMBEDDING, "# nothing\n", ERR_INVAL,
	    ": expected a mapping at the top level" },
	{ MT_EMBEDDING, "models:\n- &a {id: a/b, name: m}\n- *a\n", ERR_INVAL,
	    ":2: anchors and aliases are not supported" },
	{ MT_EMBEDDING, "models: []\n---\nmodels: []\n", ERR_INVAL,
	    ":2: multiple documents are not supported" },
	{ MT_EMBEDDING, "models:\n- {id: a/b, name: \"m\\0\"}\n", ERR_INVAL,
	    ":2: NUL character in a scalar" },
	{ MT_EMBEDDING, "models:\n- {id: a/b, name: m, \"bad\\x01key\": 1}\n",
	    ERR_INVAL, ":2: unknown key 'bad\\x01key' in a model entry" },
};

static void
test_errors(void)
{
	struct registry_source	 src;
	struct registry		*reg;
	char			 err[512], want[512], name[32], *path;
	size_t			 i;
	enum err		 e;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		snprintf(name, sizeof(name), "error%zu.yaml", i);
		if (errors[i].text != NULL)
			path = unit_fixture(name, errors[i].text);
		else if (asprintf(&path, "%s/%s", unit_scratch(), name) == -1)
			abort();
		src = (struct registry_source){ errors[i].type, path };
		reg = (struct registry *)&src;	/* must be reset to NULL */
		err[0] = '\0';
		e = registry_load(&src, 1, NULL, &reg, err, sizeof(err));
		snprintf(want, sizeof(want), "%s%s", path, errors[i].suffix);
		CU_ASSERT_EQUAL(e, errors[i].err);
		CU_ASSERT_PTR_NULL(reg);
		CU_ASSERT_STRING_EQUAL(err, want);
		if (e != errors[i].err || strcmp(err, want) != 0)
			fprintf(stderr, "case %zu: got %d '%s'\n", i, (int)e,
			    err);
		if (e == ERR_OK)
			registry_free(&reg);
		free(path);
	}
}

/* yamldoc: the tree, its lines, and its limits. */
static void
test_yamldoc_tree(void)
{
	static const char	 text[] =
	    "# comment\n"
	    "a: 1\n"
	    "b:\n"
	    "  - x\n"
	    "  - 'y'\n"
	    "  - {k: v}\n"
	    "c: |\n"
	    "  block\n"
	    "d:\n";
	struct yamldoc			*doc = NULL;
	const struct yamldoc_node	*n;
	char				 err[256];

	CU_ASSERT_EQUAL_FATAL(yamldoc_parse("t.yaml", text, strlen(text),
	    &doc, err, sizeof(err)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(doc->name, "t.yaml");
	CU_ASSERT_EQUAL_FATAL(doc->root->kind, YAMLDOC_MAPPING);
	CU_ASSERT_EQUAL(doc->root->n, 4);
	CU_ASSERT_EQUAL(doc->root->pairs[1].line, 3);
	n = yamldoc_get(doc->root, "a");
	CU_ASSERT(n != NULL && n->kind == YAMLDOC_SCALAR && n->plain &&
	    n->line == 2 && strcmp(n->str, "1") == 0);
	n = yamldoc_get(doc->root, "b");
	CU_ASSERT_FATAL(n != NULL && n->kind == YAMLDOC_SEQUENCE && n->n == 3);
	CU_ASSERT(n->items[0].plain && n->items[0].line == 4);
	CU_ASSERT(!n->items[1].plain && strcmp(n->items[1].str, "y") == 0);
	CU_ASSERT(n->items[2].kind == YAMLDOC_MAPPING && n->items[2].line == 6);
	CU_ASSERT_STRING_EQUAL(yamldoc_get(&n->items[2], "k")->str, "v");
	n = yamldoc_get(doc->root, "c");
	CU_ASSERT(n != NULL && !n->plain && strcmp(n->str, "block\n") == 0);
	CU_ASSERT(yamldoc_is_null(yamldoc_get(doc->root, "d")));
	CU_ASSERT_PTR_NULL(yamldoc_get(doc->root, "e"));
	CU_ASSERT_PTR_NULL(yamldoc_get(n, "a"));
	CU_ASSERT_STRING_EQUAL(yamldoc_kind_str(YAMLDOC_SEQUENCE), "sequence");
	yamldoc_free(&doc);
	CU_ASSERT_PTR_NULL(doc);
	yamldoc_free(&doc);
	yamldoc_free(NULL);

	CU_ASSERT_EQUAL(yamldoc_parse("e.yaml", "", 0, &doc, err,
	    sizeof(err)), ERR_OK);
	CU_ASSERT(doc != NULL && doc->root == NULL);
	yamldoc_free(&doc);
}

/* head, n copies of open, n copies of close, tail. */
static char *
repeat(const char *head, const char *open, size_t n, const char *close,
    const char *tail)
{
	size_t	 hl = strlen(head), ol = strlen(open), cl = strlen(close), i;
	char	*s, *p;

	if ((s = malloc(hl + (ol + cl) * n + strlen(tail) + 1)) == NULL)
		abort();
	memcpy(s, head, hl);
	p = s + hl;
	for (i = 0; i < n; i++, p += ol)
		memcpy(p, open, ol);
	for (i = 0; i < n; i++, p += cl)
		memcpy(p, close, cl);
	strcpy(p, tail);
	return s;
}

static void
test_yamldoc_limits(void)
{
	static const struct {
		const char	*head, *open;
		size_t		 n;
		const char	*close, *tail;
		enum err	 err;
		const char	*msg;
	} cases[] = {
		{ "", "[", YAMLDOC_MAX_DEPTH, "]", "", ERR_OK, "" },
		{ "", "[", YAMLDOC_MAX_DEPTH + 1, "]", "", ERR_TOOBIG,
		    "l.yaml:1: nested deeper than 32 levels" },
		{ "", "{a: ", YAMLDOC_MAX_DEPTH, "}", "", ERR_OK, "" },
		{ "", "{a: ", YAMLDOC_MAX_DEPTH + 1, "}", "", ERR_TOOBIG,
		    "l.yaml:1: nested deeper than 32 levels" },
		/* The sequence itself is a node, as is each key. */
		{ "[", "1,", YAMLDOC_MAX_NODES - 1, "", "]", ERR_OK, "" },
		{ "[", "1,", YAMLDOC_MAX_NODES, "", "]", ERR_TOOBIG,
		    "l.yaml: more than 65536 nodes" },
		{ "{", "k: v,", YAMLDOC_MAX_NODES / 2 - 1, "", "}", ERR_INVAL,
		    "l.yaml:1: duplicate key 'k'" },
		{ "#", "x", YAMLDOC_MAX_BYTES, "", "", ERR_TOOBIG,
		    "l.yaml: larger than 1048576 bytes" },
		{ "#", "x", YAMLDOC_MAX_BYTES - 1, "", "", ERR_OK, "" },
	};
	struct yamldoc	*doc;
	char		 err[256], *s;
	size_t		 i;
	enum err	 e;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = repeat(cases[i].head, cases[i].open, cases[i].n,
		    cases[i].close, cases[i].tail);
		doc = NULL;
		err[0] = '\0';
		e = yamldoc_parse("l.yaml", s, strlen(s), &doc, err,
		    sizeof(err));
		CU_ASSERT_EQUAL(e, cases[i].err);
		if (cases[i].err == ERR_OK) {
			CU_ASSERT_PTR_NOT_NULL(doc);
		} else {
			CU_ASSERT_PTR_NULL(doc);
			CU_ASSERT_STRING_EQUAL(err, cases[i].msg);
		}
		if (e != cases[i].err)
			fprintf(stderr, "limit case %zu: %s\n", i, err);
		yamldoc_free(&doc);
		free(s);
	}
}

static void
test_yamldoc_load(void)
{
	struct yamldoc	*doc = NULL;
	char		 err[256], want[256], *path;

	path = unit_fixture("load.yaml", "k: v\n");
	CU_ASSERT_EQUAL(yamldoc_load(path, &doc, err, sizeof(err)), ERR_OK);
	CU_ASSERT(doc != NULL && strcmp(doc->name, path) == 0);
	yamldoc_free(&doc);
	/* A directory is not a regular file. */
	CU_ASSERT_EQUAL(yamldoc_load(unit_scratch(), &doc, err, sizeof(err)),
	    ERR_IO);
	snprintf(want, sizeof(want), "%s: not a regular file", unit_scratch());
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_PTR_NULL(doc);
	free(path);
}

static void
test_yamldoc_scalars(void)
{
	static const struct {
		const char	*text;	/* "v: <text>" */
		int		 int_rc;
		long long	 i;
		const char	*why;
		int		 bool_rc, b, null;
	} cases[] = {
		{ "0", 0, 0, NULL, -1, 0, 0 },
		{ "42", 0, 42, NULL, -1, 0, 0 },
		{ "-5", 0, -5, NULL, -1, 0, 0 },
		{ "100", 0, 100, NULL, -1, 0, 0 },
		{ "101", -1, 0, "too large", -1, 0, 0 },
		{ "-11", -1, 0, "too small", -1, 0, 0 },
		{ "99999999999999999999", -1, 0, "too large", -1, 0, 0 },
		{ "-99999999999999999999", -1, 0, "too small", -1, 0, 0 },
		{ "007", -1, 0, "not an integer", -1, 0, 0 },
		{ "+1", -1, 0, "not an integer", -1, 0, 0 },
		{ "1_000", -1, 0, "not an integer", -1, 0, 0 },
		{ "0x10", -1, 0, "not an integer", -1, 0, 0 },
		{ "1.0", -1, 0, "not an integer", -1, 0, 0 },
		{ "-a", -1, 0, "not an integer", -1, 0, 0 },
		{ "--1", -1, 0, "not an integer", -1, 0, 0 },
		{ "1 ", 0, 1, NULL, -1, 0, 0 },
		{ "'5'", -1, 0, "not an integer", -1, 0, 0 },
		{ "[5]", -1, 0, "not an integer", -1, 0, 0 },
		{ "true", -1, 0, "not an integer", 0, 1, 0 },
		{ "True", -1, 0, "not an integer", 0, 1, 0 },
		{ "TRUE", -1, 0, "not an integer", 0, 1, 0 },
		{ "false", -1, 0, "not an integer", 0, 0, 0 },
		{ "FALSE", -1, 0, "not an integer", 0, 0, 0 },
		{ "tRUE", -1, 0, "not an integer", -1, 0, 0 },
		{ "yes", -1, 0, "not an integer", -1, 0, 0 },
		{ "\"true\"", -1, 0, "not an integer", -1, 0, 0 },
		{ "~", -1, 0, "not an integer", -1, 0, 1 },
		{ "null", -1, 0, "not an integer", -1, 0, 1 },
		{ "NULL", -1, 0, "not an integer", -1, 0, 1 },
		{ "", -1, 0, "not an integer", -1, 0, 1 },
		{ "''", -1, 0, "not an integer", -1, 0, 0 },
		{ "nULL", -1, 0, "not an integer", -1, 0, 0 },
	};
	struct yamldoc			*doc;
	const struct yamldoc_node	*v;
	const char			*why;
	char				 text[64], err[256];
	long long			 i;
	size_t				 k;
	int				 b;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		snprintf(text, sizeof(text), "v: %s\n", cases[k].text);
		doc = NULL;
		CU_ASSERT_EQUAL_FATAL(yamldoc_parse("s.yaml", text,
		    strlen(text), &doc, err, sizeof(err)), ERR_OK);
		v = yamldoc_get(doc->root, "v");
		i = -999;
		why = "unset";
		CU_ASSERT_EQUAL(yamldoc_int(v, -10, 100, &i, &why),
		    cases[k].int_rc);
		if (cases[k].int_rc == 0)
			CU_ASSERT_EQUAL(i, cases[k].i);
		if (cases[k].why != NULL)
			CU_ASSERT_STRING_EQUAL(why, cases[k].why);
		b = -1;
		CU_ASSERT_EQUAL(yamldoc_bool(v, &b), cases[k].bool_rc);
		if (cases[k].bool_rc == 0)
			CU_ASSERT_EQUAL(b, cases[k].b);
		CU_ASSERT_EQUAL(yamldoc_is_null(v), cases[k].null);
		yamldoc_free(&doc);
	}
	CU_ASSERT_EQUAL(yamldoc_is_null(NULL), 1);
}

static const struct unit_test tests[] = {
	{ "shipped files: 32 models in sorted order", test_shipped_order },
	{ "shipped files: field values", test_shipped_fields },
	{ "default embedding model precedence", test_default_model },
	{ "merge rules", test_merge },
	{ "embedding details only for embeddings", test_details_by_type },
	{ "sort by (type, name) in byte order", test_sort },
	{ "llm registry: only provider local", test_llm_providers },
	{ "model type names", test_type_names },
	{ "errors name file, line and key", test_errors },
	{ "yamldoc: tree and lines", test_yamldoc_tree },
	{ "yamldoc: depth, node and size limits", test_yamldoc_limits },
	{ "yamldoc: load from a file", test_yamldoc_load },
	{ "yamldoc: integers, booleans, nulls", test_yamldoc_scalars },
	{ NULL, NULL }
};

UNIT_SUITE("registry", unit_scratch_init, unit_scratch_cleanup, tests)
