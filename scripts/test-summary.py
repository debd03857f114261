#!/usr/bin/env python3
"""Sums test cases over meson test logs: every suite prints TAP, so a case is
one 'ok'/'not ok' line. A suite that failed without printing a failing case
(crash, timeout) counts as one failure. A suite skipped as a whole
('1..0 # SKIP reason') counts as one skipped, and each reason is printed once
as 'SKIP: reason', with the suites it skipped. cmocka prints a skipped case as
'not ok N # SKIP', which meson fails, and so does this.

No suite may vanish: each log is meson-logs/testlog.json of a build directory,
and every suite that build defines (meson-info/intro-tests.json) must have run
in it, and every build must define the same suites. Missing ones are named and
count as failures.

Prints 'N passed, M failed[, K skipped]' as the last line and exits non-zero on
any failure.

Usage: test-summary.py BUILD/meson-logs/testlog.json..."""
import json
import os
import re
import sys


def suite_name(name):
    """meson logs 'project:suite / name' when the project has several suites."""
    return name.rsplit(" / ", 1)[-1]


def defined_suites(build):
    path = os.path.join(build, "meson-info", "intro-tests.json")
    with open(path, encoding="utf-8") as f:
        return sorted(t["name"] for t in json.load(f))


def main(logs):
    passed = failed = skipped = 0
    problems = []
    skips = {}  # reason -> {build: [suites]}
    defined = {}  # build -> [suites]

    for path in logs:
        build = os.path.dirname(os.path.dirname(os.path.abspath(path)))
        label = os.path.relpath(build)
        try:
            defined[label] = defined_suites(build)
        except (OSError, ValueError, KeyError, TypeError) as e:
            problems.append(f"{label}: cannot list the suites it defines: {e}")
            failed += 1
            defined[label] = None
        try:
            lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
        except OSError as e:
            problems.append(f"cannot read {path}: {e}")
            failed += 1
            continue
        ran = []
        for line in lines:
            if not line.strip():
                continue
            rec = json.loads(line)
            name = suite_name(rec["name"])
            ran.append(name)
            suite_failed = suite_cases = 0
            reason = "no reason given"
            for out in (rec.get("stdout") or "").splitlines():
                m = re.match(r"^1\.\.0\s*#\s*SKIP\S*\s*(.*)$", out, re.I)
                if m:
                    reason = m.group(1).strip() or reason
                    continue
                m = re.match(r"^(not ok|ok)\b(.*)$", out)
                if not m:
                    continue
                suite_cases += 1
                if m.group(1) == "ok" and re.search(r"#\s*SKIP", m.group(2), re.I):
                    skipped += 1
                elif m.group(1) == "ok":
                    passed += 1
                else:
                    failed += 1
                    suite_failed += 1
                    problems.append(f"FAILED: {rec['name']}:{m.group(2).strip()}")
            result = rec.get("result")
            if result == "SKIP" and suite_cases == 0:
                skipped += 1
                skips.setdefault(reason, {}).setdefault(label, []).append(name)
            elif result not in ("OK", "SKIP", "EXPECTEDFAIL") and suite_failed == 0:
                failed += 1
                problems.append(f"FAILED: {rec['name']} ({result})")
        if defined[label] is not None:
            missing = sorted(set(defined[label]) - set(ran))
            if missing:
                failed += len(missing)
                problems.append(f"{label}: {len(missing)} of {len(defined[label])} suites "
                                f"did not run: {', '.join(missing)}")

    known = [s for s in defined.values() if s is not None]
    every = set().union(*known) if known else set()
    for label, suites in defined.items():
        if suites is None:
            continue
        absent = sorted(every - set(suites))
        if absent:
            failed += len(absent)
            problems.append(f"{label}: does not define {len(absent)} suites the other "
                            f"builds have: {', '.join(absent)}")

    for reason, where in skips.items():
        print(f"SKIP: {reason}")
        for label, suites in where.items():
            print(f"  {label}: {', '.join(suites)}")
    for p in problems:
        print(p)
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
