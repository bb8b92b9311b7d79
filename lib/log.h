#ifndef MM_LOG_H
#define MM_LOG_H

/*
 * One line per event: "<UTC ISO-8601> <prog>[<pid>] <level>: <message>".
 * Output goes to the file given to log_init (opened O_APPEND, so several
 * processes may share it) or to stderr.  errno is preserved by every call.
 * Never pass secrets (tokens, passwords, signed URLs) to these functions.
 */

/*
 * Sets the program name and destination.  path NULL or "" means stderr.
 * Returns 0, or -1 if the file cannot be opened (logging then stays on
 * stderr).  May be called again (e.g. after fork, or on SIGHUP).
 */
int	 log_init(const char *prog, const char *path);
void	 log_setdebug(int on);

void	 log_warn(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));	/* appends strerror */
void	 log_warnx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_info(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	 fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copies src into dst (size dstlen, always NUL-terminated), replacing
 * control characters, quotes and backslashes with \xNN so that untrusted
 * text cannot forge log lines.  Returns dst.
 */
char	*log_escape(char *dst, unsigned long dstlen, const char *src);

#endif
