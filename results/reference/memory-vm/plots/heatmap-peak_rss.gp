# drawn by asbench from /work/main/plots/heatmap.gp
outbase = 'results/reference/memory-vm/plots/heatmap-peak_rss'
datafile = 'results/reference/memory-vm/plots/heatmap-peak_rss.dat'
ncols = 8
nrows = 2
chart_title = 'peak RSS relative to glibc (median ratio and its 95% interval; grey "=": no difference)'
chart_width = 1220
chart_height = 340
set xtics ("glibc" 0, "gostyle" 1, "jemalloc" 2, "mimalloc" 3, "tcmalloc" 4, "tbbmalloc" 5, "jethp" 6, "jethpoff" 7)
set ytics ("empirical t=1" 0, "trace t=1" 1)

# heatmap.gp — workload (rows) × backend or scheduler (columns); colour =
# the cell's ratio to the baseline on a log2 scale (blue faster, red
# slower), the value and its 95% interval written in the cell; grey cells
# are "no difference" (the interval holds 1), hatched ones have no ratio
# (no baseline on the cell's machine).  asbench writes a driver that sets
# the variables below, the tics, then appends this template
# (DIR/plots/NAME.gp; gnuplot -e 'fmt="svg"' NAME.gp redraws it by hand).
#   datafile  data: column row log2(ratio clipped to 1/4..4) kind "value" "interval"
#             kind: 0 a difference, 1 no difference, 2 no ratio, 3 the baseline
#   ncols, nrows, chart_title;  chart_width, chart_height in pixels
#   outbase   output path without extension;  fmt  png (default) or svg
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size chart_width,chart_height noenhanced font "sans,11" } else { set terminal pngcairo size chart_width,chart_height noenhanced font "sans,9" }
set output outbase.".".fmt
set title chart_title
set xrange [-0.5:ncols-0.5]
# The first row at the top.
set yrange [nrows-0.5:-0.5]
set xtics scale 0 rotate by -30 left
set ytics scale 0
unset key
set border 0
set palette defined (-2 "#2166ac", -1 "#92c5de", 0 "#f7f7f7", 1 "#f4a582", 2 "#b2182b")
set cbrange [-2:2]
set cbtics ("1/4" -2, "1/2" -1, "1" 0, "2" 1, "4" 2)
set cblabel "ratio to the baseline (log scale)"
set style fill solid 1.0 border rgb "white"
plot datafile using 1:($4 == 0 ? $2 : NaN):(0.5):(0.5):3 with boxxyerror fc palette, \
     datafile using 1:($4 == 1 ? $2 : NaN):(0.5):(0.5) with boxxyerror fc rgb "#d9d9d9", \
     datafile using 1:($4 == 2 ? $2 : NaN):(0.5):(0.5) with boxxyerror fc rgb "#bbbbbb" fs pattern 4, \
     datafile using 1:($4 == 3 ? $2 : NaN):(0.5):(0.5) with boxxyerror fc rgb "#ffffff", \
     datafile using 1:($2 - 0.15):5 with labels font ",10", \
     datafile using 1:($2 + 0.2):6 with labels font ",8"
