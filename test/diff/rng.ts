/** Small seeded PRNG (mulberry32) so that generated cases are reproducible from a seed. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n), n ≤ 2^32. */
  int(n: number): number {
    return n <= 0x1_0000_0000 ? Math.floor((this.next() / 0x1_0000_0000) * n) : 0;
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Uniform unsigned integer of `bits` bits (1..64). */
  bits(bits: number): bigint {
    const v = (BigInt(this.next()) << 32n) | BigInt(this.next());
    return v & ((1n << BigInt(bits)) - 1n);
  }
}
