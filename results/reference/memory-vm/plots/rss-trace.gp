# drawn by asbench from /work/main/plots/timeline.gp
outbase = 'results/reference/memory-vm/plots/rss-trace'
files = 'results/reference/memory-vm/timeline/trace-glibc-t1-0f9d1e1f-r1.csv results/reference/memory-vm/timeline/trace-gostyle-t1-0f9d1e1f-r1.csv results/reference/memory-vm/timeline/trace-jemalloc-t1-0f9d1e1f-r1.csv results/reference/memory-vm/timeline/trace-mimalloc-t1-0f9d1e1f-r1.csv results/reference/memory-vm/timeline/trace-tcmalloc-t1-0f9d1e1f-r1.csv results/reference/memory-vm/timeline/trace-tbbmalloc-t1-0f9d1e1f-r1.csv results/reference/memory-vm/timeline/trace-jethp-t1-0f9d1e1f-r1.csv results/reference/memory-vm/timeline/trace-jethpoff-t1-0f9d1e1f-r1.csv'
series = 'glibc gostyle jemalloc mimalloc tcmalloc tbbmalloc jethp jethpoff'
chart_title = 'trace t=1: RSS over time (repetition 1, sampled from /proc)'

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
