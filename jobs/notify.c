/*
 * The notifier: a child of mm-jobd that sends the webhooks, so that
 * neither a job nor the runner's heartbeat ever waits on a receiver.
 *
 * Source.  The audit stream (AUDIT_KEY) read through the consumer group
 * HOOKQ_GROUP, created at "$" at the first start (events before it are
 * not sent), one consumer per runner named by its runner id.  An entry
 * is acknowledged (XACK) once every webhook that wants its event has it
 * delivered or given up: until then it stays pending on this consumer.
 * A notifier that restarts reads its own pending entries first; one
 * whose runner died leaves them pending, and any other runner's notifier
 * takes them over (XAUTOCLAIM) once idle HOOKQ_CLAIM_IDLE_MS.  A live
 * notifier renews the idle time of the entries it works on (XCLAIM to
 * itself) every NOTIFY_RENEW_S, so a long retry is never taken over.
 * While an entry is pending, each webhook's state for it (done, or the
 * attempts so far) is kept in Redis (hookq_record), so a notifier that
 * takes it again neither sends what was delivered nor starts the
 * attempts over.  That is at least once across runners: a delivery made
 * but not yet recorded when its notifier dies is sent again, with the
 * same delivery id (webhook_delivery_id), so receivers can drop it.
 * The stream is capped (audit.max_events): an entry trimmed before it
 * was read is lost; at the default cap that takes 100000 newer events.
 *
 * Sending.  libcurl's multi interface: up to notify.max_in_flight
 * deliveries at once (in flight or waiting for their retry), each a POST
 * with connect and total timeouts; a failed attempt (no answer, timeout,
 * any status but 2xx) is retried after webhook_backoff_ms, then given up
 * after notify.delivery_attempts.  Redirects are not followed.  Every attempt
 * is one log line: webhook name, event, delivery id, attempt, HTTP status
 * or error; never the URL, the secret or the signature.
 */
#include <sys/prctl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "extern.h"
#include "hookq.h"
#include "hubhttp.h"
#include "log.h"
#include "metrics.h"
#include "webhook.h"

#define NOTIFY_CLAIM_EVERY	5	/* seconds between XAUTOCLAIM scans */
#define NOTIFY_RENEW_S		10	/* seconds between idle renewals */
#define NOTIFY_UA		"modelmgr-webhooks/1.0"

/* A stream entry being delivered: acknowledged when left reaches 0. */
struct nentry {
	char		 id[AUDIT_ID_MAX];	/* "" = free */
	unsigned	 left;
};

/* One delivery: an entry to one webhook. */
struct ndlv {
	int		 used;
	size_t		 entry;
	size_t		 hook;
	enum wh_event	 ev;
	char		*body;
	char		 did[WEBHOOK_ID_LEN + 1];
	unsigned	 attempt;	/* attempts started */
	double		 next_at;	/* monotonic; when not in flight */
	CURL		*easy;		/* NULL: waiting */
	struct curl_slist *hdrs;
};

struct notifier {
	const struct config	*cfg;
	struct rconn		*redis;
	CURLM			*multi;
	struct nentry		*entries;
	struct ndlv		*dlv;
	size_t			 cap;	/* of both tables */
	const volatile sig_atomic_t *stop;
	int			 own_done;	/* own pending read again */
	char			 own_cursor[AUDIT_ID_MAX];
	char			 claim_cursor[AUDIT_ID_MAX];
	double			 next_claim, next_renew;
	struct hookq_sink	 sink;		/* take_entry, this */
};

static size_t
free_dlv(const struct notifier *n)
{
	size_t	 i, k = 0;

	for (i = 0; i < n->cap; i++)
		k += !n->dlv[i].used;
	return k;
}

static size_t
busy_dlv(const struct notifier *n)
{

	return n->cap - free_dlv(n);
}

/* Acknowledges the entry id (logged when Redis fails: it stays pending
 * and is sent again later, at least once). */
static void
ack(struct notifier *n, const char *id)
{

	if (hookq_ack(n->redis, id) != ERR_OK)
		log_warnx("event=webhook.ack_failed audit_id=%s", id);
}

/* Ends the delivery d; acknowledges its entry when it was the last. */
static void
dlv_done(struct notifier *n, struct ndlv *d)
{
	struct nentry	*e = &n->entries[d->entry];

	if (d->easy != NULL) {
		curl_multi_remove_handle(n->multi, d->easy);
		curl_easy_cleanup(d->easy);
	}
	curl_slist_free_all(d->hdrs);
	free(d->body);
	memset(d, 0, sizeof(*d));
	if (--e->left == 0) {
		ack(n, e->id);
		e->id[0] = '\0';
	}
}

/* Discards the receiver's answer (its size is not ours to bound). */
static size_t
discard(char *p, size_t sz, size_t nmemb, void *arg)
{

	return sz * nmemb;
}

/* The headers of d: event, delivery id, signature, type. */
static struct curl_slist *
dlv_headers(const struct notifier *n, const struct ndlv *d)
{
	const struct config_webhook	*w = &n->cfg->webhooks[d->hook];
	struct curl_slist		*l = NULL, *t;
	char				 h[4][128], sig[65];
	size_t				 i;

	webhook_sign(w->secret, w->secretlen, d->body, strlen(d->body), sig);
	snprintf(h[0], sizeof(h[0]), "X-MM-Event: %s",
	    webhook_event_str(d->ev));
	snprintf(h[1], sizeof(h[1]), "X-MM-Delivery: %s", d->did);
	snprintf(h[2], sizeof(h[2]), "X-MM-Signature: sha256=%s", sig);
	snprintf(h[3], sizeof(h[3]), "Content-Type: application/json");
	for (i = 0; i < 4; i++) {
		if ((t = curl_slist_append(l, h[i])) == NULL) {
			curl_slist_free_all(l);
			l = NULL;
			break;
		}
		l = t;
	}
	explicit_bzero(h[2], sizeof(h[2]));
	explicit_bzero(sig, sizeof(sig));
	return l;
}

/* Sets the options of d's easy handle; 0 or -1. */
static int
dlv_options(const struct notifier *n, struct ndlv *d)
{
	const struct config	*cfg = n->cfg;
	CURL			*c = d->easy;

	if (curl_easy_setopt(c, CURLOPT_URL, cfg->webhooks[d->hook].url) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK)
		return -1;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, d->hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(d->body));
	curl_easy_setopt(c, CURLOPT_USERAGENT, NOTIFY_UA);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->notify_timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)cfg->notify_connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_PRIVATE, d);
	return 0;
}

/* Starts the next attempt of d; a failure to start counts as a failed
 * attempt (handled as one by the caller at the next round). */
static int
dlv_start(struct notifier *n, struct ndlv *d)
{

	d->attempt++;
	if (d->hdrs == NULL && (d->hdrs = dlv_headers(n, d)) == NULL)
		return -1;
	if ((d->easy = curl_easy_init()) == NULL)
		return -1;
	if (dlv_options(n, d) == -1 ||
	    curl_multi_add_handle(n->multi, d->easy) != CURLM_OK) {
		curl_easy_cleanup(d->easy);
		d->easy = NULL;
		return -1;
	}
	return 0;
}

/* One log line for an attempt of d: status (0: none) or error. */
static void
dlv_log(const struct notifier *n, const struct ndlv *d, long status,
    const char *error, const char *result)
{

	log_info("event=webhook.%s webhook=%s hook_event=%s delivery=%s "
	    "audit_id=%s attempt=%u/%u http_status=%ld error=\"%s\"", result,
	    n->cfg->webhooks[d->hook].name, webhook_event_str(d->ev), d->did,
	    n->entries[d->entry].id, d->attempt, n->cfg->notify_max_attempts,
	    status, error);
}

/* The attempt of d ended with HTTP status (0: none) or error. */
static void
dlv_attempted(struct notifier *n, struct ndlv *d, long status,
    const char *error)
{
	const char	*hook = n->cfg->webhooks[d->hook].name;
	unsigned	 pause;
	int		 done;

	done = (status >= 200 && status < 300) ||
	    d->attempt >= n->cfg->notify_max_attempts;
	if (hookq_record(n->redis, n->entries[d->entry].id, hook,
	    done ? -1 : (int)d->attempt) != ERR_OK)
		log_warnx("event=webhook.state_unsaved webhook=%s delivery=%s",
		    hook, d->did);
	if (status >= 200 && status < 300) {
		dlv_log(n, d, status, "", "delivered");
		metrics_add(MET_WEBHOOK_DELIVERED, hook, NULL, 1);
		dlv_done(n, d);
		return;
	}
	metrics_add(MET_WEBHOOK_FAILED, hook, NULL, 1);
	if (d->attempt >= n->cfg->notify_max_attempts) {
		dlv_log(n, d, status, error, "given_up");
		metrics_add(MET_WEBHOOK_GIVEN_UP, hook, NULL, 1);
		dlv_done(n, d);
		return;
	}
	dlv_log(n, d, status, error, "failed");
	pause = webhook_backoff_ms(n->cfg->notify_backoff_base_ms,
	    n->cfg->notify_backoff_max_ms, d->attempt);
	d->next_at = mono_now() + pause / 1000.0;
}

/* Starts the deliveries whose time has come. */
static void
start_due(struct notifier *n)
{
	struct ndlv	*d;
	double		 now = mono_now();
	size_t		 i;

	for (i = 0; i < n->cap; i++) {
		d = &n->dlv[i];
		if (d->used && d->easy == NULL && d->next_at <= now &&
		    dlv_start(n, d) == -1)
			dlv_attempted(n, d, 0, "could not start the request");
	}
}

/* Collects the attempts libcurl finished. */
static void
collect(struct notifier *n)
{
	struct ndlv	*d;
	CURLMsg		*m;
	long		 status;
	int		 left;
	CURLcode	 rc;

	while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&d);
		rc = m->data.result;
		status = 0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE,
			    &status);
		curl_multi_remove_handle(n->multi, d->easy);
		curl_easy_cleanup(d->easy);
		d->easy = NULL;
		dlv_attempted(n, d, status, rc == CURLE_OK ? "" :
		    curl_easy_strerror(rc));
	}
}

/* A free slot of the delivery table (one exists: checked by caller). */
static struct ndlv *
dlv_slot(struct notifier *n)
{
	size_t	 i;

	for (i = 0; i < n->cap && n->dlv[i].used; i++)
		;
	return i < n->cap ? &n->dlv[i] : NULL;
}

/* Queues the delivery of entry ei's event ev (JSON json) to hook h,
 * attempts already made (by an earlier notifier). */
static void
dlv_add(struct notifier *n, size_t ei, size_t h, enum wh_event ev,
    const char *json, int attempts)
{
	struct nentry	*e = &n->entries[ei];
	struct ndlv	*d;

	if ((d = dlv_slot(n)) == NULL)
		return;
	*d = (struct ndlv){ .used = 1, .entry = ei, .hook = h, .ev = ev,
	    .attempt = (unsigned)attempts };
	webhook_delivery_id(e->id, n->cfg->webhooks[h].name, d->did);
	if ((d->body = webhook_body(json, e->id, ev, d->did)) == NULL) {
		log_warnx("event=webhook.skipped webhook=%s audit_id=%s "
		    "reason=\"no body (not an object, too large, or out of "
		    "memory)\"", n->cfg->webhooks[h].name, e->id);
		memset(d, 0, sizeof(*d));
		return;
	}
	e->left++;
}

/* The webhook event of the audit event json, or -1. */
static int
event_of(const char *json)
{
	const cJSON	*ev, *op, *oc;
	cJSON		*o;
	int		 r = -1;

	if ((o = cJSON_Parse(json)) == NULL)
		return -1;
	ev = cJSON_GetObjectItemCaseSensitive(o, "event");
	op = cJSON_GetObjectItemCaseSensitive(o, "operation");
	oc = cJSON_GetObjectItemCaseSensitive(o, "outcome");
	if (cJSON_IsString(ev) && strcmp(ev->valuestring, "task.ended") == 0 &&
	    cJSON_IsString(op) && cJSON_IsString(oc))
		r = webhook_event_of(op->valuestring, oc->valuestring);
	cJSON_Delete(o);
	return r;
}

/* A free slot of the entry table, or NULL; NULL too when the entry id
 * is in the table already (taken over again after a renewal failed: its
 * deliveries are under way). */
static struct nentry *
entry_slot(struct notifier *n, const char *id, size_t *ei)
{

	for (*ei = 0; *ei < n->cap; (*ei)++)
		if (strcmp(n->entries[*ei].id, id) == 0)
			return NULL;
	for (*ei = 0; *ei < n->cap; (*ei)++)
		if (n->entries[*ei].id[0] == '\0')
			return &n->entries[*ei];
	return NULL;
}

/* Queues a delivery of entry ei's event ev to each webhook that wants
 * it and is not done with it yet (an earlier notifier's state; when Redis
 * cannot tell, every one: at least once). */
static void
add_wanted(struct notifier *n, size_t ei, enum wh_event ev,
    const char *json)
{
	const char	*names[HOOKQ_HOOKS_MAX] = { NULL };
	int		 attempts[HOOKQ_HOOKS_MAX];
	size_t		 h, k = 0, idx[HOOKQ_HOOKS_MAX];

	for (h = 0; h < n->cfg->nwebhooks && k < HOOKQ_HOOKS_MAX; h++)
		if (n->cfg->webhooks[h].events & (1U << ev)) {
			idx[k] = h;
			names[k++] = n->cfg->webhooks[h].name;
		}
	(void)hookq_state(n->redis, n->entries[ei].id, names, k, attempts);
	for (h = 0; h < k; h++) {
		if (attempts[h] < 0 ||
		    (unsigned)attempts[h] >= n->cfg->notify_max_attempts)
			continue;
		dlv_add(n, ei, idx[h], ev, json, attempts[h]);
	}
}

/* Takes one stream entry (hookq's callback; json NULL: trimmed): queues
 * a delivery per webhook that wants its event, or acknowledges it at
 * once. */
static void
take_entry(void *arg, const char *id, const char *json)
{
	struct notifier	*n = arg;
	struct nentry	*e;
	size_t		 ei;
	int		 ev;

	if ((e = entry_slot(n, id, &ei)) == NULL)
		return;
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->left = 1;	/* held while the deliveries are queued */
	if (json == NULL)
		log_warnx("event=webhook.lost audit_id=%s reason=\"trimmed "
		    "from the stream before it was delivered\"", e->id);
	else if ((ev = event_of(json)) != -1)
		add_wanted(n, ei, (enum wh_event)ev, json);
	if (--e->left == 0) {
		ack(n, e->id);
		e->id[0] = '\0';
	}
}

/* Entries the tables can take now: a free entry slot and a delivery slot
 * for every webhook, per entry. */
static size_t
room(const struct notifier *n)
{
	size_t	 i, fe = 0, k;

	for (i = 0; i < n->cap; i++)
		fe += n->entries[i].id[0] == '\0';
	k = free_dlv(n) / n->cfg->nwebhooks;
	return k < fe ? k : fe;
}

/* Takes over at most k entries of dead consumers; the scan goes on
 * from its cursor and rests NOTIFY_CLAIM_EVERY s once it is through. */
static enum err
autoclaim(struct notifier *n, size_t k)
{
	size_t		 got;
	enum err	 e;

	e = hookq_autoclaim(n->redis, n->cfg->runner_id, n->claim_cursor, k,
	    &n->sink, &got);
	if (got > 0)
		log_info("event=webhook.taken_over entries=%zu", got);
	if (e != ERR_OK || strcmp(n->claim_cursor, "0-0") == 0)
		n->next_claim = mono_now() + NOTIFY_CLAIM_EVERY;
	return e;
}

/*
 * Takes what the tables have room for: first this consumer's own pending
 * entries (left by a previous start), then, every NOTIFY_CLAIM_EVERY s,
 * those of dead consumers, else new entries (waiting up to a second for
 * one when nothing is being delivered).
 */
static enum err
fill(struct notifier *n)
{
	size_t		 k = room(n), got;
	unsigned	 block;
	enum err	 e;

	if (k == 0)
		return ERR_OK;
	if (!n->own_done) {
		e = hookq_read(n->redis, n->cfg->runner_id, n->own_cursor, k,
		    0, &n->sink, &got, n->own_cursor);
		if (e == ERR_OK && got == 0)
			n->own_done = 1;
		return e;
	}
	if (mono_now() >= n->next_claim)
		return autoclaim(n, k);
	block = busy_dlv(n) > 0 ? 0 : n->cfg->redis_timeout_ms < 2000 ?
	    n->cfg->redis_timeout_ms / 2 : 1000;
	return hookq_read(n->redis, n->cfg->runner_id, ">", k,
	    block > 0 ? block : 1, &n->sink, &got, NULL);
}

/* Renews the idle time of the entries being delivered, so that no other
 * notifier takes them over while their retries wait. */
static void
renew(struct notifier *n)
{
	const char	**ids;
	size_t		 i, k = 0;

	n->next_renew = mono_now() + NOTIFY_RENEW_S;
	if ((ids = calloc(n->cap, sizeof(*ids))) == NULL)
		return;
	for (i = 0; i < n->cap; i++)
		if (n->entries[i].id[0] != '\0')
			ids[k++] = n->entries[i].id;
	(void)hookq_renew(n->redis, n->cfg->runner_id, ids, k);
	free(ids);
}

/* Lets libcurl work for up to wait_ms, then collects what ended. */
static void
drive(struct notifier *n, int wait_ms)
{
	int	 running;

	(void)curl_multi_perform(n->multi, &running);
	collect(n);
	(void)curl_multi_poll(n->multi, NULL, 0, wait_ms, NULL);
	(void)curl_multi_perform(n->multi, &running);
	collect(n);
}

/* One round: group, entries, attempts due, libcurl, renewals. */
static void
round_once(struct notifier *n, int *group_ok, double *redis_at)
{
	enum err	 e = ERR_OK;
	double		 now = mono_now(), due;
	int		 created;

	if (now >= *redis_at) {
		if (!*group_ok && (e = hookq_group_create(n->redis,
		    &created)) == ERR_OK && created)
			log_info("event=webhook.group_created group=%s",
			    HOOKQ_GROUP);
		if (e == ERR_OK)
			*group_ok = 1;
		if (e == ERR_OK && (e = fill(n)) == ERR_NOTFOUND)
			*group_ok = 0;
		if (e != ERR_OK)
			*redis_at = now + 1;
	}
	start_due(n);
	drive(n, busy_dlv(n) > 0 || now < *redis_at ? 200 : 0);
	if (busy_dlv(n) > 0 && mono_now() >= n->next_renew)
		renew(n);
	if (metrics_pending(&due) && mono_now() >= due)
		(void)metrics_flush(n->redis);
}

/* Opens the notifier's tables, libcurl and Redis; fatal on failure. */
static void
notifier_open(struct notifier *n, const struct config *cfg,
    const volatile sig_atomic_t *stop)
{
	char	 err[1024];

	memset(n, 0, sizeof(*n));
	n->cfg = cfg;
	n->sink.fn = take_entry;
	n->sink.arg = n;
	n->stop = stop;
	n->cap = cfg->notify_max_in_flight;
	snprintf(n->own_cursor, sizeof(n->own_cursor), "0");
	snprintf(n->claim_cursor, sizeof(n->claim_cursor), "0-0");
	if ((n->entries = calloc(n->cap, sizeof(*n->entries))) == NULL ||
	    (n->dlv = calloc(n->cap, sizeof(*n->dlv))) == NULL)
		fatalx("out of memory");
	if (hubhttp_global_init() == -1 ||
	    (n->multi = curl_multi_init()) == NULL)
		fatalx("%s: libcurl cannot start", __func__);
	if ((n->redis = rconn_open(cfg->redis_url, cfg->redis_timeout_ms +
	    2000, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	rconn_set_hook(n->redis, metrics_hook, NULL);
}

/* Drops the deliveries under way (their entries stay pending: the next
 * start sends them) and frees everything. */
static void
notifier_close(struct notifier *n)
{
	size_t	 i;

	for (i = 0; i < n->cap; i++) {
		if (!n->dlv[i].used)
			continue;
		if (n->dlv[i].easy != NULL) {
			curl_multi_remove_handle(n->multi, n->dlv[i].easy);
			curl_easy_cleanup(n->dlv[i].easy);
		}
		curl_slist_free_all(n->dlv[i].hdrs);
		free(n->dlv[i].body);
	}
	(void)metrics_flush(n->redis);
	curl_multi_cleanup(n->multi);
	rconn_close(&n->redis);
	free(n->dlv);
	free(n->entries);
}

int
notify_main(const struct config *cfg, const volatile sig_atomic_t *stop)
{
	struct notifier	 n;
	double		 redis_at = 0;
	int		 group_ok = 0;

	notifier_open(&n, cfg, stop);
	log_info("event=webhook.notifier_started webhooks=%zu consumer=%s",
	    cfg->nwebhooks, cfg->runner_id);
	while (!*n.stop)
		round_once(&n, &group_ok, &redis_at);
	notifier_close(&n);
	log_info("event=webhook.notifier_stopped");
	return 0;
}
