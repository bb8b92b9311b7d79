/*
 * hubget: drives hub_snapshot_download() from the command line, for tests.
 *
 *	hubget CACHE_DIR REPO_ID [REVISION]
 *
 * Environment: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE,
 * HF_HUB_DISABLE_SYMLINKS as the service reads them, plus test knobs:
 * HUBGET_CONNECTIONS (transfers at once, default 16), HUBGET_START
 * (connections at first, default 4; as many as HUBGET_CONNECTIONS to keep
 * the count fixed), HUBGET_PARTS (parts of one file, default 8),
 * HUBGET_PART_MIN (bytes, default 64 MiB), HUBGET_CHECKPOINT (bytes,
 * default 8 MiB), HUBGET_RETRIES (default 3), HUBGET_BASE_MS /
 * HUBGET_MAX_MS (backoff, default 100 / 1000), HUBGET_STALL (seconds,
 * default 10), HUBGET_CONNECT (seconds, default 5),
 * HUBGET_STOP_AT (ask to stop once this many bytes are done),
 * HUBGET_ADMIT_MAX (refuse admission above this many missing bytes).
 *
 * Prints "admit ...", "progress ..." lines and one final line
 * "result: ok" or "result: <error name>: <message>".  Exit status 0 on
 * success, 1 on a download failure, 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub.h"
#include "log.h"

struct knobs {
	uint64_t	 stop_at;	/* 0 = never */
	uint64_t	 admit_max;	/* 0 = no limit */
};

static int
truthy(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && (strcasecmp(v, "1") == 0 ||
	    strcasecmp(v, "on") == 0 || strcasecmp(v, "yes") == 0 ||
	    strcasecmp(v, "true") == 0);
}

/* An unsigned number from the environment, or def; exits on garbage. */
static uint64_t
env_u64(const char *name, uint64_t def)
{
	const char		*v = getenv(name);
	char			*end;
	unsigned long long	 n;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || *v == '-') {
		fprintf(stderr, "hubget: bad %s: %s\n", name, v);
		exit(2);
	}
	return n;
}

static int
admit(void *arg, const struct hub_progress *p, uint64_t missing, char *msg,
    size_t msglen)
{
	const struct knobs	*k = arg;

	printf("admit total=%" PRIu64 " missing=%" PRIu64 " resumed=%" PRIu64
	    " files=%zu\n", p->bytes_total, missing, p->bytes_resumed,
	    p->files_total);
	fflush(stdout);
	if (k->admit_max != 0 && missing > k->admit_max) {
		snprintf(msg, msglen, "needs %" PRIu64 " bytes, %" PRIu64
		    " allowed", missing, k->admit_max);
		return -1;
	}
	return 0;
}

static int
progress(void *arg, const struct hub_progress *p)
{
	const struct knobs	*k = arg;

	printf("progress %" PRIu64 "/%" PRIu64 " files %zu/%zu resumed %"
	    PRIu64 " connections %u\n", p->bytes_done, p->bytes_total,
	    p->files_done, p->files_total, p->bytes_resumed, p->connections);
	fflush(stdout);
	return k->stop_at != 0 && p->bytes_done >= k->stop_at;
}

int
main(int argc, char *argv[])
{
	struct hub_opts		 o;
	struct hub_callbacks	 cb;
	struct knobs		 k;
	char			 msg[1024];
	enum err		 rc;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: hubget CACHE_DIR REPO_ID "
		    "[REVISION]\n");
		return 2;
	}
	log_init("hubget", NULL);
	memset(&o, 0, sizeof(o));
	o.endpoint = getenv("HF_ENDPOINT");
	o.token = getenv("HF_TOKEN");
	if (o.token != NULL && *o.token == '\0')
		o.token = NULL;
	o.offline = truthy("HF_HUB_OFFLINE");
	o.disable_symlinks = truthy("HF_HUB_DISABLE_SYMLINKS");
	o.max_connections = (unsigned)env_u64("HUBGET_CONNECTIONS", 16);
	o.start_connections = (unsigned)env_u64("HUBGET_START", 0);
	o.parts_per_file = (unsigned)env_u64("HUBGET_PARTS", 8);
	o.part_min_bytes = env_u64("HUBGET_PART_MIN", 0);
	o.checkpoint_bytes = env_u64("HUBGET_CHECKPOINT", 0);
	o.retry_max = (unsigned)env_u64("HUBGET_RETRIES", 3);
	o.retry_base_ms = (unsigned)env_u64("HUBGET_BASE_MS", 100);
	o.retry_max_ms = (unsigned)env_u64("HUBGET_MAX_MS", 1000);
	o.stall_seconds = (unsigned)env_u64("HUBGET_STALL", 10);
	o.connect_timeout = (unsigned)env_u64("HUBGET_CONNECT", 5);
	o.user_agent = "hubget/1.0; hf_hub-compatible";
	k.stop_at = env_u64("HUBGET_STOP_AT", 0);
	k.admit_max = env_u64("HUBGET_ADMIT_MAX", 0);
	memset(&cb, 0, sizeof(cb));	/* no cap: bw_take, bw_wait NULL */
	cb.arg = &k;
	cb.admit = admit;
	cb.progress = progress;
	rc = hub_snapshot_download(&o, argv[1], argv[2], argc == 4 ? argv[3] :
	    NULL, &cb, msg, sizeof(msg));
	if (rc == ERR_OK)
		printf("result: ok\n");
	else
		printf("result: %s: %s\n", err_str(rc), msg);
	return rc == ERR_OK ? 0 : 1;
}
