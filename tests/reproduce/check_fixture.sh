#!/bin/bash
# The fixture recipe (glibc churn, plus a backend and a workload that do not
# exist) runs to a report: measured figures for what exists, "not comparable"
# naming what is missing, environment passed to the variant, results per
# variant, a chart.  Checks only what does not depend on speed.
asbench=$1 here=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { # description, command...
    local what=$1
    shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
"$asbench" reproduce "$here/recipes/churn-demo.recipe" --quick -o "$out/demo" 2>"$out/stderr"
rc=$?
check "exit status 0 (got $rc)" test "$rc" = 0
report="$out/demo/report.md"
check "report written" test -s "$report"
check "allocs/op ratio measured and judged" grep -q '^| same-allocs | .* | 1 | 1 | \*\*holds\*\* | within ±1% of 1 |$' "$report"
check "expression with + and * evaluated" grep -q '^| ops-sum | .* | 40000 | \*\*not comparable\*\* | absolute count' "$report"
check "missing backend named" grep -q '^| missing | .* | \*\*not comparable\*\* | missing in this build: backend nosuchalloc |$' "$report"
check "variant env shown in its command" grep -q '^| large | `ASBENCH_FIXTURE=1 asbench run ' "$report"
check "missing workload recorded" grep -q 'not in this build: backend nosuchalloc, workload nosuchworkload' "$report"
verdict() { # check name, measured, verdict: the report row must have them
    grep -q "^| $1 | .* | $2 | \*\*$3\*\* | " "$report"
}
check "rule within" verdict rule-within 2 holds
check "rule lower-bound" verdict rule-lower-bound 20 holds
check "rule upper-bound" verdict rule-upper-bound 20 "does not hold"
check "rule above" verdict rule-above 20 holds
check "rule below" verdict rule-below 20 "does not hold"
check "rule same-side" verdict rule-same-side 20 "does not hold"
check "a ratio of 1 is a tie" verdict rule-tie 1 "does not hold"
check "x / 0 is infinite" verdict divide-by-zero ∞ holds
check "0 / 0 not comparable" grep -q '^| zero-by-zero | .* | — | \*\*not comparable\*\* | 0 / 0' "$report"
check "reference over several cells refused" grep -q '^| mixed-cells | .* | \*\*not comparable\*\* | mixed.ns_per_op matches runs of several cells' "$report"
check "filter picks one cell" verdict filtered-cell 1 holds
check "machine stated" grep -q '^- Machine: .*online cores' "$report"
check "command stated" grep -q '^- Command: `asbench reproduce .*churn-demo.recipe --quick' "$report"
check "lower bound: 1.008 is a tie, not 'more than 2x / 2'" verdict lower-bound-tie 1.008 "does not hold"
check "lower bound: 1.1 is beyond the tie band" verdict lower-bound-beyond-tie 1.1 holds
check "upper bound: 0.99 is a tie, not 'at most 0.5 x 2'" verdict upper-bound-tie 0.99 "does not hold"
check "per-variant results (one round: quick is decided in one)" test "$(grep -c ',ok,' "$out/demo/small/round-1/results.csv")" = 2
check "no second round of decided checks" test ! -e "$out/demo/small/round-2"
check "verdicts.csv has one row per check" test "$(($(wc -l <"$out/demo/verdicts.csv") - 1))" = "$(grep -c '^check ' "$here/recipes/churn-demo.recipe")"
check "medians listed" grep -q '^| `small.allocs_per_op` | 1 | 2 |' "$report"
if command -v gnuplot >/dev/null; then
    check "ratio chart drawn" test -s "$out/demo/ratios.png"
else
    echo "SKIP ratio chart drawn: gnuplot not installed"
fi
# A second run into the same folder replaces, not appends to, the results.
"$asbench" reproduce "$here/recipes/churn-demo.recipe" --quick -o "$out/demo" 2>/dev/null
check "rerun replaces results" test "$(grep -c ',ok,' "$out/demo/small/round-1/results.csv")" = 2
# Stable verdicts: `straddles` (repetition numbers 1 and 2 against the
# threshold 1.5) is undecided in every round, so its variant runs all three
# rounds and the verdict is `unstable` with each round's value; `far` is
# decided after the minimum (two rounds here) and its variant stops there.
"$asbench" reproduce "$here/recipes/stability.recipe" --min-rounds 2 --max-rounds 3 -o "$out/stab" 2>/dev/null
report="$out/stab/report.md"
check "straddling check is unstable, values of the 3 rounds listed" \
    grep -q '^| straddles | .* | 1.5 \[1, 2\] | 1.5, 1.5, 1.5 | \*\*unstable\*\* | the values seen (1 … 2' "$report"
check "clear check is stable after the minimum rounds" grep -q '^| far | .* | 1.5, 1.5 | \*\*holds\*\* | measured < 10 |$' "$report"
check "undecided check's variant ran 3 rounds" grep -q '^| edge | .* | 3 rounds, 6 runs |$' "$report"
check "decided check's variant stopped after 2" grep -q '^| clear | .* | 2 rounds, 4 runs |$' "$report"
check "verdicts.csv says unstable with the rounds" grep -q '^stability,standard,.*,straddles,—,1.5,1,2,"1.5, 1.5, 1.5",unstable,' "$out/stab/verdicts.csv"
# Environment: the caller's GOSTYLEDEBUG=mcache=0 must not reach the plain
# variant, the recipe's must reach the ablated one.  Without gostyle in the
# build both checks must say what is missing instead.
GOSTYLEDEBUG=mcache=0 "$asbench" reproduce "$here/recipes/ablation-env.recipe" --quick -o "$out/env" 2>/dev/null
report="$out/env/report.md"
if grep -q 'missing in this build: backend gostyle' "$report"; then
    check "ablation fixture reports gostyle missing" test "$(grep -c 'missing in this build: backend gostyle' "$report")" = 2
else
    check "variant env reaches the workers" grep -q '^| ablated-locks | .* | \*\*holds\*\* | ' "$report"
    check "caller's switch cleared for the plain variant" grep -q '^| plain-locks | .* | \*\*holds\*\* | ' "$report"
fi
exit $fail
