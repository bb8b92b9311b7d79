/*
 * barefcgi: the floor of the list endpoint benchmark.  A bare libfcgi
 * responder that answers every request with the bytes of one file (read
 * once at start), with the same response headers as mm-api (Status,
 * Content-Type, Cache-Control, X-Correlation-ID from nginx), doing
 * nothing else.
 *
 *	spawn-fcgi -s SOCKET -- barefcgi FILE
 *
 * Like mm-api, it serves one connection at a time through FCGX_Accept_r
 * on the socket spawn-fcgi hands it on fd 0.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fcgiapp.h>

#define BODY_MAX	(64L * 1024 * 1024)

/* The whole file into *body; exits on failure. */
static size_t
slurp(const char *path, char **body)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || st.st_size > BODY_MAX ||
	    (*body = malloc((size_t)st.st_size + 1)) == NULL) {
		perror(path);
		exit(1);
	}
	while (len < (size_t)st.st_size &&
	    (n = read(fd, *body + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	return len;
}

int
main(int argc, char *argv[])
{
	FCGX_Request	 fr;
	const char	*cid;
	char		*body;
	size_t		 len;

	if (argc != 2) {
		fprintf(stderr, "usage: barefcgi FILE\n");
		return 2;
	}
	len = slurp(argv[1], &body);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fprintf(stderr, "barefcgi: FCGX_Init failed\n");
		return 1;
	}
	while (FCGX_Accept_r(&fr) >= 0) {
		cid = FCGX_GetParam("HTTP_X_CORRELATION_ID", fr.envp);
		FCGX_FPrintF(fr.out, "Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Correlation-ID: %s\r\n\r\n", cid != NULL ? cid : "-");
		FCGX_PutStr(body, (int)len, fr.out);
		FCGX_Finish_r(&fr);
	}
	free(body);
	return 0;
}
