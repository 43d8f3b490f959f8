#!/bin/bash
# gcc.sh DIR — compiles a small C program (a heap-built binary tree) with -O2 and
# runs it.
set -u
command -v gcc >/dev/null || { echo "gcc not installed: skipped (Debian: apt-get install -y gcc)"; exit 77; }
mkdir -p "$1" && cd "$1" || exit 1
cat > prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { int key; struct node *left, *right; };
static struct node *insert(struct node *t, int key) {
    if (!t) { t = calloc(1, sizeof *t); t->key = key; return t; }
    if (key < t->key) t->left = insert(t->left, key); else t->right = insert(t->right, key);
    return t;
}
static long sum(const struct node *t) { return t ? t->key + sum(t->left) + sum(t->right) : 0; }
int main(void) {
    struct node *t = NULL;
    for (int i = 0; i < 10000; i++) t = insert(t, (i * 7919) % 10007);
    char *s = strdup("compiled under gostyle");
    printf("%s %ld\n", s, sum(t));
    free(s);
    return 0;
}
C
gcc -O2 -Wall -o prog prog.c && ./prog
