#!/bin/sh
# The daemon benchmark (part of make bench; runs on its own too): what a
# binding costs through vifguardd, and what a restart with N bound ports costs.
#
#   ns $HOST: vnet1..vnetN, veth pairs (peer pK, same namespace) on a bridge
#   br0 (the daemon refuses a port on no bridge), vifguardd with its state and
#   control socket in a temp dir; N = $BENCH_DAEMON_PORTS (1000).
#
#   a. N bindings (clean-traffic, IP=...) created through the CLI, one
#      vifguardctl process each, then deleted the same way
#   b. the same through the control socket directly (bench/daemon-bench.py,
#      one connection, one request at a time); floors for both paths: status
#      requests, and starting /bin/true instead of vifguardctl
#   c. restarts: time from exec to the first answered status request, with 0,
#      N/4 and N bindings after SIGTERM, and N after kill -9; ports touched,
#      counted from the daemon's log ("rules in place, untouched" or "rules
#      re-applied"); ports in the kernel's out-ports map afterwards
#   c2. repairs: nft flush ruleset with N bindings ($BENCH_DAEMON_REPAIRS times, 3),
#      ms until the last port's rules verify again (vifguardctl binding verify)
#   d. a table on stdout, appended to BUILD_DIR/bench-results.txt
#
# Per-binding figures are wall-clock ms seen by the client; "Nth alone" is the
# last one (created with N-1 bound, or the last deleted). Everything happens in
# a namespace this script creates (unique name) and removes on exit, also on
# failure or interrupt; the root namespace's interfaces, routes and firewall
# are never touched.
# Usage: scripts/bench-daemon.sh BUILD_DIR   (as root)
set -u

BENCH_NAME=bench-daemon
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")/.." && pwd)
CTL="$BUILD/vifguardctl"
DAEMON="$BUILD/vifguardd"
DBENCH="$SRC/bench/daemon-bench.py"
N=${BENCH_DAEMON_PORTS:-1000}
N4=$((N / 4))
REPAIRS=${BENCH_DAEMON_REPAIRS:-3}
OUT="$BUILD/bench-results.txt"

PFX="vgd$$x$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
HOST="${PFX}h"
TMPD=""
DAEMON_PID=""
FAILED=0

cleanup() {
	bench_ns_del "$HOST"
	[ -n "$TMPD" ] && rm -rf "$TMPD"
}

bench_require "it creates a network namespace and nftables rules in it" "$CTL" "$DAEMON" -- python3

TMPD=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM
SOCK="$TMPD/control.sock"
# private copies: others may relink build/ while this runs
cp "$CTL" "$DAEMON" "$TMPD/" || exit 1
CTL="$TMPD/vifguardctl"
DAEMON="$TMPD/vifguardd"
: >"$TMPD/empty.conf"

ms_now() {
	date +%s%N
}

# dbench ARGS...: daemon-bench.py against this daemon, inside the host namespace
dbench() {
	in_ns "$HOST" python3 "$DBENCH" --socket "$SOCK" --ctl "$CTL" "$@"
}

# daemon_start LOGNAME: starts vifguardd, waits for its first status reply;
# sets READY (ms from exec to that reply, or "-") and READY_N (bindings it reported).
# The poller starts first, so python's own start-up is not counted.
daemon_start() {
	rm -f "$TMPD/since" "$TMPD/ready"
	dbench --since-file "$TMPD/since" --timeout 120 ready >"$TMPD/ready" 2>&1 &
	poller=$!
	for _ in $(seq 500); do
		grep -q polling "$TMPD/ready" 2>/dev/null && break
		sleep 0.02
	done
	t0=$(ms_now)
	# not through in_ns: a function in the background is a subshell, and $! must be the daemon
	ip netns exec "$HOST" "$DAEMON" --config "$TMPD/empty.conf" --state-dir "$TMPD/state" \
		--socket "$SOCK" --log-level info >"$TMPD/$1.log" 2>&1 &
	DAEMON_PID=$!
	echo "$t0" >"$TMPD/since"
	if wait "$poller"; then
		READY=$(sed -n 's/.*ready_ms=\([^ ]*\).*/\1/p' "$TMPD/ready")
		READY_N=$(sed -n 's/.*bindings=\([^ ]*\).*/\1/p' "$TMPD/ready")
		pid=$(sed -n 's/.*pid=\([^ ]*\).*/\1/p' "$TMPD/ready")
		[ "$pid" = "$DAEMON_PID" ] && return 0
		log "status answered by pid $pid, not by the daemon just started ($DAEMON_PID)"
		READY="-"
		return 1
	fi
	READY="-"
	READY_N="-"
	log "vifguardd did not answer status:"
	sed 's/^/  /' "$TMPD/ready" "$TMPD/$1.log" | tail -n 20 >&2
	return 1
}

# daemon_stop SIGNAL: sets STOP (ms until the process is gone)
daemon_stop() {
	t0=$(ms_now)
	kill "-$1" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	STOP=$(( ($(ms_now) - t0) / 1000000 ))
	DAEMON_PID=""
}

count_ports() {
	in_ns "$HOST" nft list map bridge vifguard out-ports 2>/dev/null | grep -o '"[^"]*" : jump' | wc -l
}

# phase LABEL ARGS...: one daemon-bench.py phase; its summary lines go to $TMPD/rows as
# "LABEL<TAB>summary"
phase() {
	label=$1
	shift
	if ! dbench "$@" >"$TMPD/phase" 2>"$TMPD/phase.err"; then
		FAILED=1
		log "$label: failures:"
		sed 's/^/  /' "$TMPD/phase.err" >&2
	fi
	while read -r line; do
		log "$label: $line"
		printf '%s\t%s\n' "$label" "$line" >>"$TMPD/rows"
	done <"$TMPD/phase"
}

# restart_row LABEL LOGNAME EXPECTED: one row of $TMPD/restarts from the last start
restart_row() {
	untouched=$(grep -c 'rules in place, untouched' "$TMPD/$2.log")
	reapplied=$(grep -c 'rules re-applied' "$TMPD/$2.log")
	problems=$(grep -c '^\(err\|warn\|<[0-4]>\)' "$TMPD/$2.log")
	inmap=$(count_ports)
	log "$1: ready in $READY ms, $READY_N bindings, $untouched untouched, $reapplied re-applied, $problems warnings/errors, $inmap in out-ports (stop took ${STOP:--} ms)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$3" "$READY" "$READY_N" "$untouched" \
		"$reapplied" "$problems" "$inmap" >>"$TMPD/restarts"
	if [ "$READY_N" != "$3" ] || [ "$inmap" != "$3" ] || [ "$untouched" != "$3" ]; then
		log "$1: expected $3 bindings, all untouched and in the out-ports map"
		FAILED=1
	fi
}

# ---------------------------------------------------------------- setup
{
	echo "vifguardd daemon benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel $(uname -r), $(nproc) CPUs, $(nft --version 2>/dev/null), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TMPD/header"
cat "$TMPD/header" >&2
: >"$TMPD/rows"
: >"$TMPD/restarts"

t0=$(ms_now)
ip netns add "$HOST" || { log "cannot create namespace $HOST"; exit 1; }
ip -n "$HOST" link set lo up
ip -n "$HOST" link add br0 type bridge || { log "cannot create a bridge in $HOST"; exit 1; }
k=1
while [ "$k" -le "$N" ]; do
	echo "link add vnet$k type veth peer name p$k"
	echo "link set vnet$k master br0"
	k=$((k + 1))
done | ip -n "$HOST" -batch - || { log "cannot create $N veth pairs"; exit 1; }
log "$N veth pairs in $HOST in $(( ($(ms_now) - t0) / 1000000 )) ms"

daemon_start d0 || exit 1
STOP="-"
restart_row "first start, empty state" d0 0

# ---------------------------------------------------------------- a. CLI
log "a. $N bindings through vifguardctl, one process each"
phase "CLI, a process each" --via cli --count "$N" both
phase "CLI floor: vifguardctl status" --via cli --count 100 status
phase "process floor: /bin/true" --via cli --ctl /bin/true --count 100 status

# ---------------------------------------------------------------- b. socket
log "b. $N bindings through the control socket (one connection)"
phase "socket, one connection" --via socket --count "$N" both
phase "socket floor: status" --via socket --count 1000 status

# ---------------------------------------------------------------- c. restart
log "c. restarts with $N4 and $N bindings"
phase "socket, before restarts" --via socket --count "$N4" create
daemon_stop TERM
daemon_start d1 || exit 1
restart_row "SIGTERM, then start" d1 "$N4"
phase "socket, before restarts" --via socket --first $((N4 + 1)) --count $((N - N4)) create
daemon_stop TERM
daemon_start d2 || exit 1
restart_row "SIGTERM, then start" d2 "$N"
daemon_stop KILL
daemon_start d3 || exit 1
restart_row "kill -9, then start" d3 "$N"

# ---------------------------------------------------------------- c2. repair
# what an nftables.service reload does to a host: the ruleset flushed; the daemon puts
# every port's rules back in one transaction. ms from the flush to the last port's rules
# verified in the kernel (one transaction: the last port's rules come with all others')
log "c2. nft flush ruleset with $N bindings, $REPAIRS times"
: >"$TMPD/repairs"
r=1
while [ "$r" -le "$REPAIRS" ]; do
	t0=$(ms_now)
	in_ns "$HOST" nft flush ruleset
	ok=0
	for _ in $(seq 1000); do
		if in_ns "$HOST" "$CTL" --socket "$SOCK" binding verify "vnet$N" >/dev/null 2>&1; then
			ok=1
			break
		fi
	done
	ms=$(( ($(ms_now) - t0) / 1000000 ))
	inmap=$(count_ports)
	log "repair $r: rules back ${ms} ms after the flush (verified: $ok), $inmap in out-ports"
	[ "$ok" = 1 ] && [ "$inmap" = "$N" ] || FAILED=1
	printf '%s	%s	%s
' "$r" "$ms" "$inmap" >>"$TMPD/repairs"
	r=$((r + 1))
	sleep 0.5
done
daemon_stop TERM

# ---------------------------------------------------------------- d. results
{
	cat "$TMPD/header"
	echo "== vifguardd, $N real ports (veth), filter clean-traffic with IP, one request at a time;"
	echo "   wall-clock ms seen by the client; Nth alone = the last one (created with $((N - 1)) others bound);"
	echo "   med 1st / med lst = median of the first / last tenth (a cost growing with the ports bound shows there)"
	awk -F '\t' '
		function f(s, k,   m) { return match(s, k "=[^ ]*") ? substr(s, RSTART + length(k) + 1, RLENGTH - length(k) - 1) : "-" }
		BEGIN { printf "   %-30s %-6s %5s %5s %8s %7s %7s %7s %9s %7s %7s\n", "path", "op", "n", "ok", "total", "median", "p90", "max", "Nth alone", "med 1st", "med lst" }
		{ split($2, w, " ");
		  printf "   %-30s %-6s %5s %5s %8.0f %7.2f %7.2f %7.2f %9.2f %7.2f %7.2f\n", $1, w[1], f($2, "n"), f($2, "ok"),
			f($2, "total_ms"), f($2, "median_ms"), f($2, "p90_ms"), f($2, "max_ms"), f($2, "last_ms"),
			f($2, "first10_median_ms"), f($2, "last10_median_ms") }' "$TMPD/rows"
	echo "   libvirt 9.0 nwfilter (peers/README.md): 1030 per binding create, 640 per delete"
	echo
	echo "== restart: ms from exec to the first status reply; ports from the daemon's log (info level)"
	awk -F '\t' 'BEGIN { printf "   %-26s %6s %9s %8s %9s %10s %8s %7s\n", "how", "bound", "ready ms", "status", "untouched", "re-applied", "warn/err", "in map" }
		{ printf "   %-26s %6s %9s %8s %9s %10s %8s %7s\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$TMPD/restarts"
	echo
	echo "== nft flush ruleset with $N bound: ms from the flush to the rules verified again"
	echo "   (the daemon waits 50 ms for more changes, then one transaction puts back all $N ports)"
	awk -F '\t' '{ printf "   repair %s: %5s ms, %s ports in out-ports\n", $1, $2, $3 }' "$TMPD/repairs"
	echo
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TMPD/results"
echo
echo "================================================================ daemon results"
cat "$TMPD/results"
{
	echo
	cat "$TMPD/results"
} >>"$OUT"
echo "(appended to $OUT)"
[ "$FAILED" = 0 ]
