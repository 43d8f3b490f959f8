/*
 * worker_live.c — the worker's side of the live-bytes page (live_page.h):
 * maps what --live-fd names, and the asb_live_* calls of workload.h that
 * the workloads knowing their live bytes make.
 */
#include <stdatomic.h>
#include <sys/mman.h>

#include "context.h"
#include "live_page.h"

void asb_live_attach(asb_ctx *ctx, int fd) {
    void *p = mmap(NULL, sizeof(asb_live_page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) asb_usage_exit("--live-fd %d: not the harness's live-bytes page", fd);
    ctx->live = p;
}

void asb_live_track(asb_ctx *ctx) {
    if (ctx->live) atomic_store_explicit(&ctx->live->tracked, 1, memory_order_relaxed);
}

void asb_live_add(asb_ctx *ctx, int thread, int64_t delta) {
    asb_live_page *p = ctx->live;
    if (!p) return;
    if (thread < 0 || thread >= ASB_LIVE_SLOTS) {
        atomic_store_explicit(&p->overflow, 1, memory_order_relaxed);
        return;
    }
    /* The slot is this thread's alone: load and store, no locked add. */
    _Atomic int64_t *slot = &p->slot[thread].bytes;
    atomic_store_explicit(slot, atomic_load_explicit(slot, memory_order_relaxed) + delta, memory_order_relaxed);
}
