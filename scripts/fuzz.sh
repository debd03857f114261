#!/bin/sh
# make fuzz: runs every libFuzzer target for SECONDS on a scratch copy of its
# corpus (the committed corpus stays small; add real finds by hand), and
# prints each target's executions and crashes.
set -u
build=${1:-build-fuzz}
seconds=${2:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
failed=0
for target in "$here"/tests/fuzz/fuzz-*.c; do
	name=$(basename "$target" .c)
	name=${name#fuzz-}
	bin="$build/tests/fuzz/fuzz-$name"
	[ -x "$bin" ] || { echo "fuzz: $bin is missing" >&2; failed=1; continue; }
	work=$(mktemp -d)
	cp -r "$here/tests/fuzz/corpus/$name/." "$work/"
	if "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" "$work" \
		>"$work/log" 2>&1; then
		result="no crash"
	else
		result="CRASH: $(ls "$work" | grep -E '^(crash|leak|timeout|oom)-' | head -3 | tr '\n' ' ')(kept in $work)"
		failed=1
	fi
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$')
	echo "fuzz-$name: ${execs:-?} executions in ${seconds}s, $result"
	[ "$result" = "no crash" ] && rm -rf "$work"
done
exit "$failed"
