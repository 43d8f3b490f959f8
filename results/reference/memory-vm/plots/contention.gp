# drawn by asbench from /work/main/plots/bars.gp
outbase = 'results/reference/memory-vm/plots/contention'
datafile = 'results/reference/memory-vm/plots/contention.dat'
series = 'glibc gostyle jemalloc mimalloc tcmalloc tbbmalloc jethp jethpoff'
chart_title = 'voluntary context switches per run (blocking proxy)'
y_label = 'switches'
baseline_line = 0
chart_width = 1200

# bars.gp — clustered bars, one cluster per group (workload, scheduler,
# threads), one bar per series (backend), with confidence-interval error
# bars.  asbench writes a driver that sets the variables below and then
# appends this template (DIR/plots/NAME.gp, re-runnable by hand:
# gnuplot -e 'fmt="svg"' NAME.gp).
#   datafile  data: label, then value lo hi for each series
#   series    series names, space-separated;  chart_title, y_label
#   baseline_line  1 to draw a dashed line at y = 1
#   chart_width  pixels (grows with the number of bars)
#   outbase   output path without extension;  fmt  png (default) or svg
if (!exists("fmt")) fmt = "png"
if (!exists("chart_width")) chart_width = 1200
if (fmt eq "svg") { set terminal svg size chart_width,600 noenhanced dynamic } else { set terminal pngcairo size chart_width,600 noenhanced }
set output outbase.".".fmt
set title chart_title
set ylabel y_label
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.7 border -1
set boxwidth 0.9
set bars front
set xtics rotate by -30 scale 0
set grid ytics
set key outside right
# Ratios on a log scale: 2x slower and 2x faster look alike.
if (baseline_line) { set logscale y 2; set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 } else { set yrange [0:*] }
plot for [i=1:words(series)] datafile using (column(3*i-1)):(column(3*i)):(column(3*i+1)):xtic(1) title word(series, i)
