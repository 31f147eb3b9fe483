/**
 * Exchange-and-compare instructions: CMPXCHG, CMPXCHG8B/16B, XADD. With a single processor,
 * LOCK has nothing to serialise, so these are plain read-modify-write sequences.
 */
import { ALU_ADD, ALU_CMP, alu } from './alu.js';
import type { Cpu } from './cpu.js';
import { GP, UD } from './fault.js';
import { getArithFlags, getZF, setArithFlags } from './flags.js';
import type { Insn } from './insn.js';
import { def, defGroup, F_LOCK, F_MEM, F_MODRM } from './optable.js';
import { ZF } from './state.js';

function cmpxchg(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const d = c.readRMW(i, size);
  const dHi = size === 8 ? c.rhi : 0;
  const a = c.getReg(size, 0);
  const aHi = c.r[1];
  alu(c, ALU_CMP, size, a, aHi, d, dHi);
  if (getZF(c)) {
    const s = c.readReg(i, size);
    c.writeBackRM(i, size, s, c.rhi);
  } else {
    // A memory destination is written back unchanged (a locked cycle always writes); a register
    // destination is left alone (not even zero-extended).
    if (i.mod !== 3) c.writeBackRM(i, size, d, dHi);
    c.setReg(size, 0, d, dHi);
  }
}

function xadd(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const d = c.readRMW(i, size);
  const dHi = size === 8 ? c.rhi : 0;
  const s = c.readReg(i, size);
  const sum = alu(c, ALU_ADD, size, d, dHi, s, c.rhi);
  const sumHi = c.tmpHi;
  if (i.mod !== 3) c.writeBackRM(i, size, sum, sumHi);
  c.writeReg(i, size, d, dHi);
  if (i.mod === 3) c.writeBackRM(i, size, sum, sumHi);
}

/** 0F C7 /1: CMPXCHG8B m64, or with REX.W CMPXCHG16B m128 (16-byte aligned). */
function cmpxchgWide(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  c.ea(i);
  const r = c.r;
  const f = getArithFlags(c) & ~ZF;
  if (i.osize === 8) {
    if ((c.eaLo & 15) !== 0) c.raise(GP, 0);
    c.probeWrite(c.eaLo, c.eaHi, 16);
    const aLo = c.eaLo;
    const aHi = c.eaHi;
    const m0 = c.read64(aLo, aHi);
    const m1 = c.rhi;
    const bLo = c.eaPlus(8);
    const bHi = c.tmpHi;
    const m2 = c.read64(bLo, bHi);
    const m3 = c.rhi;
    if (m0 === r[0] && m1 === r[1] && m2 === r[4] && m3 === r[5]) {
      c.write64(aLo, aHi, r[6], r[7]);
      c.write64(bLo, bHi, r[2], r[3]);
      setArithFlags(c, f | ZF);
    } else {
      c.write64(aLo, aHi, m0, m1);
      c.write64(bLo, bHi, m2, m3);
      c.setR64(0, m0, m1);
      c.setR64(2, m2, m3);
      setArithFlags(c, f);
    }
  } else {
    const m0 = c.read64(c.eaLo, c.eaHi);
    const m1 = c.rhi;
    if (m0 === r[0] && m1 === r[4]) {
      c.write64(c.eaLo, c.eaHi, r[6], r[2]);
      setArithFlags(c, f | ZF);
    } else {
      c.write64(c.eaLo, c.eaHi, m0, m1);
      c.setR32(0, m0);
      c.setR32(2, m1);
      setArithFlags(c, f);
    }
  }
}

def([0x1b0, 0x1b1], F_MODRM | F_LOCK, cmpxchg);
def([0x1c0, 0x1c1], F_MODRM | F_LOCK, xadd);
defGroup(0x1c7, 1, F_LOCK | F_MEM, cmpxchgWide);
