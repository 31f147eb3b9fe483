/**
 * 64-bit multiply and divide steps for translated code, on int32 words and exact doubles (no
 * BigInt, no allocation). Results go to `W`, a typed array the generated code reads back (module
 * `let`s holding uint32 values would be boxed doubles).
 */

const TWO32 = 4294967296;

/** The words of the last result: a 128-bit product (least significant first), or W[2] = remainder. */
export const W = new Int32Array(4);

/**
 * High word of the unsigned 32×32 product. The double product is within 2^11 of the exact one,
 * and the exact low word (Math.imul) is known, so rounding (p - lo) / 2^32 recovers the high word.
 */
export function mulHiU32(a: number, b: number): number {
  const lo = Math.imul(a, b) >>> 0;
  return Math.round(((a >>> 0) * (b >>> 0) - lo) / TWO32) | 0;
}

/** Unsigned 64×64→128 into W[0..3]. */
export function umul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  const h00 = mulHiU32(aLo, bLo) >>> 0;
  const s1 = h00 + (Math.imul(aLo, bHi) >>> 0) + (Math.imul(aHi, bLo) >>> 0);
  const c1 = (s1 - (s1 >>> 0)) / TWO32;
  const s2 = (mulHiU32(aLo, bHi) >>> 0) + (mulHiU32(aHi, bLo) >>> 0) + (Math.imul(aHi, bHi) >>> 0) + c1;
  const c2 = (s2 - (s2 >>> 0)) / TWO32;
  W[0] = Math.imul(aLo, bLo);
  W[1] = s1 | 0;
  W[2] = s2 | 0;
  W[3] = ((mulHiU32(aHi, bHi) >>> 0) + c2) | 0;
}

/** Signed 64×64→128 into W[0..3]: the unsigned product, less b·2^64 if a < 0 and a·2^64 if b < 0. */
export function smul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  umul64(aLo, aHi, bLo, bHi);
  let h0 = W[2]!;
  let h1 = W[3]!;
  if (aHi < 0) {
    h1 = (h1 - bHi - ((h0 >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0;
    h0 = (h0 - bLo) | 0;
  }
  if (bHi < 0) {
    h1 = (h1 - aHi - ((h0 >>> 0) < (aLo >>> 0) ? 1 : 0)) | 0;
    h0 = (h0 - aLo) | 0;
  }
  W[2] = h0;
  W[3] = h1;
}

/**
 * Unsigned (h·2^32 + a) / d for h < d (so the quotient fits 32 bits), d ≠ 0: returns the quotient,
 * the remainder in W[2]. Dividends below 2^53 divide in one step (floor of an exact quotient of
 * doubles is exact); larger ones in two 16-bit digits, each partial dividend below 2^48.
 */
export function udiv32(h: number, a: number, d: number): number {
  h >>>= 0;
  a >>>= 0;
  d >>>= 0;
  if (h < 0x200000) {
    const n = h * TWO32 + a;
    const q = Math.floor(n / d);
    W[2] = n - q * d;
    return q | 0;
  }
  const n1 = h * 65536 + (a >>> 16);
  const q1 = Math.floor(n1 / d);
  const n0 = (n1 - q1 * d) * 65536 + (a & 0xffff);
  const q0 = Math.floor(n0 / d);
  W[2] = n0 - q0 * d;
  return (q1 << 16) | q0;
}
