#!/bin/bash
# bad_input.sh ASBENCH SRCDIR — bad input to every asbench command (unknown
# names, malformed files, impossible parameters, an output folder that cannot
# be written, a missing gnuplot) must exit with status 2 and a message on
# stderr, never crash, and never leave a half-written CSV row.  Commands are
# taken from `asbench --help`; a command without cases here still gets the
# unknown-option case.  TAP output.
set -u
asbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failures=0
extra_env=()   # VAR=value pairs for the next expect2
commands=$("$asbench" --help | awk '/^commands:/ {on = 1; next} on && NF {print $1}')

has_command() { grep -qx "$1" <<<"$commands"; }

# expect2 DESCRIPTION ARGS... — asbench ARGS must exit 2 with a message.
expect2() {
    local desc=$1
    shift
    n=$((n + 1))
    timeout 120 env "${extra_env[@]}" "$asbench" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    local why=""
    if [ $rc -ne 2 ]; then why="exit status $rc, expected 2"
    elif [ ! -s "$tmp/err" ]; then why="no message on stderr"
    elif grep -qiE 'segmentation|core dumped|sanitizer|assert' "$tmp/err"; then why="crash text on stderr"
    fi
    if [ -n "$why" ]; then
        echo "not ok $n - $desc: $why"
        sed 's/^/# /' "$tmp/err" | head -n 5
        failures=$((failures + 1))
    else
        echo "ok $n - $desc # $(head -n 1 "$tmp/err")"
    fi
}

# csv_intact FILE — every record of FILE has the header's field count and the
# file ends with a newline.
csv_intact() {
    [ -e "$1" ] || return 0
    python3 - "$1" <<'PY'
import csv, sys
data = open(sys.argv[1], newline="").read()
if data and not data.endswith("\n"):
    sys.exit("%s: the last row is not terminated" % sys.argv[1])
rows = list(csv.reader(data.splitlines()))
bad = [i + 1 for i, r in enumerate(rows) if len(r) != len(rows[0])]
if bad:
    sys.exit("%s: rows %s do not have the header's %d fields" % (sys.argv[1], bad, len(rows[0])))
PY
}

# ---- fixtures ----
printf 'this is not a results file\n"unterminated,quote\n' >"$tmp/garbage.csv"
mkdir -p "$tmp/garbage" "$tmp/empty"
cp "$tmp/garbage.csv" "$tmp/garbage/results.csv"
unwritable=/proc/version/results   # even root cannot create it
# A real results folder, for the cases that need one.
has_command run && "$asbench" run --alloc glibc --workload churn --preset quick --reps 1 --no-warmup --no-plot \
    --param iters=1000 -o "$tmp/good" >/dev/null 2>&1
touch "$tmp/not-a-dir"

# ---- the CLI itself ----
n=$((n + 1))
"$asbench" >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc -eq 2 ] && [ -s "$tmp/err" ]; then echo "ok $n - no command"; else echo "not ok $n - no command: status $rc"; failures=$((failures + 1)); fi
n=$((n + 1))
"$asbench" no-such-command >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc -eq 2 ] && [ -s "$tmp/err" ]; then echo "ok $n - unknown command"; else echo "not ok $n - unknown command: status $rc"; failures=$((failures + 1)); fi

# ---- every command: unknown option ----
for c in $commands; do
    expect2 "$c: unknown option" "$c" --no-such-option value
done

# ---- run ----
run() { expect2 "run: $1" run --no-plot --no-warmup --reps 1 --preset quick "${@:2}"; }
if has_command run; then
    run "unknown backend" --alloc no-such-backend -o "$tmp/run1"
    run "unknown workload" --alloc glibc --workload no-such-workload -o "$tmp/run2"
    run "0 threads" --alloc glibc --workload churn --threads 0 -o "$tmp/run3"
    run "negative threads" --alloc glibc --workload churn --threads -2 -o "$tmp/run4"
    run "0 repetitions" --alloc glibc --workload churn --reps 0 -o "$tmp/run5"
    run "unknown parameter" --alloc glibc --workload churn --param no_such=1 -o "$tmp/run6"
    run "negative size" --alloc glibc --workload churn --param min=-5 -o "$tmp/run7"
    run "size not a number" --alloc glibc --workload churn --param max=lots -o "$tmp/run8"
    run "missing library" --alloc x=/no/such/lib.so --workload churn -o "$tmp/run9"
    run "malformed matrix file" --matrix "$tmp/garbage.csv" -o "$tmp/run10"
    run "missing matrix file" --matrix "$tmp/no-such-matrix.txt" -o "$tmp/run11"
    run "unwritable output folder" --alloc glibc --workload churn -o "$unwritable"
    run "output folder is a file" --alloc glibc --workload churn -o "$tmp/not-a-dir"
    run "option without value" --alloc
    for f in "$tmp"/run*/results.csv; do
        n=$((n + 1))
        if msg=$(csv_intact "$f" 2>&1); then echo "ok $n - run: no half-written row in $(basename "$(dirname "$f")")"
        else echo "not ok $n - $msg"; failures=$((failures + 1)); fi
    done
fi

# ---- list ----
has_command list && expect2 "list: unknown argument" list no-such-thing

# ---- plot ----
if has_command plot; then
    expect2 "plot: missing folder" plot "$tmp/no-such-dir"
    expect2 "plot: folder without results" plot "$tmp/empty"
    expect2 "plot: malformed results.csv" plot "$tmp/garbage"
    if [ -e "$tmp/good/results.csv" ]; then
        expect2 "plot: unknown baseline" plot "$tmp/good" --baseline no-such-backend
        extra_env=(PATH=/nonexistent)
        expect2 "plot: gnuplot missing" plot "$tmp/good"
        extra_env=()
    fi
fi

# ---- stress ----
if has_command stress; then
    expect2 "stress: no --alloc" stress --seconds 1
    expect2 "stress: unknown backend" stress --alloc no-such-backend
    expect2 "stress: 0 threads" stress --alloc glibc --threads 0
    expect2 "stress: 0 seconds" stress --alloc glibc --seconds 0
    expect2 "stress: negative seconds" stress --alloc glibc --seconds -3
    expect2 "stress: negative seed" stress --alloc glibc --seed -1
    expect2 "stress: unknown parameter" stress --alloc glibc --param no_such=1
    expect2 "stress: negative size" stress --alloc glibc --seconds 1 --param max_size=-5
    expect2 "stress: unknown API" stress --alloc glibc --seconds 1 --param apis=malloc,nosuch_alloc
    expect2 "stress: missing library" stress --alloc x=/no/such/lib.so
fi

# ---- summary / compare / merge: results folders ----
has_command summary && expect2 "summary: missing folder" summary "$tmp/no-such-dir"
has_command summary && expect2 "summary: malformed results.csv" summary "$tmp/garbage"
has_command compare && expect2 "compare: missing folder" compare "$tmp/no-such-dir" "$tmp/garbage"
has_command compare && expect2 "compare: malformed results.csv" compare "$tmp/garbage" "$tmp/garbage"
has_command merge && expect2 "merge: missing input folder" merge "$tmp/merged" "$tmp/no-such-dir" --no-plot
has_command merge && expect2 "merge: malformed results.csv" merge "$tmp/merged2" "$tmp/garbage" "$tmp/garbage" --no-plot
has_command merge && [ -e "$tmp/good/results.csv" ] &&
    expect2 "merge: unwritable output folder" merge "$unwritable" "$tmp/good" --no-plot

# ---- reproduce / record / trace ----
has_command reproduce && expect2 "reproduce: unknown experiment" reproduce no-such-experiment
has_command record && expect2 "record: no command to run" record
has_command trace && expect2 "trace: unknown sub-command" trace no-such-verb "$tmp/garbage.csv"
has_command trace && expect2 "trace: missing trace file" trace dump "$tmp/no-such.trace"
has_command trace && expect2 "trace: malformed trace file" trace stats "$tmp/garbage.csv"
has_command record && expect2 "record: unwritable trace file" record -o "$unwritable/t.trace" -- true

for f in "$tmp"/merged*/results.csv; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    if msg=$(csv_intact "$f" 2>&1); then echo "ok $n - merge: no half-written row"
    else echo "not ok $n - $msg"; failures=$((failures + 1)); fi
done

echo "1..$n"
[ $failures -eq 0 ]
