#!/bin/sh
# vifguardd and vifguardctl apply on one host: each keeps off the other's
# ports, and their port ids (the packet mark of stateful rules) never collide.
# Topology: see lib.sh. vm1 (vnet1) and the gateway (vnet9) are bound through
# the daemon, vm2 (vnet2) with vifguardctl apply; all with stateful rules.
. "$(dirname "$0")/lib.sh"

require_root
topo_up
export VIFGUARD_RUN_DIR="$TMPD/ctl-state"
mkdir -p "$TMPD/filters"
cat >"$TMPD/filters/ssh-only.xml" <<'XML'
<filter name='ssh-only' chain='root'>
  <rule action='accept' direction='inout' priority='100'>
    <all state='ESTABLISHED,RELATED'/>
  </rule>
  <rule action='accept' direction='in' priority='200'>
    <tcp dstportstart='22' state='NEW'/>
  </rule>
  <rule action='drop' direction='inout' priority='1000'>
    <all/>
  </rule>
</filter>
XML
binding() { # binding PORT MAC: a <filterbinding> of PORT to ssh-only
	cat <<XML
<filterbinding>
  <owner><name>vm-$1</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>
  <portdev name='$1'/>
  <mac address='$2'/>
  <filterref filter='ssh-only'/>
</filterbinding>
XML
}
binding vnet1 "$VM1_MAC" >"$TMPD/vnet1.xml"
binding vnet2 "$VM2_MAC" >"$TMPD/vnet2.xml"
ctl() {
	in_ns "$HOST" "$CTL" "$@"
}
# mark_id PORT: the port's id as the kernel's l3-in-ids map holds it (high 16 bits of the mark)
mark_id() {
	in_ns "$HOST" nft -j list map bridge vifguard l3-in-ids | python3 -c '
import json, sys
for item in json.load(sys.stdin)["nftables"]:
    for key, mark in item.get("map", {}).get("elem", []):
        if key == sys.argv[1]:
            print(mark >> 16)' "$1"
}
# verdict PORT: where the out-ports map sends the port's frames
verdict() {
	in_ns "$HOST" nft list map bridge vifguard out-ports | grep -o "\"$1\" : [a-z]* [^ ,}]*"
}

check "the daemon starts" daemon_start --filter-dir "$TMPD/filters"
check "the daemon binds vnet1" vg binding create "$TMPD/vnet1.xml"
expect_eq "vnet1 has port id 1" 1 "$(mark_id vnet1)"

# ---- ids: one allocator, fed by the kernel --------------------------------------
check "vifguardctl apply binds vnet2" ctl apply --filter-dir "$TMPD/filters" "$TMPD/vnet2.xml"
expect_eq "vnet2 gets id 2: the kernel told vifguardctl that 1 is the daemon's" 2 \
	"$(mark_id vnet2)"
check "the daemon binds vnet9" vg binding create --port vnet9 --mac "$GW_MAC" --filter ssh-only
expect_eq "vnet9 gets id 3: the kernel told the daemon that 2 is vifguardctl's" 3 \
	"$(mark_id vnet9)"
check "vifguardctl apply again replaces vnet2's rules" \
	ctl apply --filter-dir "$TMPD/filters" "$TMPD/vnet2.xml"
expect_eq "and vnet2 keeps its id" 2 "$(mark_id vnet2)"

# ---- ownership: the kernel says who bound a port -------------------------------
before=$(verdict vnet1)
out=$(ctl apply --filter-dir "$TMPD/filters" "$TMPD/vnet1.xml" 2>&1)
expect_eq "vifguardctl apply refuses a port the daemon bound" \
	"vifguardctl: port vnet1 is bound by vifguardd; use 'vifguardctl binding delete vnet1' first" \
	"$out"
expect_eq "and leaves its rules as they were" "$before 1" "$(verdict vnet1) $(mark_id vnet1)"
out=$(ctl remove vnet9 2>&1)
expect_eq "vifguardctl remove refuses a port the daemon bound" \
	"vifguardctl: port vnet9 is bound by vifguardd; use 'vifguardctl binding delete vnet9' first" \
	"$out"
expect_eq "and vnet9 keeps its rules" 3 "$(mark_id vnet9)"
out=$(vg binding create "$TMPD/vnet2.xml" 2>&1)
expect_eq "the daemon refuses a port vifguardctl applied" \
	"vifguardctl: port vnet2 has rules from 'vifguardctl apply'; remove them first (vifguardctl remove vnet2)" \
	"$out"
expect_eq "and leaves its rules as they were" 2 "$(mark_id vnet2)"
check "vifguardctl remove takes vnet2, which it bound" ctl remove vnet2
expect_eq "vnet2 is gone from the kernel" "" "$(mark_id vnet2)"
expect_eq "the daemon's ports are untouched" "1 3" "$(mark_id vnet1) $(mark_id vnet9)"

check "the daemon deletes vnet1's binding" vg binding delete vnet1
check "then vifguardctl may bind vnet1" ctl apply --filter-dir "$TMPD/filters" "$TMPD/vnet1.xml"
expect_eq "with the smallest free id" 1 "$(mark_id vnet1)"
daemon_stop
check "a restarted daemon finds vnet9 in place" daemon_start --filter-dir "$TMPD/filters"
check "and leaves it untouched" grep -q "port vnet9: rules in place, untouched" "$TMPD/daemon.log"
expect_eq "vifguardctl's vnet1 survived the daemon's restart" 1 "$(mark_id vnet1)"
check "vifguardctl remove vnet1" ctl remove vnet1
check "the daemon deletes vnet9's binding" vg binding delete vnet9

done_testing
