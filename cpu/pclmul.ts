/**
 * PCLMULQDQ (66 0F 3A 44): carry-less multiplication of the qword of the destination chosen by
 * imm8[0] and the qword of the source chosen by imm8[4], giving 128 bits. Built from four
 * 32×32 carry-less products on int32 words.
 */
import { advertise, ECX } from './cpuid.js';
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { def, F_MODRM, F_SSE, I_B, V_66 } from './optable.js';
import { sseCheck, xmmSrc } from './sse-common.js';

/** High word of the last clmul32 result. */
let clHi = 0;

/** Carry-less product of two 32-bit words: low word returned, high word in clHi. */
function clmul32(a: number, b: number): number {
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < 32; k++) {
    if ((b >>> k) & 1) {
      lo ^= a << k;
      if (k !== 0) hi ^= a >>> (32 - k);
    }
  }
  clHi = hi;
  return lo;
}

function pclmulqdq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const w = c.x32;
  const d = i.reg * 4;
  const a = d + (i.imm & 1) * 2;
  const b = s * 4 + ((i.imm >> 4) & 1) * 2;
  const aL = w[a], aH = w[a + 1], bL = w[b], bH = w[b + 1];
  const r0 = clmul32(aL, bL);
  let r1 = clHi;
  r1 ^= clmul32(aL, bH);
  let r2 = clHi;
  r1 ^= clmul32(aH, bL);
  r2 ^= clHi;
  r2 ^= clmul32(aH, bH);
  const r3 = clHi;
  w[d] = r0;
  w[d + 1] = r1;
  w[d + 2] = r2;
  w[d + 3] = r3;
}

def(0x344, F_MODRM | F_SSE | I_B, pclmulqdq, V_66);

advertise(1, 0, ECX, 1);
