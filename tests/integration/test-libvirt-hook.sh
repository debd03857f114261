#!/bin/sh
# The libvirt hook run exactly as libvirt 9.0 runs it (measured: docs/design.md, "libvirt
# hooks"): the hook script as built, with the environment cleared to HOME, LC_ALL and PATH,
# the arguments DOMAIN OP SUBOP -, and the domain XML on standard input, against a real
# vifguardd; then libvirt-import against copies of libvirt's directories.
#
#   ns $VM1 (eth0 52:54:00:00:00:01) ── vnet1 ┐   domain vm1: <filterref> clean-traffic
#   ns $VM2 (eth0 52:54:00:00:00:02) ── vnet2 ┼─ br0 (ns $HOST: vifguardd, the hook)
#   ns $GW  (eth0 52:54:00:00:00:fe) ── vnet9 ┘   domain vm2: vifguard metadata; gw: no guard
. "$(dirname "$0")/lib.sh"

require_root
topo_up

# The hook finds the daemon's socket in the daemon's configuration file: libvirt clears the
# environment, so $VIFGUARD_SOCKET never reaches it.
printf 'socket = %s\n' "$TMPD/control.sock" >"$TMPD/vifguardd.conf"

# The hook script as the build generated it (build/libvirt-hook-qemu; make install puts it at
# /etc/libvirt/hooks/qemu.d/50-vifguard). The test's copy changes its exec line only: this
# build's vifguardctl, and --config $TMPD/vifguardd.conf so that it finds the test daemon's
# socket instead of /etc/vifguard/vifguardd.conf's.
HOOK="$TMPD/hooks/qemu.d/50-vifguard"
mkdir -p "$TMPD/hooks/qemu.d"
sed "s|^exec .*/vifguardctl libvirt-hook |exec $CTL --config $TMPD/vifguardd.conf libvirt-hook |" \
	"$BUILD/libvirt-hook-qemu" >"$HOOK"
chmod 0755 "$HOOK"
expect_eq "the test's hook differs from the built one in its exec line only" \
	"exec $CTL --config $TMPD/vifguardd.conf libvirt-hook --driver qemu \"\$@\"" \
	"$(diff "$BUILD/libvirt-hook-qemu" "$HOOK" | sed -n 's/^> //p')"

# hook DOMAIN OP SUBOP < XML: as libvirtd runs it, in its namespace; stdout to $TMPD/hook.out,
# stderr to $TMPD/hook.err; returns the hook's status
hook() {
	ip netns exec "$HOST" env -i HOME=/root LC_ALL=C PATH="$PATH" "$HOOK" "$1" "$2" "$3" - \
		>"$TMPD/hook.out" 2>"$TMPD/hook.err"
}

# domain_xml NAME UUID PORT MAC IP FORM: the XML libvirt 9.0 gave its hook at start begin
# (tests/data/libvirt/domain-qemu-start-begin.xml) for a domain NAME whose one interface has
# MAC and the target dev PORT; FORM says how it asks for clean-traffic with IP: filterref (its
# own <filterref>), metadata (vifguard's metadata, as libvirt prints it), none (no guard),
# notarget (a <filterref> but no <target dev>)
domain_xml() {
	python3 - "$SRC/tests/data/libvirt/domain-qemu-start-begin.xml" "$@" <<'PY'
import sys
path, name, uuid, port, mac, ip, form = sys.argv[1:8]
xml = open(path).read()
ref = """      <filterref filter='clean-traffic'>
        <parameter name='IP' value='10.0.0.21'/>
      </filterref>
"""
meta = """  <metadata>
    <vifguard:guard xmlns:vifguard="https://vifguard.org/xmlns/libvirt/1">
      <interface mac="%s">
        <filterref filter="clean-traffic">
          <parameter name="IP" value="%s"/>
        </filterref>
      </interface>
    </vifguard:guard>
  </metadata>
""" % (mac, ip)
assert ref in xml
if form in ("metadata", "none"):
    xml = xml.replace(ref, "")
if form == "metadata":
    xml = xml.replace("  <memory unit=", meta + "  <memory unit=", 1)
if form == "notarget":
    xml = xml.replace("      <target dev='vnet0'/>\n", "")
xml = (xml.replace("<name>lvq1</name>", "<name>%s</name>" % name)
          .replace("bef87aec-8fce-4454-b47e-c6d769e27804", uuid)
          .replace("<target dev='vnet0'/>", "<target dev='%s'/>" % port)
          .replace("52:54:00:00:00:21", mac)
          .replace("10.0.0.21", ip))
sys.stdout.write(xml)
PY
}

UUID1=c7a5fdbd-edaf-9455-926a-d65c16db1801
UUID2=c7a5fdbd-edaf-9455-926a-d65c16db1802
UUID3=c7a5fdbd-edaf-9455-926a-d65c16db1803
domain_xml vm1 "$UUID1" vnet1 "$VM1_MAC" "$VM1_IP" filterref >"$TMPD/vm1.xml"
domain_xml vm2 "$UUID2" vnet2 "$VM2_MAC" "$VM2_IP" metadata >"$TMPD/vm2.xml"
domain_xml gw "$UUID3" vnet9 "$GW_MAC" "$GW_IP" none >"$TMPD/gw.xml"

# owners: "PORT OWNER-NAME OWNER-UUID FILTER" per binding, sorted
owners() {
	vg binding list --json | python3 -c '
import json, sys
for b in sorted(json.load(sys.stdin), key=lambda b: b["port"]):
    print(b["port"], b["owner"]["name"], b["owner"]["uuid"], b["filter"])'
}
# forged_ip NS MAC DST-IP: how many of 3 IPv4 frames with a forged source address arrive
forged_ip() {
	frames_pass "$1" "$VM2" ipv4 --smac "$2" --sip 10.77.0.99 --dip "$3"
}
# quiet: the hook printed nothing on stdout (for migrate it would replace the domain XML)
quiet() {
	[ ! -s "$TMPD/hook.out" ]
}
# says TEXT: the hook's stderr holds TEXT
says() {
	grep -qF -- "$1" "$TMPD/hook.err" || { sed 's/^/# stderr: /' "$TMPD/hook.err"; false; }
}

check "the daemon starts" daemon_start

# ---- prepare and start: guarded from the first frame ----------------------------------------
expect_eq "before start begin, a forged source IP from vm1 passes (unguarded)" 3 \
	"$(forged_ip "$VM1" "$VM1_MAC" "$VM2_IP")"
expect_eq "before start begin, forged ARP from vm1 passes (unguarded)" 3 \
	"$(frames_pass "$VM1" "$VM2" arp --smac "$VM1_MAC" --sip "$GW_IP" --dip "$VM2_IP")"
hook vm1 prepare begin <"$TMPD/vm1.xml"
expect_eq "prepare begin with the daemon running exits 0" 0 "$?"
hook vm1 start begin <"$TMPD/vm1.xml"
expect_eq "start begin (<filterref>) exits 0" 0 "$?"
check "start begin prints nothing on stdout" quiet
expect_eq "start begin bound vnet1, owned by the domain's name and UUID" \
	"vnet1 vm1 $UUID1 clean-traffic" "$(owners)"
expect_eq "after start begin, a forged source IP from vm1 is dropped" 0 \
	"$(forged_ip "$VM1" "$VM1_MAC" "$VM2_IP")"
expect_eq "after start begin, forged ARP from vm1 is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" arp --smac "$VM1_MAC" --sip "$GW_IP" --dip "$VM2_IP")"
expect_eq "vm1's own IPv4 passes" 3 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$VM2_IP")"
expect_eq "vm1's own ARP passes" 3 \
	"$(frames_pass "$VM1" "$VM2" arp --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$VM2_IP")"

expect_eq "before start begin, a forged source IP from vm2 passes (unguarded)" 3 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip 10.77.0.99 --dip "$GW_IP")"
hook vm2 start begin <"$TMPD/vm2.xml"
expect_eq "start begin (vifguard metadata) exits 0" 0 "$?"
expect_eq "the metadata form bound vnet2 to its filter, owned by vm2" \
	"vnet1 vm1 $UUID1 clean-traffic|vnet2 vm2 $UUID2 clean-traffic" "$(owners | paste -sd'|')"
expect_eq "metadata: a forged source IP from vm2 is dropped" 0 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip 10.77.0.99 --dip "$GW_IP")"
expect_eq "metadata: forged ARP from vm2 is dropped" 0 \
	"$(frames_pass "$VM2" "$GW" arp --smac "$VM2_MAC" --sip "$VM1_IP" --dip "$GW_IP")"
expect_eq "metadata: vm2's own IPv4 passes" 3 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP")"

hook gw start begin <"$TMPD/gw.xml"
expect_eq "start begin of a domain without a guard exits 0" 0 "$?"
expect_eq "an interface without a guard gets no binding" "vnet1 vnet2" \
	"$(owners | awk '{ printf "%s%s", s, $1; s = " " }')"
expect_eq "and its forged frames still pass" 3 \
	"$(frames_pass "$GW" "$VM2" ipv4 --smac "$GW_MAC" --sip 10.77.0.99 --dip "$VM2_IP")"

# ---- start begin failures: the start fails, saying why ----------------------------------------
domain_xml vm7 "$UUID3" vnet7 52:54:00:00:00:07 10.77.0.7 filterref >"$TMPD/vm7.xml"
hook vm7 start begin <"$TMPD/vm7.xml"
expect_eq "start begin for a port that does not exist exits 1" 1 "$?"
check "naming the domain, the MAC, the port and the daemon's error" says \
	"vifguard: vm7: interface 52:54:00:00:00:07 on port vnet7: cannot bind filter 'clean-traffic': cannot bind port vnet7: no such interface (VM not started?); refusing to start it unguarded"
domain_xml vm8 "$UUID3" vnet9 "$GW_MAC" "$GW_IP" notarget >"$TMPD/vm8.xml"
hook vm8 start begin <"$TMPD/vm8.xml"
expect_eq "start begin for a guarded interface without <target dev> exits 1" 1 "$?"
check "saying so" says \
	"vifguard: vm8: interface $GW_MAC has no <target dev>, so there is no port to bind; refusing to start it unguarded"
# two guarded interfaces, the second cannot be bound: the first's binding goes again
python3 - "$TMPD/gw.xml" >"$TMPD/two.xml" <<'PY'
import sys
xml = open(sys.argv[1]).read()
second = """    <interface type='bridge'>
      <mac address='52:54:00:00:00:07'/>
      <source bridge='br0'/>
      <target dev='vnet7'/>
      <filterref filter='clean-traffic'/>
    </interface>
"""
xml = xml.replace("<target dev='vnet9'/>", "<target dev='vnet9'/>\n      <filterref filter='clean-traffic'/>")
xml = xml.replace("    <input type='mouse'", second + "    <input type='mouse'", 1)
sys.stdout.write(xml)
PY
hook gw start begin <"$TMPD/two.xml"
expect_eq "start begin with a second interface that cannot be bound exits 1" 1 "$?"
check "naming the second" says "vifguard: gw: interface 52:54:00:00:00:07 on port vnet7: cannot bind"
expect_eq "and the first interface's binding made by this start is gone again" "vnet1 vnet2" \
	"$(owners | awk '{ printf "%s%s", s, $1; s = " " }')"

echo "this is not a domain" >"$TMPD/garbage.xml"
hook vmx start begin <"$TMPD/garbage.xml"
expect_eq "start begin with garbage for a domain XML exits 1" 1 "$?"
check "with a clear message" says \
	"vifguard: vmx: cannot use the domain XML libvirt gave: stdin:1: not well-formed XML: Start tag expected, '<' not found; refusing to start it unguarded"
hook vmx release end <"$TMPD/garbage.xml"
expect_eq "release end with garbage exits 0" 0 "$?"
for op in "started begin" "stopped end" "migrate begin" "restore begin" "shutdown begin"; do
	# shellcheck disable=SC2086
	hook vmx $op <"$TMPD/garbage.xml"
	rc=$?
	expect_eq "'$op' does nothing: exits 0, prints nothing" "0||" \
		"$rc|$(cat "$TMPD/hook.out")|$(cat "$TMPD/hook.err")"
done

# ---- reconnect: put back what is missing, never fail -------------------------------------------
hook vm2 reconnect begin <"$TMPD/vm2.xml"
expect_eq "reconnect begin with the binding in place exits 0" 0 "$?"
expect_eq "and changes nothing" "" "$(cat "$TMPD/hook.err")"
vg binding delete vnet2 >/dev/null
expect_eq "vnet2's binding deleted behind the hook's back: forged frames pass (control)" 3 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip 10.77.0.99 --dip "$GW_IP")"
hook vm2 reconnect begin <"$TMPD/vm2.xml"
expect_eq "reconnect begin exits 0" 0 "$?"
expect_eq "and recreated the binding" "vnet2 vm2 $UUID2 clean-traffic" "$(owners | grep vnet2)"
expect_eq "forged frames from vm2 are dropped again" 0 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip 10.77.0.99 --dip "$GW_IP")"
vg binding delete vnet2 >/dev/null
vg binding create --port vnet2 --mac "$VM2_MAC" --filter no-mac-spoofing --owner other >/dev/null
hook vm2 reconnect begin <"$TMPD/vm2.xml"
expect_eq "reconnect begin replaces a binding with another filter" \
	"0 vnet2 vm2 $UUID2 clean-traffic" "$? $(owners | grep vnet2)"
check "and says so on stderr" says "vifguard: vm2: interface $VM2_MAC on port vnet2: replacing its binding (filter 'no-mac-spoofing', owner other)"

# ---- release: the domain's bindings, and only those ---------------------------------------------
hook vm1 release end <"$TMPD/vm1.xml"
expect_eq "release end exits 0" 0 "$?"
expect_eq "release end removed vm1's binding; vm2's stays" "vnet2 vm2 $UUID2 clean-traffic" \
	"$(owners)"
expect_eq "vm1's forged frames pass again (its rules are gone)" 3 \
	"$(forged_ip "$VM1" "$VM1_MAC" "$VM2_IP")"
hook vm1 release end <"$TMPD/vm1.xml"
expect_eq "release end with nothing to delete exits 0, silently" "0|" "$?|$(cat "$TMPD/hook.err")"

# ---- without the daemon -------------------------------------------------------------------------
daemon_stop
hook vm1 prepare begin <"$TMPD/vm1.xml"
expect_eq "prepare begin with the daemon stopped exits 1" 1 "$?"
check "saying it refuses to start the domain unguarded" says \
	"vifguard: vm1: vifguardd is not running (cannot connect to $TMPD/control.sock: "
check "in one line ending in the refusal" sh -c \
	"[ \$(wc -l <'$TMPD/hook.err') = 1 ] && grep -q '): refusing to start it unguarded\$' '$TMPD/hook.err'"
hook vm1 start begin <"$TMPD/vm1.xml"
expect_eq "start begin with the daemon stopped exits 1" 1 "$?"
check "with the same message" says "vifguard: vm1: vifguardd is not running (cannot connect to $TMPD/control.sock: "
hook gw prepare begin <"$TMPD/gw.xml"
expect_eq "a domain without a guard starts without the daemon (prepare begin exits 0)" 0 "$?"
hook gw start begin <"$TMPD/gw.xml"
expect_eq "(start begin exits 0)" 0 "$?"
hook vm2 reconnect begin <"$TMPD/vm2.xml"
expect_eq "reconnect begin with the daemon stopped exits 0 (libvirt would kill the domain)" 0 "$?"
check "and says the bindings were not checked" says \
	"vifguard: vm2: vifguardd is not running (cannot connect to $TMPD/control.sock: "
hook vm2 release end <"$TMPD/vm2.xml"
expect_eq "release end with the daemon stopped exits 0" 0 "$?"
check "the daemon starts again" daemon_start
expect_eq "vm2's binding survived the daemon's restart" "vnet2 vm2 $UUID2 clean-traffic" \
	"$(owners)"

# ---- libvirt-import --------------------------------------------------------------------------------
mkdir -p "$TMPD/nwfilter" "$TMPD/nwfilter-binding"
# libvirt's own clean-traffic.xml as libvirt 9.0 ships it: the same as the built-in filter
cat >"$TMPD/nwfilter/clean-traffic.xml" <<'XML'
<filter name='clean-traffic' chain='root'>
   <!-- An example of a traffic filter enforcing clean traffic
        from a VM by
      - preventing MAC spoofing -->
   <filterref filter='no-mac-spoofing'/>

   <!-- preventing IP spoofing on outgoing, allow all IPv4 in incoming -->
   <filterref filter='no-ip-spoofing'/>

   <rule direction='out' action='accept' priority='-650'>
      <mac protocolid='ipv4'/>
   </rule>

   <filterref filter='allow-incoming-ipv4'/>

   <!-- preventing ARP spoofing/poisoning -->
   <filterref filter='no-arp-spoofing'/>

   <!-- accept all other incoming and outgoing ARP traffic -->
   <rule action='accept' direction='inout' priority='-500'>
      <mac protocolid='arp'/>
   </rule>

   <!-- preventing any other traffic than IPv4 and ARP -->
   <filterref filter='no-other-l2-traffic'/>

   <!-- allow qemu to send a self-announce upon migration end -->
   <filterref filter='qemu-announce-self'/>

</filter>
XML
cat >"$TMPD/nwfilter/site-guard.xml" <<'XML'
<filter name='site-guard' chain='root'>
  <uuid>5d1b8f2e-9c53-4f40-a3a2-0c1d2e3f4a5b</uuid>
  <filterref filter='clean-traffic'/>
</filter>
XML
echo "<filter name='broken'><rule action='nope' direction='in'/></filter>" >"$TMPD/nwfilter/broken.xml"
# libvirt's binding state file for vm1's port, as its nwfilter driver writes it
cat >"$TMPD/nwfilter-binding/vnet1.xml" <<XML
<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh nwfilter-binding-create vnet1
or other application using the libvirt API.
-->

<filterbindingstatus>
  <filterbinding>
    <owner>
      <name>vm1</name>
      <uuid>$UUID1</uuid>
    </owner>
    <portdev name='vnet1'/>
    <mac address='$VM1_MAC'/>
    <filterref filter='site-guard'>
      <parameter name='IP' value='$VM1_IP'/>
      <parameter name='MAC' value='$VM1_MAC'/>
    </filterref>
  </filterbinding>
</filterbindingstatus>
XML
sed "s/vnet1/vnet6/g" "$TMPD/nwfilter-binding/vnet1.xml" >"$TMPD/nwfilter-binding/vnet6.xml"
import() {
	vg libvirt-import --filter-dir "$TMPD/nwfilter" --binding-dir "$TMPD/nwfilter-binding" "$@" \
		>"$TMPD/import.out" 2>"$TMPD/import.err"
}
import --dry-run
expect_eq "libvirt-import --dry-run exits 1 (the broken file)" 1 "$?"
expect_eq "--dry-run says what it would do" \
	"filter $TMPD/nwfilter/broken.xml: error|filter clean-traffic: same as built-in|filter site-guard: would define|binding vnet1: would bind|binding vnet6: port gone" \
	"$(sed -n 's/^\(filter\|binding\) \([^:]*\): \([a-z -]*\).*/\1 \2: \3/p' "$TMPD/import.out" | paste -sd'|')"
expect_eq "and changes nothing" "vnet2" "$(owners | awk '{ print $1 }')"
import
expect_eq "libvirt-import exits 1: one file failed" 1 "$?"
expect_eq "defines only the custom filter, binds vnet1, reports the broken file and the gone port" \
	"filter $TMPD/nwfilter/broken.xml: error|filter clean-traffic: same as built-in|filter site-guard: defined|binding vnet1: bound|binding vnet6: port gone" \
	"$(sed -n 's/^\(filter\|binding\) \([^:]*\): \([a-z -]*\).*/\1 \2: \3/p' "$TMPD/import.out" | paste -sd'|')"
check "naming what is wrong in the broken file" grep -qF \
	"filter $TMPD/nwfilter/broken.xml: error: $TMPD/nwfilter/broken.xml:1: <rule action='nope'>: unknown action" \
	"$TMPD/import.out"
check "and the counts" grep -qx "1 defined, 1 same as built-in, 1 bound, 1 port gone, 1 error" \
	"$TMPD/import.out"
expect_eq "the daemon has site-guard as defined, and clean-traffic still the built-in one" \
	"defined $(cd "$SRC/filters" && pwd)/clean-traffic.xml" \
	"$(vg filter list --json | python3 -c '
import json, sys
fs = {f["name"]: f["origin"] for f in json.load(sys.stdin)}
print(fs.get("site-guard"), fs.get("clean-traffic"))')"
expect_eq "vnet1 is bound to site-guard, owned by vm1" "vnet1 vm1 $UUID1 site-guard" \
	"$(owners | grep vnet1)"
expect_eq "vm1's forged frames are dropped again" 0 "$(forged_ip "$VM1" "$VM1_MAC" "$VM2_IP")"
import --json
expect_eq "run twice (--json): exits 1 again (the broken file)" 1 "$?"
check "one line of JSON: already defined, already bound, the broken file, the gone port" python3 -c "
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
d = json.loads(lines[0])
assert d['ok'] is False and d['dry_run'] is False, d
got = [(i['name'], i['result']) for i in d['filters'] + d['bindings']]
assert got == [(None, 'error'), ('clean-traffic', 'same-as-builtin'), ('site-guard', 'already-defined'),
               ('vnet1', 'already-bound'), ('vnet6', 'port-gone')], got
assert d['filters'][0]['file'].endswith('/broken.xml') and 'unknown action' in d['filters'][0]['message']
assert any(x['severity'] == 'error' and x['element'] == 'rule' for x in d['diagnostics']), d['diagnostics']
" "$TMPD/import.out"
rm "$TMPD/nwfilter/broken.xml"
import
expect_eq "without the broken file: exits 0" 0 "$?"
check "the second run says already bound" grep -q "^binding vnet1: already bound: filter 'site-guard', owner vm1" \
	"$TMPD/import.out"
# a binding libvirt wrote carries MAC as a parameter; the domain XML does not: the same binding
vg binding delete vnet2 >/dev/null
sed -e "s/vnet1/vnet2/g; s/$VM1_MAC/$VM2_MAC/g; s/$VM1_IP/$VM2_IP/; s/site-guard/clean-traffic/" \
	-e "s/<name>vm1</<name>vm2</; s/$UUID1/$UUID2/" "$TMPD/nwfilter-binding/vnet1.xml" \
	>"$TMPD/vnet2-libvirt.xml"
check "vnet2 bound from a libvirt binding state file (with MAC=...)" vg binding create "$TMPD/vnet2-libvirt.xml"
hook vm2 reconnect begin <"$TMPD/vm2.xml"
expect_eq "reconnect begin keeps it: the same binding, said otherwise (no replace, nothing said)" \
	"0|" "$?|$(cat "$TMPD/hook.err")"
daemon_stop
import
expect_eq "libvirt-import without the daemon exits 1" 1 "$?"
check "saying so" grep -q "cannot connect to $TMPD/control.sock: .* is vifguardd running?" "$TMPD/import.err"

done_testing
