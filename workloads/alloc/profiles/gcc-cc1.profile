# gcc-cc1.profile — derived from the trace gcc-cc1.trace.gz by
#   asbench-derive-profile gcc-cc1.trace.gz gcc-cc1
# (109451 allocations, 4606 never freed, peak live 4227380 bytes in the trace; sizes: the 32 most
# frequent exactly, the rest in power-of-two ranges; lifetimes in allocations, exact to 16, then
# power-of-two ranges; a block never freed lives one trace length, 109451 allocations).
# A trace has no clock: unthrottled, one phase.
threads 1
rate 0
size 8 3616
size 12 639
size 16 11930
size 24 7918
size 28 841
size 32 3106
size 36 420
size 40 7737
size 48 3841
size 52 480
size 56 6113
size 64 3176
size 72 6091
size 80 3666
size 88 1446
size 96 517
size 104 9919
size 112 1582
size 120 464
size 136 2116
size 168 1212
size 192 434
size 200 2904
size 208 2681
size 232 992
size 248 592
size 344 2270
size 1024 655
size 2048 636
size 3200 551
size 4064 836
size 8032 2393
size 1-1 407
size 2-3 162
size 4-7 475
size 8-15 1123
size 16-31 752
size 32-63 798
size 64-127 851
size 128-255 2427
size 256-511 3208
size 512-1023 3328
size 1024-2047 1504
size 2048-4095 1369
size 4096-8191 662
size 8192-16383 261
size 16384-32767 161
size 32768-65535 78
size 65536-131071 107
size 131072-262143 2
size 262144-524287 2
lifetime 1 33121
lifetime 2 10287
lifetime 3 6932
lifetime 4 5227
lifetime 5 2877
lifetime 6 2941
lifetime 7 2710
lifetime 8 2282
lifetime 9 1978
lifetime 10 1897
lifetime 11 1734
lifetime 12 1640
lifetime 13 1033
lifetime 14 931
lifetime 15 674
lifetime 16 502
lifetime 17-31 5185
lifetime 32-63 5221
lifetime 64-127 4116
lifetime 128-255 3286
lifetime 256-511 2788
lifetime 512-1023 3012
lifetime 1024-2047 1706
lifetime 2048-4095 1491
lifetime 4096-8191 626
lifetime 8192-16383 210
lifetime 16384-32767 83
lifetime 32768-65535 127
lifetime 65536-109451 228
lifetime 109451 4606
phase steady 109451 1
