#!/bin/sh
# stats_test.sh — what the statistics make of results folders, one group per
# invocation:  stats_test.sh ASBENCH GROUP   (GROUP: fdr metric flags env)
#   fdr      compare across many cells: identical distributions flag nothing,
#            a 20% shift is flagged everywhere, a lone 5-vs-5 shift among 40
#            cells is not significant after Benjamini–Hochberg (10 vs 10 is),
#            the geometric mean per backend and scheduler
#   metric   compare --metric: a deterministic count changed by 2% (flagged at
#            1%, the default, not at 3%), a column that is absent or all NA,
#            a key of the extra column
#   flags    summary.csv and report.md: a bimodal and a noisy cell, no ratio
#            across machines
#   env      env.json's machine id, governor, THP and PMU
# The results folders are synthetic (known values, fixed seeds): no check
# depends on this machine's speed.
set -u
A=$1
GROUP=$2
TAP_NAME=$GROUP
. "$(dirname "$0")/tap.sh"

# gen DIR [awk -v assignments]: a results.csv of `cells` cells (default 40)
# times `reps` repetitions (10), ns/op (100 + cell) * (1 + cv * z) * scale,
# cell `sc` multiplied by `shift`, z ~ N(0,1) from awk's generator seeded
# with `seed` or, with fixed=1, ten spread values that depend on the
# repetition only through its rank (reversed with rev=1: the same values in
# another order, whatever the awk); alternate cells are glibc (2 threads)
# and mimalloc (1 thread), the first `sched` cells also run under scheduler
# gmp; instructions_per_op is 1000 * cell, exact.
gen() {
    d=$1; shift
    mkdir -p "$d"
    awk "$@" 'BEGIN {
        if (cells == "") cells = 40; if (reps == "") reps = 10; if (scale == "") scale = 1
        if (shift == "") shift = 1; if (cv == "") cv = 0.02; if (sched == "") sched = 0
        srand(seed)
        print "backend,scheduler,workload,params,threads,repetition,status,machine,ns_per_op,instructions_per_op"
        for (r = 1; r <= reps; r++)
            for (c = 1; c <= cells; c++) {
                if (fixed) g = (((rev ? reps + 1 - r : r) * 37 + c * 11) % 10 - 4.5) / 2.87
                else g = sqrt(-2 * log(1 - rand())) * cos(6.283185307 * rand())
                k = c == sc ? shift : 1
                printf "%s,%s,churn,cell=%d,%d,%d,ok,m1,%.3f,%.1f\n", c % 2 ? "glibc" : "mimalloc",
                    c <= sched ? "gmp" : "NA", c, 1 + c % 2, r, (100 + c) * (1 + cv * g) * scale * k, 1000 * c * k
            }
    }' >"$d/results.csv"
}

case $GROUP in
fdr)
    gen "$T/a1" -v seed=1 -v sched=10
    gen "$T/a2" -v seed=2 -v sched=10
    expect 0 "two samples of one distribution, 40 cells x 10 reps" "$A" compare "$T/a1" "$T/a2"
    out_has "0 regressions, 0 improvements"
    pass "nothing flagged between identical distributions"
    gen "$T/slow" -v seed=3 -v scale=1.2 -v sched=10
    expect 1 "every cell 20% slower" "$A" compare "$T/a1" "$T/slow"
    out_has "40 regressions"
    pass "a 20% shift is flagged in all 40 cells"
    grep -E -q '^  all  *40 cells    1\.(19[5-9]|20[0-5])  \[ 1\.1[89][0-9],  1\.2[01][0-9]\]$' "$T/out" ||
        { cat "$T/out"; fail "geometric mean of all cells"; }
    pass "geometric mean 1.2 over all cells, with its interval"
    grep -q '^  backend   glibc  *20 cells    1\.2' "$T/out" && grep -q '^  backend   mimalloc  *20 cells    1\.' "$T/out" &&
        grep -q '^  scheduler gmp  *10 cells    1\.2' "$T/out" || { cat "$T/out"; fail "geometric mean per backend or scheduler"; }
    pass "geometric mean per backend and per scheduler"
    # One cell of 40 shifted by 20%, 5 vs 5 tight repetitions: alone p = 1/252,
    # but Benjamini-Hochberg over 40 cells needs p <= 0.05/40 for the smallest
    # (the other cells' values are the same in both, p > 0.5).
    gen "$T/f1" -v fixed=1 -v reps=5 -v cv=0.005
    gen "$T/f2" -v fixed=1 -v rev=1 -v reps=5 -v cv=0.005 -v sc=7 -v shift=1.2
    expect 0 "a lone 5-vs-5 shift among 40 cells" "$A" compare "$T/f1" "$T/f2"
    grep 'cell=7 ' "$T/out" | grep -q '0\.0040 *0\.1587  same (not significant across the cells)' ||
        { cat "$T/out"; fail "cell 7: p 1/252, adjusted 40/252"; }
    out_has "not among 40 cells (Benjamini-Hochberg)"
    pass "its adjusted p is 40/252: not flagged, and the report says why"
    gen "$T/t1" -v fixed=1 -v reps=10 -v cv=0.005
    gen "$T/t2" -v fixed=1 -v rev=1 -v reps=10 -v cv=0.005 -v sc=7 -v shift=1.2
    expect 1 "the same shift with 10 vs 10 repetitions" "$A" compare "$T/t1" "$T/t2"
    grep 'cell=7 ' "$T/out" | grep -q REGRESSION && grep -q "1 regressions" "$T/out" || { cat "$T/out"; fail "cell 7 alone flagged"; }
    pass "10 vs 10 repetitions: only the shifted cell is flagged"
    ;;
metric)
    gen "$T/i1" -v seed=1 -v reps=1 -v cells=4
    gen "$T/i2" -v seed=2 -v reps=1 -v cells=4 -v sc=3 -v shift=1.02
    expect 1 "instructions_per_op 2% higher in one cell (default threshold 1%)" "$A" compare "$T/i1" "$T/i2" --metric instructions_per_op
    grep 'cell=3 ' "$T/out" | grep -q 'NA *NA  REGRESSION' && out_has "threshold 1%, deterministic count" ||
        { cat "$T/out"; fail "the 2% instruction change"; }
    pass "a deterministic count: one value per cell, no p-value, flagged beyond the threshold"
    expect 1 "the same with --threshold 1%" "$A" compare "$T/i1" "$T/i2" --metric instructions_per_op --threshold 1%
    expect 0 "the same with --threshold 3%" "$A" compare "$T/i1" "$T/i2" --metric instructions_per_op --threshold 3%
    expect 0 "ns_per_op, 1 vs 1 repetitions" "$A" compare "$T/i1" "$T/i2"
    out_has "too few reps"
    pass "a noisy metric with one repetition is not judged by its ratio alone"
    sed 's/,[0-9.]*$/,NA/' "$T/i2/results.csv" >"$T/x" && mkdir -p "$T/na" && mv "$T/x" "$T/na/results.csv"
    expect 2 "a metric that is NA in NEW" "$A" compare "$T/i1" "$T/na" --metric instructions_per_op
    grep -q "no matched cell has values of instructions_per_op" "$T/err" || fail "message for an all-NA metric"
    pass "an all-NA metric is bad input, not a silent pass"
    expect 2 "a metric no folder has" "$A" compare "$T/i1" "$T/i2" --metric cpu_ns_per_op
    grep -q "unknown metric 'cpu_ns_per_op'" "$T/err" || fail "message for an absent metric"
    # ns/op as a key of the extra column, by full and by short name.
    gen "$T/e1" -v seed=1 -v cells=4
    gen "$T/e2" -v seed=2 -v cells=4 -v sc=3 -v shift=1.2
    for d in e1 e2; do
        mkdir -p "$T/x$d"
        awk -F, -v OFS=, 'NR == 1 { print $0, "extra"; next } { print $0, "native.heap_unused=" $9 ";other=1" }' \
            "$T/$d/results.csv" >"$T/x$d/results.csv"
    done
    expect 1 "a key of extra by its full name" "$A" compare "$T/xe1" "$T/xe2" --metric native.heap_unused
    grep 'cell=3 ' "$T/out" | grep -q REGRESSION && out_has "1 regressions" || { cat "$T/out"; fail "the 20% change of an extra key"; }
    expect 1 "a key of extra by its short name" "$A" compare "$T/xe1" "$T/xe2" --metric heap_unused
    expect 0 "an extra key that did not change" "$A" compare "$T/xe1" "$T/xe2" --metric other
    pass "compare --metric reads keys of the extra column"
    ;;
flags)
    # nocache: 52 or 88 ns per process (bimodal); mimalloc: CV 7%, on another machine.
    mkdir -p "$T/b"
    {
        echo "backend,scheduler,workload,params,threads,repetition,status,machine,ns_per_op"
        r=0; for v in 52 53 51 88 87 89 52; do r=$((r + 1)); echo "nocache,NA,churn,p=1,1,$r,ok,m1,$v"; done
        r=0; for v in 50 50.5 49.8 50.2 50.1 49.9 50.3; do r=$((r + 1)); echo "glibc,NA,churn,p=1,1,$r,ok,m1,$v"; done
        r=0; for v in 60 66 58 70 61 64 59; do r=$((r + 1)); echo "mimalloc,NA,churn,p=1,1,$r,ok,m2,$v"; done
    } >"$T/b/results.csv"
    expect 0 "summary of a bimodal, a tight and a noisy cell" "$A" summary "$T/b"
    head -1 "$T/b/summary.csv" | grep -q ',machine,ns_per_op_noisy,ns_per_op_bimodal,ns_per_op_mode_lo,ns_per_op_mode_hi$' ||
        fail "summary.csv flag columns: $(head -1 "$T/b/summary.csv")"
    flags() { awk -F, -v b="$1" '$1 == b { print $(NF-4), $(NF-3), $(NF-2), $(NF-1), $NF }' "$T/b/summary.csv"; }
    [ "$(flags nocache)" = "m1 1 1 52 88" ] || fail "nocache flags: $(flags nocache)"
    pass "52,53,51,88,87,89,52: bimodal, modes 52 and 88, noisy"
    [ "$(flags glibc)" = "m1 0 0 NA NA" ] || fail "glibc flags: $(flags glibc)"
    [ "$(flags mimalloc)" = "m2 1 0 NA NA" ] || fail "mimalloc flags: $(flags mimalloc)"
    pass "a tight cell is neither; a unimodal cell with CV 7% is noisy, not bimodal"
    "$A" plot "$T/b" --baseline glibc >"$T/out" 2>"$T/err"
    grep -q '| churn | NA | nocache | 1 | 7/7 | bimodal: 52 \\| 88 (CV 29%) |' "$T/b/report.md" ||
        { cat "$T/b/report.md"; fail "report table: the bimodal cell's verdict"; }
    grep -q '^  - churn t=1 nocache: bimodal: 52 | 88 ns/op' "$T/b/report.md" || fail "report: the bimodal cell listed"
    pass "report.md gives the two modes, not one median between them"
    grep -q '^  - churn t=1 mimalloc (machine m2; its baseline glibc ran on m1)' "$T/b/report.md" ||
        fail "report: no note of the ratio across machines"
    pass "report.md names the cell left without a ratio across machines"
    if command -v gnuplot >/dev/null; then
        # series nocache and glibc only: mimalloc's one cell has no comparable baseline
        [ "$(awk -F'" ' '!/^#/ { print split($2, v, " ") }' "$T/b/plots/time.dat")" = 6 ] ||
            fail "time.dat: $(cat "$T/b/plots/time.dat")"
        pass "the time chart has no bar for the cell on another machine"
    else
        skip "the time chart has no bar for the cell on another machine" "gnuplot not installed"
    fi
    ;;
env)
    expect 0 "a run" "$A" run --alloc glibc --workload churn --param iters=1000 --reps 1 --no-warmup --no-plot -o "$T/e"
    for key in machine_id cpu_governor transparent_hugepage pmu; do
        grep -q "^  \"$key\": " "$T/e/env.json" || fail "env.json lacks $key"
    done
    grep -q '"pmu": "\(available\|unavailable: perf_event_open(PERF_COUNT_HW_INSTRUCTIONS): .*\)"' "$T/e/env.json" ||
        fail "pmu: $(grep '"pmu"' "$T/e/env.json")"
    pass "env.json: machine id, governor, THP and the PMU (or perf_event_open's error)"
    if command -v python3 >/dev/null; then
        python3 -m json.tool "$T/e/env.json" >/dev/null || fail "env.json is not valid JSON"
        pass "env.json is valid JSON"
    else
        skip "env.json is valid JSON" "python3 not installed"
    fi
    ;;
*)
    fail "unknown group $GROUP"
    ;;
esac
echo "1..$n"
