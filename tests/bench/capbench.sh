#!/usr/bin/env bash
#
# tests/bench/capbench.sh OUT: the download cap's accuracy for `make bench`
# (bench.sh section "cap"), on a stack of its own through the integration
# harness (with the binaries MM_IT_BIN_API / MM_IT_BIN_JOBD name): one
# download alone, then two on two runners, each measured over 10 s once
# the first burst is spent.  Appends to OUT:
#	one MEASURED CAP
#	two MEASURED CAP SHARE1 SHARE2
# in bytes per second.  MM_BENCH_CAP sets the cap (8000000).  The exit
# status is the harness's verdict (0 when every download completed).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/integration/capmeter.sh
. "$(dirname "$0")/../integration/capmeter.sh"

OUT=$1
CAP=${MM_BENCH_CAP:-8000000}
P=model-manager
M1=intfloat/e5-small-v2
M2=intfloat/e5-base-v2
M3=BAAI/bge-small-en-v1.5
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
mk()	# MODEL SECONDS: a repo that takes that long at the cap
{
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$1" \
	    --seed "$1" --file "model.safetensors=$((CAP * $2 / 1024))K" \
	    >/dev/null
}
mk "$M1" 14
mk "$M2" 8
mk "$M3" 8
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
export HF_ENDPOINT=$FAKE_URL MM_RUNNER_ID=bench-cap-a
test_config concurrency 1 heartbeat_interval_seconds 1 \
    heartbeat_ttl_seconds 3 progress_interval_ms 100 disk_reserve_mb 0
stack_up
T=$(token_for admin)
extra_runner bench-cap-b || { fail "no second runner"; exit 1; }
api PUT /api/v2/models/policy "$T" "{\"max_bytes_per_second\":$CAP,\"windows\":[],\"timezone\":\"UTC\",\"pause_outside_window\":false}"
assert_eq 200 "$status" "cap set"

download()	# MODEL: its task id in $tid
{
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	tid=$(json .task_id)
}
flowing()	# TASK...: past the first burst (half a second at the cap)
{
	local t
	for t; do
		[ "$(redis_cli HGET "$P:task:$t" bytes_downloaded)" -ge \
		    $((CAP / 2)) ] 2>/dev/null || return 1
	done
}

download "$M1"
t1=$tid
assert_ok "one download flows" wait_for 30 flowing "$t1"
read -r r _ < <(cap_rate 10 "$t1")
echo "one $r $CAP" >>"$OUT"
assert_ok "it completed" wait_task "$t1" completed 60
download "$M2"
t2=$tid
download "$M3"
t3=$tid
assert_ok "two downloads flow" wait_for 30 flowing "$t2" "$t3"
cap_rate 10 "$t2" "$t3" >"$IT_DIR/shares" &
r=$(disk_rate 10)
wait $!
read -r _ a b <"$IT_DIR/shares"
echo "two $r $CAP $a $b" >>"$OUT"
for t in "$t2" "$t3"; do
	assert_ok "download $t completed" wait_task "$t" completed 60
done
