#!/bin/sh
# The libvirt hook under the real libvirt daemon (Debian 12's libvirt 9.0: libvirt-daemon,
# libvirt-daemon-driver-lxc, libvirt-clients), starting real LXC domains, against a real
# vifguardd. libvirtd is confined as it was for the manual runs behind docs/design.md's
# "libvirt hooks": in the test's network namespace, in a private mount namespace that a "holder"
# process keeps (tmpfs over libvirt's state directories, a private copy of /etc/libvirt, the
# cgroup v1 hierarchies mounted again), with its own socket, and with only the LXC connection
# driver (LIBVIRT_DRIVER_DIR): no nwfilter driver, so the guard is vifguard's metadata.
#
#   container $DOM_G (eth0 52:54:00:00:00:11 10.77.0.11) ── lvg0 ┐   vifguard metadata
#   container $DOM_C (eth0 52:54:00:00:00:12 10.77.0.12) ── lvc0 ┼─ br0   no guard (control)
#   ns $GW (eth0 52:54:00:00:00:fe 10.77.0.254) ─────────── vnet9 ┘
#   ns $HOST: br0, libvirtd (in the holder's mount namespace), vifguardd
#
# Each container's init is a shell that first sends 3 frames with a forged source IP and 3
# of its own to the gateway, then execs sleep: the guest's first frames. Skips (never fails)
# when libvirt is not installed, when libvirtd does not start here, or when an LXC domain
# without any guard cannot start on this machine (cgroups, kernel); then every check counts.
# Nothing outside the test's namespaces and private mounts is changed.
. "$(dirname "$0")/lib.sh"

require_root
LIBVIRTD=$(command -v libvirtd || echo /usr/sbin/libvirtd)
[ -x "$LIBVIRTD" ] || skip_all "libvirtd not installed (Debian package libvirt-daemon; scripts/install-deps.sh check)"
command -v virsh >/dev/null 2>&1 || skip_all "virsh not installed (Debian package libvirt-clients; scripts/install-deps.sh check)"
LXC_DRIVER=
for f in /usr/lib/*/libvirt/connection-driver/libvirt_driver_lxc.so; do
	[ -e "$f" ] && LXC_DRIVER=$f
done
if [ -z "$LXC_DRIVER" ] || [ ! -x /usr/lib/libvirt/libvirt_lxc ]; then
	skip_all "libvirt's LXC driver not installed (Debian package libvirt-daemon-driver-lxc; scripts/install-deps.sh check)"
fi
for c in nsenter unshare python3; do
	command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
done
PYTHON=$(command -v python3)

DOM_G="${PFX}g"
DOM_C="${PFX}c"
G_MAC=52:54:00:00:00:11
G_IP=10.77.0.11
C_MAC=52:54:00:00:00:12
C_IP=10.77.0.12
FORGED_IP=10.77.0.99
# the container's network namespaces, attached under these names (lib.sh's cleanup removes them)
NS_G=$VM1
NS_C=$VM2

HOLDER=
# ---- teardown, on every exit path ---------------------------------------------------------
lxc_cleanup() {
	if [ -n "${TMPD:-}" ]; then
		if [ -S "$SOCK" ] && [ -s "$TMPD/libvirtd.pid" ]; then
			for d in $(virsh -q -c "$URI" list --name 2>/dev/null); do
				virsh -q -c "$URI" destroy "$d" >/dev/null 2>&1
			done
		fi
		libvirtd_stop
		# libvirt_lxc controllers libvirtd left (e.g. it died): their pid files are in the
		# private /run/libvirt
		if [ -n "$HOLDER" ] && kill -0 "$HOLDER" 2>/dev/null; then
			for p in $(nsenter -t "$HOLDER" -m sh -c 'cat /run/libvirt/lxc/*.pid' 2>/dev/null); do
				kill -9 "$p" 2>/dev/null
			done
		fi
		# containers' inits that outlived their controller: recorded with their netns
		[ -f "$TMPD/inits" ] && while read -r p netns; do
			[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$netns" ] && kill -9 "$p" 2>/dev/null
		done <"$TMPD/inits"
		# the holder: its mount namespace, and every tmpfs and bind mount in it, go with it
		[ -n "$HOLDER" ] && kill -9 "$HOLDER" 2>/dev/null
		for l in lvg0 lvc0 $(ip -n "$HOST" -br link 2>/dev/null | awk '{ sub(/@.*/, "", $1) } $1 ~ /^vnet[0-9]+$/ && $1 != "vnet9" { print $1 }'); do
			ip -n "$HOST" link del "$l" 2>/dev/null
		done
		# cgroups libvirt made for the test's domains (it removes them at destroy; not if killed),
		# and their parent "machine" where the test made it (rmdir: only while empty)
		# shellcheck disable=SC2044 # names without blanks: PFX is [a-z0-9]
		for d in $(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$PFX*" 2>/dev/null); do
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
		done
		for d in /sys/fs/cgroup/*/machine; do
			[ -d "$d" ] && ! grep -qxF "$d" "$TMPD/cgroups-before" 2>/dev/null && rmdir "$d" 2>/dev/null
		done
	fi
	cleanup
}

# ---- the network ----------------------------------------------------------------------------
TMPD=$(mktemp -d)
SOCK=$TMPD/sock/libvirt-sock
URI="lxc:///system?socket=$SOCK"
trap lxc_cleanup EXIT
trap 'exit 130' INT TERM
host_up "$HOST"
add_vm "$GW" vnet9 "$GW_MAC" "$GW_IP"

# ---- libvirt's private /etc/libvirt and its hooks -------------------------------------------
# The hook finds the daemon's socket in the daemon's configuration file: libvirt clears the
# environment, so $VIFGUARD_SOCKET never reaches it.
printf 'socket = %s\n' "$TMPD/control.sock" >"$TMPD/vifguardd.conf"
mkdir -p "$TMPD/etc-libvirt" "$TMPD/sock" "$TMPD/drivers" "$TMPD/probe"
[ -d /etc/libvirt ] && cp -a /etc/libvirt/. "$TMPD/etc-libvirt/"
# not the host's domains (lxc/, qemu/: their autostart would start them here) nor its hooks
rm -rf "$TMPD/etc-libvirt/hooks" "$TMPD/etc-libvirt/lxc" "$TMPD/etc-libvirt/qemu"
mkdir -p "$TMPD/etc-libvirt/hooks/lxc.d"
# lxc.d/50-vifguard is the hook script as the build generated it (build/libvirt-hook-lxc; make
# install puts it at /etc/libvirt/hooks/lxc.d/50-vifguard). The test's copy changes its exec
# line only: this build's vifguardctl, and --config $TMPD/vifguardd.conf, whose socket = is
# the test daemon's socket, instead of /etc/vifguard/vifguardd.conf.
HOOK="$TMPD/etc-libvirt/hooks/lxc.d/50-vifguard"
sed "s|^exec .*/vifguardctl libvirt-hook |exec $CTL --config $TMPD/vifguardd.conf libvirt-hook |" \
	"$BUILD/libvirt-hook-lxc" >"$HOOK"
chmod 0755 "$HOOK"
# lxc.d/60-probe runs after it at each call (the manual runs' method, a logging hook after
# ours): records the links of libvirtd's namespace and the daemon's bindings at that moment
cat >"$TMPD/etc-libvirt/hooks/lxc.d/60-probe" <<EOF
#!/bin/sh
cat >/dev/null
{ ip -br link; "$CTL" --socket "$TMPD/control.sock" binding list; } >"$TMPD/probe/\$1-\$2-\$3" 2>&1
exit 0
EOF
chmod 0755 "$TMPD/etc-libvirt/hooks/lxc.d/60-probe"
ln -s "$LXC_DRIVER" "$TMPD/drivers/"
cat >"$TMPD/libvirtd.conf" <<EOF
unix_sock_dir = "$TMPD/sock"
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_level = 3
log_outputs = "3:file:$TMPD/libvirtd.log"
EOF

# ---- the holder: a private mount namespace in $HOST ------------------------------------------
# ip netns exec gives it a fresh sysfs, without the cgroup mounts: the cgroup v1 hierarchies
# are mounted again (the same ones), not cgroup2's "unified" one, which libvirt_lxc would try
# to recreate in the container (and fail); a cgroup2-only host gets cgroup2 itself.
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	echo 'mount -t cgroup2 cgroup2 /sys/fs/cgroup' >"$TMPD/cgroups.sh"
else
	echo 'mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup' >"$TMPD/cgroups.sh"
	awk '$3 == "cgroup" && $2 ~ "^/sys/fs/cgroup/[^/]+$" {
		printf "mkdir -p %s && mount -t cgroup -o %s cgroup %s\n", $2, $4, $2 }' /proc/self/mounts \
		>>"$TMPD/cgroups.sh"
fi
ls -d /sys/fs/cgroup/*/machine >"$TMPD/cgroups-before" 2>/dev/null
cat >"$TMPD/holder.sh" <<EOF
set -e
for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
	mkdir -p \$d
	mount -t tmpfs vifguard-test \$d
done
mount --bind "$TMPD/etc-libvirt" /etc/libvirt
. "$TMPD/cgroups.sh"
echo \$\$ >"$TMPD/holder.pid"
exec sleep 100000
EOF
setsid ip netns exec "$HOST" unshare -m --propagation private sh "$TMPD/holder.sh" \
	</dev/null >"$TMPD/holder.out" 2>&1 &
for _ in $(seq 100); do
	[ -s "$TMPD/holder.pid" ] && break
	sleep 0.05
done
HOLDER=$(cat "$TMPD/holder.pid" 2>/dev/null)
[ -n "$HOLDER" ] || skip_all "cannot make libvirtd's private mount namespace: $(tr '\n' ' ' <"$TMPD/holder.out")"

# ---- libvirtd ---------------------------------------------------------------------------------
v() {
	virsh -q -c "$URI" "$@"
}
# libvirtd_start: starts libvirtd in the holder's namespaces, waits until it answers
libvirtd_start() {
	rm -f "$SOCK"
	setsid nsenter -t "$HOLDER" -m -n env LIBVIRT_DRIVER_DIR="$TMPD/drivers" \
		"$LIBVIRTD" --config "$TMPD/libvirtd.conf" --pid-file "$TMPD/libvirtd.pid" \
		</dev/null >>"$TMPD/libvirtd.out" 2>&1 &
	launched=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && v version >/dev/null 2>&1 && return 0
		kill -0 "$launched" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# libvirtd_stop: by its pid file; running domains keep running
libvirtd_stop() {
	p=$(cat "$TMPD/libvirtd.pid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$p" 2>/dev/null
	rm -f "$TMPD/libvirtd.pid"
}

# dom_xml NAME MAC IP PORT GUARD TAG-FORGED TAG-OWN: an LXC domain sharing the host's root read
# only, one interface on br0 with the target dev PORT, its address configured by libvirt; GUARD
# yes puts clean-traffic with IP in vifguard's metadata. Its init sends 3 frames with a forged
# source IP (TAG-FORGED) and 3 of its own (TAG-OWN) to the gateway, then sleeps.
dom_xml() {
	meta=
	[ "$5" = yes ] && meta="
  <metadata>
    <vifguard:guard xmlns:vifguard=\"https://vifguard.org/xmlns/libvirt/1\">
      <interface mac=\"$2\">
        <filterref filter=\"clean-traffic\">
          <parameter name=\"IP\" value=\"$3\"/>
        </filterref>
      </interface>
    </vifguard:guard>
  </metadata>"
	init="$PYTHON $FRAMES send eth0 ipv4 --smac $2 --sip $FORGED_IP --dip $GW_IP --tag $6 --count 3;"
	init="$init $PYTHON $FRAMES send eth0 ipv4 --smac $2 --sip $3 --dip $GW_IP --tag $7 --count 3;"
	cat <<EOF
<domain type='lxc'>
  <name>$1</name>$meta
  <memory unit='MiB'>64</memory>
  <os>
    <type>exe</type>
    <init>/bin/sh</init>
    <initarg>-c</initarg>
    <initarg>$init exec sleep 100000</initarg>
  </os>
  <devices>
    <filesystem type='mount'><source dir='/'/><target dir='/'/><readonly/></filesystem>
    <interface type='bridge'>
      <source bridge='br0'/>
      <target dev='$4'/>
      <mac address='$2'/>
      <ip address='$3' prefix='24'/>
    </interface>
    <console type='pty'/>
  </devices>
</domain>
EOF
}

newtag() {
	echo "t$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
}
TAG_GF=$(newtag)
TAG_GO=$(newtag)
TAG_CF=$(newtag)
TAG_CO=$(newtag)
dom_xml "$DOM_G" "$G_MAC" "$G_IP" lvg0 yes "$TAG_GF" "$TAG_GO" >"$TMPD/g.xml"
dom_xml "$DOM_C" "$C_MAC" "$C_IP" lvc0 no "$TAG_CF" "$TAG_CO" >"$TMPD/c.xml"

# receivers TAG...: one frames.py count per TAG on the gateway's eth0, until receivers_stop
RECEIVERS=
receivers() {
	RECEIVERS=
	for t in "$@"; do
		ip netns exec "$GW" python3 "$FRAMES" count eth0 30 --tag "$t" >"$TMPD/rx-$t" 2>"$TMPD/rx-$t.ready" &
		RECEIVERS="$RECEIVERS $!"
	done
	for t in "$@"; do
		for _ in $(seq 200); do
			grep -q ready "$TMPD/rx-$t.ready" 2>/dev/null && break
			sleep 0.05
		done
	done
}
receivers_stop() {
	sleep 0.2
	# shellcheck disable=SC2086
	kill -USR1 $RECEIVERS 2>/dev/null
	for p in $RECEIVERS; do
		wait "$p"
	done
}
# received TAG: how many of its frames arrived, or no-receiver
received() {
	if grep -q ready "$TMPD/rx-$1.ready" 2>/dev/null; then cat "$TMPD/rx-$1"; else echo no-receiver; fi
}
# init_pid DOMAIN: the pid of the container's init (a child of libvirt_lxc, whose pid is the
# domain's id), once it runs sleep, i.e. has sent its first frames; empty after 10 s
init_pid() {
	ctl=$(v domid "$1" 2>/dev/null)
	for _ in $(seq 200); do
		# shellcheck disable=SC2013 # pids, one word each
		for p in $(cat /proc/"$ctl"/task/*/children 2>/dev/null); do
			if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ]; then
				echo "$p $(readlink "/proc/$p/ns/net")" >>"$TMPD/inits"
				echo "$p"
				return
			fi
		done
		sleep 0.05
	done
}
# attach NS DOMAIN: names the container's network namespace NS (for lib.sh's frames_pass)
attach() {
	ip netns del "$1" 2>/dev/null
	p=$(init_pid "$2")
	[ -n "$p" ] && ip netns attach "$1" "$p"
}
# owners: "PORT OWNER-NAME OWNER-UUID FILTER" per binding, sorted
owners() {
	vg binding list --json | python3 -c '
import json, sys
for b in sorted(json.load(sys.stdin), key=lambda b: b["port"]):
    print(b["port"], b["owner"]["name"], b["owner"]["uuid"], b["filter"])'
}
# binding_events PORT: the types of the binding events for PORT the watcher saw, in order
binding_events() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("port") == sys.argv[2] and e.get("type", "").startswith("binding-"):
        print(e["type"])' "$TMPD/events" "$1" | paste -sd' '
}
# wait_probe NAME: waits up to 10 s for 60-probe's record of a call (DOMAIN-OP-SUBOP), removes it
wait_probe() {
	for _ in $(seq 200); do
		if [ -e "$TMPD/probe/$1" ]; then
			rm -f "$TMPD/probe/$1"
			return 0
		fi
		sleep 0.05
	done
	return 1
}
# state DOMAIN: virsh domstate
domstate() {
	v domstate "$1" 2>&1
}

# ---- can libvirt run an LXC domain here? Otherwise skip, saying why --------------------------
libvirtd_start || skip_all "libvirtd $($LIBVIRTD --version | awk '{ print $NF }') did not start in the test's namespaces: $(
	tail -n 3 "$TMPD/libvirtd.out" "$TMPD/libvirtd.log" 2>/dev/null | grep -v '^==>' | tr '\n' ' ')"
v define "$TMPD/c.xml" >/dev/null 2>"$TMPD/virsh.err" ||
	skip_all "libvirt refused the LXC domain: $(tr '\n' ' ' <"$TMPD/virsh.err")"
receivers "$TAG_CF" "$TAG_CO"
if ! v start "$DOM_C" >/dev/null 2>"$TMPD/virsh.err"; then
	receivers_stop
	skip_all "an LXC domain cannot start on this machine: $(tr '\n' ' ' <"$TMPD/virsh.err")"
fi
attach "$NS_C" "$DOM_C"
receivers_stop

check "vifguardd starts (in libvirtd's network namespace)" daemon_start
expect_eq "the unguarded control container started (libvirtd $($LIBVIRTD --version | awk '{ print $NF }'), LXC driver only)" \
	running "$(domstate "$DOM_C")"
expect_eq "control: the unguarded container's first frames, forged source IP, reach the gateway" \
	3 "$(received "$TAG_CF")"
expect_eq "control: and its own" 3 "$(received "$TAG_CO")"
expect_eq "control: a forged source IP from the running unguarded container reaches the gateway" 3 \
	"$(frames_pass "$NS_C" "$GW" ipv4 --smac "$C_MAC" --sip "$FORGED_IP" --dip "$GW_IP")"

# ---- the guarded domain: bound by the hook before the guest runs ----------------------------------
v define "$TMPD/g.xml" >/dev/null
UUID_G=$(v domuuid "$DOM_G")
rm -f "$TMPD/probe/"*
receivers "$TAG_GF" "$TAG_GO"
v start "$DOM_G" >"$TMPD/start.out" 2>&1
expect_eq "virsh start of the guarded domain (vifguard metadata, target dev lvg0) succeeds" \
	"0 running" "$? $(domstate "$DOM_G")"
attach "$NS_G" "$DOM_G"
receivers_stop
expect_eq "binding list: lvg0 bound by the hook to clean-traffic, owned by the domain" \
	"lvg0 $DOM_G $UUID_G clean-traffic" "$(owners)"
check "at start begin, after the hook, lvg0 was bound while the container's end of the veth was still in the host, down" \
	sh -c "cat '$TMPD/probe/$DOM_G-start-begin' && grep -Eq '^lvg0 .*clean-traffic' '$TMPD/probe/$DOM_G-start-begin' &&
		grep -Eq '^vnet[0-9]+@lvg0 +DOWN ' '$TMPD/probe/$DOM_G-start-begin'"
grep -E '^(lvg0|vnet[0-9]+@lvg0) ' "$TMPD/probe/$DOM_G-start-begin" | sed 's/^/# at start begin: /'
expect_eq "the guest's first frames, forged source IP, are dropped" 0 "$(received "$TAG_GF")"
expect_eq "the guest's first own frames pass" 3 "$(received "$TAG_GO")"
expect_eq "from inside the running container: a forged source IP is dropped" 0 \
	"$(frames_pass "$NS_G" "$GW" ipv4 --smac "$G_MAC" --sip "$FORGED_IP" --dip "$GW_IP")"
expect_eq "a forged source MAC is dropped" 0 \
	"$(frames_pass "$NS_G" "$GW" ipv4 --smac 52:54:00:00:00:99 --sip "$G_IP" --dip "$GW_IP")"
expect_eq "forged ARP (sender IP the gateway's) is dropped" 0 \
	"$(frames_pass "$NS_G" "$GW" arp --smac "$G_MAC" --sip "$GW_IP" --dip "$GW_IP")"
expect_eq "its own IPv4 passes" 3 \
	"$(frames_pass "$NS_G" "$GW" ipv4 --smac "$G_MAC" --sip "$G_IP" --dip "$GW_IP")"
expect_eq "its own ARP passes" 3 \
	"$(frames_pass "$NS_G" "$GW" arp --smac "$G_MAC" --sip "$G_IP" --dip "$GW_IP")"
check "it pings the gateway" ip netns exec "$NS_G" ping -c 1 -W 2 "$GW_IP"

# ---- libvirtd restarts while the domain runs: reconnect begin ---------------------------------
pid_g=$(init_pid "$DOM_G")
# the daemon's events from here on: a binding made again would show as binding-created
vg watch --json >"$TMPD/events" 2>&1 &
watcher=$!
sleep 0.3
libvirtd_stop
check "libvirtd restarts" libvirtd_start
check "reconnect begin ran" wait_probe "$DOM_G-reconnect-begin"
expect_eq "and kept the binding (the same one: no binding event for lvg0)" \
	"lvg0 $DOM_G $UUID_G clean-traffic|" "$(owners)|$(binding_events lvg0)"
expect_eq "and the domain kept running (same init)" "running $pid_g" "$(domstate "$DOM_G") $(init_pid "$DOM_G")"
vg binding delete lvg0 >/dev/null
expect_eq "lvg0's binding deleted by hand: a forged source IP passes (control)" 3 \
	"$(frames_pass "$NS_G" "$GW" ipv4 --smac "$G_MAC" --sip "$FORGED_IP" --dip "$GW_IP")"
libvirtd_stop
libvirtd_start
wait_probe "$DOM_G-reconnect-begin"
expect_eq "after another libvirtd restart, reconnect begin put the binding back" \
	"lvg0 $DOM_G $UUID_G clean-traffic|binding-deleted binding-created" "$(owners)|$(binding_events lvg0)"
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
expect_eq "the domain kept running (same init)" "running $pid_g" "$(domstate "$DOM_G") $(init_pid "$DOM_G")"
expect_eq "its forged source IP is dropped again" 0 \
	"$(frames_pass "$NS_G" "$GW" ipv4 --smac "$G_MAC" --sip "$FORGED_IP" --dip "$GW_IP")"
expect_eq "its own IPv4 passes" 3 \
	"$(frames_pass "$NS_G" "$GW" ipv4 --smac "$G_MAC" --sip "$G_IP" --dip "$GW_IP")"

# ---- destroy: release end, the binding is gone --------------------------------------------------
v destroy "$DOM_G" >/dev/null 2>&1
expect_eq "virsh destroy: the domain is shut off" "0 shut off" "$? $(domstate "$DOM_G")"
check "release end ran" wait_probe "$DOM_G-release-end"
expect_eq "lvg0's binding is gone" "" "$(owners)"
expect_eq "and lvg0 itself" "" "$(ip -n "$HOST" -br link show lvg0 2>/dev/null)"

# ---- vifguardd stopped: the guarded domain does not start, the unguarded one does ---------------
daemon_stop
v start "$DOM_G" >"$TMPD/start.out" 2>&1
expect_eq "with vifguardd stopped, virsh start of the guarded domain fails" "1 shut off" \
	"$? $(domstate "$DOM_G")"
check "with the hook's message" grep -qF \
	"/etc/libvirt/hooks/lxc.d/50-vifguard $DOM_G prepare begin -) unexpected exit status 1: vifguard: $DOM_G: vifguardd is not running (cannot connect to $TMPD/control.sock: " \
	"$TMPD/start.out"
check "ending in the refusal" grep -q '): refusing to start it unguarded$' "$TMPD/start.out"
grep . "$TMPD/start.out" | sed 's/^/# /'
expect_eq "no veth left behind" "" "$(ip -n "$HOST" -br link show lvg0 2>/dev/null)"
v destroy "$DOM_C" >/dev/null 2>&1
v start "$DOM_C" >/dev/null 2>"$TMPD/virsh.err"
expect_eq "control: the unguarded domain starts without vifguardd" "0 running" "$? $(domstate "$DOM_C")"

if [ "$TESTS_FAILED" != 0 ]; then
	tail -n 20 "$TMPD/libvirtd.log" 2>/dev/null | sed 's/^/# libvirtd.log: /'
	tail -n 20 "$TMPD/daemon.log" 2>/dev/null | sed 's/^/# vifguardd: /'
fi
done_testing
