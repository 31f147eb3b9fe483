/**
 * Integer ALU: ADD OR ADC SBB AND SUB XOR CMP in all their encodings, TEST, INC/DEC, NEG/NOT.
 * Values are (lo, hi) int32 words; for sizes below 8 only lo is meaningful.
 */
import type { Cpu } from './cpu.js';
import { getCF, LOP_ADC, LOP_ADD, LOP_DEC, LOP_INC, LOP_RESULT, LOP_SBB, LOP_SUB, setLazy, setResultFlags } from './flags.js';
import type { Handler, Insn } from './insn.js';
import { def, defFast, defGroup, F_LOCK, F_MODRM, I_B, I_Z } from './optable.js';
import { CF, trunc } from './state.js';
import { tlbIndex } from './mmu.js';

export const ALU_ADD = 0, ALU_OR = 1, ALU_ADC = 2, ALU_SBB = 3, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7;

/**
 * Computes `a op b` for `size` bytes, sets the lazy flags, and returns the result's lo word
 * (hi word in cpu.tmpHi). `b` must already be truncated/sign-extended to the operation size.
 */
export function alu(c: Cpu, op: number, size: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
  let rLo: number;
  let rHi = 0;
  if (size !== 8) {
    aHi = 0;
    bHi = 0;
    bLo = trunc(size, bLo);
  }
  switch (op) {
    case ALU_ADD:
    case ALU_ADC: {
      const cin = op === ALU_ADC && getCF(c) ? 1 : 0;
      if (size === 8) {
        const s = (aLo >>> 0) + (bLo >>> 0) + cin;
        rLo = s | 0;
        rHi = (aHi + bHi + (s > 0xffffffff ? 1 : 0)) | 0;
      } else rLo = trunc(size, aLo + bLo + cin);
      setLazy(c, op === ALU_ADD ? LOP_ADD : LOP_ADC, size, aLo, aHi, bLo, bHi, rLo, rHi, cin);
      break;
    }
    case ALU_SUB:
    case ALU_SBB:
    case ALU_CMP: {
      const cin = op === ALU_SBB && getCF(c) ? 1 : 0;
      if (size === 8) {
        const borrow = (aLo >>> 0) < (bLo >>> 0) + cin ? 1 : 0;
        rLo = (aLo - bLo - cin) | 0;
        rHi = (aHi - bHi - borrow) | 0;
      } else rLo = trunc(size, aLo - bLo - cin);
      setLazy(c, op === ALU_SBB ? LOP_SBB : LOP_SUB, size, aLo, aHi, bLo, bHi, rLo, rHi, cin);
      break;
    }
    case ALU_AND:
      rLo = aLo & bLo;
      rHi = aHi & bHi;
      setResultFlags(c, size, rLo, rHi, 0);
      break;
    case ALU_OR:
      rLo = aLo | bLo;
      rHi = aHi | bHi;
      setResultFlags(c, size, rLo, rHi, 0);
      break;
    default:
      rLo = aLo ^ bLo;
      rHi = aHi ^ bHi;
      setResultFlags(c, size, rLo, rHi, 0);
  }
  c.tmpHi = rHi;
  return rLo;
}

// op Eb,Gb / Ev,Gv
export function aluEG(c: Cpu, i: Insn): void {
  const op = (i.opcode >> 3) & 7;
  const size = i.opcode & 1 ? i.osize : 1;
  const a = op === ALU_CMP ? c.readRM(i, size) : c.readRMW(i, size);
  const aHi = c.rhi;
  const b = c.readReg(i, size);
  const r = alu(c, op, size, a, aHi, b, c.rhi);
  if (op !== ALU_CMP) c.writeBackRM(i, size, r, c.tmpHi);
}

// op Gb,Eb / Gv,Ev
export function aluGE(c: Cpu, i: Insn): void {
  const op = (i.opcode >> 3) & 7;
  const size = i.opcode & 1 ? i.osize : 1;
  const b = c.readRM(i, size);
  const bHi = c.rhi;
  const a = c.readReg(i, size);
  const r = alu(c, op, size, a, c.rhi, b, bHi);
  if (op !== ALU_CMP) c.writeReg(i, size, r, c.tmpHi);
}

// op AL,Ib / eAX,Iz
export function aluAI(c: Cpu, i: Insn): void {
  const op = (i.opcode >> 3) & 7;
  const size = i.opcode & 1 ? i.osize : 1;
  const a = c.getReg(size, 0);
  const r = alu(c, op, size, a, c.r[1], i.imm, i.imm >> 31);
  if (op !== ALU_CMP) c.setReg(size, 0, r, c.tmpHi);
}

// grp1: op Eb,Ib / Ev,Iz / Ev,Ib
export function aluEI(c: Cpu, i: Insn): void {
  const op = i.reg & 7;
  const size = i.opcode === 0x80 ? 1 : i.osize;
  const a = op === ALU_CMP ? c.readRM(i, size) : c.readRMW(i, size);
  const r = alu(c, op, size, a, c.rhi, i.imm, i.imm >> 31);
  if (op !== ALU_CMP) c.writeBackRM(i, size, r, c.tmpHi);
}

export function testEG(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const a = c.readRM(i, size);
  const aHi = c.rhi;
  const b = c.readReg(i, size);
  alu(c, ALU_AND, size, a, aHi, b, c.rhi);
}

export function testAI(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  alu(c, ALU_AND, size, c.getReg(size, 0), c.r[1], i.imm, i.imm >> 31);
}

export function testEI(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const a = c.readRM(i, size);
  alu(c, ALU_AND, size, a, c.rhi, i.imm, i.imm >> 31);
}

export function incDec(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const dec = (i.reg & 7) === 1;
  const a = c.readRMW(i, size);
  const aHi = size === 8 ? c.rhi : 0;
  const cf = getCF(c) ? CF : 0;
  let r: number;
  let rHi = 0;
  if (size === 8) {
    r = (a + (dec ? -1 : 1)) | 0;
    rHi = dec ? (a === 0 ? aHi - 1 : aHi) | 0 : (r === 0 ? aHi + 1 : aHi) | 0;
  } else r = trunc(size, a + (dec ? -1 : 1));
  setLazy(c, dec ? LOP_DEC : LOP_INC, size, a, aHi, 1, 0, r, rHi, cf);
  c.writeBackRM(i, size, r, rHi);
}

export function not(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const a = c.readRMW(i, size);
  c.writeBackRM(i, size, ~a, ~c.rhi);
}

export function neg(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const a = c.readRMW(i, size);
  const r = alu(c, ALU_SUB, size, 0, 0, a, c.rhi);
  c.writeBackRM(i, size, r, c.tmpHi);
}

// ---- decode-time specialisations: register/immediate forms of 32- and 64-bit operations ----

/** TEST as a sub-operation of the fast paths (AND without a result). */
const ALU_TEST = 8;

/** A 32-bit ADD/SUB/CMP/AND/TEST/OR/XOR: sets the lazy flags and returns the result. */
function calc32(c: Cpu, op: number, a: number, b: number): number {
  let res: number;
  switch (op) {
    case ALU_ADD:
      res = (a + b) | 0;
      c.lop = LOP_ADD;
      c.la = a;
      c.lb = b;
      break;
    case ALU_SUB:
    case ALU_CMP:
      res = (a - b) | 0;
      c.lop = LOP_SUB;
      c.la = a;
      c.lb = b;
      break;
    case ALU_AND:
    case ALU_TEST:
      res = a & b;
      c.lop = LOP_RESULT;
      c.lextra = 0;
      break;
    case ALU_OR:
      res = a | b;
      c.lop = LOP_RESULT;
      c.lextra = 0;
      break;
    default:
      res = a ^ b;
      c.lop = LOP_RESULT;
      c.lextra = 0;
  }
  c.lsize = 4;
  c.lres = res;
  return res;
}

function fast32(c: Cpu, op: number, dst: number, a: number, b: number): void {
  const res = calc32(c, op, a, b);
  if (op !== ALU_CMP && op !== ALU_TEST) {
    c.r[dst << 1] = res;
    c.r[(dst << 1) + 1] = 0;
  }
}

/** The 64-bit form of calc32: returns the lo word, the hi word in c.tmpHi. */
function calc64(c: Cpu, op: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
  let rLo: number;
  let rHi: number;
  switch (op) {
    case ALU_ADD: {
      const s = (aLo >>> 0) + (bLo >>> 0);
      rLo = s | 0;
      rHi = (aHi + bHi + (s > 0xffffffff ? 1 : 0)) | 0;
      c.lop = LOP_ADD;
      c.la = aLo;
      c.laHi = aHi;
      c.lb = bLo;
      c.lbHi = bHi;
      break;
    }
    case ALU_SUB:
    case ALU_CMP:
      rLo = (aLo - bLo) | 0;
      rHi = (aHi - bHi - ((aLo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0;
      c.lop = LOP_SUB;
      c.la = aLo;
      c.laHi = aHi;
      c.lb = bLo;
      c.lbHi = bHi;
      break;
    case ALU_AND:
    case ALU_TEST:
      rLo = aLo & bLo;
      rHi = aHi & bHi;
      c.lop = LOP_RESULT;
      c.lextra = 0;
      break;
    case ALU_OR:
      rLo = aLo | bLo;
      rHi = aHi | bHi;
      c.lop = LOP_RESULT;
      c.lextra = 0;
      break;
    default:
      rLo = aLo ^ bLo;
      rHi = aHi ^ bHi;
      c.lop = LOP_RESULT;
      c.lextra = 0;
  }
  c.lsize = 8;
  c.lres = rLo;
  c.lresHi = rHi;
  c.tmpHi = rHi;
  return rLo;
}

function fast64(c: Cpu, op: number, dst: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  const rLo = calc64(c, op, aLo, aHi, bLo, bHi);
  if (op !== ALU_CMP && op !== ALU_TEST) {
    c.r[dst << 1] = rLo;
    c.r[(dst << 1) + 1] = c.tmpHi;
  }
}

/**
 * op [mem], reg/imm (32/64-bit ADD OR AND SUB XOR): when the TLB already allows writing the
 * whole operand, one translation serves the read and the write. Otherwise (first touch, code
 * page, page crossing, watchpoint) the general handler does it.
 */
export function rmwPhys(c: Cpu, size: number): number {
  const lo = c.eaLo;
  const hi = c.eaHi;
  const t = tlbIndex(lo, hi);
  const off = lo & 0xfff;
  if (c.tlbWrite[t] === (lo & ~0xfff) && c.tlbHi[t] === hi && off <= 4096 - size) return (c.tlbPhys[t] >>> 0) + off;
  return -1;
}

export function rmw32(c: Cpu, i: Insn): void {
  c.ea(i);
  const p = rmwPhys(c, 4);
  if (p < 0) {
    if (i.opcode < 0x40) aluEG(c, i);
    else aluEI(c, i);
    return;
  }
  const v = c.view;
  v.setInt32(p, calc32(c, i.sub, v.getInt32(p, true), i.src === 1 ? i.imm : c.r[i.reg << 1]), true);
}

export function rmw64(c: Cpu, i: Insn): void {
  c.ea(i);
  const p = rmwPhys(c, 8);
  if (p < 0) {
    if (i.opcode < 0x40) aluEG(c, i);
    else aluEI(c, i);
    return;
  }
  const v = c.view;
  const bLo = i.src === 1 ? i.imm : c.r[i.reg << 1];
  const bHi = i.src === 1 ? i.imm >> 31 : c.r[(i.reg << 1) + 1];
  const rLo = calc64(c, i.sub, v.getInt32(p, true), v.getInt32(p + 4, true), bLo, bHi);
  v.setInt32(p, rLo, true);
  v.setInt32(p + 4, c.tmpHi, true);
}

export function rr32(c: Cpu, i: Insn): void {
  fast32(c, i.sub, i.dst, c.r[i.dst << 1], c.r[i.src << 1]);
}

export function rr64(c: Cpu, i: Insn): void {
  const r = c.r;
  fast64(c, i.sub, i.dst, r[i.dst << 1], r[(i.dst << 1) + 1], r[i.src << 1], r[(i.src << 1) + 1]);
}

export function ri32(c: Cpu, i: Insn): void {
  fast32(c, i.sub, i.dst, c.r[i.dst << 1], i.imm);
}

export function ri64(c: Cpu, i: Insn): void {
  fast64(c, i.sub, i.dst, c.r[i.dst << 1], c.r[(i.dst << 1) + 1], i.imm, i.imm >> 31);
}

/** op reg, [mem] (or CMP/TEST [mem], reg when `src` is 1: memory is the first operand). */
export function memReg32(c: Cpu, i: Insn): void {
  c.ea(i);
  const m = c.read32(c.eaLo, c.eaHi);
  const r = c.r[i.reg << 1];
  if (i.src === 1) fast32(c, i.sub, i.dst, m, r);
  else fast32(c, i.sub, i.dst, r, m);
}

export function memReg64(c: Cpu, i: Insn): void {
  c.ea(i);
  const m = c.read64(c.eaLo, c.eaHi);
  const mHi = c.rhi;
  const k = i.reg << 1;
  if (i.src === 1) fast64(c, i.sub, i.dst, m, mHi, c.r[k], c.r[k + 1]);
  else fast64(c, i.sub, i.dst, c.r[k], c.r[k + 1], m, mHi);
}

/** CMP/TEST [mem], imm. */
export function memImm32(c: Cpu, i: Insn): void {
  c.ea(i);
  fast32(c, i.sub, 0, c.read32(c.eaLo, c.eaHi), i.imm);
}

export function memImm64(c: Cpu, i: Insn): void {
  c.ea(i);
  const m = c.read64(c.eaLo, c.eaHi);
  fast64(c, i.sub, 0, m, c.rhi, i.imm, i.imm >> 31);
}

/** ADC/SBB need the carry: they keep the general handler. */
function fastOp(op: number): boolean {
  return op !== ALU_ADC && op !== ALU_SBB;
}

function specializeRR(i: Insn): Handler | null {
  const op = i.opcode >= 0x84 ? ALU_TEST : (i.opcode >> 3) & 7;
  if ((i.osize !== 4 && i.osize !== 8) || !fastOp(op)) return null;
  const toRm = (i.opcode & 2) === 0;
  if (i.mod !== 3) {
    // Loads into a register, and compares with memory; read-modify-write stays general.
    const compare = op === ALU_CMP || op === ALU_TEST;
    if (toRm && !compare) {
      i.sub = op;
      i.src = 0;
      return i.osize === 8 ? rmw64 : rmw32;
    }
    i.sub = op;
    i.dst = i.reg;
    i.src = toRm ? 1 : 0;
    return i.osize === 8 ? memReg64 : memReg32;
  }
  i.sub = op;
  i.dst = toRm ? i.rm : i.reg;
  i.src = toRm ? i.reg : i.rm;
  return i.osize === 8 ? rr64 : rr32;
}

function specializeRI(i: Insn): Handler | null {
  const op = i.opcode === 0xa9 ? ALU_TEST : i.opcode === 0xf7 ? ALU_TEST : i.opcode < 0x40 ? (i.opcode >> 3) & 7 : i.reg & 7;
  if ((i.osize !== 4 && i.osize !== 8) || !fastOp(op)) return null;
  if (i.opcode < 0x40 || i.opcode === 0xa9) i.dst = 0;
  else if (i.mod !== 3) {
    i.sub = op;
    if (op === ALU_CMP || op === ALU_TEST) return i.osize === 8 ? memImm64 : memImm32;
    if (i.opcode === 0xf7) return null;
    i.src = 1;
    return i.osize === 8 ? rmw64 : rmw32;
  } else i.dst = i.rm;
  i.sub = op;
  return i.osize === 8 ? ri64 : ri32;
}

export function inc32(c: Cpu, i: Insn): void {
  const k = i.dst << 1;
  const a = c.r[k];
  const res = (a + i.sub) | 0;
  c.lextra = getCF(c) ? CF : 0;
  c.lop = i.sub === 1 ? LOP_INC : LOP_DEC;
  c.lsize = 4;
  c.la = a;
  c.lb = 1;
  c.lres = res;
  c.r[k] = res;
  c.r[k + 1] = 0;
}

function specializeIncDec(i: Insn): Handler | null {
  if (i.mod !== 3 || i.osize !== 4) return null;
  i.dst = i.rm;
  i.sub = (i.reg & 7) === 0 ? 1 : -1;
  return inc32;
}

// ---- 8-bit compares and tests (byte scanners: `cmp $',', %dl`, `test %al, %al`) ----

/** Byte register by its 8-bit code (16..19 are AH CH DH BH). */
function reg8(c: Cpu, code: number): number {
  return code < 16 ? c.r[code << 1] & 0xff : (c.r[(code - 16) << 1] >>> 8) & 0xff;
}

function cmpFlags8(c: Cpu, a: number, b: number): void {
  c.lop = LOP_SUB;
  c.lsize = 1;
  c.la = a;
  c.lb = b;
  c.lres = (a - b) & 0xff;
}

function testFlags8(c: Cpu, v: number): void {
  c.lop = LOP_RESULT;
  c.lsize = 1;
  c.lres = v;
  c.lextra = 0;
}

export function cmp8RR(c: Cpu, i: Insn): void {
  cmpFlags8(c, reg8(c, i.dst), reg8(c, i.src));
}

export function test8RR(c: Cpu, i: Insn): void {
  testFlags8(c, reg8(c, i.dst) & reg8(c, i.src));
}

export function cmp8RI(c: Cpu, i: Insn): void {
  cmpFlags8(c, reg8(c, i.dst), i.imm & 0xff);
}

export function test8RI(c: Cpu, i: Insn): void {
  testFlags8(c, reg8(c, i.dst) & i.imm);
}

export function cmp8MI(c: Cpu, i: Insn): void {
  c.ea(i);
  cmpFlags8(c, c.read8(c.eaLo, c.eaHi), i.imm & 0xff);
}

/** CMP/TEST r8, r8 (38, 3A, 84 with a register operand). */
function specializeByteRR(i: Insn): Handler | null {
  if (i.mod !== 3) return null;
  // 38 compares rm with reg, 3A reg with rm; TEST is symmetric.
  i.dst = i.opcode === 0x3a ? i.reg8 : i.rm8;
  i.src = i.opcode === 0x3a ? i.rm8 : i.reg8;
  return i.opcode === 0x84 ? test8RR : cmp8RR;
}

/** CMP/TEST r8 or AL with imm8 (80 /7, F6 /0, 3C, A8), and CMP m8, imm8. */
function specializeByteRI(i: Insn): Handler | null {
  const test = i.opcode === 0xf6 || i.opcode === 0xa8;
  if (i.opcode === 0x3c || i.opcode === 0xa8) i.dst = 0;
  else if (i.mod === 3) i.dst = i.rm8;
  else return test ? null : cmp8MI;
  return test ? test8RI : cmp8RI;
}

for (let op = 0; op < 8; op++) {
  const base = op << 3;
  const lock = op === ALU_CMP ? 0 : F_LOCK;
  def([base, base + 1], F_MODRM | lock, aluEG);
  def([base + 2, base + 3], F_MODRM, aluGE);
  def(base + 4, I_B, aluAI);
  def(base + 5, I_Z, aluAI);
  defGroup(0x80, op, I_B | lock, aluEI);
  defGroup(0x81, op, I_Z | lock, aluEI);
  defGroup(0x83, op, I_B | lock, aluEI);
}
def([0x84, 0x85], F_MODRM, testEG);
def(0xa8, I_B, testAI);
def(0xa9, I_Z, testAI);
for (const op of [0xf6, 0xf7]) {
  const imm = op === 0xf6 ? I_B : I_Z;
  defGroup(op, 0, imm, testEI);
  defGroup(op, 1, imm, testEI);
  defGroup(op, 2, F_LOCK, not);
  defGroup(op, 3, F_LOCK, neg);
}
for (const op of [0xfe, 0xff]) {
  defGroup(op, 0, F_LOCK, incDec);
  defGroup(op, 1, F_LOCK, incDec);
}

for (let op = 0; op < 8; op++) {
  defFast((op << 3) + 1, specializeRR);
  defFast((op << 3) + 3, specializeRR);
  defFast((op << 3) + 5, specializeRI);
  defFast(0x81, specializeRI, op);
  defFast(0x83, specializeRI, op);
}
defFast(0x85, specializeRR);
defFast(0xa9, specializeRI);
defFast(0xf7, specializeRI, 0);
defFast(0xff, specializeIncDec, 0);
defFast(0xff, specializeIncDec, 1);
defFast([0x38, 0x3a, 0x84], specializeByteRR);
defFast([0x3c, 0xa8], specializeByteRI);
defFast(0x80, specializeByteRI, 7);
defFast(0xf6, specializeByteRI, 0);
