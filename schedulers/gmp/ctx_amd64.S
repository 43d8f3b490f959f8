/*
 * ctx_amd64.S — x86-64 (System V) context switch for ctx.h; Go's gogo/mcall
 * (runtime/asm_amd64.s) reduced to what C code needs: the callee-saved
 * registers rbx rbp r12-r15.  Like Go's gogo it does not carry the MXCSR and
 * x87 control words (rounding modes) per context: saving them costs ~50%
 * more per switch, and a task that changes them must restore them before it
 * blocks.
 */
#if defined(__x86_64__)
    .text
    .globl asb_uctx_swap
    .type asb_uctx_swap, @function
    .p2align 4
/* void asb_uctx_swap(void **save_sp, void *load_sp) */
asb_uctx_swap:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    /* Resume with an indirect jump, as Go's gogo does, not with `ret`: the
     * return-stack predictor holds the return address of the context we
     * left, so a `ret` here always mispredicts, while the indirect-branch
     * predictor learns the (usually periodic) pattern of resume points. */
    popq %rcx
    jmp *%rcx
    .size asb_uctx_swap, .-asb_uctx_swap

/* First "return" target of a made context: rbx holds the asb_uctx. */
    .globl asb_uctx_trampoline
    .type asb_uctx_trampoline, @function
    .p2align 4
asb_uctx_trampoline:
    movq %rbx, %rdi
    call asb_uctx_start@PLT
    ud2
    .size asb_uctx_trampoline, .-asb_uctx_trampoline
#endif
    .section .note.GNU-stack,"",@progbits
