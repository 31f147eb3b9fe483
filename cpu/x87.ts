/**
 * x87 floating point with exact 80-bit registers (arithmetic in x87-float.ts): loads/stores in
 * every format, arithmetic with FCW precision and rounding control, compares, FXAM, constants,
 * FXCH, FCMOVcc, FCHS/FABS/FSQRT/FRNDINT/FSCALE/FXTRACT/FPREM/FPREM1, the stack and control
 * instructions, environment save/restore, FWAIT.
 *
 * Exceptions: IE (SF for stack faults), DE, ZE, OE, UE, PE with the masked responses; an unmasked
 * one sets ES/B, leaves the destination alone (IE/DE/ZE) or stores the exponent-wrapped result
 * (OE/UE), and the next waiting x87 instruction raises #MF (CR0.NE).
 *
 * The transcendental instructions (F2XM1 FYL2X FYL2XP1 FPTAN FPATAN FSIN FCOS FSINCOS) compute in
 * double precision with Math and then round to FCW.PC: about 53 correct bits instead of ~64.
 */
import type { Cpu } from './cpu.js';
import { MF, NM, UD } from './fault.js';
import { getCF, getPF, getZF, setArithFlags } from './flags.js';
import type { Handler, Insn } from './insn.js';
import { raiseUD } from './decoder.js';
import { def, defFast, F_MODRM, I_NONE } from './optable.js';
import { CF, CR0_EM, CR0_MP, CR0_NE, CR0_TS, PF, ZF } from './state.js';
import {
  add, compare, DE, div, fromSig, I, IE, isDenormal, K_BAD, K_FINITE, K_INF, K_QNAN, K_SNAN, K_ZERO, kind, mul, OE, PE, quietNaN, R,
  roundExt, roundToInt, scale, setExtended, setFormat, setIndefinite, sqrt, UE, X, ZE,
} from './x87-float.js';

const FSW_SF = 0x40, FSW_ES = 0x80;
const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
const CC = C0 | C1 | C2 | C3;
const TWO32 = 4294967296;
const cv = new DataView(new ArrayBuffer(8));

// ---- register stack ------------------------------------------------------------------------

function top(c: Cpu): number {
  return (c.fsw >> 11) & 7;
}

function setTop(c: Cpu, t: number): void {
  c.fsw = (c.fsw & ~0x3800) | ((t & 7) << 11);
}

function phys(c: Cpu, i: number): number {
  return (top(c) + i) & 7;
}

function isEmpty(c: Cpu, i: number): boolean {
  return (c.ftw & (1 << phys(c, i))) === 0;
}

/** Records exception flags; unmasked ones set ES and B for a later #MF. */
function fpuRaise(c: Cpu, flags: number): void {
  c.fsw |= flags;
  if ((flags & 0x3f & ~c.fcw) !== 0) c.fsw |= FSW_ES | 0x8000;
}

function unmasked(c: Cpu, flags: number): boolean {
  return (flags & 0x3f & ~c.fcw) !== 0;
}

/** Operand registers: A and B (sign/exponent, significand words). */
let aS = 0, aH = 0, aL = 0, bS = 0, bH = 0, bL = 0;

/** Loads ST(i) into A (b = false) or B; an empty register is a stack underflow (IE|SF) read as the indefinite NaN. */
function get(c: Cpu, i: number, b: boolean): void {
  const p = phys(c, i);
  let s: number, h: number, l: number;
  if ((c.ftw & (1 << p)) === 0) {
    X.flags |= IE | FSW_SF;
    s = 0xffff;
    h = 0xc0000000;
    l = 0;
  } else {
    s = c.fpSe[p];
    h = c.fpHi[p];
    l = c.fpLo[p];
  }
  if (b) {
    bS = s;
    bH = h;
    bL = l;
  } else {
    aS = s;
    aH = h;
    aL = l;
  }
}

function underflowed(): boolean {
  return (X.flags & FSW_SF) !== 0;
}

function write(c: Cpu, i: number, s: number, h: number, l: number): void {
  const p = phys(c, i);
  c.fpSe[p] = s;
  c.fpHi[p] = h;
  c.fpLo[p] = l;
  c.ftw |= 1 << p;
}

/** Pushes a value (stack overflow: masked → indefinite, unmasked → nothing). */
function push(c: Cpu, s: number, h: number, l: number): void {
  const t = (top(c) - 1) & 7;
  if ((c.ftw & (1 << t)) !== 0) {
    X.flags |= IE | FSW_SF;
    X.c1 = 1;
    if (unmasked(c, IE)) return;
    s = 0xffff;
    h = 0xc0000000;
    l = 0;
  }
  setTop(c, t);
  c.fpSe[t] = s;
  c.fpHi[t] = h;
  c.fpLo[t] = l;
  c.ftw |= 1 << t;
}

function pop(c: Cpu): void {
  const t = top(c);
  c.ftw &= ~(1 << t);
  setTop(c, t + 1);
}

/** A push onto a full stack: IE/SF with C1 = 1; masked, ST0 becomes the indefinite NaN. */
function pushOverflow(c: Cpu): boolean {
  if ((c.ftw & (1 << ((top(c) - 1) & 7))) === 0) return false;
  X.flags |= IE | FSW_SF;
  X.c1 = 1;
  if (!unmasked(c, IE)) push(c, 0xffff, 0xc0000000, 0);
  X.c1 = 1;
  return true;
}

/** FXTRACT/FPTAN/FSINCOS on a full stack: masked, both results are the indefinite NaN. */
function pushFullTwo(c: Cpu): boolean {
  if ((c.ftw & (1 << ((top(c) - 1) & 7))) === 0) return false;
  X.flags |= IE | FSW_SF;
  const underflow = isEmpty(c, 0);
  if (!unmasked(c, IE)) {
    write(c, 0, 0xffff, 0xc0000000, 0);
    push(c, 0xffff, 0xc0000000, 0);
  }
  X.c1 = underflow ? 0 : 1; // an empty ST0 makes it an underflow
  return true;
}

/** A denormal operand with DE unmasked stops the instruction before it computes anything. */
function denormalStop(c: Cpu): boolean {
  return (X.flags & DE) !== 0 && unmasked(c, DE);
}

function begin(): void {
  X.flags = 0;
  X.c1 = 0;
}

/** Commits the flags of an operation: C1 and the exception bits (a stack fault is also IE). */
function commit(c: Cpu): void {
  let f = X.flags;
  c.fsw = (c.fsw & ~C1) | (X.c1 !== 0 ? C1 : 0);
  if ((f & FSW_SF) !== 0) f |= IE;
  fpuRaise(c, f);
}

/** True when the flags so far hold an unmasked IE, DE or ZE: the destination must stay unchanged. */
function blocked(c: Cpu): boolean {
  return unmasked(c, X.flags & (IE | DE | ZE));
}

/** Stores R in ST(i) unless blocked, then commits flags. */
function finish(c: Cpu, i: number): boolean {
  const ok = !blocked(c);
  if (ok) write(c, i, R.se, R.hi, R.lo);
  commit(c);
  return ok;
}

/** The start of every x87 instruction: #NM/#UD by CR0, pending unmasked exception → #MF. */
function fpuCheck(c: Cpu, waiting: boolean): void {
  if ((c.cr0 & CR0_EM) !== 0) c.raise(UD, -1);
  if ((c.cr0 & CR0_TS) !== 0) c.raise(NM, -1);
  if (waiting && (c.fsw & FSW_ES) !== 0 && (c.cr0 & CR0_NE) !== 0) c.raise(MF, -1);
}

// ---- memory operands ----------------------------------------------------------------------

/**
 * The memory operand just loaded was a float/double denormal. Its DE is reported only when the
 * other operand is not a NaN or unsupported (then IE alone decides).
 */
let bDen = false;

/** FLD of a float/double: an SNaN raises IE and is loaded quiet; a denormal raises DE. */
function quietB(): void {
  if (kind(bS, bH, bL) === K_SNAN) {
    X.flags |= IE;
    bH = (bH | 0x40000000) >>> 0;
  }
  if (bDen) X.flags |= DE; // reported, but the value is loaded even when DE is unmasked
}

/** Loads a memory operand into B (floats converted exactly; an SNaN stays signalling for the operation). */
function loadF32(c: Cpu): void {
  bDen = false;
  const v = c.read32(c.eaLo, c.eaHi) >>> 0;
  const sign = (v >>> 31) << 15;
  const e = (v >>> 23) & 0xff;
  const f = v & 0x7fffff;
  bL = 0;
  if (e === 0xff) {
    bS = sign | 0x7fff;
    bH = (0x80000000 | (f << 8)) >>> 0;
  } else if (e === 0) {
    if (f === 0) {
      bS = sign;
      bH = 0;
    } else {
      bDen = true;
      const n = Math.clz32(f) - 8; // shift to put the top bit at 23
      bH = ((f << (8 + n)) | 0x80000000) >>> 0;
      bS = sign | (16383 - 126 - n);
    }
  } else {
    bS = sign | (e - 127 + 16383);
    bH = (0x80000000 | (f << 8)) >>> 0;
  }
}

function loadF64(c: Cpu): void {
  bDen = false;
  const lo = c.read64(c.eaLo, c.eaHi) >>> 0;
  const hi = c.rhi >>> 0;
  const sign = (hi >>> 31) << 15;
  const e = (hi >>> 20) & 0x7ff;
  let fh = hi & 0xfffff;
  let fl = lo;
  if (e === 0x7ff) {
    bS = sign | 0x7fff;
    bH = (0x80000000 | (fh << 11) | (fl >>> 21)) >>> 0;
    bL = (fl << 11) >>> 0;
  } else if (e === 0) {
    if ((fh | fl) === 0) {
      bS = sign;
      bH = bL = 0;
    } else {
      bDen = true;
      // Normalise the 52-bit fraction so its top bit lands on bit 63.
      let ex = 16383 - 1022;
      let h = ((fh << 11) | (fl >>> 21)) >>> 0;
      let l = (fl << 11) >>> 0;
      if (h === 0) {
        h = l;
        l = 0;
        ex -= 32;
      }
      const n = Math.clz32(h);
      if (n > 0) {
        h = ((h << n) | (l >>> (32 - n))) >>> 0;
        l = (l << n) >>> 0;
      }
      bS = sign | (ex - n);
      bH = h;
      bL = l;
    }
    fh = fl = 0;
  } else {
    bS = sign | (e - 1023 + 16383);
    bH = (0x80000000 | (fh << 11) | (fl >>> 21)) >>> 0;
    bL = (fl << 11) >>> 0;
  }
}

function loadInt(c: Cpu, size: number): void {
  let neg = false;
  let h: number, l: number;
  if (size === 8) {
    l = c.read64(c.eaLo, c.eaHi) >>> 0;
    h = c.rhi >>> 0;
    if (h >= 0x80000000) {
      neg = true;
      l = TWO32 - l;
      h = 0xffffffff - h;
      if (l === TWO32) {
        l = 0;
        h += 1;
      }
      h >>>= 0;
    }
  } else {
    const v = size === 2 ? (c.read16(c.eaLo, c.eaHi) << 16) >> 16 : c.read32(c.eaLo, c.eaHi);
    neg = v < 0;
    l = Math.abs(v);
    h = 0;
  }
  // Exact: 64-bit magnitudes fit the significand.
  setFormat(0x37f, 64, 1 - 16383, 16383);
  fromSig(neg ? 1 : 0, 63, h, l);
  bS = R.se;
  bH = R.hi;
  bL = R.lo;
}

function loadExtInto(c: Cpu, off: number): void {
  bL = c.read32(c.eaPlus(off), c.tmpHi) >>> 0;
  bH = c.read32(c.eaPlus(off + 4), c.tmpHi) >>> 0;
  bS = c.read16(c.eaPlus(off + 8), c.tmpHi);
}

function storeExtAt(c: Cpu, off: number, s: number, h: number, l: number): void {
  c.write32(c.eaPlus(off), c.tmpHi, l | 0);
  c.write32(c.eaPlus(off + 4), c.tmpHi, h | 0);
  c.write16(c.eaPlus(off + 8), c.tmpHi, s);
}

/** Converts A to a float (bits 24/53) by FCW.RC; false when nothing may be stored. */
function toFloat(c: Cpu, bits: number): boolean {
  const k = kind(aS, aH, aL);
  const eBits = bits === 24 ? 8 : 11;
  const bias = bits === 24 ? 127 : 1023;
  let e: number, fh: number, fl: number; // fraction as a 52-bit (or 23-bit) value in fh:fl
  if (k === K_BAD) {
    X.flags |= IE;
    aS = 0xffff;
    aH = 0xc0000000;
    aL = 0;
  }
  const sign = aS >>> 15;
  const k2 = kind(aS, aH, aL);
  if (k2 === K_QNAN || k2 === K_SNAN) {
    if (k2 === K_SNAN) X.flags |= IE;
    e = (1 << eBits) - 1;
    fh = (aH | 0x40000000) & 0x7fffffff;
    fl = aL;
  } else if (k2 === K_INF) {
    e = (1 << eBits) - 1;
    fh = fl = 0;
  } else if (k2 === K_ZERO) {
    e = fh = fl = 0;
  } else {
    setFormat(c.fcw, bits, 1 - bias, bias);
    roundExt(aS, aH, aL);
    if (unmasked(c, X.flags & (OE | UE))) {
      // Nothing is stored, so nothing was inexact either.
      X.flags &= ~PE;
      X.c1 = 0;
      return false;
    }
    const re = R.se & 0x7fff;
    if (re === 0x7fff) {
      e = (1 << eBits) - 1; // rounded to infinity
      fh = fl = 0;
    } else if ((R.hi & 0x80000000) === 0) {
      // Denormal (or zero) at the target's minimum exponent: the field is sig >> (64 − bits).
      e = 0;
      fh = R.hi;
      fl = R.lo;
    } else {
      e = re - 16383 + bias;
      fh = R.hi & 0x7fffffff;
      fl = R.lo;
    }
  }
  if (blocked(c)) return false;
  // Pack: the fraction sits below bit 63 of fh:fl; take its top 23 or 52 bits.
  if (bits === 24) {
    c.write32(c.eaLo, c.eaHi, ((sign << 31) | (e << 23) | ((fh >>> 8) & 0x7fffff)) | 0);
  } else {
    const hiFrac = (fh >>> 11) & 0xfffff;
    const loFrac = ((fh << 21) | (fl >>> 11)) >>> 0;
    c.write64(c.eaLo, c.eaHi, loFrac | 0, ((sign << 31) | (e << 20) | hiFrac) | 0);
  }
  return true;
}

/** Stores A as an integer (rounded by RC, or truncated); out of range/NaN → indefinite or nothing. */
function toInt(c: Cpu, size: number, truncate: boolean): boolean {
  const k = kind(aS, aH, aL);
  let ok = k === K_ZERO || k === K_FINITE;
  const neg = aS >>> 15;
  if (ok) {
    roundToInt(aS, aH, aL, truncate ? 3 : (c.fcw >> 10) & 3);
    const limitHi = size === 8 ? 0x80000000 : 0;
    const limitLo = size === 8 ? 0 : size === 4 ? 0x80000000 : 0x8000;
    // Magnitude must be < limit, or == limit when negative.
    const cmpv = I.big ? 1 : I.hi !== limitHi ? (I.hi > limitHi ? 1 : -1) : I.lo !== limitLo ? (I.lo > limitLo ? 1 : -1) : 0;
    ok = cmpv < 0 || (cmpv === 0 && neg === 1);
  }
  if (!ok) {
    X.flags |= IE;
    if (unmasked(c, IE)) return false;
    if (size === 2) c.write16(c.eaLo, c.eaHi, 0x8000);
    else if (size === 4) c.write32(c.eaLo, c.eaHi, 0x80000000 | 0);
    else c.write64(c.eaLo, c.eaHi, 0, 0x80000000 | 0);
    return true;
  }
  if (I.inexact) X.flags |= PE;
  X.c1 = I.up ? 1 : 0;
  if (blocked(c)) return false;
  let h = I.hi, l = I.lo;
  if (neg && (h !== 0 || l !== 0)) {
    l = TWO32 - l;
    h = 0xffffffff - h;
    if (l === TWO32) {
      l = 0;
      h += 1;
    }
  }
  if (size === 2) c.write16(c.eaLo, c.eaHi, l & 0xffff);
  else if (size === 4) c.write32(c.eaLo, c.eaHi, l | 0);
  else c.write64(c.eaLo, c.eaHi, l | 0, h | 0);
  return true;
}

// ---- packed BCD (FBLD/FBSTP): 18 digits in bytes 0–8 (low digit first), sign in byte 9 ----

const limb = new Float64Array(4);
const bcd = new Uint8Array(10);

function loadBcd(c: Cpu): void {
  for (let k = 0; k < 10; k++) bcd[k] = c.read8(c.eaPlus(k), c.tmpHi);
  c.checkAlignment(c.eaLo, 8);
  // value = Σ digits·10^k, accumulated in four 16-bit limbs (exact; invalid digits as hardware
  // leaves undefined are taken at face value).
  limb.fill(0);
  for (let k = 8; k >= 0; k--) {
    for (let d = 1; d >= 0; d--) {
      const digit = (bcd[k] >> (4 * d)) & 15;
      let carry = digit;
      for (let l = 0; l < 4; l++) {
        const v = limb[l] * 10 + carry;
        limb[l] = v % 65536;
        carry = Math.floor(v / 65536);
      }
    }
  }
  const hi = limb[3] * 65536 + limb[2];
  const lo = limb[1] * 65536 + limb[0];
  setFormat(0x37f, 64, 1 - 16383, 16383);
  fromSig(bcd[9] >> 7, 63, hi, lo);
  bS = R.se;
  bH = R.hi;
  bL = R.lo;
}

/** Rounds A by RC and stores it as packed BCD; out of range/NaN → the BCD indefinite. */
function storeBcd(c: Cpu): boolean {
  const k = kind(aS, aH, aL);
  let ok = k === K_ZERO || k === K_FINITE;
  if (ok) {
    roundToInt(aS, aH, aL, (c.fcw >> 10) & 3);
    // |value| must stay below 10^18 = 0x0DE0B6B3_A7640000.
    ok = !I.big && (I.hi < 0x0de0b6b3 || (I.hi === 0x0de0b6b3 && I.lo < 0xa7640000));
  }
  c.probeWrite(c.eaLo, c.eaHi, 10);
  c.checkAlignment(c.eaLo, 8);
  if (!ok) {
    X.flags |= IE;
    if (unmasked(c, IE)) return false;
    bcd.fill(0);
    bcd[7] = 0xc0;
    bcd[8] = 0xff;
    bcd[9] = 0xff;
  } else {
    if (I.inexact) X.flags |= PE;
    X.c1 = I.up ? 1 : 0;
    limb[0] = I.lo & 0xffff;
    limb[1] = I.lo >>> 16;
    limb[2] = I.hi & 0xffff;
    limb[3] = I.hi >>> 16;
    bcd.fill(0);
    for (let n = 0; n < 18; n++) {
      // Divide the limbs by 10; the remainder is the next digit.
      let rem = 0;
      for (let l = 3; l >= 0; l--) {
        const v = rem * 65536 + limb[l];
        limb[l] = Math.floor(v / 10);
        rem = v - limb[l] * 10;
      }
      bcd[n >> 1] |= rem << (4 * (n & 1));
    }
    bcd[9] = (aS & 0x8000) !== 0 ? 0x80 : 0;
  }
  for (let n = 0; n < 10; n++) c.write8(c.eaPlus(n), c.tmpHi, bcd[n]);
  return true;
}

// ---- arithmetic ---------------------------------------------------------------------------

/** R = A op B for op 0 ADD, 1 MUL, 4 SUB, 5 SUBR, 6 DIV, 7 DIVR (the ModRM.reg numbering). */
function arith(c: Cpu, op: number): void {
  setExtended(c.fcw);
  switch (op) {
    case 0:
      add(aS, aH, aL, bS, bH, bL, false);
      break;
    case 1:
      mul(aS, aH, aL, bS, bH, bL);
      break;
    case 4:
      add(aS, aH, aL, bS, bH, bL, true);
      break;
    case 5:
      add(bS, bH, bL, aS, aH, aL, true);
      break;
    case 6:
      div(aS, aH, aL, bS, bH, bL);
      break;
    default:
      div(bS, bH, bL, aS, aH, aL);
  }
}

/** Orders A and B for the compare family: -1, 0, 1, or 2 when unordered (raising IE/DE as needed). */
const UNORDERED = 2;

function compareOrder(quiet: boolean): number {
  const ka = kind(aS, aH, aL);
  const kb = kind(bS, bH, bL);
  if (ka >= K_QNAN || kb >= K_QNAN) {
    if (!quiet || ka === K_SNAN || kb === K_SNAN || ka === K_BAD || kb === K_BAD) X.flags |= IE;
    return UNORDERED;
  }
  if (isDenormal(aS, aH, aL) || isDenormal(bS, bH, bL)) X.flags |= DE;
  return compare(aS, aH, aL, bS, bH, bL);
}

/** FCOM family on A, B: sets C3 C2 C0 (unordered: all three), clears C1. */
function compareFlags(c: Cpu, quiet: boolean): void {
  const r = compareOrder(quiet);
  const f = r === UNORDERED ? C3 | C2 | C0 : r < 0 ? C0 : r === 0 ? C3 : 0;
  X.c1 = 0;
  c.fsw = (c.fsw & ~(C3 | C2 | C0)) | f;
  commit(c);
}

/** FCOMI family: ZF PF CF. */
function compareEflags(c: Cpu, quiet: boolean): void {
  const r = compareOrder(quiet);
  const f = r === UNORDERED ? ZF | PF | CF : r < 0 ? CF : r === 0 ? ZF : 0;
  // C1 is left alone unless the stack underflowed.
  X.c1 = (X.flags & FSW_SF) !== 0 ? 0 : (c.fsw & C1) !== 0 ? 1 : 0;
  setArithFlags(c, f);
  commit(c);
}

function fxam(c: Cpu): number {
  const p = phys(c, 0);
  const s = c.fpSe[p];
  const sign = (s & 0x8000) !== 0 ? C1 : 0;
  if (isEmpty(c, 0)) return C3 | C0 | sign;
  const h = c.fpHi[p], l = c.fpLo[p];
  const k = kind(s, h, l);
  switch (k) {
    case K_BAD:
      return sign;
    case K_QNAN:
    case K_SNAN:
      return C0 | sign;
    case K_INF:
      return C2 | C0 | sign;
    case K_ZERO:
      return C3 | sign;
  }
  return isDenormal(s, h, l) ? C3 | C2 | sign : C2 | sign;
}

/**
 * Constants FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ: exponent, truncated 64-bit significand,
 * and whether the bits beyond are above one half (none is exactly half), for rounding by RC.
 */
const CONST_SE = [0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe, 0];
const CONST_HI = [0x80000000, 0xd49a784b, 0xb8aa3b29, 0xc90fdaa2, 0x9a209a84, 0xb17217f7, 0];
const CONST_LO = [0, 0xcd1b8afe, 0x5c17f0bb, 0x2168c234, 0xfbcff798, 0xd1cf79ab, 0];
const CONST_ROUND = [false, false, true, true, true, true, false];
const CONST_EXACT = [true, false, false, false, false, false, true];

function pushConstant(c: Cpu, k: number): void {
  const rc = (c.fcw >> 10) & 3;
  let lo = CONST_LO[k];
  if (!CONST_EXACT[k] && (rc === 0 ? CONST_ROUND[k] : rc === 2)) lo += 1;
  push(c, CONST_SE[k], CONST_HI[k], lo >>> 0);
}

/**
 * The transcendental instructions compute in doubles: an operand is split into a 53-bit head
 * (a double, exact) and the tail of its remaining 11 bits, the function is evaluated at the head
 * with Math, and a first-order correction for the tail (the derivative times the tail) is added
 * in extended precision. The result is good to about 52 bits, not hardware's ~64.
 */
let tail = 0;

function head(s: number, h: number, l: number): number {
  const e = s & 0x7fff;
  const scale = Math.pow(2, (e === 0 ? 1 : e) - 16383 - 63);
  const neg = (s & 0x8000) !== 0;
  // h·2^32 plus the top 21 bits of l: exactly 53 significant bits, so the double is exact.
  const hd = (h * TWO32 + ((l & ~0x7ff) >>> 0)) * scale;
  const t = (l & 0x7ff) * scale;
  tail = neg ? -t : t;
  return neg ? -hd : hd;
}

/** Loads the double d into B exactly (for the result combination below). */
function doubleToB(d: number): void {
  cv.setFloat64(0, d, true);
  const lo = cv.getUint32(0, true);
  const hi = cv.getUint32(4, true);
  const e = (hi >>> 20) & 0x7ff;
  const sign = (hi >>> 31) << 15;
  if (e === 0x7ff) {
    bS = sign | 0x7fff;
    bH = d !== d ? 0xc0000000 : 0x80000000;
    bL = 0;
    return;
  }
  let h = (((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0;
  let l = (lo << 11) >>> 0;
  if (e === 0) {
    // A double denormal (or zero): normalise into the extended range.
    setFormat(0x37f, 64, 1 - 16383, 16383);
    fromSig(sign >>> 15, -1022, h, l);
    bS = R.se;
    bH = R.hi;
    bL = R.lo;
    return;
  }
  h = (h | 0x80000000) >>> 0;
  bS = sign | (e - 1023 + 16383);
  bH = h;
  bL = l;
}

/** R = main + corr, rounded to 64 bits by RC (PC does not apply to these instructions). */
function transResult(c: Cpu, main: number, corr: number): void {
  if (main !== main) {
    X.flags |= IE;
    setIndefinite();
    return;
  }
  doubleToB(corr === corr && isFinite(main) ? corr : 0);
  const cs = bS, ch = bH, cl = bL;
  doubleToB(main);
  const saved = X.flags;
  setExtended(c.fcw | 0x300);
  add(bS, bH, bL, cs, ch, cl, false);
  X.flags = saved | PE;
}

/** Special operands of the transcendental one-operand instructions; true when handled. */
function transSpecial(c: Cpu, i: number): boolean {
  const k = kind(aS, aH, aL);
  if (k === K_BAD || k === K_INF) {
    X.flags |= IE;
    setIndefinite();
    finish(c, i);
    return true;
  }
  if (k === K_QNAN || k === K_SNAN) {
    quietNaN(aS, aH, aL, k);
    finish(c, i);
    return true;
  }
  if (isDenormal(aS, aH, aL)) X.flags |= DE;
  return false;
}

function isBig(): boolean {
  // |A| ≥ 2^63: out of range for FSIN/FCOS/FSINCOS/FPTAN (C2 = 1, operand unchanged).
  return (aS & 0x7fff) >= 16383 + 63 && (aS & 0x7fff) !== 0x7fff;
}

/**
 * The common start of FPTAN and FSINCOS, which both leave two results: a full stack, an
 * out-of-range operand (C2 set, nothing else changes) and a NaN, ∞, unsupported or empty operand
 * (the NaN result goes to ST0 and is pushed as well) end the instruction here. Returns the
 * operand's kind, or -1 when the instruction is complete.
 */
function twoResultStart(c: Cpu): number {
  if (pushFullTwo(c)) {
    c.fsw &= ~C2;
    commit(c);
    return -1;
  }
  get(c, 0, false);
  if (isBig()) {
    c.fsw |= C2;
    return -1;
  }
  c.fsw &= ~C2;
  const kk = kind(aS, aH, aL);
  if (kk === K_BAD || kk === K_INF || kk >= K_QNAN) {
    transSpecial(c, 0);
    if (!blocked(c)) push(c, R.se, R.hi, R.lo);
    commit(c);
    return -1;
  }
  return kk;
}


/** R as the hardware writes it back: a pseudo-denormal (exponent 0, integer bit set) gets exponent 1. */
function pseudoDenormalToNormal(): void {
  if ((R.se & 0x7fff) === 0 && (R.hi & 0x80000000) !== 0) R.se |= 1;
}

/** FPREM (nearest = false) / FPREM1 on ST0, ST1. */
function fprem(c: Cpu, nearest: boolean): void {
  get(c, 0, false);
  get(c, 1, true);
  const ka = kind(aS, aH, aL);
  const kb = kind(bS, bH, bL);
  // Remainders are exact: no rounding to FCW.PC.
  setExtended(c.fcw | 0x300);
  c.fsw &= ~C2;
  if (!underflowed() && (ka === K_BAD || kb === K_BAD || ((ka === K_INF || kb === K_ZERO) && ka < K_QNAN && kb < K_QNAN))) {
    X.flags |= IE;
    setIndefinite();
    finish(c, 0);
    return;
  }
  if (underflowed()) {
    setIndefinite();
    finish(c, 0);
    return;
  }
  if (ka >= K_QNAN || kb >= K_QNAN) {
    add(aS, aH, aL, bS, bH, bL, false); // NaN propagation rules of a binary operation
    finish(c, 0);
    return;
  }
  if (isDenormal(aS, aH, aL) || isDenormal(bS, bH, bL)) X.flags |= DE;
  if (denormalStop(c)) return commit(c);
  if (ka === K_ZERO || kb === K_INF) {
    R.se = aS;
    R.hi = aH;
    R.lo = aL; // unchanged, denormal or not (no UE even when unmasked: measured)
    pseudoDenormalToNormal();
    c.fsw &= ~(C0 | C3);
    finish(c, 0);
    return;
  }
  // Unpack both (exponent of the integer bit, normalised significands).
  const ua = unpackExp(aS, aH, aL);
  const ah = uh, al = ul;
  const ub = unpackExp(bS, bH, bL);
  const bh = uh, bl = ul;
  const d = ua - ub;
  if (d < 0) {
    // |a| < |b|: a is the remainder (FPREM1 may still round the quotient to 1).
    if (!nearest || d < -1) {
      c.fsw &= ~(C0 | C3);
      X.c1 = 0;
      R.se = aS;
      R.hi = aH;
      R.lo = aL;
      roundExt(aS, aH, aL); // exact, but a denormal meets unmasked UE here (measured)
      finish(c, 0);
      return;
    }
  }
  const partial = d >= 64;
  const steps = partial ? 32 + ((d - 32) % 32) : d;
  // r = A; q = 0; for each step: q = 2q + (r >= B), r -= B if so, r = 2r (last step no shift).
  let rh = ah, rl = al, q = 0;
  if (d >= 0) {
    for (let s = 0; s <= steps; s++) {
      if (s > 0) {
        rh = rh * 2 + (rl >= 0x80000000 ? 1 : 0);
        rl = rl >= 0x80000000 ? rl * 2 - TWO32 : rl * 2;
      }
      q = (q * 2) & 7;
      if (rh > bh || (rh === bh && rl >= bl)) {
        rl -= bl;
        rh -= bh;
        if (rl < 0) {
          rl += TWO32;
          rh -= 1;
        }
        q |= 1;
      }
    }
  }
  let sign = aS >>> 15;
  let rExp = partial ? ua - steps : ub; // exponent of the remainder's bit 63
  if (nearest && !partial) {
    // Round the quotient to nearest (ties to even): compare twice the remainder with B.
    let cmpv: number, th: number, tl: number;
    if (d < 0) {
      // d = −1: a/b = A/2B, so q = 1 exactly when A > B; then |r| = 2B − A at a's exponent.
      cmpv = ah > bh || (ah === bh && al > bl) ? 1 : -1;
      th = bh * 2 + (bl >= 0x80000000 ? 1 : 0);
      tl = bl >= 0x80000000 ? bl * 2 - TWO32 : bl * 2;
      rh = ah;
      rl = al;
      rExp = ua;
    } else {
      const r2h = rh * 2 + (rl >= 0x80000000 ? 1 : 0);
      const r2l = rl >= 0x80000000 ? rl * 2 - TWO32 : rl * 2;
      cmpv = r2h > bh || (r2h === bh && r2l > bl) ? 1 : r2h === bh && r2l === bl ? 0 : -1;
      th = bh;
      tl = bl;
    }
    if (cmpv > 0 || (cmpv === 0 && (q & 1) !== 0)) {
      // r' = B − r (or 2B − A), with the sign flipped.
      q = (q + 1) & 7;
      let nl = tl - rl;
      let nh = th - rh;
      if (nl < 0) {
        nl += TWO32;
        nh -= 1;
      }
      rh = nh;
      rl = nl;
      sign ^= 1;
    }
  }
  c.fsw &= ~(C0 | C1 | C3);
  if (partial) c.fsw |= C2;
  else c.fsw |= (q & 1 ? C1 : 0) | (q & 2 ? C3 : 0) | (q & 4 ? C0 : 0);
  fromSig(sign, rExp, rh >>> 0, rl >>> 0);
  if (R.hi === 0 && R.lo === 0) R.se = aS & 0x8000;
  X.flags &= ~PE;
  const c1 = c.fsw & C1;
  X.c1 = c1 !== 0 ? 1 : 0;
  finish(c, 0);
}

let uh = 0, ul = 0;
function unpackExp(s: number, h: number, l: number): number {
  let e = s & 0x7fff;
  if (e === 0) e = 1;
  e -= 16383;
  if (h === 0) {
    h = l;
    l = 0;
    e -= 32;
  }
  const n = Math.clz32(h);
  if (n > 0) {
    h = ((h << n) | (l >>> (32 - n))) >>> 0;
    l = (l << n) >>> 0;
  }
  uh = h >>> 0;
  ul = l >>> 0;
  return e - n;
}

/** Register-form D9 (FLD ST(i), FXCH, FCHS, FABS, FTST, FXAM, constants, the rest of D9 F0–FF). */
function d9reg(c: Cpu, i: Insn): void {
  const r = i.reg & 7;
  const k = i.rm & 7;
  begin();
  switch (r) {
    case 0: // FLD ST(i)
      if (isEmpty(c, k) && pushOverflow(c)) {
        X.c1 = 0; // underflow and overflow at once: reported as underflow
        return commit(c);
      }
      if (pushOverflow(c)) return commit(c);
      get(c, k, false);
      if (underflowed() && unmasked(c, IE)) return commit(c);
      push(c, aS, aH, aL);
      return commit(c);
    case 1: {
      // FXCH
      get(c, 0, false);
      get(c, k, true);
      if (!blocked(c)) {
        write(c, 0, bS, bH, bL);
        write(c, k, aS, aH, aL);
      }
      return commit(c);
    }
    case 2:
      if (k === 0) return; // FNOP
      break;
    case 4:
      switch (k) {
        case 0:
        case 1:
          get(c, 0, false);
          if (blocked(c)) return commit(c);
          if (underflowed()) write(c, 0, aS, aH, aL);
          else write(c, 0, k === 0 ? aS ^ 0x8000 : aS & 0x7fff, aH, aL);
          return commit(c);
        case 4:
          get(c, 0, false);
          bS = bH = bL = 0;
          return compareFlags(c, false);
        case 5:
          c.fsw = (c.fsw & ~CC) | fxam(c);
          return;
      }
      break;
    case 5:
      if (k <= 6) {
        if (!pushOverflow(c)) pushConstant(c, k);
        return commit(c);
      }
      break;
    case 6:
      return d9f0(c, k);
    case 7:
      return d9f8(c, k);
  }
  c.raise(UD, -1);
}

/** D9 F0–F7: F2XM1 FYL2X FPTAN FPATAN FXTRACT FPREM1 FDECSTP FINCSTP. */
function d9f0(c: Cpu, k: number): void {
  switch (k) {
    case 0: {
      get(c, 0, false);
      if (transSpecial(c, 0)) return;
      if (kind(aS, aH, aL) === K_ZERO) R.se = aS;
      else {
        const a = head(aS, aH, aL);
        transResult(c, Math.expm1(a * Math.LN2), Math.pow(2, a) * Math.LN2 * tail);
      }
      if (kind(aS, aH, aL) === K_ZERO) {
        R.se = aS;
        R.hi = R.lo = 0;
      }
      finish(c, 0);
      return;
    }
    case 1:
    case 3: {
      // FYL2X: ST1 = ST1 × log2(ST0); FPATAN: ST1 = atan2(ST1, ST0). Then pop.
      get(c, 0, false);
      get(c, 1, true);
      const ka = kind(aS, aH, aL), kb = kind(bS, bH, bL);
      setExtended(c.fcw);
      if (underflowed()) setIndefinite();
      else if (ka === K_BAD || kb === K_BAD || ka >= K_QNAN || kb >= K_QNAN) {
        add(aS, aH, aL, bS, bH, bL, false);
      } else {
        if (isDenormal(aS, aH, aL) || isDenormal(bS, bH, bL)) X.flags |= DE;
        const x = head(aS, aH, aL);
        const xl = tail;
        const y = head(bS, bH, bL);
        const yl = tail;
        if (k === 3) transResult(c, Math.atan2(y, x), (x * yl - y * xl) / (x * x + y * y));
        else if (x < 0 || (x === 0 && y === 0) || (x === 1 && !isFinite(y))) {
          X.flags |= IE;
          setIndefinite();
        } else {
          if (x === 0 && isFinite(y)) X.flags |= ZE;
          const l2 = Math.log2(x);
          transResult(c, y * l2, y * (xl / (x * Math.LN2)) + yl * l2);
        }
      }
      if (finish(c, 1)) pop(c);
      return;
    }
    case 2: {
      // FPTAN: ST0 = tan(ST0), push 1.
      const kk = twoResultStart(c);
      if (kk < 0) return;
      if (kk === K_ZERO) {
        R.se = aS;
        R.hi = R.lo = 0;
      } else {
        const a = head(aS, aH, aL);
        const t = Math.tan(a);
        transResult(c, t, (1 + t * t) * tail);
      }
      if (finish(c, 0)) push(c, 0x3fff, 0x80000000, 0);
      commit(c);
      return;
    }
    case 4: {
      // FXTRACT
      if (pushFullTwo(c)) return commit(c);
      get(c, 0, false);
      const kk = kind(aS, aH, aL);
      if (kk === K_BAD || kk >= K_QNAN) {
        if (kk === K_BAD) {
          X.flags |= IE;
          setIndefinite();
        } else quietNaN(aS, aH, aL, kk);
        if (finish(c, 0) || !unmasked(c, IE)) push(c, R.se, R.hi, R.lo);
        return commit(c);
      }
      if (kk === K_ZERO) {
        X.flags |= ZE;
        if (unmasked(c, ZE)) return commit(c);
        write(c, 0, 0xffff, 0x80000000, 0);
        push(c, aS, 0, 0);
        return commit(c);
      }
      if (kk === K_INF) {
        write(c, 0, 0x7fff, 0x80000000, 0);
        push(c, aS, aH, aL);
        return commit(c);
      }
      if (isDenormal(aS, aH, aL)) {
        X.flags |= DE;
        if (unmasked(c, DE)) return commit(c);
      }
      const e = unpackExp(aS, aH, aL);
      const sh = uh, sl = ul;
      setFormat(0x37f, 64, 1 - 16383, 16383);
      fromSig(e < 0 ? 1 : 0, 63, 0, Math.abs(e));
      write(c, 0, R.se, R.hi, R.lo);
      push(c, (aS & 0x8000) | 0x3fff, sh, sl);
      return commit(c);
    }
    case 5:
      begin();
      fprem(c, true);
      return;
    case 6:
      setTop(c, top(c) - 1);
      c.fsw &= ~C1;
      return;
    default:
      setTop(c, top(c) + 1);
      c.fsw &= ~C1;
      return;
  }
}

/** D9 F8–FF: FPREM FYL2XP1 FSQRT FSINCOS FRNDINT FSCALE FSIN FCOS. */
function d9f8(c: Cpu, k: number): void {
  switch (k) {
    case 0:
      fprem(c, false);
      return;
    case 1: {
      get(c, 0, false);
      get(c, 1, true);
      const ka = kind(aS, aH, aL), kb = kind(bS, bH, bL);
      setExtended(c.fcw);
      if (underflowed()) setIndefinite();
      else if (ka === K_BAD || kb === K_BAD || ka >= K_QNAN || kb >= K_QNAN) add(aS, aH, aL, bS, bH, bL, false);
      else {
        if (isDenormal(aS, aH, aL) || isDenormal(bS, bH, bL)) X.flags |= DE;
        const x = head(aS, aH, aL);
        const xl = tail;
        const y = head(bS, bH, bL);
        const yl = tail;
        const l2 = Math.log1p(x) / Math.LN2;
        transResult(c, y * l2, y * (xl / ((1 + x) * Math.LN2)) + yl * l2);
      }
      if (finish(c, 1)) pop(c);
      return;
    }
    case 2:
      get(c, 0, false);
      setExtended(c.fcw);
      if (underflowed()) setIndefinite();
      else sqrt(aS, aH, aL);
      finish(c, 0);
      return;
    case 3: {
      // FSINCOS: ST0 = sin, push cos.
      const kk = twoResultStart(c);
      if (kk < 0) return;
      if (isDenormal(aS, aH, aL)) X.flags |= DE;
      const a = head(aS, aH, aL);
      const al = tail;
      transResult(c, Math.cos(a), -Math.sin(a) * al);
      const cs = R.se, ch = R.hi, cl = R.lo;
      transResult(c, Math.sin(a), Math.cos(a) * al);
      if (kk === K_ZERO) {
        R.se = aS;
        R.hi = R.lo = 0;
      }
      if (blocked(c)) return commit(c);
      write(c, 0, R.se, R.hi, R.lo);
      push(c, cs, ch, cl);
      return commit(c);
    }
    case 4: {
      // FRNDINT by FCW.RC (whole-significand precision).
      get(c, 0, false);
      const kk = kind(aS, aH, aL);
      if (kk !== K_FINITE) {
        if (kk === K_BAD) {
          X.flags |= IE;
          setIndefinite();
        } else if (kk >= K_QNAN) quietNaN(aS, aH, aL, kk);
        else {
          R.se = aS;
          R.hi = aH;
          R.lo = aL;
        }
        finish(c, 0);
        return;
      }
      if (isDenormal(aS, aH, aL)) X.flags |= DE;
      if (denormalStop(c)) return commit(c);
      roundToInt(aS, aH, aL, (c.fcw >> 10) & 3);
      if (I.big) {
        R.se = aS;
        R.hi = aH;
        R.lo = aL;
      } else {
        setFormat(0x37f, 64, 1 - 16383, 16383);
        fromSig(aS >>> 15, 63, I.hi, I.lo);
        if (I.hi === 0 && I.lo === 0) R.se = aS & 0x8000;
        if (I.inexact) X.flags |= PE;
        X.c1 = I.up ? 1 : 0;
      }
      finish(c, 0);
      return;
    }
    case 5: {
      // FSCALE: ST0 × 2^trunc(ST1).
      get(c, 0, false);
      get(c, 1, true);
      const ka = kind(aS, aH, aL), kb = kind(bS, bH, bL);
      setExtended(c.fcw | 0x300); // FSCALE rounds to 64 bits whatever FCW.PC says
      if (underflowed()) setIndefinite();
      else if (ka === K_BAD || kb === K_BAD || ka >= K_QNAN || kb >= K_QNAN) add(aS, aH, aL, bS, bH, bL, false);
      else if (kb === K_INF) {
        const bneg = (bS & 0x8000) !== 0;
        if ((ka === K_ZERO && !bneg) || (ka === K_INF && bneg)) {
          X.flags |= IE;
          setIndefinite();
        } else {
          if (isDenormal(aS, aH, aL)) X.flags |= DE;
          R.se = ka === K_ZERO || bneg ? aS & 0x8000 : (aS & 0x8000) | 0x7fff;
          R.hi = ka === K_ZERO || bneg ? 0 : 0x80000000;
          R.lo = 0;
        }
      } else if (ka === K_ZERO || ka === K_INF || kb === K_ZERO) {
        // Nothing to scale (2^0 included: a denormal stays as it is, even with UE unmasked).
        if (isDenormal(bS, bH, bL) || (kb === K_ZERO && isDenormal(aS, aH, aL))) X.flags |= DE;
        if (denormalStop(c)) return commit(c);
        R.se = aS;
        R.hi = aH;
        R.lo = aL;
        pseudoDenormalToNormal();
      } else {
        if (isDenormal(aS, aH, aL) || isDenormal(bS, bH, bL)) X.flags |= DE;
        if (denormalStop(c)) return commit(c);
        roundToInt(bS, bH, bL, 3);
        const n = I.big || I.hi !== 0 || I.lo > 100000 ? 100000 : I.lo;
        scale(aS, aH, aL, (bS & 0x8000) !== 0 ? -n : n);
      }
      finish(c, 0);
      return;
    }
    default: {
      // FSIN / FCOS
      get(c, 0, false);
      if (isBig()) {
        c.fsw |= C2;
        return;
      }
      c.fsw &= ~C2;
      if (transSpecial(c, 0)) return;
      const a = head(aS, aH, aL);
      if (k === 6) transResult(c, Math.sin(a), Math.cos(a) * tail);
      else transResult(c, Math.cos(a), -Math.sin(a) * tail);
      if (k === 6 && kind(aS, aH, aL) === K_ZERO) {
        R.se = aS;
        R.hi = R.lo = 0;
      }
      finish(c, 0);
      return;
    }
  }
}

// ---- environment ----------------------------------------------------------------------------

/** The 2-bit tag of physical register p: 0 valid, 1 zero, 2 special, 3 empty. */
function fullTag(c: Cpu, p: number): number {
  if ((c.ftw & (1 << p)) === 0) return 3;
  const s = c.fpSe[p], h = c.fpHi[p], l = c.fpLo[p];
  const e = s & 0x7fff;
  if (e === 0) return h === 0 && l === 0 ? 1 : 2;
  if (e === 0x7fff || (h & 0x80000000) === 0) return 2;
  return 0;
}

function fullTagWord(c: Cpu): number {
  let tw = 0;
  for (let p = 0; p < 8; p++) tw |= fullTag(c, p) << (2 * p);
  return tw;
}

/**
 * FNSTENV/FNSAVE image (32-bit protected-mode layout, 28 bytes) at ea; pointers stored as 0.
 * With alignment checking the image must be 4-byte aligned as a whole (as the hardware shows);
 * its pieces, and FNSAVE's 80-bit registers, are not checked.
 */
function storeEnv(c: Cpu): void {
  c.probeWrite(c.eaLo, c.eaHi, 28);
  c.checkAlignment(c.eaLo, 4);
  c.alignExempt = true;
  c.write32(c.eaLo, c.eaHi, c.fcw | 0xffff0000);
  c.write32(c.eaPlus(4), c.tmpHi, c.fsw | 0xffff0000);
  c.write32(c.eaPlus(8), c.tmpHi, fullTagWord(c) | 0xffff0000);
  c.write32(c.eaPlus(12), c.tmpHi, 0);
  c.write32(c.eaPlus(16), c.tmpHi, 0);
  c.write32(c.eaPlus(20), c.tmpHi, 0);
  c.write32(c.eaPlus(24), c.tmpHi, 0xffff0000 | 0);
  c.alignExempt = false;
}

/** FLDENV/FRSTOR image; aligned as storeEnv's. */
function loadEnv(c: Cpu): void {
  c.checkAlignment(c.eaLo, 4);
  c.fcw = c.read16(c.eaLo, c.eaHi) | 0x40;
  c.fsw = c.read16(c.eaPlus(4), c.tmpHi);
  const tw = c.read16(c.eaPlus(8), c.tmpHi);
  c.ftw = 0;
  for (let p = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) !== 3) c.ftw |= 1 << p;
  // ES/B follow the unmasked exception flags now in force.
  if ((c.fsw & 0x3f & ~c.fcw) !== 0) c.fsw |= FSW_ES | 0x8000;
  else c.fsw &= ~(FSW_ES | 0x8000);
}

function fninit(c: Cpu): void {
  c.fcw = 0x37f;
  c.fsw = 0;
  c.ftw = 0;
}

// ---- dispatch -------------------------------------------------------------------------------

/** D8/DC/DA/DE memory forms: arithmetic and compare of ST0 with the loaded B. */
function memArith(c: Cpu, r: number): void {
  get(c, 0, false);
  const divisorZero = (r === 6 && kind(bS, bH, bL) === K_ZERO) || (r === 7 && kind(aS, aH, aL) === K_ZERO);
  if (bDen && !divisorZero && kind(aS, aH, aL) < K_QNAN && kind(bS, bH, bL) < K_QNAN) {
    X.flags |= DE;
    if (denormalStop(c) && r !== 2 && r !== 3) return commit(c);
  }
  if (r === 2 || r === 3) {
    compareFlags(c, false);
    if (r === 3 && !blocked(c)) pop(c);
    return;
  }
  if (underflowed()) {
    setIndefinite();
    finish(c, 0);
    return;
  }
  arith(c, r);
  finish(c, 0);
}

function x87mem(c: Cpu, op: number, r: number): void {
  switch (op) {
    case 0xd8:
      loadF32(c);
      return memArith(c, r);
    case 0xdc:
      loadF64(c);
      return memArith(c, r);
    case 0xda:
      bDen = false;
      loadInt(c, 4);
      return memArith(c, r);
    case 0xde:
      bDen = false;
      loadInt(c, 2);
      return memArith(c, r);
    case 0xd9:
      switch (r) {
        case 0:
          if (pushOverflow(c)) return commit(c);
          loadF32(c);
          quietB(); // reported, but the value is loaded even when DE is unmasked
          if (unmasked(c, X.flags & IE)) return commit(c);
          push(c, bS, bH, bL);
          return commit(c);
        case 2:
        case 3:
          get(c, 0, false);
          if (toFloat(c, 24) && r === 3) pop(c);
          return commit(c);
        case 4:
          loadEnv(c);
          return;
        case 5:
          c.fcw = c.read16(c.eaLo, c.eaHi) | 0x40;
          if ((c.fsw & 0x3f & ~c.fcw) !== 0) c.fsw |= FSW_ES | 0x8000;
          else c.fsw &= ~(FSW_ES | 0x8000);
          return;
        case 6:
          storeEnv(c);
          c.fcw |= 0x3f;
          c.fsw &= ~(FSW_ES | 0x8000);
          return;
        case 7:
          c.write16(c.eaLo, c.eaHi, c.fcw);
          return;
      }
      break;
    case 0xdb:
      switch (r) {
        case 0:
          if (pushOverflow(c)) return commit(c);
          loadInt(c, 4);
          push(c, bS, bH, bL);
          return commit(c);
        case 1:
        case 2:
        case 3:
          get(c, 0, false);
          if (toInt(c, 4, r === 1) && r !== 2) pop(c);
          return commit(c);
        case 5:
          if (pushOverflow(c)) return commit(c);
          loadExtInto(c, 0);
          c.checkAlignment(c.eaLo, 8);
          push(c, bS, bH, bL);
          return commit(c);
        case 7:
          get(c, 0, false);
          if (underflowed() && unmasked(c, IE)) return commit(c);
          c.probeWrite(c.eaLo, c.eaHi, 10);
          c.checkAlignment(c.eaLo, 8);
          storeExtAt(c, 0, aS, aH, aL);
          pop(c);
          return commit(c);
      }
      break;
    case 0xdd:
      switch (r) {
        case 0:
          if (pushOverflow(c)) return commit(c);
          loadF64(c);
          quietB();
          if (unmasked(c, X.flags & IE)) return commit(c);
          push(c, bS, bH, bL);
          return commit(c);
        case 1:
          get(c, 0, false);
          if (toInt(c, 8, true)) pop(c);
          return commit(c);
        case 2:
        case 3:
          get(c, 0, false);
          if (toFloat(c, 53) && r === 3) pop(c);
          return commit(c);
        case 4: {
          // FRSTOR: environment then ST0..ST7.
          const regs = 28;
          loadEnv(c);
          const t = top(c);
          c.alignExempt = true;
          for (let k = 0; k < 8; k++) {
            loadExtInto(c, regs + k * 10);
            const p = (t + k) & 7;
            c.fpSe[p] = bS;
            c.fpHi[p] = bH;
            c.fpLo[p] = bL;
          }
          c.alignExempt = false;
          return;
        }
        case 6: {
          // FNSAVE: environment, ST0..ST7, then FNINIT.
          c.probeWrite(c.eaLo, c.eaHi, 108);
          storeEnv(c);
          c.alignExempt = true;
          for (let k = 0; k < 8; k++) {
            const p = phys(c, k);
            storeExtAt(c, 28 + k * 10, c.fpSe[p], c.fpHi[p], c.fpLo[p]);
          }
          c.alignExempt = false;
          fninit(c);
          return;
        }
        case 7:
          c.write16(c.eaLo, c.eaHi, c.fsw);
          return;
      }
      break;
    case 0xdf:
      switch (r) {
        case 4:
          // FBLD
          if (pushOverflow(c)) return commit(c);
          loadBcd(c);
          push(c, bS, bH, bL);
          return commit(c);
        case 6:
          // FBSTP
          get(c, 0, false);
          if (storeBcd(c)) pop(c);
          return commit(c);
        case 0:
        case 5:
          if (pushOverflow(c)) return commit(c);
          loadInt(c, r === 0 ? 2 : 8);
          push(c, bS, bH, bL);
          return commit(c);
        case 1:
        case 2:
        case 3:
          get(c, 0, false);
          if (toInt(c, 2, r === 1) && r !== 2) pop(c);
          return commit(c);
        case 7:
          get(c, 0, false);
          if (toInt(c, 8, false)) pop(c);
          return commit(c);
      }
      break;
  }
  c.raise(UD, -1);
}

function x87reg(c: Cpu, op: number, r: number, k: number, i: Insn): void {
  // Undocumented aliases that processors execute: FSTP1/8/9, FCOM2, FCOMP3/5, FXCH4/7.
  if (op === 0xd9 && r === 3) {
    // FSTP1 (FSTPNCE): an empty ST0 raises nothing and is just popped (measured).
    if (isEmpty(c, 0)) {
      c.fsw &= ~C1;
      return pop(c);
    }
    op = 0xdd;
  } else if (op === 0xdc && (r === 2 || r === 3)) op = 0xd8;
  else if (op === 0xde && r === 2) {
    op = 0xd8;
    r = 3;
  } else if ((op === 0xdd || op === 0xdf) && r === 1) op = 0xd9;
  else if (op === 0xdf && (r === 2 || r === 3)) {
    op = 0xdd;
    r = 3;
  }
  switch (op) {
    case 0xd8:
      get(c, 0, false);
      get(c, k, true);
      if (r === 2 || r === 3) {
        compareFlags(c, false);
        if (r === 3 && !blocked(c)) pop(c);
        return;
      }
      if (underflowed()) setIndefinite();
      else arith(c, r);
      finish(c, 0);
      return;
    case 0xdc:
    case 0xde:
      if (op === 0xde && r === 3 && k === 1) {
        // FCOMPP
        get(c, 0, false);
        get(c, 1, true);
        compareFlags(c, false);
        if (!blocked(c)) {
          pop(c);
          pop(c);
        }
        return;
      }
      // ST(i) = ST(i) op ST(0), with SUB/SUBR and DIV/DIVR swapped relative to D8.
      get(c, k, false);
      get(c, 0, true);
      if (underflowed()) setIndefinite();
      else arith(c, r >= 4 ? r ^ 1 : r);
      if (finish(c, k) && op === 0xde) pop(c);
      return;
    case 0xd9:
      d9reg(c, i);
      return;
    case 0xda:
    case 0xdb:
      if (r < 4) {
        // FCMOVcc (DA: B E BE U; DB: the negations).
        let cond = r === 0 ? getCF(c) : r === 1 ? getZF(c) : r === 2 ? getCF(c) || getZF(c) : getPF(c);
        if (op === 0xdb) cond = !cond;
        get(c, 0, true);
        get(c, k, false);
        if (underflowed()) {
          // Either operand empty: ST0 becomes the indefinite NaN whatever the condition.
          if (!unmasked(c, IE)) write(c, 0, 0xffff, 0xc0000000, 0);
          return commit(c);
        }
        if (cond) write(c, 0, aS, aH, aL);
        X.c1 = (c.fsw & C1) !== 0 ? 1 : 0;
        return commit(c);
      }
      if (op === 0xda) {
        // FUCOMPP
        get(c, 0, false);
        get(c, 1, true);
        compareFlags(c, true);
        if (!blocked(c)) {
          pop(c);
          pop(c);
        }
        return;
      }
      if (r === 4) {
        if (k === 3) fninit(c);
        else if (k === 2) c.fsw &= ~(0xff | 0x8000);
        return;
      }
      get(c, 0, false);
      get(c, k, true);
      compareEflags(c, r === 5);
      return;
    case 0xdd:
      switch (r) {
        case 0: // FFREE
          c.ftw &= ~(1 << phys(c, k));
          c.fsw &= ~C1;
          return;
        case 2:
        case 3:
          get(c, 0, false);
          if (underflowed() && unmasked(c, IE)) return commit(c);
          write(c, k, aS, aH, aL);
          if (r === 3) pop(c);
          return commit(c);
        default:
          get(c, 0, false);
          get(c, k, true);
          compareFlags(c, true);
          if (r === 5 && !blocked(c)) pop(c);
          return;
      }
    case 0xdf:
      if (r === 4) {
        c.setR16(0, c.fsw);
        return;
      }
      if (r === 0) {
        // FFREEP (undocumented): FFREE ST(i), then pop.
        c.ftw &= ~(1 << phys(c, k));
        c.fsw &= ~C1;
        pop(c);
        return;
      }
      get(c, 0, false);
      get(c, k, true);
      compareEflags(c, r === 5);
      if (!blocked(c)) pop(c);
      return;
  }
  c.raise(UD, -1);
}

/** Handler for D8–DF: memory forms by opcode/reg, register forms by opcode/reg/rm. */
function x87(c: Cpu, i: Insn): void {
  const op = i.opcode;
  const r = i.reg & 7;
  const mem = i.mod !== 3;
  // Control instructions that do not wait for pending exceptions.
  const noWait =
    (op === 0xd9 && mem && (r === 5 || r === 7 || r === 4 || r === 6)) ||
    (op === 0xdb && !mem && r === 4) ||
    (op === 0xdd && mem && (r === 6 || r === 7 || r === 4)) ||
    (op === 0xdf && !mem && r === 4);
  fpuCheck(c, !noWait);
  begin();
  if (mem) {
    c.ea(i);
    x87mem(c, op, r);
    return;
  }
  x87reg(c, op, r, i.rm & 7, i);
}

/** FWAIT: #NM when CR0.MP and TS, #MF for a pending unmasked exception. */
function fwait(c: Cpu): void {
  if ((c.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) c.raise(NM, -1);
  if ((c.fsw & FSW_ES) !== 0 && (c.cr0 & CR0_NE) !== 0) c.raise(MF, -1);
}

/** Decode-time validity of the D8–DF encodings implemented above (others decode as #UD). */
function validX87(i: Insn): Handler | null {
  const r = i.reg & 7;
  const k = i.rm & 7;
  let ok: boolean;
  if (i.mod !== 3) {
    switch (i.opcode) {
      case 0xd9:
        ok = r !== 1;
        break;
      case 0xdb:
        ok = r !== 4 && r !== 6;
        break;
      case 0xdd:
        ok = r !== 5;
        break;
      default:
        ok = true;
    }
  } else {
    switch (i.opcode) {
      case 0xd9:
        ok = r <= 1 || r === 3 || r >= 6 || (r === 2 && k === 0) || (r === 4 && (k <= 1 || k === 4 || k === 5)) || (r === 5 && k <= 6);
        break;
      case 0xda:
        ok = r < 4 || (r === 5 && k === 1);
        break;
      case 0xdb:
        ok = r < 4 || r === 5 || r === 6 || (r === 4 && (k === 2 || k === 3));
        break;
      case 0xdd:
        ok = r <= 5;
        break;
      case 0xde:
        ok = r !== 3 || k === 1;
        break;
      case 0xdf:
        ok = (r === 4 && k === 0) || r !== 4 && r !== 7;
        break;
      default:
        ok = true;
    }
  }
  return ok ? null : raiseUD;
}

def([0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf], F_MODRM, x87);
defFast([0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf], validX87);
def(0x9b, I_NONE, fwait);
