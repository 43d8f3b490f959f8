# sqlite3.profile — derived from the trace sqlite.trace.gz by
#   asbench-derive-profile sqlite.trace.gz sqlite3
# (146371 allocations, 1 never freed, peak live 2412190 bytes in the trace; sizes: the 32 most
# frequent exactly, the rest in power-of-two ranges; lifetimes in allocations, exact to 16, then
# power-of-two ranges; a block never freed lives one trace length, 146371 allocations).
# A trace has no clock: unthrottled, one phase.
threads 1
rate 0
size 16 60419
size 24 290
size 32 60028
size 40 2379
size 48 10
size 56 20016
size 64 27
size 72 37
size 80 9
size 88 119
size 96 119
size 104 42
size 112 30
size 120 31
size 128 6
size 136 81
size 160 7
size 176 6
size 208 9
size 312 14
size 432 6
size 448 6
size 456 10
size 520 7
size 568 5
size 1016 14
size 1032 2064
size 1072 15
size 2432 22
size 4104 94
size 4368 277
size 13264 82
size 8-15 1
size 64-127 2
size 128-255 10
size 256-511 17
size 512-1023 14
size 1024-2047 10
size 2048-4095 5
size 4096-8191 9
size 8192-16383 5
size 16384-32767 2
size 32768-65535 2
size 65536-131071 6
size 131072-262143 2
size 262144-524287 2
size 524288-1048575 2
size 1048576-2097151 1
lifetime 1 20203
lifetime 2 22241
lifetime 3 158
lifetime 4 20011
lifetime 5 19872
lifetime 6 20483
lifetime 7 19797
lifetime 8 20012
lifetime 9 254
lifetime 10 16
lifetime 11 13
lifetime 12 14
lifetime 13 19
lifetime 14 17
lifetime 15 13
lifetime 16 11
lifetime 17-31 170
lifetime 32-63 309
lifetime 64-127 191
lifetime 128-255 171
lifetime 256-511 327
lifetime 512-1023 536
lifetime 1024-2047 225
lifetime 2048-4095 768
lifetime 4096-8191 62
lifetime 8192-16383 13
lifetime 16384-32767 27
lifetime 32768-65535 53
lifetime 65536-131071 107
lifetime 131072-146371 277
lifetime 146371 1
phase steady 146371 1
