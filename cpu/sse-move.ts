/**
 * SSE/SSE2 data movement: MOVUPS/MOVUPD/MOVAPS/MOVAPD/MOVDQA/MOVDQU, MOVSS/MOVSD, MOVLPS/MOVHPS/
 * MOVLPD/MOVHPD/MOVHLPS/MOVLHPS, MOVD/MOVQ, non-temporal stores (MOVNTPS/PD, MOVNTDQ, MOVNTI) and
 * MASKMOVDQU.
 */
import type { Cpu } from './cpu.js';
import { GP, UD } from './fault.js';
import type { Insn } from './insn.js';
import { def, F_MEM, F_MODRM, F_REG, F_SSE, V_66, V_F2, V_F3 } from './optable.js';
import { copyXmm, sseCheck, store128, xmmSrc } from './sse-common.js';

function loadU(c: Cpu, i: Insn): void {
  sseCheck(c);
  copyXmm(c, i.reg, xmmSrc(c, i, 16, false));
}

function loadA(c: Cpu, i: Insn): void {
  sseCheck(c);
  copyXmm(c, i.reg, xmmSrc(c, i, 16, true));
}

function storeTo(c: Cpu, i: Insn, aligned: boolean, memOnly: boolean): void {
  sseCheck(c);
  if (i.mod === 3) {
    if (memOnly) c.raise(UD, -1);
    copyXmm(c, i.rm, i.reg);
    return;
  }
  c.ea(i);
  if (aligned && (c.eaLo & 15) !== 0) c.raise(GP, 0);
  store128(c, i.reg);
}

function storeU(c: Cpu, i: Insn): void {
  storeTo(c, i, false, false);
}

function storeA(c: Cpu, i: Insn): void {
  storeTo(c, i, true, false);
}

function storeNT(c: Cpu, i: Insn): void {
  storeTo(c, i, true, true);
}

/** MOVSS load: register form moves the low dword; memory form zeroes the upper 96 bits. */
function movssLoad(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.reg * 4;
  if (i.mod === 3) w[d] = w[i.rm * 4];
  else {
    const s = xmmSrc(c, i, 4, false) * 4;
    w[d] = w[s];
    w[d + 1] = 0;
    w[d + 2] = 0;
    w[d + 3] = 0;
  }
}

function movssStore(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  if (i.mod === 3) w[i.rm * 4] = w[i.reg * 4];
  else {
    c.ea(i);
    c.write32(c.eaLo, c.eaHi, w[i.reg * 4]);
  }
}

function movsdLoad(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.reg * 4;
  if (i.mod === 3) {
    w[d] = w[i.rm * 4];
    w[d + 1] = w[i.rm * 4 + 1];
  } else {
    const s = xmmSrc(c, i, 8, false) * 4;
    w[d] = w[s];
    w[d + 1] = w[s + 1];
    w[d + 2] = 0;
    w[d + 3] = 0;
  }
}

/** Stores the low qword of xmm reg (MOVSD store, MOVLPS/MOVLPD store, MOVQ 66 0F D6). */
function storeLow64(c: Cpu, i: Insn, regZeroesUpper: boolean): void {
  sseCheck(c);
  const w = c.x32;
  const s = i.reg * 4;
  if (i.mod === 3) {
    const d = i.rm * 4;
    w[d] = w[s];
    w[d + 1] = w[s + 1];
    if (regZeroesUpper) {
      w[d + 2] = 0;
      w[d + 3] = 0;
    }
  } else {
    c.ea(i);
    c.write64(c.eaLo, c.eaHi, w[s], w[s + 1]);
  }
}

function movsdStore(c: Cpu, i: Insn): void {
  storeLow64(c, i, false);
}

function movqStore(c: Cpu, i: Insn): void {
  storeLow64(c, i, true);
}

/** 0F 12: MOVLPS xmm, m64 / MOVHLPS xmm, xmm. 66 0F 12: MOVLPD xmm, m64. */
function movlpLoad(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.reg * 4;
  if (i.mod === 3) {
    if (i.p66) c.raise(UD, -1);
    const s = i.rm * 4;
    w[d] = w[s + 2];
    w[d + 1] = w[s + 3];
    return;
  }
  c.ea(i);
  w[d] = c.read64(c.eaLo, c.eaHi);
  w[d + 1] = c.rhi;
}

/** 0F 16: MOVHPS xmm, m64 / MOVLHPS xmm, xmm. 66 0F 16: MOVHPD xmm, m64. */
function movhpLoad(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.reg * 4;
  if (i.mod === 3) {
    if (i.p66) c.raise(UD, -1);
    const s = i.rm * 4;
    w[d + 2] = w[s];
    w[d + 3] = w[s + 1];
    return;
  }
  c.ea(i);
  w[d + 2] = c.read64(c.eaLo, c.eaHi);
  w[d + 3] = c.rhi;
}

/** 0F 13 / 66 0F 13: MOVLPS/MOVLPD m64, xmm. */
function movlpStore(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  storeLow64(c, i, false);
}

/** 0F 17 / 66 0F 17: MOVHPS/MOVHPD m64, xmm. */
function movhpStore(c: Cpu, i: Insn): void {
  sseCheck(c);
  if (i.mod === 3) c.raise(UD, -1);
  const w = c.x32;
  c.ea(i);
  c.write64(c.eaLo, c.eaHi, w[i.reg * 4 + 2], w[i.reg * 4 + 3]);
}

/** 66 0F 6E: MOVD/MOVQ xmm, r/m32/64 (zero-extended to 128 bits). */
function movdToXmm(c: Cpu, i: Insn): void {
  sseCheck(c);
  const size = i.osize === 8 ? 8 : 4;
  const v = c.readRM(i, size);
  const w = c.x32;
  const d = i.reg * 4;
  w[d] = v;
  w[d + 1] = size === 8 ? c.rhi : 0;
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** 66 0F 7E: MOVD/MOVQ r/m32/64, xmm. */
export function movdFromXmm(c: Cpu, i: Insn): void {
  sseCheck(c);
  const size = i.osize === 8 ? 8 : 4;
  const w = c.x32;
  const s = i.reg * 4;
  c.writeRM(i, size, w[s], w[s + 1]);
}

/** F3 0F 7E: MOVQ xmm, xmm/m64 (upper qword zeroed). */
function movqLoad(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 8, false) * 4;
  const w = c.x32;
  const d = i.reg * 4;
  w[d] = w[s];
  w[d + 1] = w[s + 1];
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** 0F C3: MOVNTI m32/64, r32/64. */
function movnti(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  const size = i.osize === 8 ? 8 : 4;
  const v = c.readReg(i, size);
  c.writeRM(i, size, v, c.rhi);
}

/** 66 0F F7: MASKMOVDQU xmm1, xmm2 — bytes of xmm1 whose mask byte has bit 7 set go to DS:RDI. */
function maskmovdqu(c: Cpu, i: Insn): void {
  sseCheck(c);
  if (i.mod !== 3) c.raise(UD, -1);
  const b = c.x8;
  const src = i.reg * 16;
  const mask = i.rm * 16;
  c.eaAbsolute(i, c.r[14], c.r[15]);
  const baseLo = c.eaLo;
  const baseHi = c.eaHi;
  for (let k = 0; k < 16; k++) {
    if ((b[mask + k] & 0x80) === 0) continue;
    const lo = (baseLo + k) | 0;
    c.write8(lo, (lo >>> 0) < (baseLo >>> 0) ? baseHi + 1 : baseHi, b[src + k]);
  }
}

const M = F_MODRM | F_SSE;
def(0x110, M, loadU);
def(0x110, M, loadU, V_66);
def(0x110, M, movssLoad, V_F3);
def(0x110, M, movsdLoad, V_F2);
def(0x111, M, storeU);
def(0x111, M, storeU, V_66);
def(0x111, M, movssStore, V_F3);
def(0x111, M, movsdStore, V_F2);
def(0x128, M, loadA);
def(0x128, M, loadA, V_66);
def(0x129, M, storeA);
def(0x129, M, storeA, V_66);
def(0x12b, M | F_MEM, storeNT);
def(0x12b, M | F_MEM, storeNT, V_66);
def(0x16f, M, loadA, V_66);
def(0x16f, M, loadU, V_F3);
def(0x17f, M, storeA, V_66);
def(0x17f, M, storeU, V_F3);
def(0x1e7, M | F_MEM, storeNT, V_66);
def(0x112, M, movlpLoad);
def(0x112, M | F_MEM, movlpLoad, V_66);
def(0x113, M | F_MEM, movlpStore);
def(0x113, M | F_MEM, movlpStore, V_66);
def(0x116, M, movhpLoad);
def(0x116, M | F_MEM, movhpLoad, V_66);
def(0x117, M | F_MEM, movhpStore);
def(0x117, M | F_MEM, movhpStore, V_66);
def(0x16e, M, movdToXmm, V_66);
def(0x17e, M, movdFromXmm, V_66);
def(0x17e, M, movqLoad, V_F3);
def(0x1d6, M, movqStore, V_66);
def(0x1c3, M | F_MEM, movnti);
def(0x1f7, M | F_REG, maskmovdqu, V_66);
