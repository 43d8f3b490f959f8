#!/bin/sh
# report_net_test.sh ASBENCH — report.md's "Server workloads" section:
# echo and open-loop at two offered rates under threads (and go, when the
# Go worker is built) through `asbench run`, then the table rows, a CCDF
# chart per comparison group and per open-loop series, the ladder files
# they are drawn from, and the latency-vs-load chart (with gnuplot).
set -u
asbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$asbench" run --alloc glibc --workload echo,open-loop --sched threads --param rate=500,1000 \
    --preset quick --reps 1 --no-warmup -o "$tmp/run" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "asbench run failed"; }
report=$tmp/run/report.md
grep -q '^## Server workloads' "$report" || fail "no Server workloads section"
grep -q '^| echo | threads | glibc | 1 | `conns=' "$report" || fail "no echo row in the table"
[ "$(grep -c '^| open-loop | threads | glibc | 1 | `conns=' "$report")" -eq 2 ] || fail "expected one open-loop row per rate"
# The open-loop CCDF's ladder files: one per rate, fractions from 0.5 down.
ls "$tmp/run/latency/"net-ccdf-*-open-loop-500rps.csv >/dev/null 2>&1 || fail "no ladder file for 500 req/s"
f=$(ls "$tmp/run/latency/"net-ccdf-*-open-loop-1000rps.csv | head -1)
head -1 "$f" | grep -qx 'ns,fraction_above' || fail "$f: bad header"
sed -n 2p "$f" | grep -q ',0.5$' || fail "$f: the ladder does not start at p50"
if command -v gnuplot >/dev/null; then
    grep -q 'request latency CCDF' "$report" || fail "no echo CCDF chart"
    grep -q 'latency CCDF per offered rate' "$report" || fail "no open-loop CCDF chart"
    grep -q 'p99 latency against offered load' "$report" || fail "no latency-vs-load chart"
    ls "$tmp/run/plots/"net-load-*.png >/dev/null 2>&1 || fail "latency-vs-load PNG not drawn"
fi
# No server workload, no section.
"$asbench" run --alloc glibc --workload churn --preset quick --reps 1 --no-warmup -o "$tmp/alloc" >/dev/null 2>&1 ||
    fail "asbench run churn failed"
grep -q '^## Server workloads' "$tmp/alloc/report.md" && fail "Server workloads section without server rows"
echo "report net section: ok"
