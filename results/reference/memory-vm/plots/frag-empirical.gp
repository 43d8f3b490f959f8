# drawn by asbench from /work/main/plots/frag.gp
outbase = 'results/reference/memory-vm/plots/frag-empirical'
files = 'results/reference/memory-vm/plots/frag-empirical-1.dat results/reference/memory-vm/plots/frag-empirical-2.dat results/reference/memory-vm/plots/frag-empirical-3.dat results/reference/memory-vm/plots/frag-empirical-4.dat results/reference/memory-vm/plots/frag-empirical-5.dat results/reference/memory-vm/plots/frag-empirical-6.dat results/reference/memory-vm/plots/frag-empirical-7.dat results/reference/memory-vm/plots/frag-empirical-8.dat'
series = 'glibc gostyle jemalloc mimalloc tcmalloc tbbmalloc jethp jethpoff'
chart_title = 'empirical t=1: RSS / live bytes over time (repetition 1)'

# frag.gp — RSS ÷ live bytes over time of one run per series (the
# fragmentation curve), from the data files asbench writes beside the driver
# (t in seconds, ratio), computed from the runs' timelines.
# Variables (set by the driver asbench writes in DIR/plots/):
#   files     data file paths, space-separated;  series  their titles
#   chart_title;  outbase  output path without extension;  fmt  png or svg
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 1000,600 noenhanced dynamic } else { set terminal pngcairo size 1000,600 noenhanced }
set output outbase.".".fmt
set title chart_title
set xlabel "time since start of the run (s)"
set ylabel "RSS / live bytes (1 = no overhead)"
set grid
set key outside right
plot for [i=1:words(files)] word(files, i) using 1:2 with lines lw 2 title word(series, i)
