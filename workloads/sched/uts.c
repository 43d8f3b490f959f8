/*
 * uts.c — the Unbalanced Tree Search benchmark (Olivier et al., LCPC 2006):
 * count the nodes of an implicit random tree whose shape comes from the UTS
 * SHA-1 splittable RNG (uts_sha1.h), with a task per node as in BOTS.  Two
 * workloads with the standard trees:
 *   uts-t1  geometric, fixed shape:  b0=4, depth=10, seed=19 → 4,130,071 nodes
 *   uts-t3  binomial: b0=2000, q=0.124875, m=8, seed=42   → 4,112,897 nodes
 * T3's subtrees are wildly unbalanced (q·m ≈ 1), which defeats static
 * partitioning: only stealing keeps the workers busy.
 *
 * Verification: the node count equals the published count for the standard
 * trees, and a serial count of the same tree (done after the run, outside
 * the timed region) for any other parameters.
 * One op = one node (= one task).
 */
#include <math.h>
#include <stdlib.h>

#include "sched_common.h"
#include "uts_sha1.h"

enum { UTS_MAX_CHILDREN = 100 };

typedef enum { UTS_GEOMETRIC_FIXED, UTS_BINOMIAL } uts_shape;

typedef struct uts_tree {
    uts_shape shape;
    double b0; /* root branching factor (geometric: expected children per node) */
    int depth; /* geometric: no children at this depth and below */
    double q;  /* binomial: probability of m children */
    int m;
    int seed;
} uts_tree;

static int uts_children(const uts_tree *t, const uts_rng *r, int height) {
    double u = uts_rng_value(r) / 2147483648.0;
    int n;
    if (t->shape == UTS_BINOMIAL) {
        if (height == 0) return (int)floor(t->b0); /* the binomial root is exempt from the cap */
        n = u < t->q ? t->m : 0;
    } else {
        double b = height < t->depth ? t->b0 : 0;
        double p = 1.0 / (1.0 + b);
        n = (int)floor(log(1.0 - u) / log(1.0 - p));
    }
    return n > UTS_MAX_CHILDREN ? UTS_MAX_CHILDREN : n;
}

static uint64_t uts_serial(const uts_tree *t, const uts_rng *r, int height) {
    int n = uts_children(t, r, height);
    uint64_t count = 1;
    for (int i = 0; i < n; i++) {
        uts_rng child;
        uts_rng_child(r, &child, i);
        count += uts_serial(t, &child, height + 1);
    }
    return count;
}

typedef struct uts_frame {
    const uts_tree *tree;
    const asb_sched *s;
    uts_rng rng;
    int height;
    uint64_t count;
    asb_wg *wg; /* the parent's */
} uts_frame;

static void uts_task(void *arg) {
    uts_frame *f = arg;
    int n = uts_children(f->tree, &f->rng, f->height);
    f->count = 1;
    if (n > 0) {
        uts_frame *children = malloc((size_t)n * sizeof *children);
        asb_wg *wg = f->s->wg_make();
        if (!children || !wg) abort();
        f->s->wg_add(wg, n);
        for (int i = 0; i < n; i++) {
            children[i] = (uts_frame){.tree = f->tree, .s = f->s, .height = f->height + 1, .wg = wg};
            uts_rng_child(&f->rng, &children[i].rng, i);
            sw_spawn(f->s, uts_task, &children[i]);
        }
        f->s->wg_wait(wg);
        for (int i = 0; i < n; i++) f->count += children[i].count;
        f->s->wg_free(wg);
        free(children);
    }
    if (f->wg) f->s->wg_done(f->wg);
}

static void uts_root(void *arg) { uts_task(arg); }

static int uts_run(asb_ctx *ctx, const uts_tree *tree, const uts_tree *standard, uint64_t standard_nodes) {
    uts_frame root = {.tree = tree, .s = asb_ctx_sched(ctx)};
    uts_rng_root(&root.rng, tree->seed);
    int status = sw_run(ctx, asb_threads(ctx), uts_root, &root);
    if (status != ASB_OK) return status;
    asb_count(ctx, root.count, 0, 0);
    bool is_standard = tree->shape == standard->shape && tree->b0 == standard->b0 && tree->depth == standard->depth &&
                       tree->q == standard->q && tree->m == standard->m && tree->seed == standard->seed;
    uint64_t want = is_standard ? standard_nodes : uts_serial(tree, &root.rng, 0);
    if (root.count != want)
        return asb_verify_fail(ctx, "uts: counted %llu nodes, expected %llu (%s)", (unsigned long long)root.count,
                               (unsigned long long)want, is_standard ? "published count" : "serial count");
    return ASB_OK;
}

static const uts_tree uts_t1_standard = {UTS_GEOMETRIC_FIXED, 4, 10, 0, 0, 19};
static const uts_tree uts_t3_standard = {UTS_BINOMIAL, 2000, 0, 0.124875, 8, 42};

static int uts_t1_run(asb_ctx *ctx) {
    uts_tree t = {UTS_GEOMETRIC_FIXED, asb_param_f(ctx, "b0"), (int)asb_param_i(ctx, "depth"), 0, 0,
                  (int)asb_param_i(ctx, "seed")};
    if (t.b0 <= 0 || t.depth < 0) return asb_fail(ctx, ASB_USAGE, "uts-t1: need b0 > 0 and depth >= 0");
    return uts_run(ctx, &t, &uts_t1_standard, 4130071);
}

static int uts_t3_run(asb_ctx *ctx) {
    uts_tree t = {UTS_BINOMIAL, asb_param_f(ctx, "b0"), 0, asb_param_f(ctx, "q"), (int)asb_param_i(ctx, "m"),
                  (int)asb_param_i(ctx, "seed")};
    if (t.b0 < 0 || t.q < 0 || t.q > 1 || t.m < 0 || t.q * t.m >= 1)
        return asb_fail(ctx, ASB_USAGE, "uts-t3: need b0 >= 0, 0 <= q <= 1, m >= 0 and q*m < 1 (a finite tree)");
    return uts_run(ctx, &t, &uts_t3_standard, 4112897);
}

static const asb_param_def uts_t1_params[] = {
    {"b0", "4", NULL, "expected children per node"},
    {"depth", "10", "6", "depth below which nodes have no children"},
    {"seed", "19", NULL, "root seed"},
    {NULL, NULL, NULL, NULL},
};

static const asb_param_def uts_t3_params[] = {
    {"b0", "2000", NULL, "children of the root"},
    {"q", "0.124875", "0.11", "probability that a node has m children"},
    {"m", "8", NULL, "children of a non-leaf node"},
    {"seed", "42", NULL, "root seed"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload uts_t1 = {
    .name = "uts-t1",
    .kind = "sched",
    .stresses = "unbalanced task tree (geometric): stealing, load balance",
    .params = uts_t1_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_MANY_TASKS,
    .run = uts_t1_run,
};
ASB_REGISTER_WORKLOAD(uts_t1)

static const asb_workload uts_t3 = {
    .name = "uts-t3",
    .kind = "sched",
    .stresses = "very unbalanced task tree (binomial, q*m ~ 1): stealing",
    .params = uts_t3_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_MANY_TASKS,
    .run = uts_t3_run,
};
ASB_REGISTER_WORKLOAD(uts_t3)
