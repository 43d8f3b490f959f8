/*
 * preempt.c — asynchronous preemption: sysmon sends SIGURG to the M running a
 * G that has had the CPU for 10 ms, and the handler makes that G call the
 * scheduler at the interrupted instruction.  Follows Go's runtime/preempt.go
 * (wantAsyncPreempt, isAsyncSafePoint) and signal_amd64.go/signal_arm64.go
 * (pushCall).
 *
 * Async-safe point, here: the G is executing task code outside every call
 * into this scheduler (G.user_code, cleared on entry to each API function
 * and set on return), a preemption was requested, the interrupted PC lies in
 * the main executable's text (not in a shared library such as libc, whose
 * malloc or stdio locks we must not hold across a switch), and at least
 * SAFE_STACK bytes of stack remain.  Code of the main executable that takes
 * locks of its own (a statically linked allocator) is not recognised: that is
 * the limit of what a C runtime can know.
 *
 * x86-64: the handler (on the M's signal stack) pushes the interrupted RIP
 * below the 128-byte red zone and points RIP at asb_gmp_async_preempt
 * (preempt_amd64.S), which saves every register, flags and the full XSAVE
 * state, calls asb_gmp_async_preempt_park, restores everything and returns
 * with `ret $128`.  AArch64: C code leaves no register free for the final
 * branch back to the interrupted PC (Go reserves R27 for it), so there the
 * handler itself, running on the G's stack, calls the scheduler; the kernel's
 * sigreturn restores every register when the G is resumed.
 */
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime2.h"

enum { SAFE_STACK = 16 * 1024, SIGSTACK_SIZE = 64 * 1024 };

static struct sigaction old_sigurg;

void asb_gmp_async_preempt_park(void);

#if defined(__x86_64__)
#include <cpuid.h>
void asb_gmp_async_preempt(void);
__attribute__((visibility("hidden"))) uint64_t asb_gmp_xsave_size;
#endif

/* Called (through asb_gmp_async_preempt on x86-64, from the handler on
 * AArch64) by a G stopped at an async-safe point. */
void asb_gmp_async_preempt_park(void) {
    G *gp = gmp_getg();
    gmp_gopreempt(true);
    atomic_signal_fence(memory_order_seq_cst);
    relaxed_store(&gp->user_code, true);
}

#if !ASB_UCTX_TSAN
static uintptr_t text_lo, text_hi; /* the main executable's code */

static int find_text(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    /* The first object is the main program. */
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (text_lo == 0 || lo < text_lo) text_lo = lo;
        if (hi > text_hi) text_hi = hi;
    }
    return 1;
}

static void sigurg_handler(int sig, siginfo_t *info, void *ucv) {
    (void)sig;
    (void)info;
    G *gp = gmp_getg();
    if (!gp || !relaxed_load(&gp->user_code) || !relaxed_load(&gp->preempt)) return;
    ucontext_t *uc = ucv;
#if defined(__x86_64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.pc;
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.sp;
#endif
    if (pc < text_lo || pc >= text_hi) return;
    if (sp < (uintptr_t)gp->stack.lo + SAFE_STACK || sp > (uintptr_t)gp->stack.lo + GMP_STACK_SIZE)
        return;
    relaxed_store(&gp->user_code, false);
    atomic_signal_fence(memory_order_seq_cst);
#if defined(__x86_64__)
    /* Make the G "call" asb_gmp_async_preempt from pc, skipping the red zone. */
    sp -= 128 + sizeof(uintptr_t);
    *(uintptr_t *)sp = pc;
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)asb_gmp_async_preempt;
#elif defined(__aarch64__)
    asb_gmp_async_preempt_park();
#endif
}
#endif

bool gmp_preempt_install(void) {
#if ASB_UCTX_TSAN
    /* TSan defers signals to its own safe points and hands the handler a
     * copied context: rewriting it would be lost.  Cooperative only. */
    return false;
#else
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return false;
    __cpuid_count(0xD, 0, eax, ebx, ecx, edx);
    asb_gmp_xsave_size = (ebx + 64 + 63) & ~(uint64_t)63;
#endif
    if (text_hi == 0) dl_iterate_phdr(find_text, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigurg_handler;
    sigemptyset(&sa.sa_mask);
#if defined(__x86_64__)
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
#else
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
#endif
    return sigaction(SIGURG, &sa, &old_sigurg) == 0;
#endif
}

void gmp_preempt_uninstall(void) { sigaction(SIGURG, &old_sigurg, NULL); }

void gmp_preempt_m(M *mp) {
    pid_t tid = relaxed_load(&mp->tid);
    if (tid > 0) syscall(SYS_tgkill, getpid(), tid, SIGURG);
}

/* x86-64 preemption handlers run on a signal stack, so that the G's stack
 * below the interrupted SP is free for the injected call.  A thread that
 * already has one (sanitizer runtimes install their own) keeps it. */
void gmp_signal_stack_init(M *mp) {
#if defined(__x86_64__) && !ASB_UCTX_TSAN
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) &&
        old.ss_size >= SIGSTACK_SIZE / 2)
        return;
    mp->sigstack = malloc(SIGSTACK_SIZE);
    if (!mp->sigstack) return;
    stack_t ss = {.ss_sp = mp->sigstack, .ss_size = SIGSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        free(mp->sigstack);
        mp->sigstack = NULL;
    }
#else
    (void)mp;
#endif
}

void gmp_signal_stack_fini(M *mp) {
    if (!mp->sigstack) return;
    stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(mp->sigstack);
    mp->sigstack = NULL;
}
