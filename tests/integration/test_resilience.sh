#!/usr/bin/env bash
#
# Dependencies failing under a running stack: Redis stopped while a
# download is in flight and started again, PostgreSQL stopped and started,
# VecPipe hanging, the cache directory unreadable, a job child killed
# while Redis is down; and kill -9 of a responder while requests flow.
# Every endpoint answers quickly (curl --max-time, and the time measured)
# with a clear 503 or the contract's degraded answer, no process of the
# stack dies, the jobs in flight end correctly, and service resumes
# without restarting anything.
# (kill -9 of a job child and of mm-jobd: test_faults.sh.)

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
M1=intfloat/e5-small-v2		# in flight while Redis restarts
M2=intfloat/e5-base-v2		# started once Redis is back
M3=BAAI/bge-small-en-v1.5	# started while the cache is unreadable
M4=sentence-transformers/all-MiniLM-L6-v2	# its child killed, Redis down
for m in $M1 $M2 $M3 $M4; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 --file vocab.txt=600K \
	    --file model.safetensors=4M >/dev/null
done
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
start_fake vecpipe node "$IT_ROOT/tests/fakevecpipe/fakevecpipe.js" --port 0
VP=$FAKE_URL
export HF_ENDPOINT=$HUB SEARCH_API_URL=$VP
test_config progress_interval_ms 100 retry_base_ms 100 retry_max_ms 400 \
    disk_reserve_mb 0
stack_up
T=$(token_for admin)
# No request may hang: curl gives up after 5 s (status 000).
API_TIMEOUT=5

# timed MAX-MS METHOD PATH [BODY]: one request, which must answer within
# MAX-MS milliseconds; sets status, body and ms.
timed()
{
	local max=$1 t0
	shift
	t0=$(date +%s%N)
	api "$1" "$2" "$T" "${3:-}"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "$ms" -le "$max" ]; then
		pass "$1 $2 answered $status in $ms ms"
	else
		fail "$1 $2 answered $status in $ms ms (more than $max)"
	fi
}

# expect_503 DETAIL MAX-MS METHOD PATH [BODY]
expect_503()
{
	local detail=$1
	shift
	timed "$@"
	assert_eq 503 "$status" "$2 $3: 503"
	assert_json ".detail == \"$detail\" and (.reference | startswith(\"ERR-\"))" \
	    "$2 $3: \"$detail\""
}

# The processes of the stack: nginx, multiwatch, each responder, mm-jobd.
procs()
{
	local mw
	mw=$(pid_of api)
	printf 'nginx=%s multiwatch=%s jobd=%s responders=%s\n' \
	    "$(pid_of nginx)" "$mw" "$(pid_of jobd)" "$(responders |
	    tr '\n' ',')"
}

start()		# MODEL: starts a download, sets tid
{
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	tid=$(json .task_id)
	assert_eq "200 pending" "$status $(json .status)" "download $1 queued"
}

PROCS=$(procs)
printf 'processes: %s\n' "$PROCS"
assert_match "^nginx=[0-9]+ multiwatch=[0-9]+ jobd=[0-9]+ responders=([0-9]+,){$MM_RESPONDERS}\$" \
    "$PROCS" "every process of the stack is there"

# --- Redis stopped with a download in flight, then started again ----------

# 4 MiB at 1 MB/s: the transfer goes on, and ends, while Redis is down.
hub_fault '{"type":"slow_body","rate":1000000,"repo":"'"$M1"'","path":"model.safetensors"}'
start $M1
tid1=$tid
wait_bytes "$tid1" $((1024 * 1024))
redis_down || fail "Redis did not stop"
down_at=$SECONDS

timed 1500 GET /api/v2/models
assert_eq 200 "$status" "Redis down: the list answers 200"
assert_json '[.models[] | .active_download_task_id, .active_delete_task_id] | all(. == null)' \
    "Redis down: the list's task ids are null"
timed 1500 GET "/api/v2/models?include_cache_size=true"
assert_json '.cache_size.total_cache_size_mb >= 0 and .hf_cache_scan_error == null' \
    "Redis down: the cache sizes still answer"
timed 1500 GET "/api/v2/models/usage?model_id=$M1"
assert_eq 200 "$status" "Redis down: usage answers 200 (it needs no task state)"
expect_503 "Task store unavailable" 1500 GET "/api/v2/models/tasks/$tid1"
expect_503 "Task store unavailable" 1500 POST "/api/v2/models/tasks/$tid1/cancel"
expect_503 "Task store unavailable" 1500 POST /api/v2/models/download \
    "{\"model_id\":\"$M2\"}"
expect_503 "Task store unavailable" 1500 DELETE \
    "/api/v2/models/cache?model_id=$M1&confirm=true"

# The transfer does not stop because its progress writes fail: it ends
# while Redis is still down, and the job child waits to write the status.
if wait_for 20 test -s "$(repo_dir $M1)/refs/main"; then
	pass "the download went on and ended while Redis was down"
else
	fail "the download did not end while Redis was down"
fi
_it_redis_gone && pass "Redis is still down at that point" ||
    fail "Redis came back by itself"
sleep 1
[ -n "$(pgrep -P "$(pid_of jobd)")" ] &&
    pass "the job child waits for Redis to write its final status" ||
    fail "the job child is gone before Redis came back"
printf 'Redis was down for %d s\n' $((SECONDS - down_at))
redis_up || { cat "$IT_DIR/start.log"; fail "restart-redis"; }

wait_task "$tid1" completed 20 &&
    assert_json ".bytes_downloaded == .bytes_total and .error == null" \
    "the download in flight ended completed after Redis came back"
assert_redis_absent "model-manager:active:$M1" "its claim is released"
assert_eq 0 "$(redis_cli EXISTS "model-manager:lease:$tid1")" "its lease is released"
wait_for 5 processing_empty && pass "nothing left in the processing list" ||
    fail "left in a processing list after the job ended"
grep -q "task=$tid1 event=job.ended status=0" "$MM_VAR/log/mm-jobd.log" &&
    pass "the job child exited normally" || fail "the job child did not exit 0"
cmp -s "$(repo_dir $M1)/snapshots/$(cat "$(repo_dir $M1)/refs/main")/model.safetensors" \
    "$HUBROOT/$M1/model.safetensors" && pass "its content is byte-identical" ||
    fail "its content differs"

# Service resumes without restarting anything.
timed 1500 GET /api/v2/models
assert_json ".models[] | select(.id == \"$M1\") | .is_installed" \
    "Redis back: the list shows the download installed"
start $M2
wait_task "$tid" completed 30 &&
    pass "Redis back: the runner takes and completes a new download"
assert_eq "$PROCS" "$(procs)" "Redis restart: no process of the stack restarted"

# --- PostgreSQL stopped, then started -----------------------------------------

pg_down
for req in "GET /api/v2/models" "GET /api/v2/models?include_cache_size=true" \
    "GET /api/v2/models/usage?model_id=$M1" "GET /api/v2/models/tasks/$tid1" \
    "POST /api/v2/models/tasks/$tid1/cancel" \
    "DELETE /api/v2/models/cache?model_id=$M1&confirm=true"; do
	# shellcheck disable=SC2086
	expect_503 "Database unavailable" 1500 $req
done
expect_503 "Database unavailable" 1500 POST /api/v2/models/download \
    "{\"model_id\":\"$M3\"}"
pg_up
timed 1500 GET /api/v2/models
assert_eq 200 "$status" "PostgreSQL back: the list is served"
timed 1500 GET "/api/v2/models/usage?model_id=$M1"
assert_eq 200 "$status" "PostgreSQL back: usage is served"
assert_eq "$PROCS" "$(procs)" "PostgreSQL restart: no process of the stack restarted"

# --- VecPipe hanging ------------------------------------------------------

vecpipe_mode hang
timed 2500 GET "/api/v2/models/usage?model_id=$M1"
assert_eq 200 "$status" "VecPipe hanging: usage still answers 200"
assert_json '.loaded_in_vecpipe == false and (.vecpipe_query_error | type == "string" and length > 0) and (.warnings | index("Unable to verify whether the model is currently loaded in VecPipe (status unknown)") != null)' \
    "VecPipe hanging: the status-unknown warning"
timed 1500 GET /api/v2/models
assert_eq 200 "$status" "VecPipe hanging: the list does not wait for it"
vecpipe_mode ok
timed 1500 GET "/api/v2/models/usage?model_id=$M1"
assert_json '.vecpipe_query_error == null and (.warnings | index("Unable to verify whether the model is currently loaded in VecPipe (status unknown)") == null)' \
    "VecPipe back: answered, no warning"

# --- the cache directory unreadable -----------------------------------------

mode=$(stat -c %a "$HF_HUB_CACHE")
chmod 000 "$HF_HUB_CACHE"
timed 1500 GET "/api/v2/models?force_refresh_cache=true&include_cache_size=true"
assert_eq 200 "$status" "cache unreadable: the list answers 200"
assert_json '.hf_cache_scan_error | type == "string" and length > 0' \
    "cache unreadable: hf_cache_scan_error says why"
printf 'hf_cache_scan_error: %s\n' "$(json .hf_cache_scan_error)"
timed 1500 GET "/api/v2/models/usage?model_id=$M1"
assert_eq 200 "$status" "cache unreadable: usage answers 200"
assert_json '.hf_cache_scan_error != null and (.warnings | index("Unable to verify local HuggingFace cache state (installed status may be inaccurate)") != null)' \
    "cache unreadable: usage warns that the cache state is unverified"
timed 1500 GET "/api/v2/models/tasks/$tid1"
assert_eq 200 "$status" "cache unreadable: task progress answers 200"
timed 1500 POST /api/v2/models/download "{\"model_id\":\"$M3\"}"
tid3=$(json .task_id)
assert_eq 200 "$status" "cache unreadable: a download is still queued"
wait_task "$tid3" failed 20 &&
    assert_json '.error | test("[Pp]ermission denied")' \
    "cache unreadable: the download fails with a clear permission error"
printf 'download error: %s\n' "$(json .error)"
chmod "$mode" "$HF_HUB_CACHE"
timed 1500 GET "/api/v2/models?force_refresh_cache=true"
assert_json ".hf_cache_scan_error == null and (.models[] | select(.id == \"$M1\") | .is_installed)" \
    "cache readable again: the list is whole again"
assert_eq "$PROCS" "$(procs)" "cache unreadable: no process of the stack restarted"

# --- a job child killed while Redis is down ----------------------------------

# The runner cannot write the failure then: it keeps it and writes it once
# Redis is back, without a restart, so the task never stays "running".
hub_fault '{"type":"slow_body","rate":300000,"repo":"'"$M4"'","path":"model.safetensors"}'
start $M4
tid4=$tid
wait_bytes "$tid4" 300000
child=$(pgrep -P "$(pid_of jobd)" | head -n 1)
redis_down || fail "Redis did not stop"
kill -9 "$child"
wait_for 10 grep -q "task=$tid4 event=job.ending_deferred" \
    "$MM_VAR/log/mm-jobd.log" &&
    pass "the runner keeps the ending while Redis is down" ||
    fail "no deferred ending logged"
redis_up || { cat "$IT_DIR/start.log"; fail "restart-redis"; }
wait_task "$tid4" failed 20 &&
    assert_json '.error | test("killed by signal 9")' \
    "Redis back: the killed job's task is failed, saying why"
assert_redis_absent "model-manager:active:$M4" "... its claim is released"
wait_for 5 processing_empty && pass "... and it left the processing list" ||
    fail "the killed job is still in a processing list"
assert_eq "$PROCS" "$(procs)" "child killed during the outage: no process of the stack restarted"

# --- kill -9 of a responder while requests flow -------------------------------

loop()		# FILE: GET the list until the stop file exists
{
	while [ ! -e "$IT_DIR/loop.stop" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 \
		    -H "Authorization: Bearer $T" "$MM_BASE_URL/api/v2/models" \
		    >>"$1" 2>/dev/null || true
	done
}

replaced()	# VICTIM: the responder is gone and another took its place
{
	local r
	r=$(responders)
	[ "$(wc -l <<<"$r")" -eq "$MM_RESPONDERS" ] && ! grep -qx "$1" <<<"$r"
}

loops=""
for i in 1 2 3 4; do
	: >"$IT_DIR/loop.$i"
	loop "$IT_DIR/loop.$i" &
	loops="$loops $!"
done
sleep 1
before=$(responders)
victim=$(head -n 1 <<<"$before")
kill -9 "$victim"
wait_for 10 replaced "$victim" && pass "multiwatch replaced the killed responder" ||
    fail "the killed responder was not replaced: $(responders)"
# From here on, every request must succeed.
declare -A mark
for i in 1 2 3 4; do
	mark[$i]=$(wc -l <"$IT_DIR/loop.$i")
done
sleep 2
touch "$IT_DIR/loop.stop"
# shellcheck disable=SC2086
wait $loops
total=0 bad=0 later=0 later_bad=0
for i in 1 2 3 4; do
	f=$IT_DIR/loop.$i
	total=$((total + $(wc -l <"$f")))
	bad=$((bad + $(grep -vc '^200$' "$f" || true)))
	later=$((later + $(tail -n +$((mark[$i] + 1)) "$f" | wc -l)))
	later_bad=$((later_bad + $(tail -n +$((mark[$i] + 1)) "$f" |
	    grep -vc '^200$' || true)))
done
printf 'responder kill: %d requests, %d failed (%s), %d after the replacement\n' \
    "$total" "$bad" "$(cat "$IT_DIR"/loop.? | grep -v '^200$' | sort |
    uniq -c | tr -s ' \n' ' ')" "$later"
[ "$total" -ge 40 ] && pass "the request loop ran ($total requests)" ||
    fail "the request loop ran only $total requests"
[ "$bad" -le 1 ] && pass "at most the one request in flight on the killed responder failed ($bad)" ||
    fail "$bad requests failed around the responder kill"
assert_eq "" "$(cat "$IT_DIR"/loop.? | grep -v '^200$' | grep -v '^502$')" \
    "a failure is nginx's 502, nothing else"
[ "$later" -gt 0 ] && [ "$later_bad" -eq 0 ] &&
    pass "every request after the replacement succeeded ($later)" ||
    fail "$later_bad of $later requests failed after the replacement"
after=$(responders)
assert_eq "$(grep -vx "$victim" <<<"$before" | tr '\n' ' ')" \
    "$(grep -Fx -f <(printf '%s\n' "$before") <<<"$after" | tr '\n' ' ')" \
    "the other responders kept running"
assert_eq "${PROCS% responders=*}" "$(procs | sed 's/ responders=.*//')" \
    "nginx, multiwatch and mm-jobd kept running"
