#!/usr/bin/env python3
"""check_security.py — runs the real `asbench security` and asserts its verdicts.

  check_security.py verdict ASBENCH BACKEND SCENARIO VERDICT [DETAIL_REGEX] [--timeout S]
      the one scenario on BACKEND (a name, or name=/path.so) gets VERDICT,
      and its detail matches DETAIL_REGEX;
  check_security.py catalogue ASBENCH BACKEND
      every scenario runs on BACKEND: one row each, none `error`, the
      report's table has a row per scenario;
  check_security.py bad-input ASBENCH
      unknown scenario/backend/option, a missing --alloc, an -o holding a
      security.csv: exit 2 and the old rows untouched;
  check_security.py rows-kept ASBENCH HANG_LIB
      asbench killed while a scenario hangs keeps the rows already written.
"""
import csv
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

VERDICTS = {"detected", "detected-late", "crashed-later", "exploitable", "silent", "timeout", "not-applicable"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(asbench, args, out_dir):
    cmd = [asbench, "security"] + args + ["-o", out_dir]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    return p


def rows(out_dir):
    with open(os.path.join(out_dir, "security.csv"), newline="") as f:
        return list(csv.DictReader(f))


def check_verdict(asbench, backend, scenario, verdict, detail_re, extra):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        p = run(asbench, ["--alloc", backend, "--scenario", scenario] + extra, out)
        if p.returncode != 0:
            fail(f"exit status {p.returncode}, expected 0")
        got = rows(out)
        if len(got) != 1:
            fail(f"{len(got)} rows, expected 1")
        r = got[0]
        if r["verdict"] != verdict:
            fail(f"{scenario} on {backend}: verdict {r['verdict']} ({r['detail']}), expected {verdict}")
        if detail_re and not re.search(detail_re, r["detail"]):
            fail(f"{scenario} on {backend}: detail '{r['detail']}' does not match /{detail_re}/")
        print(f"ok: {scenario} on {backend}: {verdict}: {r['detail']}")


def check_catalogue(asbench, backend):
    listing = subprocess.run([asbench, "security", "--list"], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in listing.splitlines()[1:] if line.strip()]
    if len(names) < 20:
        fail(f"--list names {len(names)} scenarios, expected at least 20")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        p = run(asbench, ["--alloc", backend, "--timeout", "20"], out)
        if p.returncode != 0:
            fail(f"exit status {p.returncode}, expected 0")
        got = rows(out)
        if [r["scenario"] for r in got] != names:
            fail(f"rows {[r['scenario'] for r in got]}, expected one per scenario in --list order")
        for r in got:
            if r["verdict"] not in VERDICTS:
                fail(f"{r['scenario']}: verdict {r['verdict']} ({r['detail']})")
            if not r["detail"]:
                fail(f"{r['scenario']}: empty detail")
        report = open(os.path.join(out, "report.md")).read()
        for n in names:
            if not re.search(r"^\| " + re.escape(n) + r" \| \S", report, re.M):
                fail(f"report.md has no table row for {n}")
    print(f"ok: {len(names)} scenarios on {backend}, every one a verdict")


def check_bad_input(asbench):
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            (["--alloc", "glibc", "--scenario", "double-fre"], "unknown scenario 'double-fre'"),
            (["--alloc", "nosuchalloc"], "nosuchalloc"),
            (["--alloc", "glibc", "--timeout", "0"], "--timeout 0"),
            (["--alloc", "glibc", "--bogus", "1"], "unknown option --bogus"),
            (["--scenario", "double-free"], "--alloc is required"),
        ]
        for args, needle in cases:
            p = subprocess.run([asbench, "security"] + args + ["-o", os.path.join(tmp, "bad")],
                               capture_output=True, text=True)
            if p.returncode != 2 or needle not in p.stderr:
                fail(f"{args}: exit {p.returncode}, stderr {p.stderr.strip()!r}; expected 2 naming {needle!r}")
            if os.path.exists(os.path.join(tmp, "bad", "security.csv")):
                fail(f"{args}: wrote security.csv before refusing")
        out = os.path.join(tmp, "out")
        if run(asbench, ["--alloc", "glibc", "--scenario", "huge-size"], out).returncode != 0:
            fail("a valid run failed")
        before = open(os.path.join(out, "security.csv")).read()
        p = run(asbench, ["--alloc", "glibc", "--scenario", "double-free"], out)
        if p.returncode != 2 or "already exists" not in p.stderr:
            fail(f"a second run into the same -o: exit {p.returncode}, expected 2 saying it already exists")
        if open(os.path.join(out, "security.csv")).read() != before:
            fail("the second run changed the rows of the first")
    print("ok: bad input refused with exit 2, earlier rows kept")


def check_rows_kept(asbench, hang_lib):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        csv_path = os.path.join(out, "security.csv")
        cmd = [asbench, "security", "--alloc", "h=" + hang_lib, "--scenario", "huge-size,double-free",
               "--timeout", "60", "-o", out]
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline and not (os.path.exists(csv_path) and "huge-size" in open(csv_path).read()):
            time.sleep(0.1)
        os.killpg(p.pid, signal.SIGKILL)  # asbench and the hanging worker
        p.wait()
        got = rows(out)
        if [r["scenario"] for r in got] != ["huge-size"] or got[0]["verdict"] != "silent":
            fail(f"rows after the kill: {got}; expected the finished huge-size row")
    print("ok: the row written before the kill is intact")


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    mode, asbench = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    extra = []
    if "--timeout" in args:
        i = args.index("--timeout")
        extra = ["--timeout", args[i + 1]]
        del args[i:i + 2]
    if mode == "verdict":
        check_verdict(asbench, args[0], args[1], args[2], args[3] if len(args) > 3 else "", extra)
    elif mode == "catalogue":
        check_catalogue(asbench, args[0])
    elif mode == "bad-input":
        check_bad_input(asbench)
    elif mode == "rows-kept":
        check_rows_kept(asbench, args[0])
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
