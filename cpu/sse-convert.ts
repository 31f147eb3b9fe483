/**
 * SSE/SSE2 conversions: CVTSI2SS/SD, CVT(T)SS2SI, CVT(T)SD2SI, CVTSS2SD, CVTSD2SS, CVTPS2PD,
 * CVTPD2PS, CVTDQ2PS, CVT(T)PS2DQ, CVTDQ2PD, CVT(T)PD2DQ. Out-of-range and NaN conversions to
 * integers give the "integer indefinite" (0x80000000 / 0x8000000000000000) and raise IE.
 */
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { def, F_MODRM, F_SSE, V_66, V_F2, V_F3 } from './optable.js';
import {
  copyXmm,
  denormIn32,
  denormIn64,
  MX_IE,
  MX_PE,
  mxcsrBegin,
  mxcsrCommit,
  mxcsrRaise,
  OUT,
  roundResult,
  roundToInt,
  sseCheck,
  xmmSrc,
} from './sse-common.js';

const TWO32 = 4294967296;
const TWO31 = 2147483648;
const TWO63 = 9223372036854775808;

/** Float value → int32 with IE/PE; the indefinite value on overflow or NaN. */
export function toInt32(c: Cpu, v: number, truncate: boolean): number {
  if (v !== v) {
    mxcsrRaise(MX_IE);
    return 0x80000000 | 0;
  }
  const r = roundToInt(c, v, truncate);
  if (r < -TWO31 || r >= TWO31) {
    mxcsrRaise(MX_IE);
    return 0x80000000 | 0;
  }
  if (r !== v) mxcsrRaise(MX_PE);
  return r | 0;
}

let int64Hi = 0;

/** Float value → int64 (lo returned, hi in int64Hi). */
function toInt64(c: Cpu, v: number, truncate: boolean): number {
  if (v !== v) {
    mxcsrRaise(MX_IE);
    int64Hi = 0x80000000 | 0;
    return 0;
  }
  const r = roundToInt(c, v, truncate);
  if (r < -TWO63 || r >= TWO63) {
    mxcsrRaise(MX_IE);
    int64Hi = 0x80000000 | 0;
    return 0;
  }
  if (r !== v) mxcsrRaise(MX_PE);
  const hi = Math.floor(r / TWO32);
  int64Hi = hi | 0;
  return (r - hi * TWO32) | 0;
}

/** Signed 64-bit integer (lo, hi) → float/double with MXCSR rounding. */
function fromInt64(c: Cpu, lo: number, hi: number, single: boolean): number {
  const big = hi * TWO32;
  const d = big + (lo >>> 0);
  const e = big - d + (lo >>> 0);
  return roundResult(c, d, e, single);
}

/** Quiets a float32 NaN into a double NaN's words in OUT lane k (x32 indices). */
function nan32to64(c: Cpu, bits: number, oi: number): void {
  const w = c.x32;
  const mant = bits & 0x7fffff;
  w[oi] = (mant & 7) << 29;
  w[oi + 1] = (bits & 0x80000000) | 0x7ff80000 | (mant >>> 3);
  if ((bits & 0x400000) === 0) mxcsrRaise(MX_IE);
}

function nan64to32(lo: number, hi: number): number {
  if ((hi & 0x80000) === 0) mxcsrRaise(MX_IE);
  return (hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29);
}

function cvtsi2ss(c: Cpu, i: Insn): void {
  sseCheck(c);
  const size = i.osize === 8 ? 8 : 4;
  const v = c.readRM(i, size);
  mxcsrBegin();
  const r = size === 8 ? fromInt64(c, v, c.rhi, true) : roundResult(c, v, 0, true);
  mxcsrCommit(c);
  c.xf32[i.reg * 4] = r;
}

export function cvtsi2sd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const size = i.osize === 8 ? 8 : 4;
  const v = c.readRM(i, size);
  mxcsrBegin();
  const r = size === 8 ? fromInt64(c, v, c.rhi, false) : v;
  mxcsrCommit(c);
  c.xf64[i.reg * 2] = r;
}

/** CVT(T)SS2SI and CVT(T)SD2SI: F3/F2 0F 2C (truncating) and 2D. */
function cvtToSi(c: Cpu, i: Insn, double: boolean): void {
  sseCheck(c);
  const s = xmmSrc(c, i, double ? 8 : 4, false);
  const truncate = (i.opcode & 0xff) === 0x2c;
  mxcsrBegin();
  // Conversions to integers report only IE and PE (no DE).
  const v = double ? denormIn64(c, c.xf64[s * 2], false) : denormIn32(c, c.xf32[s * 4], false);
  let lo: number;
  let hi = 0;
  if (i.osize === 8) {
    lo = toInt64(c, v, truncate);
    hi = int64Hi;
  } else lo = toInt32(c, v, truncate);
  mxcsrCommit(c);
  c.setReg(i.osize === 8 ? 8 : 4, i.reg, lo, hi);
}

function cvtss2si(c: Cpu, i: Insn): void {
  cvtToSi(c, i, false);
}

function cvtsd2si(c: Cpu, i: Insn): void {
  cvtToSi(c, i, true);
}

/** Single lane s (x32 index) → double lane o (xf64 index). */
function laneS2D(c: Cpu, si: number, oi: number): void {
  const v = c.xf32[si];
  if (v !== v) nan32to64(c, c.x32[si], oi * 2);
  else c.xf64[oi] = denormIn32(c, v);
}

/** Double lane (xf64 index) → single lane o (x32 index). */
function laneD2S(c: Cpu, si: number, oi: number): void {
  const v = c.xf64[si];
  if (v !== v) c.x32[oi] = nan64to32(c.x32[si * 2], c.x32[si * 2 + 1]);
  else c.xf32[oi] = isFinite(v) ? roundResult(c, denormIn64(c, v), 0, true) : v;
}

function cvtss2sd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 4, false);
  mxcsrBegin();
  laneS2D(c, s * 4, OUT * 2);
  mxcsrCommit(c);
  c.x32[i.reg * 4] = c.x32[OUT * 4];
  c.x32[i.reg * 4 + 1] = c.x32[OUT * 4 + 1];
}

function cvtsd2ss(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 8, false);
  mxcsrBegin();
  laneD2S(c, s * 2, OUT * 4);
  mxcsrCommit(c);
  c.x32[i.reg * 4] = c.x32[OUT * 4];
}

function cvtps2pd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 8, false);
  mxcsrBegin();
  laneS2D(c, s * 4, OUT * 2);
  laneS2D(c, s * 4 + 1, OUT * 2 + 1);
  mxcsrCommit(c);
  copyXmm(c, i.reg, OUT);
}

function cvtpd2ps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  mxcsrBegin();
  laneD2S(c, s * 2, OUT * 4);
  laneD2S(c, s * 2 + 1, OUT * 4 + 1);
  c.x32[OUT * 4 + 2] = 0;
  c.x32[OUT * 4 + 3] = 0;
  mxcsrCommit(c);
  copyXmm(c, i.reg, OUT);
}

function cvtdq2ps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  mxcsrBegin();
  for (let k = 0; k < 4; k++) c.xf32[OUT * 4 + k] = roundResult(c, c.x32[s * 4 + k], 0, true);
  mxcsrCommit(c);
  copyXmm(c, i.reg, OUT);
}

/** CVTPS2DQ (66 0F 5B) and CVTTPS2DQ (F3 0F 5B). */
function cvtps2dq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  mxcsrBegin();
  for (let k = 0; k < 4; k++) c.x32[OUT * 4 + k] = toInt32(c, denormIn32(c, c.xf32[s * 4 + k], false), false);
  mxcsrCommit(c);
  copyXmm(c, i.reg, OUT);
}

function cvttps2dq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  mxcsrBegin();
  for (let k = 0; k < 4; k++) c.x32[OUT * 4 + k] = toInt32(c, denormIn32(c, c.xf32[s * 4 + k], false), true);
  mxcsrCommit(c);
  copyXmm(c, i.reg, OUT);
}

function cvtdq2pd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 8, false);
  const a = c.x32[s * 4];
  const b = c.x32[s * 4 + 1];
  c.xf64[i.reg * 2] = a;
  c.xf64[i.reg * 2 + 1] = b;
}

/** CVTPD2DQ (F2 0F E6, MXCSR rounding) and CVTTPD2DQ (66 0F E6, truncating). */
function pd2dq(c: Cpu, i: Insn, truncate: boolean): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  mxcsrBegin();
  c.x32[OUT * 4] = toInt32(c, denormIn64(c, c.xf64[s * 2], false), truncate);
  c.x32[OUT * 4 + 1] = toInt32(c, denormIn64(c, c.xf64[s * 2 + 1], false), truncate);
  c.x32[OUT * 4 + 2] = 0;
  c.x32[OUT * 4 + 3] = 0;
  mxcsrCommit(c);
  copyXmm(c, i.reg, OUT);
}

function cvtpd2dq(c: Cpu, i: Insn): void {
  pd2dq(c, i, false);
}

function cvttpd2dq(c: Cpu, i: Insn): void {
  pd2dq(c, i, true);
}

const M = F_MODRM | F_SSE;
def(0x12a, M, cvtsi2ss, V_F3);
def(0x12a, M, cvtsi2sd, V_F2);
def([0x12c, 0x12d], M, cvtss2si, V_F3);
def([0x12c, 0x12d], M, cvtsd2si, V_F2);
def(0x15a, M, cvtps2pd);
def(0x15a, M, cvtpd2ps, V_66);
def(0x15a, M, cvtss2sd, V_F3);
def(0x15a, M, cvtsd2ss, V_F2);
def(0x15b, M, cvtdq2ps);
def(0x15b, M, cvtps2dq, V_66);
def(0x15b, M, cvttps2dq, V_F3);
def(0x1e6, M, cvtdq2pd, V_F3);
def(0x1e6, M, cvtpd2dq, V_F2);
def(0x1e6, M, cvttpd2dq, V_66);
