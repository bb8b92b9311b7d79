#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

int
num_parse(const char *s, long long min, long long max, long long *out,
    const char **errstr)
{
	const char	*why = "invalid";
	const char	*d = *s == '-' ? s + 1 : s;
	char		*end;
	long long	 v;

	if (*d != '\0' && strspn(d, "0123456789") == strlen(d)) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if ((errno == ERANGE && v == LLONG_MIN) || v < min)
			why = "too small";
		else if ((errno == ERANGE && v == LLONG_MAX) || v > max)
			why = "too large";
		else {
			*out = v;
			why = NULL;
		}
	}
	if (errstr != NULL)
		*errstr = why;
	return why == NULL ? 0 : -1;
}

int
num_parse_double(const char *s, double *out)
{
	char	*end;
	double	 d;

	if (*s == '\0' || strchr("+-.0123456789", *s) == NULL)
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}
