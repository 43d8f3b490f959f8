/*
 * ctx.h — user-level execution contexts: build a context on a caller-supplied
 * stack with an entry function, and switch between contexts.  The analogue of
 * Go's gobuf + gogo/mcall (runtime/asm_amd64.s, asm_arm64.s), but usable by any
 * user-level scheduler (gmp, wsdeque …); it knows nothing about G, M or P.
 *
 * A switch saves the callee-saved registers (and the FP control words) on the
 * current stack, stores the stack pointer in `from`, and resumes `to`.  Caller-
 * saved state is the compiler's business, so a switch costs a few ns.
 *
 * Sanitizers: under ThreadSanitizer every context is a TSan fiber
 * (__tsan_create_fiber / __tsan_switch_to_fiber); under AddressSanitizer a
 * switch is bracketed with __sanitizer_start/finish_switch_fiber.
 */
#ifndef ASB_UCTX_H
#define ASB_UCTX_H

#include <stddef.h>

#if defined(__SANITIZE_THREAD__)
#define ASB_UCTX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ASB_UCTX_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ASB_UCTX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASB_UCTX_ASAN 1
#endif
#endif

#if ASB_UCTX_TSAN
#include <sanitizer/tsan_interface.h>
#endif
#if ASB_UCTX_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*asb_uctx_entry)(void *arg);

typedef struct asb_uctx {
    void *sp;             /* saved stack pointer; registers are stored below it */
    asb_uctx_entry entry; /* first function run by a made context */
    void *arg;
#if ASB_UCTX_TSAN
    void *tsan_fiber;
    int tsan_owned; /* created by asb_uctx_make, destroyed by asb_uctx_destroy */
#endif
#if ASB_UCTX_ASAN
    const void *stack_lo;
    size_t stack_size;
    void *fake_stack;
#endif
} asb_uctx;

/* Make `c` start entry(arg) on [stack_lo, stack_lo + stack_size) at its next
 * switch-in.  `c` must be zeroed before its first make; it may be made again
 * (to restart on the same stack) once it is no longer running.  entry must
 * never return: it ends by switching away for good. */
void asb_uctx_make(asb_uctx *c, void *stack_lo, size_t stack_size, asb_uctx_entry entry,
                   void *arg);

/* Turn `c` into the context of the calling thread's own stack, so that the
 * thread can switch to other contexts and back (a scheduler's g0). */
void asb_uctx_init_thread(asb_uctx *c);

/* Release what make/init_thread attached to `c` (sanitizer fibers). */
void asb_uctx_destroy(asb_uctx *c);

/* The raw register switch (ctx_amd64.S / ctx_arm64.S). */
void asb_uctx_swap(void **save_sp, void *load_sp);

/* Save the running context into `from` and resume `to`.  Returns when some
 * thread switches back to `from`. */
static inline void asb_uctx_switch(asb_uctx *from, asb_uctx *to) {
#if ASB_UCTX_TSAN
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
#if ASB_UCTX_ASAN
    __sanitizer_start_switch_fiber(&from->fake_stack, to->stack_lo, to->stack_size);
#endif
    asb_uctx_swap(&from->sp, to->sp);
#if ASB_UCTX_ASAN
    __sanitizer_finish_switch_fiber(from->fake_stack, NULL, NULL);
#endif
}

#ifdef __cplusplus
}
#endif
#endif
