#!/usr/bin/env bash
#
# The local stack itself (conf/stack.sh, conf/nginx.conf.in): who runs
# what, the env file, the database seed and its read-only role, nginx's
# routing, JSON errors and correlation ids, the static page, idempotent
# start, a taken port, and a stop that leaves nothing behind.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

stack_up

root=0
[ "$(id -u)" -ne 0 ] || root=1

# --- who runs what ----------------------------------------------------

# uid_of PID: the real and effective uid ("1000 1000").
uid_of()
{
	awk '/^Uid:/ { print $2, $3 }' "/proc/$1/status"
}

uid=$(id -u "$MM_USER")
pg_uid=$(id -u)
[ "$root" -eq 0 ] || pg_uid=$(id -u postgres)
mw=$(pid_of api)
responders=$(responders)
assert_eq "$MM_RESPONDERS" "$(wc -w <<<"$responders")" \
    "multiwatch runs $MM_RESPONDERS responders"
for pid in $mw $responders; do
	assert_eq "$uid $uid" "$(uid_of "$pid")" \
	    "$(cat /proc/"$pid"/comm) ($pid) runs as $MM_USER"
done
assert_eq "$uid $uid" "$(uid_of "$(pid_of jobd)")" "mm-jobd runs as $MM_USER"
assert_eq "$uid $uid" "$(uid_of "$(pid_of redis)")" "redis runs as $MM_USER"
assert_eq "$pg_uid $pg_uid" "$(uid_of "$(pid_of postgres)")" \
    "postgres runs as postgres"
if [ "$root" -eq 1 ]; then
	assert_eq "0 0" "$(uid_of "$(pid_of nginx)")" "nginx master is root"
	wuid=$(id -u www-data)
	workers=$(cat /proc/"$(pid_of nginx)"/task/*/children)
	assert_match '[0-9]' "$workers" "nginx has workers"
	for pid in $workers; do
		assert_eq "$wuid $wuid" "$(uid_of "$pid")" \
		    "nginx worker $pid runs as www-data"
	done
	assert_eq "2775 $(id -gn "$MM_USER")" "$(stat -c '%a %G' "$HF_HOME")" \
	    "HF_HOME is setgid and group-writable for $MM_USER's group"
fi
assert_eq "700" "$(stat -c %a "${REDIS_URL#unix://}")" "redis socket is 0700"

# --- the env file -----------------------------------------------------

assert_eq "600" "$(stat -c %a "$MM_VAR/env")" "var/env is mode 0600"
for key in JWT_SECRET_KEY DATABASE_URL REDIS_URL HF_HOME HF_HUB_CACHE \
    HF_ENDPOINT MM_BASE_URL MM_PAGE_URL MM_TOKEN MM_RUN MM_VAR \
    MM_METRICS_TOKEN; do
	assert_match "^$key='[^']" "$(grep "^$key=" "$MM_VAR/env")" \
	    "var/env sets $key"
done
assert_eq "http://127.0.0.1:$MM_PORT" "$MM_BASE_URL" "MM_BASE_URL"
assert_eq "$MM_BASE_URL/#token=$MM_TOKEN" "$MM_PAGE_URL" "MM_PAGE_URL"
assert_eq "$MM_VAR/hf" "$HF_HOME" "HF_HOME defaults to var/hf"
assert_eq "https://huggingface.co" "$HF_ENDPOINT" "HF_ENDPOINT default"
assert_match '^[0-9a-f]{64}$' "$JWT_SECRET_KEY" "a generated JWT secret"
assert_eq "600" "$(stat -c %a "$MM_VAR/jwt_secret")" "jwt_secret is 0600"
# A scrape token of its own: it reads the metrics and nothing else.
assert_match '^[0-9a-f]{64}$' "$MM_METRICS_TOKEN" "a generated scrape token"
assert_eq "600" "$(stat -c %a "$MM_VAR/metrics_token")" \
    "metrics_token is 0600"
api GET /api/v2/models/metrics "$MM_METRICS_TOKEN"
assert_eq 200 "$status" "the generated scrape token reads the metrics"
assert_match '^# HELP ' "$body" "the metrics are the exposition format"
api GET /api/v2/models "$MM_METRICS_TOKEN"
assert_eq 401 "$status" "the scrape token lists no models"

# --- database: demo seed, read-only service role -------------------------

assert_eq "admin|t|t alice|t|f bob|f|f" "$(psql_exec \
    "SELECT username, is_active, is_superuser FROM users ORDER BY id" |
    tr '\n' ' ' | sed 's/ $//')" "demo users"
assert_eq "0" "$(psql_exec "SELECT count(*) FROM users
    WHERE hashed_password NOT LIKE '!%'")" "demo passwords are unusable"
assert_eq "Engineering Wiki,customer-support" "$(psql_exec "SELECT
    string_agg(name, ',' ORDER BY name COLLATE \"C\") FROM collections
    WHERE embedding_model = 'Qwen/Qwen3-Embedding-0.6B'")" \
    "demo collections on Qwen3-Embedding-0.6B"
assert_eq "BAAI/bge-large-en-v1.5" "$(psql_exec "SELECT
    default_embedding_model FROM user_preferences")" "demo preference"
assert_eq "Qwen/Qwen2.5-1.5B-Instruct" "$(psql_exec "SELECT
    high_quality_model FROM llm_provider_configs")" "demo LLM config"
svc_psql=(psql -X -At "$DATABASE_URL")
[ "$root" -eq 0 ] || svc_psql=(runuser -u "$MM_USER" -- "${svc_psql[@]}")
assert_eq "3" "$("${svc_psql[@]}" -c 'SELECT count(*) FROM users')" \
    "the service reads users"
if "${svc_psql[@]}" -c "UPDATE users SET is_superuser = true" \
    >"$IT_DIR/ro.out" 2>&1; then
	fail "the service role could write"
else
	assert_match 'read-only|permission denied' "$(cat "$IT_DIR/ro.out")" \
	    "the service role is read-only"
fi
psql_exec "INSERT INTO users (username, email, hashed_password)
    VALUES ('carol', 'carol@example.invalid', '!disabled')"
assert_eq "1" "$(psql_exec "SELECT count(*) FROM users
    WHERE username = 'carol'")" "the harness inserts rows as postgres"
assert_eq "PONG" "$(redis_cli ping)" "redis answers on its socket"
assert_eq "yes" "$(redis_cli config get appendonly | tail -n 1)" \
    "redis appendonly"

# --- nginx: API errors, correlation ids ---------------------------------

api GET /api/v2/models
assert_eq 401 "$status" "no token: 401"
assert_eq "application/json" "$(header Content-Type)" "401 is JSON"
assert_json '.detail == "Not authenticated"' "401 detail"
cid=$(header X-Correlation-ID)
assert_match '^[A-Za-z0-9._-]{1,64}$' "$cid" "a generated correlation id"
assert_json ".reference == \"ERR-$cid\"" "reference names the id"

api GET /api/v2/models "" "" -H "X-Correlation-ID: it.Stack_01-x"
assert_eq "it.Stack_01-x" "$(header X-Correlation-ID)" \
    "a valid incoming correlation id is reused"
assert_json '.reference == "ERR-it.Stack_01-x"' "... in the reference"

for bad in "has space" "semi;colon" "$(printf 'x%.0s' $(seq 65))"; do
	api GET /api/v2/models "" "" -H "X-Correlation-ID: $bad"
	cid=$(header X-Correlation-ID)
	if [ "$cid" = "$bad" ] || [ -z "$cid" ]; then
		fail "invalid correlation id '$bad' was not replaced ($cid)"
	else
		pass "invalid correlation id '${bad:0:12}' replaced"
	fi
done

big=$(head -c 71680 /dev/zero | tr '\0' 'a')
api POST /api/v2/models/download "" "{\"model_id\":\"$big\"}" \
    -H "X-Correlation-ID: big-1"
assert_eq 413 "$status" "a 70 KiB body: 413"
assert_eq "application/json" "$(header Content-Type)" "413 is JSON"
assert_eq "big-1" "$(header X-Correlation-ID)" "413 carries the id"
assert_eq '{"detail":"Request Entity Too Large","reference":"ERR-big-1"}' \
    "$body" "413 body"

api GET /api/v2/modelsX "" "" -H "X-Correlation-ID: modelsX-1"
assert_eq 404 "$status" "/api/v2/modelsX is not routed to the API"
assert_eq '{"detail":"Not Found","reference":"ERR-modelsX-1"}' "$body" \
    "... nginx answers its JSON 404"
assert_eq "modelsX-1" "$(header X-Correlation-ID)" "... with the correlation id"
# grep exits 1 when it finds nothing.
assert_exit 1 "... and no responder saw it" \
    grep -q "cid=modelsX-1 " "$MM_VAR/log/mm-api.log"

# --- the page -----------------------------------------------------------

api GET /
assert_eq 200 "$status" "/ serves the page"
assert_eq "default-src 'self'" "$(header Content-Security-Policy)" \
    "the page has the CSP header"
assert_eq "$(cat "$IT_ROOT/static/index.html")" "$body" \
    "/ is static/index.html"
assert_eq "" "$(header Server | grep -o '[0-9]')" "no nginx version"
api GET /conf/
assert_eq 404 "$status" "no autoindex, nothing outside static/"

# --- start again, a taken port ------------------------------------------

before=$(cat "$MM_VAR"/run/*.pid | sort | tr '\n' ' ')
if out=$(bash "$IT_STACK" start 2>&1); then
	pass "start on a running stack succeeds"
else
	fail "start on a running stack: $out"
fi
assert_match 'already running' "$out" "... and says so"
assert_match "http://127.0.0.1:$MM_PORT" "$out" "... printing the URL"
assert_eq "$before" "$(cat "$MM_VAR"/run/*.pid | sort | tr '\n' ' ')" \
    "... starting nothing new"
api GET /api/v2/models
assert_eq 401 "$status" "the stack still answers"

other=(env -u DATABASE_URL -u REDIS_URL MM_VAR="$IT_DIR/other"
    MM_RUN="$IT_DIR/o")
if out=$("${other[@]}" bash "$IT_STACK" start 2>&1); then
	fail "a second stack started on a taken port"
	"${other[@]}" bash "$IT_STACK" stop
else
	pass "a taken port fails the start"
fi
assert_match "port $MM_PORT.*MM_PORT" "$out" \
    "the message names the port and MM_PORT"
assert_eq "" "$(compgen -G "$IT_DIR/other/run/*.pid" || true)" \
    "... and nothing was started"

# --- nginx's own 502 when the responders are gone ------------------------

kill -KILL "$mw"
# shellcheck disable=SC2086
kill -TERM $responders
for _ in $(seq 50); do
	alive=0
	for pid in $responders; do
		[ -d "/proc/$pid" ] && alive=1
	done
	[ "$alive" -eq 0 ] && break
	sleep 0.1
done
api GET /api/v2/models "" "" -H "X-Correlation-ID: gone-1"
assert_eq 502 "$status" "no responder: 502"
assert_eq "application/json" "$(header Content-Type)" "502 is JSON"
assert_eq '{"detail":"Bad Gateway","reference":"ERR-gone-1"}' "$body" \
    "502 body"

# --- stop ---------------------------------------------------------------

pids=$(cat "$MM_VAR"/run/*.pid)
for pid in $(cat "$MM_VAR"/run/nginx.pid "$MM_VAR"/run/postgres.pid); do
	pids="$pids $(cat /proc/"$pid"/task/*/children 2>/dev/null)"
done
stack_down
left=""
for pid in $pids; do
	if [ -d "/proc/$pid" ] &&
	    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status"; then
		left="$left $pid($(cat "/proc/$pid/comm"))"
	fi
done
assert_eq "" "$left" "stop leaves no process"
# pgrep exits 1 when no process matches.
assert_exit 1 "no process mentions the stack's directory" \
    pgrep -af -- "$IT_DIR"
if [ -e "$MM_RUN" ]; then
	fail "$MM_RUN still exists"
else
	pass "the socket directory is gone"
fi
if out=$(bash "$IT_STACK" stop 2>&1); then
	pass "stop on a stopped stack is harmless"
else
	fail "stop on a stopped stack: $out"
fi
