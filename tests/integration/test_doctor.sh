#!/usr/bin/env bash
#
# The cache doctor end to end, on caches written by our downloader, by
# hand in huggingface_hub's layout and by @huggingface/hub: the report
# (every kind of item, lock held, the list's partial sizes agree with
# it), verify (a flipped byte found), repair (only that file fetched
# again, the model readable throughout, the link unchanged; a hub that
# fails changes nothing), prune (the dry run's bytes are what the task
# frees; what a ref uses, a held lock's partial and a model with a running
# download stay), a 1 GiB verify with progress and cancel, and bad
# requests that change nothing.

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
mkrepo --repo BAAI/bge-small-en-v1.5 --file config.json=700 \
    --file model.safetensors=3M --file sub/vocab.txt=2K
mkrepo --repo sentence-transformers/all-MiniLM-L6-v2 --file config.json=300 \
    --file model.safetensors=1M
mkrepo --repo naver/splade-v3 --file config.json=200 \
    --file model.safetensors=4M
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB
test_config verify_max_mb_per_second 256 retry_max 1 retry_base_ms 10 \
    retry_max_ms 20
stack_up
T=$(token_for admin)
C1=1111111111111111111111111111111111111111
C2=2222222222222222222222222222222222222222
HOLDERS=""
at_exit 'for p in $HOLDERS; do kill "$p" 2>/dev/null; done'

# old PATH...: every entry under PATH dated two hours back (older than
# prune_min_age_seconds).
old()
{
	find "$@" -exec touch -h -d '2 hours ago' {} +
}

# task OP JSON: starts a task (POST /OP) and waits for its end; $body is
# its last progress, $tid its id.
task()
{
	api POST "/api/v2/models/$1" "$T" "$2"
	tid=$(json .task_id)
	[ "$tid" != null ] || { fail "$1 $2 started no task: $body"; return 1; }
	wait_task "$tid" "${3:-completed}" 60
}

# model JQ: the expression on the list's entry of model $M.
model()
{
	api GET "/api/v2/models?include_cache_size=true" "$T"
	assert_json ".models[] | select(.id == \"$M\") | $1" "$2"
}

# blob_put REPO-DIR FILE lfs|git: FILE moved into blobs/ under its name
# (sha256, or the git blob sha1); prints it.
blob_put()
{
	local name
	if [ "$3" = lfs ]; then
		name=$(sha256sum <"$2" | cut -c1-64)
	else
		name=$({ printf 'blob %d\0' "$(stat -c %s "$2")"; cat "$2"; } |
		    sha1sum | cut -c1-40)
	fi
	mv "$2" "$1/blobs/$name"
	printf '%s' "$name"
}

# rescan: every responder scans the cache again (a cache written by hand
# bumps no generation).
rescan()
{
	api GET "/api/v2/models?force_refresh_cache=true" "$T"
}

cache_state()
{
	find "$HF_HUB_CACHE" -printf '%P %s %T@\n' | sort | md5sum
}

# --- our download: verify, a flipped byte, repair ---------------------

M=BAAI/bge-small-en-v1.5
task download "{\"model_id\":\"$M\"}"
repo=$(repo_dir "$M")
commit=$(cat "$repo/refs/main")
lfs=$(readlink "$repo/snapshots/$commit/model.safetensors")
blob=$repo/blobs/${lfs##*/}
model '.verify_status == null and .partial_size_mb == 0 and .partial_size_bytes == 0' \
    "never verified: verify_status null; no partial"
task verify "{\"model_id\":\"$M\"}"
assert_json '.operation == "verify" and .result.status == "ok" and .result.problems == [] and .result.files_checked == 3 and .result.bytes_checked == (700 + 3145728 + 2048) and .bytes_downloaded == .bytes_total and .files_done == 3' \
    "verify of a sound model: 3 files, every byte checked once"
model '.verify_status.status == "ok" and .verify_status.problems == 0 and (.verify_status.checked_at | type) == "number"' \
    "the list: verify_status ok"

printf '\xff' | dd of="$blob" bs=1 seek=1000 conv=notrunc status=none
task verify "{\"model_id\":\"$M\"}"
assert_json '.result.status == "problems" and .result.problems_total == 1 and .result.problems[0].path == "model.safetensors" and .result.problems[0].revision == "'"$commit"'" and .result.problems[0].kind == "corrupt" and .result.problems[0].expected == "'"${lfs##*/}"'" and .result.problems[0].actual == "'"$(sha256sum <"$blob" | cut -c1-64)"'"' \
    "a flipped byte: corrupt, expected the etag, actual the content's hash"
model '.verify_status.status == "problems" and .verify_status.problems == 1' \
    "the list: verify_status problems 1"
assert_match '"corrupt"' "$(redis_cli GET "model-manager:verify:$M")" \
    "the findings are kept in Redis"
assert_eq -1 "$(redis_cli TTL "model-manager:verify:$M")" \
    "... without expiry"

# The hub failing: the repair fails and changes nothing.
bad=$(sha256sum <"$blob")
hub_fault '{"type":"status500","repo":"BAAI/bge-small-en-v1.5"}'
task repair "{\"model_id\":\"$M\"}" failed
assert_match 'Repair of revision' "$(json .error)" "repair without a hub: failed, saying why"
assert_eq "$bad" "$(sha256sum <"$blob")" "... the blob untouched"
model '.verify_status.status == "problems"' "... the findings kept"
hub_reset

# The repair: only the bad file is fetched, its link never breaks.
hub_fault '{"type":"slow_body","rate":1500000,"repo":"BAAI/bge-small-en-v1.5"}'
ino=$(stat -c %i "$blob")
( while :; do [ -r "$repo/snapshots/$commit/model.safetensors" ] ||
    echo gone; sleep 0.01; done >"$IT_DIR/watch" ) &
watcher=$!
HOLDERS="$HOLDERS $watcher"
task repair "{\"model_id\":\"$M\"}"
kill "$watcher"
assert_json '.operation == "repair" and (.result.repaired | length) == 1 and .result.repaired[0].path == "model.safetensors" and .result.not_repaired == [] and .result.bytes_fetched == 3145728' \
    "repair: the corrupt file fetched again, nothing else"
assert_eq "${lfs##*/}  -" "$(sha256sum <"$blob")" "the blob's hash is right again"
assert_eq "$lfs" "$(readlink "$repo/snapshots/$commit/model.safetensors")" \
    "the snapshot link unchanged"
[ "$(stat -c %i "$blob")" != "$ino" ] && pass "a new blob renamed over the old one" ||
    fail "the blob was rewritten in place"
assert_eq "" "$(cat "$IT_DIR/watch")" \
    "the model's file stayed readable during the repair"
assert_eq 0 "$(hub_log | jq '[.[] | select((.kind == "resolve" or .kind == "cdn") and .file != "model.safetensors")] | length')" \
    "the hub served no other file"
model '.verify_status.status == "ok" and .verify_status.problems == 0' \
    "the list: verify_status ok after the repair"
hub_reset

# --- a cache in huggingface_hub's layout, by hand -----------------------

M=intfloat/e5-small-v2
h=$(repo_dir "$M")
lockdir=$HF_HUB_CACHE/.locks/models--intfloat--e5-small-v2
(
	umask 002
	mkdir -p "$h/blobs" "$h/refs" "$h/snapshots/$C1" "$h/snapshots/$C2" \
	    "$lockdir"
	printf '%s' "$C1" >"$h/refs/main"
	head -c 300000 /dev/urandom >"$IT_DIR/w1"
	head -c 200000 /dev/urandom >"$IT_DIR/w2"
	printf '{"hidden": 384}' >"$IT_DIR/cfg"
	head -c 50000 /dev/urandom >"$IT_DIR/orphan"
	a=$(blob_put "$h" "$IT_DIR/w1" lfs)
	b=$(blob_put "$h" "$IT_DIR/cfg" git)
	d=$(blob_put "$h" "$IT_DIR/w2" lfs)
	blob_put "$h" "$IT_DIR/orphan" lfs >"$IT_DIR/orphan.name"
	ln -s "../../blobs/$a" "$h/snapshots/$C1/model.safetensors"
	ln -s "../../blobs/$b" "$h/snapshots/$C1/config.json"
	ln -s "../../blobs/$d" "$h/snapshots/$C2/model.safetensors"
	ln -s "../../blobs/$b" "$h/snapshots/$C2/config.json"
	printf '%s %s\n' "$a" "$b" >"$IT_DIR/kept"
	printf '%s\n' "$d" >"$IT_DIR/detached.blob"
	# huggingface_hub's own leftover, one of ours being written (its
	# lock held), and a lock file left behind.
	head -c 70000 /dev/zero >"$h/blobs/$(printf f%.0s {1..64}).1a2b3c4d.incomplete"
	head -c 80000 /dev/zero >"$h/blobs/$(printf e%.0s {1..64}).incomplete"
	: >"$lockdir/$(printf e%.0s {1..64}).lock"
	: >"$lockdir/$(printf c%.0s {1..40}).lock"
)
old "$h" "$lockdir"
flock -x "$lockdir/$(printf e%.0s {1..64}).lock" sleep 300 &
HOLDERS="$HOLDERS $!"
sleep 0.3
rescan
task verify "{\"model_id\":\"$M\"}"
assert_json '.result.status == "ok" and .result.files_checked == 4 and (.result.revisions | sort) == ["'"$C1"'","'"$C2"'"]' \
    "verify of a huggingface_hub layout: both revisions, sound"

api GET /api/v2/models/cache/report "$T"
assert_eq 200 "$status" "the report"
cp "$IT_DIR/api.body" "$IT_DIR/report.json"
r='.repos[] | select(.repo_id == "intfloat/e5-small-v2")'
assert_json "$r | .curated and .revisions == 2 and .refs == 1 and .active_operation == null and .warning == null" \
    "report: the repo, curated, 2 revisions, 1 ref, no claim"
assert_json "$r | .partial | length == 2 and (map(.writer) | sort) == [\"other_tool\",\"single_stream\"] and (map(select(.writer == \"single_stream\"))[0].lock_held == true) and (map(select(.writer == \"other_tool\"))[0].lock_held == false) and (map(.apparent_bytes) | sort) == [70000,80000]" \
    "report: two partials, ours with its lock held by a process, huggingface_hub's not"
assert_json "$r | .orphan_blobs | length == 1 and .[0].apparent_bytes == 50000 and .[0].age_seconds >= 7000" \
    "report: the orphan blob, with its age"
assert_json "$r | .detached_revisions | length == 1 and .[0].commit == \"$C2\" and .[0].blobs_freed == 1 and .[0].shared_with_current.blobs == 1 and .[0].shared_with_current.names == [\"$(cut -d' ' -f2 "$IT_DIR/kept")\"] and .[0].files == 2" \
    "report: the detached revision, its own blob and the one it shares"
assert_json "$r | .stale_locks | length == 1 and (.[0].path | endswith(\"cccccccccccccccccccccccccccccccccccccccc.lock\"))" \
    "report: the stale lock (the held one is not stale)"
assert_json "$r | .summary.partial.apparent_bytes == 150000 and .summary.broken_links.items == 0" \
    "report: the repo's summary"

prune_body="{\"model_id\":\"$M\",\"what\":[\"partial\",\"orphan_blobs\",\"detached_revisions\",\"stale_locks\"]}"
ntasks=$(redis_cli --scan --pattern 'model-manager:task:*' | wc -l)
api POST /api/v2/models/cache/prune "$T" "$prune_body"
assert_eq 200 "$status" "prune dry run"
assert_json '.confirm == false and .prune_min_age_seconds == 3600 and .repos[0].repo_id == "intfloat/e5-small-v2" and .would_skip.items == 1 and .repos[0].skipped[0].reason == "lock_held" and (.repos[0].skipped[0].path | endswith(".incomplete"))' \
    "dry run: ours skipped, its lock is held"
dry=$(jq -c '.would_free' <<<"$body")
expect=$(jq -c "$r"' | .summary as $s | [$s.partial, $s.orphan_blobs, $s.detached_revisions, $s.stale_locks] | {items: (map(.items) | add), apparent_bytes: (map(.apparent_bytes) | add), disk_bytes: (map(.disk_bytes) | add)} | .items -= 1 | .apparent_bytes -= 80000' \
    "$IT_DIR/report.json")
assert_eq "$(jq -c '{items, apparent_bytes}' <<<"$expect")" \
    "$(jq -c '{items, apparent_bytes}' <<<"$dry")" \
    "the dry run frees what the report shows, but the held partial"
assert_eq "$ntasks" "$(redis_cli --scan --pattern 'model-manager:task:*' | wc -l)" \
    "a dry run makes no task"

task cache/prune "${prune_body%\}},\"confirm\":true}"
assert_json '.operation == "prune" and .model_id == "intfloat/e5-small-v2"' \
    "the prune task"
assert_eq "$dry" "$(jq -c .result.freed <<<"$body")" \
    "the task freed exactly what the dry run said"
read -r a b <"$IT_DIR/kept"
assert_ok "what a ref's revision uses stays" test -e "$h/blobs/$a" -a -e "$h/blobs/$b"
assert_ok "the revision's links still resolve" test -r "$h/snapshots/$C1/model.safetensors"
assert_file_absent "$h/snapshots/$C2" "the detached revision removed"
assert_file_absent "$h/blobs/$(cat "$IT_DIR/detached.blob")" "... with its own blob"
assert_file_absent "$h/blobs/$(cat "$IT_DIR/orphan.name")" "the orphan removed"
assert_file_absent "$h/blobs/$(printf f%.0s {1..64}).1a2b3c4d.incomplete" \
    "huggingface_hub's leftover removed"
assert_ok "the partial whose lock is held stays" \
    test -e "$h/blobs/$(printf e%.0s {1..64}).incomplete"
assert_file_absent "$lockdir/$(printf c%.0s {1..40}).lock" "the stale lock removed"

# A link to a blob that is not there, and a publication left in staging.
(umask 002; ln -s ../../blobs/"$(printf 9%.0s {1..64})" "$h/snapshots/$C1/gone.bin"
    mkdir -p "$h/.mm-staging/$C1"
    ln -s "../../blobs/$a" "$h/.mm-staging/$C1/model.safetensors")
api GET /api/v2/models/cache/report "$T"
assert_json "$r | .broken_links == [{\"path\":\"models--intfloat--e5-small-v2/snapshots/$C1/gone.bin\",\"reason\":\"missing_blob\"}] and (.staging | length) == 1 and .staging[0].path == \"models--intfloat--e5-small-v2/.mm-staging\" and .summary.broken_links.items == 1" \
    "report: a broken snapshot link and a leftover staging directory"
rm -rf "$h/snapshots/$C1/gone.bin" "$h/.mm-staging"

# --- a cache written by @huggingface/hub; partial sizes agree -----------

M=sentence-transformers/all-MiniLM-L6-v2
(umask 002; HF_TOKEN='' node "$IT_ROOT/tests/interop/js_snapshot.mjs" "$HUB" \
    "$M" "$HF_HUB_CACHE" >"$IT_DIR/js.json" 2>"$IT_DIR/js.err")
assert_eq 0 "$?" "@huggingface/hub wrote its snapshot"
rescan
task verify "{\"model_id\":\"$M\"}"
assert_json '.result.status == "ok" and .result.files_checked == 2' \
    "verify of a cache @huggingface/hub wrote"
j=$(repo_dir "$M")
(umask 002; head -c $((2 * MIB + 12345)) /dev/zero >"$j/blobs/$(printf a%.0s {1..64}).incomplete"
    head -c 4096 /dev/zero >"$j/blobs/$(printf b%.0s {1..64})")
api GET "/api/v2/models?include_cache_size=true&force_refresh_cache=true" "$T"
cp "$IT_DIR/api.body" "$IT_DIR/list.json"
api GET /api/v2/models/cache/report "$T"
cp "$IT_DIR/api.body" "$IT_DIR/report.json"
assert_jq "$IT_DIR/list.json" '.models[] | select(.id == "'"$M"'") | .partial_size_bytes == (2 * 1048576 + 12345 + 4096) and .partial_size_mb == 2' \
    "the list: partial_size_bytes and _mb of the model"
assert_eq "$(jq -c '[.models[] | {id, partial_size_bytes}] | sort' "$IT_DIR/list.json")" \
    "$(jq -c --slurpfile l "$IT_DIR/list.json" '[$l[0].models[].id] as $ids | [.repos[] | select(.repo_type == "model" and (.repo_id as $i | $ids | index($i))) | {id: .repo_id, partial_size_bytes}] as $in | [$ids[] | . as $i | {id: $i, partial_size_bytes: (($in | map(select(.id == $i)))[0].partial_size_bytes // 0)}] | sort' "$IT_DIR/report.json")" \
    "every model's partial bytes in the list are the report's"
assert_eq "$(jq '.cache_size.partial_cache_size_mb' "$IT_DIR/list.json")" \
    "$(jq '.totals.partial_size_bytes / 1048576 | floor' "$IT_DIR/report.json")" \
    "partial_cache_size_mb is the report's total"

# A repair with no findings recorded verifies first.
redis_cli DEL "model-manager:verify:$M" "model-manager:verify-status:$M" >/dev/null
task repair "{\"model_id\":\"$M\"}"
assert_json '.result.repaired == [] and .result.not_repaired == [] and .result.bytes_fetched == 0' \
    "a repair without findings verifies first, and finds nothing to fetch"
rtid=$tid
model '.verify_status.status == "ok" and .verify_status.task_id == "'"$rtid"'"' \
    "... its verify recorded, in the repair's name"

# --- a running download keeps everything of its model -------------------

M=naver/splade-v3
s=$(repo_dir "$M")
(umask 002; mkdir -p "$s/blobs" "$s/refs" "$s/snapshots"
    head -c 5000 /dev/zero >"$s/blobs/$(printf d%.0s {1..64})")
old "$j" "$s"
hub_fault '{"type":"slow_body","rate":200000,"repo":"naver/splade-v3"}'
api POST /api/v2/models/download "$T" "{\"model_id\":\"$M\"}"
dl=$(json .task_id)
wait_bytes "$dl" 1
api POST /api/v2/models/cache/prune "$T" '{"model_id":null,"what":["partial","orphan_blobs"]}'
assert_json '[.repos[] | select(.repo_id == "naver/splade-v3") | .skipped[] | .reason] | length >= 1 and all(. == "active_claim")' \
    "dry run of the whole cache: the downloading model skipped, active_claim"
task cache/prune '{"model_id":null,"what":["partial","orphan_blobs"],"confirm":true}'
assert_json '.model_id == null and .result.model_id == null and (.result.repos | map(select(.repo_id == "naver/splade-v3"))[0].skipped | all(.reason == "active_claim"))' \
    "the whole-cache prune skipped the model being downloaded"
assert_ok "its orphan stays" test -e "$s/blobs/$(printf d%.0s {1..64})"
n=$(find "$s/blobs" -name '*.incomplete' | wc -l)
[ "$n" -ge 1 ] && pass "its partial stays" || fail "its partial was removed"
assert_file_absent "$j/blobs/$(printf a%.0s {1..64}).incomplete" \
    "another model's old partial removed"
api POST "/api/v2/models/tasks/$dl/cancel" "$T"
wait_task "$dl" cancelled
hub_reset

# --- 1 GiB: progress, then cancel ---------------------------------------

M=intfloat/e5-base-v2
g=$(repo_dir "$M")
z=49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14
(umask 002; mkdir -p "$g/blobs" "$g/refs" "$g/snapshots/$C1"
    truncate -s 1G "$g/blobs/$z"
    ln -s "../../blobs/$z" "$g/snapshots/$C1/model.safetensors"
    printf '%s' "$C1" >"$g/refs/main")
rescan
api POST /api/v2/models/verify "$T" "{\"model_id\":\"$M\"}"
v=$(json .task_id)
moving()
{
	api GET "/api/v2/models/tasks/$v" "$T"
	[ "$(json .status)" = running ] && [ "$(json .bytes_downloaded)" -gt 0 ] &&
	    [ "$(json .bytes_downloaded)" -lt 1073741824 ]
}
assert_ok "verify of 1 GiB reports progress" wait_for 20 moving
assert_json '.bytes_total == 1073741824 and .files_total == 1' "... of 1 GiB in 1 file"
api POST "/api/v2/models/tasks/$v/cancel" "$T"
assert_eq 200 "$status" "cancel the verify"
wait_task "$v" cancelled
model '.verify_status == null' "a cancelled verify records no findings"

# --- bad requests change nothing ----------------------------------------

before=$(cache_state)
tasks_before=$(redis_cli --scan --pattern 'model-manager:task:*' | wc -l)
for b in '{}' '{"what":["partial"]}' '{"model_id":null}' \
    '{"model_id":null,"what":"partial"}' '{"model_id":null,"what":[]}' \
    '{"model_id":null,"what":["everything"]}' \
    '{"model_id":7,"what":["partial"]}' \
    '{"model_id":null,"what":["partial"],"confirm":"perhaps"}' \
    '{"model_id":null,"what":["partial"],"confirm":[true]}' \
    '{"model_id":null,"what":["partial"],"force":true}' '[]' '{"model_id'; do
	api POST /api/v2/models/cache/prune "$T" "$b"
	assert_eq 422 "$status" "prune $b: 422"
done
assert_json '.detail[0].type == "json_invalid"' "a broken body: json_invalid"
api POST /api/v2/models/cache/prune "$T" '{"model_id":null,"what":["partial","broken_links"],"confirm":true}'
assert_json '.detail == [{"type":"enum","loc":["body","what",1],"msg":"Input should be '"'"'partial'"'"', '"'"'orphan_blobs'"'"', '"'"'detached_revisions'"'"' or '"'"'stale_locks'"'"'","input":"broken_links"}]' \
    "a kind a prune does not remove: enum at its position"
api POST /api/v2/models/cache/prune "$T" '{"model_id":"../../etc","what":["partial"],"confirm":true}'
assert_eq 400 "$status" "prune of a path: 400"
api POST /api/v2/models/cache/prune "$T" '{"model_id":"org/absent","what":["partial"],"confirm":true}'
assert_json '.task_id == null and .status == "not_installed"' "prune of a repo not in the cache: not_installed"
api GET /api/v2/models/cache/prune "$T"
assert_eq 405 "$status" "GET /cache/prune: 405"
for op in verify repair; do
	api POST "/api/v2/models/$op" "$T" '{"model_id":"org/not-curated"}'
	assert_eq 400 "$status" "$op of a model that is not curated: 400"
	api POST "/api/v2/models/$op" "$T" '{"model":"BAAI/bge-small-en-v1.5"}'
	assert_eq 422 "$status" "$op without model_id: 422"
	api POST "/api/v2/models/$op" "$T" '{"model_id":["BAAI/bge-small-en-v1.5"]}'
	assert_json '.detail[0].type == "string_type"' "$op with a list: string_type"
	api POST "/api/v2/models/$op" "$T" '{"model_id":"BAAI/bge-m3"}'
	assert_json '. == {"task_id":null,"model_id":"BAAI/bge-m3","operation":"'"$op"'","status":"not_installed","warnings":[]}' \
	    "$op of a model not installed: not_installed"
done
redis_cli SET model-manager:active:BAAI/bge-small-en-v1.5 \
    download:0b9c7e1e-1111-4222-8333-444455556666 EX 60 >/dev/null
for op in verify repair; do
	api POST "/api/v2/models/$op" "$T" '{"model_id":"BAAI/bge-small-en-v1.5"}'
	assert_json '.detail.conflict_type == "cross_op_exclusion" and .detail.active_operation == "download" and .detail.detail == "Cannot '"$op"': download is active for this model"' \
	    "$op while a download runs: 409 cross_op_exclusion"
done
api POST /api/v2/models/cache/prune "$T" '{"model_id":"BAAI/bge-small-en-v1.5","what":["orphan_blobs"],"confirm":true}'
assert_json '.detail.conflict_type == "cross_op_exclusion"' "prune of a claimed model: 409"
redis_cli DEL model-manager:active:BAAI/bge-small-en-v1.5 >/dev/null
assert_eq "$before" "$(cache_state)" "the cache is as it was"
assert_eq "$tasks_before" "$(redis_cli --scan --pattern 'model-manager:task:*' | wc -l)" \
    "no task was made"

# --- audit and metrics ---------------------------------------------------

api GET "/api/v2/models/audit?model_id=BAAI/bge-small-en-v1.5&limit=100" "$T"
assert_json '[.events[].event] as $e | ($e | index("verify.requested")) and ($e | index("repair.requested")) and ($e | index("verify.refused")) and ([.events[] | select(.event == "task.ended" and .operation == "repair")] | length == 2)' \
    "audit: verify and repair requests, refusals and task ends"
api GET "/api/v2/models/audit?model_id=intfloat/e5-small-v2&limit=100" "$T"
assert_json '[.events[] | select(.event == "prune.requested" and .confirm == true)] | length == 1' \
    "audit: the prune request (a dry run is none)"
api GET /api/v2/models/metrics "$T"
assert_match 'mm_verify_problems_total\{kind="corrupt"\} 1' "$body" "metrics: problems found"
assert_match 'mm_repair_files_total 1' "$body" "metrics: files repaired"
assert_match 'mm_prune_freed_bytes_total\{kind="orphan_blobs"\} [1-9]' "$body" \
    "metrics: bytes pruned"
