/**
 * The 64-bit multiply/divide steps translated blocks use (cpu/jit/wide-arith.ts) against BigInt,
 * on random operands biased to the edges (0, ±1, word boundaries, extremes).
 */
import { describe, expect, it } from 'vitest';
import { smul64, udiv32, umul64, W } from '../../cpu/jit/wide-arith.js';

const EDGES = [0, 1, 2, -1, -2, 0x7fffffff, -0x80000000, 0xffff, 0x10000, 0x1fffff, 0x200000];

/** Deterministic 32-bit words: edges half of the time, else xorshift32. */
function words(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s & 1) === 0 ? EDGES[(s >>> 1) % EDGES.length]! : s | 0;
  };
}

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const s64 = (lo: number, hi: number): bigint => BigInt.asIntN(64, u64(lo, hi));
const product = (): bigint => (u64(W[0]!, W[1]!) | (u64(W[2]!, W[3]!) << 64n));

describe('wide arithmetic for translated blocks', () => {
  it('umul64 and smul64 give the exact 128-bit products', () => {
    const next = words(0x1234567);
    for (let k = 0; k < 20000; k++) {
      const [aLo, aHi, bLo, bHi] = [next(), next(), next(), next()];
      umul64(aLo, aHi, bLo, bHi);
      expect(product(), `${u64(aLo, aHi)} * ${u64(bLo, bHi)}`).toBe(u64(aLo, aHi) * u64(bLo, bHi));
      smul64(aLo, aHi, bLo, bHi);
      expect(product(), `${s64(aLo, aHi)} * ${s64(bLo, bHi)}`).toBe(BigInt.asUintN(128, s64(aLo, aHi) * s64(bLo, bHi)));
    }
  });

  it('udiv32 gives the exact quotient and remainder whenever the quotient fits 32 bits', () => {
    const next = words(0x7654321);
    let checked = 0;
    while (checked < 20000) {
      const d = next();
      const h = next();
      const a = next();
      if (d === 0 || h >>> 0 >= d >>> 0) continue;
      const n = u64(a, h);
      const q = udiv32(h, a, d);
      expect(BigInt(q >>> 0), `${n} / ${d >>> 0}`).toBe(n / BigInt(d >>> 0));
      expect(BigInt(W[2]! >>> 0), `${n} % ${d >>> 0}`).toBe(n % BigInt(d >>> 0));
      checked++;
    }
  });
});
