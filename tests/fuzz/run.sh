#!/usr/bin/env bash
#
# Runs libFuzzer harnesses one after the other for a bounded time each:
#
#	bash tests/fuzz/run.sh SECONDS build/fuzz/fuzz_NAME...
#
# Each starts from its checked-in seeds (tests/fuzz/corpus/NAME/, never
# written) plus what earlier runs found (build/fuzz/corpus/NAME/, where
# new inputs go); a crash is saved as build/fuzz/crash/NAME-crash-<sha1>
# and fails the run.  The log of each run is build/fuzz/NAME.log; one
# summary line per harness: executions, coverage, corpus size.

set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd -P)
secs=${1:?usage: run.sh SECONDS HARNESS...}
shift
out=$root/build/fuzz
mkdir -p "$out/crash"
failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds=$root/tests/fuzz/corpus/$name
	mkdir -p "$out/corpus/$name"
	dict=()
	[ ! -r "$root/tests/fuzz/$name.dict" ] ||
	    dict=(-dict="$root/tests/fuzz/$name.dict")
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 "${dict[@]}" \
	    -artifact_prefix="$out/crash/$name-" \
	    "$out/corpus/$name" "$seeds" >"$out/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$out/$name.log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' <<<"$done_line")
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		printf 'FUZZ FAIL %s (exit %d): %s\n' "$name" "$rc" "$out/$name.log"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
		    "$out/$name.log" | head -n 10
	else
		printf 'fuzz %-10s %s s: %s execs, %s\n' "$name" "$secs" \
		    "${execs:-?}" "${cov:-?}"
	fi
done
[ "$failed" -eq 0 ]
