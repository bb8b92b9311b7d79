#ifndef MM_DIRAT_H
#define MM_DIRAT_H

#include <dirent.h>
#include <stdbool.h>

/*
 * Directory walking relative to directory descriptors, never following a
 * symlink: what the cache scan and the cache removal share.
 */

/*
 * Opens the directory name inside dfd (O_RDONLY | O_DIRECTORY |
 * O_NOFOLLOW | O_CLOEXEC): a symlink fails with ELOOP or ENOTDIR, and so
 * does anything that is not a directory.  Returns the descriptor, or -1
 * with errno set (also when dfd is -1, so that opens can be chained).
 */
int	 dirat_fd(int dfd, const char *name);

/*
 * Opens the directory name inside dfd as a DIR stream, with O_NOFOLLOW (a
 * symlink fails with ELOOP or ENOTDIR).  Returns NULL with errno set on
 * error.  The caller closes the stream with closedir(3).
 */
DIR	*dirat_open(int dfd, const char *name);

/* Whether name is "." or "..".  Cannot fail. */
bool	 dirat_dots(const char *name);

/*
 * The type of the entry de of the directory dfd as a DT_* value: d_type,
 * else an lstat (fstatat AT_SYMLINK_NOFOLLOW) of it, DT_DIR, DT_LNK or
 * DT_REG.  DT_UNKNOWN for anything else or when the lstat fails.
 */
int	 dirat_type(int dfd, const struct dirent *de);

#endif
