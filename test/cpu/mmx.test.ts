/**
 * MMX state rules: the registers alias the x87 significands, an MMX instruction sets TOP = 0
 * and all tags valid with all-ones exponents, EMMS empties the tags; CR0.EM → #UD, CR0.TS → #NM.
 * (mmx-native.test.ts compares every MMX form with the host.)
 */
import { describe, expect, it } from 'vitest';
import { CODE_BASE, DATA_BASE, RBX, runAsm, setGate, StopReason } from './long-mode-harness.js';

const D = DATA_BASE;

describe('MMX', () => {
  it('aliases MMn onto the x87 registers and sets TOP, tags and exponents', () => {
    const { m, stop } = runAsm(
      `fld1\nfld1\nmovq ${D}, %mm3\npaddb %mm3, %mm3\nfxsave ${D + 0x100}\nemms\nfxsave ${D + 0x300}\nhlt`,
      (mm) => mm.mem.view.setBigUint64(D, 0x0102030405060708n, true),
    );
    expect(stop).toBe(StopReason.Halted);
    const v = m.mem.view;
    const fx = D + 0x100;
    expect((v.getUint16(fx + 2, true) >> 11) & 7).toBe(0); // TOP = 0
    expect(v.getUint8(fx + 4)).toBe(0xff); // all tags valid
    // TOP was 6 before: MM3 is physical register 3, which FXSAVE now shows as ST3.
    expect(v.getBigUint64(fx + 32 + 3 * 16, true)).toBe(0x020406080a0c0e10n);
    expect(v.getUint16(fx + 32 + 3 * 16 + 8, true)).toBe(0xffff);
    // The two FLD1 values are still there in physical registers 6 and 7.
    expect(v.getBigUint64(fx + 32 + 6 * 16, true)).toBe(0x8000000000000000n);
    expect(v.getUint16(fx + 32 + 7 * 16 + 8, true)).toBe(0x3fff);
    expect(v.getUint8(D + 0x300 + 4)).toBe(0); // EMMS: all empty
  });

  it('raises #UD with CR0.EM and #NM with CR0.TS', () => {
    const handlerUd = CODE_BASE + 0x800;
    const handlerNm = CODE_BASE + 0x900;
    for (const [bit, expected] of [[4, 6n], [8, 7n]] as const) {
      const { m, stop } = runAsm(
        `mov %cr0, %rax\nor $${bit}, %rax\nmov %rax, %cr0\npaddb %mm1, %mm2\nmov $99, %ebx\nhlt\n` +
          `.org 0x800\nmov $6, %ebx\nhlt\n.org 0x900\nmov $7, %ebx\nhlt\n`,
        (mm) => {
          setGate(mm, 6, handlerUd);
          setGate(mm, 7, handlerNm);
        },
      );
      expect(stop).toBe(StopReason.Halted);
      expect(m.cpu.getGpr(RBX)).toBe(expected);
    }
  });
});
