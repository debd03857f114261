#!/usr/bin/env python3
"""scripts/test-summary.py on made-up build directories: the counts, the skip
reasons, and above all that a suite missing from a build fails the summary,
named. Prints TAP. Usage: test-test-summary.py [PATH/TO/test-summary.py]"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SUMMARY = (sys.argv[1] if len(sys.argv) > 1 else
           os.path.join(HERE, "..", "..", "scripts", "test-summary.py"))

SUITES = ["test-a", "test-b", "test-corpus"]
REASON = "libvirt's corpus not found at /nowhere (set VIFGUARD_COMPAT_DIR)"


def record(name, result="OK", stdout=""):
    return {"name": f"vifguard:unit / {name}", "result": result, "stdout": stdout,
            "returncode": 0}


def good_records():
    return [
        record("test-a", stdout="1..2\nok 1 - one\nok 2 - two\n"),
        record("test-b", stdout="1..1\n# a comment\nok 1 - three\n"),
        record("test-corpus", stdout="1..1\nok 1 - four\n"),
    ]


def make_build(root, label, records, suites=SUITES, log=True):
    build = os.path.join(root, label)
    os.makedirs(os.path.join(build, "meson-info"))
    os.makedirs(os.path.join(build, "meson-logs"))
    with open(os.path.join(build, "meson-info", "intro-tests.json"), "w") as f:
        json.dump([{"name": s, "suite": ["vifguard:unit"]} for s in suites], f)
    path = os.path.join(build, "meson-logs", "testlog.json")
    if log:
        with open(path, "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
    return path


def summarize(root, *builds):
    """Runs the summary over (label, records[, suites[, log]]) builds."""
    logs = [make_build(root, *b) for b in builds]
    p = subprocess.run([sys.executable, SUMMARY] + logs, cwd=root, capture_output=True,
                       text=True)
    return p.returncode, p.stdout


n = 0
failures = 0


def check(desc, cond, out):
    global n, failures
    n += 1
    if cond:
        print(f"ok {n} - {desc}")
    else:
        failures += 1
        print(f"not ok {n} - {desc}")
        for line in out.splitlines():
            print(f"# {line}")


def case(desc, builds, expect_rc, last, *needles):
    with tempfile.TemporaryDirectory() as root:
        rc, out = summarize(root, *builds)
    lines = out.splitlines()
    check(desc, rc == expect_rc and lines and lines[-1] == last and
          all(s in out for s in needles), out)


case("every suite ran in both builds: passes", [("build", good_records()),
     ("build-asan", good_records())], 0, "8 passed, 0 failed")

missing = [r for r in good_records() if not r["name"].endswith("test-b")]
case("a suite missing from one build's log fails, named with its build",
     [("build", good_records()), ("build-asan", missing)], 1, "7 passed, 1 failed",
     "build-asan: 1 of 3 suites did not run: test-b")

case("a build whose log is empty fails, naming every suite",
     [("build", good_records()), ("build-asan", [])], 1, "4 passed, 3 failed",
     "build-asan: 3 of 3 suites did not run: test-a, test-b, test-corpus")

case("a build without a log fails",
     [("build", good_records()), ("build-asan", [], SUITES, False)], 1,
     "4 passed, 1 failed", "cannot read")

case("a build that defines fewer suites than the other fails, naming them",
     [("build", good_records()), ("build-asan", missing, ["test-a", "test-corpus"])], 1,
     "7 passed, 1 failed", "build-asan: does not define 1 suites the other builds have: test-b")

skipped = good_records()[:2] + [record("test-corpus", "SKIP", f"1..0 # SKIP {REASON}\n")]
case("a suite skipped as a whole counts once, its reason printed once",
     [("build", skipped), ("build-asan", skipped)], 0, "6 passed, 0 failed, 2 skipped",
     f"SKIP: {REASON}\n  build: test-corpus\n  build-asan: test-corpus\n")

with tempfile.TemporaryDirectory() as root:
    rc, out = summarize(root, ("build", skipped), ("build-asan", skipped))
check("the skip reason is printed once", out.count("SKIP: ") == 1, out)

crashed = good_records()[:2] + [record("test-corpus", "ERROR", "1..3\nok 1 - four\n")]
case("a suite that crashed without a failing case counts one failure, named",
     [("build", crashed)], 1, "4 passed, 1 failed", "FAILED: vifguard:unit / test-corpus (ERROR)")

cmocka_skip = good_records()[:2] + [
    record("test-corpus", "FAIL", "1..2\nok 1 - four\nnot ok 2 # SKIP five\n")]
case("cmocka's skipped case ('not ok', then SKIP), which meson fails, is a failure",
     [("build", cmocka_skip)], 1, "4 passed, 1 failed", "FAILED: vifguard:unit / test-corpus")

case_skip = good_records()[:2] + [record("test-corpus", "OK", "1..2\nok 1 - four\nok 2 # SKIP x\n")]
case("an 'ok' case with a SKIP directive is a skipped case", [("build", case_skip)], 0,
     "4 passed, 0 failed, 1 skipped")

print(f"1..{n}")
sys.exit(1 if failures else 0)
