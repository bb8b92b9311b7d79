#!/usr/bin/env bash
#
# Authentication and authorisation through nginx, exactly as the contract:
# missing token, JWTs good and bad, users unknown or inactive, API keys,
# superuser only, a token in the query string, PostgreSQL down.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

stack_up

now=$(date +%s)
later=$((now + 600))
hs='{"alg":"HS256","typ":"JWT"}'
admin=$(token_for admin)

expect()	# STATUS DETAIL TOKEN MESSAGE
{
	api GET /api/v2/models "$3"
	assert_eq "$1" "$status" "$4: status"
	assert_json ".detail == \"$2\"" "$4: detail"
	assert_json '.reference | startswith("ERR-")' "$4: reference"
}

api GET /api/v2/models "$admin"
assert_eq 200 "$status" "superuser token from mm-api -T"
assert_json '.models | length == 32' "32 curated models"

expect 401 "Not authenticated" "" "no token"
assert_eq Bearer "$(header WWW-Authenticate)" "WWW-Authenticate: Bearer"
api GET /api/v2/models "" "" -H "Authorization: Basic YWRtaW46eA=="
assert_eq 401 "$status" "Basic scheme"
api GET "/api/v2/models?token=$admin&access_token=$admin"
assert_eq 401 "$status" "a token in the query string is never accepted"
api GET /api/v2/models "" "" -H "Authorization: bearer $admin"
assert_eq 200 "$status" "the scheme is case-insensitive"

expect 401 "Invalid authentication credentials" \
    "$(jwt '{"alg":"none","typ":"JWT"}' "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\"}")" \
    "alg none"
tok="$(b64url '{"alg":"none"}').$(b64url "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\"}")."
expect 401 "Invalid authentication credentials" "$tok" "alg none, empty signature"
expect 401 "Invalid authentication credentials" \
    "$(jwt '{"alg":"HS512","typ":"JWT"}' "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\"}")" \
    "alg HS512"
expect 401 "Invalid authentication credentials" \
    "$(jwt "$hs" "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"access\"}" other-key)" \
    "signed with another key"
# The first character of the signature changed (the last one carries two
# padding bits a decoder ignores: changing it may change nothing).
sig=${admin##*.}
c=A
[ "${sig:0:1}" != A ] || c=B
expect 401 "Invalid authentication credentials" "${admin%.*}.$c${sig:1}" \
    "tampered signature"
expect 401 "Invalid authentication credentials" \
    "$(jwt "$hs" "{\"sub\":\"admin\",\"exp\":$((now - 1)),\"type\":\"access\"}")" \
    "expired"
expect 401 "Invalid authentication credentials" \
    "$(jwt "$hs" '{"sub":"admin","type":"access"}')" "no exp"
expect 401 "Invalid authentication credentials" \
    "$(jwt "$hs" "{\"sub\":\"admin\",\"exp\":$later,\"nbf\":$((now + 300)),\"type\":\"access\"}")" \
    "nbf in the future"
expect 401 "Invalid authentication credentials" \
    "$(jwt "$hs" "{\"sub\":\"admin\",\"exp\":$later,\"type\":\"refresh\"}")" \
    "type refresh"
expect 401 "Invalid authentication credentials" \
    "$(jwt "$hs" "{\"exp\":$later,\"type\":\"access\"}")" "no sub"
expect 401 "User not found" \
    "$(jwt "$hs" "{\"sub\":\"mallory\",\"exp\":$later,\"type\":\"access\"}")" \
    "unknown user"
expect 403 "Inactive user" "$(token_for bob)" "inactive user"
expect 403 "Superuser access required for model management" \
    "$(token_for alice)" "regular user"

# API keys: sha256(token) in api_keys; never superuser.
key=mmk_$(openssl rand -hex 16)
hash=$(printf '%s' "$key" | sha256sum | cut -c1-64)
psql_exec "INSERT INTO api_keys (id, user_id, name, key_hash, is_active)
    SELECT 'k1', id, 'ci', '$hash', true FROM users WHERE username = 'admin'"
expect 403 "Superuser access required for model management" "$key" \
    "an API key of a superuser is still not superuser"
expect 401 "Invalid API key" "mmk_unknown" "unknown API key"
psql_exec "UPDATE api_keys SET expires_at = now() - interval '1 minute'"
expect 401 "Invalid API key" "$key" "expired API key"
psql_exec "UPDATE api_keys SET expires_at = NULL, is_active = false"
expect 401 "Invalid API key" "$key" "inactive API key"

# Order of checks: route before authentication, authentication before
# parameter validation, validation before the superuser check.
api GET /api/v2/models/nope
assert_eq 404 "$status" "unknown path: 404 before authentication"
api PUT /api/v2/models
assert_eq 405 "$status" "unknown method: 405 before authentication"
assert_json '.detail == "Method Not Allowed"' "405 detail"
api GET "/api/v2/models?model_type=bogus"
assert_eq 401 "$status" "authentication before validation"
api GET "/api/v2/models?model_type=bogus" "$(token_for alice)"
assert_eq 422 "$status" "validation before the superuser check"
api POST /api/v2/models/download "" '{"model_id": '
assert_eq 422 "$status" "body JSON syntax before authentication"
assert_json '.detail[0].type == "json_invalid"' "json_invalid"

# PostgreSQL down: 503, never 401; back up: served again.
pg_down
expect 503 "Database unavailable" "$admin" "PostgreSQL down"
pg_up
api GET /api/v2/models "$admin"
assert_eq 200 "$status" "PostgreSQL back: served without a restart"
