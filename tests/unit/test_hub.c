/*
 * Suite "hub": the pure parts of the Hub download (names, validators,
 * headers, retries, error mapping, trees JSON) and the cache-writing
 * primitives in a temporary directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "hfwrite.h"
#include "hub.h"
#include "hubdl.h"
#include "hubhttp.h"
#include "hubname.h"
#include "hubtree.h"
#include "unit.h"

#define HEX40(c)	c c c c c c c c c c c c c c c c c c c c \
			c c c c c c c c c c c c c c c c c c c c
#define HEX64(c)	HEX40(c) c c c c c c c c c c c c c c c c c c c c c c c c

static void
test_filename(void)
{
	static const char *const valids[] = {
		"config.json", "sub/dir/data.bin", "a b/c%d.txt", ".gitattributes",
		"dir/.hidden", "caf\xc3\xa9.txt", "ab:c/d", "...", "a..b",
		"x/y/z/w", "\xe2\x82\xac\xe2\x82\xac:x", "a/bc:",
	};
	static const char *const invalids[] = {
		"", "../evil", "a/../b", "..", ".", "/abs", "a\\b", "C:x", "c:",
		"1:x", "d/C:x", "a//b", "a/./b", "a/", "a/.", "a\nb", "a\x7f",
		"\x01", "bad\xff", "\xc3", "a/\xc0\xaf", "a:b",
		"\xe2\x82\xac:x", "x/\\\\host\\share", "a/b:",
	};
	char	 longseg[300], longpath[HUBNAME_PATH_MAX + 2];
	size_t	 i;

	for (i = 0; i < sizeof(valids) / sizeof(valids[0]); i++)
		CU_ASSERT_EQUAL_FATAL(hubname_valid_filename(valids[i]), 0);
	for (i = 0; i < sizeof(invalids) / sizeof(invalids[0]); i++) {
		if (hubname_valid_filename(invalids[i]) != -1)
			fprintf(stderr, "accepted: %s\n", invalids[i]);
		CU_ASSERT_EQUAL(hubname_valid_filename(invalids[i]), -1);
	}
	/* An embedded NUL ends the C string: what is left must be judged. */
	CU_ASSERT_EQUAL(hubname_valid_filename("ok\0../../x"), 0);
	memset(longseg, 'a', 256);
	longseg[256] = '\0';
	CU_ASSERT_EQUAL(hubname_valid_filename(longseg), -1);
	longseg[255] = '\0';
	CU_ASSERT_EQUAL(hubname_valid_filename(longseg), 0);
	for (i = 0; i < sizeof(longpath) - 1; i++)
		longpath[i] = i % 100 == 99 ? '/' : 'a';
	longpath[sizeof(longpath) - 1] = '\0';
	CU_ASSERT_EQUAL(hubname_valid_filename(longpath), -1);
}

static void
test_etag(void)
{
	static const struct {
		const char	*in, *out;	/* out NULL: refused */
	} cases[] = {
		{ "\"" HEX40("a") "\"", HEX40("a") },
		{ HEX40("0"), HEX40("0") },
		{ "W/\"" HEX64("f") "\"", HEX64("f") },
		{ "\"" HEX64("1") "\"", HEX64("1") },
		{ "WW//\"" HEX40("b") "\"\"", HEX40("b") },
		{ "\"" HEX40("A") "\"", NULL },
		{ "\"" HEX40("g") "\"", NULL },
		{ "\"abc\"", NULL },
		{ "", NULL },
		{ "\"\"", NULL },
		{ "\"../../etc/passwd\"", NULL },
		{ "\"" HEX40("a") "a\"", NULL },
		{ "\"" HEX40("a") "\"x", NULL },
		{ " \"" HEX40("a") "\"", NULL },
	};
	char	 out[65];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].out == NULL) {
			CU_ASSERT_EQUAL(hubname_etag(cases[i].in, out), -1);
			CU_ASSERT_STRING_EQUAL(out, "");
		} else {
			CU_ASSERT_EQUAL(hubname_etag(cases[i].in, out), 0);
			CU_ASSERT_STRING_EQUAL(out, cases[i].out);
		}
	}
}

static void
test_hex(void)
{

	CU_ASSERT_EQUAL(hubname_is_commit(HEX40("a")), 0);
	CU_ASSERT_EQUAL(hubname_is_commit("0123456789abcdef0123456789abcdef"
	    "01234567"), 0);
	CU_ASSERT_EQUAL(hubname_is_commit(HEX40("A")), -1);
	CU_ASSERT_EQUAL(hubname_is_commit(HEX64("a")), -1);
	CU_ASSERT_EQUAL(hubname_is_commit(HEX40("a") "a"), -1);
	CU_ASSERT_EQUAL(hubname_is_commit("../../x"), -1);
	CU_ASSERT_EQUAL(hubname_is_commit(""), -1);
	CU_ASSERT_EQUAL(hubname_is_oid(HEX40("9")), 0);
	CU_ASSERT_EQUAL(hubname_is_oid(HEX64("9")), 0);
	CU_ASSERT_EQUAL(hubname_is_oid(HEX40("9") "9"), -1);
	CU_ASSERT_EQUAL(hubname_is_oid(HEX64("G")), -1);
	CU_ASSERT_EQUAL(hubname_is_oid(""), -1);
}

static void
test_revision(void)
{
	static const char *const valids[] = {
		"main", "v1.0", "refs/pr/1", "abc1234", HEX40("a"),
		"feature/x-y_z", "..a", "a..",
	};
	static const char *const invalids[] = {
		"", "/main", "main/", "a//b", "../x", "a/../b", "a/./b", ".",
		"..", "a b", "a\\b", "a\tb", "caf\xc3\xa9", "a\x7f",
	};
	char	 longrev[300];
	size_t	 i;

	for (i = 0; i < sizeof(valids) / sizeof(valids[0]); i++)
		CU_ASSERT_EQUAL(hubname_valid_revision(valids[i]), 0);
	for (i = 0; i < sizeof(invalids) / sizeof(invalids[0]); i++)
		CU_ASSERT_EQUAL(hubname_valid_revision(invalids[i]), -1);
	memset(longrev, 'r', 256);
	longrev[256] = '\0';
	CU_ASSERT_EQUAL(hubname_valid_revision(longrev), -1);
}

static void
test_folder(void)
{
	static const struct {
		const char	*type, *id, *out;
	} cases[] = {
		{ "model", "gpt2", "models--gpt2" },
		{ "model", "julien-c/EsperBERTo-small",
		    "models--julien-c--EsperBERTo-small" },
		{ "dataset", "nyu-mll/glue", "datasets--nyu-mll--glue" },
		{ "space", "org/name", "spaces--org--name" },
	};
	char	 out[64], tiny[8];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(hubname_repo_folder(cases[i].type, cases[i].id,
		    out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
	}
	CU_ASSERT_EQUAL(hubname_repo_folder("model", "gpt2", tiny,
	    sizeof(tiny)), -1);
	CU_ASSERT_STRING_EQUAL(tiny, "");
}

static void
test_link_target(void)
{
	static const struct {
		const char	*path, *out;
	} cases[] = {
		{ "config.json", "../../blobs/" HEX40("e") },
		{ "sub/data.bin", "../../../blobs/" HEX40("e") },
		{ "sub/dir/data.bin", "../../../../blobs/" HEX40("e") },
		{ "a/b/c/d", "../../../../../blobs/" HEX40("e") },
	};
	char	 out[256], tiny[20];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(hubname_link_target(cases[i].path, HEX40("e"),
		    out, sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
	}
	CU_ASSERT_EQUAL(hubname_link_target("a", HEX40("e"), tiny,
	    sizeof(tiny)), -1);
}

static void
test_quote(void)
{
	static const struct {
		const char	*in;
		int		 slash;
		const char	*out;
	} cases[] = {
		{ "config.json", 1, "config.json" },
		{ "sub/dir/a b.txt", 1, "sub/dir/a%20b.txt" },
		{ "refs/pr/1", 0, "refs%2Fpr%2F1" },
		{ "caf\xc3\xa9 #1?.txt", 1, "caf%C3%A9%20%231%3F.txt" },
		{ "a~b_c-d.e", 0, "a~b_c-d.e" },
		{ "100%+&=", 1, "100%25%2B%26%3D" },
		{ "", 1, "" },
	};
	char	 out[128], tiny[4];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(hubname_quote(cases[i].in, cases[i].slash, out,
		    sizeof(out)), 0);
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
	}
	CU_ASSERT_EQUAL(hubname_quote("a b", 1, tiny, sizeof(tiny)), -1);
	CU_ASSERT_EQUAL(hubname_quote("abc", 1, tiny, sizeof(tiny)), 0);
	CU_ASSERT_EQUAL(hubname_quote("abcd", 1, tiny, sizeof(tiny)), -1);
}

/* What Python writes: json.dump(indent=1) as in write_tree_cache(). */
static const char trees_fixture[] =
    "{\n"
    " \"format_version\": 1,\n"
    " \"files\": {\n"
    "  \"B.txt\": {\n"
    "   \"size\": 0,\n"
    "   \"blob_id\": \"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\"\n"
    "  },\n"
    "  \"caf\\u00e9 \\\"q\\\"\\u007f.txt\": {\n"
    "   \"size\": 3,\n"
    "   \"blob_id\": \"" HEX40("5") "\"\n"
    "  },\n"
    "  \"config.json\": {\n"
    "   \"size\": 5,\n"
    "   \"blob_id\": \"" HEX40("1") "\"\n"
    "  },\n"
    "  \"emoji\\ud83d\\ude00.bin\": {\n"
    "   \"size\": 9007199254740993,\n"
    "   \"blob_id\": \"" HEX40("6") "\",\n"
    "   \"lfs_sha256\": \"" HEX64("7") "\",\n"
    "   \"lfs_size\": 9007199254740993\n"
    "  },\n"
    "  \"sub/dir/data.bin\": {\n"
    "   \"size\": 1024,\n"
    "   \"blob_id\": \"" HEX40("2") "\",\n"
    "   \"lfs_sha256\": \"" HEX64("3") "\",\n"
    "   \"lfs_size\": 1024,\n"
    "   \"xet_hash\": \"" HEX64("4") "\"\n"
    "  }\n"
    " }\n"
    "}";

static void
test_trees_json(void)
{
	/* In path order (byte order), as a list hands them over. */
	static const struct hfwrite_tree files[] = {
		{ "B.txt", 0, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", NULL,
		    0, NULL },
		{ "caf\xc3\xa9 \"q\"\x7f.txt", 3, HEX40("5"), NULL, 0, NULL },
		{ "config.json", 5, HEX40("1"), NULL, 0, NULL },
		{ "emoji\xf0\x9f\x98\x80.bin", 9007199254740993ULL, HEX40("6"),
		    HEX64("7"), 9007199254740993ULL, NULL },
		{ "sub/dir/data.bin", 1024, HEX40("2"), HEX64("3"), 1024,
		    HEX64("4") },
	};
	static const struct hfwrite_tree bad[] = {
		{ "bad\xff", 1, HEX40("1"), NULL, 0, NULL },
	};
	struct hfwrite_list	 l;
	char			*s;
	size_t			 len;

	hfwrite_list_array(&l, files, sizeof(files) / sizeof(files[0]));
	s = hfwrite_trees_json(&l, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(len, strlen(trees_fixture));
	CU_ASSERT_STRING_EQUAL(s, trees_fixture);
	free(s);
	hfwrite_list_array(&l, NULL, 0);
	s = hfwrite_trees_json(&l, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "{\n \"format_version\": 1,\n \"files\": "
	    "{}\n}");
	free(s);
	errno = 0;
	hfwrite_list_array(&l, bad, 1);
	CU_ASSERT_PTR_NULL(hfwrite_trees_json(&l, &len));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

/* A page in memory, handed to hubtree a few bytes at a time. */
struct mem {
	const char	*s;
	size_t		 len, off, step;
};

static long
mem_read(void *arg, char *buf, size_t len)
{
	struct mem	*m = arg;
	size_t		 n = m->len - m->off;

	if (n > len)
		n = len;
	if (n > m->step)
		n = m->step;
	memcpy(buf, m->s + m->off, n);
	m->off += n;
	return (long)n;
}

/* The entries of one page, one line each: flags, path, size, oids. */
struct seen {
	char	 text[2048];
	int	 n;
};

static enum err
seen_entry(void *arg, const struct hubtree_entry *e)
{
	struct seen	*sn = arg;
	size_t		 l = strlen(sn->text);

	snprintf(sn->text + l, sizeof(sn->text) - l, "%x %s %llu %s %s %llu "
	    "%s\n", e->flags, (e->flags & HUBTREE_PATH) ? e->path : "-",
	    (unsigned long long)((e->flags & HUBTREE_SIZE) ? e->size : 0),
	    (e->flags & HUBTREE_OID) ? e->oid : "-",
	    (e->flags & HUBTREE_LFS_OID) ? e->lfs_oid : "-",
	    (unsigned long long)((e->flags & HUBTREE_LFS_SIZE) ?
	    e->lfs_size : 0), (e->flags & HUBTREE_XET) ? e->xet : "-");
	return ++sn->n > 3 ? ERR_CONFLICT : ERR_OK;
}

static void
test_tree_reader(void)
{
	static const struct {
		const char	*in;
		enum err	 err;
		const char	*out;
	} cases[] = {
		{ "[]", ERR_OK, "" },
		{ " [ ] \n", ERR_OK, "" },
		{ "[{\"type\":\"file\",\"path\":\"a/b\",\"size\":3,\"oid\":\"ab\","
		    "\"lfs\":{\"oid\":\"cd\",\"size\":9007199254740992,"
		    "\"pointerSize\":1},\"xetHash\":\"x\",\"z\":[{},[],null]}]",
		    ERR_OK, "1ff a/b 3 ab cd 9007199254740992 x\n" },
		{ "[{\"type\":\"directory\",\"path\":\"caf\\u00e9\\ud83d\\ude00"
		    "\\n\",\"size\":0}]", ERR_OK,
		    "103 caf\xc3\xa9\xf0\x9f\x98\x80\n 0 - - 0 -\n" },
		/* Not sizes: negative, fraction, exponent, 2^53 + 1, string. */
		{ "[{\"size\":-1},{\"size\":1.0},{\"size\":1e3}]", ERR_OK,
		    "0 - 0 - - 0 -\n0 - 0 - - 0 -\n0 - 0 - - 0 -\n" },
		{ "[{\"size\":9007199254740993,\"lfs\":null,\"oid\":5}]",
		    ERR_OK, "0 - 0 - - 0 -\n" },
		/* An escaped NUL, a lone surrogate: no path. */
		{ "[{\"path\":\"a\\u0000b\"},{\"path\":\"\\ud800x\"}]", ERR_OK,
		    "0 - 0 - - 0 -\n0 - 0 - - 0 -\n" },
		/* The last duplicate wins. */
		{ "[{\"path\":\"a\",\"path\":\"b\",\"type\":\"file\","
		    "\"type\":\"x\"}]", ERR_OK, "101 b 0 - - 0 -\n" },
		/* The callback stops the reading. */
		{ "[{},{},{},{},{}]", ERR_CONFLICT, NULL },
		{ "", ERR_UPSTREAM, NULL },
		{ "{}", ERR_UPSTREAM, NULL },
		{ "[1]", ERR_UPSTREAM, NULL },
		{ "[{}", ERR_UPSTREAM, NULL },
		{ "[{}]x", ERR_UPSTREAM, NULL },
		{ "[{},]", ERR_UPSTREAM, NULL },
		{ "[{\"a\":01}]", ERR_UPSTREAM, NULL },
		{ "[{\"a\":\"\x01\"}]", ERR_UPSTREAM, NULL },
		{ "[{\"a\":\"\\x\"}]", ERR_UPSTREAM, NULL },
		{ "[{\"a\":tru}]", ERR_UPSTREAM, NULL },
		{ "[{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]"
		    "]]]]]]]]]]]]]]]]}]", ERR_UPSTREAM, NULL },
	};
	static struct hubtree	 t;
	struct seen		 sn;
	struct mem		 m;
	size_t			 i, step;
	char			*big;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (step = 1; step <= 4096; step *= 64) {
			m = (struct mem){ cases[i].in, strlen(cases[i].in), 0,
			    step };
			memset(&sn, 0, sizeof(sn));
			CU_ASSERT_EQUAL(hubtree_parse(&t, mem_read, &m,
			    seen_entry, &sn), cases[i].err);
			if (cases[i].out != NULL)
				CU_ASSERT_STRING_EQUAL(sn.text, cases[i].out);
		}
	/* A path one byte too long; a skipped string of 1 MiB. */
	big = malloc(2 * 1024 * 1024);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	i = (size_t)snprintf(big, 64, "[{\"path\":\"");
	memset(big + i, 'p', HUBNAME_PATH_MAX + 1);
	i += HUBNAME_PATH_MAX + 1;
	i += (size_t)snprintf(big + i, 64, "\",\"x\":\"");
	memset(big + i, 'x', 1024 * 1024);
	i += 1024 * 1024;
	snprintf(big + i, 64, "\",\"size\":7}]");
	m = (struct mem){ big, strlen(big), 0, 65536 };
	memset(&sn, 0, sizeof(sn));
	CU_ASSERT_EQUAL(hubtree_parse(&t, mem_read, &m, seen_entry, &sn),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(sn.text, "2 - 7 - - 0 -\n");
	free(big);
	/* One member of an object, as the revision answer is read. */
	m = (struct mem){ "{\"a\":[{\"sha\":\"no\"}],\"sha\":\"c0ffee\"}", 0,
	    0, 3 };
	m.len = strlen(m.s);
	CU_ASSERT_EQUAL(hubtree_member(&t, mem_read, &m, "sha", sn.text, 40),
	    ERR_OK);
	CU_ASSERT_STRING_EQUAL(sn.text, "c0ffee");
	m = (struct mem){ "[\"sha\"]", 7, 0, 3 };
	CU_ASSERT_EQUAL(hubtree_member(&t, mem_read, &m, "sha", sn.text, 40),
	    ERR_UPSTREAM);
}

static void
test_link_next(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*out;
	} cases[] = {
		{ "<https://h/api/models/x/tree/m?cursor=abc>; rel=\"next\"", 1,
		    "https://h/api/models/x/tree/m?cursor=abc" },
		{ "<http://a/1>; rel=\"prev\", <http://a/3>; rel=\"next\"", 1,
		    "http://a/3" },
		{ "<http://a/3>; rel=next", 1, "http://a/3" },
		{ "<http://a/3>;rel=\"first next\";title=\"x,y\"", 1,
		    "http://a/3" },
		{ "<http://a/,x>; REL=\"Next\"", 1, "http://a/,x" },
		{ "<http://a/1>; rel=\"prev\"", 0, "" },
		{ "<http://a/1>; rel=\"nextish\"", 0, "" },
		{ "", 0, "" },
		{ "http://a/1; rel=next", -1, "" },
		{ "<http://a/1; rel=next", -1, "" },
		{ "<http://a/1>; rel=\"next", -1, "" },
		{ "<>; rel=next", -1, "" },
		{ "<http://a/1> junk; rel=next", -1, "" },
	};
	char	 out[128], tiny[8];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(hubhttp_link_next(cases[i].in, out,
		    sizeof(out)), cases[i].rc);
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
	}
	CU_ASSERT_EQUAL(hubhttp_link_next("<http://long/url>; rel=next", tiny,
	    sizeof(tiny)), -1);
}

static void
test_error_map(void)
{
	static const struct {
		long		 status;
		const char	*code, *message, *file;
		int		 token;
		enum err	 err;
		const char	*want1, *want2;	/* substrings of the message */
	} cases[] = {
		{ 401, "GatedRepo", "", NULL, 0, ERR_CONFLICT,
		    "Repository org/m is gated or requires authorisation: "
		    "accept its licence on the Hub and set HF_TOKEN",
		    "no token was sent" },
		{ 403, "GatedRepo", "", "a.bin", 1, ERR_CONFLICT,
		    "is gated or requires authorisation", "a token was sent" },
		{ 403, "", "", NULL, 1, ERR_CONFLICT, "HF_TOKEN",
		    "a token was sent" },
		{ 401, "", "", NULL, 0, ERR_CONFLICT, "gated", "no token" },
		{ 404, "RepoNotFound", "", NULL, 1, ERR_NOTFOUND,
		    "Repository org/m not found on http://127.0.0.1:9", "" },
		{ 401, "RepoNotFound", "", NULL, 0, ERR_NOTFOUND,
		    "Repository org/m not found on http://127.0.0.1:9",
		    "set HF_TOKEN" },
		{ 404, "", "", NULL, 0, ERR_NOTFOUND, "Repository org/m not "
		    "found", "" },
		{ 404, "RevisionNotFound", "", NULL, 0, ERR_NOTFOUND,
		    "Revision v9 not found in repository org/m", "" },
		{ 404, "EntryNotFound", "", "sub/x.bin", 0, ERR_NOTFOUND,
		    "File sub/x.bin not found in repository org/m", "" },
		{ 404, "", "", "sub/x.bin", 0, ERR_NOTFOUND,
		    "File sub/x.bin not found", "HTTP 404" },
		{ 500, "", "boom\ninjected", NULL, 0, ERR_UPSTREAM,
		    "HTTP 500 for repository org/m", "boom?injected" },
		{ 429, "", "", "w.bin", 0, ERR_UPSTREAM, "rate-limiting",
		    "w.bin" },
		{ 400, "", "bad", NULL, 0, ERR_UPSTREAM, "HTTP 400", ": bad" },
		{ 403, "", "Access to this resource is disabled.", NULL, 1,
		    ERR_CONFLICT, "gated", "" },
		{ 410, "", "Access to this resource is disabled.", NULL, 1,
		    ERR_NOTFOUND, "is disabled", "" },
	};
	struct hubhttp_hdrs	*h;
	struct hubhttp_errctx	 e;
	char			 msg[512];
	size_t			 i;

	h = calloc(1, sizeof(*h));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hubhttp_hdrs_reset(h);
		snprintf(h->error_code, sizeof(h->error_code), "%s",
		    cases[i].code);
		snprintf(h->error_message, sizeof(h->error_message), "%s",
		    cases[i].message);
		e.endpoint = "http://127.0.0.1:9";
		e.repo_id = "org/m";
		e.revision = "v9";
		e.file = cases[i].file;
		e.token_sent = cases[i].token;
		CU_ASSERT_EQUAL(hubhttp_error(cases[i].status, h, &e, msg,
		    sizeof(msg)), cases[i].err);
		if (strstr(msg, cases[i].want1) == NULL ||
		    strstr(msg, cases[i].want2) == NULL)
			fprintf(stderr, "case %zu: %s\n", i, msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, cases[i].want1));
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, cases[i].want2));
		CU_ASSERT_PTR_NULL(strchr(msg, '\n'));
	}
	free(h);
}

static void
test_origin(void)
{
	static const struct {
		const char	*a, *b;
		int		 same;
	} cases[] = {
		{ "http://127.0.0.1:5/x", "http://127.0.0.1:5/y?z", 1 },
		{ "http://h/x", "http://h:80/y", 1 },
		{ "https://h/x", "https://h:443/", 1 },
		{ "http://HuB.example/x", "http://hub.example/", 1 },
		{ "http://127.0.0.1:5/x", "http://127.0.0.2:5/x", 0 },
		{ "http://127.0.0.1:5/x", "http://127.0.0.1:6/x", 0 },
		{ "https://h/x", "http://h/x", 0 },
		{ "https://h/x", "https://h:8443/x", 0 },
		{ "not a url", "http://h/", -1 },
	};
	struct hubhttp_opts	 o;
	char		*r, red[256];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_EQUAL(hubhttp_same_origin(cases[i].a, cases[i].b),
		    cases[i].same);

	memset(&o, 0, sizeof(o));
	o.endpoint = "http://127.0.0.1:8080";
	CU_ASSERT_FALSE(hubhttp_sends_auth(&o, "http://127.0.0.1:8080/x"));
	o.token = "hf_x";
	CU_ASSERT_TRUE(hubhttp_sends_auth(&o, "http://127.0.0.1:8080/a/b"));
	CU_ASSERT_FALSE(hubhttp_sends_auth(&o, "http://127.0.0.2:8080/a"));
	CU_ASSERT_FALSE(hubhttp_sends_auth(&o, "https://127.0.0.1:8080/a"));
	CU_ASSERT_FALSE(hubhttp_sends_auth(&o, "http://127.0.0.1:8081/a"));

	r = hubhttp_resolve("http://h:1/a/b?x=1", "/c/d");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r, "http://h:1/c/d");
	free(r);
	r = hubhttp_resolve("http://h:1/a/b", "c?q=2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r, "http://h:1/a/c?q=2");
	free(r);
	r = hubhttp_resolve("http://h:1/a", "https://cdn.example/o?sig=s");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r, "https://cdn.example/o?sig=s");
	free(r);
	r = hubhttp_resolve("https://h/a", "//cdn/x");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r, "https://cdn/x");
	free(r);
	CU_ASSERT_PTR_NULL(hubhttp_resolve("http://h/a", "ftp://h/x"));
	CU_ASSERT_PTR_NULL(hubhttp_resolve("http://h/a", "file:///etc/x"));
	CU_ASSERT_PTR_NULL(hubhttp_resolve("http://h/a", ""));

	hubhttp_redact("https://u:p@cdn.example:8443/a/b?X-Amz-Signature=s#f",
	    red, sizeof(red));
	CU_ASSERT_STRING_EQUAL(red, "https://cdn.example:8443/a/b");
	hubhttp_redact("http://127.0.0.1:9/", red, sizeof(red));
	CU_ASSERT_STRING_EQUAL(red, "http://127.0.0.1:9");
	hubhttp_redact("::", red, sizeof(red));
	CU_ASSERT_STRING_EQUAL(red, "(invalid URL)");
}

static void
test_headers(void)
{
	static const char *const lines[] = {
		"HTTP/1.1 302 Found\r\n",
		"ETag: \"" HEX40("1") "\"\r\n",
		"x-linked-etag:   W/\"" HEX64("2") "\"  \r\n",
		"Location: https://cdn/x?sig=1\r\n",
		"LINK: <http://a/1>; rel=\"prev\"\r\n",
		"Link: <http://a/2>; rel=\"next\"\r\n",
		"Retry-After: 7\r\n",
		"X-Error-Code: GatedRepo\r\n",
		"X-Repo-Commit: " HEX40("c") "\r\n",
		"Content-Range: bytes 10-19/20\r\n",
		"Bogus\r\n",
		"\r\n",
	};
	struct hubhttp_hdrs	*h;
	char			 buf[256], next[64];
	uint64_t		 start;
	size_t			 i;

	h = calloc(1, sizeof(*h));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		memcpy(buf, lines[i], strlen(lines[i]));	/* no NUL */
		CU_ASSERT_EQUAL(hubhttp_header_cb(buf, 1, strlen(lines[i]),
		    h), strlen(lines[i]));
	}
	CU_ASSERT_EQUAL(h->status, 302);
	CU_ASSERT_STRING_EQUAL(h->etag, "\"" HEX40("1") "\"");
	CU_ASSERT_STRING_EQUAL(h->linked_etag, "W/\"" HEX64("2") "\"");
	CU_ASSERT_STRING_EQUAL(h->location, "https://cdn/x?sig=1");
	CU_ASSERT_STRING_EQUAL(h->retry_after, "7");
	CU_ASSERT_STRING_EQUAL(h->error_code, "GatedRepo");
	CU_ASSERT_STRING_EQUAL(h->repo_commit, HEX40("c"));
	CU_ASSERT_EQUAL(hubhttp_link_next(h->link, next, sizeof(next)), 1);
	CU_ASSERT_STRING_EQUAL(next, "http://a/2");
	CU_ASSERT_EQUAL(hubhttp_content_range_start(h->content_range, &start),
	    0);
	CU_ASSERT_EQUAL(start, 10);
	CU_ASSERT_FALSE(h->overflow);
	/* A new status line starts a new response. */
	hubhttp_header_cb((char *)"HTTP/2 200 \r\n", 1, 13, h);
	CU_ASSERT_EQUAL(h->status, 200);
	CU_ASSERT_STRING_EQUAL(h->etag, "");
	CU_ASSERT_STRING_EQUAL(h->link, "");

	CU_ASSERT_EQUAL(hubhttp_content_range_start("bytes 0-0/1", &start), 0);
	CU_ASSERT_EQUAL(start, 0);
	CU_ASSERT_EQUAL(hubhttp_content_range_start("bytes */20", &start), -1);
	CU_ASSERT_EQUAL(hubhttp_content_range_start("items 1-2/3", &start),
	    -1);
	CU_ASSERT_EQUAL(hubhttp_content_range_start("bytes 99999999999999999"
	    "9999-1/2", &start), -1);
	free(h);
}

static void
test_hash(void)
{
	static const struct {
		int		 lfs;
		const char	*data, *etag;
	} cases[] = {
		{ 0, "", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" },
		{ 0, "hello\n", "ce013625030ba8dba906f756967f9e9ca394464a" },
		{ 1, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495"
		    "991b7852b855" },
		{ 1, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb4"
		    "10ff61f20015ad" },
	};
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	size_t		 i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(md);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t	 n = strlen(cases[i].data);

		CU_ASSERT_EQUAL(hfwrite_hash_begin(md, cases[i].lfs, n), 0);
		EVP_DigestUpdate(md, cases[i].data, n);
		CU_ASSERT_TRUE(hfwrite_hash_matches(md, cases[i].etag));
		/* One byte more or a wrong size header: no match. */
		CU_ASSERT_EQUAL(hfwrite_hash_begin(md, cases[i].lfs, n + 1), 0);
		EVP_DigestUpdate(md, cases[i].data, n);
		EVP_DigestUpdate(md, "x", 1);
		CU_ASSERT_FALSE(hfwrite_hash_matches(md, cases[i].etag));
	}
	EVP_MD_CTX_free(md);
}

static char *
path_in(const char *dir, const char *rel)
{
	char	*p;

	if (asprintf(&p, "%s/%s", dir, rel) == -1)
		abort();
	return p;
}

static void
assert_link(const char *dir, const char *rel, const char *target)
{
	char	*p = path_in(dir, rel), buf[512];
	ssize_t	 n;

	n = readlink(p, buf, sizeof(buf) - 1);
	CU_ASSERT_TRUE_FATAL(n > 0);
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf, target);
	free(p);
}

static void
test_write_links(void)
{
	char		*tmp = unit_tmpdir(), *p;
	struct stat	 st;
	int		 top, snap;

	top = open(tmp, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_TRUE_FATAL(top != -1);
	snap = hfwrite_dirs(top, "models--o--m/snapshots/" HEX40("c"), 1);
	CU_ASSERT_TRUE_FATAL(snap != -1);
	p = path_in(tmp, "models--o--m/snapshots");
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_TRUE((st.st_mode & S_ISGID) != 0);
	free(p);

	CU_ASSERT_EQUAL(hfwrite_link(snap, "config.json", HEX40("1")), 0);
	CU_ASSERT_EQUAL(hfwrite_link(snap, "sub/dir/data.bin", HEX64("2")), 0);
	assert_link(tmp, "models--o--m/snapshots/" HEX40("c") "/config.json",
	    "../../blobs/" HEX40("1"));
	assert_link(tmp, "models--o--m/snapshots/" HEX40("c")
	    "/sub/dir/data.bin", "../../../../blobs/" HEX64("2"));
	/* An existing entry is replaced, never written through. */
	p = path_in(tmp, "outside");
	unit_write_file(p, "keep", 4);
	free(p);
	p = path_in(tmp, "models--o--m/snapshots/" HEX40("c") "/evil");
	CU_ASSERT_EQUAL(symlink("../../../../outside", p), 0);
	CU_ASSERT_EQUAL(hfwrite_link(snap, "evil", HEX40("3")), 0);
	assert_link(tmp, "models--o--m/snapshots/" HEX40("c") "/evil",
	    "../../blobs/" HEX40("3"));
	free(p);
	CU_ASSERT_EQUAL(hfwrite_link(snap, "config.json", HEX40("4")), 0);
	assert_link(tmp, "models--o--m/snapshots/" HEX40("c") "/config.json",
	    "../../blobs/" HEX40("4"));
	/* A planted symlinked directory is never followed. */
	p = path_in(tmp, "models--o--m/snapshots/" HEX40("c") "/via");
	CU_ASSERT_EQUAL(symlink(tmp, p), 0);
	free(p);
	errno = 0;
	CU_ASSERT_EQUAL(hfwrite_link(snap, "via/x", HEX40("5")), -1);
	CU_ASSERT_TRUE(errno == ELOOP || errno == ENOTDIR);
	p = path_in(tmp, "x");
	CU_ASSERT_EQUAL(lstat(p, &st), -1);
	free(p);
	/* Paths that would leave the snapshot are refused. */
	CU_ASSERT_EQUAL(hfwrite_link(snap, "../x", HEX40("5")), -1);
	CU_ASSERT_EQUAL(hfwrite_link(snap, "a/../../x", HEX40("5")), -1);
	CU_ASSERT_EQUAL(hfwrite_link(snap, "a/..", HEX40("5")), -1);
	CU_ASSERT_EQUAL(hfwrite_link(snap, "/x", HEX40("5")), -1);
	CU_ASSERT_EQUAL(hfwrite_dirs(top, "a/../b", 1), -1);
	close(snap);
	close(top);
	unit_rmtree(tmp);
	free(tmp);
}

static void
read_file(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd = open(path, O_RDONLY);

	CU_ASSERT_TRUE_FATAL(fd != -1);
	n = read(fd, buf, len - 1);
	CU_ASSERT_TRUE_FATAL(n >= 0);
	buf[n] = '\0';
	close(fd);
}

static void
test_write_files(void)
{
	char		*tmp = unit_tmpdir(), *p, buf[512];
	struct stat	 st;
	int		 top, refs, fd, fd2;

	top = open(tmp, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_TRUE_FATAL(top != -1);
	/* CACHEDIR.TAG: exact content, written once. */
	CU_ASSERT_EQUAL(hfwrite_cachedir_tag(top), 0);
	p = path_in(tmp, "CACHEDIR.TAG");
	read_file(p, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "Signature: 8a477f597d28d172789f06886806bc"
	    "55\n# This file is a cache directory tag created by "
	    "huggingface_hub.\n# For information about cache directory tags, "
	    "see:\n#\thttps://bford.info/cachedir/\n");
	unit_write_file(p, "mine", 4);
	CU_ASSERT_EQUAL(hfwrite_cachedir_tag(top), 0);
	read_file(p, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "mine");
	free(p);

	/* refs: commit without newline, nested revisions, no temp left. */
	refs = hfwrite_dirs(top, "models--o--m/refs", 1);
	CU_ASSERT_TRUE_FATAL(refs != -1);
	CU_ASSERT_EQUAL(hfwrite_ref(refs, "main", HEX40("a")), 0);
	CU_ASSERT_EQUAL(hfwrite_ref(refs, "refs/pr/1", HEX40("b")), 0);
	CU_ASSERT_EQUAL(hfwrite_ref(refs, "main", HEX40("c")), 0);
	CU_ASSERT_EQUAL(hfwrite_ref(refs, "main", HEX40("c")), 0);
	p = path_in(tmp, "models--o--m/refs/main");
	read_file(p, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, HEX40("c"));
	free(p);
	p = path_in(tmp, "models--o--m/refs/refs/pr/1");
	read_file(p, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, HEX40("b"));
	free(p);
	p = path_in(tmp, "models--o--m/refs");
	{
		char	 cmd[PATH_MAX + 64];
		FILE	*f;

		snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", p);
		f = popen(cmd, "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof(buf), f));
		pclose(f);
		CU_ASSERT_STRING_EQUAL(buf, "2\n");	/* main, refs */
	}
	free(p);
	CU_ASSERT_EQUAL(hfwrite_ref(refs, "../x", HEX40("d")), -1);
	close(refs);

	/* Locks: mode 0664, exclusive, kept after release. */
	fd = hfwrite_lock(top, "x.lock");
	CU_ASSERT_TRUE_FATAL(fd != -1);
	p = path_in(tmp, "x.lock");
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0664);
	errno = 0;
	fd2 = hfwrite_lock(top, "x.lock");
	CU_ASSERT_EQUAL(fd2, -1);
	CU_ASSERT_EQUAL(errno, EWOULDBLOCK);
	close(fd);
	fd2 = hfwrite_lock(top, "x.lock");
	CU_ASSERT_TRUE(fd2 != -1);
	close(fd2);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	free(p);

	/* trees/<commit>.json */
	{
		static const struct hfwrite_tree f[] = {
			{ "a", 2, HEX40("2"), NULL, 0, NULL },
			{ "b", 1, HEX40("1"), NULL, 0, NULL },
		};
		struct hfwrite_list	 l;
		int			 repo = hfwrite_dirs(top, "models--o--m", 0);

		CU_ASSERT_TRUE_FATAL(repo != -1);
		hfwrite_list_array(&l, f, 2);
		CU_ASSERT_EQUAL(hfwrite_trees(repo, HEX40("c"), &l), 0);
		close(repo);
		p = path_in(tmp, "models--o--m/trees/" HEX40("c") ".json");
		read_file(p, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, "{\n \"format_version\": 1,\n "
		    "\"files\": {\n  \"a\": {\n   \"size\": 2,\n   \"blob_id\": "
		    "\"" HEX40("2") "\"\n  },\n  \"b\": {\n   \"size\": 1,\n   "
		    "\"blob_id\": \"" HEX40("1") "\"\n  }\n }\n}");
		free(p);
	}
	close(top);
	unit_rmtree(tmp);
	free(tmp);
}

static int
count_calls(void *arg, const struct hub_progress *p)
{

	(*(int *)arg)++;
	return 0;
}

/* Refusals that must happen before any request or file is made. */
static void
test_refusals(void)
{
	static const struct {
		const char	*repo, *rev;
		int		 offline, nosym;
		enum err	 err;
		const char	*msg;
	} cases[] = {
		{ "org/m", "main", 1, 0, ERR_UPSTREAM,
		    "HF_HUB_OFFLINE is set: cannot download org/m" },
		{ "org/m", NULL, 0, 1, ERR_INVAL, "HF_HUB_DISABLE_SYMLINKS" },
		{ "a/b/c", "main", 0, 0, ERR_INVAL, "Invalid repository id" },
		{ "org/m", "../x", 0, 0, ERR_INVAL, "Invalid revision" },
		{ "org/m", "/abs", 0, 0, ERR_INVAL, "Invalid revision" },
	};
	struct hub_opts		 o;
	struct hub_callbacks	 cb;
	char			*tmp = unit_tmpdir(), *cache, msg[256];
	struct stat		 st;
	size_t			 i;
	int			 calls = 0;

	cache = path_in(tmp, "cache");
	memset(&cb, 0, sizeof(cb));
	cb.arg = &calls;
	cb.progress = count_calls;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.endpoint = "http://127.0.0.1:1";
		o.offline = cases[i].offline;
		o.disable_symlinks = cases[i].nosym;
		CU_ASSERT_EQUAL(hub_snapshot_download(&o, cache, cases[i].repo,
		    cases[i].rev, &cb, msg, sizeof(msg)), cases[i].err);
		CU_ASSERT_PTR_NOT_NULL(strstr(msg, cases[i].msg));
	}
	CU_ASSERT_EQUAL(calls, 0);
	/* Nothing listening: a connect error, no retry, no cache made. */
	memset(&o, 0, sizeof(o));
	o.endpoint = "http://127.0.0.1:1/";
	o.token = "hf_secret";
	CU_ASSERT_EQUAL(hub_snapshot_download(&o, cache, "org/m", "main", &cb,
	    msg, sizeof(msg)), ERR_UPSTREAM);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "Cannot connect to "
	    "http://127.0.0.1:1"));
	CU_ASSERT_PTR_NULL(strstr(msg, "hf_secret"));
	CU_ASSERT_EQUAL(stat(cache, &st), -1);
	o.token = "hf_bad\r\nX-Injected: 1";
	CU_ASSERT_EQUAL(hub_snapshot_download(&o, cache, "org/m", "main", &cb,
	    msg, sizeof(msg)), ERR_INVAL);
	free(cache);
	unit_rmtree(tmp);
	free(tmp);
}

/* The retry state of a download's progress: set by a retry, cleared only
 * when data flows on the request that was being retried. */
static void
test_retry_note(void)
{
	struct hubdl	 d;
	int		 a, b;

	hubdl_init(&d, NULL, 0);
	d.http.retry_max = 5;
	hubdl_retry_note(&d, &a, 0, NULL);
	CU_ASSERT_EQUAL(d.retry_moved, 0);
	hubdl_retry_note(&d, &a, 2, "Hub error (HTTP 500)");
	CU_ASSERT_EQUAL(d.prog.attempt, 2);
	CU_ASSERT_EQUAL(d.prog.attempt_max, 5);
	CU_ASSERT_STRING_EQUAL(d.prog.last_error, "Hub error (HTTP 500)");
	CU_ASSERT_EQUAL(d.retry_moved, 1);
	d.retry_moved = 0;
	hubdl_retry_note(&d, &b, 0, NULL);	/* another transfer's bytes */
	CU_ASSERT_EQUAL(d.prog.attempt, 2);
	CU_ASSERT_EQUAL(d.retry_moved, 0);
	hubdl_retry_note(&d, &a, 0, NULL);
	CU_ASSERT_EQUAL(d.prog.attempt, 0);
	CU_ASSERT_EQUAL(d.prog.attempt_max, 0);
	CU_ASSERT_STRING_EQUAL(d.prog.last_error, "");
	CU_ASSERT_EQUAL(d.retry_moved, 1);
	hubdl_free(&d);
}

static const struct unit_test tests[] = {
	{ "filename validation", test_filename },
	{ "etag normalisation", test_etag },
	{ "commit and oid checks", test_hex },
	{ "revision validation", test_revision },
	{ "repo folder names", test_folder },
	{ "relative link targets", test_link_target },
	{ "percent-encoding", test_quote },
	{ "trees json as Python writes it", test_trees_json },
	{ "streaming tree listing reader", test_tree_reader },
	{ "Link rel=next", test_link_next },
	{ "error mapping", test_error_map },
	{ "origins, redirects, auth", test_origin },
	{ "response headers", test_headers },
	{ "blob digests", test_hash },
	{ "snapshot links", test_write_links },
	{ "tag, refs, locks, trees", test_write_files },
	{ "refusals before any request", test_refusals },
	{ "retry state of the progress", test_retry_note },
	{ NULL, NULL }
};

UNIT_SUITE("hub", NULL, NULL, tests)
