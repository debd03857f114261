#!/bin/sh
# make demo: the main job of vifguard, shown end to end.
# This version works offline: it validates every built-in filter, prints
# each one in libvirt's canonical form, and shows how bad input is reported.
set -eu

build=${1:-build}
ctl="$build/vifguardctl"
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "1. validate the $(ls "$here"/filters/*.xml | wc -l) built-in filters (libvirt's names and semantics)"
"$ctl" validate "$here"/filters/*.xml

step "2. print clean-traffic and no-ip-spoofing as libvirt's formatter would"
"$ctl" format "$here/filters/clean-traffic.xml"
"$ctl" format "$here/filters/no-ip-spoofing.xml"

step "3. a libvirt <filterbinding> binds clean-traffic to port vnet0"
cat > "$tmp/binding.xml" <<'XML'
<filterbinding>
  <owner><name>web1</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>
  <portdev name='vnet0'/>
  <mac address='52:54:0:7b:35:93'/>
  <filterref filter='clean-traffic'>
    <parameter name='IP' value='10.0.0.5'/>
  </filterref>
</filterbinding>
XML
"$ctl" validate "$tmp/binding.xml"
"$ctl" format "$tmp/binding.xml"

step "4. bad input is refused with FILE:LINE and what is accepted"
cat > "$tmp/bad.xml" <<'XML'
<filter name='bad' chain='ipv4'>
  <rule action='accept' direction='out'>
    <tcp dstportstart='80' dstportend='65536'/>
  </rule>
  <rule action='allow' direction='in'/>
</filter>
XML
if "$ctl" validate "$tmp/bad.xml"; then
	echo "demo: the bad filter was accepted" >&2
	exit 1
fi

step "summary"
echo "validated $(ls "$here"/filters/*.xml | wc -l) built-in filters, formatted 2 filters and a binding,"
echo "and refused a broken filter with one message per error (exit status 1)."
