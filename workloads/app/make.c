/*
 * make.c — app:make, `make -j2` building a generated C project of SCALE
 * source files with gcc -O1 and linking it: make's own tables, then many
 * short-lived gcc, cc1, as and ld processes, two at a time, each with the
 * backend preloaded.  The built program's output is compared with glibc's
 * (make's own output is silenced: with -j2 its order varies).
 */
#include "app.h"

static int generate(asb_app_ctx *x) {
    asb_rng r;
    asb_rng_seed(&r, x->seed);
    FILE *mk = asb_app_create(x, "Makefile");
    if (!mk) return -1;
    fputs("SRC := $(wildcard $(ASB_INPUT)/*.c)\nOBJ := $(notdir $(SRC:.c=.o))\nvpath %.c $(ASB_INPUT)\n"
          "prog: $(OBJ)\n\tgcc -o $@ $^\n%.o: %.c\n\tgcc -O1 -c -o $@ $<\n", mk);
    if (asb_app_close(x, mk)) return -1;
    FILE *m = asb_app_create(x, "main.c");
    if (!m) return -1;
    fputs("#include <stdio.h>\n", m);
    for (long i = 0; i < x->scale; i++) fprintf(m, "long unit%ld(long);\n", i);
    fputs("int main(void) {\n    long s = 1;\n", m);
    for (long i = 0; i < x->scale; i++) fprintf(m, "    s = unit%ld(s);\n", i);
    fputs("    printf(\"%ld\\n\", s);\n    return 0;\n}\n", m);
    if (asb_app_close(x, m)) return -1;
    for (long i = 0; i < x->scale; i++) {
        char name[32];
        snprintf(name, sizeof name, "unit%ld.c", i);
        FILE *f = asb_app_create(x, name);
        if (!f) return -1;
        unsigned k = (unsigned)asb_rng_below(&r, 1000) + 1;
        fprintf(f, "static long table[64];\nlong unit%ld(long s) {\n"
                   "    for (int i = 0; i < 64; i++) table[i] = (s + i) * %u %% 1000003;\n"
                   "    for (int i = 1; i < 64; i++) table[i] ^= table[i - 1] >> (i %% 5);\n"
                   "    return (s + table[63]) %% 1000000007;\n}\n",
                i, k);
        if (asb_app_close(x, f)) return -1;
    }
    return 0;
}

/* One op per source file compiled. */
static void parse(asb_app_ctx *x, const char *out) {
    (void)out;
    asb_app_set_ops(x, (double)x->scale + 1);
}

static const asb_app make_app = {
    .name = "make",
    .package = "make gcc",
    .programs = "/usr/bin/make /usr/bin/gcc",
    .stresses = "many short-lived processes (make, gcc, cc1, as, ld), two at a time: start-up and small heaps",
    .input = "a C project of SCALE generated source files and a main, with a Makefile",
    .scale = "24",
    .quick_scale = "3",
    .scale_help = "source files",
    .generate = generate,
    .command = "/usr/bin/make -s -j2 -f \"$ASB_INPUT/Makefile\" prog && exec ./prog",
    .parse = parse,
};
ASB_REGISTER_APP(make_app)
