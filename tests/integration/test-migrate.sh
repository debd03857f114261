#!/bin/sh
# Live migration: a binding exported with what its port learned on one host,
# created on another host's daemon: the address is in force at once, without
# learning again, and a forged source is dropped. Two daemons in two
# namespaces, each with its bridge and a guest of the same MAC and address.
. "$(dirname "$0")/lib.sh"

require_root
topo_up

HOSTB=${PFX}hb VMB=${PFX}vb GWB=${PFX}gb
cleanup_migrate() {
	ip netns pids "$HOSTB" 2>/dev/null | xargs -r kill 2>/dev/null
	for ns in "$HOSTB" "$VMB" "$GWB"; do
		[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	cleanup
}
trap cleanup_migrate EXIT
vgb() { in_ns "$HOSTB" "$CTL" --socket "$TMPD/b.sock" "$@"; }

# host B: br0, the migrated guest (vnet1, VM1's MAC and address), a gateway
host_up "$HOSTB"
HOST_SAVED=$HOST
HOST=$HOSTB
add_vm "$VMB" vnet1 "$VM1_MAC" "$VM1_IP"
add_vm "$GWB" vnet9 "$GW_MAC" "$GW_IP"
HOST=$HOST_SAVED

check "daemon A starts" daemon_start
check "A: vnet1 bound with no IP (learns)" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic
in_ns "$VM1" python3 "$FRAMES" send eth0 ipv4 --tag l1 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP"
expect_eq "A: vnet1 learned its address" "$VM1_IP" "$(wait_for "$VM1_IP" addrs vnet1)"
check "A: binding export vnet1" sh -c "ip netns exec $HOST $CTL --socket $TMPD/control.sock \
	binding export vnet1 >$TMPD/vnet1.json"
python3 - "$TMPD/vnet1.json" "$VM1_IP" >"$TMPD/why" 2>&1 <<'PY' && ok "the export has the binding and the learned address" ||
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1 and d["port"] == "vnet1" and "<filterbinding>" in d["xml"], d
assert [a["address"] for a in d["addresses"]] == [sys.argv[2]], d
assert d["addresses"][0]["source"] == "ipv4" and d["addresses"][0]["learned_at"] > 0, d
PY
	{ not_ok "the export has the binding and the learned address"; sed 's/^/# /' "$TMPD/why"; }

ip netns exec "$HOSTB" "$DAEMON" --config /dev/null --state-dir "$TMPD/state-b" --socket "$TMPD/b.sock" \
	--log-level debug >>"$TMPD/daemon-b.log" 2>&1 &
wait_for 0 sh -c "ip netns exec $HOSTB $CTL --socket $TMPD/b.sock status >/dev/null 2>&1; echo \$?" >/dev/null
check "control: B binds vnet1 as A did, without the export" vgb binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic
expect_eq "control: then it has no address and must learn one" "learning " \
	"$(vgb binding show vnet1 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["state"], " ".join(a["address"] for a in d["addresses"]))')"
check "control: delete it again" vgb binding delete vnet1
check "B: binding import of A's export" vgb binding import "$TMPD/vnet1.json"
expect_eq "B: active at once, no learning" active \
	"$(vgb binding show vnet1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
expect_eq "B: with A's address" "$VM1_IP" \
	"$(vgb binding show vnet1 --json | python3 -c 'import json,sys; print(" ".join(a["address"] for a in json.load(sys.stdin)["addresses"]))')"
expect_eq "B: the guest's first frames pass" 3 \
	"$(frames_pass "$VMB" "$GWB" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP")"
expect_eq "B: a forged source is dropped" 0 \
	"$(frames_pass "$VMB" "$GWB" ipv4 --smac "$VM1_MAC" --sip 10.77.0.66 --dip "$GW_IP")"
check "B: the address is stored: it survives a restart" sh -c "ip netns pids $HOSTB | xargs -r kill -9"
ip netns exec "$HOSTB" "$DAEMON" --config /dev/null --state-dir "$TMPD/state-b" --socket "$TMPD/b.sock" \
	>>"$TMPD/daemon-b.log" 2>&1 &
expect_eq "B restarted: still active with the address" "active $VM1_IP" \
	"$(wait_for "active $VM1_IP" sh -c "ip netns exec $HOSTB $CTL --socket $TMPD/b.sock binding show vnet1 --json 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"state\"], \" \".join(a[\"address\"] for a in d[\"addresses\"]))'")"

# ---- refusals --------------------------------------------------------------------------
check "B: delete it" vgb binding delete vnet1
check "B: vnet9 bound with the same address given" vgb binding create --port vnet9 --mac "$GW_MAC" \
	--filter clean-traffic --param IP="$VM1_IP"
out=$(vgb binding import "$TMPD/vnet1.json" 2>&1)
case "$out" in *"learned address $VM1_IP belongs to port vnet9"*) ok "an imported address another port owns is refused" ;;
*) not_ok "an imported address another port owns is refused"; echo "# $out" ;; esac
expect_eq "and the port is set down (fail closed)" 0 \
	"$(ip -n "$HOSTB" -o link show vnet1 | grep -o '<[^>]*>' | grep -c '[<,]UP[,>]')"
printf '{"version":1,"xml":"<filterbinding/>","addresses":[{"address":"10.1.2.300"}]}' >"$TMPD/bad.json"
out=$(vgb binding import "$TMPD/bad.json" 2>&1)
case "$out" in *"bad.json: addresses[0]: expected address, source"*) ok "a malformed export is refused, naming the entry" ;;
*) not_ok "a malformed export is refused, naming the entry"; echo "# $out" ;; esac
printf 'not json' >"$TMPD/bad2.json"
out=$(vgb binding import --json "$TMPD/bad2.json" 2>/dev/null)
case "$out" in '{"ok":false'*'not JSON'*) ok "import --json of garbage: ok false with the reason" ;;
*) not_ok "import --json of garbage: ok false with the reason"; echo "# $out" ;; esac

done_testing
