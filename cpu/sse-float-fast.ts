/**
 * Decode-time specialisations of the SSE2 double-precision arithmetic compiled code runs most
 * (ADD/SUB/MUL/DIV/SQRT in SD and PD forms) and of the unpacks (UNPCKL/H PS/PD).
 *
 * The arithmetic takes JavaScript's result when it is provably the x86 one with nothing new to
 * report: MXCSR in the QUIET state (round to nearest, all exceptions masked, no DAZ/FTZ, PE
 * already sticky), operands zero or finite normal (no DE, no NaN rules), and a result that is
 * finite normal or an exact zero (no OE/UE; an inexact result only sets PE, which is set).
 * Anything else goes to the general lane code in sse-float.ts, which stays the reference. The
 * checks are written inline so no double is returned from a call (V8 would box it).
 * `dst`/`src` hold the registers' x32 offsets (register × 4), set at decode time.
 */
import type { Cpu } from './cpu.js';
import type { Handler, Insn } from './insn.js';
import { defFast, V_66, V_F2, V_NONE } from './optable.js';
import { srcA128, sseCheck, TMP } from './sse-common.js';
import { exactPD, exactSD, OP_ADD, OP_DIV, OP_MUL, OP_SQRT, OP_SUB, plain64, QUIET, QUIET_MASK } from './sse-float.js';

const MIN_NORMAL64 = 2.2250738585072014e-308;
const MAX64 = Number.MAX_VALUE;

/** A finite normal result: no overflow, and not tiny before or after rounding. */
function normal64(r: number): boolean {
  const a = Math.abs(r);
  return a > MIN_NORMAL64 && a <= MAX64;
}

function quiet(c: Cpu): boolean {
  return (c.mxcsr & QUIET_MASK) === QUIET;
}

/** The x32 offset of an XMM/m64 scalar source (memory is read into TMP's low qword). */
function srcSD(c: Cpu, i: Insn): number {
  if (i.mod === 3) return i.src;
  c.ea(i);
  const lo = c.read64(c.eaLo, c.eaHi);
  const w = c.x32;
  w[TMP * 4] = lo;
  w[TMP * 4 + 1] = c.rhi;
  return TMP * 4;
}

// ---- scalar double ------------------------------------------------------------------------

function addSD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcSD(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const a = f[d];
  const b = f[s];
  const r = a + b;
  // A zero sum of finite operands is exact (and signed as x86 signs it in round-to-nearest).
  if (quiet(c) && plain64(a) && plain64(b) && (normal64(r) || r === 0)) f[d] = r;
  else exactSD(c, d >> 1, s >> 1, OP_ADD);
}

function subSD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcSD(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const a = f[d];
  const b = f[s];
  const r = a - b;
  if (quiet(c) && plain64(a) && plain64(b) && (normal64(r) || r === 0)) f[d] = r;
  else exactSD(c, d >> 1, s >> 1, OP_SUB);
}

function mulSD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcSD(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const a = f[d];
  const b = f[s];
  const r = a * b;
  // A zero product is exact only with a zero factor (else it underflowed).
  if (quiet(c) && plain64(a) && plain64(b) && (normal64(r) || a === 0 || b === 0)) f[d] = r;
  else exactSD(c, d >> 1, s >> 1, OP_MUL);
}

function divSD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcSD(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const a = f[d];
  const b = f[s];
  const r = a / b;
  // A zero dividend over a non-zero divisor is exact; a zero divisor never takes this path.
  if (quiet(c) && plain64(a) && plain64(b) && (normal64(r) || (a === 0 && b !== 0))) f[d] = r;
  else exactSD(c, d >> 1, s >> 1, OP_DIV);
}

function sqrtSD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcSD(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const b = f[s];
  // The root of a positive normal is normal; √±0 = ±0 exactly.
  if (quiet(c) && plain64(b) && b >= 0) f[d] = Math.sqrt(b);
  else exactSD(c, d >> 1, s >> 1, OP_SQRT);
}

// ---- packed double ------------------------------------------------------------------------

function addPD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const a0 = f[d], a1 = f[d + 1], b0 = f[s], b1 = f[s + 1];
  const r0 = a0 + b0, r1 = a1 + b1;
  if (quiet(c) && plain64(a0) && plain64(b0) && plain64(a1) && plain64(b1) && (normal64(r0) || r0 === 0) && (normal64(r1) || r1 === 0)) {
    f[d] = r0;
    f[d + 1] = r1;
  } else exactPD(c, d >> 1, s >> 1, OP_ADD);
}

function subPD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const a0 = f[d], a1 = f[d + 1], b0 = f[s], b1 = f[s + 1];
  const r0 = a0 - b0, r1 = a1 - b1;
  if (quiet(c) && plain64(a0) && plain64(b0) && plain64(a1) && plain64(b1) && (normal64(r0) || r0 === 0) && (normal64(r1) || r1 === 0)) {
    f[d] = r0;
    f[d + 1] = r1;
  } else exactPD(c, d >> 1, s >> 1, OP_SUB);
}

function mulPD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const a0 = f[d], a1 = f[d + 1], b0 = f[s], b1 = f[s + 1];
  const r0 = a0 * b0, r1 = a1 * b1;
  if (
    quiet(c) &&
    plain64(a0) &&
    plain64(b0) &&
    plain64(a1) &&
    plain64(b1) &&
    (normal64(r0) || a0 === 0 || b0 === 0) &&
    (normal64(r1) || a1 === 0 || b1 === 0)
  ) {
    f[d] = r0;
    f[d + 1] = r1;
  } else exactPD(c, d >> 1, s >> 1, OP_MUL);
}

function divPD(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) >> 1;
  const d = i.dst >> 1;
  const f = c.xf64;
  const a0 = f[d], a1 = f[d + 1], b0 = f[s], b1 = f[s + 1];
  const r0 = a0 / b0, r1 = a1 / b1;
  if (
    quiet(c) &&
    plain64(a0) &&
    plain64(b0) &&
    plain64(a1) &&
    plain64(b1) &&
    (normal64(r0) || (a0 === 0 && b0 !== 0)) &&
    (normal64(r1) || (a1 === 0 && b1 !== 0))
  ) {
    f[d] = r0;
    f[d + 1] = r1;
  } else exactPD(c, d >> 1, s >> 1, OP_DIV);
}

// ---- unpacks ------------------------------------------------------------------------------

/** UNPCKLPD / UNPCKHPD: `sub` is the dword offset of the qword read (0 low, 2 high). */
function unpckpd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) + i.sub;
  const d = i.dst;
  const w = c.x32;
  const b0 = w[s], b1 = w[s + 1];
  w[d] = w[d + i.sub];
  w[d + 1] = w[d + i.sub + 1];
  w[d + 2] = b0;
  w[d + 3] = b1;
}

/** UNPCKLPS / UNPCKHPS. */
function unpckps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) + i.sub;
  const d = i.dst;
  const w = c.x32;
  const a0 = w[d + i.sub], a1 = w[d + i.sub + 1];
  const b0 = w[s], b1 = w[s + 1];
  w[d] = a0;
  w[d + 1] = b0;
  w[d + 2] = a1;
  w[d + 3] = b1;
}

function operands(h: Handler): (i: Insn) => Handler {
  return (i) => {
    i.dst = i.reg * 4;
    i.src = i.rm * 4;
    i.sub = (i.opcode & 1) * 2;
    return h;
  };
}

defFast(0x158, operands(addSD), -1, V_F2);
defFast(0x15c, operands(subSD), -1, V_F2);
defFast(0x159, operands(mulSD), -1, V_F2);
defFast(0x15e, operands(divSD), -1, V_F2);
defFast(0x151, operands(sqrtSD), -1, V_F2);
defFast(0x158, operands(addPD), -1, V_66);
defFast(0x15c, operands(subPD), -1, V_66);
defFast(0x159, operands(mulPD), -1, V_66);
defFast(0x15e, operands(divPD), -1, V_66);
defFast([0x114, 0x115], operands(unpckpd), -1, V_66);
defFast([0x114, 0x115], operands(unpckps), -1, V_NONE);
