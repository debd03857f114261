#!/bin/sh
# The offline commands as a libvirt user meets them: a typo in a rule is an
# error wherever a rule is read, "valid" means explain and apply would take
# it, --strict fails on what is ignored, libvirt's binding state files are
# read as they are. No root, no namespace: nothing here touches the kernel.
. "$(dirname "$0")/lib.sh"

TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
mkdir -p "$TMPD/filters"

# binding FILE PORT [PARAM_XML] [FILTER]: a <filterbinding> file
binding() {
	cat >"$1" <<XML
<filterbinding>
  <owner><name>vm1</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>
  <portdev name='$2'/>
  <mac address='52:54:00:aa:01:01'/>
  <filterref filter='${4:-clean-traffic}'>${3:-}</filterref>
</filterbinding>
XML
}
# agree NAME FILE [OPTIONS]: validate and explain both refuse FILE
agree() {
	name=$1
	file=$2
	shift 2
	if "$CTL" validate "$@" "$file" >/dev/null 2>&1; then
		not_ok "$name: validate refuses it"
	else
		ok "$name: validate refuses it"
	fi
	if "$CTL" explain "$@" "$file" >/dev/null 2>&1; then
		not_ok "$name: explain refuses it too"
	else
		ok "$name: explain refuses it too"
	fi
}

# ---- a typo in a rule ------------------------------------------------------------------
cat >"$TMPD/filters/typo.xml" <<'XML'
<filter name='typo' chain='root'>
  <rule action='accept' direction='in'><tpc dstportstart='22'/></rule>
  <rule action='drop' direction='inout'/>
</filter>
XML
out=$("$CTL" validate "$TMPD/filters/typo.xml" 2>&1)
rc=$?
expect_eq "validate: a typo'd protocol element is an error (exit 1)" 1 "$rc"
case "$out" in *"typo.xml:2: <tpc>: unknown element in <rule>"*) ok "and the message names file, line and element" ;;
*) not_ok "and the message names file, line and element"; echo "# $out" ;; esac
binding "$TMPD/typo-binding.xml" vnet1 "" typo
agree "a binding to the typo'd filter" "$TMPD/typo-binding.xml" -F "$TMPD/filters"

# ---- valid means it will apply ----------------------------------------------------------
binding "$TMPD/ip300.xml" vnet1 "<parameter name='IP' value='10.0.0.300'/>"
agree "IP=10.0.0.300" "$TMPD/ip300.xml"
binding "$TMPD/longport.xml" abcdefghijklmnopqrstuvwxyz "<parameter name='IP' value='10.0.0.3'/>"
agree "a 26-character portdev" "$TMPD/longport.xml"
cat >"$TMPD/filters/grat.xml" <<'XML'
<filter name='grat' chain='root'>
  <rule action='accept' direction='in'><arp gratuitous='true'/></rule>
</filter>
XML
binding "$TMPD/grat-binding.xml" vnet1 "" grat
agree "ARP gratuitous='true'" "$TMPD/grat-binding.xml" -F "$TMPD/filters"
cat >"$TMPD/filters/stateful.xml" <<'XML'
<filter name='stateful' chain='root'>
  <rule action='accept' direction='in'><tcp dstportstart='22' state='NEW'/></rule>
</filter>
XML
cat >"$TMPD/linkdev.xml" <<'XML'
<filterbinding>
  <owner><name>vm1</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>
  <portdev name='macvtap0'/>
  <linkdev name='eth0'/>
  <mac address='52:54:00:aa:01:01'/>
  <filterref filter='stateful'/>
</filterbinding>
XML
agree "a stateful filter on a linkdev (macvtap) binding" "$TMPD/linkdev.xml" -F "$TMPD/filters"
binding "$TMPD/good.xml" vnet1 "<parameter name='IP' value='10.0.0.3'/>"
check "control: a good binding is valid" "$CTL" validate "$TMPD/good.xml"
check "control: and explain takes it" sh -c "'$CTL' explain '$TMPD/good.xml' >/dev/null"
binding "$TMPD/learns.xml" vnet1
check "a binding that learns its IP is valid" "$CTL" validate "$TMPD/learns.xml"
binding "$TMPD/no-learning.xml" vnet1 "<parameter name='CTRL_IP_LEARNING' value='none'/>"
check "one that neither gives nor learns its IP is not" sh -c \
	"! '$CTL' validate '$TMPD/no-learning.xml' 2>/dev/null"

# ---- --strict ----------------------------------------------------------------------------
cat >"$TMPD/filters/warn.xml" <<'XML'
<filter name='warn' chain='root'>
  <rule action='accept' direction='in'><tcp srcporttend='24'/></rule>
</filter>
XML
check "a filter with an unknown attribute is valid, with a warning" "$CTL" validate \
	"$TMPD/filters/warn.xml"
check "--strict turns the warning into a failure" sh -c \
	"! '$CTL' validate --strict '$TMPD/filters/warn.xml' 2>/dev/null"

# ---- libvirt's binding state files ---------------------------------------------------------
{
	echo "<filterbindingstatus>"
	cat "$TMPD/good.xml"
	echo "</filterbindingstatus>"
} >"$TMPD/status.xml"
check "a <filterbindingstatus> file (/run/libvirt/nwfilter-binding) is valid" \
	"$CTL" validate "$TMPD/status.xml"
check "and explain takes it" sh -c "'$CTL' explain '$TMPD/status.xml' >/dev/null"

# ---- one grammar: options after operands, - for standard input ---------------------------
out=$("$CTL" validate "$TMPD/good.xml" --json 2>&1)
case "$out" in '[{"file":'*'"valid":true'*) ok "an option after the operand (validate FILE --json)" ;;
*) not_ok "an option after the operand (validate FILE --json)"; echo "# $out" ;; esac
check "explain FILE -F DIR -p NAME=VALUE" sh -c "'$CTL' explain '$TMPD/learns.xml' -F '$TMPD/filters' \
	-p IP=10.0.0.9 | grep -q '10.0.0.9'"
for cmd in validate format explain; do
	check "$cmd - reads standard input" sh -c "'$CTL' $cmd - <'$TMPD/good.xml' >/dev/null"
done
out=$("$CTL" validate "$TMPD" 2>&1)
case "$out" in *"cannot read: Is a directory"*) ok "a directory is named as one, not as an I/O error" ;;
*) not_ok "a directory is named as one, not as an I/O error"; echo "# $out" ;; esac

# ---- one JSON contract ----------------------------------------------------------------------
# json_check NAME PYTHON-EXPRESSION COMMAND...: the command's stdout is one line of JSON, d, for
# which the expression holds
json_check() {
	name=$1
	expr=$2
	shift 2
	"$@" >"$TMPD/json" 2>"$TMPD/json.err"
	if python3 -c "
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, 'not one line: %r' % lines
d = json.loads(lines[0])
assert $expr, d
" "$TMPD/json" >"$TMPD/json.why" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		sed 's/^/# /' "$TMPD/json.why" "$TMPD/json" | tail -5
	fi
}
cat >"$TMPD/typo.xml" <<'XML'
<filter name='typo' chain='root'>
  <rule action='acept' direction='in' priority='500'>
    <tcp dstportstart='22'/>
  </rule>
</filter>
XML
json_check "validate --json: one array, each diagnostic an object in parts" \
	"d[0]['valid'] is False and d[1]['valid'] is True and d[0]['diagnostics'][0] == {'severity': 'error', \
'file': '$TMPD/typo.xml', 'line': 2, 'element': 'rule', 'attribute': 'action', 'value': 'acept', \
'message': 'unknown action', 'accepted': 'drop, reject, accept, return, continue'}" \
	"$CTL" validate --json "$TMPD/typo.xml" "$TMPD/good.xml"
json_check "explain --json: the template, its rules and the port's elements" \
	"d['ok'] and d['port'] == 'vnet1' and d['template']['rules'] > 0 and 'ether saddr' in \
d['template']['nft'] and d['elements']['count'] > 0 and d['diagnostics'] == []" \
	"$CTL" explain --json "$TMPD/good.xml"
binding "$TMPD/missing-filter.xml" vnet1 "" NOSUCH
json_check "explain --json of a broken binding: ok false, with the reason" \
	"d['ok'] is False and 'NOSUCH' in d['diagnostics'][-1]['message']" \
	"$CTL" explain --json "$TMPD/missing-filter.xml"
json_check "remove --json of a port never applied: ok false, with the reason" \
	"d['ok'] is False and len(d['diagnostics']) == 1" \
	"$CTL" remove --json --run-dir "$TMPD/run" vnet-none
if grep -q '\\/' "$TMPD/json"; then not_ok "no escaped slashes in JSON"; else ok "no escaped slashes in JSON"; fi

# ---- errors that say what to do ----------------------------------------------------------------
out=$("$CTL" binding list --bogus 2>&1)
rc=$?
case "$rc:$out" in 2:*"binding list: unknown option '--bogus'"*) ok "a bad option is named as an option" ;;
*) not_ok "a bad option is named as an option"; echo "# $rc $out" ;; esac
out=$("$CTL" validate -x "$TMPD/good.xml" 2>&1)
expect_eq "an unknown option: one line, one prefix, then the hint" \
	"vifguardctl: validate: unknown option '-x'|Try 'vifguardctl help validate'." "$(echo "$out" | paste -sd'|')"
out=$("$CTL" apply "$TMPD/good.xml" --run-dir 2>&1)
case "$out" in "vifguardctl: apply: option '--run-dir' needs a value"*) ok "a missing value is named" ;;
*) not_ok "a missing value is named"; echo "# $out" ;; esac
out=$("$DAEMON" -x 2>&1)
expect_eq "vifguardd: the program's name, not its path" \
	"vifguardd: unknown option '-x'|Try 'vifguardd --help'." "$(echo "$out" | paste -sd'|')"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	python3 -c "
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(1); time.sleep(5)" "$TMPD/root.sock" &
	listener=$!
	chmod 755 "$TMPD"
	wait_for yes sh -c "[ -S '$TMPD/root.sock' ] && echo yes" >/dev/null
	out=$(su nobody -s /bin/sh -c "'$CTL' -s '$TMPD/root.sock' status" 2>&1)
	case "$out" in *"Permission denied"*"run as root"*) ok "a socket only root may use: says to run as root" ;;
	*) not_ok "a socket only root may use: says to run as root"; echo "# $out" ;; esac
	out=$(su nobody -s /bin/sh -c "'$CTL' apply '$TMPD/good.xml'" 2>&1)
	case "$out" in "vifguardctl: apply changes nftables rules, which needs CAP_NET_ADMIN: run it as root") ok "apply without CAP_NET_ADMIN: one line saying so" ;;
	*) not_ok "apply without CAP_NET_ADMIN: one line saying so"; echo "# $out" ;; esac
	kill "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
else
	ok "a socket only root may use: says to run as root # SKIP not root"
	ok "apply without CAP_NET_ADMIN: one line saying so # SKIP not root"
fi

done_testing
