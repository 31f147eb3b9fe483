/*
 * Interrupt and exception entry stubs for vectors 0..47.
 *
 * Each stub makes the stack look the same for every vector: if the CPU did
 * not push an error code the stub pushes a zero, then a slot for CR2. Above
 * the saved registers the C handler sees struct trap_frame
 * {cr2, ec, rip, cs, rflags, rsp, ss}. The common part saves the caller-saved
 * registers, fills in CR2, calls runtime_trap(vector, frame) and, if the
 * handler returns (only for IRQs), restores everything and IRETs.
 */

    .text


.macro TRAP_STUB vector, has_ec
    .type trap_stub_\vector, @function
trap_stub_\vector:
    .if \has_ec == 0
    pushq $0                        /* fake error code */
    .endif
    pushq $0                        /* CR2 slot */
    pushq %rdi
    mov $\vector, %edi
    jmp trap_common
.endm

trap_common:
    pushq %rsi
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    mov %cr2, %rax
    mov %rax, 72(%rsp)              /* 9 saved registers above: the CR2 slot */
    lea 72(%rsp), %rsi              /* struct trap_frame * */
    pushq %rbp
    mov %rsp, %rbp
    and $-16, %rsp
    cld
    call runtime_trap
    mov %rbp, %rsp
    popq %rbp
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdx
    popq %rcx
    popq %rax
    popq %rsi
    popq %rdi
    add $16, %rsp                   /* CR2 slot and error code */
    iretq

    TRAP_STUB 0, 0
    TRAP_STUB 1, 0
    TRAP_STUB 2, 0
    TRAP_STUB 3, 0
    TRAP_STUB 4, 0
    TRAP_STUB 5, 0
    TRAP_STUB 6, 0
    TRAP_STUB 7, 0
    TRAP_STUB 8, 1
    TRAP_STUB 9, 0
    TRAP_STUB 10, 1
    TRAP_STUB 11, 1
    TRAP_STUB 12, 1
    TRAP_STUB 13, 1
    TRAP_STUB 14, 1
    TRAP_STUB 15, 0
    TRAP_STUB 16, 0
    TRAP_STUB 17, 1
    TRAP_STUB 18, 0
    TRAP_STUB 19, 0
    TRAP_STUB 20, 0
    TRAP_STUB 21, 1
    TRAP_STUB 22, 0
    TRAP_STUB 23, 0
    TRAP_STUB 24, 0
    TRAP_STUB 25, 0
    TRAP_STUB 26, 0
    TRAP_STUB 27, 0
    TRAP_STUB 28, 0
    TRAP_STUB 29, 1
    TRAP_STUB 30, 1
    TRAP_STUB 31, 0
    /* Hardware interrupts (none arrive on hvt; ready for other targets). */
    TRAP_STUB 32, 0
    TRAP_STUB 33, 0
    TRAP_STUB 34, 0
    TRAP_STUB 35, 0
    TRAP_STUB 36, 0
    TRAP_STUB 37, 0
    TRAP_STUB 38, 0
    TRAP_STUB 39, 0
    TRAP_STUB 40, 0
    TRAP_STUB 41, 0
    TRAP_STUB 42, 0
    TRAP_STUB 43, 0
    TRAP_STUB 44, 0
    TRAP_STUB 45, 0
    TRAP_STUB 46, 0
    TRAP_STUB 47, 0

/* Stub addresses indexed by vector, read by cpu_init to build the IDT. */
    .section .rodata
    .balign 8
    .globl trap_stub_table
trap_stub_table:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .quad trap_stub_\v
    .endr
    .size trap_stub_table, . - trap_stub_table

    .section .note.GNU-stack, "", @progbits
