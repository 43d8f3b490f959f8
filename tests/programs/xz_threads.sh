#!/bin/bash
# xz_threads.sh DIR — compresses a few MB with `xz -T2` (two compression
# threads, 1 MiB blocks so both get work), decompresses with two threads, and
# prints digests of the compressed stream and the round trip.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
seq 1 700000 | sed 's/$/ the quick brown fox/' >input   # ~17 MB, deterministic
xz -T2 --block-size=1MiB -6 -c input >input.xz
xz -T2 -d -c input.xz >roundtrip
cmp input roundtrip
echo "input $(sha256sum <input | cut -c1-64)"
echo "compressed $(sha256sum <input.xz | cut -c1-64)"
