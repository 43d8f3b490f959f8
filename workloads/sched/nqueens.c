/*
 * nqueens.c — count the placements of n queens (BOTS nqueens): a task per
 * placement in the first `cutoff` rows, serial search below.  An irregular
 * tree: subtrees differ widely in size, so the figures show load balance.
 *
 * Verification: the count equals the known number of solutions (n <= 16).
 * One op = one spawned task.
 */
#include <stdlib.h>

#include "sched_common.h"

typedef struct queens_frame {
    const asb_sched *s;
    int n, row, cutoff;
    uint32_t cols, diag1, diag2; /* attacked columns and diagonals */
    uint64_t solutions;
    asb_wg *wg;
} queens_frame;

static uint64_t queens_serial(int n, int row, uint32_t cols, uint32_t d1, uint32_t d2) {
    if (row == n) return 1;
    uint64_t count = 0;
    uint32_t free_cols = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (free_cols) {
        uint32_t bit = free_cols & -free_cols;
        free_cols ^= bit;
        count += queens_serial(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return count;
}

static void queens_task(void *arg) {
    queens_frame *f = arg;
    if (f->row >= f->cutoff || f->row == f->n) {
        f->solutions = queens_serial(f->n, f->row, f->cols, f->diag1, f->diag2);
    } else {
        queens_frame *children = calloc((size_t)f->n, sizeof *children);
        asb_wg *wg = f->s->wg_make();
        if (!children || !wg) abort();
        int nchildren = 0;
        uint32_t free_cols = ~(f->cols | f->diag1 | f->diag2) & ((1u << f->n) - 1);
        while (free_cols) {
            uint32_t bit = free_cols & -free_cols;
            free_cols ^= bit;
            children[nchildren++] = (queens_frame){f->s, f->n, f->row + 1, f->cutoff, f->cols | bit,
                                                   (f->diag1 | bit) << 1, (f->diag2 | bit) >> 1, 0, wg};
        }
        f->s->wg_add(wg, nchildren);
        for (int i = 0; i < nchildren; i++) sw_spawn(f->s, queens_task, &children[i]);
        f->s->wg_wait(wg);
        f->solutions = 0;
        for (int i = 0; i < nchildren; i++) f->solutions += children[i].solutions;
        f->s->wg_free(wg);
        free(children);
    }
    if (f->wg) f->s->wg_done(f->wg);
}

/* Tasks the search spawns: one per safe placement in rows 1..cutoff. */
static uint64_t queens_tasks(int n, int row, int cutoff, uint32_t cols, uint32_t d1, uint32_t d2) {
    if (row >= cutoff || row == n) return 0;
    uint64_t count = 0;
    uint32_t free_cols = ~(cols | d1 | d2) & ((1u << n) - 1);
    while (free_cols) {
        uint32_t bit = free_cols & -free_cols;
        free_cols ^= bit;
        count += 1 + queens_tasks(n, row + 1, cutoff, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    return count;
}

static void queens_root(void *arg) { queens_task(arg); }

static int nqueens_run(asb_ctx *ctx) {
    static const uint64_t known[] = {1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200, 73712, 365596, 2279184, 14772512};
    queens_frame root = {.s = asb_ctx_sched(ctx), .n = (int)asb_param_i(ctx, "n"), .cutoff = (int)asb_param_i(ctx, "cutoff")};
    if (root.n < 1 || root.n > 16 || root.cutoff < 0)
        return asb_fail(ctx, ASB_USAGE, "nqueens: need 1 <= n <= 16 and cutoff >= 0");
    int status = sw_run(ctx, asb_threads(ctx), queens_root, &root);
    if (status != ASB_OK) return status;
    uint64_t tasks = queens_tasks(root.n, 0, root.cutoff, 0, 0, 0);
    asb_count(ctx, tasks ? tasks : 1, 0, 0);
    if (root.solutions != known[root.n])
        return asb_verify_fail(ctx, "nqueens: %llu solutions for n=%d, expected %llu",
                               (unsigned long long)root.solutions, root.n, (unsigned long long)known[root.n]);
    return ASB_OK;
}

static const asb_param_def nqueens_params[] = {
    {"n", "13", "10", "board size (<= 16)"},
    {"cutoff", "3", NULL, "rows placed by tasks; deeper rows are searched serially"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload nqueens = {
    .name = "nqueens",
    .kind = "sched",
    .stresses = "irregular task tree, load balance",
    .params = nqueens_params,
    .needs = ASB_CAP_SPAWN_JOIN,
    .run = nqueens_run,
};
ASB_REGISTER_WORKLOAD(nqueens)
