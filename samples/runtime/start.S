/*
 * _start: the ELF entry point. The tender enters here in 64-bit mode with
 * RDI = struct hvt_boot_info * and RSP = mem_size - 8 on its own stack.
 *
 * Before any C code runs with a stack protector we must set the global
 * canary (two RDTSC reads, combined as t1 + (t2 << 32), with bits 8..15
 * cleared so a string overflow cannot reproduce it) and point FS at nothing
 * so a stray TLS access faults on the unmapped zero page.
 */
#define IA32_FS_BASE 0xc0000100

    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .cfi_startproc
    .cfi_undefined rip              /* outermost frame for debuggers */
    mov %rdi, %r12                  /* keep the boot info pointer */

    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    mov %rax, %rcx                  /* t1 */
    rdtsc
    shl $32, %rdx
    or %rdx, %rax                   /* t2 */
    shl $32, %rax
    add %rcx, %rax
    and $-0xff01, %rax              /* clear bits 8..15 */
    mov %rax, __stack_chk_guard(%rip)

    mov $IA32_FS_BASE, %ecx
    xor %eax, %eax
    xor %edx, %edx
    wrmsr

    xor %ebp, %ebp
    and $-16, %rsp                  /* ABI alignment at the call */
    mov %r12, %rdi
    call runtime_boot               /* never returns */
1:  pause
    jmp 1b
    .cfi_endproc
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
