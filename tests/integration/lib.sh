# shellcheck shell=bash
# tests/integration/lib.sh: the harness, sourced by each test_*.sh.
#
#	. "$(dirname "$0")/lib.sh"
#	stack_up			# a fresh stack of its own
#	api GET /api/v2/models "$(token_for admin)"
#	assert_eq 200 "$status" "superuser lists the models"
#	assert_json '.models | length > 0' "the list is not empty"
#
# stack_down runs at exit.  The exit status is the verdict: 1 when an
# assertion failed, the script itself failed, `stop` failed, or a
# sanitizer report was written by any process of the stack.  A failed
# test keeps its directory (path printed) for the logs.
#
# Settings a test may export before stack_up: anything conf/stack.sh reads
# (MM_RESPONDERS, MM_CONFIG, HF_ENDPOINT, HF_TOKEN, SEARCH_API_URL, ...).
# MM_IT_BIN_API / MM_IT_BIN_JOBD replace the sanitizer builds.

set -euo pipefail

IT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
IT_STACK=$IT_ROOT/conf/stack.sh
# shellcheck source=tests/free_port.sh
. "$IT_ROOT/tests/free_port.sh"
IT_DIR=""
IT_UP=0

# A test starts from a clean environment: nothing of the operator's
# deployment (database, Redis, cache, secrets) may leak into it.
unset DATABASE_URL REDIS_URL JWT_SECRET_KEY HF_HOME HF_HUB_CACHE \
    HUGGINGFACE_HUB_CACHE HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT \
    HF_HUB_OFFLINE TRANSFORMERS_OFFLINE DEFAULT_EMBEDDING_MODEL \
    SEARCH_API_URL MM_ROOT MM_VAR MM_RUN MM_HOST MM_PORT MM_RESPONDERS \
    MM_BIN_API MM_BIN_JOBD MM_CONFIG MM_USER MM_SUPERUSER MM_RUNNER_ID \
    MM_PG_TEMPLATE MM_TOKEN MM_BASE_URL MM_TEST_CLOCK_OFFSET_SECONDS

# The assertions: pass, fail, assert_eq, assert_match, assert_status,
# assert_json, assert_jq, assert_ok, assert_exit, assert_no_output,
# assert_file_absent, assert_none_found, assert_empty_dir.
# shellcheck source=tests/integration/assert.sh
. "$IT_ROOT/tests/integration/assert.sh"

# skip REASON: the test does not apply here; exits 0.
IT_SKIP=0
skip()
{
	printf 'skipped: %s\n' "$*"
	IT_SKIP=1
	exit 0
}

# json JQ-EXPRESSION: prints the (raw) value of the expression on $body.
json()
{
	jq -r "$1" <<<"$body"
}

# ----------------------------------------------------------- the stack

# A stack of its own: MM_VAR a fresh temporary directory, a free loopback
# port, the sanitizer builds with their reports written to $IT_DIR/asan.
# Exports the settings of its env file (MM_BASE_URL, DATABASE_URL, ...).
stack_up()
{
	local tpl
	if [ -n "$IT_DIR" ]; then
		# A second stack in one test: forget what the first exported.
		stack_down
		case ${HF_HOME:-} in "$IT_DIR"/*) unset HF_HOME ;; esac
		case ${HF_HUB_CACHE:-} in "$IT_DIR"/*) unset HF_HUB_CACHE ;; esac
		unset DATABASE_URL REDIS_URL JWT_SECRET_KEY MM_PGHOST MM_TOKEN \
		    MM_PAGE_URL MM_BASE_URL
		[ "$IT_FAILS" -gt 0 ] || rm -rf "$IT_DIR"
	fi
	IT_DIR=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-it.XXXXXX")
	if [ -n "${MM_IT_SHARED:-}" ]; then
		# run.sh stops whatever a killed test left running.
		printf '%s\n' "$IT_DIR" >>"$MM_IT_SHARED/stacks"
		# One initdb per run, copied by every stack (~0.1 s instead
		# of ~0.6 s).
		tpl=$MM_IT_SHARED/pgdata
		[ -d "$tpl" ] || bash "$IT_STACK" initdb "$tpl" >/dev/null
		export MM_PG_TEMPLATE=$tpl
	fi
	mkdir -m 1777 "$IT_DIR/asan"
	export MM_VAR=$IT_DIR MM_RUN=$IT_DIR/s MM_HOST=127.0.0.1
	MM_PORT=$(free_port) || { fail "no free port"; exit 1; }
	export MM_PORT
	export MM_RESPONDERS=${MM_RESPONDERS:-2}
	export MM_BIN_API=${MM_IT_BIN_API:-$IT_ROOT/build/san/fcgi/mm-api}
	export MM_BIN_JOBD=${MM_IT_BIN_JOBD:-$IT_ROOT/build/san/jobs/mm-jobd}
	export ASAN_OPTIONS="log_path=$IT_DIR/asan/asan:abort_on_error=1:halt_on_error=1:detect_leaks=1"
	export UBSAN_OPTIONS="log_path=$IT_DIR/asan/ubsan:print_stacktrace=1:halt_on_error=1"
	export LSAN_OPTIONS="log_path=$IT_DIR/asan/lsan"
	# The tests run without update checks of their own (hub requests a
	# test does not expect) unless they ask for them (test_config).
	[ -n "${MM_CONFIG:-}" ] || test_config
	printf 'stack: %s (port %s)\n' "$IT_DIR" "$MM_PORT"
	_it_start
}

# Stops and starts the same stack again, its data kept, from the
# environment its env file exported (its own PostgreSQL and Redis URLs
# count as its own: they are started again).
stack_restart()
{
	stack_down
	_it_start
}

_it_start()
{
	IT_UP=1
	if ! bash "$IT_STACK" start >>"$IT_DIR/start.log" 2>&1; then
		cat "$IT_DIR/start.log"
		fail "conf/stack.sh start"
		exit 1
	fi
	set -a
	# shellcheck disable=SC1091
	. "$IT_DIR/env"
	set +a
}

# Stops the stack and fails the test on any sanitizer report.
stack_down()
{
	local f reports
	[ "$IT_UP" -eq 1 ] || return 0
	IT_UP=0
	bash "$IT_STACK" stop >>"$IT_DIR/stop.log" 2>&1 ||
	    fail "conf/stack.sh stop: $(cat "$IT_DIR/stop.log")"
	reports=$(find "$IT_DIR/asan" -maxdepth 1 -type f 2>/dev/null)
	for f in $reports; do
		fail "sanitizer report $f:"
		head -n 60 "$f"
		# Reported once, kept for the record.
		mkdir -p "$IT_DIR/asan/reported"
		mv "$f" "$IT_DIR/asan/reported/"
	done
}

# at_exit COMMAND: run COMMAND (a string) at exit, after stack_down.
IT_AT_EXIT=()
at_exit()
{
	IT_AT_EXIT+=("$1")
}

_it_exit()
{
	local rc=$? c
	set +e
	stack_down
	_it_stop_fakes
	for c in "${IT_AT_EXIT[@]}"; do
		eval "$c"
	done
	if [ "$rc" -ne 0 ]; then
		fail "the test script exited with status $rc"
	fi
	[ "$IT_SKIP" -eq 0 ] || exit 0
	if ! assert_verdict; then
		[ -z "$IT_DIR" ] || printf 'kept %s\n' "$IT_DIR"
		exit 1
	fi
	[ -z "$IT_DIR" ] || rm -rf "$IT_DIR"
	exit 0
}
trap _it_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# ------------------------------------------------------------- clients

# api METHOD PATH [TOKEN [BODY [CURL-ARGS...]]]: an HTTP request to the
# stack; sets status (000 when no answer), body and headers (CR-less).
# A non-empty BODY is sent as application/json unless CURL-ARGS name
# another Content-Type.
api()
{
	local method=$1 path=$2 token=${3:-} data=${4:-} out=$IT_DIR/api
	local -a args=(-sS -X "$method" -o "$out.body" -D "$out.headers"
	    -w '%{http_code}' --max-time "${API_TIMEOUT:-30}")
	shift $(($# < 4 ? $# : 4))
	[ -z "$token" ] || args+=(-H "Authorization: Bearer $token")
	if [ -n "$data" ]; then
		printf '%s' "$data" >"$out.data"
		args+=(--data-binary "@$out.data")
		case " ${*,,} " in
		*content-type:*) ;;
		*) args+=(-H 'Content-Type: application/json') ;;
		esac
	fi
	: >"$out.body"
	: >"$out.headers"
	# shellcheck disable=SC2034 # status, body, headers: for the tests
	status=$(curl "${args[@]}" "$@" "$MM_BASE_URL$path" 2>"$out.err") ||
	    status=000
	body=$(cat "$out.body")
	headers=$(tr -d '\r' <"$out.headers")
}

# header NAME: the value of response header NAME of the last api call
# (empty when absent).
header()
{
	{ grep -i "^$1:" <<<"$headers" || true; } | tail -n 1 |
	    sed 's/^[^:]*:[[:space:]]*//'
}

# token_for USER: a signed access token for USER (mm-api -T).
token_for()
{
	"$MM_BIN_API" -f "${MM_CONFIG:-$MM_RUN/stage/conf/mm.yaml}" -T "$1"
}

# b64url STRING: base64url without padding.
b64url()
{
	printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='
}

# jwt HEADER-JSON PAYLOAD-JSON [KEY]: an HS256-signed token (any header),
# signed with KEY (default: the stack's JWT_SECRET_KEY).
jwt()
{
	local h p sig
	h=$(b64url "$1")
	p=$(b64url "$2")
	sig=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -hmac \
	    "${3:-$JWT_SECRET_KEY}" -binary | base64 -w0 | tr '+/' '-_' |
	    tr -d '=')
	printf '%s.%s.%s' "$h" "$p" "$sig"
}

# psql_exec [SQL]: SQL (or stdin) as the database superuser on the
# stack's own cluster; prints unaligned tuples.
psql_exec()
{
	local bin
	bin=$(pg_config --bindir)
	local -a as=()
	[ "$(id -u)" -ne 0 ] || as=(runuser -u postgres --)
	if [ $# -gt 0 ]; then
		"${as[@]}" "$bin/psql" -X -q -At -v ON_ERROR_STOP=1 \
		    -h "$MM_PGHOST" -U postgres -d semantik -c "$1"
	else
		"${as[@]}" "$bin/psql" -X -q -At -v ON_ERROR_STOP=1 \
		    -h "$MM_PGHOST" -U postgres -d semantik -f -
	fi
}

# redis_cli ARGS...: redis-cli on the stack's Redis.
redis_cli()
{
	redis-cli -s "${REDIS_URL#unix://}" "$@"
}

# assert_redis_absent KEY MESSAGE: KEY does not exist (a Redis that does
# not answer fails the check).
assert_redis_absent()
{
	assert_eq 0 "$(redis_cli EXISTS "$1")" "$2"
}

# assert_no_redis_keys PATTERN MESSAGE: no key matches PATTERN.
assert_no_redis_keys()
{
	assert_no_output "$2" redis_cli --scan --pattern "$1"
}

# processing_empty: every runner's processing list is empty (1 when one
# is not, or Redis does not answer).
processing_empty()
{
	local keys k
	keys=$(redis_cli --scan --pattern 'model-manager:processing:*') ||
	    return 1
	for k in $keys; do
		[ "$(redis_cli LLEN "$k")" = 0 ] || return 1
	done
}

# pid_of NAME: the recorded pid of a stack component (nginx, api =
# multiwatch, jobd, redis, postgres).
pid_of()
{
	head -n 1 "$MM_VAR/run/$1.pid"
}

# responders: the pids of the responders (multiwatch's children), one a
# line, sorted.
responders()
{
	tr ' ' '\n' </proc/"$(pid_of api)"/task/*/children | grep . | sort -n
}

# repo_dir ID: the cache folder of model ID.
repo_dir()
{
	printf '%s/models--%s' "$HF_HUB_CACHE" "${1//\//--}"
}

# wait_task TASK-ID STATUS [SECONDS]: polls the task (token $T) until it
# has STATUS (0) or another final status, or SECONDS (30) pass (a failed
# assertion, 1).  The last answer is left in $body, and every
# bytes_downloaded seen in $IT_DIR/progress.
wait_task()
{
	local s deadline=$((SECONDS + ${3:-30}))
	: >"$IT_DIR/progress"
	while [ "$SECONDS" -lt "$deadline" ]; do
		api GET "/api/v2/models/tasks/$1" "$T"
		json .bytes_downloaded >>"$IT_DIR/progress" 2>/dev/null
		s=$(json .status 2>/dev/null)
		[ "$s" = "$2" ] && return 0
		case $s in
		completed|failed|cancelled|not_installed|already_installed)
			break ;;
		esac
		sleep 0.1
	done
	fail "task $1: expected $2, got ${s:-?}: $body"
	return 1
}

# wait_bytes TASK-ID N: polls until the task has N bytes on disk (30 s).
wait_bytes()
{
	local deadline=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$deadline" ]; do
		api GET "/api/v2/models/tasks/$1" "$T"
		[ "$(json .bytes_downloaded)" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "task $1 never reached $2 bytes: $body"
	return 1
}

# ------------------------------------------------------------- faults

_it_as_pg()
{
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# pg_down / pg_up: stop and start the stack's PostgreSQL in place.
pg_down()
{
	_it_as_pg "$(pg_config --bindir)/pg_ctl" -D "$MM_VAR/pg/data" \
	    -m fast -w -s stop
}

pg_up()
{
	_it_as_pg "$(pg_config --bindir)/pg_ctl" -D "$MM_VAR/pg/data" \
	    -l "$MM_VAR/pg/postgres.log" -w -s -o "-c listen_addresses='' \
	    -c unix_socket_directories='$MM_PGHOST'" start >/dev/null
	# The new server's pid, so that stack_down stops this one.
	head -n 1 "$MM_VAR/pg/data/postmaster.pid" >"$MM_VAR/run/postgres.pid"
}

# redis_down / redis_up: stop the stack's Redis (SHUTDOWN flushes the
# append-only file) and start it again as conf/stack.sh does; the
# responders and the runner reconnect by themselves.
redis_down()
{
	redis_cli SHUTDOWN >/dev/null 2>&1 || true
	wait_for 10 _it_redis_gone
}

_it_redis_gone()
{
	! redis_cli PING >/dev/null 2>&1
}

redis_up()
{
	bash "$IT_STACK" restart-redis >>"$IT_DIR/start.log" 2>&1
}

# wait_for SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds;
# 1 when it never did.
wait_for()
{
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# start_fake NAME COMMAND...: starts a fake server (fake hub, fake VecPipe)
# that prints "... listening on URL"; sets FAKE_URL and records its pid
# (stopped at exit).
IT_FAKES=""
start_fake()
{
	local name=$1 log line
	shift
	log=$(mktemp "${MM_IT_TMP:-/tmp}/mm-$name.XXXXXX")
	"$@" >"$log" 2>&1 &
	IT_FAKES="$IT_FAKES $!"
	at_exit "rm -f '$log'"
	if ! wait_for 15 grep -q 'listening on' "$log"; then
		cat "$log"
		fail "$name did not start"
		exit 1
	fi
	line=$(grep -m1 'listening on' "$log")
	FAKE_URL=${line##* }
}

_it_stop_fakes()
{
	local pid
	for pid in $IT_FAKES; do
		kill "$pid" 2>/dev/null || true
	done
	IT_FAKES=""
}

# test_config KEY VALUE...: a copy of conf/mm.yaml (with the model files
# beside it) where each KEY (a leaf key such as stall_seconds) has VALUE,
# and check_interval_seconds is 0 unless given; exports MM_CONFIG for
# stack_up and token_for.
test_config()
{
	local d
	d=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-conf.XXXXXX")
	at_exit "rm -rf '$d'"
	cp -r "$IT_ROOT/conf/models" "$IT_ROOT/conf/mm.yaml" "$d/"
	set -- check_interval_seconds 0 "$@"
	while [ $# -ge 2 ]; do
		grep -Eq "^  $1:" "$d/mm.yaml" ||
		    { fail "test_config: no key $1"; exit 1; }
		sed -i -E "s|^(  $1:)[^#]*|\\1 $2  |" "$d/mm.yaml"
		shift 2
	done
	chmod -R a+rX "$d"
	export MM_CONFIG=$d/mm.yaml
}

# hub_log: the fake hub's request log ($HUB must be set) as a JSON array.
hub_log()
{
	curl -sf "$HUB/_admin/log"
}

# hub_fault JSON: adds a fault to the fake hub ($HUB).
hub_fault()
{
	curl -sf -X POST -d "$1" "$HUB/_admin/faults" >/dev/null ||
	    fail "the fake hub refused the fault $1"
}

# hub_reset: clears the fake hub's faults and request log.
hub_reset()
{
	curl -sf -X POST "$HUB/_admin/reset" >/dev/null ||
	    fail "the fake hub did not reset"
}

# vecpipe_mode MODE [MODELS-JSON]: how the fake VecPipe ($VP) answers.
vecpipe_mode()
{
	curl -sf -X POST -d "{\"mode\":\"$1\",\"models\":${2:-[]}}" \
	    "$VP/_admin/mode" >/dev/null || fail "the fake VecPipe refused mode $1"
}
