#!/bin/sh
# A wall-clock step neither blocks a learning port nor stretches its timer:
# vifguardd runs under libfaketime, whose offset the test moves while the
# daemon runs (FAKETIME_TIMESTAMP_FILE, read on every call); the monotonic
# clock stays real. The control: the daemon does see the step (the times it
# shows move with it), and the learning timeout still ends on time.
. "$(dirname "$0")/lib.sh"

require_root
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$FAKETIME_LIB" ] || skip_all "libfaketime not installed (Debian package libfaketime)"
topo_up
echo "+0" >"$TMPD/faketime"
DAEMON_ENV="LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$TMPD/faketime FAKETIME_NO_CACHE=1 \
FAKETIME_DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0"
check "the daemon starts under libfaketime" daemon_start

since() {
	vg binding show vnet1 --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["learning"]["since"])'
}
check "bind vnet1, learning, with a 12 s timeout" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic --param CTRL_IP_LEARNING_TIMEOUT=12
t0=$(since)
echo "+2d" >"$TMPD/faketime"
sleep 2
t1=$(since)
# control: the daemon's wall clock moved two days (its shown times follow it)
expect_eq "the daemon's wall clock stepped two days forward" yes \
	"$([ $((t1 - t0)) -ge 172790 ] && [ $((t1 - t0)) -le 172810 ] && echo yes || echo "no: $t0 -> $t1")"
expect_eq "two days later by the wall clock, the port still learns" learning "$(state vnet1)"
echo "-3d" >"$TMPD/faketime"
sleep 1
expect_eq "a step back changes nothing either" learning "$(state vnet1)"
# the timeout runs on the monotonic clock: 12 s after the bind, whatever the wall clock says
for _ in $(seq 100); do
	[ "$(state vnet1)" = failed ] && break
	sleep 0.2
done
expect_eq "the learning timeout still ends on the monotonic clock" failed "$(state vnet1)"
expect_eq "blocked for the right reason" "no address learned within 12 s" \
	"$(vg binding show vnet1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["note"])')"
daemon_stop
done_testing
