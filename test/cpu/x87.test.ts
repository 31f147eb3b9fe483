/**
 * x87 basics: loads/stores in every format, arithmetic, compares, control words, 80-bit
 * precision and precision control, #MF, the FXSAVE view, and gcc's long double code.
 * (x87-native.test.ts compares every form with the host.)
 */
import { describe, expect, it } from 'vitest';
import { CODE_BASE, compileC, CPU_TIERS, createMachine, DATA_BASE, load, RAX, RBX, RCX, RDX, runAsm, runUntilStop, setGate, StopReason, type Machine } from './long-mode-harness.js';

const D = DATA_BASE;

function run(code: string, setup?: (m: Machine) => void): Machine {
  const { m, stop } = runAsm(code + '\nhlt\n', setup);
  expect(stop).toBe(StopReason.Halted);
  return m;
}

describe('x87', () => {
  it('loads, computes and stores in float, double, extended and integer formats', () => {
    const m = run(
      `flds ${D}\nfldl ${D + 8}\nfaddp\nfstpl ${D + 0x40}\nfildl ${D + 16}\nfimull ${D + 20}\nfistpl ${D + 0x48}\n` +
        `fldl ${D + 8}\nfstpt ${D + 0x50}\nfldt ${D + 0x50}\nfsqrt\nfstps ${D + 0x60}\nfld1\nfldpi\nfdivp\nfstpl ${D + 0x68}\n` +
        `fldl ${D + 8}\nfchs\nfistpll ${D + 0x70}\nfnstsw %ax`,
      (mm) => {
        mm.mem.view.setFloat32(D, 1.5, true);
        mm.mem.view.setFloat64(D + 8, -6.25, true);
        mm.mem.view.setInt32(D + 16, -7, true);
        mm.mem.view.setInt32(D + 20, 6, true);
      },
    );
    const v = m.mem.view;
    expect(v.getFloat64(D + 0x40, true)).toBe(-4.75);
    expect(v.getInt32(D + 0x48, true)).toBe(-42);
    expect(v.getUint16(D + 0x58, true)).toBe(0xc001); // -6.25 = -1.5625 * 2^2
    expect(v.getBigUint64(D + 0x50, true)).toBe(0xc800000000000000n);
    expect(v.getUint32(D + 0x60, true)).toBe(0xffc00000); // sqrt(-6.25): indefinite
    expect(v.getFloat64(D + 0x68, true)).toBe(Math.PI);
    expect(v.getBigInt64(D + 0x70, true)).toBe(6n);
    expect(Number((m.cpu.getGpr(RAX) >> 11n) & 7n)).toBe(0);
    expect(Number(m.cpu.getGpr(RAX) & 1n)).toBe(1);
  });

  it('compares with FCOMI/FUCOMIP and FNSTSW, exchanges and rounds by FCW', () => {
    const m = run(
      `fldl ${D}\nfldl ${D + 8}\nfcomi %st(1), %st\nseta %bl\nfxch\nfucomip %st(1), %st\nsetb %cl\nfstp %st(0)\n` +
        `fnstcw ${D + 0x20}\nmovw $0x0f7f, ${D + 0x22}\nfldcw ${D + 0x22}\nfldl ${D + 16}\nfistpl ${D + 0x24}\nfldcw ${D + 0x20}\nfldl ${D + 16}\nfistpl ${D + 0x28}\n` +
        `fldz\nftst\nfnstsw %ax\nfstp %st(0)`,
      (mm) => {
        mm.mem.view.setFloat64(D, 2, true);
        mm.mem.view.setFloat64(D + 8, 3, true);
        mm.mem.view.setFloat64(D + 16, 2.5, true);
      },
    );
    expect(m.cpu.getGpr(RBX)).toBe(1n);
    expect(m.cpu.getGpr(RCX)).toBe(1n);
    expect(m.mem.view.getUint16(D + 0x20, true)).toBe(0x37f);
    expect(m.mem.view.getInt32(D + 0x24, true)).toBe(2); // truncate
    expect(m.mem.view.getInt32(D + 0x28, true)).toBe(2); // nearest-even
    expect(m.cpu.getGpr(RAX) & 0x4500n).toBe(0x4000n); // C3: equal to zero
    expect(m.cpu.getGpr(RDX)).toBe(0n);
  });

  it('reports stack underflow as IE|SF and stores the indefinite value', () => {
    const m = run(`fstpl ${D}\nfnstsw %ax`);
    expect(m.cpu.getGpr(RAX) & 0x41n).toBe(0x41n);
    expect(m.mem.view.getBigUint64(D, true) >> 51n).toBe(0x1fffn);
  });

  for (const tier of CPU_TIERS) {
    it(`runs gcc long double code at -O2 (${tier.name})`, () => {
      const { image, entry } = compileC(
        `
        volatile long double in[4] = { 1.5L, -2.25L, 1024.0L, 3.0L };
        int main(void) {
          long double s = 0, p = 1;
          for (int i = 0; i < 4; i++) { s += in[i]; p *= in[i]; }
          long long q = (long long)(p / 3);
          volatile double d = (double)s;
          return (int)(s * 4) * 1000 + (int)q + (d > 300 ? 7 : 0) * 1000000;
        }`,
        ['-O2'],
      );
      const m = createMachine({ jitThreshold: tier.jitThreshold });
      load(m, CODE_BASE, image);
      m.cpu.setRip(BigInt(entry));
      expect(runUntilStop(m)).toBe(StopReason.Halted);
      const s = 1.5 - 2.25 + 1024 + 3;
      const p = 1.5 * -2.25 * 1024 * 3;
      expect(Number(BigInt.asIntN(32, m.cpu.getGpr(RAX)))).toBe(Math.trunc(s * 4) * 1000 + Math.trunc(p / 3) + 7000000);
    });
  }

  it('keeps 64-bit significands and rounds to FCW.PC', () => {
    const m = run(
      `fld1\nfildl ${D}\nfdivrp\nfld %st(0)\nfstpt ${D + 0x10}\n` +
        `movw $0x007f, ${D + 4}\nfldcw ${D + 4}\nfld1\nfildl ${D}\nfdivrp\nfstpt ${D + 0x20}`,
      (mm) => mm.mem.view.setInt32(D, 3, true),
    );
    const v = m.mem.view;
    // 1/3 = 0x3FFD AAAA AAAA AAAA AAAB (64 bits, nearest); with PC = 24 bits: AAAA AB00 0000 0000.
    expect(v.getBigUint64(D + 0x10, true)).toBe(0xaaaaaaaaaaaaaaabn);
    expect(v.getUint16(D + 0x18, true)).toBe(0x3ffd);
    expect(v.getBigUint64(D + 0x20, true)).toBe(0xaaaaab0000000000n);
    // The debugger's FXSAVE view holds the exact register (ST0 at offset 32).
    const fx = m.cpu.getFxsave();
    const fxv = new DataView(fx.buffer, fx.byteOffset, fx.byteLength);
    expect(fxv.getBigUint64(32, true)).toBe(0xaaaaaaaaaaaaaaabn);
    expect(fxv.getUint16(40, true)).toBe(0x3ffd);
  });

  it('raises #MF on the next waiting instruction after an unmasked exception', () => {
    const handler = CODE_BASE + 0x800;
    const { m, stop } = runAsm(
      `movw $0x037b, ${D}\nfldcw ${D}\nfldz\nfld1\nfdiv %st(1), %st\nfnstsw %ax\nmov $1, %ebx\nfwait\nmov $2, %ebx\nhlt\n` +
        `.org ${0x800}\nmov $16, %ecx\nhlt\n`,
      (mm) => setGate(mm, 16, handler),
    );
    expect(stop).toBe(StopReason.Halted);
    expect(m.cpu.getGpr(RCX)).toBe(16n); // #MF delivered
    expect(m.cpu.getGpr(RBX)).toBe(1n); // at the FWAIT, not before
    expect(m.cpu.getGpr(RAX) & 0x84n).toBe(0x84n); // ES and ZE were set by the FDIV
  });
});
