#!/usr/bin/env bash
#
# The runner trusts nothing in the queue: at job start it re-reads the
# task, re-checks the model against the curated registry, the claim and
# the status, and counts the attempt.  Each bad entry ends as it should
# and the runner goes on serving.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

stack_up
T=$(token_for admin)
P=model-manager

# task ID MODEL OP STATUS [ATTEMPTS]: writes a task hash.
task()
{
	redis_cli HSET "$P:task:$1" task_id "$1" model_id "$2" operation "$3" \
	    status "$4" bytes_downloaded 0 bytes_total 0 error "" \
	    updated_at 1 attempts "${5:-0}" >/dev/null
}

status_of()	# ID
{
	redis_cli HGET "$P:task:$1" status
}

error_of()
{
	redis_cli HGET "$P:task:$1" error
}

# A task id with no task hash: dropped.
redis_cli LPUSH "$P:queue" 0b9c7e1e-0000-4000-8000-000000000001 >/dev/null

# A model that is not curated (the claim is held, the queue was written by
# someone else).
id2=0b9c7e1e-0000-4000-8000-000000000002
task $id2 org/not-curated download pending
redis_cli SET "$P:active:org/not-curated" "download:$id2" EX 60 >/dev/null
redis_cli LPUSH "$P:queue" $id2 >/dev/null

# A curated model whose claim is not this task's.
id3=0b9c7e1e-0000-4000-8000-000000000003
task $id3 BAAI/bge-m3 download pending
redis_cli SET "$P:active:BAAI/bge-m3" "download:0b9c7e1e-0000-4000-8000-0000000000ff" EX 60 >/dev/null
redis_cli LPUSH "$P:queue" $id3 >/dev/null

# Attempts used up.
id4=0b9c7e1e-0000-4000-8000-000000000004
task $id4 BAAI/bge-small-en-v1.5 download pending 3
redis_cli SET "$P:active:BAAI/bge-small-en-v1.5" "download:$id4" EX 60 >/dev/null
redis_cli LPUSH "$P:queue" $id4 >/dev/null

# Already terminal.
id5=0b9c7e1e-0000-4000-8000-000000000005
task $id5 naver/splade-v3 download completed
redis_cli LPUSH "$P:queue" $id5 >/dev/null

# The queue is empty and so is every runner's processing list.
queue_drained()
{
	[ "$(redis_cli LLEN "$P:queue")" = 0 ] && processing_empty
}
wait_for 20 queue_drained && pass "the runner drained the queue" ||
    fail "entries left: queue '$(redis_cli LRANGE "$P:queue" 0 -1)'," \
    "processing lists: $(redis_cli --scan --pattern "$P:processing:*")"

status_is()	# ID STATUS
{
	[ "$(status_of "$1")" = "$2" ]
}

assert_eq failed "$(status_of $id2)" "not curated: failed"
assert_eq "Model is not in the curated model list" "$(error_of $id2)" \
    "not curated: the reason"
assert_redis_absent "$P:active:org/not-curated" \
    "not curated: its claim released"
assert_eq failed "$(status_of $id3)" "claim not held: failed"
assert_eq "Task no longer holds the claim on its model" "$(error_of $id3)" \
    "claim not held: the reason"
assert_eq "download:0b9c7e1e-0000-4000-8000-0000000000ff" \
    "$(redis_cli GET "$P:active:BAAI/bge-m3")" \
    "claim not held: the other task's claim is left alone"
assert_ok "attempts used up: failed" wait_for 10 status_is $id4 failed
assert_eq "Gave up after 3 attempts" "$(error_of $id4)" \
    "attempts used up: the reason"
assert_eq completed "$(status_of $id5)" "a terminal task is left as it is"
assert_ok "an unknown id is dropped and logged" grep -q \
    'event=job.dropped reason="no such task"' "$MM_VAR/log/mm-jobd.log"

# The runner still serves.
api GET "/api/v2/models/tasks/$id2" "$T"
assert_json '.status == "failed" and .error == "Model is not in the curated model list"' \
    "the API shows the refusal"
assert_ok "mm-jobd is still running" kill -0 "$(pid_of jobd)"
