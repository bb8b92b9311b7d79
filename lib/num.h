#ifndef MM_NUM_H
#define MM_NUM_H

/*
 * Bounded number parsing, after OpenBSD's strtonum(3): the whole string
 * must be the number, so "", " 1", "+1", "1x" and "0x10" are all invalid.
 * Every strto* in the tree goes through here.
 */

/*
 * Parses s as a decimal integer (an optional '-' then digits) within
 * [min, max].  Returns 0 and sets *out; or -1, leaving *out alone, with
 * *errstr (when errstr is not NULL) set to a static "invalid",
 * "too small" or "too large".
 */
int	 num_parse(const char *s, long long min, long long max,
	    long long *out, const char **errstr);

/*
 * Parses s as a finite decimal floating-point number (strtod's syntax,
 * no leading space, no "inf" or "nan").  Returns 0 and sets *out, or -1
 * leaving *out alone.
 */
int	 num_parse_double(const char *s, double *out);

#endif
