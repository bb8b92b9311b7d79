#!/usr/bin/env bash
#
# Downloads in ranged parts, end to end against the fake hub, whose CDN
# caps each connection (slow_body, per request): a file of at least
# downloads.part_min_bytes (4 MiB here) comes as many Range requests that
# tile it exactly, more connections than the first 4 once they pay, a
# blobs/<etag>.mm.incomplete (never a plain .incomplete) while it runs,
# verified; a hub that ignores Range still gives the file, as one stream;
# a part that fails twice is retried alone; a corrupted part is caught by
# the hash and the file fetched again; a server that sends on past each
# range's end; kill -9 of the job child, then a new
# download fetches only the missing ranges (the hub's log proves it); a
# signed CDN URL that expires mid-part is resolved again and the part goes
# on.  The content is compared byte for byte every time.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

MIB=1048576
SIZE=$((16 * MIB))
CKPT=262144
HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
for m in intfloat/e5-small-v2 intfloat/e5-base-v2 intfloat/e5-large-v2 \
    intfloat/multilingual-e5-base intfloat/multilingual-e5-large \
    BAAI/bge-base-en-v1.5 BAAI/bge-m3; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 \
	    --file model.safetensors=16M >/dev/null
done
node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" \
    --repo BAAI/bge-small-en-v1.5 --file model.safetensors=6M \
    --file onnx/model.onnx=6M >/dev/null
TOTAL=$((700 + SIZE))
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0 --token hf_goodtoken
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB HF_TOKEN=hf_goodtoken
test_config stall_seconds 2 retry_max 10 retry_base_ms 100 retry_max_ms 400 \
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

sha_of()	# MODEL: the sha256 (the blob's name) of its model.safetensors
{
	sha256sum <"$HUBROOT/$1/model.safetensors" | cut -c1-64
}

completed_ok()	# MODEL MESSAGE: the task completed, the file byte-identical
{
	wait_task "$tid" completed 60 || return 0
	assert_json ".bytes_downloaded == $TOTAL and .bytes_total == $TOTAL" \
	    "$2: completed with every byte"
	local repo c
	repo=$(repo_dir "$1")
	c=$(cat "$repo/refs/main" 2>/dev/null)
	assert_ok "$2: content byte-identical" \
	    cmp "$repo/snapshots/$c/model.safetensors" \
	    "$HUBROOT/$1/model.safetensors"
	assert_none_found "$repo" "$2: no partial file left" -name '*.incomplete'
	assert_none_found "$HF_HUB_CACHE/.locks/models--${1//\//--}" \
	    "$2: no part map left" -name '*.mm.parts'
}

cdn_log()	# MODEL: the CDN requests for its model.safetensors
{
	hub_log | jq --arg r "$1" '[.[] | select(.role == "cdn" and
	    .repo == $r and .file == "model.safetensors")]'
}

# fetched LOG: the body bytes the CDN answered with (200 or 206).
fetched()
{
	jq '[.[] | select(.status == 200 or .status == 206) | .bytes_sent] | add // 0' <<<"$1"
}

# tiles LOG: "true" when the 206 answers asked for ranges that cover the
# file exactly once (sorted, each starting where the last one ended).
tiles()
{
	jq --argjson n "$SIZE" '[.[] | select(.status == 206) | .range |
	    capture("^bytes=(?<a>[0-9]+)-(?<b>[0-9]+)$") |
	    [(.a | tonumber), (.b | tonumber)]] | sort |
	    reduce .[] as $r ({end: 0, ok: true};
		{end: ($r[1] + 1), ok: (.ok and $r[0] == .end)}) |
	    .ok and .end == $n' <<<"$1"
}

# --- a CDN that caps each connection: parts, more connections ------------

M=intfloat/e5-small-v2
SHA=$(sha_of $M)
hub_fault '{"type":"slow_body","rate":1500000,"repo":"'"$M"'","path":"model.safetensors"}'
start $M
BLOBS=$(repo_dir $M)/blobs
: >"$IT_DIR/conns"
: >"$IT_DIR/partials"
while :; do
	api GET "/api/v2/models/tasks/$tid" "$T"
	s=$(json .status)
	[ "$s" = running ] || [ "$s" = pending ] || break
	json '.connections // 0' >>"$IT_DIR/conns"
	ls "$BLOBS" 2>/dev/null | grep "^$SHA\." >>"$IT_DIR/partials" || true
	sleep 0.1
done
completed_ok $M "in parts"
most=$(sort -n "$IT_DIR/conns" | tail -n 1)
if [ "${most:-0}" -gt 4 ] && [ "$most" -le 8 ]; then
	pass "the running task reported up to $most connections (4 at first)"
else
	fail "connections reported: $(sort -n -u "$IT_DIR/conns" | tr '\n' ' ')"
fi
assert_eq "$SHA.mm.incomplete" "$(sort -u "$IT_DIR/partials" | tr '\n' ' ' | sed 's/ $//')" \
	"while it ran: <etag>.mm.incomplete, never <etag>.incomplete"
log=$(cdn_log $M)
n=$(jq '[.[] | select(.status == 206)] | length' <<<"$log")
[ "$n" -ge 8 ] && pass "$n ranged requests" || fail "only $n ranged requests"
assert_eq true "$(tiles "$log")" "their ranges tile the file exactly"
assert_eq "$SIZE" "$(fetched "$log")" "no byte fetched twice"
assert_eq 0 "$(jq '[.[] | select(.authorization)] | length' <<<"$log")" \
	"no token to the CDN"

# --- a hub that ignores Range ---------------------------------------------

M=intfloat/e5-base-v2
hub_reset
hub_fault '{"type":"ignore_range","repo":"'"$M"'","path":"model.safetensors"}'
start $M
completed_ok $M "Range ignored"
log=$(cdn_log $M)
assert_eq 1 "$(jq --argjson n "$SIZE" '[.[] | select(.status == 200 and .bytes_sent == $n and .completed)] | length' <<<"$log")" \
	"Range ignored: one whole answer gave the file"
assert_eq 0 "$(jq '[.[] | select(.status == 206)] | length' <<<"$log")" \
	"... no ranged one"
assert_ok "... and the job said so" \
    grep -q "the server ignores Range requests for model.safetensors" \
    "$MM_VAR/log/mm-jobd.log"

# --- a server that sends on past the end of each range ---------------------

M=BAAI/bge-m3
hub_reset
hub_fault '{"type":"range_past_end","repo":"'"$M"'","path":"model.safetensors"}'
start $M
completed_ok $M "ranges answered past their end"
assert_eq true "$(tiles "$(cdn_log $M)")" \
	"... each part took what it asked for, and asked for each byte once"

# --- a part that fails twice is retried alone ------------------------------

M=intfloat/e5-large-v2
hub_reset
hub_fault '{"type":"status","code":503,"times":2,"covers":9000000,"role":"cdn","repo":"'"$M"'","path":"model.safetensors"}'
start $M
completed_ok $M "a part failing twice"
log=$(cdn_log $M)
assert_eq "503 503 206 1" "$(jq -r '[.[] | select(.range != null and (.range |
    capture("^bytes=(?<a>[0-9]+)-(?<b>[0-9]+)$") | (.a | tonumber) <= 9000000
    and (.b | tonumber) >= 9000000))] | "\(map(.status) | join(" ")) \(map(.range) | unique | length)"' <<<"$log")" \
	"the part holding byte 9000000: 503, 503, then 206, all for one range"
assert_eq true "$(tiles "$log")" "every other range asked for once"
assert_eq "$SIZE" "$(fetched "$log")" "no byte fetched twice"

# --- a corrupted part: the file is fetched again ---------------------------

M=intfloat/multilingual-e5-base
hub_reset
hub_fault '{"type":"wrong_bytes","offset":5000000,"covers":5000000,"times":1,"role":"cdn","repo":"'"$M"'","path":"model.safetensors"}'
start $M
completed_ok $M "a corrupted part"
assert_eq true "$(cdn_log $M | jq '[.[] | select(.faults | index("wrong_bytes"))] | length == 1 and (.[0] | .status == 206 and (.range | test("^bytes=[1-9][0-9]*-[0-9]+$")))')" \
	"the bytes were corrupted in one part (a ranged answer)"
assert_eq $((2 * SIZE)) "$(fetched "$(cdn_log $M)")" \
	"the hash caught it: the whole file fetched again"
assert_ok "... the job said why" \
    grep -q "content of model.safetensors does not match $(sha_of $M)" \
    "$MM_VAR/log/mm-jobd.log"

# --- kill -9 of the job child, then only the missing ranges ----------------

M=intfloat/multilingual-e5-large
SHA=$(sha_of $M)
hub_reset
hub_fault '{"type":"slow_body","rate":500000,"repo":"'"$M"'","path":"model.safetensors"}'
start $M
wait_bytes "$tid" $((6 * MIB))
kill -9 "$(pgrep -P "$(pid_of jobd)" | head -n 1)"
wait_task "$tid" failed 60
BLOBS=$(repo_dir $M)/blobs
assert_ok "killed: the .mm.incomplete is kept" test -f "$BLOBS/$SHA.mm.incomplete"
assert_ok "... with its part map" \
    test -f "$HF_HUB_CACHE/.locks/models--${M//\//--}/$SHA.mm.parts"
assert_file_absent "$BLOBS/$SHA.incomplete" "... and no <etag>.incomplete"
api GET "/api/v2/models?include_cache_size=true&force_refresh_cache=true" "$T"
assert_json ".cache_size.partial_cache_size_mb >= $(($(stat -c %s "$BLOBS/$SHA.mm.incomplete") / MIB))" \
	"... counted in partial_cache_size_mb (apparent size)"
sleep 0.5	# the hub logs the requests the kill cut
s1=$(fetched "$(cdn_log $M)")
hub_reset
start $M
completed_ok $M "after kill -9"
log=$(cdn_log $M)
s2=$(fetched "$log")
twice=$((s1 + s2 - SIZE))
# At most a checkpoint per part in flight (8), plus what curl had read of
# each when the process died (its 128 KiB buffer, the hub's last chunk).
if [ "$s1" -gt $((4 * MIB)) ] && [ "$twice" -le $((8 * (CKPT + 160 * 1024))) ]; then
	pass "resumed: $s1 + $s2 bytes fetched for $SIZE, $twice twice"
else
	fail "resumed: $s1 + $s2 bytes fetched for $SIZE, $twice twice"
fi
assert_eq 0 "$(jq '[.[] | select(.range == null or (.range | startswith("bytes=0-")))] | length' <<<"$log")" \
	"... the second download asked for no byte from the start"

# --- a signed URL that expires mid-part --------------------------------------

M=BAAI/bge-base-en-v1.5
hub_reset
hub_fault '{"type":"slow_body","rate":1000000,"repo":"'"$M"'","path":"model.safetensors"}'
hub_fault '{"type":"reset_mid_body","bytes":100000,"times":1,"covers":3000000,"role":"cdn","repo":"'"$M"'","path":"model.safetensors"}'
hub_fault '{"type":"expire_url","after_ms":400,"role":"cdn","repo":"'"$M"'","path":"model.safetensors"}'
start $M
completed_ok $M "expiring signed URLs"
log=$(cdn_log $M)
n=$(jq '[.[] | select(.status == 403)] | length' <<<"$log")
[ "$n" -ge 1 ] && pass "the CDN refused $n expired URLs" ||
    fail "the CDN refused no expired URL"
assert_eq "$SIZE" "$(fetched "$log")" \
	"each part went on where it stood: no byte fetched twice"
assert_eq 1 "$(jq '[.[] | select(.status == 206 and (.faults | index("reset_mid_body")))] | length' <<<"$log")" \
	"a part was cut mid-way, and went on"

# --- part maps that are not to be trusted ------------------------------------

# map FILE SIZE ETAG: a well-formed part map saying all SIZE bytes are on
# disk (hubparts.h: header, one range, FNV-1a 64).
map()
{
	node -e '
	const [file, size, etag] = process.argv.slice(1);
	const b = Buffer.alloc(112);
	b.write("MMPARTS\0", 0, "latin1");
	b.writeUInt32LE(1, 8); b.writeUInt32LE(1, 12);
	b.writeBigUInt64LE(BigInt(size), 16); b.write(etag, 24, "latin1");
	b.writeBigUInt64LE(0n, 88); b.writeBigUInt64LE(BigInt(size), 96);
	let h = 0xcbf29ce484222325n;
	for (const c of b.subarray(0, 104))
		h = ((h ^ BigInt(c)) * 0x100000001b3n) & 0xffffffffffffffffn;
	b.writeBigUInt64LE(h, 104);
	require("fs").writeFileSync(file, b);' "$@"
}

# A map that vouches for bytes that are not there (zeros), and one that is
# a symlink to a map outside the cache: neither gets into a blob.
M=BAAI/bge-small-en-v1.5
R=$(repo_dir $M)
L=$HF_HUB_CACHE/.locks/models--${M//\//--}
S1=$(sha_of $M)
S2=$(sha256sum <"$HUBROOT/$M/onnx/model.onnx" | cut -c1-64)
mkdir -p "$R/blobs" "$L"
truncate -s $((6 * MIB)) "$R/blobs/$S1.mm.incomplete" "$R/blobs/$S2.mm.incomplete"
map "$L/$S1.mm.parts" $((6 * MIB)) "$S1"
map "$IT_DIR/outside.map" $((6 * MIB)) "$S2"
ln -s "$IT_DIR/outside.map" "$L/$S2.mm.parts"
chmod -R g+w "$R" "$L"
hub_reset
start $M
wait_task "$tid" completed 60
c=$(cat "$R/refs/main" 2>/dev/null)
assert_ok "a map vouching for zeros: the hash caught it, the blob is right" \
    cmp "$R/snapshots/$c/model.safetensors" "$HUBROOT/$M/model.safetensors"
assert_ok "... the job said so" grep -q \
    "partial model.safetensors does not match, restarting" "$MM_VAR/log/mm-jobd.log"
assert_ok "a map that is a symlink is not read: the blob is right" \
    cmp "$R/snapshots/$c/onnx/model.onnx" "$HUBROOT/$M/onnx/model.onnx"
assert_ok "... the job discarded that partial file" grep -q \
    "discarding the partial file of onnx/model.onnx" "$MM_VAR/log/mm-jobd.log"
assert_eq 112 "$(stat -c %s "$IT_DIR/outside.map")" "... the file outside untouched"
