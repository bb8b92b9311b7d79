#!/usr/bin/env bash
#
# The second wave's corrections to the contract, and the guarantees that
# must hold when someone misuses the service:
# - a trailing slash answers 307 to the path without it (query kept),
#   before authentication, for any method, on every route; a Location can
#   never carry a CR, an LF or a raw byte outside printable ASCII;
# - GET /usage answers 200 for a well-formed model id outside the curated
#   list (installed state and collections by repo id); ids that are not
#   repo ids are still refused before anything is read; downloads and
#   deletes stay curated-only;
# - POST /download of an installed model answers 409 cross_op_exclusion,
#   naming the delete task, while that delete waits; with no claim it
#   answers already_installed and leaves no claim behind;
# - JWTs with an aud claim, a future or unreadable iat, or a crit header
#   are refused (the table of verdicts is in tests/unit/test_jwt.c);
# - two runners with one id: the second exits, naming the id and
#   MM_RUNNER_ID, and the first one's download completes untouched (one
#   attempt); a runner whose heartbeat is taken over stops; after kill -9
#   a runner restarted with the same id resumes its own jobs.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

P=model-manager
RID=it-contract2
C1=1111111111111111111111111111111111111111
M_DL=intfloat/e5-small-v2	# a slow download beside a second runner
M_K9=intfloat/e5-base-v2	# a download through kill -9 of the runner
M_INST=BAAI/bge-base-en-v1.5	# installed, then deleted
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
for m in $M_DL $M_K9; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 --file model.safetensors=3M \
	    >/dev/null
done
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB MM_RUNNER_ID=$RID
# A heartbeat that lapses after 3 s: the runner checks take seconds.
test_config heartbeat_interval_seconds 1 heartbeat_ttl_seconds 3 \
    progress_interval_ms 100 disk_reserve_mb 0
stack_up
T=$(token_for admin)
LOG=$MM_VAR/log/mm-jobd.log

# --- a trailing slash: 307 to the path without it ------------------------

redirects()	# METHOD PATH LOCATION MESSAGE [CURL-ARGS...]
{
	local method=$1 path=$2 want=$3 msg=$4
	shift 4
	api "$method" "$path" "" "" "$@"
	assert_eq 307 "$status" "$msg: 307"
	assert_eq "$want" "$(header Location)" "$msg: Location"
}
redirects GET /api/v2/models/ /api/v2/models "the list"
assert_match '^[0-9a-f]{32}$' "$(header X-Correlation-ID)" \
    "... with a correlation id"
assert_json '.detail == "Temporary Redirect" and (.reference | startswith("ERR-"))' \
    "... and the error body of every non-2xx"
redirects GET "/api/v2/models/?model_type=llm&x=a%2Fb&x=%E2%82%AC" \
    "/api/v2/models?model_type=llm&x=a%2Fb&x=%E2%82%AC" "query string kept"
redirects POST /api/v2/models/download/ /api/v2/models/download \
    "download (POST, no token)" -d '{"model_id":"x"}'
redirects GET "/api/v2/models/usage/?model_id=BAAI/bge-m3" \
    "/api/v2/models/usage?model_id=BAAI/bge-m3" "usage"
redirects DELETE "/api/v2/models/cache/?model_id=BAAI/bge-m3&confirm=true" \
    "/api/v2/models/cache?model_id=BAAI/bge-m3&confirm=true" "cache"
redirects PUT /api/v2/models/usage/ /api/v2/models/usage "any method"
u=0b9c7e1e-1111-4222-8333-444455556666
redirects GET "/api/v2/models/tasks/$u/" "/api/v2/models/tasks/$u" "a task"
redirects POST "/api/v2/models/tasks/$u/cancel/" \
    "/api/v2/models/tasks/$u/cancel" "cancel"
redirects GET "/api/v2/models/tasks/not-a-uuid/" \
    /api/v2/models/tasks/not-a-uuid "a task id is checked after the redirect"
redirects GET /api/v2/models/usage%2F /api/v2/models/usage \
    "an encoded slash"
# A CR LF in the path or the query never reaches the answer's headers.
redirects GET "/api/v2/models/tasks/%0D%0ASet-Cookie:%20mm=1/" \
    "/api/v2/models/tasks/%0D%0ASet-Cookie:%20mm=1" "CR LF in the path"
assert_eq "" "$(header Set-Cookie)" "... no header injected"
redirects GET "/api/v2/models/?a=%0d%0aSet-Cookie:%20mm=1" \
    "/api/v2/models?a=%0d%0aSet-Cookie:%20mm=1" "CR LF in the query"
assert_eq "" "$(header Set-Cookie)" "... no header injected"
redirects GET $'/api/v2/models/tasks/\xff\xfe/?q=\xc3\xa9' \
    "/api/v2/models/tasks/%FF%FE?q=%C3%A9" "raw bytes above ASCII are encoded"
api GET /api/v2/models/ "$T" "" -L
assert_eq 200 "$status" "a client that follows the redirect gets the list"
# Everything else keeps its answer.
api GET /api/v2/models/tasks/
assert_eq 404 "$status" "tasks/ without an id: 404"
api GET /api/v2/models/other/
assert_eq 404 "$status" "an unknown path with a slash: 404"
api GET /api/v2/models/usage
assert_eq 401 "$status" "no slash: authentication as before"

# --- GET /usage of a model outside the curated list ----------------------

# A fixture changes the cache as a job does: responders scan it again.
fixture_done()
{
	redis_cli INCR "$P:cache-generation" >/dev/null
}
fx_repo model someorg/private-embedder "$C1" model.bin:$((2 * MIB))
fixture_done
psql_exec "INSERT INTO collections (id, name, owner_id, vector_store_name,
    embedding_model, quantization) SELECT 'c2', 'private-docs', id, 'v',
    'someorg/private-embedder', 'float16' FROM users WHERE username = 'admin'"
api GET "/api/v2/models/usage?model_id=someorg/private-embedder" "$T"
assert_eq 200 "$status" "usage of an installed model that is not curated"
assert_json '[keys_unsorted[]] == ["model_id","is_installed","size_on_disk_mb","estimated_freed_size_mb","blocked_by_collections","user_preferences_count","llm_config_count","is_default_embedding_model","loaded_in_vecpipe","loaded_vecpipe_model_types","hf_cache_scan_error","vecpipe_query_error","warnings","can_delete","requires_confirmation","estimated_freed_bytes"]' \
    "... the contract's fields in order"
assert_json '.model_id == "someorg/private-embedder" and .is_installed == true and .size_on_disk_mb == 2 and .estimated_freed_size_mb == 2 and .blocked_by_collections == ["private-docs"] and .can_delete == false' \
    "... installed state, size and collections by repo id"
api GET "/api/v2/models/usage?model_id=org/not-curated" "$T"
assert_eq 200 "$status" "usage of a model neither curated nor installed"
assert_json '.is_installed == false and .size_on_disk_mb == null and .blocked_by_collections == [] and .is_default_embedding_model == false' \
    "... not installed, no collections"
for id in "../../etc/passwd" "BAAI/bge-m3/" "a/b/c" "org/x--y" "-org/x" \
    "org/x.git" "$(head -c 97 /dev/zero | tr '\0' a)"; do
	api GET "/api/v2/models/usage?model_id=$(jq -rn --arg v "$id" '$v|@uri')" "$T"
	assert_eq 400 "$status" "usage of the malformed id $id: 400"
	assert_json '.detail | endswith("is not in the curated model list")' \
	    "... with the answer of before"
done
api POST /api/v2/models/download "$T" '{"model_id":"org/not-curated"}'
assert_eq 400 "$status" "download stays curated-only"
api DELETE "/api/v2/models/cache?model_id=someorg/private-embedder" "$T"
assert_eq 400 "$status" "delete stays curated-only"
assert_ok "the repo that is not curated is untouched" \
    test -L "$(repo_dir someorg/private-embedder)/snapshots/$C1/model.bin"

# --- JWTs: aud, iat, crit ------------------------------------------------

now=$(date +%s)
later=$((now + 600))
refused()	# HEADER PAYLOAD MESSAGE
{
	api GET /api/v2/models "$(jwt "$1" "$2")"
	assert_eq 401 "$status" "$3: 401"
	assert_json '.detail == "Invalid authentication credentials"' \
	    "$3: invalid credentials"
}
hs='{"alg":"HS256","typ":"JWT"}'
refused "$hs" "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\",\"aud\":\"semantik\"}" \
    "an aud claim"
refused "$hs" "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\",\"iat\":$((now + 120))}" \
    "an iat in the future"
refused "$hs" "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\",\"iat\":\"yesterday\"}" \
    "an iat that is not an integer"
refused '{"alg":"HS256","typ":"JWT","crit":["exp"]}' \
    "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\"}" "a crit header"
api GET /api/v2/models "$(jwt "$hs" "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\",\"iat\":\"$((now - 5))\",\"aud\":[]}")"
assert_eq 200 "$status" "a numeric-string iat in the past and an empty aud pass, as in PyJWT"

# --- POST /download while a delete of the model waits ---------------------

fx_repo model "$M_INST" "$C1" model.bin:1000
fixture_done
api POST /api/v2/models/download "$T" "{\"model_id\":\"$M_INST\"}"
assert_eq 200 "$status" "download of an installed model"
assert_json '.status == "already_installed" and .task_id == null' \
    "... already_installed"
assert_redis_absent "$P:active:$M_INST" "... and no claim left behind"

# A stopped runner still gets the task from its blocked BLMOVE: the delete
# stays pending until the runner goes on.
jobd=$(pid_of jobd)
kill -STOP "$jobd"
api DELETE "/api/v2/models/cache?model_id=$M_INST&confirm=true" "$T"
assert_eq 200 "$status" "a delete, held pending by the stopped runner"
tdel=$(json .task_id)
api POST /api/v2/models/download "$T" "{\"model_id\":\"$M_INST\"}"
assert_eq 409 "$status" "download while the delete waits: 409"
assert_json '.detail.conflict_type == "cross_op_exclusion" and .detail.detail == "Cannot download: delete is active for this model" and .detail.active_operation == "delete" and .detail.active_task_id == "'"$tdel"'" and .detail.model_id == "'"$M_INST"'"' \
    "... cross_op_exclusion naming the delete task"
assert_eq "delete:$tdel" "$(redis_cli GET "$P:active:$M_INST")" \
    "... the delete's claim is untouched"
kill -CONT "$jobd"
wait_task "$tdel" completed 60 && pass "the delete completed"
assert_file_absent "$(repo_dir "$M_INST")" "... the model is gone"

# --- two runners with one id ---------------------------------------------

# The stack's runner: its program, arguments and environment, to start
# more of it as the same user.
mapfile -d '' argv <"/proc/$jobd/cmdline"
mapfile -d '' envv <"/proc/$jobd/environ"
as=()
if [ "$(id -u)" -eq 0 ]; then
	as=(setpriv --reuid="$MM_USER" --regid="$(id -gn "$MM_USER")"
	    --init-groups --)
fi
# runner_env [DROP]: the runner's environment without variable DROP.
runner_env()
{
	local v
	envb=()
	for v in "${envv[@]}"; do
		case $v in "${1:-}"=*) ;; *) envb+=("$v") ;; esac
	done
}
# restart_runner: a runner like the stack's, recorded as the stack's.
restart_runner()
{
	runner_env
	setsid "${as[@]}" env -i "${envb[@]}" "${argv[@]}" </dev/null \
	    >>"$LOG" 2>&1 &
	printf '%s\n' "$!" >"$MM_VAR/run/jobd.pid"
	disown "$!"
	at_exit "kill -9 $! 2>/dev/null"
}

# 3 MiB at 300 kB/s: about 10 s.
for m in $M_DL $M_K9; do
	hub_fault '{"type":"slow_body","rate":300000,"repo":"'"$m"'","path":"model.safetensors"}'
done
api POST /api/v2/models/download "$T" "{\"model_id\":\"$M_DL\"}"
tdl=$(json .task_id)
wait_bytes "$tdl" 300000
hb=$(redis_cli GET "$P:runner:$RID")
runner_env MM_LOG_FILE
rc=0
timeout 30 setsid "${as[@]}" env -i "${envb[@]}" "${argv[@]}" </dev/null \
    >"$IT_DIR/second.out" 2>&1 || rc=$?
assert_eq 1 "$rc" "a second runner with the same id exits with status 1"
assert_match "runner id \"$RID\".*MM_RUNNER_ID" "$(cat "$IT_DIR/second.out")" \
    "... naming the id and MM_RUNNER_ID"
assert_eq "$hb" "$(redis_cli GET "$P:runner:$RID")" \
    "... the first runner's heartbeat is untouched"
api POST /api/v2/models/download "$T" "{\"model_id\":\"$M_DL\"}"
assert_json '.status == "running" and .task_id == "'"$tdl"'"' \
    "the same download again returns the running task"
wait_task "$tdl" completed 60 && pass "the first runner's download completed"
assert_eq 1 "$(redis_cli HGET "$P:task:$tdl" attempts)" "... in one attempt"
assert_eq 1 "$(grep -c "task=$tdl .*event=job.started" "$LOG")" \
    "... started once"

# A runner whose heartbeat another one took over stops.
redis_cli SET "$P:runner:$RID" someone-else EX 30 >/dev/null
assert_ok "a runner whose heartbeat was taken over stops" \
    wait_for 20 test ! -e "/proc/$jobd"
assert_match "runner id \"$RID\".*taken over" "$(grep 'event=runner.' "$LOG")" \
    "... and says why"
redis_cli DEL "$P:runner:$RID" >/dev/null
restart_runner
started_again()
{
	[ "$(redis_cli EXISTS "$P:runner:$RID")" = 1 ]
}
assert_ok "a runner started again with the id" wait_for 20 started_again

# kill -9: the runner started again with the same id resumes the job.
jobd=$(pid_of jobd)
api POST /api/v2/models/download "$T" "{\"model_id\":\"$M_K9\"}"
tk9=$(json .task_id)
wait_bytes "$tk9" 300000
kill -9 "$jobd"
nresumed()
{
	awk '/event=runner.resumed tasks=1/ { n++ } END { print n + 0 }' "$LOG"
}
resumed_before=$(nresumed)
restart_runner
resumed()
{
	[ "$(nresumed)" -gt "$resumed_before" ]
}
assert_ok "restarted after kill -9, the runner resumes its own job" \
    wait_for 30 resumed
wait_task "$tk9" completed 60 && pass "... which completes"
assert_eq 2 "$(redis_cli HGET "$P:task:$tk9" attempts)" \
    "... in a second attempt"
assert_ok "nothing left in the processing lists" wait_for 10 processing_empty
