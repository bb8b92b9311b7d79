# shellcheck shell=bash
# tests/integration/capmeter.sh: what test_bwcap.sh and `make bench` share
# to measure the download cap, sourced after lib.sh with a stack up:
#
#	extra_runner ID		another mm-jobd as on a second host
#	cap_rate SECONDS TASK...	their bytes per second together, then
#					each one's
#
# shellcheck disable=SC2154	# $MM_VAR, $MM_USER: lib.sh's stack

# extra_runner ID: starts another mm-jobd exactly as the stack's own
# (program, arguments, environment from /proc, same user) but with runner
# id ID, as on a second host sharing Redis and the cache; waits until its
# heartbeat is in Redis (1 when it never is).  Killed at exit.
extra_runner()
{
	local a v pid argv envv envb=() as=()
	a=$(pid_of jobd)
	mapfile -d '' argv <"/proc/$a/cmdline"
	mapfile -d '' envv <"/proc/$a/environ"
	for v in "${envv[@]}"; do
		case $v in MM_RUNNER_ID=*) ;; *) envb+=("$v") ;; esac
	done
	envb+=("MM_RUNNER_ID=$1")
	if [ "$(id -u)" -eq 0 ]; then
		as=(setpriv --reuid="$MM_USER" --regid="$(id -gn "$MM_USER")"
		    --init-groups --)
	fi
	setsid "${as[@]}" env -i "${envb[@]}" "${argv[@]}" </dev/null \
	    >>"$MM_VAR/log/mm-jobd-$1.out" 2>&1 &
	pid=$!
	disown "$pid"
	at_exit "kill \$(pgrep -P $pid) $pid 2>/dev/null"
	wait_for 15 _cap_runner_up "$1"
}

_cap_runner_up()
{
	[ "$(redis_cli EXISTS "model-manager:runner:$1")" = 1 ]
}

# _cap_sample TASK: "bytes updated_at" of its last progress write.
_cap_sample()
{
	redis_cli HMGET "model-manager:task:$1" bytes_downloaded updated_at |
	    paste -sd' ' -
}

# cap_rate SECONDS TASK...: the bytes per second the tasks fetched
# together over about SECONDS, then each one's, on one line (integers),
# each measured between two of its own progress writes (bytes and the
# time they were written), so that the polling does not blur it.
cap_rate()
{
	local secs=$1 t i=0
	local -a before=()
	shift
	for t in "$@"; do
		before[i++]=$(_cap_sample "$t")
	done
	sleep "$secs"
	i=0
	for t in "$@"; do
		printf '%s %s\n' "${before[i++]}" "$(_cap_sample "$t")"
	done | awk '{ r[NR] = $4 > $2 ? ($3 - $1) / ($4 - $2) : 0; sum += r[NR] }
	    END { printf "%.0f", sum; for (i = 1; i <= NR; i++)
	    printf " %.0f", r[i]; printf "\n" }'
}

# _disk_bytes: the bytes the cache's files take on disk now (the partial
# files grow by exactly what the transfers were let write).
_disk_bytes()
{
	du -sB1 "$HF_HUB_CACHE" | cut -f1
}

# disk_rate SECONDS: the bytes per second the cache grew by over SECONDS,
# measured at the same two instants for every download (integer).  Each
# task's own rate (cap_rate) is taken between its own progress writes, at
# instants that differ from task to task by up to a progress interval:
# summing those rates over-counts when the shares swing, so the total of
# several downloads is measured here.
disk_rate()
{
	local b0 b1 t0 t1
	t0=$(date +%s.%N)
	b0=$(_disk_bytes)
	sleep "$1"
	t1=$(date +%s.%N)
	b1=$(_disk_bytes)
	awk -v b0="$b0" -v b1="$b1" -v t0="$t0" -v t1="$t1" \
	    'BEGIN { printf "%.0f\n", (b1 - b0) / (t1 - t0) }'
}
