#!/usr/bin/env bash
#
# Scale-out of the job runner: two mm-jobd instances, as on two hosts
# sharing Redis and the cache volume (same environment and configuration,
# distinct MM_RUNNER_ID), split the queue and never run one job twice
# (one job.started per attempt, one completion, leases held by the runner
# whose processing list has the task, transfers of one file never
# overlapping); when one dies for good (kill -9 with its children), the
# other recovers its jobs once its heartbeat lapses and completes them.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

P=model-manager
RA=it-runner-a		# the stack's own mm-jobd
RB=it-runner-b		# the second one, started here
MODELS="intfloat/e5-small-v2 intfloat/e5-base-v2 BAAI/bge-small-en-v1.5
BAAI/bge-base-en-v1.5"
M5=BAAI/bge-m3		# its lease is taken over
M6=intfloat/e5-large-v2	# runs through a Redis outage at the end
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
for m in $MODELS $M5 $M6; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 --file model.safetensors=3M \
	    >/dev/null
done
TOTAL=$((700 + 3 * 1048576))
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
# 3 MiB at 600 kB/s: about 5 s a download, so all four run at once.
for m in $MODELS $M5 $M6; do
	rate=600000
	[ "$m" != "$M6" ] || rate=150000	# 20 s: it spans the outage
	hub_fault '{"type":"slow_body","rate":'"$rate"',"repo":"'"$m"'","path":"model.safetensors"}'
done
export HF_ENDPOINT=$HUB MM_RUNNER_ID=$RA
# Two jobs per runner: four downloads fill both.  A heartbeat of 1 s that
# lapses after 3 s (so a lease lapses after 9 s): recovery in seconds.
test_config concurrency 2 heartbeat_interval_seconds 1 \
    heartbeat_ttl_seconds 3 progress_interval_ms 100 disk_reserve_mb 0 \
    retry_base_ms 100 retry_max_ms 400
stack_up
T=$(token_for admin)
LOG=$MM_VAR/log/mm-jobd.log

# A second runner: exactly the first one's program, arguments and
# environment (read from /proc), as the same user, but its own runner id.
# Both log to the same file, one line per write, as on a shared log host.
A=$(pid_of jobd)
mapfile -d '' argv <"/proc/$A/cmdline"
mapfile -d '' envv <"/proc/$A/environ"
as=()
if [ "$(id -u)" -eq 0 ]; then
	as=(setpriv --reuid="$MM_USER" --regid="$(id -gn "$MM_USER")"
	    --init-groups --)
fi
start_runner()	# ID: starts it, its pid in $runner_pid
{
	local v envb=()
	for v in "${envv[@]}"; do
		case $v in MM_RUNNER_ID=*) ;; *) envb+=("$v") ;; esac
	done
	envb+=("MM_RUNNER_ID=$1")
	setsid "${as[@]}" env -i "${envb[@]}" "${argv[@]}" </dev/null \
	    >>"$MM_VAR/log/mm-jobd-$1.out" 2>&1 &
	runner_pid=$!
	disown "$runner_pid"
	# Killed at exit whatever happens (after the stack is down).
	at_exit "kill -9 \$(pgrep -P $runner_pid) $runner_pid 2>/dev/null"
}
start_runner "$RB"
B=$runner_pid
started()	# RUNNER
{
	grep -q "event=runner.started runner=$1 " "$LOG" &&
	    [ "$(redis_cli EXISTS "$P:runner:$1")" = 1 ]
}
wait_for 15 started "$RB" && pass "a second runner ($RB, pid $B) runs beside $RA" ||
    { fail "the second runner did not start"; cat "$MM_VAR/log/mm-jobd-$RB.out"; exit 1; }
started "$RA" && pass "both heartbeats are in Redis" || fail "no heartbeat of $RA"

# --- the queue is split, each job runs once ---------------------------------

declare -A tid
for m in $MODELS; do
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$m\"}"
	tid[$m]=$(json .task_id)
	[ "$status" = 200 ] || fail "download $m: $status $body"
done

all_started()
{
	[ "$(grep -c 'event=job.started' "$LOG")" -ge 4 ]
}
assert_ok "every job started" wait_for 10 all_started
list_of()	# RUNNER: its processing list, sorted
{
	redis_cli LRANGE "$P:processing:$1" 0 -1 | sort
}
LA=$(list_of "$RA")
LB=$(list_of "$RB")
assert_eq "2 2" "$(grep -c . <<<"$LA") $(grep -c . <<<"$LB")" \
    "each runner took two jobs"
for r in "$RA" "$RB"; do
	n=$(grep -c "runner=$r event=job.started" "$LOG")
	assert_eq 2 "$n" "job.started lines of $r"
done
# Each running task's lease is held by a child of the runner whose
# processing list has it.
for m in $MODELS; do
	t=${tid[$m]}
	if grep -qx "$t" <<<"$LA"; then r=$RA p=$A; else r=$RB p=$B; fi
	holder=$(redis_cli GET "$P:lease:$t")
	child=${holder##*:}
	if [ "${holder%:*}" = "$r" ] && grep -qx "$child" <(pgrep -P "$p"); then
		pass "lease of $m held by a child of $r ($holder)"
	else
		fail "lease of $m: '$holder', expected a child of $r (pid $p)"
	fi
done

# --- one runner dies for good --------------------------------------------------

# B's jobs have bytes on disk (partial files to resume) before it dies.
progressed()
{
	local t
	for t in $LB; do
		[ "$(redis_cli HGET "$P:task:$t" bytes_downloaded)" -ge 500000 ] ||
		    return 1
	done
}
assert_ok "the jobs of $RB progressed" wait_for 15 progressed
# As a host that vanishes: everything stops at once (SIGSTOP), then dies,
# so that neither the runner nor a child writes anything on the way out.
children=$(pgrep -P "$B" | tr '\n' ' ')
# shellcheck disable=SC2086
kill -STOP "$B" $children
# shellcheck disable=SC2086
kill -KILL "$B" $children
killed_at=$SECONDS
pass "killed $RB (pid $B) and its job children (${children% }) with SIGKILL"
wait_for 10 grep -q "event=runner.recovered tasks=2" "$LOG" &&
    pass "$RA recovered the 2 jobs of $RB after $((SECONDS - killed_at)) s" ||
    fail "$RA did not recover the jobs of $RB"

wait_completed()	# TASK-ID: waits up to 40 s (polling Redis) for completed
{
	local s deadline=$((SECONDS + 40))
	while [ "$SECONDS" -lt "$deadline" ]; do
		s=$(redis_cli HGET "$P:task:$1" status)
		case $s in completed|failed|cancelled) break ;; esac
		sleep 0.2
	done
	api GET "/api/v2/models/tasks/$1" "$T"
	[ "$(json .status)" = completed ]
}
for m in $MODELS; do
	t=${tid[$m]}
	if wait_completed "$t"; then
		assert_json ".bytes_downloaded == $TOTAL and .bytes_total == $TOTAL and .error == null" \
		    "$m: completed with every byte"
	else
		fail "$m: not completed: $body"
	fi
	repo=$(repo_dir "$m")
	assert_ok "$m: content byte-identical" cmp \
	    "$repo/snapshots/$(cat "$repo/refs/main" 2>/dev/null)/model.safetensors" \
	    "$HUBROOT/$m/model.safetensors"
	assert_none_found "$repo" "$m: no partial left" -name '*.incomplete'
done
printf 'recovered and completed %d s after the kill\n' $((SECONDS - killed_at))

# --- never twice ---------------------------------------------------------------

for m in $MODELS; do
	t=${tid[$m]}
	if grep -qx "$t" <<<"$LB"; then
		want="1 $RB,2 $RA"
	else
		want="1 $RA"
	fi
	got=$(grep "task=$t .*event=job.started" "$LOG" |
	    sed -E 's/.*attempt=([0-9]+) runner=([^ ]+) .*/\1 \2/' | sort |
	    paste -sd, -)
	assert_eq "$want" "$got" "$m: one job.started per attempt (attempt runner)"
	assert_eq "$(tr ',' '\n' <<<"$want" | grep -c .)" \
	    "$(redis_cli HGET "$P:task:$t" attempts)" "$m: attempts counted"
	assert_eq 1 "$(grep -c "task=$t .*event=download.completed" "$LOG")" \
	    "$m: completed once"
done
# No two transfers of one file ever overlapped in time (the fake hub logs
# each request's start and duration).
overlaps=$(hub_log | jq '
    [.[] | select(.method == "GET" and .file == "model.safetensors"
       and (.status == 200 or .status == 206))
     | {repo, ms, s: ((.time | sub("\\.[0-9]+Z$"; "Z") | fromdate) * 1000
         + (.time | capture("\\.(?<ms>[0-9]+)Z$").ms | tonumber))}]
    | group_by(.repo) | map(sort_by(.s) | . as $a
    | [range(1; length) | select($a[.].s < $a[. - 1].s + $a[. - 1].ms)]
    | length) | add')
assert_eq 0 "$overlaps" "no two transfers of one file overlapped"
assert_no_redis_keys "$P:lease:*" "no lease left"
assert_no_redis_keys "$P:active:*" "no claim left"
drained()
{
	[ "$(redis_cli LLEN "$P:processing:$RA") $(redis_cli LLEN "$P:queue")" = "0 0" ]
}
# The runner takes a finished job off its list when it next looks (<= 1 s).
wait_for 5 drained && pass "nothing left in the queue or $RA's processing list" ||
    fail "left: queue '$(redis_cli LRANGE "$P:queue" 0 -1)', $RA '$(list_of "$RA")'"
assert_eq 0 "$(redis_cli LLEN "$P:processing:$RB")" \
    "nothing left in $RB's processing list"
assert_eq "$A" "$(pid_of jobd)" "$RA kept running"

# --- a download whose lease was taken over stops, writing nothing ----------------

# As after a Redis outage longer than the lease: another runner's child
# holds the lease now (it runs the task, it writes the status).
api POST /api/v2/models/download "$T" "{\"model_id\":\"$M5\"}"
t5=$(json .task_id)
begun()
{
	[ "$(redis_cli HGET "$P:task:$t5" bytes_downloaded)" -ge 300000 ] 2>/dev/null
}
assert_ok "$M5 started" wait_for 10 begun
redis_cli SET "$P:lease:$t5" "$RB:1" XX EX 60 >/dev/null
wait_for 5 grep -q "task=$t5 event=download.lease_lost" "$LOG" &&
    pass "the download saw its lease taken over and stopped" ||
    fail "the download did not notice its lease taken over"
wait_for 5 grep -q "task=$t5 event=job.ended status=0" "$LOG" &&
    pass "its job child ended (status 0: the runner writes nothing either)" ||
    fail "its job child did not end"
snap=$(redis_cli HMGET "$P:task:$t5" status bytes_downloaded updated_at | paste -sd' ' -)
sleep 1
assert_eq "$snap" "$(redis_cli HMGET "$P:task:$t5" status bytes_downloaded updated_at | paste -sd' ' -)" \
    "nothing written to the task after that"
assert_match '^running ' "$snap" "the task is left to the lease holder (running)"
assert_eq "$RB:1" "$(redis_cli GET "$P:lease:$t5")" "the other holder's lease is untouched"
assert_eq "download:$t5" "$(redis_cli GET "$P:active:$M5")" "the claim is untouched"

# --- a Redis outage with two live runners -------------------------------------

# Longer than the heartbeat TTL (3 s), so every heartbeat lapses, live
# runners' too; shorter than the lease (9 s).  Once Redis is back each
# runner renews its heartbeat before any counts another dead: the job in
# flight is neither recovered by the other runner nor started twice.
RC=it-runner-c
start_runner "$RC"
wait_for 15 started "$RC" && pass "a third runner ($RC) runs beside $RA" ||
    fail "the third runner did not start"
api POST /api/v2/models/download "$T" "{\"model_id\":\"$M6\"}"
t6=$(json .task_id)
begun6()
{
	[ "$(redis_cli HGET "$P:task:$t6" bytes_downloaded)" -ge 200000 ] 2>/dev/null
}
assert_ok "$M6 started" wait_for 15 begun6
recovered_before=$(grep -c 'event=runner.recovered' "$LOG")
redis_down || fail "Redis did not stop"
sleep 5
redis_up || { cat "$IT_DIR/start.log"; fail "restart-redis"; }
if wait_completed "$t6"; then
	pass "the download in flight through the outage completed"
else
	fail "$M6 did not complete: $body"
fi
assert_eq 1 "$(grep -c "task=$t6 .*event=job.started" "$LOG")" \
    "it started once: no runner took it over after the outage"
assert_eq "$recovered_before" "$(grep -c 'event=runner.recovered' "$LOG")" \
    "no runner recovered a live runner's jobs"
