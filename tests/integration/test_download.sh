#!/usr/bin/env bash
#
# Downloads end to end through nginx against the fake hub: a multi-file
# repo with LFS files (CDN redirect to another host) and subfolders, exact
# and monotonic progress, the cache layout huggingface_hub writes (read
# back by @huggingface/hub's scanCacheDir), a cache written by
# @huggingface/hub's snapshotDownload recognised by our scan, 50 concurrent
# identical POSTs giving one task and one job, already_installed, gated and
# missing repos, and the list showing the model installed at once.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
mkrepo()
{
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" "$@" >/dev/null
}
mkrepo --repo intfloat/e5-base-v2 --file config.json=2K \
    --file model.safetensors=3M --file sub/dir/data.bin=1500K \
    --file tokenizer.json=300K --file 1_Pooling/config.json=200
mkrepo --repo BAAI/bge-m3 --file config.json=1K --file model.safetensors=2M
mkrepo --repo Qwen/Qwen3-Reranker-4B --file config.json=1K --gated
mkrepo --repo naver/splade-v3 --file config.json=1K \
    --file pytorch_model.bin=1M
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0 --token hf_goodtoken
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB HF_TOKEN=hf_wrongtoken
stack_up
T=$(token_for admin)

# --- a multi-file repo with LFS files and subfolders, slowed down so the
# progress can be watched -------------------------------------------------

total=$((2048 + 3145728 + 1536000 + 307200 + 200))
hub_fault '{"type":"slow_body","rate":2000000,"repo":"intfloat/e5-base-v2"}'
api POST /api/v2/models/download "$T" '{"model_id":"intfloat/e5-base-v2"}'
assert_eq 200 "$status" "download started"
assert_json 'keys_unsorted == ["task_id","model_id","operation","status","warnings"] and .status == "pending" and .operation == "download" and .warnings == []' \
    "pending answer"
tid=$(json .task_id)
api GET /api/v2/models "$T"
assert_json '.models[] | select(.id == "intfloat/e5-base-v2") | .active_download_task_id == "'"$tid"'" and .active_operation == "download"' \
    "the list shows the active download"
wait_task "$tid" completed 60
assert_json '.bytes_downloaded == '"$total"' and .bytes_total == '"$total"' and .files_done == 5 and .files_total == 5 and .error == null' \
    "completed: bytes_downloaded == bytes_total == the sum of the file sizes"
assert_json '[keys_unsorted[]] == ["task_id","model_id","operation","status","bytes_downloaded","bytes_total","error","updated_at","bytes_per_second","eta_seconds","files_done","files_total","attempt","attempt_max","last_error","result","waiting_reason","connections","source"]' \
    "progress fields"
assert_json '.result == null' "a download ends with no result"
assert_json '.attempt == null and .attempt_max == null and .last_error == null and .connections == null' \
    "a finished task: no retry state, no connections"
assert_ok "bytes_downloaded never went backwards" sort -n -c "$IT_DIR/progress"
steps=$(sort -u "$IT_DIR/progress" | wc -l)
[ "$steps" -ge 4 ] && pass "progress moved in $steps steps" ||
    fail "progress moved in only $steps steps"
api GET /api/v2/models "$T"
assert_json '.models[] | select(.id == "intfloat/e5-base-v2") | .is_installed == true and .size_on_disk_mb == 4 and .active_download_task_id == null' \
    "installed at the very next request, claim released"

# The layout huggingface_hub writes.
repo=$HF_HUB_CACHE/models--intfloat--e5-base-v2
commit=$(cat "$repo/refs/main")
assert_match '^[0-9a-f]{40}$' "$commit" "refs/main is a commit without newline"
assert_eq 40 "$(stat -c %s "$repo/refs/main")" "refs/main has no newline"
assert_eq "../../../../blobs/" \
    "$(readlink "$repo/snapshots/$commit/sub/dir/data.bin" | cut -c1-18)" \
    "relative link from a subfolder"
assert_ok "LFS file byte-identical" cmp "$repo/snapshots/$commit/model.safetensors" \
    "$HUBROOT/intfloat/e5-base-v2/model.safetensors"
assert_ok "subfolder file byte-identical" \
    cmp "$repo/snapshots/$commit/sub/dir/data.bin" \
    "$HUBROOT/intfloat/e5-base-v2/sub/dir/data.bin"
lfs=$(readlink "$repo/snapshots/$commit/model.safetensors")
assert_eq "$(sha256sum <"$HUBROOT/intfloat/e5-base-v2/model.safetensors" | cut -c1-64)" \
    "${lfs##*/}" "an LFS blob is named by its sha256"
assert_eq "$(head -c 43 "$HF_HUB_CACHE/CACHEDIR.TAG")" \
    "Signature: 8a477f597d28d172789f06886806bc55" "CACHEDIR.TAG"
assert_jq "$repo/trees/$commit.json" \
    '.format_version == 1 and (.files | length == 5)' "trees/<commit>.json"
assert_none_found "$repo" "no partial file left" -name '*.incomplete'

# The CDN host never saw a token; the hub saw ours.
curl -sf "$HUB/_admin/log" >"$IT_DIR/hublog"
assert_eq 0 "$(jq '[.[] | select(.role == "cdn" and .authorization)] | length' "$IT_DIR/hublog")" \
    "no Authorization sent to the CDN host"
[ "$(jq '[.[] | select(.role == "cdn")] | length' "$IT_DIR/hublog")" -gt 0 ] &&
    pass "LFS files came from the CDN host" || fail "no CDN request"

# @huggingface/hub reads our cache.
node "$IT_ROOT/tests/interop/js_scan.mjs" "$HF_HUB_CACHE" >"$IT_DIR/js.json"
body=$(cat "$IT_DIR/js.json")
assert_json '.warnings == []' "JS scanCacheDir: no warnings"
assert_json '.repos[] | select(.id == "intfloat/e5-base-v2") | .type == "model" and (.revisions | length == 1) and .revisions[0].commit == "'"$commit"'" and .revisions[0].refs == ["main"]' \
    "JS scanCacheDir: repo, revision and ref"
assert_json '[.repos[] | select(.id == "intfloat/e5-base-v2") | .revisions[0].files[] | select(.path | contains("/") | not) | [.path, .size]] | sort == [["config.json",2048],["model.safetensors",3145728],["tokenizer.json",307200]]' \
    "JS scanCacheDir: top-level files and sizes"

# --- already installed; 50 concurrent identical POSTs --------------------

api POST /api/v2/models/download "$T" '{"model_id":"intfloat/e5-base-v2"}'
assert_json '. == {"task_id":null,"model_id":"intfloat/e5-base-v2","operation":"download","status":"already_installed","warnings":[]}' \
    "already_installed"

hub_fault '{"type":"slow_body","rate":1000000,"repo":"BAAI/bge-m3"}'
pids=""
for i in $(seq 50); do
	curl -s -H "Authorization: Bearer $T" -H 'Content-Type: application/json' \
	    -d '{"model_id":"BAAI/bge-m3"}' "$MM_BASE_URL/api/v2/models/download" \
	    >"$IT_DIR/post.$i" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
assert_eq 1 "$(cat "$IT_DIR"/post.* | jq -r .task_id | sort -u | wc -l)" \
    "50 concurrent POSTs: one task id"
assert_eq 50 "$(cat "$IT_DIR"/post.* | jq -r 'select(.status == "pending" or .status == "running") | .task_id' | wc -l)" \
    "every answer is pending or running"
assert_eq 1 "$(cat "$IT_DIR"/post.* | jq -r 'select(.status == "pending") | .task_id' | wc -l)" \
    "exactly one created it"
tid=$(jq -r .task_id "$IT_DIR/post.1")
wait_task "$tid" completed 60
assert_eq 1 "$(grep -c "task=$tid .*event=job.started" "$MM_VAR/log/mm-jobd.log")" \
    "one job ran"

# --- failures with their messages ------------------------------------------

api POST /api/v2/models/download "$T" '{"model_id":"Qwen/Qwen3-Reranker-4B"}'
wait_task "$(json .task_id)" failed
assert_json '.error | test("gated") and test("HF_TOKEN")' "gated repo: actionable message"
assert_json '.error | test("hf_") | not' "the token is not in the message"

api POST /api/v2/models/download "$T" '{"model_id":"nomic-ai/nomic-embed-text-v1"}'
wait_task "$(json .task_id)" failed
assert_json '.error | test("not found")' "missing repo: not found"
api GET /api/v2/models "$T"
assert_json '.models[] | select(.id == "nomic-ai/nomic-embed-text-v1") | .is_installed == false and .active_download_task_id == null' \
    "a failed download leaves nothing installed, claim released"

# --- the body's validation --------------------------------------------------

api POST /api/v2/models/download "$T" '{"model_id":"org/not-curated"}'
assert_eq 400 "$status" "not curated"
api POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-m3","x":1}'
assert_eq 422 "$status" "extra field"
assert_json '.detail == [{"type":"extra_forbidden","loc":["body","x"],"msg":"Extra inputs are not permitted","input":1}]' \
    "extra_forbidden"
api POST /api/v2/models/download "$T" '{}'
assert_json '.detail == [{"type":"missing","loc":["body","model_id"],"msg":"Field required","input":{}}]' \
    "missing model_id"
api POST /api/v2/models/download "$T" '{"model_id":5}'
assert_json '.detail[0].type == "string_type" and .detail[0].input == 5' "string_type"
api POST /api/v2/models/download "$T" '[1]'
assert_json '.detail[0].type == "model_attributes_type" and .detail[0].loc == ["body"]' \
    "not an object"
api POST /api/v2/models/download "$T" '{"model_id":"x"}' -H 'Content-Type: text/plain'
assert_json '.detail[0].type == "model_attributes_type"' "wrong content type"
api POST /api/v2/models/download "$T" '{"model_id":"org/none","model_id":"BAAI/bge-m3"}'
assert_json '.status == "already_installed"' "duplicate keys: the last one wins"
api POST /api/v2/models/download "$T" '{"model_id": "a"'
assert_eq 422 "$status" "invalid JSON"
assert_json '.detail[0].type == "json_invalid" and .detail[0].msg == "JSON decode error"' \
    "json_invalid"

# --- a cache written by @huggingface/hub is recognised by our scan ----------

# A well-behaved client of a shared cache writes it group-writable.
js_snapshot()
{
	(umask 002; HF_TOKEN= node "$IT_ROOT/tests/interop/js_snapshot.mjs" \
	    "$HUB" naver/splade-v3 "$HF_HUB_CACHE" >/dev/null)
}
assert_ok "JS snapshotDownload" js_snapshot
api GET "/api/v2/models?force_refresh_cache=true&model_type=splade" "$T"
assert_json '.models[] | select(.id == "naver/splade-v3") | .is_installed == true and .size_on_disk_mb == 1' \
    "a model downloaded by @huggingface/hub shows installed"

# --- a model downloaded by @huggingface/hub, deleted by us ------------------

api DELETE "/api/v2/models/cache?model_id=naver/splade-v3&confirm=true" "$T"
assert_eq 200 "$status" "delete the JS-downloaded model"
wait_task "$(json .task_id)" completed
node "$IT_ROOT/tests/interop/js_scan.mjs" "$HF_HUB_CACHE" >"$IT_DIR/js2.json"
body=$(cat "$IT_DIR/js2.json")
assert_json '[.repos[].id] | index("naver/splade-v3") == null' \
    "JS scanCacheDir agrees it is gone"
assert_json '.warnings == [] and (.repos[] | select(.id == "intfloat/e5-base-v2") | .revisions[0].commit == "'"$commit"'")' \
    "the other repos are untouched for the JS scan too"
