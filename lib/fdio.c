#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fdio.h"

int
fdio_read(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t	 r;

	*len = 0;
	while (*len < cap) {
		r = read(fd, buf + *len, cap - *len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	return 0;
}

int
fdio_read_regular(int dirfd, const char *name, char *buf, size_t cap,
    size_t *len)
{
	struct stat	 st;
	int		 fd, rc, saved;

	*len = 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) == -1)
		return errno == ELOOP ? 1 : -1;
	if (fstat(fd, &st) == -1)
		rc = -1;
	else
		rc = S_ISREG(st.st_mode) ? fdio_read(fd, buf, cap, len) : 1;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
