/**
 * Real gcc-compiled freestanding C (integer, 128-bit, division, SSE float/double, memcpy/memset
 * loops, a sort, a CRC) run on the CPU at -O0, -O2 and -Os; results checked against JS, on each
 * execution tier (the translated ones must also retire as many instructions as the interpreter).
 */
import { describe, expect, it } from 'vitest';
import { CODE_BASE, compileC, CPU_TIERS, createMachine, DATA_BASE, load, RAX, runUntilStop, StopReason } from './long-mode-harness.js';

const program = `
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef unsigned char u8;

void *memcpy(void *d, const void *s, u64 n) { u8 *a = d; const u8 *b = s; while (n--) *a++ = *b++; return d; }
void *memset(void *d, int v, u64 n) { u8 *a = d; while (n--) *a++ = (u8)v; return d; }
void *memmove(void *d, const void *s, u64 n) { return memcpy(d, s, n); }
int memcmp(const void *x, const void *y, u64 n) { const u8 *a = x, *b = y; for (; n; n--, a++, b++) if (*a != *b) return *a - *b; return 0; }

static u32 crc32(const u8 *p, int n) {
  u32 c = ~0u;
  for (int i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
  }
  return ~c;
}

static void sort(int *a, int n) {
  for (int gap = n / 2; gap > 0; gap /= 2)
    for (int i = gap; i < n; i++) {
      int v = a[i], j = i;
      for (; j >= gap && a[j - gap] > v; j -= gap) a[j] = a[j - gap];
      a[j] = v;
    }
}

struct big { u64 w[9]; };
static struct big copy_of(struct big b) { b.w[3] += 1; return b; }

float fsum(const float *v, int n) { float s = 0; for (int i = 0; i < n; i++) s += v[i] * 0.5f; return s; }

int main(void) {
  volatile u64 *out = (u64 *)${DATA_BASE};
  u8 buf[256];
  for (int i = 0; i < 256; i++) buf[i] = (u8)(i * 7 + 3);
  out[0] = crc32(buf, 256);

  int arr[100];
  u32 x = 12345;
  for (int i = 0; i < 100; i++) { x = x * 1103515245u + 12345u; arr[i] = (int)(x >> 8) - (1 << 22); }
  sort(arr, 100);
  u64 h = 0;
  int sorted = 1;
  for (int i = 0; i < 100; i++) { h = h * 31 + (u32)arr[i]; if (i && arr[i - 1] > arr[i]) sorted = 0; }
  out[1] = h;
  out[2] = sorted;

  double hsum = 0;
  for (int i = 1; i <= 100; i++) hsum += 1.0 / i;
  out[3] = (u64)(hsum * 1e9);

  float fv[37];
  for (int i = 0; i < 37; i++) fv[i] = (float)i / 3.0f;
  out[4] = (u64)(i64)(fsum(fv, 37) * 1000.0f);

  volatile u64 a = 0xfedcba9876543210ul, b = 0x0123456789abcdeful;
  unsigned __int128 p = (unsigned __int128)a * b;
  out[5] = (u64)(p >> 64);
  out[6] = (u64)p;
  out[7] = a / 12345;
  volatile i64 sa = -123456789012345l;
  out[8] = (u64)(sa % 9876);
  out[9] = (u64)(sa / 9876);

  struct big bg;
  memset(&bg, 0, sizeof bg);
  for (int i = 0; i < 9; i++) bg.w[i] = i * 0x1111;
  struct big c2 = copy_of(bg);
  out[10] = c2.w[3] + c2.w[8];

  volatile double d = -2.75;
  out[11] = (u64)(i64)d;
  out[12] = (u64)(i64)(d * d * 1000);
  volatile float f = 3.7f;
  out[13] = (u64)(i64)(f < 4.0f ? 1 : 0) + (u64)(int)f * 10;
  return 42;
}
`;

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function expected(): bigint[] {
  const buf = new Uint8Array(256).map((_, i) => (i * 7 + 3) & 0xff);
  const arr: number[] = [];
  let x = 12345;
  for (let i = 0; i < 100; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    arr.push((x >>> 8) - (1 << 22));
  }
  arr.sort((a, b) => a - b);
  let h = 0n;
  for (const v of arr) h = (h * 31n + BigInt(v >>> 0)) & 0xffffffffffffffffn;
  let hsum = 0;
  for (let i = 1; i <= 100; i++) hsum += 1 / i;
  let fs = 0;
  for (let i = 0; i < 37; i++) fs = Math.fround(fs + Math.fround(Math.fround(i / 3) * 0.5));
  const a = 0xfedcba9876543210n;
  const b = 0x0123456789abcdefn;
  const p = a * b;
  const sa = -123456789012345n;
  const m64 = (v: bigint): bigint => BigInt.asUintN(64, v);
  return [
    BigInt(crc32(buf)),
    h,
    1n,
    BigInt(Math.trunc(hsum * 1e9)),
    BigInt(Math.trunc(Math.fround(fs * 1000))),
    p >> 64n,
    m64(p),
    a / 12345n,
    m64(sa % 9876n),
    m64(sa / 9876n),
    BigInt(3 * 0x1111 + 1 + 8 * 0x1111),
    m64(-2n),
    BigInt(Math.trunc(2.75 * 2.75 * 1000)),
    31n,
  ];
}

/** Runs the program built with `opt` on a CPU with `jitThreshold`. */
function runProgram(opt: string, jitThreshold: number | undefined) {
  const { image, entry } = compileC(program, [opt]);
  const m = createMachine({ jitThreshold });
  load(m, CODE_BASE, image);
  m.cpu.setRip(BigInt(entry));
  const stop = runUntilStop(m, 50_000_000);
  const got: bigint[] = [];
  for (let k = 0; k < 14; k++) got.push(m.mem.view.getBigUint64(DATA_BASE + k * 8, true));
  return { stop, rax: m.cpu.getGpr(RAX), got, retired: m.cpu.instructionsRetired };
}

describe('gcc-compiled freestanding C', () => {
  for (const tier of CPU_TIERS) {
    for (const opt of ['-O0', '-O2', '-Os']) {
      it(`computes the same results as JS at ${opt} (${tier.name})`, () => {
        const r = runProgram(opt, tier.jitThreshold);
        expect(r.stop).toBe(StopReason.Halted);
        expect(r.rax).toBe(42n);
        expect(r.got).toEqual(expected());
        if (tier.jitThreshold !== 0) expect(r.retired).toBe(runProgram(opt, 0).retired);
      });
    }
  }
});
