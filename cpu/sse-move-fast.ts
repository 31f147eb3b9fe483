/**
 * Decode-time specialisations of the SSE/SSE2 moves that compiled code runs most: full-register
 * moves (MOVAPS/MOVAPD/MOVDQA/MOVUPS/MOVUPD/MOVDQU) split into register and memory forms,
 * MOVSS, MOVSD, MOVD/MOVQ between XMM and general registers, and MOVQ. The handlers in
 * sse-move.ts stay the reference; these only drop the run-time form tests and the scratch-slot
 * round trip. The XMM lane offsets (register × 4 dwords) are computed once, into `dst`/`src`.
 */
import type { Cpu } from './cpu.js';
import { GP } from './fault.js';
import type { Handler, Insn } from './insn.js';
import { defFast, V_66, V_F2, V_F3, V_NONE } from './optable.js';
import { load128To, sseCheck, store128 } from './sse-common.js';

/** xmm(dst) ← xmm(src), 128 bits. */
export function mov128RR(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst, s = i.src;
  w[d] = w[s];
  w[d + 1] = w[s + 1];
  w[d + 2] = w[s + 2];
  w[d + 3] = w[s + 3];
}

export function load128A(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  if ((c.eaLo & 15) !== 0) c.raise(GP, 0);
  load128To(c, i.reg);
}

export function load128U(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  load128To(c, i.reg);
}

export function store128A(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  if ((c.eaLo & 15) !== 0) c.raise(GP, 0);
  store128(c, i.reg);
}

export function store128U(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  store128(c, i.reg);
}

/** MOVSD xmm, xmm (low qword only) and MOVSD xmm, xmm store form. */
export function mov64RR(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  w[i.dst] = w[i.src];
  w[i.dst + 1] = w[i.src + 1];
}

/** MOVSD / MOVQ xmm, m64: the upper qword is zeroed. */
export function load64Zx(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  const lo = c.read64(c.eaLo, c.eaHi);
  const w = c.x32;
  const d = i.dst;
  w[d] = lo;
  w[d + 1] = c.rhi;
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** MOVSD m64, xmm / MOVQ m64, xmm. */
export function store64(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  const w = c.x32;
  c.write64(c.eaLo, c.eaHi, w[i.src], w[i.src + 1]);
}

/** MOVSS xmm, xmm and its store-form twin: the low dword only. */
export function mov32RR(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  w[i.dst] = w[i.src];
}

/** MOVSS xmm, m32 and MOVD xmm, m32: the upper 96 bits are zeroed. */
export function load32Zx(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  const v = c.read32(c.eaLo, c.eaHi);
  const w = c.x32;
  const d = i.dst;
  w[d] = v;
  w[d + 1] = 0;
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** MOVSS m32, xmm. */
export function store32(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.ea(i);
  c.write32(c.eaLo, c.eaHi, c.x32[i.src]);
}

/** MOVQ xmm, xmm (F3 0F 7E and 66 0F D6 register forms): low qword, upper zeroed. */
export function movqRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst, s = i.src;
  w[d] = w[s];
  w[d + 1] = w[s + 1];
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** MOVD xmm, r32. */
export function movdFromGpr(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst;
  w[d] = c.r[i.src];
  w[d + 1] = 0;
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** MOVQ xmm, r64. */
export function movqFromGpr(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst;
  w[d] = c.r[i.src];
  w[d + 1] = c.r[i.src + 1];
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** MOVD r32, xmm (zero-extended to 64 bits). */
export function movdToGpr(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.r[i.dst] = c.x32[i.src];
  c.r[i.dst + 1] = 0;
}

/** MOVQ r64, xmm. */
export function movqToGpr(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.r[i.dst] = c.x32[i.src];
  c.r[i.dst + 1] = c.x32[i.src + 1];
}

/** Loads: ModRM.reg is the destination. */
function load(reg: Handler, mem: Handler): (i: Insn) => Handler {
  return (i) => {
    i.dst = i.reg * 4;
    i.src = i.rm * 4;
    return i.mod === 3 ? reg : mem;
  };
}

/** Stores: ModRM.rm is the destination. */
function store(reg: Handler, mem: Handler): (i: Insn) => Handler {
  return (i) => {
    i.dst = i.rm * 4;
    i.src = i.reg * 4;
    return i.mod === 3 ? reg : mem;
  };
}

// MOVAPS/MOVAPD/MOVDQA and MOVUPS/MOVUPD/MOVDQU (the register forms are the same copy).
defFast(0x128, load(mov128RR, load128A), -1, V_NONE);
defFast(0x128, load(mov128RR, load128A), -1, V_66);
defFast(0x16f, load(mov128RR, load128A), -1, V_66);
defFast(0x110, load(mov128RR, load128U), -1, V_NONE);
defFast(0x110, load(mov128RR, load128U), -1, V_66);
defFast(0x16f, load(mov128RR, load128U), -1, V_F3);
defFast(0x129, store(mov128RR, store128A), -1, V_NONE);
defFast(0x129, store(mov128RR, store128A), -1, V_66);
defFast(0x17f, store(mov128RR, store128A), -1, V_66);
defFast(0x111, store(mov128RR, store128U), -1, V_NONE);
defFast(0x111, store(mov128RR, store128U), -1, V_66);
defFast(0x17f, store(mov128RR, store128U), -1, V_F3);
// MOVSS and MOVSD: the register forms keep the rest of the destination, the loads zero it.
defFast(0x110, load(mov32RR, load32Zx), -1, V_F3);
defFast(0x111, store(mov32RR, store32), -1, V_F3);
defFast(0x110, load(mov64RR, load64Zx), -1, V_F2);
defFast(0x111, store(mov64RR, store64), -1, V_F2);
// MOVQ xmm, xmm/m64 and MOVQ xmm/m64, xmm.
defFast(0x17e, load(movqRR, load64Zx), -1, V_F3);
defFast(0x1d6, store(movqRR, store64), -1, V_66);
// MOVD/MOVQ between XMM and general registers or memory (`src`/`dst` index the r array for GPRs).
defFast(
  0x16e,
  (i) => {
    i.dst = i.reg * 4;
    i.src = i.rm * 2;
    if (i.mod === 3) return i.osize === 8 ? movqFromGpr : movdFromGpr;
    return i.osize === 8 ? load64Zx : load32Zx;
  },
  -1,
  V_66,
);
defFast(
  0x17e,
  (i) => {
    if (i.mod !== 3) return null;
    i.dst = i.rm * 2;
    i.src = i.reg * 4;
    return i.osize === 8 ? movqToGpr : movdToGpr;
  },
  -1,
  V_66,
);
