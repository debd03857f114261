#!/bin/sh
# "No rogue DHCP server", with real dnsmasq and udhcpc: a guest bound with
# clean-traffic alone can answer its neighbour's DHCP from its own address
# (as libvirt's clean-traffic lets it); bound with clean-traffic and
# no-dhcp-server, its offers never leave its port, and its own traffic still
# passes.
. "$(dirname "$0")/lib.sh"

require_root
topo_up

check "the daemon starts" daemon_start
check "vm1 (the rogue) bound with clean-traffic and its address" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic --param IP="$VM1_IP"
dnsmasq_in "$VM1" "$TMPD/rogue.log" --dhcp-range=10.77.0.200,10.77.0.210,60
lease=$(dhcp "$VM2" 3)
stop_server
case "$lease" in "bound 10.77.0.2"[01][0-9]) ok "control: with clean-traffic alone, vm2 takes a lease from vm1" ;;
*) not_ok "control: with clean-traffic alone, vm2 takes a lease from vm1"; echo "# $lease"
	sed 's/^/# /' "$TMPD/udhcpc.log" "$TMPD/rogue.log" ;; esac
in_ns "$VM2" ip addr replace "$VM2_IP/24" dev eth0

printf '%s\n' "<filter name='guarded' chain='root'>" "  <filterref filter='clean-traffic'/>" \
	"  <filterref filter='no-dhcp-server'/>" "</filter>" >"$TMPD/guarded.xml"
check "define guarded = clean-traffic + no-dhcp-server" vg filter define "$TMPD/guarded.xml"
check "vm1 bound with it" sh -c "ip netns exec $HOST $CTL --socket $TMPD/control.sock binding delete vnet1 &&
	ip netns exec $HOST $CTL --socket $TMPD/control.sock binding create --port vnet1 --mac $VM1_MAC \
	--filter guarded --param IP=$VM1_IP"
dnsmasq_in "$VM1" "$TMPD/rogue2.log" --dhcp-range=10.77.0.200,10.77.0.210,60
lease=$(dhcp "$VM2" 3)
stop_server
if [ -z "$lease" ] && grep -q DHCPOFFER "$TMPD/rogue2.log"; then
	ok "no-dhcp-server: the rogue in vm1 offers, vm2 never hears it"
else
	not_ok "no-dhcp-server: the rogue in vm1 offers, vm2 never hears it"
	echo "# $lease"
	sed 's/^/# /' "$TMPD/rogue2.log"
fi
in_ns "$VM2" ip addr replace "$VM2_IP/24" dev eth0
expect_eq "a reply from port 67 to 68 with vm1's own address is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip 255.255.255.255 \
		--sport 67 --dport 68)"
expect_eq "vm1's own other traffic passes" 3 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$VM2_IP")"
expect_eq "vm1 may still be a DHCP client: its request from 0.0.0.0 passes" 3 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip 0.0.0.0 --dip 255.255.255.255 \
		--sport 68 --dport 67)"

done_testing
