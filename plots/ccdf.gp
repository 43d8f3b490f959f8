# ccdf.gp — latency CCDFs: the fraction of samples slower than x against x,
# both on log scales, one line per series (a backend).  The files are
# written by asb_hist_write_ccdf (harness/ccdf.c): ns,fraction_above.
# Variables (set by the driver asbench writes in DIR/plots/):
#   files     CSV paths, space-separated;  series  their titles
#   chart_title;  outbase  output path without extension;  fmt  png or svg
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,600 noenhanced dynamic } else { set terminal pngcairo size 900,600 noenhanced }
set output outbase.".".fmt
set title chart_title
set xlabel "latency of one call (ns, log scale)"
set ylabel "fraction of calls slower (log scale)"
set datafile separator ","
set logscale xy
set format y "%g"
set grid
set key outside right
plot for [i=1:words(files)] word(files, i) skip 1 using 1:2 with steps lw 2 title word(series, i)
