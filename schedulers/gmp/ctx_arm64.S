/*
 * ctx_arm64.S — AArch64 (AAPCS64) context switch for ctx.h; Go's gogo/mcall
 * (runtime/asm_arm64.s) reduced to what C code needs: x19-x30 and d8-d15.
 * Like Go (and ctx_amd64.S) it does not carry FPCR per context.
 */
#if defined(__aarch64__)
    .text
    .globl asb_uctx_swap
    .type asb_uctx_swap, %function
    .p2align 4
/* void asb_uctx_swap(void **save_sp, void *load_sp) */
asb_uctx_swap:
    sub sp, sp, #160
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x2, sp
    str x2, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #160
    ret
    .size asb_uctx_swap, .-asb_uctx_swap

/* First "return" target of a made context: x19 holds the asb_uctx. */
    .globl asb_uctx_trampoline
    .type asb_uctx_trampoline, %function
    .p2align 4
asb_uctx_trampoline:
    mov x0, x19
    bl asb_uctx_start
    brk #0
    .size asb_uctx_trampoline, .-asb_uctx_trampoline
#endif
    .section .note.GNU-stack,"",%progbits
