#!/bin/sh
# Learning under attack, with the real daemon and forged frames on a real
# bridge: a neighbour answering the victim's DHCP exchange, a replayed xid, a
# reply from a guest that claims to be a server, a guest squatting an
# address before its owner is bound, a lease too long for the kernel, a
# guest claiming a protected address. Each attack has its control: the
# daemon counted the forged frame (it reached the bridge and the capture),
# and the same frame from a trusted place does teach.
. "$(dirname "$0")/lib.sh"

require_root
topo_up

state_addrs() {
	echo "$(state "$1") $(addrs "$1")"
}
# ignored REASON: how many capture records the daemon ignored for REASON
ignored() {
	vg status --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["learning"]["ignored"].get(sys.argv[1], 0))' "$1"
}
# send NS [frames.py dhcp options]: one DHCP message from NS's eth0
send_dhcp() {
	ns=$1
	shift
	in_ns "$ns" python3 "$FRAMES" send eth0 dhcp --tag "d$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')" "$@"
}
# the VM vm1 asks: REQUEST, xid $1, for address $2
request() {
	send_dhcp "$VM1" --smac "$VM1_MAC" --dhcp-type 3 --xid "$1" --requested "$2"
}
# an ACK of xid $2 for vm1, granting $3 (lease $4 s), sent from namespace $1 with MAC $5, IP $6
ack() {
	send_dhcp "$1" --smac "$5" --sip "$6" --dip 255.255.255.255 --dhcp-type 5 --xid "$2" \
		--chaddr "$VM1_MAC" --yiaddr "$3" --server-id "$6" --lease "${4:-120}"
}

printf 'protected_addresses = %s\n' "$GW_IP" >"$TMPD/vifguardd.conf"
check "the daemon starts (the gateway's address protected)" daemon_start -c "$TMPD/vifguardd.conf"
vg watch --json >"$TMPD/events" 2>&1 &

# ---- a neighbour answers the victim's exchange -----------------------------------
check "bind vnet2 (vm2, a guest) with its IP" vg binding create --port vnet2 --mac "$VM2_MAC" \
	--filter clean-traffic --param IP="$VM2_IP"
check "bind vnet1 learning, dhcp mode, any server" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic --param CTRL_IP_LEARNING=dhcp
request 0x1111 10.77.0.50
ack "$VM2" 0x1111 10.77.0.50 120 "$VM2_MAC" "$VM2_IP"
expect_eq "the neighbour's ACK reached the daemon, which ignored it: a guest port" 1 \
	"$(wait_for 1 ignored untrusted-port)"
expect_eq "and vnet1 learned nothing" "learning " "$(state_addrs vnet1)"
ack "$GW" 0x1111 10.77.0.50 120 "$GW_MAC" "$GW_IP"
expect_eq "control: the same ACK from the uplink teaches" 10.77.0.50 \
	"$(wait_for 10.77.0.50 addrs vnet1)"

# ---- one exchange teaches once ---------------------------------------------------
for i in $(seq 20); do ack "$GW" 0x1111 "10.77.0.$((60 + i))" 120 "$GW_MAC" "$GW_IP"; done
expect_eq "20 replays of the used xid were seen" 20 "$(wait_for 20 ignored dhcp-xid)"
expect_eq "and taught nothing" 10.77.0.50 "$(addrs vnet1)"

# ---- the learning window: nothing passes that could not pass once learned ---------
check "vnet1 deleted" vg binding delete vnet1
check "bind vnet1 learning, any mode" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic
expect_eq "while learning, vm1 sending with vm2's address: dropped" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$VM2_IP" --dip "$GW_IP")"
check "control: it reached the daemon, which refused the claim" grep -q \
	"claims $VM2_IP, which belongs to port vnet2" "$TMPD/events"
expect_eq "an ARP reply poisoning the gateway's cache with vm2's address: dropped" 0 \
	"$(frames_pass "$VM1" "$GW" arp --smac "$VM1_MAC" --op 2 --sip "$VM2_IP" --dip "$GW_IP" \
		--dmac "$GW_MAC" --arp-dmac "$GW_MAC")"
expect_eq "an ARP probe with a foreign sender MAC: dropped" 0 \
	"$(frames_pass "$VM1" "$GW" arp --smac "$VM1_MAC" --arp-smac 52:54:00:00:00:99 \
		--sip 0.0.0.0 --dip 10.77.0.33)"
expect_eq "control: the VM's own ARP probe passes (it claims nothing)" 3 \
	"$(frames_pass "$VM1" "$GW" arp --smac "$VM1_MAC" --sip 0.0.0.0 --dip 10.77.0.33)"
expect_eq "unicast IPv4 to the learning VM: dropped" 0 \
	"$(frames_pass "$GW" "$VM1" ipv4 --smac "$GW_MAC" --dmac "$VM1_MAC" --sip "$GW_IP" \
		--dip 10.77.0.33)"
expect_eq "the frame that teaches is dropped too" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip 10.77.0.33 --dip "$GW_IP" \
		--count 1)"
expect_eq "and taught vnet1 its address" 10.77.0.33 "$(wait_for 10.77.0.33 addrs vnet1)"
expect_eq "control: its retransmission passes" 3 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip 10.77.0.33 --dip "$GW_IP")"
expect_eq "control: unicast to its address now passes" 3 \
	"$(frames_pass "$GW" "$VM1" ipv4 --smac "$GW_MAC" --dmac "$VM1_MAC" --sip "$GW_IP" \
		--dip 10.77.0.33)"

# ---- RELEASE takes away only what DHCP taught; squatting --------------------------
check "vnet1 deleted" vg binding delete vnet1
check "vnet2 deleted" vg binding delete vnet2
check "bind vnet1 learning, any mode" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic
in_ns "$VM1" python3 "$FRAMES" send eth0 ipv4 --tag sq --smac "$VM1_MAC" --sip "$VM2_IP" \
	--dip "$GW_IP"
expect_eq "vm1 squats vm2's address, nobody's yet" "$VM2_IP" "$(wait_for "$VM2_IP" addrs vnet1)"
send_dhcp "$VM1" --smac "$VM1_MAC" --dhcp-type 7 --xid 0x2222 --ciaddr "$VM2_IP" \
	--sip "$VM2_IP" --dip "$GW_IP"
expect_eq "its RELEASE of an address IPv4 taught is ignored" 1 \
	"$(wait_for 1 ignored not-dhcp-taught)"
expect_eq "so it cannot reopen its learning window" "active $VM2_IP" "$(state_addrs vnet1)"
check "binding vnet2 with its address is accepted" vg binding create --port vnet2 \
	--mac "$VM2_MAC" --filter clean-traffic --param IP="$VM2_IP"
expect_eq "and the squatter lost it" "learning " "$(wait_for "learning " state_addrs vnet1)"
check "with a conflict event" grep -q '"type": *"conflict".*taken over by the binding of vnet2' \
	"$TMPD/events"
expect_eq "vm2's traffic from its address passes" 3 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP")"
out=$(vg binding create --keep-up --port vnet9 --mac "$GW_MAC" --filter clean-traffic \
	--param IP="$VM2_IP" 2>&1)
expect_eq "an address given to one port is refused to another, naming it" \
	"vifguardctl: cannot bind port vnet9: IP $VM2_IP is given to port vnet2 already" "$out"

# ---- a protected address ----------------------------------------------------------
in_ns "$VM1" python3 "$FRAMES" send eth0 arp --tag pr --smac "$VM1_MAC" --op 2 --sip "$GW_IP" \
	--dip "$GW_IP"
expect_eq "vm1's ARP claiming the gateway's protected address is refused" 1 \
	"$(wait_for 1 sh -c "grep -c 'claims $GW_IP, a protected address' '$TMPD/events'")"
expect_eq "and vnet1 still learns" learning "$(state vnet1)"
check "the bridge gets an address while vnet1 is bound" ip -n "$HOST" addr add 10.77.0.253/24 \
	dev br0
sleep 0.5 # the daemon reads it from an address notification, not from the ARP below
in_ns "$VM1" python3 "$FRAMES" send eth0 arp --tag br --smac "$VM1_MAC" --op 2 \
	--sip 10.77.0.253 --dip 10.77.0.253
expect_eq "vm1's ARP claiming the bridge's own address is refused" 1 \
	"$(wait_for 1 grep -c "claims 10.77.0.253, the bridge's own address" "$TMPD/events")"
expect_eq "and vnet1 still learns" learning "$(state vnet1)"
in_ns "$VM1" python3 "$FRAMES" send eth0 arp --tag bl --smac "$VM1_MAC" --op 2 \
	--sip 10.77.0.252 --dip 10.77.0.252
expect_eq "control: vm1 learns 10.77.0.252, not the bridge's yet" 10.77.0.252 \
	"$(wait_for 10.77.0.252 addrs vnet1)"
check "the bridge takes 10.77.0.252 too" ip -n "$HOST" addr add 10.77.0.252/24 dev br0
expect_eq "vnet1 loses it to the bridge" "" "$(wait_for "" addrs vnet1)"
expect_eq "with a conflict event saying why" 1 \
	"$(wait_for 1 grep -c '"port":"vnet1".*10.77.0.252.*now an address of the bridge' \
		"$TMPD/events")"
expect_eq "and its frames from that address are dropped again" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip 10.77.0.252 --dip "$GW_IP")"

# ---- a lease too long for the kernel's timeouts -----------------------------------
check "vnet1 deleted" vg binding delete vnet1
check "bind vnet1 learning, dhcp mode" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic --param CTRL_IP_LEARNING=dhcp
request 0x3333 10.77.0.51
ack "$GW" 0x3333 10.77.0.51 4294967294 "$GW_MAC" "$GW_IP"
expect_eq "a lease of 4294967294 s is learned" 10.77.0.51 "$(wait_for 10.77.0.51 addrs vnet1)"
sleep 4
expect_eq "4 s later its address still passes (a wrapped kernel timeout would have ended it)" 3 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip 10.77.0.51 --dip "$GW_IP")"
expect_eq "control: another source from vm1 is dropped" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip 10.77.0.52 --dip "$GW_IP")"

daemon_stop
done_testing
