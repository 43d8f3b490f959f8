#!/bin/sh
# test_go_protocol.sh WORKER ASBENCH — the worker protocol of
# asbench-worker-go (harness/worker.c's, spoken by the Go twins): results on
# --result-fd as key=value lines, exit codes 0 ok / 2 usage, parameter
# overrides and the quick preset applied, unknown names rejected; then
# `asbench run --sched go` through the harness gives ok rows.
set -u
worker=$1
asbench=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# An ok run, results on fd 3, stdout left alone.
"$worker" --workload skynet --sched go --threads 2 --preset quick --param leaves=1000 --result-fd 3 \
    3>"$tmp/result" >"$tmp/stdout" || fail "skynet exited with $?"
for key in backend backend_version status elapsed_ns ops allocs bytes final_rss_kb; do
    grep -q "^$key=" "$tmp/result" || fail "no $key= line"
done
grep -qx 'status=ok' "$tmp/result" || fail "status is not ok"
grep -qx 'ops=1111' "$tmp/result" || fail "leaves=1000 was not applied (ops != 1111)"
[ -s "$tmp/stdout" ] && fail "results went to stdout with --result-fd 3"

# The quick preset comes from the C tables: skynet quick = 10000 leaves.
"$worker" --workload skynet --preset quick >"$tmp/quick" || fail "quick skynet failed"
grep -qx 'ops=11111' "$tmp/quick" || fail "quick preset default differs from the C table"

# Latency workloads report percentiles as extra.* lines.
"$worker" --workload timer-lateness --preset quick --threads 2 --param samples=5 >"$tmp/lat" || fail "timer-lateness failed"
grep -q '^extra.lateness_p99_ns=' "$tmp/lat" || fail "no extra.lateness_p99_ns"

# Usage errors exit 2.
"$worker" --workload no-such-workload >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown workload: exit not 2"
"$worker" --workload skynet --param nope=1 >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown parameter: exit not 2"
"$worker" --workload skynet --param leaves=abc >/dev/null 2>&1; [ $? -eq 2 ] || fail "malformed value: exit not 2"
"$worker" --workload skynet --param leaves=999 >"$tmp/bad" 2>/dev/null; [ $? -eq 2 ] || fail "leaves not a power: exit not 2"
grep -qx 'status=usage' "$tmp/bad" || fail "leaves not a power: status not usage"
# A C scheduler under the Go heap (--alloc go --sched gmp) is a cell the
# worker cannot run: unsupported (exit 4), so the matrix goes on.
"$worker" --workload skynet --sched gmp >"$tmp/gmp" 2>/dev/null; [ $? -eq 4 ] || fail "--sched gmp: exit not 4"
grep -qx 'status=unsupported' "$tmp/gmp" || fail "--sched gmp: status not unsupported"
# Through the harness: --sched go runs this worker and records ok rows.
"$asbench" run --alloc glibc --workload pingpong,fib --sched go --preset quick --reps 1 --no-warmup \
    --no-plot -o "$tmp/run" >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; fail "asbench run --sched go failed"; }
rows=$(grep -c '^[^,]*,go,' "$tmp/run/results.csv")
okrows=$(grep '^[^,]*,go,' "$tmp/run/results.csv" | grep -c ',ok,')
[ "$rows" -eq 2 ] && [ "$okrows" -eq 2 ] || { cat "$tmp/run/results.csv"; fail "expected 2 ok go rows, got $okrows of $rows"; }
echo "go worker protocol: ok"
