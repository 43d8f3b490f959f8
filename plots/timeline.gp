# timeline.gp — RSS over time of one run per series, from the per-run
# timeline CSVs (t_ms,rss_kb) that the harness samples from /proc.
# Variables (set by the driver asbench writes in DIR/plots/):
#   files     timeline CSV paths, space-separated;  series  their titles
#   chart_title;  outbase  output path without extension;  fmt  png or svg
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 1000,600 noenhanced dynamic } else { set terminal pngcairo size 1000,600 noenhanced }
set output outbase.".".fmt
set title chart_title
set xlabel "time since start of the run (ms)"
set ylabel "RSS (MiB)"
set datafile separator ","
set grid
set key outside right
plot for [i=1:words(files)] word(files, i) skip 1 using 1:($2/1024.0) with lines lw 2 title word(series, i)
