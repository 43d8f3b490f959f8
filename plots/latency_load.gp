# latency_load.gp — open-loop latency against offered load: the p99 of the
# request latency (from the intended send time) at each offered rate, one
# line per series (scheduler+backend, or go).  Variables (set by the driver
# asbench writes in DIR/plots/, harness/report_net.c):
#   datafile  data: offered rate, then one p99 (ns) per series (NaN = none)
#   series    series names, space-separated;  chart_title
#   outbase   output path without extension;  fmt  png (default) or svg
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,600 noenhanced dynamic } else { set terminal pngcairo size 900,600 noenhanced }
set output outbase.".".fmt
set title chart_title
set xlabel "offered load (requests/s)"
set ylabel "p99 latency (ns, log scale)"
set grid
set key outside right
set logscale y
set datafile missing "NaN"
plot for [i=1:words(series)] datafile using 1:(column(i+1)) with linespoints title word(series, i)
