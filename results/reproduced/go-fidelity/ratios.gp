set terminal pngcairo size 900,500 noenhanced
set output 'ratios.png'
set title "go-fidelity: published vs measured here"
set logscale y
set grid ytics
set ylabel 'comparable quantity (log scale)'
set xrange [-0.5:12.5]
set xtics rotate by -30
set key outside top center horizontal
set datafile missing 'nan'
plot 'ratios.dat' using 0:2:xtic(1) with points pt 7 ps 2 title 'published', '' using 0:3:4:5 with yerrorbars pt 5 ps 2 title 'measured here (95% interval)', 1 with lines dt 2 lc 'gray' title 'tie (1)'
