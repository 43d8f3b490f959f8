#!/usr/bin/env python3
"""app_test.py — the `app` workload kind with real programs (suite 'app').

usage: app_test.py ASBENCH GROUP [ARGS…]; prints TAP.
  run APP…       each batch application under glibc and gostyle (quick, one
                 repetition): ok, the shim saw malloc served by libc.so.6 and
                 libgostyle.so, an op count; python3 says pymalloc, python3-malloc
                 not; an app whose package is absent is skipped, naming it
  serve LIBDIR   serve detection: a static binary (test-static) and a preloaded
                 library that defines no malloc are `unsupported: … does not use
                 the preloaded malloc`; a variant and a library given by path
                 are served by libgostyle.so
  verify OVERLAP output checks: an output that differs from glibc's
                 (test-differs) is verify-failed, exit 3; the faulty allocator
                 OVERLAP (hands out live blocks twice) never makes an app ok
                 (crashed, error, verify-failed or timeout)
  missing        a program whose package is absent: unsupported naming the package
  cli            app:a,b and app:all expand; `all` leaves the apps out; list
  report         with -o relative to the working directory, report.md's
                 Applications section: a row per app and backend with
                 wall, own-throughput and peak-RSS ratios to glibc and their
                 intervals, the library that served malloc, the two charts
"""
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

N = 0


def ok(cond, what, detail=""):
    global N
    N += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", N, what))
    if not cond:
        for line in str(detail).splitlines()[-30:]:
            print("# " + line)
        print("1..%d" % N)
        sys.exit(1)


def skip(what, why):
    global N
    N += 1
    print("ok %d - %s # SKIP %s" % (N, what, why))


def run(asbench, tmp, workloads, alloc, *extra):
    out = os.path.join(tmp, "r%d" % N)
    cmd = [asbench, "run", "--workload", workloads, "--alloc", alloc, "--preset", "quick", "--reps", "1",
           "--no-warmup", "--no-plot", "-o", out] + list(extra)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    path = os.path.join(out, "results.csv")
    rows = list(csv.DictReader(open(path))) if os.path.exists(path) else []
    return proc, rows


def extra(row):
    return dict(kv.split("=", 1) for kv in row["extra"].split(";") if "=" in kv)


def group_run(asbench, tmp, apps):
    proc, rows = run(asbench, tmp, ",".join("app:" + a for a in apps), "glibc,gostyle")
    ok(len(rows) == 2 * len(apps), "one row per app and backend (%d)" % (2 * len(apps)), proc.stdout)
    for row in rows:
        what = "%s under %s" % (row["workload"], row["backend"])
        if row["status"] == "unsupported" and "needs Debian package" in row["message"]:
            skip(what, row["message"])
            continue
        ok(row["status"] == "ok", what + ": ok", row["message"] + "\n" + proc.stdout)
        x = extra(row)
        lib = "libc.so.6" if row["backend"] == "glibc" else "libgostyle.so"
        ok(x.get("extra.app_malloc_lib") == lib and float(x.get("extra.app_mallocs", 0)) > 0,
           what + ": the shim saw malloc served by " + lib, row["extra"])
        ok(float(row["ops"]) > 0 and float(row["ns_per_op"]) > 0 and int(row["peak_rss_kb"]) > 0,
           what + ": ops, ns/op and peak RSS", row)
        if row["workload"].startswith("app:python3"):
            want = "0" if row["workload"] == "app:python3-malloc" else "1"
            ok(x.get("extra.app_pymalloc") == want, what + ": app_pymalloc=" + want, row["extra"])


def group_serve(asbench, tmp, libdir):
    proc, rows = run(asbench, tmp, "app:test-static", "glibc,gostyle")
    ok(len(rows) == 2 and all(r["status"] == "unsupported" and
                              "app:test-static does not use the preloaded malloc" in r["message"] for r in rows),
       "a static binary never loads the shim: unsupported, does not use the preloaded malloc", proc.stdout)
    ok(proc.returncode == 0, "unsupported is no failure (exit 0)", proc.stdout)
    proc, rows = run(asbench, tmp, "app:lua5.4", "glibc,zlib=/lib/x86_64-linux-gnu/libz.so.1")
    ok(len(rows) == 2 and rows[0]["status"] == "ok", "lua5.4 under glibc is ok", proc.stdout)
    ok(rows[1]["status"] == "unsupported" and "malloc came from" in rows[1]["message"] and
       "libc.so.6" in rows[1]["message"],
       "a preloaded library without malloc: unsupported, naming the library that served it", rows[1]["message"])
    gostyle = os.path.join(libdir, "gostyle", "libgostyle.so")
    proc, rows = run(asbench, tmp, "app:lua5.4",
                     "gsv=gostyle[GOSTYLEDEBUG=scavenger=off],gsp=" + gostyle)
    for row in rows:
        ok(row["status"] == "ok" and extra(row).get("extra.app_malloc_lib") == "libgostyle.so",
           "%s (%s): served by libgostyle.so" % (row["backend"], "variant" if row["backend"] == "gsv" else "path"),
           row["message"] + row["extra"] + proc.stdout)
    ok(len(rows) == 2, "a variant and a library by path each gave a row", proc.stdout)


def group_verify(asbench, tmp, overlap):
    proc, rows = run(asbench, tmp, "app:test-differs", "glibc,gostyle")
    ok(len(rows) == 2 and rows[0]["status"] == "ok", "the glibc run of test-differs is the reference", proc.stdout)
    ok(rows[1]["status"] == "verify-failed" and rows[1]["message"] == "app:test-differs output differs from glibc's",
       "an output unlike glibc's is verify-failed naming the app", rows[1]["message"])
    ok(proc.returncode == 3, "asbench run exits 3", proc.returncode)
    # A corrupted heap may loop instead of crashing: a timeout is a verdict too.
    proc, rows = run(asbench, tmp, "app:lua5.4,python3-malloc,sqlite3", "overlap=" + overlap, "--timeout", "15")
    for row in rows:
        ok(row["status"] != "ok" and row["status"] != "unsupported",
           "%s under the overlapping allocator: %s, never ok" % (row["workload"], row["status"]), row)
    ok(len(rows) == 3 and proc.returncode == 3, "three rows, exit 3", proc.stdout)


def group_missing(asbench, tmp):
    proc, rows = run(asbench, tmp, "app:test-missing", "glibc,gostyle")
    ok(len(rows) == 2 and all(r["status"] == "unsupported" and
                              "app:test-missing needs Debian package asbench-no-such-package" in r["message"]
                              for r in rows), "unsupported: needs Debian package (named)", proc.stdout)
    ok(proc.returncode == 0, "exit 0", proc.stdout)


def group_cli(asbench, tmp):
    def cells(workloads):
        proc = subprocess.run([asbench, "run", "--workload", workloads, "--alloc", "glibc", "--dry-run"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return proc, [line.split()[0] for line in proc.stdout.splitlines() if " t=" in line]
    proc, names = cells("app:sqlite3,lua5.4")
    ok(names == ["app:sqlite3", "app:lua5.4"], "app:sqlite3,lua5.4 is two applications", proc.stdout)
    proc, names = cells("app:all")
    ok("app:git" in names and "app:xz" in names and not any("test-" in n for n in names),
       "app:all has every application and no test one", proc.stdout)
    proc, names = cells("all")
    ok(names and not any(n.startswith("app:") for n in names), "workload=all leaves the applications out",
       proc.stdout)
    proc, names = cells("app:nosuch")
    ok(proc.returncode == 2 and "unknown workload 'app:nosuch'" in proc.stdout, "an unknown app exits 2", proc.stdout)
    listing = subprocess.run([asbench, "list", "workloads"], stdout=subprocess.PIPE, text=True).stdout
    ok("app:sqlite3" in listing and "package sqlite3" in listing and "test-static" not in listing,
       "asbench list shows the applications with their packages", listing)


def group_report(asbench, tmp):
    # -o relative to the working directory, as tools/bootstrap bench gives it.
    out = os.path.join(tmp, "results", "report")
    os.mkdir(os.path.join(tmp, "results"))
    proc = subprocess.run([os.path.abspath(asbench), "run", "--workload", "app:sqlite3,lua5.4,redis", "--alloc",
                           "glibc,gostyle", "--preset", "quick", "--reps", "3", "--no-warmup", "-o", "results/report"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp)
    ok(proc.returncode == 0, "run three apps under two backends, 3 repetitions, -o relative, with charts", proc.stdout)
    report = open(os.path.join(out, "report.md")).read()
    section = report.split("## Applications", 1)[-1].split("\n## ", 1)[0]
    ok("## Applications" in report, "report.md has an Applications section", report[-3000:])
    rows = [line for line in section.splitlines() if line.startswith("| sqlite3 ") or line.startswith("| lua5.4 ")]
    ok(len(rows) == 4 and section.count("| redis | ") == 2, "one table row per application and backend", section)
    base = [r for r in rows if "| glibc |" in r]
    ok(len(base) == 2 and all(r.count("1 (baseline)") == 3 and "libc.so.6" in r for r in base),
       "the baseline's rows: wall, own throughput and peak RSS ratios 1, served by libc", section)
    other = [r for r in rows if "| gostyle |" in r]
    ratio = re.compile(r"\| [0-9.e+-]+ \[[0-9.e+-]+, [0-9.e+-]+\]( =)? ")
    ok(len(other) == 2 and all(len(ratio.findall(r)) == 3 and "libgostyle.so" in r for r in other),
       "gostyle's rows: three ratios with their intervals, served by libgostyle.so", section)
    if shutil.which("gnuplot"):
        ok(all(os.path.getsize(os.path.join(out, "plots", n + ".png")) > 0 and "plots/%s.png" % n in section
               for n in ("apps-time", "apps-throughput")), "the two application charts, embedded", section)
    else:
        skip("the two application charts", "gnuplot not installed")


def main():
    asbench, group = sys.argv[1:3]
    with tempfile.TemporaryDirectory() as tmp:
        if group == "run":
            group_run(asbench, tmp, sys.argv[3:])
        elif group == "serve":
            group_serve(asbench, tmp, sys.argv[3])
        elif group == "verify":
            group_verify(asbench, tmp, sys.argv[3])
        elif group == "missing":
            group_missing(asbench, tmp)
        elif group == "cli":
            group_cli(asbench, tmp)
        elif group == "report":
            group_report(asbench, tmp)
        else:
            sys.exit("unknown group " + group)
    print("1..%d" % N)


if __name__ == "__main__":
    main()
