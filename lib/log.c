#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static char	 log_prog[32] = "mm";
static int	 log_fd = 2;
static int	 log_debugging;

int
log_init(const char *prog, const char *path)
{
	int	 fd;

	snprintf(log_prog, sizeof(log_prog), "%s", prog);
	if (log_fd > 2)
		close(log_fd);
	log_fd = 2;
	if (path == NULL || *path == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	log_fd = fd;
	return 0;
}

void
log_setdebug(int on)
{

	log_debugging = on;
}

/* Formats and writes one line with a single write(2), so lines from
 * several processes appending to one file never interleave. */
static void log_vemit(const char *, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_vemit(const char *level, const char *cause, const char *fmt, va_list ap)
{
	char		 line[2048], ts[32];
	struct timespec	 now;
	struct tm	 tm;
	int		 n, m;
	int		 saved = errno;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s[%ld] %s: ", ts,
	    now.tv_nsec / 1000000, log_prog, (long)getpid(), level);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = (m < 0 || (size_t)(n + m) >= sizeof(line) - 64) ?
	    (int)sizeof(line) - 64 : n + m;
	if (cause != NULL)
		n += snprintf(line + n, sizeof(line) - n, ": %s", cause);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(log_fd, line, n);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 cause[128];

	snprintf(cause, sizeof(cause), "%s", strerror(errno));
	va_start(ap, fmt);
	log_vemit("warn", cause, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit("warn", NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit("info", NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_debugging)
		return;
	va_start(ap, fmt);
	log_vemit("debug", NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	 cause[128];

	snprintf(cause, sizeof(cause), "%s", strerror(errno));
	va_start(ap, fmt);
	log_vemit("fatal", cause, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vemit("fatal", NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_escape(char *dst, unsigned long dstlen, const char *src)
{
	unsigned long	 i = 0;
	unsigned char	 c;

	if (dstlen == 0)
		return dst;
	for (; src != NULL && (c = (unsigned char)*src) != '\0'; src++) {
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
			if (i + 4 >= dstlen)
				break;
			snprintf(dst + i, 5, "\\x%02x", c);
			i += 4;
		} else {
			if (i + 1 >= dstlen)
				break;
			dst[i++] = (char)c;
		}
	}
	dst[i] = '\0';
	return dst;
}
