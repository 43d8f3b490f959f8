#!/usr/bin/env python3
"""trace_test.py — tests of the trace recorder, format and replay (suite 'trace').

  roundtrip ASBENCH PROG WORKDIR  record trace_prog (full and baseline): the
      difference of `asbench trace stats` must be exactly the program's known
      mix; the replay under every backend must perform exactly the trace's ops,
      allocations and ideal peak live bytes.
  threads ASBENCH WORKER WORKDIR  record multi-threaded workloads with remote
      frees (xmalloc-test, mstress) run by the glibc worker: the traces must be
      consistent histories with cross-thread frees, and replay exactly.
  badinput ASBENCH WORKDIR        truncated, corrupted, wrong-version files exit
      with status 2 and name the byte offset of the fault.
  dump ASBENCH WORKDIR            `trace dump` and `trace stats` of a known
      two-thread trace print exactly the expected text.
  verify ASBENCH SHIM WORKDIR      a replay under an allocator that hands out
      one block twice (tests/trace/dup_alloc.c) ends verify-failed.
  corpus DIR                      write the fuzz seed corpus (tests/fuzz/trace/corpus).

Traces are built here with an encoder that follows docs/trace-format.md.
"""
import csv
import gzip
import os
import re
import shutil
import struct
import subprocess
import sys

TYPES = {"malloc": 1, "calloc": 2, "realloc": 3, "free": 4, "posix_memalign": 5,
         "aligned_alloc": 6, "memalign": 7, "valloc": 8, "pvalloc": 9}


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def header(threads, ops, early=0, unseen=0, failed=0, version=1, magic=b"ASBTRACE"):
    return struct.pack("<8sIIQQQQ", magic, version, threads, ops, early, unseen, failed)


def record(op, seq, prev, *args):
    """One record; prev is the chunk's previous seq or -1.  args as in the dump:
    malloc SIZE, calloc N SIZE, free BLOCK, realloc BLOCK|None SIZE, aligned ALIGN SIZE."""
    out = bytes([TYPES[op]]) + varint(seq - prev - 1)
    if op == "malloc":
        return out + varint(args[0])
    if op == "calloc":
        return out + varint(args[0]) + varint(args[1])
    if op == "free":
        return out + varint(seq - args[0] - 1)
    if op == "realloc":
        return out + varint(0 if args[0] is None else seq - args[0]) + varint(args[1])
    return out + bytes([args[0].bit_length() - 1]) + varint(args[1])


def chunk_parts(thread, ops):
    """(chunk header, payload) of ops: a list of (seq, op, args...) of one thread, in order."""
    prev, recs = -1, []
    for seq, op, *args in ops:
        recs.append(record(op, seq, prev, *args))
        prev = seq
    payload = b"".join(recs)
    return varint(thread) + varint(len(recs)) + varint(len(payload)), payload


def chunk(thread, ops):
    return b"".join(chunk_parts(thread, ops))


# A two-thread trace with cross-thread frees, in four chunks.
SAMPLE_CHUNKS = [
    (0, [(0, "malloc", 24), (1, "calloc", 4, 8), (3, "realloc", 1, 64)]),
    (1, [(2, "posix_memalign", 64, 100), (4, "free", 0)]),
    (0, [(5, "realloc", None, 10), (6, "free", 2)]),
    (1, [(7, "malloc", 0)]),
]
SAMPLE_DUMP = """\
# asbench trace version 1: 2 threads, 8 ops; not recorded: 1 early ops, 2 frees of unseen blocks, 0 failed allocations
0 t0 malloc 24
1 t0 calloc 4 8
2 t1 posix_memalign 64 100
3 t0 realloc #1 64
4 t1 free #0 cross-thread
5 t0 realloc NULL 10
6 t0 free #2 cross-thread
7 t1 malloc 0
"""
SAMPLE_PEAK = 188  # after op 3: 24 + 100 + 64


def sample_body():
    return b"".join(chunk(t, ops) for t, ops in SAMPLE_CHUNKS)


def sample_trace():
    return header(2, 8, early=1, unseen=2) + sample_body()


def first_record_offset():
    """Byte offset of the first record of the sample (after header and chunk header)."""
    return 48 + len(chunk_parts(*SAMPLE_CHUNKS[0])[0])


def bad_inputs():
    """(name, bytes, expected message fragment, expected byte offset)."""
    good = sample_trace()
    body = sample_body()
    rec0 = first_record_offset()
    corrupt_type = bytearray(good)
    corrupt_type[rec0] = 0xEE
    double_free = header(1, 3) + chunk(0, [(0, "malloc", 8), (1, "free", 0), (2, "free", 0)])
    wrong_thread = header(1, 8) + body
    return [
        ("empty", b"", "truncated header", 0),
        ("short-header", good[:20], "truncated header", 20),
        ("bad-magic", b"XSBTRACE" + good[8:], "bad magic", 0),
        ("wrong-version", good[:8] + struct.pack("<I", 2) + good[12:], "unsupported trace version 2", 8),
        ("unfinished", header(2, 2**64 - 1) + body, "unfinished trace", 16),
        ("truncated-chunk", good[:len(good) - 3], "truncated chunk", 48 + len(body) - len(chunk(*SAMPLE_CHUNKS[-1]))),
        ("bad-op-type", bytes(corrupt_type), "unknown op type 238", rec0),
        ("double-free", double_free, "not live", len(double_free) - 3),  # the last record: 3 bytes
        ("thread-out-of-range", wrong_thread, "header names 1 threads",
         48 + len(chunk(*SAMPLE_CHUNKS[0]))),
        ("too-many-ops", header(2, 9) + body, "header says 9 ops", 16),
    ]


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def parse_stats(text):
    stats = {}
    for line in text.splitlines():
        m = re.match(r"\s*([a-z0-9_ ()-]+): (\d+)$", line)
        if m:
            stats[m.group(1)] = int(m.group(2))
    return stats


def stats_of(asbench, path):
    r = run([asbench, "trace", "stats", path])
    if r.returncode != 0:
        fail("trace stats %s: status %d: %s" % (path, r.returncode, r.stderr))
    return parse_stats(r.stdout)


def harness_rows(asbench, workdir, name, file_param, cwd=None):
    """Rows of `asbench run --alloc all` replaying file_param once per backend."""
    out = os.path.join(workdir, name)
    shutil.rmtree(out, ignore_errors=True)
    r = run([asbench, "run", "--alloc", "all", "--workload", "trace", "--param", "file=" + file_param,
             "--param", "max_ops=0", "--reps", "1", "--no-warmup", "--no-plot", "-o", out], cwd=cwd)
    if r.returncode != 0:
        fail("asbench run (%s): status %d\n%s%s" % (file_param, r.returncode, r.stdout, r.stderr))
    with open(os.path.join(out, "results.csv")) as f:
        return list(csv.DictReader(f))


def worker_result(worker, file_param, cwd=None):
    """key=value lines of one worker run (exact counts, unlike the CSV's per-op ratios)."""
    r = run([worker, "--workload", "trace", "--param", "file=" + file_param, "--param", "max_ops=0"], cwd=cwd)
    return r.returncode, dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line), r.stderr


def check_replay(asbench, workdir, name, trace_path, stats, cwd=None):
    """The replay performs exactly the trace's ops, allocations and ideal peak,
    under every backend: through `asbench run` (status, ops, ideal peak) and by
    each worker directly (allocations exactly)."""
    want = (stats["ops"], stats["allocations"], stats["peak live bytes"])
    rows = harness_rows(asbench, workdir, name, trace_path, cwd)
    if not rows:
        fail("no replay rows for " + trace_path)
    for row in rows:
        who = "%s replay of %s" % (row["backend"], trace_path)
        if row["status"] != "ok":
            fail("%s: status %s: %s" % (who, row["status"], row["message"]))
        extra = dict(kv.split("=", 1) for kv in row["extra"].split(";") if kv)
        got = (int(row["ops"]), int(float(extra.get("extra.ideal_peak_bytes", "-1"))))
        if got != (want[0], want[2]):
            fail("%s: ops, ideal peak %s; trace stats say %s" % (who, got, (want[0], want[2])))
        worker = os.path.join(os.path.dirname(asbench), "asbench-worker-" + row["backend"])
        rc, res, err = worker_result(worker, trace_path, cwd)
        got = tuple(int(float(res.get(k, "-1"))) for k in ("ops", "allocs", "extra.ideal_peak_bytes"))
        if rc != 0 or got != want:
            fail("%s (worker run directly): status %d, ops/allocs/ideal peak %s; trace stats say %s\n%s" %
                 (who, rc, got, want, err))
    print("ok: replay of %s under %s: %d ops, %d allocations, ideal peak %d B" %
          (trace_path, ",".join(r["backend"] for r in rows), *want))


COUNT_KEYS = list(TYPES) + ["ops", "allocations", "cross-thread frees", "peak live bytes"]


def descendants(asbench, prog, workdir, base, full):
    """A forked child is not recorded; an exec'd child records into FILE.<pid>."""
    d = os.path.join(workdir, "descendants")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    path = os.path.join(d, "parent.trace")
    r = run([asbench, "record", "-o", path, "--", prog, "descendants"])
    if r.returncode != 0:
        fail("record descendants: status %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
    parent = stats_of(asbench, path)
    children = [f for f in os.listdir(d) if re.fullmatch(r"parent\.trace\.\d+", f)]
    if len(children) != 1:
        fail("expected one FILE.<pid> trace (the exec'd child), found %s" % children)
    child = stats_of(asbench, os.path.join(d, children[0]))
    for key in COUNT_KEYS[:-1]:
        if parent[key] != base[key]:
            fail("parent of a fork: %s %d, baseline %d (the forked child's ops leaked in?)" %
                 (key, parent[key], base[key]))
        if child[key] != full[key]:
            fail("exec'd child trace %s: %s %d, the same program recorded directly %d" %
                 (children[0], key, child[key], full[key]))
    print("ok: forked child not recorded; exec'd child recorded into %s" % children[0])


def roundtrip(asbench, prog, workdir):
    os.makedirs(workdir, exist_ok=True)
    traces, known = {}, None
    for mode in ("baseline", "full"):
        path = os.path.join(workdir, "prog-%s.trace" % mode)
        r = run([asbench, "record", "-o", path, "--", prog, mode])
        if r.returncode != 0:
            fail("record %s: status %d\n%s%s" % (mode, r.returncode, r.stdout, r.stderr))
        if mode == "full":
            m = re.search(r"^(malloc=.*)$", r.stdout, re.M)
            if not m:
                fail("trace_prog printed no counts:\n" + r.stdout)
            known = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
        traces[mode] = stats_of(asbench, path)
    full, base = traces["full"], traces["baseline"]
    for key, want in known.items():
        stat = key.replace("_frees", " frees").replace("cross_thread", "cross-thread")
        got = full[stat] - base[stat]
        if got != want:
            fail("%s: trace has %d more than the baseline, the program made %d" % (stat, got, want))
    want_ops = sum(v for k, v in known.items() if k != "cross_thread_frees")
    if full["ops"] - base["ops"] != want_ops:
        fail("ops: trace has %d more than the baseline, the program made %d" % (full["ops"] - base["ops"], want_ops))
    if full["failed allocations"] != 0:
        fail("failed allocations recorded: %d" % full["failed allocations"])
    print("ok: recorded counts = known mix %s" % known)

    check_replay(asbench, workdir, "replay-prog", os.path.join(workdir, "prog-full.trace"), full)
    descendants(asbench, prog, workdir, base, full)
    sample = os.path.join(workdir, "sample.trace")
    with open(sample, "wb") as f:
        f.write(sample_trace())
    sample_stats = stats_of(asbench, sample)
    if sample_stats["peak live bytes"] != SAMPLE_PEAK:
        fail("sample peak %d, expected %d" % (sample_stats["peak live bytes"], SAMPLE_PEAK))
    # A relative file= resolves against the current directory, then against
    # the shipped traces (workloads/trace/traces).
    check_replay(asbench, workdir, "replay-sample", "sample.trace", sample_stats, cwd=workdir)
    shipped = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../workloads/trace/traces/xz-t2.trace.gz")
    check_replay(asbench, workdir, "replay-shipped", "xz-t2.trace.gz", stats_of(asbench, shipped), cwd=workdir)


def threads(asbench, worker, workdir):
    os.makedirs(workdir, exist_ok=True)
    for workload in ("xmalloc-test", "mstress"):
        path = os.path.join(workdir, workload + ".trace")
        r = run([asbench, "record", "-o", path, "--", worker, "--workload", workload, "--preset", "quick",
                 "--threads", "2"])
        if r.returncode != 0:
            fail("record %s: status %d\n%s%s" % (workload, r.returncode, r.stdout, r.stderr))
        s = stats_of(asbench, path)  # the loader checks the history is consistent
        if s["threads"] < 2 or s["cross-thread frees"] == 0:
            fail("%s: %d threads, %d cross-thread frees: expected a multi-threaded trace with remote frees" %
                 (workload, s["threads"], s["cross-thread frees"]))
        check_replay(asbench, workdir, "replay-" + workload, path, s)


def badinput(asbench, workdir):
    os.makedirs(workdir, exist_ok=True)
    for name, data, fragment, offset in bad_inputs():
        path = os.path.join(workdir, name + ".trace")
        with open(path, "wb") as f:
            f.write(data)
        for cmd in ("stats", "dump"):
            r = run([asbench, "trace", cmd, path])
            want = "at byte %d" % offset
            if r.returncode != 2 or fragment not in r.stderr or want not in r.stderr or path not in r.stderr:
                fail("trace %s %s: status %d, stderr %r; expected status 2 and %r ... %r" %
                     (cmd, name, r.returncode, r.stderr, fragment, want))
        print("ok: %s -> %s" % (name, r.stderr.strip()))
    truncated_gz = os.path.join(workdir, "truncated.trace.gz")
    with open(truncated_gz, "wb") as f:
        f.write(gzip.compress(sample_trace())[:-12])
    r = run([asbench, "trace", "stats", truncated_gz])
    if r.returncode != 2 or "broken gzip data" not in r.stderr or "at uncompressed byte" not in r.stderr:
        fail("truncated gzip: status %d, %r" % (r.returncode, r.stderr))
    print("ok: truncated gzip -> " + r.stderr.strip())
    r = run([asbench, "trace", "stats", os.path.join(workdir, "no-such.trace")])
    if r.returncode != 2 or "No such file" not in r.stderr:
        fail("missing file: status %d, %r" % (r.returncode, r.stderr))


def dump(asbench, workdir):
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "sample.trace")
    with open(path, "wb") as f:
        f.write(sample_trace())
    r = run([asbench, "trace", "dump", path])
    if r.returncode != 0 or r.stdout != SAMPLE_DUMP:
        fail("dump: status %d\n--- got\n%s--- expected\n%s" % (r.returncode, r.stdout, SAMPLE_DUMP))
    s = stats_of(asbench, path)
    want = {"threads": 2, "ops": 8, "malloc": 2, "calloc": 1, "realloc": 2, "free": 2, "posix_memalign": 1,
            "allocations": 6, "allocated bytes": 24 + 32 + 100 + 64 + 10, "cross-thread frees": 2,
            "peak live bytes": SAMPLE_PEAK, "peak after op": 3, "early ops (not recorded)": 1,
            "frees of unseen blocks": 2, "thread 0 ops": 5, "thread 1 ops": 3}
    for k, v in want.items():
        if s.get(k) != v:
            fail("stats %s: got %s, expected %d" % (k, s.get(k), v))
    # gzip-compressed traces read the same.
    with gzip.open(path + ".gz", "wb") as f:
        f.write(sample_trace())
    r = run([asbench, "trace", "dump", path + ".gz"])
    if r.returncode != 0 or r.stdout != SAMPLE_DUMP:
        fail("dump of the gzip trace differs (status %d)" % r.returncode)
    print("ok: dump and stats of the sample trace")


def verify(asbench, shim, workdir):
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, "run")
    shutil.rmtree(out, ignore_errors=True)
    r = run([asbench, "run", "--alloc", "dup=" + shim, "--workload", "trace", "--param", "file=python-json.trace.gz",
             "--param", "max_ops=50000", "--reps", "1", "--no-warmup", "--no-plot", "-o", out],
            env=dict(os.environ, ASB_DUP_AT="2000"))
    with open(os.path.join(out, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    if len(rows) != 1 or rows[0]["status"] != "verify-failed" or "overwritten" not in rows[0]["message"]:
        fail("replay under a double-allocating shim: %s (asbench status %d)" %
             ([(x["status"], x["message"]) for x in rows], r.returncode))
    print("ok: double allocation caught: " + rows[0]["message"])


def corpus(directory):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "sample.trace"), "wb") as f:
        f.write(sample_trace())
    for name, data, _, _ in bad_inputs():
        with open(os.path.join(directory, name + ".trace"), "wb") as f:
            f.write(data)


def main():
    cmd = sys.argv[1]
    args = [os.path.abspath(a) for a in sys.argv[2:]]  # some runs change directory
    if cmd == "roundtrip":
        roundtrip(*args)
    elif cmd == "threads":
        threads(*args)
    elif cmd == "badinput":
        badinput(*args)
    elif cmd == "dump":
        dump(*args)
    elif cmd == "verify":
        verify(*args)
    elif cmd == "corpus":
        corpus(*args)
    else:
        fail("unknown test " + cmd)


if __name__ == "__main__":
    main()
