#include <errno.h>
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
