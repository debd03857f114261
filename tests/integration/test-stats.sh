#!/bin/sh
# Drop counters, with the real daemon and frames on a real bridge: each kind of
# forged frame from a guest raises its own reason's counter by exactly the
# number sent and no other (from the VM; a few to the VM too), legitimate
# frames raise nothing, and every drop has its control (the same frames pass
# unbound). Learning, quarantine and unbound (guard_ports) drops; counters go
# with the binding; drop_counters = no drops the same frames uncounted.
# Metrics: vifguardctl metrics and the textfile pass promtool check metrics,
# and the real prometheus-node-exporter serves the series from the textfile.
. "$(dirname "$0")/lib.sh"

require_root
command -v promtool >/dev/null || skip_all "promtool (package prometheus) not installed"
NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter) ||
	skip_all "prometheus-node-exporter not installed"
topo_up
# no IPv6 from the bridge and the ports in the host namespace: counts to the VM are exact
in_ns "$HOST" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
	net.ipv6.conf.br0.disable_ipv6=1

N=5
G1_MAC=52:54:00:00:00:31 G1_IP=10.77.0.31
GVM1=${PFX}g1
cleanup_stats() {
	ip netns del "$GVM1" 2>/dev/null
	cleanup
}
trap cleanup_stats EXIT

# send TX KIND OPTS...: N tagged frames from TX's eth0; prints how many reached the gateway
send() {
	tx=$1
	shift
	frames_pass "$tx" "$GW" "$@" --count "$N"
}
forged_mac() { send "$VM1" ipv4 --smac 52:54:00:00:00:99 --sip "$VM1_IP" --dip "$GW_IP"; }
forged_ip() { send "$VM1" ipv4 --smac "$VM1_MAC" --sip 10.77.0.99 --dip "$GW_IP"; }
forged_arp() {
	send "$VM1" arp --smac "$VM1_MAC" --arp-smac "$VM1_MAC" --sip 10.77.0.98 --dip "$GW_IP"
}
other_type() { send "$VM1" raw --smac "$VM1_MAC"; }
own_ip() { send "$VM1" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP"; }
own_arp() { send "$VM1" arp --smac "$VM1_MAC" --arp-smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP"; }
rogue_dhcp() {
	send "$VM1" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip 255.255.255.255 --sport 67 --dport 68
}

# snap PORT: its counters as "from:REASON N" / "to:REASON N" lines (nothing if not listed)
snap() {
	vg stats "$1" -j 2>/dev/null | python3 -c '
import json, sys
try:
    items = json.load(sys.stdin)
except ValueError:
    items = []
for it in items if isinstance(items, list) else []:
    for key, side in (("dropped_from_vm", "from"), ("dropped_to_vm", "to")):
        for reason, n in sorted(it[key].items()):
            print("%s:%s %d" % (side, reason, n))'
}
# delta BEFORE AFTER [SIDE]: the counters of SIDE (from by default) that changed, "REASON=+n ..."
delta() {
	python3 - "$1" "$2" "${3:-from}" <<'PY'
import sys
def load(path):
    d = {}
    for line in open(path):
        k, v = line.split()
        d[k] = int(v)
    return d
a, b, side = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
out = []
for k in sorted(set(a) | set(b)):
    if k.startswith(side + ":") and a.get(k, 0) != b.get(k, 0):
        out.append("%s=%+d" % (k.split(":", 1)[1], b.get(k, 0) - a.get(k, 0)))
print(" ".join(out))
PY
}
# counted DESC PORT EXPECTED_DELTA [SIDE] -- COMMAND...: COMMAND (which prints how many
# frames arrived) must print ARRIVED, and PORT's counters move by exactly EXPECTED_DELTA
counted() {
	desc=$1 port=$2 want=$3 arrived=$4
	shift 4
	snap "$port" >"$TMPD/before"
	got=$("$@")
	sleep 0.1
	snap "$port" >"$TMPD/after"
	expect_eq "$desc: $arrived of $N arrive" "$arrived" "$got"
	expect_eq "$desc: $port's from-VM counters move by '${want:-nothing}'" "$want" \
		"$(delta "$TMPD/before" "$TMPD/after")"
}
# field PORT KEY: one top-level key of PORT's stats object
field() {
	vg stats "$1" -j 2>/dev/null | python3 -c '
import json, sys
try:
    items = json.load(sys.stdin)
except ValueError:
    items = []
items = items if isinstance(items, list) else []
print(" ".join(str(it[sys.argv[1]]).lower() for it in items))' "$2"
}
listed() {
	vg stats -j 2>/dev/null | python3 -c '
import json, sys
print(" ".join(it["port"] for it in json.load(sys.stdin)))'
}

mkdir -p "$TMPD/textfile"
PROM="$TMPD/textfile/vifguard.prom"
printf '%s\n' 'guard_ports = gvm*' "metrics_textfile = $PROM" 'metrics_interval = 1' \
	>"$TMPD/counted.conf"
check "the daemon starts with guard_ports = gvm*, metrics_textfile, metrics_interval = 1" \
	daemon_start -c "$TMPD/counted.conf"
vg watch --json >"$TMPD/events" 2>&1 &

# ---- the controls: vnet1 unbound, every frame arrives, nothing is counted ----------------
expect_eq "control: unbound, forged source MAC arrives" "$N" "$(forged_mac)"
expect_eq "control: unbound, forged source IP arrives" "$N" "$(forged_ip)"
expect_eq "control: unbound, ARP with another's sender IP arrives" "$N" "$(forged_arp)"
expect_eq "control: unbound, another ethertype arrives" "$N" "$(other_type)"
expect_eq "control: unbound, a DHCP reply from vm1 arrives" "$N" "$(rogue_dhcp)"
expect_eq "control: an unguarded, unbound port is not listed by stats" "" "$(listed)"

# ---- clean-traffic: each forgery its own counter, exactly ---------------------------------
check "vm1 bound with clean-traffic, its MAC and IP" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic --param IP="$VM1_IP"
expect_eq "a fresh binding: bound, nothing dropped" "true 0" \
	"$(field vnet1 bound) $(field vnet1 dropped_total)"
counted "forged source MAC" vnet1 "source-mac=+$N" 0 forged_mac
counted "forged source IP" vnet1 "source-ip=+$N" 0 forged_ip
counted "ARP spoofing" vnet1 "arp-spoofing=+$N" 0 forged_arp
counted "other ethertype" vnet1 "other-ethertype=+$N" 0 other_type
counted "legitimate IPv4" vnet1 "" "$N" own_ip
counted "legitimate ARP" vnet1 "" "$N" own_arp
counted "forged source IP again" vnet1 "source-ip=+$N" 0 forged_ip
snap vnet1 >"$TMPD/before"
got=$(frames_pass "$GW" "$VM1" raw --smac "$GW_MAC" --dmac "$VM1_MAC" --count "$N")
snap vnet1 >"$TMPD/after"
expect_eq "to the VM: another ethertype is dropped" 0 "$got"
expect_eq "to the VM: counted as other-ethertype, to_vm, exactly" "other-ethertype=+$N" \
	"$(delta "$TMPD/before" "$TMPD/after" to)"
expect_eq "and not as from the VM" "" "$(delta "$TMPD/before" "$TMPD/after" from)"
got=$(frames_pass "$GW" "$VM1" ipv4 --smac "$GW_MAC" --dmac "$VM1_MAC" --sip "$GW_IP" \
	--dip "$VM1_IP" --count "$N")
snap vnet1 >"$TMPD/after2"
expect_eq "to the VM: legitimate IPv4 arrives" "$N" "$got"
expect_eq "and raises nothing" "" "$(delta "$TMPD/after" "$TMPD/after2" to)"
expect_eq "dropped_total: both directions" "$((5 * N + N))" "$(field vnet1 dropped_total)"
out=$(vg binding show vnet1 --json | python3 -c '
import json, sys
b = json.load(sys.stdin)
print(b["dropped_from_vm"]["source-ip"], b["dropped_to_vm"]["other-ethertype"], b["dropped_total"])')
expect_eq "binding show --json has the same counters" "$((2 * N)) $N $((6 * N))" "$out"

# ---- metrics --------------------------------------------------------------------------
vg metrics >"$TMPD/metrics.txt" 2>&1
expect_eq "metrics: vifguard_dropped_packets_total for vnet1 source-ip from_vm" "$((2 * N))" \
	"$(sed -n 's/^vifguard_dropped_packets_total{port="vnet1",reason="source-ip",direction="from_vm"} //p' \
		"$TMPD/metrics.txt")"
expect_eq "metrics: the to_vm series too" "$N" \
	"$(sed -n 's/^vifguard_dropped_packets_total{port="vnet1",reason="other-ethertype",direction="to_vm"} //p' \
		"$TMPD/metrics.txt")"
expect_eq "metrics: one binding active" 1 \
	"$(sed -n 's/^vifguard_bindings{state="active"} //p' "$TMPD/metrics.txt")"
check "metrics: no address in any label" sh -c "! grep -E '10\\.77\\.|52:54:00' $TMPD/metrics.txt"
promtool check metrics <"$TMPD/metrics.txt" >"$TMPD/promtool.out" 2>&1
rc=$?
expect_eq "promtool check metrics < vifguardctl metrics: exit 0, no lint output" "0 " \
	"$rc $(tr '\n' ' ' <"$TMPD/promtool.out")"

# the textfile: rewritten every second; wait for the counts just made
textfile_has() {
	sed -n 's/^vifguard_dropped_packets_total{port="vnet1",reason="source-ip",direction="from_vm"} //p' \
		"$PROM" 2>/dev/null
}
expect_eq "metrics_textfile: written, with the current count" "$((2 * N))" \
	"$(wait_for "$((2 * N))" textfile_has)"
cp "$PROM" "$TMPD/textfile.copy" 2>/dev/null
promtool check metrics <"$TMPD/textfile.copy" >"$TMPD/promtool.out" 2>&1
rc=$?
expect_eq "promtool check metrics < the textfile: exit 0, no lint output" "0 " \
	"$rc $(tr '\n' ' ' <"$TMPD/promtool.out")"
check "the textfile directory holds no temporary file" sh -c "[ \$(ls -A $TMPD/textfile | wc -l) = 1 ]"

# the real node_exporter, in the host namespace, reads the directory
NE_PORT=$((20000 + $$ % 20000))
in_ns "$HOST" "$NODE_EXPORTER" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TMPD/textfile" --web.listen-address="127.0.0.1:$NE_PORT" \
	>"$TMPD/node-exporter.log" 2>&1 &
NE_PID=$!
scrape() {
	in_ns "$HOST" python3 -c '
import sys, urllib.request
try:
    sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())
except Exception as e:
    print("# scrape failed:", e)' "http://127.0.0.1:$NE_PORT/metrics" >"$TMPD/scrape" 2>&1
	sed -n 's/^vifguard_dropped_packets_total{direction="from_vm",port="vnet1",reason="source-ip"} //p' \
		"$TMPD/scrape"
}
expect_eq "node_exporter serves vifguard_dropped_packets_total for vnet1 source-ip" "$((2 * N))" \
	"$(wait_for "$((2 * N))" scrape)"
expect_eq "node_exporter: node_textfile_scrape_error 0" 0 \
	"$(sed -n 's/^node_textfile_scrape_error //p' "$TMPD/scrape")"
expect_eq "node_exporter: the histogram is there" 1 \
	"$(grep -c '^vifguard_learning_latency_seconds_count ' "$TMPD/scrape")"
[ "$(sed -n 's/^node_textfile_scrape_error //p' "$TMPD/scrape")" = 0 ] ||
	sed 's/^/# /' "$TMPD/node-exporter.log" | tail -n 20
kill "$NE_PID" 2>/dev/null
wait "$NE_PID" 2>/dev/null

# ---- rogue DHCP: clean-traffic + no-dhcp-server ----------------------------------------
printf '%s\n' "<filter name='guarded' chain='root'>" "  <filterref filter='clean-traffic'/>" \
	"  <filterref filter='no-dhcp-server'/>" "</filter>" >"$TMPD/guarded.xml"
check "define guarded = clean-traffic + no-dhcp-server" vg filter define "$TMPD/guarded.xml"
check "vnet1's binding deleted" vg binding delete vnet1
expect_eq "its counters go with it: vnet1 no longer listed" "" "$(listed)"
check "vm1 bound with guarded" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter guarded --param IP="$VM1_IP"
expect_eq "rebound: every counter zero" "true 0" "$(field vnet1 bound) $(field vnet1 dropped_total)"
counted "a DHCP reply from vm1" vnet1 "rogue-dhcp=+$N" 0 rogue_dhcp
counted "forged source IP under guarded" vnet1 "source-ip=+$N" 0 forged_ip
counted "legitimate IPv4 under guarded" vnet1 "" "$N" own_ip

# ---- quarantine: the port's MAC changes --------------------------------------------------
bound_mac=$(ip -n "$HOST" -o link show vnet1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
check "the port's MAC changes" ip -n "$HOST" link set vnet1 address 02:00:00:00:00:99
expect_eq "vnet1 is quarantined (the event)" 1 "$(wait_for 1 grep -c '"type":"quarantined","port":"vnet1"' \
	"$TMPD/events")"
expect_eq "vnet1's state is quarantined (verified: the dispatch is the counting goto)" quarantined \
	"$(wait_for quarantined state vnet1)"
sleep 0.3
snap vnet1 >"$TMPD/before"
expect_eq "quarantined: vm1's own frames are dropped" 0 "$(own_ip)"
expect_eq "quarantined: a forged source IP is dropped" 0 "$(forged_ip)"
sleep 0.1
snap vnet1 >"$TMPD/after"
# a veth's netdev hooks see the VM's frames at ingress (a macvtap's at egress)
expect_eq "quarantined: both counted as quarantine, from the VM, exactly" "quarantine=+$((2 * N))" \
	"$(delta "$TMPD/before" "$TMPD/after")"
expect_eq "quarantined: counted as quarantine, one direction or the other" "$((2 * N))" \
	"$(python3 -c 'import sys
d = lambda p: dict(l.split() for l in open(p))
a, b = d(sys.argv[1]), d(sys.argv[2])
print(sum(int(b.get(k, 0)) - int(a.get(k, 0)) for k in ("from:quarantine", "to:quarantine")))' \
		"$TMPD/before" "$TMPD/after")"
check "the MAC is set back" ip -n "$HOST" link set vnet1 address "$bound_mac"
expect_eq "the quarantine is lifted" active "$(wait_for active state vnet1)"
counted "lifted: vm1's own frames" vnet1 "" "$N" own_ip
counted "lifted: forged source IP" vnet1 "source-ip=+$N" 0 forged_ip

# ---- learning: a port bound without an address, before it learns -------------------------
check "vm2 bound with clean-traffic, no IP, CTRL_IP_LEARNING=dhcp" vg binding create \
	--port vnet2 --mac "$VM2_MAC" --filter clean-traffic --param CTRL_IP_LEARNING=dhcp
expect_eq "vnet2 is learning" learning "$(state vnet2)"
counted "learning: IPv4 from vm2 before it learns" vnet2 "learning=+$N" 0 \
	send "$VM2" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP"
expect_eq "vnet2 is still learning" learning "$(state vnet2)"
check "vnet2's binding deleted" vg binding delete vnet2

# ---- unbound: a port matching guard_ports, no binding -------------------------------------
ip netns add "$GVM1"
ip -n "$HOST" link add gvm1 type veth peer name eth0 netns "$GVM1"
ip -n "$GVM1" link set eth0 address "$G1_MAC"
ip -n "$GVM1" link set lo up
ip -n "$GVM1" link set eth0 up
ip -n "$GVM1" addr add "$G1_IP/24" dev eth0
in_ns "$GVM1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$HOST" link set gvm1 master br0 up
counted "unbound gvm1 (guard_ports = gvm*): its own frames" gvm1 "unbound=+$N" 0 \
	send "$GVM1" ipv4 --smac "$G1_MAC" --sip "$G1_IP" --dip "$GW_IP"
expect_eq "stats lists gvm1 with bound=false" "false" "$(field gvm1 bound)"
case " $(listed) " in *" gvm1 "*) ok "and the listing of all ports has it" ;;
*) not_ok "and the listing of all ports has it"; echo "# $(listed)" ;; esac
vg metrics >"$TMPD/metrics2.txt" 2>&1
expect_eq "metrics: the unbound series for gvm1" "$N" \
	"$(sed -n 's/^vifguard_dropped_packets_total{port="gvm1",reason="unbound",direction="from_vm"} //p' \
		"$TMPD/metrics2.txt")"
promtool check metrics <"$TMPD/metrics2.txt" >"$TMPD/promtool.out" 2>&1
rc=$?
expect_eq "promtool check metrics after learning, quarantine, unbound: exit 0, no lint output" \
	"0 " "$rc $(tr '\n' ' ' <"$TMPD/promtool.out")"
daemon_stop

# ---- drop_counters = no: the same frames dropped, nothing counted ------------------------
printf '%s\n' 'drop_counters = no' >"$TMPD/uncounted.conf"
check "the daemon starts with drop_counters = no" daemon_start -c "$TMPD/uncounted.conf"
check "vm1 bound with clean-traffic again" sh -c "ip netns exec $HOST $CTL --socket \
	$TMPD/control.sock binding delete vnet1 2>/dev/null; ip netns exec $HOST $CTL --socket \
	$TMPD/control.sock binding create --port vnet1 --mac $VM1_MAC --filter clean-traffic \
	--param IP=$VM1_IP"
snap vnet1 >"$TMPD/before"
# the netdev table's quarantine counts go with the binding too
expect_eq "rebound after its quarantine: every counter zero" 0 "$(field vnet1 dropped_total)"
expect_eq "uncounted: forged source MAC dropped" 0 "$(forged_mac)"
expect_eq "uncounted: forged source IP dropped" 0 "$(forged_ip)"
expect_eq "uncounted: ARP spoofing dropped" 0 "$(forged_arp)"
expect_eq "uncounted: another ethertype dropped" 0 "$(other_type)"
expect_eq "uncounted: legitimate IPv4 passes" "$N" "$(own_ip)"
sleep 0.1
snap vnet1 >"$TMPD/after"
expect_eq "uncounted: no counter rose, from the VM" "" "$(delta "$TMPD/before" "$TMPD/after")"
expect_eq "uncounted: nor to it" "" "$(delta "$TMPD/before" "$TMPD/after" to)"
# vnet1's template: the chain its out-ports element jumps to, and that chain's sub-chains
tpl=$(in_ns "$HOST" nft list map bridge vifguard out-ports |
	sed -n 's/.*"vnet1" : jump \(t[0-9a-f]*\)-o.*/\1/p')
in_ns "$HOST" nft list table bridge vifguard >"$TMPD/table"
expect_eq "uncounted: vnet1's template $tpl has drop rules" yes \
	"$(awk -v t="$tpl" '/^\tchain /{ c = index($2, t "-") == 1 } c && /drop/' "$TMPD/table" |
		grep -q . && echo yes)"
expect_eq "and none goes to a counting drop-* chain" "" \
	"$(awk -v t="$tpl" '/^\tchain /{ c = index($2, t "-") == 1 } c && /goto drop-/' "$TMPD/table")"

done_testing
