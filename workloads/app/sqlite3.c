/*
 * sqlite3.c — app:sqlite3, the sqlite3 shell running a speedtest1-style SQL
 * script: inserts in one transaction, an index, range and LIKE queries,
 * updates, deletes, a join and an ORDER BY over text, on an in-memory
 * database: its pages, the parser's and the VDBE's small blocks all come
 * from malloc.
 */
#include <stdlib.h>

#include "app.h"

/* A pseudo-random English-like word list per row (speedtest1 spells
 * numbers; words of random letters stress the same: varied small strings). */
static void put_words(FILE *f, asb_rng *r, int n) {
    for (int w = 0; w < n; w++) {
        int len = 2 + (int)asb_rng_below(r, 8);
        if (w) fputc(' ', f);
        for (int i = 0; i < len; i++) fputc('a' + (int)asb_rng_below(r, 26), f);
    }
}

static int generate(asb_app_ctx *x) {
    FILE *f = asb_app_create(x, "speed.sql");
    if (!f) return -1;
    asb_rng r;
    asb_rng_seed(&r, x->seed);
    long n = x->scale;
    fputs("CREATE TABLE t1(a INTEGER, b INTEGER, c TEXT);\n"
          "CREATE TABLE t2(a INTEGER PRIMARY KEY, b INTEGER, c TEXT);\nBEGIN;\n", f);
    for (long i = 0; i < n; i++) {
        fprintf(f, "INSERT INTO t1 VALUES(%ld,%llu,'", i, (unsigned long long)asb_rng_below(&r, 1000000));
        put_words(f, &r, 3 + (int)asb_rng_below(&r, 6));
        fprintf(f, "');\nINSERT INTO t2 VALUES(%ld,%llu,'", i, (unsigned long long)asb_rng_below(&r, 1000000));
        put_words(f, &r, 2);
        fputs("');\n", f);
    }
    fputs("COMMIT;\nCREATE INDEX i1b ON t1(b);\nCREATE INDEX i1c ON t1(c);\n", f);
    for (int q = 0; q < 50; q++) {
        unsigned long long lo = asb_rng_below(&r, 990000);
        fprintf(f, "SELECT count(*), avg(b), sum(length(c)) FROM t1 WHERE b BETWEEN %llu AND %llu;\n", lo, lo + 10000);
        fprintf(f, "SELECT count(*) FROM t1 WHERE c LIKE '%%%c%c%%';\n", 'a' + q % 26, 'a' + (q * 7) % 26);
    }
    fputs("BEGIN;\nUPDATE t1 SET b=b*2 WHERE a%3=0;\nUPDATE t1 SET c=c||' '||c WHERE a%5=0;\n"
          "DELETE FROM t1 WHERE a%7=0;\nCOMMIT;\n"
          "SELECT count(*), sum(t1.b+t2.b) FROM t1 JOIN t2 ON t1.a=t2.a WHERE t2.b<500000;\n"
          "SELECT c FROM t1 ORDER BY c LIMIT 5 OFFSET 100;\n"
          "CREATE TABLE t3 AS SELECT b, group_concat(c) AS g FROM t1 GROUP BY b%1000;\n"
          "SELECT count(*), sum(length(g)) FROM t3;\nVACUUM;\nPRAGMA integrity_check;\n", f);
    return asb_app_close(x, f);
}

/* One op per row inserted (into both tables). */
static void parse(asb_app_ctx *x, const char *out) {
    (void)out;
    asb_app_set_ops(x, (double)x->scale);
}

static const asb_app sqlite3_app = {
    .name = "sqlite3",
    .package = "sqlite3",
    .programs = "/usr/bin/sqlite3",
    .stresses = "page cache and parser/VDBE small blocks, growing text values",
    .input = "speedtest1-style SQL script: SCALE rows into two tables, indexes, 100 queries, updates, a join",
    .scale = "60000",
    .quick_scale = "3000",
    .scale_help = "rows inserted per table",
    .generate = generate,
    /* In memory: every page of the database is a malloc'd block, and no
     * fsync makes the time the disk's. */
    .command = "exec /usr/bin/sqlite3 :memory: <\"$ASB_INPUT/speed.sql\"",
    .parse = parse,
};
ASB_REGISTER_APP(sqlite3_app)
