	out=$("${as_writer[@]}" node -e "require('net').connect(process.argv[1])
	    .on('connect', () => { console.log('connected'); process.exit(0); })
	    .on('error', (e) => console.log(e.code))" "$MM_RUN/api.sock" 2>&1)
	assert_eq EACCES "$out" \
#!/usr/bin/env bash
#
# The edge under attack (conf/nginx.conf.in, conf/stack.sh):
# - idle connections cannot lock the admin out: while 2,000 connections
#   from 127.0.0.2, each with half a request header, are held by nginx,
#   an authenticated GET /api/v2/models from 127.0.0.1 answers 200;
# - requests in progress are limited per client address: with 100
#   requests from 127.0.0.3 held in their body, one more from that address
#   gets nginx's JSON 429, while 127.0.0.1 is still served;
# - every error nginx makes itself under /api/ (404 for /api/v2/other,
#   /api/v2/modelsX, /api/v2/models;x, 405 for TRACE and CONNECT, 400,
#   414, 413, 501, 505, 429) is the JSON error shape with X-Correlation-ID;
# - every answer under /api/ (the responders' and nginx's, 2xx to 5xx)
#   carries X-Content-Type-Options, X-Frame-Options, Referrer-Policy and a
#   restrictive Content-Security-Policy, once each; the page keeps its CSP;
# - a member of the cache group (and of no other group) cannot read any
#   log file nor the staged configuration, while the cache stays writable
#   for it;
# - a start from an environment that exported var/env (set -a; . var/env)
#   starts the whole stack, its own PostgreSQL and Redis included, while a
#   DATABASE_URL or REDIS_URL that points anywhere else stays external.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

FLOOD=2000	# idle connections from 127.0.0.2
PER_ADDR=100	# limit_conn per address in conf/nginx.conf.in
API_CSP="default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# The flood needs a descriptor per connection in this shell's children.
if [ "$(ulimit -n)" -lt $((FLOOD + 1024)) ]; then
	ulimit -n $((FLOOD + 1024)) ||
	    { fail "cannot raise ulimit -n to $((FLOOD + 1024))"; exit 1; }
fi

# Downloads fail at once: no hub.
export HF_ENDPOINT=http://127.0.0.1:9
stack_up
T=$(token_for admin)

# --- helpers --------------------------------------------------------------

# hold.js COUNT LOCAL-ADDRESS PORT header|body: keeps COUNT connections
# from LOCAL-ADDRESS to 127.0.0.1:PORT, each stuck in its request header
# (half a header) or in its body (a POST of 60 KB, under the body limit,
# whose body trickles a byte a second); one that nginx closes is opened
# again.
cat >"$IT_DIR/hold.js" <<'EOF'
const net = require('net');
const [count, local, port, mode] = [Number(process.argv[2]),
    process.argv[3], Number(process.argv[4]), process.argv[5]];
const head = mode === 'header' ?
    'GET /api/v2/models HTTP/1.1\r\nHost: edge\r\nX-Half: ' :
    'POST /api/v2/models/download HTTP/1.1\r\nHost: edge\r\n' +
    'Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{';
let open = 0;
function one() {
	const s = net.connect({ host: '127.0.0.1', port, localAddress: local });
	let up = false, timer = null;
	s.on('connect', () => {
		up = true;
		if (++open === count)
			console.log('open ' + open);
		s.write(head);
		if (mode === 'body')
			timer = setInterval(() => s.write(' '), 1000);
	});
	s.on('data', () => {});
	s.on('error', () => {});
	s.on('close', () => {
		if (up)
			open--;
		clearInterval(timer);
		setTimeout(one, 50);
	});
}
for (let i = 0; i < count; i++)
	one();
EOF

# hold COUNT ADDRESS MODE: starts hold.js (stopped at exit); its pid in
# $hold_pid.
hold()
{
	node "$IT_DIR/hold.js" "$1" "$2" "$MM_PORT" "$3" \
	    >"$IT_DIR/hold-$2.out" 2>&1 &
	hold_pid=$!
	at_exit "kill $hold_pid 2>/dev/null"
}

# held ADDRESS: how many connections from ADDRESS nginx has accepted
# (those still in the listen queue belong to no process).
held()
{
	ss -Htnp state established "( sport = :$MM_PORT and dst $1 )" |
	    awk '/"nginx"/ { n++ } END { print n + 0 }'
}

# held_all ADDRESS COUNT: nginx holds COUNT connections from ADDRESS.
held_all()
{
	[ "$(held "$1")" -ge "$2" ]
}

# secure MESSAGE: the last answer carries each security header once.
secure()
{
	local h
	for h in "X-Content-Type-Options: nosniff" "X-Frame-Options: DENY" \
	    "Referrer-Policy: no-referrer" \
	    "Content-Security-Policy: $API_CSP"; do
		assert_eq 1 "$(grep -cFx -- "$h" <<<"$headers")" "$1: $h"
	done
}

# nginx_error STATUS DETAIL MESSAGE: the last answer is the JSON error
# shape with its correlation id, and secure.
nginx_error()
{
	local cid
	assert_eq "$1" "$status" "$3: status"
	assert_eq "application/json" "$(header Content-Type)" "$3: JSON"
	cid=$(header X-Correlation-ID)
	assert_match '^[A-Za-z0-9._-]{1,64}$' "$cid" "$3: X-Correlation-ID"
	assert_eq "{\"detail\":\"$2\",\"reference\":\"ERR-$cid\"}" "$body" \
	    "$3: body"
	secure "$3"
}

# raw REQUEST: sends REQUEST (printf format, no arguments) on its own
# connection and sets status, headers and body as api does.
raw()
{
	local resp
	: >"$IT_DIR/raw"
	if exec 3<>"/dev/tcp/127.0.0.1/$MM_PORT"; then
		# shellcheck disable=SC2059
		printf "$1" >&3
		timeout 10 cat <&3 >"$IT_DIR/raw"
		exec 3<&-
	fi
	resp=$(tr -d '\r' <"$IT_DIR/raw")
	headers=$(sed '/^$/q' <<<"$resp")
	body=$(sed '1,/^$/d' <<<"$resp")
	status=$(head -n 1 <<<"$headers" | awk '{ print $2 }')
	status=${status:-000}
}

# --- idle connections do not lock the admin out ---------------------------

hold "$FLOOD" 127.0.0.2 header
flood=$hold_pid
if wait_for 60 held_all 127.0.0.2 "$FLOOD"; then
	pass "nginx holds $FLOOD idle connections from 127.0.0.2"
else
	fail "nginx holds only $(held 127.0.0.2) of $FLOOD idle connections" \
	    "from 127.0.0.2"
fi
API_TIMEOUT=10 api GET /api/v2/models "$T"
assert_eq 200 "$status" "the admin is served from 127.0.0.1 during the flood"
kill "$flood"

# --- requests in progress per address -------------------------------------

hold "$PER_ADDR" 127.0.0.3 body
held_body=$hold_pid
assert_ok "nginx holds $PER_ADDR requests from 127.0.0.3 in their body" \
    wait_for 30 held_all 127.0.0.3 "$PER_ADDR"
limited()
{
	API_TIMEOUT=10 api GET /api/v2/models "$T" "" --interface 127.0.0.3
	[ "$status" = 429 ]
}
if wait_for 20 limited; then
	nginx_error 429 "Too Many Requests" "request $((PER_ADDR + 1)) from 127.0.0.3"
else
	fail "request $((PER_ADDR + 1)) from 127.0.0.3 was not limited" \
	    "(status $status)"
fi
api GET /api/v2/models "$T"
assert_eq 200 "$status" "127.0.0.1 is still served"
kill "$held_body"

# --- nginx's own errors under /api/: JSON, correlation id, headers ---------

for path in /api/v2/other /api/v2/modelsX "/api/v2/models;x" /api/ \
    /api/v2/ /api /api/v2/models/../other; do
	api GET "$path" "$T" "" --path-as-is
	nginx_error 404 "Not Found" "GET $path"
done
api GET /api/v2/other "" "" -H "X-Correlation-ID: edge-404"
assert_eq "edge-404" "$(header X-Correlation-ID)" \
    "nginx's 404 reuses the incoming correlation id"
assert_json '.reference == "ERR-edge-404"' "... in its reference"
api TRACE /api/v2/models "$T"
nginx_error 405 "Method Not Allowed" "TRACE /api/v2/models"
raw 'CONNECT /api/v2/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
nginx_error 405 "Method Not Allowed" "CONNECT"
raw 'get /api/v2/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
nginx_error 400 "Bad Request" "a lowercase method"
raw 'GET /api/v2/models HTTP/1.1\r\nConnection: close\r\n\r\n'
nginx_error 400 "Bad Request" "HTTP/1.1 without Host"
raw 'GET /api/v2/models HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n'
nginx_error 505 "HTTP Version Not Supported" "HTTP/2.0 in plain text"
raw 'POST /api/v2/models/download HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n'
nginx_error 501 "Not Implemented" "an unknown transfer coding"
long=$(head -c 9000 /dev/zero | tr '\0' a)
api GET "/api/v2/models?x=$long" "$T"
nginx_error 414 "Request-URI Too Long" "a 9 KB request line"
api GET /api/v2/models "$T" "" -H "X-Long: $long"
nginx_error 400 "Bad Request" "a 9 KB header"
api POST /api/v2/models/download "$T" \
    "{\"model_id\":\"$(head -c 70000 /dev/zero | tr '\0' c)\"}"
nginx_error 413 "Request Entity Too Large" "a 70 KB body"

# --- the responders' answers carry the headers too ------------------------

api GET /api/v2/models "$T"
assert_eq 200 "$status" "the list"
secure "200 from a responder"
api GET /api/v2/models
assert_eq 401 "$status" "no token"
secure "401 from a responder"
assert_eq 1 "$(grep -ci '^X-Correlation-ID:' <<<"$headers")" \
    "... with one X-Correlation-ID"
api GET /api/v2/models/nothing "$T"
assert_eq 404 "$status" "an unknown path under /api/v2/models/"
secure "404 from a responder"
api PUT /api/v2/models "$T"
assert_eq 405 "$status" "an unknown method on /api/v2/models"
secure "405 from a responder"
api GET /api/v2/models/usage "$T"
assert_eq 422 "$status" "usage without model_id"
secure "422 from a responder"
api GET /
assert_eq 200 "$status" "the page"
assert_eq "default-src 'self'" "$(header Content-Security-Policy)" \
    "the page keeps its own CSP"
assert_eq "nosniff" "$(header X-Content-Type-Options)" "... and nosniff"

# --- logs and configuration are not the cache group's ---------------------

if [ "$(id -u)" -eq 0 ]; then
	cache_group=$(id -gn "$MM_USER")
	writer=mm-edge-writer
	if ! getent passwd "$writer" >/dev/null; then
		useradd --system --gid "$cache_group" --home-dir /nonexistent \
		    --no-create-home --shell /usr/sbin/nologin "$writer"
		at_exit "userdel $writer"
	fi
	# It reaches the cache, as any cache writer does; mktemp made the
	# stack's directory 0700.
	setfacl -m "u:$writer:x" "$IT_DIR"
	as_writer=(setpriv --reuid="$writer" --regid="$cache_group" \
	    --init-groups --)
	assert_eq "$cache_group" "$(id -Gn "$writer")" \
	    "$writer is in the cache group $cache_group only"
	assert_ok "$writer writes in the cache" \
	    "${as_writer[@]}" touch "$HF_HUB_CACHE/.edge-probe"
	rm -f "$HF_HUB_CACHE/.edge-probe"
	assert_ok "$writer reads the page (setpriv works)" \
	    "${as_writer[@]}" dd if="$MM_RUN/stage/static/index.html" of=/dev/null \
	    count=1 status=none
	private=()
	for f in mm-api.log mm-jobd.log nginx-access.log nginx-error.log \
	    redis.log spawn-fcgi.log audit.log; do
		assert_ok "$f exists" test -f "$MM_VAR/log/$f"
		private+=("$MM_VAR/log/$f")
	done
	private+=("$MM_RUN/stage/conf/mm.yaml" "$MM_RUN/redis.conf"
	    "$MM_VAR/nginx/nginx.conf")
	for f in "$MM_RUN"/stage/conf/models/*; do
		private+=("$f")
	done
	assert_match 'models/' "${private[*]}" "the staged models conf exists"
	for f in "${private[@]}"; do
		out=$("${as_writer[@]}" head -c 1 "$f" 2>&1 >/dev/null) &&
		    out="read it"
		assert_match 'Permission denied' "$out" \
		    "$writer cannot read ${f#"$MM_VAR"/}"
	done
	assert_none_found "$MM_VAR/log" "no log file has a mode for others" \
	    -perm /o=rwx
	out=$("${as_writer[@]}" redis-cli -s "${REDIS_URL#unix://}" ping 2>&1) ||
	    out="$out (exit $?)"
	assert_match 'Permission denied' "$out" "$writer cannot reach Redis"
	out=$("${as_writer[@]}" node -e "require('net').connect(process.argv[1])
	    .on('connect', () => { console.log('connected'); process.exit(0); })
	    .on('error', (e) => console.log(e.code))" "$MM_RUN/api.sock" 2>&1)
	assert_eq EACCES "$out" "$writer cannot reach the responders' socket"
	for f in mm-api.log mm-jobd.log redis.log; do
		assert_match '[a-z]' "$(cat "$MM_VAR/log/$f")" \
		    "the services still write $f"
	done
	assert_ok "$MM_USER reads its configuration" \
	    runuser -u "$MM_USER" -- dd if="$MM_RUN/stage/conf/mm.yaml" \
	    of=/dev/null count=1 status=none
fi

# --- a start from var/env's environment is the whole stack ----------------

# _it_start exported var/env's variables, as set -a; . var/env does.
own_db=$DATABASE_URL own_redis=$REDIS_URL
stack_down
IT_UP=1
if DATABASE_URL="postgresql:///semantik?host=$IT_DIR/elsewhere&user=$MM_USER" \
    REDIS_URL="redis://127.0.0.1:1/0" \
    bash "$IT_STACK" start >>"$IT_DIR/start.log" 2>&1; then
	pass "a start with external URLs"
	assert_file_absent "$MM_VAR/run/postgres.pid" \
	    "... starts no PostgreSQL for another socket path"
	assert_file_absent "$MM_VAR/run/redis.pid" \
	    "... nor a Redis for a TCP host"
	assert_match "^DATABASE_URL='postgresql:///semantik\\?host=$IT_DIR/elsewhere" \
	    "$(grep '^DATABASE_URL=' "$MM_VAR/env")" "... and passes the URL on"
else
	fail "a start with external URLs: $(tail -n 5 "$IT_DIR/start.log")"
fi
stack_down
assert_eq "$own_db $own_redis" "$DATABASE_URL $REDIS_URL" \
    "the environment holds var/env's own URLs"
_it_start
assert_ok "conf/stack.sh status: the whole stack runs" \
    bash "$IT_STACK" status
assert_eq "PONG" "$(redis_cli ping)" "our Redis runs again"
assert_eq "3" "$(psql_exec 'SELECT count(*) FROM users')" \
    "our PostgreSQL runs again"
api POST /api/v2/models/download "$(token_for admin)" \
    '{"model_id":"BAAI/bge-m3"}'
assert_eq 200 "$status" "a download (database and Redis) is accepted"
