# tap.sh — the TAP helpers the harness's shell tests share (sourced after
# setting TAP_NAME, the test's name in a failure line):
#   T            a temporary folder, removed at exit
#   pass WHAT    one passing check;  skip WHAT WHY  one skipped check
#   fail WHAT    a failing check: the test stops
#   expect STATUS WHAT COMMAND...  run it (stdout in $T/out, stderr in $T/err)
#                and check its exit status
#   err_has TEXT / out_has TEXT     stderr / stdout of the last expect holds TEXT
#   col FILE NAME                   column number of NAME in a CSV header
#   field FILE NAME                 the values of a column (fields hold no commas)
#   runs FILE                       "backend|sched|workload|params|threads rep N" per row, sorted
T=$(mktemp -d "${TMPDIR:-/tmp}/asbench-$TAP_NAME.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
fail() { echo "not ok - $TAP_NAME: $*"; exit 1; }
pass() { n=$((n + 1)); echo "ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
expect() {
    want=$1; what=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" -eq "$want" ] || { sed "s/^/# /" "$T/out" "$T/err"; fail "$what: exit $got, expected $want"; }
    pass "$what (exit $want)"
}
err_has() { grep -q -- "$1" "$T/err" || { sed "s/^/# /" "$T/err"; fail "stderr lacks '$1'"; }; pass "message names '$1'"; }
out_has() { grep -q -- "$1" "$T/out" || { sed "s/^/# /" "$T/out"; fail "output lacks '$1'"; }; pass "output has '$1'"; }
col() { head -1 "$1" | tr ',' '\n' | grep -n -x -- "$2" | cut -d: -f1; }
field() { c=$(col "$1" "$2"); tail -n +2 "$1" | cut -d, -f"$c"; }
runs() {
    awk -F, -v b="$(col "$1" backend)" -v s="$(col "$1" scheduler)" -v w="$(col "$1" workload)" \
        -v p="$(col "$1" params)" -v t="$(col "$1" threads)" -v r="$(col "$1" repetition)" \
        'NR > 1 { print $b "|" $s "|" $w "|" $p "|" $t " rep " $r }' "$1" | sort
}
