#!/usr/bin/env bash
#
# Hostile input, each request with the answer it must get and nothing
# changed in Redis or in the cache: odd model ids (traversal, %2e%2e, NUL,
# non-UTF-8, very long), query strings and bodies over the limits,
# malformed, deeply nested and duplicate-key JSON, wrong content types,
# and the JWT and API-key tricks test_auth.sh does not cover.  Then a
# hostile hub: file names with "../", an absolute path, a backslash, a
# drive, an ETag, object id or commit that is not hex, a redirect to
# another host (no token sent there), a redirect loop, an endless body and
# a body larger than announced.  Every bad download fails with a clear
# message, leaves nothing outside its repo folder and no file named evil,
# and the model is not installed.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
at_exit "rm -rf '$HUBROOT'"
# One repo per hostile hub case: a small regular file and an LFS file.
HUB_MODELS="intfloat/e5-small-v2 intfloat/e5-base-v2 intfloat/e5-large-v2
    intfloat/multilingual-e5-base intfloat/multilingual-e5-large
    BAAI/bge-base-en-v1.5 BAAI/bge-small-en-v1.5 BAAI/bge-m3
    sentence-transformers/all-mpnet-base-v2 nomic-ai/nomic-embed-text-v1.5
    google/embeddinggemma-300m nomic-ai/nomic-embed-text-v1
    BAAI/bge-large-en-v1.5"
for m in $HUB_MODELS; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 --file sub/vocab.txt=20K \
	    --file model.safetensors=300K >/dev/null
done
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0 --token hf_hostiletoken
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB HF_TOKEN=hf_hostiletoken
test_config stall_seconds 2 retry_max 2 retry_base_ms 50 retry_max_ms 200 \
    progress_interval_ms 100 disk_reserve_mb 0
stack_up
T=$(token_for admin)

# --- helpers ------------------------------------------------------------

# state: every Redis key and every entry of HF_HOME (type and size);
# "unreadable" when Redis or the cache cannot be read, which fails the
# comparison below.  The audit stream and the counters are left out:
# recording hostile requests is their job.
state()
{
	local keys files
	keys=$(redis_cli --scan) || { echo "unreadable: Redis"; return; }
	keys=$(grep -vx 'model-manager:audit\|model-manager:metrics' \
	    <<<"$keys" || true)
	files=$(find "$HF_HOME" -printf '%P %y %s\n') ||
	    { echo "unreadable: $HF_HOME"; return; }
	sort <<<"$keys"
	echo ---
	sort <<<"$files"
}

# hostile STATUS MESSAGE METHOD PATH [TOKEN [BODY [CURL-ARGS...]]]: the
# request must answer STATUS and change nothing; an answer of the API
# must be valid JSON.
hostile()
{
	local want=$1 msg=$2 before after
	shift 2
	before=$(state)
	api "$@"
	after=$(state)
	assert_eq "$want" "$status" "$msg"
	if [[ $before == unreadable:* || $after == unreadable:* ]]; then
		fail "$msg: the state cannot be read: $before / $after"
	elif [ "$before" != "$after" ]; then
		fail "$msg: Redis or the cache changed: $(diff <(echo "$before") \
		    <(echo "$after") | head -n 5 | tr '\n' ' ')"
	fi
	case $(header Content-Type) in
	application/json*)
		jq -e . >/dev/null 2>&1 <<<"$body" ||
		    fail "$msg: the JSON answer does not parse: ${body:0:200}"
		iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 <<<"$body" ||
		    fail "$msg: the answer is not UTF-8"
		;;
	esac
}

# not_curated MESSAGE METHOD PATH [TOKEN [BODY [CURL-ARGS...]]]
not_curated()
{
	local msg=$1
	shift
	hostile 400 "$msg" "$@"
	assert_json '.detail | test("is not in the curated model list$")' \
	    "$msg: not curated"
}

resp_before=$(responders)
assert_eq "$MM_RESPONDERS" "$(grep -c . <<<"$resp_before")" \
    "$MM_RESPONDERS responders before the hostile requests"

# --- model ids: traversal, odd characters ---------------------------------

for id in "../../../etc/passwd" "BAAI/../../etc" "../BAAI/bge-m3" \
    "/BAAI/bge-m3" "BAAI/bge-m3/" "BAAI/bge-m3/../bge-m3" "BAAI\\\\bge-m3" \
    "models--BAAI--bge-m3" " BAAI/bge-m3" "baai/bge-m3" "BAAI/bge-m3\\n" \
    "BAAI/bge-m3\\t" "%2e%2e/%2e%2e/x" ""; do
	not_curated "download of \"$id\"" POST /api/v2/models/download "$T" \
	    "{\"model_id\":\"$id\"}"
done
not_curated "usage of ../../etc/passwd" \
    GET "/api/v2/models/usage?model_id=..%2F..%2Fetc%2Fpasswd" "$T"
assert_json '.detail == "Model '"'../../etc/passwd'"' is not in the curated model list"' \
    "the query's %2F is decoded once"
not_curated "delete of %2e%2e/%2e%2e/hf" \
    DELETE "/api/v2/models/cache?model_id=%2e%2e%2f%2e%2e%2fhf&confirm=true" "$T"
assert_json '.detail | contains("../../hf")' "%2e%2e decodes to .."
not_curated "delete of a double-encoded %252e%252e" \
    DELETE "/api/v2/models/cache?model_id=%252e%252e%252fhf&confirm=true" "$T"
assert_json '.detail | contains("%2e%2e%2fhf")' "decoded once only"
not_curated "delete of BAAI/bge-m3/.. (query)" \
    DELETE "/api/v2/models/cache?model_id=BAAI/bge-m3/..&confirm=true" "$T"

# NUL: refused in the query; in JSON it must not cut the string short.
hostile 400 "a NUL (%00) in the query" \
    DELETE "/api/v2/models/cache?model_id=BAAI%2Fbge-m3%00x&confirm=true" "$T"
assert_json '.detail == "Invalid query string"' "... Invalid query string"
not_curated "a JSON \\u0000 does not cut a curated id short" \
    POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-m3\u0000../../x"}'
hostile 422 "a JSON \\u0000 does not cut a key short" \
    POST /api/v2/models/download "$T" '{"model_id\u0000":"BAAI/bge-m3"}'
assert_json '[.detail[].type] == ["missing","extra_forbidden"]' \
    "... model_id missing, the other key extra"
hostile 422 'an escaped backslash before u0000 is literal text' \
    POST /api/v2/models/download "$T" '{"model_id":"a\\u0000","x":1}'
assert_json '.detail[0].type == "extra_forbidden"' "... parsed normally"

# Not UTF-8: the answer echoes U+FFFD, never the raw bytes.
not_curated "usage of a non-UTF-8 id" \
    GET "/api/v2/models/usage?model_id=BAAI%2F%ff%fe%c0%af" "$T"
assert_json '.detail | contains("BAAI/\ufffd\ufffd\ufffd\ufffd")' \
    "... echoed with U+FFFD"
hostile 422 "a non-UTF-8 JSON body is invalid JSON" \
    POST /api/v2/models/download "$T" $'{"model_id":"BAAI/\xff"}'
assert_json '.detail[0].type == "json_invalid"' "... json_invalid"
hostile 422 "an overlong UTF-8 slash in JSON is invalid JSON" \
    POST /api/v2/models/download "$T" $'{"model_id":"BAAI\xc0\xafbge-m3"}'
hostile 422 "a non-UTF-8 text/plain body" \
    POST /api/v2/models/download "$T" $'model_id=\xff\xfe' \
    -H 'Content-Type: text/plain'
assert_json '.detail[0].type == "model_attributes_type" and (.detail[0].input | contains("\ufffd"))' \
    "... echoed with U+FFFD"
hostile 422 "a non-UTF-8 task id" GET "/api/v2/models/tasks/%ff%fe" "$T"
assert_json '.detail[0].type == "uuid_parsing" and .detail[0].input == "\ufffd\ufffd"' \
    "... uuid_parsing, echoed with U+FFFD"
hostile 400 "a NUL in the path" GET "/api/v2/models/tasks/a%00b" "$T"
assert_json '.detail == "Bad Request"' "... nginx's JSON 400"

# Traversal in the path: nginx resolves it before routing.
hostile 404 "tasks/%2e%2e/%2e%2e/cache" \
    DELETE "/api/v2/models/tasks/%2e%2e/%2e%2e/cache?model_id=BAAI/bge-m3" "$T"
hostile 404 "tasks/../../../../conf/mm.yaml" \
    GET "/api/v2/models/tasks/..%2f..%2f..%2f..%2fconf%2fmm.yaml" "$T" "" \
    --path-as-is

# Very long ids.
long=$(head -c 6000 /dev/zero | tr '\0' 'a')
not_curated "a 6000-byte id in the query" \
    GET "/api/v2/models/usage?model_id=BAAI/$long" "$T"
long=$(head -c 60000 /dev/zero | tr '\0' 'a')
not_curated "a 60000-byte id in the body" \
    POST /api/v2/models/download "$T" "{\"model_id\":\"$long\"}"

# --- query strings and bodies over the limits --------------------------

qs=$(for i in $(seq 64); do printf 'p%d=1&' "$i"; done)
hostile 200 "64 query parameters" GET "/api/v2/models?${qs%&}" "$T"
hostile 400 "65 query parameters" GET "/api/v2/models?${qs}p65=1" "$T"
assert_json '.detail == "Invalid query string"' "... Invalid query string"
hostile 200 "empty pairs do not count" \
    GET "/api/v2/models?$(printf '&%.0s' $(seq 200))model_type=llm" "$T"
hostile 200 "the last of duplicate query parameters wins" \
    GET "/api/v2/models?model_type=bogus&model_type=llm" "$T"
assert_json '[.models[].model_type] | unique == ["llm"]' "... model_type=llm"
long=$(head -c 9000 /dev/zero | tr '\0' 'a')
hostile 414 "a 9000-byte query string" \
    GET "/api/v2/models/usage?model_id=$long" "$T"
assert_json '.detail == "Request-URI Too Long"' "... nginx's JSON 414"
long=$(head -c 70000 /dev/zero | tr '\0' 'a')
hostile 400 "a body of exactly 64 KiB" POST /api/v2/models/download "$T" \
    "{\"model_id\":\"${long:0:$((65536 - 15))}\"}"
hostile 413 "a body of 64 KiB + 1" POST /api/v2/models/download "$T" \
    "{\"model_id\":\"${long:0:$((65536 - 14))}\"}"
assert_json '.detail == "Request Entity Too Large"' "... JSON 413"
hostile 400 "a chunked body is read like any other" \
    POST /api/v2/models/download "$T" '{"model_id":"org/none"}' \
    -H 'Transfer-Encoding: chunked'
hostile 413 "a chunked body over 64 KiB" \
    POST /api/v2/models/download "$T" "{\"model_id\":\"${long}${long}\"}" \
    -H 'Transfer-Encoding: chunked'

# --- malformed JSON --------------------------------------------------------

for b in '{"model_id": "BAAI/bge-m3"} x' '{"model_id":"BAAI/bge-m3",}' \
    "{'model_id': 'BAAI/bge-m3'}" '{"model_id": NaN}' '{model_id: 1}' \
    '{"model_id": "a' '{"model_id" "a"}' ']' '"' '{"a":"\x41"}' \
    '{"a":"\ud800"}' $'{"model_id":"a\tb"}' $'{"model_id":"a\x01"}' \
    $'{\x01"model_id":"a"}' $'{"model_id":"a\nb"}'; do
	hostile 422 "malformed JSON: $(printf '%q' "${b:0:30}")" \
	    POST /api/v2/models/download "$T" "$b"
	assert_json '.detail[0].type == "json_invalid" and .detail[0].loc[0] == "body"' \
	    "... json_invalid"
done
deep=$(head -c 60000 /dev/zero | tr '\0' '[')
hostile 422 "60000 nested arrays" POST /api/v2/models/download "$T" "$deep"
assert_json '.detail[0].type == "json_invalid"' "... json_invalid, no crash"
deep=$(printf '{"a":%.0s' $(seq 1200))
hostile 422 "1200 nested objects" POST /api/v2/models/download "$T" "$deep"
# (jq reads at most 256 levels.)
open=$(head -c 200 /dev/zero | tr '\0' '[')
close=$(head -c 200 /dev/zero | tr '\0' ']')
hostile 422 "200 nested arrays in an extra field" \
    POST /api/v2/models/download "$T" "{\"model_id\":\"x\",\"a\":$open$close}"
assert_json '.detail[0].type == "extra_forbidden" and (.detail[0].input | tostring | length) == 400' \
    "... extra_forbidden echoing the nested input"

# --- duplicate keys: the last one wins, as in Python ---------------------

hostile 422 "duplicate model_id, the last not a string" \
    POST /api/v2/models/download "$T" '{"model_id":"BAAI/bge-m3","model_id":5}'
assert_json '.detail == [{"type":"string_type","loc":["body","model_id"],"msg":"Input should be a valid string","input":5}]' \
    "... string_type on the last"
not_curated "duplicate model_id, the last not curated" \
    POST /api/v2/models/download "$T" '{"model_id":5,"model_id":"org/none"}'
hostile 422 "a duplicate extra key is one error" \
    POST /api/v2/models/download "$T" '{"model_id":"x","a":1,"a":2}'
assert_json '.detail == [{"type":"extra_forbidden","loc":["body","a"],"msg":"Extra inputs are not permitted","input":2}]' \
    "... with the last value"
hostile 422 "a duplicate key keeps its first place" \
    POST /api/v2/models/download "$T" '{"a":1,"model_id":"x","b":2,"a":3}'
assert_json '[.detail[] | [.loc[1], .input]] == [["a",3],["b",2]]' \
    "... and its last value"
b='{"model_id":"x"'$(printf ',"a":1%.0s' $(seq 10000))'}'
t0=$(date +%s%N)
hostile 422 "10000 duplicate keys" POST /api/v2/models/download "$T" "$b"
ms=$((($(date +%s%N) - t0) / 1000000))
assert_json '.detail | length == 1' "... one error"
[ "$ms" -lt 1500 ] && pass "... answered in $ms ms" ||
    fail "10000 duplicate keys took $ms ms"

# --- content types -----------------------------------------------------------

for ct in "text/plain" "application/x-www-form-urlencoded" \
    "multipart/form-data; boundary=x" "application/jsonx" "json" \
    "application/xml"; do
	hostile 422 "Content-Type $ct" POST /api/v2/models/download "$T" \
	    '{"model_id":"org/none"}' -H "Content-Type: $ct"
	assert_json '.detail[0].type == "model_attributes_type" and .detail[0].input == "{\"model_id\":\"org/none\"}"' \
	    "... model_attributes_type with the raw body"
done
for ct in "application/json; charset=utf-8" "Application/JSON" \
    "application/vnd.api+json"; do
	not_curated "Content-Type $ct is JSON" POST /api/v2/models/download \
	    "$T" '{"model_id":"org/none"}' -H "Content-Type: $ct"
done

# --- tokens: what test_auth.sh does not cover ---------------------------------

later=$(($(date +%s) + 600))
hs='{"alg":"HS256","typ":"JWT"}'
claims()	# SUB-JSON [EXTRA]
{
	printf '{"sub":%s,"exp":%s,"type":"access"%s}' "$1" "$later" "${2:-}"
}
bad_token()	# DETAIL MESSAGE TOKEN
{
	hostile 401 "$2" GET /api/v2/models "$3"
	assert_json ".detail == \"$1\"" "$2: $1"
}
hostile 200 "a well-formed token of our own (control)" GET /api/v2/models \
    "$(jwt "$hs" "$(claims '"admin"')")"
bad_token "Invalid authentication credentials" "alg RS256 signed with HMAC" \
    "$(jwt '{"alg":"RS256","typ":"JWT"}' "$(claims '"admin"')")"
bad_token "Invalid authentication credentials" "alg hs256 (lower case)" \
    "$(jwt '{"alg":"hs256","typ":"JWT"}' "$(claims '"admin"')")"
bad_token "Invalid authentication credentials" "duplicate alg, the last none" \
    "$(jwt '{"alg":"HS256","alg":"none"}' "$(claims '"admin"')")"
bad_token "Invalid authentication credentials" "a sub cut by \\u0000" \
    "$(jwt "$hs" "$(claims '"admin\u0000evil"')")"
bad_token "Invalid authentication credentials" "a numeric sub" \
    "$(jwt "$hs" "$(claims 1)")"
bad_token "Invalid authentication credentials" "duplicate sub, the last not a string" \
    "$(jwt "$hs" "$(claims '"admin"' ',"sub":null')")"
bad_token "Invalid authentication credentials" "exp as a string" \
    "$(jwt "$hs" '{"sub":"admin","exp":"99999999999","type":"access"}')"
bad_token "Invalid authentication credentials" "duplicate type, the last refresh" \
    "$(jwt "$hs" "$(claims '"admin"' ',"type":"refresh"')")"
bad_token "Invalid authentication credentials" "a non-UTF-8 payload" \
    "$(jwt "$hs" $'{"sub":"adm\xffin","exp":'"$later"',"type":"access"}')"
bad_token "Invalid authentication credentials" "a header that is not an object" \
    "$(jwt '["HS256"]' "$(claims '"admin"')")"
bad_token "Invalid authentication credentials" "padding in the signature" \
    "$(jwt "$hs" "$(claims '"admin"')")="
hostile 400 "a token over 8 KiB: nginx refuses the header" GET /api/v2/models \
    "$(jwt "$hs" "$(claims '"admin"' ",\"pad\":\"$(head -c 9000 /dev/zero | tr '\0' x)\"")")"
assert_json '.detail == "Bad Request"' "... nginx's JSON 400"
bad_token "User not found" "an SQL-looking sub" \
    "$(jwt "$hs" "$(claims "\"admin' OR '1'='1\"")")"
bad_token "Invalid API key" "an SQL-looking API key" "x' OR '1'='1"
bad_token "Invalid authentication credentials" "two spaces after Bearer" " $T"

assert_eq "$resp_before" "$(responders)" "no responder died on the way"
assert_no_redis_keys 'model-manager:active:*' \
    "no claim was taken by any hostile request"

# --- a hostile hub --------------------------------------------------------

# download MODEL: starts it; waits for its end; $body holds the task.
download()
{
	local tid s deadline=$((SECONDS + 30))
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	tid=$(json .task_id)
	while [ "$SECONDS" -lt "$deadline" ]; do
		api GET "/api/v2/models/tasks/$tid" "$T"
		s=$(json .status)
		case $s in completed|failed|cancelled) break ;; esac
		sleep 0.2
	done
	case $s in
	completed|failed|cancelled) ;;
	*) fail "download of $1 did not end: $body" ;;
	esac
	iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 <<<"$body" ||
	    fail "download of $1: the task's answer is not UTF-8"
}

# cache_clean MODEL MESSAGE: nothing outside the repo folders, no evil,
# every link inside its repo, the model not installed.
cache_clean()
{
	local m=$1 msg=$2 repo=models--${1//\//--} l t
	# Inside the stack's directory, beside it, at the root.
	# (The directories of other stacks beside ours may be unreadable.)
	assert_none_found "$MM_VAR" "$msg: no file named evil in the stack" \
	    -maxdepth 8 -iname '*evil*'
	assert_eq "" "$(find "$(dirname "$MM_VAR")" / -maxdepth 1 \
	    -iname '*evil*' 2>/dev/null)" "$msg: no file named evil beside it"
	assert_none_found "$HF_HUB_CACHE" \
	    "$msg: nothing beside the repo folders in the cache" \
	    -mindepth 1 -maxdepth 1 ! -name 'models--*' ! -name .locks \
	    ! -name CACHEDIR.TAG
	if [ -e "$HF_HUB_CACHE/.locks" ]; then
		assert_none_found "$HF_HUB_CACHE/.locks" \
		    "$msg: nothing beside the repo folders in .locks" \
		    -mindepth 1 -maxdepth 1 ! -name 'models--*'
	fi
	assert_none_found "$HF_HOME" "$msg: nothing beside hub/ in HF_HOME" \
	    -mindepth 1 -maxdepth 1 ! -name hub
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		t=$(realpath -m "$l")
		case $t in
		"$HF_HUB_CACHE/$repo/blobs/"*) ;;
		*) fail "$msg: link $l points at $t" ;;
		esac
	done <<<"$(find "$HF_HUB_CACHE/$repo" -type l 2>/dev/null)"
	if [ -d "$HF_HUB_CACHE/$repo" ]; then
		assert_empty_dir "$HF_HUB_CACHE/$repo/snapshots" "$msg: no snapshot"
		assert_empty_dir "$HF_HUB_CACHE/$repo/refs" "$msg: no ref"
	else
		assert_ok "$msg: no repo folder in the cache, so no snapshot" \
		    test -d "$HF_HUB_CACHE"
	fi
	api GET "/api/v2/models?force_refresh_cache=true" "$T"
	assert_json ".models[] | select(.id == \"$m\") | .is_installed == false and .active_download_task_id == null" \
	    "$msg: not installed, claim released"
}

# evil_case MODEL VARIANT ERROR-ERE MESSAGE [EXTRA-FAULT-JSON-FIELDS]
evil_case()
{
	curl -sf -X DELETE "$HUB/_admin/faults" >/dev/null ||
	    fail "the fake hub did not clear its faults"
	hub_fault "{\"type\":\"evil\",\"variant\":\"$2\",\"repo\":\"$1\"${5:-}}"
	download "$1"
	assert_json '.status == "failed"' "$4: the download failed"
	assert_json ".error | test(\"$3\")" "$4: a clear message"
	assert_json '.error | test("hf_hostile") | not' "$4: no token in it"
	cache_clean "$1" "$4"
}

evil_case intfloat/e5-small-v2 dotdot 'unsafe path.*\\.\\./evil' \
    'a file named ../evil'
evil_case intfloat/e5-base-v2 abs 'unsafe path.*/abs' 'a file named /abs'
evil_case intfloat/e5-large-v2 backslash 'unsafe path.*a\\\\b' \
    'a file named a\b'
evil_case intfloat/multilingual-e5-base nested_dotdot \
    'unsafe path.*sub/\\.\\./\\.\\./evil' 'a file named sub/../../evil'
evil_case intfloat/multilingual-e5-large drive 'unsafe path.*C:evil' \
    'a file named C:evil'
evil_case BAAI/bge-large-en-v1.5 name 'unsafe path.*evil/\\.\\.' \
    'a file named evil/..' ',"name":"evil/.."'
evil_case BAAI/bge-base-en-v1.5 etag 'ETag .*does not match' \
    'an ETag that is not hex'
# Bytes that are not UTF-8 in a header end up in the message: the
# answer must still be UTF-8 (U+FFFD instead).
evil_case BAAI/bge-large-en-v1.5 etag 'ETag .*\uFFFD.*does not match' \
    'an ETag that is not UTF-8' ',"value":"caf\u00e9\u00ff"'
evil_case BAAI/bge-small-en-v1.5 oid 'invalid object id' \
    'an object id that is not hex'
evil_case BAAI/bge-m3 commit 'no valid commit hash' 'a commit that is not hex'

# A redirect to another host: the token never goes there (the CDN would
# refuse a request that carries one).
M=sentence-transformers/all-mpnet-base-v2
hub_fault '{"type":"redirect_other_host","repo":"'"$M"'","path":"config.json"}'
hub_fault '{"type":"cdn_reject_auth"}'
download $M
assert_json '.status == "completed"' "redirect to another host: completed"
assert_eq 0 "$(hub_log | jq '[.[] | select(.role == "cdn" and .authorization)] | length')" \
    "redirect to another host: no token sent there"
assert_eq 2 "$(hub_log | jq --arg m "$M" '[.[] | select(.role == "cdn" and .repo == $m)] | length')" \
    "redirect to another host: config.json and the LFS file from there"
hub_reset

M=nomic-ai/nomic-embed-text-v1.5
hub_fault '{"type":"redirect_loop","repo":"'"$M"'","path":"config.json"}'
download $M
assert_json '.status == "failed"' "a redirect loop: failed"
assert_json '.error | test("Too many redirects.*config.json")' \
    "a redirect loop: a clear message"
cache_clean $M "a redirect loop"
[ "$(hub_log | jq --arg m "$M" '[.[] | select(.repo == $m and .file == "config.json")] | length')" -le 12 ] &&
    pass "a redirect loop: at most 11 requests" ||
    fail "a redirect loop: $(hub_log | jq --arg m "$M" '[.[] | select(.repo == $m and .file == "config.json")] | length') requests"

M=google/embeddinggemma-300m
hub_fault '{"type":"endless_body","repo":"'"$M"'","path":"model.safetensors"}'
download $M
assert_json '.status == "failed"' "an endless body: failed"
assert_json '.error | test("more than the 307200 bytes listed for model.safetensors")' \
    "an endless body: a clear message"
cache_clean $M "an endless body"
assert_none_found "$(repo_dir $M)" \
    "an endless body: no file larger than the listing" -type f -size +300k

# More bytes than Content-Length: only the announced bytes are read, and
# they are the file, verified by its hash.
M=nomic-ai/nomic-embed-text-v1
hub_fault '{"type":"body_larger","extra":100000,"repo":"'"$M"'"}'
download $M
assert_json '.status == "completed"' "a body larger than announced: the extra bytes are never read"
repo=$HF_HUB_CACHE/models--nomic-ai--nomic-embed-text-v1
c=$(cat "$repo/refs/main")
for f in config.json sub/vocab.txt model.safetensors; do
	cmp -s "$repo/snapshots/$c/$f" "$HUBROOT/$M/$f" &&
	    pass "a body larger than announced: $f byte-identical" ||
	    fail "a body larger than announced: $f differs"
done
