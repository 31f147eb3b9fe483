/**
 * MMX: eight 64-bit registers aliased onto the x87 registers (MMn is the significand of physical
 * register n; writing it sets that register's sign/exponent to all ones). Every MMX instruction
 * sets TOP = 0 and marks all tags valid; EMMS empties them.
 *
 * The MMX instruction set (MOVD/MOVQ, PADD/PSUB with saturation, multiplies, compares, logic,
 * shifts, packs, unpacks, EMMS), the SSE integer additions on MMX registers (PAVG, PEXTRW,
 * PINSRW, PMAX/PMIN, PMOVMSKB, PMULHUW, PSADBW, PSHUFW, MASKMOVQ, MOVNTQ), the SSE2 MMX forms
 * (PADDQ, PSUBQ, PMULUDQ, MOVDQ2Q, MOVQ2DQ, CVTPI2PS, CVT(T)PS2PI, CVTPI2PD, CVT(T)PD2PI) and
 * the SSSE3 MMX forms. The packed-integer arithmetic, shifts and SSSE3 ops copy their operands
 * into XMM scratch slots (TMP, MMD) and run the same kernels as the XMM forms on 8 bytes; the
 * rest use a local scratch block (D, S, result O). Either way a destination that is also a
 * source reads correctly.
 */
import { advertise, EDX } from './cpuid.js';
import type { Cpu } from './cpu.js';
import { GP, MF, NM, UD } from './fault.js';
import type { Insn } from './insn.js';
import { def, defGroup, F_MEM, F_MODRM, F_REG, F_SSE, I_B, range, V_66, V_F2, V_F3 } from './optable.js';
import {
  denormIn32,
  denormIn64,
  MMD,
  mxcsrBegin,
  mxcsrCommit,
  OUT,
  roundResult,
  sseCheck,
  TMP,
} from './sse-common.js';
import { packedIntBinary, shiftLanes } from './sse-int.js';
import { alignRight, packedSsse3 } from './ssse3.js';
import { toInt32 } from './sse-convert.js';
import { CR0_EM, CR0_NE, CR0_TS } from './state.js';

const scratch = new ArrayBuffer(24);
const b = new Uint8Array(scratch);
const h = new Uint16Array(scratch);
const w = new Int32Array(scratch);
const f32 = new Float32Array(scratch);
/** Byte, word and dword offsets of D (destination), S (source) and O (result) in the scratch. */
const D8 = 0, S8 = 8;
const D16 = 0, S16 = 4, O16 = 8;
const D32 = 0, S32 = 2, O32 = 4;

/** #UD with CR0.EM, #NM with CR0.TS, #MF for a pending x87 exception; then the MMX state. */
function mmxEnter(c: Cpu): void {
  if ((c.cr0 & CR0_EM) !== 0) c.raise(UD, -1);
  if ((c.cr0 & CR0_TS) !== 0) c.raise(NM, -1);
  if ((c.fsw & 0x80) !== 0 && (c.cr0 & CR0_NE) !== 0) c.raise(MF, -1);
  c.fsw &= ~0x3800;
  c.ftw = 0xff;
}

function loadD(c: Cpu, n: number): void {
  w[D32] = c.fpLo[n];
  w[D32 + 1] = c.fpHi[n];
}

/** The source operand: MM(rm) or 8 bytes of memory. */
function loadS(c: Cpu, i: Insn): void {
  if (i.mod === 3) {
    const n = i.rm & 7;
    w[S32] = c.fpLo[n];
    w[S32 + 1] = c.fpHi[n];
  } else {
    c.ea(i);
    w[S32] = c.read64(c.eaLo, c.eaHi);
    w[S32 + 1] = c.rhi;
  }
}

function setMM(c: Cpu, n: number, lo: number, hi: number): void {
  c.fpLo[n] = lo;
  c.fpHi[n] = hi;
  c.fpSe[n] = 0xffff;
}

function storeO(c: Cpu, n: number): void {
  setMM(c, n, w[O32], w[O32 + 1]);
}

/**
 * Two-operand MMX operations (0F 60–6B, 74–76, D4–FE), by opcode: the operands go to XMM scratch
 * slots and the shared packed-integer kernel works on their low 8 bytes.
 */
function mbin(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const d = loadOperands(c, i);
  packedIntBinary(c, i.opcode & 0xff, MMD, TMP, 8);
  storeOut(c, d);
}

/**
 * Copies the source (MM(rm) or m64) to XMM scratch slot TMP and MM(reg) to MMD, for the kernels
 * shared with the XMM forms; returns the destination register.
 */
function loadOperands(c: Cpu, i: Insn): number {
  const x = c.x32;
  if (i.mod === 3) {
    const n = i.rm & 7;
    x[TMP * 4] = c.fpLo[n];
    x[TMP * 4 + 1] = c.fpHi[n];
  } else {
    c.ea(i);
    x[TMP * 4] = c.read64(c.eaLo, c.eaHi);
    x[TMP * 4 + 1] = c.rhi;
  }
  const d = i.reg & 7;
  x[MMD * 4] = c.fpLo[d];
  x[MMD * 4 + 1] = c.fpHi[d];
  return d;
}

/** Writes the low 8 bytes of OUT to MM(d). */
function storeOut(c: Cpu, d: number): void {
  setMM(c, d, c.x32[OUT * 4], c.x32[OUT * 4 + 1]);
}

/** PSRLW/D/Q, PSRAW/D, PSLLW/D/Q by an MMX register or memory count (0F D1–D3, E1, E2, F1–F3). */
function shiftByMm(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const d = loadOperands(c, i);
  const x = c.x32;
  // Any count above 63 acts like 255 (all bits out, or sign fill).
  const count = x[TMP * 4 + 1] !== 0 || x[TMP * 4] < 0 ? 255 : x[TMP * 4];
  const op = i.opcode & 0xff;
  const kind = (op & 0xf0) === 0xd0 ? 0 : (op & 0xf0) === 0xe0 ? 1 : 2;
  shiftLanes(c, MMD, 1 << (op & 3), kind, count, 8);
  setMM(c, d, x[MMD * 4], x[MMD * 4 + 1]);
}

/** 0F 71/72/73 /2 /4 /6 ib: shifts by an immediate. */
function shiftByImm(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const d = i.rm & 7;
  const x = c.x32;
  x[MMD * 4] = c.fpLo[d];
  x[MMD * 4 + 1] = c.fpHi[d];
  const op = i.opcode & 0xff;
  const width = op === 0x71 ? 2 : op === 0x72 ? 4 : 8;
  const r = i.reg & 7;
  shiftLanes(c, MMD, width, r === 2 ? 0 : r === 4 ? 1 : 2, i.imm & 0xff, 8);
  setMM(c, d, x[MMD * 4], x[MMD * 4 + 1]);
}

/** 0F 6E MOVD/MOVQ mm, r/m32/64. */
function movdToMm(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const size = i.osize === 8 ? 8 : 4;
  const lo = c.readRM(i, size);
  setMM(c, i.reg & 7, lo, size === 8 ? c.rhi : 0);
}

/** 0F 7E MOVD/MOVQ r/m32/64, mm. */
function movdFromMm(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const n = i.reg & 7;
  const size = i.osize === 8 ? 8 : 4;
  c.writeRM(i, size, c.fpLo[n] | 0, size === 8 ? c.fpHi[n] | 0 : 0);
}

/** 0F 6F MOVQ mm, mm/m64. */
function movqLoad(c: Cpu, i: Insn): void {
  mmxEnter(c);
  loadS(c, i);
  setMM(c, i.reg & 7, w[S32], w[S32 + 1]);
}

/** 0F 7F MOVQ mm/m64, mm; 0F E7 MOVNTQ m64, mm. */
function movqStore(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const n = i.reg & 7;
  if (i.mod === 3) setMM(c, i.rm & 7, c.fpLo[n], c.fpHi[n]);
  else {
    c.ea(i);
    c.write64(c.eaLo, c.eaHi, c.fpLo[n] | 0, c.fpHi[n] | 0);
  }
}

/** 0F 77 EMMS: all x87 registers empty, TOP = 0 (as measured on the host). */
function emms(c: Cpu): void {
  if ((c.cr0 & CR0_EM) !== 0) c.raise(UD, -1);
  if ((c.cr0 & CR0_TS) !== 0) c.raise(NM, -1);
  if ((c.fsw & 0x80) !== 0 && (c.cr0 & CR0_NE) !== 0) c.raise(MF, -1);
  c.fsw &= ~0x3800;
  c.ftw = 0;
}

/** 0F 70 PSHUFW mm, mm/m64, imm8. */
function pshufw(c: Cpu, i: Insn): void {
  mmxEnter(c);
  loadS(c, i);
  for (let k = 0; k < 4; k++) h[O16 + k] = h[S16 + ((i.imm >> (2 * k)) & 3)];
  storeO(c, i.reg & 7);
}

/** 0F C4 PINSRW mm, r32/m16, imm8. */
function pinsrw(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const v = i.mod === 3 ? c.r[i.rm << 1] : c.readRM(i, 2);
  const d = i.reg & 7;
  loadD(c, d);
  w[O32] = w[D32];
  w[O32 + 1] = w[D32 + 1];
  h[O16 + (i.imm & 3)] = v;
  storeO(c, d);
}

/** 0F C5 PEXTRW r32, mm, imm8. */
function pextrw(c: Cpu, i: Insn): void {
  mmxEnter(c);
  loadD(c, i.rm & 7);
  c.setR64(i.reg, h[D16 + (i.imm & 3)], 0);
}

/** 0F D7 PMOVMSKB r32, mm. */
function pmovmskb(c: Cpu, i: Insn): void {
  mmxEnter(c);
  loadD(c, i.rm & 7);
  let m = 0;
  for (let k = 0; k < 8; k++) m |= (b[D8 + k] >> 7) << k;
  c.setR64(i.reg, m, 0);
}

/** 0F F7 MASKMOVQ mm1, mm2: bytes of mm1 where mm2's byte has its top bit, to [RDI]. */
function maskmovq(c: Cpu, i: Insn): void {
  mmxEnter(c);
  loadD(c, i.reg & 7);
  const mask = i.rm & 7;
  w[S32] = c.fpLo[mask];
  w[S32 + 1] = c.fpHi[mask];
  c.eaAbsolute(i, c.r[14], c.r[15]);
  const baseLo = c.eaLo;
  const baseHi = c.eaHi;
  for (let k = 0; k < 8; k++) {
    if ((b[S8 + k] & 0x80) === 0) continue;
    const lo = (baseLo + k) | 0;
    c.write8(lo, (lo >>> 0) < (baseLo >>> 0) ? baseHi + 1 : baseHi, b[D8 + k]);
  }
}

// ---- SSE2: moves between XMM and MMX, conversions ------------------------------------------

/** F2 0F D6 MOVDQ2Q mm, xmm. */
function movdq2q(c: Cpu, i: Insn): void {
  sseCheck(c);
  mmxEnter(c);
  const s = i.rm * 4;
  setMM(c, i.reg & 7, c.x32[s], c.x32[s + 1]);
}

/** F3 0F D6 MOVQ2DQ xmm, mm (upper half zeroed). */
function movq2dq(c: Cpu, i: Insn): void {
  sseCheck(c);
  mmxEnter(c);
  const n = i.rm & 7;
  const d = i.reg * 4;
  c.x32[d] = c.fpLo[n];
  c.x32[d + 1] = c.fpHi[n];
  c.x32[d + 2] = 0;
  c.x32[d + 3] = 0;
}

/** The two int32 of an MMX source (register: an MMX transition; memory: none). */
function loadPi(c: Cpu, i: Insn): void {
  if (i.mod === 3) mmxEnter(c);
  loadS(c, i);
}

/** 0F 2A CVTPI2PS xmm, mm/m64: the upper two lanes are kept. */
function cvtpi2ps(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadPi(c, i);
  mxcsrBegin();
  const r0 = roundResult(c, w[S32], 0, true);
  const r1 = roundResult(c, w[S32 + 1], 0, true);
  mxcsrCommit(c);
  c.xf32[i.reg * 4] = r0;
  c.xf32[i.reg * 4 + 1] = r1;
}

/** 66 0F 2A CVTPI2PD xmm, mm/m64 (exact). */
function cvtpi2pd(c: Cpu, i: Insn): void {
  sseCheck(c);
  loadPi(c, i);
  c.xf64[i.reg * 2] = w[S32];
  c.xf64[i.reg * 2 + 1] = w[S32 + 1];
}

/** 0F 2C/2D CVT(T)PS2PI mm, xmm/m64. */
function cvtps2pi(c: Cpu, i: Insn): void {
  sseCheck(c);
  let a: number, bb: number;
  if (i.mod === 3) {
    a = c.xf32[i.rm * 4];
    bb = c.xf32[i.rm * 4 + 1];
  } else {
    c.ea(i);
    w[S32] = c.read64(c.eaLo, c.eaHi);
    w[S32 + 1] = c.rhi;
    a = f32[2];
    bb = f32[3];
  }
  mmxEnter(c);
  const truncate = (i.opcode & 0xff) === 0x2c;
  mxcsrBegin();
  const lo = toInt32(c, denormIn32(c, a, false), truncate);
  const hi = toInt32(c, denormIn32(c, bb, false), truncate);
  mxcsrCommit(c);
  setMM(c, i.reg & 7, lo, hi);
}

/** 66 0F 2C/2D CVT(T)PD2PI mm, xmm/m128 (aligned). */
function cvtpd2pi(c: Cpu, i: Insn): void {
  sseCheck(c);
  let a: number, bb: number;
  if (i.mod === 3) {
    a = c.xf64[i.rm * 2];
    bb = c.xf64[i.rm * 2 + 1];
  } else {
    c.ea(i);
    if ((c.eaLo & 15) !== 0) c.raise(GP, 0);
    const lo0 = c.read64(c.eaLo, c.eaHi);
    const hi0 = c.rhi;
    const l2 = c.eaPlus(8);
    const lo1 = c.read64(l2, c.tmpHi);
    const hi1 = c.rhi;
    f64v.setInt32(0, lo0, true);
    f64v.setInt32(4, hi0, true);
    a = f64v.getFloat64(0, true);
    f64v.setInt32(0, lo1, true);
    f64v.setInt32(4, hi1, true);
    bb = f64v.getFloat64(0, true);
  }
  mmxEnter(c);
  const truncate = (i.opcode & 0xff) === 0x2c;
  mxcsrBegin();
  const lo = toInt32(c, denormIn64(c, a, false), truncate);
  const hi = toInt32(c, denormIn64(c, bb, false), truncate);
  mxcsrCommit(c);
  setMM(c, i.reg & 7, lo, hi);
}

const f64v = new DataView(new ArrayBuffer(8));

// ---- SSSE3 on MMX registers (0F 38 00–0B, 1C–1E; 0F 3A 0F) ---------------------------------

function ssse3(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const d = loadOperands(c, i);
  packedSsse3(c, i.opcode & 0xff, MMD, TMP, 8);
  storeOut(c, d);
}

/** 0F 3A 0F PALIGNR mm, mm/m64, imm8. */
function palignr(c: Cpu, i: Insn): void {
  mmxEnter(c);
  const d = loadOperands(c, i);
  alignRight(c, MMD, TMP, i.imm & 0xff, 8);
  storeOut(c, d);
}

const M = F_MODRM | F_SSE;
def([...range(0x160, 12), 0x174, 0x175, 0x176], M, mbin);
def([0x1d4, 0x1d5, ...range(0x1d8, 8), 0x1e0, 0x1e3, 0x1e4, 0x1e5, ...range(0x1e8, 8), 0x1f4, 0x1f5, 0x1f6, ...range(0x1f8, 7)], M, mbin);
def([0x1d1, 0x1d2, 0x1d3, 0x1e1, 0x1e2, 0x1f1, 0x1f2, 0x1f3], M, shiftByMm);
const G = F_SSE | F_REG | I_B;
for (const op of [0x171, 0x172]) for (const r of [2, 4, 6]) defGroup(op, r, G, shiftByImm);
defGroup(0x173, 2, G, shiftByImm);
defGroup(0x173, 6, G, shiftByImm);
def(0x16e, M, movdToMm);
def(0x17e, M, movdFromMm);
def(0x16f, M, movqLoad);
def(0x17f, M, movqStore);
def(0x1e7, M | F_MEM, movqStore);
def(0x177, F_SSE, emms);
def(0x170, M | I_B, pshufw);
def(0x1c4, M | I_B, pinsrw);
def(0x1c5, M | F_REG | I_B, pextrw);
def(0x1d7, M | F_REG, pmovmskb);
def(0x1f7, M | F_REG, maskmovq);
def(0x1d6, M | F_REG, movdq2q, V_F2);
def(0x1d6, M | F_REG, movq2dq, V_F3);
def(0x12a, M, cvtpi2ps);
def(0x12a, M, cvtpi2pd, V_66);
def([0x12c, 0x12d], M, cvtps2pi);
def([0x12c, 0x12d], M, cvtpd2pi, V_66);
def([...range(0x200, 12), 0x21c, 0x21d, 0x21e], M, ssse3);
def(0x30f, M | I_B, palignr);

advertise(1, 0, EDX, 23); // MMX
