#!/usr/bin/env bash
#
# tests/bench/bench.sh: `make bench`.  Speed and memory of the service,
# each figure beside a baseline measured in the same run on the same
# machine, printed as one table and written to var/bench/<time>.json,
# var/bench/latest.json and var/bench/latest.md (the table in Markdown).
#
#  1. list endpoint: wrk on GET /api/v2/models (superuser token, warm
#     cache of 100 repos) beside nginx serving the same bytes as a static
#     file and a bare libfcgi responder returning them through the same
#     nginx (same connections, same duration), and a bare responder that
#     also makes the PostgreSQL and Redis round trips a list request
#     makes, with our own code (the floor once those are paid);
#  2. cache scan: hfcache_scan() on synthetic caches of 10, 100 and 1,000
#     repos, first scan in a fresh process and warm, beside
#     @huggingface/hub's scanCacheDir and a plain `find -printf '%s\n'`;
#  3. download over loopback from nginx acting as the Hub (API answers as
#     static files, resolve answers as 302 to a CDN host 127.0.0.2 with
#     the Hub's headers): one 1 GiB file and 32 files of 32 MiB, beside
#     curl on the same URLs (sequential and --parallel, the faster wins),
#     and the 1 GiB file by curl -o then openssl dgst -sha256 (a script
#     that verifies what it downloads);
#  4. memory: peak RSS of a responder under the wrk load and of a job
#     child of mm-jobd downloading 1 GiB and 4 GiB, 16 x 64 MiB at 16
#     connections (the CDN below), and reading a hostile
#     listing of about 60 MB (200,000 files with 220-byte paths: the most
#     files and nearly the most bytes the default limits let through);
#  5. cost: PostgreSQL and Redis round trips per list request;
#  6. the download policy's cap: what one download, then two on two
#     runners, fetch over 10 s against the cap (tests/bench/capbench.sh,
#     a stack of its own; MM_BENCH_CAP, 8000000 bytes per second).
#  7. cache doctor: the report's walk (hfdoc_scan) beside the list's scan
#     (hfcache_scan) on the same cache of 1,000 repos, and a verify of
#     1.25 GiB (the job's code path: the plan, then every blob hashed
#     through its 1 MiB buffer) beside sha256sum on the same files, both
#     on a warm page cache.
#  8. parts: downloads in ranged parts, each the median of interleaved
#     rounds beside its baseline: (a) a CDN capping each connection at
#     25 MB/s (nginx limit_rate 25m, on host 127.0.0.3), 1 x 512 MiB,
#     beside curl -o; (b) the same CDN, 16 x 64 MiB, beside curl
#     --parallel --parallel-max 8 (the 8 workers of huggingface_hub); (c)
#     the uncapped CDN, 32 x 32 MiB, beside curl fetching the files one
#     after another; and the most connections each reached.
#
# Everything runs on loopback in a temporary directory (a stack of its
# own through conf/stack.sh, the release binaries) and is removed at the
# end.  Needs the binaries, the bench programs (build/rel/tests/bench)
# and tests/node_modules: run it through `make bench`.
#
# Settings: MM_BENCH_SECONDS (wrk duration, 10), MM_BENCH_CONNECTIONS
# (8), MM_BENCH_RESPONDERS (4), MM_BENCH_ROUNDS (download rounds, 5),
# MM_BENCH_PART_ROUNDS (rounds of section 8, 3),
# MM_BENCH_SECTIONS (which parts run: "scan list download memory cap
# doctor parts", all by default), MM_BENCH_TMP (/tmp), MM_BENCH_OUT (var/bench), MM_BENCH_KEEP=1 (keep
# the work directory), MM_BENCH_STRICT=1 (exit 1 when a target is
# missed; by default only a measurement that could not be taken fails).

set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BENCHBIN=$ROOT/build/rel/tests/bench
HUBGET=$ROOT/build/rel/tests/tools/hubget
STACK=$ROOT/conf/stack.sh
# shellcheck source=tests/free_port.sh
. "$ROOT/tests/free_port.sh"
SECONDS_WRK=${MM_BENCH_SECONDS:-10}
CONNS=${MM_BENCH_CONNECTIONS:-8}
RESPONDERS=${MM_BENCH_RESPONDERS:-4}
ROUNDS=${MM_BENCH_ROUNDS:-5}
OUT=${MM_BENCH_OUT:-$ROOT/var/bench}
PART_ROUNDS=${MM_BENCH_PART_ROUNDS:-3}
SECTIONS=" ${MM_BENCH_SECTIONS:-scan list download memory cap doctor parts} "
GIB=1073741824
MIB=1048576

# Nothing of the operator's deployment may leak in.
unset DATABASE_URL REDIS_URL JWT_SECRET_KEY HF_HOME HF_HUB_CACHE \
    HUGGINGFACE_HUB_CACHE HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT \
    HF_HUB_OFFLINE TRANSFORMERS_OFFLINE DEFAULT_EMBEDDING_MODEL \
    SEARCH_API_URL MM_ROOT MM_VAR MM_RUN MM_HOST MM_PORT MM_RESPONDERS \
    MM_BIN_API MM_BIN_JOBD MM_CONFIG MM_SUPERUSER MM_RUNNER_ID \
    MM_PG_TEMPLATE MM_TOKEN MM_BASE_URL

T0=$(date +%s%N)
W=""
STACK_UP=0
HUB_PID=""
BARE_PIDFILE=""
RPC_PIDFILE=""

say()
{
	local ms=$((($(date +%s%N) - T0) / 1000000))
	printf '[%4d.%d s] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}

die()
{
	say "bench: $*"
	exit 1
}

# ------------------------------------------------------------ cleanup

# Stops what this script started, by the pids it recorded.
stop_pid()
{
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

cleanup()
{
	local rc=$?
	set +e
	for f in "$BARE_PIDFILE" "$RPC_PIDFILE"; do
		[ -z "$f" ] || [ ! -s "$f" ] || stop_pid "$(cat "$f")"
	done
	if [ "$STACK_UP" -eq 1 ]; then
		bash "$STACK" stop >>"$W/stack.log" 2>&1 ||
		    say "conf/stack.sh stop failed, see $W/stack.log"
	fi
	if [ -n "$HUB_PID" ]; then
		kill -QUIT "$HUB_PID" 2>/dev/null
		sleep 0.2
		stop_pid "$HUB_PID"
	fi
	if [ -n "$W" ] && [ -d "$W" ]; then
		if [ "$rc" -ne 0 ] && [ -z "${MM_BENCH_KEEP:-}" ]; then
			# Logs of a failed run, without the bulky data.
			mkdir -p "$OUT/failed"
			cp "$W"/*.log "$W"/*.txt "$OUT/failed/" 2>/dev/null
			cp "$W"/stack/log/* "$OUT/failed/" 2>/dev/null
			say "logs of the failed run: $OUT/failed/"
		fi
		[ -n "${MM_BENCH_KEEP:-}" ] || rm -rf "$W"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ helpers


# calc EXPR: awk arithmetic, printed with up to 6 significant digits.
calc()
{
	awk "BEGIN { v = $1; printf \"%.6g\n\", v }"
}

# median of the numbers on stdin
median()
{
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1;
	    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The children of pid $1 (all its threads).
children_of()
{
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . ||
	    true
}

# VmHWM (KiB) of pid $1, 0 when unknown.
vmhwm()
{
	awk '/^VmHWM:/ { print $2; f = 1 } END { if (!f) print 0 }' \
	    /proc/"$1"/status 2>/dev/null || echo 0
}

# Rows of the table: SECTION NAME OURS BASELINE BASE_NAME TARGET, where
# TARGET is "ratio>=X", "ratio<=X", "ours<=X" or "" (no target).  The
# ratio is always ours / baseline.
ROWS=""
row()
{
	local section=$1 name=$2 ours=$3 base=$4 bname=$5 target=$6
	local ratio result what op val
	ratio=$(awk -v o="$ours" -v b="$base" 'BEGIN {
	    if (o == "" || b == "" || b + 0 == 0) print ""; else
	    printf "%.4g", o / b }')
	result="-"
	if [ -n "$target" ]; then
		what=${target%%[<>]=*}
		op=${target#"$what"}
		val=${op:2}
		op=${op:0:2}
		result=$(awk -v w="$what" -v o="$ours" -v r="$ratio" \
		    -v op="$op" -v v="$val" 'BEGIN {
		    x = (w == "ratio") ? r : o
		    if (x == "") { print "FAIL"; exit }
		    ok = (op == ">=") ? (x + 0 >= v + 0) : (x + 0 <= v + 0)
		    print ok ? "PASS" : "FAIL" }')
	fi
	ROWS="$ROWS$section	$name	$ours	$base	$bname	$ratio	$target	$result
"
}

# ms LATENCY: a wrk latency (850.00us, 1.20ms, 1.05s, 1.2m) in ms.
wrk_ms()
{
	awk -v x="$1" 'BEGIN {
	    n = x + 0; u = x; sub(/^[0-9.]+/, "", u)
	    if (u == "us") n /= 1000; else if (u == "s") n *= 1000
	    else if (u == "m") n *= 60000
	    printf "%.3f\n", n }'
}

# ------------------------------------------------------------ machine

machine_json()
{
	local cpu kernel mem
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	kernel=$(uname -sr)
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' \
	    /proc/meminfo)
	jq -n --arg cpu "${cpu:-unknown}" --arg kernel "$kernel" \
	    --arg mem "$mem" --argjson nproc "$(nproc)" \
	    --arg os "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")" \
	    --arg nginx "$(nginx -v 2>&1 | sed 's/.*: //')" \
	    --arg wrk "$(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')" \
	    --arg curl "$(curl --version | awk 'NR == 1 { print $2 }')" \
	    --arg node "$(node --version 2>/dev/null)" \
	    '{nproc: $nproc, cpu: $cpu, kernel: $kernel, memory: $mem,
	      os: $os, nginx: $nginx, wrk: $wrk, curl: $curl, node: $node}'
}

# busy_cpus: the CPUs' busy share (0..nproc) over one second, before
# this script loads them; another workload makes every figure unreliable.
busy_cpus()
{
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' \
	    /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' \
	    /proc/stat)
	awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN {
	    split(a, x, " "); split(b, y, " ")
	    busy = y[1] - x[1]; idle = y[2] - x[2]
	    printf "%.2f\n", (busy + idle) ? n * busy / (busy + idle) : 0 }'
}

# ------------------------------------------------------------ checks

check_inputs()
{
	local t
	for t in "$ROOT/fcgi/mm-api" "$ROOT/jobs/mm-jobd" "$HUBGET" \
	    "$BENCHBIN/mkcache" "$BENCHBIN/scanbench" "$BENCHBIN/benchtool" \
	    "$BENCHBIN/doctorbench" \
	    "$BENCHBIN/barefcgi"; do
		[ -x "$t" ] || die "$t is missing: run make bench"
	done
	for t in wrk nginx curl jq node spawn-fcgi multiwatch redis-cli \
	    pg_config ss find awk; do
		command -v "$t" >/dev/null || die "$t is missing (make test-deps)"
	done
	[ -d "$ROOT/tests/node_modules/@huggingface/hub" ] ||
	    die "tests/node_modules is missing: run make bench"
}

# =================================================== 2. cache scan

# One cache size: ours, the JS scan and the find walk on the same tree.
scan_size()
{
	local n=$1 dir=$W/scan/c$1 gen ours js files jsruns stats i
	local our_first our_warm js_first js_warm find_s per_first per_warm
	local find_per target_js target_find
	say "scan: writing a cache of $n repos"
	gen=$("$BENCHBIN/mkcache" "$dir" "$n")
	# A tree still being written back makes every walk wait on it.
	sync
	files=$(jq -r .snapshot_files <<<"$gen")
	say "scan: $n repos ($files snapshot files, $(jq -r .blobs \
	    <<<"$gen") blobs): ours, JS, find"
	ours=$("$BENCHBIN/scanbench" "$dir" 5)
	jsruns=3
	[ "$n" -lt 1000 ] || jsruns=2
	js=$(cd "$ROOT/tests/bench" && node jsscan.mjs "$dir" "$jsruns")
	say "scan: $n repos: ours $(jq -r .warm_ms <<<"$ours") ms warm, JS" \
	    "$(jq -r .warm_ms <<<"$js") ms"
	stats=$W/find.stats
	for i in 1 2 3 4 5; do
		"$BENCHBIN/benchtool" run "$stats" find "$dir" -printf '%s\n' \
		    >/dev/null
		awk '{ print $1 * 1000 }' "$stats"
	done >"$W/find-$n.txt"
	find_s=$(median <"$W/find-$n.txt")
	our_first=$(jq -r .first_ms <<<"$ours")
	our_warm=$(jq -r .warm_ms <<<"$ours")
	js_first=$(jq -r .first_ms <<<"$js")
	js_warm=$(jq -r .warm_ms <<<"$js")
	[ "$(jq -r .repos <<<"$ours")" = "$n" ] ||
	    die "scan of $n repos found $(jq -r .repos <<<"$ours")"
	per_first=$(calc "$our_first * 1000 / $files")
	per_warm=$(calc "$our_warm * 1000 / $files")
	find_per=$(calc "$find_s * 1000 / $files")
	target_js=""
	target_find=""
	if [ "$n" -eq 1000 ]; then
		target_js="ratio<=0.1"
		target_find="ratio<=1.5"
	fi
	row scan "scan $n repos, first scan (ms) vs JS scanCacheDir" \
	    "$our_first" "$js_first" "JS first call" "$target_js"
	row scan "scan $n repos, warm scan (ms) vs JS scanCacheDir" \
	    "$our_warm" "$js_warm" "JS warm call" "$target_js"
	row scan "scan $n repos, first scan (us/file) vs find walk" \
	    "$per_first" "$find_per" "find -printf" "$target_find"
	row scan "scan $n repos, warm scan (us/file) vs find walk" \
	    "$per_warm" "$find_per" "find -printf" "$target_find"
	SCAN_PER_WARM[$n]=$per_warm
	DETAILS_SCAN=$(jq -n --argjson d "$DETAILS_SCAN" --arg n "$n" \
	    --argjson gen "$gen" --argjson ours "$ours" --argjson js "$js" \
	    --argjson find "$(jq -s . "$W/find-$n.txt")" \
	    '$d + {($n): {tree: $gen, ours: $ours, js: $js,
	      find_ms: $find}}')
	rm -rf "$dir"
}

bench_scan()
{
	declare -gA SCAN_PER_WARM
	DETAILS_SCAN='{}'
	mkdir -p "$W/scan"
	scan_size 10
	scan_size 100
	scan_size 1000
	row scan "scan time per file, 1,000 vs 100 repos (us/file, warm)" \
	    "${SCAN_PER_WARM[1000]}" "${SCAN_PER_WARM[100]}" \
	    "ours at 100 repos" "ratio<=1.5"
}

# =================================================== 6. cache doctor

# doctor_verify_repo DIR: a repo of DIR (the cache) as huggingface_hub
# writes it: a 1 GiB file and 32 of 8 MiB, named by their sha256.
doctor_verify_repo()
{
	local repo=$1/models--bench--verify commit i out
	commit=$(printf 'bench verify' | sha1sum | cut -c1-40)
	mkdir -p "$repo/blobs" "$repo/refs" "$repo/snapshots/$commit"
	printf '%s' "$commit" >"$repo/refs/main"
	for i in $(seq 0 32); do
		out=$("$BENCHBIN/benchtool" mkfile "$repo/blobs/t" \
		    $((i == 0 ? GIB : 8 * MIB)) $((500 + i)))
		mv "$repo/blobs/t" "$repo/blobs/${out% *}"
		ln -s "../../blobs/${out% *}" \
		    "$repo/snapshots/$commit/$(printf 'model-%02d.safetensors' "$i")"
	done
}

bench_doctor()
{
	local dir=$W/doctor rep ver i ours base
	mkdir -p "$dir"
	say "doctor: a cache of 1,000 repos: the report's walk, the list's scan"
	"$BENCHBIN/mkcache" "$dir/c" 1000 >/dev/null
	sync
	rep=$("$BENCHBIN/doctorbench" report "$dir/c" 5)
	row doctor "report 1000 repos, first walk (ms) vs the list's scan" \
	    "$(jq -r .report_first_ms <<<"$rep")" \
	    "$(jq -r .scan_first_ms <<<"$rep")" "hfcache_scan, first" "ratio<=1.5"
	row doctor "report 1000 repos, warm walk (ms) vs the list's scan" \
	    "$(jq -r .report_warm_ms <<<"$rep")" \
	    "$(jq -r .scan_warm_ms <<<"$rep")" "hfcache_scan, warm" "ratio<=1.5"
	rm -rf "$dir/c"
	say "doctor: verify of 1.25 GiB beside sha256sum (warm page cache)"
	doctor_verify_repo "$dir/v"
	cat "$dir"/v/models--bench--verify/blobs/* >/dev/null
	ver=$("$BENCHBIN/doctorbench" verify "$dir/v" models--bench--verify 3)
	[ "$(jq -r .problems <<<"$ver")" = 0 ] || die "verify found problems"
	for i in 1 2 3; do
		"$BENCHBIN/benchtool" run "$W/sha.stats" sha256sum \
		    "$dir"/v/models--bench--verify/blobs/* >/dev/null
		awk '{ print $1 }' "$W/sha.stats"
	done >"$W/sha256sum.txt"
	ours=$(jq -r .mb_per_s <<<"$ver")
	base=$(calc "$(jq -r .bytes <<<"$ver") / 1048576 / \
	    $(sort -g "$W/sha256sum.txt" | head -n 1)")
	row doctor "verify 1.25 GiB (MiB/s) vs sha256sum, warm page cache" \
	    "$ours" "$base" "sha256sum, the same files" "ratio>=0.8"
	DETAILS_DOCTOR=$(jq -n --argjson report "$rep" --argjson verify "$ver" \
	    --argjson sha256sum_s "$(jq -s . "$W/sha256sum.txt")" \
	    '{report: $report, verify: $verify, sha256sum_s: $sha256sum_s}')
	rm -rf "$dir"
}

# ====================================================== the fast hub

# hub_repo ID SPEC...: a repo of the hub; SPEC is PATH=SIZE=SEED|sparse.
# Writes the API answers and the CDN files, and appends the resolve
# locations (302 to the CDN with the Hub's headers) to $HUB_LOCS.
hub_repo()
{
	local id=$1 spec path size seed commit out sha oid psize tmp
	local tree='[]' sibs='[]'
	shift
	commit=$(printf 'bench commit of %s' "$id" | sha1sum | cut -c1-40)
	mkdir -p "$W/hub/api/models/$id/revision" \
	    "$W/hub/api/models/$id/tree" "$W/hub/cdn"
	for spec in "$@"; do
		path=${spec%%=*}
		size=${spec#*=}
		seed=${size#*=}
		size=${size%%=*}
		tmp=$W/hub/cdn/.tmp
		out=$("$BENCHBIN/benchtool" mkfile "$tmp" "$size" "$seed")
		sha=${out% *}
		oid=${out#* }
		mv "$tmp" "$W/hub/cdn/$sha"
		psize=$((43 + 76 + 6 + ${#size}))
		tree=$(jq -c --arg p "$path" --arg oid "$oid" --arg sha "$sha" \
		    --argjson s "$size" --argjson ps "$psize" \
		    '. + [{type: "file", oid: $oid, size: $s, path: $p,
		      lfs: {oid: $sha, size: $s, pointerSize: $ps}}]' \
		    <<<"$tree")
		sibs=$(jq -c --arg p "$path" '. + [{rfilename: $p}]' <<<"$sibs")
		cat >>"$HUB_LOCS" <<EOF
		location = /$id/resolve/$commit/$path {
			add_header X-Repo-Commit $commit always;
			add_header X-Linked-Etag '"$sha"' always;
			add_header X-Linked-Size $size always;
			add_header ETag '"$oid"' always;
			return 302 http://${HUB_CDN:-$CDN_HOST}:$HUB_PORT/cdn/$sha;
		}
EOF
		HUB_URLS[$id]="${HUB_URLS[$id]:-} http://127.0.0.1:$HUB_PORT/$id/resolve/$commit/$path"
	done
	printf '%s\n' "$tree" >"$W/hub/api/models/$id/tree/$commit"
	jq -n --arg id "$id" --arg c "$commit" --argjson s "$sibs" \
	    '{_id: $id, id: $id, modelId: $id, sha: $c, private: false,
	      gated: false, disabled: false, siblings: $s}' \
	    >"$W/hub/api/models/$id/revision/main"
}

# hub_hostile ID FILES NAME-LEN: a repo whose listing is hostile: one page
# of FILES file entries (distinct object ids, paths of NAME-LEN bytes in
# 5,000 directories), within the default limits, whose files do not exist.
hub_hostile()
{
	local id=$1 commit
	commit=$(printf 'bench commit of %s' "$id" | sha1sum | cut -c1-40)
	mkdir -p "$W/hub/api/models/$id/revision" "$W/hub/api/models/$id/tree"
	awk -v n="$2" -v len="$3" 'BEGIN {
	    pad = sprintf("%*s", len, ""); gsub(/ /, "x", pad)
	    printf "["
	    for (i = 0; i < n; i++) {
		p = sprintf("g%d/f%d", i % 5000, i)
		p = p substr(pad, 1, len - length(p))
		printf "%s{\"type\":\"file\",\"oid\":\"%040x\",\"size\":%d,\"path\":\"%s\"}", \
		    (i ? "," : ""), i, i % 1000 + 1, p
	    }
	    printf "]" }' >"$W/hub/api/models/$id/tree/$commit"
	jq -n --arg id "$id" --arg c "$commit" \
	    '{_id: $id, id: $id, modelId: $id, sha: $c, private: false,
	      gated: false, disabled: false, siblings: []}' \
	    >"$W/hub/api/models/$id/revision/main"
}

# hub_capped: the repos behind the CDN that caps each connection: one of
# 1 x 512 MiB, and the curated $REPO_CAP16 of 16 x 64 MiB.
hub_capped()
{
	local specs=() i
	HUB_CDN=$CAP_HOST
	hub_repo "$REPO_CAP1" "model.safetensors=$((512 * MIB))=7"
	for i in $(seq 1 16); do
		specs+=("$(printf 'model-%05d-of-00016.safetensors' "$i")=$((64 * MIB))=$((300 + i))")
	done
	hub_repo "$REPO_CAP16" "${specs[@]}"
	unset HUB_CDN
}

hub_start()
{
	local conf=$W/hubnginx/nginx.conf i
	mkdir -p "$W/hubnginx"
	cat >"$conf" <<EOF
# The fast hub of the download benchmark (written by tests/bench/bench.sh).
worker_processes 2;
pid $W/hubnginx/nginx.pid;
error_log $W/hubnginx/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 10000;
	client_body_temp_path $W/hubnginx/client_body_temp;
	proxy_temp_path $W/hubnginx/proxy_temp;
	fastcgi_temp_path $W/hubnginx/fastcgi_temp;
	uwsgi_temp_path $W/hubnginx/uwsgi_temp;
	scgi_temp_path $W/hubnginx/scgi_temp;
	server {
		listen 127.0.0.1:$HUB_PORT;
		root $W/hub;
		location /api/ {
			default_type application/json;
		}
$(cat "$HUB_LOCS")
	}
	server {
		listen $CDN_HOST:$HUB_PORT;
		root $W/hub;
		location /cdn/ {
			default_type application/octet-stream;
		}
	}
	server {
		listen $CAP_HOST:$HUB_PORT;
		root $W/hub;
		location /cdn/ {
			default_type application/octet-stream;
			limit_rate 25m;
			sendfile_max_chunk 128k;
		}
	}
}
EOF
	chmod -R a+rX "$W/hub"
	nginx -q -t -p "$W/hubnginx/" -c "$conf" -e "$W/hubnginx/error.log" ||
	    die "the hub's nginx configuration $conf is refused"
	nginx -p "$W/hubnginx/" -c "$conf" -e "$W/hubnginx/error.log"
	for i in $(seq 100); do
		[ -s "$W/hubnginx/nginx.pid" ] && break
		sleep 0.05
	done
	HUB_PID=$(cat "$W/hubnginx/nginx.pid")
}

# ============================================================ stack

stack_start()
{
	export MM_VAR=$W/stack MM_RUN=$W/s MM_HOST=127.0.0.1
	export MM_RESPONDERS=$RESPONDERS
	export MM_BIN_API=$ROOT/fcgi/mm-api MM_BIN_JOBD=$ROOT/jobs/mm-jobd
	export HF_ENDPOINT=http://127.0.0.1:$HUB_PORT
	MM_PORT=$(free_port) || die "no free port"
	export MM_PORT
	STACK_UP=1
	bash "$STACK" start >>"$W/stack.log" 2>&1 ||
	    die "conf/stack.sh start failed: $(tail -n 5 "$W/stack.log")"
	set -a
	# shellcheck disable=SC1091
	. "$MM_VAR/env"
	set +a
	AUTH="Authorization: Bearer $MM_TOKEN"
	REDIS_SOCK=${REDIS_URL#unix://}
}

api_get()
{
	curl -sS -f --max-time 30 -H "$AUTH" "$MM_BASE_URL$1"
}

# ================================================ 1. list endpoint

# pg_xacts: committed + rolled back transactions of the database.
pg_xacts()
{
	local -a as=()
	[ "$(id -u)" -ne 0 ] || as=(runuser -u postgres --)
	"${as[@]}" "$(pg_config --bindir)/psql" -X -q -At -h "$MM_PGHOST" \
	    -U postgres -d postgres -c "SELECT xact_commit + xact_rollback
	    FROM pg_stat_database WHERE datname = 'semantik'"
}

# pg_settled: the transaction count once the backends flushed their
# statistics (an idle backend does so within 10 s).
pg_settled()
{
	local a b
	sleep 11
	a=$(pg_xacts)
	while :; do
		sleep 1
		b=$(pg_xacts)
		[ "$a" != "$b" ] || break
		a=$b
	done
	printf '%s\n' "$a"
}

# redis_calls: Redis commands served so far (INFO itself excepted), and
# per command in $W/redis-<tag>.txt.
redis_calls()
{
	redis-cli -s "$REDIS_SOCK" INFO commandstats | tr -d '\r' |
	    awk -F'[:,=]' '/^cmdstat_/ && $1 != "cmdstat_info" {
	    sub(/^cmdstat_/, "", $1); print $1, $3 }' >"$W/redis-$1.txt"
	awk '{ n += $2 } END { print n + 0 }' "$W/redis-$1.txt"
}

# Adds /bench/static and /bench/bare to the stack's own nginx and
# reloads it.
nginx_add_baselines()
{
	local conf=$MM_VAR/nginx/nginx.conf i code
	awk -v var="$MM_VAR" '
	    /location = \/api\/v2\/models \{/ && !done {
		print "\t\tlocation = /bench/static {"
		print "\t\t\tdefault_type application/json;"
		print "\t\t\talias " var "/bench/list.json;"
		print "\t\t}"
		print "\t\tlocation = /bench/bare {"
		print "\t\t\tfastcgi_pass unix:" var "/bench/bare.sock;"
		print "\t\t}"
		print "\t\tlocation = /bench/rpc {"
		print "\t\t\tfastcgi_pass unix:" var "/bench/rpc.sock;"
		print "\t\t}"
		print ""
		done = 1
	    }
	    { print }' "$conf" >"$conf.bench"
	mv "$conf.bench" "$conf"
	nginx -q -t -p "$MM_VAR/nginx/" -c "$conf" \
	    -e "$MM_VAR/log/nginx-error.log" ||
	    die "nginx refuses the baseline locations"
	kill -HUP "$(cat "$MM_VAR/run/nginx.pid")"
	for i in $(seq 100); do
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    "$MM_BASE_URL/bench/static") || code=000
		[ "$code" != 200 ] || return 0
		sleep 0.1
	done
	die "nginx did not take the baseline locations"
}

# bare_start NAME PROGRAM ARGS...: RESPONDERS copies of a baseline
# responder (tests/bench/PROGRAM) on $MM_VAR/bench/NAME.sock, under
# multiwatch as mm-api, pid in $W/NAME.pid.
bare_start()
{
	local name=$1 prog=$2 pidfile=$W/$1.pid group i
	local -a owner=()
	shift 2
	cp "$BENCHBIN/$prog" "$MM_VAR/bench/$prog"
	if [ "$(id -u)" -eq 0 ]; then
		group=$(id -gn "$MM_USER")
		owner=(-U "${MM_NGINX_USER:-www-data}" -G "$group" -M 0660
		    -u "$MM_USER" -g "$group")
	fi
	spawn-fcgi -s "$MM_VAR/bench/$name.sock" "${owner[@]}" \
	    -P "$pidfile" -- "$(command -v multiwatch)" \
	    -f "$RESPONDERS" -s TERM -- "$MM_VAR/bench/$prog" "$@" \
	    >>"$W/$name.log" 2>&1 ||
	    die "spawn-fcgi of $prog failed"
	for i in $(seq 100); do
		[ "$(children_of "$(cat "$pidfile")" | wc -l)" -ge \
		    "$RESPONDERS" ] && return 0
		sleep 0.05
	done
	die "the $prog responders did not start: $(cat "$W/$name.log")"
}

# run_wrk NAME PATH SECONDS: wrk on the path; output in $W/wrk-NAME.txt.
run_wrk()
{
	wrk -t2 -c"$CONNS" -d"$3"s --latency -H "$AUTH" \
	    "$MM_BASE_URL$2" >"$W/wrk-$1.txt" 2>&1 ||
	    die "wrk on $2 failed: $(cat "$W/wrk-$1.txt")"
	if grep -q 'Non-2xx\|Socket errors' "$W/wrk-$1.txt"; then
		die "wrk on $2 saw errors: $(cat "$W/wrk-$1.txt")"
	fi
}

# wrk_field NAME FIELD: rps, requests, p50, p99 (ms) of a wrk run.
wrk_field()
{
	local f=$W/wrk-$1.txt
	case $2 in
	rps) awk '/^Requests\/sec:/ { print $2 }' "$f" ;;
	requests) awk '/ requests in / { print $1 }' "$f" ;;
	p50) wrk_ms "$(awk '$1 == "50%" { print $2 }' "$f")" ;;
	p99) wrk_ms "$(awk '$1 == "99%" { print $2 }' "$f")" ;;
	esac
}

# The largest VmHWM (KiB) of the children of multiwatch pid $1.
peak_children()
{
	local pid m=0 k
	for pid in $(children_of "$1"); do
		k=$(vmhwm "$pid")
		[ "$k" -le "$m" ] || m=$k
	done
	printf '%s\n' "$m"
}

bench_list()
{
	local installed pg0 pg1 rd0 rd1 ri0 ri1 t0 t1 ti0 ti1 bg n t
	local ours_rss bare_rss lbl tgt
	# The list must see the synthetic cache at once in every responder.
	redis-cli -s "$REDIS_SOCK" INCR model-manager:cache-generation \
	    >/dev/null
	mkdir -p "$MM_VAR/bench"
	chmod 0755 "$MM_VAR/bench"
	api_get /api/v2/models >"$MM_VAR/bench/list.json" ||
	    die "GET /api/v2/models failed"
	chmod 0644 "$MM_VAR/bench/list.json"
	installed=$(jq '[.models[] | select(.is_installed)] | length' \
	    "$MM_VAR/bench/list.json")
	say "list: $(jq '.models | length' "$MM_VAR/bench/list.json")" \
	    "models, $installed installed, $(wc -c \
	    <"$MM_VAR/bench/list.json") bytes; wrk -t2 -c$CONNS" \
	    "-d${SECONDS_WRK}s, $RESPONDERS responders"
	nginx_add_baselines
	BARE_PIDFILE=$W/bare.pid
	bare_start bare barefcgi "$MM_VAR/bench/list.json"
	# The ids, embedding ones marked, for the round-trip baseline.
	jq -r '.models[] | (if .model_type == "embedding" then "e " else ""
	    end) + .id' "$MM_VAR/bench/list.json" >"$MM_VAR/bench/models.txt"
	chmod 0644 "$MM_VAR/bench/models.txt"
	RPC_PIDFILE=$W/rpc.pid
	bare_start rpc barerpc "$MM_VAR/bench/list.json" \
	    "${MM_SUPERUSER:-admin}" "$MM_VAR/bench/models.txt"
	for t in bare rpc; do
		cmp -s "$MM_VAR/bench/list.json" \
		    <(curl -s "$MM_BASE_URL/bench/$t") ||
		    die "the $t responder does not answer the same bytes"
	done
	run_wrk warmup-ours /api/v2/models 3
	run_wrk warmup-bare /bench/bare 2
	run_wrk warmup-rpc /bench/rpc 2
	run_wrk rpc /bench/rpc "$SECONDS_WRK"
	stop_pid "$(cat "$RPC_PIDFILE")"
	RPC_PIDFILE=""
	# Redis commands of the job runner alone (its heartbeat), to be
	# taken out of the count below.
	ri0=$(redis_calls idle0)
	ti0=$(date +%s%N)
	run_wrk static /bench/static "$SECONDS_WRK"
	run_wrk bare /bench/bare "$SECONDS_WRK"
	ri1=$(redis_calls idle1)
	ti1=$(date +%s%N)
	bare_rss=$(peak_children "$(cat "$BARE_PIDFILE")")
	# Counters: no list request since the warm-up, > 20 s ago.
	pg0=$(pg_settled)
	rd0=$(redis_calls before)
	t0=$(date +%s%N)
	run_wrk ours /api/v2/models "$SECONDS_WRK"
	rd1=$(redis_calls after)
	t1=$(date +%s%N)
	ours_rss=$(peak_children "$(cat "$MM_VAR/run/api.pid")")
	say "list: ours $(wrk_field ours rps) req/s, bare" \
	    "$(wrk_field bare rps), static $(wrk_field static rps);" \
	    "waiting for PostgreSQL's statistics"
	pg1=$(pg_settled)
	n=$(wrk_field ours requests)
	for t in rps p50 p99; do
		case $t in
		rps) lbl="req/s" tgt="ratio>=0.5" ;;
		p50) lbl="p50 latency (ms)" tgt="" ;;
		p99) lbl="p99 latency (ms)" tgt="" ;;
		esac
		row list "list, $lbl vs bare libfcgi responder" \
		    "$(wrk_field ours $t)" "$(wrk_field bare $t)" \
		    "bare libfcgi via nginx" "$tgt"
		row list "list, $lbl vs bare responder + the same round trips" \
		    "$(wrk_field ours $t)" "$(wrk_field rpc $t)" \
		    "bare libfcgi + 1 PostgreSQL + 1 Redis round trip" ""
		row list "list, $lbl vs nginx static file" \
		    "$(wrk_field ours $t)" "$(wrk_field static $t)" \
		    "nginx static file" ""
	done
	row memory "responder peak RSS under wrk (MiB)" \
	    "$(calc "$ours_rss / 1024")" "$(calc "$bare_rss / 1024")" \
	    "bare libfcgi responder" "ours<=12"
	# Round trips are whole numbers: two decimals show any extra one.
	bg=$(calc "($ri1 - $ri0) * ($t1 - $t0) / ($ti1 - $ti0)")
	row cost "PostgreSQL round trips per list request" \
	    "$(awk -v d="$((pg1 - pg0))" -v n="$n" \
	    'BEGIN { printf "%.2f", d / n }')" 2 "DESIGN.md allowance" \
	    "ratio<=1"
	row cost "Redis round trips per list request" \
	    "$(awk -v d="$((rd1 - rd0))" -v b="$bg" -v n="$n" \
	    'BEGIN { printf "%.2f", (d - b) / n }')" 1 \
	    "DESIGN.md allowance" "ratio<=1"
	DETAILS_LIST=$(jq -n --arg ours "$(cat "$W/wrk-ours.txt")" \
	    --arg bare "$(cat "$W/wrk-bare.txt")" \
	    --arg static "$(cat "$W/wrk-static.txt")" \
	    --arg rpc "$(cat "$W/wrk-rpc.txt")" \
	    --argjson bytes "$(wc -c <"$MM_VAR/bench/list.json")" \
	    --argjson installed "$installed" --argjson requests "$n" \
	    --argjson pg "$((pg1 - pg0))" --argjson redis "$((rd1 - rd0))" \
	    --argjson redis_idle "$bg" \
	    --arg redis_cmds "$(join -a 2 -e 0 -o 0,1.2,2.2 \
	    <(sort "$W/redis-before.txt") <(sort "$W/redis-after.txt") |
	    awk '$3 - $2 > 0 { printf "%s=%d ", $1, $3 - $2 }')" \
	    --argjson ours_rss_kib "$ours_rss" \
	    --argjson bare_rss_kib "$bare_rss" \
	    '{body_bytes: $bytes, installed_models: $installed,
	      requests: $requests, pg_transactions: $pg,
	      redis_commands: $redis, redis_by_command: $redis_cmds,
	      redis_commands_of_the_idle_runner: $redis_idle,
	      responder_vmhwm_kib: $ours_rss_kib,
	      bare_vmhwm_kib: $bare_rss_kib,
	      wrk: {ours: $ours, bare: $bare, rpc: $rpc, static: $static}}')
	stop_pid "$(cat "$BARE_PIDFILE")"
	BARE_PIDFILE=""
	list_metrics_off
}

# The list again on the same stack restarted with MM_METRICS=off (nothing
# counted; the list writes no audit event either way), then restarted as
# it was and measured once more, so that "on" and "off" are both taken
# right after a restart, one after the other: what metrics and audit cost
# a list request.
list_metrics_off()
{
	local lbl t
	list_restarted off off
	list_restarted on2
	for t in rps p50 p99; do
		case $t in
		rps) lbl="req/s" ;;
		p50) lbl="p50 latency (ms)" ;;
		p99) lbl="p99 latency (ms)" ;;
		esac
		row list "list, $lbl, metrics and audit on vs off" \
		    "$(wrk_field on2 $t)" "$(wrk_field off $t)" \
		    "ours with MM_METRICS=off" ""
	done
	say "list: metrics on $(wrk_field on2 rps) req/s, off" \
	    "$(wrk_field off rps) req/s"
}

# list_restarted NAME [off]: restarts the stack (with MM_METRICS=off when
# asked), warms it up and measures the list as wrk run NAME.
list_restarted()
{
	bash "$STACK" stop >>"$W/stack.log" 2>&1 || die "conf/stack.sh stop failed"
	if [ "${2:-}" = off ]; then
		MM_METRICS=off stack_start
	else
		stack_start
	fi
	redis-cli -s "$REDIS_SOCK" INCR model-manager:cache-generation \
	    >/dev/null
	run_wrk "warmup-$1" /api/v2/models 3
	run_wrk "$1" /api/v2/models "$SECONDS_WRK"
}

# ===================================================== 3. download

# timed NAME CMD...: runs CMD under benchtool; appends "WALL MAXRSS" to
# $W/NAME.txt; output in $W/NAME.log.
timed()
{
	local name=$1
	shift
	"$BENCHBIN/benchtool" run "$W/timed.stats" "$@" >"$W/$name.log" 2>&1 ||
	    die "$name failed: $(tail -n 3 "$W/$name.log")"
	awk '{ print $1, $2, $4, $5 }' "$W/timed.stats" >>"$W/$name.txt"
}

# curl_args ID: "-o FILE URL" pairs of every file of the repo.
curl_args()
{
	local url i=0
	CURL_ARGS=()
	for url in ${HUB_URLS[$1]}; do
		CURL_ARGS+=(-o "$W/dl/curl/f$i" "$url")
		i=$((i + 1))
	done
}

# ours_dl NAME ID: ours (hubget with the service's defaults: 16 connections
# at most, 4 at first, parts from 64 MiB, 8 per file); the most connections
# it reported at once are appended to $W/NAME.conns.
ours_dl()
{
	rm -rf "$W/dl/cache"
	HF_ENDPOINT=http://127.0.0.1:$HUB_PORT timed "$1" "$HUBGET" \
	    "$W/dl/cache" "$2"
	grep -q '^result: ok' "$W/$1.log" ||
	    die "hubget $2: $(tail -n 1 "$W/$1.log")"
	# The most connections it reported at once.
	awk '/^progress/ && $NF > m { m = $NF } END { print m + 0 }' \
	    "$W/$1.log" >>"$W/$1.conns"
	rm -rf "$W/dl/cache"
}

curl_dl()
{
	local name=$1 id=$2
	shift 2
	rm -rf "$W/dl/curl"
	mkdir -p "$W/dl/curl"
	curl_args "$id"
	timed "$name" curl -sS -f -L --max-time 300 "$@" "${CURL_ARGS[@]}"
	rm -rf "$W/dl/curl"
}

# curl_sha_dl NAME ID: curl -o of the repo's one file, then its SHA-256
# by openssl dgst (the fastest at hand): what a script that verifies its
# downloads does.
curl_sha_dl()
{
	rm -rf "$W/dl/curl"
	mkdir -p "$W/dl/curl"
	curl_args "$2"
	timed "$1" sh -c 'curl -sS -f -L --max-time 300 -o "$1" "$2" &&
	    openssl dgst -sha256 "$1"' sh "${CURL_ARGS[1]}" "${CURL_ARGS[2]}"
	rm -rf "$W/dl/curl"
}

# mbs SECONDS: MB/s (10^6 bytes) of 1 GiB in that time.
mbs()
{
	calc "$GIB / $1 / 1000000"
}

# best NAME: the shortest wall time of the runs.
best()
{
	awk '{ print $1 }' "$W/$1.txt" | sort -g | head -n 1
}

bench_download()
{
	local r b1 b32 bseq bpar bname bbest
	mkdir -p "$W/dl"
	say "download: $ROUNDS rounds of 1 GiB and 32 x 32 MiB, ours" \
	    "(hubget with the service's defaults, SHA-256 verified) and curl;" \
	    "best of each"
	# A first round, not counted: the first gigabytes written after
	# a while cost the page cache more (and, in a VM, the host).
	ours_dl dl-warmup "$REPO_1G"
	curl_dl dl-warmup "$REPO_1G"
	for r in $(seq "$ROUNDS"); do
		# Who goes first alternates.
		if [ $((r % 2)) -eq 1 ]; then
			ours_dl dl-ours-1g "$REPO_1G"
			curl_dl dl-curl-1g "$REPO_1G"
			curl_sha_dl dl-curlsha-1g "$REPO_1G"
			ours_dl dl-ours-32 "$REPO_32"
		fi
		curl_dl dl-curl-seq "$REPO_32"
		curl_dl dl-curl-par "$REPO_32" --parallel --parallel-max 4
		if [ $((r % 2)) -eq 0 ]; then
			ours_dl dl-ours-32 "$REPO_32"
			curl_sha_dl dl-curlsha-1g "$REPO_1G"
			curl_dl dl-curl-1g "$REPO_1G"
			ours_dl dl-ours-1g "$REPO_1G"
		fi
	done
	b1=$(best dl-curl-1g)
	row download "download 1 GiB file (MB/s) vs curl -o" \
	    "$(mbs "$(best dl-ours-1g)")" "$(mbs "$b1")" "curl -o" \
	    "ratio>=0.9"
	row download "download 1 GiB file (MB/s) vs curl -o + openssl dgst -sha256" \
	    "$(mbs "$(best dl-ours-1g)")" "$(mbs "$(best dl-curlsha-1g)")" \
	    "curl -o, then openssl dgst -sha256" "ratio>=1"
	bseq=$(best dl-curl-seq)
	bpar=$(best dl-curl-par)
	if awk -v s="$bseq" -v p="$bpar" 'BEGIN { exit !(s <= p) }'; then
		bbest=$bseq bname="curl, one after another"
	else
		bbest=$bpar bname="curl --parallel"
	fi
	b32=$(best dl-ours-32)
	row download "download 32 x 32 MiB (MB/s) vs $bname" \
	    "$(mbs "$b32")" "$(mbs "$bbest")" "$bname" "ratio>=0.9"
	row download "download 32 x 32 MiB (MB/s), curl sequential vs --parallel" \
	    "$(mbs "$bseq")" "$(mbs "$bpar")" "curl --parallel" ""
	DETAILS_DL=$(jq -n --arg o1 "$(cat "$W/dl-ours-1g.txt")" \
	    --arg c1 "$(cat "$W/dl-curl-1g.txt")" \
	    --arg cs1 "$(cat "$W/dl-curlsha-1g.txt")" \
	    --arg o32 "$(cat "$W/dl-ours-32.txt")" \
	    --arg cs "$(cat "$W/dl-curl-seq.txt")" \
	    --arg cp "$(cat "$W/dl-curl-par.txt")" \
	    '{runs_wall_s_maxrss_kib_user_s_sys_s: {ours_1g: $o1, curl_1g: $c1,
	      curl_then_sha256_1g: $cs1,
	      ours_32x32: $o32, curl_seq_32x32: $cs, curl_par_32x32: $cp}}')
}

# ============================================== 4. job child memory

# job_peak MODEL [STATUS]: downloads MODEL through the API and the job
# runner, which must end with STATUS (completed); prints the peak VmHWM
# (KiB) of the job child, and writes the most connections its task
# reported at once to $W/jobconns.txt.
job_peak()
{
	local model=$1 want=${2:-completed} jobd task status i out peak t
	local conns=0 n
	jobd=$(cat "$MM_VAR/run/jobd.pid")
	"$BENCHBIN/benchtool" childpeak "$jobd" 60 >"$W/childpeak.txt" &
	local watcher=$!
	sleep 0.2	# it has noted the children already there
	out=$(curl -sS -f --max-time 30 -H "$AUTH" \
	    -H 'Content-Type: application/json' \
	    -d "{\"model_id\": \"$model\"}" \
	    "$MM_BASE_URL/api/v2/models/download") ||
	    die "POST download of $model failed"
	task=$(jq -r .task_id <<<"$out")
	status=pending
	for i in $(seq 3000); do
		t=$(api_get "/api/v2/models/tasks/$task")
		status=$(jq -r .status <<<"$t")
		n=$(jq -r '.connections // 0' <<<"$t")
		[ "$n" -le "$conns" ] || conns=$n
		case $status in
		pending|running) sleep 0.1 ;;
		*) break ;;
		esac
	done
	wait "$watcher" || die "no job child seen for $model"
	[ "$status" = "$want" ] ||
	    die "the download of $model ended $status: $(api_get \
	    "/api/v2/models/tasks/$task" | jq -r .error)"
	peak=$(awk '{ print $2 }' "$W/childpeak.txt")
	printf '%s\n' "$conns" >"$W/jobconns.txt"
	rm -rf "$HF_HUB_CACHE/models--${model//\//--}"
	printf '%s\n' "$peak"
}

bench_jobs()
{
	local p1 p4 c1 c4 ph p16
	say "memory: job child downloading 1 GiB ($REPO_1G)"
	p1=$(job_peak "$REPO_1G")
	say "memory: job child downloading 4 GiB ($REPO_4G)"
	p4=$(job_peak "$REPO_4G")
	[ -s "$W/dl-curl-1g.txt" ] || curl_dl dl-curl-1g "$REPO_1G"
	c1=$(awk '{ print $2 }' "$W/dl-curl-1g.txt" | sort -g | tail -n 1)
	curl_dl dl-curl-4g "$REPO_4G"
	c4=$(awk '{ print $2 }' "$W/dl-curl-4g.txt")
	row memory "job child peak RSS, 1 GiB download (MiB) vs curl" \
	    "$(calc "$p1 / 1024")" "$(calc "$c1 / 1024")" "curl -o" \
	    "ours<=16"
	row memory "job child peak RSS, 4 GiB download (MiB) vs curl" \
	    "$(calc "$p4 / 1024")" "$(calc "$c4 / 1024")" "curl -o" \
	    "ours<=16"
	row memory "job child peak RSS, 4 GiB vs 1 GiB (constant memory)" \
	    "$(calc "$p4 / 1024")" "$(calc "$p1 / 1024")" \
	    "job child at 1 GiB" "ratio<=1.1"
	say "memory: job child reading a hostile listing of" \
	    "$(du -m "$W/hub/api/models/$REPO_HOSTILE/tree/"* | cut -f1) MB" \
	    "($REPO_HOSTILE: 200,000 files, 220-byte paths)"
	ph=$(job_peak "$REPO_HOSTILE" failed)
	row memory "job child peak RSS, hostile 60 MB listing (MiB) vs 1 GiB download" \
	    "$(calc "$ph / 1024")" "$(calc "$p1 / 1024")" \
	    "job child at 1 GiB" "ours<=64"
	say "memory: job child downloading 16 x 64 MiB from the CDN capping" \
	    "each connection ($REPO_CAP16)"
	p16=$(job_peak "$REPO_CAP16")
	row memory "job child peak RSS, 16 x 64 MiB at up to 16 connections (MiB) vs 1 GiB download" \
	    "$(calc "$p16 / 1024")" "$(calc "$p1 / 1024")" \
	    "job child at 1 GiB" "ours<=32"
	row memory "connections the job reached for 16 x 64 MiB (capped CDN)" \
	    "$(cat "$W/jobconns.txt")" 16 "downloads.max_connections" "ours>=16"
}

# ============================================== 6. ranged parts

# The CDN that caps each connection at 25 MB/s is nginx's limit_rate 25m
# on $CAP_HOST (the stand-in the issue names).  nginx sends the first
# chunk of each request at once (sendfile_max_chunk, 2 MiB by default)
# and paces the rest: 128 KiB keeps that burst to a few percent of the
# shortest part we ask for, so neither we nor curl get an unpaced share.

# med NAME: the median wall time of the runs.
med()
{
	awk '{ print $1 }' "$W/$1.txt" | median
}

# rate BYTES SECONDS: MB/s (10^6 bytes).
rate()
{
	calc "$1 / $2 / 1000000"
}

# parts_round R: one round of the three pairs, ours first in odd rounds.
parts_round()
{
	local pair ours base id
	for pair in "a $REPO_CAP1" "b $REPO_CAP16" "c $REPO_32"; do
		id=${pair#* }
		ours=dl-parts-${pair%% *}
		base=$ours-base
		if [ $(($1 % 2)) -eq 0 ]; then
			parts_base "$base" "$id"
			ours_dl "$ours" "$id"
		else
			ours_dl "$ours" "$id"
			parts_base "$base" "$id"
		fi
	done
}

# parts_base NAME ID: the baseline of that repo.
parts_base()
{
	case $2 in
	"$REPO_CAP16") curl_dl "$1" "$2" --parallel --parallel-max 8 ;;
	*) curl_dl "$1" "$2" ;;
	esac
}

bench_parts()
{
	local r a b c
	mkdir -p "$W/dl"
	say "parts: $PART_ROUNDS rounds of (a) 1 x 512 MiB and (b) 16 x 64 MiB" \
	    "from a CDN capping each connection at 25 MB/s, and (c) 32 x" \
	    "32 MiB uncapped; ours (hubget, defaults) beside curl; medians"
	for r in $(seq "$PART_ROUNDS"); do
		parts_round "$r"
	done
	a=$(rate $((512 * MIB)) "$(med dl-parts-a)")
	b=$(rate $((1024 * MIB)) "$(med dl-parts-b)")
	c=$(rate $((1024 * MIB)) "$(med dl-parts-c)")
	row parts "(a) CDN capping each connection at 25 MB/s, 1 x 512 MiB (MB/s) vs curl -o" \
	    "$a" "$(rate $((512 * MIB)) "$(med dl-parts-a-base)")" "curl -o" \
	    "ratio>=5"
	row parts "(b) the same CDN, 16 x 64 MiB (MB/s) vs curl --parallel --parallel-max 8" \
	    "$b" "$(rate $((1024 * MIB)) "$(med dl-parts-b-base)")" \
	    "curl --parallel --parallel-max 8" "ratio>=1.5"
	row parts "(c) the same hub uncapped, 32 x 32 MiB (MB/s) vs curl one after another" \
	    "$c" "$(rate $((1024 * MIB)) "$(med dl-parts-c-base)")" \
	    "curl, one file after another" "ratio>=0.9"
	for r in a b c; do
		row parts "($r) connections reached (most of the rounds)" \
		    "$(sort -n "$W/dl-parts-$r.conns" | tail -n 1)" "" "" ""
	done
	DETAILS_PARTS=$(jq -n --arg a "$(cat "$W/dl-parts-a.txt")" \
	    --arg ab "$(cat "$W/dl-parts-a-base.txt")" \
	    --arg b "$(cat "$W/dl-parts-b.txt")" \
	    --arg bb "$(cat "$W/dl-parts-b-base.txt")" \
	    --arg c "$(cat "$W/dl-parts-c.txt")" \
	    --arg cb "$(cat "$W/dl-parts-c-base.txt")" \
	    --arg conns "$(cat "$W"/dl-parts-?.conns | tr '\n' ' ')" \
	    '{runs_wall_s_maxrss_kib_user_s_sys_s: {a_ours: $a, a_curl: $ab,
	      b_ours: $b, b_curl_parallel8: $bb, c_ours: $c, c_curl_seq: $cb},
	      connections_a_b_c_by_round: $conns}')
}

# ============================================================ cap

# The download policy's cap, measured / cap: one download, then two on two
# runners, within +5 % / -10 % over 10 s (the issue's tolerance).
bench_cap()
{
	local f=$W/cap.txt cap one two mbs
	: >"$f"
	say "cap: one download, then two on two runners"
	MM_IT_BIN_API=$ROOT/fcgi/mm-api MM_IT_BIN_JOBD=$ROOT/jobs/mm-jobd \
	    MM_IT_TMP=$W bash "$ROOT/tests/bench/capbench.sh" "$f" \
	    >"$W/capbench.log" 2>&1 ||
	    say "cap: a download did not complete (see $W/capbench.log)"
	cap=$(awk '$1 == "one" { print $3 }' "$f")
	one=$(awk '$1 == "one" { print $2 }' "$f")
	two=$(awk '$1 == "two" { print $2 }' "$f")
	mbs=$(awk -v c="${cap:-0}" 'BEGIN { printf "%g", c / 1e6 }')
	row cap "cap $mbs MB/s, one download over 10 s (B/s)" "$one" "$cap" \
	    "the cap" "ratio>=0.90"
	row cap "cap $mbs MB/s, one download: at most +5 %" "$one" "$cap" \
	    "the cap" "ratio<=1.05"
	row cap "cap $mbs MB/s, two downloads on two runners (B/s)" "$two" \
	    "$cap" "the cap" "ratio>=0.90"
	row cap "cap $mbs MB/s, two downloads: at most +5 %" "$two" "$cap" \
	    "the cap" "ratio<=1.05"
}

# ============================================================ output

print_table()
{
	local fmt='%-64s %11s %11s %8s %-11s %s\n'
	# shellcheck disable=SC2059
	printf "$fmt" "benchmark" "ours" "baseline" "ratio" "target" "result"
	printf '%s\n' "$ROWS" | awk -F'\t' -v fmt="$fmt" 'NF >= 8 {
	    t = $7; gsub(/ratio/, "", t); gsub(/ours/, "", t)
	    if ($7 ~ /^ours/) t = t " abs"
	    printf fmt, $2, $3, $4, $6, t, $8 }'
}

markdown_table()
{
	echo "| benchmark | ours | baseline | ratio | target | result |"
	echo "|---|---:|---:|---:|---|---|"
	printf '%s\n' "$ROWS" | awk -F'\t' 'NF >= 8 {
	    t = $7; if (t == "") t = "-"
	    sub(/^ratio/, "ratio ", t); sub(/^ours/, "ours ", t)
	    printf "| %s | %s | %s (%s) | %s | %s | %s |\n",
	    $2, $3, $4, $5, $6, t, $8 }'
}

write_json()
{
	local stamp=$1 file
	file=$OUT/$stamp.json
	printf '%s\n' "$ROWS" | jq -R -s \
	    --argjson machine "$MACHINE" --arg stamp "$stamp" \
	    --argjson seconds "$((($(date +%s%N) - T0) / 1000000000))" \
	    --argjson list "${DETAILS_LIST:-null}" \
	    --argjson scan "${DETAILS_SCAN:-null}" \
	    --argjson download "${DETAILS_DL:-null}" \
	    --argjson doctor "${DETAILS_DOCTOR:-null}" \
	    --argjson parts "${DETAILS_PARTS:-null}" \
	    --arg settings "wrk -t2 -c$CONNS -d${SECONDS_WRK}s; $RESPONDERS responders; $ROUNDS download rounds (best)" \
	    'def num: if . == "" then null else tonumber end;
	    {time: $stamp, seconds: $seconds, machine: $machine,
	     settings: $settings,
	     rows: [split("\n")[] | select(length > 0) | split("\t") |
	       {section: .[0], name: .[1], ours: (.[2] | num),
	        baseline: (.[3] | num), baseline_name: .[4],
	        ratio: (.[5] | num), target: .[6], result: .[7]}],
	     details: {list: $list, scan: $scan, download: $download,
	       doctor: $doctor, parts: $parts}}' \
	    >"$file.tmp"
	mv "$file.tmp" "$file"
	if [ "$SECTIONS" != " scan list download memory cap doctor parts " ]; then
		printf '%s\n' "$file"
		return 0	# a partial run is not "the latest"
	fi
	cp "$file" "$OUT/latest.json.tmp"
	mv "$OUT/latest.json.tmp" "$OUT/latest.json"
	{
		echo "Run $stamp on $(jq -r '"\(.nproc) cores, \(.cpu), \(.kernel)"' \
		    <<<"$MACHINE"), in $(jq .seconds "$file") s (other work" \
		    "kept $BUSY CPUs busy at the start):"
		echo
		markdown_table
	} >"$OUT/latest.md"
	printf '%s\n' "$file"
}

# ============================================================== main

# stack_and_hub: the stack, a synthetic cache of 100 repos in it, and
# the fast hub with the download benchmark's repos.
stack_and_hub()
{
	local specs=() i ids
	declare -gA HUB_URLS
	HUB_PORT=$(free_port) || die "no free port"
	CDN_HOST=127.0.0.2
	CAP_HOST=127.0.0.3
	HUB_LOCS=$W/hub-locations.conf
	: >"$HUB_LOCS"
	stack_start
	say "stack up on $MM_BASE_URL (HF_ENDPOINT $HF_ENDPOINT)"
	# The curated ids: two become the download targets, the others go
	# into the synthetic cache of the list benchmark.
	ids=$(api_get /api/v2/models | jq -r '.models[].id' | sort -u)
	REPO_1G=$(sed -n 1p <<<"$ids")
	REPO_4G=$(sed -n 2p <<<"$ids")
	REPO_HOSTILE=$(sed -n 3p <<<"$ids")
	REPO_CAP16=$(sed -n 4p <<<"$ids")
	REPO_CAP1=bench/capped-1x512m
	REPO_32=bench/shards-32x32m
	sed 1,4d <<<"$ids" >"$W/ids.txt"
	"$BENCHBIN/mkcache" "$HF_HUB_CACHE" 100 "$W/ids.txt" >/dev/null
	say "hub: writing 1 GiB, 32 x 32 MiB and a sparse 4 GiB file"
	hub_repo "$REPO_1G" "model.safetensors=$GIB=1"
	hub_repo "$REPO_4G" "model.safetensors=$((4 * GIB))=sparse"
	for i in $(seq 1 32); do
		specs+=("$(printf 'model-%05d-of-00032.safetensors' "$i")=$((32 * MIB))=$((100 + i))")
	done
	hub_repo "$REPO_32" "${specs[@]}"
	hub_hostile "$REPO_HOSTILE" 200000 220
	say "hub: writing 512 MiB and 16 x 64 MiB behind the capped CDN"
	hub_capped
	sync
	hub_start
}


main()
{
	local stamp file missed
	check_inputs
	stamp=$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$OUT"
	W=$(mktemp -d "${MM_BENCH_TMP:-/tmp}/mm-bench.XXXXXX")
	chmod 0755 "$W"
	MACHINE=$(machine_json)
	BUSY=$(busy_cpus)
	MACHINE=$(jq --argjson b "$BUSY" '. + {busy_cpus_before: $b}' \
	    <<<"$MACHINE")
	say "bench: $(jq -r '"\(.nproc) cores, \(.cpu), \(.kernel)"' \
	    <<<"$MACHINE"); work dir $W"
	if awk -v b="$BUSY" 'BEGIN { exit !(b > 0.25) }'; then
		say "bench: WARNING: $BUSY CPUs were busy with other work" \
		    "before the start: the figures will be unreliable"
	fi

	[[ $SECTIONS != *" scan "* ]] || bench_scan
	[[ $SECTIONS != *" doctor "* ]] || bench_doctor

	# The stack and the hub serve the list, download and memory parts.
	if [[ $SECTIONS == *" list "* || $SECTIONS == *" download "* ||
	    $SECTIONS == *" memory "* ]]; then
		stack_and_hub
	fi
	[[ $SECTIONS != *" list "* ]] || bench_list
	[[ $SECTIONS != *" download "* ]] || bench_download
	[[ $SECTIONS != *" memory "* ]] || bench_jobs
	[[ $SECTIONS != *" cap "* ]] || bench_cap
	[[ $SECTIONS != *" parts "* ]] || bench_parts

	file=$(write_json "$stamp")
	echo
	print_table
	echo
	missed=$(printf '%s\n' "$ROWS" | awk -F'\t' '$8 == "FAIL"' | wc -l)
	if awk -v b="$BUSY" 'BEGIN { exit !(b > 0.25) }'; then
		say "bench: WARNING: the machine was busy ($BUSY CPUs) when" \
		    "the run started: rerun on a quiet machine"
	fi
	say "bench: $(printf '%s\n' "$ROWS" | awk -F'\t' '$8 == "PASS"' |
	    wc -l) targets met, $missed missed; $file"
	if [ "$missed" -gt 0 ] && [ "${MM_BENCH_STRICT:-0}" = 1 ]; then
		return 1
	fi
	return 0
}

main "$@"
