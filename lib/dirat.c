#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dirat.h"

int
dirat_fd(int dfd, const char *name)
{

	if (dfd == -1) {
		errno = EBADF;
		return -1;
	}
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

DIR *
dirat_open(int dfd, const char *name)
{
	DIR	*d;
	int	 fd, saved;

	if ((fd = dirat_fd(dfd, name)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

bool
dirat_dots(const char *name)
{

	return name[0] == '.' && (name[1] == '\0' ||
	    (name[1] == '.' && name[2] == '\0'));
}

int
dirat_type(int dfd, const struct dirent *de)
{
	struct stat	 st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type;
	if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return DT_UNKNOWN;
	if (S_ISDIR(st.st_mode))
		return DT_DIR;
	if (S_ISLNK(st.st_mode))
		return DT_LNK;
	if (S_ISREG(st.st_mode))
		return DT_REG;
	return DT_UNKNOWN;
}
