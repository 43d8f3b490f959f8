#!/bin/sh
# harness_test.sh — behaviour of the asbench CLI, one group per invocation:
#   harness_test.sh ASBENCH GROUP    (GROUP: schema failures resume shard compare badinput variants)
# Each group runs small matrices of the test-only workloads (workloads/testing.c)
# and the churn workload in a temporary folder and checks the files written and
# the exit statuses.  No check depends on speed.
set -u
A=$1
GROUP=$2
TAP_NAME=$GROUP
. "$(dirname "$0")/tap.sh"
# Every row has as many fields as the header (no half-written row).
whole_rows() {
    [ -f "$1" ] || return 0
    awk -F, '{ gsub(/"[^"]*"/, "q") } NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$1" ||
        fail "$1 has a row of the wrong width"
    [ -z "$(tail -c 1 "$1")" ] || fail "$1 does not end with a newline (half a row)"
}
case $GROUP in
schema)
    # ~30 ms per run: long enough for RSS samples (and the rss chart) on a loaded machine.
    expect 0 "run churn" "$A" run --alloc glibc --workload churn --param iters=1000000 --threads 1,2 --reps 2 --no-plot -o "$T/s"
    want="backend,scheduler,workload,preset,params,threads,repetition,machine,status,message,ops,ns_per_op,allocs_per_op,bytes_per_op,cpu_ns_per_op,wall_s,user_s,sys_s,steal_s,other_cpu_s,peak_rss_kb,final_rss_kb,minor_faults,major_faults,vol_ctx_switches,invol_ctx_switches,lock_acquisitions,lock_contended,lock_wait_ns,futex_calls,instructions_per_op,d1_misses_per_op,ll_misses_per_op,cycles_per_op,cache_misses_per_op,dtlb_misses_per_op,counters_note,timeline,extra"
    [ "$(head -1 "$T/s/results.csv")" = "$want" ] || fail "results.csv header: $(head -1 "$T/s/results.csv")"
    pass "results.csv header is the documented schema"
    [ "$(tail -n +2 "$T/s/results.csv" | wc -l)" -eq 4 ] || fail "expected 2 cells x 2 reps = 4 rows"
    pass "one row per repetition"
    whole_rows "$T/s/results.csv"
    [ "$(field "$T/s/results.csv" status | sort -u)" = ok ] || fail "runs not ok"
    [ "$(field "$T/s/results.csv" lock_contended | sort -u)" = NA ] || fail "glibc lock figures must be NA, not 0"
    [ "$(field "$T/s/results.csv" futex_calls | sort -u)" = NA ] || fail "futex_calls must be NA without --futex-counts"
    pass "figures a backend cannot give are NA"
    field "$T/s/results.csv" allocs_per_op | grep -qx '1.0000' || fail "churn allocs/op should be counted as 1"
    pass "allocs/op counted"
    for tl in $(field "$T/s/results.csv" timeline); do
        [ "$(head -1 "$T/s/$tl")" = "t_ms,rss_kb,anon_huge_kb,shmem_pmd_kb,live_bytes" ] || fail "timeline $tl missing or without header"
    done
    pass "every row names its RSS timeline file"
    for key in start_time command_line cpu_model cpus_online kernel compiler git_revision settings backends '"glibc"'; do
        grep -q "$key" "$T/s/env.json" || fail "env.json lacks $key"
    done
    pass "env.json holds the environment"
    grep -q '^run ' "$T/s/matrix.txt" || fail "matrix.txt lacks the run line"
    pass "matrix.txt written"
    head -1 "$T/s/summary.csv" | grep -q '^backend,scheduler,workload,params,threads,runs,ok,not_ok,ci_coverage,ns_per_op_cv,ns_per_op_median,ns_per_op_ci_lo,ns_per_op_ci_hi' ||
        fail "summary.csv header"
    [ "$(tail -n +2 "$T/s/summary.csv" | wc -l)" -eq 2 ] || fail "summary.csv: one row per cell"
    pass "summary.csv: one row per cell with medians and intervals"
    expect 0 "asbench summary DIR" "$A" summary "$T/s"
    if command -v python3 >/dev/null; then
        python3 -m json.tool "$T/s/env.json" >/dev/null || fail "env.json is not valid JSON"
        pass "env.json is valid JSON"
    else
        skip "env.json is valid JSON" "python3 not installed"
    fi
    if command -v gnuplot >/dev/null; then
        expect 0 "asbench plot DIR" "$A" plot "$T/s"
        for chart in time peak_rss scaling-churn rss-churn; do
            [ -s "$T/s/plots/$chart.png" ] && [ -s "$T/s/plots/$chart.svg" ] || fail "chart $chart.png/.svg missing"
            grep -q "plots/$chart.png" "$T/s/report.md" || fail "report.md does not embed $chart"
        done
        grep -q "| churn | NA | glibc | 2 | 2/2 |" "$T/s/report.md" || fail "report.md lacks the summary table"
        pass "charts in PNG and SVG, embedded in report.md with the summary table"
    else
        skip "charts in PNG and SVG, embedded in report.md" "gnuplot not installed"
    fi
    expect 0 "run with --futex-counts and --pin" "$A" run --alloc glibc --workload churn --param iters=2000 --threads 2 \
        --reps 1 --futex-counts --pin 0 --no-plot -o "$T/fx"
    if strace -f -c -o /dev/null true >/dev/null 2>&1; then
        field "$T/fx/results.csv" futex_calls | grep -qx '[0-9][0-9]*' || fail "futex_calls not counted"
        pass "futex calls counted with strace"
    else
        [ "$(field "$T/fx/results.csv" futex_calls)" = NA ] || fail "futex_calls must be NA without strace"
        err_has "futex_calls will be NA"
        skip "futex calls counted with strace" "strace cannot trace here"
    fi
    [ "$(field "$T/fx/results.csv" status)" = ok ] || fail "a pinned run failed"
    grep -q '"pin": "0"' "$T/fx/env.json" || fail "env.json does not record the pinning"
    pass "pinned run ok and recorded"
    ;;
failures)
    # Exit 3: some runs were not ok (a CI gate notices a broken backend).
    expect 3 "matrix of misbehaving workloads" env ASB_TEST_MARK=$$ "$A" run --alloc glibc --workload crash,hang,corrupt,sleep \
        --param signal=SEGV,ABRT --param ms=1 --timeout 2 --reps 1 --no-warmup --no-plot -o "$T/f"
    expect 0 "--allow-failures keeps exit 0" "$A" run --alloc glibc --workload crash --reps 1 --no-warmup \
        --no-plot --allow-failures -o "$T/f2"
    expect 3 "a verify-failed run alone exits 3" "$A" run --alloc glibc --workload corrupt --reps 1 --no-warmup \
        --no-plot -o "$T/f3"
    whole_rows "$T/f/results.csv"
    st() { awk -F, -v w="$(col "$T/f/results.csv" workload)" -v s="$(col "$T/f/results.csv" status)" \
        -v p="$(col "$T/f/results.csv" params)" -v want="$1" -v pp="$2" \
        'NR > 1 && $w == want && index($p, pp) { print $s }' "$T/f/results.csv"; }
    [ "$(st crash signal=SEGV)" = "crashed:SIGSEGV" ] || fail "crash SEGV status: $(st crash signal=SEGV)"
    [ "$(st crash signal=ABRT)" = "crashed:SIGABRT" ] || fail "crash ABRT status: $(st crash signal=ABRT)"
    pass "a crash is recorded with the signal's name"
    [ "$(st hang '')" = timeout ] || fail "hang status: $(st hang '')"
    pass "a hang is killed at the timeout and recorded"
    sleep 0.2
    left=$(for e in /proc/[0-9]*/environ; do
        tr '\0' '\n' <"$e" 2>/dev/null | grep -qx "ASB_TEST_MARK=$$" && echo "${e%/environ}"; done)
    [ -z "$left" ] || fail "processes of the hung worker survived the timeout: $left"
    pass "the timeout kills the worker's process group (its child too)"
    [ "$(st corrupt '')" = verify-failed ] || fail "corrupt status: $(st corrupt '')"
    grep corrupt "$T/f/results.csv" | grep -q "block 7 of thread 0" || fail "verify message not kept"
    pass "a failed verification is recorded with the workload's message"
    [ "$(st sleep '')" = ok ] || fail "the matrix did not go on after the failures"
    # A child of the worker that keeps its pipes open for 8 s must not hold
    # the harness (it stops reading 2 s after the worker exited).
    start=$(date +%s)
    expect 0 "a worker's orphan holding its pipes" timeout 30 "$A" run --alloc glibc --workload orphan --reps 1 \
        --no-warmup --no-plot -o "$T/orphan"
    [ $(($(date +%s) - start)) -lt 8 ] || fail "the harness waited for the worker's orphan"
    [ "$(field "$T/orphan/results.csv" status)" = ok ] || fail "orphan run status"
    pass "the run ends when the worker does, not when its orphan does"
    pass "the matrix goes on after failures"
    c=$(col "$T/f/results.csv" ns_per_op)
    grep crash "$T/f/results.csv" | cut -d, -f"$c" | grep -qvx NA && fail "a crashed run must have ns_per_op NA"
    pass "failed runs have NA figures"
    grep -q "crashed:SIGSEGV\*1" "$T/f/summary.csv" || fail "summary.csv counts the statuses"
    pass "summary.csv counts non-ok statuses"
    # The go scheduler: one cell per thread count whatever the backends, run
    # by the Go worker when it was built, else an `unsupported` row saying why.
    if "$A" list workloads | grep -q '^  skynet '; then
        # every backend this build has (a sanitizer build has glibc only)
        backends=$("$A" list backends | awk '$2 == "found" || $2 == "found," { printf "%s%s", sep, $1; sep = "," }')
        expect 0 "go cells are not multiplied across backends" "$A" run --alloc "$backends" --workload skynet \
            --sched go --dry-run
        grep -q '^1 cells' "$T/out" && grep -q '^skynet go go t=1' "$T/out" || fail "go cell expansion: $(cat "$T/out")"
        expect 0 "a go cell" "$A" run --alloc glibc --workload skynet --sched go --preset quick --reps 1 --no-warmup \
            --no-plot -o "$T/go"
        gs=$(field "$T/go/results.csv" status)
        if [ -x "$(dirname "$A")/../workloads/sched/go/asbench-worker-go" ]; then
            [ "$gs" = ok ] || fail "go cell status $gs"
        else
            [ "$gs" = unsupported ] && grep -q golang-go "$T/go/results.csv" || fail "missing go worker: status $gs"
        fi
        [ "$(field "$T/go/results.csv" backend)" = go ] || fail "go cell backend is not go"
        pass "a go cell runs the Go worker (or says it is missing) with backend go"
    fi
    ;;
resume)
    printf 'set reps=3 warmup=no\nrun workload=sleep alloc=glibc ms=150,160,170\n' >"$T/m.txt"
    "$A" run --matrix "$T/m.txt" --no-plot -o "$T/k" 2>/dev/null &
    pid=$!
    sleep 0.8
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    whole_rows "$T/k/results.csv"
    before=$(runs "$T/k/results.csv" | wc -l)
    pass "SIGKILL mid-matrix leaves $before whole rows"
    # A row cut short (as by a machine crash) is dropped on resume.
    printf 'glibc,NA,sle' >>"$T/k/results.csv"
    expect 0 "resume after SIGKILL" "$A" run --resume "$T/k" --no-plot
    whole_rows "$T/k/results.csv"
    [ "$(runs "$T/k/results.csv" | wc -l)" -eq 9 ] || fail "expected 9 runs, got $(runs "$T/k/results.csv" | wc -l)"
    [ -z "$(runs "$T/k/results.csv" | uniq -d)" ] || fail "a run is recorded twice"
    pass "after resume every (cell, rep) is there exactly once"

    "$A" run --matrix "$T/m.txt" --no-plot -o "$T/i" 2>/dev/null &
    pid=$!
    sleep 0.8
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    # the matrix sleeps ≥ 1.35 s, so the signal always lands mid-run
    [ "$rc" -eq 130 ] || fail "SIGINT: exit $rc, expected 130"
    whole_rows "$T/i/results.csv"
    pass "SIGINT stops the matrix cleanly (exit 130)"
    expect 0 "resume after SIGINT" "$A" run --resume "$T/i" --no-plot
    [ "$(runs "$T/i/results.csv" | wc -l)" -eq 9 ] && [ -z "$(runs "$T/i/results.csv" | uniq -d)" ] ||
        fail "after SIGINT+resume: $(runs "$T/i/results.csv" | wc -l) runs"
    pass "after SIGINT+resume every (cell, rep) is there exactly once"
    expect 0 "resume of a finished run does nothing" "$A" run --resume "$T/i" --no-plot
    [ "$(runs "$T/i/results.csv" | wc -l)" -eq 9 ] || fail "a finished run grew on resume"
    expect 2 "resume with cell options" "$A" run --resume "$T/i" --workload churn
    ;;
shard)
    printf 'set reps=2 warmup=no\nrun workload=sleep alloc=glibc ms=1,2,3,4,5\nrun workload=churn alloc=glibc iters=1000 threads=1,2\n' >"$T/m.txt"
    expect 0 "unsharded matrix" "$A" run --matrix "$T/m.txt" --no-plot -o "$T/all"
    for i in 1 2 3; do
        expect 0 "shard $i/3" "$A" run --matrix "$T/m.txt" --shard $i/3 --no-plot -o "$T/s$i"
    done
    expect 0 "merge the shards" "$A" merge "$T/merged" "$T/s1" "$T/s2" "$T/s3" --no-plot
    runs "$T/all/results.csv" >"$T/a.txt"
    runs "$T/merged/results.csv" >"$T/b.txt"
    cmp -s "$T/a.txt" "$T/b.txt" || { diff "$T/a.txt" "$T/b.txt" | sed "s/^/# /"; fail "merged shards differ from the unsharded matrix"; }
    pass "shards 1..3 merged hold exactly the unsharded matrix's runs"
    [ -s "$T/merged/summary.csv" ] || fail "merge wrote no summary.csv"
    for tl in $(field "$T/merged/results.csv" timeline); do [ -f "$T/merged/$tl" ] || fail "timeline $tl not merged"; done
    pass "merge carries the timelines and writes summary.csv"
    expect 2 "merge of a shard given twice" "$A" merge "$T/dup" "$T/s1" "$T/s1" --no-plot
    err_has "a second time"
    [ -e "$T/dup/results.csv" ] && fail "a refused merge wrote results.csv"
    expect 2 "merge into a folder with results" "$A" merge "$T/merged" "$T/s1" --no-plot
    printf 'set reps=2 warmup=no\nrun workload=sleep alloc=glibc ms=9\n' >"$T/other.txt"
    expect 0 "a run of another matrix" "$A" run --matrix "$T/other.txt" --no-plot -o "$T/other"
    expect 2 "merge of different matrices" "$A" merge "$T/mixed" "$T/s1" "$T/other" --no-plot
    err_has "different matrices"
    expect 0 "merge of one shard (incomplete)" "$A" merge "$T/part" "$T/s1" --no-plot
    err_has "in no shard"
    expect 0 "resume completes a partial merge" "$A" run --resume "$T/part" --no-plot
    runs "$T/part/results.csv" >"$T/c.txt"
    cmp -s "$T/a.txt" "$T/c.txt" || fail "resumed partial merge differs from the unsharded matrix"
    pass "a merged folder can be resumed to the whole matrix"
    ;;
compare)
    expect 0 "a run to take the schema from" "$A" run --alloc glibc --workload sleep --param ms=1 --reps 1 --no-warmup --no-plot -o "$T/h"
    # synth DIR VALUES...: results.csv with one cell whose ns_per_op are VALUES.
    synth() {
        d=$1; shift
        mkdir -p "$d"
        head -1 "$T/h/results.csv" >"$d/results.csv"
        rep=0
        for v in "$@"; do
            rep=$((rep + 1))
            tail -n 1 "$T/h/results.csv" | awk -F, -v OFS=, -v c="$(col "$T/h/results.csv" ns_per_op)" \
                -v r="$(col "$T/h/results.csv" repetition)" -v v="$v" -v rep="$rep" '{ $c = v; $r = rep; print }' >>"$d/results.csv"
        done
    }
    synth "$T/old" 100 101 102 103 104
    synth "$T/same" 101 100 104 102 103
    synth "$T/slow" 120 121 122 123 124
    # a 3% slowdown measured tightly: its whole interval lies beyond 1%, not beyond 5%
    synth "$T/tight" 100.0 100.1 100.2 100.3 100.4
    synth "$T/slight" 103.0 103.1 103.2 103.3 103.4
    synth "$T/fast" 80 81 82 83 84
    synth "$T/few_old" 100 101 102
    synth "$T/few_new" 120 121 122
    expect 0 "summary of known values" "$A" summary "$T/old"
    sv() { awk -F, -v c="$(col "$T/old/summary.csv" "$1")" 'NR == 2 { print $c }' "$T/old/summary.csv"; }
    [ "$(sv ns_per_op_median)" = 102 ] && [ "$(sv ns_per_op_ci_lo)" = 100 ] && [ "$(sv ns_per_op_ci_hi)" = 104 ] ||
        fail "summary of 100..104: median $(sv ns_per_op_median) [$(sv ns_per_op_ci_lo), $(sv ns_per_op_ci_hi)]"
    [ "$(sv ci_coverage)" = 0.9375 ] || fail "coverage for n=5 is $(sv ci_coverage), expected 0.9375"
    pass "summary.csv: median 102, interval [100, 104] covering 0.9375 for 100..104"
    expect 0 "compare equal runs" "$A" compare "$T/old" "$T/same"
    expect 1 "compare a 20% slowdown" "$A" compare "$T/old" "$T/slow"
    grep -q REGRESSION "$T/out" || fail "the table does not flag the regression"
    grep -q "0.0040" "$T/out" || fail "exact one-sided p = 1/252 not shown"
    pass "regression flagged with the exact p-value 1/252"
    expect 0 "compare a 3% slowdown under a 5% threshold" "$A" compare "$T/tight" "$T/slight" --threshold 5%
    expect 1 "the same 3% slowdown under a 1% threshold" "$A" compare "$T/tight" "$T/slight" --threshold 1%
    expect 0 "compare an improvement" "$A" compare "$T/old" "$T/fast"
    grep -q improved "$T/out" || fail "improvement not shown"
    expect 0 "3 vs 3 reps cannot reach alpha 0.05 one-sided" "$A" compare "$T/few_old" "$T/few_new"
    grep -q "too few" "$T/out" || fail "no note about too few repetitions"
    pass "underpowered cells are reported as such"
    expect 0 "compare NEW failing where OLD was fine: setup" true
    sed 's/,ok,/,crashed:SIGSEGV,/' "$T/same/results.csv" >"$T/x" && mkdir -p "$T/broken" && mv "$T/x" "$T/broken/results.csv"
    expect 1 "NEW crashes where OLD ran" "$A" compare "$T/old" "$T/broken"
    expect 2 "compare a missing folder" "$A" compare "$T/old" "$T/nonexistent"
    expect 2 "compare with an unknown metric" "$A" compare "$T/old" "$T/same" --metric speed
    expect 2 "compare with a bad threshold" "$A" compare "$T/old" "$T/same" --threshold lots
    sed 's/sleep/churn/' "$T/same/results.csv" >"$T/x" && mkdir -p "$T/other" && mv "$T/x" "$T/other/results.csv"
    expect 2 "compare without a common cell" "$A" compare "$T/old" "$T/other"
    printf 'a,b\n1,2\n' >"$T/notours.csv"
    expect 2 "compare a CSV of another schema" "$A" compare "$T/old" "$T/notours.csv"
    ;;
badinput)
    expect 2 "unknown workload" "$A" run --workload nosuch -o "$T/b1"
    err_has "unknown workload 'nosuch'"
    [ -e "$T/b1/results.csv" ] && fail "a refused run wrote results.csv"
    expect 2 "unknown backend" "$A" run --alloc nosuch -o "$T/b2"
    err_has "unknown backend 'nosuch'"
    expect 2 "unknown scheduler" "$A" run --workload churn --sched nosuch -o "$T/b3"
    err_has "unknown scheduler 'nosuch'"
    expect 2 "unknown parameter" "$A" run --workload churn --param nosuch=1 -o "$T/b4"
    printf '# a comment\nset reps=2\nrun workload=churn threads=two\n' >"$T/bad1.txt"
    expect 2 "malformed matrix: bad thread count" "$A" run --matrix "$T/bad1.txt" -o "$T/b5"
    err_has "bad1.txt:3: threads=two"
    printf 'run workload=churn\nbenchmark everything\n' >"$T/bad2.txt"
    expect 2 "malformed matrix: unknown line" "$A" run --matrix "$T/bad2.txt" -o "$T/b6"
    err_has "bad2.txt:2: expected 'set' or 'run'"
    printf 'set reps=0\n' >"$T/bad3.txt"
    expect 2 "malformed matrix: bad setting" "$A" run --matrix "$T/bad3.txt" -o "$T/b7"
    err_has "bad3.txt:1: reps=0"
    printf 'run workload=churn alloc=glibc\nrun workload=churn alloc=glibc\n' >"$T/bad4.txt"
    expect 2 "malformed matrix: a cell twice" "$A" run --matrix "$T/bad4.txt" -o "$T/b8"
    err_has "bad4.txt:2: cell"
    # 5000 sizes x 5 thread counts: 25000 cells, past the cap, refused at once
    printf 'run workload=churn alloc=glibc threads=1,2,3,4,5 min=%s\n' "$(seq -s, 1 5000)" >"$T/bad5.txt"
    expect 2 "malformed matrix: 25000 cells" "$A" run --matrix "$T/bad5.txt" -o "$T/b13"
    err_has "bad5.txt:1: the matrix would have more than 20000 cells"
    expect 2 "missing matrix file" "$A" run --matrix "$T/nonexistent.txt" -o "$T/b9"
    expect 2 "--matrix mixed with cell options" "$A" run --matrix quick --workload churn -o "$T/b10"
    expect 2 "bad --shard" "$A" run --workload churn --shard 3/2 -o "$T/b11"
    expect 2 "bad --pin" "$A" run --workload churn --pin x -o "$T/b12"
    expect 2 "unwritable output folder" "$A" run --workload churn --param iters=100 -o /dev/null/x
    err_has "cannot create output folder"
    expect 0 "a good run" "$A" run --alloc glibc --workload churn --param iters=1000 --reps 1 --no-plot -o "$T/g"
    sum=$(cksum <"$T/g/results.csv")
    expect 2 "a second run into the same folder" "$A" run --alloc glibc --workload churn --param iters=1000 -o "$T/g"
    err_has "already exists"
    [ "$(cksum <"$T/g/results.csv")" = "$sum" ] || fail "a refused run changed results.csv"
    pass "a refused run leaves results.csv untouched"
    nognuplot=$T/path
    mkdir -p "$nognuplot"
    for tool in sh git strace; do p=$(command -v $tool) && ln -s "$p" "$nognuplot/$tool"; done
    expect 2 "plot without gnuplot" env PATH="$nognuplot" "$A" plot "$T/g"
    err_has "gnuplot-nox"
    expect 0 "run without gnuplot keeps its results" env PATH="$nognuplot" "$A" run --alloc glibc --workload churn \
        --param iters=1000 --reps 2 -o "$T/np"
    err_has "gnuplot-nox"
    [ "$(tail -n +2 "$T/np/results.csv" | wc -l)" -eq 2 ] && [ -s "$T/np/summary.csv" ] || fail "results lost without gnuplot"
    whole_rows "$T/np/results.csv"
    pass "run without gnuplot keeps results.csv and summary.csv"
    expect 2 "plot of a missing folder" "$A" plot "$T/nonexistent"
    expect 2 "plot with an unknown option" "$A" plot "$T/g" --colour
    expect 2 "merge of a missing folder" "$A" merge "$T/m" "$T/nonexistent"
    expect 2 "merge without folders" "$A" merge "$T/m"
    expect 2 "summary of a missing folder" "$A" summary "$T/nonexistent"
    expect 2 "unknown command" "$A" frobnicate
    for d in "$T"/b*; do whole_rows "$d/results.csv"; done
    pass "no refused command left a half-written row"
    ;;
variants)
    # name=backend[VAR=VALUE;…]: the backend's worker with the settings in its
    # environment, reported under its own name.
    expect 0 "run a variant beside its backend" "$A" run --alloc 'glibc,g2=glibc[ASB_VARIANT_A=1;ASB_VARIANT_B=x,y]' \
        --workload churn --param iters=2000 --reps 2 --no-plot -o "$T/v"
    [ "$(field "$T/v/results.csv" backend | sort | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" = "g2:2 glibc:2 " ] ||
        fail "backend column: $(field "$T/v/results.csv" backend | tr '\n' ' ')"
    [ "$(field "$T/v/results.csv" status | sort -u)" = ok ] || fail "variant runs not ok"
    pass "the variant's rows carry its name"
    grep -q '"g2": "glibc.*\[ASB_VARIANT_A=1;ASB_VARIANT_B=x,y\]"' "$T/v/env.json" || fail "env.json lacks the variant's settings"
    pass "env.json records the variant's base and settings"
    grep -q 'alloc=glibc,g2=glibc\[ASB_VARIANT_A=1;ASB_VARIANT_B=x,y\]' "$T/v/matrix.txt" || fail "matrix.txt lacks the variant"
    pass "matrix.txt keeps the variant (resume runs it again)"
    if "$A" list | grep -q '^  gostyle  *found'; then
        # GOSTYLEDEBUG=mcache=0 sends every allocation through an mcentral lock.
        expect 0 "gostyle with mcache=0 as a variant" "$A" run --alloc 'gostyle,nocache=gostyle[GOSTYLEDEBUG=mcache=0]' \
            --workload churn --param iters=5000 --reps 1 --no-plot -o "$T/g"
        locks() { awk -F, -v b="$(col "$T/g/results.csv" backend)" -v x="$(col "$T/g/results.csv" extra)" -v n="$1" \
            'NR > 1 && $b == n { if (match($x, /central_lock_acquisitions=[0-9]+/)) print substr($x, RSTART + 26, RLENGTH - 26) }' \
            "$T/g/results.csv"; }
        [ "$(locks nocache)" -ge 5000 ] && [ "$(locks gostyle)" -lt 1000 ] ||
            fail "central lock acquisitions: default $(locks gostyle), mcache=0 $(locks nocache)"
        pass "the variant's settings reach the allocator (mcentral locks $(locks nocache) vs $(locks gostyle))"
    fi
    for bad in 'x=glibc[A=1' 'x=nosuch[A=1]' 'x=glibc[=1]' 'x=glibc[1A=1]' 'glibc=glibc[A=1]' 'x=glibc[]' 'x y=glibc[A=1]' \
        'x=glibc[A=1][B=2]' 'x=glibc[A=1 B=2]'; do
        expect 2 "malformed variant $bad" "$A" run --alloc "$bad" --workload churn -o "$T/vb"
        [ -e "$T/vb" ] && fail "a refused variant created its folder"
    done
    expect 2 "variant with a bad setting" "$A" run --alloc 'x=glibc[1A=1]' --workload churn -o "$T/vb"
    err_has "setting '1A=1' is not VAR=VALUE"
    expect 2 "variant of an unknown backend" "$A" run --alloc 'x=nosuch[A=1]' --workload churn -o "$T/vb"
    err_has "'nosuch' is not a built backend"
    # Scheduler variants: GMPDEBUG=runnext=0 turns gmp's runnext off.
    expect 0 "a scheduler variant beside its scheduler" "$A" run --alloc glibc --workload pingpong \
        --sched 'gmp,nonext=gmp[GMPDEBUG=runnext=0]' --preset quick --param round_trips=2000 --reps 1 --no-plot -o "$T/sv"
    hits() { awk -F, -v s="$(col "$T/sv/results.csv" scheduler)" -v x="$(col "$T/sv/results.csv" extra)" -v n="$1" \
        'NR > 1 && $s == n { if (match($x, /runnext_hits=[0-9]+/)) print substr($x, RSTART + 13, RLENGTH - 13) }' \
        "$T/sv/results.csv"; }
    [ "$(hits nonext)" = 0 ] && [ "$(hits gmp)" -gt 0 ] || fail "runnext hits: default $(hits gmp), runnext=0 $(hits nonext)"
    pass "the scheduler variant's settings reach the scheduler (runnext hits $(hits gmp) vs $(hits nonext))"
    grep -q '"nonext": "gmp \[GMPDEBUG=runnext=0\]"' "$T/sv/env.json" || fail "env.json lacks the scheduler variant"
    pass "env.json records the scheduler variant"
    expect 2 "scheduler variant of an unknown scheduler" "$A" run --workload pingpong --sched 'x=nosuch[A=1]' -o "$T/vb"
    err_has "unknown scheduler 'nosuch'"
    expect 2 "scheduler variant named like a scheduler" "$A" run --workload pingpong --sched 'gmp=gmp[A=1]' -o "$T/vb"
    err_has "a variant needs a name of its own"
    expect 2 "malformed scheduler variant" "$A" run --workload pingpong --sched 'x=gmp[A]' -o "$T/vb"
    err_has "setting 'A' is not VAR=VALUE"
    printf 'run workload=churn alloc=x=nosuch[A=1]\n' >"$T/badv.txt"
    expect 2 "malformed variant in a matrix file" "$A" run --matrix "$T/badv.txt" -o "$T/vm"
    err_has "badv.txt:1: alloc=x=nosuch\\[A=1\\]"
    ;;
*)
    fail "unknown group $GROUP"
    ;;
esac
echo "1..$n"
