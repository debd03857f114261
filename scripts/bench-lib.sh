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
