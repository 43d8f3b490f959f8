#!/bin/sh
# calibrate_test.sh — run length calibration, adaptive repetitions and the
# exit status of `asbench run` (issue 15), on the `sleep` test workload,
# whose timed region is exactly its `ms` parameter (a known cost).
#   calibrate_test.sh ASBENCH
set -u
A=$1
TAP_NAME=calibrate
. "$(dirname "$0")/tap.sh"

# 20 ms of work, at least 0.08 s wanted: 0.08 x 1.05 / 0.02 x 20 = 84 ms,
# rounded up to the next step, 100 ms (any oversleep from 20 to 24 ms gives
# the same step); both backends of the group get it.
expect 0 "calibrated run" "$A" run --alloc "glibc,twin=glibc[ASB_TWIN=1]" --workload sleep --param ms=20 --min-time 0.08 \
    --reps 2 --no-plot -o "$T/c"
[ "$(cat "$T/c/calibration.txt")" = "sleep|ms=20|1 ms=100" ] || fail "calibration.txt: $(cat "$T/c/calibration.txt")"
pass "the group's work is scaled to the next step above min-time and recorded"
[ "$(field "$T/c/results.csv" params | sort -u)" = "ms=100" ] || fail "params: $(field "$T/c/results.csv" params | sort -u)"
[ "$(tail -n +2 "$T/c/results.csv" | wc -l)" -eq 4 ] || fail "expected 2 cells x 2 reps"
pass "every row records the calibrated parameter in params"
for ns in $(field "$T/c/results.csv" ns_per_op); do
    awk -v ns="$ns" 'BEGIN { exit !(ns * 100 >= 0.08e9) }' || fail "a repetition's timed region is below 0.08 s: $ns ns/op x 100"
done
pass "every repetition's timed region reaches min-time"
grep -c calibration "$T/err" | grep -qx 2 || fail "expected one calibration run per cell"
pass "one calibration run per cell at the scaled work"

# A run already long enough keeps its work (and says so in calibration.txt).
expect 0 "long enough already" "$A" run --alloc glibc --workload sleep --param ms=60 --min-time 0.05 --reps 1 \
    --no-plot -o "$T/k"
[ "$(cat "$T/k/calibration.txt")" = "sleep|ms=60|1 ms=60" ] || fail "unscaled group: $(cat "$T/k/calibration.txt")"
pass "a group above min-time keeps its work"

# A later run takes the calibrated work instead of calibrating again.
expect 0 "--calibration-from" "$A" run --alloc "glibc,twin=glibc[ASB_TWIN=1]" --workload sleep --param ms=20 --min-time 0.08 \
    --reps 1 --no-plot --calibration-from "$T/c" -o "$T/c2"
grep -q calibration "$T/err" && fail "--calibration-from calibrated again"
[ "$(field "$T/c2/results.csv" params | sort -u)" = "ms=100" ] || fail "params of the second run"
cmp -s "$T/c/calibration.txt" "$T/c2/calibration.txt" || fail "the second folder does not record the work it used"
pass "--calibration-from reuses the work, no calibration runs"
expect 2 "--calibration-from a missing folder" "$A" run --alloc glibc --workload sleep --min-time 0.08 \
    --calibration-from "$T/nowhere" -o "$T/c3"

# --resume runs the missing repetitions with the calibrated work.
head -2 "$T/c/results.csv" >"$T/c/cut.csv" && mv "$T/c/cut.csv" "$T/c/results.csv"
expect 0 "resume a calibrated run" "$A" run --resume "$T/c" --no-plot
grep -q calibration "$T/err" && fail "resume calibrated again"
[ "$(field "$T/c/results.csv" params | sort -u)" = "ms=100" ] || fail "resumed rows: $(field "$T/c/results.csv" params | sort -u)"
[ "$(tail -n +2 "$T/c/results.csv" | wc -l)" -eq 4 ] || fail "resume did not complete the 4 runs"
pass "resume completes the missing runs with the calibrated work"

# A design a thousand times slower caps its group's scaling: gmp's chain of
# 2000 spawns takes well under a millisecond, a thread per task about 0.05 s,
# so scaling to gmp would give the threads cell minutes; the cap keeps the
# slowest cell near 4 x min-time.
expect 0 "capped by the slowest design" "$A" run --alloc glibc --workload chained-spawn --sched gmp,threads \
    --param depth=2000 --min-time 0.05 --reps 1 --no-warmup --no-plot -o "$T/cap"
depth=$(sed 's/.*depth=//' "$T/cap/calibration.txt")
[ "$depth" -le 20000 ] || fail "the slow design did not cap the group's work: depth=$depth"
pass "the slowest cell caps the group's scaling (depth $depth)"

# A workload without a work parameter (a tree of fixed shape) is not scaled.
expect 0 "no work parameter" "$A" run --alloc glibc --workload skynet --sched gmp --param leaves=1000 \
    --min-time 0.5 --reps 1 --no-plot -o "$T/s"
[ ! -s "$T/s/calibration.txt" ] || fail "skynet was calibrated: $(cat "$T/s/calibration.txt")"
pass "a workload without work_param keeps its parameters"

# Adaptive repetitions: an unreachable target stops at --max-reps and says so;
# a loose one stops at the first round whose interval is valid (n >= 6).
expect 0 "unreachable --target-ci" "$A" run --alloc "glibc,twin=glibc[ASB_TWIN=1]" --workload sleep --param ms=1 \
    --reps 3 --target-ci 0.0001% --max-reps 6 --no-warmup --no-plot -o "$T/a"
[ "$(tail -n +2 "$T/a/results.csv" | wc -l)" -eq 12 ] || fail "expected 2 cells x 6 reps"
pass "repetitions stop at --max-reps"
[ "$(field "$T/a/convergence.csv" converged | sort -u)" = no ] || fail "convergence.csv: $(cat "$T/a/convergence.csv")"
grep -q "2 cells did not reach" "$T/err" || fail "the run does not say which cells did not converge"
pass "convergence.csv and the log list the cells that did not converge, with their widths"
expect 0 "reachable --target-ci" "$A" run --alloc glibc --workload sleep --param ms=5 \
    --reps 3 --target-ci 50% --max-reps 20 --no-warmup --no-plot -o "$T/b"
rows=$(tail -n +2 "$T/b/results.csv" | wc -l)
[ "$rows" -ge 6 ] && [ "$rows" -lt 20 ] || fail "a loose target took $rows reps"
[ "$(field "$T/b/convergence.csv" converged)" = yes ] || fail "not converged: $(cat "$T/b/convergence.csv")"
pass "a reachable target stops early ($rows reps)"
expect 2 "--max-reps below --reps" "$A" run --alloc glibc --workload sleep --reps 5 --target-ci 2% --max-reps 3 -o "$T/bad"
expect 2 "--target-ci not a percentage" "$A" run --alloc glibc --workload sleep --target-ci lots -o "$T/bad"
expect 2 "--nice out of range" "$A" run --alloc glibc --workload sleep --nice 40 -o "$T/bad"
expect 0 "--nice 5" "$A" run --alloc glibc --workload sleep --param ms=1 --reps 1 --nice 5 --no-plot -o "$T/nice"
expect 2 "--min-time negative" "$A" run --alloc glibc --workload sleep --min-time -1 -o "$T/bad"

# Counters through run: perf gives its four figures or NA with the reason
# (this VM has no PMU); cachegrind counts the same instructions twice.
expect 0 "--counters perf" "$A" run --alloc glibc --workload churn --param iters=20000 --reps 1 --no-warmup \
    --counters perf --no-plot -o "$T/perf"
if [ "$(field "$T/perf/results.csv" cycles_per_op)" = NA ]; then
    field "$T/perf/results.csv" counters_note | grep -q perf_event_open || fail "perf NA without a reason"
    pass "--counters perf: NA with the reason ($(field "$T/perf/results.csv" counters_note | cut -c1-60)…)"
else
    pass "--counters perf: cycles_per_op $(field "$T/perf/results.csv" cycles_per_op)"
fi
if ! command -v valgrind >/dev/null; then
    skip "--counters cachegrind" "valgrind is not installed (Debian package valgrind)"
elif ldd "$(dirname "$A")/asbench-worker-glibc" | grep -q 'libasan\|libtsan'; then
    skip "--counters cachegrind" "a sanitizer build's worker cannot run under valgrind"
else
    for k in 1 2; do
        expect 0 "--counters cachegrind ($k)" "$A" run --alloc glibc --workload churn --param iters=20000 --reps 2 \
            --no-warmup --counters cachegrind --no-plot -o "$T/cg$k"
    done
    a=$(field "$T/cg1/results.csv" instructions_per_op | sort -u)
    b=$(field "$T/cg2/results.csv" instructions_per_op | sort -u)
    [ -n "$a" ] && [ "$a" != NA ] && [ "$a" = "$b" ] || fail "instructions_per_op differ or are missing: '$a' vs '$b'"
    pass "cachegrind counts are identical across two runs of one cell ($a instructions per op)"
fi

# Exit status: unsupported is not a failure.
expect 0 "a matrix of unsupported cells" "$A" run --alloc glibc --workload skynet --sched threads \
    --param leaves=100 --reps 1 --no-warmup --no-plot -o "$T/u"
[ "$(field "$T/u/results.csv" status | sort -u)" = unsupported ] || fail "expected unsupported rows"
pass "unsupported rows keep exit 0"
echo "1..$n"
