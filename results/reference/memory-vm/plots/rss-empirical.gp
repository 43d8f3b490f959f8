# drawn by asbench from /work/main/plots/timeline.gp
outbase = 'results/reference/memory-vm/plots/rss-empirical'
files = 'results/reference/memory-vm/timeline/empirical-glibc-t1-742738dc-r1.csv results/reference/memory-vm/timeline/empirical-gostyle-t1-742738dc-r1.csv results/reference/memory-vm/timeline/empirical-jemalloc-t1-742738dc-r1.csv results/reference/memory-vm/timeline/empirical-mimalloc-t1-742738dc-r1.csv results/reference/memory-vm/timeline/empirical-tcmalloc-t1-742738dc-r1.csv results/reference/memory-vm/timeline/empirical-tbbmalloc-t1-742738dc-r1.csv results/reference/memory-vm/timeline/empirical-jethp-t1-742738dc-r1.csv results/reference/memory-vm/timeline/empirical-jethpoff-t1-742738dc-r1.csv'
series = 'glibc gostyle jemalloc mimalloc tcmalloc tbbmalloc jethp jethpoff'
chart_title = 'empirical t=1: RSS over time (repetition 1, sampled from /proc)'

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
