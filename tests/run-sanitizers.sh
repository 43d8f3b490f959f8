#!/bin/bash
# run-sanitizers.sh — the allocator and harness unit tests under ASan+UBSan
# (build-asan: -Db_sanitize=address,undefined; suites conformance, gostyle,
# harness, workloads, report) and the scheduler tests under TSan (build-tsan:
# -Db_sanitize=thread; suites gmp, sched).  Suites that do not exist yet are
# skipped with a note.  In a sanitizer build only the glibc worker is built
# (allocators/meson.build): a sanitized process cannot run another malloc.
#
# LeakSanitizer is off for the 'harness' suite only: the CLI exits through
# asb_die()/asb_die_usage() with its allocations live, by design; the
# allocator suites keep it.  Under TSan the tests that run every workload
# through worker processes (sched-matrix-*, sched-allocators-*, sched-go-*)
# are left out: they take minutes each there; the scheduler's own tests stay.
#
# usage: tests/run-sanitizers.sh [asan|tsan]...   (default: both)
# Environment: SANITIZE_BUILD_ROOT (default: the source tree) holds the build
# folders; SANITIZE_TIME_LIMIT (seconds, default 480) bounds the whole run.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
root=${SANITIZE_BUILD_ROOT:-$src}
limit=${SANITIZE_TIME_LIMIT:-480}
start=$SECONDS
status=0

left() { echo $((limit - (SECONDS - start))); }

# sanitize NAME B_SANITIZE EXCLUDE_REGEX SUITES... — EXCLUDE_REGEX names tests
# to leave out ('' for none).
sanitize() {
    local name=$1 flags=$2 exclude=$3
    shift 3
    local build=$root/build-$name
    echo "=== $name: -Db_sanitize=$flags in $build (suites: $*)"
    if [ ! -f "$build/build.ninja" ]; then
        meson setup "$build" "$src" -Db_sanitize="$flags" -Db_lundef=false -Dbuildtype=debugoptimized \
            -Dgbench=disabled -Dgo_workloads=disabled >"$root/$name-setup.log" 2>&1 ||
            { echo "FAIL: meson setup (see $root/$name-setup.log)"; tail -n 20 "$root/$name-setup.log"; return 1; }
    fi
    # "asbench:SUITE / TEST" per line
    local listing
    listing=$(meson test -C "$build" --list 2>/dev/null | grep ' / ')
    local rc=0
    for s in "$@"; do
        local tests
        tests=$(sed -n "s|^[^:]*:$s / ||p" <<<"$listing")
        if [ -z "$tests" ]; then
            echo "note: suite '$s' does not exist yet: skipped"
            continue
        fi
        if [ -n "$exclude" ]; then
            grep -E "$exclude" <<<"$tests" | sed 's/^/note: left out under this sanitizer: /'
            tests=$(grep -vE "$exclude" <<<"$tests")
            [ -n "$tests" ] || continue
        fi
        local budget
        budget=$(left)
        [ "$budget" -gt 0 ] || { echo "FAIL: out of time before suite $s"; return 1; }
        local env=()
        [ "$s" = harness ] && env=(ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:print_summary=1)
        # shellcheck disable=SC2046  # one test name per word
        timeout -k 10 "$budget" env "${env[@]}" meson test -C "$build" --print-errorlogs --num-processes 2 $tests
        local suite_rc=$?
        [ $suite_rc -eq 124 ] || [ $suite_rc -eq 137 ] && echo "FAIL: suite $s ran past the ${limit} s limit"
        [ $suite_rc -eq 0 ] || rc=1
    done
    return $rc
}

phases=("$@")
[ ${#phases[@]} -gt 0 ] || phases=(asan tsan)
for phase in "${phases[@]}"; do
    case $phase in
    asan) sanitize asan address,undefined '' conformance gostyle harness workloads report || status=1 ;;
    tsan) sanitize tsan thread '^sched-(matrix|allocators|go)-' gmp sched || status=1 ;;
    *) echo "usage: $0 [asan|tsan]..." >&2; exit 2 ;;
    esac
done
echo "=== sanitizers: $([ $status -eq 0 ] && echo PASS || echo FAIL) in $((SECONDS - start)) s"
exit $status
