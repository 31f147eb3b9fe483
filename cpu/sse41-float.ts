/**
 * SSE4.1 floating point (66 0F 38 / 66 0F 3A): BLENDPS/PD, BLENDVPS/PD (mask in XMM0), DPPS/DPPD,
 * EXTRACTPS, INSERTPS, ROUNDPS/PD/SS/SD.
 */
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { def, F_MODRM, F_SSE, I_B, V_66 } from './optable.js';
import { copyXmm, MX_DAZ, MX_IE, MX_PE, mxcsrBegin, mxcsrCommit, mxcsrRaise, OUT, sseCheck, TMP, xmmSrc } from './sse-common.js';
import { add32, add64, mul32, mul64 } from './sse-fpops.js';

/** 66 0F 3A 0C/0D BLENDPS/BLENDPD: elements of the source where imm8 has a bit set. */
function blendImm(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const d = i.reg * 4;
  const w = c.x32;
  const pd = (i.opcode & 1) === 1;
  for (let k = 0; k < 4; k++) if ((i.imm >> (pd ? k >> 1 : k)) & 1) w[d + k] = w[s + k];
}

/** 66 0F 38 14/15 BLENDVPS/BLENDVPD: elements of the source where XMM0's element is negative. */
function blendVar(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const d = i.reg * 4;
  const w = c.x32;
  const pd = (i.opcode & 1) === 1;
  // Read the whole mask first: the destination may be XMM0 itself.
  let mask = 0;
  for (let k = 0; k < 4; k++) if (w[pd ? k | 1 : k] < 0) mask |= 1 << k;
  for (let k = 0; k < 4; k++) if ((mask >> k) & 1) w[d + k] = w[s + k];
}

/**
 * 66 0F 3A 40 DPPS: products of the lanes selected by imm8[7:4] (others +0), summed pairwise
 * with rounding at each step, written to the lanes in imm8[3:0] (others +0). The values agree
 * in every lane, but which NaN survives does not: measured on hardware, lane k is
 * s[k] + s[k^2] with s[k] = p[k^1] + p[k], so each lane's sum is computed in its own order.
 */
function dpps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const w = c.x32;
  const o = OUT * 4;
  const t = TMP * 4;
  mxcsrBegin();
  for (let k = 0; k < 4; k++) {
    if ((i.imm >> (4 + k)) & 1) mul32(c, d * 4 + k, s * 4 + k, o + k);
    else w[o + k] = 0;
  }
  // The source is no longer needed, so TMP holds the pair sums.
  for (let k = 0; k < 4; k++) add32(c, o + (k ^ 1), o + k, t + k, false);
  for (let k = 0; k < 4; k++) add32(c, t + k, t + (k ^ 2), o + k, false);
  mxcsrCommit(c);
  for (let k = 0; k < 4; k++) w[d * 4 + k] = (i.imm >> k) & 1 ? w[o + k] : 0;
}

/** 66 0F 3A 41 DPPD: the double-precision version; lane k is p[k] + p[k^1] (hardware's NaN order). */
function dppd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const w = c.x32;
  const o = OUT * 2;
  const t = TMP * 2;
  mxcsrBegin();
  for (let k = 0; k < 2; k++) {
    if ((i.imm >> (4 + k)) & 1) mul64(c, d * 2 + k, s * 2 + k, o + k);
    else {
      w[(o + k) * 2] = 0;
      w[(o + k) * 2 + 1] = 0;
    }
  }
  add64(c, o, o + 1, t, false);
  add64(c, o + 1, o, t + 1, false);
  mxcsrCommit(c);
  for (let k = 0; k < 2; k++) {
    const on = (i.imm >> k) & 1;
    w[d * 4 + k * 2] = on ? w[(t + k) * 2] : 0;
    w[d * 4 + k * 2 + 1] = on ? w[(t + k) * 2 + 1] : 0;
  }
}

/** 66 0F 3A 17 EXTRACTPS r/m32, xmm, imm8 (a register destination is zero-extended). */
function extractps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const v = c.x32[i.reg * 4 + (i.imm & 3)];
  if (i.mod === 3) c.setR64(i.rm, v, 0);
  else {
    c.ea(i);
    c.write32(c.eaLo, c.eaHi, v);
  }
}

/**
 * 66 0F 3A 21 INSERTPS: element imm8[7:6] of a register source (or the m32) goes to element
 * imm8[5:4]; then the elements in the zero mask imm8[3:0] are cleared.
 */
function insertps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const v = i.mod === 3 ? w[i.rm * 4 + ((i.imm >> 6) & 3)] : (c.ea(i), c.read32(c.eaLo, c.eaHi));
  const d = i.reg * 4;
  w[d + ((i.imm >> 4) & 3)] = v;
  for (let k = 0; k < 4; k++) if ((i.imm >> k) & 1) w[d + k] = 0;
}

/** Rounds v to an integral value: mode 0 nearest-even, 1 down, 2 up, 3 toward zero. Keeps the sign of zero. */
function roundIntegral(v: number, mode: number): number {
  let r: number;
  switch (mode) {
    case 0: {
      const f = Math.floor(v);
      const diff = v - f;
      r = diff < 0.5 ? f : diff > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
      break;
    }
    case 1:
      r = Math.floor(v);
      break;
    case 2:
      r = Math.ceil(v);
      break;
    default:
      r = Math.trunc(v);
  }
  return r === 0 && (v < 0 || 1 / v < 0) ? -0 : r;
}

const MIN_NORMAL32 = 1.1754943508222875e-38;
const MIN_NORMAL64 = 2.2250738585072014e-308;

/** The rounding mode of a ROUND* imm8: bit 2 selects MXCSR.RC, else bits 1:0. */
function roundMode(c: Cpu, imm: number): number {
  return imm & 4 ? (c.mxcsr >> 13) & 3 : imm & 3;
}

/** One single lane of ROUNDPS/SS (x32 indices). */
function round32(c: Cpu, si: number, oi: number, mode: number, quietPE: boolean): void {
  const w = c.x32;
  const f = c.xf32;
  let v = f[si];
  if (v !== v) {
    if ((w[si] & 0x400000) === 0) mxcsrRaise(MX_IE);
    w[oi] = w[si] | 0x400000;
    return;
  }
  if ((c.mxcsr & MX_DAZ) !== 0 && v !== 0 && Math.abs(v) < MIN_NORMAL32) v = v < 0 ? -0 : 0;
  const r = roundIntegral(v, mode);
  if (r !== v && !quietPE) mxcsrRaise(MX_PE);
  f[oi] = r;
}

/** One double lane of ROUNDPD/SD (xf64 indices). */
function round64(c: Cpu, si: number, oi: number, mode: number, quietPE: boolean): void {
  const w = c.x32;
  const f = c.xf64;
  let v = f[si];
  if (v !== v) {
    if ((w[si * 2 + 1] & 0x80000) === 0) mxcsrRaise(MX_IE);
    w[oi * 2] = w[si * 2];
    w[oi * 2 + 1] = w[si * 2 + 1] | 0x80000;
    return;
  }
  if ((c.mxcsr & MX_DAZ) !== 0 && v !== 0 && Math.abs(v) < MIN_NORMAL64) v = v < 0 ? -0 : 0;
  const r = roundIntegral(v, mode);
  if (r !== v && !quietPE) mxcsrRaise(MX_PE);
  f[oi] = r;
}

/** 66 0F 3A 08–0B ROUNDPS, ROUNDPD, ROUNDSS, ROUNDSD. imm8 bit 3 suppresses the precision exception. */
function round(c: Cpu, i: Insn): void {
  sseCheck(c);
  const op = i.opcode & 0xff;
  const scalar = op >= 0x0a;
  const double = (op & 1) === 1;
  const s = xmmSrc(c, i, scalar ? (double ? 8 : 4) : 16, !scalar);
  const d = i.reg;
  const mode = roundMode(c, i.imm);
  const quietPE = (i.imm & 8) !== 0;
  mxcsrBegin();
  if (double) for (let k = 0; k < (scalar ? 1 : 2); k++) round64(c, s * 2 + k, OUT * 2 + k, mode, quietPE);
  else for (let k = 0; k < (scalar ? 1 : 4); k++) round32(c, s * 4 + k, OUT * 4 + k, mode, quietPE);
  mxcsrCommit(c);
  const w = c.x32;
  if (!scalar) copyXmm(c, d, OUT);
  else if (double) {
    w[d * 4] = w[OUT * 4];
    w[d * 4 + 1] = w[OUT * 4 + 1];
  } else w[d * 4] = w[OUT * 4];
}

const M = F_MODRM | F_SSE;
def([0x30c, 0x30d], M | I_B, blendImm, V_66);
def([0x214, 0x215], M, blendVar, V_66);
def(0x340, M | I_B, dpps, V_66);
def(0x341, M | I_B, dppd, V_66);
def(0x317, M | I_B, extractps, V_66);
def(0x321, M | I_B, insertps, V_66);
def([0x308, 0x309, 0x30a, 0x30b], M | I_B, round, V_66);
