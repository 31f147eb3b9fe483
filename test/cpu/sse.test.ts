/**
 * SSE/SSE2: moves, float/double arithmetic, comparisons, conversions, integer SIMD, MXCSR
 * (rounding modes, exception flags, #XM), availability (#UD), FXSAVE/FXRSTOR.
 */
import { describe, expect, it } from 'vitest';
import { DATA_BASE, RAX, RBX, RCX, RDX, runAsm, StopReason, type Machine } from './long-mode-harness.js';

function run(code: string, setup?: (m: Machine) => void): Machine {
  const { m, stop } = runAsm(code + '\nhlt\n', setup);
  expect(stop).toBe(StopReason.Halted);
  return m;
}

function xmm(m: Machine, n: number): bigint[] {
  const img = new DataView(m.cpu.getFxsave().buffer);
  return [img.getBigUint64(160 + n * 16, true), img.getBigUint64(168 + n * 16, true)];
}

function xmmF32(m: Machine, n: number): number[] {
  const img = new DataView(m.cpu.getFxsave().buffer);
  return [0, 1, 2, 3].map((k) => img.getFloat32(160 + n * 16 + k * 4, true));
}

function xmmF64(m: Machine, n: number): number[] {
  const img = new DataView(m.cpu.getFxsave().buffer);
  return [0, 1].map((k) => img.getFloat64(160 + n * 16 + k * 8, true));
}

function mxcsr(m: Machine): number {
  return new DataView(m.cpu.getFxsave().buffer).getUint32(24, true);
}

/** Puts four floats at DATA_BASE+off and two doubles at DATA_BASE+off+16. */
function data(m: Machine, off: number, f32: number[], f64: number[] = []): void {
  f32.forEach((v, k) => m.mem.view.setFloat32(DATA_BASE + off + k * 4, v, true));
  f64.forEach((v, k) => m.mem.view.setFloat64(DATA_BASE + off + 16 + k * 8, v, true));
}

const D = DATA_BASE;

describe('SSE moves', () => {
  it('MOVAPS/MOVUPS/MOVDQA/MOVDQU/MOVSS/MOVSD/MOVQ/MOVD/MOVLPS/MOVHPS', () => {
    const m = run(
      `movaps ${D}, %xmm0\nmovups ${D + 4}, %xmm1\nmovdqa ${D}, %xmm2\nmovdqu %xmm2, ${D + 0x101}\nmovss ${D + 8}, %xmm3\n` +
        `movsd ${D + 16}, %xmm4\nmovq ${D + 8}, %xmm5\nmov $0x12345678, %eax\nmovd %eax, %xmm6\nmovq %xmm4, %rbx\n` +
        `movaps %xmm0, %xmm7\nmovlps ${D + 16}, %xmm7\nmovhps ${D + 24}, %xmm7\nmovss %xmm3, %xmm0\nmovd %xmm6, %ecx`,
      (mm) => {
        for (let k = 0; k < 32; k++) mm.mem.u8[D + k] = k + 1;
      },
    );
    expect(xmm(m, 0)[1]).toBe(0x100f0e0d0c0b0a09n);
    expect(xmm(m, 0)[0]).toBe(0x080706050c0b0a09n);
    expect(xmm(m, 1)[0]).toBe(0x0c0b0a0908070605n);
    expect(m.mem.u8[D + 0x101]).toBe(1);
    expect(xmm(m, 3)).toEqual([0x0c0b0a09n, 0n]);
    expect(xmm(m, 4)).toEqual([0x1817161514131211n, 0n]);
    expect(xmm(m, 5)).toEqual([0x100f0e0d0c0b0a09n, 0n]);
    expect(xmm(m, 6)).toEqual([0x12345678n, 0n]);
    expect(m.cpu.getGpr(RBX)).toBe(0x1817161514131211n);
    expect(xmm(m, 7)).toEqual([0x1817161514131211n, 0x201f1e1d1c1b1a19n]);
    expect(m.cpu.getGpr(RCX)).toBe(0x12345678n);
  });

  it('MOVAPS from a misaligned address raises #GP', () => {
    const { m, stop } = runAsm(`movaps ${D + 8}, %xmm0\n`, (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(13);
  });

  it('raises #UD when CR4.OSFXSR is clear', () => {
    const { m, stop } = runAsm('xorps %xmm0, %xmm0\n', (mm) => {
      mm.cpu.setControl(4, 0x20n);
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(6);
  });
});

describe('SSE floating point', () => {
  it('packed and scalar single arithmetic', () => {
    const m = run(`movaps ${D}, %xmm0\nmovaps ${D + 32}, %xmm1\nmovaps %xmm0, %xmm2\naddps %xmm1, %xmm2\nmovaps %xmm0, %xmm3\nmulps %xmm1, %xmm3\nmovaps %xmm0, %xmm4\ndivss %xmm1, %xmm4\nsqrtps %xmm1, %xmm5\nmovaps %xmm0, %xmm6\nminps %xmm1, %xmm6\nmaxps %xmm1, %xmm0`, (mm) => {
      data(mm, 0, [1.5, -2, 3, 1e30]);
      data(mm, 32, [4, 0.25, 9, 1e30]);
    });
    expect(xmmF32(m, 2)).toEqual([5.5, -1.75, 12, Math.fround(2e30)]);
    expect(xmmF32(m, 3)).toEqual([6, -0.5, 27, Infinity]);
    expect(xmmF32(m, 4)).toEqual([0.375, -2, 3, Math.fround(1e30)]);
    expect(xmmF32(m, 5)).toEqual([2, 0.5, 3, Math.fround(Math.sqrt(Math.fround(1e30)))]);
    expect(xmmF32(m, 6)).toEqual([1.5, -2, 3, Math.fround(1e30)]);
    expect(xmmF32(m, 0)).toEqual([4, 0.25, 9, Math.fround(1e30)]);
    expect(mxcsr(m) & 0x3f).toBe(0x28); // overflow + precision (1e30*1e30)
  });

  it('packed and scalar double arithmetic', () => {
    const m = run(`movapd ${D + 16}, %xmm0\nmovapd ${D + 48}, %xmm1\nsubpd %xmm1, %xmm0\nmovsd ${D + 16}, %xmm2\ndivsd ${D + 48}, %xmm2\nsqrtsd %xmm2, %xmm3`, (mm) => {
      data(mm, 0, [], [10, 0.1]);
      data(mm, 32, [], [4, 0.2]);
    });
    expect(xmmF64(m, 0)).toEqual([6, 0.1 - 0.2]);
    expect(xmmF64(m, 2)).toEqual([2.5, 0]);
    expect(xmmF64(m, 3)[0]).toBe(Math.sqrt(2.5));
  });

  it('invalid operations give the default NaN and set IE; divide by zero sets ZE', () => {
    const m = run(`xorps %xmm0, %xmm0\nmovaps %xmm0, %xmm1\ndivss %xmm0, %xmm1\nmovd %xmm1, %eax\nmov $0x3f800000, %ebx\nmovd %ebx, %xmm2\ndivss %xmm0, %xmm2\nmovd %xmm2, %ecx`);
    expect(m.cpu.getGpr(RAX)).toBe(0xffc00000n);
    expect(m.cpu.getGpr(RCX)).toBe(0x7f800000n);
    expect(mxcsr(m) & 0x3f).toBe(0x5);
  });

  it('propagates the first NaN operand, quieted', () => {
    const m = run(`mov $0x7f800001, %eax\nmovd %eax, %xmm0\nmov $0x7fc00002, %ebx\nmovd %ebx, %xmm1\naddss %xmm0, %xmm1\nmovd %xmm1, %ecx\nmov $0x3f800000, %eax\nmovd %eax, %xmm2\naddss %xmm0, %xmm2\nmovd %xmm2, %edx`);
    expect(m.cpu.getGpr(RCX)).toBe(0x7fc00002n);
    expect(m.cpu.getGpr(RDX)).toBe(0x7fc00001n);
    expect(mxcsr(m) & 1).toBe(1);
  });

  it('honours the MXCSR rounding mode and raises #XM for unmasked exceptions', () => {
    // 1/3 in round-down vs round-up differ in the last bit.
    const code = (rc: number): string =>
      `movl $${0x1f80 | (rc << 13)}, ${D}\nldmxcsr ${D}\nmov $1, %eax\ncvtsi2sd %eax, %xmm0\nmov $3, %eax\ncvtsi2sd %eax, %xmm1\ndivsd %xmm1, %xmm0\nmovq %xmm0, %rbx\n` +
      `mov $0x7fffffffffffffff, %rax\ncvtsi2ss %rax, %xmm2\nmovd %xmm2, %ecx`;
    const down = run(code(1));
    const up = run(code(2));
    const near = run(code(0));
    expect(up.cpu.getGpr(RBX) - down.cpu.getGpr(RBX)).toBe(1n);
    expect(near.cpu.getGpr(RBX)).toBe(0x3fd5555555555555n);
    expect(down.cpu.getGpr(RCX)).toBe(0x5effffffn);
    expect(near.cpu.getGpr(RCX)).toBe(0x5f000000n);
    const { m, stop } = runAsm(`movl $${0x1f80 & ~0x200}, ${D}\nldmxcsr ${D}\nxorps %xmm0, %xmm0\nmov $1, %eax\ncvtsi2ss %eax, %xmm1\ndivss %xmm0, %xmm1\n`, (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(19);
  });

  it('compares: CMPPS predicates, COMISS/UCOMISD flags', () => {
    const m = run(`movaps ${D}, %xmm0\nmovaps ${D + 32}, %xmm1\nmovaps %xmm0, %xmm2\ncmpltps %xmm1, %xmm2\nmovaps %xmm0, %xmm3\ncmpunordps %xmm1, %xmm3\ncomiss %xmm1, %xmm0\nsetb %bl\nsetz %cl\nsetp %dl\nucomisd ${D + 48}, %xmm1\nsetp %al`, (mm) => {
      data(mm, 0, [1, 5, NaN, 2]);
      data(mm, 32, [2, 5, 1, 1], [NaN]);
    });
    expect(xmm(m, 2)).toEqual([0xffffffffn, 0n]);
    expect(xmm(m, 3)).toEqual([0n, 0xffffffffn]);
    expect([m.cpu.getGpr(RBX), m.cpu.getGpr(RCX), m.cpu.getGpr(RDX)]).toEqual([1n, 0n, 0n]);
    expect(m.cpu.getGpr(RAX) & 0xffn).toBe(1n);
  });

  it('converts int↔float↔double with truncation, rounding and the integer indefinite', () => {
    const m = run(
      `movsd ${D + 16}, %xmm0\ncvttsd2si %xmm0, %rax\ncvtsd2si %xmm0, %rbx\ncvtsd2ss %xmm0, %xmm1\ncvtss2sd %xmm1, %xmm2\nmovsd ${D + 24}, %xmm3\ncvttsd2si %xmm3, %ecx\ncvttsd2si %xmm3, %rdx\n` +
        `movaps ${D}, %xmm4\ncvttps2dq %xmm4, %xmm5\ncvtdq2ps %xmm5, %xmm6\ncvtps2pd %xmm4, %xmm7`,
      (mm) => {
        data(mm, 0, [1.5, -2.5, 3e9, 7.9], [-2.5, 1e20]);
      },
    );
    expect(m.cpu.getGpr(RAX)).toBe(BigInt.asUintN(64, -2n));
    expect(m.cpu.getGpr(RBX)).toBe(BigInt.asUintN(64, -2n));
    expect(xmmF32(m, 1)[0]).toBe(-2.5);
    expect(xmmF64(m, 2)[0]).toBe(-2.5);
    expect(m.cpu.getGpr(RCX)).toBe(0x80000000n);
    expect(m.cpu.getGpr(RDX)).toBe(0x8000000000000000n);
    expect(xmm(m, 5)).toEqual([0xfffffffe00000001n, 0x0000000780000000n]);
    expect(xmmF32(m, 6)).toEqual([1, -2, -2147483648, 7]);
    expect(xmmF64(m, 7)).toEqual([1.5, -2.5]);
  });

  it('shuffles and unpacks (SHUFPS, UNPCKLPS, UNPCKHPD, MOVMSKPS)', () => {
    const m = run(`movaps ${D}, %xmm0\nmovaps %xmm0, %xmm1\nshufps $0x1b, %xmm1, %xmm1\nmovaps %xmm0, %xmm2\nunpcklps %xmm1, %xmm2\nmovapd ${D + 48}, %xmm3\nunpckhpd %xmm0, %xmm3\nmovmskps %xmm0, %eax`, (mm) => {
      data(mm, 0, [1, -2, 3, -4]);
      data(mm, 32, [], [7, 8]);
    });
    expect(xmmF32(m, 1)).toEqual([-4, 3, -2, 1]);
    expect(xmmF32(m, 2)).toEqual([1, -4, -2, 3]);
    expect(xmmF64(m, 3)[0]).toBe(8);
    expect(m.cpu.getGpr(RAX)).toBe(0xan);
  });
});

describe('SSE2 integer', () => {
  it('adds, subtracts, saturates, multiplies and compares lanes', () => {
    const m = run(
      `movdqa ${D}, %xmm0\nmovdqa ${D + 16}, %xmm1\nmovdqa %xmm0, %xmm2\npaddb %xmm1, %xmm2\nmovdqa %xmm0, %xmm3\npaddusb %xmm1, %xmm3\nmovdqa %xmm0, %xmm4\npsubsw %xmm1, %xmm4\n` +
        `movdqa %xmm0, %xmm5\npmullw %xmm1, %xmm5\nmovdqa %xmm0, %xmm6\npcmpeqd %xmm0, %xmm6\nmovdqa %xmm0, %xmm7\npmuludq %xmm1, %xmm7\npmovmskb %xmm0, %eax\npaddq %xmm1, %xmm0`,
      (mm) => {
        const v = mm.mem.view;
        v.setBigUint64(D, 0x80ff7f0100020003n, true);
        v.setBigUint64(D + 8, 0xffffffffffffffffn, true);
        v.setBigUint64(D + 16, 0x80017f0200030004n, true);
        v.setBigUint64(D + 24, 0x0000000000000002n, true);
      },
    );
    expect(xmm(m, 2)[0]).toBe(0x0000fe0300050007n);
    expect(xmm(m, 3)[0]).toBe(0xfffffe0300050007n);
    expect(xmm(m, 4)[0]).toBe(0x00feffffffffffffn);
    expect(xmm(m, 5)[0]).toBe(0x00ff7d020006000cn);
    expect(xmm(m, 6)).toEqual([0xffffffffffffffffn, 0xffffffffffffffffn]);
    expect(xmm(m, 7)[0]).toBe(0x00020003n * 0x00030004n);
    expect(m.cpu.getGpr(RAX)).toBe(0xffc0n);
    expect(xmm(m, 0)).toEqual([0x0100fe0300050007n, 0x1n]);
  });

  it('shifts by immediate and by register, byte shifts, shuffles, pack/unpack', () => {
    const m = run(
      `movdqa ${D}, %xmm0\nmovdqa %xmm0, %xmm1\npsllq $4, %xmm1\nmovdqa %xmm0, %xmm2\npsrad $31, %xmm2\nmovdqa %xmm0, %xmm3\npsrldq $3, %xmm3\nmovdqa %xmm0, %xmm4\npslldq $8, %xmm4\n` +
        `pshufd $0x1b, %xmm0, %xmm5\nmovdqa %xmm0, %xmm6\npunpcklbw %xmm0, %xmm6\nmovdqa %xmm0, %xmm7\npackuswb %xmm7, %xmm7\nmov $2, %eax\nmovd %eax, %xmm8\nmovdqa %xmm0, %xmm9\npsrlw %xmm8, %xmm9\npextrw $3, %xmm0, %ecx\npinsrw $0, %ecx, %xmm9`,
      (mm) => {
        mm.mem.view.setBigUint64(D, 0x8877665544332211n, true);
        mm.mem.view.setBigUint64(D + 8, 0x00ff00fe00010080n, true);
      },
    );
    expect(xmm(m, 1)).toEqual([0x8776655443322110n, 0x0ff00fe000100800n]);
    expect(xmm(m, 2)).toEqual([0xffffffff00000000n, 0n]);
    expect(xmm(m, 3)).toEqual([0x0100808877665544n, 0xff00fe00n]);
    expect(xmm(m, 4)).toEqual([0n, 0x8877665544332211n]);
    expect(xmm(m, 5)).toEqual([0x0001008000ff00fen, 0x4433221188776655n]);
    expect(xmm(m, 6)[0]).toBe(0x4444333322221111n);
    expect(xmm(m, 7)).toEqual([0xfffe018000ffffffn, 0xfffe018000ffffffn]);
    expect(xmm(m, 9)[0]).toBe(0x221d1995110c8877n);
    expect(m.cpu.getGpr(RCX)).toBe(0x8877n);
  });
});

describe('SSE state', () => {
  it('FXSAVE/FXRSTOR round-trip, STMXCSR/LDMXCSR, reserved MXCSR bits #GP', () => {
    const m = run(`mov $0x1234, %eax\nmovd %eax, %xmm9\nfxsave ${D}\npxor %xmm9, %xmm9\nmovl $0x3f80, ${D + 0x400}\nldmxcsr ${D + 0x400}\nfxrstor ${D}\nmovd %xmm9, %ebx\nstmxcsr ${D + 0x404}`);
    expect(m.cpu.getGpr(RBX)).toBe(0x1234n);
    expect(m.mem.view.getUint32(D + 0x404, true)).toBe(0x1f80);
    expect(m.mem.view.getUint32(D + 160 + 9 * 16, true)).toBe(0x1234);
    const { m: m2, stop } = runAsm(`movl $0x10000, ${D}\nldmxcsr ${D}\n`, (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m2.cpu.stopInfo.vector).toBe(13);
  });
});
