#!/bin/sh
# The drop log: vm1 bound with clean-traffic (its MAC and IP) sends forged
# frames of each kind; watch shows a dropped event per sample with the port,
# the reason and a summary naming the forged address, and the journal a line.
# Legitimate frames make none. The kernel samples 5/s (burst 10) per port, the
# journal takes drop_log_rate lines a second; drop_log_group = 0 turns the
# samples off while the counters go on counting.
# Topology: see lib.sh (vm1 bound; vm2 the peer).
. "$(dirname "$0")/lib.sh"

require_root
topo_up
export VIFGUARD_RUN_DIR="$TMPD/state"
# the host's own IPv6 (br0's router solicitations, MLD) would be dropped towards vm1 too
in_ns "$HOST" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.br0.disable_ipv6=1
FORGED_MAC=52:54:00:00:00:99

# send KIND ARGS...: one frame from vm1 (vm2 with FROM=vm2)
send() {
	kind=$1
	shift
	in_ns "${FROM:-$VM1}" python3 "$FRAMES" send eth0 "$kind" --tag droplog --count "${COUNT:-1}" "$@"
}

# dropped [REASON]: the dropped events watch printed so far, "PORT REASON MESSAGE" each
dropped() {
	python3 - "$TMPD/events" "${1:-}" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("type") == "dropped" and (not sys.argv[2] or e.get("reason") == sys.argv[2]):
        print("%s %s %s" % (e.get("port"), e.get("reason"), e.get("message")))
PY
}

# wait_dropped REASON TEXT: up to 5 s for a dropped event of REASON whose line has TEXT
wait_dropped() {
	for _ in $(seq 50); do
		dropped "$1" | grep -F -- "$2" && return 0
		sleep 0.1
	done
	echo "dropped events so far:"
	dropped
	return 1
}

# wait_grep PATTERN FILE: up to 5 s for an extended regex in FILE (the kernel hands the
# drop log's records over within a second: no queue-threshold, they are batched)
wait_grep() {
	for _ in $(seq 50); do
		grep -Eq -- "$1" "$2" && return 0
		sleep 0.1
	done
	cat "$2"
	return 1
}

# n_dropped: how many dropped events so far
n_dropped() {
	dropped | wc -l | tr -d ' '
}

# dropped_total PORT: the kernel's count of the port's dropped frames
dropped_total() {
	vg binding show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["dropped_total"])'
}

watch_start() {
	: >"$TMPD/events"
	vg watch --json >"$TMPD/events" 2>&1 &
	watcher=$!
	sleep 0.3
}

watch_stop() {
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
}

# ---- the defaults: group 3711, 10 lines a second -----------------------------------
check "the daemon starts" daemon_start
watch_start
check "bind vnet1 with clean-traffic, its MAC and IP" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic --param IP="$VM1_IP"
check "the drop chains log to group 3711" sh -c \
	"ip netns exec $HOST nft list chain bridge vifguard drop-source-mac-o | grep -q 'log prefix \"vgd source-mac o\" group 3711'"

# control: what the filter lets through makes no event
expect_eq "legit: IPv4 from vm1's MAC and IP reaches vm2" 3 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$VM2_IP")"
expect_eq "legit: ARP from vm1 reaches vm2" 3 \
	"$(frames_pass "$VM1" "$VM2" arp --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$VM2_IP")"
expect_eq "legit: IPv4 from vm2 reaches vm1" 3 \
	"$(frames_pass "$VM2" "$VM1" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$VM1_IP")"
sleep 0.3
expect_eq "legit frames: no dropped event" 0 "$(n_dropped)"

# each forgery once: one sample each, well within the kernel's burst
send ipv4 --smac "$FORGED_MAC" --sip "$VM1_IP" --dip "$VM2_IP"
check "another source MAC: a source-mac event for vnet1 naming the MAC" \
	wait_dropped source-mac "vnet1 source-mac from the guest: $FORGED_MAC ipv4 $VM1_IP -> $VM2_IP udp 40000 -> 40000"
send ipv4 --smac "$VM1_MAC" --sip 10.77.0.99 --dip "$VM2_IP"
check "another source IP: a source-ip event naming the address" \
	wait_dropped source-ip "vnet1 source-ip from the guest: $VM1_MAC ipv4 10.77.0.99 -> $VM2_IP"
send arp --smac "$VM1_MAC" --sip "$GW_IP" --dip "$VM2_IP"
check "ARP poisoning: an arp-spoofing event with the sender it claimed" \
	wait_dropped arp-spoofing "vnet1 arp-spoofing from the guest: $VM1_MAC arp request sender $GW_IP $VM1_MAC target $VM2_IP"
send arp --smac "$VM1_MAC" --arp-smac "$FORGED_MAC" --sip "$VM1_IP" --dip "$VM2_IP"
check "ARP with another sender MAC: arp-spoofing naming it" \
	wait_dropped arp-spoofing "sender $VM1_IP $FORGED_MAC target $VM2_IP"
send raw --smac "$VM1_MAC" --ethertype 0x88b5
check "another ethertype: an other-ethertype event with its number" \
	wait_dropped other-ethertype "vnet1 other-ethertype from the guest: $VM1_MAC 0x88b5"
send raw --smac "$VM1_MAC" --ethertype 0x0800
check "a malformed IPv4 packet: still the port, the MAC and what is wrong" \
	wait_dropped "" "from the guest: $VM1_MAC ipv4 (malformed: bad-ipv4)"
FROM=$VM2 send ipv6 --smac "$VM2_MAC"
check "towards the guest: IPv6 to vm1 is dropped on vnet1's side, said so" \
	wait_dropped other-ethertype "vnet1 other-ethertype to the guest: $VM2_MAC ipv6 fe80::1 -> ff02::1 udp"
expect_eq "one event per forged frame, none for the legit ones" 7 "$(n_dropped)"
check "the journal has the lines" grep -q \
	"dropped vnet1 source-ip from the guest: $VM1_MAC ipv4 10.77.0.99" "$TMPD/daemon.log"
sleep 1 # the kernel's sample budget for vnet1 (burst 10) after the 8 above
vg watch >"$TMPD/events.txt" 2>&1 &
text_watcher=$!
sleep 0.3
send raw --smac "$VM1_MAC" --ethertype 0x88b6
check "text watch shows the reason before the summary" wait_grep \
	"^dropped +vnet1 +other-ethertype from the guest: $VM1_MAC 0x88b6\$" "$TMPD/events.txt"
kill "$text_watcher" 2>/dev/null
wait "$text_watcher" 2>/dev/null

# a burst: the kernel samples at most its burst of 10 (and 5/s after it)
sleep 2.5 # the port's sample budget refills (5/s)
before=$(n_dropped)
count0=$(dropped_total vnet1)
COUNT=100 send ipv4 --smac "$FORGED_MAC" --sip "$VM1_IP" --dip "$VM2_IP"
sleep 1
burst=$(($(n_dropped) - before))
check "a burst of 100 forged frames: at least 5 events ($burst)" test "$burst" -ge 5
check "and at most 15 ($burst)" test "$burst" -le 15
expect_eq "the counter counted every frame of the burst" $((count0 + 100)) "$(dropped_total vnet1)"
watch_stop
daemon_stop

# ---- drop_log_rate = 1: one line a second, then how many were not logged ----------
printf 'drop_log_rate = 1\n' >"$TMPD/rate.conf"
: >"$TMPD/daemon.log"
check "the daemon starts with drop_log_rate = 1" daemon_start --config "$TMPD/rate.conf"
watch_start
sleep 2 # the kernel's budget for vnet1 refills
COUNT=20 send ipv4 --smac "$FORGED_MAC" --sip "$VM1_IP" --dip "$VM2_IP"
sleep 1.5
lines=$(grep -c "dropped vnet1 source-mac" "$TMPD/daemon.log")
check "watchers get every sample ($(n_dropped))" test "$(n_dropped)" -ge 5
check "the journal at most 2 lines in those 1.5 s ($lines)" test "$lines" -le 2
send ipv4 --smac "$FORGED_MAC" --sip "$VM1_IP" --dip 10.77.0.77
check "when it logs again, first how many it did not" \
	wait_grep "[1-9][0-9]* more dropped frames not logged" "$TMPD/daemon.log"
check "then the line" sh -c "grep -A1 'more dropped frames not logged' $TMPD/daemon.log |
	grep -q 'dropped vnet1 source-mac from the guest: $FORGED_MAC ipv4 $VM1_IP -> 10.77.0.77'"
watch_stop
daemon_stop

# ---- drop_log_group = 0: no samples, the counters go on -----------------------------
printf 'drop_log_group = 0\n' >"$TMPD/nolog.conf"
check "the daemon starts with drop_log_group = 0" daemon_start --config "$TMPD/nolog.conf"
check "the drop chains have no log statement" sh -c \
	"! ip netns exec $HOST nft list chain bridge vifguard drop-source-mac-o | grep -q log"
check "and still count" sh -c \
	"ip netns exec $HOST nft list chain bridge vifguard drop-source-mac-o | grep -q 'update @drops'"
watch_start
count0=$(dropped_total vnet1)
COUNT=5 send ipv4 --smac "$FORGED_MAC" --sip "$VM1_IP" --dip "$VM2_IP"
send raw --smac "$VM1_MAC" --ethertype 0x88b5
sleep 1
expect_eq "no dropped event" 0 "$(n_dropped)"
expect_eq "the counter rose by the 6 frames sent" $((count0 + 6)) "$(dropped_total vnet1)"
watch_stop

printf 'drop_log_group = %s\n' 3710 >"$TMPD/same.conf"
check "drop_log_group = nflog_group is refused" sh -c \
	"! ip netns exec $HOST $DAEMON --config $TMPD/same.conf --check >$TMPD/same.out 2>&1 && grep -q 'drop_log_group 3710 is nflog_group' $TMPD/same.out"

daemon_stop
done_testing
