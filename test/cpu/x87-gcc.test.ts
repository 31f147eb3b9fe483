/**
 * gcc-built `long double` code at -O2, run on our Cpu (on each execution tier) and natively: series sums, products,
 * square roots, conversions and a decimal formatter writing into memory, compared byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODE_BASE, compileC, CPU_TIERS, createMachine, load, RAX, runUntilStop, StopReason } from './long-mode-harness.js';

const OUT_SIZE = 1024;

/** Fills `out` with results; no libc, so it runs freestanding on our Cpu as well. */
const COMPUTE = `
unsigned char out[${OUT_SIZE}];
static unsigned pos;
static void put(const void *p, unsigned n) {
  const unsigned char *b = p;
  for (unsigned k = 0; k < n && pos < sizeof out; k++) out[pos++] = b[k];
}
static void putld(long double v) { put(&v, 10); }

/* Decimal digits of |v| (20 significant), by scaling and repeated ×10 with truncation. */
static void format(long double v) {
  char s[32];
  int n = 0, e = 0;
  if (v < 0) { s[n++] = '-'; v = -v; }
  if (v != 0) {
    while (v >= 10) { v /= 10; e++; }
    while (v < 1) { v *= 10; e--; }
  }
  for (int k = 0; k < 20; k++) {
    int d = (int)v;
    s[n++] = (char)('0' + d);
    v = (v - d) * 10;
  }
  s[n++] = 'e';
  s[n++] = (char)('0' + (e < 0 ? -e : e) % 10);
  put(s, n);
}

__attribute__((noinline)) long double harmonic(int n) {
  long double s = 0;
  for (int k = 1; k <= n; k++) s += 1.0L / k;
  return s;
}

__attribute__((noinline)) long double expo(long double x) {
  long double term = 1, s = 1;
  for (int k = 1; k < 30; k++) { term *= x / k; s += term; }
  return s;
}

__attribute__((noinline)) long double leibniz(int n) {
  long double s = 0;
  for (int k = n - 1; k >= 0; k--) s += (k & 1 ? -4.0L : 4.0L) / (2 * k + 1);
  return s;
}

void compute(void) {
  pos = 0;
  long double h = harmonic(1000), e = expo(1.0L), ee = expo(-3.25L), pi = leibniz(2000);
  putld(h); putld(e); putld(ee); putld(pi);
  long double r = __builtin_sqrtl(2.0L), r3 = __builtin_sqrtl(h);
  putld(r); putld(r3); putld(r * r - 2);
  long double big = 1;
  for (int k = 0; k < 100; k++) big *= 1.5L + k / 1000.0L;
  putld(big);
  long double tiny = 1;
  for (int k = 0; k < 300; k++) tiny /= 7.25L;
  putld(tiny);
  long long q = (long long)(h * 1e15L);
  put(&q, 8);
  double d = (double)pi;
  float f = (float)e;
  put(&d, 8); put(&f, 4);
  long double back = (long double)d - pi;
  putld(back);
  unsigned long long u = (unsigned long long)(big / 1e10L);
  put(&u, 8);
  int cmp = (h > e) + 2 * (pi < 3.1415L) + 4 * (tiny != 0) + 8 * (back == 0);
  put(&cmp, 4);
  format(h); format(e); format(pi); format(-ee); format(big); format(tiny);
}
`;

const NATIVE_MAIN = `
#include <stdio.h>
void compute(void);
extern unsigned char out[];
int main(void) {
  compute();
  fwrite(out, 1, ${OUT_SIZE}, stdout);
  return 0;
}
`;

const FLAGS = ['-O2', '-fno-math-errno'];

function native(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'tender-x87-gcc-'));
  try {
    writeFileSync(join(dir, 'compute.c'), COMPUTE);
    writeFileSync(join(dir, 'main.c'), NATIVE_MAIN);
    execFileSync('gcc', [...FLAGS, '-o', join(dir, 'prog'), join(dir, 'main.c'), join(dir, 'compute.c')]);
    return new Uint8Array(execFileSync(join(dir, 'prog')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('gcc long double code', () => {
  let host: Uint8Array | undefined;
  for (const tier of CPU_TIERS) {
    it(`computes the same bytes on our Cpu as on the host at -O2 (${tier.name})`, () => {
      const { image, entry } = compileC(`${COMPUTE}\nlong main(void) { compute(); return (long)out; }\n`, FLAGS);
      const m = createMachine({ jitThreshold: tier.jitThreshold });
      load(m, CODE_BASE, image);
      m.cpu.setRip(BigInt(entry));
      expect(runUntilStop(m, 50_000_000)).toBe(StopReason.Halted);
      const at = Number(m.cpu.getGpr(RAX));
      const ours = m.mem.u8.slice(at, at + OUT_SIZE);
      host ??= native();
      expect(host.length).toBe(OUT_SIZE);
      // The formatted digits are readable in a failure message; the rest compares as hex.
      expect(Buffer.from(ours).toString('latin1')).toBe(Buffer.from(host).toString('latin1'));
      expect(ours.some((b) => b !== 0)).toBe(true);
    });
  }
});
