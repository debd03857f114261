#!/bin/sh
# The drop counters' cost (part of make bench; runs on its own too), with
# 1000 bound ports in one table: some ports' templates count their drops per
# reason (drop_counters = yes, the default), others drop plainly
# (drop_counters = no; fw-bench --uncounted compiles exactly what the daemon
# does then), so both are measured side by side, in alternating order, on the
# same ruleset, and the machine's drift biases neither.
#
#   ns $HOST: br0 with vnet1..vnet4 (veth), clean-traffic bound on all 1000 names:
#     vnet1, vnet2 + vnet5..vnet1000 counted, vnet3, vnet4 uncounted
#   vmK (eth0 52:54:00:00:00:0K, 10.0.K.1/8) ── vnetK, K = 1..4: fw-bench's binding for port K
#
#   1. forwarding: 64-byte UDP vm1 -> vm2 (counted ports) and vm3 -> vm4
#      (uncounted), each beside the same pair with the table dormant (hooks
#      detached: unfiltered), $BENCH_RUNS (5) rounds of $BENCH_SECONDS (3) s
#      per case; ratio = median of the per-round ratios. A frame that passes
#      never reaches a drop chain, so both ratios should be the same.
#   2. the drop path: vm1 (counted) and vm3 (uncounted) flood forged frames
#      (UDP from a second address, 192.168.K.1, that their binding does not
#      have: a source-ip drop at the first hook), as fast as one CPU sends
#      them, $BENCH_COUNTERS_RUNS (6) rounds of $BENCH_COUNTERS_SECONDS (2) s,
#      The sender is pinned to CPU 0 and, with no IRQ time accounting,
#      the softirq that drops its frames runs inline in its own syscalls, so
#      its CPU time (user + sys, from getrusage) divided by the frames sent is
#      the whole per-frame cost: socket, veth, bridge hook, rules, drop. The
#      counting's cost is the median of the per-pair differences, counted
#      minus plain in the same round, in ns per frame (wall-clock pps beside it). The counted
#      port's source-ip element of the drops set must equal the frames sent: counted
#      exactly at full rate. A third flood a round (rotated order) breaks the
#      cost down: vm1 again with the drop chain's log-sample rule deleted by
#      hand (the set counter alone), put back right after.
#
# Results: on stdout and appended to BUILD_DIR/bench-results.txt.
# Usage: scripts/bench-counters.sh BUILD_DIR   (as root)
set -u

BENCH_NAME=bench-counters
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECONDS:-3}
DROP_RUNS=${BENCH_COUNTERS_RUNS:-6}
DROP_SECS=${BENCH_COUNTERS_SECONDS:-2}
OUT="$BUILD/bench-results.txt"
UDP_PORT=5001
PFX="vgc$$x$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
HOST="${PFX}h"
TMPD=""
FAILED=0

vm() { echo "${PFX}$1"; }

cleanup() {
	bench_ns_del "$(vm 1)" "$(vm 2)" "$(vm 3)" "$(vm 4)" "$HOST"
	[ -n "$TMPD" ] && rm -rf "$TMPD"
}

bench_require "it creates network namespaces and nftables rules in them" \
	"$BUILD/bench/fw-bench" "$BUILD/bench/udp-flood" -- python3 nft taskset
TMPD=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM
# private copies: others may relink build/ while this runs
cp "$BUILD/bench/fw-bench" "$BUILD/bench/udp-flood" "$TMPD/" || exit 1
FWB="$TMPD/fw-bench"
FLOOD="$TMPD/udp-flood"
if [ "$(nproc)" -ge 2 ]; then
	PIN_TX="taskset -c 0"
	PIN_RX="taskset -c 1"
else
	PIN_TX="taskset -c 0"
	PIN_RX=""
fi

# ---------------------------------------------------------------- topology
ip netns add "$HOST" || exit 1
in_ns "$HOST" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$HOST" link set lo up
ip -n "$HOST" link add br0 type bridge stp_state 0 forward_delay 0 || exit 1
ip -n "$HOST" link set br0 up
BRNF="not loaded"
if in_ns "$HOST" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
	in_ns "$HOST" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0
	BRNF="loaded; bridge-nf-call-* set to 0 in the bench namespace"
fi
mac() { printf '52:54:00:00:00:%02x' "$1"; }
for k in 1 2 3 4; do
	ns=$(vm "$k")
	ip netns add "$ns" || exit 1
	ip -n "$HOST" link add "vnet$k" type veth peer name eth0 netns "$ns" || exit 1
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" link set eth0 address "$(mac "$k")"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "10.0.$k.1/8" dev eth0
	ip -n "$HOST" link set "vnet$k" master br0 up
	bridge -n "$HOST" fdb replace "$(mac "$k")" dev "vnet$k" master static
done
# senders vm1, vm3 -> receivers vm2, vm4: static neighbours, no ARP in a run; the forged
# flows leave from 192.168.K.1, an address the binding does not have
for k in 1 3; do
	ns=$(vm "$k")
	ip -n "$ns" neigh replace "10.0.$((k + 1)).1" lladdr "$(mac $((k + 1)))" dev eth0 nud permanent
	ip -n "$(vm $((k + 1)))" neigh replace "10.0.$k.1" lladdr "$(mac "$k")" dev eth0 nud permanent
	ip -n "$ns" addr add "192.168.$k.1/24" dev eth0
	ip -n "$ns" neigh replace "192.168.$k.2" lladdr "$(mac $((k + 1)))" dev eth0 nud permanent
done

# ---------------------------------------------------------------- 1000 bound ports
if ! { in_ns "$HOST" "$FWB" --bind vnet 1 2 && in_ns "$HOST" "$FWB" --uncounted --bind vnet 3 2 &&
	in_ns "$HOST" "$FWB" --bind vnet 5 996; } >"$TMPD/bind" 2>&1; then
	cat "$TMPD/bind" >&2
	log "fw-bench --bind failed"
	exit 1
fi
sed 's/^/bench-counters: /' "$TMPD/bind" >&2
n_bound=$(in_ns "$HOST" nft list map bridge vifguard out-ports | grep -o '"[^"]*" : jump' | wc -l)
[ "$n_bound" = 1000 ] || { log "expected 1000 ports in out-ports, found $n_bound"; FAILED=1; }
tpl() { in_ns "$HOST" nft list map bridge vifguard out-ports | sed -n "s/.*\"$1\" : jump \\(t[0-9a-f]*\\)-o.*/\\1/p"; }
TPL_C=$(tpl vnet1)
TPL_U=$(tpl vnet3)
in_ns "$HOST" nft list table bridge vifguard >"$TMPD/table"
goto_drops() { awk -v t="$1" '/^\tchain /{ c = index($2, t "-") == 1 } c && /goto drop-/' "$TMPD/table" | wc -l; }
if [ -z "$TPL_C" ] || [ "$TPL_C" = "$TPL_U" ] || [ "$(goto_drops "$TPL_C")" = 0 ] ||
	[ "$(goto_drops "$TPL_U")" != 0 ]; then
	log "templates: counted $TPL_C ($(goto_drops "$TPL_C") goto drop-*), uncounted $TPL_U ($(goto_drops "$TPL_U")): not what this measures"
	exit 1
fi
log "1000 ports bound: counted template $TPL_C ($(goto_drops "$TPL_C") counted drop rules), uncounted $TPL_U"

table_off() { in_ns "$HOST" nft 'add table bridge vifguard { flags dormant; }'; }
table_on() {
	in_ns "$HOST" nft add table bridge vifguard
	if in_ns "$HOST" nft list table bridge vifguard | grep -q 'flags dormant'; then
		log "cannot wake the dormant vifguard table with this nft"
		exit 1
	fi
}
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---------------------------------------------------------------- 1. forwarding
# fwd K: packets/s vm(K+1) received from vmK's flood of $SECS s
fwd() {
	rm -f "$TMPD/ready"
	# shellcheck disable=SC2086 # PIN_* are command prefixes or empty
	in_ns "$(vm $(($1 + 1)))" $PIN_RX "$FLOOD" recv "$UDP_PORT" "$SECS" >"$TMPD/recv" 2>"$TMPD/ready" &
	rx=$!
	for _ in $(seq 100); do
		grep -q ready "$TMPD/ready" 2>/dev/null && break
		sleep 0.02
	done
	# shellcheck disable=SC2086
	in_ns "$(vm "$1")" $PIN_TX "$FLOOD" send "10.0.$(($1 + 1)).1" "$UDP_PORT" "$SECS" >/dev/null 2>&1
	wait "$rx"
	awk '{ print $1; exit }' "$TMPD/recv"
}
for k in 1 3; do
	if ! in_ns "$(vm "$k")" ping -c 2 -i 0.2 -W 1 -q "10.0.$((k + 1)).1" >/dev/null 2>&1; then
		log "vm$k cannot ping vm$((k + 1)): legitimate traffic is dropped"
		FAILED=1
	fi
done
: >"$TMPD/fwd"
for r in $(seq "$RUNS"); do
	# ABBA over the rounds: counted first in odd rounds, uncounted first in even ones
	if [ $((r % 2)) = 1 ]; then pairs="1 3"; else pairs="3 1"; fi
	for k in $pairs; do
		if [ $((r % 2)) = 1 ]; then order="off on"; else order="on off"; fi
		for state in $order; do
			"table_$state"
			eval "pps_$state=\$(fwd $k)"
		done
		table_on
		# shellcheck disable=SC2154 # set by the eval above
		log "forwarding round $r, vm$k -> vm$((k + 1)) ($([ "$k" = 1 ] && echo counted || echo uncounted)): $pps_on pps filtered, $pps_off unfiltered"
		echo "$k $r $pps_on $pps_off" >>"$TMPD/fwd"
	done
done

# ---------------------------------------------------------------- 2. the drop path
# source-ip, from the VM: its key in the drops set is reason 1 * 2 + direction 0
SOURCE_IP_KEY=0x00000002
cnt_of() { # cnt_of KEY PORT: the packets of PORT's element KEY in the drops set, 0 without one
	in_ns "$HOST" nft list set bridge vifguard drops |
		sed -n "s/.*\"$2\" \. $1 counter packets \\([0-9]*\\) .*/\\1/p" | head -n 1 | grep . || echo 0
}
# drop K: vmK floods forged frames for $DROP_SECS s on CPU 0; prints "pps packets cpu_s"
drop() {
	# shellcheck disable=SC2086
	in_ns "$(vm "$1")" $PIN_TX /usr/bin/time -f '%U %S' -o "$TMPD/time" \
		"$FLOOD" send "192.168.$1.2" "$UDP_PORT" "$DROP_SECS" >"$TMPD/send" 2>&1
	pkts=$(sed -n 's/.*(\([0-9]*\) packets.*/\1/p' "$TMPD/send")
	echo "$(awk '{ print $1; exit }' "$TMPD/send") ${pkts:-0} $(awk '{ print $1 + $2 }' "$TMPD/time")"
}
# the breakdown: the same counted chain with its drop-log sample rule taken out by hand
# (update + drop only), for a third flood from vm1 in each round; put back after it
chain_rules() { in_ns "$HOST" nft -a list chain bridge vifguard drop-source-ip-o; }
log_handle=$(chain_rules | sed -n 's/.*log prefix.*# handle \([0-9]*\)$/\1/p')
[ -n "$log_handle" ] || { log "no drop-log rule in drop-source-ip-o"; chain_rules >&2; exit 1; }
log_rule=$(chain_rules | sed -n 's/^[[:space:]]*\(.*log prefix.*\) # handle [0-9]*$/\1/p')
update_handle=$(chain_rules | sed -n 's/.*update @drops.*# handle \([0-9]*\)$/\1/p')
log_off() { in_ns "$HOST" nft delete rule bridge vifguard drop-source-ip-o handle "$log_handle"; }
log_on() {
	in_ns "$HOST" nft add rule bridge vifguard drop-source-ip-o position "$update_handle" "$log_rule"
	log_handle=$(chain_rules | sed -n 's/.*log prefix.*# handle \([0-9]*\)$/\1/p')
}
c0=$(cnt_of $SOURCE_IP_KEY vnet1)
u0=$(cnt_of $SOURCE_IP_KEY vnet3)
sent_c=0
: >"$TMPD/drop"
for r in $(seq "$DROP_RUNS"); do
	# three floods a round, rotated: counted (1), plain (3), counted without the log rule (0)
	case $((r % 3)) in 1) order="1 3 0" ;; 2) order="3 0 1" ;; *) order="0 1 3" ;; esac
	for k in $order; do
		if [ "$k" = 0 ]; then
			log_off
			res=$(drop 1)
			log_on
		else
			res=$(drop "$k")
		fi
		eval "res_$k=\"\$res\""
		[ "$k" != 3 ] && sent_c=$((sent_c + $(echo "$res" | cut -d' ' -f2)))
	done
	# shellcheck disable=SC2154
	log "drop round $r: counted (vm1) $res_1, plain (vm3) $res_3, counter without log rule (vm1) $res_0 (pps packets cpu_s)"
	echo "$r $res_1 $res_3 $res_0" >>"$TMPD/drop"
done
chain_rules | grep -q 'log prefix' || { log "the drop-log rule was not put back"; FAILED=1; }
counted_c=$(($(cnt_of $SOURCE_IP_KEY vnet1) - c0))
counted_u=$(($(cnt_of $SOURCE_IP_KEY vnet3) - u0))
[ "$counted_c" = "$sent_c" ] || { log "vnet1 counted $counted_c of the $sent_c forged frames sent"; FAILED=1; }
[ "$counted_u" = 0 ] || { log "vnet3 (uncounted) counted $counted_u"; FAILED=1; }
# the forged frames must really be dropped: nothing of them reached vm2/vm4 (no receiver
# ran; the receivers' eth0 rx counters would show the flood)
for k in 2 4; do
	rx=$(in_ns "$(vm "$k")" cat /sys/class/net/eth0/statistics/rx_packets)
	[ "$rx" -lt 10000 ] 2>/dev/null || log "vm$k eth0 received $rx frames in all (forwarding runs included)"
done

# ---------------------------------------------------------------- results
python3 - "$TMPD/fwd" "$TMPD/drop" >"$TMPD/summary" <<'PY'
import statistics, sys
med = statistics.median
fwd = [l.split() for l in open(sys.argv[1]) if l.strip()]
def fwd_row(k, label):
    rows = [(int(r[2]), int(r[3])) for r in fwd if r[0] == k]
    ratios = [on / off if off else 0 for on, off in rows]
    return ("   %-28s %9.0f %11.0f %7.3f   %s | %s" % (label, med(r[0] for r in rows),
            med(r[1] for r in rows), med(ratios), " ".join(str(r[0]) for r in rows),
            " ".join(str(r[1]) for r in rows)), {r: on for r, (on, off) in
            zip((x[1] for x in fwd if x[0] == k), rows)})
print("   %-28s %9s %11s %7s   %s" % ("1000 bound ports", "pps", "unfiltered", "ratio",
                                     "runs filtered | unfiltered (pps)"))
c, con = fwd_row("1", "vm1 -> vm2, counted")
u, uon = fwd_row("3", "vm3 -> vm4, uncounted")
print(c)
print(u)
print("   (two veth pairs whose raw rates differ: compare each ratio to its own pair's unfiltered"
      " runs, not the rates across pairs)")
drop = [l.split() for l in open(sys.argv[2]) if l.strip()]
cpu_c = [float(d[3]) / int(d[2]) * 1e9 for d in drop]
cpu_u = [float(d[6]) / int(d[5]) * 1e9 for d in drop]
wall_c = [1e9 / float(d[1]) for d in drop]
wall_u = [1e9 / float(d[4]) for d in drop]
cpu_n = [float(d[9]) / int(d[8]) * 1e9 for d in drop]
wall_n = [1e9 / float(d[7]) for d in drop]
print()
print("== drop path: forged frames (source-ip) flooded from one port among 1000, sender on CPU 0,")
print("   %d rounds of 3 (rotated order); ns/frame = the sender's CPU time (softirq inline) / frames; median (min-max)" % len(drop))
f = lambda v: "%6.0f (%.0f-%.0f)" % (med(v), min(v), max(v))
print("   %-22s %12s   %22s   %22s" % ("", "pps sent", "CPU ns/frame", "wall ns/frame"))
print("   %-22s %12.0f   %22s   %22s" % ("counted (vnet1)", med(float(d[1]) for d in drop), f(cpu_c), f(wall_c)))
print("   %-22s %12.0f   %22s   %22s" % ("plain drop (vnet3)", med(float(d[4]) for d in drop), f(cpu_u), f(wall_u)))
print("   %-22s %12.0f   %22s   %22s" % ("counter, no log rule", med(float(d[7]) for d in drop), f(cpu_n), f(wall_n)))
dc = [a - b for a, b in zip(cpu_c, cpu_u)]
dw = [a - b for a, b in zip(wall_c, wall_u)]
print("   counting costs, per dropped frame: CPU %+.0f ns (rounds: %s), wall %+.0f ns (rounds: %s)"
      % (med(dc), " ".join("%+.0f" % x for x in dc), med(dw), " ".join("%+.0f" % x for x in dw)))
print("   = %.1f %% of the whole per-frame cost of a plain drop (CPU)" % (100 * med(dc) / med(cpu_u)))
dn = [a - b for a, b in zip(cpu_n, cpu_u)]
print("   of which the set counter alone (update @drops, the drop-log rule taken out): CPU %+.0f ns"
      " (rounds: %s); the drop-log rule (rate-limit set + log): %+.0f ns"
      % (med(dn), " ".join("%+.0f" % x for x in dn), med(a - b for a, b in zip(cpu_c, cpu_n))))
PY
{
	echo
	echo "== drop counters ($(date -u +%FT%TZ), $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg))"
	echo "   1000 ports bound with clean-traffic in one table (fw-bench --bind; vnet3, vnet4 --uncounted)"
	echo "   forwarding: 64-byte UDP, median of $RUNS rounds of ${SECS} s per case; unfiltered = the"
	echo "   table dormant, measured beside it; ratio = median of the per-round ratios; br_netfilter: $BRNF"
	cat "$TMPD/summary"
	echo "   exact at full rate: vnet1's source-ip count rose by $counted_c for $sent_c frames sent; vnet3's by $counted_u"
	echo "   (the counted drop also checks the per-port drop-log rate limit; its NFLOG sample is at most 5/s)"
} | tee -a "$OUT"
[ "$FAILED" = 0 ]
