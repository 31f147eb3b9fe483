/**
 * Shared machinery of the SSE families: availability checks (#UD/#NM), XMM operand access, MXCSR
 * exception flags with #XM delivery, x86 NaN rules, and IEEE rounding in all four MXCSR modes.
 *
 * Directed rounding: each operation yields a double `d` plus the sign of the exact error `e`
 * (from error-free transformations: TwoSum, Dekker's TwoProduct, remainders for / and sqrt), so
 * the correctly rounded result in any mode is `d` rounded to nearest, nudged by one ulp when the
 * exact value lies on the other side.
 */
import type { Cpu } from './cpu.js';
import { GP, NM, UD, XM } from './fault.js';
import type { Insn } from './insn.js';
import { tlbIndex } from './mmu.js';
import { CR0_EM, CR0_TS, CR4_OSFXSR, CR4_OSXMMEXCPT } from './state.js';

/** Scratch XMM slots. */
export const TMP = 16;
export const OUT = 17;
export const MMD = 18;

export const MX_IE = 1, MX_DE = 2, MX_ZE = 4, MX_OE = 8, MX_UE = 16, MX_PE = 32;
export const MX_DAZ = 1 << 6;
export const MX_FTZ = 1 << 15;
/** The underflow mask bit. */
const MX_UM = 1 << 11;

/** #UD unless SSE is enabled (CR4.OSFXSR, CR0.EM clear); #NM if CR0.TS. */
export function sseCheck(c: Cpu): void {
  // One test on the hot path: any of EM, TS set or OSFXSR clear.
  if (((c.cr0 & (CR0_EM | CR0_TS)) | ((c.cr4 & CR4_OSFXSR) ^ CR4_OSFXSR)) !== 0) sseFault(c);
}

function sseFault(c: Cpu): never {
  if ((c.cr0 & CR0_EM) !== 0 || (c.cr4 & CR4_OSFXSR) === 0) c.raise(UD, -1);
  c.raise(NM, -1);
}

/**
 * Reads the 16 bytes at ea into XMM slot `n` when they lie in one page whose read TLB entry is
 * present (the usual case, and always for aligned operands): one lookup, nothing can fault.
 */
function load128InPage(c: Cpu, n: number): boolean {
  const lo = c.eaLo;
  const hi = c.eaHi;
  const t = tlbIndex(lo, hi);
  if (c.tlbRead[t] !== (lo & ~0xfff) || c.tlbHi[t] !== hi || (lo & 0xfff) > 0xff0) return false;
  const p = (c.tlbPhys[t] >>> 0) + (lo & 0xfff);
  const v = c.view;
  const w = c.x32;
  w[n * 4] = v.getInt32(p, true);
  w[n * 4 + 1] = v.getInt32(p + 4, true);
  w[n * 4 + 2] = v.getInt32(p + 8, true);
  w[n * 4 + 3] = v.getInt32(p + 12, true);
  return true;
}

/**
 * Reads 16 bytes at ea into XMM slot `n`. Outside the one-page case it takes two 8-byte
 * reads, which may fault after the first half is in slot `n`: `n` is a scratch slot.
 */
export function load128(c: Cpu, n: number): void {
  if (load128InPage(c, n)) return;
  if (c.alignCheck) {
    bytes128(c, n, false);
    return;
  }
  const w = c.x32;
  w[n * 4] = c.read64(c.eaLo, c.eaHi);
  w[n * 4 + 1] = c.rhi;
  const l2 = c.eaPlus(8);
  w[n * 4 + 2] = c.read64(l2, c.tmpHi);
  w[n * 4 + 3] = c.rhi;
}

/** Reads 16 bytes at ea into XMM register `n` as one step: on a fault `n` is unchanged. */
export function load128To(c: Cpu, n: number): void {
  if (load128InPage(c, n)) return;
  load128(c, TMP);
  copyXmm(c, n, TMP);
}

/** Writes XMM slot `n` to the 16 bytes at ea: all of it or, on a fault, none of it. */
export function store128(c: Cpu, n: number): void {
  const lo = c.eaLo;
  const hi = c.eaHi;
  const w = c.x32;
  const t = tlbIndex(lo, hi);
  if (c.tlbWrite[t] === (lo & ~0xfff) && c.tlbHi[t] === hi && (lo & 0xfff) <= 0xff0) {
    const p = (c.tlbPhys[t] >>> 0) + (lo & 0xfff);
    const v = c.view;
    v.setInt32(p, w[n * 4], true);
    v.setInt32(p + 4, w[n * 4 + 1], true);
    v.setInt32(p + 8, w[n * 4 + 2], true);
    v.setInt32(p + 12, w[n * 4 + 3], true);
    return;
  }
  c.probeWrite(lo, hi, 16);
  if (c.alignCheck) {
    bytes128(c, n, true);
    return;
  }
  c.write64(lo, hi, w[n * 4], w[n * 4 + 1]);
  const l2 = c.eaPlus(8);
  c.write64(l2, c.tmpHi, w[n * 4 + 2], w[n * 4 + 3]);
}

/**
 * A 16-byte access is not alignment-checked (#AC applies to 2-, 4- and 8-byte accesses): while
 * checking is on, it goes byte by byte instead of as two 8-byte pieces.
 */
function bytes128(c: Cpu, n: number, write: boolean): void {
  const b = c.x8;
  for (let k = 0; k < 16; k++) {
    const lo = c.eaPlus(k);
    if (write) c.write8(lo, c.tmpHi, b[n * 16 + k]);
    else scratch128[k] = c.read8(lo, c.tmpHi);
  }
  // A load lands in the register only once all 16 bytes were read.
  if (!write) b.set(scratch128, n * 16);
}

const scratch128 = new Uint8Array(16);

/**
 * The source XMM operand: the register number, or TMP after loading `bytes` (4, 8 or 16) from
 * memory (the rest of TMP zeroed). `aligned` enforces 16-byte alignment (#GP).
 */
export function xmmSrc(c: Cpu, i: Insn, bytes: number, aligned: boolean): number {
  if (i.mod === 3) return i.rm;
  c.ea(i);
  if (aligned && (c.eaLo & 15) !== 0) c.raise(GP, 0);
  const w = c.x32;
  if (bytes === 16) load128(c, TMP);
  else if (bytes === 8) {
    w[TMP * 4] = c.read64(c.eaLo, c.eaHi);
    w[TMP * 4 + 1] = c.rhi;
    w[TMP * 4 + 2] = 0;
    w[TMP * 4 + 3] = 0;
  } else {
    w[TMP * 4] = c.read32(c.eaLo, c.eaHi);
    w[TMP * 4 + 1] = 0;
    w[TMP * 4 + 2] = 0;
    w[TMP * 4 + 3] = 0;
  }
  return TMP;
}

/**
 * The x32 index of a 16-byte-aligned XMM/m128 source for specialised handlers: `i.src` (the
 * register's lane offset, set at decode time) or TMP's after loading memory.
 */
export function srcA128(c: Cpu, i: Insn): number {
  if (i.mod === 3) return i.src;
  c.ea(i);
  if ((c.eaLo & 15) !== 0) c.raise(GP, 0);
  load128(c, TMP);
  return TMP * 4;
}

export function copyXmm(c: Cpu, dst: number, src: number): void {
  const w = c.x32;
  w[dst * 4] = w[src * 4];
  w[dst * 4 + 1] = w[src * 4 + 1];
  w[dst * 4 + 2] = w[src * 4 + 2];
  w[dst * 4 + 3] = w[src * 4 + 3];
}

/** Flags raised by the instruction in progress; committed by `mxcsrCommit`. */
let pending = 0;

export function mxcsrBegin(): void {
  pending = 0;
}

export function mxcsrRaise(flags: number): void {
  pending |= flags;
}

/**
 * Ends a floating-point instruction: if a raised exception is unmasked, #XM (or #UD without
 * CR4.OSXMMEXCPT) and no result is written; otherwise the flags become sticky in MXCSR.
 */
export function mxcsrCommit(c: Cpu): void {
  const masks = (c.mxcsr >> 7) & 0x3f;
  if ((pending & ~masks) !== 0) {
    c.mxcsr |= pending & ~masks & 0x3f;
    c.raise((c.cr4 & CR4_OSXMMEXCPT) !== 0 ? XM : UD, -1);
  }
  c.mxcsr |= pending;
}

// ---- integer saturation (shared by the MMX and XMM packed-integer forms) ---------------------

export function satS8(v: number): number {
  return v < -128 ? -128 : v > 127 ? 127 : v;
}
export function satU8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
export function satS16(v: number): number {
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}
export function satU16(v: number): number {
  return v < 0 ? 0 : v > 65535 ? 65535 : v;
}

// ---- bit-level helpers ---------------------------------------------------------------------

const scratch = new ArrayBuffer(8);
const sf64 = new Float64Array(scratch);
const sf32 = new Float32Array(scratch);
const si32 = new Int32Array(scratch);

export function f32Bits(v: number): number {
  sf32[0] = v;
  return si32[0];
}

export function f32FromBits(b: number): number {
  si32[0] = b;
  return sf32[0];
}

export const INDEFINITE32 = 0xffc00000 | 0;
export const INDEFINITE64_HI = 0xfff80000 | 0;

const MIN_NORMAL32 = 1.1754943508222875e-38;
const MIN_NORMAL64 = 2.2250738585072014e-308;
const MAX32 = 3.4028234663852886e38;
const MAX64 = Number.MAX_VALUE;
/** 2^128, and the midpoint between the largest float and it. */
const TWO128 = 3.402823669209385e38;
const HALFWAY32 = 3.4028235677973366e38;

export function isDenormal32(v: number): boolean {
  return v !== 0 && Math.abs(v) < MIN_NORMAL32;
}

export function isDenormal64(v: number): boolean {
  return v !== 0 && Math.abs(v) < MIN_NORMAL64;
}

function nextUp64(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  sf64[0] = x;
  let lo = si32[0] >>> 0;
  let hi = si32[1];
  if (x > 0) {
    lo += 1;
    if (lo > 0xffffffff) {
      lo = 0;
      hi++;
    }
  } else {
    if (lo === 0) {
      lo = 0xffffffff;
      hi--;
    } else lo -= 1;
  }
  si32[0] = lo | 0;
  si32[1] = hi;
  return sf64[0];
}

function nextDown64(x: number): number {
  return -nextUp64(-x);
}

function nextUp32(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === 0) return f32FromBits(1);
  const b = f32Bits(x);
  return f32FromBits(x > 0 ? b + 1 : b - 1);
}

function nextDown32(x: number): number {
  return -nextUp32(-x);
}

/** Exact error of a + b = s (Knuth's TwoSum). */
export function twoSumErr(a: number, b: number, s: number): number {
  const bb = s - a;
  return a - (s - bb) + (b - bb);
}

const SPLIT = 134217729;

/** Exact error of a * b = p (Dekker's TwoProduct without FMA). */
export function twoProdErr(a: number, b: number, p: number): number {
  if (!isFinite(p)) return 0;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return al * bl - (p - ah * bh - al * bh - ah * bl);
}

/**
 * Magnitudes for which the unscaled error-free transformations can neither overflow (splitting
 * multiplies by 2^27) nor lose the error term to underflow (products of two such values).
 */
function safe(x: number): boolean {
  const a = Math.abs(x);
  return a > 1e-140 && a < 1e140;
}

/** k such that |x| * 2^-k is in [1, 2), for finite non-zero x (subnormals included). */
function exponentOf(x: number): number {
  sf64[0] = x;
  const e = (si32[1] >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  sf64[0] = x * 18446744073709551616; // 2^64: normalise a subnormal
  return ((si32[1] >>> 20) & 0x7ff) - 1023 - 64;
}

/** x * 2^k in steps that never overflow or underflow an intermediate power of two. */
function scale(x: number, k: number): number {
  while (k > 1000) {
    x *= 1.0715086071862673e301; // 2^1000
    k -= 1000;
  }
  while (k < -1000) {
    x *= 9.332636185032189e-302; // 2^-1000
    k += 1000;
  }
  return x * Math.pow(2, k);
}

/**
 * The sign of (a*b - d), where d is a*b rounded (0 if exact), for finite a, b. Works on scaled
 * operands so that Dekker's splitting neither overflows nor loses the error to underflow.
 */
export function mulErrSign(a: number, b: number, d: number): number {
  if (a === 0 || b === 0 || !isFinite(d)) return 0;
  if (safe(a) && safe(b)) return twoProdErr(a, b, d);
  const ka = exponentOf(a);
  const kb = exponentOf(b);
  const as = scale(a, -ka);
  const bs = scale(b, -kb);
  const ds = scale(d, -(ka + kb));
  const p = as * bs;
  return p - ds + twoProdErr(as, bs, p);
}

/** The sign of (a/b - q), q being a/b rounded, for finite a and non-zero finite b. */
export function divErrSign(a: number, b: number, q: number): number {
  if (a === 0 || !isFinite(q)) return 0;
  if (safe(a) && safe(b) && safe(q)) {
    const pq = q * b;
    const rem = a - pq - twoProdErr(q, b, pq);
    return b < 0 ? -rem : rem;
  }
  const ka = exponentOf(a);
  const kb = exponentOf(b);
  const as = scale(a, -ka);
  const bs = scale(b, -kb);
  const qs = scale(q, kb - ka);
  const p = qs * bs;
  const rem = as - p - twoProdErr(qs, bs, p);
  return bs < 0 ? -rem : rem;
}

/** The sign of (sqrt(a) - s), s being sqrt(a) rounded, for finite positive a. */
export function sqrtErrSign(a: number, s: number): number {
  if (a === 0) return 0;
  if (safe(a)) {
    const p = s * s;
    return a - p - twoProdErr(s, s, p);
  }
  const k = exponentOf(a) & ~1;
  const as = scale(a, -k);
  const ss = scale(s, -(k >> 1));
  const p = ss * ss;
  return as - p - twoProdErr(ss, ss, p);
}

/**
 * Rounds the exact value d + e (e carries at least the sign of the error) to single or double
 * precision in the MXCSR rounding mode, raising PE/OE/UE; applies FTZ. The operands that produced
 * d must have been finite (an infinite d then means overflow).
 */
export function roundResult(c: Cpu, d: number, e: number, single: boolean): number {
  const mode = (c.mxcsr >> 13) & 3;
  const max = single ? MAX32 : MAX64;
  const neg = d < 0;
  const ad = Math.abs(d);
  // Overflow: the result rounded with an unbounded exponent exceeds the largest finite value.
  const towardInf = (mode === 2 && !neg) || (mode === 1 && neg);
  const away = e !== 0 && e > 0 === !neg;
  let over: boolean;
  if (single) {
    if (mode === 0) over = ad >= HALFWAY32;
    else if (towardInf) over = ad > max || (ad === max && away);
    else over = ad >= TWO128;
  } else over = !isFinite(d) || (towardInf && ad === max && away);
  if (over) {
    pending |= MX_OE | MX_PE;
    return mode === 0 || towardInf ? (neg ? -Infinity : Infinity) : neg ? -max : max;
  }
  let r = single ? Math.fround(d) : d;
  const diff = d - r;
  if (single && mode === 0 && e !== 0 && diff !== 0) {
    // d sits exactly halfway between two floats but the exact value does not: go by e.
    const r2 = diff > 0 ? nextUp32(r) : nextDown32(r);
    if (d - r === r2 - d) r = e > 0 === r2 > r ? r2 : r;
  }
  const dir = diff !== 0 ? diff : e;
  if (dir !== 0 && dir === dir) {
    pending |= MX_PE;
    if (mode === 1 && dir < 0) r = single ? nextDown32(r) : nextDown64(r);
    else if (mode === 2 && dir > 0) r = single ? nextUp32(r) : nextUp64(r);
    else if (mode === 3 && ((dir < 0 && r > 0) || (dir > 0 && r < 0))) r = single ? (r > 0 ? nextDown32(r) : nextUp32(r)) : r > 0 ? nextDown64(r) : nextUp64(r);
  }
  if ((r !== 0 && Math.abs(r) < (single ? MIN_NORMAL32 : MIN_NORMAL64)) || (r === 0 && dir !== 0)) {
    // Tiny: with UM masked, underflow is reported only if inexact; unmasked, on tininess alone.
    if ((c.mxcsr & MX_UM) === 0) pending |= MX_UE;
    else if ((c.mxcsr & MX_FTZ) !== 0) {
      pending |= MX_UE | MX_PE;
      r = d < 0 || (d === 0 && 1 / d < 0) ? -0 : 0;
    } else if (dir !== 0) pending |= MX_UE;
  }
  return r;
}

/** An exact zero sum of operands that are not both zeros of one sign is -0 when rounding down. */
export function zeroSumSign(c: Cpu, r: number, a: number, b: number): number {
  if (r !== 0 || ((c.mxcsr >> 13) & 3) !== 1) return r;
  if (a === 0 && b === 0 && 1 / a === 1 / b) return r;
  return -0;
}

/** DAZ: denormal inputs read as signed zero; otherwise they raise DE. */
export function denormIn32(c: Cpu, v: number, report = true): number {
  if (v !== 0 && Math.abs(v) < MIN_NORMAL32) {
    if ((c.mxcsr & MX_DAZ) !== 0) return v < 0 ? -0 : 0;
    if (report) pending |= MX_DE;
  }
  return v;
}

export function denormIn64(c: Cpu, v: number, report = true): number {
  if (v !== 0 && Math.abs(v) < MIN_NORMAL64) {
    if ((c.mxcsr & MX_DAZ) !== 0) return v < 0 ? -0 : 0;
    if (report) pending |= MX_DE;
  }
  return v;
}

/** Rounds to an integer in the MXCSR mode (or truncating). */
export function roundToInt(c: Cpu, v: number, truncate: boolean): number {
  const mode = truncate ? 3 : (c.mxcsr >> 13) & 3;
  switch (mode) {
    case 0: {
      const f = Math.floor(v);
      const diff = v - f;
      if (diff < 0.5) return f;
      if (diff > 0.5) return f + 1;
      return f % 2 === 0 ? f : f + 1;
    }
    case 1:
      return Math.floor(v);
    case 2:
      return Math.ceil(v);
    default:
      return Math.trunc(v);
  }
}
