/**
 * Control transfer: Jcc, JMP, CALL, RET (near and far), LOOP/LOOPE/LOOPNE, JRCXZ, INT n/INT3/INT1,
 * IRET, HLT.
 */
import type { Cpu } from './cpu.js';
import { iretq } from './exceptions.js';
import { BP, DB, GP, NP, UD } from './fault.js';
import { ZF } from './state.js';
import { getCF, getOF, getSF, getZF, LOP_EAGER, LOP_SUB, testCondition } from './flags.js';
import type { Handler, Insn } from './insn.js';
import { def, defFast, defGroup, F_FORCE64, F_MEM, I_B, I_D, I_NONE, I_W, range } from './optable.js';

export function jcc(c: Cpu, i: Insn): void {
  if (testCondition(c, i.opcode & 15)) c.jumpRel(i.imm);
}

// ---- decode-time specialisations of the most frequent conditions ----

/** ZF without the generic dispatch. */
function zf(c: Cpu): boolean {
  return c.lop === LOP_EAGER ? (c.lextra & ZF) !== 0 : (c.lsize === 8 ? c.lres | c.lresHi : c.lres) === 0;
}

/** SF != OF; after SUB/CMP this is the signed "less than" of the operands. */
function less(c: Cpu): boolean {
  if (c.lop === LOP_SUB) {
    switch (c.lsize) {
      case 1:
        return (c.la << 24) < (c.lb << 24);
      case 2:
        return (c.la << 16) < (c.lb << 16);
      case 4:
        return c.la < c.lb;
      default:
        return c.laHi < c.lbHi || (c.laHi === c.lbHi && c.la >>> 0 < c.lb >>> 0);
    }
  }
  return getSF(c) !== getOF(c);
}

export function je(c: Cpu, i: Insn): void {
  if (zf(c)) c.jumpRel(i.imm);
}

export function jne(c: Cpu, i: Insn): void {
  if (!zf(c)) c.jumpRel(i.imm);
}

export function jb(c: Cpu, i: Insn): void {
  if (getCF(c)) c.jumpRel(i.imm);
}

export function jae(c: Cpu, i: Insn): void {
  if (!getCF(c)) c.jumpRel(i.imm);
}

export function jl(c: Cpu, i: Insn): void {
  if (less(c)) c.jumpRel(i.imm);
}

export function jge(c: Cpu, i: Insn): void {
  if (!less(c)) c.jumpRel(i.imm);
}

export function jle(c: Cpu, i: Insn): void {
  if (zf(c) || less(c)) c.jumpRel(i.imm);
}

export function jg(c: Cpu, i: Insn): void {
  if (!zf(c) && !less(c)) c.jumpRel(i.imm);
}

const FAST_JCC: (Handler | null)[] = [null, null, jb, jae, je, jne, null, null, null, null, null, null, jl, jge, jle, jg];

function specializeJcc(i: Insn): Handler | null {
  return FAST_JCC[i.opcode & 15];
}

export function jmpRel(c: Cpu, i: Insn): void {
  c.jumpRel(i.imm);
}

export function callRel(c: Cpu, i: Insn): void {
  const retLo = c.ripLo;
  const retHi = c.ripHi;
  c.jumpRel(i.imm);
  const tLo = c.ripLo;
  const tHi = c.ripHi;
  c.ripLo = retLo;
  c.ripHi = retHi;
  c.push64(retLo, retHi);
  c.ripLo = tLo;
  c.ripHi = tHi;
}

export function callE(c: Cpu, i: Insn): void {
  const tLo = c.readRM(i, 8);
  const tHi = c.rhi;
  const t = tHi >> 15;
  if (t !== 0 && t !== -1) c.raise(GP, 0);
  c.push64(c.ripLo, c.ripHi);
  c.ripLo = tLo;
  c.ripHi = tHi;
}

export function jmpE(c: Cpu, i: Insn): void {
  const tLo = c.readRM(i, 8);
  c.jumpTo(tLo, c.rhi);
}

export function ret(c: Cpu, i: Insn): void {
  const tLo = c.peekSized(8);
  const tHi = c.rhi;
  c.jumpTo(tLo, tHi);
  const release = 8 + (i.opcode === 0xc2 ? i.imm & 0xffff : 0);
  const sLo = c.r[8];
  const n = (sLo >>> 0) + release;
  c.r[8] = n | 0;
  if (n > 0xffffffff) c.r[9] = (c.r[9] + 1) | 0;
}

/** The count register of LOOP/JRCXZ: RCX, or ECX with a 67 prefix. */
function countIsZero(c: Cpu, i: Insn): boolean {
  return i.asize === 8 ? (c.r[2] | c.r[3]) === 0 : c.r[2] === 0;
}

function decCount(c: Cpu, i: Insn): boolean {
  const lo = c.r[2];
  if (i.asize === 8) {
    c.r[2] = (lo - 1) | 0;
    if (lo === 0) c.r[3] = (c.r[3] - 1) | 0;
    return (c.r[2] | c.r[3]) !== 0;
  }
  c.setR32(1, lo - 1);
  return c.r[2] !== 0;
}

function loop(c: Cpu, i: Insn): void {
  const nonZero = decCount(c, i);
  let take = nonZero;
  if (i.opcode === 0xe0) take = nonZero && !getZF(c);
  else if (i.opcode === 0xe1) take = nonZero && getZF(c);
  if (take) c.jumpRel(i.imm);
}

function jrcxz(c: Cpu, i: Insn): void {
  if (countIsZero(c, i)) c.jumpRel(i.imm);
}

/**
 * Far transfer to a code segment selector in 64-bit mode (no call gates, no task switches):
 * checks the descriptor and loads CS. Returns false through #GP/#NP.
 */
function loadFarCode(c: Cpu, sel: number, rplMustEqualCpl: boolean): void {
  if ((sel & ~3) === 0) c.raise(GP, 0);
  c.loadDescriptor(sel, 0);
  const dHi = c.descHi;
  if ((dHi & 0x1800) !== 0x1800) c.raise(GP, sel & ~3);
  const dpl = (dHi >> 13) & 3;
  const conforming = (dHi & 0x400) !== 0;
  const cpl = c.cpl;
  if (rplMustEqualCpl && (conforming ? dpl > cpl : dpl !== cpl || (sel & 3) > cpl)) c.raise(GP, sel & ~3);
  if ((dHi & 0x8000) === 0) c.raise(NP, sel & ~3);
  if ((dHi & 0x200000) === 0) c.raise(GP, sel & ~3); // compatibility mode is not supported yet
}

/** JMP/CALL m16:16/32/64 (FF /5, FF /3). */
function farIndirect(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  const size = i.osize;
  c.ea(i);
  const offLo = c.readSized(size, c.eaLo, c.eaHi);
  const offHi = size === 8 ? c.rhi : 0;
  const selLo = c.eaPlus(size);
  const sel = c.read16(selLo, c.tmpHi);
  loadFarCode(c, sel, true);
  const t = offHi >> 15;
  if (t !== 0 && t !== -1) c.raise(GP, 0);
  const call = (i.reg & 7) === 3;
  if (call) {
    c.probeWrite((c.r[8] - 2 * size) | 0, (c.r[8] >>> 0) < 2 * size ? c.r[9] - 1 : c.r[9], 2 * size);
    const cs = c.segSel[1];
    if (size === 8) {
      c.push64(cs, 0);
      c.push64(c.ripLo, c.ripHi);
    } else if (size === 4) {
      pushD(c, cs);
      pushD(c, c.ripLo);
    } else {
      c.push16(cs);
      c.push16(c.ripLo);
    }
  }
  c.loadCodeSegment((sel & ~3) | c.cpl, c.descLo, c.descHi);
  c.ripLo = offLo;
  c.ripHi = offHi;
}

function pushD(c: Cpu, v: number): void {
  const sLo = c.r[8];
  const nLo = (sLo - 4) | 0;
  const nHi = (sLo >>> 0) < 4 ? c.r[9] - 1 : c.r[9];
  c.write32(nLo, nHi, v);
  c.r[8] = nLo;
  c.r[9] = nHi;
}

/** Reads the stack slot k (of `size` bytes) above RSP. */
function stackSlot(c: Cpu, size: number, k: number): number {
  const lo = (c.r[8] + k * size) | 0;
  const hi = (lo >>> 0) < (c.r[8] >>> 0) ? c.r[9] + 1 : c.r[9];
  const v = c.readSized(size, lo, hi);
  if (size !== 8) c.rhi = 0;
  return v;
}

/** RETF / LRETQ: same privilege, or to an outer level (also pops RSP and SS). */
function retFar(c: Cpu, i: Insn): void {
  const size = i.osize;
  const ripLo = stackSlot(c, size, 0);
  const ripHi = c.rhi;
  const sel = stackSlot(c, size, 1) & 0xffff;
  const cpl = c.cpl;
  const rpl = sel & 3;
  if (rpl < cpl) c.raise(GP, sel & ~3);
  if ((sel & ~3) === 0) c.raise(GP, 0);
  c.loadDescriptor(sel, 0);
  const dLo = c.descLo;
  const dHi = c.descHi;
  if ((dHi & 0x1800) !== 0x1800) c.raise(GP, sel & ~3);
  const dpl = (dHi >> 13) & 3;
  if ((dHi & 0x400) !== 0 ? dpl > rpl : dpl !== rpl) c.raise(GP, sel & ~3);
  if ((dHi & 0x8000) === 0) c.raise(NP, sel & ~3);
  if ((dHi & 0x200000) === 0) c.raise(GP, sel & ~3);
  const t = ripHi >> 15;
  if (t !== 0 && t !== -1) c.raise(GP, 0);
  const release = i.opcode === 0xca ? i.imm & 0xffff : 0;
  if (rpl > cpl) {
    const spLo = stackSlot(c, size, 2 + release / size);
    const spHi = c.rhi;
    const ss = stackSlot(c, size, 3 + release / size) & 0xffff;
    c.loadCodeSegment(sel, dLo, dHi);
    c.loadSegmentChecked(2, ss);
    c.r[8] = (spLo + release) | 0;
    c.r[9] = (spLo >>> 0) + release > 0xffffffff ? spHi + 1 : spHi;
  } else {
    c.loadCodeSegment(sel, dLo, dHi);
    const n = (c.r[8] >>> 0) + 2 * size + release;
    c.r[8] = n | 0;
    if (n > 0xffffffff) c.r[9] = (c.r[9] + 1) | 0;
  }
  c.ripLo = ripLo;
  c.ripHi = ripHi;
}

function int3(c: Cpu): void {
  c.raiseTrap(BP, true);
}

function intN(c: Cpu, i: Insn): void {
  c.raiseTrap(i.imm & 0xff, true);
}

function int1(c: Cpu): void {
  c.raiseTrap(DB, false);
}

function iret(c: Cpu, i: Insn): void {
  iretq(c, i.osize);
}

function hlt(c: Cpu): void {
  if (c.cpl !== 0) c.raise(GP, 0);
  c.halt();
}

def(range(0x70, 16), I_B | F_FORCE64, jcc);
def(range(0x180, 16), I_D | F_FORCE64, jcc);
defFast([...range(0x70, 16), ...range(0x180, 16)], specializeJcc);
def(0xe9, I_D | F_FORCE64, jmpRel);
def(0xeb, I_B | F_FORCE64, jmpRel);
def(0xe8, I_D | F_FORCE64, callRel);
defGroup(0xff, 2, F_FORCE64, callE);
defGroup(0xff, 4, F_FORCE64, jmpE);
defGroup(0xff, 3, F_MEM, farIndirect);
defGroup(0xff, 5, F_MEM, farIndirect);
def(0xc3, F_FORCE64, ret);
def(0xc2, I_W | F_FORCE64, ret);
def([0xcb], I_NONE, retFar);
def([0xca], I_W, retFar);
def(range(0xe0, 3), I_B | F_FORCE64, loop);
def(0xe3, I_B | F_FORCE64, jrcxz);
def(0xcc, I_NONE, int3);
def(0xcd, I_B, intN);
def(0xf1, I_NONE, int1);
def(0xcf, I_NONE, iret);
def(0xf4, I_NONE, hlt);
