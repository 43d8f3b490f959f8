/*
 * gcc.c — app:gcc, GCC's compiler proper (cc1) compiling a generated C file
 * of SCALE functions at -O2: trees, RTL and the optimisation passes' bitmaps
 * and hash tables come from GCC's obstacks and garbage collector, which take
 * their pages and many small blocks from malloc.  The assembly is compared
 * with glibc's.  Debian 12's GCC 12 (package gcc-12) is the one named.
 */
#include "app.h"

/* One generated function: a struct walk, a switch and a few loops, so that
 * every pass has work. */
static void put_function(FILE *f, asb_rng *r, long i) {
    unsigned k1 = (unsigned)asb_rng_below(r, 1000) + 1, k2 = (unsigned)asb_rng_below(r, 97) + 3;
    fprintf(f,
            "long f%ld(struct item *it, int n, long seed) {\n"
            "    long acc = seed ^ %uL;\n"
            "    for (int i = 0; i < n; i++) {\n"
            "        struct item *p = &it[(i * %u) %% n];\n"
            "        switch ((p->kind + i) %% 5) {\n"
            "        case 0: acc += p->a * %u + p->b; break;\n"
            "        case 1: acc ^= (acc << 3) + p->c[i & 7]; break;\n"
            "        case 2: acc -= p->a > p->b ? p->a - p->b : p->b - p->a; break;\n"
            "        case 3: for (int j = 0; j < 8; j++) p->c[j] += (int)(acc >> j); break;\n"
            "        default: acc = acc * %u + %s(it, n / 2, acc);\n"
            "        }\n"
            "    }\n"
            "    return acc;\n"
            "}\n",
            i, k1, k2, k1, k2, i ? "f0" : "leaf");
}

static int generate(asb_app_ctx *x) {
    FILE *f = asb_app_create(x, "big.c");
    if (!f) return -1;
    asb_rng r;
    asb_rng_seed(&r, x->seed);
    fputs("struct item { int kind; long a, b; int c[8]; };\n"
          "static long leaf(struct item *it, int n, long s) { return n ? it[0].a + s : s; }\n",
          f);
    for (long i = 0; i < x->scale; i++) put_function(f, &r, i);
    return asb_app_close(x, f);
}

/* One op per function compiled. */
static void parse(asb_app_ctx *x, const char *out) {
    (void)out;
    asb_app_set_ops(x, (double)x->scale);
}

static const asb_app gcc_app = {
    .name = "gcc",
    .package = "gcc-12",
    .programs = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
    .stresses = "GCC's GC pages and obstacks over malloc, many small tree and RTL nodes, pass bitmaps",
    .input = "one C file of SCALE generated functions (loops, a switch, struct accesses), compiled at -O2",
    .scale = "100",
    .quick_scale = "10",
    .scale_help = "functions",
    .generate = generate,
    .command = "exec /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet -O2 \"$ASB_INPUT/big.c\" -o big.s",
    .outputs = "big.s",
    .parse = parse,
};
ASB_REGISTER_APP(gcc_app)
