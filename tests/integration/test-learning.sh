#!/bin/sh
# Learning a VM's address from its own traffic, with the real daemon, a real
# DHCP server (dnsmasq) and client (udhcpc), and forged frames for the attacks.
. "$(dirname "$0")/lib.sh"

require_root
topo_up
UDHCPC_SCRIPT="$SRC/tests/integration/udhcpc-script.sh"
GW_SERVER=

dhcp_server() {
	ip netns exec "$1" dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 \
		--bind-interfaces --dhcp-range="$2" --no-ping --leasefile-ro \
		>>"$TMPD/dnsmasq-$1.log" 2>&1 &
	echo $!
}
dhcp_client() {
	rm -f "$TMPD/lease"
	in_ns "$1" ip addr flush dev eth0
	UDHCPC_LOG="$TMPD/lease" in_ns "$1" busybox timeout "${2:-10}" udhcpc -i eth0 -n -q -f \
		-t 5 -T 1 -s "$UDHCPC_SCRIPT" >/dev/null 2>&1
	cat "$TMPD/lease" 2>/dev/null
}
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

daemon_start
vg watch --json >"$TMPD/events" 2>&1 &

# ---- dhcp mode: learned from the server's ACK ----------------------------------
GW_SERVER=$(dhcp_server "$GW" 10.77.0.100,10.77.0.109,120)
check "bind vnet1 with no IP, CTRL_IP_LEARNING=dhcp" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic --param CTRL_IP_LEARNING=dhcp
expect_eq "the port is learning" learning "$(state vnet1)"
expect_eq "while learning (dhcp): non-DHCP IPv4 from the VM is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip 10.77.0.1 --dip "$VM2_IP")"
lease=$(dhcp_client "$VM1")
case "$lease" in "bound 10.77.0.10"*) ok "udhcpc leases an address through the learning rules" ;;
*) not_ok "udhcpc leases an address through the learning rules"; echo "# $lease" ;; esac
learned=${lease#bound }
expect_eq "the daemon learned it from the ACK" "$learned" "$(wait_for "$learned" addrs vnet1)"
expect_eq "full rules are applied: the port is active" active "$(state vnet1)"
check "its traffic works: ping the gateway" in_ns "$VM1" busybox ping -c 1 -W 2 "$GW_IP"
expect_eq "forged source IP is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip 10.77.0.66 --dip "$VM2_IP")"
vg binding show vnet1 >"$TMPD/show"
check "binding show names the source" grep -q "(dhcp-ack from $GW_IP, lease until" "$TMPD/show"

# ---- restart after learning: full rules back at once, no relearn -------------------
daemon_stop KILL
daemon_start
expect_eq "after a restart the address is still there" "$learned" "$(addrs vnet1)"
expect_eq "and the port active without relearning" active "$(state vnet1)"
grep -q "port vnet1: rules in place, untouched" "$TMPD/daemon.log" &&
	ok "the restart left the port's rules untouched" ||
	not_ok "the restart left the port's rules untouched"
vg watch --json >>"$TMPD/events" 2>&1 &
check "delete vnet1" vg binding delete vnet1
stop "$GW_SERVER"

# ---- dhcp mode with DHCPSERVER: a rogue server is never heard ---------------------
ROGUE=$(dhcp_server "$VM2" 10.77.0.200,10.77.0.209,120)
check "bind vnet1 trusting only the gateway's server" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic --param CTRL_IP_LEARNING=dhcp \
	--param DHCPSERVER="$GW_IP"
expect_eq "with only the rogue server up, the VM gets no lease" "" "$(dhcp_client "$VM1" 5)"
expect_eq "and nothing is learned" "" "$(addrs vnet1)"
GW_SERVER=$(dhcp_server "$GW" 10.77.0.110,10.77.0.119,120)
lease=$(dhcp_client "$VM1")
case "$lease" in "bound 10.77.0.11"*) ok "with both up, the lease comes from the trusted server" ;;
*) not_ok "with both up, the lease comes from the trusted server"; echo "# $lease" ;; esac
expect_eq "and that is what is learned" "${lease#bound }" "$(wait_for "${lease#bound }" addrs vnet1)"
stop "$ROGUE"
stop "$GW_SERVER"
check "delete vnet1" vg binding delete vnet1

# ---- the template of the rules once learned is made at bind time ---------------
cat >"$TMPD/ct.xml" <<XML
<filterbinding>
  <owner><name>vm1</name><uuid>11111111-3333-4444-5555-666666666666</uuid></owner>
  <portdev name='vnet1'/>
  <mac address='$VM1_MAC'/>
  <filterref filter='clean-traffic'><parameter name='IP' value='$VM1_IP'/></filterref>
</filterbinding>
XML
ct_tpl=$("$CTL" explain "$TMPD/ct.xml" | sed -n 's/^# port vnet1: template \(t[0-9a-f]*\),.*/\1/p')
check "bind vnet1 learning ($ct_tpl once learned)" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic
check "while it learns, its template is in the kernel" \
	in_ns "$HOST" nft list chain bridge vifguard "$ct_tpl-o"
check "delete vnet1 before it learned" vg binding delete vnet1
check "its template went with it" sh -c \
	"! ip netns exec $HOST nft list chain bridge vifguard $ct_tpl-o 2>/dev/null"

# ---- any mode, a static address -------------------------------------------------
in_ns "$VM1" ip addr flush dev eth0
in_ns "$VM1" ip addr add "$VM1_IP/24" dev eth0
check "bind vnet1 in any mode" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic
frames_pass "$VM1" "$GW" arp --smac "$VM1_MAC" --sip 0.0.0.0 --dip "$VM1_IP" >/dev/null
expect_eq "an ARP probe (sender 0.0.0.0) teaches nothing" "" "$(addrs vnet1)"
in_ns "$VM1" busybox arping -c 1 -w 2 -I eth0 "$GW_IP" >/dev/null 2>&1
expect_eq "the VM's first ARP (a request for its gateway) teaches its own address" "$VM1_IP" \
	"$(wait_for "$VM1_IP" addrs vnet1)"
case " $(addrs vnet1) " in *" $GW_IP "*) not_ok "the gateway's address is not learned" ;;
*) ok "the gateway's address is not learned" ;; esac
check "vm1 pings the gateway" in_ns "$VM1" busybox ping -c 1 -W 2 "$GW_IP"
check "delete vnet1" vg binding delete vnet1

check "bind vnet1 in any mode again" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic
frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$VM2_IP" >/dev/null
expect_eq "without ARP first, the first IPv4 packet teaches" "$VM1_IP" \
	"$(wait_for "$VM1_IP" addrs vnet1)"

# ---- a second VM claiming the first VM's address -----------------------------------
in_ns "$VM2" ip addr flush dev eth0 # a silent VM: its first frame is the claim
check "bind vnet2 in any mode" vg binding create --port vnet2 --mac "$VM2_MAC" \
	--filter clean-traffic
frames_pass "$VM2" "$GW" arp --smac "$VM2_MAC" --sip "$VM1_IP" --dip "$GW_IP" >/dev/null
sleep 0.3
expect_eq "vm2 claiming vm1's address learns nothing" "" "$(addrs vnet2)"
check "a conflict event names both ports" grep -q \
	"\"type\":\"conflict\",\"port\":\"vnet2\".*$VM1_IP, which belongs to port vnet1" "$TMPD/events"

# ---- port deleted while learning ---------------------------------------------------
check "delete vnet1" vg binding delete vnet1
ip -n "$HOST" link del vnet2
sleep 0.5
expect_eq "a port deleted while learning loses its binding" "" \
	"$(vg binding list --json | python3 -c 'import json,sys; print(" ".join(b["port"] for b in json.load(sys.stdin)))')"
expect_eq "and nothing of it is left in the kernel" 0 \
	"$(in_ns "$HOST" nft list table bridge vifguard | grep -c '"vnet2"')"

# ---- daemon restarted while learning: learning resumes ----------------------------
in_ns "$VM1" ip addr flush dev eth0 # silent until the test speaks for it
check "bind vnet1, learning" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic
daemon_stop TERM
daemon_start
expect_eq "after a restart the port is still learning" learning "$(state vnet1)"
frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP" >/dev/null
expect_eq "and learns" "$VM1_IP" "$(wait_for "$VM1_IP" addrs vnet1)"
check "delete vnet1" vg binding delete vnet1

# ---- leases: expiry without renewal, and renewal ---------------------------------
vg watch --json >>"$TMPD/events" 2>&1 &
check "bind vnet1, dhcp mode" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic --param CTRL_IP_LEARNING=dhcp
ack() { # ack XID LEASE: the VM asks, the gateway acknowledges 10.77.0.50
	frames_pass "$VM1" "$GW" dhcp --dhcp-type 3 --xid "$1" --smac "$VM1_MAC" \
		--sip 0.0.0.0 --dip 255.255.255.255 --requested 10.77.0.50 >/dev/null
	frames_pass "$GW" "$VM1" dhcp --dhcp-type 5 --xid "$1" --smac "$GW_MAC" --dmac "$VM1_MAC" \
		--chaddr "$VM1_MAC" --sip "$GW_IP" --dip 10.77.0.50 --yiaddr 10.77.0.50 \
		--server-id "$GW_IP" --lease "$2" >/dev/null
}
ack 0x1001 4
expect_eq "an ACK with a 4 s lease is learned" 10.77.0.50 "$(wait_for 10.77.0.50 addrs vnet1)"
ack 0x1002 4
sleep 2
ack 0x1003 4
sleep 2
expect_eq "renewed twice, it is still there after 4 s" 10.77.0.50 "$(addrs vnet1)"
sleep 5
expect_eq "without renewal the lease expires" "" "$(addrs vnet1)"
expect_eq "and the port is learning again" learning "$(state vnet1)"
check "an expired event was sent" grep -q '"type":"expired","port":"vnet1"' "$TMPD/events"
# the kernel holds the lease too: it ends even while the daemon is down
ack 0x1004 3
expect_eq "an ACK with a 3 s lease is learned" 10.77.0.50 "$(wait_for 10.77.0.50 addrs vnet1)"
check "the kernel's element has the lease's timeout (plus the grace)" sh -c \
	"ip netns exec $HOST nft list table bridge vifguard | grep -Eq '\"vnet1\" . 10.77.0.50 timeout [0-9]s'"
daemon_stop KILL
expect_eq "daemon killed, lease running: the leased address passes" 3 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip 10.77.0.50 --dip "$GW_IP")"
sleep 9
expect_eq "daemon still down, lease over: the kernel dropped the address" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip 10.77.0.50 --dip "$GW_IP")"
daemon_start
vg watch --json >>"$TMPD/events" 2>&1 &
expect_eq "restarted: the expired address is forgotten" "" "$(wait_for "" addrs vnet1)"
expect_eq "and the port learns again, not failed" learning "$(wait_for learning state vnet1)"
frames_pass "$GW" "$VM1" dhcp --dhcp-type 5 --xid 0x7777 --smac "$GW_MAC" --dmac "$VM1_MAC" \
	--chaddr "$VM1_MAC" --sip "$GW_IP" --dip 10.77.0.51 --yiaddr 10.77.0.51 \
	--server-id "$GW_IP" --lease 60 >/dev/null
sleep 0.3
expect_eq "an ACK for an exchange the VM never started is not learned" "" "$(addrs vnet1)"
frames_pass "$VM1" "$GW" dhcp --dhcp-type 1 --xid 0x8888 --smac "$VM1_MAC" \
	--sip 0.0.0.0 --dip 255.255.255.255 >/dev/null
frames_pass "$GW" "$VM1" dhcp --dhcp-type 2 --xid 0x8888 --smac "$GW_MAC" --dmac "$VM1_MAC" \
	--chaddr "$VM1_MAC" --sip "$GW_IP" --dip 10.77.0.52 --yiaddr 10.77.0.52 \
	--server-id "$GW_IP" --lease 60 >/dev/null
sleep 0.3
expect_eq "an OFFER is never learned" "" "$(addrs vnet1)"
check "delete vnet1" vg binding delete vnet1

# ---- filter updates are locked while ports learn ------------------------------
mkdir -p "$TMPD/filters"
cat >"$TMPD/filters/lockme.xml" <<'XML'
<filter name='lockme' chain='root'>
  <rule action='return' direction='out'><ip srcipaddr='$IP'/></rule>
  <rule action='drop' direction='out' priority='1000'/>
</filter>
XML
sed "s/srcipaddr='\$IP'/srcipaddr='\$IP' dstipaddr='\$NEWVAR'/" "$TMPD/filters/lockme.xml" \
	>"$TMPD/lockme-new.xml"
check "define lockme" vg filter define "$TMPD/filters/lockme.xml"
in_ns "$VM1" ip addr flush dev eth0
check "bind vnet1 to it, learning" vg binding create --port vnet1 --mac "$VM1_MAC" --filter lockme
out=$(vg filter define "$TMPD/lockme-new.xml" 2>&1)
case "$out" in
*"refused while ports learn their address (vnet1)"*"vnet1 needs NEWVAR"*)
	ok "a redefinition needing a new variable is refused while vnet1 learns" ;;
*) not_ok "a redefinition needing a new variable is refused while vnet1 learns"; echo "# $out" ;;
esac
check "delete vnet1" vg binding delete vnet1

# ---- timeout: a silent VM ends failed and blocked; relearn recovers it --------------
check "bind vnet1 with a 2 s learning timeout" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic --param CTRL_IP_LEARNING_TIMEOUT=2
expect_eq "a silent VM ends failed" failed "$(wait_for failed state vnet1)"
expect_eq "and blocked: even its ARP is dropped" 0 \
	"$(frames_pass "$VM1" "$GW" arp --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP")"
check "relearn" vg binding relearn vnet1
# the 2 s timeout runs again: send at once, without waiting for a receiver
in_ns "$VM1" python3 "$FRAMES" send eth0 ipv4 --tag relearn --smac "$VM1_MAC" --sip "$VM1_IP" \
	--dip "$GW_IP"
expect_eq "relearn starts learning again, and the port learns" "$VM1_IP" \
	"$(wait_for "$VM1_IP" addrs vnet1)"
check "delete vnet1" vg binding delete vnet1

# ---- ports that learn in the same read share one transaction; one bad port fails alone ----
cat >"$TMPD/vnet2.xml" <<XML
<filterbinding>
  <owner><name>vm2</name><uuid>22222222-3333-4444-5555-666666666666</uuid></owner>
  <portdev name='vnet2'/>
  <mac address='$VM2_MAC'/>
  <filterref filter='no-ip-spoofing'><parameter name='IP' value='$VM2_IP'/></filterref>
</filterbinding>
XML
# vm2 lost its port above: a new one
ip -n "$HOST" link add vnet2 type veth peer name eth0 netns "$VM2"
ip -n "$VM2" link set eth0 address "$VM2_MAC"
ip -n "$VM2" link set eth0 up
ip -n "$HOST" link set vnet2 master br0
ip -n "$HOST" link set vnet2 up
tpl=$("$CTL" explain "$TMPD/vnet2.xml" | sed -n 's/^# port vnet2: template \(t[0-9a-f]*\),.*/\1/p')
# a stray set with the name, not the type, of a set of vnet2's template: the template cannot go in
check "someone adds a set named like one of vnet2's template's ($tpl)" \
	in_ns "$HOST" nft add set bridge vifguard "$tpl-o0" "{ type ipv4_addr; }"
check "bind vnet1 (clean-traffic) and vnet2 (no-ip-spoofing), both learning" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock binding create --port vnet1 \
	   --mac $VM1_MAC --filter clean-traffic &&
	 ip netns exec $HOST $CTL --socket $TMPD/control.sock binding create --port vnet2 \
	   --mac $VM2_MAC --filter no-ip-spoofing"
expect_eq "vnet2 learns, though its template could not be made ahead" learning \
	"$(state vnet2)"
check "another change to the table by someone else" in_ns "$HOST" nft add set bridge vifguard \
	vg-stray2 "{ type ipv4_addr; }"
sleep 0.3 # the daemon repairs its table 50 ms after a foreign change
expect_eq "the repair that follows leaves vnet2 learning (its template still cannot be made)" \
	learning "$(state vnet2)"
kill -STOP "$DAEMON_PID"
in_ns "$VM1" python3 "$FRAMES" send eth0 ipv4 --tag b1 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP"
in_ns "$VM2" python3 "$FRAMES" send eth0 ipv4 --tag b2 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP"
kill -CONT "$DAEMON_PID"
expect_eq "vnet1 learned" "$VM1_IP" "$(wait_for "$VM1_IP" addrs vnet1)"
expect_eq "vnet2, whose rules cannot go in, failed alone" failed "$(wait_for failed state vnet2)"
check "both were tried in one transaction first" grep -q "2 ports in one transaction" \
	"$TMPD/daemon.log"
expect_eq "vnet1's full rules work" 3 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP")"
check "clean up" sh -c "ip netns exec $HOST $CTL --socket $TMPD/control.sock binding delete vnet1 &&
	ip netns exec $HOST $CTL --socket $TMPD/control.sock binding delete vnet2 &&
	ip netns exec $HOST nft delete set bridge vifguard $tpl-o0 &&
	ip netns exec $HOST nft delete set bridge vifguard vg-stray2"

# ---- applying the full rules fails: the port goes down -------------------------
mkdir -p "$TMPD/filters"
cat >"$TMPD/filters/cannot.xml" <<'XML'
<filter name='cannot' chain='root'>
  <rule action='accept' direction='out'><ip srcipaddr='$IP'/></rule>
  <rule action='accept' direction='in'><arp gratuitous='true'/></rule>
</filter>
XML
check "define a filter whose full rules nftables cannot take" vg filter define \
	"$TMPD/filters/cannot.xml"
check "bind vnet1 to it, learning" vg binding create --port vnet1 --mac "$VM1_MAC" --filter cannot
frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP" >/dev/null
expect_eq "the full rules cannot be applied: the port is failed" failed \
	"$(wait_for failed state vnet1)"
expect_eq "and set down (fail closed)" 0 \
	"$(ip -n "$HOST" -o link show vnet1 | grep -c '[<,]UP[,>]')"
check "the failed event says why" grep -q '"type":"port-failed","port":"vnet1".*gratuitous' \
	"$TMPD/events"

daemon_stop TERM
done_testing
