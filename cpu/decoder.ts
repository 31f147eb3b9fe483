/**
 * x86-64 instruction decoder: legacy prefixes, REX, opcode maps (one-byte, 0F, 0F38, 0F3A),
 * ModRM/SIB/displacement (RIP-relative included), immediates, the 15-byte limit. VEX/EVEX and
 * unknown opcodes decode to an instruction that raises #UD when executed, so that the fault
 * happens at execution with the right RIP (and is cached like anything else).
 *
 * Only 64-bit mode is decoded today; `mode64` is passed so that the 16/32-bit default sizes can be
 * added here without touching the families.
 */
import { GP, UD } from './fault.js';
import { BASE_RIP, Insn, SEG_SS, type Handler } from './insn.js';
import { F_DEF64, F_FORCE64, F_LOCK, F_MEM, F_MODRM, F_MODRM_REG, F_REG, F_SSE, I_B, I_D, I_MASK, I_MOFFS, I_NONE, I_V, I_W, I_WB, I_Z, opTable, V_66, V_F2, V_F3, type OpEntry } from './optable.js';

/** Where the decoder gets bytes: a window already fetched, and a slow path that may fault. */
export interface CodeSource {
  /** Up to 15 bytes starting at the instruction. */
  readonly codeBytes: Uint8Array;
  /** How many of codeBytes are valid (fewer near an unmapped page). */
  codeAvail: number;
  /** Fetches byte k of the instruction, raising #PF if it cannot. */
  codeByteSlow(k: number): number;
}

/** The handler of every undefined or unimplemented encoding. */
export const raiseUD: Handler = (cpu) => cpu.raise(UD, -1);
const raiseGP: Handler = (cpu) => cpu.raise(GP, 0);

const SEG_OVERRIDE: Record<number, number> = { 0x26: 0, 0x2e: 1, 0x36: 2, 0x3e: 3, 0x64: 4, 0x65: 5 };

export function decode(src: CodeSource, mode64: boolean): Insn {
  const bytes = src.codeBytes;
  const avail = src.codeAvail;
  let pos = 0;
  // Bytes past the 15-byte limit are never fetched: the instruction is #GP whatever they are.
  const next = (): number => (pos >= 15 ? (pos++, 0) : pos < avail ? bytes[pos++] : src.codeByteSlow(pos++));
  const i = new Insn(raiseUD);
  let rex = 0;
  let a67 = false;
  let b = 0;
  for (;;) {
    if (pos >= 15) return tooLong(i);
    b = next();
    if (b === 0x66) i.p66 = true;
    else if (b === 0x67) a67 = true;
    else if (b === 0xf0) i.lock = true;
    else if (b === 0xf2) i.rep = 2;
    else if (b === 0xf3) i.rep = 1;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65) i.seg = SEG_OVERRIDE[b];
    else if (mode64 && (b & 0xf0) === 0x40) {
      rex = b;
      // A REX prefix counts only right before the opcode; peek at the next byte.
      if (pos >= 15) return tooLong(i);
      b = next();
      if ((b & 0xf0) === 0x40) {
        pos--;
        continue;
      }
      if (b === 0x66 || b === 0x67 || b === 0xf0 || b === 0xf2 || b === 0xf3 || b in SEG_OVERRIDE) {
        rex = 0;
        pos--;
        continue;
      }
      break;
    } else break;
  }
  // In 64-bit mode ES/CS/SS/DS overrides are ignored (even for choosing #SS over #GP, as the
  // hardware shows); FS and GS add a base.
  if (mode64 && i.seg >= 0 && i.seg < 4) i.seg = -1;
  i.rex = rex;
  let map = 0;
  let op = b;
  if (b === 0x0f) {
    if (pos >= 15) return tooLong(i);
    op = next();
    map = 1;
    if (op === 0x38 || op === 0x3a) {
      map = op === 0x38 ? 2 : 3;
      if (pos >= 15) return tooLong(i);
      op = next();
    }
  } else if (mode64 && (b === 0xc4 || b === 0xc5 || b === 0x62)) {
    // VEX / EVEX: AVX is not implemented (and CR4.OSXSAVE is clear), so #UD.
    i.len = Math.min(pos, 15);
    return i;
  }
  const opcode = (map << 8) | op;
  i.opcode = opcode;
  const k = opcode << 2;
  let e: OpEntry | null = null;
  let p66Taken = false;
  let invalid = false;
  if (map !== 0) {
    // F2/F3 take precedence over 66 as the mandatory prefix of SSE opcodes.
    const sse = isSse(opTable[k]) || isSse(opTable[k | V_66]) || isSse(opTable[k | V_F3]) || isSse(opTable[k | V_F2]);
    if (i.rep !== 0) {
      const v = i.rep === 2 ? V_F2 : V_F3;
      if (opTable[k | v]) {
        e = opTable[k | v];
        i.rep = 0;
      } else if (sse) invalid = true;
    } else if (i.p66 && opTable[k | V_66]) {
      e = opTable[k | V_66];
      p66Taken = true;
    }
  }
  if (!e && !invalid) {
    e = opTable[k];
    if (isSse(e) && (i.p66 || i.rep !== 0)) e = null;
  }
  const rexW = (rex & 8) !== 0;
  const p66 = i.p66 && !p66Taken;
  let form = e ? e.form : F_MODRM;
  i.asize = mode64 ? (a67 ? 4 : 8) : a67 ? 2 : 4;
  if (form & F_MODRM) {
    if (pos >= 15) return tooLong(i);
    const m = next();
    i.hasModrm = true;
    i.mod = m >> 6;
    const reg = (m >> 3) & 7;
    i.reg = reg | ((rex & 4) << 1);
    i.rm = (m & 7) | ((rex & 1) << 3);
    i.reg8 = rex === 0 && reg >= 4 ? reg + 12 : i.reg;
    i.rm8 = rex === 0 && (m & 7) >= 4 ? (m & 7) + 12 : i.rm;
    if (e && e.group) {
      e = e.group[reg];
      if (e) form = e.form;
      if (isSse(e) && ((i.p66 && !p66Taken) || i.rep !== 0)) e = null;
    }
    if (form & F_MODRM_REG) i.mod = 3;
    if (((form & F_MEM) !== 0 && i.mod === 3) || ((form & F_REG) !== 0 && i.mod !== 3)) e = null;
    if (i.mod !== 3) {
      let rm = m & 7;
      if (rm === 4) {
        if (pos >= 15) return tooLong(i);
        const sib = next();
        i.scale = sib >> 6;
        const idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
        i.index = idx === 4 ? -1 : idx;
        rm = sib & 7;
        if (rm === 5 && i.mod === 0) {
          i.base = -1;
          i.disp = read32(next);
        } else i.base = rm | ((rex & 1) << 3);
      } else if (rm === 5 && i.mod === 0) {
        i.base = mode64 ? BASE_RIP : -1;
        i.disp = read32(next);
      } else i.base = i.rm;
      if (i.mod === 1) i.disp = (next() << 24) >> 24;
      else if (i.mod === 2) i.disp = read32(next);
      // RSP or RBP as base (not R12/R13) makes SS the segment, unless FS/GS overrides it.
      if (mode64 && i.seg < 0 && (i.base === 4 || i.base === 5)) i.seg = SEG_SS;
    }
  } else {
    // +r opcodes take their register from the low opcode bits.
    i.reg = (op & 7) | ((rex & 1) << 3);
    i.reg8 = rex === 0 && (op & 7) >= 4 ? (op & 7) + 12 : i.reg;
  }
  if (form & (F_DEF64 | F_FORCE64)) i.osize = (form & F_FORCE64) !== 0 || rexW || !p66 ? 8 : 2;
  else i.osize = rexW ? 8 : p66 ? 2 : 4;
  switch (form & I_MASK) {
    case I_NONE:
      break;
    case I_B:
      i.imm = (next() << 24) >> 24;
      break;
    case I_W:
      i.imm = next() | (next() << 8);
      break;
    case I_Z:
      if (i.osize === 2) i.imm = (next() | (next() << 8)) & 0xffff;
      else i.imm = read32(next);
      i.immHi = i.imm >> 31;
      break;
    case I_D:
      i.imm = read32(next);
      i.immHi = i.imm >> 31;
      break;
    case I_V:
      if (i.osize === 8) {
        i.imm = read32(next);
        i.immHi = read32(next);
      } else if (i.osize === 2) i.imm = next() | (next() << 8);
      else i.imm = read32(next);
      break;
    case I_WB:
      i.imm = next() | (next() << 8);
      i.imm2 = next();
      break;
    case I_MOFFS:
      i.imm = read32(next);
      i.immHi = i.asize === 8 ? read32(next) : 0;
      break;
  }
  if (pos > 15) return tooLong(i);
  i.len = pos;
  if (e && e.exec && (!i.lock || ((form & F_LOCK) !== 0 && i.mod !== 3))) {
    i.exec = e.exec;
    if (e.fast) {
      const h = e.fast(i);
      if (h) i.exec = h;
    }
  }
  return i;
}

function isSse(e: OpEntry | null): boolean {
  return e !== null && (e.form & F_SSE) !== 0;
}

function read32(next: () => number): number {
  return next() | (next() << 8) | (next() << 16) | (next() << 24);
}

function tooLong(i: Insn): Insn {
  i.exec = raiseGP;
  i.len = 15;
  return i;
}
