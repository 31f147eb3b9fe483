/**
 * LSS/LFS/LGS and LAR/LSL on the harness GDT: 0x08 code64, 0x10 data, 0x18 TSS (type 9, limit
 * 103, upper half at 0x20), 0x28 user data (DPL 3), 0x30 user code (DPL 3); limit 0x37.
 * The semantics were compared by hand with the host at CPL 3 on Linux's user segments (LAR keeps
 * the limit bits 19:16; null, TI=1, empty and DPL-0 selectors clear ZF and leave the register).
 */
import { describe, expect, it } from 'vitest';
import { DATA_BASE, gpr, RAX, RBX, RCX, runAsm, StopReason, type Machine } from './long-mode-harness.js';

const ZF = 0x40;

function run(source: string): Machine {
  const { m, stop } = runAsm(`${source}\nhlt\n`, (mm) => (mm.cpu.interceptExceptions = true));
  expect(stop, source).toBe(StopReason.Halted);
  return m;
}

/** Runs until an exception; returns it and RCX. */
function fault(source: string): { vector: number; errorCode: number; rcx: bigint } {
  const { m, stop } = runAsm(`${source}\nhlt\n`, (mm) => (mm.cpu.interceptExceptions = true));
  expect(stop, source).toBe(StopReason.Exception);
  return { vector: m.cpu.stopInfo.vector, errorCode: m.cpu.stopInfo.errorCode, rcx: gpr(m, RCX) };
}

/** Runs LAR or LSL of `sel` into RAX (preset to a marker); returns RAX and ZF. */
function query(op: 'lar' | 'lsl', sel: number, form = '%ecx, %eax'): { value: bigint; zf: boolean } {
  const m = run(`mov $0x1111222233334444, %rax\nmov $${sel}, %ecx\n${op} ${form}`);
  return { value: gpr(m, RAX), zf: (m.cpu.getRflags() & ZF) !== 0 };
}

const MARKER = 0x1111222233334444n;

describe('LAR', () => {
  it('returns the access rights of visible code, data and system descriptors', () => {
    expect(query('lar', 0x08)).toEqual({ value: 0x00af9a00n, zf: true });
    expect(query('lar', 0x10)).toEqual({ value: 0x00cf9200n, zf: true });
    expect(query('lar', 0x18)).toEqual({ value: 0x00008900n, zf: true });
    expect(query('lar', 0x2b)).toEqual({ value: 0x00cff200n, zf: true });
    expect(query('lar', 0x33)).toEqual({ value: 0x00affa00n, zf: true });
    expect(query('lar', 0x10, '%cx, %ax')).toEqual({ value: 0x1111222233339200n, zf: true });
    expect(query('lar', 0x10, '%rcx, %rax')).toEqual({ value: 0x00cf9200n, zf: true });
  });

  it('clears ZF and leaves the destination for null, LDT, out-of-limit, invalid-type and too-privileged selectors', () => {
    for (const sel of [0, 3, 0x0c, 0x38, 0x20, 0x13]) expect(query('lar', sel), `selector ${sel}`).toEqual({ value: MARKER, zf: false });
  });

  it('reads the selector from memory', () => {
    const m = run(`movw $0x10, ${DATA_BASE}\nlar ${DATA_BASE}, %eax`);
    expect(gpr(m, RAX)).toBe(0x00cf9200n);
  });
});

describe('LSL', () => {
  it('returns byte-granular and page-granular limits', () => {
    expect(query('lsl', 0x10)).toEqual({ value: 0xffffffffn, zf: true });
    expect(query('lsl', 0x18)).toEqual({ value: 103n, zf: true });
    expect(query('lsl', 0x10, '%cx, %ax')).toEqual({ value: 0x111122223333ffffn, zf: true });
  });

  it('clears ZF for a null selector and the (limitless) empty descriptor', () => {
    expect(query('lsl', 0)).toEqual({ value: MARKER, zf: false });
    expect(query('lsl', 0x20)).toEqual({ value: MARKER, zf: false });
  });
});

describe('LSS/LFS/LGS', () => {
  it('loads the offset of the operand size and the segment from a far pointer', () => {
    const m = run(
      `movq $0x123456789, %rax\nmov %rax, ${DATA_BASE}\nmovw $0x10, ${DATA_BASE + 8}\n` +
        `movl $0xabcd, ${DATA_BASE + 16}\nmovw $0x2b, ${DATA_BASE + 20}\n` +
        // lfs (%rbx), %rcx and lss (%rbx), %rbx with REX.W (m16:64), which GNU as does not take.
        `mov $${DATA_BASE}, %rbx\n.byte 0x48, 0x0f, 0xb4, 0x0b\nlgs 16(%rbx), %edx\n.byte 0x48, 0x0f, 0xb2, 0x1b`,
    );
    expect(gpr(m, RCX)).toBe(0x123456789n);
    expect(m.cpu.getSegment(4).selector).toBe(0x10);
    expect(gpr(m, 2)).toBe(0xabcdn);
    expect(m.cpu.getSegment(5).selector).toBe(0x2b);
    expect(m.cpu.getSegment(2).selector).toBe(0x10);
    expect(gpr(m, RBX)).toBe(0x123456789n);
  });

  it('takes a 16-bit offset with a 66 prefix and keeps the upper register bits', () => {
    const m = run(`movl $0x00105678, ${DATA_BASE}\nmov $-1, %rcx\nlfs ${DATA_BASE}, %cx`);
    expect(gpr(m, RCX)).toBe(0xffffffffffff5678n);
    expect(m.cpu.getSegment(4).selector).toBe(0x10);
  });

  it('loads a null SS at CPL 0', () => {
    const m = run(`movl $0x1234, ${DATA_BASE}\nmovw $0, ${DATA_BASE + 4}\nlss ${DATA_BASE}, %ecx`);
    expect(m.cpu.getSegment(2).selector).toBe(0);
    expect(gpr(m, RCX)).toBe(0x1234n);
  });

  it('faults like MOV Sreg, leaving the destination register alone', () => {
    const setup = `movl $0x1234, ${DATA_BASE}\nmov $7, %ecx\n`;
    expect(fault(`${setup}movw $0x2b, ${DATA_BASE + 4}\nlss ${DATA_BASE}, %ecx`)).toEqual({ vector: 13, errorCode: 0x28, rcx: 7n });
    expect(fault(`${setup}movw $0x38, ${DATA_BASE + 4}\nlfs ${DATA_BASE}, %ecx`)).toEqual({ vector: 13, errorCode: 0x38, rcx: 7n });
    expect(fault(`${setup}movw $0x18, ${DATA_BASE + 4}\nlgs ${DATA_BASE}, %ecx`)).toEqual({ vector: 13, errorCode: 0x18, rcx: 7n });
    expect(fault('mov $7, %ecx\n.byte 0x0f, 0xb4, 0xc1')).toEqual({ vector: 6, errorCode: -1, rcx: 7n });
  });
});
