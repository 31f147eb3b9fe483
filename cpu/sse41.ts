/**
 * SSE4.1 integer instructions (66 0F 38 / 66 0F 3A): PBLENDVB, PBLENDW, PTEST, PMOVSX and PMOVZX,
 * PMULDQ, PMULLD, PCMPEQQ, PCMPGTQ (SSE4.2), PACKUSDW, PMIN/PMAX (SB SD UW UD), PHMINPOSUW, MPSADBW, MOVNTDQA,
 * PEXTRB/W/D/Q, PINSRB/D/Q. The floating-point half is in sse41-float.ts.
 */
import { advertise, ECX } from './cpuid.js';
import type { Cpu } from './cpu.js';
import { setArithFlags } from './flags.js';
import { UD } from './fault.js';
import type { Insn } from './insn.js';
import { def, F_MEM, F_MODRM, F_SSE, I_B, V_66 } from './optable.js';
import { copyXmm, OUT, sseCheck, TMP, xmmSrc } from './sse-common.js';
import { CF, ZF } from './state.js';

/** Unsigned 32×32 → 64 product of x and y into lanes o (lo) and o+1 (hi) of x32; signed if `signed`. */
function mul32x32(w: Int32Array, x: number, y: number, o: number, signed: boolean): void {
  const neg = signed && (x < 0) !== (y < 0);
  const ax = signed ? Math.abs(x) >>> 0 : x >>> 0;
  const ay = signed ? Math.abs(y) >>> 0 : y >>> 0;
  const xl = ax & 0xffff, xh = ax >>> 16, yl = ay & 0xffff, yh = ay >>> 16;
  const ll = xl * yl;
  const mid = (ll >>> 16) + ((xl * yh) & 0xffff) + ((xh * yl) & 0xffff);
  let lo = ((mid & 0xffff) << 16) | (ll & 0xffff);
  let hi = (xh * yh + ((xl * yh) >>> 16) + ((xh * yl) >>> 16) + (mid >>> 16)) | 0;
  if (neg) {
    // Two's complement negation of the 64-bit magnitude.
    lo = ~lo + 1;
    hi = lo === 0 ? -hi | 0 : ~hi;
  }
  w[o] = lo | 0;
  w[o + 1] = hi;
}

/** Two-operand packed operations of 66 0F 38 with a full XMM/m128 source. */
function pbin41(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const b = c.x8;
  const sb = c.xs8;
  const h = c.x16;
  const w = c.x32;
  const D8 = d * 16, S8 = s * 16, O8 = OUT * 16;
  const D16 = d * 8, S16 = s * 8, O16 = OUT * 8;
  const D32 = d * 4, S32 = s * 4, O32 = OUT * 4;
  switch (i.opcode & 0xff) {
    case 0x10: // PBLENDVB: bytes of the source where XMM0's byte has bit 7 set
      for (let k = 0; k < 16; k++) b[O8 + k] = b[k] & 0x80 ? b[S8 + k] : b[D8 + k];
      break;
    case 0x28: // PMULDQ: signed low dwords of each qword
      mul32x32(w, w[D32], w[S32], O32, true);
      mul32x32(w, w[D32 + 2], w[S32 + 2], O32 + 2, true);
      break;
    case 0x29: // PCMPEQQ
      for (let k = 0; k < 4; k += 2) {
        const eq = w[D32 + k] === w[S32 + k] && w[D32 + k + 1] === w[S32 + k + 1] ? -1 : 0;
        w[O32 + k] = eq;
        w[O32 + k + 1] = eq;
      }
      break;
    case 0x2b: // PACKUSDW
      for (let k = 0; k < 4; k++) {
        const x = w[D32 + k];
        const y = w[S32 + k];
        h[O16 + k] = x < 0 ? 0 : x > 0xffff ? 0xffff : x;
        h[O16 + 4 + k] = y < 0 ? 0 : y > 0xffff ? 0xffff : y;
      }
      break;
    case 0x37: // PCMPGTQ (SSE4.2): signed 64-bit greater-than
      for (let k = 0; k < 4; k += 2) {
        const dh = w[D32 + k + 1], shh = w[S32 + k + 1];
        const gt = dh > shh || (dh === shh && w[D32 + k] >>> 0 > w[S32 + k] >>> 0) ? -1 : 0;
        w[O32 + k] = gt;
        w[O32 + k + 1] = gt;
      }
      break;
    case 0x38: // PMINSB
      for (let k = 0; k < 16; k++) sb[O8 + k] = Math.min(sb[D8 + k], sb[S8 + k]);
      break;
    case 0x39: // PMINSD
      for (let k = 0; k < 4; k++) w[O32 + k] = Math.min(w[D32 + k], w[S32 + k]);
      break;
    case 0x3a: // PMINUW
      for (let k = 0; k < 8; k++) h[O16 + k] = Math.min(h[D16 + k], h[S16 + k]);
      break;
    case 0x3b: // PMINUD
      for (let k = 0; k < 4; k++) w[O32 + k] = Math.min(w[D32 + k] >>> 0, w[S32 + k] >>> 0);
      break;
    case 0x3c: // PMAXSB
      for (let k = 0; k < 16; k++) sb[O8 + k] = Math.max(sb[D8 + k], sb[S8 + k]);
      break;
    case 0x3d: // PMAXSD
      for (let k = 0; k < 4; k++) w[O32 + k] = Math.max(w[D32 + k], w[S32 + k]);
      break;
    case 0x3e: // PMAXUW
      for (let k = 0; k < 8; k++) h[O16 + k] = Math.max(h[D16 + k], h[S16 + k]);
      break;
    case 0x3f: // PMAXUD
      for (let k = 0; k < 4; k++) w[O32 + k] = Math.max(w[D32 + k] >>> 0, w[S32 + k] >>> 0);
      break;
    case 0x40: // PMULLD
      for (let k = 0; k < 4; k++) w[O32 + k] = Math.imul(w[D32 + k], w[S32 + k]);
      break;
    case 0x41: {
      // PHMINPOSUW: the smallest unsigned word of the source and its (lowest) index
      let min = h[S16];
      let at = 0;
      for (let k = 1; k < 8; k++) {
        if (h[S16 + k] < min) {
          min = h[S16 + k];
          at = k;
        }
      }
      w[O32] = min | (at << 16);
      w[O32 + 1] = 0;
      w[O32 + 2] = 0;
      w[O32 + 3] = 0;
      break;
    }
    default:
      c.raise(UD, -1);
  }
  copyXmm(c, d, OUT);
}

/** PTEST: ZF = (dest AND src) == 0, CF = (NOT dest AND src) == 0; AF OF PF SF cleared. */
function ptest(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const d = i.reg * 4;
  const w = c.x32;
  let and = 0;
  let andn = 0;
  for (let k = 0; k < 4; k++) {
    and |= w[d + k] & w[s + k];
    andn |= ~w[d + k] & w[s + k];
  }
  setArithFlags(c, (and === 0 ? ZF : 0) | (andn === 0 ? CF : 0));
}

/**
 * PMOVSX/PMOVZX (66 0F 38 20–25 / 30–35): widen the low elements of the source. Kinds by the low
 * opcode nibble: 0 BW, 1 BD, 2 BQ, 3 WD, 4 WQ, 5 DQ.
 */
const PMOV_FROM = [1, 1, 1, 2, 2, 4];
const PMOV_TO = [2, 4, 8, 4, 8, 8];

function pmov(c: Cpu, i: Insn): void {
  sseCheck(c);
  const kind = i.opcode & 0xf;
  const from = PMOV_FROM[kind];
  const to = PMOV_TO[kind];
  const count = 16 / to;
  const bytes = count * from;
  let s: number;
  if (bytes === 2 && i.mod !== 3) {
    c.ea(i);
    c.x32[TMP * 4] = c.read16(c.eaLo, c.eaHi);
    s = TMP;
  } else s = xmmSrc(c, i, bytes, false);
  const signed = (i.opcode & 0xf0) === 0x20;
  const w = c.x32;
  for (let k = 0; k < count; k++) {
    let v: number;
    if (from === 1) v = signed ? c.xs8[s * 16 + k] : c.x8[s * 16 + k];
    else if (from === 2) v = signed ? c.xs16[s * 8 + k] : c.x16[s * 8 + k];
    else v = w[s * 4 + k];
    if (to === 2) c.x16[OUT * 8 + k] = v;
    else if (to === 4) w[OUT * 4 + k] = v;
    else {
      w[OUT * 4 + 2 * k] = v;
      w[OUT * 4 + 2 * k + 1] = signed ? v >> 31 : 0;
    }
  }
  copyXmm(c, i.reg, OUT);
}

/** 66 0F 38 2A MOVNTDQA: aligned 128-bit load (memory only; the non-temporal hint is moot). */
function movntdqa(c: Cpu, i: Insn): void {
  sseCheck(c);
  copyXmm(c, i.reg, xmmSrc(c, i, 16, true));
}

/** 66 0F 3A 0E PBLENDW: words of the source where imm8 has a bit set. */
function pblendw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 8;
  const d = i.reg * 8;
  const h = c.x16;
  for (let k = 0; k < 8; k++) if ((i.imm >> k) & 1) h[d + k] = h[s + k];
}

/** 66 0F 3A 42 MPSADBW: eight sums of absolute differences of 4-byte windows. */
function mpsadbw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 16 + (i.imm & 3) * 4;
  const d = i.reg * 16 + ((i.imm >> 2) & 1) * 4;
  const b = c.x8;
  for (let k = 0; k < 8; k++) {
    let sum = 0;
    for (let j = 0; j < 4; j++) sum += Math.abs(b[d + k + j] - b[s + j]);
    c.x16[OUT * 8 + k] = sum;
  }
  copyXmm(c, i.reg, OUT);
}

/**
 * PEXTRB/PEXTRW/PEXTRD/PEXTRQ (66 0F 3A 14/15/16): element of the XMM register to r/m. A register
 * destination is zero-extended to 64 bits (32-bit writes clear the upper half anyway).
 */
function pextr(c: Cpu, i: Insn): void {
  sseCheck(c);
  const x = i.reg;
  const op = i.opcode & 0xff;
  if (op === 0x16 && i.osize === 8) {
    const q = (i.imm & 1) * 2;
    c.writeRM(i, 8, c.x32[x * 4 + q], c.x32[x * 4 + q + 1]);
    return;
  }
  const size = op === 0x14 ? 1 : op === 0x15 ? 2 : 4;
  const v = size === 1 ? c.x8[x * 16 + (i.imm & 15)] : size === 2 ? c.x16[x * 8 + (i.imm & 7)] : c.x32[x * 4 + (i.imm & 3)];
  if (i.mod === 3) c.setR64(i.rm, v, 0);
  else {
    c.ea(i);
    c.writeSized(size, c.eaLo, c.eaHi, v, 0);
  }
}

/** PINSRB (66 0F 3A 20) and PINSRD/PINSRQ (66 0F 3A 22): r/m into one element. */
function pinsr(c: Cpu, i: Insn): void {
  sseCheck(c);
  const x = i.reg;
  if ((i.opcode & 0xff) === 0x20) {
    const v = i.mod === 3 ? c.r[i.rm << 1] : c.readRM(i, 1);
    c.x8[x * 16 + (i.imm & 15)] = v;
  } else if (i.osize === 8) {
    const lo = c.readRM(i, 8);
    const q = (i.imm & 1) * 2;
    c.x32[x * 4 + q] = lo;
    c.x32[x * 4 + q + 1] = c.rhi;
  } else c.x32[x * 4 + (i.imm & 3)] = c.readRM(i, 4);
}

const M = F_MODRM | F_SSE;
def([0x210, 0x228, 0x229, 0x22b, 0x237, 0x238, 0x239, 0x23a, 0x23b, 0x23c, 0x23d, 0x23e, 0x23f, 0x240, 0x241], M, pbin41, V_66);
def(0x217, M, ptest, V_66);
def([0x220, 0x221, 0x222, 0x223, 0x224, 0x225, 0x230, 0x231, 0x232, 0x233, 0x234, 0x235], M, pmov, V_66);
def(0x22a, M | F_MEM, movntdqa, V_66);
def(0x30e, M | I_B, pblendw, V_66);
def(0x342, M | I_B, mpsadbw, V_66);
def([0x314, 0x315, 0x316], M | I_B, pextr, V_66);
def([0x320, 0x322], M | I_B, pinsr, V_66);

advertise(1, 0, ECX, 19);
