#!/bin/sh
# vifguardd for real: lifecycle, bindings and filters through vifguardctl, link
# events, a kill -9 restart under a forged-traffic stream, and malformed requests.
. "$(dirname "$0")/lib.sh"

require_root
topo_up
RAW="$SRC/tests/lib/ctlraw.py"
mkdir -p "$TMPD/filters"

# ---- lifecycle ---------------------------------------------------------------
check "-n checks the configuration" "$DAEMON" -n
printf 'log_level = loud\n' >"$TMPD/bad.conf"
if "$DAEMON" -n -c "$TMPD/bad.conf" >"$TMPD/out" 2>&1; then
	not_ok "-n refuses a bad configuration file"
else
	grep -q "bad.conf:1: log_level 'loud'" "$TMPD/out" && ok "-n refuses a bad configuration file" ||
		{ not_ok "-n refuses a bad configuration file"; sed 's/^/# /' "$TMPD/out"; }
fi
out=$(in_ns "$HOST" "$CTL" --socket "$TMPD/control.sock" status 2>&1)
rc=$?
case "$out" in
*"cannot connect to $TMPD/control.sock: "*"is vifguardd running?"*) ok "no daemon: a clear error" ;;
*) not_ok "no daemon: a clear error"; echo "# $out" ;;
esac
expect_eq "no daemon: status exits 3, as systemctl is-active" 3 "$rc"
out=$(in_ns "$HOST" "$CTL" --socket="$TMPD/control.sock" status --json 2>/dev/null)
expect_eq "no daemon: status --json (and --socket=PATH) says running false" \
	'{"running":false}' "$out"
ip netns exec "$HOST" env VIFGUARD_SOCKET="$TMPD/env.sock" "$DAEMON" -S "$TMPD/state-env" \
	>"$TMPD/env.log" 2>&1 &
env_pid=$!
for _ in $(seq 100); do
	in_ns "$HOST" env VIFGUARD_SOCKET="$TMPD/env.sock" "$CTL" status >/dev/null 2>&1 && break
	sleep 0.05
done
check "vifguardd takes \$VIFGUARD_SOCKET as vifguardctl does, and -S is its state directory" \
	in_ns "$HOST" env VIFGUARD_SOCKET="$TMPD/env.sock" "$CTL" status
kill "$env_pid" 2>/dev/null
wait "$env_pid" 2>/dev/null
# the socket of the configuration file: the daemon listens there, and vifguardctl finds it
printf '# moved\nsocket = %s\nstate_dir = %s\n' "$TMPD/conf.sock" "$TMPD/state-conf" >"$TMPD/sock.conf"
ip netns exec "$HOST" "$DAEMON" -c "$TMPD/sock.conf" >"$TMPD/conf.log" 2>&1 &
conf_pid=$!
# status exits 0 only once the daemon answers ({"running":false} would match a grep for running)
wait_for running sh -c "ip netns exec $HOST $CTL -c $TMPD/sock.conf status >/dev/null 2>&1 &&
	echo running" >/dev/null
check "vifguardctl --config FILE finds the daemon on the socket of that file" \
	in_ns "$HOST" "$CTL" --config "$TMPD/sock.conf" status
check "so does \$VIFGUARD_CONFIG=FILE" in_ns "$HOST" env VIFGUARD_CONFIG="$TMPD/sock.conf" "$CTL" status
out=$(in_ns "$HOST" env VIFGUARD_CONFIG="$TMPD/sock.conf" VIFGUARD_SOCKET="$TMPD/none.sock" "$CTL" status 2>&1)
case "$out" in *"cannot connect to $TMPD/none.sock"*) ok "\$VIFGUARD_SOCKET wins over the file, as for vifguardd" ;;
*) not_ok "\$VIFGUARD_SOCKET wins over the file, as for vifguardd"; echo "# $out" ;; esac
out=$(in_ns "$HOST" "$CTL" -c "$TMPD/missing.conf" status 2>&1)
rc=$?
case "$rc:$out" in 1:*"cannot read $TMPD/missing.conf: No such file"*) ok "a --config FILE that is not there is an error" ;;
*) not_ok "a --config FILE that is not there is an error"; echo "# $rc $out" ;; esac
kill "$conf_pid" 2>/dev/null
wait "$conf_pid" 2>/dev/null
check "the daemon starts" daemon_start --filter-dir "$TMPD/filters"
expect_eq "status --json says running true" True \
	"$(vg status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["running"])')"

# ---- bindings ---------------------------------------------------------------------
check "binding create from options" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic --param IP="$VM1_IP"
cat >"$TMPD/vm2.xml" <<XML
<filterbinding>
  <owner><name>vm2</name><uuid>11111111-2222-3333-4444-555555555555</uuid></owner>
  <portdev name='vnet2'/>
  <mac address='$VM2_MAC'/>
  <filterref filter='clean-traffic'>
    <parameter name='IP' value='$VM2_IP'/>
  </filterref>
</filterbinding>
XML
check "binding create from a libvirt <filterbinding>" vg binding create "$TMPD/vm2.xml"
expect_eq "binding list shows both" "vnet1 vnet2" \
	"$(vg binding list | awk 'NR > 1 { printf "%s%s", s, $1; s = " " }')"
expect_eq "binding show --json has the state" active \
	"$(vg binding show vnet1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
vg binding dumpxml vnet2 >"$TMPD/dump.xml"
check "binding dumpxml is the canonical form of what was given" \
	sh -c "'$CTL' format '$TMPD/vm2.xml' | diff - '$TMPD/dump.xml'"
out=$(vg binding create --port vnet7 --mac 52:54:00:00:00:07 --filter clean-traffic 2>&1)
expect_eq "binding create for a port that does not exist is an error" \
	"vifguardctl: cannot bind port vnet7: no such interface (VM not started?)" "$out"
expect_eq "forged frames from a bound VM are dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" raw --smac 52:54:00:00:00:99)"

# ---- filters ---------------------------------------------------------------------
cat >"$TMPD/only-arp.xml" <<'XML'
<filter name='only-arp' chain='root'>
  <rule action='accept' direction='inout'><arp/></rule>
  <rule action='drop' direction='inout' priority='1000'/>
</filter>
XML
check "filter define" vg filter define "$TMPD/only-arp.xml"
check "filter list shows it as defined" sh -c "'$CTL' --socket '$TMPD/control.sock' filter list | grep -q 'only-arp .* defined'"
check "binding delete" vg binding delete vnet2
check "binding a port to the defined filter" vg binding create --port vnet2 --mac "$VM2_MAC" --filter only-arp
expect_eq "only-arp: IPv4 from vm2 is dropped" 0 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP")"
sed 's/<arp\/>/<ip\/>/' "$TMPD/only-arp.xml" >"$TMPD/only-ip.xml"
check "filter redefine" vg filter define "$TMPD/only-ip.xml"
expect_eq "redefinition rebuilt the bound port: IPv4 from vm2 passes now" 3 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP")"
out=$(vg filter undefine only-arp 2>&1)
expect_eq "filter undefine while in use is refused, naming the binding" \
	"vifguardctl: filter 'only-arp' is in use by the bindings of vnet2" "$out"
check "filter dumpxml" sh -c "'$CTL' --socket '$TMPD/control.sock' filter dumpxml only-arp | grep -q \"<filter name='only-arp'\""

cat >"$TMPD/needs-var.xml" <<'XML'
<filter name='only-arp' chain='root'>
  <rule action='accept' direction='inout'><ip srcipaddr='$NEWVAR'/></rule>
  <rule action='drop' direction='inout' priority='1000'/>
</filter>
XML
out=$(vg filter define --keep-old-rules "$TMPD/needs-var.xml" 2>&1)
case "$out" in
*"cannot be applied:"*"vnet2: "*"NEWVAR"*"(its previous rules stay)"*) ok "a redefinition a port cannot take names the port" ;;
*) not_ok "a redefinition a port cannot take names the port"; echo "# $out" ;;
esac
expect_eq "with --keep-old-rules that port keeps its previous rules (IPv4 still passes)" 3 \
	"$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP")"
check "restoring the filter" vg filter define "$TMPD/only-ip.xml"
out=$(vg filter define "$TMPD/needs-var.xml" 2>&1)
case "$out" in
*"cannot be applied:"*"vnet2: "*"NEWVAR"*"(port set down)"*) ok "without it, the port is set down, and the reply says so" ;;
*) not_ok "without it, the port is set down, and the reply says so"; echo "# $out" ;;
esac
expect_eq "vnet2 is failed" failed "$(state vnet2)"
expect_eq "and down" 0 "$(ip -n "$HOST" -o link show vnet2 | grep -c '[<,]UP[,>]')"
check "restoring the filter" vg filter define "$TMPD/only-ip.xml"
ip -n "$HOST" link set vnet2 up
check "a rebind brings vnet2 back" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock binding delete vnet2 &&
	 ip netns exec $HOST $CTL --socket $TMPD/control.sock binding create --port vnet2 \
	   --mac $VM2_MAC --filter only-arp"

# ---- reload ------------------------------------------------------------------------
cp "$TMPD/only-arp.xml" "$TMPD/filters/dir-filter.xml"
sed -i "s/name='only-arp'/name='dir-filter'/" "$TMPD/filters/dir-filter.xml"
kill -HUP "$DAEMON_PID"
sleep 0.5
check "SIGHUP reloads the filter directories" sh -c "'$CTL' --socket '$TMPD/control.sock' filter list | grep -q '^[-0-9a-f]* *dir-filter '"
echo "<filter name='broken'><rule action='nope' direction='in'/></filter>" >"$TMPD/filters/broken.xml"
sed "s/name='dir-filter'/name='dir-filter2'/" "$TMPD/filters/dir-filter.xml" >"$TMPD/filters/dir-filter2.xml"
kill -HUP "$DAEMON_PID"
sleep 0.5
check "a broken file on reload is skipped, as libvirt does: the good ones load" sh -c \
	"'$CTL' --socket '$TMPD/control.sock' filter list | grep -q dir-filter2"
grep -q "filters skipped, the others loaded: .*broken.xml:1: <rule action='nope'>" \
	"$TMPD/daemon.log" && ok "the skipped file is logged, naming the error" ||
	not_ok "the skipped file is logged, naming the error"
out=$("$DAEMON" -n --filter-dir "$TMPD/filters" 2>&1)
rc=$?
expect_eq "-n with a broken file in a filter directory succeeds (the daemon would start)" 0 "$rc"
case "$out" in *"skipped"*"broken.xml:1"*"configuration OK"*) ok "and names the broken file" ;;
*) not_ok "and names the broken file"; echo "# $out" ;; esac
rm -f "$TMPD/filters/broken.xml" "$TMPD/filters/dir-filter2.xml"

# ---- link events ---------------------------------------------------------------
ip netns exec "$HOST" "$CTL" --socket "$TMPD/control.sock" watch --json >"$TMPD/events" 2>&1 &
watcher=$!
sleep 0.3
check "a bound port deleted with ip link del" ip -n "$HOST" link del vnet2
sleep 0.5
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
check "watch saw the port-gone event" grep -q '"type":"port-gone","port":"vnet2"' "$TMPD/events"
expect_eq "its binding is gone" "vnet1" "$(vg binding list | awk 'NR > 1 { print $1 }')"
expect_eq "its elements are gone from the kernel" 0 \
	"$(in_ns "$HOST" nft list table bridge vifguard | grep -c '"vnet2"')"

ip -n "$HOST" link add vnet5 type veth peer name vm5
ip -n "$HOST" link set vnet5 master br0
ip -n "$HOST" link set vnet5 up
check "binding a fifth port" vg binding create --port vnet5 --mac 52:54:00:00:00:05 --filter clean-traffic --param IP=10.77.0.5
ip -n "$HOST" link set vnet5 name vport5
sleep 0.5
expect_eq "a renamed port keeps its binding, under the new name" "vnet1 vport5" \
	"$(vg binding list | awk 'NR > 1 { printf "%s%s", s, $1; s = " " }')"
expect_eq "its elements follow the new name" "0 1" \
	"$(in_ns "$HOST" nft list table bridge vifguard | grep -c '"vnet5"') $(in_ns "$HOST" nft list map bridge vifguard out-ports | grep -c '"vport5"')"
ip -n "$HOST" link set vport5 address 02:00:00:00:00:55
expect_eq "a MAC change quarantines the port (test-failclosed has the rest)" quarantined \
	"$(wait_for quarantined state vport5)"
ip -n "$HOST" link del vport5
expect_eq "a port that disappears loses its binding" "vnet1" \
	"$(wait_for vnet1 sh -c "ip netns exec $HOST $CTL --socket $TMPD/control.sock binding list |
		awk 'NR > 1 { printf \"%s%s\", s, \$1; s = \" \" }'")"

# ---- kill -9 and restart under a forged-source stream ------------------------------
# vm1 sends forged and legitimate frames for about 3 s while the daemon is
# killed and restarted; the gateway counts both kinds.
forged="f$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
legit="l$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
rm -f "$TMPD/ready1" "$TMPD/ready2"
ip netns exec "$GW" python3 "$FRAMES" count eth0 60 --tag "$forged" >"$TMPD/forged" 2>"$TMPD/ready1" &
c1=$!
ip netns exec "$GW" python3 "$FRAMES" count eth0 60 --tag "$legit" >"$TMPD/legit" 2>"$TMPD/ready2" &
c2=$!
for _ in $(seq 400); do
	grep -q ready "$TMPD/ready1" 2>/dev/null && grep -q ready "$TMPD/ready2" 2>/dev/null && break
	sleep 0.05
done
ip netns exec "$VM1" python3 "$FRAMES" send eth0 raw --tag "$forged" --count 2500 --smac 52:54:00:00:00:99 &
s1=$!
ip netns exec "$VM1" python3 "$FRAMES" send eth0 ipv4 --tag "$legit" --count 2500 --smac "$VM1_MAC" \
	--sip "$VM1_IP" --dip "$GW_IP" &
s2=$!
sleep 0.5
daemon_stop KILL
daemon_start --filter-dir "$TMPD/filters"
wait "$s1" "$s2"
sleep 0.2
kill -USR1 "$c1" "$c2" 2>/dev/null
wait "$c1" "$c2"
legit_seen=$(cat "$TMPD/legit")
expect_eq "meanwhile all 2500 legitimate frames passed" 2500 "$legit_seen"
expect_eq "kill -9 and restart: 0 forged frames reached the peer during it" 0 "$(cat "$TMPD/forged")"
expect_eq "the daemon is back with its binding" "vnet1" "$(vg binding list | awk 'NR > 1 { print $1 }')"
grep -q "port vnet1: rules in place, untouched" "$TMPD/daemon.log" &&
	ok "the restart did not touch the port's rules" || not_ok "the restart did not touch the port's rules"

# ---- malformed requests -------------------------------------------------------
before=$(vg binding list --json)
sock="$TMPD/control.sock"
reply() { in_ns "$HOST" python3 "$RAW" "$sock" "$@" 2>&1; }
case "$(reply send '={not json\n')" in *'"ok":false'*'EINVAL'*) ok "malformed JSON: an error reply" ;; *) not_ok "malformed JSON: an error reply" ;; esac
case "$(reply send '={"version":1,"verb":"frobnicate"}\n')" in *'"error":"ENOSYS"'*) ok "unknown verb: an error reply" ;; *) not_ok "unknown verb: an error reply" ;; esac
case "$(reply send '={"version":1,"verb":"binding.delete","args":{"port":7}}\n')" in *'expected a string'*) ok "wrong type: an error reply" ;; *) not_ok "wrong type: an error reply" ;; esac
case "$(reply send '={"version":9,"verb":"status"}\n')" in *'EPROTO'*) ok "wrong version: an error reply" ;; *) not_ok "wrong version: an error reply" ;; esac
case "$(reply big 5000000)" in *'EMSGSIZE'*) ok "a request over the size limit: an error reply, then close" ;; *) not_ok "a request over the size limit: an error reply, then close" ;; esac
reply send '={"version":1,"verb":"binding.del' --close-early >/dev/null
check "a half-written line then a disconnect: the daemon answers" vg status
case "$(reply send '0001020304ff00fe0a')" in *'"ok":false'*) ok "binary garbage with NUL bytes: an error reply" ;; *) not_ok "binary garbage with NUL bytes: an error reply" ;; esac
for i in 1 2 3 4 5; do reply send '={"version":1,"verb":"binding.list"}\n' --close-early >/dev/null; done
check "abrupt disconnects before the reply: the daemon answers" vg status
expect_eq "and its state is unchanged" "$before" "$(vg binding list --json)"

# ---- SIGTERM leaves the rules in force -------------------------------------------
daemon_stop TERM
expect_eq "after SIGTERM the bound port still drops forged frames" 0 \
	"$(frames_pass "$VM1" "$GW" raw --smac 52:54:00:00:00:99)"
daemon_start --filter-dir "$TMPD/filters"
check "restart, then binding delete" vg binding delete vnet1
expect_eq "after delete: forged frames pass again" 3 \
	"$(frames_pass "$VM1" "$GW" raw --smac 52:54:00:00:00:99)"

# ---- someone deletes the table behind the daemon's back -------------------------
check "bind vnet1 again" vg binding create --port vnet1 --mac "$VM1_MAC" --filter clean-traffic \
	--param "IP=$VM1_IP"
check "an admin deletes the bridge table" in_ns "$HOST" nft delete table bridge vifguard
check "deleting the binding whose rules are gone succeeds" vg binding delete vnet1
check "a new binding succeeds: the daemon re-creates the table and template it believed in" \
	vg binding create --port vnet1 --mac "$VM1_MAC" --filter clean-traffic --param "IP=$VM1_IP"
expect_eq "and vnet1 is filtered again" 0 \
	"$(frames_pass "$VM1" "$GW" raw --smac 52:54:00:00:00:99)"
check "delete vnet1" vg binding delete vnet1
cat >"$TMPD/mine.xml" <<'XML'
<filter name='vg-mine' chain='root'>
  <filterref filter='no-mac-spoofing'/>
</filter>
XML
sed 's|</filter>$|  <filterref filter='"'"'no-ip-spoofing'"'"'/>\n</filter>|' "$TMPD/mine.xml" >"$TMPD/mine2.xml"
check "define vg-mine and bind vnet1 to it" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock filter define $TMPD/mine.xml &&
	 ip netns exec $HOST $CTL --socket $TMPD/control.sock binding create --port vnet1 \
	   --mac $VM1_MAC --filter vg-mine --param IP=$VM1_IP"
# stopped, so that the redefinition comes before the daemon's own repair (50 ms later)
kill -STOP "$DAEMON_PID"
check "the admin deletes the table again" in_ns "$HOST" nft delete table bridge vifguard
vg filter define "$TMPD/mine2.xml" >"$TMPD/define.out" 2>&1 &
define_pid=$!
sleep 0.3
kill -CONT "$DAEMON_PID"
check "redefining vg-mine rebuilds vnet1 afresh over its lost rules" wait "$define_pid"
expect_eq "vnet1 is active, not failed" active \
	"$(vg binding show vnet1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
expect_eq "and its new rules drop a forged source IP" 0 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip 10.77.0.99 --dip "$GW_IP")"
check "the log says so" grep -q "port vnet1: its recorded rules are not in the kernel; adding what is missing" \
	"$TMPD/daemon.log"
check "delete vnet1 and vg-mine" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock binding delete vnet1 &&
	 ip netns exec $HOST $CTL --socket $TMPD/control.sock filter undefine vg-mine"
daemon_stop TERM
done_testing
