/*
 * libFuzzer harness: the query-string parser (query_parse, query_get)
 * checked against a plain reference decoder, and the validators that
 * take query values (valid_bool, valid_uuid, valid_repo_id,
 * valid_correlation_id, valid_utf8, and the audit's audit_id_valid).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "hex.h"
#include "hubname.h"
#include "valid.h"

#define MAXPARAMS	64

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* unquote_plus of n bytes of s into out; -1 when it yields a NUL. */
static int
ref_decode(const char *s, size_t n, char *out)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%' && i + 2 < n && hex_digit(s[i + 1]) != -1 &&
		    hex_digit(s[i + 2]) != -1) {
			out[o] = (char)(hex_digit(s[i + 1]) << 4 |
			    hex_digit(s[i + 2]));
			if (out[o++] == '\0')
				return -1;
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return 0;
}

/* Compares q with what the reference decoder makes of qs. */
static void
check_query(const char *qs, int rc, const struct query *q)
{
	const char	*p = qs, *eq;
	char		*name, *value;
	size_t		 seg, n = 0, len = strlen(qs);
	int		 bad = 0;

	if ((name = malloc(len + 1)) == NULL ||
	    (value = malloc(len + 1)) == NULL)
		abort();
	for (;;) {
		seg = strcspn(p, "&");
		if (seg > 0) {
			eq = memchr(p, '=', seg);
			if (ref_decode(p, eq ? (size_t)(eq - p) : seg,
			    name) == -1 || (eq != NULL && ref_decode(eq + 1,
			    seg - (size_t)(eq - p) - 1, value) == -1))
				bad = 1;
			if (eq == NULL)
				value[0] = '\0';
			if (rc == 0 && !bad && (n >= q->n ||
			    strcmp(q->params[n].name, name) != 0 ||
			    strcmp(q->params[n].value, value) != 0))
				abort();
			n++;
		}
		if (p[seg] == '\0')
			break;
		p += seg + 1;
	}
	free(name);
	free(value);
	/* Fails exactly on a NUL or too many pairs. */
	if ((rc == -1) != (bad || n > MAXPARAMS))
		abort();
	if (rc == 0 && q->n != n)
		abort();
}

static void
check_values(const struct query *q)
{
	const char	*v, *last;
	char		 canon[37], canon2[37], reason[160], folder[300];
	size_t		 i;
	int		 b;

	for (i = 0; i < q->n; i++) {
		v = q->params[i].value;
		last = query_get(q, q->params[i].name);
		if (last == NULL)
			abort();
		if (valid_bool(v, &b) == 0 && b != 0 && b != 1)
			abort();
		reason[0] = '\0';
		if (valid_uuid(v, canon, reason, sizeof(reason)) == 0) {
			if (strlen(canon) != 36 || valid_uuid(canon, canon2,
			    reason, sizeof(reason)) != 0 ||
			    strcmp(canon, canon2) != 0)
				abort();
		} else if (reason[0] == '\0' ||
		    valid_utf8(reason, strlen(reason)) != 0)
			abort();
		if (valid_repo_id(v) == 0 && (strlen(v) > 200 ||
		    hubname_repo_folder("model", v, folder,
		    sizeof(folder)) != 0 || strchr(folder, '/') != NULL ||
		    strstr(v, "..") != NULL))
			abort();
		if (valid_correlation_id(v) == 0 &&
		    (strlen(v) > 64 || strpbrk(v, " ;\"\r\n") != NULL))
			abort();
		/* A stream id goes into XREVRANGE after a '(': digits and
		 * one inner dash only, within AUDIT_ID_MAX. */
		if (audit_id_valid(v) == 0 && (strlen(v) >= AUDIT_ID_MAX - 1 ||
		    strspn(v, "0123456789-") != strlen(v) || *v == '-' ||
		    strchr(v, '-') != strrchr(v, '-')))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query	 q;
	char		*qs;
	int		 rc;

	/* QUERY_STRING is a C string: no NUL inside. */
	if ((qs = malloc(size + 1)) == NULL)
		return 0;
	memcpy(qs, data, size);
	qs[size] = '\0';
	if (strlen(qs) != size) {
		free(qs);
		return 0;
	}
	rc = query_parse(qs, MAXPARAMS, &q);
	check_query(qs, rc, &q);
	if (rc == 0)
		check_values(&q);
	query_free(&q);
	if (q.params != NULL || q.n != 0)
		abort();
	free(qs);
	return 0;
}
