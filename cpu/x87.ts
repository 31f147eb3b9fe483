/**
 * x87 floating point, the basics: loads/stores (32/64/80-bit floats, 16/32/64-bit integers),
 * the arithmetic, compare (FCOM/FUCOM/FCOMI/FUCOMI/FTST/FXAM) and constant instructions, FXCH,
 * FCMOVcc, FCHS/FABS/FSQRT/FRNDINT/FSCALE/FPREM, the transcendental ones, control/status/env
 * (FLDCW/FNSTCW/FNSTSW/FNINIT/FNCLEX/FLDENV/FNSTENV/FNSAVE/FRSTOR), FWAIT.
 *
 * Deviation, documented: values are held as doubles (53-bit significand) rather than 80-bit
 * extended precision, so FCW.PC is ignored and long double results may differ in the last bits
 * from hardware. 80-bit memory operands are converted exactly where a double can represent them.
 * Exceptions: status flags IE (with SF for stack faults), ZE, PE are set; an unmasked one sets ES
 * and the next waiting x87 instruction raises #MF (CR0.NE).
 */
import type { Cpu } from './cpu.js';
import { MF, NM, UD } from './fault.js';
import { getCF, getPF, getZF, setArithFlags } from './flags.js';
import type { Handler, Insn } from './insn.js';
import { raiseUD } from './decoder.js';
import { def, defFast, F_MODRM, I_NONE } from './optable.js';
import { CF, CR0_EM, CR0_MP, CR0_NE, CR0_TS, PF, ZF } from './state.js';
import { doubleToExt, extToDouble } from './x87-format.js';

const FSW_IE = 1, FSW_ZE = 4, FSW_PE = 0x20, FSW_SF = 0x40, FSW_ES = 0x80;
const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
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

/** Records exception flags; unmasked ones set ES (and B) for a later #MF. */
function fpuRaise(c: Cpu, flags: number): void {
  c.fsw |= flags;
  if ((flags & 0x3f & ~c.fcw) !== 0) c.fsw |= FSW_ES | 0x8000;
}

/** The "real indefinite" QNaN (negative, 0xFFF8…): built from bits, JS's own NaN is positive. */
const INDEFINITE = ((): number => {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(4, 0xfff80000, true);
  return v.getFloat64(0, true);
})();

/** ST(i), or the indefinite NaN with a stack-underflow fault. */
function st(c: Cpu, i: number): number {
  if (isEmpty(c, i)) {
    fpuRaise(c, FSW_IE | FSW_SF);
    c.fsw &= ~C1;
    return INDEFINITE;
  }
  return c.fpr[phys(c, i)];
}

function setSt(c: Cpu, i: number, v: number): void {
  const p = phys(c, i);
  c.fpr[p] = v;
  c.ftw |= 1 << p;
}

function push(c: Cpu, v: number): void {
  const t = (top(c) - 1) & 7;
  if ((c.ftw & (1 << t)) !== 0) {
    fpuRaise(c, FSW_IE | FSW_SF | C1);
    v = INDEFINITE;
  }
  setTop(c, t);
  c.fpr[t] = v;
  c.ftw |= 1 << t;
}

function pop(c: Cpu): void {
  const t = top(c);
  c.ftw &= ~(1 << t);
  setTop(c, t + 1);
}

/** The start of every waiting x87 instruction: #NM/#UD by CR0, pending unmasked exception → #MF. */
function fpuCheck(c: Cpu, waiting: boolean): void {
  if ((c.cr0 & CR0_EM) !== 0) c.raise(UD, -1);
  if ((c.cr0 & CR0_TS) !== 0) c.raise(NM, -1);
  if (waiting && (c.fsw & FSW_ES) !== 0 && (c.cr0 & CR0_NE) !== 0) c.raise(MF, -1);
}

// ---- memory operands ----------------------------------------------------------------------

const ext = new Uint8Array(10);

function loadExt(c: Cpu): number {
  for (let k = 0; k < 10; k++) {
    const a = c.eaPlus(k);
    ext[k] = c.read8(a, c.tmpHi);
  }
  return extToDouble(ext, 0);
}

function storeExt(c: Cpu, v: number): void {
  doubleToExt(v, ext, 0);
  c.probeWrite(c.eaLo, c.eaHi, 10);
  for (let k = 0; k < 10; k++) {
    const a = c.eaPlus(k);
    c.write8(a, c.tmpHi, ext[k]);
  }
}

function loadF32(c: Cpu): number {
  cv.setInt32(0, c.read32(c.eaLo, c.eaHi), true);
  return cv.getFloat32(0, true);
}

function loadF64(c: Cpu): number {
  cv.setInt32(0, c.read64(c.eaLo, c.eaHi), true);
  cv.setInt32(4, c.rhi, true);
  return cv.getFloat64(0, true);
}

function storeF32(c: Cpu, v: number): void {
  const f = Math.fround(v);
  if (f !== v && v === v) fpuRaise(c, FSW_PE);
  cv.setFloat32(0, f, true);
  c.write32(c.eaLo, c.eaHi, cv.getInt32(0, true));
}

function storeF64(c: Cpu, v: number): void {
  cv.setFloat64(0, v, true);
  c.write64(c.eaLo, c.eaHi, cv.getInt32(0, true), cv.getInt32(4, true));
}

function loadInt(c: Cpu, size: number): number {
  if (size === 2) return (c.read16(c.eaLo, c.eaHi) << 16) >> 16;
  if (size === 4) return c.read32(c.eaLo, c.eaHi);
  const lo = c.read64(c.eaLo, c.eaHi);
  return c.rhi * TWO32 + (lo >>> 0);
}

/** Rounds by FCW.RC (or truncates), stores an integer; out of range or NaN → integer indefinite. */
function storeInt(c: Cpu, v: number, size: number, truncate: boolean): void {
  const rc = truncate ? 3 : (c.fcw >> 10) & 3;
  let r: number;
  if (rc === 0) {
    r = Math.round(v);
    if (Math.abs(v % 1) === 0.5) r = 2 * Math.round(v / 2);
  } else r = rc === 1 ? Math.floor(v) : rc === 2 ? Math.ceil(v) : Math.trunc(v);
  const limit = size === 2 ? 32768 : size === 4 ? 2147483648 : 9223372036854775808;
  if (!(r >= -limit && r < limit)) {
    fpuRaise(c, FSW_IE);
    if (size === 2) c.write16(c.eaLo, c.eaHi, 0x8000);
    else if (size === 4) c.write32(c.eaLo, c.eaHi, 0x80000000 | 0);
    else c.write64(c.eaLo, c.eaHi, 0, 0x80000000 | 0);
    return;
  }
  if (r !== v) fpuRaise(c, FSW_PE);
  if (size === 2) c.write16(c.eaLo, c.eaHi, r & 0xffff);
  else if (size === 4) c.write32(c.eaLo, c.eaHi, r | 0);
  else {
    const hi = Math.floor(r / TWO32);
    c.write64(c.eaLo, c.eaHi, (r - hi * TWO32) | 0, hi | 0);
  }
}

// ---- arithmetic ---------------------------------------------------------------------------

/** op: 0 ADD, 1 MUL, 4 SUB, 5 SUBR, 6 DIV, 7 DIVR (the ModRM.reg numbering). */
function arith(c: Cpu, op: number, a: number, b: number): number {
  let r: number;
  switch (op) {
    case 0:
      r = a + b;
      break;
    case 1:
      r = a * b;
      break;
    case 4:
      r = a - b;
      break;
    case 5:
      r = b - a;
      break;
    case 6:
      if (b === 0 && a === a && a !== 0 && isFinite(a)) fpuRaise(c, FSW_ZE);
      r = a / b;
      break;
    default:
      if (a === 0 && b === b && b !== 0 && isFinite(b)) fpuRaise(c, FSW_ZE);
      r = b / a;
  }
  if (r !== r && a === a && b === b) {
    fpuRaise(c, FSW_IE);
    return INDEFINITE;
  }
  return r;
}

/** FCOM family: sets C3 C2 C0 (unordered: all three). */
function compareFlags(c: Cpu, a: number, b: number, signalQuiet: boolean): void {
  let f: number;
  if (a !== a || b !== b) {
    f = C3 | C2 | C0;
    if (signalQuiet) fpuRaise(c, FSW_IE);
  } else f = a < b ? C0 : a === b ? C3 : 0;
  c.fsw = (c.fsw & ~(C3 | C2 | C1 | C0)) | f;
}

/** FCOMI family: ZF PF CF. */
function compareEflags(c: Cpu, a: number, b: number, signalQuiet: boolean): void {
  if (a !== a || b !== b) {
    if (signalQuiet) fpuRaise(c, FSW_IE);
    setArithFlags(c, ZF | PF | CF);
  } else setArithFlags(c, a < b ? CF : a === b ? ZF : 0);
  c.fsw &= ~C1;
}

function fxam(c: Cpu): number {
  const sign = isEmpty(c, 0) ? 0 : Object.is(c.fpr[phys(c, 0)], -0) || c.fpr[phys(c, 0)] < 0 ? C1 : 0;
  if (isEmpty(c, 0)) return C3 | C0 | sign;
  const v = c.fpr[phys(c, 0)];
  if (v !== v) return C0 | sign;
  if (!isFinite(v)) return C2 | C0 | sign;
  if (v === 0) return C3 | sign;
  return C2 | sign;
}

const CONSTANTS = [1, Math.log2(10), Math.LOG2E, Math.PI, Math.log10(2), Math.LN2, 0];

/** Register-form D9 (FLD ST(i), FXCH, FCHS, FABS, FTST, FXAM, constants, transcendental). */
function d9reg(c: Cpu, i: Insn): void {
  const r = i.reg & 7;
  const k = i.rm & 7;
  switch (r) {
    case 0: // FLD ST(i)
      push(c, st(c, k));
      return;
    case 1: {
      // FXCH
      const a = st(c, 0);
      const b = st(c, k);
      setSt(c, 0, b);
      setSt(c, k, a);
      c.fsw &= ~C1;
      return;
    }
    case 2:
      if (k === 0) return; // FNOP
      break;
    case 4:
      switch (k) {
        case 0:
          setSt(c, 0, -st(c, 0));
          return;
        case 1:
          setSt(c, 0, Math.abs(st(c, 0)));
          return;
        case 4:
          compareFlags(c, st(c, 0), 0, false);
          return;
        case 5:
          c.fsw = (c.fsw & ~(C3 | C2 | C1 | C0)) | fxam(c);
          return;
      }
      break;
    case 5:
      if (k <= 6) {
        push(c, k === 6 ? 0 : CONSTANTS[k]);
        return;
      }
      break;
    case 6: {
      const a = st(c, 0);
      switch (k) {
        case 0: // F2XM1
          setSt(c, 0, Math.pow(2, a) - 1);
          return;
        case 1: // FYL2X
          setSt(c, 1, st(c, 1) * Math.log2(a));
          pop(c);
          return;
        case 2: // FPTAN
          setSt(c, 0, Math.tan(a));
          push(c, 1);
          c.fsw &= ~C2;
          return;
        case 3: // FPATAN
          setSt(c, 1, Math.atan2(st(c, 1), a));
          pop(c);
          return;
        case 4: {
          // FXTRACT
          if (a === 0 || !isFinite(a)) {
            setSt(c, 0, a === 0 ? -Infinity : a);
            push(c, a);
            if (a === 0) fpuRaise(c, FSW_ZE);
            return;
          }
          const e = Math.floor(Math.log2(Math.abs(a)));
          setSt(c, 0, e);
          push(c, a / Math.pow(2, e));
          return;
        }
        case 5: {
          // FPREM1 (IEEE remainder)
          const b = st(c, 1);
          setSt(c, 0, a - b * Math.round(a / b));
          c.fsw &= ~(C2 | C1 | C3 | C0);
          return;
        }
        case 7: // FINCSTP
          setTop(c, top(c) + 1);
          return;
        case 6: // FDECSTP
          setTop(c, top(c) - 1);
          return;
      }
      break;
    }
    case 7: {
      const a = st(c, 0);
      switch (k) {
        case 0: {
          // FPREM (truncating remainder)
          const b = st(c, 1);
          const q = Math.trunc(a / b);
          setSt(c, 0, a - b * q);
          const qa = Math.abs(q);
          c.fsw = (c.fsw & ~(C3 | C2 | C1 | C0)) | (qa & 1 ? C1 : 0) | (qa & 2 ? C3 : 0) | (qa & 4 ? C0 : 0);
          return;
        }
        case 1: // FYL2XP1
          setSt(c, 1, st(c, 1) * Math.log2(1 + a));
          pop(c);
          return;
        case 2: // FSQRT
          if (a < 0) fpuRaise(c, FSW_IE);
          setSt(c, 0, a < 0 ? INDEFINITE : Math.sqrt(a));
          return;
        case 3: // FSINCOS
          setSt(c, 0, Math.sin(a));
          push(c, Math.cos(a));
          c.fsw &= ~C2;
          return;
        case 4: {
          // FRNDINT by FCW.RC
          const rc = (c.fcw >> 10) & 3;
          let r = rc === 1 ? Math.floor(a) : rc === 2 ? Math.ceil(a) : rc === 3 ? Math.trunc(a) : Math.round(a);
          if (rc === 0 && Math.abs(a % 1) === 0.5) r = 2 * Math.round(a / 2);
          if (r !== a) fpuRaise(c, FSW_PE);
          setSt(c, 0, r);
          return;
        }
        case 5: // FSCALE
          setSt(c, 0, a * Math.pow(2, Math.trunc(st(c, 1))));
          return;
        case 6:
          setSt(c, 0, Math.sin(a));
          c.fsw &= ~C2;
          return;
        default:
          setSt(c, 0, Math.cos(a));
          c.fsw &= ~C2;
          return;
      }
    }
  }
  c.raise(UD, -1);
}

function fullTagWord(c: Cpu): number {
  let tw = 0;
  for (let p = 0; p < 8; p++) {
    let t = 3;
    if (c.ftw & (1 << p)) {
      const v = c.fpr[p];
      t = v === 0 ? 1 : v !== v || !isFinite(v) || Math.abs(v) < 2.2250738585072014e-308 ? 2 : 0;
    }
    tw |= t << (2 * p);
  }
  return tw;
}

/** FNSTENV/FNSAVE image (32-bit protected-mode layout, 28 bytes) at ea. */
function storeEnv(c: Cpu): void {
  c.probeWrite(c.eaLo, c.eaHi, 28);
  const words = [c.fcw | 0xffff0000, c.fsw | 0xffff0000, fullTagWord(c) | 0xffff0000, 0, 0, 0, 0xffff0000];
  for (let k = 0; k < 7; k++) {
    const a = c.eaPlus(k * 4);
    c.write32(a, c.tmpHi, words[k] | 0);
  }
}

function loadEnv(c: Cpu): void {
  c.fcw = c.read16(c.eaLo, c.eaHi);
  let a = c.eaPlus(4);
  c.fsw = c.read16(a, c.tmpHi);
  a = c.eaPlus(8);
  const tw = c.read16(a, c.tmpHi);
  c.ftw = 0;
  for (let p = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) !== 3) c.ftw |= 1 << p;
}

function fninit(c: Cpu): void {
  c.fcw = 0x37f;
  c.fsw = 0;
  c.ftw = 0;
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
  if (mem) {
    c.ea(i);
    switch (op) {
      case 0xd8:
      case 0xdc:
      case 0xda:
      case 0xde: {
        const v = op === 0xd8 ? loadF32(c) : op === 0xdc ? loadF64(c) : loadInt(c, op === 0xda ? 4 : 2);
        const a = st(c, 0);
        if (r === 2 || r === 3) {
          compareFlags(c, a, v, true);
          if (r === 3) pop(c);
        } else setSt(c, 0, arith(c, r, a, v));
        return;
      }
      case 0xd9:
        switch (r) {
          case 0:
            push(c, loadF32(c));
            return;
          case 2:
            storeF32(c, st(c, 0));
            return;
          case 3:
            storeF32(c, st(c, 0));
            pop(c);
            return;
          case 4:
            loadEnv(c);
            return;
          case 5:
            c.fcw = c.read16(c.eaLo, c.eaHi) | 0x40;
            return;
          case 6:
            storeEnv(c);
            return;
          case 7:
            c.write16(c.eaLo, c.eaHi, c.fcw);
            return;
        }
        break;
      case 0xdb:
        switch (r) {
          case 0:
            push(c, loadInt(c, 4));
            return;
          case 1:
          case 2:
          case 3:
            storeInt(c, st(c, 0), 4, r === 1);
            if (r !== 2) pop(c);
            return;
          case 5:
            push(c, loadExt(c));
            return;
          case 7:
            storeExt(c, st(c, 0));
            pop(c);
            return;
        }
        break;
      case 0xdd:
        switch (r) {
          case 0:
            push(c, loadF64(c));
            return;
          case 1:
            storeInt(c, st(c, 0), 8, true);
            pop(c);
            return;
          case 2:
          case 3:
            storeF64(c, st(c, 0));
            if (r === 3) pop(c);
            return;
          case 4: {
            // FRSTOR: environment then ST0..ST7.
            loadEnv(c);
            const t = top(c);
            for (let k = 0; k < 8; k++) {
              for (let b = 0; b < 10; b++) {
                const a = c.eaPlus(28 + k * 10 + b);
                ext[b] = c.read8(a, c.tmpHi);
              }
              c.fpr[(t + k) & 7] = extToDouble(ext, 0);
            }
            return;
          }
          case 6: {
            // FNSAVE: environment, ST0..ST7, then FNINIT.
            storeEnv(c);
            c.probeWrite(c.eaLo, c.eaHi, 108);
            for (let k = 0; k < 8; k++) {
              doubleToExt(c.fpr[phys(c, k)], ext, 0);
              for (let b = 0; b < 10; b++) {
                const a = c.eaPlus(28 + k * 10 + b);
                c.write8(a, c.tmpHi, ext[b]);
              }
            }
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
          case 0:
            push(c, loadInt(c, 2));
            return;
          case 1:
          case 2:
          case 3:
            storeInt(c, st(c, 0), 2, r === 1);
            if (r !== 2) pop(c);
            return;
          case 5:
            push(c, loadInt(c, 8));
            return;
          case 7:
            storeInt(c, st(c, 0), 8, false);
            pop(c);
            return;
        }
        break;
    }
    c.raise(UD, -1);
  }
  const k = i.rm & 7;
  switch (op) {
    case 0xd8:
      if (r === 2 || r === 3) {
        compareFlags(c, st(c, 0), st(c, k), true);
        if (r === 3) pop(c);
      } else setSt(c, 0, arith(c, r, st(c, 0), st(c, k)));
      return;
    case 0xdc:
    case 0xde:
      if (r === 2 || r === 3) break;
      // ST(i) = ST(i) op ST(0), with SUB/SUBR and DIV/DIVR swapped relative to D8.
      setSt(c, k, arith(c, r >= 4 ? r ^ 1 : r, st(c, k), st(c, 0)));
      if (op === 0xde) pop(c);
      return;
    case 0xd9:
      d9reg(c, i);
      return;
    case 0xda:
      if (r < 4) {
        // FCMOVB/E/BE/U
        const cond = r === 0 ? getCF(c) : r === 1 ? getZF(c) : r === 2 ? getCF(c) || getZF(c) : getPF(c);
        if (cond) setSt(c, 0, st(c, k));
        return;
      }
      if (r === 5 && k === 1) {
        // FUCOMPP
        compareFlags(c, st(c, 0), st(c, 1), false);
        pop(c);
        pop(c);
        return;
      }
      break;
    case 0xdb:
      if (r < 4) {
        const cond = r === 0 ? getCF(c) : r === 1 ? getZF(c) : r === 2 ? getCF(c) || getZF(c) : getPF(c);
        if (!cond) setSt(c, 0, st(c, k));
        return;
      }
      if (r === 4) {
        if (k === 3) fninit(c);
        else if (k === 2) c.fsw &= ~(0xff | 0x8000);
        return;
      }
      if (r === 5 || r === 6) {
        compareEflags(c, st(c, 0), st(c, k), r === 6);
        return;
      }
      break;
    case 0xdd:
      switch (r) {
        case 0: // FFREE
          c.ftw &= ~(1 << phys(c, k));
          return;
        case 2:
        case 3:
          setSt(c, k, st(c, 0));
          if (r === 3) pop(c);
          return;
        case 4:
        case 5:
          compareFlags(c, st(c, 0), st(c, k), false);
          if (r === 5) pop(c);
          return;
      }
      break;
    case 0xdf:
      if (r === 4 && k === 0) {
        c.setR16(0, c.fsw);
        return;
      }
      if (r === 5 || r === 6) {
        compareEflags(c, st(c, 0), st(c, k), r === 6);
        pop(c);
        return;
      }
      break;
  }
  if (op === 0xde && r === 3 && k === 1) {
    // FCOMPP
    compareFlags(c, st(c, 0), st(c, 1), true);
    pop(c);
    pop(c);
    return;
  }
  c.raise(UD, -1);
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
      case 0xdf:
        ok = r !== 4 && r !== 6;
        break;
      default:
        ok = true;
    }
  } else {
    switch (i.opcode) {
      case 0xd9:
        ok = r === 0 || r === 1 || r >= 6 || (r === 2 && k === 0) || (r === 4 && (k <= 1 || k === 4 || k === 5)) || (r === 5 && k <= 6);
        break;
      case 0xda:
        ok = r < 4 || (r === 5 && k === 1);
        break;
      case 0xdb:
        ok = r < 4 || r === 5 || r === 6 || (r === 4 && (k === 2 || k === 3));
        break;
      case 0xdc:
        ok = r !== 2 && r !== 3;
        break;
      case 0xdd:
        ok = r === 0 || (r >= 2 && r <= 5);
        break;
      case 0xde:
        ok = r !== 2 && (r !== 3 || k === 1);
        break;
      case 0xdf:
        ok = (r === 4 && k === 0) || r === 5 || r === 6;
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
