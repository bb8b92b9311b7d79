#!/usr/bin/env bash
#
# Metrics and audit trail on a stack of two responders against the fake
# hub: after a download (one retried request), a failed download (wrong
# bytes twice: integrity), a delete (refused first: it needs confirmation)
# and a cancel, the counters and byte totals moved by exactly that, two
# responders answer the same counters, promtool accepts the page, the
# scrape token reads the metrics (also with PostgreSQL down) and gets 401
# everywhere else, and the audit lists each action with its user, auth
# kind and outcome, refusals included, newest first, filtered and paged.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || { fail "promtool is missing (make test-deps)"; exit 1; }

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
mkrepo()
{
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" "$@" >/dev/null
}
mkrepo --repo BAAI/bge-m3 --file config.json=1K --file model.safetensors=2M
mkrepo --repo BAAI/bge-large-en-v1.5 --file config.json=1K \
    --file model.safetensors=1M
mkrepo --repo naver/splade-v3 --file config.json=1K \
    --file pytorch_model.bin=4M
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB
MM_METRICS_TOKEN=scrape-$(openssl rand -hex 16)
export MM_METRICS_TOKEN
test_config retry_base_ms 100 retry_max_ms 200 progress_interval_ms 50
MM_RESPONDERS=2 stack_up
T=$(token_for admin)
M=$IT_DIR/metrics.txt

# scrape [TOKEN]: the metrics page into $M (the scrape token by default).
scrape()
{
	api GET /api/v2/models/metrics "${1:-$MM_METRICS_TOKEN}"
	[ "$status" = 200 ] || { fail "scrape: $status $body"; return 1; }
	printf '%s\n' "$body" >"$M"
}

# value SERIES: its value in $M (0 when absent).
value()
{
	awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }' "$M"
}

# settle SERIES N: scrapes until SERIES reads N, which it must reach once
# every process has sent its counts (they do within a second or so); then
# checks it.  The wait is bounded only to end a broken run.
settle()
{
	local i
	for i in $(seq 1 100); do
		scrape || return 1
		[ "$(value "$1")" = "$2" ] && break
		sleep 0.2
	done
	assert_eq "$2" "$(value "$1")" "$1"
}

# --- an empty deployment: every family, promtool-clean -------------------
scrape
assert_ok "promtool accepts the page" promtool check metrics <"$M"
assert_match 'text/plain; version=0.0.4' "$(header Content-Type)" \
    "Prometheus text format"
for fam in mm_downloads_started_total mm_downloads_completed_total \
    mm_downloads_failed_total mm_download_fetched_bytes_total \
    mm_download_retries_total mm_download_stalls_total \
    mm_download_throughput_bytes_per_second mm_tasks_ended_total \
    mm_task_duration_seconds mm_http_requests_total \
    mm_http_request_duration_seconds mm_operations_total \
    mm_cache_scan_duration_seconds mm_queue_depth mm_jobs_running \
    mm_runners_live mm_runner_jobs_running mm_cache_size_bytes \
    mm_cache_free_bytes; do
	grep -q "^# TYPE $fam " "$M" || fail "family $fam has no # TYPE"
	grep -q "^# HELP $fam " "$M" || fail "family $fam has no # HELP"
done
assert_eq 0 "$(value mm_downloads_started_total)" "nothing started yet"
settle mm_runners_live 1
assert_match "^mm_runner_jobs_running\\{runner=\"[^\"]+\"\\} 0\$" \
    "$(grep '^mm_runner_jobs_running{' "$M")" "the runner, by its id"

# --- a failed download: the hub serves wrong bytes (twice) ---------------
hub_fault '{"type":"wrong_bytes","repo":"BAAI/bge-large-en-v1.5","path":"model.safetensors"}'
api POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-large-en-v1.5"}'
assert_eq 200 "$status" "download of bge-large queued"
failed_tid=$(json .task_id)
wait_task "$failed_tid" failed 60
settle 'mm_downloads_failed_total{reason="integrity"}' 1
settle 'mm_tasks_ended_total{operation="download",status="failed"}' 1
assert_eq 1 "$(value mm_downloads_started_total)" "one download started"
assert_eq 0 "$(value mm_downloads_completed_total)" "none completed"
hub_reset

# --- a download, one request of which is retried once ----------------------
bytes0=$(value mm_download_fetched_bytes_total)
retries0=$(value mm_download_retries_total)
size=$((1024 + 2 * 1048576))
hub_fault '{"type":"status500","times":1,"path":"config.json","repo":"BAAI/bge-m3"}'
api POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-m3"}'
assert_eq 200 "$status" "download queued"
dl_tid=$(json .task_id)
wait_task "$dl_tid" completed 60
settle mm_downloads_completed_total 1
settle mm_download_fetched_bytes_total $((bytes0 + size))
settle mm_download_retries_total $((retries0 + 1))
settle 'mm_tasks_ended_total{operation="download",status="completed"}' 1
assert_eq 2 "$(value mm_downloads_started_total)" "two downloads started"
assert_eq 1 "$(value mm_download_throughput_bytes_per_second_count)" \
    "one throughput observation"
assert_eq 2 "$(value 'mm_task_duration_seconds_count{operation="download"}')" \
    "two download durations observed"
settle 'mm_operations_total{operation="download",outcome="pending"}' 2
api GET '/api/v2/models?include_cache_size=true&force_refresh_cache=true' "$T"
scrape
assert_eq 1 "$(value 'mm_cache_size_bytes{kind="total"}' | awk '{ print ($1 >= '"$size"') }')" \
    "the cache gauge counts the download"

# --- a delete: refused (alice's default model: it needs a confirmation),
# then confirmed ------------------------------------------------------------
psql_exec "UPDATE user_preferences SET default_embedding_model = 'BAAI/bge-m3'" >/dev/null
api DELETE '/api/v2/models/cache?model_id=BAAI/bge-m3&confirm=false' "$T"
assert_eq 409 "$status" "delete needs confirmation"
api DELETE '/api/v2/models/cache?model_id=BAAI/bge-m3&confirm=true' "$T"
assert_eq 200 "$status" "confirmed delete queued"
del_tid=$(json .task_id)
wait_task "$del_tid" completed 60
settle 'mm_tasks_ended_total{operation="delete",status="completed"}' 1
settle 'mm_operations_total{operation="delete",outcome="requires_confirmation"}' 1
settle 'mm_operations_total{operation="delete",outcome="pending"}' 1

# --- a cancel of a running download --------------------------------------
hub_fault '{"type":"slow_body","rate":200000,"repo":"naver/splade-v3"}'
api POST /api/v2/models/download "$T" '{"model_id":"naver/splade-v3"}'
cancel_tid=$(json .task_id)
wait_bytes "$cancel_tid" 1
api POST "/api/v2/models/tasks/$cancel_tid/cancel" "$T"
assert_eq 200 "$status" "cancel accepted"
wait_task "$cancel_tid" cancelled 60
settle 'mm_downloads_failed_total{reason="cancelled"}' 1
settle 'mm_tasks_ended_total{operation="download",status="cancelled"}' 1
settle 'mm_operations_total{operation="cancel",outcome="running"}' 1
assert_eq 3 "$(value mm_downloads_started_total)" "three downloads started"
assert_eq 1 "$(value mm_downloads_completed_total)" "still one completed"
hub_reset

# --- refusals: a regular user, an API key, nobody ---------------------------
api POST /api/v2/models/download "$(token_for alice)" '{"model_id":"BAAI/bge-m3"}'
assert_eq 403 "$status" "alice may not download"
key=mmk_$(openssl rand -hex 16)
psql_exec "INSERT INTO api_keys (id, user_id, name, key_hash, is_active)
    SELECT 'kobs', id, 'obs', '$(printf '%s' "$key" | sha256sum | cut -c1-64)',
    true FROM users WHERE username = 'admin'" >/dev/null
api POST /api/v2/models/download "$key" '{"model_id":"BAAI/bge-m3"}'
assert_eq 403 "$status" "an API key is never superuser"
api POST /api/v2/models/download "" '{"model_id":"BAAI/bge-m3"}'
assert_eq 401 "$status" "no token"
settle 'mm_operations_total{operation="download",outcome="forbidden"}' 2
settle 'mm_operations_total{operation="download",outcome="unauthenticated"}' 1
settle 'mm_http_requests_total{endpoint="download",status="401"}' 1

# --- the scrape token: metrics only, also without PostgreSQL --------------
for path in /api/v2/models /api/v2/models/audit \
    "/api/v2/models/tasks/$dl_tid" '/api/v2/models/usage?model_id=BAAI/bge-m3'; do
	api GET "$path" "$MM_METRICS_TOKEN"
	assert_eq 401 "$status" "the scrape token on $path"
done
api POST /api/v2/models/download "$MM_METRICS_TOKEN" '{"model_id":"BAAI/bge-m3"}'
assert_eq 401 "$status" "the scrape token cannot download"
api GET /api/v2/models/metrics "$(token_for alice)"
assert_eq 403 "$status" "a regular user cannot read the metrics"
api GET /api/v2/models/metrics "not-the-token"
assert_eq 401 "$status" "a wrong token cannot read the metrics"
api GET /api/v2/models/metrics "$T"
assert_eq 200 "$status" "a superuser reads the metrics"
pg_down
api GET /api/v2/models/metrics "$MM_METRICS_TOKEN"
assert_eq 200 "$status" "the scrape token works while PostgreSQL is down"
api GET /api/v2/models/metrics "$T"
assert_eq 503 "$status" "a superuser token needs the database"
pg_up

# --- two responders answer the same counters ------------------------------
sleep 1.5	# every responder has sent what it held
declare -A seen=()
same="^mm_(downloads|download_fetched|download_retries|tasks_ended|operations)"
for i in $(seq 1 60); do
	cid=obs-$i-$RANDOM
	api GET /api/v2/models/metrics "$MM_METRICS_TOKEN" "" \
	    -H "X-Correlation-ID: $cid"
	pid=$(grep "cid=$cid " "$MM_VAR/log/mm-api.log" | sed -n 's/.*mm-api\[\([0-9]*\)\].*/\1/p' | head -n 1)
	[ -n "$pid" ] || continue
	grep -E "$same" <<<"$body" >"$IT_DIR/counters.$pid"
	seen[$pid]=1
	[ "${#seen[@]}" -ge 2 ] && break
done
assert_eq 2 "${#seen[@]}" "two responders served the scrapes"
set -- "${!seen[@]}"
assert_ok "both responders answer the same counters" \
    cmp "$IT_DIR/counters.$1" "$IT_DIR/counters.$2"
assert_eq 4 "$(grep -c '^mm_tasks_ended_total{' "$IT_DIR/counters.$1")" \
    "four kinds of task ends"
printf '%s\n' "$body" >"$M"
assert_ok "promtool accepts the final page" promtool check metrics <"$M"

# --- the audit trail ---------------------------------------------------------
api GET '/api/v2/models/audit?limit=1000' "$T"
assert_eq 200 "$status" "audit readable by a superuser"
printf '%s\n' "$body" >"$IT_DIR/audit.json"
ev()	# ev JQ-FILTER: the number of events matching the filter
{
	jq "[.events[] | select($1)] | length" "$IT_DIR/audit.json"
}
assert_eq 1 "$(ev ".event == \"download.requested\" and .task_id == \"$dl_tid\" and .user == \"admin\" and .auth == \"jwt\" and .model_id == \"BAAI/bge-m3\" and .outcome == \"pending\" and .http_status == 200 and (.client | test(\"^127\\\\.\")) and (.correlation_id | length > 0)")" \
    "the download, by admin with a JWT, from the client's address"
assert_eq 1 "$(ev ".event == \"task.ended\" and .task_id == \"$dl_tid\" and .outcome == \"completed\" and .operation == \"download\"")" \
    "the download's end"
assert_eq 1 "$(ev ".event == \"task.ended\" and .task_id == \"$failed_tid\" and .outcome == \"failed\" and (.detail | test(\"hash\"))")" \
    "the failed download's end, with its error"
assert_eq 1 "$(ev '.event == "delete.refused" and .user == "admin" and .http_status == 409 and .outcome == "requires_confirmation" and .confirm == false and (.warnings | length) >= 1')" \
    "the refused delete, with the warnings it showed"
assert_eq 1 "$(ev ".event == \"delete.requested\" and .task_id == \"$del_tid\" and .confirm == true and (.warnings | any(test(\"default embedding model\")))")" \
    "the confirmed delete, with the warnings it acknowledged"
assert_eq 1 "$(ev ".event == \"task.ended\" and .task_id == \"$del_tid\" and .operation == \"delete\" and .outcome == \"completed\"")" \
    "the delete's end"
assert_eq 1 "$(ev ".event == \"task.cancelled\" and .task_id == \"$cancel_tid\" and .user == \"admin\" and .model_id == \"naver/splade-v3\"")" \
    "the cancel"
assert_eq 1 "$(ev ".event == \"task.ended\" and .task_id == \"$cancel_tid\" and .outcome == \"cancelled\"")" \
    "the cancelled download's end"
assert_eq 1 "$(ev '.event == "download.refused" and .user == "alice" and .auth == "jwt" and .http_status == 403')" \
    "alice's refused download"
assert_eq 1 "$(ev '.event == "download.refused" and .user == "admin" and .auth == "api_key" and .http_status == 403')" \
    "the API key's refused download"
assert_eq 0 "$(ev '.user == null and .event != "task.ended"')" \
    "no anonymous request is audited"
assert_eq 4 "$(ev '.event == "task.ended"')" "four task ends"
assert_ok "newest first" jq -e '[.events[].id | split("-") | map(tonumber)] as $ids | $ids == ($ids | sort | reverse)' "$IT_DIR/audit.json"
assert_json '.next_before == null' "one page holds everything"

# Filters and pages.
api GET '/api/v2/models/audit?user=alice' "$T"
assert_json '(.events | length) == 1 and .events[0].user == "alice"' "filter by user"
api GET '/api/v2/models/audit?model_id=naver/splade-v3' "$T"
assert_json '(.events | length) == 3 and all(.events[]; .model_id == "naver/splade-v3")' \
    "filter by model: the download, the cancel, the end"
api GET '/api/v2/models/audit?limit=2' "$T"
assert_json '(.events | length) == 2 and (.next_before | type) == "string"' "a page of two"
first=$(json '.events[].id' | tr '\n' ' ')
next=$(json .next_before)
api GET "/api/v2/models/audit?limit=2&before=$next" "$T"
assert_json '(.events | length) == 2' "the next page"
assert_eq "$(jq -r '.events[2:4][].id' "$IT_DIR/audit.json" | tr '\n' ' ')" \
    "$(json '.events[].id' | tr '\n' ' ')" "the next page follows the first ($first)"
for q in limit=0 limit=1001 limit=x before=abc before=1-2-3; do
	api GET "/api/v2/models/audit?$q" "$T"
	assert_eq 422 "$status" "audit $q"
done
api GET /api/v2/models/audit "$(token_for alice)"
assert_eq 403 "$status" "audit is superuser-only"

# The audit file: one JSON object a line, the same events as the stream.
assert_ok "audit.log is JSON lines" \
    bash -c 'jq -e . "$1" >/dev/null' _ "$MM_VAR/log/audit.log"
assert_eq "$(jq '.events | length' "$IT_DIR/audit.json")" \
    "$(jq -s '[.[] | select(.id != null)] | length' "$MM_VAR/log/audit.log")" \
    "audit.log has every event of the stream"
for secret in "$T" "$key" "$MM_METRICS_TOKEN"; do
	assert_ok "no token in the audit or the metrics" \
	    bash -c '! grep -qF -- "$1" "$2" "$3" "$4"' _ "$secret" \
	    "$MM_VAR/log/audit.log" "$IT_DIR/audit.json" "$M"
done

stack_down
assert_eq 2 "$(grep -c 'stop signal: exiting' "$MM_VAR/log/mm-api.log")" \
    "both responders stopped on multiwatch's signal, sending what they held"
