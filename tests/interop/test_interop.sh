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
# Needs `npm ci` run in tests/ first. Prints "N passed, N failed"; the exit
# status is the verdict.

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TESTS=$(dirname "$HERE")
FAKEHUB=$TESTS/fakehub
for tool in node curl jq sha1sum sha256sum; do
	command -v "$tool" >/dev/null || { echo "test_interop: $tool is missing" >&2; exit 2; }
done
if [ ! -f "$TESTS/node_modules/@huggingface/hub/package.json" ]; then
	echo "test_interop: @huggingface/hub is not installed; run: npm ci --prefix $TESTS" >&2
	exit 2
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/interop-test.XXXXXX")
HUB_PID=
cleanup() {
	[ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1${2:+: $2}"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected [$2], got [$3]"; fi; }
gitoid() { { printf 'blob %d\0' "$(stat -c %s "$1")"; cat "$1"; } | sha1sum | cut -d' ' -f1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

ROOT=$T/root
TOKEN=hf_interop_token
node "$FAKEHUB/mkrepo.js" --root "$ROOT" --repo t/interop --seed js \
	--file config.json=500 --file tokenizer.json=3K --file sub/dir/data.txt=2000 \
	--file big.dat=2560K --file weights.safetensors=20K >/dev/null || exit 2
node "$FAKEHUB/mkrepo.js" --root "$ROOT" --repo t/gatedjs --gated \
	--file config.json=100 --file model.bin=8K >/dev/null || exit 2

node "$FAKEHUB/fakehub.js" --root "$ROOT" --port 0 --token "$TOKEN" --page-size 2 \
	>"$T/stdout" 2>"$T/stderr" &
HUB_PID=$!
B=
for _ in $(seq 100); do
	B=$(sed -n 's/^fakehub listening on \(http:\/\/[0-9.]*:[0-9]*\)$/\1/p' "$T/stdout")
	[ -n "$B" ] && break
	kill -0 "$HUB_PID" 2>/dev/null || break
	sleep 0.1
done
[ -n "$B" ] || { echo "fakehub did not start" >&2; cat "$T/stderr" >&2; exit 1; }
admin() { curl -s -X "$1" "$B/_admin/$2" ${3:+-d "$3"}; }

SHA=$(admin GET repos | jq -r '.repos[] | select(.id == "t/interop") | .sha')
CACHE=$T/cache
REPO_DIR=$CACHE/models--t--interop
SRC=$ROOT/t/interop

# ---- snapshotDownload
admin POST reset >/dev/null
HF_TOKEN= node "$HERE/js_snapshot.mjs" "$B" t/interop "$CACHE" >"$T/snap.json" 2>"$T/snap.err"
rc=$?
check "js_snapshot exits 0" 0 "$rc"
[ "$rc" = 0 ] || cat "$T/snap.json" "$T/snap.err" >&2
check "js_snapshot prints the snapshot path" "$REPO_DIR/snapshots/$SHA" "$(jq -r .path "$T/snap.json")"
check "refs/main = commit, no newline" "$SHA" "$(cat "$REPO_DIR/refs/main")"
check "refs/main size" 40 "$(stat -c %s "$REPO_DIR/refs/main")"

for f in config.json tokenizer.json sub/dir/data.txt big.dat weights.safetensors; do
	case $f in
	big.dat | *.safetensors) etag=$(sha256 "$SRC/$f") ;;
	*) etag=$(gitoid "$SRC/$f") ;;
	esac
	up=../..
	d=$(dirname "$f")
	while [ "$d" != . ]; do up=../$up; d=$(dirname "$d"); done
	check "$f: relative symlink to blobs/<etag>" "$up/blobs/$etag" "$(readlink "$REPO_DIR/snapshots/$SHA/$f")"
	check "$f: blob bytes" "$(sha256 "$SRC/$f")" "$(sha256 "$REPO_DIR/blobs/$etag" 2>/dev/null)"
done
check "no .incomplete left" 0 "$(find "$REPO_DIR" -name '*.incomplete' | wc -l)"

# ---- scanCacheDir
node "$HERE/js_scan.mjs" "$CACHE" >"$T/scan.json" 2>"$T/scan.err"
check "js_scan exits 0" 0 "$?"
check "scan: no warnings" 0 "$(jq '.warnings | length' "$T/scan.json")"
check "scan: one model repo t/interop" "model t/interop" "$(jq -r '.repos | map("\(.type) \(.id)") | join(",")' "$T/scan.json")"
# the JS scan does not descend into snapshot sub-folders: top-level files only
top_size=0
top_files=
for f in big.dat config.json tokenizer.json weights.safetensors; do
	top_size=$((top_size + $(stat -c %s "$SRC/$f")))
	top_files="$top_files $f:$(stat -c %s "$SRC/$f")"
done
check "scan: repo size and filesCount" "$top_size 4" "$(jq -r '.repos[0] | "\(.size) \(.filesCount)"' "$T/scan.json")"
check "scan: revision commit, refs, size" "$SHA main $top_size" \
	"$(jq -r '.repos[0].revisions[0] | "\(.commit) \(.refs | join(",")) \(.size)"' "$T/scan.json")"
check "scan: files and sizes" "${top_files# }" \
	"$(jq -r '.repos[0].revisions[0].files | map("\(.path):\(.size)") | join(" ")' "$T/scan.json")"

# ---- what the library asked for
admin GET log >"$T/log.json"
check "info request at revision main" 1 \
	"$(jq '[.[] | select(.kind == "info" and (.path | endswith("/revision/main")) and (.query | contains("expand=sha")))] | length' "$T/log.json")"
check "tree followed the Link pagination (7 entries, 2 a page)" 4 \
	"$(jq '[.[] | select(.kind == "tree")] | length' "$T/log.json")"
check "one paths-info POST per file" "5 POST" \
	"$(jq -r '[.[] | select(.kind == "paths-info")] | "\(length) \(map(.method) | unique | join(","))"' "$T/log.json")"
check "Range 0-0 probes answered 206" "5 206" \
	"$(jq -r '[.[] | select(.range == "bytes=0-0" and .status != 302)] | "\(length) \(map(.status) | unique | join(","))"' "$T/log.json")"
check "LFS resolves redirect (302) to the CDN" "4" \
	"$(jq '[.[] | select(.kind == "resolve" and .status == 302)] | length' "$T/log.json")"
check "CDN served both LFS files in full" "$(($(stat -c %s "$SRC/big.dat") + $(stat -c %s "$SRC/weights.safetensors")))" \
	"$(jq '[.[] | select(.role == "cdn" and .range == null) | .bytes_sent] | add' "$T/log.json")"

# ---- a second run is served from the cache
admin POST reset >/dev/null
node "$HERE/js_snapshot.mjs" "$B" t/interop "$CACHE" >/dev/null 2>&1
check "second snapshot downloads nothing" 0 "$(admin GET log | jq '[.[] | select(.kind == "resolve" or .kind == "cdn")] | length')"

# ---- gated repo: token only to the hub, never to the CDN
admin POST reset >/dev/null
HF_TOKEN= node "$HERE/js_snapshot.mjs" "$B" t/gatedjs "$T/cache2" >"$T/g.json" 2>/dev/null
rc=$?
check "gated without token fails with 401" "1 401" "$rc $(jq -r .statusCode "$T/g.json")"
HF_TOKEN=hf_wrong_token node "$HERE/js_snapshot.mjs" "$B" t/gatedjs "$T/cache2" >"$T/g.json" 2>/dev/null
check "gated with a wrong token fails with 403" "1 403" "$? $(jq -r .statusCode "$T/g.json")"
admin POST reset >/dev/null
HF_TOKEN=$TOKEN node "$HERE/js_snapshot.mjs" "$B" t/gatedjs "$T/cache2" >"$T/g.json" 2>/dev/null
check "gated with the token downloads" 0 "$?"
check "gated blob bytes" "$(sha256 "$ROOT/t/gatedjs/model.bin")" \
	"$(sha256 "$T/cache2/models--t--gatedjs/blobs/$(sha256 "$ROOT/t/gatedjs/model.bin")" 2>/dev/null)"
admin GET log >"$T/log.json"
check "Authorization sent to the hub" true "$(jq '[.[] | select(.role == "main") | .authorization] | all' "$T/log.json")"
check "CDN used, and no Authorization reached it" "true false" \
	"$(jq -r '[.[] | select(.role == "cdn")] | "\(length > 0) \(map(.authorization) | any)"' "$T/log.json")"

# ---- downloadFileToCacheDir with the commit
node "$HERE/js_download.mjs" "$B" t/interop config.json "$T/cache3" "$SHA" >"$T/d.json" 2>/dev/null
check "js_download pointer path" "$T/cache3/models--t--interop/snapshots/$SHA/config.json" "$(jq -r .path "$T/d.json")"
node "$HERE/js_download.mjs" "$B" t/interop nope.txt "$T/cache3" "$SHA" >"$T/d.json" 2>/dev/null
check "js_download of a missing file fails" "1" "$?"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
