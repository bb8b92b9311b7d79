#!/usr/bin/env bash
#
# Runs every tests/integration/test_*.sh (or those named as arguments),
# each as its own process whose exit status is the verdict, and ends with
# the line "N passed, N failed".  Logs: build/integration/<test>.log
# (MM_IT_LOGDIR).  MM_IT_TIMEOUT: seconds per test (default 600).

set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd -P)
logdir=${MM_IT_LOGDIR:-$root/build/integration}
timeout=${MM_IT_TIMEOUT:-600}

mkdir -p "$logdir"
MM_IT_SHARED=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-its.XXXXXX")
export MM_IT_SHARED

# Stops any stack a killed test left behind, then removes the shared dir.
cleanup()
{
	local dir
	if [ -r "$MM_IT_SHARED/stacks" ]; then
		while IFS= read -r dir; do
			[ -d "$dir/run" ] || continue
			MM_VAR=$dir bash "$root/conf/stack.sh" stop >/dev/null 2>&1
		done <"$MM_IT_SHARED/stacks"
	fi
	rm -rf "$MM_IT_SHARED"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ $# -gt 0 ]; then
	tests=("$@")
else
	# The integration tests, and the self-tests of the fake hub and of
	# the @huggingface/hub interop.
	tests=("$root"/tests/integration/test_*.sh
	    "$root"/tests/fakehub/test_*.sh "$root"/tests/interop/test_*.sh)
fi

passed=0
failed=0
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	log=$logdir/$name.log
	t0=$(date +%s%N)
	timeout -k 10 "$timeout" bash "$t" >"$log" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		printf 'PASS %s (%d.%01d s)\n' "$name" $((ms / 1000)) \
		    $((ms % 1000 / 100))
	else
		failed=$((failed + 1))
		[ "$rc" -ne 124 ] || echo "timed out after ${timeout}s" >>"$log"
		printf 'FAIL %s (%d.%01d s, exit %d): %s\n' "$name" \
		    $((ms / 1000)) $((ms % 1000 / 100)) "$rc" "$log"
	fi
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
