#!/bin/sh
# report_test.sh — the overview, the HTML pages, the results store and the
# history, one group per invocation:  report_test.sh ASBENCH GROUP
#   heatmap          asbench plot: the ratio heatmaps (a difference, "no
#                    difference", no ratio across machines), at the top of
#                    report.md with the per-backend geometric means
#   browser-report   report.html in headless chromium: heatmaps shown, a
#                    table sorts on a click, filters hide rows, no error
#   db               db add / duplicate refused / query / bad selectors /
#                    a file that is no database / a damaged one / a locked one
#   history          a change planted at one commit in a synthetic history is
#                    found there (history page and db bisect), machines apart
#   browser-history  history.html in headless chromium
# The results folders are synthetic (known values): no check depends on
# this machine's speed.  The browser groups SKIP when chromium is absent.
set -u
A=$1
GROUP=$2
TAP_NAME=$GROUP
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../harness/tap.sh"

# report_folder DIR: 4 backends x 3 workloads x 2 thread counts, 5 reps, ns/op
# and peak RSS with a factor per backend (mimalloc 0.6, jemalloc 0.8 except
# on churn where it equals glibc, gostyle 1.3) and noise that depends on the
# repetition only (so equal factors give equal samples); xmalloc-test's
# glibc ran on machine m2 (no ratio there); two schedulers on one workload.
report_folder() {
    mkdir -p "$1"
    awk 'BEGIN {
        print "backend,scheduler,workload,params,threads,repetition,status,machine,ns_per_op,peak_rss_kb"
        split("glibc jemalloc mimalloc gostyle", B, " "); split("larson churn xmalloc-test", W, " ")
        f["glibc"] = 1; f["jemalloc"] = 0.8; f["mimalloc"] = 0.6; f["gostyle"] = 1.3
        for (r = 1; r <= 5; r++) for (w = 1; w <= 3; w++) for (t = 1; t <= 2; t++) for (b = 1; b <= 4; b++) {
            k = W[w] == "churn" && B[b] == "jemalloc" ? 1 : f[B[b]]
            noise = 1 + 0.01 * ((r * 3) % 5 - 2)
            printf "%s,NA,%s,n=1,%d,%d,ok,%s,%.3f,%.0f\n", B[b], W[w], t, r,
                W[w] == "xmalloc-test" && B[b] == "glibc" ? "m2" : "m1", 100 * w * k * noise, 1000 * w / k * noise
        }
        for (r = 1; r <= 5; r++) for (s = 1; s <= 2; s++)
            printf "glibc,%s,spawn,n=1,2,%d,ok,m1,%.3f,2000\n", s == 1 ? "gmp" : "wsdeque", r, 50 * (s == 1 ? 1 : 1.5) * (1 + 0.01 * r)
    }' >"$1/results.csv"
    printf '{\n  "start_time": "2026-12-01T10:00:00Z",\n  "git_revision": "aaaa1111",\n  "git_dirty": false,\n  "machine_id": "m1",\n  "noise": {"loadavg_before": [0.5, 0.4, 0.3], "steal_fraction": 0.01}\n}\n' >"$1/env.json"
}

# history_run DIR REV DAY MACHINE STEP: 4 cells (glibc and mimalloc, 1 and 2
# threads) x 3 reps with 2% noise (seeded by DAY and MACHINE); mimalloc t=2
# multiplied by STEP; machine m2 is twice as slow as m1.
history_run() {
    mkdir -p "$1"
    awk -v day="$3" -v machine="$4" -v step="$5" 'BEGIN {
        srand(day * 10 + (machine == "m2"))
        print "backend,scheduler,workload,params,threads,repetition,status,machine,ns_per_op,peak_rss_kb"
        for (r = 1; r <= 3; r++) for (t = 1; t <= 2; t++) for (b = 0; b < 2; b++) {
            g = sqrt(-2 * log(1 - rand())) * cos(6.283185307 * rand())
            k = (b && t == 2 ? step : 1) * (machine == "m2" ? 2 : 1)
            printf "%s,NA,churn,n=1,%d,%d,ok,%s,%.3f,%d\n", b ? "mimalloc" : "glibc", t, r, machine,
                (100 + 10 * b) * k * (1 + 0.02 * g), 5000
        }
    }' >"$1/results.csv"
    printf '{\n  "start_time": "2026-11-%02dT%s:00:00Z",\n  "git_revision": "%s",\n  "git_dirty": false,\n  "machine_id": "%s"\n}\n' \
        "$3" "$([ "$4" = m1 ] && echo 10 || echo 11)" "$2" "$4" >"$1/env.json"
}

# browser PAGE CHECK-JSON: PAGE copied beside itself with browser_check.js
# inserted before its own script, loaded in headless chromium; each PASS
# line of the check is a TAP line, a FAIL line or a console message fails.
browser() {
    page=$1
    copy="${page%.html}.check.html"
    awk -v check="$2" -v driver="$HERE/browser_check.js" '
        /<body>/ && !done { sub(/<body>/, ""); print; print "<body><script>window.CHECK = " check ";"
            while ((getline line < driver) > 0) print line
            print "</script>"; done = 1; next }
        { print }' "$page" >"$copy"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$T/chromium" \
        --virtual-time-budget=5000 --enable-logging=stderr --v=0 --dump-dom "file://$copy" >"$T/dom" 2>"$T/log" ||
        { sed 's/^/# /' "$T/log" | tail -20; fail "chromium failed on $copy"; }
    grep -q '^DONE$' "$T/dom" || { sed 's/^/# /' "$T/log" | grep -v dbus | tail -20; fail "the check did not finish in the page"; }
    grep '^FAIL ' "$T/dom" && fail "a check failed in the browser"
    grep '^PASS ' "$T/dom" | while read -r _ what; do echo "# browser: $what"; done
    pass "$(grep -c '^PASS ' "$T/dom") checks passed in chromium on $(basename "$page")"
    ! grep ':CONSOLE' "$T/log" || fail "the browser console printed messages"
    pass "no console message"
}

find_chromium() {
    CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
    if [ -z "$CHROMIUM" ]; then
        echo "1..0 # SKIP chromium is not installed (Debian package chromium; tools/bootstrap installs it)"
        exit 0
    fi
}

case $GROUP in
heatmap)
    report_folder "$T/r"
    expect 0 "plot a synthetic results folder" "$A" plot "$T/r"
    for m in time peak_rss time-sched peak_rss-sched; do
        [ -s "$T/r/plots/heatmap-$m.png" ] && [ -s "$T/r/plots/heatmap-$m.svg" ] || fail "heatmap-$m PNG and SVG"
    done
    pass "heatmaps of time and peak RSS (allocator and scheduler workloads), PNG and SVG"
    d=$T/r/plots/heatmap-time.dat
    grep -q '^2 0 -0.7370 0 "0.6" "\[0.582, 0.618\]"$' "$d" || { cat "$d"; fail "mimalloc larson t=1: ratio 0.6"; }
    pass "a cell's value: mimalloc/glibc = 0.6 with its interval"
    grep -q '^1 2 0.0000 1 "1 =" ' "$d" || { cat "$d"; fail "jemalloc churn t=1: no difference"; }
    pass "equal samples are marked no difference (=)"
    grep -q '^[0-9] 4 0 2 "NA" "other machine"$' "$d" || { cat "$d"; fail "xmalloc-test: no ratio across machines"; }
    grep -q '^0 4 0 2 "NA"' "$d" && fail "the baseline of another machine got a ratio"
    pass "no ratio where the baseline ran on another machine"
    grep -q '^0 0 0 3 "baseline"' "$d" || fail "the baseline column"
    pass "the baseline's own cells say baseline"
    grep -q 'set ytics ("larson t=1" 0, "larson t=2" 1, "churn t=1" 2' "$T/r/plots/heatmap-time.gp" || fail "row names"
    pass "rows are the workload groups"
    overview=$(grep -n '^## Overview' "$T/r/report.md" | cut -d: -f1)
    first_chart=$(grep -n '^## ' "$T/r/report.md" | sed -n 2p | cut -d: -f1)
    [ -n "$overview" ] && [ "$(grep -c '^## ' "$T/r/report.md" | head -1)" -gt 1 ] &&
        [ "$overview" -lt "$first_chart" ] || fail "the overview comes first in report.md"
    grep -q '!\[heatmap-time\](plots/heatmap-time.png)' "$T/r/report.md" || fail "the time heatmap in report.md"
    pass "report.md opens with the heatmaps"
    grep -q '^\*\*Geometric mean of the time per op ratios\*\*.* mimalloc 0.600 \[0.600, 0.600\] (4 cells) · gostyle 1.300 ' \
        "$T/r/report.md" || { grep Geometric "$T/r/report.md"; fail "geometric mean line"; }
    pass "per-backend geometric means under the heatmaps (cells with a ratio only)"
    [ -s "$T/r/report.html" ] || fail "report.html"
    grep -q 'src="plots/heatmap-time.svg"' "$T/r/report.html" || fail "heatmap in report.html"
    grep -o 'https\?://[^" ]*' "$T/r/report.html" | grep -q . && fail "report.html refers to the network"
    grep -q '<a href="results.csv">' "$T/r/report.html" || fail "link to results.csv"
    grep -q 'id="env-json"' "$T/r/report.html" || fail "env.json in report.html"
    pass "report.html: heatmaps, links to the CSVs, env.json, nothing from the network"
    ;;
browser-report)
    find_chromium
    report_folder "$T/r"
    expect 0 "plot a synthetic results folder" "$A" plot "$T/r"
    browser "$T/r/report.html" '{table: "cells", sortColumn: "ns/op", filterColumn: "backend", figures: "img.heatmap"}'
    grep -q '<div id="env-view"><h3>Noise around the run</h3><table>' "$T/dom" || fail "env.json drawn"
    pass "the environment and noise are drawn from env.json"
    ;;
db)
    report_folder "$T/a"
    report_folder "$T/b"
    sed -i 's/aaaa1111/bbbb2222/; s/2026-12-01/2026-12-02/' "$T/b/env.json"
    awk -F, -v OFS=, '$1 == "mimalloc" && $3 == "larson" && $5 == 1 { $9 = sprintf("%.3f", $9 * 1.1) } { print }' \
        "$T/a/results.csv" >"$T/b/results.csv"
    db=$T/store.db
    expect 0 "db add a folder" "$A" db add "$T/a" --db "$db"
    out_has "as run 1: revision aaaa1111, machine m1, 2026-12-01T10:00:00Z, 130 rows"
    expect 2 "db add the same folder again" "$A" db add "$T/a" --db "$db"
    err_has "already stored in $db as run 1"
    expect 0 "db add another revision" "$A" db add "$T/b" --db "$db"
    expect 0 "db query lists the runs" "$A" db query --db "$db"
    [ "$(grep -c ' m1 ' "$T/out")" -eq 2 ] || { cat "$T/out"; fail "two runs stored, the duplicate not"; }
    pass "two runs stored, the duplicate not"
    expect 0 "db query a cell" "$A" db query --db "$db" workload=larson backend=mimalloc threads=1
    out_has "larson mimalloc t=1 n=1 on m1 (ns_per_op):"
    grep -q 'aaaa1111 *5 *60 ' "$T/out" && grep -q 'bbbb2222 *5 *66 ' "$T/out" || { cat "$T/out"; fail "history of the cell"; }
    pass "the cell's median per revision, in date order"
    expect 2 "a selector with an unknown key" "$A" db query --db "$db" colour=red
    err_has "KEY one of backend"
    expect 2 "no cell matches" "$A" db query --db "$db" workload=nothing
    rm "$T/a/env.json"
    sed -i 's/larson/larsen/' "$T/a/results.csv"
    expect 2 "a folder without a revision" "$A" db add "$T/a" --db "$db"
    err_has "give one with --revision REV"
    expect 0 "the revision given by hand" "$A" db add "$T/a" --db "$db" --revision cccc3333
    expect 2 "query a store that does not exist" "$A" db query --db "$T/none.db"
    err_has "cannot open it"
    [ ! -e "$T/none.db" ] || fail "a query created a store"
    pass "a query creates nothing"
    # A file that is no database: refused, untouched.
    printf 'these are not the pages of an SQLite database, but notes someone kept here\n%.0s' 1 2 3 4 5 >"$T/notes.db"
    cp "$T/notes.db" "$T/notes.orig"
    expect 2 "db add into a file that is no database" "$A" db add "$T/b" --db "$T/notes.db"
    err_has "is not an SQLite database"
    cmp -s "$T/notes.db" "$T/notes.orig" || fail "the file was changed"
    pass "the file is left as it was"
    # A damaged store: every page after the first overwritten.
    cp "$db" "$T/damaged.db"
    size=$(stat -c %s "$T/damaged.db")
    yes 'a damaged page' | head -c $((size - 4096)) | dd of="$T/damaged.db" bs=4096 seek=1 conv=notrunc 2>/dev/null
    expect 2 "query a damaged store" "$A" db query --db "$T/damaged.db" workload=larson
    err_has "damaged"
    # A locked store: nothing written, everything kept.
    (echo "BEGIN EXCLUSIVE; SELECT 'locked';"; sleep 7) | sqlite3 "$db" >"$T/lock.out" &
    locker=$!
    i=0; while [ ! -s "$T/lock.out" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    report_folder "$T/c"
    sed -i 's/aaaa1111/dddd4444/; s/^glibc,NA,larson,n=1,1,1,ok,m1,/glibc,NA,larson,n=1,1,1,ok,m1,1/' "$T/c/env.json" "$T/c/results.csv"
    expect 2 "db add while another process locks the store" "$A" db add "$T/c" --db "$db"
    err_has "another process holds a lock"
    wait $locker
    expect 0 "db query after the lock" "$A" db query --db "$db"
    [ "$(grep -c ' m1 ' "$T/out")" -eq 3 ] || { cat "$T/out"; fail "the three runs stored before are all there"; }
    pass "nothing stored before was lost"
    expect 0 "db add once the lock is gone" "$A" db add "$T/c" --db "$db"
    ;;
history|browser-history)
    [ "$GROUP" = history ] || find_chromium
    db=$T/h.db
    # Eight commits on machine m1 and the same eight on m2; mimalloc t=2
    # becomes 25% slower at commit r5 on m1 only.
    for day in 1 2 3 4 5 6 7 8; do
        for machine in m1 m2; do
            step=1; [ "$machine" = m1 ] && [ "$day" -ge 5 ] && step=1.25
            history_run "$T/runs/$machine-$day" "r$day" "$day" "$machine" "$step"
            "$A" db add "$T/runs/$machine-$day" --db "$db" >/dev/null || fail "db add r$day on $machine"
        done
    done
    pass "16 runs stored (8 commits x 2 machines)"
    expect 0 "history page" "$A" history --db "$db" -o "$T/hist"
    h=$T/hist/history.html
    [ "$(grep -c '<svg class="trend"' "$h")" -eq 8 ] || fail "one trend per cell and machine (4 cells x 2 machines)"
    pass "one trend chart per cell and machine: 8"
    if [ "$GROUP" = browser-history ]; then
        browser "$h" '{table: "trends", sortColumn: "latest median", filterColumn: "machine", figures: "svg.trend"}'
        exit 0
    fi
    [ "$(grep -c 'class="change"' "$h")" -eq 1 ] || { grep -o '<tr><td>churn[^<]*</td><td>m[12]</td><td class="revision">[^<]*' "$h"; fail "exactly one change point"; }
    grep -q '<tr><td>churn mimalloc t=2 n=1</td><td>m1</td><td class="revision">r5</td>' "$h" ||
        fail "the change point at r5 on m1"
    pass "the planted change is found at commit r5, on m1 only"
    expect 0 "db bisect the changed cell on m1" "$A" db bisect --db "$db" workload=churn backend=mimalloc threads=2 machine=m1
    out_has "first change at revision r5 (2026-11-05T10:00:00Z"
    out_has "last revision without it: r4"
    expect 1 "db bisect the same cell on m2" "$A" db bisect --db "$db" workload=churn backend=mimalloc threads=2 machine=m2
    out_has "no change point"
    expect 1 "db bisect a steady cell" "$A" db bisect --db "$db" workload=churn backend=glibc threads=2
    expect 2 "history without -o" "$A" history --db "$db"
    expect 2 "history of a store that does not exist" "$A" history --db "$T/none.db" -o "$T/x"
    ;;
*) fail "unknown group $GROUP" ;;
esac
echo "1..$n"
