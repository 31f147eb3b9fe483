/**
 * System instructions: descriptor-table registers (LGDT/LIDT/SGDT/SIDT/LTR/STR/SLDT/LLDT/SMSW/
 * LMSW), MOV to/from control and debug registers, MOV Sreg, RDMSR/WRMSR, RDTSC/RDTSCP, SWAPGS,
 * INVLPG, CLTS, INVD/WBINVD, UD2, fences, CLFLUSH, RDRAND/RDSEED.
 */
import type { Cpu } from './cpu.js';
import { raiseUD } from './decoder.js';
import { GP, UD } from './fault.js';
import { setArithFlags } from './flags.js';
import type { Handler, Insn } from './insn.js';
import { readMsr, writeMsr } from './msr.js';
import { def, defFast, defGroup, F_MEM, F_MODRM, F_MODRM_REG, F_REG, F_SSE, I_NONE } from './optable.js';
import { CF, CR0_PG, CR0_PE, CR0_TS, CR4_PAE, EFER_LMA, EFER_LME } from './state.js';

const TWO32 = 4294967296;

function requireCpl0(c: Cpu): void {
  if (c.cpl !== 0) c.raise(GP, 0);
}

function requireMem(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
}

/** LGDT/LIDT: 2-byte limit, then an 8-byte base (64-bit mode). */
function lgdtLidt(c: Cpu, i: Insn): void {
  requireMem(c, i);
  requireCpl0(c);
  c.ea(i);
  const limit = c.read16(c.eaLo, c.eaHi);
  const bLo = c.eaPlus(2);
  const baseLo = c.read64(bLo, c.tmpHi);
  const baseHi = c.rhi;
  const t = baseHi >> 15;
  if (t !== 0 && t !== -1) c.raise(GP, 0);
  if ((i.reg & 7) === 2) {
    c.gdtBaseLo = baseLo;
    c.gdtBaseHi = baseHi;
    c.gdtLimit = limit;
  } else {
    c.idtBaseLo = baseLo;
    c.idtBaseHi = baseHi;
    c.idtLimit = limit;
  }
}

/** SGDT/SIDT: the 10-byte image is never alignment-checked (as the hardware shows). */
function sgdtSidt(c: Cpu, i: Insn): void {
  requireMem(c, i);
  c.ea(i);
  const gdt = (i.reg & 7) === 0;
  c.probeWrite(c.eaLo, c.eaHi, 10);
  c.alignExempt = true;
  c.write16(c.eaLo, c.eaHi, gdt ? c.gdtLimit : c.idtLimit);
  const bLo = c.eaPlus(2);
  c.write64(bLo, c.tmpHi, gdt ? c.gdtBaseLo : c.idtBaseLo, gdt ? c.gdtBaseHi : c.idtBaseHi);
  c.alignExempt = false;
}

/** 0F 01 /7: INVLPG m, SWAPGS (F8), RDTSCP (F9). */
function group7(c: Cpu, i: Insn): void {
  if (i.mod !== 3) {
    requireCpl0(c);
    c.ea(i);
    c.flushTlbPage(c.eaLo, c.eaHi);
    return;
  }
  const rm = i.rm & 7;
  if (rm === 0) {
    requireCpl0(c);
    const lo = c.segBase[10];
    const hi = c.segBase[11];
    c.segBase[10] = c.kernelGsBaseLo;
    c.segBase[11] = c.kernelGsBaseHi;
    c.kernelGsBaseLo = lo;
    c.kernelGsBaseHi = hi;
  } else if (rm === 1) {
    rdtscInto(c);
    c.setR32(1, c.tscAux);
  } else c.raise(UD, -1);
}

function smsw(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.setReg(i.osize, i.rm, c.cr0, 0);
  else {
    c.ea(i);
    c.write16(c.eaLo, c.eaHi, c.cr0 & 0xffff);
  }
}

/** LMSW: changes only PE, MP, EM, TS, and cannot clear PE. */
function lmsw(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const v = c.readRM(i, 2);
  const keep = c.cr0 & ~0xe;
  c.writeCr0(keep | (v & 0xf) | (c.cr0 & CR0_PE));
}

function sldt(c: Cpu, i: Insn): void {
  c.writeRM(i, i.mod === 3 ? i.osize : 2, c.ldtrSel, 0);
}

function str(c: Cpu, i: Insn): void {
  c.writeRM(i, i.mod === 3 ? i.osize : 2, c.trSel, 0);
}

/** LLDT: only the null selector (no LDT support yet). */
function lldt(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const sel = c.readRM(i, 2);
  if ((sel & ~3) !== 0) c.raise(GP, sel & ~3);
  c.ldtrSel = 0;
}

/** LTR: loads an available 64-bit TSS (16-byte descriptor) and marks it busy. */
function ltr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const sel = c.readRM(i, 2);
  if ((sel & ~3) === 0) c.raise(GP, 0);
  if ((sel & 4) !== 0 || (sel & ~7) + 15 > c.gdtLimit) c.raise(GP, sel & ~3);
  c.loadDescriptor(sel, 0);
  const dLo = c.descLo;
  const dHi = c.descHi;
  if ((dHi & 0x1f00) !== 0x0900) c.raise(GP, sel & ~3);
  if ((dHi & 0x8000) === 0) c.raise(0x0b, sel & ~3);
  const aLo = (c.gdtBaseLo + (sel & ~7) + 8) | 0;
  const aHi = (aLo >>> 0) < (c.gdtBaseLo >>> 0) ? c.gdtBaseHi + 1 : c.gdtBaseHi;
  const baseHi = c.read32(aLo, aHi);
  // Mark busy (type 11) in the GDT.
  const tLo = (c.gdtBaseLo + (sel & ~7) + 5) | 0;
  const tHi = (tLo >>> 0) < (c.gdtBaseLo >>> 0) ? c.gdtBaseHi + 1 : c.gdtBaseHi;
  c.write8(tLo, tHi, ((dHi >> 8) & 0xff) | 2);
  c.trSel = sel;
  c.trBaseLo = ((dLo >>> 16) | ((dHi & 0xff) << 16) | (dHi & 0xff000000)) | 0;
  c.trBaseHi = baseHi;
  let limit = (dLo & 0xffff) | (dHi & 0xf0000);
  if (dHi & 0x800000) limit = (limit << 12) | 0xfff;
  c.trLimit = limit;
  c.trAttr = ((dHi >>> 8) & 0xf0ff) | 0x2;
}

function verrVerw(c: Cpu, i: Insn): void {
  // Without an LDT or user segments modelled in depth: readable/writable iff a matching descriptor.
  const sel = c.readRM(i, 2);
  let ok = false;
  if ((sel & ~3) !== 0 && (sel & 4) === 0 && (sel & ~7) + 7 <= c.gdtLimit) {
    c.loadDescriptor(sel, 0);
    const type = (c.descHi >> 8) & 0x1f;
    const dpl = (c.descHi >> 13) & 3;
    const conforming = (type & 0x1c) === 0x1c;
    if ((type & 0x10) !== 0 && (conforming || (dpl >= c.cpl && dpl >= (sel & 3)))) {
      ok = (i.reg & 7) === 4 ? (type & 0x8) === 0 || (type & 0x2) !== 0 : (type & 0xa) === 0x2;
    }
  }
  const f = c.getRflags();
  setArithFlags(c, ok ? f | 0x40 : f & ~0x40);
}

function clts(c: Cpu): void {
  requireCpl0(c);
  c.cr0 &= ~CR0_TS;
}

function privilegedNop(c: Cpu): void {
  requireCpl0(c);
}

function ud2(c: Cpu): void {
  c.raise(UD, -1);
}

/** MOV r64, CRn (0F 20). The mod field is ignored: always a register form. */
function movFromCr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const n = i.reg;
  const d = i.rm;
  switch (n) {
    case 0:
      c.setR64(d, c.cr0, 0);
      break;
    case 2:
      c.setR64(d, c.cr2Lo, c.cr2Hi);
      break;
    case 3:
      c.setR64(d, c.cr3Lo, c.cr3Hi);
      break;
    case 4:
      c.setR64(d, c.cr4, 0);
      break;
    case 8:
      c.setR64(d, c.cr8, 0);
      break;
    default:
      c.raise(UD, -1);
  }
}

/** CR4 bits this processor accepts (VME..PCE, OSFXSR, OSXMMEXCPT, FSGSBASE left out). */
const CR4_VALID = 0x1ff | (1 << 9) | (1 << 10);

function movToCr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const lo = c.r[i.rm << 1];
  const hi = c.r[(i.rm << 1) + 1];
  switch (i.reg) {
    case 0: {
      if (hi !== 0) c.raise(GP, 0);
      const v = lo;
      // PG requires PE; NW without CD is invalid; clearing PG in 64-bit mode is not allowed.
      if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) c.raise(GP, 0);
      if ((v & (1 << 29)) !== 0 && (v & (1 << 30)) === 0) c.raise(GP, 0);
      if ((c.efer & EFER_LMA) !== 0 && (v & CR0_PG) === 0) c.raise(GP, 0);
      if ((v & CR0_PG) !== 0 && (c.efer & EFER_LME) !== 0 && (c.cr4 & CR4_PAE) === 0) c.raise(GP, 0);
      c.writeCr0(v);
      break;
    }
    case 2:
      c.cr2Lo = lo;
      c.cr2Hi = hi;
      break;
    case 3:
      if ((hi & 0xfff00000) !== 0) c.raise(GP, 0);
      c.cr3Lo = lo;
      c.cr3Hi = hi;
      c.flushTlb();
      break;
    case 4:
      if (hi !== 0 || (lo & ~CR4_VALID) !== 0) c.raise(GP, 0);
      if ((c.efer & EFER_LMA) !== 0 && (lo & CR4_PAE) === 0) c.raise(GP, 0);
      c.cr4 = lo;
      c.flushTlb();
      break;
    case 8:
      if (hi !== 0 || (lo & ~15) !== 0) c.raise(GP, 0);
      c.cr8 = lo;
      break;
    default:
      c.raise(UD, -1);
  }
}

/** DR0–DR3, DR6, DR7 are stored (no hardware breakpoints are armed from them). */
function drIndex(c: Cpu, n: number): number {
  if (n === 4 || n === 5) {
    if (c.cr4 & (1 << 3)) c.raise(UD, -1);
    return n + 2;
  }
  if (n > 7) c.raise(UD, -1);
  return n;
}

function movFromDr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const n = drIndex(c, i.reg);
  c.setR64(i.rm, c.dr[n * 2], c.dr[n * 2 + 1]);
}

function movToDr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const n = drIndex(c, i.reg);
  const hi = c.r[(i.rm << 1) + 1];
  if ((n === 6 || n === 7) && hi !== 0) c.raise(GP, 0);
  c.dr[n * 2] = c.r[i.rm << 1];
  c.dr[n * 2 + 1] = hi;
}

function movFromSreg(c: Cpu, i: Insn): void {
  const s = i.reg & 7;
  if (s > 5) c.raise(UD, -1);
  const sel = c.segSel[s] & 0xffff;
  if (i.mod === 3) c.setReg(i.osize, i.rm, sel, 0);
  else c.writeRM(i, 2, sel, 0);
}

function movToSreg(c: Cpu, i: Insn): void {
  const s = i.reg & 7;
  if (s === 1 || s > 5) c.raise(UD, -1);
  const sel = c.readRM(i, 2);
  c.loadSegmentChecked(s, sel & 0xffff);
}

/** MOV to/from CRn: only CR0, CR2, CR3, CR4 and CR8 exist; DR8–DR15 do not. */
function validCr(i: Insn): Handler | null {
  return i.reg === 0 || i.reg === 2 || i.reg === 3 || i.reg === 4 || i.reg === 8 ? null : raiseUD;
}

function validDr(i: Insn): Handler | null {
  return i.reg < 8 ? null : raiseUD;
}

/** Encodings whose F2/F3 forms are other (unimplemented) instructions. */
export function noRepPrefix(i: Insn): Handler | null {
  return i.rep !== 0 ? raiseUD : null;
}

/** 0F 01 /7 with a register operand is SWAPGS (F8) or RDTSCP (F9) only. */
function validGroup7(i: Insn): Handler | null {
  return i.mod !== 3 || (i.rm & 7) <= 1 ? null : raiseUD;
}

/** MOV Sreg: segment numbers 6 and 7 (and CS as a destination) do not exist. */
function validSreg(i: Insn): Handler | null {
  const s = i.reg & 7;
  return s > 5 || (i.opcode === 0x8e && s === 1) ? raiseUD : null;
}

function rdmsr(c: Cpu): void {
  requireCpl0(c);
  if (!readMsr(c, c.r[2])) c.raise(GP, 0);
  c.setR32(0, c.msrLo);
  c.setR32(2, c.msrHi);
}

function wrmsr(c: Cpu): void {
  requireCpl0(c);
  if (!writeMsr(c, c.r[2], c.r[0], c.r[4])) c.raise(GP, 0);
}

function rdtscInto(c: Cpu): void {
  if ((c.cr4 & (1 << 2)) !== 0 && c.cpl !== 0) c.raise(GP, 0);
  const t = c.readTsc();
  c.setR32(0, t % TWO32);
  c.setR32(2, Math.floor(t / TWO32));
}

function rdtsc(c: Cpu): void {
  rdtscInto(c);
}

/** 0F AE /5 /6 /7 with mod = 3: LFENCE, MFENCE, SFENCE. Memory /7 is CLFLUSH. */
function fenceOrClflush(c: Cpu, i: Insn): void {
  if (i.mod === 3) return;
  if ((i.reg & 7) !== 7) c.raise(UD, -1);
  // CLFLUSH faults like a byte read, and otherwise has nothing to do on a coherent emulation.
  c.ea(i);
  c.read8(c.eaLo, c.eaHi);
}

/** RDRAND/RDSEED r (0F C7 /6, /7, register forms): always succeed (CF=1). */
const randomWords = new Uint32Array(64);
let randomIndex = randomWords.length;

function nextRandom(): number {
  if (randomIndex >= randomWords.length) {
    crypto.getRandomValues(randomWords);
    randomIndex = 0;
  }
  return randomWords[randomIndex++] | 0;
}

function rdrand(c: Cpu, i: Insn): void {
  if (i.mod !== 3) c.raise(UD, -1);
  const size = i.osize;
  const lo = nextRandom();
  const hi = size === 8 ? nextRandom() : 0;
  c.setReg(size, i.rm, size === 2 ? lo & 0xffff : lo, hi);
  setArithFlags(c, CF);
}

defGroup(0x101, 0, F_MEM, sgdtSidt);
defGroup(0x101, 1, F_MEM, sgdtSidt);
defGroup(0x101, 2, F_MEM, lgdtLidt);
defGroup(0x101, 3, F_MEM, lgdtLidt);
defGroup(0x101, 4, F_MODRM, smsw);
defGroup(0x101, 6, F_MODRM, lmsw);
defGroup(0x101, 7, F_MODRM, group7);
defGroup(0x100, 0, F_MODRM, sldt);
defGroup(0x100, 1, F_MODRM, str);
defGroup(0x100, 2, F_MODRM, lldt);
defGroup(0x100, 3, F_MODRM, ltr);
defGroup(0x100, 4, F_MODRM, verrVerw);
defGroup(0x100, 5, F_MODRM, verrVerw);
def(0x106, I_NONE, clts);
def([0x108, 0x109], I_NONE, privilegedNop);
def(0x10b, I_NONE, ud2);
def(0x120, F_MODRM | F_MODRM_REG, movFromCr);
def(0x122, F_MODRM | F_MODRM_REG, movToCr);
def(0x121, F_MODRM | F_MODRM_REG, movFromDr);
def(0x123, F_MODRM | F_MODRM_REG, movToDr);
def(0x8c, F_MODRM, movFromSreg);
def(0x8e, F_MODRM, movToSreg);
def(0x130, I_NONE, wrmsr);
def(0x131, I_NONE, rdtsc);
def(0x132, I_NONE, rdmsr);
defGroup(0x1ae, 5, F_SSE, fenceOrClflush);
defGroup(0x1ae, 6, F_SSE, fenceOrClflush);
defGroup(0x1ae, 7, F_SSE, fenceOrClflush);
defGroup(0x1c7, 6, F_REG, rdrand);
defGroup(0x1c7, 7, F_REG, rdrand);
defFast([0x8c, 0x8e], validSreg);
defFast(0x101, validGroup7, 7);
defFast(0x1c7, noRepPrefix, 6);
defFast(0x1c7, noRepPrefix, 7);
defFast([0x120, 0x122], validCr);
defFast([0x121, 0x123], validDr);
