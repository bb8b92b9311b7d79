#!/usr/bin/env bash
#
# Self-test of the fake hub (bash, curl, jq, node): starts fakehub.js on a
# free loopback port with repos generated in a temporary directory and checks
# the protocol endpoints, the admin API, a set of faults and the request log.
# Prints one line per check and a closing "N passed, N failed"; the exit
# status is the verdict.

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/hubtest.sh
. "$HERE/../integration/hubtest.sh"

# hdr FILE NAME: value of a response header (last one wins), CR stripped
hdr() { tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1)==n {v=substr($0, length($1)+3)} END {print v}'; }
status_of() { tr -d '\r' <"$1" | awk '/^HTTP\//{s=$2} END {print s}'; }

ROOT=$T/root
TOKEN=hf_selftest_token
mkrepo --root "$ROOT" --repo t/small --seed s1 \
	--file config.json=300 --file sub/dir/data.txt=1000 --file big.dat=1536K \
	--file weights.safetensors=10K
mkrepo --root "$ROOT" --repo t/gated --gated --file config.json=100 \
	--file model.bin=4K
mkrepo --root "$ROOT" --repo datasets/d/set --file data.txt=50
printf 'x' >"$ROOT/t/small/.hidden-marker"

hub_start --root "$ROOT" --token "$TOKEN" --log "$T/requests.jsonl"
assert_eq 1 "$(wc -l <"$T/stdout")" "prints exactly one listening line"
PORT=${B##*:}
CDN=http://127.0.0.2:$PORT
R=$B/t/small/resolve/main
F=$ROOT/t/small

fault() { admin POST faults "$1" >/dev/null; }
reset() { admin POST reset >/dev/null; }

# ---- repo info and revisions
SHA=$(admin GET repos | jq -r '.repos[] | select(.id == "t/small") | .sha')
curl -s "$B/api/models/t/small" >"$T/info.json"
assert_eq "t/small" "$(jq -r .id "$T/info.json")" "info id"
assert_eq "$SHA" "$(jq -r .sha "$T/info.json")" "info sha"
assert_eq 1 "$(jq -r .sha "$T/info.json" | grep -cE '^[0-9a-f]{40}$')" "info sha is 40 hex"
assert_eq "big.dat config.json sub/dir/data.txt weights.safetensors" \
	"$(jq -r '[.siblings[].rfilename] | sort | join(" ")' "$T/info.json")" \
	"info siblings (dotfiles at the root hidden)"
assert_eq "false false true" "$(jq -r '[.private, .gated, (._id | length > 0)] | map(tostring) | join(" ")' "$T/info.json")" \
	"info private/gated/_id"
assert_eq "$(sha256 "$F/big.dat")" "$(curl -s "$B/api/models/t/small/revision/main?blobs=true" | jq -r '.siblings[] | select(.rfilename == "big.dat") | .lfs.sha256')" \
	"info blobs=true has lfs.sha256"
for rev in main "$SHA" "${SHA:0:7}" HEAD; do
	assert_eq "$SHA" "$(curl -s "$B/api/models/t/small/revision/$rev?expand=sha&expand=gated" | jq -r .sha)" "info at revision $rev"
done
curl -s -o /dev/null -D "$T/h" "$B/api/models/t/small/revision/refs%2Fpr%2F9"
assert_eq "404 RevisionNotFound" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)" "unknown revision: 404 RevisionNotFound"
curl -s -o "$T/body" -D "$T/h" "$B/api/models/t/nope"
assert_eq "404 RepoNotFound true" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code) $(jq 'has("error")' "$T/body")" \
	"unknown repo: 404 RepoNotFound + JSON error"
assert_eq 1 "$(hdr "$T/h" X-Error-Message | grep -c 'Repository Not Found')" "unknown repo: X-Error-Message"

# ---- tree
curl -s "$B/api/models/t/small/tree/main?recursive=true&expand=false" >"$T/tree.json"
assert_eq "big.dat:file config.json:file sub:directory sub/dir:directory sub/dir/data.txt:file weights.safetensors:file" \
	"$(jq -r 'sort_by(.path) | map("\(.path):\(.type)") | join(" ")' "$T/tree.json")" \
	"recursive tree lists files and directories"
assert_eq "$(gitoid "$F/config.json")" "$(jq -r '.[] | select(.path == "config.json") | .oid' "$T/tree.json")" \
	"tree oid = git blob sha1"
assert_eq 1000 "$(jq -r '.[] | select(.path == "sub/dir/data.txt") | .size' "$T/tree.json")" "tree size"
assert_eq "$(sha256 "$F/big.dat") $((1536 * 1024))" "$(jq -r '.[] | select(.path == "big.dat") | "\(.lfs.oid) \(.lfs.size)"' "$T/tree.json")" \
	"LFS by size: lfs.oid = sha256"
ptr="version https://git-lfs.github.com/spec/v1
oid sha256:$(sha256 "$F/big.dat")
size $((1536 * 1024))
"
assert_eq "${#ptr} $(printf '%s' "$ptr" | { printf 'blob %d\0' "${#ptr}"; cat; } | sha1sum | cut -d' ' -f1)" "$(jq -r '.[] | select(.path == "big.dat") | "\(.lfs.pointerSize) \(.oid)"' "$T/tree.json")" \
	"LFS pointerSize and oid of the pointer"
assert_eq "$(sha256 "$F/weights.safetensors")" "$(jq -r '.[] | select(.path == "weights.safetensors") | .lfs.oid' "$T/tree.json")" \
	"LFS by extension"
assert_eq null "$(jq -r '.[] | select(.path == "config.json") | .lfs' "$T/tree.json")" "small file is not LFS"
assert_eq "big.dat config.json sub weights.safetensors" "$(curl -s "$B/api/models/t/small/tree/$SHA" | jq -r '[.[].path] | sort | join(" ")')" \
	"non-recursive root tree"
assert_eq "sub/dir sub/dir/data.txt" "$(curl -s "$B/api/models/t/small/tree/main/sub?recursive=true" | jq -r '[.[].path] | sort | join(" ")')" \
	"tree of a folder"
curl -s -o /dev/null -D "$T/h" "$B/api/models/t/small/tree/main/nothere"
assert_eq "404 EntryNotFound" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)" "tree of a missing folder: EntryNotFound"

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
	case $url in "" | "$B"/*) ;; *) fail "Link next is absolute on the hub: $url"; url= ;; esac
done
assert_eq 3 "$pages" "pagination: 3 pages of 2"
assert_eq "$(jq -c '.[]' "$T/tree.json" | sort)" "$(sort "$T/all.jsonl")" "pagination: same entries"
admin POST options '{"page_size": 1000}' >/dev/null

# ---- paths-info
curl -s -X POST -H 'Content-Type: application/json' -d '{"paths":["config.json","sub","nope"],"expand":true}' \
	"$B/api/models/t/small/paths-info/main" >"$T/pi.json"
assert_eq "config.json:file sub:directory" "$(jq -r '[.[] | "\(.path):\(.type)"] | join(" ")' "$T/pi.json")" \
	"paths-info JSON: found entries only"
assert_eq "$SHA" "$(jq -r '.[0].lastCommit.id' "$T/pi.json")" "paths-info lastCommit.id"
assert_eq "$(sha256 "$F/big.dat")" "$(curl -s -X POST -d 'paths=big.dat&expand=False' "$B/api/models/t/small/paths-info/$SHA" | jq -r '.[0].lfs.oid')" \
	"paths-info form-encoded (Python style)"

# ---- resolve: regular file
curl -s -I -D "$T/h" -o /dev/null "$R/config.json"
assert_eq 200 "$(status_of "$T/h")" "HEAD regular: 200"
assert_eq "$SHA" "$(hdr "$T/h" X-Repo-Commit)" "HEAD regular: X-Repo-Commit"
assert_eq "\"$(gitoid "$F/config.json")\"" "$(hdr "$T/h" ETag)" "HEAD regular: quoted ETag = oid"
assert_eq "300 bytes" "$(hdr "$T/h" Content-Length) $(hdr "$T/h" Accept-Ranges)" "HEAD regular: Content-Length, Accept-Ranges"
curl -s -o "$T/got" "$R/config.json"
assert_eq "$(sha256 "$F/config.json")" "$(sha256 "$T/got")" "GET regular: bytes"
curl -s -o "$T/got" "$B/t/small/resolve/$SHA/sub%2Fdir%2Fdata.txt"
assert_eq "$(sha256 "$F/sub/dir/data.txt")" "$(sha256 "$T/got")" "GET by commit, encoded path"
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=2-9' "$R/config.json"
assert_eq "206 bytes 2-9/300 8" "$(status_of "$T/h") $(hdr "$T/h" Content-Range) $(hdr "$T/h" Content-Length)" \
	"Range: 206 + Content-Range"
assert_eq "$(tail -c +3 "$F/config.json" | head -c 8 | sha256sum | cut -d' ' -f1)" "$(sha256 "$T/got")" "Range: bytes"
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=290-' "$R/config.json"
assert_eq "206 bytes 290-299/300" "$(status_of "$T/h") $(hdr "$T/h" Content-Range)" "open Range"
curl -s -D "$T/h" -o /dev/null -H 'Range: bytes=300-' "$R/config.json"
assert_eq "416 bytes */300" "$(status_of "$T/h") $(hdr "$T/h" Content-Range)" "Range past the end: 416"
curl -s -D "$T/h" -o /dev/null "$R/nope.bin"
assert_eq "404 EntryNotFound $SHA" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code) $(hdr "$T/h" X-Repo-Commit)" \
	"missing file: 404 EntryNotFound + X-Repo-Commit"
curl -s -D "$T/h" -o /dev/null "$B/t/small/resolve/v2/config.json"
assert_eq "404 RevisionNotFound" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)" "resolve unknown revision: RevisionNotFound"
curl -s -D "$T/h" -o /dev/null "$B/t/nope/resolve/main/config.json"
assert_eq "404 RepoNotFound" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)" "resolve unknown repo: RepoNotFound"
curl -s -D "$T/h" -o /dev/null "$R/.hidden-marker"
assert_eq 404 "$(status_of "$T/h")" "root dotfile is not served"

# ---- resolve: LFS via the CDN host
curl -s -I -D "$T/h" -o /dev/null "$R/big.dat"
LOC=$(hdr "$T/h" Location)
assert_eq 302 "$(status_of "$T/h")" "LFS HEAD: 302"
assert_eq 1 "$(echo "$LOC" | grep -c "^$CDN/cdn/$(sha256 "$F/big.dat")?")" "LFS: Location on the CDN host"
assert_eq "\"$(sha256 "$F/big.dat")\"" "$(hdr "$T/h" X-Linked-Etag)" "LFS: X-Linked-Etag quoted sha256"
assert_eq "$((1536 * 1024)) $SHA 1" "$(hdr "$T/h" X-Linked-Size) $(hdr "$T/h" X-Repo-Commit) $(hdr "$T/h" ETag | grep -cE '^"[0-9a-f]{40}"$')" \
	"LFS: X-Linked-Size, X-Repo-Commit, ETag"
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=0-0' "$LOC"
assert_eq "206 bytes 0-0/$((1536 * 1024)) 1" "$(status_of "$T/h") $(hdr "$T/h" Content-Range) $(stat -c %s "$T/got")" \
	"CDN Range 0-0: 206 + Content-Range total"
curl -s -L -o "$T/got" "$R/big.dat"
assert_eq "$(sha256 "$F/big.dat")" "$(sha256 "$T/got")" "LFS GET through the redirect: bytes"
assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' "${LOC%%\?*}?X-Amz-Signature=fake0")" "CDN: bad signature 403"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$B/cdn/$(sha256 "$F/big.dat")")" "main host does not serve /cdn/"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$CDN/api/models/t/small")" "CDN host does not serve the API"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$CDN/_admin/log")" "CDN host has no admin API"
curl -s -o "$T/got" "$B/t/small/raw/main/big.dat"
assert_eq "$ptr" "$(cat "$T/got")
" "raw: LFS pointer"

# ---- datasets
assert_eq "d/set" "$(curl -s "$B/api/datasets/d/set" | jq -r .id)" "dataset info"
curl -s -o "$T/got" "$B/datasets/d/set/resolve/main/data.txt"
assert_eq "$(sha256 "$ROOT/datasets/d/set/data.txt")" "$(sha256 "$T/got")" "dataset resolve"

# ---- gated
G=$B/t/gated/resolve/main
curl -s -D "$T/h" -o "$T/body" "$G/config.json"
assert_eq "401 GatedRepo" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)" "gated, no token: 401 GatedRepo"
curl -s -D "$T/h" -o /dev/null -H 'Authorization: Bearer hf_wrong' "$G/config.json"
assert_eq "403 GatedRepo" "$(status_of "$T/h") $(hdr "$T/h" X-Error-Code)" "gated, wrong token: 403 GatedRepo"
curl -s -D "$T/h" -o /dev/null -H "Authorization: Bearer $TOKEN" "$G/config.json"
assert_eq 200 "$(status_of "$T/h")" "gated, right token: 200"
assert_eq auto "$(curl -s "$B/api/models/t/gated" | jq -r .gated)" "gated info: gated auto"
assert_eq "config.json model.bin" "$(curl -s "$B/api/models/t/gated" | jq -r '[.siblings[].rfilename] | sort | join(" ")')" \
	"gated marker is not content"
reset
curl -s -L -o "$T/got" -H "Authorization: Bearer $TOKEN" "$G/model.bin"
assert_eq "$(sha256 "$ROOT/t/gated/model.bin")" "$(sha256 "$T/got")" "gated LFS with token: bytes via the CDN"
admin GET log >"$T/log.json"
assert_eq "main:true cdn:false" "$(jq -r '[.[] | "\(.role):\(.authorization)"] | join(" ")' "$T/log.json")" \
	"log: main got the Authorization, the CDN did not"
assert_eq 0 "$(grep -c "$TOKEN" "$T/log.json")" "log never holds the token"
fault '{"type":"gated","repo":"t/small","times":1}'
assert_eq "401 200" "$(curl -s -o /dev/null -w '%{http_code}' "$R/config.json") $(curl -s -o /dev/null -w '%{http_code}' "$R/config.json")" \
	"gated fault: 401 once, then open"

# ---- faults
reset
fault '{"type":"status500","times":2,"path":"config.json"}'
codes=$(for _ in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' "$R/config.json"; done)
assert_eq "500 500 200 " "$codes" "status500 x2 then ok"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$R/sub/dir/data.txt")" "fault scoped by path"
assert_eq "status500 0" "$(admin GET faults | jq -r '.faults[0] | "\(.type) \(.remaining)"')" "GET /_admin/faults: remaining 0"
fault '{"type":"status429","retry_after":7,"times":1,"on":"info"}'
curl -s -D "$T/h" -o /dev/null "$B/api/models/t/small"
assert_eq "429 7" "$(status_of "$T/h") $(hdr "$T/h" Retry-After)" "status429 with Retry-After"
fault '{"type":"status","code":503,"times":1,"skip":1,"repo":"t/*"}'
assert_eq "200 503 200" "$(for _ in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' "$R/config.json"; done | sed 's/ $//')" "status with skip"
assert_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"type":"nope"}' "$B/_admin/faults")" "bad fault rejected"

fault '{"type":"ignore_range","times":1}'
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=2-9' "$R/config.json"
assert_eq "200 300" "$(status_of "$T/h") $(stat -c %s "$T/got")" "ignore_range: 200 full body"
fault '{"type":"range_past_end","times":1}'
curl -s -D "$T/h" -o "$T/got" -H 'Range: bytes=2-9' "$R/config.json"
assert_eq "206 bytes 2-299/300 298" "$(status_of "$T/h") $(hdr "$T/h" Content-Range) $(stat -c %s "$T/got")" \
	"range_past_end: 206 to the end of the file"

fault '{"type":"reset_mid_body","bytes":100000,"times":1,"role":"cdn"}'
curl -s -o "$T/got" "$LOC"
rc=$?
assert_eq "18 100000" "$rc $(stat -c %s "$T/got")" "reset_mid_body: curl sees a short body"
assert_eq "$(sha256 "$F/big.dat")" "$(curl -s "$LOC" | sha256sum | cut -d' ' -f1)" "after the fault the CDN is fine again"

fault '{"type":"wrong_bytes","times":1,"at":10}'
curl -s -o "$T/got" "$R/config.json"
assert_eq "300 1" "$(stat -c %s "$T/got") $(cmp -l "$T/got" "$F/config.json" | wc -l)" \
	"wrong_bytes: same size, other bytes"

# covers: only the requests whose range holds that file offset
reset
fault '{"type":"status","code":503,"times":2,"covers":1000000,"role":"cdn"}'
codes=$(for r in 0-99999 900000-1099999 1000000- 1000000-1000009 0- 2000-; do
	curl -s -o /dev/null -w '%{http_code} ' -H "Range: bytes=$r" "$LOC"; done)
assert_eq "206 503 503 206 206 206 " "$codes" \
	"covers: the ranges holding the offset fail (twice), the others not"
fault '{"type":"status","code":503,"times":2,"covers":5,"role":"cdn"}'
codes=$(for r in "" "Range: bytes=6-9" "Range: bytes=0-9"; do
	curl -s -o /dev/null -w '%{http_code} ' -H "$r" "$LOC"; done)
assert_eq "503 206 503 " "$codes" "covers: a request without Range holds every offset"
fault '{"type":"wrong_bytes","offset":1000000,"covers":1000000,"times":1}'
curl -s -o "$T/got" -H 'Range: bytes=0-99' "$LOC"
curl -s -o "$T/got" -H 'Range: bytes=999990-1000009' "$LOC"
assert_eq 1 "$(cmp -l "$T/got" <(tail -c +999991 "$F/big.dat" | head -c 20) | wc -l)" \
	"wrong_bytes at a file offset, in the range that holds it"

# expire_url: a signed CDN URL refused once older than after_ms
reset
fault '{"type":"expire_url","after_ms":300}'
curl -s -I -D "$T/h" -o /dev/null "$R/big.dat"
L2=$(hdr "$T/h" Location)
assert_eq 1 "$(echo "$L2" | grep -c 'X-Amz-Date=[0-9]*&')" "CDN URLs carry their issue time"
assert_eq 206 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-9' "$L2")" \
	"expire_url: a fresh URL is served"
sleep 0.5
curl -s -D "$T/h" -o "$T/body" "$L2"
assert_eq "403 1" "$(status_of "$T/h") $(grep -c '<Code>AccessDenied</Code>' "$T/body")" \
	"expire_url: an older one is refused (AccessDenied)"
assert_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' "${L2/X-Amz-Date=/X-Amz-Date=1}")" \
	"the issue time is signed"
curl -s -I -D "$T/h" -o /dev/null "$R/big.dat"
assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$(hdr "$T/h" Location)")" \
	"expire_url: resolved again, served"
reset

fault '{"type":"body_larger","extra":50,"times":1}'
curl -s -o /dev/null "$R/config.json"
assert_eq 350 "$(admin GET log | jq -r '[.[] | select(.faults | index("body_larger"))][0].bytes_sent')" \
	"body_larger: 350 bytes sent for 300 announced"

fault '{"type":"slow_body","rate":20000,"times":1}'
t0=$(date +%s%N)
curl -s -o "$T/got" "$B/t/small/resolve/main/weights.safetensors" -L
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -ge 350 ] && [ "$(stat -c %s "$T/got")" = 10240 ]; then pass "slow_body: 10 KiB at 20 kB/s took ${ms} ms"; else fail "slow_body: ${ms} ms, $(stat -c %s "$T/got") bytes"; fi

fault '{"type":"stall","bytes":100,"seconds":5,"times":1}'
curl -s -m 1 -o "$T/got" "$R/config.json"
rc=$?
assert_eq "28 100" "$rc $(stat -c %s "$T/got")" "stall: client times out after 100 bytes"

fault '{"type":"endless_body","times":1}'
curl -s -m 1 -o "$T/got" "$R/config.json"
rc=$?
n=$(stat -c %s "$T/got")
if [ "$rc" = 28 ] && [ "$n" -gt 300 ]; then pass "endless_body: $n bytes before the client gave up"; else fail "endless_body: rc=$rc n=$n"; fi

fault '{"type":"redirect_loop"}'
curl -s -L --max-redirs 5 -o /dev/null "$R/config.json"
assert_eq 47 "$?" "redirect_loop: curl gives up"
admin DELETE faults >/dev/null

fault '{"type":"redirect_other_host","times":1}'
curl -s -I -D "$T/h" -o /dev/null "$R/config.json"
assert_eq "302 1 \"$(gitoid "$F/config.json")\" 300" "$(status_of "$T/h") $(hdr "$T/h" Location | grep -c "^$CDN/cdn/") $(hdr "$T/h" ETag) $(hdr "$T/h" X-Linked-Size)" \
	"redirect_other_host: 302 to the CDN, ETag, X-Linked-Size"
fault '{"type":"redirect_relative","times":1}'
curl -s -I -L -D "$T/h" -o /dev/null "$R/config.json"
assert_eq "200 $SHA" "$(status_of "$T/h") $(hdr "$T/h" X-Repo-Commit)" "redirect_relative: 307 then 200 with metadata"

fault '{"type":"evil","variant":"dotdot","repo":"t/small"}'
fault '{"type":"evil","variant":"backslash","repo":"t/small"}'
assert_eq 'true true' "$(curl -s "$B/api/models/t/small/tree/main?recursive=true" | jq -r '[any(.[]; .path == "../evil"), any(.[]; .path == "a\\b")] | map(tostring) | join(" ")')" \
	"evil names in the tree"
assert_eq 2 "$(curl -s "$B/api/models/t/small" | jq '[.siblings[] | select(.rfilename == "../evil" or .rfilename == "a\\b")] | length')" "evil names in siblings"
admin DELETE faults >/dev/null
fault '{"type":"evil","variant":"etag","value":"../../x"}'
fault '{"type":"evil","variant":"commit"}'
curl -s -I -D "$T/h" -o /dev/null "$R/big.dat"
assert_eq '"../../x" ../../evil-commit' "$(hdr "$T/h" X-Linked-Etag) $(hdr "$T/h" X-Repo-Commit)" "evil etag and commit headers"
admin DELETE faults >/dev/null

fault '{"type":"cdn_reject_auth"}'
assert_eq "400 200" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer hf_x' "$LOC") $(curl -s -o /dev/null -w '%{http_code}' "$LOC")" \
	"cdn_reject_auth: 400 with Authorization, 200 without"

# ---- log, stats, reset, reload
reset
curl -s -o /dev/null -H 'Range: bytes=5-14' "$R/config.json"
curl -s -o /dev/null -I "$R/config.json"
admin GET log >"$T/log.json"
assert_eq "method host path query range authorization status bytes_sent time" "$(jq -r '.[0] as $e | ["method","host","path","query","range","authorization","status","bytes_sent","time"] | map(select(. as $k | $e | has($k))) | join(" ")' "$T/log.json")" \
	"log entry fields"
assert_eq "GET bytes=5-14 206 10 /t/small/resolve/main/config.json" "$(jq -r '.[0] | "\(.method) \(.range) \(.status) \(.bytes_sent) \(.path)"' "$T/log.json")" \
	"log: Range GET recorded"
assert_eq "HEAD 0" "$(jq -r '.[1] | "\(.method) \(.bytes_sent)"' "$T/log.json")" "log: HEAD sends no body bytes"
assert_eq 10 "$(admin GET stats | jq -r '.by_file["t/small/config.json"]')" "stats: bytes per file"
assert_eq 1 "$(tail -n 1 "$T/requests.jsonl" | jq -r '.method == "HEAD"' | grep -c true)" "log file: JSON lines"
fault '{"type":"status500"}'
reset
assert_eq "0 0" "$(admin GET faults | jq '.faults | length') $(admin GET log | jq length)" "reset clears faults and log"

printf 'new' >"$F/added.txt"
admin POST reload >/dev/null
NEW=$(curl -s "$B/api/models/t/small" | jq -r .sha)
if [ "$NEW" != "$SHA" ] && curl -s "$B/api/models/t/small" | jq -e 'any(.siblings[]; .rfilename == "added.txt")' >/dev/null; then
	pass "reload picks up a new file and a new commit"
else
	fail "reload: sha $NEW"
fi
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/models/t/small/revision/$SHA")" "old commit is gone after reload"
