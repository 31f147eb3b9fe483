/**
 * Instructions that load or inspect segment descriptors through a selector: LSS/LFS/LGS (a far
 * pointer from memory, the segment loaded as MOV Sreg loads it) and LAR/LSL (access rights and
 * limit of a descriptor, ZF telling whether the selector names one visible at this CPL/RPL).
 * There is no LDT, so a selector with TI=1 names nothing.
 */
import type { Cpu } from './cpu.js';
import { getRflags, setArithFlags } from './flags.js';
import type { Insn } from './insn.js';
import { def, F_MEM, F_MODRM } from './optable.js';
import { ZF } from './state.js';

/**
 * LSS/LFS/LGS r, m16:16/32/64 (0F B2/B4/B5): the offset (operand size) then the selector. Both
 * are read and the segment loaded before the register is written, so a fault changes nothing.
 */
function loadFarPointer(c: Cpu, i: Insn): void {
  const seg = i.opcode === 0x1b2 ? 2 : i.opcode === 0x1b4 ? 4 : 5;
  const size = i.osize;
  c.ea(i);
  const offLo = c.readSized(size, c.eaLo, c.eaHi);
  const offHi = size === 8 ? c.rhi : 0;
  const sel = c.read16(c.eaPlus(size), c.tmpHi);
  // MOV SS holds off interrupts for one instruction; LSS does not.
  const shadow = c.shadowUntil;
  c.loadSegmentChecked(seg, sel);
  c.shadowUntil = shadow;
  c.setReg(size, i.reg, offLo, offHi);
}

/** System descriptor types LAR accepts in 64-bit mode: LDT, 64-bit TSS (available, busy), call gate. */
const LAR_SYSTEM_TYPES = (1 << 0x2) | (1 << 0x9) | (1 << 0xb) | (1 << 0xc);
/** LSL: the same without the call gate (it has no limit). */
const LSL_SYSTEM_TYPES = (1 << 0x2) | (1 << 0x9) | (1 << 0xb);

/**
 * Whether the descriptor for `sel` is visible to LAR/LSL (`systemTypes`: the system types that
 * count); leaves it in descLo/descHi. Unlike a segment load, nothing here faults on the selector.
 */
function visibleDescriptor(c: Cpu, sel: number, systemTypes: number): boolean {
  if ((sel & ~3) === 0 || (sel & 4) !== 0 || (sel & ~7) + 7 > c.gdtLimit) return false;
  c.loadDescriptor(sel, 0);
  const dHi = c.descHi;
  const type = (dHi >> 8) & 0xf;
  const dpl = (dHi >> 13) & 3;
  if ((dHi & 0x1000) === 0) {
    if (((systemTypes >> type) & 1) === 0) return false;
  } else if ((type & 0xc) === 0xc) {
    // Conforming code: visible at any privilege.
    return true;
  }
  return dpl >= c.cpl && dpl >= (sel & 3);
}

function setZF(c: Cpu, on: boolean): void {
  const f = getRflags(c);
  setArithFlags(c, on ? f | ZF : f & ~ZF);
}

/**
 * LAR r, r/m16 (0F 02): bits 8–23 of the descriptor's upper word (type, S, DPL, P, limit 19:16,
 * AVL, L, D/B, G — the host returns the limit bits too).
 */
function lar(c: Cpu, i: Insn): void {
  const sel = c.readRM(i, 2) & 0xffff;
  const ok = visibleDescriptor(c, sel, LAR_SYSTEM_TYPES);
  if (ok) c.setReg(i.osize, i.reg, c.descHi & (i.osize === 2 ? 0xff00 : 0x00ffff00), 0);
  setZF(c, ok);
}

/** LSL r, r/m16 (0F 03): the segment limit in bytes (scaled by G). */
function lsl(c: Cpu, i: Insn): void {
  const sel = c.readRM(i, 2) & 0xffff;
  const ok = visibleDescriptor(c, sel, LSL_SYSTEM_TYPES);
  if (ok) {
    let limit = (c.descLo & 0xffff) | (c.descHi & 0xf0000);
    if (c.descHi & 0x800000) limit = (limit << 12) | 0xfff;
    c.setReg(i.osize, i.reg, i.osize === 2 ? limit & 0xffff : limit, 0);
  }
  setZF(c, ok);
}

def([0x1b2, 0x1b4, 0x1b5], F_MODRM | F_MEM, loadFarPointer);
def(0x102, F_MODRM, lar);
def(0x103, F_MODRM, lsl);
