/*
 * mkcache: writes a synthetic HuggingFace Hub cache for the benchmarks.
 *
 *	mkcache DIR NREPOS [IDS_FILE]
 *
 * Every repo is laid out as huggingface_hub lays it out: blobs/<etag>
 * (sparse files of realistic sizes, so a big cache costs inodes only),
 * snapshots/<commit>/<path> relative links into blobs/, files in
 * sub-folders, two to four revisions per repo that share most blobs, a
 * file that shares its blob with another one in the same revision,
 * refs/main, refs/v1.0 and refs/refs/pr/1, and now and then a partial
 * download or an orphan blob.  Everything is derived from the repo's
 * index, so the same arguments give the same tree.
 *
 * The first repos take their ids from IDS_FILE (one "org/name" model id a
 * line), the rest are synthetic models and datasets.  Prints one JSON
 * line: {"repos", "revisions", "snapshot_files", "blobs", "entries"}.
 * Exit status 0, 1 on a file system error, 2 on bad usage.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPOS_MAX	100000
#define REVS_MAX	4
#define FILES_MAX	64
#define MIB		(1024ULL * 1024)
#define PATHLEN		4096

struct stats {
	unsigned long	 repos, revisions, files, blobs, entries;
};

/* The files of a revision: name and whether it is an LFS file. */
static const char *const fixed_names[] = {
	"config.json", "tokenizer.json", "tokenizer_config.json",
	"special_tokens_map.json", "README.md", ".gitattributes",
	"modules.json", "1_Pooling/config.json", "onnx/model.onnx",
	"onnx/model_quantized.onnx", "openvino/openvino_model.xml",
	"openvino/openvino_model.bin", "onnx/tokenizer.json",
	"2_Dense/dense/config.json", NULL
};
#define SHARED_FILE	12	/* onnx/tokenizer.json: blob of file 1 */

static uint64_t
mix(uint64_t x)
{

	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
h3(uint64_t a, uint64_t b, uint64_t c)
{

	return mix(mix(mix(a) ^ b) ^ c);
}

/* n hex digits (n <= 64) derived from seed into out. */
static void
hexid(uint64_t seed, size_t n, char *out)
{
	static const char	 xd[] = "0123456789abcdef";
	uint64_t		 v = 0;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (i % 16 == 0)
			v = mix(seed + i);
		out[i] = xd[v & 15];
		v >>= 4;
	}
	out[n] = '\0';
}

static void
fail(const char *what, const char *path)
{

	fprintf(stderr, "mkcache: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/* Formats a path into buf (PATHLEN bytes); exits when it does not fit. */
static void	 xpath(char *buf, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

static void
xpath(char *buf, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATHLEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATHLEN) {
		fprintf(stderr, "mkcache: path too long\n");
		exit(1);
	}
}

static void
mkdir_one(const char *path, struct stats *st)
{

	if (mkdir(path, 0755) == 0)
		st->entries++;
	else if (errno != EEXIST)
		fail("mkdir", path);
}

/* mkdir -p */
static void
mkdir_p(const char *path, struct stats *st)
{
	char	 buf[PATHLEN], *p;

	xpath(buf, "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir_one(buf, st);
		*p = '/';
	}
	mkdir_one(buf, st);
}

/* A file of size bytes (sparse) with optional text content. */
static void
mkfile(const char *path, uint64_t size, const char *text,
    struct stats *st)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		fail("create", path);
	if (text != NULL && write(fd, text, strlen(text)) !=
	    (ssize_t)strlen(text))
		fail("write", path);
	if (text == NULL && ftruncate(fd, (off_t)size) == -1)
		fail("truncate", path);
	close(fd);
	st->entries++;
}

static size_t
nfiles_of(unsigned long k)
{

	return 24 + (size_t)(k * 7 % 19);	/* 24..42 */
}

static void
file_name(size_t i, char *out, size_t len)
{

	if (i < sizeof(fixed_names) / sizeof(fixed_names[0]) - 1)
		snprintf(out, len, "%s", fixed_names[i]);
	else if (i % 2 == 1)
		snprintf(out, len, "model-%05zu.safetensors", i);
	else
		snprintf(out, len, "weights/part-%05zu.bin", i);
}

/* The revision (<= rev) whose content file i of repo k has at rev. */
static unsigned
file_origin(unsigned long k, size_t i, unsigned rev)
{

	if (i == SHARED_FILE)
		i = 1;
	while (rev > 0 && h3(k, i, rev) % 5 != 0)
		rev--;
	return rev;
}

/* Small text files are regular git blobs, the rest LFS files. */
static int
is_lfs(const char *name)
{
	size_t	 n = strlen(name);

	return !(n > 5 && strcmp(name + n - 5, ".json") == 0) &&
	    !(n > 3 && strcmp(name + n - 3, ".md") == 0) &&
	    !(n > 4 && strcmp(name + n - 4, ".xml") == 0) &&
	    strcmp(name, ".gitattributes") != 0;
}

/* Blob id and size of file i of repo k at revision rev. */
static void
file_blob(unsigned long k, size_t i, unsigned rev, char *etag,
    uint64_t *size)
{
	char		 name[128];
	uint64_t	 seed;
	int		 lfs;

	if (i == SHARED_FILE)
		i = 1;
	file_name(i, name, sizeof(name));
	seed = h3(k, i, file_origin(k, i, rev));
	lfs = is_lfs(name);
	*size = lfs ? (seed % 512 + 1) * MIB + seed % 4096 :
	    200 + seed % 8000;
	hexid(seed, lfs ? 64 : 40, etag);
}

static void
write_rev(const char *repo, unsigned long k, unsigned rev, struct stats *st)
{
	char		 commit[41], etag[65], name[128], path[PATHLEN];
	char		 link[512], *slash;
	uint64_t	 size;
	size_t		 i, n = nfiles_of(k), depth;
	const char	*p;

	hexid(h3(k, 0xc0, rev), 40, commit);
	xpath(path, "%s/snapshots/%s", repo, commit);
	mkdir_p(path, st);
	for (i = 0; i < n; i++) {
		file_name(i, name, sizeof(name));
		file_blob(k, i, rev, etag, &size);
		xpath(path, "%s/blobs/%s", repo, etag);
		if (access(path, F_OK) == -1) {
			mkfile(path, size, NULL, st);
			st->blobs++;
		}
		for (depth = 2, p = name; (p = strchr(p, '/')) != NULL; p++)
			depth++;
		link[0] = '\0';
		while (depth-- > 0)
			strcat(link, "../");
		strcat(link, "blobs/");
		strcat(link, etag);
		xpath(path, "%s/snapshots/%s/%s", repo, commit,
		    name);
		if ((slash = strrchr(path, '/')) != NULL) {
			*slash = '\0';
			mkdir_p(path, st);
			*slash = '/';
		}
		if (symlink(link, path) == -1)
			fail("symlink", path);
		st->entries++;
		st->files++;
	}
	st->revisions++;
}

static void
write_ref(const char *repo, const char *ref, unsigned long k, unsigned rev,
    struct stats *st)
{
	char	 commit[41], path[PATHLEN], *slash;

	hexid(h3(k, 0xc0, rev), 40, commit);
	xpath(path, "%s/refs/%s", repo, ref);
	slash = strrchr(path, '/');
	*slash = '\0';
	mkdir_p(path, st);
	*slash = '/';
	mkfile(path, 0, commit, st);
}

static void
write_repo(const char *dir, const char *folder, unsigned long k,
    struct stats *st)
{
	char		 repo[PATHLEN], path[PATHLEN], etag[65];
	unsigned	 nrev = 2 + (unsigned)(k % 3), r;

	xpath(repo, "%s/%s", dir, folder);
	xpath(path, "%s/blobs", repo);
	mkdir_p(path, st);
	for (r = 0; r < nrev; r++)
		write_rev(repo, k, r, st);
	write_ref(repo, "main", k, nrev - 1, st);
	if (nrev > 2)
		write_ref(repo, "v1.0", k, 0, st);
	if (k % 7 == 0)
		write_ref(repo, "refs/pr/1", k, 1, st);
	if (k % 17 == 3) {
		hexid(h3(k, 0x1c, 0), 64, etag);
		xpath(path, "%s/blobs/%s.incomplete", repo,
		    etag);
		mkfile(path, 100 * MIB, NULL, st);
	}
	if (k % 23 == 5) {
		hexid(h3(k, 0x0b, 0), 40, etag);
		xpath(path, "%s/blobs/%s", repo, etag);
		mkfile(path, 4096, NULL, st);
	}
	st->repos++;
}

/* "org/name" to "models--org--name"; 0, or -1 when it is no valid id. */
static int
folder_of(const char *id, char *out, size_t len)
{
	const char	*slash = strchr(id, '/');
	int		 n;

	if (*id == '\0' || strstr(id, "--") != NULL || strstr(id, "..") ||
	    (slash != NULL && strchr(slash + 1, '/') != NULL))
		return -1;
	if (slash == NULL)
		n = snprintf(out, len, "models--%s", id);
	else
		n = snprintf(out, len, "models--%.*s--%s",
		    (int)(slash - id), id, slash + 1);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	struct stats	 st;
	FILE		*ids = NULL;
	char		 line[512], folder[600], path[PATHLEN];
	char		*end;
	unsigned long	 n, k;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: mkcache DIR NREPOS [IDS_FILE]\n");
		return 2;
	}
	errno = 0;
	n = strtoul(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > REPOS_MAX) {
		fprintf(stderr, "mkcache: bad NREPOS: %s\n", argv[2]);
		return 2;
	}
	if (argc == 4 && (ids = fopen(argv[3], "r")) == NULL)
		fail("open", argv[3]);
	memset(&st, 0, sizeof(st));
	umask(022);
	mkdir_p(argv[1], &st);
	xpath(path, "%s/CACHEDIR.TAG", argv[1]);
	mkfile(path, 0, "Signature: 8a477f597d28d172789f06886806bc55\n", &st);
	for (k = 0; k < n; k++) {
		folder[0] = '\0';
		while (ids != NULL && folder[0] == '\0' &&
		    fgets(line, sizeof(line), ids) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] != '\0' && folder_of(line, folder,
			    sizeof(folder)) == -1) {
				fprintf(stderr, "mkcache: bad id: %s\n", line);
				return 2;
			}
		}
		if (folder[0] == '\0' && k % 10 == 9)
			snprintf(folder, sizeof(folder),
			    "datasets--bench--data-%05lu", k);
		else if (folder[0] == '\0')
			snprintf(folder, sizeof(folder),
			    "models--bench-org-%02lu--repo-%05lu", k % 37, k);
		write_repo(argv[1], folder, k, &st);
	}
	if (ids != NULL)
		fclose(ids);
	printf("{\"repos\": %lu, \"revisions\": %lu, \"snapshot_files\": %lu, "
	    "\"blobs\": %lu, \"entries\": %lu}\n", st.repos, st.revisions,
	    st.files, st.blobs, st.entries);
	return 0;
}
