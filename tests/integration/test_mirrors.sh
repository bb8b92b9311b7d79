#!/usr/bin/env bash
#
# Mirrors with fail-over (hub.mirrors, hub.token_origins), end to end with
# two fake hubs serving the same repositories: the primary (HF_ENDPOINT)
# killed mid-download, the download goes on from the mirror with Range
# (the mirror's log shows ranges starting where the primary stopped, and
# no byte fetched twice beyond one checkpoint per part); the primary dead
# from the start, the metadata and the files come from the mirror;
# progress names the source in use; the token goes to the primary (the
# default token_origins) and never to the mirror; a bad mirror URL is
# refused at start.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

MIB=1048576
SIZE=$((8 * MIB))
CKPT=262144
TOTAL=$((700 + SIZE))
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
for m in intfloat/e5-small-v2 intfloat/e5-base-v2; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 \
	    --file model.safetensors=8M >/dev/null
done
node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" \
    --repo BAAI/bge-base-en-v1.5 --file model.safetensors=1M >/dev/null
PLOG=$(mktemp "${MM_IT_TMP:-/tmp}/mm-primary.XXXXXX")
at_exit "rm -f '$PLOG'"
start_fake primary node "$IT_ROOT/tests/fakehub/fakehub.js" \
    --root "$HUBROOT" --port 0 --token hf_goodtoken --log "$PLOG"
PRIMARY=$FAKE_URL
PRIMARY_PID=${IT_FAKES##* }
start_fake mirror node "$IT_ROOT/tests/fakehub/fakehub.js" \
    --root "$HUBROOT" --port 0 --token hf_goodtoken
MIRROR=$FAKE_URL

# --- a bad mirror URL is refused at start ----------------------------------

for bad in "ftp://m.example" "https://u:p@m.example" "https://m.example/?x=1"; do
	test_config mirrors "[\"$bad\"]"
	for bin in "${MM_IT_BIN_JOBD:-$IT_ROOT/build/san/jobs/mm-jobd}" \
	    "${MM_IT_BIN_API:-$IT_ROOT/build/san/fcgi/mm-api}"; do
		out=$(JWT_SECRET_KEY=x "$bin" -n -f "$MM_CONFIG" 2>&1) &&
		    fail "$(basename "$bin") -n accepted the mirror $bad"
		assert_match "hub\\.mirrors: item 1 is not a valid mirror URL" \
		    "$out" "$(basename "$bin") -n refuses the mirror $bad"
	done
done
test_config mirrors "[\"$MIRROR/\"]"
assert_ok "mm-jobd -n accepts a good mirror list" env JWT_SECRET_KEY=x \
    "${MM_IT_BIN_JOBD:-$IT_ROOT/build/san/jobs/mm-jobd}" -n -f "$MM_CONFIG"

export HF_ENDPOINT=$PRIMARY HF_TOKEN=hf_goodtoken
test_config mirrors "[\"$MIRROR/\"]" mirror_cooldown_seconds 60 \
    stall_seconds 2 retry_max 1 retry_base_ms 100 retry_max_ms 200 \
    progress_interval_ms 100 disk_reserve_mb 0 part_min_bytes 4194304 \
    checkpoint_bytes "$CKPT"
stack_up
T=$(token_for admin)

start()		# MODEL: starts a download, sets tid
{
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	tid=$(json .task_id)
	[ "$tid" != null ] || fail "no task for $1: $body"
}

completed_ok()	# MODEL MESSAGE: the task completed, the file byte-identical
{
	wait_task "$tid" completed 30 || return 0
	assert_json ".bytes_downloaded == $TOTAL and .source == null" \
	    "$2: completed with every byte, no source once ended"
	local repo c
	repo=$(repo_dir "$1")
	c=$(cat "$repo/refs/main" 2>/dev/null)
	assert_ok "$2: content byte-identical" \
	    cmp "$repo/snapshots/$c/model.safetensors" \
	    "$HUBROOT/$1/model.safetensors"
}

wait_source()	# URL: the running task's progress names it
{
	local deadline=$((SECONDS + 20))
	while [ "$SECONDS" -lt "$deadline" ]; do
		api GET "/api/v2/models/tasks/$tid" "$T"
		[ "$(json .source)" = "$1" ] && return 0
		[ "$(json .status)" = running ] || break
		sleep 0.05
	done
	fail "the progress never named $1 as its source: $body"
	return 1
}

jqok()		# JQ-ARGS...: jq -e, quiet
{
	jq -e "$@" >/dev/null
}

mirror_log()	# MODEL: the mirror's requests for it
{
	HUB=$MIRROR hub_log | jq --arg r "$1" '[.[] | select(.repo == $r)]'
}

# --- the primary dies mid-download: the mirror goes on with Range ----------

M=intfloat/e5-small-v2
# 4 connections at 256 KiB/s each on the primary: 8 MiB take 8 s.
HUB=$PRIMARY hub_fault '{"type":"slow_body","rate":262144,"path":"model.safetensors"}'
HUB=$MIRROR hub_fault '{"type":"slow_body","rate":1048576,"path":"model.safetensors"}'
start $M
wait_source "$PRIMARY" && pass "the progress names the primary at first"
wait_bytes "$tid" $((2 * MIB))
kill -9 "$PRIMARY_PID"
api GET "/api/v2/models/tasks/$tid" "$T"
done_at_kill=$(json .bytes_downloaded)
wait_source "$MIRROR" && pass "after the primary died, the progress names the mirror"
completed_ok $M "primary killed mid-download"
log=$(mirror_log $M)
file=$(jq '[.[] | select(.file == "model.safetensors" and
    (.status == 200 or .status == 206))]' <<<"$log")
got=$(jq '[.[].bytes_sent] | add // 0' <<<"$file")
assert_eq 0 "$(jq '[.[] | select(.kind == "info" or .kind == "tree")] |
    length' <<<"$log")" "the metadata came from the primary alone"
assert_ok "the mirror was asked only with Range ($got bytes)" \
    jqok 'length > 0 and all(.range != null)' <<<"$file"
[ "$((got + done_at_kill))" -le $((SIZE + 700 + 8 * CKPT)) ] &&
    pass "no byte fetched twice beyond one checkpoint per part ($got from the mirror, $done_at_kill before)" ||
    fail "bytes fetched twice: $got from the mirror after $done_at_kill of $TOTAL"
assert_eq 0 "$(jq '[.[] | select(.authorization)] | length' \
    <<<"$(HUB=$MIRROR hub_log)")" "no token sent to the mirror"
assert_ok "the primary (the default token origin) got the token" \
    jqok -s 'map(select(.role == "main" and .authorization)) | length > 0' \
    "$PLOG"
assert_ok "... and its CDN did not" \
    jqok -s 'map(select(.role == "cdn" and .authorization)) | length == 0' \
    "$PLOG"

# --- the primary dead from the start: everything from the mirror ----------

M=intfloat/e5-base-v2
start $M
wait_source "$MIRROR" && pass "primary dead: the progress names the mirror"
completed_ok $M "primary dead from the start"
log=$(mirror_log $M)
assert_ok "the revision and the listing came from the mirror" \
 jqok 'any(.kind == "info" or .kind == "revision") and
    any(.kind == "tree")' <<<"$log"
assert_ok "the mirror served the files at the pinned commit" \
    jqok --arg c "$(cat "$(repo_dir $M)/refs/main")" \
    'any(.file == "model.safetensors" and (.path | contains($c)))' <<<"$log"
assert_ok "the job told the fail-over" grep -q "going on from $MIRROR" \
    "$MM_VAR/log/mm-jobd.log"

# --- token_origins lists the mirror alone: it gets the token ---------------

test_config mirrors "[\"$MIRROR\"]" token_origins "[\"$MIRROR/\"]" \
    retry_max 1 retry_base_ms 100 retry_max_ms 200 disk_reserve_mb 0 \
    progress_interval_ms 100
stack_up
T=$(token_for admin)
HUB=$MIRROR hub_reset
M=BAAI/bge-base-en-v1.5
start $M
wait_task "$tid" completed 30
assert_ok "token_origins [mirror]: the mirror's API got the token" \
    jqok 'map(select(.role == "main")) | length > 0 and
    all(.authorization)' <<<"$(HUB=$MIRROR hub_log)"
