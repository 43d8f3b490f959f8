#!/bin/bash
# server_test.sh ASBENCH KVCLIENT ABORT_LIB GROUP BACKENDS — the server apps
# (workloads/app/server.c, redis.c, memcached.c) with the real servers:
#   run      app:redis, app:memcached and app:nginx under BACKENDS (glibc,gostyle): ok rows
#            with requests/s and p99, the server's malloc served by the
#            backend (the shim's report), the server's peak RSS;
#   timeout  a run longer than --timeout is `timeout`, naming the app;
#   sigint   SIGINT to asbench while redis-benchmark drives the server;
#   crash    a backend library that aborts when loaded: crashed:SIGABRT
#            naming the app, for both servers;
#   verify   asb-kvclient against a memcached too small for its keys (a real
#            loss of data): exit 3 and a message counting what came back.
# In every group no process of the run survives it (each carries a marker
# in its environment, inherited from asbench) and no server port is still
# listening.
set -u
asbench=$1
kvclient=$2
abort_lib=$3
group=$4
backends=$5
TAP_NAME=server-$group
. "$(dirname "$0")/../harness/tap.sh"

for program in /usr/bin/redis-server /usr/bin/redis-benchmark /usr/bin/memcached /usr/sbin/nginx /usr/bin/ab; do
    if [ ! -x "$program" ]; then
        echo "1..0 # SKIP $program is not installed (Debian packages redis-server, redis-tools, memcached, nginx-light, apache2-utils)"
        exit 0
    fi
done

mark="server-test-$$-$RANDOM"
# Processes whose environment holds the marker (the script itself has none;
# redis-server writes its title over its environment, so the process tree
# below catches it).
marked() {
    for env in /proc/[0-9]*/environ; do
        if grep -qzx "ASB_SERVER_TEST_MARK=$mark" "$env" 2>/dev/null; then
            pid=${env#/proc/}
            echo "${pid%/environ} $(tr '\0' ' ' <"/proc/${pid%/environ}/cmdline" 2>/dev/null)"
        fi
    done
}
# A process's start time (so that a reused pid is not taken for it).
started() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
# "PID START COMM PORT" of each process below pid $1 now (PORT: a server's, or -).
descendants() {
    ps -eo pid=,ppid= | awk -v root="$1" '{ parent[$1] = $2 }
        END { for (p in parent) { q = p; while ((q in parent) && q != root && q > 1) q = parent[q];
              if (q == root && p != root) print p } }' |
    while read -r pid; do
        comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
        args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
        port=-
        case "$comm" in
        redis-server) [[ $args =~ 127\.0\.0\.1:([0-9]+) || $args =~ --port\ ([0-9]+) ]] && port=${BASH_REMATCH[1]} ;;
        memcached) [[ $args =~ \ -p\ ([0-9]+) ]] && port=${BASH_REMATCH[1]} ;;
        nginx) [[ $args =~ -c\ ([^ ]+) ]] &&
            [[ $(cat "${BASH_REMATCH[1]}" 2>/dev/null) =~ listen\ 127\.0\.0\.1:([0-9]+) ]] && port=${BASH_REMATCH[1]} ;;
        esac
        echo "$pid $(started "$pid") $comm $port"
    done
}
listening() { grep -q "0100007F:$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp; }

# asbench run ARGS in the background, noting every process below it in
# $T/seen; STOP_WHEN (a command) sends it SIGINT once true.  Sets rc.
run_watched() {
    stop_when=$1
    shift
    : >"$T/seen"
    env ASB_SERVER_TEST_MARK="$mark" "$asbench" run --reps 1 --no-warmup --no-plot -o "$T/res" "$@" \
        >"$T/out" 2>"$T/err" &
    apid=$!
    sent_int=false
    while kill -0 "$apid" 2>/dev/null; do
        descendants "$apid" >>"$T/seen"
        if ! $sent_int && [ -n "$stop_when" ] && $stop_when; then
            kill -INT "$apid"
            sent_int=true
        fi
        sleep 0.05
    done
    wait "$apid"
    rc=$?
    sort -u -o "$T/seen" "$T/seen"
}

# Nothing of the run is left: no process seen below asbench, none with the
# marker, no listening server port.  A server that dies at once may be
# missed by the watch: "any" accepts a run where none was seen.
nothing_left() {
    left=$(marked)
    [ -z "$left" ] || fail "processes of the run survive it: $left"
    while read -r pid start comm port; do
        [ "$(started "$pid")" != "$start" ] || fail "$comm ($pid) survives the run"
        [ "$port" = - ] || ! listening "$port" || fail "port $port of $comm still listens after the run"
    done <"$T/seen"
    servers=$(awk '$4 != "-"' "$T/seen" | wc -l)
    [ "$servers" -gt 0 ] || [ "${1:-}" = any ] || fail "no server of the run was seen running"
    pass "no process of the run is left ($(wc -l <"$T/seen") seen, $servers servers), no server port listens"
}

row() { # row BACKEND WORKLOAD COLUMN
    python3 - "$T/res/results.csv" "$@" <<'EOF'
import csv, sys
path, backend, workload, column = sys.argv[1:5]
for r in csv.DictReader(open(path)):
    if r["backend"] == backend and r["workload"] == workload:
        print(r[column])
EOF
}

case "$group" in
run)
    run_watched "" --workload app:redis,app:memcached,app:nginx --alloc "$backends" --preset quick
    [ "$rc" -eq 0 ] || { sed 's/^/# /' "$T/err"; fail "asbench run exited $rc"; }
    pass "asbench run exits 0"
    for app in redis memcached nginx; do
        for backend in ${backends//,/ }; do
            status=$(row $backend app:$app status)
            [ "$status" = ok ] || fail "app:$app under $backend: '$status' $(row $backend app:$app message)"
            extra=$(row $backend app:$app extra)
            for key in app_rps app_p50_ms app_p99_ms; do
                [[ $extra =~ (^|;)extra\.$key=[0-9.e+]+ ]] || fail "app:$app under $backend: no $key in '$extra'"
            done
            want=libc.so.6
            [ "$backend" = glibc ] || want=lib$backend.so
            [[ $extra =~ extra\.app_malloc_lib=$want ]] || fail "app:$app under $backend: malloc not from $want: $extra"
            rss=$(row $backend app:$app peak_rss_kb)
            [ "${rss:-0}" -gt 1000 ] || fail "app:$app under $backend: peak RSS '$rss'"
            pass "app:$app under $backend: ok, requests/s and p50/p99, malloc from $want, peak RSS $rss kB"
        done
    done
    nothing_left
    ;;
timeout)
    run_watched "" --workload app:memcached --alloc glibc --param scale=100000000 --timeout 2
    [ "$rc" -eq 3 ] || fail "asbench run exited $rc, expected 3"
    status=$(row glibc app:memcached status)
    message=$(row glibc app:memcached message)
    [ "$status" = timeout ] || fail "status '$status', expected timeout ($message)"
    [[ $message == *memcached* ]] || fail "message '$message' does not name the app"
    pass "a run past --timeout is timeout: $message"
    nothing_left
    ;;
sigint)
    # SIGINT once redis-benchmark of this run drives the server
    driving() { grep -q " redis-benchmark " "$T/seen"; }
    run_watched driving --workload app:redis --alloc glibc --param scale=100000000 --timeout 120
    $sent_int || fail "redis-benchmark was never seen driving the server"
    [ "$rc" -eq 130 ] || { sed 's/^/# /' "$T/err"; fail "asbench exited $rc after SIGINT, expected 130"; }
    pass "asbench exits 130 after SIGINT during the drive"
    nothing_left
    ;;
crash)
    run_watched "" --workload app:redis,app:memcached --alloc "boom=$abort_lib" --preset quick
    [ "$rc" -eq 3 ] || fail "asbench run exited $rc, expected 3"
    for app in redis memcached; do
        status=$(row boom app:$app status)
        message=$(row boom app:$app message)
        [ "$status" = crashed:SIGABRT ] || fail "app:$app: status '$status', expected crashed:SIGABRT ($message)"
        [[ $message == *"app:$app"* ]] || fail "app:$app: message '$message' does not name the app"
        pass "app:$app whose server aborts at start: crashed:SIGABRT, '$message'"
    done
    nothing_left any
    ;;
verify)
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    root=()
    [ "$(id -u)" -eq 0 ] && root=(-u root)
    # 2 MiB of cache for ~19 MB of values: most keys are evicted
    env ASB_SERVER_TEST_MARK="$mark" /usr/bin/memcached -l 127.0.0.1 -p "$port" -U 0 -m 2 "${root[@]}" &
    mpid=$!
    for _ in $(seq 100); do listening "$port" && break; sleep 0.05; done
    expect 3 "asb-kvclient verify reads back fewer keys than it stored" \
        "$kvclient" verify --proto memcached --port "$port"
    err_has "of 10000 keys stored"
    out_has "checksum="
    kill "$mpid"
    wait "$mpid"
    expect 2 "asb-kvclient refuses an unknown protocol" "$kvclient" verify --proto http --port "$port"
    err_has "unknown protocol 'http'"
    ;;
*)
    fail "unknown group $group"
    ;;
esac
echo "1..$n"
