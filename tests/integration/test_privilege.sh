#!/usr/bin/env bash
#
# Least privilege, checked on a running stack: the responders, their
# supervisor, the job runner and a job child hold no capability and no
# root uid or group; nginx serves static/ and /api/v2/models and nothing
# else (no listing, no dotfiles, no path out of static/), with its header,
# request-line and body limits and its header timeout; var/env and the
# JWT secret are 0600; and no log (nor Redis' data) ever holds the user's
# token, the JWT secret or the HF token, whatever the requests did.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" \
    --repo BAAI/bge-m3 --file config.json=1K --file model.safetensors=2M \
    --gated >/dev/null
node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" \
    --repo naver/splade-v3 --file config.json=1K --gated >/dev/null
HF_SECRET=hf_priv$(openssl rand -hex 16)
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0 --token "$HF_SECRET"
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB HF_TOKEN=$HF_SECRET
stack_up
T=$(token_for admin)
root=0
[ "$(id -u)" -ne 0 ] || root=1

# --- no capability, no root -------------------------------------------

# unprivileged PID WHAT: no capability of any kind, no uid or gid 0.
unprivileged()
{
	local st=/proc/$1/status f
	for f in CapInh CapPrm CapEff CapAmb; do
		assert_eq "0000000000000000" \
		    "$(awk -v f="$f:" '$1 == f { print $2 }' "$st")" "$2: $f"
	done
	assert_eq "" "$(awk '/^(Uid|Gid):/ { for (i = 2; i <= 5; i++)
	    if ($i == 0) print $1 }' "$st")" "$2: no uid or gid 0"
	assert_eq "" "$(awk '/^Groups:/ { for (i = 2; i <= NF; i++)
	    if ($i == 0) print "root" }' "$st")" "$2: not in group root"
}

mw=$(pid_of api)
unprivileged "$mw" "multiwatch"
resp=$(responders)
assert_eq "$MM_RESPONDERS" "$(grep -c . <<<"$resp")" \
    "multiwatch runs $MM_RESPONDERS responders"
for pid in $resp; do
	unprivileged "$pid" "responder $pid"
done
unprivileged "$(pid_of jobd)" "mm-jobd"
unprivileged "$(pid_of redis)" "redis-server"

# A job child: a download slowed down by the hub so it can be looked at.
hub_fault '{"type":"slow_body", "rate":40000,"repo":"BAAI/bge-m3"}'
api POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-m3"}'
assert_eq 200 "$status" "a download starts"
task=$(json .task_id)
child_of_jobd()
{
	child=$(cat /proc/"$(pid_of jobd)"/task/*/children 2>/dev/null |
	    awk '{ print $1 }')
	[ -n "$child" ]
}
if wait_for 20 child_of_jobd; then
	unprivileged "$child" "job child $child"
else
	fail "no job child appeared"
fi

if [ "$root" -eq 1 ]; then
	workers=$(cat /proc/"$(pid_of nginx)"/task/*/children)
	assert_match '[0-9]' "$workers" "nginx has workers"
	for pid in $workers; do
		unprivileged "$pid" "nginx worker $pid"
	done
fi

# --- modes of the secrets -----------------------------------------------

assert_eq "600" "$(stat -c %a "$MM_VAR/env")" "var/env is 0600"
assert_eq "600" "$(stat -c %a "$MM_VAR/jwt_secret")" "jwt_secret is 0600"
if [ "$root" -eq 1 ]; then
	if runuser -u "$MM_USER" -- cat "$MM_VAR/env" >/dev/null 2>&1; then
		fail "the service user can read var/env"
	else
		pass "the service user cannot read var/env"
	fi
fi

# --- what nginx serves --------------------------------------------------

# only STATUS PATH MESSAGE [CURL-ARGS...]: the answer has that status and
# no directory listing.
only()
{
	local want=$1 path=$2 msg=$3
	shift 3
	api GET "$path" "" "" --path-as-is "$@"
	assert_eq "$want" "$status" "$msg"
	if grep -qi 'Index of' <<<"$body"; then
		fail "$msg: a directory listing"
	fi
}
only 200 / "/ is the page"
only 200 /index.html "/index.html"
only 403 /css/ "a directory of static/ is not listed"
only 403 /js/ "... nor js/"
only 404 /env "nothing of var/"
only 404 /conf/mm.yaml "nothing of conf/"
only 404 /.git/config "no dotfile"
only 400 /../conf/mm.yaml "../ out of the root is refused"
only 400 /%2e%2e/conf/mm.yaml "%2e%2e out of the root is refused"
only 404 /static/../Makefile "../ inside the root stays inside"
only 404 /api/ "/api/ is not routed"
only 404 /api/v2/ "/api/v2/ is not routed"
only 404 /api/v2/other "/api/v2/other is not routed"
only 404 /api/v2/modelsx "a prefix of /api/v2/models is not routed"
only 401 /api/v2/models "/api/v2/models reaches the API"
only 401 /api/v2/models/../models "a path normalised into the API"
only 404 /api/v2/models/../../../etc/passwd \
    "/api/v2/models/../../../etc/passwd stays in the root"
assert_eq "" "$(grep -o 'root:' <<<"$body")" "... no /etc/passwd"
for m in PUT PATCH TRACE; do
	api "$m" /index.html
	assert_match '^40[05]$' "$status" "$m on the page is refused"
done

# Limits: a request line over 8 KiB, a header over 8 KiB, a body over
# 64 KiB.
long=$(head -c 9000 /dev/zero | tr '\0' a)
api GET "/api/v2/models?x=$long" "$T"
assert_eq 414 "$status" "a 9 KB request line: 414"
assert_json '.detail == "Request-URI Too Long"' "... a JSON answer"
api GET /api/v2/models "$T" "" -H "X-Long: $long"
assert_eq 400 "$status" "a 9 KB header: 400"
many=()
for i in $(seq 40); do
	many+=(-H "X-Filler-$i: $(head -c 900 /dev/zero | tr '\0' b)")
done
api GET /api/v2/models "$T" "" "${many[@]}"
assert_eq 400 "$status" "36 KB of headers: 400"
api POST /api/v2/models/download "$T" \
    "{\"model_id\":\"$(head -c 70000 /dev/zero | tr '\0' c)\"}"
assert_eq 413 "$status" "a 70 KB body: 413"

# The header timeout: a client that never finishes its headers is
# dropped after client_header_timeout (5 s), answered nothing.
t0=$SECONDS
if exec 3<>"/dev/tcp/127.0.0.1/$MM_PORT"; then
	printf 'GET /api/v2/models HTTP/1.1\r\nHost: x\r\n' >&3
	got=$(timeout 30 cat <&3 || true)
	exec 3<&-
	took=$((SECONDS - t0))
	assert_eq "" "$got" "a slow client gets no answer"
	assert_match '^([4-9]|1[0-4])$' "$took" \
	    "a slow client is dropped after about 5 s (took $took s)"
else
	fail "cannot connect to nginx"
fi

# --- secrets never logged -------------------------------------------------

# Requests that carry the token in every wrong place, a tampered token,
# an expired download error with the HF token in play.
api GET "/api/v2/models?token=$T" ""
assert_eq 401 "$status" "a token in the query string is refused"
api GET "/api/v2/models?model_type=embedding&access_token=$T" ""
assert_eq 401 "$status" "... under another name too"
api GET "/api/v2/models/usage?model_id=$T" "$T"
assert_eq 400 "$status" "a token as a model id is not curated"
api GET "/api/v2/models/tasks/$T" "$T"
assert_match '^(404|422)$' "$status" "a token as a task id"
api GET /api/v2/models "${T}x"
assert_eq 401 "$status" "a tampered token"
api GET /api/v2/models "" "" -H "Authorization: Basic $T"
assert_eq 401 "$status" "the token under another scheme"
api GET /api/v2/models "$T"
assert_eq 200 "$status" "the token where it belongs"
# The gated repo with a wrong HF token fails, naming no token.
api POST /api/v2/models/download "$T" '{"model_id":"naver/splade-v3"}'
assert_eq 200 "$status" "a second download starts"
t2=$(json .task_id)
api POST "/api/v2/models/tasks/$task/cancel" "$T"
assert_eq 200 "$status" "the slow download is cancelled"
wait_task "$task" cancelled 30 && pass "the cancel ended the task"
wait_task "$t2" completed 30 &&
    pass "the gated repo downloads with HF_TOKEN"
[ "$(hub_log | jq '[.[] | select(.role == "main" and .authorization)] |
    length')" -gt 0 ] && pass "the HF token was sent to the hub" ||
    fail "no HF token sent to the hub: the check below proves nothing"

secret=$JWT_SECRET_KEY
stack_down	# every log flushed
# grep exits 1 when it finds nothing, 2 when it cannot read a place.
places=("$MM_VAR/log" "$MM_VAR/redis" "$MM_VAR/pg/postgres.log")
for p in "${places[@]}"; do
	assert_ok "$p is there to be searched" test -e "$p"
done
for what in T secret HF_SECRET; do
	val=${!what}
	assert_exit 1 "no log and no Redis file holds $what" \
	    grep -rIlF -- "$val" "${places[@]}"
done
assert_match "\\?\\[redacted\\]" "$(cat "$MM_VAR/log/nginx-access.log")" \
    "nginx logs a query string with a credential as [redacted]"
assert_match 'model_type=embedding|usage\?\[redacted\]|GET /api/v2/models HTTP' \
    "$(cat "$MM_VAR/log/nginx-access.log")" "... and the rest as sent"
