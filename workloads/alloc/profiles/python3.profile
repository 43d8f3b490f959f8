# python3.profile — derived from the trace python-json.trace.gz by
#   asbench-derive-profile python-json.trace.gz python3
# (131888 allocations, 497 never freed, peak live 3915731 bytes in the trace; sizes: the 32 most
# frequent exactly, the rest in power-of-two ranges; lifetimes in allocations, exact to 16, then
# power-of-two ranges; a block never freed lives one trace length, 131888 allocations).
# A trace has no clock: unthrottled, one phase.
threads 1
rate 0
size 8 1058
size 16 924
size 24 1338
size 28 9991
size 32 16174
size 34 4500
size 35 1725
size 36 1141
size 40 968
size 48 6757
size 50 4391
size 51 6203
size 52 3086
size 53 8574
size 54 4729
size 55 2742
size 56 10607
size 57 1463
size 58 2480
size 59 990
size 60 1269
size 64 5276
size 68 1234
size 70 617
size 72 4148
size 80 917
size 128 584
size 152 3022
size 157 607
size 167 610
size 208 1794
size 1094 7804
size 1-1 25
size 2-3 1
size 4-7 395
size 8-15 29
size 16-31 79
size 32-63 2513
size 64-127 5144
size 128-255 2875
size 256-511 1575
size 512-1023 864
size 1024-2047 282
size 2048-4095 148
size 4096-8191 81
size 8192-16383 71
size 16384-32767 24
size 32768-65535 34
size 65536-131071 19
size 131072-262143 6
lifetime 1 24802
lifetime 2 28081
lifetime 3 2809
lifetime 4 1219
lifetime 5 694
lifetime 6 422
lifetime 7 502
lifetime 8 302
lifetime 9 1059
lifetime 10 216
lifetime 11 643
lifetime 12 293
lifetime 13 3684
lifetime 14 213
lifetime 15 205
lifetime 16 269
lifetime 17-31 1965
lifetime 32-63 2017
lifetime 64-127 1104
lifetime 128-255 1126
lifetime 256-511 1300
lifetime 512-1023 1428
lifetime 1024-2047 1645
lifetime 2048-4095 2444
lifetime 4096-8191 8096
lifetime 8192-16383 9286
lifetime 16384-32767 6430
lifetime 32768-65535 4955
lifetime 65536-131071 23777
lifetime 131072-131888 405
lifetime 131888 497
phase steady 131888 1
