#!/usr/bin/env bash
#
# The download policy's windows and API (the cap is test_bwcap.sh's): a
# download requested outside its window waits (pending, its reason, in the
# waiting set, not in the queue) and starts by itself when the window
# opens; cancel of a waiting task; start-now, whose download is not
# paused; pause at the window's end with partial files kept, no attempt
# counted, and resume with Range; the runners keep waiting tasks alive and
# their reasons current; the policy's GET and PUT (422 for bad bodies,
# which change nothing; 403 for a regular user; audit and metrics).
#
# The services' clock is shifted (MM_TEST_CLOCK_OFFSET_SECONDS, a test aid)
# so that the first request lands about 20 s before a minute starts: the
# window that opens at that minute opens during the test, not up to a
# minute later.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

P=model-manager
A=intfloat/e5-small-v2		# waits, starts by itself, pauses, resumes
B=intfloat/e5-base-v2		# waits, cancelled
D=BAAI/bge-small-en-v1.5	# waits, started now
E=BAAI/bge-base-en-v1.5		# started now, not paused
SIZE=$((3 * 1048576))
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
for m in $A $B $D $E; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 --file model.safetensors=3M \
	    >/dev/null
done
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
# 3 MiB at 400 kB/s: about 8 s a download; at 1 MB/s, 3 s.
for m in $A $D; do
	hub_fault '{"type":"slow_body","rate":400000,"repo":"'"$m"'","path":"model.safetensors"}'
done
hub_fault '{"type":"slow_body","rate":1000000,"repo":"'"$E"'","path":"model.safetensors"}'
export HF_ENDPOINT=$HUB
OFF=$(( (40 - ($(date +%s) + 6) % 60 + 60) % 60 ))
export MM_TEST_CLOCK_OFFSET_SECONDS=$OFF
test_config heartbeat_interval_seconds 1 heartbeat_ttl_seconds 3 \
    progress_interval_ms 100 disk_reserve_mb 0
stack_up
T=$(token_for admin)
LOG=$MM_VAR/log/mm-jobd.log

shifted()	# the services' clock
{
	echo $(($(date +%s) + OFF))
}
hhmm()		# EPOCH: its UTC HH:MM
{
	date -u -d "@$1" +%H:%M
}
window()	# START END: a windows list of one
{
	printf '[{"start":"%s","end":"%s"}]' "$1" "$2"
}
put_policy()	# CAP WINDOWS PAUSE: PUT a UTC policy
{
	api PUT /api/v2/models/policy "$T" "{\"max_bytes_per_second\":$1,\"windows\":$2,\"timezone\":\"UTC\",\"pause_outside_window\":$3}"
	[ "$status" = 200 ] || fail "PUT /policy $2: $status $body"
}
download()	# MODEL: starts it; its task id in $tid
{
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	tid=$(json .task_id)
	[ "$status" = 200 ] && [ "$tid" != null ] ||
	    fail "download $1: $status $body"
}
task()		# TASK-ID: GET it into $body
{
	api GET "/api/v2/models/tasks/$1" "$T"
}
status_is()	# TASK-ID STATUS
{
	task "$1"
	[ "$(json .status)" = "$2" ]
}
hfield()	# TASK-ID FIELD: a field of the task hash
{
	redis_cli HGET "$P:task:$1" "$2"
}
waiting()	# TASK-ID: in the waiting set, not in the queue
{
	[ -n "$(redis_cli ZSCORE "$P:waiting" "$1")" ] &&
	    ! redis_cli LRANGE "$P:queue" 0 -1 | grep -qx "$1"
}
dash=$'\xe2\x80\x93'

# --- the seed -------------------------------------------------------------------

api GET /api/v2/models/policy "$T"
assert_eq 200 "$status" "GET /policy"
assert_json '. == {"max_bytes_per_second":null,"windows":[],"timezone":"UTC","pause_outside_window":false}' \
    "the policy seeded from conf/mm.yaml: no cap, any time"
assert_eq 1 "$(redis_cli EXISTS "$P:policy")" "the seed is in Redis"

# --- a window that excludes now: the download waits -------------------------------

S=$(shifted)
open_at=$(( (S / 60 + 1) * 60 ))
# Too close to the minute (a slow start): the minute after.
[ $((open_at - S)) -ge 15 ] || open_at=$((open_at + 60))
W1=$(hhmm "$open_at")
W2=$(hhmm $((open_at + 600)))
put_policy null "$(window "$W1" "$W2")" false
download "$A"
ta=$tid
assert_json '.status == "pending"' "a download outside the window is accepted, pending"
task "$ta"
assert_json '.status == "pending" and .bytes_downloaded == 0' "it waits, pending"
mins=$(( (open_at - $(shifted) + 59) / 60 ))
assert_match "^Waiting for the download window $W1$dash$W2 \\(UTC\\), starts in ($mins|$((mins + 1))) min\$" \
    "$(json .waiting_reason)" "its waiting_reason names the window, its zone and when it opens"
assert_ok "in the waiting set, not in the queue" waiting "$ta"
assert_eq "download:$ta" "$(redis_cli GET "$P:active:$A")" "it keeps its claim"
api GET /api/v2/models "$T"
assert_json '.models[] | select(.id == "'"$A"'") | .active_download_task_id == "'"$ta"'"' \
    "the list shows it as the model's active download"

# Cancel of a waiting task: it leaves the set, ends cancelled, the claim goes.
download "$B"
tb=$tid
assert_ok "a second download waits too" waiting "$tb"
api POST "/api/v2/models/tasks/$tb/cancel" "$T"
assert_eq 200 "$status" "cancel of a waiting task"
assert_json '.status == "cancelled" and .waiting_reason == null' "it ends cancelled at once"
assert_eq "" "$(redis_cli ZSCORE "$P:waiting" "$tb")" "it left the waiting set"
assert_redis_absent "$P:active:$B" "its claim is released"

# Bad bodies: 422 in FastAPI's shape, nothing changed.
before=$(redis_cli GET "$P:policy")
bad()	# BODY TYPE LOC MESSAGE
{
	api PUT /api/v2/models/policy "$T" "$1"
	assert_eq 422 "$status" "$4: 422"
	assert_json "[.detail[] | select(.type == \"$2\" and .loc == $3)] | length == 1" \
	    "$4: $2 at $3"
}
good='"windows":[],"timezone":"UTC","pause_outside_window":false'
bad '{"windows":[],"timezone":"UTC","pause_outside_window":false}' missing \
    '["body","max_bytes_per_second"]' "a missing field"
bad '{"max_bytes_per_second":"fast",'"$good"'}' int_type \
    '["body","max_bytes_per_second"]' "a cap that is not an integer"
bad '{"max_bytes_per_second":0,'"$good"'}' greater_than_equal \
    '["body","max_bytes_per_second"]' "a cap of 0"
bad '{"max_bytes_per_second":null,"windows":[{"start":"25:00","end":"06:00"}],"timezone":"UTC","pause_outside_window":false}' \
    string_pattern_mismatch '["body","windows",0,"start"]' "a malformed time"
bad '{"max_bytes_per_second":null,"windows":[{"start":"01:00","end":"01:00"}],"timezone":"UTC","pause_outside_window":false}' \
    value_error '["body","windows",0]' "a window that starts where it ends"
bad '{"max_bytes_per_second":null,"windows":[],"timezone":"Mars/Olympus_Mons","pause_outside_window":false}' \
    value_error '["body","timezone"]' "an unknown time zone"
bad '{"max_bytes_per_second":null,"windows":[],"timezone":"../../etc/passwd","pause_outside_window":false}' \
    value_error '["body","timezone"]' "a path for a time zone"
bad '{"max_bytes_per_second":null,'"$good"',"burst":5}' extra_forbidden \
    '["body","burst"]' "an extra field"
bad '[1]' model_attributes_type '["body"]' "a body that is not an object"
api PUT /api/v2/models/policy "$T" '{"max_bytes_per_second":'
assert_eq 422 "$status" "a body that is not JSON: 422"
assert_eq "$before" "$(redis_cli GET "$P:policy")" "no bad body changed the policy"
api PUT /api/v2/models/policy "$(token_for alice)" \
    '{"max_bytes_per_second":null,'"$good"'}'
assert_eq 403 "$status" "a regular user may not change the policy"
assert_eq "$before" "$(redis_cli GET "$P:policy")" "...and did not"

# --- start-now: a waiting download runs outside its window --------------------------

download "$D"
td=$tid
assert_ok "it waits" waiting "$td"
api POST "/api/v2/models/tasks/$td/start-now" "$T"
assert_eq 200 "$status" "start-now of a waiting task"
# A runner may take it before the answer is read back: pending or running.
assert_json '.task_id == "'"$td"'" and (.status == "pending" or .status == "running") and .waiting_reason == null' \
    "it answers the task's progress, no longer waiting"
assert_eq 1 "$(hfield "$td" ignore_window)" "the task is marked to ignore the window"
assert_ok "it runs outside its window" wait_for 10 status_is "$td" running
api POST "/api/v2/models/tasks/$td/start-now" "$T"
assert_eq 409 "$status" "start-now of a running task: 409"
assert_json '.detail.conflict_type == "not_waiting" and .detail.active_task_id == "'"$td"'" and (.detail | keys | length) == 8' \
    "the contract's conflict shape, not_waiting"
api POST "/api/v2/models/tasks/00000000-0000-4000-8000-000000000000/start-now" "$T"
assert_eq 404 "$status" "start-now of an unknown task: 404"

# --- the window opens: the waiting download starts by itself ------------------------

task "$ta"
assert_json '.status == "pending"' "before the window opens it still waits"
started_at=""
a_running()
{
	status_is "$ta" running || status_is "$ta" completed || return 1
	started_at=$(shifted)
}
assert_ok "the window opens: it starts by itself" wait_for 75 a_running
[ -n "$started_at" ] && [ "$started_at" -ge "$open_at" ] &&
    pass "not before the window's start ($(hhmm "$open_at"))" ||
    fail "started at $started_at, before the window's start $open_at"
assert_eq "" "$(redis_cli ZSCORE "$P:waiting" "$ta")" "it left the waiting set"
assert_ok "start-now's download completed" wait_task "$td" completed 30

# --- pause at the window's end, resume with Range at the next one --------------------

a_fetched()
{
	[ "$(hfield "$ta" bytes_downloaded)" -ge 600000 ] 2>/dev/null
}
assert_ok "the download has bytes on disk" wait_for 20 a_fetched
assert_eq 1 "$(hfield "$ta" attempts)" "one attempt counted while running"
C1=$(hhmm $(($(shifted) + 7200)))
C2=$(hhmm $(($(shifted) + 10800)))
put_policy null "$(window "$C1" "$C2")" true
assert_ok "the window closed with pause_outside_window: paused within 2 s" \
    wait_for 3 status_is "$ta" pending
assert_match "^Waiting for the download window $C1$dash$C2 \\(UTC\\), starts in " \
    "$(json .waiting_reason)" "paused with the reason of the next window"
paused_bytes=$(json .bytes_downloaded)
[ "$paused_bytes" -gt 0 ] && pass "its bytes stay counted ($paused_bytes)" ||
    fail "paused with $paused_bytes bytes"
assert_ok "back in the waiting set" waiting "$ta"
assert_eq 0 "$(hfield "$ta" attempts)" "pausing gave the attempt back"
n=$(find "$(repo_dir "$A")/blobs" -name '*.incomplete' -size +0 | wc -l)
assert_eq 1 "$n" "its partial file is kept"
assert_ok "the job ended: nothing in a processing list" wait_for 3 processing_empty
grep -q "task=$ta event=download.paused" "$LOG" &&
    pass "the runner logged the pause" || fail "no download.paused line"

# The runners keep a waiting task alive and its reason current.
redis_cli EXPIRE "$P:task:$ta" 100 >/dev/null
redis_cli EXPIRE "$P:active:$A" 100 >/dev/null
C3=$(hhmm $(($(shifted) + 14400)))
C4=$(hhmm $(($(shifted) + 18000)))
put_policy null "$(window "$C3" "$C4")" true
reason_moved()
{
	task "$ta"
	[[ $(json .waiting_reason) == *"$C3$dash$C4"* ]]
}
assert_ok "a change of the policy updates the waiting reason within 2 s" \
    wait_for 3 reason_moved
[ "$(redis_cli TTL "$P:task:$ta")" -gt 80000 ] &&
    [ "$(redis_cli TTL "$P:active:$A")" -gt 80000 ] &&
    pass "the task's and the claim's TTLs were refreshed" ||
    fail "TTLs not refreshed: $(redis_cli TTL "$P:task:$ta") $(redis_cli TTL "$P:active:$A")"

# A download started now is not paused at the window's end.
download "$E"
te=$tid
api POST "/api/v2/models/tasks/$te/start-now" "$T"
assert_ok "started now while the window is closed" wait_for 10 status_is "$te" running
sleep 2.5
task "$te"
assert_json '.status == "running" or .status == "completed"' \
    "with pause_outside_window, a started-now download runs on"
assert_ok "...to completion" wait_task "$te" completed 30
task "$ta"
assert_json '.status == "pending"' "the other one still waits"

# The window opens again (any time now): it resumes with Range.
put_policy null '[]' true
assert_ok "resumed when the window opened" wait_task "$ta" completed 40
assert_json ".bytes_downloaded == $((SIZE + 700))" "completed with every byte"
first=$(hub_log | jq -r --arg r "$A" '[.[] | select(.repo == $r and .file == "model.safetensors" and .range != null) | .range][0] // ""')
assert_match '^bytes=[1-9][0-9]*-' "$first" "the resumed transfer asked for a Range"
from=${first#bytes=}
from=${from%-*}
[ -n "$from" ] && [ "$from" -gt 0 ] && [ "$from" -le "$paused_bytes" ] &&
    pass "it resumed from the partial file ($from bytes)" ||
    fail "resumed from '$from', paused at $paused_bytes"
assert_eq 1 "$(hfield "$ta" attempts)" "waiting and pausing never counted as attempts"
repo=$(repo_dir "$A")
assert_ok "the content is byte-identical" cmp \
    "$repo/snapshots/$(cat "$repo/refs/main")/model.safetensors" \
    "$HUBROOT/$A/model.safetensors"

# --- audit and metrics ----------------------------------------------------------

api GET '/api/v2/models/audit?limit=100' "$T"
assert_json '[.events[] | select(.event == "policy.changed" and .user == "admin" and .change.new.windows == [] and .change.old.windows[0].start == "'"$C3"'")] | length == 1' \
    "each change is a policy.changed audit event with the old and new policy"
assert_json '[.events[] | select(.event == "policy.refused")] | length >= 9' \
    "refused changes are audited too"
assert_json '[.events[] | select(.event == "task.started_now" and .task_id == "'"$te"'")] | length == 1' \
    "start-now is audited"
api GET /api/v2/models/metrics "$T"
assert_match '^mm_download_cap_bytes_per_second 0$' "$body" \
    "the cap's gauge (0: none)"
assert_match '^mm_downloads_waiting 0$' "$body" "the waiting downloads' gauge"
