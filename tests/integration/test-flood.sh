#!/bin/sh
# Budgets are per sender: one guest flooding DHCP-shaped broadcasts (UDP
# 67->68, 4000 frames/s) changes nothing for another port's renewals from
# the real server (dnsmasq, renewals forced with SIGUSR1 to busybox udhcpc).
# The control: the flood reached the bridge and the daemon's capture (it
# ignored thousands of its records), and was cut to the flooder's own budget.
. "$(dirname "$0")/lib.sh"

require_root
topo_up
UDHCPC_SCRIPT="$SRC/tests/integration/udhcpc-script.sh"
RENEWALS=5

records() {
	vg status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["learning"]["records"])'
}
renewed() {
	grep -c '"type": *"renewed"' "$TMPD/events"
}

ip netns exec "$GW" dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 \
	--bind-interfaces --dhcp-range=10.77.0.100,10.77.0.109,120 --no-ping --leasefile-ro \
	>>"$TMPD/dnsmasq.log" 2>&1 &
DNSMASQ=$!
check "the daemon starts" daemon_start
vg watch --json >"$TMPD/events" 2>&1 &
check "bind vnet2 (vm2, the flooder) with its IP" vg binding create --port vnet2 \
	--mac "$VM2_MAC" --filter clean-traffic --param IP="$VM2_IP"
check "bind vnet1 learning, dhcp mode" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic --param CTRL_IP_LEARNING=dhcp
in_ns "$VM1" ip addr flush dev eth0
UDHCPC_LOG="$TMPD/lease" ip netns exec "$VM1" busybox udhcpc -i eth0 -f -t 5 -T 1 \
	-s "$UDHCPC_SCRIPT" >/dev/null 2>&1 &
UDHCPC=$!
expect_eq "vm1 leases an address from dnsmasq" active "$(wait_for active state vnet1)"

before=$(records)
in_ns "$VM2" python3 "$FRAMES" send eth0 dhcp --tag flood --smac "$VM2_MAC" --sip "$VM2_IP" \
	--dip 255.255.255.255 --dhcp-type 5 --xid 0x0f100d --chaddr "$VM1_MAC" \
	--yiaddr 10.77.0.200 --server-id "$VM2_IP" --lease 60 --pps 4000 \
	--seconds $((RENEWALS + 2)) >"$TMPD/flood-sent" &
FLOOD=$!
sleep 1
for i in $(seq "$RENEWALS"); do
	kill -USR1 "$UDHCPC"
	sleep 1
done
wait "$FLOOD"
sent=$(cat "$TMPD/flood-sent")
expect_eq "vm2 flooded at about 4000 frames/s" yes \
	"$([ "$sent" -ge $((4000 * (RENEWALS + 2) * 3 / 4)) ] && echo yes || echo "no: $sent sent")"
# dnsmasq logs each ACK it sends: all but the first (the lease) were renewals
acks=$(($(grep -c "DHCPACK(eth0) .* $VM1_MAC" "$TMPD/dnsmasq.log") - 1))
expect_eq "vm1 renewed during the flood ($RENEWALS asked, dnsmasq acked at least as many)" yes \
	"$([ "$acks" -ge "$RENEWALS" ] && echo yes || echo "no: $acks")"
expect_eq "every ACK dnsmasq sent was seen: one renewed event each" "$acks" \
	"$(wait_for "$acks" renewed)"
expect_eq "and vnet1 stayed active" active "$(state vnet1)"
n=$(($(records) - before))
expect_eq "control: the flood reached the daemon's capture" yes \
	"$([ "$n" -ge 1000 ] && echo yes || echo "no: $n records")"
expect_eq "and was cut to the flooder's own budget (500/s, burst 1000)" yes \
	"$([ "$n" -le $((1000 + 600 * (RENEWALS + 2) + 2 * RENEWALS)) ] && echo yes || echo "no: $n records")"
expect_eq "the capture socket never overran (status: capture_overruns)" 0 \
	"$(vg status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["learning"]["capture_overruns"])')"
check "vifguardctl status says so too" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock status | grep -q 'capture overruns 0$'"
expect_eq "it taught nothing" 1 \
	"$(vg binding show vnet1 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["addresses"]))')"

kill "$UDHCPC" "$DNSMASQ" 2>/dev/null
wait "$UDHCPC" "$DNSMASQ" 2>/dev/null
daemon_stop
done_testing
