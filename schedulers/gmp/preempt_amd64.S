/*
 * preempt_amd64.S — the function a SIGURG handler injects into a G at an
 * async-safe point (Go's runtime/preempt_amd64.s, asyncPreempt).  It saves
 * flags, all general registers and the complete XSAVE state (x87, SSE, AVX,
 * AVX-512 … whatever the OS enabled), calls asb_gmp_async_preempt_park, and
 * restores everything.  The handler pushed the interrupted RIP 128 bytes
 * below the interrupted RSP (past the red zone); `ret $128` returns there and
 * drops the gap.
 */
#if defined(__x86_64__)
    .text
    .globl asb_gmp_async_preempt
    .type asb_gmp_async_preempt, @function
    .p2align 4
asb_gmp_async_preempt:
    pushfq
    cld
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rbx
    pushq %rbp
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rbx
    subq asb_gmp_xsave_size(%rip), %rsp
    andq $-64, %rsp
    xorl %eax, %eax
    movq %rax, 512(%rsp)          /* XSAVE header must start zeroed */
    movq %rax, 520(%rsp)
    movq %rax, 528(%rsp)
    movq %rax, 536(%rsp)
    movq %rax, 544(%rsp)
    movq %rax, 552(%rsp)
    movq %rax, 560(%rsp)
    movq %rax, 568(%rsp)
    movl $-1, %eax
    movl $-1, %edx
    xsave (%rsp)
    call asb_gmp_async_preempt_park@PLT
    movl $-1, %eax
    movl $-1, %edx
    xrstor (%rsp)
    movq %rbx, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rbp
    popq %rbx
    popq %rdx
    popq %rcx
    popq %rax
    popfq
    ret $128
    .size asb_gmp_async_preempt, .-asb_gmp_async_preempt
#endif
    .section .note.GNU-stack,"",@progbits
