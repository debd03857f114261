#!/bin/sh
# The control socket under load (issue 12): pipelined requests are all
# answered, in order, also when the client half-closes right after writing
# them; an over-long line gets one error reply naming the cap and the
# connection closes; a client that never reads its replies, or stops
# halfway through a line, blocks nobody and does not grow the daemon; the
# number of clients is capped. The bounds are in docs/design.md, "Control
# protocol".
#
#   ns $HOST: vifguardd ── $TMPD/control.sock ── python clients (tests/lib/ctlload.py)
#
# Memory is the daemon's VmRSS from /proc. An ASan build keeps freed memory
# in its quarantine, so there the RSS checks are skipped and the rest runs.
# meson test sets MALLOC_PERTURB_, which makes glibc write over every block
# it hands out or takes back, touching pages the daemon itself would not:
# the daemon runs without it here.
. "$(dirname "$0")/lib.sh"
unset MALLOC_PERTURB_

require_root
topo_up
LOAD="$SRC/tests/lib/ctlload.py"
SOCK="$TMPD/control.sock"
LINE_MAX=4194304 # CTL_LINE_MAX
CONN_MAX=64      # CONN_MAX in src/daemon/loop.c

load() { in_ns "$HOST" python3 "$LOAD" "$SOCK" "$@" 2>&1; }
# field NAME WORDS: the value of NAME=value among ctlload.py's output words
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status"; }
is_asan=
ldd "$DAEMON" 2>/dev/null | grep -q libasan && is_asan=1
# rss_below DESCRIPTION LIMIT_KB GROWTH_KB
rss_below() {
	if [ -n "$is_asan" ]; then
		ok "$1 # SKIP ASan build"
	elif [ "$3" -lt "$2" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "# grew by $3 kB, limit $2 kB"
	fi
}

check "the daemon starts" daemon_start
PID=$(vg status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
echo "# vifguardd pid $PID, VmRSS $(rss) kB at start"

# ---- pipelined requests -------------------------------------------------------
expect_eq "100 pipelined requests, then shutdown(SHUT_WR): 100 replies, ids 1..100 in order" \
	"replies=100 in_order=yes all_ok=yes eof=yes" "$(load pipeline 100 --shutdown)"
expect_eq "100 pipelined requests, connection kept open: all 100 answered" \
	"replies=100 in_order=yes all_ok=yes eof=no" "$(load pipeline 100)"

# ---- clients that never read, or stop halfway ------------------------------------
rss0=$(rss)
out=$(load stall "$PID" 2)
echo "# a client that never reads: $out (VmRSS before $rss0 kB)"
expect_eq "a client that never reads: the daemon stops taking its requests" yes \
	"$(field a_blocked "$out")"
expect_eq "meanwhile another client gets its status" yes "$(field b_ok "$out")"
b_ms=$(field b_ms "$out")
[ "${b_ms:-9999}" -lt 1000 ] && ok "within a second ($b_ms ms)" ||
	{ not_ok "within a second"; echo "# $out"; }
rss_below "VmRSS with the stalled client connected: less than 8 MiB above before" 8192 \
	$(($(field rss_kb "$out") - rss0))
echo "# VmRSS after the stalled client left: $(rss) kB"
out=$(load halfline)
expect_eq "a client stopped halfway through a line: another gets its status" yes \
	"$(field b_ok "$out")"
check "the daemon still answers status" vg status

# ---- pipelined requests past the reply backlog ---------------------------------
# 20000 status replies are about 5 MiB. The client reads them only after a
# second, so the daemon stops at its 1 MiB reply backlog and must resume.
expect_eq "20000 pipelined requests, replies read late, then shutdown: all answered" \
	"replies=20000 in_order=yes all_ok=yes eof=yes" "$(load pipeline 20000 --shutdown --delay 1)"

# ---- the line cap -------------------------------------------------------------
# The daemon holds at most the cap of a line, and frees it with the
# connection. glibc keeps freed heap pages for reuse once its mmap threshold
# has grown past the buffer (after the first big free), so later long lines
# leave up to about the cap resident, no more however many come.
check "status before the long line" vg status
rss0=$(rss)
hwm0=$(hwm)
out=$(load bigline 10485760 3)
rss1=$(rss)
echo "# 10 MiB line: VmRSS $rss0 -> $rss1 kB, VmHWM $hwm0 -> $(hwm) kB"
expect_eq "requests before a 10 MiB line are answered" 3 "$(field good_replies "$out")"
expect_eq "the 10 MiB line gets EMSGSIZE" EMSGSIZE "$(field error "$out")"
case "${out#*message=}" in
*"line longer than $LINE_MAX bytes"*) ok "the error names the cap ($LINE_MAX bytes)" ;;
*) not_ok "the error names the cap ($LINE_MAX bytes)"; echo "# $out" ;;
esac
expect_eq "then the daemon closes the connection" yes "$(field closed "$out")"
rss_below "VmRSS after the 10 MiB line: less than 2 MiB above before" 2048 $((rss1 - rss0))
for i in 2 3 4; do
	out=$(load bigline 10485760)
	[ "$(field error "$out")" = EMSGSIZE ] || echo "# 10 MiB line $i: $out"
done
rss4=$(rss)
echo "# three more 10 MiB lines: VmRSS $rss4 kB, VmHWM $(hwm) kB"
rss_below "after four: less than the cap + 2 MiB above before" $((LINE_MAX / 1024 + 2048)) \
	$((rss4 - rss0))
check "the daemon still answers status" vg status

# ---- the connection limit ---------------------------------------------------------
expect_eq "$CONN_MAX clients connected: one more waits, and is served when one leaves" \
	"opened=$CONN_MAX extra_before=no extra_after=yes" "$(load clients $CONN_MAX)"
check "the daemon still answers status" vg status

daemon_stop
grep -q "Sanitizer\|runtime error" "$TMPD/daemon.log" &&
	{ not_ok "no sanitizer reports"; sed 's/^/# /' "$TMPD/daemon.log" | grep -A20 "Sanitizer\|runtime error"; } ||
	ok "no sanitizer reports"
done_testing
