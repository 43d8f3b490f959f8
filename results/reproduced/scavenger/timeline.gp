set terminal pngcairo size 900,500 noenhanced
set output 'timeline.png'
set title 'scavenger: RSS over time (round 1, repetition 1)'
set datafile separator ','
set xlabel 'ms since the worker started'
set ylabel 'RSS (MiB)'
set key top right
plot 'large-off/round-1/timeline/malloc-large-gostyle-t1-2b5b009d-r1.csv' skip 1 using 1:($2 > 0 ? $2/1024 : 1/0) with lines lw 2 title 'large-off: malloc-large-gostyle-t1-2b5b009d', 'large-background/round-1/timeline/malloc-large-gostyle-t1-2b5b009d-r1.csv' skip 1 using 1:($2 > 0 ? $2/1024 : 1/0) with lines lw 2 title 'large-background: malloc-large-gostyle-t1-2b5b009d', 'large-eager/round-1/timeline/malloc-large-gostyle-t1-2b5b009d-r1.csv' skip 1 using 1:($2 > 0 ? $2/1024 : 1/0) with lines lw 2 title 'large-eager: malloc-large-gostyle-t1-2b5b009d', 'linger/round-1/timeline/malloc-large-go-t1-dc7d5ada-r1.csv' skip 1 using 1:($2 > 0 ? $2/1024 : 1/0) with lines lw 2 title 'linger: malloc-large-go-t1-dc7d5ada', 'linger/round-1/timeline/malloc-large-gostyle-t1-dc7d5ada-r1.csv' skip 1 using 1:($2 > 0 ? $2/1024 : 1/0) with lines lw 2 title 'linger: malloc-large-gostyle-t1-dc7d5ada', 'small-off/round-1/timeline/churn-gostyle-t1-9c6f3e53-r1.csv' skip 1 using 1:($2 > 0 ? $2/1024 : 1/0) with lines lw 2 title 'small-off: churn-gostyle-t1-9c6f3e53', 'small-eager/round-1/timeline/churn-gostyle-t1-9c6f3e53-r1.csv' skip 1 using 1:($2 > 0 ? $2/1024 : 1/0) with lines lw 2 title 'small-eager: churn-gostyle-t1-9c6f3e53'
