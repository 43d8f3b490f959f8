#!/bin/bash
# preload_compare.sh LIB SCRIPT — runs SCRIPT DIR (a real program's check that
# prints a deterministic digest of what it produced; tests/programs/*.sh)
# twice: with the system's glibc malloc, then with LIB under LD_PRELOAD, and
# requires both runs to succeed with identical output.  Exit 77 (skip) when
# LIB is absent or SCRIPT's program is not installed (SCRIPT exits 77).
set -u
lib=$1
script=$2
if [ ! -e "$lib" ]; then
    echo "SKIP: $lib is absent (the Go-style allocator is not built yet)"
    exit 77
fi
# ld.so only warns about a library it cannot preload, and runs on with glibc.
if preload_error=$(LD_PRELOAD=$lib /bin/true 2>&1) && [ -n "$preload_error" ]; then
    echo "FAIL: $lib cannot be preloaded: $preload_error"
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The library is really loaded into the programs the script starts.
if ! LD_PRELOAD=$lib bash -c 'grep -qF "$1" /proc/$$/maps' _ "$(realpath "$lib")"; then
    echo "FAIL: $lib is not mapped into a process started with LD_PRELOAD=$lib"
    exit 1
fi

bash "$script" "$work/glibc" >"$work/glibc.out" 2>"$work/glibc.err"
glibc_rc=$?
if [ $glibc_rc -eq 77 ]; then
    cat "$work/glibc.out"
    exit 77
fi
LD_PRELOAD=$lib bash "$script" "$work/preload" >"$work/preload.out" 2>"$work/preload.err"
preload_rc=$?

if [ $glibc_rc -ne 0 ]; then
    echo "FAIL: $script failed with glibc's malloc (status $glibc_rc): the check itself is broken"
    cat "$work/glibc.err"
    exit 1
fi
if [ $preload_rc -ne 0 ]; then
    if [ $preload_rc -gt 128 ]; then
        echo "FAIL: $script under LD_PRELOAD=$lib was killed by signal $((preload_rc - 128)) ($(kill -l $((preload_rc - 128))))"
    else
        echo "FAIL: $script under LD_PRELOAD=$lib exited with status $preload_rc"
    fi
    tail -n 30 "$work/preload.err"
    exit 1
fi
if [ ! -s "$work/glibc.out" ]; then
    echo "FAIL: $script printed nothing: there is no output to compare"
    exit 1
fi
if ! diff -u "$work/glibc.out" "$work/preload.out"; then
    echo "FAIL: $script produced different output under LD_PRELOAD=$lib (diff above: glibc vs preload)"
    exit 1
fi
echo "PASS: $(basename "$script") under LD_PRELOAD=$lib matches glibc:"
cat "$work/preload.out"
