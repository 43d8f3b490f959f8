#!/bin/bash
# make_project.sh DIR — writes a small C project (a library, a generated
# header, a program) into DIR, builds it with `make -j2` (make, the compiler
# driver, cc1, as and ld all run under the caller's LD_PRELOAD), runs the
# program and prints digests of every object and the program's output.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
for i in 1 2 3 4 5 6; do
    cat >"part$i.c" <<C
#include "table.h"
#include <stdlib.h>
#include <string.h>
/* part $i: sums a table row through a heap copy, sorts it. */
static int cmp(const void *a, const void *b) { return *(const long *)a > *(const long *)b ? 1 : -1; }
long part$i(void) {
    long *copy = malloc(sizeof table[$i]);
    memcpy(copy, table[$i], sizeof table[$i]);
    qsort(copy, TABLE_WIDTH, sizeof *copy, cmp);
    long sum = 0;
    for (int k = 0; k < TABLE_WIDTH; k++) sum = sum * 31 + copy[k];
    free(copy);
    return sum;
}
C
done
cat >main.c <<'C'
#include <stdio.h>
long part1(void), part2(void), part3(void), part4(void), part5(void), part6(void);
int main(void) {
    printf("%ld %ld %ld %ld %ld %ld\n", part1(), part2(), part3(), part4(), part5(), part6());
    return 0;
}
C
cat >gen_table.sh <<'SH'
#!/bin/sh
echo "#define TABLE_WIDTH 64"
echo "static const long table[7][TABLE_WIDTH] = {"
r=0
while [ $r -lt 7 ]; do
    printf "{"
    c=0
    while [ $c -lt 64 ]; do printf "%d," $(( (r * 7919 + c * 104729) % 1000003 )); c=$((c + 1)); done
    echo "},"
    r=$((r + 1))
done
echo "};"
SH
cat >Makefile <<'MK'
CFLAGS = -O2 -g0 -Wall
OBJS = part1.o part2.o part3.o part4.o part5.o part6.o
prog: main.o libparts.a
	$(CC) -o $@ main.o libparts.a
libparts.a: $(OBJS)
	rm -f $@
	ar rcD $@ $(OBJS)
$(OBJS): table.h
table.h: gen_table.sh
	sh gen_table.sh > $@
MK
make -j2 -s >/dev/null
sha256sum table.h *.o libparts.a | sed 's|  .*/|  |'
./prog
