# shellcheck shell=bash
# tests/integration/hubtest.sh: the harness of the fake hub's own tests
# (tests/fakehub/test_fakehub.sh, tests/interop/test_interop.sh), which run
# fakehub.js alone, without a stack:
#
#	. "$(dirname "$0")/../integration/hubtest.sh"
#	hub_start --root "$ROOT" --token hf_x	# sets B and HUB_PID
#	assert_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' "$B/...")" "..."
#
# T is a temporary directory, removed at exit with the hub stopped; the
# exit status is assert_verdict's.

set -uo pipefail

HUBTEST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
FAKEHUB=$HUBTEST_ROOT/tests/fakehub
# shellcheck source=tests/integration/assert.sh
. "$HUBTEST_ROOT/tests/integration/assert.sh"

for tool in node curl jq sha1sum sha256sum; do
	command -v "$tool" >/dev/null ||
	    { echo "$(basename "$0"): $tool is missing" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/hubtest.XXXXXX")
HUB_PID=
_hubtest_exit()
{
	local rc=$?
	if [ -n "$HUB_PID" ]; then
		kill "$HUB_PID" 2>/dev/null
		wait "$HUB_PID" 2>/dev/null
	fi
	rm -rf "$T"
	[ "$rc" -eq 0 ] || fail "the test script exited with status $rc"
	# In an EXIT trap a bare exit keeps the status from before the
	# trap: the verdict must be given explicitly.
	assert_verdict
	exit $?
}
trap _hubtest_exit EXIT

# hub_start FAKEHUB-ARGS...: starts fakehub.js on a free loopback port
# (its output in $T/stdout and $T/stderr); sets B, its base URL, and
# HUB_PID.  Exits when it does not start.
hub_start()
{
	node "$FAKEHUB/fakehub.js" --port 0 "$@" >"$T/stdout" 2>"$T/stderr" &
	HUB_PID=$!
	B=
	for _ in $(seq 100); do
		B=$(sed -n 's/^fakehub listening on \(http:\/\/[0-9.]*:[0-9]*\)$/\1/p' \
		    "$T/stdout")
		[ -n "$B" ] && return 0
		kill -0 "$HUB_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/stdout" "$T/stderr" >&2
	fail "fakehub did not start"
	exit 1
}

# mkrepo MKREPO-ARGS...: a generated repository (tests/fakehub/mkrepo.js);
# exits when it cannot be made.
mkrepo()
{
	node "$FAKEHUB/mkrepo.js" "$@" >/dev/null ||
	    { fail "mkrepo.js $*"; exit 1; }
}

# admin METHOD WHAT [JSON]: the fake hub's admin API.
admin()
{
	curl -s -X "$1" "$B/_admin/$2" ${3:+-d "$3"}
}

# gitoid FILE: its git blob sha1; sha256 FILE: its sha256.
gitoid()
{
	{ printf 'blob %d\0' "$(stat -c %s "$1")"; cat "$1"; } | sha1sum |
	    cut -d' ' -f1
}

sha256()
{
	sha256sum "$1" | cut -d' ' -f1
}
