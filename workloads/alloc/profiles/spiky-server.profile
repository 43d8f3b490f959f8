# spiky-server.profile — a request server whose memory swells and shrinks:
# small request objects that die within the request, session objects that
# live longer, and a cache; a burst of traffic (spike) makes what is
# allocated meanwhile live 20x longer (the cache fills), then the cache is
# flushed (drop: 60% of the live objects freed at once).  Written by hand
# (not derived from a trace); steady state about 7 MiB live per thread,
# about 3x that at the end of a spike.  Format: docs/workloads-alloc.md.
threads 2
rate 0
# sizes: mostly small, a few large buffers (mean about 1 KiB)
size 16-64 50
size 65-512 35
size 513-4096 13
size 4097-32768 1.8
size 32769-262144 0.2
# lifetimes, in allocations of the same thread: request, session, cache
lifetime 1-100 70
lifetime 101-10000 25
lifetime 10001-200000 5
# phases, repeated in this order: NAME ALLOCS LIFETIME_SCALE [drop=FRACTION]
phase steady 300000 1
phase spike 50000 20
phase steady 300000 1
phase flush 1000 1 drop=0.6
