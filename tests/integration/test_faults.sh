#!/usr/bin/env bash
#
# Downloads against the fake hub's faults, each ending as the contract
# says with nothing broken in the cache: 500s (and the retry state the
# progress body shows meanwhile), 429 + Retry-After, a reset
# mid-body, a stall, wrong bytes (once, and always), Range ignored, a
# redirect to another host, kill -9 of the job child (and the resume that
# follows), kill -9 of mm-jobd, and SIGTERM to mm-jobd.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

MIB=1048576
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
for m in intfloat/e5-small-v2 intfloat/e5-base-v2 intfloat/e5-large-v2 \
    intfloat/multilingual-e5-base intfloat/multilingual-e5-large \
    BAAI/bge-base-en-v1.5 BAAI/bge-small-en-v1.5 BAAI/bge-m3 \
    sentence-transformers/all-mpnet-base-v2 nomic-ai/nomic-embed-text-v1.5 \
    google/embeddinggemma-300m sentence-transformers/all-MiniLM-L6-v2; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 --file vocab.txt=600K \
	    --file model.safetensors=4M >/dev/null
done
TOTAL=$((700 + 614400 + 4 * MIB))
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0 --token hf_goodtoken
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB HF_TOKEN=hf_goodtoken
# retry_max 60: a hub that keeps failing is retried for some 20 s, time
# enough to watch the retry state however loaded the machine.
test_config stall_seconds 2 retry_max 60 retry_base_ms 100 retry_max_ms 400 \
    progress_interval_ms 100 disk_reserve_mb 0
stack_up
T=$(token_for admin)

start()		# MODEL: starts a download, sets tid
{
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	tid=$(json .task_id)
	[ "$tid" != null ] || fail "no task for $1: $body"
}

completed_ok()	# MODEL MESSAGE
{
	wait_task "$tid" completed 60 || return 0
	assert_json ".bytes_downloaded == $TOTAL and .bytes_total == $TOTAL" \
	    "$2: completed with every byte"
	local repo c
	repo=$(repo_dir "$1")
	c=$(cat "$repo/refs/main" 2>/dev/null)
	assert_ok "$2: content byte-identical" \
	    cmp "$repo/snapshots/$c/model.safetensors" "$HUBROOT/$1/model.safetensors"
	assert_none_found "$repo" "$2: no partial left" -name '*.incomplete'
}

# ranges MODEL FILE: the Range headers the hub saw for that file.
ranges()
{
	hub_log | jq -r --arg r "$1" --arg f "$2" \
	    '.[] | select(.repo == $r and .file == $f and .range != null) | .range'
}

# --- transient failures -------------------------------------------------

hub_fault '{"type":"status500","times":2,"on":"info","repo":"intfloat/e5-small-v2"}'
start intfloat/e5-small-v2
completed_ok intfloat/e5-small-v2 "two 500s then success"
assert_eq 2 "$(hub_log | jq '[.[] | select(.repo == "intfloat/e5-small-v2" and .status == 500)] | length')" \
    "the hub answered 500 twice"

# The retry state of the progress body: set while the hub keeps failing,
# null again as soon as data flows.
task_is()	# JQ-CONDITION: the task (tid) answers and meets it
{
	api GET "/api/v2/models/tasks/$tid" "$T"
	[ "$status" = 200 ] && [ "$(json "$1")" = true ]
}
M=sentence-transformers/all-MiniLM-L6-v2
hub_fault '{"type":"slow_body","rate":1000000,"repo":"'"$M"'","path":"model.safetensors"}'
f500=$(curl -sf -X POST -d '{"type":"status500","on":"info","repo":"'"$M"'"}' \
    "$HUB/_admin/faults" | jq '.added[0]')
start $M
assert_ok "500s: the running task says it is retrying" \
    wait_for 60 task_is '.status == "running" and .attempt >= 2'
assert_json '.attempt_max == 60 and .last_error == "Hub error (HTTP 500)" and .error == null' \
    "... at which retry of the policy's 60, and why"
curl -sf -X DELETE "$HUB/_admin/faults/$f500" >/dev/null ||
    fail "the fake hub kept its 500s"
assert_ok "the hub recovers: bytes flow while the task runs" \
    wait_for 60 task_is '.status == "running" and .bytes_downloaded > 0'
assert_json 'has("attempt") and .attempt == null and .attempt_max == null and .last_error == null' \
    "data flows again: no retry state"
assert_eq "|" "$(redis_cli HGET "model-manager:task:$tid" attempt)|$(redis_cli \
    HGET "model-manager:task:$tid" last_error)" "... cleared in the task hash too"
hub_reset
completed_ok $M "500s on the revision, then recovery"

hub_fault '{"type":"status429","times":1,"retry_after":1,"on":"tree","repo":"intfloat/e5-base-v2"}'
start intfloat/e5-base-v2
completed_ok intfloat/e5-base-v2 "429 with Retry-After"

hub_fault '{"type":"reset_mid_body","times":1,"bytes":1000000,"repo":"intfloat/e5-large-v2","path":"model.safetensors"}'
start intfloat/e5-large-v2
completed_ok intfloat/e5-large-v2 "reset mid-body"
assert_match '^bytes=[1-9][0-9]*-' "$(ranges intfloat/e5-large-v2 model.safetensors | head -n 1)" \
    "resumed with Range within the same job"

hub_fault '{"type":"stall","times":1,"bytes":500000,"seconds":20,"repo":"intfloat/multilingual-e5-base","path":"model.safetensors"}'
start intfloat/multilingual-e5-base
completed_ok intfloat/multilingual-e5-base "a stall"
assert_match '^bytes=[1-9]' "$(ranges intfloat/multilingual-e5-base model.safetensors | head -n 1)" \
    "the stalled transfer was resumed"

hub_fault '{"type":"wrong_bytes","times":1,"repo":"intfloat/multilingual-e5-large","path":"vocab.txt"}'
start intfloat/multilingual-e5-large
completed_ok intfloat/multilingual-e5-large "wrong bytes once: retried"

hub_fault '{"type":"wrong_bytes","repo":"BAAI/bge-base-en-v1.5","path":"model.safetensors"}'
start BAAI/bge-base-en-v1.5
wait_task "$tid" failed 60
assert_json '.error | test("model.safetensors") and test("match")' \
    "wrong bytes always: the error names the file and the mismatch"
repo=$HF_HUB_CACHE/models--BAAI--bge-base-en-v1.5
sha=$(sha256sum <"$HUBROOT/BAAI/bge-base-en-v1.5/model.safetensors" | cut -c1-64)
assert_file_absent "$repo/blobs/$sha" "a corrupted file never enters blobs/"
assert_empty_dir "$repo/snapshots" "no snapshot for a failed download"
api GET /api/v2/models "$T"
assert_json '.models[] | select(.id == "BAAI/bge-base-en-v1.5") | .is_installed == false' \
    "not installed"

hub_fault '{"type":"reset_mid_body","times":1,"bytes":1000000,"repo":"BAAI/bge-small-en-v1.5","path":"model.safetensors"}'
hub_fault '{"type":"ignore_range","times":1,"repo":"BAAI/bge-small-en-v1.5","path":"model.safetensors"}'
start BAAI/bge-small-en-v1.5
completed_ok BAAI/bge-small-en-v1.5 "Range ignored: the file restarted cleanly"

hub_fault '{"type":"redirect_other_host","repo":"BAAI/bge-m3","path":"config.json"}'
start BAAI/bge-m3
completed_ok BAAI/bge-m3 "a regular file redirected to another host"
assert_eq 0 "$(hub_log | jq '[.[] | select(.role == "cdn" and .authorization)] | length')" \
    "no token ever sent to the other host"

# --- kill -9 of the job child, then a resume ---------------------------------

M=sentence-transformers/all-mpnet-base-v2
hub_fault '{"type":"slow_body","rate":1000000,"repo":"'"$M"'","path":"model.safetensors"}'
start $M
wait_bytes "$tid" $((2 * MIB))
child=$(pgrep -P "$(pid_of jobd)" | head -n 1)
kill -9 "$child"
wait_task "$tid" failed 60
assert_json '.error | test("killed by signal 9")' "killed child: failed with a clear error"
assert_redis_absent "model-manager:active:$M" "claim released"
[ -n "$(find "$HF_HUB_CACHE/models--${M//\//--}/blobs" -name '*.incomplete')" ] &&
    pass "the partial file is kept" || fail "no partial file kept"
hub_reset
start $M
api GET "/api/v2/models/tasks/$tid" "$T"
completed_ok $M "the second download"
assert_match '^bytes=[1-9][0-9]{6,}-' "$(ranges $M model.safetensors | tail -n 1)" \
    "the second download resumed with Range"

# --- cancel a running download, then resume it --------------------------------

M=intfloat/e5-small-v2
api DELETE "/api/v2/models/cache?model_id=$M&confirm=true" "$T"
tid=$(json .task_id)
wait_task "$tid" completed 60
hub_reset
hub_fault '{"type":"slow_body","rate":1000000,"repo":"'"$M"'","path":"model.safetensors"}'
start $M
wait_bytes "$tid" $((2 * MIB))
api POST "/api/v2/models/tasks/$tid/cancel" "$T"
assert_eq 200 "$status" "cancel a running download"
wait_task "$tid" cancelled 15
assert_redis_absent "model-manager:active:$M" "cancelled: claim released"
[ -n "$(find "$HF_HUB_CACHE/models--${M//\//--}/blobs" -name '*.incomplete' -size +1000k)" ] &&
    pass "cancelled: the partial file is kept" || fail "cancelled: no partial file"
api POST "/api/v2/models/tasks/$tid/cancel" "$T"
assert_eq 409 "$status" "cancel again: task_finished"
hub_reset
start $M
completed_ok $M "the download after a cancel"
assert_match '^bytes=[1-9][0-9]{6,}-' "$(ranges $M model.safetensors | tail -n 1)" \
    "the download after a cancel resumed with Range"

# --- kill -9 of mm-jobd: resumed after the restart, not run twice ------------

M=nomic-ai/nomic-embed-text-v1.5
hub_fault '{"type":"slow_body","rate":1000000,"repo":"'"$M"'","path":"model.safetensors"}'
start $M
wait_bytes "$tid" $((2 * MIB))
kill -9 "$(pid_of jobd)"
hub_reset
stack_restart
T=$(token_for admin)
completed_ok $M "killed runner: the task resumed after the restart"
assert_json '.error == null' "no error"
assert_eq 2 "$(redis_cli HGET "model-manager:task:$tid" attempts)" \
    "two attempts, one after the other"
assert_ok "nothing left in the processing lists" wait_for 5 processing_empty

# --- SIGTERM to mm-jobd: back to pending, completed after the restart --------

M=google/embeddinggemma-300m
hub_fault '{"type":"slow_body","rate":1000000,"repo":"'"$M"'","path":"model.safetensors"}'
start $M
wait_bytes "$tid" $((2 * MIB))
jobd=$(pid_of jobd)
kill -TERM "$jobd"
assert_ok "mm-jobd stopped on SIGTERM" wait_for 20 test ! -e "/proc/$jobd"
api GET "/api/v2/models/tasks/$tid" "$T"
assert_json '.status == "pending"' "SIGTERM: the task is pending again"
assert_eq "download:$tid" "$(redis_cli GET "model-manager:active:$M")" \
    "SIGTERM: the claim is kept"
assert_eq "$tid" "$(redis_cli LRANGE model-manager:queue 0 -1)" \
    "SIGTERM: the task is back on the queue"
hub_reset
stack_restart
T=$(token_for admin)
completed_ok $M "SIGTERM: completed after the restart"
