# shellcheck shell=sh
# Shared by the benchmark scripts (sourced; POSIX sh). Set BENCH_NAME first.

# bench_ns_del NS...: stops what runs in each namespace, then deletes it
bench_ns_del() {
	for ns; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.1
	for ns; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}

# bench_require WHY PROGRAM... [-- COMMAND...]: root, the built programs, the commands
bench_require() {
	why=$1
	shift
	if [ "$(id -u)" != 0 ]; then
		echo "$BENCH_NAME needs root: $why" >&2
		exit 1
	fi
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		[ -x "$1" ] || { echo "$BENCH_NAME: $1 missing: build first (make build)" >&2; exit 1; }
		shift
	done
	[ $# -gt 0 ] && shift
	for c; do
		command -v "$c" >/dev/null || { echo "$BENCH_NAME: $c missing" >&2; exit 1; }
	done
}

log() {
	echo "$BENCH_NAME: $*" >&2
}

in_ns() {
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# bench_daemon_start [LOG_LEVEL]: $DAEMON in $HOST on $SOCK, state and log in $TMPD,
# an empty config; waits for its first status reply. Sets DAEMON_PID.
bench_daemon_start() {
	# not through in_ns: $! must be the daemon itself, not a subshell
	ip netns exec "$HOST" "$DAEMON" --config "$TMPD/empty.conf" --state-dir "$TMPD/state" \
		--socket "$SOCK" --log-level "${1:-info}" >>"$TMPD/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 200); do
		in_ns "$HOST" "$CTL" --socket "$SOCK" status >/dev/null 2>&1 && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	log "vifguardd did not start:"
	tail -n 20 "$TMPD/daemon.log" >&2
	return 1
}
