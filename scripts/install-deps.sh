#!/bin/sh
# Installs the Debian packages a make target needs, and only the missing ones.
# Usage: scripts/install-deps.sh [--no-install] build|check|demo|bench|fuzz
# Each package is listed with the reason it is needed, printed when installed.
# --no-install only lists the missing ones (exit 1 if any): 'make install'
# builds on a machine where the administrator chose the packages.
set -eu

no_install=false
if [ "${1:-}" = --no-install ]; then
	no_install=true
	shift
fi
target=${1:-build}

build_pkgs="
gcc:C_compiler
meson:build_system
ninja-build:build_system
pkg-config:finding_libraries
libxml2-dev:filter_and_binding_XML
libnftables-dev:applying_nftables_rules
libjson-c-dev:control_protocol
libmnl-dev:rtnetlink_link_events
libuv1-dev:daemon_event_loop
libsqlite3-dev:daemon_state
libpcap-dev:IP_address_learning_capture
libsystemd-dev:sd_notify_for_systemd
python3:test_result_summary
libcmocka-dev:unit_tests,_which_meson_setup_requires
"
check_pkgs="
nftables:integration_tests_inspect_rules
iproute2:integration_tests_build_namespaces
dnsmasq-base:integration_tests_real_DHCP_server
udhcpc:integration_tests_real_DHCP_client
radvd:test-ipv6-guard_a_real_rogue_and_a_real_uplink_router_advertiser
isc-dhcp-client:test-ipv6-guard_a_real_DHCPv6_client_(dhclient_-6)
busybox:integration_tests_arping_and_tools
iputils-ping:integration_tests_ping
libfaketime:integration_tests_wall_clock_steps
procps:integration_tests_sysctl_and_kill
man-db:test-man_renders_the_man_pages
bsdextrautils:test-man_(col)
systemd:test-service_scores_the_unit_(systemd-analyze)_and_boots_it_in_a_container
libvirt-daemon:test-libvirt-lxc_runs_the_real_libvirtd_(9.0)
libvirt-daemon-driver-lxc:test-libvirt-lxc_starts_real_LXC_domains_(its_hook_runs_ours)
libvirt-clients:test-libvirt-lxc_drives_libvirtd_with_virsh
containernetworking-plugins:test-cni_chains_the_real_bridge_and_host-local_plugins_(/usr/lib/cni)_before_ours
prometheus-node-exporter:test-stats_scrapes_the_real_node_exporter_reading_the_metrics_textfile
prometheus:test-stats_promtool_check_metrics
"
fuzz_pkgs="
clang:libFuzzer_targets
libclang-rt-14-dev:libFuzzer_runtime
"

case "$target" in
build) want="$build_pkgs" ;;
check|demo) want="$build_pkgs $check_pkgs" ;;
bench) want="$build_pkgs $check_pkgs" ;;
fuzz) want="$build_pkgs $check_pkgs $fuzz_pkgs" ;;
*) echo "install-deps: unknown target '$target' (build, check, demo, bench, fuzz)" >&2; exit 2 ;;
esac

missing=""
for entry in $want; do
	pkg=${entry%%:*}
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $entry"
	fi
done

[ -z "$missing" ] && exit 0

# refuse HEADLINE ADVICE: names the missing packages, each with why, and stops
refuse() {
	echo "$1" >&2
	for entry in $missing; do
		echo "  ${entry%%:*} (for $(echo "${entry#*:}" | tr _ ' '))" >&2
	done
	echo "$2$(for e in $missing; do printf ' %s' "${e%%:*}"; done)$3" >&2
	exit 1
}
$no_install && refuse "vifguard needs these Debian packages to build, and 'make install' installs none:" \
	"install them: apt-get install" " (or run 'make deps' as root)"
[ "$(id -u)" = 0 ] || refuse "vifguard needs these Debian packages for 'make $target', and installing them needs root:" \
	"run 'make $target' as root, or: sudo apt-get install" ""

echo "installing missing Debian packages for 'make $target':"
pkgs=""
for entry in $missing; do
	echo "  ${entry%%:*} (for $(echo "${entry#*:}" | tr _ ' '))"
	pkgs="$pkgs ${entry%%:*}"
done
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
echo "installed:$pkgs"
