/*
 * ctx.c — the portable half of ctx.h: laying out the first frame of a new
 * context and attaching sanitizer fibers.  The register switch itself is in
 * ctx_amd64.S / ctx_arm64.S; both pop the frame built here and "return" into
 * asb_uctx_trampoline, which calls asb_uctx_start(ctx).
 */
#include "ctx.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void asb_uctx_trampoline(void);
void asb_uctx_start(asb_uctx *c);

/* First C code of every made context (called by the trampoline). */
void asb_uctx_start(asb_uctx *c) {
#if ASB_UCTX_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    c->entry(c->arg);
    abort(); /* entry functions never return */
}

void asb_uctx_make(asb_uctx *c, void *stack_lo, size_t stack_size, asb_uctx_entry entry,
                   void *arg) {
    uintptr_t top = ((uintptr_t)stack_lo + stack_size) & ~(uintptr_t)15;
    c->entry = entry;
    c->arg = arg;
#if defined(__x86_64__)
    /* Frame popped by asb_uctx_swap: [r15 r14 r13 r12 rbx rbp][return
     * address][pad].  After the `ret`, rsp = top - 16: 16-byte aligned, as
     * the trampoline's `call` needs. */
    uint64_t *frame = (uint64_t *)(top - 72);
    memset(frame, 0, 72);
    frame[4] = (uint64_t)(uintptr_t)c; /* rbx: the context */
    frame[6] = (uint64_t)(uintptr_t)asb_uctx_trampoline;
    c->sp = frame;
#elif defined(__aarch64__)
    /* Frame popped by asb_uctx_swap: x19…x30, d8…d15 (160 bytes). */
    uint64_t *frame = (uint64_t *)(top - 160);
    memset(frame, 0, 160);
    frame[0] = (uint64_t)(uintptr_t)c;                    /* x19: the context */
    frame[11] = (uint64_t)(uintptr_t)asb_uctx_trampoline; /* x30 */
    c->sp = frame;
#else
#error "asb_uctx: unsupported architecture (x86-64 and aarch64 only)"
#endif
#if ASB_UCTX_TSAN
    if (!c->tsan_fiber) {
        c->tsan_fiber = __tsan_create_fiber(0);
        c->tsan_owned = 1;
    }
#endif
#if ASB_UCTX_ASAN
    c->stack_lo = stack_lo;
    c->stack_size = stack_size;
#endif
}

void asb_uctx_init_thread(asb_uctx *c) {
    memset(c, 0, sizeof *c);
#if ASB_UCTX_TSAN
    c->tsan_fiber = __tsan_get_current_fiber();
#endif
#if ASB_UCTX_ASAN
    pthread_attr_t attr;
    void *lo;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
            c->stack_lo = lo;
            c->stack_size = size;
        }
        pthread_attr_destroy(&attr);
    }
#endif
}

void asb_uctx_destroy(asb_uctx *c) {
#if ASB_UCTX_TSAN
    if (c->tsan_owned && c->tsan_fiber) __tsan_destroy_fiber(c->tsan_fiber);
    c->tsan_fiber = NULL;
    c->tsan_owned = 0;
#else
    (void)c;
#endif
}
