/**
 * SSE/SSE2 floating point: ADD SUB MUL DIV MIN MAX SQRT (PS PD SS SD), RCP/RSQRT (PS SS),
 * AND/ANDN/OR/XOR (PS PD), CMPcc (PS PD SS SD), COMISS/COMISD/UCOMISS/UCOMISD, SHUFPS/SHUFPD,
 * UNPCKL/H (PS PD), MOVMSKPS/PD. Lanes are computed into a scratch slot and committed only when
 * MXCSR raises no unmasked exception.
 */
import type { Cpu } from './cpu.js';
import { setArithFlags } from './flags.js';
import type { Insn } from './insn.js';
import { def, F_MODRM, F_REG, F_SSE, I_B, V_66, V_F2, V_F3 } from './optable.js';
import {
  copyXmm,
  denormIn32,
  denormIn64,
  INDEFINITE32,
  INDEFINITE64_HI,
  MX_IE,
  MX_ZE,
  mxcsrBegin,
  mxcsrCommit,
  mxcsrRaise,
  OUT,
  roundResult,
  sseCheck,
  divErrSign,
  mulErrSign,
  sqrtErrSign,
  twoSumErr,
  xmmSrc,
  zeroSumSign,
} from './sse-common.js';
import { UD } from './fault.js';
import { CF, PF, ZF } from './state.js';

export const OP_ADD = 0, OP_MUL = 1, OP_SUB = 4, OP_MIN = 5, OP_DIV = 6, OP_MAX = 7, OP_SQRT = 8;

/** Computes a op b for finite/infinite non-NaN inputs; NaN means "invalid: indefinite". */
function arith(c: Cpu, op: number, a: number, b: number, single: boolean): number {
  if ((op !== OP_SQRT && !isFinite(a)) || !isFinite(b)) {
    switch (op) {
      case OP_ADD:
        return a + b;
      case OP_SUB:
        return a - b;
      case OP_MUL:
        return a * b;
      case OP_DIV:
        return a / b;
      default:
        return b < 0 ? NaN : Math.sqrt(b);
    }
  }
  let d: number;
  let e: number;
  switch (op) {
    case OP_ADD:
      d = zeroSumSign(c, a + b, a, b);
      e = twoSumErr(a, b, d);
      break;
    case OP_SUB:
      d = zeroSumSign(c, a - b, a, -b);
      e = twoSumErr(a, -b, d);
      break;
    case OP_MUL:
      d = a * b;
      e = mulErrSign(a, b, d);
      break;
    case OP_DIV: {
      if (b === 0) {
        if (a === 0) return NaN;
        mxcsrRaise(MX_ZE);
        return (a < 0) !== (1 / b < 0) ? -Infinity : Infinity;
      }
      d = a / b;
      e = divErrSign(a, b, d);
      break;
    }
    default: {
      // SQRT of b
      if (b < 0) return NaN;
      if (b === 0) return b;
      d = Math.sqrt(b);
      e = sqrtErrSign(b, d);
    }
  }
  return roundResult(c, d, e, single);
}

/** One single-precision lane: x32 lane indices of a, b and the output. */
function lane32(c: Cpu, op: number, ai: number, bi: number, oi: number): void {
  const w = c.x32;
  const f = c.xf32;
  let a = f[ai];
  let b = f[bi];
  const unary = op === OP_SQRT;
  const aNaN = !unary && a !== a;
  const bNaN = b !== b;
  if (op === OP_MIN || op === OP_MAX) {
    if (aNaN || bNaN) {
      mxcsrRaise(MX_IE);
      if (bNaN) w[oi] = w[bi];
      else f[oi] = denormIn32(c, b, false);
      return;
    }
    a = denormIn32(c, a);
    b = denormIn32(c, b);
    // The (DAZ-flushed) operand value is the result.
    f[oi] = (op === OP_MIN ? a < b : a > b) ? a : b;
    return;
  }
  if (aNaN || bNaN) {
    const ab = w[ai];
    const bb = w[bi];
    if ((aNaN && (ab & 0x400000) === 0) || (bNaN && (bb & 0x400000) === 0)) mxcsrRaise(MX_IE);
    w[oi] = aNaN ? ab | 0x400000 : bb | 0x400000;
    return;
  }
  // The square root of a negative denormal is invalid, not denormal.
  b = denormIn32(c, b, !(unary && b < 0));
  // A zero divisor reports only #Z, not a denormal dividend.
  if (!unary) a = denormIn32(c, a, !(op === OP_DIV && b === 0));
  const r = arith(c, op, a, b, true);
  if (r !== r) {
    mxcsrRaise(MX_IE);
    w[oi] = INDEFINITE32;
  } else f[oi] = r;
}

/** One double-precision lane: xf64 lane indices. */
function lane64(c: Cpu, op: number, ai: number, bi: number, oi: number): void {
  const w = c.x32;
  const f = c.xf64;
  let a = f[ai];
  let b = f[bi];
  const unary = op === OP_SQRT;
  const aNaN = !unary && a !== a;
  const bNaN = b !== b;
  if (op === OP_MIN || op === OP_MAX) {
    if (aNaN || bNaN) {
      mxcsrRaise(MX_IE);
      if (bNaN) {
        w[oi * 2] = w[bi * 2];
        w[oi * 2 + 1] = w[bi * 2 + 1];
      } else f[oi] = denormIn64(c, b, false);
      return;
    }
    a = denormIn64(c, a);
    b = denormIn64(c, b);
    f[oi] = (op === OP_MIN ? a < b : a > b) ? a : b;
    return;
  }
  if (aNaN || bNaN) {
    const ah = w[ai * 2 + 1];
    const bh = w[bi * 2 + 1];
    if ((aNaN && (ah & 0x80000) === 0) || (bNaN && (bh & 0x80000) === 0)) mxcsrRaise(MX_IE);
    const src = aNaN ? ai : bi;
    w[oi * 2] = w[src * 2];
    w[oi * 2 + 1] = w[src * 2 + 1] | 0x80000;
    return;
  }
  b = denormIn64(c, b, !(unary && b < 0));
  if (!unary) a = denormIn64(c, a, !(op === OP_DIV && b === 0));
  const r = arith(c, op, a, b, false);
  if (r !== r) {
    mxcsrRaise(MX_IE);
    w[oi * 2] = 0;
    w[oi * 2 + 1] = INDEFINITE64_HI;
  } else f[oi] = r;
}

function opOf(i: Insn): number {
  return (i.opcode & 0xff) === 0x51 ? OP_SQRT : (i.opcode & 0xff) - 0x58;
}

/**
 * MXCSR value bits (DAZ, masks, rounding, FTZ; PE) of the common state in which a plain JS
 * operation is the exact x86 result: round to nearest, every exception masked, no DAZ/FTZ, and
 * PE already set (so an inexact result raises nothing new).
 */
export const QUIET_MASK = 0xffe0;
export const QUIET = 0x1fa0;

const MIN_NORMAL64 = 2.2250738585072014e-308;
const MAX64 = Number.MAX_VALUE;
const MIN_NORMAL32 = 1.1754943508222875e-38;
const MAX32 = 3.4028234663852886e38;

/** Zero or a finite normal: an input that raises nothing (no DE, IE, NaN rules). */
export function plain64(x: number): boolean {
  const a = Math.abs(x);
  return (a >= MIN_NORMAL64 && a <= MAX64) || x === 0;
}

function plain32(x: number): boolean {
  const a = Math.abs(x);
  return (a >= MIN_NORMAL32 && a <= MAX32) || x === 0;
}

/**
 * a op b when MXCSR is QUIET and the operation raises nothing beyond PE; NaN when it might (NaN
 * or infinite operands or result, denormal operands, overflow, a tiny or underflowed result,
 * division by zero): the caller then takes the exact path. Single results are rounded from the
 * double one, which never double-rounds wrongly for + − × ÷ √ of floats (53 ≥ 2·24 + 2).
 */
function quietOp(op: number, a: number, b: number, single: boolean): number {
  let d: number;
  switch (op) {
    case OP_ADD:
      d = a + b;
      break;
    case OP_SUB:
      d = a - b;
      break;
    case OP_MUL:
      d = a * b;
      break;
    case OP_DIV:
      d = a / b;
      break;
    case OP_MIN:
      return a < b ? a : b;
    case OP_MAX:
      return a > b ? a : b;
    default:
      d = Math.sqrt(b);
  }
  if (single) d = Math.fround(d);
  const ad = Math.abs(d);
  // Strictly above the smallest normal: the exact value is not tiny before or after rounding.
  if (ad > (single ? MIN_NORMAL32 : MIN_NORMAL64) && ad <= (single ? MAX32 : MAX64)) return d;
  // An exact zero: a sum of opposite values, or a zero factor/dividend/radicand.
  if (d === 0 && (op === OP_ADD || op === OP_SUB || a === 0 || (op === OP_MUL && b === 0) || op === OP_SQRT)) return d;
  return NaN;
}

function arithPS(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const op = opOf(i);
  if ((c.mxcsr & QUIET_MASK) === QUIET) {
    const f = c.xf32;
    const a0 = f[d * 4], a1 = f[d * 4 + 1], a2 = f[d * 4 + 2], a3 = f[d * 4 + 3];
    const b0 = f[s * 4], b1 = f[s * 4 + 1], b2 = f[s * 4 + 2], b3 = f[s * 4 + 3];
    if (plain32(a0) && plain32(a1) && plain32(a2) && plain32(a3) && plain32(b0) && plain32(b1) && plain32(b2) && plain32(b3)) {
      const r0 = quietOp(op, a0, b0, true);
      const r1 = quietOp(op, a1, b1, true);
      const r2 = quietOp(op, a2, b2, true);
      const r3 = quietOp(op, a3, b3, true);
      if (r0 === r0 && r1 === r1 && r2 === r2 && r3 === r3) {
        f[d * 4] = r0;
        f[d * 4 + 1] = r1;
        f[d * 4 + 2] = r2;
        f[d * 4 + 3] = r3;
        return;
      }
    }
  }
  exactPS(c, d, s, op);
}

/** The general path of a packed single operation (every MXCSR mode, flag and special value). */
export function exactPS(c: Cpu, d: number, s: number, op: number): void {
  mxcsrBegin();
  for (let k = 0; k < 4; k++) lane32(c, op, d * 4 + k, s * 4 + k, OUT * 4 + k);
  mxcsrCommit(c);
  copyXmm(c, d, OUT);
}

function arithPD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const op = opOf(i);
  if ((c.mxcsr & QUIET_MASK) === QUIET) {
    const f = c.xf64;
    const a0 = f[d * 2], a1 = f[d * 2 + 1];
    const b0 = f[s * 2], b1 = f[s * 2 + 1];
    if (plain64(a0) && plain64(a1) && plain64(b0) && plain64(b1)) {
      const r0 = quietOp(op, a0, b0, false);
      const r1 = quietOp(op, a1, b1, false);
      if (r0 === r0 && r1 === r1) {
        f[d * 2] = r0;
        f[d * 2 + 1] = r1;
        return;
      }
    }
  }
  exactPD(c, d, s, op);
}

/** The general path of a packed double operation (every MXCSR mode, flag and special value). */
export function exactPD(c: Cpu, d: number, s: number, op: number): void {
  mxcsrBegin();
  for (let k = 0; k < 2; k++) lane64(c, op, d * 2 + k, s * 2 + k, OUT * 2 + k);
  mxcsrCommit(c);
  copyXmm(c, d, OUT);
}

function arithSS(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 4, false);
  const d = i.reg;
  const op = opOf(i);
  if ((c.mxcsr & QUIET_MASK) === QUIET) {
    const f = c.xf32;
    const a = f[d * 4];
    const b = f[s * 4];
    if (plain32(a) && plain32(b)) {
      const r = quietOp(op, a, b, true);
      if (r === r) {
        f[d * 4] = r;
        return;
      }
    }
  }
  exactSS(c, d, s, op);
}

/** The general path of a scalar single operation (every MXCSR mode, flag and special value). */
export function exactSS(c: Cpu, d: number, s: number, op: number): void {
  mxcsrBegin();
  lane32(c, op, d * 4, s * 4, OUT * 4);
  mxcsrCommit(c);
  c.x32[d * 4] = c.x32[OUT * 4];
}

function arithSD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 8, false);
  const d = i.reg;
  const op = opOf(i);
  if ((c.mxcsr & QUIET_MASK) === QUIET) {
    const f = c.xf64;
    const a = f[d * 2];
    const b = f[s * 2];
    if (plain64(a) && plain64(b)) {
      const r = quietOp(op, a, b, false);
      if (r === r) {
        f[d * 2] = r;
        return;
      }
    }
  }
  exactSD(c, d, s, op);
}

/** The general path of a scalar double operation (every MXCSR mode, flag and special value). */
export function exactSD(c: Cpu, d: number, s: number, op: number): void {
  mxcsrBegin();
  lane64(c, op, d * 2, s * 2, OUT * 2);
  mxcsrCommit(c);
  c.x32[d * 4] = c.x32[OUT * 4];
  c.x32[d * 4 + 1] = c.x32[OUT * 4 + 1];
}

/** RCPPS/RCPSS/RSQRTPS/RSQRTSS: computed exactly and rounded (hardware gives ~12 bits). */
function approx(c: Cpu, i: Insn, scalar: boolean): void {
  sseCheck(c);
  const s = xmmSrc(c, i, scalar ? 4 : 16, !scalar);
  const d = i.reg;
  const rsqrt = (i.opcode & 0xff) === 0x52;
  const f = c.xf32;
  const w = c.x32;
  for (let k = 0; k < (scalar ? 1 : 4); k++) {
    const v = f[s * 4 + k];
    if (v !== v) {
      w[OUT * 4 + k] = w[s * 4 + k] | 0x400000;
      continue;
    }
    const r = rsqrt ? (v < 0 ? NaN : 1 / Math.sqrt(v)) : 1 / v;
    if (r !== r) w[OUT * 4 + k] = INDEFINITE32;
    else f[OUT * 4 + k] = Math.fround(r);
  }
  if (scalar) w[d * 4] = w[OUT * 4];
  else copyXmm(c, d, OUT);
}

function rcpPS(c: Cpu, i: Insn): void {
  approx(c, i, false);
}

function rcpSS(c: Cpu, i: Insn): void {
  approx(c, i, true);
}

/** ANDPS ANDNPS ORPS XORPS (and the PD forms: the same bits). */
function logic(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const w = c.x32;
  const op = i.opcode & 0xff;
  for (let k = 0; k < 4; k++) {
    const a = w[d * 4 + k];
    const b = w[s * 4 + k];
    w[d * 4 + k] = op === 0x54 ? a & b : op === 0x55 ? ~a & b : op === 0x56 ? a | b : a ^ b;
  }
}

/** CMPcc predicate on a, b: returns true/false, raising IE for NaNs by the predicate's kind. */
function compare(pred: number, a: number, b: number, aSnan: boolean, bSnan: boolean): boolean {
  const unordered = a !== a || b !== b;
  const signaling = pred === 1 || pred === 2 || pred === 5 || pred === 6;
  if ((unordered && signaling) || aSnan || bSnan) mxcsrRaise(MX_IE);
  switch (pred) {
    case 0:
      return a === b;
    case 1:
      return a < b;
    case 2:
      return a <= b;
    case 3:
      return unordered;
    case 4:
      return !(a === b);
    case 5:
      return !(a < b);
    case 6:
      return !(a <= b);
    default:
      return !unordered;
  }
}

function snan32(w: Int32Array, k: number, v: number): boolean {
  return v !== v && (w[k] & 0x400000) === 0;
}

function snan64(w: Int32Array, k: number, v: number): boolean {
  return v !== v && (w[k * 2 + 1] & 0x80000) === 0;
}

function cmpPS(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const pred = i.imm & 7;
  const w = c.x32;
  const f = c.xf32;
  mxcsrBegin();
  for (let k = 0; k < 4; k++) {
    const a0 = f[d * 4 + k];
    const b0 = f[s * 4 + k];
    const ordered = a0 === a0 && b0 === b0;
    const a = denormIn32(c, a0, ordered);
    const b = denormIn32(c, b0, ordered);
    w[OUT * 4 + k] = compare(pred, a, b, snan32(w, d * 4 + k, a), snan32(w, s * 4 + k, b)) ? -1 : 0;
  }
  mxcsrCommit(c);
  copyXmm(c, d, OUT);
}

function cmpPD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const pred = i.imm & 7;
  const w = c.x32;
  const f = c.xf64;
  mxcsrBegin();
  for (let k = 0; k < 2; k++) {
    const a0 = f[d * 2 + k];
    const b0 = f[s * 2 + k];
    const ordered = a0 === a0 && b0 === b0;
    const a = denormIn64(c, a0, ordered);
    const b = denormIn64(c, b0, ordered);
    const r = compare(pred, a, b, snan64(w, d * 2 + k, a), snan64(w, s * 2 + k, b)) ? -1 : 0;
    w[OUT * 4 + k * 2] = r;
    w[OUT * 4 + k * 2 + 1] = r;
  }
  mxcsrCommit(c);
  copyXmm(c, d, OUT);
}

function cmpSS(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 4, false);
  const d = i.reg;
  const w = c.x32;
  const f = c.xf32;
  mxcsrBegin();
  const a0 = f[d * 4];
  const b0 = f[s * 4];
  const ordered = a0 === a0 && b0 === b0;
  const a = denormIn32(c, a0, ordered);
  const b = denormIn32(c, b0, ordered);
  const r = compare(i.imm & 7, a, b, snan32(w, d * 4, a), snan32(w, s * 4, b)) ? -1 : 0;
  mxcsrCommit(c);
  w[d * 4] = r;
}

function cmpSD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 8, false);
  const d = i.reg;
  const w = c.x32;
  const f = c.xf64;
  mxcsrBegin();
  const a0 = f[d * 2];
  const b0 = f[s * 2];
  const ordered = a0 === a0 && b0 === b0;
  const a = denormIn64(c, a0, ordered);
  const b = denormIn64(c, b0, ordered);
  const r = compare(i.imm & 7, a, b, snan64(w, d * 2, a), snan64(w, s * 2, b)) ? -1 : 0;
  mxcsrCommit(c);
  w[d * 4] = r;
  w[d * 4 + 1] = r;
}

/** COMISS/UCOMISS/COMISD/UCOMISD: ZF PF CF from the comparison; OF SF AF cleared. */
export function comis(c: Cpu, i: Insn): void {
  sseCheck(c);
  const double = i.p66;
  const s = xmmSrc(c, i, double ? 8 : 4, false);
  const d = i.reg;
  const w = c.x32;
  let a: number, b: number, aS: boolean, bS: boolean;
  mxcsrBegin();
  if (double) {
    const ordered = c.xf64[d * 2] === c.xf64[d * 2] && c.xf64[s * 2] === c.xf64[s * 2];
    a = denormIn64(c, c.xf64[d * 2], ordered);
    b = denormIn64(c, c.xf64[s * 2], ordered);
    aS = snan64(w, d * 2, a);
    bS = snan64(w, s * 2, b);
  } else {
    const ordered = c.xf32[d * 4] === c.xf32[d * 4] && c.xf32[s * 4] === c.xf32[s * 4];
    a = denormIn32(c, c.xf32[d * 4], ordered);
    b = denormIn32(c, c.xf32[s * 4], ordered);
    aS = snan32(w, d * 4, a);
    bS = snan32(w, s * 4, b);
  }
  const unordered = a !== a || b !== b;
  const signaling = (i.opcode & 0xff) === 0x2f;
  if (aS || bS || (unordered && signaling)) mxcsrRaise(MX_IE);
  mxcsrCommit(c);
  setArithFlags(c, unordered ? ZF | PF | CF : a < b ? CF : a === b ? ZF : 0);
}

export function shufps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const w = c.x32;
  const m = i.imm;
  w[OUT * 4] = w[d * 4 + (m & 3)];
  w[OUT * 4 + 1] = w[d * 4 + ((m >> 2) & 3)];
  w[OUT * 4 + 2] = w[s * 4 + ((m >> 4) & 3)];
  w[OUT * 4 + 3] = w[s * 4 + ((m >> 6) & 3)];
  copyXmm(c, d, OUT);
}

export function shufpd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const w = c.x32;
  const lo = d * 4 + (i.imm & 1) * 2;
  const hi = s * 4 + ((i.imm >> 1) & 1) * 2;
  w[OUT * 4] = w[lo];
  w[OUT * 4 + 1] = w[lo + 1];
  w[OUT * 4 + 2] = w[hi];
  w[OUT * 4 + 3] = w[hi + 1];
  copyXmm(c, d, OUT);
}

/** UNPCKLPS/UNPCKHPS (dwords) and UNPCKLPD/UNPCKHPD (qwords) interleave. */
export function unpck(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const w = c.x32;
  const high = (i.opcode & 1) === 1;
  if (i.p66) {
    const q = high ? 2 : 0;
    w[OUT * 4] = w[d * 4 + q];
    w[OUT * 4 + 1] = w[d * 4 + q + 1];
    w[OUT * 4 + 2] = w[s * 4 + q];
    w[OUT * 4 + 3] = w[s * 4 + q + 1];
  } else {
    const b = high ? 2 : 0;
    w[OUT * 4] = w[d * 4 + b];
    w[OUT * 4 + 1] = w[s * 4 + b];
    w[OUT * 4 + 2] = w[d * 4 + b + 1];
    w[OUT * 4 + 3] = w[s * 4 + b + 1];
  }
  copyXmm(c, d, OUT);
}

function movmsk(c: Cpu, i: Insn): void {
  sseCheck(c);
  if (i.mod !== 3) c.raise(UD, -1);
  const w = c.x32;
  const s = i.rm;
  const m = i.p66 ? (w[s * 4 + 1] >>> 31) | ((w[s * 4 + 3] >>> 31) << 1) : (w[s * 4] >>> 31) | ((w[s * 4 + 1] >>> 31) << 1) | ((w[s * 4 + 2] >>> 31) << 2) | ((w[s * 4 + 3] >>> 31) << 3);
  c.setR64(i.reg, m, 0);
}

const M = F_MODRM | F_SSE;
for (const op of [0x158, 0x159, 0x15c, 0x15d, 0x15e, 0x15f, 0x151]) {
  def(op, M, arithPS);
  def(op, M, arithPD, V_66);
  def(op, M, arithSS, V_F3);
  def(op, M, arithSD, V_F2);
}
def([0x152, 0x153], M, rcpPS);
def([0x152, 0x153], M, rcpSS, V_F3);
for (const op of [0x154, 0x155, 0x156, 0x157]) {
  def(op, M, logic);
  def(op, M, logic, V_66);
}
def(0x1c2, M | I_B, cmpPS);
def(0x1c2, M | I_B, cmpPD, V_66);
def(0x1c2, M | I_B, cmpSS, V_F3);
def(0x1c2, M | I_B, cmpSD, V_F2);
def([0x12e, 0x12f], M, comis);
def([0x12e, 0x12f], M, comis, V_66);
def(0x1c6, M | I_B, shufps);
def(0x1c6, M | I_B, shufpd, V_66);
def([0x114, 0x115], M, unpck);
def([0x114, 0x115], M, unpck, V_66);
def(0x150, M | F_REG, movmsk);
def(0x150, M | F_REG, movmsk, V_66);
