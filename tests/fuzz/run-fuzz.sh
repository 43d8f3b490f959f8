#!/bin/sh
# run-fuzz.sh TARGET SECONDS — build tests/fuzz/TARGET/fuzz_TARGET.c (plus the
# repository sources listed in tests/fuzz/TARGET/sources, one per line, and
# the compiler flags in tests/fuzz/TARGET/cflags, if present) with
# clang -fsanitize=fuzzer,address,undefined and fuzz it for SECONDS (with the
# libFuzzer flags in tests/fuzz/TARGET/options, if present), starting
# from the corpus tests/fuzz/TARGET/corpus/.  New inputs go to a scratch
# corpus in the build folder ($FUZZ_BUILD_DIR, default /tmp/asb-fuzz-TARGET),
# never into the repository; crashes are kept there too.
# Exits 77 (skipped) when clang cannot build a libFuzzer binary at all, 1 when
# the target does not compile.
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 TARGET SECONDS" >&2
    exit 2
fi
target=$1
seconds=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$root/tests/fuzz/$target
build=${FUZZ_BUILD_DIR:-/tmp/asb-fuzz-$target}
[ -f "$dir/fuzz_$target.c" ] || { echo "no fuzz target $dir/fuzz_$target.c" >&2; exit 2; }
mkdir -p "$build/scratch-corpus" "$build/artifacts"

sources=""
# The target's folder and tests/fuzz/common (stand-ins for generated headers)
# come first on the include path.
incs="-I$dir -I$root/tests/fuzz/common -iquote $root -iquote $root/allocators"
if [ -f "$dir/sources" ]; then
    while read -r src; do
        [ -n "$src" ] || continue
        sources="$sources $root/$src"
        incs="$incs -iquote $(dirname "$root/$src")"
    done < "$dir/sources"
fi

cflags=""
if [ -f "$dir/cflags" ]; then cflags=$(cat "$dir/cflags"); fi

clang=${CLANG:-clang}
if ! command -v "$clang" >/dev/null 2>&1; then
    echo "SKIP: $clang not found (Debian: clang)"
    exit 77
fi
# Skip only when clang cannot build any libFuzzer binary; a target that does
# not compile is a failure, not a skip.
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    > "$build/probe.c"
if ! "$clang" -fsanitize=fuzzer,address,undefined "$build/probe.c" -o "$build/probe" 2> "$build/build.log"; then
    echo "SKIP: clang cannot build a libFuzzer target here (see $build/build.log):"
    tail -5 "$build/build.log"
    exit 77
fi
# shellcheck disable=SC2086
if ! "$clang" -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        $cflags $incs "$dir/fuzz_$target.c" $sources -o "$build/fuzz_$target" 2> "$build/build.log"; then
    echo "FAIL: the fuzz target $target does not compile:"
    tail -20 "$build/build.log"
    exit 1
fi
options=""
if [ -f "$dir/options" ]; then options=$(cat "$dir/options"); fi
echo "fuzzing $target for $seconds s (corpus $dir/corpus, scratch $build/scratch-corpus)"
# The target's options come last: they override these defaults.
# shellcheck disable=SC2086
# libFuzzer's own exit status for a finding is 77, which meson reads as
# "skipped": make every finding a failure.
exec "$build/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -artifact_prefix="$build/artifacts/" $options "$build/scratch-corpus" "$dir/corpus"
