/*
 * benchtool: small measuring helpers of the benchmark driver.
 *
 *	benchtool run STATS CMD [ARG...]
 *		runs CMD, waits for it and writes "WALL_S MAXRSS_KIB STATUS
 *		USER_S SYS_S" to the file STATS (wall time in seconds, the
 *		peak resident set of CMD from wait4(), its exit status or 128
 *		+ signal, its CPU time in user and kernel mode);
 *		CMD's own output is left alone.  Exits with CMD's status.
 *	benchtool childpeak PPID TIMEOUT_S
 *		waits (up to TIMEOUT_S) for a new child of PPID to appear (not
 *		one that ran when it started, not a zombie), follows it until
 *		it exits, sampling VmHWM in /proc every 2 ms, and prints "PID
 *		PEAK_KIB".  Exit status 1 when no child came.
 *	benchtool mkfile PATH SIZE SEED|sparse
 *		writes SIZE bytes (a SplitMix64 stream of SEED, or a sparse
 *		file of zeros) and prints "SHA256 POINTER_OID": the file's
 *		SHA-256 and the git blob id of its Git LFS pointer text, as
 *		the Hub lists an LFS file.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define CHUNK		(1024 * 1024)
#define SAMPLE_US	2000

static void
usage(void)
{

	fprintf(stderr, "usage: benchtool run STATS CMD [ARG...]\n"
	    "       benchtool childpeak PPID TIMEOUT_S\n"
	    "       benchtool mkfile PATH SIZE SEED|sparse\n");
	exit(2);
}

static uint64_t
num(const char *s, uint64_t max)
{
	char			*end;
	unsigned long long	 n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *s == '-' || *s == '\0' || n > max)
		usage();
	return n;
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmd_run(int argc, char *argv[])
{
	struct rusage	 ru;
	FILE		*f;
	double		 t0, t;
	pid_t		 pid;
	int		 status, rc;

	if (argc < 4)
		usage();
	t0 = now_s();
	if ((pid = fork()) == -1) {
		perror("benchtool: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		fprintf(stderr, "benchtool: %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR) {
			perror("benchtool: wait4");
			return 1;
		}
	t = now_s() - t0;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	if ((f = fopen(argv[2], "w")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	fprintf(f, "%.6f %ld %d %ld.%06ld %ld.%06ld\n", t, ru.ru_maxrss, rc,
	    (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
	    (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
	fclose(f);
	return rc;
}

#define OLD_MAX	256

static long	 vmhwm(pid_t);

/*
 * The first child of ppid listed in /proc that is alive and not one of
 * old[0..nold), or 0.  With record set, appends every child to old
 * instead (and returns 0).
 */
static pid_t
new_child(pid_t ppid, pid_t *old, size_t *nold, int record)
{
	char		 path[64], buf[512];
	DIR		*d;
	struct dirent	*de;
	FILE		*f;
	long		 c, found = 0;
	size_t		 i;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)ppid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (found == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s/children", path, de->d_name);
		if ((f = fopen(buf, "r")) == NULL)
			continue;
		while (found == 0 && fscanf(f, "%ld", &c) == 1) {
			if (record) {
				if (*nold < OLD_MAX)
					old[(*nold)++] = (pid_t)c;
				continue;
			}
			for (i = 0; i < *nold && old[i] != (pid_t)c; i++)
				;
			if (i == *nold && vmhwm((pid_t)c) != -1)
				found = c;
		}
		fclose(f);
	}
	closedir(d);
	return (pid_t)found;
}

/* VmHWM of pid in KiB, or -1 once it is gone (or a zombie). */
static long
vmhwm(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kib = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int
cmd_childpeak(int argc, char *argv[])
{
	pid_t		 ppid, c = 0, old[OLD_MAX];
	size_t		 nold = 0;
	double		 deadline;
	long		 peak = -1, k;

	if (argc != 4)
		usage();
	ppid = (pid_t)num(argv[2], INT32_MAX);
	deadline = now_s() + (double)num(argv[3], 86400);
	(void)new_child(ppid, old, &nold, 1);
	while ((c = new_child(ppid, old, &nold, 0)) == 0) {
		if (now_s() > deadline) {
			fprintf(stderr, "benchtool: no child of %ld\n",
			    (long)ppid);
			return 1;
		}
		usleep(500);
	}
	while ((k = vmhwm(c)) != -1) {
		if (k > peak)
			peak = k;
		usleep(SAMPLE_US);
	}
	printf("%ld %ld\n", (long)c, peak);
	return peak == -1;
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* The git blob id of the LFS pointer of a file (sha256 hex, size). */
static void
pointer_oid(const char *sha, uint64_t size, char *out)
{
	EVP_MD_CTX	*md;
	unsigned char	 d[EVP_MAX_MD_SIZE];
	unsigned	 dl;
	char		 text[256], head[64];
	int		 n, hn;

	n = snprintf(text, sizeof(text), "version https://git-lfs.github.com/"
	    "spec/v1\noid sha256:%s\nsize %" PRIu64 "\n", sha, size);
	hn = snprintf(head, sizeof(head), "blob %d", n) + 1;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(md, head, (size_t)hn) != 1 ||
	    EVP_DigestUpdate(md, text, (size_t)n) != 1 ||
	    EVP_DigestFinal_ex(md, d, &dl) != 1) {
		fprintf(stderr, "benchtool: sha1 failed\n");
		exit(1);
	}
	EVP_MD_CTX_free(md);
	hex(d, dl, out);
}

static void
fill(unsigned char *buf, size_t n, uint64_t *state)
{
	uint64_t	 z;
	size_t		 i;

	for (i = 0; i + 8 <= n; i += 8) {
		z = (*state += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(buf + i, &z, 8);
	}
	memset(buf + i, 0, n - i);
}

static int
cmd_mkfile(int argc, char *argv[])
{
	EVP_MD_CTX	*md;
	unsigned char	*buf, d[EVP_MAX_MD_SIZE];
	unsigned	 dl;
	char		 sha[65], oid[41];
	uint64_t	 size, left, state = 0;
	size_t		 n;
	int		 fd, sparse;

	if (argc != 5)
		usage();
	size = num(argv[3], UINT64_C(1) << 50);
	if (!(sparse = strcmp(argv[4], "sparse") == 0))
		state = num(argv[4], UINT64_MAX);
	if ((buf = calloc(1, CHUNK)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "benchtool: out of memory\n");
		return 1;
	}
	if ((fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1 || (sparse && ftruncate(fd, (off_t)size) == -1)) {
		perror(argv[2]);
		return 1;
	}
	for (left = size; left > 0; left -= n) {
		n = left < CHUNK ? (size_t)left : CHUNK;
		if (!sparse) {
			fill(buf, n, &state);
			if (write(fd, buf, n) != (ssize_t)n) {
				perror(argv[2]);
				return 1;
			}
		}
		EVP_DigestUpdate(md, buf, n);
	}
	if (close(fd) == -1 || EVP_DigestFinal_ex(md, d, &dl) != 1) {
		perror(argv[2]);
		return 1;
	}
	hex(d, dl, sha);
	pointer_oid(sha, size, oid);
	printf("%s %s\n", sha, oid);
	EVP_MD_CTX_free(md);
	free(buf);
	return 0;
}

int
main(int argc, char *argv[])
{

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc, argv);
	if (strcmp(argv[1], "childpeak") == 0)
		return cmd_childpeak(argc, argv);
	if (strcmp(argv[1], "mkfile") == 0)
		return cmd_mkfile(argc, argv);
	usage();
	return 2;
}
