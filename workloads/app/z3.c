/*
 * z3.c — app:z3, the Z3 SMT solver on a generated bit-vector problem: a chain
 * of SCALE 16-bit variables, each bounded by an expression (add, xor,
 * multiply, or) of two earlier ones, bit-blasted into a SAT problem.  Terms,
 * clauses and the solver's hash tables are small malloc'd blocks.  Only
 * sat/unsat is compared (a model could differ with the blocks' addresses).
 */
#include "app.h"

static int generate(asb_app_ctx *x) {
    FILE *f = asb_app_create(x, "problem.smt2");
    if (!f) return -1;
    asb_rng r;
    asb_rng_seed(&r, x->seed);
    static const char *ops[] = {"bvadd", "bvxor", "bvmul", "bvor"};
    for (long i = 0; i < x->scale; i++) fprintf(f, "(declare-const x%ld (_ BitVec 16))\n", i);
    for (long i = 2; i < x->scale; i++) {
        unsigned long long a = asb_rng_below(&r, (uint64_t)i), b = asb_rng_below(&r, (uint64_t)i);
        fprintf(f, "(assert (bvule (%s x%llu (bvmul x%llu #x%04llx)) (bvadd x%ld #x%04llx)))\n",
                ops[asb_rng_below(&r, 4)], a, b, (unsigned long long)(1 + asb_rng_below(&r, 65535)), i,
                (unsigned long long)asb_rng_below(&r, 65536));
    }
    fprintf(f, "(assert (= (bvand x0 x1) #x%04llx))\n(check-sat)\n", (unsigned long long)asb_rng_below(&r, 65536));
    return asb_app_close(x, f);
}

static const asb_app z3_app = {
    .name = "z3",
    .package = "z3",
    .programs = "/usr/bin/z3",
    .stresses = "AST terms, bit-blasted clauses, watch lists and hash tables: many small blocks, long-lived",
    .input = "QF_BV problem: SCALE chained 16-bit constraints (add, xor, multiply, or), one check-sat",
    .scale = "120",
    .quick_scale = "12",
    .scale_help = "bit-vector variables (work grows faster than linearly)",
    .generate = generate,
    .command = "exec /usr/bin/z3 -smt2 \"$ASB_INPUT/problem.smt2\"",
};
ASB_REGISTER_APP(z3_app)
