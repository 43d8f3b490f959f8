#!/usr/bin/env python3
"""check_fault.py — asserts that one deliberately faulty allocator (a library
from allocators/faulty, run under LD_PRELOAD) is caught by one checker, and
caught the expected way (suite 'faulty'; see docs/stress.md).

  check_fault.py conformance CONFORMANCE_BIN LIB TEST DETAIL_REGEX
      the glibc conformance binary under LD_PRELOAD=LIB must fail TEST with a
      detail matching DETAIL_REGEX (and exit 1)
  check_fault.py stress ASBENCH NAME LIB VERDICT_REGEX
      `asbench stress --alloc NAME=LIB` must exit 1 with a FAIL verdict whose
      text after the colon matches VERDICT_REGEX
  check_fault.py workload ASBENCH NAME LIB WORKLOAD STATUS
      `asbench run --alloc NAME=LIB --workload WORKLOAD` must record STATUS
      (verify-failed, crashed:SIGSEGV …) in results.csv
  check_fault.py leak ASBENCH NAME LIB WORKLOAD FACTOR
      the same workload under glibc and under LIB: LIB's final_rss_kb must be
      at least FACTOR times glibc's
"""
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(cmd, env=None, timeout=300):
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, errors="replace", timeout=timeout)
    print(p.stdout[-4000:])
    return p


def check_conformance(binary, lib, test, detail):
    p = run([binary], env=dict(os.environ, LD_PRELOAD=lib))
    line = re.search(r"^not ok \d+ - %s: (.*)$" % re.escape(test), p.stdout, re.M)
    if not line:
        fail("conformance test %s did not fail under %s" % (test, lib))
    if not re.search(detail, line.group(1)):
        fail("conformance test %s failed, but not with /%s/: %s" % (test, detail, line.group(1)))
    if p.returncode != 1:
        fail("conformance exited %d, expected 1" % p.returncode)
    print("caught by conformance test %s: %s" % (test, line.group(1)))


def check_stress(asbench, name, lib, verdict):
    p = run([asbench, "stress", "--alloc", "%s=%s" % (name, lib), "--seconds", "2", "--threads", "2"])
    line = re.search(r"^stress: FAIL %s=\S+ \([^)]*\): (.*)$" % re.escape(name), p.stdout, re.M)
    if not line:
        fail("asbench stress printed no FAIL verdict for %s" % name)
    if not re.search(verdict, line.group(1)):
        fail("verdict does not match /%s/: %s" % (verdict, line.group(1)))
    if p.returncode != 1:
        fail("asbench stress exited %d, expected 1" % p.returncode)
    print("caught by asbench stress: " + line.group(1))


def run_rows(asbench, allocs, workload):
    out = tempfile.mkdtemp(prefix="asbench-faulty-")
    try:
        p = run([asbench, "run", "--alloc", allocs, "--workload", workload, "--threads", "2",
                 "--preset", "quick", "--reps", "1", "--no-warmup", "--no-plot", "-o", out])
        path = os.path.join(out, "results.csv")
        if not os.path.exists(path):
            fail("asbench run wrote no results.csv (exit %d)" % p.returncode)
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def check_workload(asbench, name, lib, workload, status):
    rows = run_rows(asbench, "%s=%s" % (name, lib), workload)
    if len(rows) != 1:
        fail("expected one row, got %d" % len(rows))
    if rows[0]["status"] != status:
        fail("workload %s recorded status %r (%s), expected %r" % (workload, rows[0]["status"], rows[0]["message"], status))
    print("caught by workload %s: %s %s" % (workload, rows[0]["status"], rows[0]["message"]))


def check_leak(asbench, name, lib, workload, factor):
    rows = run_rows(asbench, "glibc,%s=%s" % (name, lib), workload)
    rss = {r["backend"]: r["final_rss_kb"] for r in rows}
    try:
        base, leaky = float(rss["glibc"]), float(rss[name])
    except (KeyError, ValueError):
        fail("no final_rss_kb for both glibc and %s: %r" % (name, rss))
    if leaky < float(factor) * base:
        fail("final RSS %.0f kB under %s is not %s x glibc's %.0f kB" % (leaky, name, factor, base))
    print("caught by final RSS of workload %s: %.0f kB vs glibc %.0f kB" % (workload, leaky, base))


def main():
    checks = {"conformance": (check_conformance, 4), "stress": (check_stress, 4),
              "workload": (check_workload, 5), "leak": (check_leak, 5)}
    if len(sys.argv) < 2 or sys.argv[1] not in checks or len(sys.argv) != 2 + checks[sys.argv[1]][1]:
        print(__doc__)
        sys.exit(2)
    checks[sys.argv[1]][0](*sys.argv[2:])


if __name__ == "__main__":
    main()
