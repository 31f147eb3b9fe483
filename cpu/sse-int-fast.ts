/**
 * Decode-time specialisations of the most frequent SSE2 integer operations (what gcc's
 * vectoriser emits for integer loops: lane adds/subtracts, 16-bit multiplies, logic, word and
 * dword unpacks). The general `pbin` in sse-int.ts stays the reference; these only skip its
 * run-time opcode switch and the scratch copy (lane k of the result depends on lane k of the
 * operands only, so writing the destination in place is safe when source and destination are
 * the same register).
 */
import type { Cpu } from './cpu.js';
import type { Handler, Insn } from './insn.js';
import { defFast, V_66 } from './optable.js';
import { sseCheck, xmmSrc } from './sse-common.js';

export function paddw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 8;
  const d = i.reg * 8;
  const h = c.x16;
  for (let k = 0; k < 8; k++) h[d + k] = h[d + k] + h[s + k];
}

export function psubw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 8;
  const d = i.reg * 8;
  const h = c.x16;
  for (let k = 0; k < 8; k++) h[d + k] = h[d + k] - h[s + k];
}

export function paddd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const d = i.reg * 4;
  const w = c.x32;
  w[d] = (w[d] + w[s]) | 0;
  w[d + 1] = (w[d + 1] + w[s + 1]) | 0;
  w[d + 2] = (w[d + 2] + w[s + 2]) | 0;
  w[d + 3] = (w[d + 3] + w[s + 3]) | 0;
}

export function psubd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const d = i.reg * 4;
  const w = c.x32;
  w[d] = (w[d] - w[s]) | 0;
  w[d + 1] = (w[d + 1] - w[s + 1]) | 0;
  w[d + 2] = (w[d + 2] - w[s + 2]) | 0;
  w[d + 3] = (w[d + 3] - w[s + 3]) | 0;
}

export function pmullw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 8;
  const d = i.reg * 8;
  const h = c.x16;
  for (let k = 0; k < 8; k++) h[d + k] = Math.imul(h[d + k], h[s + k]);
}

export function pmulhw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 8;
  const d = i.reg * 8;
  const sh = c.xs16;
  for (let k = 0; k < 8; k++) sh[d + k] = (sh[d + k] * sh[s + k]) >> 16;
}

export function pand(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const d = i.reg * 4;
  const w = c.x32;
  w[d] &= w[s];
  w[d + 1] &= w[s + 1];
  w[d + 2] &= w[s + 2];
  w[d + 3] &= w[s + 3];
}

export function por(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const d = i.reg * 4;
  const w = c.x32;
  w[d] |= w[s];
  w[d + 1] |= w[s + 1];
  w[d + 2] |= w[s + 2];
  w[d + 3] |= w[s + 3];
}

export function pxor(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const d = i.reg * 4;
  const w = c.x32;
  w[d] ^= w[s];
  w[d + 1] ^= w[s + 1];
  w[d + 2] ^= w[s + 2];
  w[d + 3] ^= w[s + 3];
}

/** PUNPCKLWD / PUNPCKHWD: interleave the low (high) four words of destination and source. */
export function punpckwd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 8 + i.sub;
  const d = i.reg * 8;
  const h = c.x16;
  const a0 = h[d + i.sub], a1 = h[d + i.sub + 1], a2 = h[d + i.sub + 2], a3 = h[d + i.sub + 3];
  const b0 = h[s], b1 = h[s + 1], b2 = h[s + 2], b3 = h[s + 3];
  h[d] = a0;
  h[d + 1] = b0;
  h[d + 2] = a1;
  h[d + 3] = b1;
  h[d + 4] = a2;
  h[d + 5] = b2;
  h[d + 6] = a3;
  h[d + 7] = b3;
}

/** PUNPCKLDQ / PUNPCKHDQ. */
export function punpckdq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4 + i.sub;
  const d = i.reg * 4;
  const w = c.x32;
  const a0 = w[d + i.sub], a1 = w[d + i.sub + 1];
  const b0 = w[s], b1 = w[s + 1];
  w[d] = a0;
  w[d + 1] = b0;
  w[d + 2] = a1;
  w[d + 3] = b1;
}

function always(h: Handler): (i: Insn) => Handler {
  return () => h;
}

/** The unpacks keep the half they read (0 low, else the lane offset of the high half) in `sub`. */
function unpack(h: Handler, lanes: number): (i: Insn) => Handler {
  return (i) => {
    i.sub = (i.opcode & 8) !== 0 ? lanes / 2 : 0;
    return h;
  };
}

defFast(0x1fd, always(paddw), -1, V_66);
defFast(0x1f9, always(psubw), -1, V_66);
defFast(0x1fe, always(paddd), -1, V_66);
defFast(0x1fa, always(psubd), -1, V_66);
defFast(0x1d5, always(pmullw), -1, V_66);
defFast(0x1e5, always(pmulhw), -1, V_66);
defFast(0x1db, always(pand), -1, V_66);
defFast(0x1eb, always(por), -1, V_66);
defFast(0x1ef, always(pxor), -1, V_66);
defFast([0x161, 0x169], unpack(punpckwd, 8), -1, V_66);
defFast([0x162, 0x16a], unpack(punpckdq, 4), -1, V_66);
