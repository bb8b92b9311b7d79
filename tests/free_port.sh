# shellcheck shell=bash
# tests/free_port.sh: free_port, sourced by the integration harness and
# the benchmark.

# free_port: a loopback TCP port nothing listens on, below the kernel's
# ephemeral range (which client sockets take).
free_port()
{
	local port lo
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$lo" -gt 12000 ] || lo=32768
	for _ in $(seq 100); do
		port=$((10000 + RANDOM % (lo - 10000)))
		if [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	return 1
}
