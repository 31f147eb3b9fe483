/**
 * Decode-time specialisations of the SSE2 integer operations that vectorised code runs most:
 * lane adds/subtracts, 16-bit multiplies, PMADDWD and PMULUDQ, logic (also the PS/PD forms),
 * equality compares and PMOVMSKB, the unpacks and PSHUFD. The general `pbin` in sse-int.ts
 * stays the reference; these skip its run-time opcode switch and scratch copy, and work on whole
 * dwords: byte and word lanes are added, subtracted or compared with carries kept inside each
 * lane (SWAR), and two 16-bit products are formed per dword. Lane k of a result depends only on
 * lane k of the operands, so writing the destination in place is safe when source and
 * destination are the same register; the unpacks and shuffles read every operand lane first.
 * `dst`/`src` hold the registers' x32 offsets (register × 4), set at decode time.
 */
import type { Cpu } from './cpu.js';
import type { Handler, Insn } from './insn.js';
import { defFast, V_66, V_NONE } from './optable.js';
import { srcA128, sseCheck } from './sse-common.js';

const H8 = 0x80808080 | 0;
const L8 = 0x7f7f7f7f;
const H16 = 0x80008000 | 0;
const L16 = 0x7fff7fff;

/** Lane-wise a + b in the lanes `hi` marks the top bits of (the top-bit carries are dropped). */
function addLanes(a: number, b: number, hi: number): number {
  return ((a & ~hi) + (b & ~hi)) ^ ((a ^ b) & hi);
}

/** Lane-wise a − b (borrows stay within each lane). */
function subLanes(a: number, b: number, hi: number): number {
  return ((a | hi) - (b & ~hi)) ^ ((a ^ ~b) & hi);
}

function paddb(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = addLanes(w[d], w[s], H8);
  w[d + 1] = addLanes(w[d + 1], w[s + 1], H8);
  w[d + 2] = addLanes(w[d + 2], w[s + 2], H8);
  w[d + 3] = addLanes(w[d + 3], w[s + 3], H8);
}

function psubb(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = subLanes(w[d], w[s], H8);
  w[d + 1] = subLanes(w[d + 1], w[s + 1], H8);
  w[d + 2] = subLanes(w[d + 2], w[s + 2], H8);
  w[d + 3] = subLanes(w[d + 3], w[s + 3], H8);
}

export function paddw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = addLanes(w[d], w[s], H16);
  w[d + 1] = addLanes(w[d + 1], w[s + 1], H16);
  w[d + 2] = addLanes(w[d + 2], w[s + 2], H16);
  w[d + 3] = addLanes(w[d + 3], w[s + 3], H16);
}

export function psubw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = subLanes(w[d], w[s], H16);
  w[d + 1] = subLanes(w[d + 1], w[s + 1], H16);
  w[d + 2] = subLanes(w[d + 2], w[s + 2], H16);
  w[d + 3] = subLanes(w[d + 3], w[s + 3], H16);
}

export function paddd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = (w[d] + w[s]) | 0;
  w[d + 1] = (w[d + 1] + w[s + 1]) | 0;
  w[d + 2] = (w[d + 2] + w[s + 2]) | 0;
  w[d + 3] = (w[d + 3] + w[s + 3]) | 0;
}

export function psubd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = (w[d] - w[s]) | 0;
  w[d + 1] = (w[d + 1] - w[s + 1]) | 0;
  w[d + 2] = (w[d + 2] - w[s + 2]) | 0;
  w[d + 3] = (w[d + 3] - w[s + 3]) | 0;
}

/** PADDQ / PSUBQ (`sub` 0 / 1): 64-bit lanes as lo/hi dword pairs. */
export function paddsubq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  for (let k = 0; k < 4; k += 2) {
    const aLo = w[d + k], aHi = w[d + k + 1], bLo = w[s + k], bHi = w[s + k + 1];
    if (i.sub === 0) {
      const sum = (aLo >>> 0) + (bLo >>> 0);
      w[d + k] = sum | 0;
      w[d + k + 1] = (aHi + bHi + (sum > 0xffffffff ? 1 : 0)) | 0;
    } else {
      w[d + k] = (aLo - bLo) | 0;
      w[d + k + 1] = (aHi - bHi - ((aLo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0;
    }
  }
}

/** Low 16 bits of the two word products of a dword pair. */
function mulLo16(a: number, b: number): number {
  return (Math.imul(a, b) & 0xffff) | (Math.imul(a >>> 16, b >>> 16) << 16);
}

/** High 16 bits of the two signed word products (each fits in int32, so bits 16..31 are exact). */
function mulHi16(a: number, b: number): number {
  return ((Math.imul((a << 16) >> 16, (b << 16) >> 16) >>> 16) & 0xffff) | (Math.imul(a >> 16, b >> 16) & (0xffff0000 | 0));
}

/** The sum of the two signed word products (PMADDWD; only 0x8000 × 0x8000 twice wraps). */
function madd16(a: number, b: number): number {
  return (Math.imul((a << 16) >> 16, (b << 16) >> 16) + Math.imul(a >> 16, b >> 16)) | 0;
}

export function pmullw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = mulLo16(w[d], w[s]);
  w[d + 1] = mulLo16(w[d + 1], w[s + 1]);
  w[d + 2] = mulLo16(w[d + 2], w[s + 2]);
  w[d + 3] = mulLo16(w[d + 3], w[s + 3]);
}

export function pmulhw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = mulHi16(w[d], w[s]);
  w[d + 1] = mulHi16(w[d + 1], w[s + 1]);
  w[d + 2] = mulHi16(w[d + 2], w[s + 2]);
  w[d + 3] = mulHi16(w[d + 3], w[s + 3]);
}

function pmaddwd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = madd16(w[d], w[s]);
  w[d + 1] = madd16(w[d + 1], w[s + 1]);
  w[d + 2] = madd16(w[d + 2], w[s + 2]);
  w[d + 3] = madd16(w[d + 3], w[s + 3]);
}

/** PMULUDQ: the unsigned 64-bit products of dwords 0 and 2, built from 16-bit halves. */
function pmuludq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  for (let k = 0; k < 4; k += 2) {
    const x = w[d + k], y = w[s + k];
    const xl = x & 0xffff, xh = x >>> 16, yl = y & 0xffff, yh = y >>> 16;
    const ll = xl * yl, lh = xl * yh, hl = xh * yl;
    const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
    w[d + k] = ((mid & 0xffff) << 16) | (ll & 0xffff);
    w[d + k + 1] = (xh * yh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
  }
}

export function pand(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] &= w[s];
  w[d + 1] &= w[s + 1];
  w[d + 2] &= w[s + 2];
  w[d + 3] &= w[s + 3];
}

export function pandn(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = ~w[d] & w[s];
  w[d + 1] = ~w[d + 1] & w[s + 1];
  w[d + 2] = ~w[d + 2] & w[s + 2];
  w[d + 3] = ~w[d + 3] & w[s + 3];
}

export function por(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] |= w[s];
  w[d + 1] |= w[s + 1];
  w[d + 2] |= w[s + 2];
  w[d + 3] |= w[s + 3];
}

export function pxor(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] ^= w[s];
  w[d + 1] ^= w[s + 1];
  w[d + 2] ^= w[s + 2];
  w[d + 3] ^= w[s + 3];
}

/** PXOR/PANDN/PSUB* of a register with itself: the zeroing idioms. */
export function zeroDst(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst;
  w[d] = 0;
  w[d + 1] = 0;
  w[d + 2] = 0;
  w[d + 3] = 0;
}

/** Byte lanes of a dword: 0xff where a and b are equal, else 0 (no carry crosses a lane). */
function eqBytes(a: number, b: number): number {
  const x = a ^ b;
  const m = ~(((x & L8) + L8) | x) & H8;
  return (m - (m >>> 7)) | m;
}

function eqWords(a: number, b: number): number {
  const x = a ^ b;
  const m = ~(((x & L16) + L16) | x) & H16;
  return (m - (m >>> 15)) | m;
}

function pcmpeqb(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = eqBytes(w[d], w[s]);
  w[d + 1] = eqBytes(w[d + 1], w[s + 1]);
  w[d + 2] = eqBytes(w[d + 2], w[s + 2]);
  w[d + 3] = eqBytes(w[d + 3], w[s + 3]);
}

function pcmpeqw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = eqWords(w[d], w[s]);
  w[d + 1] = eqWords(w[d + 1], w[s + 1]);
  w[d + 2] = eqWords(w[d + 2], w[s + 2]);
  w[d + 3] = eqWords(w[d + 3], w[s + 3]);
}

export function pcmpeqd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = w[d] === w[s] ? -1 : 0;
  w[d + 1] = w[d + 1] === w[s + 1] ? -1 : 0;
  w[d + 2] = w[d + 2] === w[s + 2] ? -1 : 0;
  w[d + 3] = w[d + 3] === w[s + 3] ? -1 : 0;
}

function pcmpgtd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  w[d] = w[d] > w[s] ? -1 : 0;
  w[d + 1] = w[d + 1] > w[s + 1] ? -1 : 0;
  w[d + 2] = w[d + 2] > w[s + 2] ? -1 : 0;
  w[d + 3] = w[d + 3] > w[s + 3] ? -1 : 0;
}

/** The top bits of a dword's four bytes, as bits 0..3. */
function byteSigns(x: number): number {
  return ((x >>> 7) & 1) | ((x >>> 14) & 2) | ((x >>> 21) & 4) | ((x >>> 28) & 8);
}

/** PMOVMSKB r32, xmm (register form only): `dst` indexes the r array. */
function pmovmskb(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const s = i.src;
  c.r[i.dst] = byteSigns(w[s]) | (byteSigns(w[s + 1]) << 4) | (byteSigns(w[s + 2]) << 8) | (byteSigns(w[s + 3]) << 12);
  c.r[i.dst + 1] = 0;
}

/** PUNPCKLBW / PUNPCKHBW: `sub` is the dword offset of the half read (0 low, 2 high). */
function punpckbw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) + i.sub;
  const d = i.dst;
  const w = c.x32;
  const a0 = w[d + i.sub], a1 = w[d + i.sub + 1];
  const b0 = w[s], b1 = w[s + 1];
  w[d] = (a0 & 0xff) | ((b0 & 0xff) << 8) | ((a0 & 0xff00) << 8) | ((b0 & 0xff00) << 16);
  w[d + 1] = ((a0 >>> 16) & 0xff) | ((b0 >>> 8) & 0xff00) | ((a0 >>> 8) & 0xff0000) | (b0 & (0xff000000 | 0));
  w[d + 2] = (a1 & 0xff) | ((b1 & 0xff) << 8) | ((a1 & 0xff00) << 8) | ((b1 & 0xff00) << 16);
  w[d + 3] = ((a1 >>> 16) & 0xff) | ((b1 >>> 8) & 0xff00) | ((a1 >>> 8) & 0xff0000) | (b1 & (0xff000000 | 0));
}

/** PUNPCKLWD / PUNPCKHWD. */
export function punpckwd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) + i.sub;
  const d = i.dst;
  const w = c.x32;
  const a0 = w[d + i.sub], a1 = w[d + i.sub + 1];
  const b0 = w[s], b1 = w[s + 1];
  w[d] = (a0 & 0xffff) | (b0 << 16);
  w[d + 1] = (a0 >>> 16) | (b0 & (0xffff0000 | 0));
  w[d + 2] = (a1 & 0xffff) | (b1 << 16);
  w[d + 3] = (a1 >>> 16) | (b1 & (0xffff0000 | 0));
}

/** PUNPCKLDQ / PUNPCKHDQ. */
export function punpckdq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) + i.sub;
  const d = i.dst;
  const w = c.x32;
  const a0 = w[d + i.sub], a1 = w[d + i.sub + 1];
  const b0 = w[s], b1 = w[s + 1];
  w[d] = a0;
  w[d + 1] = b0;
  w[d + 2] = a1;
  w[d + 3] = b1;
}

/** PUNPCKLQDQ / PUNPCKHQDQ. */
export function punpckqdq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i) + i.sub;
  const d = i.dst;
  const w = c.x32;
  const b0 = w[s], b1 = w[s + 1];
  w[d] = w[d + i.sub];
  w[d + 1] = w[d + i.sub + 1];
  w[d + 2] = b0;
  w[d + 3] = b1;
}

/** PSHUFD: `sub` holds the immediate. */
export function pshufd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  const m = i.sub;
  const r0 = w[s + (m & 3)], r1 = w[s + ((m >> 2) & 3)], r2 = w[s + ((m >> 4) & 3)], r3 = w[s + ((m >> 6) & 3)];
  w[d] = r0;
  w[d + 1] = r1;
  w[d + 2] = r2;
  w[d + 3] = r3;
}

/** PSHUFD with immediate 0: broadcast the low dword. */
export function pshufd0(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = srcA128(c, i);
  const d = i.dst;
  const w = c.x32;
  const v = w[s];
  w[d] = v;
  w[d + 1] = v;
  w[d + 2] = v;
  w[d + 3] = v;
}

function operands(i: Insn): void {
  i.dst = i.reg * 4;
  i.src = i.rm * 4;
}

function always(h: Handler): (i: Insn) => Handler {
  return (i) => {
    operands(i);
    return h;
  };
}

/** Operations whose result is zero when both operands are the same register. */
function orZero(h: Handler): (i: Insn) => Handler {
  return (i) => {
    operands(i);
    return i.mod === 3 && i.reg === i.rm ? zeroDst : h;
  };
}

/** The unpacks keep the dword offset of the half they read (0 low, 2 high) in `sub`. */
function unpack(h: Handler): (i: Insn) => Handler {
  return (i) => {
    operands(i);
    i.sub = (i.opcode & 0xff) >= 0x6c ? (i.opcode & 1) * 2 : (i.opcode & 8) !== 0 ? 2 : 0;
    return h;
  };
}

defFast(0x1fc, always(paddb), -1, V_66);
defFast(0x1f8, orZero(psubb), -1, V_66);
defFast(0x1fd, always(paddw), -1, V_66);
defFast(0x1f9, orZero(psubw), -1, V_66);
defFast(0x1fe, always(paddd), -1, V_66);
defFast(0x1fa, orZero(psubd), -1, V_66);
defFast(
  [0x1d4, 0x1fb],
  (i) => {
    operands(i);
    i.sub = i.opcode === 0x1fb ? 1 : 0;
    return i.sub === 1 && i.mod === 3 && i.reg === i.rm ? zeroDst : paddsubq;
  },
  -1,
  V_66,
);
defFast(0x1d5, always(pmullw), -1, V_66);
defFast(0x1e5, always(pmulhw), -1, V_66);
defFast(0x1f5, always(pmaddwd), -1, V_66);
defFast(0x1f4, always(pmuludq), -1, V_66);
defFast(0x1db, always(pand), -1, V_66);
defFast(0x1df, orZero(pandn), -1, V_66);
defFast(0x1eb, always(por), -1, V_66);
defFast(0x1ef, orZero(pxor), -1, V_66);
// ANDPS/ANDNPS/ORPS/XORPS and their PD forms are the same bit operations.
for (const v of [V_NONE, V_66]) {
  defFast(0x154, always(pand), -1, v);
  defFast(0x155, orZero(pandn), -1, v);
  defFast(0x156, always(por), -1, v);
  defFast(0x157, orZero(pxor), -1, v);
}
defFast(0x174, always(pcmpeqb), -1, V_66);
defFast(0x175, always(pcmpeqw), -1, V_66);
defFast(0x176, always(pcmpeqd), -1, V_66);
defFast(0x166, always(pcmpgtd), -1, V_66);
defFast(
  0x1d7,
  (i) => {
    i.dst = i.reg * 2;
    i.src = i.rm * 4;
    return pmovmskb;
  },
  -1,
  V_66,
);
defFast([0x160, 0x168], unpack(punpckbw), -1, V_66);
defFast([0x161, 0x169], unpack(punpckwd), -1, V_66);
defFast([0x162, 0x16a], unpack(punpckdq), -1, V_66);
defFast([0x16c, 0x16d], unpack(punpckqdq), -1, V_66);
defFast(
  0x170,
  (i) => {
    operands(i);
    i.sub = i.imm & 0xff;
    return i.sub === 0 ? pshufd0 : pshufd;
  },
  -1,
  V_66,
);
