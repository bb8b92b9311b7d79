#!/usr/bin/env bash
#
# A hostile hub's tree listing cannot exhaust inodes or memory, nor make a
# repo undeletable.  With hub.max_dirs 40 and hub.max_listing_bytes 200000:
#  - a path 33 segments deep is refused up front (the message names
#    hub.max_path_depth): no request for a file, nothing in the cache;
#  - a path 32 segments deep downloads, the scan lists the model as
#    installed, and a delete removes the whole repo folder;
#  - a listing implying 41 directories is refused up front (hub.max_dirs);
#  - a listing of five pages, each under hub.max_listing_bytes but over it
#    together, is refused up front (hub.max_listing_bytes);
#  - a path whose snapshot link (built from the cache directory, as the
#    downloader builds it) would be longer than PATH_MAX is refused up
#    front;
# then, after a reload with the shipped conf/mm.yaml, the default
# hub.max_dirs is 10000: a listing implying 10001 directories is refused
# naming 10000, one implying 10000 gets past the limits.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB
test_config max_dirs 40 max_listing_bytes 200000 retry_max 1 \
    retry_base_ms 50 retry_max_ms 100 disk_reserve_mb 0
stack_up
T=$(token_for admin)

DEEP33=intfloat/e5-small-v2
DEEP32=intfloat/e5-base-v2
DIRS=intfloat/e5-large-v2
BYTES=BAAI/bge-m3
LONG=BAAI/bge-small-en-v1.5
DEF1=nomic-ai/nomic-embed-text-v1
DEF2=nomic-ai/nomic-embed-text-v1.5

# --- helpers ------------------------------------------------------------

# repo_file MODEL PATH: a small file at PATH in MODEL's repo on the hub.
repo_file()
{
	mkdir -p "$HUBROOT/$1/$(dirname "$2")"
	printf 'content of %s\n' "$(basename "$2")" >"$HUBROOT/$1/$2"
}

# deep_path N: a relative path of N segments (N-1 directories).
deep_path()
{
	local i p=""
	for ((i = 1; i < $1; i++)); do p+="d$i/"; done
	printf '%sleaf.txt' "$p"
}

# download MODEL [STATUS]: starts it and waits until it ends with STATUS
# (failed); $body holds the task.  1 (a failed check) if it ended
# otherwise.
download()
{
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	assert_eq 200 "$status" "$1: download accepted"
	wait_task "$(json .task_id)" "${2:-failed}" 60
}

# refused MODEL ERE WHAT: the download failed with a message matching ERE,
# before any file request and without making anything for the repo.
refused()
{
	local m=$1 repo
	repo=$(basename "$(repo_dir "$m")")
	download "$m" || return 0	# wait_task recorded the failure
	assert_json ".status == \"failed\" and (.error | test(\"$2\"))" \
	    "$3: refused with a message naming the limit"
	assert_eq 0 "$(hub_log | jq --arg m "$m" \
	    '[.[] | select(.repo == $m and .kind != "tree" and .kind != "info")] | length')" \
	    "$3: no file was requested"
	assert_ok "$3: the cache exists" test -d "$HF_HUB_CACHE"
	assert_none_found "$HF_HUB_CACHE" "$3: nothing made for the repo" \
	    -name "$repo"
}

# --- the repositories ---------------------------------------------------

repo_file "$DEEP33" config.json
repo_file "$DEEP33" "$(deep_path 33)"
repo_file "$DEEP32" config.json
repo_file "$DEEP32" "$(deep_path 32)"
for i in $(seq 0 40); do repo_file "$DIRS" "dir$i/f.txt"; done
repo_file "$BYTES" config.json
repo_file "$LONG" config.json
repo_file "$DEF1" config.json
repo_file "$DEF2" config.json
# The snapshot link of a file is <cache>/<repo>/snapshots/<commit>/<path>:
# one byte more than PATH_MAX - 1 with the NUL.
prefix=$(repo_dir "$LONG")/snapshots/0123456789012345678901234567890123456789/
want=$((4096 - ${#prefix}))
seg=$(printf 'x%.0s' $(seq 199))
long=""
while [ $((${#long} + 250)) -lt "$want" ]; do long+="$seg/"; done
long+=$(printf 'y%.0s' $(seq $((want - ${#long}))))
assert_eq 4096 $((${#prefix} + ${#long})) "the long link path is PATH_MAX bytes"
repo_file "$LONG" "$long"
curl -sf -X POST "$HUB/_admin/reload" >/dev/null || fail "fake hub reload"

# --- depth ----------------------------------------------------------------

refused "$DEEP33" 'hub\\.max_path_depth.*32|32.*hub\\.max_path_depth' \
    'a path 33 segments deep'

download "$DEEP32" completed || true	# recorded by wait_task
assert_ok "the 32-deep file is linked" \
    test -L "$(repo_dir "$DEEP32")/snapshots/$(ls "$(repo_dir "$DEEP32")/snapshots")/$(deep_path 32)"
api GET "/api/v2/models?force_refresh_cache=true" "$T"
assert_json ".models[] | select(.id == \"$DEEP32\") | .is_installed == true" \
    "the scan lists the 32-deep model as installed"
api DELETE "/api/v2/models/cache?model_id=$DEEP32&confirm=true" "$T"
assert_eq 200 "$status" "delete of the 32-deep model accepted"
wait_task "$(json .task_id)" completed 60
assert_file_absent "$(repo_dir "$DEEP32")" "the delete removed the 32-deep repo"

# --- directories, bytes, PATH_MAX ----------------------------------------

refused "$DIRS" 'hub\\.max_dirs.*40' 'a listing implying 41 directories'

hub_fault "{\"type\":\"listing\",\"repo\":\"$BYTES\",\"files\":2500,\"page_files\":500}"
refused "$BYTES" 'hub\\.max_listing_bytes.*200000' \
    'five pages of about 60 KB each, 300 KB in all'
assert_eq 5 "$(hub_log | jq --arg m "$BYTES" \
    '[.[] | select(.repo == $m and .kind == "tree")] | length')" \
    "every page was counted (five requested)"
hub_reset

refused "$LONG" 'PATH_MAX' 'a path whose snapshot link exceeds PATH_MAX'

# --- the default hub.max_dirs ----------------------------------------------

sed -E 's|^(  check_interval_seconds:)[^#]*|\1 0  |' "$IT_ROOT/conf/mm.yaml" \
    >"$MM_CONFIG"
before=$(grep -c 'runner.reloaded' "$MM_VAR/log/mm-jobd.log" || true)
kill -HUP "$(pid_of jobd)"
wait_for 30 eval '[ "$(grep -c runner.reloaded "$MM_VAR/log/mm-jobd.log")" -gt "$before" ]' ||
    fail "the runner did not reload its configuration"

hub_fault "{\"type\":\"listing\",\"repo\":\"$DEF1\",\"files\":10001,\"depth\":2,\"dirs\":10001}"
refused "$DEF1" 'hub\\.max_dirs.*10000' 'the default: 10001 directories'
hub_fault "{\"type\":\"listing\",\"repo\":\"$DEF2\",\"files\":10000,\"depth\":2,\"dirs\":10000}"
download "$DEF2" || true	# recorded by wait_task
assert_json '.error | test("max_dirs|max_path|max_listing|PATH_MAX") | not' \
    "the default: 10000 directories get past the limits"
assert_ok "the default: a file was requested after the listing" \
    test "$(hub_log | jq --arg m "$DEF2" \
    '[.[] | select(.repo == $m and .kind == "resolve")] | length')" -gt 0

assert_verdict
