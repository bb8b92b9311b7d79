#!/usr/bin/env bash
#
# Webhooks against two receivers on loopback (tests/fakehook): "main"
# wants every task end, "broken" answers 500 forever.  A completed, a
# failed and a cancelled download and a delete each reach main once,
# signed with its secret (recomputed here with openssl), with a delivery
# id and the right X-MM-Event; broken gets delivery_attempts (6) tries of one
# delivery id, then it is given up (logged, counted); main, down while a
# download ends, gets the event once it is up again, with the delivery id
# of the failed attempts, and the task ended before that; an entry left
# pending by a dead runner is taken over (by a notifier started again
# after it was killed, and after SIGHUP, neither sending again what was
# delivered nor starting the attempts over); the secrets and
# signatures are in no log; a secret file others can read is refused.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
HOOKDIR=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hook.XXXXXX")
at_exit "rm -rf '$HUBROOT' '$HOOKDIR'"
for spec in BAAI/bge-m3:1M naver/splade-v3:4M \
    sentence-transformers/all-MiniLM-L6-v2:1M; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" \
	    --repo "${spec%:*}" --file config.json=1K \
	    --file "model.safetensors=${spec##*:}" >/dev/null
done
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB

# Receivers: main (204) and broken (500); main's pid kept to stop it.
MAINLOG=$HOOKDIR/main.jsonl
BROKENLOG=$HOOKDIR/broken.jsonl
start_fake hook node "$IT_ROOT/tests/fakehook/fakehook.js" --log "$MAINLOG"
MAIN=$FAKE_URL
MAINPID=${IT_FAKES##* }
start_fake hook500 node "$IT_ROOT/tests/fakehook/fakehook.js" \
    --log "$BROKENLOG" --status 500
BROKEN=$FAKE_URL

EVENTS='[download.completed, download.failed, download.cancelled, delete.completed, delete.failed]'
test_config delivery_attempts 6 backoff_base_ms 500 backoff_max_ms 2000 \
    retry_base_ms 100 retry_max_ms 200 \
    webhooks "[{name: main, url: '$MAIN/hook?k=q', events: $EVENTS, secret_file: main.secret}, {name: broken, url: '$BROKEN/x', events: [download.completed], secret_file: broken.secret}]"
CONFDIR=$(dirname "$MM_CONFIG")
SECRET=whsec-$(openssl rand -hex 20)
SECRET2=whsec-$(openssl rand -hex 20)
printf '%s\n' "$SECRET" >"$CONFDIR/main.secret"
printf '%s' "$SECRET2" >"$CONFDIR/broken.secret"
chmod 600 "$CONFDIR"/*.secret
svc=modelmgr
[ "$(id -u)" -eq 0 ] || svc=$(id -un)
chown "$svc" "$CONFDIR"/*.secret

# --- a secret file others can read is refused, naming it --------------
JOBD=${MM_IT_BIN_JOBD:-$IT_ROOT/build/san/jobs/mm-jobd}
chmod 644 "$CONFDIR/broken.secret"
out=$(JWT_SECRET_KEY=x "$JOBD" -n -f "$MM_CONFIG" 2>&1) &&
    fail "mm-jobd -n accepted a secret file readable by others"
assert_match "broken\\.secret: group or others have access" "$out" \
    "the refusal names the secret file"
case $out in
*"$SECRET2"*) fail "the refusal shows the secret" ;;
*) pass "the refusal does not show the secret" ;;
esac
chmod 600 "$CONFDIR/broken.secret"
assert_ok "mm-jobd -n accepts the mode 600 secret files" \
    env JWT_SECRET_KEY=x "$JOBD" -n -f "$MM_CONFIG"

stack_up
T=$(token_for admin)
JOBLOG=$MM_VAR/log/mm-jobd.log

# hooks LOG JQ-FILTER: the number of recorded requests matching it.
hooks()
{
	[ -f "$1" ] || { echo 0; return; }
	jq -s "map(select($2)) | length" "$1"
}

# has_event EVENT TASK: main has EVENT for TASK (0) or not yet (1).
has_event()
{
	[ "$(hooks "$MAINLOG" ".headers[\"x-mm-event\"] == \"$1\" and (.body_b64 | @base64d | fromjson | .task_id) == \"$2\"")" -ge 1 ]
}

# delivered EVENT TASK: waits until main has EVENT for TASK.
delivered()
{
	wait_for 60 has_event "$1" "$2" || fail "main never got $1 for task $2"
}

# test_no_pending: 0 when the group has no pending entry.
test_no_pending()
{
	[ "$(redis_cli XPENDING model-manager:audit webhooks | head -n 1)" = 0 ]
}

# metric SERIES: its value in Redis.
metric()
{
	redis_cli HGET model-manager:metrics "$1"
}

# metric_is SERIES N: 0 when the series reads N.
metric_is()
{
	[ "$(metric "$1")" = "$2" ]
}

# check_signed EVENT TASK: main's request for it is valid and signed.
check_signed()
{
	local rec body sig did want
	rec=$(jq -sc "map(select(.headers[\"x-mm-event\"] == \"$1\" and (.body_b64 | @base64d | fromjson | .task_id) == \"$2\")) | .[0]" "$MAINLOG")
	body=$(jq -r .body_b64 <<<"$rec" | base64 -d | base64 -w0)
	sig=$(jq -r '.headers["x-mm-signature"]' <<<"$rec")
	want=sha256=$(base64 -d <<<"$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
	assert_eq "$want" "$sig" "$1: the signature is the HMAC of the body"
	did=$(jq -r '.headers["x-mm-delivery"]' <<<"$rec")
	assert_match '^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	    "$did" "$1: a delivery id"
	body=$(base64 -d <<<"$body")
	assert_eq "$did" "$(jq -r .delivery_id <<<"$body")" \
	    "$1: the body names the delivery id"
	assert_eq "$1" "$(jq -r .event <<<"$body")" "$1: the body names it"
	assert_eq "application/json" "$(jq -r '.headers["content-type"]' <<<"$rec")" \
	    "$1: JSON"
	assert_match '^modelmgr-webhooks/' "$(jq -r '.headers["user-agent"]' <<<"$rec")" \
	    "$1: the user agent names the service"
	assert_eq "/hook" "$(jq -r .path <<<"$rec")" "$1: posted to the URL"
}

# --- a completed download, to both --------------------------------------
api POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-m3"}'
done_tid=$(json .task_id)
wait_task "$done_tid" completed 60
delivered download.completed "$done_tid"
check_signed download.completed "$done_tid"

# --- broken: 500 forever, given up after delivery_attempts -----------------
wait_for 60 grep -q 'event=webhook.given_up webhook=broken' "$JOBLOG" ||
    fail "broken's delivery was never given up"
assert_eq 6 "$(hooks "$BROKENLOG" true)" "broken got exactly 6 attempts"
assert_eq 1 "$(jq -rs 'map(.headers["x-mm-delivery"]) | unique | length' "$BROKENLOG")" \
    "every attempt has the same delivery id"
assert_eq 5 "$(grep -c 'event=webhook.failed webhook=broken .*http_status=500' "$JOBLOG")" \
    "five failed attempts logged with their status"
wait_for 30 metric_is 'mm_webhook_given_up_total{webhook="broken"}' 1 ||
    fail "the given-up delivery is not counted"
assert_eq 6 "$(metric 'mm_webhook_failed_attempts_total{webhook="broken"}')" \
    "its failed attempts are counted"
wait_for 30 metric_is 'mm_webhook_deliveries_total{webhook="main"}' 1 ||
    fail "main's delivery is not counted"

# --- a failed download: a curated model the hub does not have -------------
api POST /api/v2/models/download "$T" '{"model_id":"Qwen/Qwen3-Embedding-0.6B"}'
fail_tid=$(json .task_id)
wait_task "$fail_tid" failed 60
delivered download.failed "$fail_tid"
check_signed download.failed "$fail_tid"

# --- a cancelled download -------------------------------------------------
hub_fault '{"type":"slow_body","rate":200000,"repo":"naver/splade-v3"}'
api POST /api/v2/models/download "$T" '{"model_id":"naver/splade-v3"}'
cancel_tid=$(json .task_id)
wait_bytes "$cancel_tid" 1
api POST "/api/v2/models/tasks/$cancel_tid/cancel" "$T"
wait_task "$cancel_tid" cancelled 60
hub_reset
delivered download.cancelled "$cancel_tid"
check_signed download.cancelled "$cancel_tid"

# --- a delete -------------------------------------------------------------
api DELETE '/api/v2/models/cache?model_id=BAAI/bge-m3&confirm=true' "$T"
assert_eq 200 "$status" "the delete is queued: $body"
del_tid=$(json .task_id)
wait_task "$del_tid" completed 60
delivered delete.completed "$del_tid"
check_signed delete.completed "$del_tid"

# --- main down while a download ends, then up again ------------------------
port=${MAIN##*:}
kill "$MAINPID"
wait_for 10 sh -c "! kill -0 $MAINPID 2>/dev/null" || fail "main did not stop"
api POST /api/v2/models/download "$T" '{"model_id":"sentence-transformers/all-MiniLM-L6-v2"}'
late_tid=$(json .task_id)
wait_task "$late_tid" completed 60
ended=$(json .updated_at)
wait_for 30 grep -q 'event=webhook.failed webhook=main hook_event=download.completed' "$JOBLOG" ||
    fail "no failed attempt while main was down"
start_fake hook node "$IT_ROOT/tests/fakehook/fakehook.js" --log "$MAINLOG" \
    --port "$port"
delivered download.completed "$late_tid"
check_signed download.completed "$late_tid"
rec=$(jq -sc "map(select((.body_b64 | @base64d | fromjson | .task_id) == \"$late_tid\")) | .[0]" "$MAINLOG")
did=$(jq -r '.headers["x-mm-delivery"]' <<<"$rec")
assert_match "webhook.failed webhook=main hook_event=download.completed delivery=$did " \
    "$(cat "$JOBLOG")" "the retry kept the delivery id of the failed attempt"
assert_eq true "$(jq -n "$ended < $(jq .time <<<"$rec")")" \
    "the task ended before its event was delivered"

# --- the notifier: started again when it dies, and on SIGHUP ----------------
# started_is N: mm-jobd has started its notifier N times.
started_is()
{
	[ "$(grep -c 'event=runner.notifier_started' "$JOBLOG")" = "$1" ]
}
assert_ok "one notifier so far" started_is 1
npid=$(grep -o 'event=runner.notifier_started pid=[0-9]*' "$JOBLOG" |
    tail -n 1 | cut -d= -f3)
kill -9 "$npid"
wait_for 20 started_is 2 || fail "the dead notifier was not started again"
assert_ok "its death was logged" grep -q 'event=runner.notifier_died' "$JOBLOG"
kill -HUP "$(pid_of jobd)"
wait_for 20 started_is 3 || fail "SIGHUP did not start a new notifier"

# --- an entry pending on a runner that died is taken over -------------------
# (by the notifier started last: it works.)
# In one transaction (a blocked reader is served only after it): an event
# read by the consumer "dead-runner" and made idle for 2 minutes.
tid=takeover-$RANDOM
sid=$(($(date +%s%3N) + 1000))-0
redis_cli >"$IT_DIR/takeover" <<EOC
MULTI
XADD model-manager:audit $sid event '{"time":"2026-01-01T00:00:00.000Z","event":"task.ended","model_id":"BAAI/bge-m3","task_id":"$tid","operation":"delete","outcome":"completed"}'
XREADGROUP GROUP webhooks dead-runner COUNT 1 STREAMS model-manager:audit >
XCLAIM model-manager:audit webhooks dead-runner 0 $sid IDLE 120000 JUSTID
EXEC
EOC
# XCLAIM (the transaction's last answer) names the entry: it was pending
# on the dead consumer (it may be taken over at once after that).
assert_eq "$sid" "$(tail -n 1 "$IT_DIR/takeover")" \
    "the entry was pending on the dead consumer"
delivered delete.completed "$tid"
check_signed delete.completed "$tid"
assert_ok "the notifier logged the take-over" \
    grep -q 'event=webhook.taken_over entries=1' "$JOBLOG"
wait_for 40 test_no_pending || fail "entries are still pending"
assert_no_redis_keys 'model-manager:webhook:*' \
    "no delivery state is left once every entry is acknowledged"
# The restarts took the attempts up where they were: broken's delivery of
# the late event, retrying while its notifier was killed and reloaded, has
# one first attempt, and was given up once.
bdid=$(jq -rs "map(select((.body_b64 | @base64d | fromjson | .task_id) == \"$late_tid\")) | .[0].headers[\"x-mm-delivery\"]" "$BROKENLOG")
assert_eq 1 "$(grep -c "webhook=broken .*delivery=$bdid .*attempt=1/6 " "$JOBLOG")" \
    "one first attempt across the restarts"
assert_eq 1 "$(grep -c "event=webhook.given_up webhook=broken .*delivery=$bdid " "$JOBLOG")" \
    "given up once across the restarts"

# --- once each, and no secret in any log ------------------------------------
assert_eq 0 "$(jq -rs 'map(.headers["x-mm-delivery"]) | group_by(.) | map(select(length > 1)) | length' "$MAINLOG")" \
    "main got each delivery once"
assert_eq 6 "$(hooks "$MAINLOG" true)" "main got the six events"
stack_down
# absent WHAT STRING...: no file under the stack's directory holds any
# STRING (grep's 1; a grep error fails too).
absent()
{
	local what=$1 rc=0 pat
	shift
	local -a args=()
	for pat in "$@"; do args+=(-e "$pat"); done
	grep -rlF "${args[@]}" "$MM_VAR" >"$IT_DIR/found" 2>&1 || rc=$?
	if [ "$rc" -eq 1 ]; then
		pass "no log holds $what"
	else
		fail "$what found (grep exit $rc): $(head -c 300 "$IT_DIR/found")"
	fi
}
absent "a secret" "$SECRET" "$SECRET2"
mapfile -t sigs < <(jq -r '.headers["x-mm-signature"] | ltrimstr("sha256=")' "$MAINLOG" "$BROKENLOG" | sort -u)
absent "a signature" "${sigs[@]}"
absent "the URL's query" "hook?k=q"
