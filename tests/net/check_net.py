#!/usr/bin/env python3
"""check_net.py — the server workloads (workloads/net/, issue 17) on every
scheduler, quick preset, 1 and 2 threads, straight through the workers.

usage: check_net.py C_WORKER GO_WORKER|- SCHEDULER,...
       check_net.py --planted C_WORKER NETFAULT_LIB SCHEDULER,...
  go, gmp, globalq, wsdeque, threads   must give status ok: every echo and
      reply verified by the workload, no socket left open (the workload's
      own /proc/self/fd check), ops as the parameters say, and the latency
      ladder lat_p50_ns <= … <= lat_max_ns (idle-conns: rss_per_conn_bytes,
      open-loop: offered_rps and achieved_rps as well)
  openmp                               must be unsupported naming "net"
  any other                            ok as above, or unsupported naming "net"
  and a bad parameter is a usage error (exit 2) in both workers.
With --planted, echo runs under each scheduler with tests/net/netfault.c
preloaded: a corrupted echo and a leaked listening socket must each make the
row verify-failed, with a message naming the fault.
Prints TAP.  GO_WORKER "-" (no Go toolchain) leaves the go runs out.
"""
import os
import subprocess
import sys

WORKLOADS = ["echo", "rpc", "open-loop", "idle-conns"]
MUST_RUN = {"go", "gmp", "globalq", "wsdeque", "threads"}
MUST_REFUSE = {"openmp"}
# ops of the quick preset: conns × requests, requests, wakeups.
QUICK_OPS = {"echo": 4 * 300, "rpc": 4 * 200, "open-loop": 600, "idle-conns": 100}
LADDER = ["p50", "p75", "p90", "p99", "p999", "p9999", "max"]
TIMEOUT_S = 120


def run(worker, workload, sched, threads, extra=(), env=None):
    cmd = [worker, "--workload", workload, "--sched", sched, "--preset", "quick", "--threads", str(threads),
           *extra]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S,
                           env=env)
    except subprocess.TimeoutExpired:
        return None, {}, "timed out after %d s (a lost wake-up?)" % TIMEOUT_S
    values = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
    return p.returncode, values, p.stderr.strip()


def check_ok(workload, code, v):
    problems = []
    if code != 0 or v.get("status") != "ok":
        return ["exit %s status %s: %s" % (code, v.get("status"), v.get("message", ""))]
    if int(v.get("ops", 0)) != QUICK_OPS[workload]:
        problems.append("ops %s, expected %d" % (v.get("ops"), QUICK_OPS[workload]))
    try:
        ladder = [float(v["extra.lat_%s_ns" % q]) for q in LADDER]
        if any(a > b for a, b in zip(ladder, ladder[1:])) or ladder[0] <= 0:
            problems.append("latency ladder not increasing: %s" % ladder)
    except KeyError as e:
        problems.append("no %s" % e)
    wanted = {"idle-conns": ["rss_per_conn_bytes"], "open-loop": ["offered_rps", "achieved_rps"]}
    for key in wanted.get(workload, []):
        if not float(v.get("extra." + key, 0)) > 0:
            problems.append("extra.%s missing or not > 0" % key)
    if workload == "open-loop" and v.get("extra.offered_rps") and float(v["extra.offered_rps"]) != 2000:
        problems.append("offered_rps %s, the quick rate is 2000" % v["extra.offered_rps"])
    return problems


# fault -> what the verify-failed message must contain
PLANTED = {"corrupt": "echo", "leak": "left open"}


def planted(c_worker, lib, scheds):
    checks = []
    for sched in scheds:
        for fault, words in PLANTED.items():
            env = dict(os.environ, LD_PRELOAD=lib, ASB_NETFAULT=fault)
            code, v, err = run(c_worker, "echo", sched, 1, env=env)
            label = "echo %s with a planted %s is verify-failed" % (sched, fault)
            good = v.get("status") == "verify-failed" and words in v.get("message", "")
            checks.append((good, label, "exit %s status %s: %s %s" % (code, v.get("status"), v.get("message", ""),
                                                                      err[-300:] if err else "")))
    return checks


def report(checks):
    print("1..%d" % len(checks))
    for i, (good, label, detail) in enumerate(checks, 1):
        print("%s %d - %s%s" % ("ok" if good else "not ok", i, label, "" if good else " # " + detail))
    return 0 if all(good for good, _, _ in checks) else 1


def main():
    if sys.argv[1] == "--planted":
        return report(planted(sys.argv[2], sys.argv[3], sys.argv[4].split(",")))
    c_worker, go_worker, scheds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    checks = []
    for sched in scheds:
        worker = go_worker if sched == "go" else c_worker
        if worker == "-":
            continue
        refused_any = False
        for workload in WORKLOADS:
            for threads in (1, 2):
                label = "%s %s threads=%d" % (workload, sched, threads)
                code, v, err = run(worker, workload, sched, threads)
                refused = code == 4 and v.get("status") == "unsupported" and "net" in v.get("message", "")
                refused_any |= refused
                if code is None:
                    checks.append((False, label, err))
                elif sched in MUST_REFUSE:
                    checks.append((refused, label + " unsupported naming net",
                                   "exit %s status %s: %s" % (code, v.get("status"), v.get("message", ""))))
                elif refused and sched not in MUST_RUN:
                    checks.append((True, label + " # SKIP " + v["message"], ""))
                else:
                    problems = check_ok(workload, code, v)
                    checks.append((not problems, label, "; ".join(problems)))
        for workload, bad in [("echo", "conns=0"), ("open-loop", "rate=0"), ("idle-conns", "msg_size=4")]:
            if refused_any:
                continue  # the capability check comes before the parameters
            code, v, _ = run(worker, workload, sched, 1, ["--param", bad])
            checks.append((code == 2 and v.get("status") == "usage", "%s %s --param %s is a usage error" %
                           (workload, sched, bad), "exit %s status %s" % (code, v.get("status"))))
    return report(checks)


if __name__ == "__main__":
    sys.exit(main())
