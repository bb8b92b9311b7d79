#!/usr/bin/env bash
#
# Revisions against a fake hub whose main moves: check tasks record the
# hub facts (commit, size, the change's size) that the list shows; an
# update fetches only the changed files (the hub's request log), publishes
# the new revision, moves refs/main and removes the old revision's own
# blobs while keeping the shared ones, a layout @huggingface/hub still
# reads; keep_old keeps it; a cancelled update leaves the old revision
# intact; collections using the model ask for confirmation; the body's
# validation; a check against a hub answering 429 waits as Retry-After
# says, a failing hub is logged once per check; downloads and updates that
# cannot fit are refused at request time; checks are scheduled at most
# once per interval; offline, not a request.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
mkrepo()
{
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" "$@" >/dev/null
}
E5=intfloat/e5-base-v2
mkrepo --repo $E5 --file config.json=1K --file tokenizer.json=1200K \
    --file model.safetensors=3M
mkrepo --repo BAAI/bge-m3 --file config.json=1K --file model.safetensors=2M
mkrepo --repo Qwen/Qwen3-Reranker-4B --file config.json=1K --gated
# Bigger than the cache's disk: one to download, one to update to.
mkrepo --repo BAAI/bge-large-en-v1.5 --file config.json=1K \
    --file model.safetensors=20M
mkrepo --repo BAAI/bge-base-en-v1.5 --file config.json=1K \
    --file model.safetensors=20M
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0 --gate-api
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB
# The cache on a disk of 16 MiB, for the disk admission at request time.
DISK=
if [ "$(id -u)" -eq 0 ]; then
	DISK=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-disk.XXXXXX")
	mount -t tmpfs -o size=16m tmpfs "$DISK"
	at_exit "umount -l '$DISK'; rmdir '$DISK'"
	export HF_HOME=$DISK
fi
test_config retry_base_ms 100 retry_max_ms 1000 retry_max 2 \
    progress_interval_ms 100 disk_reserve_mb 0
stack_up
T=$(token_for admin)

model()	# ID: the model's object in the last list
{
	api GET /api/v2/models "$T"
	body=$(jq -c --arg id "$1" '.models[] | select(.id == $id)' <<<"$body")
}

hub_sha()	# ID: the fake hub's current commit of the repo
{
	curl -sf "$HUB/_admin/repos" | jq -r --arg id "$1" \
	    '.repos[] | select(.id == $id) | .sha'
}

reads()		# FILE...: every file reads back
{
	cat "$@" >/dev/null
}

check_now()	# a check of every model, waited for
{
	api POST /api/v2/models/check-updates "$T"
	assert_eq 200 "$status" "check-updates: $body"
	wait_task "$(json .task_id)" completed 60
}

# --- before any check: the new fields, null ---------------------------------

model BAAI/bge-m3
assert_json '[keys_unsorted[-9:-3][]] == ["download_size_mb","installed_revision","latest_revision","update_available","update_size_mb","revisions"]' \
    "the six fields follow active_operation (the cache doctor's come after them)"
assert_json '.download_size_mb == null and .installed_revision == null and .latest_revision == null and .update_available == null and .update_size_mb == null and .revisions == 0' \
    "never checked, not installed: null, 0 revisions"

api POST /api/v2/models/download "$T" "{\"model_id\":\"$E5\"}"
wait_task "$(json .task_id)" completed 60
OLD=$(hub_sha $E5)
model $E5
assert_json '.installed_revision == "'"$OLD"'" and .revisions == 1 and .latest_revision == null and .update_available == null' \
    "installed: its revision; latest unknown before a check"

# --- a check records the hub facts ------------------------------------------

check_now
assert_json '.operation == "check" and .model_id == null and .result.offline == false' \
    "a deployment-wide check task"
assert_json '.result.models | map(select(.model_id == "'"$E5"'"))[0] | .outcome == "checked" and .latest_revision == "'"$OLD"'" and .update_available == false and .update_size_mb == 0' \
    "result: the installed model is up to date"
assert_json '.result.models | map(select(.model_id == "Qwen/Qwen3-Reranker-4B"))[0] | .outcome == "unknown" and (.detail | test("Gated"))' \
    "result: a gated repo (no token) is unknown"
assert_json '.result.models | map(select(.model_id == "nomic-ai/nomic-embed-text-v1"))[0] | .outcome == "unknown" and (.detail | test("Not found"))' \
    "result: a repo the hub does not have is unknown"
assert_json '(.result.checked >= 2) and (.result.unknown >= 3) and .result.error == 0' \
    "result: the counts"
NMODELS=$(json '.result.models | length')
model BAAI/bge-m3
assert_json '.download_size_mb == 2 and .latest_revision == "'"$(hub_sha BAAI/bge-m3)"'" and .update_available == null and .update_size_mb == null and .installed_revision == null' \
    "not installed: its download size (bytes // 2^20) and latest commit"
model $E5
assert_json '.download_size_mb == 4 and .latest_revision == "'"$OLD"'" and .update_available == false and .update_size_mb == 0' \
    "installed at main: no update"
assert_eq unknown "$(redis_cli GET model-manager:hub:Qwen/Qwen3-Reranker-4B |
    jq -r .state)" "the unknown model's facts in Redis"

# --- main moves: a changed file and a new one --------------------------------

mkrepo --repo $E5 --seed v2 --file tokenizer.json=2M --file extra.txt=1K
curl -sf -X POST "$HUB/_admin/reload" >/dev/null
NEW=$(hub_sha $E5)
assert_match '^[0-9a-f]{40}$' "$NEW" "the fake hub's main moved"
check_now
model $E5
assert_json '.update_available == true and .latest_revision == "'"$NEW"'" and .installed_revision == "'"$OLD"'" and .update_size_mb == 2 and .download_size_mb == 5' \
    "update available: the new commit and the size of the change (2 MiB + 1 KiB)"

# --- update, keep_old false ---------------------------------------------------

repo=$(repo_dir $E5)
shared=$(readlink "$repo/snapshots/$OLD/model.safetensors")
own=$(readlink "$repo/snapshots/$OLD/tokenizer.json")
hub_reset
api POST /api/v2/models/update "$T" "{\"model_id\":\"$E5\"}"
assert_eq 200 "$status" "update started"
assert_json '.operation == "update" and .status == "pending" and .warnings == []' \
    "an update task"
tid=$(json .task_id)
wait_task "$tid" completed 60
assert_json '.result.from_revision == "'"$OLD"'" and .result.to_revision == "'"$NEW"'" and .result.old_revision_removed == true and .result.removed_blobs == 1 and .result.kept_shared_blobs == 2 and .result.freed_bytes == 1228800' \
    "result: the old revision's own blob removed, the shared ones kept"
hub_log >"$IT_DIR/hublog"
fetched=$(jq -r '[.[] | select((.kind == "resolve" or .kind == "cdn") and .method == "GET" and .status < 300) | .file] | sort | unique | join(",")' "$IT_DIR/hublog")
assert_eq "extra.txt,tokenizer.json" "$fetched" \
    "only the changed files were fetched (the hub's log)"
assert_eq "$NEW" "$(cat "$repo/refs/main")" "refs/main moved"
assert_file_absent "$repo/snapshots/$OLD" "the old snapshot is gone"
assert_file_absent "$repo/.mm-staging" "nothing left in .mm-staging"
assert_file_absent "$repo/blobs/${own##*/}" "the old revision's own blob is gone"
assert_ok "the shared blob is kept" test -f "$repo/blobs/${shared##*/}"
assert_eq "$shared" "$(readlink "$repo/snapshots/$NEW/model.safetensors")" \
    "the new revision links the shared blob"
assert_ok "the new tokenizer is the hub's" \
    cmp "$repo/snapshots/$NEW/tokenizer.json" "$HUBROOT/$E5/tokenizer.json"
model $E5
assert_json '.installed_revision == "'"$NEW"'" and .update_available == false and .update_size_mb == 0 and .revisions == 1 and .active_download_task_id == null' \
    "the list: up to date, one revision, the claim released"
node "$IT_ROOT/tests/interop/js_scan.mjs" "$HF_HUB_CACHE" >"$IT_DIR/js.json"
body=$(cat "$IT_DIR/js.json")
assert_json '.warnings == [] and (.repos[] | select(.id == "'"$E5"'") | (.revisions | length) == 1 and .revisions[0].commit == "'"$NEW"'" and .revisions[0].refs == ["main"])' \
    "@huggingface/hub scanCacheDir reads the updated repo"
hub_reset
(umask 002; node "$IT_ROOT/tests/interop/js_snapshot.mjs" "$HUB" $E5 \
    "$HF_HUB_CACHE" >"$IT_DIR/js.json" 2>/dev/null)
assert_eq "$repo/snapshots/$NEW" "$(jq -r .path "$IT_DIR/js.json")" \
    "@huggingface/hub snapshotDownload finds the new revision"
assert_eq 0 "$(hub_log | jq '[.[] | select(.kind == "resolve" or .kind == "cdn")] | length')" \
    "... and fetches nothing: every file is in place"

api POST /api/v2/models/update "$T" "{\"model_id\":\"$E5\"}"
assert_json '. == {"task_id":null,"model_id":"'"$E5"'","operation":"update","status":"up_to_date","warnings":[]}' \
    "up_to_date: installed at the latest commit the check saw"
api POST /api/v2/models/update "$T" '{"model_id":"BAAI/bge-m3"}'
assert_json '.task_id == null and .status == "not_installed"' \
    "not installed: not_installed, no task"

# --- a cancelled update leaves the old revision intact ------------------------

mkrepo --repo $E5 --seed v3 --file extra.txt=2K
curl -sf -X POST "$HUB/_admin/reload" >/dev/null
V3=$(hub_sha $E5)
check_now
hub_fault '{"type":"stall","bytes":0,"seconds":60,"path":"extra.txt"}'
api POST /api/v2/models/update "$T" "{\"model_id\":\"$E5\"}"
tid=$(json .task_id)
model $E5
assert_json '.active_download_task_id == "'"$tid"'" and .active_operation == "update"' \
    "the list shows the running update"
listed()	# the update's listing is done (its total is known)
{
	curl -s -H "Authorization: Bearer $T" \
	    "$MM_BASE_URL/api/v2/models/tasks/$tid" | jq -e '.bytes_total > 0' \
	    >/dev/null
}
wait_for 30 listed || fail "the update never listed the files"
api POST "/api/v2/models/tasks/$tid/cancel" "$T"
assert_eq 200 "$status" "cancel the running update"
wait_task "$tid" cancelled 30
assert_eq "$NEW" "$(cat "$repo/refs/main")" "cancelled: refs/main unchanged"
assert_file_absent "$repo/snapshots/$V3" "cancelled: no new snapshot"
assert_ok "cancelled: the old revision's files all read back" \
    reads "$repo/snapshots/$NEW/config.json" "$repo/snapshots/$NEW/tokenizer.json" \
    "$repo/snapshots/$NEW/model.safetensors" "$repo/snapshots/$NEW/extra.txt"
model $E5
assert_json '.installed_revision == "'"$NEW"'" and .update_available == true and .active_download_task_id == null' \
    "cancelled: still installed at the old revision, the update still available"

# --- keep_old keeps the old revision -------------------------------------------

hub_reset
api POST /api/v2/models/update "$T" "{\"model_id\":\"$E5\",\"keep_old\":true}"
wait_task "$(json .task_id)" completed 60
assert_json '.result.keep_old == true and .result.old_revision_removed == false and .result.removed_blobs == 0 and .result.to_revision == "'"$V3"'"' \
    "keep_old: nothing removed"
assert_eq "$V3" "$(cat "$repo/refs/main")" "keep_old: refs/main moved"
assert_ok "keep_old: the old snapshot stays" test -d "$repo/snapshots/$NEW"
model $E5
assert_json '.revisions == 2 and .installed_revision == "'"$V3"'" and .update_available == false' \
    "keep_old: two revisions, refs/main's is the installed one"

# --- collections ask for confirmation; a blob another snapshot uses stays ----

mkrepo --repo $E5 --seed v4 --file tokenizer.json=1M
curl -sf -X POST "$HUB/_admin/reload" >/dev/null
V4=$(hub_sha $E5)
check_now
psql_exec "INSERT INTO collections (id, name, owner_id, vector_store_name,
    embedding_model, quantization) SELECT 'rev1', 'wiki-e5', id, 'v',
    '$E5', 'float16' FROM users WHERE username = 'admin'"
api POST /api/v2/models/update "$T" "{\"model_id\":\"$E5\"}"
assert_eq 409 "$status" "an update of a model collections use: 409"
assert_json '.detail.conflict_type == "requires_confirmation" and .detail.requires_confirmation == true and .detail.blocked_by_collections == ["wiki-e5"] and .detail.model_id == "'"$E5"'" and .detail.warnings[0] == "Model is used by 1 collection(s): wiki-e5" and (.detail.warnings[1] | test("vectors"))' \
    "requires_confirmation, naming the collections, the vectors warning"
assert_redis_absent "model-manager:active:$E5" "a refused update keeps no claim"
api POST /api/v2/models/update "$T" "{\"model_id\":\"$E5\",\"confirm\":true}"
assert_eq 200 "$status" "confirmed: the update starts"
assert_json '.status == "pending" and (.warnings | length) == 2' \
    "confirmed: the warnings acknowledged"
tid=$(json .task_id)
wait_task "$tid" completed 60
assert_json '.result.from_revision == "'"$V3"'" and .result.old_revision_removed == true and .result.removed_blobs == 0 and .result.kept_shared_blobs == 4' \
    "every blob of the old revision is in a remaining snapshot: none removed"
assert_file_absent "$repo/snapshots/$V3" "the old revision's snapshot went"
assert_ok "the snapshot kept by keep_old still reads" \
    reads "$repo/snapshots/$NEW/tokenizer.json" "$repo/snapshots/$NEW/extra.txt"
model $E5
assert_json '.revisions == 2 and .installed_revision == "'"$V4"'"' \
    "two revisions: the kept one and the new one"
psql_exec "DELETE FROM collections WHERE id = 'rev1'"

# --- the body's validation, refusals, audit, metrics ---------------------------

api POST /api/v2/models/update "$T" '{"model_id":"org/none"}'
assert_eq 400 "$status" "update: not curated"
api POST /api/v2/models/update "$T" '{}'
assert_json '.detail == [{"type":"missing","loc":["body","model_id"],"msg":"Field required","input":{}}]' \
    "update: model_id missing"
api POST /api/v2/models/update "$T" '{"model_id":7,"keep_old":"maybe","confirm":[1],"x":1}'
assert_eq 422 "$status" "update: invalid body"
assert_json '[.detail[] | [.type, .loc[1]]] == [["string_type","model_id"],["bool_parsing","keep_old"],["bool_type","confirm"],["extra_forbidden","x"]]' \
    "update: the errors in the model's order, extras last"
api POST /api/v2/models/update "$T" '{"model_id":"'"$E5"'","keep_old":"yes","confirm":1}'
assert_json '.status == "up_to_date"' "update: lax booleans"
api POST /api/v2/models/update "$T" '[1]'
assert_json '.detail[0].type == "model_attributes_type"' "update: not an object"
ALICE=$(token_for alice)
api POST /api/v2/models/update "$ALICE" "{\"model_id\":\"$E5\"}"
assert_eq 403 "$status" "update: superuser only"
api POST /api/v2/models/check-updates "$ALICE"
assert_eq 403 "$status" "check-updates: superuser only"
api GET "/api/v2/models/audit?model_id=$E5&limit=1000" "$T"
assert_json '[.events[] | select(.event == "update.requested" and .confirm == true and .outcome == "pending")] | length == 1' \
    "audit: the confirmed update request"
assert_json '[.events[] | select(.event == "update.refused" and .outcome == "requires_confirmation")] | length == 1' \
    "audit: the update refused for confirmation"
assert_json '[.events[] | select(.event == "task.ended" and .operation == "update")] | length >= 4' \
    "audit: the updates' ends"
api GET "/api/v2/models/audit?limit=1000" "$T"
assert_json '[.events[] | select(.event == "check.requested")] | length >= 4' \
    "audit: the check requests"
api GET /api/v2/models/metrics "$T"
assert_match 'mm_hub_checks_total\{outcome="checked"\} [1-9]' "$body" \
    "metrics: models checked"
assert_match 'mm_update_fetched_bytes_total [1-9]' "$body" \
    "metrics: bytes fetched by updates"
assert_match 'mm_update_freed_bytes_total 1228800' "$body" \
    "metrics: bytes freed by updates"

# --- 429 with Retry-After: the check waits as told -----------------------------

hub_reset
hub_fault '{"type":"status429","retry_after":2,"on":"info","repo":"'"$E5"'","times":1}'
check_now
assert_json '.result.models | map(select(.model_id == "'"$E5"'"))[0].outcome == "checked"' \
    "429: the model is checked after the wait"
waited=$(hub_log | jq '[.[] | select(.repo == "'"$E5"'" and .kind == "info")] |
    def ms: .time | capture("T(?<h>..):(?<m>..):(?<s>[0-9.]+)Z") |
        ((.h | tonumber) * 3600 + (.m | tonumber) * 60 + (.s | tonumber)) * 1000;
    if length == 2 then (.[1] | ms) - ((.[0] | ms) + .[0].ms) else -1 end')
assert_ok "429: the second request came after Retry-After (${waited} ms)" \
    test "${waited%.*}" -ge 1990

# --- a failing hub: logged once per check, the models left not asked ----------

hub_reset
hub_fault '{"type":"status","code":503,"on":"info"}'
check_now
assert_json '.result.error == (.result.models | length)' \
    "every model of the check is an error"
assert_eq 1 "$(hub_log | jq '[.[] | select(.kind == "info") | .repo] | unique | length')" \
    "one model was asked (with its retries), the others not"
assert_eq 1 "$(grep -c "task=$(json .task_id) event=check.hub_failed" \
    "$MM_VAR/log/mm-jobd.log")" "the failing hub is logged once per check"
model $E5
assert_json '.latest_revision == "'"$V4"'" and .update_available == false' \
    "the facts of the last good check are kept"
hub_reset

# --- disk admission at request time --------------------------------------------

if [ -n "$DISK" ]; then
	api POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-large-en-v1.5"}'
	assert_eq 409 "$status" "a download that cannot fit: 409 at once"
	assert_json '.detail.conflict_type == "insufficient_space" and .detail.needed_bytes == 20972544 and .detail.free_bytes < 16777216 and (.detail.detail | test("needs 20.0 MB"))' \
	    "insufficient_space, with the bytes needed and free"
	assert_json '[.detail | keys_unsorted[]] == ["conflict_type","detail","model_id","active_operation","active_task_id","blocked_by_collections","requires_confirmation","warnings","needed_bytes","free_bytes"]' \
	    "the bytes are appended to the 409 object"
	assert_redis_absent "model-manager:active:BAAI/bge-large-en-v1.5" \
	    "the refused download keeps no claim"
	fx_repo model BAAI/bge-base-en-v1.5 "$(printf '1%.0s' $(seq 40))" \
	    config.json:100
	api GET "/api/v2/models?force_refresh_cache=true" "$T"
	check_now
	model BAAI/bge-base-en-v1.5
	assert_json '.update_available == true and .update_size_mb == 20' \
	    "an update of 20 MiB is known"
	api POST /api/v2/models/update "$T" '{"model_id":"BAAI/bge-base-en-v1.5"}'
	assert_json '.detail.conflict_type == "insufficient_space" and .detail.needed_bytes == 20972544' \
	    "an update that cannot fit: 409 insufficient_space"
fi

# --- scheduled checks: each model at most once per interval --------------------

hub_reset
redis_cli DEL model-manager:hub-due >/dev/null
test_config retry_base_ms 100 retry_max_ms 1000 retry_max 2 disk_reserve_mb 0 \
    check_interval_seconds 3600 heartbeat_interval_seconds 1
stack_restart
scheduled()	# every model's next check is about an interval away
{
	[ "$(redis_cli ZCOUNT model-manager:hub-due "$(($(date +%s) + 3000))" \
	    +inf)" = "$NMODELS" ]
}
assert_ok "never checked, every model is checked at once, by itself" \
    wait_for 60 scheduled
sleep 3		# three heartbeats of the runner
assert_eq 1 "$(grep -c 'event=check.scheduled' "$MM_VAR/log/mm-jobd.log")" \
    "one check was scheduled, none after it"
assert_eq 1 "$(hub_log | jq '[.[] | select(.kind == "info")] | group_by(.path) |
    map(length) | max')" "each model was asked once"
now=$(date +%s)
redis_cli ZRANGE model-manager:hub-due 0 -1 WITHSCORES | awk 'NR % 2 == 0' \
    >"$IT_DIR/scores"
assert_ok "the next checks are spread over the interval +-10 %" awk \
    -v lo=$((now + 3240 - 120)) -v hi=$((now + 3960)) \
    '$1 < lo || $1 > hi { bad = 1 } { seen[$1] = 1 } END {
    n = 0; for (k in seen) n++; exit bad || n < 2 }' "$IT_DIR/scores"

# --- offline: not a request ----------------------------------------------------

export HF_HUB_OFFLINE=1
stack_restart
redis_cli DEL model-manager:hub-due >/dev/null	# every model due
hub_reset
sleep 2		# two heartbeats: nothing is scheduled
check_now
assert_json '.result.offline == true and .result.models == []' \
    "offline: the check completes, saying so"
assert_eq 0 "$(hub_log | jq length)" "offline: not a request to the hub"
assert_eq 1 "$(grep -c 'event=check.scheduled' "$MM_VAR/log/mm-jobd.log")" \
    "offline: no check scheduled"
