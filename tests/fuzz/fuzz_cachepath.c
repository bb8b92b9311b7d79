/*
 * libFuzzer harness: the cache-path builder.  The input is split at NUL
 * bytes into a server file name, an ETag header value, a revision and
 * a repo id.  Whatever the checks accept must stay inside the repo
 * folder when it becomes a path: snapshots/<commit>/<file> is below its
 * snapshot, its relative link target resolves to blobs/<etag> of the
 * same repo, refs/<revision> stays below refs/, and the repo folder is a
 * single directory name.  hubname_quote must round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hubname.h"
#include "valid.h"

#define COMMIT	"0123456789abcdef0123456789abcdef01234567"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Lexically resolves the '/'-separated path p (relative, no leading
 * '/') in place, as the kernel would without symlinks: "." dropped,
 * ".." removes the previous segment.  Returns -1 when ".." climbs above
 * the start.
 */
static int
normalise(char *p)
{
	char	*segs[8192], *s, *save = NULL, *out;
	size_t	 n = 0, i, len = strlen(p);

	for (s = strtok_r(p, "/", &save); s != NULL;
	    s = strtok_r(NULL, "/", &save)) {
		if (strcmp(s, ".") == 0)
			continue;
		if (strcmp(s, "..") == 0) {
			if (n == 0)
				return -1;
			n--;
			continue;
		}
		if (n == sizeof(segs) / sizeof(segs[0]))
			abort();
		segs[n++] = s;
	}
	out = malloc(len + 1);
	if (out == NULL)
		abort();
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, "/");
		strcat(out, segs[i]);
	}
	strcpy(p, out);
	free(out);
	return 0;
}

static void
check_file(const char *name, const char *etag)
{
	char	 target[HUBNAME_PATH_MAX * 2 + 128];
	char	*path, *dir, *slash;
	size_t	 need;

	if (hubname_valid_filename(name) == -1)
		return;
	if (name[0] == '/' || strchr(name, '\\') != NULL ||
	    strlen(name) > HUBNAME_PATH_MAX ||
	    valid_utf8(name, strlen(name)) != 0)
		abort();
	need = strlen(name) * 3 + strlen(etag) + 64;
	if ((path = malloc(need * 2)) == NULL || (dir = malloc(need)) == NULL)
		abort();
	/* The file, as a path below the repo folder. */
	strcpy(path, "snapshots/" COMMIT "/");
	strcat(path, name);
	if (normalise(path) == -1 ||
	    strncmp(path, "snapshots/" COMMIT "/", 51) != 0 ||
	    strlen(path) == 51)
		abort();
	/* Its link: relative to the file's directory. */
	if (hubname_link_target(name, etag, target, sizeof(target)) != 0)
		abort();
	strcpy(dir, "snapshots/" COMMIT "/");
	strcat(dir, name);
	slash = strrchr(dir, '/');
	*slash = '\0';
	strcpy(path, "r/");	/* the repo folder itself */
	strcat(path, dir);
	strcat(path, "/");
	strcat(path, target);
	if (normalise(path) == -1 || strncmp(path, "r/blobs/", 8) != 0 ||
	    strcmp(path + 8, etag) != 0)
		abort();
	free(path);
	free(dir);
}

static void
check_etag(const char *raw)
{
	char	 etag[65];

	memset(etag, 'x', sizeof(etag));
	if (hubname_etag(raw, etag) == -1) {
		if (etag[0] != '\0')
			abort();
		return;
	}
	if (hubname_is_oid(etag) != 0 || strchr(etag, '/') != NULL)
		abort();
	check_file("a/b/c.bin", etag);
}

static void
check_revision(const char *rev)
{
	char	*path, quoted[3 * HUBNAME_REV_MAX + 1];

	if (hubname_valid_revision(rev) == 0) {
		if ((path = malloc(strlen(rev) + 8)) == NULL)
			abort();
		strcpy(path, "refs/");
		strcat(path, rev);
		if (normalise(path) == -1 || strncmp(path, "refs/", 5) != 0 ||
		    strlen(path) == 5)
			abort();
		free(path);
		if (hubname_quote(rev, 0, quoted, sizeof(quoted)) != 0 ||
		    strchr(quoted, '/') != NULL)
			abort();
	}
	if (hubname_is_commit(rev) == 0 && hubname_valid_revision(rev) != 0)
		abort();
}

/* An upper-case hex digit, as quote() writes them. */
static int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* quote() then unquote() gives the input back; only safe bytes stay. */
static void
check_quote(const char *s)
{
	static const char	 safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-~/%";
	char			*q, *back;
	size_t			 qlen = strlen(s) * 3 + 1, i, o = 0;
	int			 hi, lo;

	if ((q = malloc(qlen)) == NULL || (back = malloc(qlen)) == NULL)
		abort();
	if (hubname_quote(s, 1, q, qlen) != 0)
		abort();
	if (hubname_quote(s, 1, back, qlen - 1) == 0 && strlen(q) == qlen - 1)
		abort();	/* the bound is exact */
	if (strspn(q, safe) != strlen(q))
		abort();
	for (i = 0; q[i] != '\0'; i++) {
		if (q[i] == '%') {
			if ((hi = hexval(q[i + 1])) == -1 ||
			    (lo = hexval(q[i + 2])) == -1)
				abort();
			back[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			back[o++] = q[i];
	}
	back[o] = '\0';
	if (strcmp(back, s) != 0)
		abort();
	free(q);
	free(back);
}

static void
check_repo(const char *id)
{
	char	 folder[512];

	if (valid_repo_id(id) != 0)
		return;
	if (hubname_repo_folder("model", id, folder, sizeof(folder)) != 0 ||
	    strchr(folder, '/') != NULL || strcmp(folder, "..") == 0 ||
	    strncmp(folder, "models--", 8) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*part[4];
	char		*buf;
	size_t		 i, n = 0;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	part[n++] = buf;
	for (i = 0; i < size && n < 4; i++)
		if (buf[i] == '\0')
			part[n++] = buf + i + 1;
	while (n < 4)
		part[n++] = "";
	check_file(part[0], "0123456789abcdef0123456789abcdef01234567");
	check_quote(part[0]);
	check_etag(part[1]);
	check_revision(part[2]);
	check_repo(part[3]);
	check_repo(part[0]);
	free(buf);
	return 0;
}
