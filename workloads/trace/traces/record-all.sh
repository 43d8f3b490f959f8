#!/bin/sh
# record-all.sh [ASBENCH] — re-record every shipped trace in this folder with
# `asbench record` (default: ../../../build/harness/asbench), then gzip them.
# The programs are Debian packages: python3 (/usr/bin/python3), sqlite3,
# gcc, xz-utils.  Traces depend on the versions installed; README.md lists
# the versions the shipped ones came from.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
asbench=${1:-$root/build/harness/asbench}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# record NAME CMD ARGS… — records CMD into NAME.trace.gz (the root process).
record() {
    name=$1
    shift
    "$asbench" record -o "$work/$name.trace" -- "$@" > "$work/$name.out"
    gzip -9 -n -c "$work/$name.trace" > "$here/$name.trace.gz"
}

# Python with every object allocated through malloc (PYTHONMALLOC=malloc
# bypasses pymalloc's arenas, so the allocator sees each object).
PYTHONMALLOC=malloc PYTHONHASHSEED=0 record python-json /usr/bin/python3 "$here/inputs/py_json.py"
PYTHONMALLOC=malloc PYTHONHASHSEED=0 record python-threads /usr/bin/python3 "$here/inputs/py_threads.py"

record sqlite sqlite3 -batch :memory: -init /dev/null ".read $here/inputs/sqlite.sql"

# gcc's driver execs cc1, which writes its own FILE.<pid>: keep cc1's trace.
"$asbench" record -o "$work/gcc" -- gcc -O2 -w -D_GNU_SOURCE -c "$root/workloads/trace/trace_format.c" \
    -o "$work/trace_format.o" > "$work/gcc.out"
# The largest of the exec'd processes' traces (cc1, as) is cc1's.
largest=$(ls -S "$work"/gcc.[0-9]* | head -1)
gzip -9 -n -c "$largest" > "$here/gcc-cc1.trace.gz"

# xz with two compression threads over 256 KiB blocks of 6 MB of text.
seq 1 800000 > "$work/xz-input"
record xz-t2 xz -T2 --block-size=256KiB -1 -c "$work/xz-input"

for f in "$here"/*.trace.gz; do
    echo "== $(basename "$f")"
    "$asbench" trace stats "$f" | sed -n '3,4p;14,16p'
done
