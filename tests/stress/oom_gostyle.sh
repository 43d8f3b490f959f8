#!/bin/bash
# oom_gostyle.sh LIB PROBE — runs the out-of-memory probe (oom_probe.c) with
# LIB under LD_PRELOAD; exit 77 (skip) when LIB is absent.
lib=$1
probe=$2
if [ ! -e "$lib" ]; then
    echo "SKIP: $lib is absent (the Go-style allocator is not built yet)"
    exit 77
fi
LD_PRELOAD=$lib exec "$probe"
