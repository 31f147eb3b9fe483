/**
 * Data movement: MOV (all forms), MOVZX/MOVSX/MOVSXD, LEA, XCHG, CBW…CQO, BSWAP, MOVBE, XLAT,
 * CMOVcc, SETcc, and the NOP family (NOP, PAUSE, hint NOPs, ENDBR64, PREFETCH*).
 */
import type { Cpu } from './cpu.js';
import { UD } from './fault.js';
import { testCondition } from './flags.js';
import type { Handler, Insn } from './insn.js';
import { def, defFast, defGroup, F_LOCK, F_MEM, F_MODRM, I_B, I_MOFFS, I_NONE, I_V, I_Z, range } from './optable.js';
import { sext } from './state.js';
import { noRepPrefix } from './system.js';

export function movEG(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const v = c.readReg(i, size);
  c.writeRM(i, size, v, c.rhi);
}

export function movGE(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const v = c.readRM(i, size);
  c.writeReg(i, size, v, c.rhi);
}

export function movEI(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  c.writeRM(i, size, i.imm, i.imm >> 31);
}

export function movRI8(c: Cpu, i: Insn): void {
  c.setR8(i.reg8, i.imm);
}

export function movRI(c: Cpu, i: Insn): void {
  c.setReg(i.osize, i.reg, i.imm, i.immHi);
}

function movMoffs(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  c.eaAbsolute(i, i.imm, i.immHi);
  if (i.opcode < 0xa2) {
    const v = c.readSized(size, c.eaLo, c.eaHi);
    c.setReg(size, 0, v, c.rhi);
  } else c.writeSized(size, c.eaLo, c.eaHi, c.getReg(size, 0), c.r[1]);
}

export function lea(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  c.eaOffset(i);
  c.setReg(i.osize, i.reg, c.eaLo, c.eaHi);
}

export function movsxd(c: Cpu, i: Insn): void {
  const v = c.readRM(i, 4);
  c.setReg(i.osize, i.reg, v, v >> 31);
}

export function movzx(c: Cpu, i: Insn): void {
  const v = c.readRM(i, i.opcode & 1 ? 2 : 1);
  c.setReg(i.osize, i.reg, v, 0);
}

export function movsx(c: Cpu, i: Insn): void {
  const src = i.opcode & 1 ? 2 : 1;
  const v = sext(src, c.readRM(i, src));
  c.setReg(i.osize, i.reg, v, v >> 31);
}

function xchgEG(c: Cpu, i: Insn): void {
  const size = i.opcode & 1 ? i.osize : 1;
  const a = c.readRM(i, size);
  const aHi = c.rhi;
  const b = c.readReg(i, size);
  c.writeBackRM(i, size, b, c.rhi);
  c.writeReg(i, size, a, aHi);
}

/** 90+r: XCHG rAX, r. Plain 90 (no REX.B) is NOP; F3 90 is PAUSE (a hint: nothing to do here). */
export function xchgAR(c: Cpu, i: Insn): void {
  if (i.reg === 0) return;
  const size = i.osize;
  const a = c.getReg(size, 0);
  const aHi = c.r[1];
  const n = i.reg;
  c.setReg(size, 0, c.getReg(size, n), c.r[(n << 1) + 1]);
  c.setReg(size, n, a, aHi);
}

export function cbw(c: Cpu, i: Insn): void {
  switch (i.osize) {
    case 2:
      c.setR16(0, sext(1, c.r[0]));
      break;
    case 4:
      c.setR32(0, sext(2, c.r[0]));
      break;
    default:
      c.r[1] = c.r[0] >> 31;
  }
}

export function cwd(c: Cpu, i: Insn): void {
  switch (i.osize) {
    case 2:
      c.setR16(2, (c.r[0] << 16) >> 31);
      break;
    case 4:
      c.setR32(2, c.r[0] >> 31);
      break;
    default:
      c.setR64(2, c.r[1] >> 31, c.r[1] >> 31);
  }
}

function bswap32(v: number): number {
  return ((v >>> 24) | ((v >> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24)) | 0;
}

function bswap(c: Cpu, i: Insn): void {
  const n = i.reg;
  if (i.osize === 8) c.setR64(n, bswap32(c.r[(n << 1) + 1]), bswap32(c.r[n << 1]));
  else if (i.osize === 4) c.setR32(n, bswap32(c.r[n << 1]));
  else c.setR16(n, 0); // BSWAP of a 16-bit register is undefined; hardware gives 0.
}

function movbe(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  const size = i.osize;
  if ((i.opcode & 1) === 0) {
    const v = c.readRM(i, size);
    if (size === 8) c.setR64(i.reg, bswap32(c.rhi), bswap32(v));
    else if (size === 4) c.setR32(i.reg, bswap32(v));
    else c.setR16(i.reg, ((v >> 8) & 0xff) | ((v & 0xff) << 8));
  } else {
    const n = i.reg;
    const v = c.r[n << 1];
    if (size === 8) c.writeRM(i, 8, bswap32(c.r[(n << 1) + 1]), bswap32(v));
    else if (size === 4) c.writeRM(i, 4, bswap32(v), 0);
    else c.writeRM(i, 2, ((v >> 8) & 0xff) | ((v & 0xff) << 8), 0);
  }
}

function xlat(c: Cpu, i: Insn): void {
  const s = (c.r[6] >>> 0) + (c.r[0] & 0xff);
  c.eaAbsolute(i, s | 0, (c.r[7] + (s > 0xffffffff ? 1 : 0)) | 0);
  c.setR8(0, c.read8(c.eaLo, c.eaHi));
}

export function cmov(c: Cpu, i: Insn): void {
  const size = i.osize;
  const v = c.readRM(i, size);
  if (testCondition(c, i.opcode & 15)) c.writeReg(i, size, v, c.rhi);
  else if (size === 4) c.r[(i.reg << 1) + 1] = 0;
}

export function setcc(c: Cpu, i: Insn): void {
  c.writeRM(i, 1, testCondition(c, i.opcode & 15) ? 1 : 0, 0);
}

export function nop(_c: Cpu, _i: Insn): void {}

def([0x88, 0x89], F_MODRM, movEG);
def([0x8a, 0x8b], F_MODRM, movGE);
defGroup(0xc6, 0, I_B, movEI);
defGroup(0xc7, 0, I_Z, movEI);
def(range(0xb0, 8), I_B, movRI8);
def(range(0xb8, 8), I_V, movRI);
def(range(0xa0, 4), I_MOFFS, movMoffs);
def(0x8d, F_MODRM | F_MEM, lea);
def(0x63, F_MODRM, movsxd);
def([0x1b6, 0x1b7], F_MODRM, movzx);
def([0x1be, 0x1bf], F_MODRM, movsx);
def([0x86, 0x87], F_MODRM | F_LOCK, xchgEG);
def(range(0x90, 8), I_NONE, xchgAR);
def(0x98, I_NONE, cbw);
def(0x99, I_NONE, cwd);
def(range(0x1c8, 8), I_NONE, bswap);
def([0x2f0, 0x2f1], F_MODRM | F_MEM, movbe);
def(0xd7, I_NONE, xlat);
def(range(0x140, 16), F_MODRM, cmov);
def(range(0x190, 16), F_MODRM, setcc);
def([0x10d, ...range(0x118, 8)], F_MODRM, nop);

// ---- decode-time specialisations of 32/64-bit MOV ----

export function movRR32(c: Cpu, i: Insn): void {
  c.r[i.dst << 1] = c.r[i.src << 1];
  c.r[(i.dst << 1) + 1] = 0;
}

export function movRR64(c: Cpu, i: Insn): void {
  c.r[i.dst << 1] = c.r[i.src << 1];
  c.r[(i.dst << 1) + 1] = c.r[(i.src << 1) + 1];
}

export function load32(c: Cpu, i: Insn): void {
  c.ea(i);
  const v = c.read32(c.eaLo, c.eaHi);
  c.r[i.reg << 1] = v;
  c.r[(i.reg << 1) + 1] = 0;
}

export function load64(c: Cpu, i: Insn): void {
  c.ea(i);
  const v = c.read64(c.eaLo, c.eaHi);
  c.r[i.reg << 1] = v;
  c.r[(i.reg << 1) + 1] = c.rhi;
}

export function store32(c: Cpu, i: Insn): void {
  c.ea(i);
  c.write32(c.eaLo, c.eaHi, c.r[i.reg << 1]);
}

export function store64(c: Cpu, i: Insn): void {
  c.ea(i);
  c.write64(c.eaLo, c.eaHi, c.r[i.reg << 1], c.r[(i.reg << 1) + 1]);
}

function specializeMov(i: Insn): Handler | null {
  if (i.osize !== 4 && i.osize !== 8) return null;
  const wide = i.osize === 8;
  const toRm = i.opcode === 0x89;
  if (i.mod === 3) {
    i.dst = toRm ? i.rm : i.reg;
    i.src = toRm ? i.reg : i.rm;
    return wide ? movRR64 : movRR32;
  }
  if (toRm) return wide ? store64 : store32;
  return wide ? load64 : load32;
}

defFast([0x89, 0x8b], specializeMov);
// F2 0F 38 F0/F1 is CRC32 (SSE4.2) and F3 is undefined.
defFast([0x2f0, 0x2f1], noRepPrefix);
