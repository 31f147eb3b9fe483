/**
 * SSE3: ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD, MOVSLDUP/MOVSHDUP/MOVDDUP, LDDQU.
 * FISTTP, the x87 member of SSE3, is with the other x87 stores in x87.ts.
 */
import { advertise, ECX } from './cpuid.js';
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { def, F_MEM, F_MODRM, F_SSE, V_66, V_F2, V_F3 } from './optable.js';
import { copyXmm, mxcsrBegin, mxcsrCommit, OUT, sseCheck, xmmSrc } from './sse-common.js';
import { add32, add64 } from './sse-fpops.js';

/** 66 0F D0 ADDSUBPD: lane 0 subtracts, lane 1 adds. */
function addsubpd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  mxcsrBegin();
  add64(c, d * 2, s * 2, OUT * 2, true);
  add64(c, d * 2 + 1, s * 2 + 1, OUT * 2 + 1, false);
  mxcsrCommit(c);
  copyXmm(c, d, OUT);
}

/** F2 0F D0 ADDSUBPS: even lanes subtract, odd lanes add. */
function addsubps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  mxcsrBegin();
  for (let k = 0; k < 4; k++) add32(c, d * 4 + k, s * 4 + k, OUT * 4 + k, (k & 1) === 0);
  mxcsrCommit(c);
  copyXmm(c, d, OUT);
}

/** 66 0F 7C/7D HADDPD/HSUBPD: (d0 ± d1, s0 ± s1). */
function hpd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const sub = (i.opcode & 1) === 1;
  mxcsrBegin();
  add64(c, d * 2, d * 2 + 1, OUT * 2, sub);
  add64(c, s * 2, s * 2 + 1, OUT * 2 + 1, sub);
  mxcsrCommit(c);
  copyXmm(c, d, OUT);
}

/** F2 0F 7C/7D HADDPS/HSUBPS: (d0 ± d1, d2 ± d3, s0 ± s1, s2 ± s3). */
function hps(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const sub = (i.opcode & 1) === 1;
  mxcsrBegin();
  add32(c, d * 4, d * 4 + 1, OUT * 4, sub);
  add32(c, d * 4 + 2, d * 4 + 3, OUT * 4 + 1, sub);
  add32(c, s * 4, s * 4 + 1, OUT * 4 + 2, sub);
  add32(c, s * 4 + 2, s * 4 + 3, OUT * 4 + 3, sub);
  mxcsrCommit(c);
  copyXmm(c, d, OUT);
}

/** F3 0F 12 MOVSLDUP / F3 0F 16 MOVSHDUP: duplicate the even / odd dwords. */
function movsdup(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const w = c.x32;
  const odd = (i.opcode & 0xff) === 0x16 ? 1 : 0;
  const lo = w[s + odd];
  const hi = w[s + 2 + odd];
  const d = i.reg * 4;
  w[d] = lo;
  w[d + 1] = lo;
  w[d + 2] = hi;
  w[d + 3] = hi;
}

/** F2 0F 12 MOVDDUP: duplicate the low qword (a memory source is 64 bits, unaligned). */
function movddup(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 8, false) * 4;
  const w = c.x32;
  const lo = w[s];
  const hi = w[s + 1];
  const d = i.reg * 4;
  w[d] = lo;
  w[d + 1] = hi;
  w[d + 2] = lo;
  w[d + 3] = hi;
}

/** F2 0F F0 LDDQU: unaligned 128-bit load (memory only). */
function lddqu(c: Cpu, i: Insn): void {
  sseCheck(c);
  copyXmm(c, i.reg, xmmSrc(c, i, 16, false));
}

const M = F_MODRM | F_SSE;
def(0x1d0, M, addsubpd, V_66);
def(0x1d0, M, addsubps, V_F2);
def([0x17c, 0x17d], M, hpd, V_66);
def([0x17c, 0x17d], M, hps, V_F2);
def([0x112, 0x116], M, movsdup, V_F3);
def(0x112, M, movddup, V_F2);
def(0x1f0, M | F_MEM, lddqu, V_F2);

advertise(1, 0, ECX, 0);
