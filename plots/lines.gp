# lines.gp — scaling curves: the median of a metric against the number of
# threads, one line per series (backend or scheduler).  Variables (set by
# the driver asbench writes in DIR/plots/):
#   datafile  data: threads, then one median per series (NaN = no data)
#   series    series names, space-separated;  chart_title, y_label
#   outbase   output path without extension;  fmt  png (default) or svg
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,600 noenhanced dynamic } else { set terminal pngcairo size 900,600 noenhanced }
set output outbase.".".fmt
set title chart_title
set xlabel "threads"
set ylabel y_label
set grid
set key outside right
set logscale x 2
set yrange [0:*]
set datafile missing "NaN"
plot for [i=1:words(series)] datafile using 1:(column(i+1)) with linespoints title word(series, i)
