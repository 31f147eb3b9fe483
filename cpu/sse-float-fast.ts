/**
 * Decode-time specialisations of the SSE2 double-precision arithmetic compiled code runs most
 * (ADD/SUB/MUL/DIV/SQRT in SD and PD forms, MINSD/MAXSD, the COMIS/UCOMIS compares) and of the
 * unpacks and shuffles (UNPCKL/H PS/PD, SHUFPS/SHUFPD).
 *
 * The arithmetic takes JavaScript's result when it is provably the x86 one with nothing new to
 * report: MXCSR in the QUIET state (round to nearest, all exceptions masked, no DAZ/FTZ, PE
 * already sticky), operands neither NaN nor denormal (no IE, DE or NaN rules), and a result that
 * is finite normal or an exact zero (no OE/UE/ZE; an inexact result only sets PE, which is set;
 * an infinite operand gives such a result only as 0/∞, which is exact). Anything else goes to
 * the general lane code in sse-float.ts, which stays the reference. The checks are written out
 * rather than called: a double passed to or returned from a call V8 does not inline is boxed.
 * `dst`/`src` hold the registers' x32 offsets (register × 4), set at decode time.
 */
import type { Cpu } from './cpu.js';
import type { Handler, Insn } from './insn.js';
import { defFast, V_66, V_F2, V_NONE } from './optable.js';
import { GP } from './fault.js';
import { load128, srcA128, sseCheck, TMP } from './sse-common.js';
import {
  comis,
  exactPD,
  exactSD,
  OP_ADD,
  OP_DIV,
  OP_MAX,
  OP_MIN,
  OP_MUL,
  OP_SQRT,
  OP_SUB,
  QUIET,
  QUIET_MASK,
} from './sse-float.js';
import { setArithFlags } from './flags.js';
import { CF, ZF } from './state.js';

const MIN_NORMAL64 = 2.2250738585072014e-308;
const MAX64 = Number.MAX_VALUE;
const MIN_NORMAL32 = 1.1754943508222875e-38;

/** Reads an m64 source into TMP's low qword; returns TMP's xf64 offset. */
function loadSD(c: Cpu, i: Insn): number {
  c.ea(i);
  const lo = c.read64(c.eaLo, c.eaHi);
  const w = c.x32;
  w[TMP * 4] = lo;
  w[TMP * 4 + 1] = c.rhi;
  return TMP * 2;
}

/** Reads an aligned m128 source into TMP; returns TMP's xf64 offset. */
function loadPD(c: Cpu, i: Insn): number {
  c.ea(i);
  if ((c.eaLo & 15) !== 0) c.raise(GP, 0);
  load128(c, TMP);
  return TMP * 2;
}

// ---- scalar double ------------------------------------------------------------------------
// Each operation is a core on xf64 offsets (d, s), wrapped by a register form and a memory form.

function addSDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const a = f[d];
  const b = f[s];
  const r = a + b;
  // A zero sum of finite operands is exact (and signed as x86 signs it in round-to-nearest).
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a === 0 || Math.abs(a) >= MIN_NORMAL64) &&
    (b === 0 || Math.abs(b) >= MIN_NORMAL64) &&
    ((Math.abs(r) > MIN_NORMAL64 && Math.abs(r) <= MAX64) || r === 0)
  ) {
    f[d] = r;
  } else exactSD(c, d >> 1, s >> 1, OP_ADD);
}

function addSDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  addSDCore(c, i.dst >> 1, i.src >> 1);
}

function addSDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  addSDCore(c, i.dst >> 1, loadSD(c, i));
}

function subSDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const a = f[d];
  const b = f[s];
  const r = a - b;
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a === 0 || Math.abs(a) >= MIN_NORMAL64) &&
    (b === 0 || Math.abs(b) >= MIN_NORMAL64) &&
    ((Math.abs(r) > MIN_NORMAL64 && Math.abs(r) <= MAX64) || r === 0)
  ) {
    f[d] = r;
  } else exactSD(c, d >> 1, s >> 1, OP_SUB);
}

function subSDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  subSDCore(c, i.dst >> 1, i.src >> 1);
}

function subSDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  subSDCore(c, i.dst >> 1, loadSD(c, i));
}

function mulSDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const a = f[d];
  const b = f[s];
  const r = a * b;
  // A zero product is exact only with a zero factor (else it underflowed).
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a === 0 || Math.abs(a) >= MIN_NORMAL64) &&
    (b === 0 || Math.abs(b) >= MIN_NORMAL64) &&
    ((Math.abs(r) > MIN_NORMAL64 && Math.abs(r) <= MAX64) || (r === 0 && (a === 0 || b === 0)))
  ) {
    f[d] = r;
  } else exactSD(c, d >> 1, s >> 1, OP_MUL);
}

function mulSDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  mulSDCore(c, i.dst >> 1, i.src >> 1);
}

function mulSDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  mulSDCore(c, i.dst >> 1, loadSD(c, i));
}

function divSDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const a = f[d];
  const b = f[s];
  const r = a / b;
  // A zero dividend over a non-zero divisor is exact; a zero divisor never takes this path.
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a === 0 || Math.abs(a) >= MIN_NORMAL64) &&
    (b === 0 || Math.abs(b) >= MIN_NORMAL64) &&
    ((Math.abs(r) > MIN_NORMAL64 && Math.abs(r) <= MAX64) || (a === 0 && b !== 0))
  ) {
    f[d] = r;
  } else exactSD(c, d >> 1, s >> 1, OP_DIV);
}

function divSDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  divSDCore(c, i.dst >> 1, i.src >> 1);
}

function divSDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  divSDCore(c, i.dst >> 1, loadSD(c, i));
}

function sqrtSDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const b = f[s];
  // The root of a positive normal is normal, of +∞ it is +∞; √±0 = ±0 exactly.
  if ((c.mxcsr & QUIET_MASK) === QUIET && (b === 0 || b >= MIN_NORMAL64)) f[d] = Math.sqrt(b);
  else exactSD(c, d >> 1, s >> 1, OP_SQRT);
}

function sqrtSDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  sqrtSDCore(c, i.dst >> 1, i.src >> 1);
}

function sqrtSDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  sqrtSDCore(c, i.dst >> 1, loadSD(c, i));
}

// ---- packed double ------------------------------------------------------------------------

function addPDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const a0 = f[d], a1 = f[d + 1], b0 = f[s], b1 = f[s + 1];
  const r0 = a0 + b0, r1 = a1 + b1;
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a0 === 0 || Math.abs(a0) >= MIN_NORMAL64) &&
    (b0 === 0 || Math.abs(b0) >= MIN_NORMAL64) &&
    (a1 === 0 || Math.abs(a1) >= MIN_NORMAL64) &&
    (b1 === 0 || Math.abs(b1) >= MIN_NORMAL64) &&
    ((Math.abs(r0) > MIN_NORMAL64 && Math.abs(r0) <= MAX64) || r0 === 0) &&
    ((Math.abs(r1) > MIN_NORMAL64 && Math.abs(r1) <= MAX64) || r1 === 0)
  ) {
    f[d] = r0;
    f[d + 1] = r1;
  } else exactPD(c, d >> 1, s >> 1, OP_ADD);
}

function addPDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  addPDCore(c, i.dst >> 1, i.src >> 1);
}

function addPDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  addPDCore(c, i.dst >> 1, loadPD(c, i));
}

function subPDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const a0 = f[d], a1 = f[d + 1], b0 = f[s], b1 = f[s + 1];
  const r0 = a0 - b0, r1 = a1 - b1;
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a0 === 0 || Math.abs(a0) >= MIN_NORMAL64) &&
    (b0 === 0 || Math.abs(b0) >= MIN_NORMAL64) &&
    (a1 === 0 || Math.abs(a1) >= MIN_NORMAL64) &&
    (b1 === 0 || Math.abs(b1) >= MIN_NORMAL64) &&
    ((Math.abs(r0) > MIN_NORMAL64 && Math.abs(r0) <= MAX64) || r0 === 0) &&
    ((Math.abs(r1) > MIN_NORMAL64 && Math.abs(r1) <= MAX64) || r1 === 0)
  ) {
    f[d] = r0;
    f[d + 1] = r1;
  } else exactPD(c, d >> 1, s >> 1, OP_SUB);
}

function subPDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  subPDCore(c, i.dst >> 1, i.src >> 1);
}

function subPDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  subPDCore(c, i.dst >> 1, loadPD(c, i));
}

function mulPDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const a0 = f[d], a1 = f[d + 1], b0 = f[s], b1 = f[s + 1];
  const r0 = a0 * b0, r1 = a1 * b1;
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a0 === 0 || Math.abs(a0) >= MIN_NORMAL64) &&
    (b0 === 0 || Math.abs(b0) >= MIN_NORMAL64) &&
    (a1 === 0 || Math.abs(a1) >= MIN_NORMAL64) &&
    (b1 === 0 || Math.abs(b1) >= MIN_NORMAL64) &&
    ((Math.abs(r0) > MIN_NORMAL64 && Math.abs(r0) <= MAX64) || (r0 === 0 && (a0 === 0 || b0 === 0))) &&
    ((Math.abs(r1) > MIN_NORMAL64 && Math.abs(r1) <= MAX64) || (r1 === 0 && (a1 === 0 || b1 === 0)))
  ) {
    f[d] = r0;
    f[d + 1] = r1;
  } else exactPD(c, d >> 1, s >> 1, OP_MUL);
}

function mulPDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  mulPDCore(c, i.dst >> 1, i.src >> 1);
}

function mulPDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  mulPDCore(c, i.dst >> 1, loadPD(c, i));
}

function divPDCore(c: Cpu, d: number, s: number): void {
  const f = c.xf64;
  const a0 = f[d], a1 = f[d + 1], b0 = f[s], b1 = f[s + 1];
  const r0 = a0 / b0, r1 = a1 / b1;
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a0 === 0 || Math.abs(a0) >= MIN_NORMAL64) &&
    (b0 === 0 || Math.abs(b0) >= MIN_NORMAL64) &&
    (a1 === 0 || Math.abs(a1) >= MIN_NORMAL64) &&
    (b1 === 0 || Math.abs(b1) >= MIN_NORMAL64) &&
    ((Math.abs(r0) > MIN_NORMAL64 && Math.abs(r0) <= MAX64) || (a0 === 0 && b0 !== 0)) &&
    ((Math.abs(r1) > MIN_NORMAL64 && Math.abs(r1) <= MAX64) || (a1 === 0 && b1 !== 0))
  ) {
    f[d] = r0;
    f[d + 1] = r1;
  } else exactPD(c, d >> 1, s >> 1, OP_DIV);
}

function divPDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  divPDCore(c, i.dst >> 1, i.src >> 1);
}

function divPDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  divPDCore(c, i.dst >> 1, loadPD(c, i));
}

// ---- compares, minimum and maximum ------------------------------------------------------

/** COMISD/UCOMISD core: ZF PF CF from the ordered comparison, OF SF AF cleared. */
function comisdCore(c: Cpu, i: Insn, s: number): void {
  const f = c.xf64;
  const a = f[i.dst >> 1];
  const b = f[s];
  // Neither NaN nor denormal: the comparison raises nothing.
  if ((a === 0 || Math.abs(a) >= MIN_NORMAL64) && (b === 0 || Math.abs(b) >= MIN_NORMAL64)) {
    setArithFlags(c, a < b ? CF : a === b ? ZF : 0);
  } else comis(c, i);
}

function comisdRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  comisdCore(c, i, i.src >> 1);
}

function comisdRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  comisdCore(c, i, loadSD(c, i));
}

function comissCore(c: Cpu, i: Insn, s: number): void {
  const f = c.xf32;
  const a = f[i.dst];
  const b = f[s];
  if ((a === 0 || Math.abs(a) >= MIN_NORMAL32) && (b === 0 || Math.abs(b) >= MIN_NORMAL32)) {
    setArithFlags(c, a < b ? CF : a === b ? ZF : 0);
  } else comis(c, i);
}

function comissRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  comissCore(c, i, i.src);
}

function comissRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  c.x32[TMP * 4] = c.read32(c.eaLo, c.eaHi);
  comissCore(c, i, TMP * 4);
}

/**
 * MINSD/MAXSD core (`sub` 1 for max): the destination when it compares below (above), else the
 * source, which is also the answer for equal operands such as ±0.
 */
function minmaxSDCore(c: Cpu, i: Insn, s: number): void {
  const f = c.xf64;
  const d = i.dst >> 1;
  const a = f[d];
  const b = f[s];
  if ((a === 0 || Math.abs(a) >= MIN_NORMAL64) && (b === 0 || Math.abs(b) >= MIN_NORMAL64)) {
    // Bits, not values: the chosen operand is copied exactly.
    if (!(i.sub === 0 ? a < b : a > b)) {
      const w = c.x32;
      w[i.dst] = w[s * 2];
      w[i.dst + 1] = w[s * 2 + 1];
    }
  } else exactSD(c, d >> 1, s >> 1, i.sub === 0 ? OP_MIN : OP_MAX);
}

function minmaxSDRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  minmaxSDCore(c, i, i.src >> 1);
}

function minmaxSDRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  minmaxSDCore(c, i, loadSD(c, i));
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

/** SHUFPS: `sub` is the immediate; the low two dwords come from the destination. */
function shufps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  const m = i.sub;
  const r0 = w[d + (m & 3)], r1 = w[d + ((m >> 2) & 3)], r2 = w[s + ((m >> 4) & 3)], r3 = w[s + ((m >> 6) & 3)];
  w[d] = r0;
  w[d + 1] = r1;
  w[d + 2] = r2;
  w[d + 3] = r3;
}

/** SHUFPD: the low qword from the destination, the high one from the source. */
function shufpd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) + ((i.sub >> 1) & 1) * 2;
  const d = i.dst;
  const w = c.x32;
  const lo = d + (i.sub & 1) * 2;
  const r0 = w[lo], r1 = w[lo + 1], r2 = w[s], r3 = w[s + 1];
  w[d] = r0;
  w[d + 1] = r1;
  w[d + 2] = r2;
  w[d + 3] = r3;
}

function operands(h: Handler): (i: Insn) => Handler {
  return (i) => {
    i.dst = i.reg * 4;
    i.src = i.rm * 4;
    i.sub = (i.opcode & 1) * 2;
    return h;
  };
}

/** Register and memory source forms. */
function forms(rr: Handler, rm: Handler): (i: Insn) => Handler {
  return (i) => {
    i.dst = i.reg * 4;
    i.src = i.rm * 4;
    return i.mod === 3 ? rr : rm;
  };
}

defFast(0x158, forms(addSDRR, addSDRM), -1, V_F2);
defFast(0x15c, forms(subSDRR, subSDRM), -1, V_F2);
defFast(0x159, forms(mulSDRR, mulSDRM), -1, V_F2);
defFast(0x15e, forms(divSDRR, divSDRM), -1, V_F2);
defFast(0x151, forms(sqrtSDRR, sqrtSDRM), -1, V_F2);
defFast(0x158, forms(addPDRR, addPDRM), -1, V_66);
defFast(0x15c, forms(subPDRR, subPDRM), -1, V_66);
defFast(0x159, forms(mulPDRR, mulPDRM), -1, V_66);
defFast(0x15e, forms(divPDRR, divPDRM), -1, V_66);
defFast([0x114, 0x115], operands(unpckpd), -1, V_66);
defFast([0x114, 0x115], operands(unpckps), -1, V_NONE);
defFast([0x12e, 0x12f], forms(comisdRR, comisdRM), -1, V_66);
defFast([0x12e, 0x12f], forms(comissRR, comissRM), -1, V_NONE);
defFast(
  [0x15d, 0x15f],
  (i) => {
    i.dst = i.reg * 4;
    i.src = i.rm * 4;
    i.sub = i.opcode === 0x15f ? 1 : 0;
    return i.mod === 3 ? minmaxSDRR : minmaxSDRM;
  },
  -1,
  V_F2,
);
/** SHUFPS/SHUFPD keep the immediate in `sub`. */
function shuffle(h: Handler): (i: Insn) => Handler {
  return (i) => {
    i.dst = i.reg * 4;
    i.src = i.rm * 4;
    i.sub = i.imm & 0xff;
    return h;
  };
}

defFast(0x1c6, shuffle(shufps), -1, V_NONE);
defFast(0x1c6, shuffle(shufpd), -1, V_66);
