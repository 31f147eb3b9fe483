/**
 * Decode-time specialisations of the SSE2 lane shifts by an immediate (66 0F 71/72/73 /2 /4 /6):
 * PSRLW/PSRAW/PSLLW, PSRLD/PSRAD/PSLLD, PSRLQ/PSLLQ. The count is known at decode time, so a
 * count past the lane width picks a zeroing handler (or the sign-fill shift for PSRA), and word
 * shifts work on whole dwords with a mask that stops bits crossing between the two words. The
 * general `shiftByImm` in sse-int.ts stays the reference. `dst` is the register's x32 offset,
 * `sub` the count, `src` the word mask.
 */
import type { Cpu } from './cpu.js';
import type { Handler, Insn } from './insn.js';
import { defFast, V_66 } from './optable.js';
import { sseCheck } from './sse-common.js';

export function zero(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst;
  w[d] = 0;
  w[d + 1] = 0;
  w[d + 2] = 0;
  w[d + 3] = 0;
}

export function psrlw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst, n = i.sub, m = i.src;
  w[d] = (w[d] >>> n) & m;
  w[d + 1] = (w[d + 1] >>> n) & m;
  w[d + 2] = (w[d + 2] >>> n) & m;
  w[d + 3] = (w[d + 3] >>> n) & m;
}

export function psllw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst, n = i.sub, m = i.src;
  w[d] = (w[d] << n) & m;
  w[d + 1] = (w[d + 1] << n) & m;
  w[d + 2] = (w[d + 2] << n) & m;
  w[d + 3] = (w[d + 3] << n) & m;
}

/** Both signed words of a dword shifted right arithmetically by n (0..15). */
function sraWords(x: number, n: number): number {
  return (((x << 16) >> (16 + n)) & 0xffff) | ((x >> (16 + n)) << 16);
}

export function psraw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst, n = i.sub;
  w[d] = sraWords(w[d], n);
  w[d + 1] = sraWords(w[d + 1], n);
  w[d + 2] = sraWords(w[d + 2], n);
  w[d + 3] = sraWords(w[d + 3], n);
}

export function psrld(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst, n = i.sub;
  w[d] = w[d] >>> n;
  w[d + 1] = w[d + 1] >>> n;
  w[d + 2] = w[d + 2] >>> n;
  w[d + 3] = w[d + 3] >>> n;
}

export function pslld(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst, n = i.sub;
  w[d] = w[d] << n;
  w[d + 1] = w[d + 1] << n;
  w[d + 2] = w[d + 2] << n;
  w[d + 3] = w[d + 3] << n;
}

export function psrad(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const d = i.dst, n = i.sub;
  w[d] = w[d] >> n;
  w[d + 1] = w[d + 1] >> n;
  w[d + 2] = w[d + 2] >> n;
  w[d + 3] = w[d + 3] >> n;
}

/** PSRLQ by 1..63. */
export function psrlq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const n = i.sub;
  for (let j = i.dst; j < i.dst + 4; j += 2) {
    const lo = w[j], hi = w[j + 1];
    if (n < 32) {
      w[j] = (lo >>> n) | (hi << (32 - n));
      w[j + 1] = hi >>> n;
    } else {
      w[j] = hi >>> (n - 32);
      w[j + 1] = 0;
    }
  }
}

/** PSLLQ by 1..63. */
export function psllq(c: Cpu, i: Insn): void {
  sseCheck(c);
  const w = c.x32;
  const n = i.sub;
  for (let j = i.dst; j < i.dst + 4; j += 2) {
    const lo = w[j], hi = w[j + 1];
    if (n < 32) {
      w[j] = lo << n;
      w[j + 1] = (hi << n) | (lo >>> (32 - n));
    } else {
      w[j] = 0;
      w[j + 1] = lo << (n - 32);
    }
  }
}

/** A shift that leaves the register as it is (count 0), still subject to the SSE checks. */
export function keep(c: Cpu, _i: Insn): void {
  sseCheck(c);
}

/**
 * The specialiser for one kind of shift: `bits` lane width, `arith` for PSRA (counts past the
 * width fill with the sign), `pick` chooses the handler for a count below the width.
 */
function byCount(bits: number, arith: boolean, pick: (i: Insn, n: number) => Handler): (i: Insn) => Handler {
  return (i) => {
    i.dst = i.rm * 4;
    let n = i.imm & 0xff;
    if (n >= bits) {
      if (!arith) return zero;
      n = bits - 1;
    }
    i.sub = n;
    return pick(i, n);
  };
}

/** Word shifts keep their mask (int32, so the Insn field stays a small integer) in `src`. */
function wordsRight(i: Insn, n: number): Handler {
  i.src = ((0xffff >>> n) * 0x10001) | 0;
  return psrlw;
}

function wordsLeft(i: Insn, n: number): Handler {
  i.src = (((0xffff << n) & 0xffff) * 0x10001) | 0;
  return psllw;
}

defFast(0x171, byCount(16, false, wordsRight), 2, V_66);
defFast(0x171, byCount(16, true, () => psraw), 4, V_66);
defFast(0x171, byCount(16, false, wordsLeft), 6, V_66);
defFast(0x172, byCount(32, false, () => psrld), 2, V_66);
defFast(0x172, byCount(32, true, () => psrad), 4, V_66);
defFast(0x172, byCount(32, false, () => pslld), 6, V_66);
defFast(0x173, byCount(64, false, (_i, n) => (n === 0 ? keep : psrlq)), 2, V_66);
defFast(0x173, byCount(64, false, (_i, n) => (n === 0 ? keep : psllq)), 6, V_66);
