#!/usr/bin/env python3
"""check_runs.py — run `asbench run` and check every row of its results.csv.

usage: check_runs.py ASBENCH EXPECT ALLOC WORKLOADS THREADS
  EXPECT ok:            every (workload, threads) cell has its row, status ok,
                        ops > 0 and allocs_per_op > 0 (a smoke test, never speed)
  EXPECT verify-failed: every row has status verify-failed and a message that
                        names its workload (a broken allocator was caught)
Prints TAP.
"""
import csv
import os
import subprocess
import sys
import tempfile


def main():
    asbench, expect, alloc, workloads, threads = sys.argv[1:6]
    names = workloads.split(",")
    thread_counts = threads.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "results")
        cmd = [asbench, "run", "--alloc", alloc, "--workload", workloads, "--threads", threads,
               "--preset", "quick", "--reps", "1", "--no-warmup", "--no-plot", "-o", out]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        path = os.path.join(out, "results.csv")
        if not os.path.exists(path):
            print("1..1\nnot ok 1 - %s wrote no results.csv (exit %d)" % (" ".join(cmd), proc.returncode))
            print("# " + proc.stdout.replace("\n", "\n# "))
            return 1
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    checks = []
    for name in names:
        for t in thread_counts:
            cell = [r for r in rows if r["workload"] == name and r["threads"] == t]
            label = "%s %s threads=%s" % (alloc.split("=")[0], name, t)
            if len(cell) != 1:
                checks.append((False, label, "expected 1 row, found %d" % len(cell)))
                continue
            r = cell[0]
            if expect == "ok":
                problems = []
                if r["status"] != "ok":
                    problems.append("status %s: %s" % (r["status"], r["message"]))
                else:
                    if not float(r["ops"]) > 0:
                        problems.append("ops %s" % r["ops"])
                    if not float(r["allocs_per_op"]) > 0:
                        problems.append("allocs_per_op %s" % r["allocs_per_op"])
                    if not float(r["ns_per_op"]) > 0:
                        problems.append("ns_per_op %s" % r["ns_per_op"])
                checks.append((not problems, label, "; ".join(problems)))
            else:
                good = r["status"] == expect and r["message"].startswith(name + ":")
                checks.append((good, label, "status %s, message %r" % (r["status"], r["message"])))
    print("1..%d" % len(checks))
    for i, (good, label, detail) in enumerate(checks, 1):
        print("%s %d - %s%s" % ("ok" if good else "not ok", i, label, "" if good else " # " + detail))
    return 0 if all(c[0] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
