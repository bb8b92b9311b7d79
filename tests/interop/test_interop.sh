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
