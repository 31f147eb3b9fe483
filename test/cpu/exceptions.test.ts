/**
 * Exception delivery through a 64-bit IDT: frames, error codes, IST stacks, RF, IRETQ, #DF,
 * triple fault, CR2 and #PF error codes.
 */
import { describe, expect, it } from 'vitest';
import { assemble, CODE_BASE, createMachine, DATA_BASE, enterUserMode, IST_TOPS, load, RAX, RBX, RCX, RDX, RSP, runUntilStop, setGate, StopReason, type Machine } from './long-mode-harness.js';

/** Handler that saves the frame (5 or 6 qwords above RSP) at 0x300000 and halts. */
const HANDLER_AT = 0x180000;
const FRAME_SAVE = 0x300000;

function handlerSource(withError: boolean): string {
  const n = withError ? 6 : 5;
  let s = '';
  for (let k = 0; k < n; k++) s += `mov ${k * 8}(%rsp), %rax\nmov %rax, ${FRAME_SAVE + k * 8}\n`;
  return s + `mov %rsp, ${FRAME_SAVE + 0x40}\nhlt\n`;
}

function frame(m: Machine, k: number): bigint {
  return m.mem.view.getBigUint64(FRAME_SAVE + k * 8, true);
}

function machineWith(code: string, vector: number, withError: boolean, ist = 0): Machine {
  const m = createMachine();
  load(m, CODE_BASE, assemble(code));
  load(m, HANDLER_AT, assemble(handlerSource(withError), HANDLER_AT));
  setGate(m, vector, HANDLER_AT, { ist });
  return m;
}

describe('exception delivery', () => {
  it('delivers #UD from UD2 with RIP of the instruction, RF set, no error code', () => {
    const m = machineWith('nop\nud2\n', 6, false);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(BigInt(CODE_BASE + 1));
    expect(frame(m, 1)).toBe(0x08n);
    expect(frame(m, 2) & 0x10000n).toBe(0x10000n);
    expect(frame(m, 4)).toBe(0x10n);
    expect(frame(m, 3)).toBe(BigInt((16 << 20) - 8));
  });

  it('delivers #GP with error code from a bad MOV to DS', () => {
    const m = machineWith('mov $0x38, %ax\nmov %ax, %ds\n', 13, true);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(0x38n);
    expect(frame(m, 1)).toBe(BigInt(CODE_BASE + 4));
  });

  it('delivers #DE for division by zero and for quotient overflow', () => {
    const m = machineWith('xor %ecx, %ecx\ndiv %ecx\n', 0, false);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(BigInt(CODE_BASE + 2));
    const m2 = machineWith('mov $1, %edx\nmov $1, %ecx\ndiv %ecx\n', 0, false);
    expect(runUntilStop(m2)).toBe(StopReason.Halted);
    expect(frame(m2, 0)).toBe(BigInt(CODE_BASE + 10));
    const m3 = machineWith('mov $-1, %rdx\nmov $0x8000000000000000, %rax\nmov $-1, %rcx\nidiv %rcx\n', 0, false);
    expect(runUntilStop(m3)).toBe(StopReason.Halted);
  });

  it('switches to the IST stack, aligned to 16', () => {
    const m = machineWith('mov $0x123457, %rsp\nud2\n', 6, false, 2);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 3)).toBe(0x123457n);
    expect(m.mem.view.getBigUint64(FRAME_SAVE + 0x40, true)).toBe(BigInt(IST_TOPS[1] - 40));
    const m2 = machineWith('mov $0x123457, %rsp\nud2\n', 6, false, 0);
    expect(runUntilStop(m2)).toBe(StopReason.Halted);
    expect(m2.mem.view.getBigUint64(FRAME_SAVE + 0x40, true)).toBe(0x123450n - 40n);
  });

  it('reports #PF error codes and CR2 (not present read, write to read-only, reserved bit)', () => {
    const cases: [string, bigint, bigint][] = [
      ['mov 0x10, %rax\n', 0n, 0x10n],
      ['movq $1, 0x8\n', 2n, 0x8n],
      ['mov $0x400000000, %rbx\nmov (%rbx), %rax\n', 0n, 0x400000000n],
    ];
    for (const [code, err, cr2] of cases) {
      const m = machineWith(code, 14, true);
      expect(runUntilStop(m)).toBe(StopReason.Halted);
      expect(frame(m, 0)).toBe(err);
      expect(m.cpu.getControl(2)).toBe(cr2);
    }
    // Read-only page (RW clear in the PTE) and WP: write → P|W.
    const m = machineWith('movq $1, 0x5000\n', 14, true);
    m.mem.view.setUint32(0x8000 + 5 * 8, 0x5001, true);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(3n);
    // Reserved bit (bit 63 without EFER.NXE): P|RSVD.
    const m2 = machineWith('mov 0x6000, %rax\n', 14, true);
    m2.mem.view.setUint32(0x8000 + 6 * 8 + 4, 0x80000000, true);
    expect(runUntilStop(m2)).toBe(StopReason.Halted);
    expect(frame(m2, 0)).toBe(9n);
    // Instruction fetch from an NX page with NXE: P|I/D.
    const m3 = machineWith('mov $0x7000, %rax\njmp *%rax\n', 14, true);
    m3.cpu.setMsr(0xc0000080, 0xd00n);
    m3.mem.view.setUint32(0x8000 + 7 * 8 + 4, 0x80000000, true);
    expect(runUntilStop(m3)).toBe(StopReason.Halted);
    expect(frame(m3, 0)).toBe(0x11n);
    expect(frame(m3, 1)).toBe(0x7000n);
  });

  it('leaves the flags untouched when a read-modify-write faults on its store', () => {
    for (const insn of ['addl $-1, 0x5000', 'incl 0x5000', 'negl 0x5000', 'shll $1, 0x5000', 'btsl $3, 0x5000', 'xadd %ecx, 0x5000']) {
      const m = machineWith(`movl $0x80000000, %ecx\nxor %eax, %eax\n${insn}\n`, 14, true);
      m.mem.view.setUint32(0x5000, 0x80000000, true);
      m.mem.view.setUint32(0x8000 + 5 * 8, 0x5001, true);
      expect(runUntilStop(m)).toBe(StopReason.Halted);
      expect(frame(m, 0)).toBe(3n);
      expect(Number(frame(m, 3) & 0x8d5n)).toBe(0x44);
    }
  });

  it('sets accessed and dirty bits in the page tables', () => {
    const m = machineWith('movq $1, 0x5000\nmov 0x6000, %rax\nhlt\n', 14, true);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.mem.view.getUint32(0x8000 + 5 * 8, true) & 0x60).toBe(0x60);
    expect(m.mem.view.getUint32(0x8000 + 6 * 8, true) & 0x60).toBe(0x20);
  });

  it('raises #GP for a non-canonical address', () => {
    const m = machineWith('mov $0x0000800000000000, %rbx\nmov (%rbx), %rax\n', 13, true);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(0n);
    expect(frame(m, 1)).toBe(BigInt(CODE_BASE + 10));
  });

  it('raises #SS(0) for a push with a non-canonical RSP', () => {
    const m = machineWith('mov %rsp, %rbx\nmov $0x0000800000000008, %rsp\npush %rax\n', 12, true, 2);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(0n);
    expect(frame(m, 1)).toBe(BigInt(CODE_BASE + 13));
  });

  it('picks #SS(0) or #GP(0) for a non-canonical memory operand by its base (ES/CS/SS/DS overrides ignored)', () => {
    // RBX, RBP, RSP (through RCX for the stack itself), R12, R13 all hold the same non-canonical value.
    const setup = 'mov $0x0000800000000000, %rax\nmov %rax, %rbx\nmov %rax, %rbp\nmov %rax, %r12\nmov %rax, %r13\n';
    const cases: [string, number][] = [
      ['mov (%rbx), %ecx', 13],
      ['mov 8(%rbp), %ecx', 12],
      ['mov %rax, %rsp\nmov 16(%rsp), %ecx', 12],
      ['mov %rax, %rsp\nmov %ecx, (%rsp)', 12],
      ['mov (%rbx,%rbp), %ecx', 13],
      ['mov (%rbp,%rbx), %ecx', 12],
      ['mov (%r12), %ecx', 13],
      ['mov 8(%r13), %ecx', 13],
      ['mov %ss:(%rbx), %ecx', 13],
      ['mov %ds:8(%rbp), %ecx', 12],
      ['mov %fs:8(%rbp), %ecx', 13],
      ['addl $1, 8(%rbp)', 12],
      ['lea 8(%rbp), %rcx\nud2', 6],
      ['mov %rax, %rsp\nret', 12],
      ['leave', 12],
      ['mov %rax, %rsp\niretq', 12],
    ];
    for (const [code, vector] of cases) {
      const m = createMachine();
      load(m, CODE_BASE, assemble(setup + code + '\n'));
      m.cpu.interceptExceptions = true;
      expect(runUntilStop(m), code).toBe(StopReason.Exception);
      expect(m.cpu.stopInfo.vector, code).toBe(vector);
      if (vector !== 6) expect(m.cpu.stopInfo.errorCode, code).toBe(0);
    }
  });

  it('raises #AC(0) at CPL 3 once AC is set, even for a page the TLB already held', () => {
    // A misaligned read with AC=0 (the page enters the TLB), POPF sets AC, the same read again.
    const code = 'mov $0x200001, %rbx\nmov (%rbx), %eax\npushfq\norq $0x40000, (%rsp)\npopfq\nmov (%rbx), %eax\n';
    const m = createMachine();
    load(m, CODE_BASE, assemble(code));
    enterUserMode(m);
    m.cpu.interceptExceptions = true;
    expect(runUntilStop(m)).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(17);
    expect(m.cpu.stopInfo.errorCode).toBe(0);
    expect(m.cpu.stopInfo.rip).toBe(BigInt(CODE_BASE + 19));
    // Without CR0.AM, or back at CPL 0, the same code runs on into the zeroed memory after it.
    for (const user of [false, true]) {
      const m2 = createMachine();
      load(m2, CODE_BASE, assemble(code + 'hlt\n'));
      if (user) enterUserMode(m2, false);
      m2.cpu.interceptExceptions = true;
      const stop = runUntilStop(m2);
      // HLT at CPL 3 is #GP(0); at CPL 0 it halts.
      if (user) expect([m2.cpu.stopInfo.vector, m2.cpu.getRip()]).toEqual([13, BigInt(CODE_BASE + 21)]);
      else expect(stop).toBe(StopReason.Halted);
    }
  });

  it('returns with IRETQ and resumes after INT3 (a trap)', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('mov $1, %eax\nint3\nadd $10, %eax\nint $0x40\nadd $100, %eax\nhlt\n'));
    load(m, HANDLER_AT, assemble('add $1000, %ebx\niretq\n', HANDLER_AT));
    setGate(m, 3, HANDLER_AT);
    setGate(m, 0x40, HANDLER_AT, { type: 0xf });
    m.cpu.setRflags(0x202);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(111n);
    expect(m.cpu.getGpr(RBX)).toBe(2000n);
    expect(m.cpu.getRflags() & 0x200).toBe(0x200);
    expect(m.cpu.getGpr(RSP)).toBe(BigInt((16 << 20) - 8));
  });

  it('clears IF in an interrupt gate and keeps it in a trap gate', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('int $0x41\nmov %rbx, %rcx\nint $0x42\nhlt\n'));
    load(m, HANDLER_AT, assemble('pushfq\npop %rbx\niretq\n', HANDLER_AT));
    setGate(m, 0x41, HANDLER_AT, { type: 0xe });
    setGate(m, 0x42, HANDLER_AT, { type: 0xf });
    m.cpu.setRflags(0x202);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RCX) & 0x200n).toBe(0n);
    expect(m.cpu.getGpr(RBX) & 0x200n).toBe(0x200n);
  });

  it('escalates a #PF during #PF delivery to #DF, and a fault in #DF to a triple fault', () => {
    // #PF handler's stack is unmapped (RSP = 0x800 is in the absent page 0): #PF → #DF on IST3.
    const m = machineWith('mov $0x800, %rsp\nmov 0x10, %rax\n', 8, true, 3);
    setGate(m, 14, HANDLER_AT + 0x1000);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(0n);
    expect(frame(m, 1)).toBe(BigInt(CODE_BASE + 7));
    // Without a #DF gate: triple fault, reported with the vector and RIP.
    const m2 = createMachine();
    load(m2, CODE_BASE, assemble('mov $0x800, %rsp\nmov 0x10, %rax\n'));
    setGate(m2, 14, HANDLER_AT);
    expect(runUntilStop(m2)).toBe(StopReason.TripleFault);
    expect(m2.cpu.stopInfo.rip).toBe(BigInt(CODE_BASE + 7));
  });

  it('triple-faults when there is no IDT at all (the hvt boot state)', () => {
    const m = createMachine();
    m.cpu.setIdtr({ base: 0n, limit: 0 });
    load(m, CODE_BASE, assemble('ud2\n'));
    expect(runUntilStop(m)).toBe(StopReason.TripleFault);
    expect(m.cpu.stopInfo.rip).toBe(BigInt(CODE_BASE));
  });

  it('delivers a benign #UD then #NP serially (no #DF): not-present gate gives #NP', () => {
    const m = machineWith('ud2\n', 11, true);
    setGate(m, 6, HANDLER_AT, { present: false });
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(BigInt(6 * 8 + 2 + 1));
  });

  it('intercepts exceptions before delivery and delivers them on the next run', () => {
    const m = machineWith('mov $5, %edx\nud2\n', 6, false);
    m.cpu.interceptExceptions = true;
    expect(runUntilStop(m)).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(6);
    expect(m.cpu.stopInfo.rip).toBe(BigInt(CODE_BASE + 5));
    expect(m.cpu.getRip()).toBe(BigInt(CODE_BASE + 5));
    expect(m.cpu.getGpr(RDX)).toBe(5n);
    m.cpu.interceptExceptions = false;
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(frame(m, 0)).toBe(BigInt(CODE_BASE + 5));
  });

  it('intercepts #PF with CR2 in stopInfo.address', () => {
    const m = machineWith('mov 0x18, %rax\n', 14, true);
    m.cpu.interceptExceptions = true;
    expect(runUntilStop(m)).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(14);
    expect(m.cpu.stopInfo.errorCode).toBe(0);
    expect(m.cpu.stopInfo.address).toBe(0x18n);
  });

  it('single-steps with TF through #DB (a trap after the instruction)', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('pushfq\norq $0x100, (%rsp)\npopfq\nmov $1, %eax\nmov $2, %eax\nhlt\n'));
    // #DB handler: count and return (TF restored by IRETQ).
    load(m, HANDLER_AT, assemble(`incq ${DATA_BASE}\niretq\n`, HANDLER_AT));
    setGate(m, 1, HANDLER_AT);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    // Traps after both MOVs (not after POPF, which set TF); the trap after HLT is still
    // pending when run() reports the halt.
    expect(m.mem.view.getUint32(DATA_BASE, true)).toBe(2);
  });

  it('delivers raiseInterrupt only when IF=1, after the STI shadow', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('mov $1, %eax\nsti\nmov $2, %eax\nmov $3, %eax\nhlt\n'));
    load(m, HANDLER_AT, assemble(`mov %eax, ${DATA_BASE}\niretq\n`, HANDLER_AT));
    setGate(m, 0x30, HANDLER_AT);
    m.cpu.raiseInterrupt(0x30);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    // Delivered after `mov $2` (the instruction in the STI shadow) completed.
    expect(m.mem.view.getUint32(DATA_BASE, true)).toBe(2);
  });
});
