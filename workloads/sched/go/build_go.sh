#!/bin/sh
# build_go.sh GO OUTPUT WORKDIR SOURCE... — build the Go worker offline: copy
# the module's sources (and the generated params_gen.go) into WORKDIR/src and
# run `go build` there with its caches inside WORKDIR (no network, no modules
# outside the standard library).
set -e
go=$1 out=$2 work=$3
shift 3
case $out in /*) ;; *) out=$PWD/$out ;; esac
case $work in /*) ;; *) work=$PWD/$work ;; esac
rm -rf "$work/src"
mkdir -p "$work/src"
cp "$@" "$work/src/"
cd "$work/src"
GOCACHE=$work/cache GOPATH=$work/gopath GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
    "$go" build -trimpath -o "$out" .
