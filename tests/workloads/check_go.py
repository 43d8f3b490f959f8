#!/usr/bin/env python3
"""check_go.py — the Go heap as an allocator backend (`--alloc go`).

usage: check_go.py ASBENCH WORKLOADS TWINS

Runs every allocator workload in WORKLOADS under `--alloc go`, quick preset,
1 and 2 threads, and checks each row: the workloads in TWINS have a Go twin
and must be ok with ops > 0, allocs/op > 0, RSS figures and every native.*
key of the Go heap present and non-negative; the others must be
`unsupported` with a message that says why.  Then churn under the variants
go[GOGC=off] and go[GOGC=50]: the settings must reach the runtime (no
collection during the run with GOGC=off; more than with the default at 50).
Never a speed check.

Without the Go worker (golang-go missing at build time) every row must say
`unsupported` naming the missing worker, and the test exits 77 (skipped).
Prints TAP-style lines; the exit status is the verdict.
"""
import csv
import os
import subprocess
import sys
import tempfile

NATIVE_KEYS = ["heap_sys_bytes", "heap_inuse_bytes", "heap_idle_bytes", "heap_released_bytes",
               "heap_retained_bytes", "heap_objects_bytes", "heap_unused_bytes", "heap_free_bytes",
               "live_objects", "live_bytes", "end_heap_objects_bytes", "end_heap_unused_bytes",
               "gc_cycles", "gc_heap_goal_bytes", "gc_cpu_fraction", "gc_pause_p50_ns", "gc_pause_p99_ns",
               "gc_pause_max_ns", "tiny_allocs", "runtime_total_bytes"]


def run(asbench, alloc, workloads, threads, tmp, tag):
    out = os.path.join(tmp, tag)
    cmd = [asbench, "run", "--alloc", alloc, "--workload", workloads, "--threads", threads,
           "--preset", "quick", "--reps", "1", "--no-warmup", "--no-plot", "-o", out]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    path = os.path.join(out, "results.csv")
    if not os.path.exists(path):
        print("# %s wrote no results.csv (exit %d)\n# %s" % (" ".join(cmd), proc.returncode,
                                                              proc.stdout.replace("\n", "\n# ")))
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def extras(row):
    out = {}
    for item in row["extra"].split(";"):
        if "=" in item:
            k, v = item.split("=", 1)
            out[k] = float(v)
    return out


def check_row(row, twin):
    if not twin:
        if row["status"] != "unsupported" or "has no Go twin: " not in row["message"]:
            return "expected unsupported with a reason, got %s: %r" % (row["status"], row["message"])
        return None
    if row["status"] != "ok":
        return "status %s: %s" % (row["status"], row["message"])
    problems = []
    for col in ["ops", "allocs_per_op", "ns_per_op"]:
        if not float(row[col]) > 0:
            problems.append("%s=%s" % (col, row[col]))
    for col in ["bytes_per_op", "cpu_ns_per_op", "peak_rss_kb", "final_rss_kb"]:
        if row[col] == "NA" or float(row[col]) < 0:
            problems.append("%s=%s" % (col, row[col]))
    x = extras(row)
    for key in NATIVE_KEYS:
        v = x.get("native." + key)
        if v is None or v < 0:
            problems.append("native.%s %s" % (key, "missing" if v is None else v))
    if not any(k.startswith("native.allocs_by_size_") for k in x):
        problems.append("no native.allocs_by_size_* key")
    if x.get("native.heap_inuse_bytes", 0) != x.get("native.heap_objects_bytes", -1) + x.get(
            "native.heap_unused_bytes", -1):
        problems.append("heap_inuse_bytes is not objects + unused")
    return "; ".join(problems) or None


def main():
    asbench, workloads, twins = sys.argv[1], sys.argv[2].split(","), set(sys.argv[3].split(","))
    go_built = "go         found" in subprocess.run([asbench, "list", "backends"], stdout=subprocess.PIPE,
                                                   text=True).stdout
    checks = []
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(asbench, "go", ",".join(workloads), "1,2", tmp, "all")
        for name in workloads:
            for t in ["1", "2"]:
                cell = [r for r in rows if r["workload"] == name and r["threads"] == t]
                label = "go %s threads=%s" % (name, t)
                if len(cell) != 1:
                    checks.append((label, "expected 1 row, found %d" % len(cell)))
                elif not go_built:
                    r = cell[0]
                    bad = r["status"] != "unsupported" or "Go worker" not in r["message"]
                    checks.append((label, bad and "status %s: %r" % (r["status"], r["message"])))
                else:
                    checks.append((label, check_row(cell[0], name in twins)))
        if go_built:
            rows = run(asbench, "go,off=go[GOGC=off],g50=go[GOGC=50]", "churn", "1", tmp, "variants")
            cycles = {r["backend"]: extras(r).get("native.gc_cycles") for r in rows if r["status"] == "ok"}
            if len(cycles) != 3:
                checks.append(("GOGC variants ran", "rows: %r" % [(r["backend"], r["status"]) for r in rows]))
            else:
                checks.append(("GOGC=off: no collection during the run",
                               cycles["off"] != 0 and "gc_cycles %s" % cycles["off"]))
                checks.append(("GOGC=50 collects more often than the default",
                               not cycles["g50"] > cycles["go"] and "gc_cycles %s vs %s" % (cycles["g50"],
                                                                                            cycles["go"])))
    print("1..%d" % len(checks))
    for i, (label, problem) in enumerate(checks, 1):
        print("%s %d - %s%s" % ("not ok" if problem else "ok", i, label, " # " + problem if problem else ""))
    if any(p for _, p in checks):
        return 1
    return 0 if go_built else 77


if __name__ == "__main__":
    sys.exit(main())
