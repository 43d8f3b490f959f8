#!/bin/sh
# settings_test.sh — strict ablation settings at the CLI (issue 14): a
# misspelt key or a bad value in a variant's GOSTYLEDEBUG / GMPDEBUG, or in
# the environment asbench starts with, is refused with exit 2 and the
# parser's message before any results folder is written; a worker given one
# directly exits 1 (its `error`) with the message as its last stderr line.
#   settings_test.sh ASBENCH
set -u
A=$1
W=$(dirname "$A")
TAP_NAME=settings
. "$(dirname "$0")/tap.sh"

# refused WHAT MESSAGE COMMAND...: exit 2, MESSAGE on stderr, no folder $T/out.
refused() {
    what=$1; message=$2; shift 2
    rm -rf "$T/out"
    "$@" >"$T/stdout" 2>"$T/err"
    got=$?
    [ "$got" -eq 2 ] || { sed 's/^/# /' "$T/err"; fail "$what: exit $got, expected 2"; }
    grep -qF -- "$message" "$T/err" || { sed 's/^/# /' "$T/err"; fail "$what: stderr lacks '$message'"; }
    [ ! -e "$T/out" ] || fail "$what: $T/out was written before the refusal"
    pass "$what: exit 2 naming '$message', nothing written"
}

# worker_refuses WHAT MESSAGE ENV=VALUE WORKER ARGS...: exit 1, MESSAGE last on stderr.
worker_refuses() {
    what=$1; message=$2; setting=$3; shift 3
    env "$setting" "$@" >"$T/stdout" 2>"$T/err"
    got=$?
    [ "$got" -eq 1 ] || { sed 's/^/# /' "$T/err"; fail "$what: worker exit $got, expected 1 (error)"; }
    [ "$(tail -n 1 "$T/err")" = "$message" ] || { sed 's/^/# /' "$T/err"; fail "$what: last stderr line is not '$message'"; }
    pass "$what: worker exits 1 with '$message'"
}

GKNOWN="(known: mcache, pagecache, freegc, printstats, scavenger, madvise, procs, gcpercent)"
MKNOWN="(known: runnext, steal, spinning, asyncpreempt, sysmon, netpoll, procs)"
unset GOSTYLEDEBUG GMPDEBUG

# Variants: every settings check happens while the options are parsed.
if [ -x "$W/asbench-worker-gostyle" ]; then
    refused "allocator variant with a misspelt key" "GOSTYLEDEBUG: unknown key mcahce $GKNOWN" \
        "$A" run --alloc 'gostyle,nc=gostyle[GOSTYLEDEBUG=mcahce=0]' --workload churn --reps 1 --no-plot -o "$T/out"
    refused "allocator variant with a bad value" "GOSTYLEDEBUG: mcache=7: expected 0 or 1" \
        "$A" run --alloc 'nc=gostyle[GOSTYLEDEBUG=freegc=1,mcache=7]' --workload churn --reps 1 --no-plot -o "$T/out"
    refused "stress variant" "GOSTYLEDEBUG: scavenger=sometimes: expected off, background or eager" \
        "$A" stress --alloc 'sc=gostyle[GOSTYLEDEBUG=scavenger=sometimes]' --seconds 1
    worker_refuses "gostyle worker, GOSTYLEDEBUG typo" "GOSTYLEDEBUG: unknown key mcahce $GKNOWN" \
        GOSTYLEDEBUG=mcahce=0 "$W/asbench-worker-gostyle" --workload churn --preset quick
    # A valid variant still runs.
    "$A" run --alloc 'nc=gostyle[GOSTYLEDEBUG=mcache=0,scavenger=off]' --workload churn --param iters=2000 \
        --reps 1 --no-plot -o "$T/good" >"$T/stdout" 2>"$T/err" || { sed 's/^/# /' "$T/err"; fail "a valid variant was refused"; }
    grep -q ',ok,' "$T/good/results.csv" || fail "the valid variant's run is not ok"
    pass "a valid GOSTYLEDEBUG variant runs"
else
    n=$((n + 1)); echo "ok $n - gostyle variants # SKIP the gostyle worker is not built (sanitizer build)"
fi
refused "scheduler variant with a misspelt key" "GMPDEBUG: unknown key runext $MKNOWN" \
    "$A" run --alloc glibc --sched 'gmp,x=gmp[GMPDEBUG=runext=0]' --workload pingpong --reps 1 --no-plot -o "$T/out"
refused "scheduler variant with a bad value" "GMPDEBUG: procs=0: expected an integer in 1..1024" \
    "$A" run --alloc glibc --sched 'x=gmp[GMPDEBUG=procs=0]' --workload pingpong --reps 1 --no-plot -o "$T/out"
worker_refuses "gmp in a worker, GMPDEBUG typo" "GMPDEBUG: unknown key runext $MKNOWN" \
    GMPDEBUG=runext=0 "$W/asbench-worker-glibc" --workload pingpong --sched gmp --preset quick

# The environment asbench starts with reaches every worker: checked first.
refused "GMPDEBUG in run's environment" "GMPDEBUG: steal=2: expected 0 or 1" \
    env GMPDEBUG=steal=2 "$A" run --alloc glibc --workload churn --reps 1 --no-plot -o "$T/out"
refused "GOSTYLEDEBUG in stress's environment" "GOSTYLEDEBUG: unknown key pagecahce $GKNOWN" \
    env GOSTYLEDEBUG=pagecahce=0 "$A" stress --alloc glibc --seconds 1
refused "GOSTYLEDEBUG in micro's environment" "GOSTYLEDEBUG: procs=x: expected an integer in 1..256" \
    env GOSTYLEDEBUG=procs=x "$A" micro -o "$T/out"
refused "GMPDEBUG in reproduce's environment" "GMPDEBUG: unknown key preempt $MKNOWN" \
    env GMPDEBUG=preempt=0 "$A" reproduce --list
# Valid settings in the environment pass.
env GMPDEBUG=runnext=0, GOSTYLEDEBUG= "$A" run --alloc glibc --workload churn --param iters=2000 --reps 1 \
    --no-plot -o "$T/envok" >"$T/stdout" 2>"$T/err" || { sed 's/^/# /' "$T/err"; fail "valid settings in the environment were refused"; }
pass "valid settings in the environment pass (a trailing comma is no error)"
echo "1..$n"
