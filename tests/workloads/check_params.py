#!/usr/bin/env python3
"""check_params.py — churn's keep_live and malloc-large's linger_ms, in C
(gostyle) and in the Go twins (go), the parameters the go-fidelity recipe
measures fragmentation and scavenger release with.

usage: check_params.py ASBENCH

- churn keep_live=1: extra.live_bytes > 0, the same in gostyle and Go (the
  same random stream), and the kept blocks are in the heap after the run:
  native live bytes exceed those of keep_live=0 by at least live_bytes;
  keep_live=0 reports live_bytes 0.
- churn keep_live=2: refused (exit 2) with a message naming the parameter.
- malloc-large linger_ms=300: the linger keys present (no 1 s reading after
  300 ms); gostyle with scavenger=off returns nothing while it lingers, with
  scavenger=eager the buffers are already returned when it starts.
Rows of the go backend are checked only where the Go worker is built.
Never a speed check.  Prints TAP.
"""
import csv
import os
import subprocess
import sys
import tempfile


def run(asbench, tmp, tag, alloc, workload, params, env=None):
    out = os.path.join(tmp, tag)
    cmd = [asbench, "run", "--alloc", alloc, "--workload", workload, "--threads", "1", "--preset", "quick",
           "--reps", "1", "--no-warmup", "--no-plot", "-o", out]
    for p in params:
        cmd += ["--param", p]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=dict(os.environ, **(env or {})))
    path = os.path.join(out, "results.csv")
    rows = list(csv.DictReader(open(path, newline=""))) if os.path.exists(path) else []
    return proc, {r["backend"]: r for r in rows}


def extras(row):
    return {k: float(v) for k, v in (i.split("=", 1) for i in row["extra"].split(";") if "=" in i)}


def main():
    asbench = sys.argv[1]
    go_built = "go         found" in subprocess.run([asbench, "list", "backends"], stdout=subprocess.PIPE,
                                                   text=True).stdout
    backends = ["gostyle", "go"] if go_built else ["gostyle"]
    checks = []

    def check(label, problem):
        checks.append((label, problem))

    with tempfile.TemporaryDirectory() as tmp:
        churn = ["slots=5000", "iters=50000"]
        _, kept = run(asbench, tmp, "kept", ",".join(backends), "churn", churn + ["keep_live=1"])
        _, freed = run(asbench, tmp, "freed", ",".join(backends), "churn", churn + ["keep_live=0"])
        live = {}
        for b in backends:
            k, f = kept.get(b), freed.get(b)
            if not k or not f or k["status"] != "ok" or f["status"] != "ok":
                check("%s churn keep_live=1 and 0 ran" % b, "rows: %r %r" % (k and k["status"], f and f["status"]))
                continue
            xk, xf = extras(k), extras(f)
            live[b] = xk.get("extra.live_bytes", -1)
            check("%s churn keep_live=1: live_bytes within (0, slots x max]" % b,
                  not 0 < live[b] <= 5000 * 256 and "live_bytes %s" % live[b])
            check("%s churn keep_live=0: live_bytes 0" % b,
                  xf.get("extra.live_bytes") != 0 and "live_bytes %s" % xf.get("extra.live_bytes"))
            key = "native.live_bytes"
            grown = xk.get(key, 0) - xf.get(key, 0)
            check("%s churn keep_live=1: the kept blocks are in the heap after the run" % b,
                  not grown >= live[b] and "%s %s vs %s with keep_live=0, live_bytes %s" % (
                      key, xk.get(key), xf.get(key), live[b]))
        if len(live) == 2:
            check("churn keep_live=1: the same live set in C and Go",
                  live["gostyle"] != live["go"] and "%s vs %s" % (live["gostyle"], live["go"]))

        proc, rows = run(asbench, tmp, "bad", "gostyle", "churn", ["keep_live=2"])
        check("churn keep_live=2 refused with exit 2 naming keep_live",
              (proc.returncode != 2 or "keep_live" not in proc.stdout or rows) and
              "exit %d: %r" % (proc.returncode, proc.stdout[-200:]))

        linger = ["iterations=10", "linger_ms=300"]
        keys = ["linger_base_rss_kb", "linger_start_rss_kb", "linger_rss_100ms_kb", "linger_rss_end_kb",
                "returned_fraction"]
        _, rows = run(asbench, tmp, "linger", ",".join(backends), "malloc-large", linger)
        for b in backends:
            r = rows.get(b)
            if not r or r["status"] != "ok":
                check("%s malloc-large linger_ms=300 ran" % b, "row %r" % (r and (r["status"], r["message"])))
                continue
            x = extras(r)
            missing = [k for k in keys if "extra." + k not in x]
            check("%s malloc-large linger_ms=300: RSS readings reported, none at 1 s" % b,
                  (missing or "extra.linger_rss_1s_kb" in x) and "missing %s, keys %s" % (missing, sorted(x)))
        modes = {}
        for mode in ["off", "eager"]:
            _, rows = run(asbench, tmp, "scav-" + mode, "gostyle", "malloc-large", linger,
                          {"GOSTYLEDEBUG": "scavenger=" + mode})
            r = rows.get("gostyle")
            modes[mode] = extras(r) if r and r["status"] == "ok" else None
            if modes[mode] is None:
                check("gostyle scavenger=%s malloc-large linger ran" % mode, "row %r" % (r and r["message"]))
        if modes["off"]:
            x = modes["off"]
            check("scavenger=off: nothing returned while lingering",
                  not x["extra.returned_fraction"] < 0.1 and "returned_fraction %s" % x["extra.returned_fraction"])
        if modes["eager"]:
            x = modes["eager"]
            held = x["extra.linger_start_rss_kb"] - x["extra.linger_base_rss_kb"]
            check("scavenger=eager: the buffers are returned by the time the linger starts",
                  not held < 2 * 1024 and "start %s kB over base %s kB" % (x["extra.linger_start_rss_kb"],
                                                                       x["extra.linger_base_rss_kb"]))
    print("1..%d" % len(checks))
    for i, (label, problem) in enumerate(checks, 1):
        print("%s %d - %s%s" % ("not ok" if problem else "ok", i, label, " # " + problem if problem else ""))
    return 1 if any(p for _, p in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
