/**
 * Stack instructions: PUSH/POP (registers, r/m, immediates, FS/GS), PUSHF/POPF, ENTER/LEAVE.
 * In 64-bit mode the stack operand size is 64 bits, or 16 with a 66 prefix.
 */
import type { Cpu } from './cpu.js';
import { getRflags, setArithFlags } from './flags.js';
import type { Insn } from './insn.js';
import { def, defGroup, F_DEF64, I_B, I_WB, I_Z, range } from './optable.js';
import { AC, ARITH_FLAGS, DF, ID, IF, IOPL, NT, RF, TF, VM } from './state.js';

export function pushR(c: Cpu, i: Insn): void {
  const n = i.reg;
  c.pushSized(i.osize, c.r[n << 1], c.r[(n << 1) + 1]);
}

export function popR(c: Cpu, i: Insn): void {
  const v = c.popSized(i.osize);
  c.setReg(i.osize, i.reg, v, c.rhi);
}

function pushI(c: Cpu, i: Insn): void {
  c.pushSized(i.osize, i.imm, i.imm >> 31);
}

function pushE(c: Cpu, i: Insn): void {
  const v = c.readRM(i, i.osize);
  c.pushSized(i.osize, v, c.rhi);
}

/** POP r/m: the value is read first; an address using RSP sees the incremented RSP. */
function popE(c: Cpu, i: Insn): void {
  const size = i.osize;
  const v = c.peekSized(size);
  const vHi = c.rhi;
  const oldLo = c.r[8];
  const oldHi = c.r[9];
  const nLo = (oldLo + size) | 0;
  const nHi = (nLo >>> 0) < (oldLo >>> 0) ? oldHi + 1 : oldHi;
  if (i.mod === 3) {
    c.r[8] = nLo;
    c.r[9] = nHi;
    c.setReg(size, i.rm, v, vHi);
    return;
  }
  c.r[8] = nLo;
  c.r[9] = nHi;
  c.ea(i);
  c.r[8] = oldLo;
  c.r[9] = oldHi;
  c.writeSized(size, c.eaLo, c.eaHi, v, vHi);
  c.r[8] = nLo;
  c.r[9] = nHi;
}

function pushSeg(c: Cpu, i: Insn): void {
  c.pushSized(i.osize, c.segSel[i.opcode === 0x1a0 ? 4 : 5], 0);
}

function popSeg(c: Cpu, i: Insn): void {
  const seg = i.opcode === 0x1a1 ? 4 : 5;
  const sel = c.peekSized(i.osize);
  c.loadSegmentChecked(seg, sel & 0xffff);
  c.popSized(i.osize);
}

function pushf(c: Cpu, i: Insn): void {
  // VM and RF are never pushed as set.
  c.pushSized(i.osize, getRflags(c) & ~(VM | RF), 0);
}

function popf(c: Cpu, i: Insn): void {
  const v = c.popSized(i.osize);
  // At CPL 0 IF and IOPL are writable; VM, RF and VIF/VIP stay clear.
  let mask = ARITH_FLAGS | TF | DF | NT | AC | ID | IF | IOPL;
  if (c.cpl > 0) mask &= ~IOPL;
  if (c.cpl > ((c.flagsRest & IOPL) >> 12)) mask &= ~IF;
  if (i.osize === 2) mask &= 0xffff;
  const f = (c.flagsRest & ~mask) | (v & mask);
  c.flagsRest = (f & ~ARITH_FLAGS) | 2;
  setArithFlags(c, f);
  c.flagsChanged();
}

function enter(c: Cpu, i: Insn): void {
  const size = i.osize;
  const alloc = i.imm & 0xffff;
  const level = i.imm2 & 31;
  const rbpLo = c.r[10];
  const rbpHi = c.r[11];
  // Check the whole new frame first so that a fault leaves RSP and RBP untouched.
  const total = size * (level + 1) + alloc;
  const endLo = (c.r[8] - total) | 0;
  const endHi = (c.r[8] >>> 0) < total ? c.r[9] - 1 : c.r[9];
  c.stackCanonical(endHi);
  c.probeWrite(endLo, endHi, total);
  c.pushSized(size, rbpLo, rbpHi);
  const frameLo = c.r[8];
  const frameHi = c.r[9];
  if (level > 0) {
    let pLo = rbpLo;
    let pHi = rbpHi;
    for (let k = 1; k < level; k++) {
      const n = (pLo - size) | 0;
      pHi = (pLo >>> 0) < size ? pHi - 1 : pHi;
      pLo = n;
      const v = c.readSized(size, pLo, pHi);
      c.pushSized(size, v, c.rhi);
    }
    c.pushSized(size, frameLo, frameHi);
  }
  c.setReg(size, 5, frameLo, frameHi);
  const newLo = (c.r[8] - alloc) | 0;
  c.r[9] = (c.r[8] >>> 0) < alloc ? c.r[9] - 1 : c.r[9];
  c.r[8] = newLo;
}

function leave(c: Cpu, i: Insn): void {
  const size = i.osize;
  const rbpLo = c.r[10];
  const rbpHi = c.r[11];
  c.stackCanonical(rbpHi);
  const v = c.readSized(size, rbpLo, rbpHi);
  const vHi = c.rhi;
  const nLo = (rbpLo + size) | 0;
  c.r[8] = nLo;
  c.r[9] = (nLo >>> 0) < (rbpLo >>> 0) ? rbpHi + 1 : rbpHi;
  c.setReg(size, 5, v, vHi);
}

def(range(0x50, 8), F_DEF64, pushR);
def(range(0x58, 8), F_DEF64, popR);
def(0x68, F_DEF64 | I_Z, pushI);
def(0x6a, F_DEF64 | I_B, pushI);
defGroup(0xff, 6, F_DEF64, pushE);
defGroup(0x8f, 0, F_DEF64, popE);
def([0x1a0, 0x1a8], F_DEF64, pushSeg);
def([0x1a1, 0x1a9], F_DEF64, popSeg);
def(0x9c, F_DEF64, pushf);
def(0x9d, F_DEF64, popf);
def(0xc8, F_DEF64 | I_WB, enter);
def(0xc9, F_DEF64, leave);
