#!/bin/sh
# shard_test.sh — `asbench run --shard I/N` keeps comparison groups whole and
# `asbench merge` keeps each group on one machine:   shard_test.sh ASBENCH
# A comparison group is (workload, parameters, threads) with every backend and
# scheduler of it.  For N = 2, 3, 4: every group is in exactly one shard, the
# shards together hold every cell once, their sizes stay within one group of
# each other, the assignment does not depend on the order of the matrix lines,
# and the merged shards equal the unsharded matrix (calibrated ones too).  Then a group whose rows
# name two machines is refused by merge (exit 2) unless --allow-mixed-machines.
# Tiny runs (quick preset, 2 repetitions); no check depends on speed.
set -u
A=$1
TAP_NAME=shard
. "$(dirname "$0")/tap.sh"
# cells MATRIX [--shard I/N]: the cells --dry-run prints, one a line
# ("workload backend [scheduler] t=N params").
cells() { m=$1; shift; "$A" run --matrix "$m" --dry-run "$@" | sed '$d'; }
# row_cells FILE: the cells of a results.csv's rows in the --dry-run form.
row_cells() {
    awk -F, -v b="$(col "$1" backend)" -v s="$(col "$1" scheduler)" -v w="$(col "$1" workload)" \
        -v p="$(col "$1" params)" -v t="$(col "$1" threads)" \
        'NR > 1 { print $w " " $b ($s == "NA" ? "" : " " $s) " t=" $t " " $p }' "$1" | sort -u
}
# groups: the comparison group of each cell line on stdin (backend and
# scheduler left out), one a line.
groups() { awk '{ g = $1; for (i = 2; i <= NF; i++) if ($i ~ /^t=/) break; for (; i <= NF; i++) g = g " " $i; print g }'; }

# Two backends, three schedulers (a variant among each) and two thread counts
# in every build (a sanitizer build has the glibc backend only).
cat >"$T/m.txt" <<'EOF'
set reps=2 warmup=no preset=quick
run workload=sleep alloc=glibc,glibc2=glibc[ASB_SHARD_TEST=1] ms=1,2 threads=1,2
run workload=churn alloc=glibc,glibc2=glibc[ASB_SHARD_TEST=1] iters=1000 threads=1,2
run workload=pingpong alloc=glibc,glibc2=glibc[ASB_SHARD_TEST=1] sched=gmp,threads,threads2=threads[ASB_SHARD_TEST=1] round_trips=100 threads=1,2
EOF
# The same matrix, its run lines in reverse order.
{ head -1 "$T/m.txt"; tail -n +2 "$T/m.txt" | sed -n '1!G;h;$p'; } >"$T/rev.txt"

cells "$T/m.txt" >"$T/all.cells" || fail "dry run of the matrix"
sort "$T/all.cells" >"$T/all.sorted"
[ "$(wc -l <"$T/all.cells")" -eq 24 ] || fail "expected 24 cells, got $(wc -l <"$T/all.cells")"
[ "$(groups <"$T/all.cells" | sort -u | wc -l)" -eq 8 ] || fail "expected 8 comparison groups"
# A group's cells are neighbours in the run order.
[ "$(groups <"$T/all.cells" | uniq | wc -l)" -eq 8 ] || fail "a group's cells are not neighbours: $(cat "$T/all.cells")"
pass "24 cells in 8 comparison groups, each group's cells next to each other"

for N in 2 3 4; do
    : >"$T/union"
    : >"$T/shard-groups"
    sizes=""
    i=1
    while [ $i -le $N ]; do
        s=$T/n$N-s$i.cells
        cells "$T/m.txt" --shard $i/$N >"$s" || fail "dry run of shard $i/$N"
        cat "$s" >>"$T/union"
        groups <"$s" | sort -u >>"$T/shard-groups"
        sizes="$sizes $(wc -l <"$s")"
        cells "$T/rev.txt" --shard $i/$N | sort >"$T/rev.cells"
        sort "$s" | cmp -s - "$T/rev.cells" || fail "shard $i/$N depends on the order of the matrix lines"
        i=$((i + 1))
    done
    sort "$T/union" | cmp -s - "$T/all.sorted" || fail "the $N shards do not hold every cell exactly once"
    pass "N=$N: the shards hold every cell exactly once"
    dup=$(sort "$T/shard-groups" | uniq -d)
    [ -z "$dup" ] || fail "N=$N: group(s) in more than one shard: $dup"
    pass "N=$N: every comparison group is in exactly one shard"
    # Largest group first to the emptiest shard: sizes differ by at most the
    # largest group (6 cells: 3 schedulers x 2 backends).
    spread=$(echo "$sizes" | tr ' ' '\n' | sed '/^$/d' | sort -n | sed -n '1p;$p' | paste -sd' ' | awk '{ print $2 - $1 }')
    [ "$spread" -le 6 ] || fail "N=$N: shard sizes$sizes differ by more than one group"
    pass "N=$N: shard sizes ($sizes ) within one group of each other, independent of line order"
done

expect 0 "the unsharded matrix" "$A" run --matrix "$T/m.txt" --no-plot -o "$T/all"
runs "$T/all/results.csv" >"$T/all.runs"
[ "$(wc -l <"$T/all.runs")" -eq 48 ] || fail "unsharded matrix: $(wc -l <"$T/all.runs") runs, expected 48"
for N in 2 3 4; do
    dirs=""
    i=1
    while [ $i -le $N ]; do
        expect 0 "shard $i/$N" "$A" run --matrix "$T/m.txt" --shard $i/$N --no-plot -o "$T/n$N-s$i"
        row_cells "$T/n$N-s$i/results.csv" >"$T/rows.cells"
        sort "$T/n$N-s$i.cells" | cmp -s - "$T/rows.cells" || fail "shard $i/$N ran other cells than its dry run lists"
        dirs="$dirs $T/n$N-s$i"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    expect 0 "merge of $N shards" "$A" merge "$T/n$N" $dirs --no-plot
    [ "$(head -1 "$T/n$N/results.csv")" = "$(head -1 "$T/all/results.csv")" ] || fail "N=$N: merged schema differs"
    runs "$T/n$N/results.csv" | cmp -s - "$T/all.runs" ||
        { runs "$T/n$N/results.csv" | diff - "$T/all.runs" | sed "s/^/# /"; fail "N=$N: merged shards differ from the unsharded matrix"; }
    pass "N=$N: each shard ran the cells of its dry run"
    pass "N=$N: merged shards hold the unsharded matrix's (cell, repetition) keys, same schema"
    [ "$(grep -c '"folder"' "$T/n$N/env.json")" -eq $N ] || fail "N=$N: env.json lacks a machine per shard"
    pass "N=$N: merged env.json lists each shard's machine"
done

# Calibrated work (--min-time) is chosen per group in the group's shard: the
# merge carries calibration.txt, finds no run missing, and resumes to nothing.
printf 'set reps=1 warmup=no preset=quick min-time=0.02\nrun workload=churn alloc=glibc,glibc2=glibc[ASB_SHARD_TEST=1] iters=1000 threads=1,2\n' >"$T/cal.txt"
expect 0 "calibrated shard 1/2" "$A" run --matrix "$T/cal.txt" --shard 1/2 --no-plot -o "$T/cal1"
expect 0 "calibrated shard 2/2" "$A" run --matrix "$T/cal.txt" --shard 2/2 --no-plot -o "$T/cal2"
expect 0 "merge of calibrated shards" "$A" merge "$T/cal" "$T/cal1" "$T/cal2" --no-plot
grep -q "in no shard" "$T/err" && fail "merge of calibrated shards misses runs: $(cat "$T/err")"
[ "$(wc -l <"$T/cal/calibration.txt")" -eq 2 ] || fail "merged calibration.txt: $(cat "$T/cal/calibration.txt")"
[ "$(row_cells "$T/cal/results.csv" | groups | sort -u | wc -l)" -eq 2 ] || fail "a group's backends ran unequal work"
expect 0 "resume of the merged calibrated folder" "$A" run --resume "$T/cal" --no-plot
err_has "0 runs left"
pass "calibrated shards merge complete: calibration.txt per group, equal work within a group, nothing to resume"

# Machines: shard 1 of 2 as if it ran on another runner is fine (its groups
# are whole); one group's rows on two machines is refused.
mc=$(col "$T/all/results.csv" machine)
[ -n "$mc" ] || fail "results.csv has no machine column"
machine=$(tail -n +2 "$T/n2-s1/results.csv" | head -1 | cut -d, -f"$mc")
[ -n "$machine" ] && [ "$machine" != NA ] || fail "rows carry no machine id"
pass "every row carries a machine id ($machine)"
cp -r "$T/n2-s1" "$T/runner-b"
awk -F, -v OFS=, -v c="$mc" 'NR > 1 { $c = "runner-b" } { print }' "$T/n2-s1/results.csv" >"$T/runner-b/results.csv"
expect 0 "merge of shards from two machines, each group on one" "$A" merge "$T/two" "$T/runner-b" "$T/n2-s2" --no-plot
grep -q '"runner-b"' "$T/two/env.json" && grep -q "\"$machine\"" "$T/two/env.json" ||
    fail "merged env.json does not list both shards' machines"
pass "shards of two machines merge when no group is split; env.json lists both machines"

# The first cell of shard 1 of 2 on another machine: its group is split.
first=$(head -1 "$T/n2-s1.cells")
wl=$(echo "$first" | cut -d' ' -f1)
be=$(echo "$first" | cut -d' ' -f2)
th=$(echo "$first" | groups | cut -d' ' -f2)
cp -r "$T/n2-s1" "$T/split"
awk -F, -v OFS=, -v c="$mc" -v wc="$(col "$T/all/results.csv" workload)" -v bc="$(col "$T/all/results.csv" backend)" \
    -v tc="$(col "$T/all/results.csv" threads)" -v wl="$wl" -v be="$be" -v th="${th#t=}" \
    'NR > 1 && $wc == wl && $bc == be && $tc == th { $c = "other-machine" } { print }' \
    "$T/n2-s1/results.csv" >"$T/split/results.csv"
grep -q other-machine "$T/split/results.csv" || fail "the test could not move a cell to another machine"
expect 2 "merge with a group split across two machines" "$A" merge "$T/mixed" "$T/split" "$T/n2-s2" --no-plot
err_has "comparison group $wl $th"
err_has "other-machine"
err_has "$machine"
[ -e "$T/mixed/results.csv" ] && fail "a refused merge wrote results.csv"
pass "a group split across machines is refused (exit 2), naming the group and both machines"
expect 0 "the same merge with --allow-mixed-machines" "$A" merge "$T/mixed" "$T/split" "$T/n2-s2" --no-plot \
    --allow-mixed-machines
err_has "more than one machine"
runs "$T/mixed/results.csv" | cmp -s - "$T/all.runs" || fail "--allow-mixed-machines lost or added rows"
marked=$(grep -c "mixed machines" "$T/mixed/results.csv")
[ "$marked" -gt 0 ] || fail "the rows of the mixed group are not marked"
grep -A2 mixed_machine_groups "$T/mixed/env.json" | grep -q "$wl $th" || fail "env.json does not name the mixed group"
pass "--allow-mixed-machines keeps every row, marks the group's $marked rows and names it in env.json"
echo "1..$n"
