/**
 * Single floating-point operations on XMM lanes for the SSE3/SSE4.1 families (horizontal adds,
 * ADDSUB, DPPS/DPPD): a op b with the x86 NaN rules (first NaN operand wins, quieted; an SNaN
 * raises IE), DAZ/DE on inputs, and the MXCSR rounding via roundResult. Lanes are x32 indices for
 * single precision and xf64 indices for double precision, so results may land in scratch lanes
 * (OUT) and be combined further without leaving the XMM buffer.
 *
 * Callers bracket a whole instruction with mxcsrBegin/mxcsrCommit.
 */
import type { Cpu } from './cpu.js';
import {
  denormIn32,
  denormIn64,
  INDEFINITE32,
  INDEFINITE64_HI,
  MX_IE,
  MX_PE,
  mxcsrRaise,
  mulErrSign,
  roundResult,
  twoSumErr,
  zeroSumSign,
} from './sse-common.js';

/** True when the quiet bit of NaN lane bits is clear. */
function snan32Bits(bits: number): boolean {
  return (bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0 && (bits & 0x400000) === 0;
}

/**
 * The x86 NaN rule for a two-operand single-precision lane: a NaN operand (the first one if
 * both are) becomes the result, quieted; a signalling one raises IE. Returns false if neither is.
 */
function nanOperand32(c: Cpu, ai: number, bi: number, oi: number): boolean {
  const f = c.xf32;
  const a = f[ai];
  const b = f[bi];
  if (a === a && b === b) return false;
  const w = c.x32;
  if (snan32Bits(w[ai]) || snan32Bits(w[bi])) mxcsrRaise(MX_IE);
  w[oi] = (a !== a ? w[ai] : w[bi]) | 0x400000;
  return true;
}

/** w[o] = w[a] + w[b] (or − when `sub`), single precision. */
export function add32(c: Cpu, ai: number, bi: number, oi: number, sub: boolean): void {
  if (nanOperand32(c, ai, bi, oi)) return;
  const w = c.x32;
  const f = c.xf32;
  let a = f[ai];
  let b = f[bi];
  a = denormIn32(c, a);
  b = denormIn32(c, b);
  if (sub) b = -b;
  if (!isFinite(a) || !isFinite(b)) {
    const r = a + b;
    if (r !== r) {
      mxcsrRaise(MX_IE);
      w[oi] = INDEFINITE32;
    } else f[oi] = r;
    return;
  }
  const d = a + b;
  const e = twoSumErr(a, b, d);
  f[oi] = d === 0 && e === 0 ? zeroSumSign(c, d, a, b) : roundResult(c, d, e, true);
}

/** w[o] = w[a] * w[b], single precision (the double product of two floats is exact). */
export function mul32(c: Cpu, ai: number, bi: number, oi: number): void {
  if (nanOperand32(c, ai, bi, oi)) return;
  const w = c.x32;
  const f = c.xf32;
  let a = f[ai];
  let b = f[bi];
  a = denormIn32(c, a);
  b = denormIn32(c, b);
  const d = a * b;
  if (d !== d) {
    mxcsrRaise(MX_IE);
    w[oi] = INDEFINITE32;
    return;
  }
  f[oi] = isFinite(a) && isFinite(b) ? roundResult(c, d, 0, true) : d;
}

function snan64At(w: Int32Array, k: number): boolean {
  const hi = w[k * 2 + 1];
  return (hi & 0x7ff00000) === 0x7ff00000 && (hi & 0x80000) === 0 && ((hi & 0xfffff) !== 0 || w[k * 2] !== 0);
}

/** Copies NaN lane `src` quieted into lane `oi`. */
function quiet64(w: Int32Array, src: number, oi: number): void {
  w[oi * 2] = w[src * 2];
  w[oi * 2 + 1] = w[src * 2 + 1] | 0x80000;
}

/** `nanOperand32` for double-precision lanes. */
function nanOperand64(c: Cpu, ai: number, bi: number, oi: number): boolean {
  const f = c.xf64;
  const a = f[ai];
  const b = f[bi];
  if (a === a && b === b) return false;
  const w = c.x32;
  if (snan64At(w, ai) || snan64At(w, bi)) mxcsrRaise(MX_IE);
  quiet64(w, a !== a ? ai : bi, oi);
  return true;
}

/** f[o] = f[a] + f[b] (or −), double precision. */
export function add64(c: Cpu, ai: number, bi: number, oi: number, sub: boolean): void {
  if (nanOperand64(c, ai, bi, oi)) return;
  const w = c.x32;
  const f = c.xf64;
  let a = f[ai];
  let b = f[bi];
  a = denormIn64(c, a);
  b = denormIn64(c, b);
  if (sub) b = -b;
  if (!isFinite(a) || !isFinite(b)) {
    const r = a + b;
    if (r !== r) {
      mxcsrRaise(MX_IE);
      w[oi * 2] = 0;
      w[oi * 2 + 1] = INDEFINITE64_HI;
    } else f[oi] = r;
    return;
  }
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  if ((aa > HUGE || ab > HUGE) && aa > HALVING_EXACT && ab > HALVING_EXACT) {
    // TwoSum's intermediates could overflow: work on halves (exact here) and scale back.
    const hs = a * 0.5 + b * 0.5;
    const he = twoSumErr(a * 0.5, b * 0.5, hs);
    f[oi] = hs === 0 && he === 0 ? zeroSumSign(c, hs, a, b) : nearOverflow64(c, hs, he);
    return;
  }
  const d = a + b;
  const e = twoSumErr(a, b, d);
  f[oi] = d === 0 && e === 0 ? zeroSumSign(c, d, a, b) : roundResult(c, d, e, false);
}

const HUGE = Math.pow(2, 1020);
const HALVING_EXACT = Math.pow(2, -500);
const TWO1023 = Math.pow(2, 1023);
const MAX64 = Number.MAX_VALUE;

/**
 * Rounds 2·(hs + he), where hs + he is half the exact result. roundResult gets 2·hs (exact when
 * finite) and treats an infinite one as overflow; the one case it cannot see is a half sum of
 * exactly 2^1023 whose exact value lies just below it, rounded toward zero: that is the largest
 * double, inexact but no overflow.
 */
function nearOverflow64(c: Cpu, hs: number, he: number): number {
  const mode = (c.mxcsr >> 13) & 3;
  const neg = hs < 0;
  const towardZero = mode === 3 || (mode === 1 && !neg) || (mode === 2 && neg);
  if (towardZero && Math.abs(hs) === TWO1023 && he !== 0 && he < 0 !== neg) {
    mxcsrRaise(MX_PE);
    return neg ? -MAX64 : MAX64;
  }
  return roundResult(c, hs * 2, he, false);
}

/** f[o] = f[a] * f[b], double precision. */
export function mul64(c: Cpu, ai: number, bi: number, oi: number): void {
  if (nanOperand64(c, ai, bi, oi)) return;
  const w = c.x32;
  const f = c.xf64;
  let a = f[ai];
  let b = f[bi];
  a = denormIn64(c, a);
  b = denormIn64(c, b);
  const d = a * b;
  if (d !== d) {
    mxcsrRaise(MX_IE);
    w[oi * 2] = 0;
    w[oi * 2 + 1] = INDEFINITE64_HI;
    return;
  }
  if (!isFinite(a) || !isFinite(b) || a === 0 || b === 0) {
    f[oi] = d;
    return;
  }
  if (!isFinite(d)) {
    // Both operands are at least 1 in magnitude here, so halving one is exact.
    const hd = a * 0.5 * b;
    f[oi] = nearOverflow64(c, hd, mulErrSign(a * 0.5, b, hd));
    return;
  }
  f[oi] = roundResult(c, d, mulErrSign(a, b, d), false);
}
