#!/usr/bin/env bash
#
# Interop check of the fake hub with the real @huggingface/hub library:
# js_snapshot.mjs downloads generated repos from fakehub.js into a temporary
# cache, js_scan.mjs scans that cache, and the layout is checked
# independently (blob names = etags, content hashes, relative symlinks,
# refs/main). It also checks, from the hub's request log, that the library
# used the protocol paths the fake hub is meant to exercise: the
# revision info, the paginated tree, paths-info, the Range 0-0 probe answered
# by 206, the LFS redirect to the CDN host, and no Authorization on the CDN.
# Then partial files: our downloader (build/rel/tests/tools/hubget) stopped
# half-way leaves a file with holes as <etag>.mm.incomplete, which neither a
# client that resumes <etag>.incomplete by its size (js_resume.mjs, as
# huggingface_hub <= 1.17 did) nor downloadFileToCacheDir picks up, and,
# fetching as one stream, a contiguous <etag>.incomplete that the resuming
# client takes up.  Needs `npm ci` run in tests/ first. Prints "N passed,
# N failed"; the exit status is the verdict.

HERE=$(cd "$(dirname "$0")" && pwd)
TESTS=$(dirname "$HERE")
# shellcheck source=tests/integration/hubtest.sh
. "$TESTS/integration/hubtest.sh"
if [ ! -f "$TESTS/node_modules/@huggingface/hub/package.json" ]; then
	echo "test_interop: @huggingface/hub is not installed; run: npm ci --prefix $TESTS" >&2
	exit 2
fi

ROOT=$T/root
TOKEN=hf_interop_token
mkrepo --root "$ROOT" --repo t/interop --seed js \
	--file config.json=500 --file tokenizer.json=3K --file sub/dir/data.txt=2000 \
	--file big.dat=2560K --file weights.safetensors=20K
mkrepo --root "$ROOT" --repo t/gatedjs --gated \
	--file config.json=100 --file model.bin=8K

hub_start --root "$ROOT" --token "$TOKEN" --page-size 2

SHA=$(admin GET repos | jq -r '.repos[] | select(.id == "t/interop") | .sha')
CACHE=$T/cache
REPO_DIR=$CACHE/models--t--interop
SRC=$ROOT/t/interop

# ---- snapshotDownload
admin POST reset >/dev/null
HF_TOKEN= node "$HERE/js_snapshot.mjs" "$B" t/interop "$CACHE" >"$T/snap.json" 2>"$T/snap.err"
rc=$?
assert_eq 0 "$rc" "js_snapshot exits 0"
[ "$rc" = 0 ] || cat "$T/snap.json" "$T/snap.err" >&2
assert_eq "$REPO_DIR/snapshots/$SHA" "$(jq -r .path "$T/snap.json")" "js_snapshot prints the snapshot path"
assert_eq "$SHA" "$(cat "$REPO_DIR/refs/main")" "refs/main = commit, no newline"
assert_eq 40 "$(stat -c %s "$REPO_DIR/refs/main")" "refs/main size"

for f in config.json tokenizer.json sub/dir/data.txt big.dat weights.safetensors; do
	case $f in
	big.dat | *.safetensors) etag=$(sha256 "$SRC/$f") ;;
	*) etag=$(gitoid "$SRC/$f") ;;
	esac
	up=../..
	d=$(dirname "$f")
	while [ "$d" != . ]; do up=../$up; d=$(dirname "$d"); done
	assert_eq "$up/blobs/$etag" "$(readlink "$REPO_DIR/snapshots/$SHA/$f")" "$f: relative symlink to blobs/<etag>"
	assert_eq "$(sha256 "$SRC/$f")" "$(sha256 "$REPO_DIR/blobs/$etag" 2>/dev/null)" "$f: blob bytes"
done
assert_none_found "$REPO_DIR" "no .incomplete left" -name '*.incomplete'

# ---- scanCacheDir
node "$HERE/js_scan.mjs" "$CACHE" >"$T/scan.json" 2>"$T/scan.err"
assert_eq 0 "$?" "js_scan exits 0"
assert_eq 0 "$(jq '.warnings | length' "$T/scan.json")" "scan: no warnings"
assert_eq "model t/interop" "$(jq -r '.repos | map("\(.type) \(.id)") | join(",")' "$T/scan.json")" "scan: one model repo t/interop"
# the JS scan does not descend into snapshot sub-folders: top-level files only
top_size=0
top_files=
for f in big.dat config.json tokenizer.json weights.safetensors; do
	top_size=$((top_size + $(stat -c %s "$SRC/$f")))
	top_files="$top_files $f:$(stat -c %s "$SRC/$f")"
done
assert_eq "$top_size 4" "$(jq -r '.repos[0] | "\(.size) \(.filesCount)"' "$T/scan.json")" "scan: repo size and filesCount"
assert_eq "$SHA main $top_size" "$(jq -r '.repos[0].revisions[0] | "\(.commit) \(.refs | join(",")) \(.size)"' "$T/scan.json")" \
	"scan: revision commit, refs, size"
assert_eq "${top_files# }" "$(jq -r '.repos[0].revisions[0].files | map("\(.path):\(.size)") | join(" ")' "$T/scan.json")" \
	"scan: files and sizes"

# ---- what the library asked for
admin GET log >"$T/log.json"
assert_eq 1 "$(jq '[.[] | select(.kind == "info" and (.path | endswith("/revision/main")) and (.query | contains("expand=sha")))] | length' "$T/log.json")" \
	"info request at revision main"
assert_eq 4 "$(jq '[.[] | select(.kind == "tree")] | length' "$T/log.json")" \
	"tree followed the Link pagination (7 entries, 2 a page)"
assert_eq "5 POST" "$(jq -r '[.[] | select(.kind == "paths-info")] | "\(length) \(map(.method) | unique | join(","))"' "$T/log.json")" \
	"one paths-info POST per file"
assert_eq "5 206" "$(jq -r '[.[] | select(.range == "bytes=0-0" and .status != 302)] | "\(length) \(map(.status) | unique | join(","))"' "$T/log.json")" \
	"Range 0-0 probes answered 206"
assert_eq "4" "$(jq '[.[] | select(.kind == "resolve" and .status == 302)] | length' "$T/log.json")" \
	"LFS resolves redirect (302) to the CDN"
assert_eq "$(($(stat -c %s "$SRC/big.dat") + $(stat -c %s "$SRC/weights.safetensors")))" "$(jq '[.[] | select(.role == "cdn" and .range == null) | .bytes_sent] | add' "$T/log.json")" \
	"CDN served both LFS files in full"

# ---- a second run is served from the cache
admin POST reset >/dev/null
node "$HERE/js_snapshot.mjs" "$B" t/interop "$CACHE" >/dev/null 2>&1
assert_eq 0 "$?" "second snapshot succeeds"
assert_eq 0 "$(admin GET log | jq '[.[] | select(.kind == "resolve" or .kind == "cdn")] | length')" "second snapshot downloads nothing"

# ---- gated repo: token only to the hub, never to the CDN
admin POST reset >/dev/null
HF_TOKEN= node "$HERE/js_snapshot.mjs" "$B" t/gatedjs "$T/cache2" >"$T/g.json" 2>/dev/null
rc=$?
assert_eq "1 401" "$rc $(jq -r .statusCode "$T/g.json")" "gated without token fails with 401"
HF_TOKEN=hf_wrong_token node "$HERE/js_snapshot.mjs" "$B" t/gatedjs "$T/cache2" >"$T/g.json" 2>/dev/null
rc=$?
assert_eq "1 403" "$rc $(jq -r .statusCode "$T/g.json")" "gated with a wrong token fails with 403"
admin POST reset >/dev/null
HF_TOKEN=$TOKEN node "$HERE/js_snapshot.mjs" "$B" t/gatedjs "$T/cache2" >"$T/g.json" 2>/dev/null
assert_eq 0 "$?" "gated with the token downloads"
assert_eq "$(sha256 "$ROOT/t/gatedjs/model.bin")" "$(sha256 "$T/cache2/models--t--gatedjs/blobs/$(sha256 "$ROOT/t/gatedjs/model.bin")" 2>/dev/null)" \
	"gated blob bytes"
admin GET log >"$T/log.json"
assert_eq "true true" "$(jq -r '[.[] | select(.role == "main") | .authorization] | "\(length > 0) \(all)"' "$T/log.json")" "Authorization sent to the hub (every request)"
assert_eq "true false" "$(jq -r '[.[] | select(.role == "cdn")] | "\(length > 0) \(map(.authorization) | any)"' "$T/log.json")" \
	"CDN used, and no Authorization reached it"

# ---- downloadFileToCacheDir with the commit
node "$HERE/js_download.mjs" "$B" t/interop config.json "$T/cache3" "$SHA" >"$T/d.json" 2>/dev/null
assert_eq "$T/cache3/models--t--interop/snapshots/$SHA/config.json" "$(jq -r .path "$T/d.json")" "js_download pointer path"
node "$HERE/js_download.mjs" "$B" t/interop nope.txt "$T/cache3" "$SHA" >"$T/d.json" 2>/dev/null
assert_eq "1" "$?" "js_download of a missing file fails"

# ---- partial files: ours with holes are never resumed by another client
# js_resume.mjs resumes blobs/<etag>.incomplete by its size, as
# huggingface_hub <= 1.17 did.  Our downloader (hubget) is stopped half-way
# through a slow CDN: in parts it leaves <etag>.mm.incomplete (holes) and
# its map, which the client must not pick up; as one stream it leaves a
# contiguous <etag>.incomplete, which the client resumes.
HUBGET=$HUBTEST_ROOT/build/rel/tests/tools/hubget
[ -x "$HUBGET" ] || { fail "$HUBGET is missing (make tools)"; exit 1; }
mkrepo --root "$ROOT" --repo t/parts --seed parts --file config.json=100 \
	--file model.safetensors=6M
admin POST reload >/dev/null
PSRC=$ROOT/t/parts/model.safetensors
PSHA=$(sha256 "$PSRC")
PCOMMIT=$(admin GET repos | jq -r '.repos[] | select(.id == "t/parts") | .sha')

# hubget_stop CACHE [VAR=VALUE...]: t/parts into CACHE, stopped at 3 MiB.
hubget_stop()
{
	local cache=$1
	shift
	admin POST reset >/dev/null
	admin POST faults '{"type":"slow_body","rate":1000000,"role":"cdn"}' >/dev/null
	env HF_ENDPOINT="$B" HUBGET_PART_MIN=1048576 HUBGET_CHECKPOINT=65536 \
	    HUBGET_STOP_AT=3145728 "$@" "$HUBGET" "$cache" t/parts \
	    >"$T/hubget.out" 2>&1
	admin POST reset >/dev/null
}

# js_resume CACHE: the resuming client on t/parts; its output in $T/r.json.
js_resume()
{
	node "$HERE/js_resume.mjs" "$B" t/parts model.safetensors "$1" "$PCOMMIT" \
	    >"$T/r.json" 2>"$T/r.err"
}

# cdn_ranges: the Range headers of the client's CDN requests for the file.
cdn_ranges()
{
	admin GET log | jq -r '[.[] | select(.role == "cdn" and .file == "model.safetensors") | .range // "none"] | join(" ")'
}

C4=$T/cache4
PB=$C4/models--t--parts/blobs
hubget_stop "$C4"
assert_eq "result: timed out: stopped" "$(tail -n 1 "$T/hubget.out")" "our download in parts, stopped"
assert_eq "mm.incomplete map" "$([ -f "$PB/$PSHA.mm.incomplete" ] && echo mm.incomplete) $([ -f "$C4/.locks/models--t--parts/$PSHA.mm.parts" ] && echo map)" \
	"it left <etag>.mm.incomplete and its part map"
assert_file_absent "$PB/$PSHA.incomplete" "... and no <etag>.incomplete"
msize=$(stat -c %s "$PB/$PSHA.mm.incomplete")
if cmp -s <(head -c "$msize" "$PSRC") "$PB/$PSHA.mm.incomplete"; then
	fail "the .mm.incomplete has no hole ($msize bytes, a prefix of the file)"
else
	pass "the .mm.incomplete has holes (not a prefix of the file)"
fi
before=$(sha256 "$PB/$PSHA.mm.incomplete")
js_resume "$C4"
assert_eq "0 0" "$? $(jq -r .resumed_from "$T/r.json")" \
	"the resuming client downloads from byte 0 beside a .mm.incomplete"
assert_eq "none" "$(cdn_ranges | tr ' ' '\n' | grep -v '^bytes=0-0$' | sort -u | tr '\n' ' ' | sed 's/ $//')" \
	"... no Range into the file (it resumed nothing)"
assert_eq "$PSHA" "$(sha256 "$PB/$PSHA")" "... and its blob is right"
assert_eq "$before" "$(sha256 "$PB/$PSHA.mm.incomplete")" "... the .mm.incomplete untouched"
C5=$T/cache5
hubget_stop "$C5"
admin POST reset >/dev/null
node "$HERE/js_download.mjs" "$B" t/parts model.safetensors "$C5" "$PCOMMIT" >"$T/d.json" 2>/dev/null
assert_eq "$PSHA" "$(sha256 "$C5/models--t--parts/blobs/$PSHA")" \
	"downloadFileToCacheDir beside a .mm.incomplete: the blob is right"

C6=$T/cache6
hubget_stop "$C6" HUBGET_PARTS=1
P6=$C6/models--t--parts/blobs/$PSHA
have=$(stat -c %s "$P6.incomplete" 2>/dev/null || echo 0)
assert_file_absent "$P6.mm.incomplete" "one stream stopped: no .mm.incomplete"
if [ "$have" -gt 0 ] && cmp -s <(head -c "$have" "$PSRC") "$P6.incomplete"; then
	pass "one stream stopped: <etag>.incomplete holds the first $have bytes"
else
	fail "one stream stopped: no contiguous <etag>.incomplete ($have bytes)"
fi
js_resume "$C6"
assert_eq "0 $have" "$? $(jq -r .resumed_from "$T/r.json")" \
	"the resuming client picks our <etag>.incomplete up"
assert_eq "bytes=$have-$((6 * 1048576 - 1))" "$(cdn_ranges | tr ' ' '\n' | grep -v '^bytes=0-0$')" \
	"... asking the CDN for the rest only"
assert_eq "$PSHA" "$(sha256 "$P6")" "... and its blob is right"
# What the naming prevents: the same file with holes under <etag>.incomplete
# is resumed by its size into a blob that does not match.
mkdir -p "$T/cache7/models--t--parts/blobs"
cp "$C5/models--t--parts/blobs/$PSHA.mm.incomplete" \
	"$T/cache7/models--t--parts/blobs/$PSHA.incomplete"
js_resume "$T/cache7"
assert_eq "1 true" "$? $(jq '.error | test("does not match")' "$T/r.json")" \
	"a file with holes named <etag>.incomplete would be resumed wrong"
