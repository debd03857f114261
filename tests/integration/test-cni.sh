#!/bin/sh
# The CNI plugin run exactly as a runtime runs it: Debian's /usr/lib/cni/bridge and
# host-local, then this build's vifguard, chained in one conflist and driven by a minimal
# libcni (tests/lib/cni.py), inside the host namespace, against a real vifguardd.
#
#   ns $VM1 (eth0: the bridge plugin's veth, host-local's address) ── vethX ┐
#   ns $VM2 (eth0: likewise)                                        ── vethY ┼─ $BR (ns $HOST:
#   ns $GW  (eth0 52:54:00:00:00:fe 10.78.0.254, added by hand)     ── vnet9 ┘  bridge plugin,
#                                                                             vifguardd)
. "$(dirname "$0")/lib.sh"

require_root
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] ||
	skip_all "Debian's containernetworking-plugins are not installed (/usr/lib/cni/bridge, host-local)"

TMPD=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$HOST"
ip -n "$HOST" link set lo up

BR="${PFX}br"
BR=$(echo "$BR" | cut -c1-15)
GW_IP=10.78.0.254

# CNI_PATH: the Debian plugins and this build's, side by side, as /usr/lib/cni holds them
mkdir -p "$TMPD/cni"
ln -s /usr/lib/cni/bridge /usr/lib/cni/host-local "$TMPD/cni/"
ln -s "$BUILD/src/cni/vifguard" "$TMPD/cni/vifguard"

conflist() {
	cat >"$TMPD/net.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "vgtest",
  "plugins": [
    { "type": "bridge", "bridge": "$BR", "isGateway": false, "ipMasq": false,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "10.78.0.0/24",
                "rangeEnd": "10.78.0.200" }]], "dataDir": "$TMPD/ipam" } },
    { "type": "vifguard", "socket": "$TMPD/control.sock"$1 }
  ]
}
EOF
}
conflist ""

# cni COMMAND NETNS: the conflist for container NETNS (its id), eth0; result in $TMPD/NETNS.res
cni() {
	in_ns "$HOST" python3 "$SRC/tests/lib/cni.py" "$1" "$TMPD/net.conflist" "$2" \
		"/run/netns/$2" eth0 "$TMPD/cni" "$TMPD/cache" >"$TMPD/$2.res" 2>"$TMPD/$2.err"
}
# field FILE EXPR: a python expression on the JSON document r in FILE
field() {
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}
container() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
}
# port_of NETNS: the host-side port of its eth0 in the cached ADD result
port_of() {
	field "$TMPD/$1.res" '[i["name"] for i in r["interfaces"] if "sandbox" not in i and i["name"] != "'"$BR"'"][0]'
}
ip_of() {
	field "$TMPD/$1.res" '[i["address"].split("/")[0] for i in r["ips"]][0]'
}
mac_of() {
	field "$TMPD/$1.res" '[i["mac"] for i in r["interfaces"] if i.get("sandbox")][0]'
}
nft_has() {
	in_ns "$HOST" nft list table bridge vifguard 2>/dev/null | grep -c "\"$1\""
}

check "the daemon starts" daemon_start
container "$VM1"
container "$VM2"

# ---- ADD -------------------------------------------------------------------------
check "ADD container 1 (bridge, host-local, vifguard)" cni ADD "$VM1"
# A Linux bridge takes the lowest MAC of its ports unless given one; the bridge plugin's CHECK
# compares the bridge's MAC with the one ADD returned, so a runtime pins it (as here) or sees
# bridge's CHECK fail once a second port changes it.
ip -n "$HOST" link set "$BR" address "$(field "$TMPD/$VM1.res" '[i["mac"] for i in r["interfaces"] if i["name"] == "'"$BR"'"][0]')"
check "ADD container 2" cni ADD "$VM2"
P1=$(port_of "$VM1") IP1=$(ip_of "$VM1") MAC1=$(mac_of "$VM1")
P2=$(port_of "$VM2")
echo "# container 1: port $P1, $MAC1, $IP1; container 2: port $P2"
expect_eq "the result is the bridge plugin's, cniVersion of the list" "1.0.0 $IP1/24" \
	"$(field "$TMPD/$VM1.res" 'r["cniVersion"] + " " + r["ips"][0]["address"]')"
out=$(vg binding show "$P1" --json)
case "$out" in *'"filter":"clean-traffic"'*'"IP":["'"$IP1"'"]'*)
	ok "port $P1: clean-traffic with IP=$IP1 from host-local, no learning" ;;
*) not_ok "port $P1: clean-traffic with IP=$IP1 from host-local"; echo "# $out" ;; esac
expect_eq "its owner is CONTAINERID/IFNAME" "$VM1/eth0" \
	"$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["owner"]["name"])')"
expect_eq "it is active" active "$(state "$P1")"

# a receiver on the bridge, not bound
ip netns add "$GW"
ip -n "$HOST" link add vnet9 type veth peer name eth0 netns "$GW"
ip -n "$GW" link set eth0 address "$GW_MAC"
in_ns "$GW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
ip -n "$GW" link set eth0 up
ip -n "$GW" addr add "$GW_IP/24" dev eth0
ip -n "$HOST" link set vnet9 master "$BR"
ip -n "$HOST" link set vnet9 up

expect_eq "container 1's own IPv4 passes" 3 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$MAC1" --sip "$IP1" --dip "$GW_IP")"
expect_eq "a forged source IP is dropped" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$MAC1" --sip 10.78.0.77 --dip "$GW_IP")"
expect_eq "its own ARP passes" 3 \
	"$(frames_pass "$VM1" "$GW" arp --smac "$MAC1" --sip "$IP1" --dip "$GW_IP")"
expect_eq "a forged ARP (another sender IP) is dropped" 0 \
	"$(frames_pass "$VM1" "$GW" arp --smac "$MAC1" --sip 10.78.0.77 --dip "$GW_IP")"
expect_eq "a forged source MAC is dropped" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac 52:54:00:66:66:66 --sip "$IP1" --dip "$GW_IP")"

# ---- CHECK -----------------------------------------------------------------------
check "CHECK passes after ADD" cni CHECK "$VM1"
kill -STOP "$DAEMON_PID"
check "with the daemon stopped, delete $P1's dispatch element" in_ns "$HOST" nft delete \
	element bridge vifguard out-ports "{ \"$P1\" }"
expect_eq "control: the forged source now passes" 3 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$MAC1" --sip 10.78.0.77 --dip "$GW_IP")"
# CHECK asks the daemon: it answers once resumed, before or after it repairs the rules
cni CHECK "$VM1" &
check_pid=$!
sleep 0.2
kill -CONT "$DAEMON_PID"
# the daemon reads the request before the nft event that makes it repair, so it answers
# from the kernel as it was
if wait "$check_pid"; then
	not_ok "CHECK fails while the element is missing"
else
	ok "CHECK fails while the element is missing"
fi
expect_eq "saying the kernel does not dispatch the port" 1 \
	"$(grep -c '"code":5,"msg":"binding not enforced".*does not dispatch' "$TMPD/$VM1.res")"
expect_eq "resumed, the daemon closes it again" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$MAC1" --sip 10.78.0.77 --dip "$GW_IP")"
check "and CHECK passes again" cni CHECK "$VM1"
# what the daemon cannot put back: its element replaced by accept, in one transaction
check "replace $P1's dispatch with accept behind the daemon's back" sh -c \
	"printf '%s\n' 'delete element bridge vifguard out-ports { \"$P1\" }' \
	 'add element bridge vifguard out-ports { \"$P1\" : accept }' |
	 ip netns exec $HOST nft -f -"
expect_eq "the binding fails" failed "$(wait_for failed state "$P1")"
if cni CHECK "$VM1"; then
	not_ok "CHECK fails when the rules are not enforced"
else
	ok "CHECK fails when the rules are not enforced"
fi
expect_eq "with CNI's error JSON" "5 binding not enforced" \
	"$(field "$TMPD/$VM1.res" 'str(r["code"]) + " " + r["msg"]')"

# ---- DEL -------------------------------------------------------------------------
check "DEL container 1" cni DEL "$VM1"
expect_eq "its binding is gone" "" "$(vg binding list --json | grep -o "\"port\":\"$P1\"")"
expect_eq "nft has no element for $P1" 0 "$(nft_has "$P1")"
expect_eq "container 2's binding stays" active "$(state "$P2")"
check "DEL container 1 again" cni DEL "$VM1"
check "CHECK container 2" cni CHECK "$VM2"
check "DEL container 2" cni DEL "$VM2"
expect_eq "no bindings are left" "[]" "$(vg binding list --json)"
expect_eq "nft has no element for $P2" 0 "$(nft_has "$P2")"

# ---- learning --------------------------------------------------------------------
conflist ', "learn": true'
check "ADD with \"learn\": true" cni ADD "$VM1"
P1=$(port_of "$VM1") IP1=$(ip_of "$VM1") MAC1=$(mac_of "$VM1")
expect_eq "the binding learns (no IP given)" learning "$(state "$P1")"
in_ns "$VM1" python3 "$FRAMES" send eth0 arp --tag l1 --smac "$MAC1" --sip "$IP1" --dip "$GW_IP"
expect_eq "and learns the container's address from its ARP" "$IP1" "$(wait_for "$IP1" addrs "$P1")"
check "DEL" cni DEL "$VM1"
conflist ""

# ---- without the daemon ----------------------------------------------------------
check "ADD container 2 again" cni ADD "$VM2"
daemon_stop
if cni DEL "$VM2"; then ok "DEL with the daemon stopped succeeds"; else not_ok "DEL with the daemon stopped succeeds"; fi
if cni ADD "$VM1"; then
	not_ok "ADD with the daemon stopped fails"
else
	ok "ADD with the daemon stopped fails"
fi
expect_eq "with CNI's error JSON: code 11, try again later" "1.0.0 11 vifguardd is not running" \
	"$(field "$TMPD/$VM1.res" 'r["cniVersion"] + " " + str(r["code"]) + " " + r["msg"]')"
check "the runtime's DEL after the failed ADD succeeds (no cached result)" cni DEL "$VM1"
expect_eq "and host-local released its addresses" "" \
	"$(ls "$TMPD/ipam/vgtest" 2>/dev/null | grep '^10\.')"
check "VERSION" sh -c "CNI_COMMAND=VERSION '$BUILD/src/cni/vifguard' </dev/null |
	grep -qx '{\"cniVersion\":\"1.0.0\",\"supportedVersions\":\[\"0.4.0\",\"1.0.0\"\]}'"

done_testing
