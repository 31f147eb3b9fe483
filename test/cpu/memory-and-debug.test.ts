/**
 * MMU/TLB behaviour, self-modifying code, host read-only pages, and the debug API
 * (breakpoints, single-step, watchpoints).
 */
import { describe, expect, it } from 'vitest';
import { assemble, CODE_BASE, createMachine, DATA_BASE, load, RAX, RBX, RCX, RDX, runAsm, runUntilStop, StopReason } from './long-mode-harness.js';

describe('self-modifying code', () => {
  it('sees a store that rewrites the next instruction on the same page', () => {
    // Overwrite the immediate of the second `mov` before executing it.
    const { m, stop } = runAsm('movl $42, 2f+1(%rip)\n2: mov $1, %eax\nhlt\n');
    expect(stop).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(42n);
  });

  it('re-decodes a loop body rewritten between iterations', () => {
    const { m, stop } = runAsm('xor %ebx, %ebx\nmov $3, %ecx\n1: add $1, %ebx\nmovb $10, 1b+2(%rip)\nloop 1b\nhlt\n');
    expect(stop).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RBX)).toBe(21n);
  });

  it('keeps data writes next to code correct, then still sees a write into the code', () => {
    const { m, stop } = runAsm(
      'mov $1000, %ecx\n1: incl counter(%rip)\nloop 1b\nmovb $0x2a, 2f+1(%rip)\n2: mov $1, %eax\nhlt\n.p2align 6\ncounter: .long 0\n',
    );
    expect(stop).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(42n);
    const counterAt = m.mem.view.getUint32(CODE_BASE + 0x40, true);
    expect(counterAt).toBe(1000);
  });

  it('sees a page-crossing store that rewrites code at the start of the next page', () => {
    const m = createMachine();
    const page2 = DATA_BASE + 0x1000;
    // Code at page2+1: "mov $1, %eax; hlt" (byte 0 of the page is not code); run it once.
    load(m, page2 + 1, assemble('mov $1, %eax\nhlt\n', page2 + 1));
    m.cpu.setRip(BigInt(page2 + 1));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    // An 8-byte store at page2-4 reaches page2+0..+3: the opcode (unchanged) and the immediate.
    load(m, CODE_BASE, assemble(`movabs $0x002ab80000000000, %rax\nmov %rax, ${page2 - 4}\njmp *%rbx\n`));
    m.cpu.setGpr(RBX, BigInt(page2 + 1));
    m.cpu.setRip(BigInt(CODE_BASE));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(0x2an);
  });

  it('sees code written by a device through memory.written()', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('mov $1, %eax\nhlt\njmp .-1\n'));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(1n);
    load(m, CODE_BASE, assemble('mov $2, %eax\nhlt\n'));
    m.cpu.setRip(BigInt(CODE_BASE));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(2n);
  });

  it('executes an instruction that straddles two pages', () => {
    const m = createMachine();
    const at = DATA_BASE + 0x1000 - 3;
    load(m, at, assemble('mov $0x12345678, %eax\nhlt\n', at));
    m.cpu.setRip(BigInt(at));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(0x12345678n);
  });
});

describe('host read-only pages', () => {
  it('stops with HostFault before the store, at the storing instruction', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble(`movq $1, ${DATA_BASE + 8}\nmovq $2, ${DATA_BASE + 0x1000}\nhlt\n`));
    m.mem.protectReadOnly(DATA_BASE + 0x1000, DATA_BASE + 0x2000);
    expect(runUntilStop(m)).toBe(StopReason.HostFault);
    expect(m.cpu.stopInfo.address).toBe(BigInt(DATA_BASE + 0x1000));
    expect(m.cpu.stopInfo.rip).toBe(BigInt(CODE_BASE + 12));
    expect(m.cpu.getRip()).toBe(BigInt(CODE_BASE + 12));
    expect(m.mem.view.getBigUint64(DATA_BASE + 0x1000, true)).toBe(0n);
    expect(m.mem.view.getBigUint64(DATA_BASE + 8, true)).toBe(1n);
  });

  it('reads from a host read-only page work', () => {
    const m = createMachine();
    m.mem.view.setUint32(DATA_BASE, 77, true);
    m.mem.protectReadOnly(DATA_BASE, DATA_BASE + 0x1000);
    load(m, CODE_BASE, assemble(`mov ${DATA_BASE}, %eax\nhlt\n`));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(77n);
  });

  it('REP STOSB into a read-only page stops with the completed part stored', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble(`mov $${DATA_BASE + 0xff0}, %rdi\nmov $0x20, %ecx\nmov $5, %al\nrep stosb\nhlt\n`));
    m.mem.protectReadOnly(DATA_BASE + 0x1000, DATA_BASE + 0x2000);
    expect(runUntilStop(m)).toBe(StopReason.HostFault);
    expect(m.cpu.getGpr(RCX)).toBe(0x10n);
    expect(m.mem.u8[DATA_BASE + 0xfff]).toBe(5);
    expect(m.mem.u8[DATA_BASE + 0x1000]).toBe(0);
  });
});

describe('4 GiB guests', () => {
  it('runs with the stack and data above 2 GiB (physical addresses past int32)', () => {
    const m = createMachine({ memSize: 2 ** 32 });
    load(
      m,
      CODE_BASE,
      assemble('push $7\npop %rax\nmov $0xc0000000, %rdi\nmov $0x55, %al\nmov $5000, %ecx\nrep stosb\nmov $0xc0000000, %rsi\nmovq $42, 0xff0(%rsi)\nmov 0xff0(%rsi), %rbx\ncall 1f\nhlt\n1: ret\n'),
    );
    expect(m.cpu.getGpr(4)).toBe(BigInt(2 ** 32 - 8));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RBX)).toBe(42n);
    expect(m.mem.u8[0xc0000000 + 4999]).toBe(0x55);
    expect(m.mem.u8[0xc0000000 + 5000]).toBe(0);
  });

  it('stops a store to a host read-only page (page flags cover all 4 GiB)', () => {
    const m = createMachine({ memSize: 2 ** 32 });
    load(m, CODE_BASE, assemble('lea 1f(%rip), %rax\nmovb $0xc3, (%rax)\nhlt\n1: nop\n'));
    m.mem.protectReadOnly(CODE_BASE, CODE_BASE + 0x1000);
    m.mem.protectReadOnly(2 ** 32 - 0x1000, 2 ** 32);
    expect(runUntilStop(m)).toBe(StopReason.HostFault);
    expect(m.cpu.stopInfo.rip).toBe(BigInt(CODE_BASE + 7));
    expect(m.mem.pageFlags[2 ** 20 - 1] & 1).toBe(1);
  });
});

describe('TLB', () => {
  it('keeps two streams exactly 16 MiB apart correct (and fast paths coherent)', () => {
    const m = createMachine({ memSize: 64 << 20 });
    const a = 0x1000000;
    const b = 0x2000000;
    load(
      m,
      CODE_BASE,
      assemble(`mov $${a}, %rsi\nmov $${b}, %rdi\nmov $4096, %ecx\nxor %eax, %eax\n1: mov %eax, (%rsi,%rax,4)\nlea 1(%rax), %edx\nmov %edx, (%rdi,%rax,4)\nadd (%rsi,%rax,4), %ebx\ninc %eax\nloop 1b\nhlt\n`),
    );
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    for (const k of [0, 1, 1023, 1024, 4095]) {
      expect(m.mem.view.getUint32(a + k * 4, true)).toBe(k);
      expect(m.mem.view.getUint32(b + k * 4, true)).toBe(k + 1);
    }
    expect(m.cpu.getGpr(RBX)).toBe(BigInt((4095 * 4096) / 2));
  });

  it('INVLPG and CR3 writes make page-table changes visible', () => {
    const m = createMachine();
    // Map linear 0x5000 to physical 0x6000 after first touching it.
    load(
      m,
      CODE_BASE,
      assemble(`movl $11, 0x5000\nmovl $22, 0x6000\nmov 0x5000, %eax\nmovl $0x6003, 0x8000+5*8\nmov 0x5000, %ebx\ninvlpg 0x5000\nmov 0x5000, %ecx\nmovl $0x5003, 0x8000+5*8\nmov %cr3, %rdx\nmov %rdx, %cr3\nmov 0x5000, %edx\nhlt\n`),
    );
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect([m.cpu.getGpr(RAX), m.cpu.getGpr(RBX), m.cpu.getGpr(RCX), m.cpu.getGpr(RDX)]).toEqual([11n, 11n, 22n, 11n]);
  });

  it('translate() walks without side effects and honours write permission', () => {
    const m = createMachine();
    expect(m.cpu.translate(0x10n, false)).toBe(-1);
    expect(m.cpu.translate(0x5123n, false)).toBe(0x5123);
    m.mem.view.setUint32(0x8000 + 5 * 8, 0x5001, true);
    m.cpu.setControl(3, m.cpu.getControl(3));
    expect(m.cpu.translate(0x5123n, false)).toBe(0x5123);
    expect(m.cpu.translate(0x5123n, true)).toBe(-1);
    expect(m.mem.view.getUint32(0x8000 + 5 * 8, true)).toBe(0x5001);
    expect(m.cpu.readLinear(0xfffn, 2)).toBeNull();
    expect(m.cpu.writeLinear(BigInt(DATA_BASE + 0xffe), new Uint8Array([1, 2, 3, 4]))).toBe(true);
    expect([...m.cpu.readLinear(BigInt(DATA_BASE + 0xffe), 4)!]).toEqual([1, 2, 3, 4]);
  });
});

describe('debug API', () => {
  it('stops at a breakpoint before executing it, and continues past it', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('mov $1, %eax\nmov $2, %eax\nmov $3, %eax\nhlt\n'));
    m.cpu.addBreakpoint(BigInt(CODE_BASE + 5));
    expect(runUntilStop(m)).toBe(StopReason.Breakpoint);
    expect(m.cpu.getRip()).toBe(BigInt(CODE_BASE + 5));
    expect(m.cpu.getGpr(RAX)).toBe(1n);
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(3n);
    m.cpu.removeBreakpoint(BigInt(CODE_BASE + 5));
  });

  it('single-steps one instruction per run', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('mov $1, %eax\nmov $2, %eax\nhlt\n'));
    m.cpu.singleStep = true;
    expect(m.cpu.run(100)).toBe(StopReason.SingleStep);
    expect(m.cpu.getRip()).toBe(BigInt(CODE_BASE + 5));
    expect(m.cpu.getGpr(RAX)).toBe(1n);
    expect(m.cpu.run(100)).toBe(StopReason.SingleStep);
    expect(m.cpu.getGpr(RAX)).toBe(2n);
    expect(m.cpu.instructionsRetired).toBe(2);
  });

  it('stops after a watched write or read completes', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble(`movl $5, ${DATA_BASE + 0x10}\nmovl $6, ${DATA_BASE + 0x20}\nmov ${DATA_BASE + 0x10}, %ebx\nhlt\n`));
    m.cpu.addWatchpoint(BigInt(DATA_BASE + 0x20), 4, 'write');
    m.cpu.addWatchpoint(BigInt(DATA_BASE + 0x12), 1, 'read');
    expect(runUntilStop(m)).toBe(StopReason.Watchpoint);
    expect(m.cpu.stopInfo.watchKind).toBe('write');
    expect(m.cpu.stopInfo.address).toBe(BigInt(DATA_BASE + 0x20));
    expect(m.mem.view.getUint32(DATA_BASE + 0x20, true)).toBe(6);
    expect(m.cpu.getRip()).toBe(BigInt(CODE_BASE + 22));
    expect(runUntilStop(m)).toBe(StopReason.Watchpoint);
    expect(m.cpu.stopInfo.watchKind).toBe('read');
    expect(m.cpu.getGpr(RBX)).toBe(5n);
    m.cpu.removeWatchpoint(BigInt(DATA_BASE + 0x20), 4, 'write');
    m.cpu.removeWatchpoint(BigInt(DATA_BASE + 0x12), 1, 'read');
    expect(runUntilStop(m)).toBe(StopReason.Halted);
  });

  it('requestStop from an I/O handler ends the run after the OUT', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('mov $1, %eax\nout %eax, $0x80\nmov $2, %eax\nhlt\n'));
    m.io.onOut = () => m.cpu.requestStop();
    expect(runUntilStop(m)).toBe(StopReason.Requested);
    expect(m.cpu.getRip()).toBe(BigInt(CODE_BASE + 7));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RAX)).toBe(2n);
  });

  it('exposes FXSAVE state and MSRs through the API', () => {
    const m = createMachine();
    load(m, CODE_BASE, assemble('mov $0x3f800000, %eax\nmovd %eax, %xmm3\nhlt\n'));
    expect(runUntilStop(m)).toBe(StopReason.Halted);
    const img = m.cpu.getFxsave();
    expect(new DataView(img.buffer).getUint32(160 + 3 * 16, true)).toBe(0x3f800000);
    expect(new DataView(img.buffer).getUint32(24, true)).toBe(0x1f80);
    expect(m.cpu.getMsr(0xc0000080)).toBe(0x500n);
    expect(m.cpu.getMsr(0x12345)).toBeUndefined();
  });
});
