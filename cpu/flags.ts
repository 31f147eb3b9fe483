/**
 * Lazy arithmetic flags. An instruction records what it did (operation kind, size, operands,
 * result) and the six flags are only computed when something reads them — most results are
 * overwritten before any Jcc looks at them.
 *
 * Operands and results are stored truncated to the operation size (sizes 1 and 2 unsigned, 4 as
 * int32, 8 as int32 lo/hi pairs).
 */
import { AF, ARITH_FLAGS, CF, OF, PF, SF, ZF, type CpuState } from './state.js';

/** ZF/SF/PF from the result; CF, OF and AF are the bits kept in `lextra`. */
export const LOP_RESULT = 0;
export const LOP_ADD = 1;
export const LOP_ADC = 2;
export const LOP_SUB = 3;
export const LOP_SBB = 4;
/** ADD of 1 whose CF is the preserved one in `lextra`. */
export const LOP_INC = 5;
/** SUB of 1 whose CF is the preserved one in `lextra`. */
export const LOP_DEC = 6;
/** All six flags are the bits in `lextra`. */
export const LOP_EAGER = 7;

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let p = 1;
  for (let b = i; b; b >>= 1) p ^= b & 1;
  PARITY[i] = p ? PF : 0;
}

/** Sign bit (0/1) of a value of `size` bytes. */
export function signOf(size: number, lo: number, hi: number): number {
  switch (size) {
    case 1:
      return (lo >> 7) & 1;
    case 2:
      return (lo >> 15) & 1;
    case 4:
      return lo >>> 31;
    default:
      return hi >>> 31;
  }
}

/** Unsigned x < y for values of `size` bytes. */
export function ult(size: number, xLo: number, xHi: number, yLo: number, yHi: number): boolean {
  if (size === 8 && xHi !== yHi) return xHi >>> 0 < yHi >>> 0;
  return xLo >>> 0 < yLo >>> 0;
}

export function setLazy(s: CpuState, op: number, size: number, aLo: number, aHi: number, bLo: number, bHi: number, rLo: number, rHi: number, extra: number): void {
  s.lop = op;
  s.lsize = size;
  s.la = aLo;
  s.laHi = aHi;
  s.lb = bLo;
  s.lbHi = bHi;
  s.lres = rLo;
  s.lresHi = rHi;
  s.lextra = extra;
}

/** Flags from a result, with CF/OF/AF given (logic ops, shifts, multiplies). */
export function setResultFlags(s: CpuState, size: number, rLo: number, rHi: number, cfOfAf: number): void {
  s.lop = LOP_RESULT;
  s.lsize = size;
  s.lres = rLo;
  s.lresHi = rHi;
  s.lextra = cfOfAf;
}

export function getCF(s: CpuState): boolean {
  const size = s.lsize;
  switch (s.lop) {
    case LOP_ADD:
      return ult(size, s.lres, s.lresHi, s.la, s.laHi);
    case LOP_ADC:
      return ult(size, s.lres, s.lresHi, s.la, s.laHi) || (s.lextra !== 0 && s.lres === s.la && s.lresHi === s.laHi);
    case LOP_SUB:
      return ult(size, s.la, s.laHi, s.lb, s.lbHi);
    case LOP_SBB:
      return ult(size, s.la, s.laHi, s.lb, s.lbHi) || (s.lextra !== 0 && s.la === s.lb && s.laHi === s.lbHi);
    default:
      return (s.lextra & CF) !== 0;
  }
}

export function getZF(s: CpuState): boolean {
  if (s.lop === LOP_EAGER) return (s.lextra & ZF) !== 0;
  return s.lsize === 8 ? (s.lres | s.lresHi) === 0 : s.lres === 0;
}

export function getSF(s: CpuState): boolean {
  if (s.lop === LOP_EAGER) return (s.lextra & SF) !== 0;
  return signOf(s.lsize, s.lres, s.lresHi) !== 0;
}

export function getPF(s: CpuState): boolean {
  if (s.lop === LOP_EAGER) return (s.lextra & PF) !== 0;
  return PARITY[s.lres & 0xff] !== 0;
}

export function getOF(s: CpuState): boolean {
  const size = s.lsize;
  switch (s.lop) {
    case LOP_ADD:
    case LOP_ADC:
    case LOP_INC:
      return signOf(size, (s.la ^ s.lres) & (s.lb ^ s.lres), (s.laHi ^ s.lresHi) & (s.lbHi ^ s.lresHi)) !== 0;
    case LOP_SUB:
    case LOP_SBB:
    case LOP_DEC:
      return signOf(size, (s.la ^ s.lb) & (s.la ^ s.lres), (s.laHi ^ s.lbHi) & (s.laHi ^ s.lresHi)) !== 0;
    default:
      return (s.lextra & OF) !== 0;
  }
}

export function getAF(s: CpuState): boolean {
  if (s.lop === LOP_RESULT || s.lop === LOP_EAGER) return (s.lextra & AF) !== 0;
  return ((s.la ^ s.lb ^ s.lres) & 0x10) !== 0;
}

/** The six arithmetic flags as RFLAGS bits. */
export function getArithFlags(s: CpuState): number {
  if (s.lop === LOP_EAGER) return s.lextra & ARITH_FLAGS;
  return (
    (getCF(s) ? CF : 0) |
    (getZF(s) ? ZF : 0) |
    (getSF(s) ? SF : 0) |
    (getPF(s) ? PF : 0) |
    (getOF(s) ? OF : 0) |
    (getAF(s) ? AF : 0)
  );
}

export function getRflags(s: CpuState): number {
  return (s.flagsRest & ~ARITH_FLAGS) | getArithFlags(s) | 2;
}

/** Sets the arithmetic flags from explicit bits (POPF, SAHF, flag-setting system ops). */
export function setArithFlags(s: CpuState, bits: number): void {
  s.lop = LOP_EAGER;
  s.lextra = bits & ARITH_FLAGS;
}

/** Replaces only CF, keeping the other five (CLC/STC/CMC, BT, RCL…). */
export function setCF(s: CpuState, on: boolean): void {
  const f = getArithFlags(s);
  setArithFlags(s, on ? f | CF : f & ~CF);
}

/** Evaluates condition code cc (the low nibble of Jcc/SETcc/CMOVcc). */
export function testCondition(s: CpuState, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0:
      r = getOF(s);
      break;
    case 1:
      r = getCF(s);
      break;
    case 2:
      r = getZF(s);
      break;
    case 3:
      r = getCF(s) || getZF(s);
      break;
    case 4:
      r = getSF(s);
      break;
    case 5:
      r = getPF(s);
      break;
    case 6:
      r = getSF(s) !== getOF(s);
      break;
    default:
      r = getZF(s) || getSF(s) !== getOF(s);
  }
  return (cc & 1) === 0 ? r : !r;
}
