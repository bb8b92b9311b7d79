# shellcheck shell=bash
# tests/integration/assert.sh: the assertions of every test script
# (tests/integration/test_*.sh through lib.sh, tests/fakehub/test_fakehub.sh,
# tests/interop/test_interop.sh).  Each check prints one line, "ok: WHAT"
# or "FAIL: WHAT: why"; a failed check never stops the script.  At the end
# assert_verdict prints "N passed, N failed" and is the exit status.
#
# A check passes on evidence only: an absence is checked on a directory
# that must exist, a command that cannot run is a failure, never an empty
# output.  Call the assertions from the script itself, not from inside
# $(...): a subshell's counters are lost.

IT_PASSES=0
IT_FAILS=0

# pass WHAT / fail WHAT: record one verdict.
pass()
{
	IT_PASSES=$((IT_PASSES + 1))
	printf 'ok: %s\n' "$*"
}

fail()
{
	IT_FAILS=$((IT_FAILS + 1))
	printf 'FAIL: %s\n' "$*"
}

# assert_eq EXPECTED ACTUAL MESSAGE
assert_eq()
{
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3: expected '$1', got '$2'"
	fi
}

# assert_match ERE ACTUAL MESSAGE
assert_match()
{
	if grep -Eq -- "$1" <<<"$2"; then
		pass "$3"
	else
		fail "$3: '$2' does not match /$1/"
	fi
}

# assert_status EXPECTED MESSAGE: the HTTP status of the last api call.
assert_status()
{
	assert_eq "$1" "${status:-}" "$2"
}

# assert_json JQ-EXPRESSION MESSAGE: the expression must be true on $body.
assert_json()
{
	if jq -e "$1" >/dev/null 2>&1 <<<"${body:-}"; then
		pass "$2"
	else
		fail "$2: jq '$1' is not true on: ${body:0:600}"
	fi
}

# assert_jq FILE JQ-EXPRESSION MESSAGE: the expression must be true on
# the JSON in FILE (which must exist).
assert_jq()
{
	if [ ! -f "$1" ]; then
		fail "$3: $1 does not exist"
	elif jq -e "$2" >/dev/null 2>&1 <"$1"; then
		pass "$3"
	else
		fail "$3: jq '$2' is not true on $1: $(head -c 600 "$1")"
	fi
}

# assert_ok MESSAGE COMMAND...: COMMAND exits 0.
assert_ok()
{
	local msg=$1 rc=0
	shift
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "$msg"
	else
		fail "$msg: '$*' exited with $rc"
	fi
}

# assert_exit STATUS MESSAGE COMMAND...: COMMAND exits with STATUS (a
# command that fails for another reason, or cannot run, is a failure).
assert_exit()
{
	local want=$1 msg=$2 rc=0
	shift 2
	"$@" || rc=$?
	assert_eq "$want" "$rc" "$msg: exit status"
}

# assert_no_output MESSAGE COMMAND...: COMMAND exits 0 and prints nothing
# on stdout (a command that fails proves nothing, and fails the check).
assert_no_output()
{
	local msg=$1 out rc=0
	shift
	out=$("$@") || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$msg: '$*' exited with $rc"
	elif [ -n "$out" ]; then
		fail "$msg: ${out:0:600}"
	else
		pass "$msg"
	fi
}

# assert_file_absent PATH MESSAGE: PATH does not exist (not even as a
# dangling link), but the directory it would be in does.
assert_file_absent()
{
	if [ ! -d "$(dirname "$1")" ]; then
		fail "$2: the directory of $1 does not exist"
	elif [ -e "$1" ] || [ -L "$1" ]; then
		fail "$2: $1 exists"
	else
		pass "$2"
	fi
}

# assert_none_found DIR MESSAGE [FIND-EXPRESSION...]: DIR exists and
# `find DIR FIND-EXPRESSION` finds nothing.
assert_none_found()
{
	local dir=$1 msg=$2
	shift 2
	if [ ! -d "$dir" ]; then
		fail "$msg: $dir does not exist"
		return
	fi
	assert_no_output "$msg" find "$dir" "$@"
}

# assert_empty_dir DIR MESSAGE: DIR is empty or absent; the directory
# that holds it must exist.
assert_empty_dir()
{
	if [ ! -d "$(dirname "$1")" ]; then
		fail "$2: the directory of $1 does not exist"
	elif [ ! -e "$1" ]; then
		pass "$2"
	else
		assert_none_found "$1" "$2" -mindepth 1
	fi
}

# assert_verdict: prints "N passed, N failed"; 0 when nothing failed and
# something was checked.
assert_verdict()
{
	printf '%d passed, %d failed\n' "$IT_PASSES" "$IT_FAILS"
	if [ "$IT_PASSES" -eq 0 ] && [ "$IT_FAILS" -eq 0 ]; then
		printf 'FAIL: nothing was checked\n'
		return 1
	fi
	[ "$IT_FAILS" -eq 0 ]
}
