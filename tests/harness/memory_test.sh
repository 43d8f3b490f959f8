#!/bin/sh
# memory_test.sh — memory over time through the asbench CLI, one group per
# invocation:  memory_test.sh ASBENCH GROUP [sanitized]   (GROUP: thp profile frag)
#   thp      a backend variant [THP=never] reaches the worker: the row's
#            memory.thp_disabled (the worker's prctl read-back) is 1, and 0
#            without it; a bad THP value exits 2 before anything is written;
#            the timeline has smaps samples (anon_huge_kb)
#   profile  a bad empirical profile exits 2 naming FILE:LINE and the problem
#   frag     the fragmentation curve of a constant live set: 4000 objects of
#            4 KiB alive at once, so the sampled live bytes stay within one
#            object of 16000 KiB and RSS / live is near 1 (the worker's own
#            footprint on top; in a sanitizer build only >= 1, since its
#            allocator keeps freed blocks in quarantine); report.md's
#            "Memory over time" section
# No check depends on speed.
set -u
A=$1
GROUP=$2
SANITIZED=${3:-}
TAP_NAME=memory-$GROUP
. "$(dirname "$0")/tap.sh"
# extra_key FILE ROW KEY: the value of a key of the extra column in row ROW (1 = first data row).
extra_key() {
    python3 - "$1" "$2" "$3" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for kv in rows[int(sys.argv[2]) - 1]["extra"].split(";"):
    k, _, v = kv.partition("=")
    if k == sys.argv[3]:
        print(v)
EOF
}
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 0; }
case $GROUP in
thp)
    expect 0 "run empirical with and without THP=never" "$A" run --alloc 'glibc,nothp=glibc[THP=never]' \
        --workload empirical --param allocs=50000 --reps 1 --no-warmup --no-plot -o "$T/thp"
    [ "$(extra_key "$T/thp/results.csv" 1 memory.thp_disabled)" = 0 ] || fail "glibc row: thp_disabled is not 0"
    [ "$(extra_key "$T/thp/results.csv" 2 memory.thp_disabled)" = 1 ] || fail "THP=never row: thp_disabled is not 1"
    pass "the worker reads back PR_GET_THP_DISABLE: 1 under THP=never, 0 without"
    tl=$(field "$T/thp/results.csv" timeline | head -1)
    awk -F, 'NR > 1 && $3 != "" { found = 1 } END { exit !found }' "$T/thp/$tl" || fail "no smaps sample in $tl"
    [ -n "$(extra_key "$T/thp/results.csv" 1 memory.thp_coverage)" ] || fail "no memory.thp_coverage"
    pass "the timeline samples smaps_rollup; the row has the huge-page figures"
    expect 2 "THP=sometimes refused" "$A" run --alloc 'x=glibc[THP=sometimes]' --workload churn -o "$T/bad"
    err_has "THP=sometimes: expected never"
    [ ! -e "$T/bad" ] || fail "a refused command wrote $T/bad"
    pass "nothing written"
    ;;
profile)
    printf 'threads 1\nsize 16 1\nlifetime 1-x 1\n' >"$T/bad.profile"
    expect 2 "run empirical with a bad profile" "$A" run --alloc glibc --workload empirical \
        --param profile="$T/bad.profile" --reps 1 --no-warmup --no-plot -o "$T/p"
    err_has "bad.profile:3: lifetime '1-x': expected a number or LO-HI or forever"
    expect 2 "run empirical with a missing profile" "$A" run --alloc glibc --workload empirical \
        --param profile=no-such-profile --reps 1 --no-warmup --no-plot -o "$T/q"
    err_has "no-such-profile: cannot read the profile"
    ;;
frag)
    printf 'threads 1\nsize 4096 1\nlifetime 4000 1\n' >"$T/constant.profile"
    expect 0 "run empirical with a constant live set" "$A" run --alloc glibc --workload empirical \
        --param profile="$T/constant.profile" --param allocs=400000 --reps 1 --no-warmup -o "$T/f"
    tl=$(field "$T/f/results.csv" timeline)
    # After the first 4000 allocations every one frees the object 4000 older:
    # 4000 objects live, 4001 for a moment between malloc and free.
    awk -F, -v lo=$((4000 * 4096)) -v hi=$((4001 * 4096)) \
        'NR > 1 && $5 != "" { n++; if ($5 > hi) bad = 1; if ($5 >= lo) steady++ } END { exit bad || n < 3 || steady < 1 }' \
        "$T/f/$tl" || fail "live_bytes in $tl are not those of 4000 objects of 4 KiB"
    pass "the sampled live bytes are the workload's: at most 4001 x 4 KiB, and 4000 x 4 KiB once steady"
    frag=$(extra_key "$T/f/results.csv" 1 memory.frag_mean)
    fmax=$(extra_key "$T/f/results.csv" 1 memory.frag_max)
    top=1.6
    [ -n "$SANITIZED" ] && top=1e9
    python3 -c "import sys; m, x = float('$frag'), float('$fmax'); sys.exit(not (1.0 <= m <= $top and m <= x))" ||
        fail "frag_mean $frag (max $fmax): expected RSS / live within 1.0..$top for 16 MB live"
    pass "RSS / live of a constant 16 MB live set: frag_mean $frag within 1.0..$top"
    [ -n "$(extra_key "$T/f/results.csv" 1 memory.rss_mean_kib)" ] || fail "no memory.rss_mean_kib"
    pass "time-weighted mean RSS in the row"
    if command -v gnuplot >/dev/null; then
        grep -q "^## Memory over time" "$T/f/report.md" || fail "report.md lacks the Memory over time section"
        grep -q "plots/frag-empirical.png" "$T/f/report.md" && [ -s "$T/f/plots/frag-empirical.png" ] ||
            fail "no frag-empirical chart"
        pass "report.md: Memory over time with the RSS / live chart"
    else
        skip "report.md: Memory over time" "gnuplot not installed"
    fi
    ;;
*) fail "unknown group $GROUP" ;;
esac
echo "1..$n"
