#!/bin/sh
# latency_test.sh — `asbench run --latency` (malloc/free latency sampling,
# workloads/alloc/latency.c): sampled rows carry the quantile keys and
# unsampled ones do not, in cells of their own, run by the plain worker (no
# wrapper) and its -latency twin; a planted slow malloc
# (allocators/faulty/delay.c: every N-th malloc stalls) shows up at the
# percentile 1/N predicts; sched workloads and bad periods are refused;
# the report's "Latency tails" section and histogram files.
#   latency_test.sh ASBENCH DELAY_LIB [sanitized]
set -u
A=$1
DELAY=$2
SANITIZED=${3:-}
W=$(dirname "$A")/asbench-worker-glibc
TAP_NAME=latency
. "$(dirname "$0")/tap.sh"

# extra KEY REGEX: the values of extra.KEY in the rows of $R whose params
# match REGEX (!REGEX: do not match).
extra() {
    awk -F, -v p="$(col "$R" params)" -v e="$(col "$R" extra)" -v want="$2" -v key="extra.$1=" '
        NR > 1 && (substr(want, 1, 1) == "!" ? $p !~ substr(want, 2) : $p ~ want) { n = split($e, kv, ";"); for (i = 1; i <= n; i++) if (index(kv[i], key) == 1) print substr(kv[i], length(key) + 1) }' \
        "$R"
}

expect 0 "sampled and unsampled cells in one run" "$A" run --alloc glibc --workload churn,trace --preset quick \
    --param latency=0,64 --reps 1 --no-plot -o "$T/a"
R=$T/a/results.csv
[ "$(tail -n +2 "$T/a/results.csv" | wc -l)" -eq 4 ] || fail "expected 2 workloads x 2 latency settings"
[ "$(field "$T/a/results.csv" params | grep -c ' latency=64$')" -eq 2 ] || fail "sampled params: $(field "$T/a/results.csv" params)"
[ "$(field "$T/a/results.csv" params | grep -c 'latency')" -eq 2 ] || fail "an unsampled cell's params name latency"
pass "sampled cells' params end in latency=N, unsampled ones' do not (compare keeps them apart)"
for k in latency_sampled latency_period latency_clock_ns malloc_samples malloc_p50_ns malloc_p99_ns malloc_p999_ns \
    malloc_max_ns free_samples free_p50_ns free_p99_ns free_p999_ns free_max_ns; do
    [ "$(extra $k 'latency=64' | wc -l)" -eq 2 ] || fail "a sampled row lacks extra.$k"
    [ -z "$(extra $k '!latency=')" ] || fail "an unsampled row has extra.$k"
done
pass "every sampled row has the latency keys, no unsampled row has any"
[ "$(extra latency_sampled 'latency=64' | sort -u)" = 1 ] && [ "$(extra latency_period 'latency=64' | sort -u)" = 64 ] ||
    fail "latency_sampled/latency_period"
for s in $(extra malloc_samples 'latency=64') $(extra free_samples 'latency=64'); do
    [ "$s" -gt 100 ] || fail "only $s samples"
done
pass "each sampled row counts its samples"
for f in "$T"/a/latency/churn-*-r1.csv "$T"/a/latency/trace-*-r1.csv; do
    [ -f "$f" ] && [ "$(head -1 "$f")" = "op,lower_ns,upper_ns,count" ] || fail "histogram file $f"
done
[ "$(ls "$T/a/latency" | wc -l)" -eq 2 ] || fail "histogram files of unsampled runs: $(ls "$T/a/latency")"
pass "a sampled run's histogram is kept as latency/NAME-rREP.csv beside its timeline"
# The histogram's counts are the samples the row reports.
f=$(ls "$T"/a/latency/churn-*-r1.csv)
[ "$(awk -F, '$1 == "malloc" { s += $4 } END { print s }' "$f")" = "$(extra malloc_samples '^min=.*latency=64$')" ] ||
    fail "histogram counts differ from malloc_samples"
pass "the histogram file holds every sample"

# A planted stall: every 200th malloc 200 us (0.5% of calls): above p99.9,
# not at p99; every 50th (2%): at p99, never at p50.
stall() {
    expect 0 "churn with every $1-th malloc stalled" "$A" run \
        --alloc "s=glibc[LD_PRELOAD=$DELAY;ASB_DELAY_EVERY=$1;ASB_DELAY_STALL_NS=200000]" --workload churn \
        --param iters=100000 --param latency=4 --reps 1 --no-warmup --no-plot -o "$T/s$1"
    R=$T/s$1/results.csv
}
if [ -n "$SANITIZED" ]; then
    skip "planted stall" "a sanitizer's runtime must be the first library; the delay library cannot be preloaded"
else
    stall 200
    p50=$(extra malloc_p50_ns .) p99=$(extra malloc_p99_ns .) p999=$(extra malloc_p999_ns .)
    [ "$p999" -ge 200000 ] && [ "$p99" -lt 200000 ] && [ "$p50" -lt 200000 ] ||
        fail "every 200th stalled: p50 $p50 p99 $p99 p99.9 $p999 ns"
    pass "every 200th malloc stalled 200 us: p99.9 $p999 ns >= stall, p99 $p99 ns below"
    stall 50
    p50=$(extra malloc_p50_ns .) p99=$(extra malloc_p99_ns .)
    [ "$p99" -ge 200000 ] && [ "$p50" -lt 200000 ] || fail "every 50th stalled: p50 $p50 p99 $p99 ns"
    pass "every 50th malloc stalled 200 us: p99 $p99 ns >= stall, p50 $p50 ns below"

fi

expect 0 "merge" "$A" merge "$T/merged" "$T/a" --no-plot
[ "$(ls "$T/merged/latency")" = "$(ls "$T/a/latency")" ] || fail "merge lost histogram files: $(ls "$T/merged/latency")"
pass "merge keeps the histogram files"
expect 0 "the report" "$A" plot "$T/a"
grep -q '^## Latency tails' "$T/a/report.md" || fail "report.md has no Latency tails section"
grep -q '^| churn | glibc | 1 |.*latency=64' "$T/a/report.md" && grep -q '^| trace | glibc | 1 |' "$T/a/report.md" ||
    fail "the section lacks a sampled cell"
[ "$(grep -c '^| churn | glibc | 1 |' "$T/a/report.md")" -eq 1 ] || fail "the section shows an unsampled cell"
pass "report.md has a Latency tails section with the sampled cells' quantiles only"
if command -v gnuplot >/dev/null; then
    for chart in latency-1-churn-malloc latency-1-churn-free latency-2-trace-malloc latency-2-trace-free; do
        [ -s "$T/a/plots/$chart.png" ] && [ -s "$T/a/plots/$chart.svg" ] || fail "no chart $chart: $(ls "$T/a/plots")"
    done
    pass "CCDF charts of malloc and free per workload"
else
    skip "CCDF charts" "gnuplot is missing"
fi

# Refused: a sched workload (harness and worker), a bad period, --latency with --matrix.
expect 2 "--latency on a sched workload" "$A" run --workload skynet --sched threads --latency --no-plot -o "$T/s"
err_has "covers the allocator and trace workloads"
[ ! -e "$T/s" ] || fail "a refused run created its folder"
expect 2 "worker --latency on a sched workload" "$W-latency" --workload skynet --sched threads --latency 64
err_has "covers the allocator and trace workloads"
expect 2 "--latency to a worker without the wrapper" "$W" --workload churn --latency 64
err_has "no sampling wrapper"
expect 0 "its twin samples" "$W-latency" --workload churn --preset quick --latency 64
out_has "extra.malloc_p99_ns="
expect 2 "latency=-1" "$A" run --workload churn --param latency=-1 --no-plot -o "$T/b"
err_has "latency=-1: need an integer in 0..1000000"
expect 2 "--latency with --matrix" "$A" run --matrix quick --latency -o "$T/m"
err_has "cannot be combined"
echo "1..$n"
