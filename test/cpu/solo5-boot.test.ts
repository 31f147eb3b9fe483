/**
 * The privileged sequence Solo5's hvt bindings run at boot (hvt.md §2.8), in assembly: RDTSC
 * canary, WRMSR FS_BASE, a new GDT with a TSS, LGDT + far return, MOV SS/DS/ES, LTR, an IDT of
 * interrupt gates with IST stacks, then a #PF whose handler reads CR2 and reports through OUT
 * to a hypercall port, as the Solo5 trap stubs do.
 */
import { describe, expect, it } from 'vitest';
import { assemble, CODE_BASE, createMachine, load, runUntilStop, StopReason } from './long-mode-harness.js';

const boot = `
  rdtsc
  mov %eax, %r12d
  rdtsc
  shl $32, %rdx
  or %rdx, %r12
  xor %eax, %eax
  xor %edx, %edx
  mov $0xc0000100, %ecx
  wrmsr

  # GDT: null, code, data, TSS (2 slots) with base = tss, limit 104, type 9.
  lea gdt(%rip), %rdi
  lea tss(%rip), %rax
  mov %ax, 0x1a(%rdi)
  shr $16, %rax
  mov %al, 0x1c(%rdi)
  mov %ah, 0x1f(%rdi)
  shr $16, %rax
  mov %eax, 0x20(%rdi)
  # TSS IST2 = top of trap stack, IST3 = top of nmi stack.
  lea tss(%rip), %rbx
  lea trap_stack_top(%rip), %rax
  mov %rax, 0x2c(%rbx)
  lea nmi_stack_top(%rip), %rax
  mov %rax, 0x34(%rbx)
  lgdt gdtr(%rip)
  pushq $0x08
  lea 1f(%rip), %rax
  pushq %rax
  lretq
1:
  mov $0x10, %eax
  mov %eax, %ss
  mov %eax, %ds
  mov %eax, %es
  mov $0x18, %ax
  ltr %ax

  # IDT: gate 14 (#PF) → pf_handler on IST2, gate 8 (#DF) on IST3.
  lea idt(%rip), %rdi
  lea pf_handler(%rip), %rax
  mov %ax, 14*16(%rdi)
  movw $0x08, 14*16+2(%rdi)
  movw $0x8e02, 14*16+4(%rdi)
  shr $16, %rax
  mov %ax, 14*16+6(%rdi)
  shr $16, %rax
  mov %eax, 14*16+8(%rdi)
  lidt idtr(%rip)

  # A write to an unmapped address: test_exception's #PF.
  mov $0x400000000, %rax
  movq $1, (%rax)
  hlt

pf_handler:
  mov %cr2, %rax
  push %rax
  mov %rsp, %rbx
  mov (%rbx), %rax
  mov %rax, %rdx
  mov $0x500, %dx
  mov %rbx, %rax
  out %eax, %dx
  hlt

.p2align 4
gdt:
  .quad 0
  .quad 0x00AF99000000FFFF
  .quad 0x00CF93000000FFFF
  .quad 0x0000890000000068
  .quad 0
gdtr:
  .word 39
  .quad gdt
.p2align 4
idt:
  .fill 48*16, 1, 0
idtr:
  .word 767
  .quad idt
.p2align 4
tss:
  .fill 104, 1, 0
.p2align 4
trap_stack:
  .fill 4096, 1, 0
trap_stack_top:
nmi_stack:
  .fill 4096, 1, 0
nmi_stack_top:
`;

describe('Solo5 hvt boot sequence', () => {
  it('sets up GDT/TSS/IDT like the bindings and takes a #PF on the IST2 stack', () => {
    const m = createMachine();
    // The hvt boot state: no IDT, GDT at 0x1000 with 3 entries.
    m.cpu.setIdtr({ base: 0n, limit: 0 });
    m.cpu.setGdtr({ base: 0x1000n, limit: 0x17 });
    const image = assemble(boot);
    load(m, CODE_BASE, image);
    let frameAddr = 0;
    m.io.onOut = (_port, _size, value) => {
      frameAddr = value;
    };
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.io.out).toHaveLength(1);
    expect(m.io.out[0].port).toBe(0x500);
    // Frame on IST2: [cr2, ec, rip, cs, rflags, rsp, ss].
    const v = m.mem.view;
    const q = (k: number): bigint => v.getBigUint64(frameAddr + k * 8, true);
    expect(q(0)).toBe(0x400000000n);
    expect(q(1)).toBe(2n);
    expect(q(3)).toBe(8n);
    expect(q(4) & 0x10000n).toBe(0x10000n);
    expect(q(6)).toBe(0x10n);
    expect(frameAddr & 15).toBe(8);
    expect(m.cpu.getTr().selector).toBe(0x18);
    expect(m.cpu.getMsr(0xc0000100)).toBe(0n);
    expect(m.cpu.getControl(2)).toBe(0x400000000n);
    // The busy bit was set in the guest's GDT.
    const gdt = Number(m.cpu.getGdtr().base);
    expect(m.mem.u8[gdt + 0x18 + 5]).toBe(0x8b);
  });
});
