#!/usr/bin/env python3
"""Sums test cases over meson test logs: every suite prints TAP, so a case is
one 'ok'/'not ok' line. A suite that failed without printing a failing case
(crash, timeout) counts as one failure. Prints 'N passed, M failed[, K skipped]'
as the last line and exits non-zero on any failure."""
import json
import re
import sys

passed = failed = skipped = 0
failed_names = []
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError as e:
        print(f"cannot read {path}: {e}")
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        rec = json.loads(line)
        suite_failed = 0
        for out in (rec.get("stdout") or "").splitlines():
            m = re.match(r"^(not ok|ok)\b(.*)$", out)
            if not m:
                continue
            if re.search(r"#\s*SKIP", m.group(2), re.I):
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            else:
                failed += 1
                suite_failed += 1
                failed_names.append(f"{rec['name']}:{m.group(2).strip()}")
        if rec.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and suite_failed == 0:
            failed += 1
            failed_names.append(f"{rec['name']} ({rec.get('result')})")

for name in failed_names:
    print(f"FAILED: {name}")
summary = f"{passed} passed, {failed} failed"
if skipped:
    summary += f", {skipped} skipped"
print(summary)
sys.exit(1 if failed else 0)
