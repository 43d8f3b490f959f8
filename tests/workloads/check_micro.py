#!/usr/bin/env python3
"""check_micro.py — tests of the Google Benchmark micro-benchmarks (TAP).

usage: check_micro.py csv ASBENCH     `asbench micro` on a few benchmarks: its
                                      JSON, its CSV rows, its errors
       check_micro.py sizes MICRO_EXE the malloc_free sizes are Go's size
                                      classes (runtime/sizeclasses.go)
"""
import csv
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

EXPECTED_ALLOCS = {"malloc_free/8": 1, "malloc_free/32768": 1, "malloc_free/65536": 1, "calloc/16": 1,
                   "realloc_chain/1024": 7, "aligned/4096": 1, "free_remote/16": 1}


class Tap:
    def __init__(self):
        self.results = []

    def check(self, good, label, detail=""):
        self.results.append((bool(good), label, detail))

    def finish(self):
        print("1..%d" % len(self.results))
        for i, (good, label, detail) in enumerate(self.results, 1):
            print("%s %d - %s%s" % ("ok" if good else "not ok", i, label, "" if good else " # " + str(detail)))
        return 0 if all(r[0] for r in self.results) else 1


def check_csv(asbench):
    tap = Tap()
    names = "|".join(re.escape(n) for n in EXPECTED_ALLOCS)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "micro")
        proc = subprocess.run([asbench, "micro", "--alloc", "glibc", "--filter", "^(%s)$" % names, "--reps", "2",
                               "--min-time", "0.01", "-o", out],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tap.check(proc.returncode == 0, "asbench micro exits 0", proc.stdout[-2000:])
        try:
            with open(os.path.join(out, "micro-glibc.json")) as f:
                report = json.load(f)
            tap.check(report["context"].get("asbench_backend") == "glibc", "JSON context names the backend")
            runs = {b["run_name"] for b in report["benchmarks"]}
            tap.check(runs == set(EXPECTED_ALLOCS), "JSON holds the filtered benchmarks", sorted(runs))
            tap.check(any(b.get("aggregate_name") == "median" for b in report["benchmarks"]),
                      "JSON keeps Google Benchmark's aggregates")
        except (OSError, ValueError, KeyError) as e:
            tap.check(False, "micro-glibc.json is Google Benchmark JSON", e)
        try:
            with open(os.path.join(out, "results.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
        except OSError as e:
            rows = []
            tap.check(False, "results.csv exists", e)
        tap.check(len(rows) == 2 * len(EXPECTED_ALLOCS), "one row per benchmark and repetition", len(rows))
        for name, allocs in sorted(EXPECTED_ALLOCS.items()):
            mine = [r for r in rows if r["workload"] == "micro:" + name]
            good = (len(mine) == 2 and {r["repetition"] for r in mine} == {"1", "2"} and
                    all(r["status"] == "ok" and r["backend"] == "glibc" and float(r["ops"]) > 0 and
                        float(r["ns_per_op"]) > 0 and abs(float(r["allocs_per_op"]) - allocs) < 1e-9 for r in mine))
            tap.check(good, "rows of %s: ok, ops > 0, allocs/op %d" % (name, allocs), mine)
        bad = subprocess.run([asbench, "micro", "--alloc", "nosuch", "-o", os.path.join(tmp, "bad")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tap.check(bad.returncode == 2 and "nosuch" in bad.stderr, "unknown backend: exit 2 naming it",
                  (bad.returncode, bad.stderr))
        bad = subprocess.run([asbench, "micro", "--reps", "0", "-o", os.path.join(tmp, "bad")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tap.check(bad.returncode == 2, "--reps 0: exit 2", (bad.returncode, bad.stderr))
    return tap.finish()


def go_sizeclasses():
    candidates = []
    go = shutil.which("go")
    if go:
        root = subprocess.run([go, "env", "GOROOT"], stdout=subprocess.PIPE, text=True).stdout.strip()
        candidates.append(os.path.join(root, "src/runtime/sizeclasses.go"))
    candidates += sorted(glob.glob("/usr/lib/go*/src/runtime/sizeclasses.go"))
    for path in candidates:
        if os.path.exists(path):
            return path
    return None


def check_sizes(exe):
    path = go_sizeclasses()
    if not path:
        print("1..0 # SKIP no Go source tree with runtime/sizeclasses.go")
        return 0
    with open(path) as f:
        m = re.search(r"class_to_size = \[_NumSizeClasses\]uint16\{([^}]*)\}", f.read())
    tap = Tap()
    if not m:
        tap.check(False, "class_to_size found in " + path)
        return tap.finish()
    go_sizes = [int(x) for x in m.group(1).split(",")]
    listed = subprocess.run([exe, "--benchmark_list_tests=true"], stdout=subprocess.PIPE, text=True).stdout.split()
    sizes = [int(n.split("/")[1]) for n in listed if n.startswith("malloc_free/")]
    # Class 0 (large) is represented by one size above the largest small class.
    tap.check(sizes[:-1] == go_sizes[1:], "malloc_free sizes are classes 1..%d of %s" % (len(go_sizes) - 1, path),
              (sizes, go_sizes))
    tap.check(len(sizes) == len(go_sizes) and sizes[-1] > go_sizes[-1],
              "one more size for the large class 0: %d benchmarks" % len(go_sizes), sizes[-1:])
    return tap.finish()


if __name__ == "__main__":
    mode, target = sys.argv[1:3]
    sys.exit(check_csv(target) if mode == "csv" else check_sizes(target))
