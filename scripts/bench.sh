#!/bin/sh
# make bench: what the nftables backend costs, measured on this machine.
#
#   1. fw-bench: bind/unbind cost in process (instantiate + compile + apply,
#      one nftables transaction per port) for 1, 100 and 1000 ports, each size
#      in its own fresh network namespace; plus a filter with stateful rules.
#   2. forwarding: 64-byte UDP frames vm1 -> vm2 across a bridge, with 0, 1
#      and 1000 bound ports, each the median of $BENCH_RUNS (5) runs of
#      $BENCH_SECONDS (3) s. The machines are shared and noisy, and the rate
#      drifts by 2x within a minute, so a filtered run is compared with an
#      unfiltered run right next to it: the same ruleset with its table made
#      dormant, in alternating pairs. Compare ratios, not absolute rates
#      across invocations.
#   3. the daemon (scripts/bench-daemon.sh, its own namespace): 1000 bindings
#      through vifguardctl and through the control socket, and restarts of
#      vifguardd with 1000 bound ports; appended to the results.
#   4. learning (scripts/bench-learn.sh, its own namespaces): frame -> learned
#      event and -> full rules in the kernel, and the event's own latency_us
#      (NFLOG timestamp -> rules committed), any and dhcp mode, 100 rounds each,
#      p50/p99; appended. Then IPv6 (scripts/bench-learn6.sh): DAD -> learned, 100
#      rounds, and a DHCPv6 REPLY (dhclient -6, dnsmasq) -> learned, 50 rounds; appended.
#   5. many ports learning at once (scripts/bench-learn-many.sh, its own
#      namespaces): 1000 ports of one daemon learn in the same second; time to
#      the last, latency_us p50/p99, the daemon's RSS; appended.
#   6. the learning parser (bench/learn-parse-bench, no namespace, no root
#      needed): frames/s of learn_nflog_parse and of parse + learn_decide on a
#      synthetic DLT_NFLOG capture of the test fixtures; appended.
#   7. macvtap ports (scripts/bench-macvtap.sh, its own namespaces): 200
#      macvtap bindings and 100 learning rounds on one; appended.
#   8. the guard (scripts/bench-guard.sh, its own namespaces): how long a port
#      joining a guarded bridge passes frames before it is dropped; appended.
#   9. drop counters (scripts/bench-counters.sh, its own namespaces): forwarding
#      ratio at 1000 ports with counting templates beside uncounted ones
#      (drop_counters = no), and the per-frame cost of a counted drop against a
#      plain one (forged-frame flood, sender CPU ns/frame); appended.
#
#   ns $VM1 (eth0 52:54:00:aa:00:01 10.200.0.1) ── vnet1 ┐
#                                                        ├─ br0  (ns $HOST: the rules)
#   ns $VM2 (eth0 52:54:00:aa:00:02 10.200.0.2) ── vnet2 ┘
#   1000 bound = vnet1 (vifguardctl apply) + vnet1001..vnet1999 (fw-bench --bind),
#   the extra 999 are names only: nftables elements need no interface.
#
# Everything happens in namespaces this script creates (unique names) and
# removes on exit, also on failure or interrupt; the root namespace's
# interfaces, routes and firewall are never touched.
# Usage: scripts/bench.sh BUILD_DIR   (as root; results also in BUILD_DIR/bench-results.txt)
set -u

BENCH_NAME="make bench"
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
CTL="$BUILD/vifguardctl"
FWB="$BUILD/bench/fw-bench"
FLOOD="$BUILD/bench/udp-flood"
LPB="$BUILD/bench/learn-parse-bench"
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECONDS:-3}
OUT="$BUILD/bench-results.txt"
UDP_PORT=5001

PFX="vgb$$x$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
HOST="${PFX}h"
VM1="${PFX}a"
VM2="${PFX}b"
VM1_MAC=52:54:00:aa:00:01
VM2_MAC=52:54:00:aa:00:02
VM1_IP=10.200.0.1
VM2_IP=10.200.0.2
TMPD=""
FAILED=0

log() {
	echo "bench: $*" >&2
}

cleanup() {
	bench_ns_del "$VM1" "$VM2" "$HOST"
	[ -n "$TMPD" ] && rm -rf "$TMPD"
}

bench_require "it creates network namespaces and nftables rules in them" "$CTL" "$FWB" "$FLOOD" "$LPB"

TMPD=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM

# pin sender (and with it the softirq that forwards its frames) and receiver
# apart, so the two do not fight over one CPU; nothing to pin on one CPU
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	PIN_TX="taskset -c 0"
	PIN_RX="taskset -c 1"
else
	PIN_TX=""
	PIN_RX=""
fi

# add_vm NS PORT MAC IP: a veth pair, eth0 in NS, PORT on br0
add_vm() {
	ip netns add "$1"
	ip -n "$HOST" link add "$2" type veth peer name eth0 netns "$1"
	ip -n "$1" link set eth0 address "$3"
	in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ip -n "$1" link set lo up
	ip -n "$1" link set eth0 up
	ip -n "$1" addr add "$4/24" dev eth0
	ip -n "$HOST" link set "$2" master br0
	ip -n "$HOST" link set "$2" up
}

topo_up() {
	ip netns add "$HOST" || return 1
	# no IPv6 chatter (DAD, MLD) from the bridge ports during the runs
	in_ns "$HOST" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	ip -n "$HOST" link set lo up
	ip -n "$HOST" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$HOST" link set br0 up
	add_vm "$VM1" vnet1 "$VM1_MAC" "$VM1_IP" || return 1
	add_vm "$VM2" vnet2 "$VM2_MAC" "$VM2_IP" || return 1
	# static neighbours and FDB entries: no ARP or flooding in the middle of a run
	ip -n "$VM1" neigh replace "$VM2_IP" lladdr "$VM2_MAC" dev eth0 nud permanent
	ip -n "$VM2" neigh replace "$VM1_IP" lladdr "$VM1_MAC" dev eth0 nud permanent
	bridge -n "$HOST" fdb replace "$VM1_MAC" dev vnet1 master static
	bridge -n "$HOST" fdb replace "$VM2_MAC" dev vnet2 master static
	# br_netfilter costs 14-17 % of the packet rate by itself (DESIGN.md) and
	# clean-traffic has no stateful rules: switch it off in this namespace
	BRNF="not loaded"
	if in_ns "$HOST" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
		in_ns "$HOST" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
			net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0
		BRNF="loaded; bridge-nf-call-* set to 0 in the bench namespace"
	fi
}

# median of the numbers on stdin
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# one_run: prints the packets/s vm2 received from one run of vm1's flood
one_run() {
	rm -f "$TMPD/ready" "$TMPD/recv"
	# shellcheck disable=SC2086 # PIN_RX is a command prefix or empty
	in_ns "$VM2" $PIN_RX "$FLOOD" recv "$UDP_PORT" "$SECS" >"$TMPD/recv" 2>"$TMPD/ready" &
	rx=$!
	for _ in $(seq 100); do
		grep -q ready "$TMPD/ready" 2>/dev/null && break
		sleep 0.02
	done
	# shellcheck disable=SC2086
	in_ns "$VM1" $PIN_TX "$FLOOD" send "$VM2_IP" "$UDP_PORT" "$SECS" >"$TMPD/send" 2>&1
	wait "$rx"
	awk '{ print $1; exit }' "$TMPD/recv"
}

check_ping() {
	if ! in_ns "$VM1" ping -c 2 -i 0.2 -W 1 -q "$VM2_IP" >/dev/null 2>&1; then
		log "$1: vm1 cannot ping vm2: legitimate traffic is dropped"
		FAILED=1
	fi
}

# measure LABEL: median of RUNS runs with whatever the host has; one row of $TMPD/fwd:
# LABEL, median pps, unfiltered median (-), ratio (-), runs
measure() {
	check_ping "$1"
	: >"$TMPD/runs"
	for r in $(seq "$RUNS"); do
		pps=$(one_run)
		log "$1: run $r: ${pps:-?} pps received ($(cat "$TMPD/send"))"
		echo "${pps:-0}" >>"$TMPD/runs"
	done
	printf '%s\t%s\t-\t-\t%s\n' "$1" "$(median <"$TMPD/runs")" \
		"$(tr '\n' ' ' <"$TMPD/runs")" >>"$TMPD/fwd"
}

# The vifguard table switched off and on again without touching its contents:
# a dormant table's base chains are unhooked, so the packet path is the
# unfiltered one. nft 1.0.6 clears the flag on a plain "add table".
table_off() {
	in_ns "$HOST" nft 'add table bridge vifguard { flags dormant; }'
}

table_on() {
	in_ns "$HOST" nft add table bridge vifguard
	if in_ns "$HOST" nft list table bridge vifguard | grep -q 'flags dormant'; then
		log "cannot wake the dormant vifguard table with this nft"
		exit 1
	fi
}

# measure_paired LABEL: RUNS pairs of runs, the bound ports' rules on and off, in ABBA
# order so that a machine that speeds up or slows down during a pair biases neither;
# the ratio is the median of the per-pair ratios. One row of $TMPD/fwd.
measure_paired() {
	check_ping "$1"
	: >"$TMPD/on"
	: >"$TMPD/off"
	: >"$TMPD/ratios"
	for r in $(seq "$RUNS"); do
		if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
		for state in $order; do
			"table_$state"
			pps=$(one_run)
			log "$1: run $r, rules $state: ${pps:-?} pps received ($(cat "$TMPD/send"))"
			echo "${pps:-0}" >>"$TMPD/$state"
		done
		table_on
		on=$(tail -n 1 "$TMPD/on")
		off=$(tail -n 1 "$TMPD/off")
		awk -v on="$on" -v off="$off" 'BEGIN { printf "%.4f\n", (off > 0 ? on / off : 0) }' >>"$TMPD/ratios"
	done
	printf '%s\t%s\t%s\t%s\t%s| %s\n' "$1" "$(median <"$TMPD/on")" "$(median <"$TMPD/off")" \
		"$(sort -n "$TMPD/ratios" | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')" \
		"$(tr '\n' ' ' <"$TMPD/on")" "$(tr '\n' ' ' <"$TMPD/off")" >>"$TMPD/fwd"
}

count_ports() {
	in_ns "$HOST" nft list map bridge vifguard out-ports 2>/dev/null | grep -o '"[^"]*" : jump' | wc -l
}

ms_now() {
	date +%s%N
}

# ---------------------------------------------------------------- header
{
	echo "vifguard nftables backend benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel $(uname -r), $(nproc) CPUs, $(nft --version 2>/dev/null), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "shared machine: figures are noisy; compare ratios measured in the same run"
	echo
} >"$TMPD/header"
cat "$TMPD/header"

# ---------------------------------------------------------------- 1. bind cost
log "fw-bench: binding 1, 100, 1000 ports (clean-traffic) and 1000 (stateful filter)"
if ! "$FWB" >"$TMPD/fwbench" 2>"$TMPD/fwbench.err"; then
	cat "$TMPD/fwbench.err" >&2
	FAILED=1
fi
cat "$TMPD/fwbench"

# ---------------------------------------------------------------- 2. forwarding
log "topology $HOST/$VM1/$VM2"
topo_up || { log "cannot build the topology"; exit 1; }
: >"$TMPD/fwd"
measure "0 (no ruleset)"

mkdir -p "$TMPD/state"
cat >"$TMPD/vm1.xml" <<XML
<filterbinding>
  <owner><name>vm1</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>
  <portdev name='vnet1'/>
  <mac address='$VM1_MAC'/>
  <filterref filter='clean-traffic'>
    <parameter name='IP' value='$VM1_IP'/>
  </filterref>
</filterbinding>
XML
t0=$(ms_now)
if ! VIFGUARD_RUN_DIR="$TMPD/state" in_ns "$HOST" "$CTL" apply "$TMPD/vm1.xml" >"$TMPD/apply" 2>&1; then
	cat "$TMPD/apply" >&2
	log "vifguardctl apply failed"
	exit 1
fi
CLI_APPLY_MS=$(( ($(ms_now) - t0) / 1000000 ))
log "$(cat "$TMPD/apply") in $CLI_APPLY_MS ms (vifguardctl, one process)"
measure_paired "1 (vm1)"

if ! in_ns "$HOST" "$FWB" --bind vnet 1001 999 >"$TMPD/extra" 2>&1; then
	cat "$TMPD/extra" >&2
	log "fw-bench --bind failed"
	exit 1
fi
log "$(cat "$TMPD/extra")"
tpl_cli=$(sed -n 's/.*(template \([^,)]*\).*/\1/p' "$TMPD/apply")
tpl_extra=$(sed -n 's/.*(template \([^,)]*\).*/\1/p' "$TMPD/extra")
if [ "$tpl_cli" != "$tpl_extra" ]; then
	log "vnet1 uses template $tpl_cli but the extra ports $tpl_extra: not one shared template"
	FAILED=1
fi
n_bound=$(count_ports)
[ "$n_bound" = 1000 ] || { log "expected 1000 ports in the out-ports map, found $n_bound"; FAILED=1; }
measure_paired "$n_bound (vm1 + 999)"

t0=$(ms_now)
VIFGUARD_RUN_DIR="$TMPD/state" in_ns "$HOST" "$CTL" remove vnet1 >/dev/null 2>&1 || FAILED=1
CLI_REMOVE_MS=$(( ($(ms_now) - t0) / 1000000 ))

# ---------------------------------------------------------------- results
{
	cat "$TMPD/header"
	echo "== bind/unbind cost in process (ms; fw-bench, one nftables transaction per port, each size in a fresh namespace)"
	echo "   median/port 1/port N/max: instantiate+compile+apply of one port; compile = instantiate+compile;"
	echo "   rm 1 = the middle port while the others share its template; rm rest = the other N-1, total"
	cat "$TMPD/fwbench"
	echo
	echo "== forwarding vm1 -> vm2, 64-byte UDP frames (udp-flood), median of $RUNS runs of ${SECS} s"
	echo "   unfiltered = the same ruleset with its table dormant (hooks detached), measured in"
	echo "   alternating pairs with the filtered runs; ratio = median of the per-pair ratios"
	echo "   br_netfilter: $BRNF"
	echo "   vifguardctl apply vnet1: $CLI_APPLY_MS ms, remove: $CLI_REMOVE_MS ms (whole process, cold)"
	awk -F '\t' 'BEGIN { printf "   %-18s %9s %11s %7s   %s\n", "bound ports", "pps", "unfiltered", "ratio", "runs filtered | unfiltered (pps)" }
		{ printf "   %-18s %9s %11s %7s   %s\n", $1, $2, $3, $4, $5 }' "$TMPD/fwd"
	echo
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TMPD/results"
echo
echo "================================================================ results"
cp "$TMPD/results" "$OUT"
cat "$TMPD/results"
echo "(written to $OUT)"

# ---------------------------------------------------------------- 3. the daemon
log "daemon: scripts/bench-daemon.sh (appends to $OUT)"
"$(dirname "$0")/bench-daemon.sh" "$BUILD" || FAILED=1

# ---------------------------------------------------------------- 4. learning
log "learning: scripts/bench-learn.sh (appends to $OUT)"
"$(dirname "$0")/bench-learn.sh" "$BUILD" || FAILED=1

log "IPv6 learning: scripts/bench-learn6.sh (appends to $OUT)"
"$(dirname "$0")/bench-learn6.sh" "$BUILD" || FAILED=1

# ---------------------------------------------------------------- 5. many ports learning
log "learning, 1000 ports at once: scripts/bench-learn-many.sh (appends to $OUT)"
"$(dirname "$0")/bench-learn-many.sh" "$BUILD" || FAILED=1

# ---------------------------------------------------------------- 6. the learning parser
log "learning parser: bench/learn-parse-bench (appends to $OUT)"
# a private copy, like the other parts: others may relink build/ while this runs
cp "$LPB" "$TMPD/learn-parse-bench" || FAILED=1
if TMPDIR="$TMPD" "$TMPD/learn-parse-bench" >"$TMPD/lpb" 2>"$TMPD/lpb.err"; then
	{
		echo
		echo "learning parser benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
		cat "$TMPD/lpb"
	} >"$TMPD/lpb.out"
	cat "$TMPD/lpb.out"
	cat "$TMPD/lpb.out" >>"$OUT"
else
	cat "$TMPD/lpb.err" >&2
	FAILED=1
fi

# ---------------------------------------------------------------- 7. macvtap ports
log "macvtap ports: scripts/bench-macvtap.sh (appends to $OUT)"
"$(dirname "$0")/bench-macvtap.sh" "$BUILD" || FAILED=1
log "the guard: scripts/bench-guard.sh (appends to $OUT)"
"$(dirname "$0")/bench-guard.sh" "$BUILD" || FAILED=1
log "drop counters: scripts/bench-counters.sh (appends to $OUT)"
"$(dirname "$0")/bench-counters.sh" "$BUILD" || FAILED=1
[ "$FAILED" = 0 ]
