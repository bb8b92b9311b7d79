/*
 * Pure checks and name building for the Hub download: what the server
 * sends (file names, commits, etags) is validated here before it becomes
 * a path in the cache.
 */
#include <stdio.h>
#include <string.h>

#include "hubname.h"
#include "valid.h"

static int
is_lowerhex(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Length of the UTF-8 sequence starting with lead byte c (input already
 * checked as valid UTF-8). */
static size_t
utf8_len(unsigned char c)
{

	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return 2;
}

/*
 * One segment of a server file name.  Python checks each segment with
 * PureWindowsPath: a second character ':' makes it a drive ("C:x").
 */
static int
segment_ok(const char *s, size_t n)
{
	size_t	 first;

	if (n == 0 || n > HUBNAME_SEG_MAX)
		return 0;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	first = utf8_len((unsigned char)s[0]);
	if (first < n && s[first] == ':')
		return 0;
	return 1;
}

int
hubname_valid_filename(const char *s)
{
	const char	*seg, *p;
	size_t		 len = strlen(s);

	if (len == 0 || len > HUBNAME_PATH_MAX || valid_utf8(s, len) == -1)
		return -1;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return -1;
	for (seg = s; ; seg = p + 1) {
		if ((p = strchr(seg, '/')) == NULL)
			p = s + len;
		if (!segment_ok(seg, (size_t)(p - seg)))
			return -1;
		if (*p == '\0')
			return 0;
	}
}

int
hubname_is_commit(const char *s)
{

	return strlen(s) == 40 && is_lowerhex(s, 40) ? 0 : -1;
}

int
hubname_is_oid(const char *s)
{
	size_t	 n = strlen(s);

	return (n == 40 || n == 64) && is_lowerhex(s, n) ? 0 : -1;
}

int
hubname_etag(const char *raw, char out[65])
{
	size_t	 n;

	out[0] = '\0';
	while (*raw == 'W' || *raw == '/')
		raw++;
	while (*raw == '"')
		raw++;
	n = strlen(raw);
	while (n > 0 && raw[n - 1] == '"')
		n--;
	if ((n != 40 && n != 64) || !is_lowerhex(raw, n))
		return -1;
	memcpy(out, raw, n);
	out[n] = '\0';
	return 0;
}

int
hubname_valid_revision(const char *s)
{
	const char	*seg, *p;
	size_t		 len = strlen(s), n;

	if (len == 0 || len > HUBNAME_REV_MAX)
		return -1;
	for (p = s; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
			return -1;
	for (seg = s; ; seg = p + 1) {
		if ((p = strchr(seg, '/')) == NULL)
			p = s + len;
		n = (size_t)(p - seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return -1;
		if (*p == '\0')
			return 0;
	}
}

int
hubname_repo_folder(const char *type, const char *repo_id, char *out,
    size_t outlen)
{
	const char	*slash;
	int		 n;

	if ((slash = strchr(repo_id, '/')) == NULL)
		n = snprintf(out, outlen, "%ss--%s", type, repo_id);
	else
		n = snprintf(out, outlen, "%ss--%.*s--%s", type,
		    (int)(slash - repo_id), repo_id, slash + 1);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

int
hubname_link_target(const char *path, const char *etag, char *out,
    size_t outlen)
{
	size_t	 need, depth = 0, i, pos = 0;
	int	 n;

	for (i = 0; path[i] != '\0'; i++)
		if (path[i] == '/')
			depth++;
	need = 6 + 3 * depth + strlen("blobs/") + strlen(etag) + 1;
	if (need > outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	memcpy(out, "../../", 6);
	pos = 6;
	for (i = 0; i < depth; i++, pos += 3)
		memcpy(out + pos, "../", 3);
	n = snprintf(out + pos, outlen - pos, "blobs/%s", etag);
	return n < 0 ? -1 : 0;
}

int
hubname_quote(const char *s, int keep_slash, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 pos = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		    *p == '-' || *p == '~' || (keep_slash && *p == '/')) {
			if (pos + 1 >= outlen)
				goto toolong;
			out[pos++] = (char)*p;
			continue;
		}
		if (pos + 3 >= outlen)
			goto toolong;
		out[pos++] = '%';
		out[pos++] = hex[*p >> 4];
		out[pos++] = hex[*p & 0x0f];
	}
	if (pos >= outlen)
		goto toolong;
	out[pos] = '\0';
	return 0;
toolong:
	if (outlen > 0)
		out[0] = '\0';
	return -1;
}

char *
hubname_clean(char *dst, size_t dstlen, const char *src)
{
	size_t	 i;

	if (dstlen == 0)
		return dst;
	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ?
		    '?' : src[i];
	dst[i] = '\0';
	return dst;
}
