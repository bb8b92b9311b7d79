#!/usr/bin/env bash
#
# Load: wrk drives 64 connections for MM_LOAD_SECONDS (60) across every
# read endpoint (the list with and without cache sizes, usage, task
# progress) while downloads run (a slow fake hub: they span the load and
# land during it, so the responders rescan the cache under load).  No
# answer may be a 5xx or a socket error (counted by status in wrk's Lua
# done(), and again in nginx's access log), no responder may be restarted
# (multiwatch's children keep their pids), and the responders' resident
# memory must stay flat (before and after printed).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

LOAD=${MM_LOAD_SECONDS:-60}
CONNS=64
# The release binaries: ASan's shadow memory and quarantine inflate the
# resident size (and its drift) far beyond what the program itself uses,
# and slow every request down.
export MM_IT_BIN_API=$IT_ROOT/fcgi/mm-api MM_IT_BIN_JOBD=$IT_ROOT/jobs/mm-jobd
export MM_RESPONDERS=4
command -v wrk >/dev/null || { fail "wrk is missing: make test-deps"; exit 1; }
for b in "$MM_IT_BIN_API" "$MM_IT_BIN_JOBD"; do
	[ -x "$b" ] || { fail "$b is missing: make all"; exit 1; }
done

MODELS=(intfloat/e5-small-v2 intfloat/e5-base-v2 BAAI/bge-small-en-v1.5
    BAAI/bge-base-en-v1.5)
SIZE=$((3 * 1048576))
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
for m in "${MODELS[@]}"; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 --file model.safetensors=$SIZE \
	    >/dev/null
done
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
# Two jobs at a time, four downloads: two waves that together span the
# warm-up (5 s) and the load, and end a few seconds after it.
WARMUP=5
RATE=$((SIZE * 2 / (LOAD + WARMUP + 6)))
for m in "${MODELS[@]}"; do
	hub_fault '{"type":"slow_body","rate":'"$RATE"',"repo":"'"$m"'","path":"model.safetensors"}'
done
# The usage preflight asks VecPipe (with a timeout): a fake one that
# answers at once.
start_fake vecpipe node "$IT_ROOT/tests/fakevecpipe/fakevecpipe.js" --port 0
export HF_ENDPOINT=$HUB SEARCH_API_URL=$FAKE_URL
test_config disk_reserve_mb 0 concurrency 2
stack_up
T=$(token_for admin)

rss_kb()	# PID
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

rss_all()	# prints "pid kB" a line for each responder, then mm-jobd
{
	local p
	for p in $(responders) $(pid_of jobd); do
		printf '%s %s\n' "$p" "$(rss_kb "$p")"
	done
}

paths=""
declare -a tids
for i in "${!MODELS[@]}"; do
	m=${MODELS[$i]}
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$m\"}"
	tids[i]=$(json .task_id)
	assert_eq "200 pending" "$status $(json .status)" "download $m queued"
	paths="$paths /api/v2/models /api/v2/models?include_cache_size=true"
	paths="$paths /api/v2/models/usage?model_id=$m"
	paths="$paths /api/v2/models/tasks/${tids[$i]}"
done

# Rotates over the paths (each thread from its own offset) with the
# token, and counts the answers by status; done() adds up the threads'
# counts and prints them with wrk's socket errors and latencies.
cat >"$IT_DIR/load.lua" <<'EOF'
local token = os.getenv("MM_LOAD_TOKEN")
local paths = {}
for p in string.gmatch(os.getenv("MM_LOAD_PATHS"), "%S+") do
	paths[#paths + 1] = p
end
local threads = {}
counts = {}
local n = 0

function setup(thread)
	thread:set("offset", #threads * 7)
	table.insert(threads, thread)
end

function init(args)
	n = offset or 0
end

function request()
	n = n + 1
	return wrk.format("GET", paths[n % #paths + 1],
	    { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
	counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
	local all = {}
	for _, t in ipairs(threads) do
		for s, c in pairs(t:get("counts")) do
			all[s] = (all[s] or 0) + c
		end
	end
	for s, c in pairs(all) do
		io.write(string.format("status %d %d\n", s, c))
	end
	local e = summary.errors
	io.write(string.format("errors %d connect=%d read=%d write=%d " ..
	    "timeout=%d\n", e.connect + e.read + e.write + e.timeout,
	    e.connect, e.read, e.write, e.timeout))
	io.write(string.format("requests %d in %.1f s: %.0f/s\n",
	    summary.requests, summary.duration / 1e6,
	    summary.requests / (summary.duration / 1e6)))
	io.write(string.format("latency ms: p50 %.1f p99 %.1f max %.1f\n",
	    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
	    latency.max / 1000))
end
EOF

drive()		# SECONDS OUTPUT
{
	MM_LOAD_TOKEN=$T MM_LOAD_PATHS=$paths wrk -t 2 -c "$CONNS" -d "${1}s" \
	    --timeout 10s -s "$IT_DIR/load.lua" "$MM_BASE_URL" >"$2" 2>&1
}

running()	# how many of the downloads run
{
	local t n=0
	for t in "${tids[@]}"; do
		[ "$(redis_cli HGET "model-manager:task:$t" status)" = running ] &&
		    n=$((n + 1))
	done
	echo "$n"
}

# Warm-up: every responder has served every endpoint (connections to
# PostgreSQL, Redis and VecPipe open, registry and scan cache built, the
# allocator at its working size) before the "before" measurement.
two_running()
{
	[ "$(running)" -eq 2 ]
}
assert_ok "two downloads started" wait_for 10 two_running
drive "$WARMUP" "$IT_DIR/warmup.out" || { cat "$IT_DIR/warmup.out"; fail "wrk warm-up"; }
mw=$(pid_of api)
R0=$(responders)
assert_eq "$MM_RESPONDERS" "$(grep -c . <<<"$R0")" \
    "$MM_RESPONDERS responders before the load"
rss0=$(rss_all)
run0=$(running)
printf 'before the load: %s downloads running; RSS (pid kB):\n%s\n' \
    "$run0" "$rss0"
assert_eq 2 "$run0" "downloads run when the load starts"
access0=$(wc -l <"$MM_VAR/log/nginx-access.log")

drive "$LOAD" "$IT_DIR/load.out" || fail "wrk exited with an error"
cat "$IT_DIR/load.out"
rss1=$(rss_all)
states=$(for t in "${tids[@]}"; do redis_cli HGET "model-manager:task:$t" status; done |
    sort | uniq -c | tr -s ' \n' ' ')
printf 'after the load: downloads %s; RSS (pid kB):\n%s\n' "$states" "$rss1"
[ "$(running)" -ge 1 ] && pass "downloads still run when the load ends" ||
    fail "no download ran until the end of the load"

# --- every answer good -----------------------------------------------------------

total=$(awk '/^requests / { print $2 }' "$IT_DIR/load.out")
[ "${total:-0}" -gt 0 ] && pass "wrk ran $total requests" || fail "wrk ran no request"
assert_eq 0 "$(awk '$1 == "status" && $2 >= 500 { n += $3 } END { print n + 0 }' "$IT_DIR/load.out")" \
    "no 5xx answer (wrk)"
assert_eq 0 "$(awk '$1 == "status" && $2 != 200 { n += $3 } END { print n + 0 }' "$IT_DIR/load.out")" \
    "every answer a 200 (wrk)"
assert_eq 0 "$(awk '$1 == "errors" { print $2 }' "$IT_DIR/load.out")" \
    "no socket error or timeout (wrk)"
# nginx's own count: status is the 7th field of the access log format.
tail -n +$((access0 + 1)) "$MM_VAR/log/nginx-access.log" >"$IT_DIR/access.load"
assert_eq 0 "$(awk '$7 >= 500' "$IT_DIR/access.load" | wc -l)" \
    "no 5xx answer (nginx access log)"
logged=$(wc -l <"$IT_DIR/access.load")
[ "$logged" -ge "$total" ] && pass "nginx logged every request ($logged)" ||
    fail "nginx logged $logged requests, wrk counted $total"

# --- no restart, flat memory ------------------------------------------------------

assert_eq "$mw" "$(pid_of api)" "multiwatch kept running"
assert_eq "$(tr '\n' ' ' <<<"$R0")" "$(responders | tr '\n' ' ')" \
    "no responder was restarted (same pids)"
# A responder serves one request at a time and frees all of its memory
# before the next; what stays (registry, connections, the scan cache, the
# allocator's arenas) is built during the warm-up.  Afterwards only the
# scan cache grows, by the four repos the downloads add (a few kB), plus
# allocator fragmentation (tens of kB).  2 MiB is far above that and far
# below what a leak shows: each responder serves tens of thousands of
# requests here, so even a few bytes lost per request would cross it.
BOUND_KB=2048
per=$((total / MM_RESPONDERS))
while read -r pid kb0; do
	kb1=$(awk -v p="$pid" '$1 == p { print $2 }' <<<"$rss1")
	if [ -z "$kb0" ] || [ -z "$kb1" ]; then
		fail "process $pid: no RSS measured (before '$kb0', after '$kb1')"
		continue
	fi
	if [ "$pid" = "$(pid_of jobd)" ]; then
		printf 'mm-jobd %s: RSS %s kB -> %s kB (%+d kB)\n' "$pid" \
		    "$kb0" "$kb1" $((kb1 - kb0))
		continue
	fi
	if [ $((kb1 - kb0)) -le "$BOUND_KB" ]; then
		pass "responder $pid: RSS $kb0 kB -> $kb1 kB ($((kb1 - kb0)) kB, bound $BOUND_KB kB)"
	else
		fail "responder $pid: RSS $kb0 kB -> $kb1 kB grew more than $BOUND_KB kB"
	fi
done <<<"$rss0"
[ "$per" -gt 0 ] && printf 'about %d requests a responder: the bound is %d bytes a request\n' \
    "$per" $((BOUND_KB * 1024 / per))

# --- the downloads ran through the load and complete ---------------------------

all_done()
{
	local t
	for t in "${tids[@]}"; do
		[ "$(redis_cli HGET "model-manager:task:$t" status)" = completed ] ||
		    return 1
	done
}
wait_for 60 all_done && pass "the four downloads completed" ||
    fail "downloads: $(for t in "${tids[@]}"; do redis_cli HGET "model-manager:task:$t" status; done | tr '\n' ' ')"
for m in "${MODELS[@]}"; do
	repo=$HF_HUB_CACHE/models--${m//\//--}
	assert_ok "$m: content byte-identical" cmp \
	    "$repo/snapshots/$(cat "$repo/refs/main" 2>/dev/null)/model.safetensors" \
	    "$HUBROOT/$m/model.safetensors"
done
