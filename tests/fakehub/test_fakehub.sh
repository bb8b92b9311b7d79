#!/usr/bin/env bash
#
# Self-test of the fake hub (bash, curl, jq, node): starts fakehub.js on a
# free loopback port with repos generated in a temporary directory and checks
# the protocol endpoints, the admin API, a set of faults and the request log.
# Prints one line per check and a closing "N passed, N failed"; the exit
# status is the verdict.

set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
for tool in node curl jq sha1sum sha256sum; do
	command -v "$tool" >/dev/null || { echo "test_fakehub: $tool is missing" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/fakehub-test.XXXXXX")
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
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected [$2], got [$3]"; fi; }
# hdr FILE NAME: value of a response header (last one wins), CR stripped
hdr() { tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1)==n {v=substr($0, length($1)+3)} END {print v}'; }
status_of() { tr -d '\r' <"$1" | awk '/^HTTP\//{s=$2} END {print s}'; }
gitoid() { { printf 'blob %d\0' "$(stat -c %s "$1")"; cat "$1"; } | sha1sum | cut -d' ' -f1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

ROOT=$T/root
TOKEN=hf_selftest_token
node "$HERE/mkrepo.js" --root "$ROOT" --repo t/small --seed s1 \
	--file config.json=300 --file sub/dir/data.txt=1000 --file big.dat=1536K \
	--file weights.safetensors=10K >/dev/null || { echo "mkrepo failed" >&2; exit 2; }
node "$HERE/mkrepo.js" --root "$ROOT" --repo t/gated --gated --file config.json=100 \
	--file model.bin=4K >/dev/null || exit 2
node "$HERE/mkrepo.js" --root "$ROOT" --repo datasets/d/set --file data.txt=50 >/dev/null || exit 2
printf 'x' >"$ROOT/t/small/.hidden-marker"

node "$HERE/fakehub.js" --root "$ROOT" --port 0 --token "$TOKEN" --log "$T/requests.jsonl" \
	>"$T/stdout" 2>"$T/stderr" &
HUB_PID=$!
B=
for _ in $(seq 100); do
	B=$(sed -n 's/^fakehub listening on \(http:\/\/[0-9.]*:[0-9]*\)$/\1/p' "$T/stdout")
	[ -n "$B" ] && break
	kill -0 "$HUB_PID" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$B" ]; then
	echo "fakehub did not start:" >&2
	cat "$T/stdout" "$T/stderr" >&2
	exit 1
fi
check "prints exactly one listening line" 1 "$(wc -l <"$T/stdout")"
PORT=${B##*:}
CDN=http://127.0.0.2:$PORT
R=$B/t/small/resolve/main
F=$ROOT/t/small

admin() { curl -s -X "$1" "$B/_admin/$2" ${3:+-d "$3"}; }
fault() { admin POST faults "$1" >/dev/null; }
reset() { admin POST reset >/dev/null; }

# ---- repo info and revisions
SHA=$(admin GET repos | jq -r '.repos[] | select(.id == "t/small") | .sha')
curl -s "$B/api/models/t/small" >"$T/info.json"
check "info id" "t/small" "$(jq -r .id "$T/info.json")"
check "info sha" "$SHA" "$(jq -r .sha "$T/info.json")"
check "info sha is 40 hex" 1 "$(jq -r .sha "$T/info.json" | grep -cE '^[0-9a-f]{40}$')"
check "info siblings (dotfiles at the root hidden)" \
	"big.dat config.json sub/dir/data.txt weights.safetensors" \
	"$(jq -r '[.siblings[].rfilename] | sort | join(" ")' "$T/info.json")"
check "info private/gated/_id" "false false true" \
	"$(jq -r '[.private, .gated, (._id | length > 0)] | map(tostring) | join(" ")' "$T/info.json")"
check "info blobs=true has lfs.sha256" "$(sha256 "$F/big.dat")" \
	"$(curl -s "$B/api/models/t/small/revision/main?blobs=true" | jq -r '.siblings[] | select(.rfilename == "big.dat") | .lfs.sha256')"
for rev in main "$SHA" "${SHA:0:7}" HEAD; do
	check "info at revision $rev" "$SHA" "$(curl -s "$B/api/models/t/small/revision/$rev?expand=sha&expand=gated" | jq -r .sha)"
done
curl -s -o /dev/null -D "$T/h" "$B/api/models/t/small/revision/refs%2Fpr%2F9"
check "unknown revision: 404 RevisionNotFound" "404 RevisionNotFound" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)"
curl -s -o "$T/body" -D "$T/h" "$B/api/models/t/nope"
check "unknown repo: 404 RepoNotFound + JSON error" "404 RepoNotFound true" \
	"$(status_of "$T/h") $(hdr "$T/h" X-Error-Code) $(jq 'has("error")' "$T/body")"
check "unknown repo: X-Error-Message" 1 "$(hdr "$T/h" X-Error-Message | grep -c 'Repository Not Found')"

# ---- tree
curl -s "$B/api/models/t/small/tree/main?recursive=true&expand=false" >"$T/tree.json"
check "recursive tree lists files and directories" \
	"big.dat:file config.json:file sub:directory sub/dir:directory sub/dir/data.txt:file weights.safetensors:file" \
	"$(jq -r 'sort_by(.path) | map("\(.path):\(.type)") | join(" ")' "$T/tree.json")"
check "tree oid = git blob sha1" "$(gitoid "$F/config.json")" \
	"$(jq -r '.[] | select(.path == "config.json") | .oid' "$T/tree.json")"
check "tree size" 1000 "$(jq -r '.[] | select(.path == "sub/dir/data.txt") | .size' "$T/tree.json")"
check "LFS by size: lfs.oid = sha256" "$(sha256 "$F/big.dat") $((1536 * 1024))" \
	"$(jq -r '.[] | select(.path == "big.dat") | "\(.lfs.oid) \(.lfs.size)"' "$T/tree.json")"
ptr="version https://git-lfs.github.com/spec/v1
oid sha256:$(sha256 "$F/big.dat")
size $((1536 * 1024))
"
check "LFS pointerSize and oid of the pointer" "${#ptr} $(printf '%s' "$ptr" | { printf 'blob %d\0' "${#ptr}"; cat; } | sha1sum | cut -d' ' -f1)" \
	"$(jq -r '.[] | select(.path == "big.dat") | "\(.lfs.pointerSize) \(.oid)"' "$T/tree.json")"
check "LFS by extension" "$(sha256 "$F/weights.safetensors")" \
	"$(jq -r '.[] | select(.path == "weights.safetensors") | .lfs.oid' "$T/tree.json")"
check "small file is not LFS" null "$(jq -r '.[] | select(.path == "config.json") | .lfs' "$T/tree.json")"
check "non-recursive root tree" "big.dat config.json sub weights.safetensors" \
	"$(curl -s "$B/api/models/t/small/tree/$SHA" | jq -r '[.[].path] | sort | join(" ")')"
check "tree of a folder" "sub/dir sub/dir/data.txt" \
	"$(curl -s "$B/api/models/t/small/tree/main/sub?recursive=true" | jq -r '[.[].path] | sort | join(" ")')"
curl -s -o /dev/null -D "$T/h" "$B/api/models/t/small/tree/main/nothere"
check "tree of a missing folder: EntryNotFound" "404 EntryNotFound" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)"

# ---- pagination
admin POST options '{"page_size": 2}' >/dev/null
url="$B/api/models/t/small/tree/main?recursive=true&expand=false"
pages=0
: >"$T/all.jsonl"
while [ -n "$url" ] && [ $pages -lt 20 ]; do
	curl -s -D "$T/h" -o "$T/page.json" "$url"
	jq -c '.[]' "$T/page.json" >>"$T/all.jsonl"
	pages=$((pages + 1))
	url=$(hdr "$T/h" Link | sed -n 's/^<\(.*\)>; rel="next"$/\1/p')
	case $url in "" | "$B"/*) ;; *) bad "Link next is absolute on the hub" "$url"; url= ;; esac
done
check "pagination: 3 pages of 2" 3 "$pages"
check "pagination: same entries" "$(jq -c '.[]' "$T/tree.json" | sort)" "$(sort "$T/all.jsonl")"
admin POST options '{"page_size": 1000}' >/dev/null

# ---- paths-info
curl -s -X POST -H 'Content-Type: application/json' -d '{"paths":["config.json","sub","nope"],"expand":true}' \
	"$B/api/models/t/small/paths-info/main" >"$T/pi.json"
check "paths-info JSON: found entries only" "config.json:file sub:directory" \
	"$(jq -r '[.[] | "\(.path):\(.type)"] | join(" ")' "$T/pi.json")"
check "paths-info lastCommit.id" "$SHA" "$(jq -r '.[0].lastCommit.id' "$T/pi.json")"
check "paths-info form-encoded (Python style)" "$(sha256 "$F/big.dat")" \
	"$(curl -s -X POST -d 'paths=big.dat&expand=False' "$B/api/models/t/small/paths-info/$SHA" | jq -r '.[0].lfs.oid')"

# ---- resolve: regular file
curl -s -I -D "$T/h" -o /dev/null "$R/config.json"
check "HEAD regular: 200" 200 "$(status_of "$T/h")"
check "HEAD regular: X-Repo-Commit" "$SHA" "$(hdr "$T/h" X-Repo-Commit)"
check "HEAD regular: quoted ETag = oid" "\"$(gitoid "$F/config.json")\"" "$(hdr "$T/h" ETag)"
check "HEAD regular: Content-Length, Accept-Ranges" "300 bytes" "$(hdr "$T/h" Content-Length) $(hdr "$T/h" Accept-Ranges)"
curl -s -o "$T/got" "$R/config.json"
check "GET regular: bytes" "$(sha256 "$F/config.json")" "$(sha256 "$T/got")"
curl -s -o "$T/got" "$B/t/small/resolve/$SHA/sub%2Fdir%2Fdata.txt"
check "GET by commit, encoded path" "$(sha256 "$F/sub/dir/data.txt")" "$(sha256 "$T/got")"
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=2-9' "$R/config.json"
check "Range: 206 + Content-Range" "206 bytes 2-9/300 8" \
	"$(status_of "$T/h") $(hdr "$T/h" Content-Range) $(hdr "$T/h" Content-Length)"
check "Range: bytes" "$(tail -c +3 "$F/config.json" | head -c 8 | sha256sum | cut -d' ' -f1)" "$(sha256 "$T/got")"
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=290-' "$R/config.json"
check "open Range" "206 bytes 290-299/300" "$(status_of "$T/h") $(hdr "$T/h" Content-Range)"
curl -s -D "$T/h" -o /dev/null -H 'Range: bytes=300-' "$R/config.json"
check "Range past the end: 416" "416 bytes */300" "$(status_of "$T/h") $(hdr "$T/h" Content-Range)"
curl -s -D "$T/h" -o /dev/null "$R/nope.bin"
check "missing file: 404 EntryNotFound + X-Repo-Commit" "404 EntryNotFound $SHA" \
	"$(status_of "$T/h") $(hdr "$T/h" X-Error-Code) $(hdr "$T/h" X-Repo-Commit)"
curl -s -D "$T/h" -o /dev/null "$B/t/small/resolve/v2/config.json"
check "resolve unknown revision: RevisionNotFound" "404 RevisionNotFound" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)"
curl -s -D "$T/h" -o /dev/null "$B/t/nope/resolve/main/config.json"
check "resolve unknown repo: RepoNotFound" "404 RepoNotFound" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)"
curl -s -D "$T/h" -o /dev/null "$R/.hidden-marker"
check "root dotfile is not served" 404 "$(status_of "$T/h")"

# ---- resolve: LFS via the CDN host
curl -s -I -D "$T/h" -o /dev/null "$R/big.dat"
LOC=$(hdr "$T/h" Location)
check "LFS HEAD: 302" 302 "$(status_of "$T/h")"
check "LFS: Location on the CDN host" 1 "$(echo "$LOC" | grep -c "^$CDN/cdn/$(sha256 "$F/big.dat")?")"
check "LFS: X-Linked-Etag quoted sha256" "\"$(sha256 "$F/big.dat")\"" "$(hdr "$T/h" X-Linked-Etag)"
check "LFS: X-Linked-Size, X-Repo-Commit, ETag" "$((1536 * 1024)) $SHA 1" \
	"$(hdr "$T/h" X-Linked-Size) $(hdr "$T/h" X-Repo-Commit) $(hdr "$T/h" ETag | grep -cE '^"[0-9a-f]{40}"$')"
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=0-0' "$LOC"
check "CDN Range 0-0: 206 + Content-Range total" "206 bytes 0-0/$((1536 * 1024)) 1" \
	"$(status_of "$T/h") $(hdr "$T/h" Content-Range) $(stat -c %s "$T/got")"
curl -s -L -o "$T/got" "$R/big.dat"
check "LFS GET through the redirect: bytes" "$(sha256 "$F/big.dat")" "$(sha256 "$T/got")"
check "CDN: bad signature 403" 403 "$(curl -s -o /dev/null -w '%{http_code}' "${LOC%%\?*}?X-Amz-Signature=fake0")"
check "main host does not serve /cdn/" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$B/cdn/$(sha256 "$F/big.dat")")"
check "CDN host does not serve the API" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$CDN/api/models/t/small")"
check "CDN host has no admin API" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$CDN/_admin/log")"
curl -s -o "$T/got" "$B/t/small/raw/main/big.dat"
check "raw: LFS pointer" "$ptr" "$(cat "$T/got")
"

# ---- datasets
check "dataset info" "d/set" "$(curl -s "$B/api/datasets/d/set" | jq -r .id)"
curl -s -o "$T/got" "$B/datasets/d/set/resolve/main/data.txt"
check "dataset resolve" "$(sha256 "$ROOT/datasets/d/set/data.txt")" "$(sha256 "$T/got")"

# ---- gated
G=$B/t/gated/resolve/main
curl -s -D "$T/h" -o "$T/body" "$G/config.json"
check "gated, no token: 401 GatedRepo" "401 GatedRepo" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)"
curl -s -D "$T/h" -o /dev/null -H 'Authorization: Bearer hf_wrong' "$G/config.json"
check "gated, wrong token: 403 GatedRepo" "403 GatedRepo" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)"
curl -s -D "$T/h" -o /dev/null -H "Authorization: Bearer $TOKEN" "$G/config.json"
check "gated, right token: 200" 200 "$(status_of "$T/h")"
check "gated info: gated auto" auto "$(curl -s "$B/api/models/t/gated" | jq -r .gated)"
check "gated marker is not content" "config.json model.bin" \
	"$(curl -s "$B/api/models/t/gated" | jq -r '[.siblings[].rfilename] | sort | join(" ")')"
reset
curl -s -L -o "$T/got" -H "Authorization: Bearer $TOKEN" "$G/model.bin"
check "gated LFS with token: bytes via the CDN" "$(sha256 "$ROOT/t/gated/model.bin")" "$(sha256 "$T/got")"
admin GET log >"$T/log.json"
check "log: main got the Authorization, the CDN did not" "main:true cdn:false" \
	"$(jq -r '[.[] | "\(.role):\(.authorization)"] | join(" ")' "$T/log.json")"
check "log never holds the token" 0 "$(grep -c "$TOKEN" "$T/log.json")"
fault '{"type":"gated","repo":"t/small","times":1}'
check "gated fault: 401 once, then open" "401 200" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$R/config.json") $(curl -s -o /dev/null -w '%{http_code}' "$R/config.json")"

# ---- faults
reset
fault '{"type":"status500","times":2,"path":"config.json"}'
codes=$(for _ in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' "$R/config.json"; done)
check "status500 x2 then ok" "500 500 200 " "$codes"
check "fault scoped by path" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$R/sub/dir/data.txt")"
check "GET /_admin/faults: remaining 0" "status500 0" "$(admin GET faults | jq -r '.faults[0] | "\(.type) \(.remaining)"')"
fault '{"type":"status429","retry_after":7,"times":1,"on":"info"}'
curl -s -D "$T/h" -o /dev/null "$B/api/models/t/small"
check "status429 with Retry-After" "429 7" "$(status_of "$T/h") $(hdr "$T/h" Retry-After)"
fault '{"type":"status","code":503,"times":1,"skip":1,"repo":"t/*"}'
check "status with skip" "200 503 200" "$(for _ in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' "$R/config.json"; done | sed 's/ $//')"
check "bad fault rejected" 400 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"type":"nope"}' "$B/_admin/faults")"

fault '{"type":"ignore_range","times":1}'
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=2-9' "$R/config.json"
check "ignore_range: 200 full body" "200 300" "$(status_of "$T/h") $(stat -c %s "$T/got")"

fault '{"type":"reset_mid_body","bytes":100000,"times":1,"role":"cdn"}'
curl -s -o "$T/got" "$LOC"
rc=$?
check "reset_mid_body: curl sees a short body" "18 100000" "$rc $(stat -c %s "$T/got")"
check "after the fault the CDN is fine again" "$(sha256 "$F/big.dat")" "$(curl -s "$LOC" | sha256sum | cut -d' ' -f1)"

fault '{"type":"wrong_bytes","times":1,"at":10}'
curl -s -o "$T/got" "$R/config.json"
check "wrong_bytes: same size, other bytes" "300 1" \
	"$(stat -c %s "$T/got") $(cmp -l "$T/got" "$F/config.json" | wc -l)"

fault '{"type":"body_larger","extra":50,"times":1}'
curl -s -o /dev/null "$R/config.json"
check "body_larger: 350 bytes sent for 300 announced" 350 \
	"$(admin GET log | jq -r '[.[] | select(.faults | index("body_larger"))][0].bytes_sent')"

fault '{"type":"slow_body","rate":20000,"times":1}'
t0=$(date +%s%N)
curl -s -o "$T/got" "$B/t/small/resolve/main/weights.safetensors" -L
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -ge 350 ] && [ "$(stat -c %s "$T/got")" = 10240 ]; then ok "slow_body: 10 KiB at 20 kB/s took ${ms} ms"; else bad "slow_body" "${ms} ms, $(stat -c %s "$T/got") bytes"; fi

fault '{"type":"stall","bytes":100,"seconds":5,"times":1}'
curl -s -m 1 -o "$T/got" "$R/config.json"
rc=$?
check "stall: client times out after 100 bytes" "28 100" "$rc $(stat -c %s "$T/got")"

fault '{"type":"endless_body","times":1}'
curl -s -m 1 -o "$T/got" "$R/config.json"
rc=$?
n=$(stat -c %s "$T/got")
if [ "$rc" = 28 ] && [ "$n" -gt 300 ]; then ok "endless_body: $n bytes before the client gave up"; else bad "endless_body" "rc=$rc n=$n"; fi

fault '{"type":"redirect_loop"}'
curl -s -L --max-redirs 5 -o /dev/null "$R/config.json"
check "redirect_loop: curl gives up" 47 "$?"
admin DELETE faults >/dev/null

fault '{"type":"redirect_other_host","times":1}'
curl -s -I -D "$T/h" -o /dev/null "$R/config.json"
check "redirect_other_host: 302 to the CDN, ETag, X-Linked-Size" "302 1 \"$(gitoid "$F/config.json")\" 300" \
	"$(status_of "$T/h") $(hdr "$T/h" Location | grep -c "^$CDN/cdn/") $(hdr "$T/h" ETag) $(hdr "$T/h" X-Linked-Size)"
fault '{"type":"redirect_relative","times":1}'
curl -s -I -L -D "$T/h" -o /dev/null "$R/config.json"
check "redirect_relative: 307 then 200 with metadata" "200 $SHA" "$(status_of "$T/h") $(hdr "$T/h" X-Repo-Commit)"

fault '{"type":"evil","variant":"dotdot","repo":"t/small"}'
fault '{"type":"evil","variant":"backslash","repo":"t/small"}'
check "evil names in the tree" 'true true' \
	"$(curl -s "$B/api/models/t/small/tree/main?recursive=true" | jq -r '[any(.[]; .path == "../evil"), any(.[]; .path == "a\\b")] | map(tostring) | join(" ")')"
check "evil names in siblings" 2 "$(curl -s "$B/api/models/t/small" | jq '[.siblings[] | select(.rfilename == "../evil" or .rfilename == "a\\b")] | length')"
admin DELETE faults >/dev/null
fault '{"type":"evil","variant":"etag","value":"../../x"}'
fault '{"type":"evil","variant":"commit"}'
curl -s -I -D "$T/h" -o /dev/null "$R/big.dat"
check "evil etag and commit headers" '"../../x" ../../evil-commit' "$(hdr "$T/h" X-Linked-Etag) $(hdr "$T/h" X-Repo-Commit)"
admin DELETE faults >/dev/null

fault '{"type":"cdn_reject_auth"}'
check "cdn_reject_auth: 400 with Authorization, 200 without" "400 200" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer hf_x' "$LOC") $(curl -s -o /dev/null -w '%{http_code}' "$LOC")"

# ---- log, stats, reset, reload
reset
curl -s -o /dev/null -H 'Range: bytes=5-14' "$R/config.json"
curl -s -o /dev/null -I "$R/config.json"
admin GET log >"$T/log.json"
check "log entry fields" "method host path query range authorization status bytes_sent time" \
	"$(jq -r '.[0] as $e | ["method","host","path","query","range","authorization","status","bytes_sent","time"] | map(select(. as $k | $e | has($k))) | join(" ")' "$T/log.json")"
check "log: Range GET recorded" "GET bytes=5-14 206 10 /t/small/resolve/main/config.json" \
	"$(jq -r '.[0] | "\(.method) \(.range) \(.status) \(.bytes_sent) \(.path)"' "$T/log.json")"
check "log: HEAD sends no body bytes" "HEAD 0" "$(jq -r '.[1] | "\(.method) \(.bytes_sent)"' "$T/log.json")"
check "stats: bytes per file" 10 "$(admin GET stats | jq -r '.by_file["t/small/config.json"]')"
check "log file: JSON lines" 1 "$(tail -n 1 "$T/requests.jsonl" | jq -r '.method == "HEAD"' | grep -c true)"
fault '{"type":"status500"}'
reset
check "reset clears faults and log" "0 0" "$(admin GET faults | jq '.faults | length') $(admin GET log | jq length)"

printf 'new' >"$F/added.txt"
admin POST reload >/dev/null
NEW=$(curl -s "$B/api/models/t/small" | jq -r .sha)
if [ "$NEW" != "$SHA" ] && curl -s "$B/api/models/t/small" | jq -e 'any(.siblings[]; .rfilename == "added.txt")' >/dev/null; then
	ok "reload picks up a new file and a new commit"
else
	bad "reload" "sha $NEW"
fi
check "old commit is gone after reload" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/models/t/small/revision/$SHA")"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
