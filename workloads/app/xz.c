/*
 * xz.c — app:xz, `xz -T2` compressing generated text in 1 MiB blocks on two
 * threads: a few large match-finder and dictionary buffers per thread,
 * allocated and freed per block, from two threads at once.
 */
#include "app.h"

static int generate(asb_app_ctx *x) {
    FILE *f = asb_app_create(x, "data.txt");
    if (!f) return -1;
    asb_rng r;
    asb_rng_seed(&r, x->seed);
    /* 5000 random words; lines of 12 of them: text that compresses ~3:1. */
    enum { WORDS = 5000 };
    static char words[WORDS][12];
    for (int w = 0; w < WORDS; w++) {
        int len = 2 + (int)asb_rng_below(&r, 9);
        for (int i = 0; i < len; i++) words[w][i] = (char)('a' + asb_rng_below(&r, 26));
        words[w][len] = 0;
    }
    for (long bytes = 0; bytes < x->scale * 1024 * 1024;) {
        for (int k = 0; k < 12; k++) bytes += fprintf(f, k ? " %s" : "%s", words[asb_rng_below(&r, WORDS)]);
        bytes += fprintf(f, "\n");
    }
    return asb_app_close(x, f);
}

/* One op per MiB compressed. */
static void parse(asb_app_ctx *x, const char *out) {
    (void)out;
    asb_app_set_ops(x, (double)x->scale);
}

static const asb_app xz_app = {
    .name = "xz",
    .package = "xz-utils",
    .programs = "/usr/bin/xz",
    .stresses = "large per-block buffers (match finder, dictionary) allocated and freed by two threads",
    .input = "SCALE MiB of text from a 5000-word vocabulary, compressed at -3 in 1 MiB blocks",
    .scale = "4",
    .quick_scale = "1",
    .scale_help = "MiB of input",
    .generate = generate,
    .command = "exec /usr/bin/xz -T2 -3 --block-size=1MiB -c \"$ASB_INPUT/data.txt\"",
    .parse = parse,
    .min_mallocs = 100, /* a few hundred large blocks is all xz asks for */
};
ASB_REGISTER_APP(xz_app)
