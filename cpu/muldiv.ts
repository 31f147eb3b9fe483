/**
 * Multiply and divide: MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV in all sizes,
 * including 64×64→128 products and 128/64 division (#DE on a zero divisor or quotient overflow).
 * Products are built from 16-bit limbs so every intermediate is an exact double; division uses
 * doubles when the dividend is below 2^53 (floor(n/d) is then exact) and shift-subtract otherwise.
 */
import type { Cpu } from './cpu.js';
import { DE } from './fault.js';
import { setResultFlags } from './flags.js';
import type { Insn } from './insn.js';
import { def, defGroup, F_MODRM, I_B, I_NONE, I_Z } from './optable.js';
import { CF, OF, sext, trunc } from './state.js';

const TWO32 = 4294967296;

/**
 * Scratch results in typed arrays (module-level `let`s holding uint32 values would be boxed
 * doubles, allocating on every assignment): the 128-bit product words P (least significant
 * first), the 32×32 product M, quotient/remainder Q (Q[0] Q[1] Q[2] Q[3]), a negated value N.
 */
const P = new Float64Array(4);
const M = new Float64Array(2);
const Q = new Float64Array(4);
const N = new Float64Array(4);

/** Unsigned 32×32→64: M[0], M[1] (uint32). */
function mulu32(a: number, b: number): void {
  a >>>= 0;
  b >>>= 0;
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  M[0] = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  M[1] = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
}

/** Unsigned 64×64→128 into P[0]..P[3]. */
function mulu64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  mulu32(aLo, bLo);
  const ll0 = M[0];
  const ll1 = M[1];
  mulu32(aLo, bHi);
  const lh0 = M[0];
  const lh1 = M[1];
  mulu32(aHi, bLo);
  const hl0 = M[0];
  const hl1 = M[1];
  mulu32(aHi, bHi);
  const hh0 = M[0];
  const hh1 = M[1];
  P[0] = ll0;
  const w1 = ll1 + lh0 + hl0;
  P[1] = w1 % TWO32;
  const w2 = Math.floor(w1 / TWO32) + lh1 + hl1 + hh0;
  P[2] = w2 % TWO32;
  P[3] = (Math.floor(w2 / TWO32) + hh1) % TWO32;
}

/** Signed 64×64→128 into P[0]..P[3]. */
function muls64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  mulu64(aLo, aHi, bLo, bHi);
  // Two's-complement correction of the high half: subtract b if a < 0, a if b < 0.
  let h0 = P[2];
  let h1 = P[3];
  if (aHi < 0) {
    const s = h0 - (bLo >>> 0);
    h0 = (s + TWO32) % TWO32;
    h1 = (h1 - (bHi >>> 0) - (s < 0 ? 1 : 0) + 2 * TWO32) % TWO32;
  }
  if (bHi < 0) {
    const s = h0 - (aLo >>> 0);
    h0 = (s + TWO32) % TWO32;
    h1 = (h1 - (aHi >>> 0) - (s < 0 ? 1 : 0) + 2 * TWO32) % TWO32;
  }
  P[2] = h0;
  P[3] = h1;
}

function mulFlags(c: Cpu, size: number, lo: number, hi: number, overflow: boolean): void {
  setResultFlags(c, size, lo, hi, overflow ? CF | OF : 0);
}

/** F6/F7 /4: MUL. */
export function mul(c: Cpu, i: Insn): void {
  const size = i.opcode === 0xf6 ? 1 : i.osize;
  const v = c.readRM(i, size);
  const vHi = c.rhi;
  switch (size) {
    case 1: {
      const r = (c.r[0] & 0xff) * v;
      c.setR16(0, r);
      mulFlags(c, 1, r & 0xff, 0, r > 0xff);
      break;
    }
    case 2: {
      const r = (c.r[0] & 0xffff) * v;
      c.setR16(0, r);
      c.setR16(2, r >>> 16);
      mulFlags(c, 2, r & 0xffff, 0, r > 0xffff);
      break;
    }
    case 4:
      mulu32(c.r[0], v);
      c.setR32(0, M[0] | 0);
      c.setR32(2, M[1] | 0);
      mulFlags(c, 4, M[0] | 0, 0, M[1] !== 0);
      break;
    default:
      mulu64(c.r[0], c.r[1], v, vHi);
      c.setR64(0, P[0] | 0, P[1] | 0);
      c.setR64(2, P[2] | 0, P[3] | 0);
      mulFlags(c, 8, P[0] | 0, P[1] | 0, (P[2] | P[3]) !== 0);
  }
}

/** F6/F7 /5: one-operand IMUL. */
function imul1(c: Cpu, i: Insn): void {
  const size = i.opcode === 0xf6 ? 1 : i.osize;
  const v = c.readRM(i, size);
  const vHi = c.rhi;
  switch (size) {
    case 1: {
      const r = sext(1, c.r[0]) * sext(1, v);
      c.setR16(0, r);
      mulFlags(c, 1, r & 0xff, 0, r !== sext(1, r));
      break;
    }
    case 2: {
      const r = sext(2, c.r[0]) * sext(2, v);
      c.setR16(0, r);
      c.setR16(2, r >> 16);
      mulFlags(c, 2, r & 0xffff, 0, r !== sext(2, r));
      break;
    }
    case 4: {
      muls64(c.r[0], c.r[0] >> 31, v, v >> 31);
      c.setR32(0, P[0] | 0);
      c.setR32(2, P[1] | 0);
      mulFlags(c, 4, P[0] | 0, 0, (P[1] | 0) !== (P[0] | 0) >> 31);
      break;
    }
    default:
      muls64(c.r[0], c.r[1], v, vHi);
      c.setR64(0, P[0] | 0, P[1] | 0);
      c.setR64(2, P[2] | 0, P[3] | 0);
      mulFlags(c, 8, P[0] | 0, P[1] | 0, !((P[2] | 0) === (P[1] | 0) >> 31 && (P[3] | 0) === (P[1] | 0) >> 31));
  }
}

/** Truncating signed multiply of `size` bytes; sets flags; returns lo, hi in c.tmpHi. */
function imulTrunc(c: Cpu, size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
  if (size === 8) {
    muls64(aLo, aHi, bLo, bHi);
    const lo = P[0] | 0;
    const hi = P[1] | 0;
    mulFlags(c, 8, lo, hi, !((P[2] | 0) === hi >> 31 && (P[3] | 0) === hi >> 31));
    c.tmpHi = hi;
    return lo;
  }
  if (size === 4) {
    muls64(aLo, aLo >> 31, bLo, bLo >> 31);
    const lo = P[0] | 0;
    mulFlags(c, 4, lo, 0, (P[1] | 0) !== lo >> 31);
    c.tmpHi = 0;
    return lo;
  }
  const r = sext(2, aLo) * sext(2, bLo);
  mulFlags(c, 2, r & 0xffff, 0, r !== sext(2, r));
  c.tmpHi = 0;
  return r & 0xffff;
}

/** 0F AF: IMUL Gv, Ev. */
export function imul2(c: Cpu, i: Insn): void {
  const size = i.osize;
  const b = c.readRM(i, size);
  const bHi = c.rhi;
  const a = c.readReg(i, size);
  const r = imulTrunc(c, size, a, c.rhi, b, bHi);
  c.writeReg(i, size, r, c.tmpHi);
}

/** 69/6B: IMUL Gv, Ev, imm. */
export function imul3(c: Cpu, i: Insn): void {
  const size = i.osize;
  const a = c.readRM(i, size);
  const r = imulTrunc(c, size, a, c.rhi, trunc(size, i.imm), i.imm >> 31);
  c.writeReg(i, size, r, c.tmpHi);
}


/**
 * Unsigned (N[3]:N[2]:N[1]:N[0]) / (d1:d0) where N[3]:N[2] < d1:d0 (so the quotient fits 64 bits).
 * All inputs are uint32 words.
 */
function divu128(a3: number, a2: number, a1: number, a0: number, d1: number, d0: number): void {
  if (a3 === 0 && a2 === 0 && a1 < 0x200000) {
    const n = a1 * TWO32 + a0;
    const d = d1 * TWO32 + d0;
    const q = Math.floor(n / d);
    const r = n - q * d;
    Q[0] = q % TWO32;
    Q[1] = Math.floor(q / TWO32);
    Q[2] = r % TWO32;
    Q[3] = Math.floor(r / TWO32);
    return;
  }
  // Shift-subtract over the 64 low dividend bits; the remainder starts as a3:a2 (< divisor).
  let rh = a3;
  let rl = a2;
  let qh = 0;
  let ql = 0;
  for (let k = 63; k >= 0; k--) {
    const inBit = k >= 32 ? (a1 >>> (k - 32)) & 1 : (a0 >>> k) & 1;
    const carry = rh >>> 31;
    rh = ((rh << 1) | (rl >>> 31)) >>> 0;
    rl = ((rl << 1) | inBit) >>> 0;
    const ge = carry === 1 || rh > d1 || (rh === d1 && rl >= d0);
    if (ge) {
      const s = rl - d0;
      rl = (s + TWO32) % TWO32;
      rh = (rh - d1 - (s < 0 ? 1 : 0) + TWO32) % TWO32;
    }
    qh = ((qh << 1) | (ql >>> 31)) >>> 0;
    ql = ((ql << 1) | (ge ? 1 : 0)) >>> 0;
  }
  Q[0] = ql;
  Q[1] = qh;
  Q[2] = rl;
  Q[3] = rh;
}

/** Negates the 128-bit value w3:w2:w1:w0 (uint32 words) into N. */
function neg128(w3: number, w2: number, w1: number, w0: number): void {
  const a0 = (~w0 >>> 0) + 1;
  N[0] = a0 % TWO32;
  const a1 = (~w1 >>> 0) + (a0 >= TWO32 ? 1 : 0);
  N[1] = a1 % TWO32;
  const a2 = (~w2 >>> 0) + (a1 >= TWO32 ? 1 : 0);
  N[2] = a2 % TWO32;
  N[3] = ((~w3 >>> 0) + (a2 >= TWO32 ? 1 : 0)) % TWO32;
}

export function div(c: Cpu, i: Insn): void {
  const size = i.opcode === 0xf6 ? 1 : i.osize;
  const v = c.readRM(i, size);
  const vHi = size === 8 ? c.rhi : 0;
  if ((v | vHi) === 0) c.raise(DE, -1);
  switch (size) {
    case 1: {
      const n = c.r[0] & 0xffff;
      const q = Math.floor(n / v);
      if (q > 0xff) c.raise(DE, -1);
      c.setR16(0, q | ((n - q * v) << 8));
      break;
    }
    case 2: {
      const n = ((c.r[4] & 0xffff) << 16 | (c.r[0] & 0xffff)) >>> 0;
      const q = Math.floor(n / v);
      if (q > 0xffff) c.raise(DE, -1);
      c.setR16(0, q);
      c.setR16(2, n - q * v);
      break;
    }
    case 4: {
      const hiW = c.r[4] >>> 0;
      const d = v >>> 0;
      if (hiW >= d) c.raise(DE, -1);
      divu128(0, 0, hiW, c.r[0] >>> 0, 0, d);
      c.setR32(0, Q[0] | 0);
      c.setR32(2, Q[2] | 0);
      break;
    }
    default: {
      const d1 = vHi >>> 0;
      const d0 = v >>> 0;
      const h1 = c.r[5] >>> 0;
      const h0 = c.r[4] >>> 0;
      if (h1 > d1 || (h1 === d1 && h0 >= d0)) c.raise(DE, -1);
      divu128(h1, h0, c.r[1] >>> 0, c.r[0] >>> 0, d1, d0);
      c.setR64(0, Q[0] | 0, Q[1] | 0);
      c.setR64(2, Q[2] | 0, Q[3] | 0);
    }
  }
}

export function idiv(c: Cpu, i: Insn): void {
  const size = i.opcode === 0xf6 ? 1 : i.osize;
  const v = c.readRM(i, size);
  const vHi = size === 8 ? c.rhi : 0;
  if ((v | vHi) === 0) c.raise(DE, -1);
  switch (size) {
    case 1: {
      const n = sext(2, c.r[0]);
      const d = sext(1, v);
      const q = Math.trunc(n / d);
      if (q > 127 || q < -128) c.raise(DE, -1);
      c.setR16(0, (q & 0xff) | (((n - q * d) & 0xff) << 8));
      break;
    }
    case 2: {
      const n = (c.r[4] << 16) | (c.r[0] & 0xffff);
      const d = sext(2, v);
      const q = Math.trunc(n / d);
      if (q > 32767 || q < -32768) c.raise(DE, -1);
      c.setR16(0, q);
      c.setR16(2, n - q * d);
      break;
    }
    default: {
      // 4 and 8: dividend of 2×size bytes in rDX:rAX, as four uint32 words.
      let w3: number, w2: number, w1: number, w0: number, dl: number, dh: number;
      if (size === 4) {
        const hi = c.r[4];
        w3 = hi < 0 ? 0xffffffff : 0;
        w2 = w3;
        w1 = hi >>> 0;
        w0 = c.r[0] >>> 0;
        dl = v >>> 0;
        dh = v < 0 ? 0xffffffff : 0;
      } else {
        w3 = c.r[5] >>> 0;
        w2 = c.r[4] >>> 0;
        w1 = c.r[1] >>> 0;
        w0 = c.r[0] >>> 0;
        dl = v >>> 0;
        dh = vHi >>> 0;
      }
      const nNeg = w3 >= 0x80000000;
      const dNeg = dh >= 0x80000000;
      if (nNeg) {
        neg128(w3, w2, w1, w0);
        w3 = N[3];
        w2 = N[2];
        w1 = N[1];
        w0 = N[0];
      }
      if (dNeg) {
        const a = (~dl >>> 0) + 1;
        dl = a % TWO32;
        dh = ((~dh >>> 0) + (a >= TWO32 ? 1 : 0)) % TWO32;
      }
      // |quotient| must fit in 64 bits for the unsigned step.
      if (w3 > dh || (w3 === dh && w2 >= dl)) c.raise(DE, -1);
      divu128(w3, w2, w1, w0, dh, dl);
      let ql = Q[0];
      let qh = Q[1];
      let rl = Q[2];
      let rh = Q[3];
      const qNeg = nNeg !== dNeg;
      if (size === 4) {
        // Quotient must fit int32.
        if (qh !== 0 || ql > (qNeg ? 0x80000000 : 0x7fffffff)) c.raise(DE, -1);
        const q = qNeg ? -ql | 0 : ql | 0;
        const r = nNeg ? -rl | 0 : rl | 0;
        c.setR32(0, q);
        c.setR32(2, r);
        break;
      }
      if (qh > (qNeg ? 0x80000000 : 0x7fffffff) || (qh === 0x80000000 && ql !== 0)) c.raise(DE, -1);
      if (qNeg) {
        neg128(0, 0, qh, ql);
        ql = N[0];
        qh = N[1];
      }
      if (nNeg) {
        neg128(0, 0, rh, rl);
        rl = N[0];
        rh = N[1];
      }
      c.setR64(0, ql | 0, qh | 0);
      c.setR64(2, rl | 0, rh | 0);
    }
  }
}

for (const op of [0xf6, 0xf7]) {
  defGroup(op, 4, I_NONE, mul);
  defGroup(op, 5, I_NONE, imul1);
  defGroup(op, 6, I_NONE, div);
  defGroup(op, 7, I_NONE, idiv);
}
def(0x1af, F_MODRM, imul2);
def(0x69, F_MODRM | I_Z, imul3);
def(0x6b, F_MODRM | I_B, imul3);
