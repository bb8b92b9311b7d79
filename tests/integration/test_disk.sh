#!/usr/bin/env bash
#
# The cache on a small disk (a tmpfs of 16 MiB): a download that cannot fit
# is refused before its first byte, concurrent downloads reserve what they
# still need, and a disk that fills up mid-write (ENOSPC) fails the task
# with a clear message, keeps the partial file for a resume, and leaves no
# link or ref; once space is back the next download resumes.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"

MIB=1048576
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
mk()	# MODEL SIZE
{
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$1" \
	    --file config.json=500 --file model.safetensors="$2" >/dev/null
}
mk BAAI/bge-m3 20M
mk intfloat/e5-base-v2 9M
mk intfloat/e5-small-v2 9M
mk intfloat/e5-large-v2 6M
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL

DISK=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-disk.XXXXXX")
mount -t tmpfs -o size=16m tmpfs "$DISK"
at_exit "umount -l '$DISK'; rmdir '$DISK'"
export HF_ENDPOINT=$HUB HF_HOME=$DISK
test_config disk_reserve_mb 0 retry_base_ms 100 retry_max_ms 200 \
    progress_interval_ms 100
stack_up
T=$(token_for admin)

start()
{
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	tid=$(json .task_id)
}

body_requests()	# MODEL: GETs of file bodies the hub served for it
{
	hub_log | jq --arg r "$1" '[.[] | select(.repo == $r and (.kind == "resolve" or .kind == "cdn") and .method == "GET")] | length'
}

# --- too big: refused before the first byte ----------------------------

start BAAI/bge-m3
wait_task "$tid" failed 60
assert_json '.error | test("^Not enough disk space") and test("needs 20.0 MB") and test("free")' \
    "refused with what it needs and what is free"
assert_eq 0 "$(body_requests BAAI/bge-m3)" "not a byte was fetched"
assert_json '.bytes_total == 20972020' "bytes_total known before refusing"

# --- two downloads that fit alone but not together ------------------------

hub_fault '{"type":"slow_body","rate":500000,"repo":"intfloat/e5-base-v2"}'
start intfloat/e5-base-v2
first=$tid
api GET "/api/v2/models/tasks/$first" "$T"
wait_for 20 sh -c "curl -s -H 'Authorization: Bearer $T' \
    '$MM_BASE_URL/api/v2/models/tasks/$first' | jq -e '.bytes_downloaded > 0' \
    >/dev/null" || fail "the first download did not start"
start intfloat/e5-small-v2
wait_task "$tid" failed 60
assert_json '.error | test("other downloads still need")' \
    "the second is refused: the first reserved its remaining bytes"
hub_reset
tid=$first
wait_task "$tid" completed 60
api DELETE "/api/v2/models/cache?model_id=intfloat/e5-base-v2&confirm=true" "$T"
tid=$(json .task_id)
wait_task "$tid" completed 60

# --- the disk fills up mid-write --------------------------------------------

hub_fault '{"type":"slow_body","rate":500000,"repo":"intfloat/e5-large-v2"}'
start intfloat/e5-large-v2
wait_for 20 sh -c "curl -s -H 'Authorization: Bearer $T' \
    '$MM_BASE_URL/api/v2/models/tasks/$tid' | jq -e '.bytes_downloaded > 1000000' \
    >/dev/null" || fail "the download did not start"
head -c $((16 * MIB)) /dev/zero >"$DISK/filler" 2>/dev/null || true
wait_task "$tid" failed 60
assert_json '.error | test("Disk full") and test("resume")' \
    "ENOSPC: a clear message"
repo=$DISK/hub/models--intfloat--e5-large-v2
[ -n "$(find "$repo/blobs" -name '*.incomplete' -size +0)" ] &&
    pass "the partial file is kept" || fail "no partial file kept"
assert_empty_dir "$repo/snapshots" "no snapshot link"
assert_empty_dir "$repo/refs" "no ref"
api GET /api/v2/models "$T"
assert_json '.models[] | select(.id == "intfloat/e5-large-v2") | .is_installed == false' \
    "not installed"

rm -f "$DISK/filler"
hub_reset
start intfloat/e5-large-v2
wait_task "$tid" completed 60
assert_match '^bytes=[1-9]' "$(hub_log | jq -r '.[] | select(.repo == "intfloat/e5-large-v2" and .file == "model.safetensors" and .range != null) | .range' | head -n 1)" \
    "resumed with Range once space was back"
assert_json '.bytes_downloaded == .bytes_total' "completed"
