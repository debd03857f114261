#!/bin/sh
# vifguardd.service, as built: its sandbox's exposure score, the daemon doing
# its whole job with nothing but CAP_NET_ADMIN as a user of its own, and the
# unit itself run by systemd in a throw-away container.
#
#   1. systemd-analyze security --offline=true build/vifguardd.service <= 2.5
#   2. in ns $HOST (lib.sh's bridge and VMs): vifguardd as uid $DUID with only
#      CAP_NET_ADMIN (setpriv), driven by root through vifguardctl
#   3. unshare: new mount, pid, net, uts, ipc and cgroup namespaces; systemd as
#      their PID 1 boots only the unit and a driver, with private /run, /tmp,
#      /var, /usr/local (the programs "installed" there) and an overlay on /etc.
#      The driver's bridge and VMs live in the container's network namespace.
. "$(dirname "$0")/lib.sh"

UNIT="$BUILD/vifguardd.service"
MAX_EXPOSURE=2.5
DUID=61234 # a user with no account, like the dynamic user systemd allocates

# ---- 1. the exposure score ----------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze security --offline=true "$UNIT" 2>&1)
	score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
	if [ -n "$score" ] && awk "BEGIN { exit !($score <= $MAX_EXPOSURE) }"; then
		ok "systemd-analyze security --offline=true: exposure $score <= $MAX_EXPOSURE"
	else
		not_ok "systemd-analyze security --offline=true: exposure ${score:-?} <= $MAX_EXPOSURE"
		echo "$out" | grep -E '✗|Overall' | sed 's/^/# /'
	fi
else
	ok "systemd-analyze security # SKIP systemd-analyze not installed (scripts/install-deps.sh check)"
fi

if [ "$(id -u)" != 0 ] || ! ip netns add "${PFX}probe" 2>/dev/null; then
	ok "the daemon with CAP_NET_ADMIN only # SKIP needs root and network namespaces"
	ok "the unit under systemd # SKIP needs root and namespaces"
	done_testing
	exit
fi
ip netns del "${PFX}probe"

# ---- 2. CAP_NET_ADMIN only, not root ------------------------------------------
topo_up
chmod 755 "$TMPD"
mkdir -p "$TMPD/state" "$TMPD/run"
chown "$DUID:$DUID" "$TMPD/state" "$TMPD/run"
chmod 700 "$TMPD/state"
SOCK="$TMPD/run/control.sock"
vgu() { in_ns "$HOST" "$CTL" --socket "$SOCK" "$@"; }

# start_as CAPS: vifguardd as $DUID with exactly CAPS (e.g. +net_admin), no new privileges
start_as() {
	ip netns exec "$HOST" setpriv --reuid="$DUID" --regid="$DUID" --clear-groups \
		--inh-caps="-all$1" --ambient-caps="-all$1" --bounding-set="-all$1" --no-new-privs \
		"$DAEMON" --state-dir "$TMPD/state" --socket "$SOCK" --log-level debug \
		>>"$TMPD/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 100); do
		vgu status >/dev/null 2>&1 && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

: >"$TMPD/daemon.log"
if start_as ",+net_raw"; then
	not_ok "without CAP_NET_ADMIN (CAP_NET_RAW only) the daemon does not start"
	daemon_stop
else
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	grep -Eq "(cannot capture on nflog:[0-9]*|cannot watch nftables): .*Operation not permitted" \
		"$TMPD/daemon.log" &&
		ok "without CAP_NET_ADMIN (CAP_NET_RAW only) the daemon does not start, saying why" ||
		{ not_ok "without CAP_NET_ADMIN the daemon does not start, saying why"; sed 's/^/# /' "$TMPD/daemon.log"; }
fi

: >"$TMPD/daemon.log"
if ! start_as ",+net_admin"; then
	not_ok "vifguardd starts as uid $DUID with CAP_NET_ADMIN only"
	sed 's/^/# /' "$TMPD/daemon.log"
	done_testing
	exit
fi
ok "vifguardd starts as uid $DUID with CAP_NET_ADMIN only"
expect_eq "its capabilities: CAP_NET_ADMIN (bit 12), nothing else" \
	"$DUID 0000000000001000 0000000000001000 0000000000001000" \
	"$(awk '/^Uid:/ { u = $2 } /^CapEff:/ { e = $2 } /^CapPrm:/ { p = $2 } /^CapBnd:/ { b = $2 }
		END { print u, e, p, b }' "/proc/$DAEMON_PID/status")"
check "root binds a learning port through vifguardctl" vgu binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic
check "its nftables rules are in" sh -c "ip netns exec $HOST nft list table bridge vifguard | grep -q vnet1"
in_ns "$VM1" python3 "$FRAMES" send eth0 ipv4 --tag cap1 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP"
expect_eq "the learning capture works: the VM's address is learned from its IPv4" "$VM1_IP" \
	"$(wait_for "$VM1_IP" sh -c "ip netns exec $HOST $CTL --socket $SOCK binding show vnet1 --json |
		python3 -c 'import json,sys; print(\" \".join(a[\"address\"] for a in json.load(sys.stdin).get(\"addresses\", [])))'")"
cat >"$TMPD/cannot.xml" <<'XML'
<filter name='cannot' chain='root'>
  <rule action='accept' direction='out'><ip srcipaddr='$IP'/></rule>
  <rule action='accept' direction='in'><arp gratuitous='true'/></rule>
</filter>
XML
check "a filter whose full rules nftables refuses" vgu filter define "$TMPD/cannot.xml"
check "bound to vnet2, learning" vgu binding create --port vnet2 --mac "$VM2_MAC" --filter cannot
in_ns "$VM2" python3 "$FRAMES" send eth0 ipv4 --tag cap2 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP"
expect_eq "when its full rules fail, the daemon sets the port down (fail closed)" 0 \
	"$(for _ in $(seq 50); do
		n=$(ip -n "$HOST" -o link show vnet2 | grep -c '[<,]UP[,>]')
		[ "$n" = 0 ] && break
		sleep 0.1
	done; echo "$n")"
expect_eq "state.db is 0600, its directory 0700, both the daemon's" "600 $DUID 700 $DUID" \
	"$(stat -c '%a %u' "$TMPD/state/state.db" "$TMPD/state" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the control socket is 0600, the daemon's" "600 $DUID" "$(stat -c '%a %u' "$SOCK")"
out=$(in_ns "$HOST" setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" --socket "$SOCK" status 2>&1)
case "$out" in
*"cannot connect to $SOCK: Permission denied"*) ok "another user cannot reach the control socket" ;;
*) not_ok "another user cannot reach the control socket"; echo "# $out" ;;
esac
daemon_stop
start_as ",+net_admin" && ok "restarted the same way" || not_ok "restarted the same way"
expect_eq "vnet1 still active after the restart" active \
	"$(vgu binding show vnet1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
daemon_stop

# ---- 3. the unit under systemd -------------------------------------------------
SYSTEMD=/lib/systemd/systemd
if [ ! -x "$SYSTEMD" ] || ! command -v unshare >/dev/null 2>&1; then
	ok "the unit under systemd # SKIP systemd not installed (scripts/install-deps.sh check)"
	done_testing
	exit
fi
mkdir -p "$TMPD/sd/stage"
# The programs go to /usr/local/sbin of the container, whatever prefix the build has.
sed 's|^\(ExecStart[A-Za-z]*=\)[^ ]*/vifguardd|\1/usr/local/sbin/vifguardd|' "$UNIT" \
	>"$TMPD/sd/vifguardd.service"
cp "$DAEMON" "$CTL" "$FRAMES" "$TMPD/sd/stage/"
cp -r "$SRC/filters" "$TMPD/sd/stage/"
# PID 1 of the container: private views, the programs where the unit looks, systemd.
cat >"$TMPD/sd/init.sh" <<EOF
set -eu
mount --bind "$TMPD/sd" /mnt
mount -t proc proc /proc
mount -t sysfs -o ro sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
for d in /run /tmp /var /usr/local; do mount -t tmpfs -o mode=755 tmpfs "\$d"; done
chmod 1777 /tmp
mkdir -p /var/tmp /var/lib /var/log /tmp/ov/up /tmp/ov/work /usr/local/sbin /usr/local/share/vifguard
chmod 1777 /var/tmp
ln -s /run /var/run
mount -t overlay overlay -o lowerdir=/etc,upperdir=/tmp/ov/up,workdir=/tmp/ov/work /etc
cp /mnt/stage/vifguardd /mnt/stage/vifguardctl /usr/local/sbin/
cp -r /mnt/stage/filters /usr/local/share/vifguard/
cp /mnt/vifguardd.service /etc/systemd/system/
mkdir -p /etc/systemd/system/vifguardd.service.d
# Dependencies, output and where the built-in filters are; the sandbox is the
# unit's own. No sysinit.target (udev, tmpfiles) in this container. In an ASan
# build, LeakSanitizer would stop the world with ptrace at exit, which the
# unit's system-call filter refuses (@debug): leaks are checked elsewhere.
printf '[Unit]\nDefaultDependencies=no\n[Service]\nEnvironment=VIFGUARD_FILTER_DIR=/usr/local/share/vifguard/filters ASAN_OPTIONS=detect_leaks=0\nStandardOutput=append:/mnt/daemon.log\nStandardError=append:/mnt/daemon.log\n' \
	>/etc/systemd/system/vifguardd.service.d/test.conf
for u in systemd-udevd systemd-udev-trigger systemd-tmpfiles-setup systemd-tmpfiles-setup-dev \
	systemd-journald systemd-journald-audit systemd-journald-dev-log; do
	ln -sf /dev/null /etc/systemd/system/\$u.service
done
ln -sf /dev/null /etc/systemd/system/systemd-journald.socket
printf '[Unit]\nDefaultDependencies=no\nWants=vg-driver.service\n' >/etc/systemd/system/vg-test.target
printf '[Unit]\nDefaultDependencies=no\nWants=vifguardd.service\nAfter=vifguardd.service\n[Service]\nType=oneshot\nExecStart=/bin/sh /mnt/driver.sh\nStandardOutput=append:/mnt/driver.log\nStandardError=append:/mnt/driver.log\n' \
	>/etc/systemd/system/vg-driver.service
echo booting >/mnt/booting
exec env container=vifguard-test "$SYSTEMD" --system --unit=vg-test.target --log-target=console \
	--default-standard-output=inherit --default-standard-error=inherit
EOF
# The driver, root inside: results as "ok|not ok - what" lines in /mnt/results.
cat >"$TMPD/sd/driver.sh" <<'EOF'
R=/mnt/results
CTL=/usr/local/sbin/vifguardctl
res() { if [ "$2" = "$3" ]; then echo "ok - $1" >>$R; else echo "not ok - $1 (expected '$2', got '$3')" >>$R; fi; }
status() { awk -v k="$1:" '$1 == k { print $2 }' /proc/$(systemctl show -p MainPID --value vifguardd)/status; }
state() { $CTL binding show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
res "systemd started vifguardd.service" active "$(systemctl is-active vifguardd)"
uid=$(status Uid)
res "it runs as a user of its own (DynamicUser=), not root" yes "$([ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] && echo yes)"
res "its capabilities: CAP_NET_ADMIN only" "0000000000001000 0000000000001000 0000000000001000" \
	"$(status CapEff) $(status CapBnd) $(status CapAmb)"
res "no new privileges, a seccomp filter" "1 2" "$(status NoNewPrivs) $(status Seccomp)"
res "its state in /var/lib/private/vifguard, 0700" "700 $uid" "$(stat -c '%a %u' /var/lib/private/vifguard)"
res "the socket in /run/vifguard, 0600" "600 $uid" "$(stat -c '%a %u' /run/vifguard/control.sock)"
ip link add br0 type bridge && ip link set br0 up
for i in 1 2; do
	ip netns add vm$i
	ip link add vnet$i type veth peer name eth0 netns vm$i
	ip -n vm$i link set eth0 address 52:54:00:00:00:0$i
	ip -n vm$i link set eth0 up
	ip link set vnet$i master br0 && ip link set vnet$i up
done
$CTL binding create --port vnet1 --mac 52:54:00:00:00:01 --filter clean-traffic >/dev/null
res "root binds a learning port" learning "$(state vnet1)"
res "its rules are in" yes "$(nft list table bridge vifguard | grep -q vnet1 && echo yes)"
ip netns exec vm1 python3 /mnt/stage/frames.py send eth0 ipv4 --tag u1 \
	--smac 52:54:00:00:00:01 --sip 10.77.0.1 --dip 10.77.0.254
for _ in $(seq 50); do [ "$(state vnet1)" = active ] && break; sleep 0.1; done
res "the capture works under the sandbox: vnet1 learned and is active" active "$(state vnet1)"
cat >/tmp/cannot.xml <<'XML'
<filter name='cannot' chain='root'>
  <rule action='accept' direction='out'><ip srcipaddr='$IP'/></rule>
  <rule action='accept' direction='in'><arp gratuitous='true'/></rule>
</filter>
XML
$CTL filter define /tmp/cannot.xml >/dev/null
$CTL binding create --port vnet2 --mac 52:54:00:00:00:02 --filter cannot >/dev/null
ip netns exec vm2 python3 /mnt/stage/frames.py send eth0 ipv4 --tag u2 \
	--smac 52:54:00:00:00:02 --sip 10.77.0.2 --dip 10.77.0.254
for _ in $(seq 50); do [ "$(state vnet2)" = failed ] && break; sleep 0.1; done
res "a port whose rules fail is set down" "failed 0" "$(state vnet2) $(ip -o link show vnet2 | grep -c '[<,]UP[,>]')"
res "another user cannot reach the socket" yes "$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	$CTL status 2>&1 | grep -q 'Permission denied' && echo yes)"
pid=$(systemctl show -p MainPID --value vifguardd)
systemctl reload vifguardd
# the kill in ExecReload returns before the daemon's RELOADING=1 ... READY=1: wait that out
for _ in $(seq 50); do [ "$(systemctl is-active vifguardd)" = reloading ] || break; sleep 0.1; done
res "systemctl reload (SIGHUP through ExecReload) keeps it running" "active $pid" \
	"$(systemctl is-active vifguardd) $(systemctl show -p MainPID --value vifguardd)"
systemctl restart vifguardd
res "after systemctl restart, vnet1 is still active" active "$(state vnet1)"
systemctl stop vifguardd
chmod 0644 /var/lib/vifguard/state.db
systemctl start vifguardd
res "a state.db made 0644 is 0600 again after a start" "active 600" \
	"$(systemctl is-active vifguardd) $(stat -c %a /var/lib/vifguard/state.db)"
systemctl stop vifguardd
mv /var/lib/vifguard/state.db /var/lib/vifguard/real.db
ln -s real.db /var/lib/vifguard/state.db
systemctl start vifguardd 2>/dev/null
res "a symbolic link at state.db: the service does not start, and says why" "inactive yes" \
	"$(systemctl is-active vifguardd | sed 's/activating/inactive/; s/failed/inactive/') $(grep -q 'state.db: it is a symbolic link' /mnt/daemon.log && echo yes)"
echo done >>$R
# SuccessAction=exit-force did not end this container's systemd 252; exit does.
systemctl --no-block exit 0
EOF
: >"$TMPD/sd/results"
# unshare --fork ignores SIGTERM; when KILL ends it, --kill-child ends systemd and the container.
timeout -s KILL 240 unshare --kill-child --mount --pid --fork --net --uts --ipc --cgroup --propagation private \
	sh "$TMPD/sd/init.sh" >"$TMPD/sd/systemd.log" 2>&1
if [ ! -e "$TMPD/sd/booting" ]; then
	ok "the unit under systemd # SKIP cannot make the container here: $(tail -n 1 "$TMPD/sd/systemd.log")"
elif ! grep -q '^done$' "$TMPD/sd/results"; then
	not_ok "systemd ran the unit and its driver to the end"
fi
if grep -q '^not ok' "$TMPD/sd/results" || ! grep -q '^done$' "$TMPD/sd/results"; then
	tail -n 20 "$TMPD/sd/systemd.log" "$TMPD/sd/driver.log" "$TMPD/sd/daemon.log" 2>/dev/null | sed 's/^/# /'
fi
while read -r line; do
	case "$line" in
	"ok - "*) ok "systemd: ${line#ok - }" ;;
	"not ok - "*) not_ok "systemd: ${line#not ok - }" ;;
	esac
done <"$TMPD/sd/results"
done_testing
