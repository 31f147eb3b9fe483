/**
 * Differential testing of x87 and MMX instructions against the host CPU, with the whole x87
 * state (the MMX registers live in it) and the XMM registers.
 *
 * Each form becomes `f_<n>(state)`: FXRSTOR the input image (8 registers, TOP, tags, FCW, FSW),
 * load RFLAGS, point RSI at a 128-byte memory operand, run the instruction once, then save RFLAGS,
 * RAX and FXSAVE the state, and FNINIT so nothing stays pending. oracle-driver.ts runs the state
 * blocks natively and on our Cpu; the saved images, memory, RAX and flags are compared byte for
 * byte (transcendental results within a tolerance).
 *
 * State block (1280 bytes): 0 input FXSAVE image, 512 output image, 1024 memory operand (128),
 * 1152 RFLAGS in, 1160 RFLAGS out, 1168 RAX out, 1176 form index.
 */
import type { Rng } from '../diff/rng.js';
import { hex, runOracle, type Oracle, type OracleResult } from './oracle-driver.js';

const STATE = 1280;
const OUT = 512, MEM = 1024, FL_IN = 1152, FL_OUT = 1160, RAX_OUT = 1168, ID = 1176;

/** Input shapes: what goes in the registers and in the memory operand. */
export type X87Kind = 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'env' | 'none' | 'trans' | 'trans-small' | 'mmx' | 'mmx-f32' | 'mmx-f64';

export interface X87Form {
  name: string;
  asm: string;
  kind: X87Kind;
  cases: number;
  /** Memory bytes [from, to) not compared (instruction pointers stored by FNSTENV/FNSAVE). */
  skipMem?: [number, number];
  /** Results of transcendental instructions: compared within a relative tolerance. */
  loose?: boolean;
}

export function xf(asm: string, kind: X87Kind, extra: Partial<X87Form> = {}): X87Form {
  return { name: asm, asm, kind, cases: 250, ...extra };
}

function formAsm(f: X87Form, n: number): string {
  return [
    `.globl f_${n}`,
    `f_${n}:`,
    'fxrstor (%rdi)',
    `lea ${MEM}(%rdi), %rsi`,
    `pushq ${FL_IN}(%rdi)`,
    'popfq',
    'xor %eax, %eax',
    f.asm,
    'pushfq',
    `popq ${FL_OUT}(%rdi)`,
    `mov %rax, ${RAX_OUT}(%rdi)`,
    `fxsave ${OUT}(%rdi)`,
    'fninit',
    'ret',
  ].join('\n');
}

// ---- inputs ----------------------------------------------------------------------------------

/** A random 80-bit value: ordinary, edge exponents, specials, unsupported encodings, copies. */
function ext80(r: Rng, v: DataView, off: number, others: number[], kind: X87Kind): void {
  let sign = r.int(2) << 15;
  let e: number;
  let hi = (r.next() | 0x80000000) >>> 0;
  let lo = r.next();
  const c = r.int(kind === 'trans' ? 10 : 24);
  if (c < 5) e = 16383 - 40 + r.int(80);
  else if (c < 7) {
    e = 16383 + r.int(8);
    const keep = r.pick([0, 8, 20, 40, 60]);
    if (keep <= 32) {
      hi = (hi & ~((1 << (32 - keep)) - 1)) >>> 0;
      if (keep === 0) hi = 0x80000000;
      lo = 0;
    } else lo = (lo & ~((1 << (64 - keep)) - 1)) >>> 0;
    if (keep === 0 && r.int(2) === 0) hi = (hi | (1 << (31 - r.int(3)))) >>> 0;
  } else if (c < 8 && others.length > 0) {
    const src = r.pick(others);
    const how = r.int(3);
    e = v.getUint16(src + 8, true) & 0x7fff;
    sign = how === 1 ? v.getUint16(src + 8, true) & 0x8000 : sign;
    hi = v.getUint32(src + 4, true);
    lo = v.getUint32(src, true);
    if (how === 2) lo = (lo ^ (1 << r.int(32))) >>> 0;
  } else if (c < 10) {
    // Doubles and floats widened: low bits zero.
    e = 16383 - 100 + r.int(200);
    lo = r.int(2) === 0 ? (lo & 0xfffff800) >>> 0 : 0;
    if (lo === 0) hi = (hi & 0xffffff00) >>> 0;
  } else if (c < 13) e = r.int(0x7fff);
  else if (c < 15) e = r.pick([1, 2, 0x7ffe, 0x7ffd, 16383 - 16383 + 60, 0x7ffe - 60]);
  else if (c < 17) {
    e = 0; // denormal (integer bit clear) or pseudo-denormal
    if (r.int(4) !== 0) hi = hi & 0x7fffffff;
    if (r.int(3) === 0) {
      hi = 0;
      lo = r.int(2) === 0 ? r.next() : 1 + r.int(8);
    }
  } else if (c < 18) {
    e = 0;
    hi = lo = 0;
  } else if (c < 19) {
    e = 0x7fff;
    hi = 0x80000000;
    lo = 0;
  } else if (c < 21) {
    e = 0x7fff; // NaNs: quiet, signalling, indefinite
    const t = r.int(3);
    if (t === 0) hi = (hi | 0xc0000000) >>> 0;
    else if (t === 1) {
      hi = ((hi & 0xbfffffff) | 0x80000000) >>> 0;
      if ((hi & 0x3fffffff) === 0 && lo === 0) lo = 1;
    } else {
      hi = 0xc0000000;
      lo = 0;
      sign = 0x8000;
    }
  } else if (c < 22) {
    // Unsupported: unnormal, pseudo-infinity, pseudo-NaN.
    e = r.int(2) === 0 ? 0x7fff : 1 + r.int(0x7ffe);
    hi = hi & 0x7fffffff;
  } else {
    // Small integers and halves (rounding ties, FPREM quotients).
    const n = r.int(64) + r.pick([0, 0.5, 0.25, 0.75]);
    if (n === 0) {
      e = 0;
      hi = lo = 0;
    } else {
      const ex = Math.floor(Math.log2(n));
      e = 16383 + ex;
      const m = n / Math.pow(2, ex); // in [1, 2)
      hi = Math.floor(m * 2147483648) >>> 0;
      lo = 0;
    }
  }
  v.setUint32(off, lo >>> 0, true);
  v.setUint32(off + 4, hi >>> 0, true);
  v.setUint16(off + 8, sign | e, true);
}

function memOperand(r: Rng, v: DataView, off: number, kind: X87Kind, regs: number[]): void {
  for (let k = 0; k < 128; k++) v.setUint8(off + k, r.int(256));
  const c = r.int(8);
  switch (kind) {
    case 'f32': {
      if (c < 3) v.setFloat32(off, (r.int(64) - 32) * r.pick([1, 0.5, 0.25, 3]), true);
      else if (c < 5) v.setUint32(off, r.pick([0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0x00000001, 0x807fffff, 0x7f7fffff, 0x00800000]), true);
      else if (c < 6) v.setUint32(off, ((r.int(2) << 31) | ((127 - 20 + r.int(40)) << 23) | r.int(1 << 23)) >>> 0, true);
      return;
    }
    case 'f64': {
      if (c < 3) v.setFloat64(off, (r.int(64) - 32) * r.pick([1, 0.5, 0.25, 3]), true);
      else if (c < 5) {
        const s = r.pick([[0, 0], [0, 0x80000000], [0, 0x7ff00000], [0, 0xfff00000], [0, 0x7ff80000], [1, 0x7ff00000], [1, 0], [0xffffffff, 0x800fffff], [0xffffffff, 0x7fefffff], [0, 0x00100000]]);
        v.setUint32(off, s[0] >>> 0, true);
        v.setUint32(off + 4, s[1] >>> 0, true);
      } else if (c < 6) v.setUint32(off + 4, ((r.int(2) << 31) | ((1023 - 30 + r.int(60)) << 20) | r.int(1 << 20)) >>> 0, true);
      return;
    }
    case 'f80':
      ext80(r, v, off, regs, kind);
      return;
    case 'i16':
      if (c < 4) v.setInt16(off, r.pick([0, 1, -1, 0x7fff, -0x8000, r.int(100) - 50]), true);
      return;
    case 'i32':
      if (c < 4) v.setInt32(off, r.pick([0, 1, -1, 0x7fffffff, -0x80000000, r.int(100) - 50]), true);
      return;
    case 'i64':
      if (c < 3) {
        v.setInt32(off, r.pick([0, 1, -1, r.int(100) - 50]), true);
        v.setInt32(off + 4, v.getInt32(off, true) < 0 ? -1 : 0, true);
      } else if (c < 4) {
        v.setUint32(off, r.pick([0, 0xffffffff]), true);
        v.setUint32(off + 4, r.pick([0x80000000, 0x7fffffff]), true);
      }
      return;
    case 'bcd': {
      // Valid packed BCD: 18 random digits (sometimes few), a sign byte.
      const digits = r.int(3) === 0 ? 1 + r.int(4) : 18;
      for (let k = 0; k < 9; k++) v.setUint8(off + k, 0);
      for (let d = 0; d < digits; d++) v.setUint8(off + (d >> 1), v.getUint8(off + (d >> 1)) | (r.int(10) << (4 * (d & 1))));
      v.setUint8(off + 9, r.int(2) << 7);
      return;
    }
    case 'env': {
      // A plausible environment: control word, status word, tags.
      v.setUint16(off, 0x40 | (r.next() & 0xf3f) | 0x3f, true);
      if (r.int(3) === 0) v.setUint16(off, 0x40 | (r.next() & 0xf3f), true);
      v.setUint16(off + 4, r.next() & 0x7f3f & ~0x80, true);
      for (let k = 0; k < 8; k++) ext80(r, v, off + 28 + k * 10, regs, 'none');
      return;
    }
  }
}

const PCS = [0, 2, 3];

function fillState(r: Rng, f: X87Form, id: number, buf: Uint8Array, s: number): void {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let k = 0; k < STATE; k++) buf[s + k] = 0;
  let fcw = 0x40 | (r.pick(PCS) << 8) | (r.int(4) << 10) | 0x3f;
  if (r.int(6) === 0) fcw = (fcw & ~0x3f) | r.int(64);
  if (r.int(4) === 0) fcw = (fcw & ~0x300) | 0x300;
  const topv = r.int(8);
  // Sticky flags already set must be masked ones (an unmasked one would be pending: #MF).
  const sticky = r.int(3) === 0 ? r.int(64) & fcw & 0x3f : 0;
  const fsw = (topv << 11) | (r.next() & 0x4700) | sticky;
  let ftw = 0;
  for (let p = 0; p < 8; p++) {
    const st = (p - topv) & 7;
    const pValid = st === 0 ? 94 : st === 1 ? 90 : st === 7 ? 50 : 75;
    if (r.int(100) < pValid) ftw |= 1 << p;
  }
  v.setUint16(s, fcw, true);
  v.setUint16(s + 2, fsw, true);
  v.setUint8(s + 4, ftw);
  v.setUint32(s + 24, 0x1f80, true);
  v.setUint32(s + 28, 0xffff, true);
  const regs: number[] = [];
  for (let k = 0; k < 8; k++) {
    const off = s + 32 + 16 * k;
    if (f.kind === 'trans' || f.kind === 'trans-small') transValue(r, v, off, f.kind === 'trans-small');
    else if (f.kind.startsWith('mmx')) mmxValue(r, v, off);
    else ext80(r, v, off, regs, f.kind);
    regs.push(off);
  }
  memOperand(r, v, s + MEM, f.kind, regs);
  if (f.kind.startsWith('mmx')) {
    // XMM0–7 and the memory operand get MMX-style integers (or float lanes for conversions),
    // MXCSR a random rounding mode.
    for (let k = 0; k < 16; k++) mmxValue(r, v, s + 160 + 16 * k);
    mmxValue(r, v, s + MEM);
    mmxValue(r, v, s + MEM + 8);
    if (f.kind !== 'mmx') for (let k = 0; k < 24; k++) floatLane(r, v, k < 20 ? s + 160 + 4 * k : s + MEM + 4 * (k - 20), f.kind === 'mmx-f64');
    v.setUint32(s + 24, 0x1f80 | (r.int(4) << 13) | (r.int(4) === 0 ? 0x40 : 0), true);
  }
  v.setUint32(s + FL_IN, (r.next() & 0x8d5) | 2, true);
  v.setUint32(s + ID, id, true);
}

/** A random 64-bit MMX value (edge bytes and words often) in an 80-bit slot or memory. */
function mmxValue(r: Rng, v: DataView, off: number): void {
  const c = r.int(4);
  for (let k = 0; k < 8; k++) {
    const x = c === 0 ? r.pick([0, 0x7f, 0x80, 0xff, 1, 0xfe]) : c === 1 && k % 2 === 1 ? r.pick([0, 0xff, 0x7f, 0x80]) : r.int(256);
    v.setUint8(off + k, x);
  }
  v.setUint16(off + 8, r.next() & 0xffff, true);
}

/** Float (or, for f64, pairs forming a double) lanes with integers-ish values for conversions. */
function floatLane(r: Rng, v: DataView, off: number, f64: boolean): void {
  if (f64) {
    if ((off & 7) !== 0) return;
    const c = r.int(4);
    v.setFloat64(off, c === 0 ? (r.int(2001) - 1000) / 4 : c === 1 ? r.pick([2147483647.5, -2147483648.5, 2147483648, NaN, Infinity, 1e-310, -0.5, 2.5]) : (r.next() | 0) * r.pick([1, 0.001, 1.5]), true);
    return;
  }
  const c = r.int(4);
  v.setFloat32(off, c === 0 ? (r.int(2001) - 1000) / 4 : c === 1 ? r.pick([2147483520, -2147483648, 2147483648, NaN, Infinity, 1e-40, -0.5, 2.5]) : (r.next() | 0) * r.pick([1, 0.001, 1.5]), true);
}

/**
 * Moderate finite values for the transcendental instructions: |x| < 16, or |x| < 1/4 for F2XM1
 * and FYL2XP1 (their architected domains).
 */
function transValue(r: Rng, v: DataView, off: number, small: boolean): void {
  const sign = r.int(2) << 15;
  const e = small ? 16383 - 24 + r.int(22) : 16383 - 20 + r.int(24);
  v.setUint32(off, r.next(), true);
  v.setUint32(off + 4, (r.next() | 0x80000000) >>> 0, true);
  v.setUint16(off + 8, sign | e, true);
}

// ---- comparison -----------------------------------------------------------------------------

/** An 80-bit value as a double-free rational comparison helper: relative difference ≤ 2^-tol. */
function closeExt(a: Uint8Array, b: Uint8Array, off: number, tol: number): boolean {
  const va = extApprox(a, off);
  const vb = extApprox(b, off);
  if (va === vb) return true;
  if (!isFinite(va) || !isFinite(vb) || va !== va || vb !== vb) return false;
  return Math.abs(va - vb) <= Math.abs(va) * Math.pow(2, -tol);
}

function extApprox(b: Uint8Array, off: number): number {
  const v = new DataView(b.buffer, b.byteOffset + off, 10);
  const se = v.getUint16(8, true);
  const e = se & 0x7fff;
  const m = v.getUint32(4, true) * 4294967296 + v.getUint32(0, true);
  if (e === 0x7fff) return m === 9223372036854775808 ? ((se & 0x8000) !== 0 ? -Infinity : Infinity) : NaN;
  const x = m * Math.pow(2, (e === 0 ? 1 : e) - 16383 - 63);
  return (se & 0x8000) !== 0 ? -x : x;
}

function diffState(f: X87Form, input: Uint8Array, native: Uint8Array, ours: Uint8Array, s: number): string {
  const bad: string[] = [];
  const field = (name: string, off: number, len: number, mask?: (x: string) => string): void => {
    let a = hex(native, s + off, len);
    let b = hex(ours, s + off, len);
    if (mask) {
      a = mask(a);
      b = mask(b);
    }
    if (a !== b) bad.push(`${name} host ${a} ours ${b}`);
  };
  const fswMask = f.loose ? (x: string): string => (parseInt(x, 16) & ~0x0220 & 0xffff).toString(16) : undefined;
  field('fcw', OUT, 2);
  field('mxcsr', OUT + 24, 4);
  for (let k = 0; k < 16; k++) field(`xmm${k}`, OUT + 160 + 16 * k, 16);
  field('fsw', OUT + 2, 2, fswMask);
  field('ftw', OUT + 4, 1);
  for (let k = 0; k < 8; k++) {
    const off = OUT + 32 + 16 * k;
    if (f.loose && hex(native, s + off, 10) !== hex(ours, s + off, 10)) {
      if (!closeExt(native, ours, s + off, 50)) bad.push(`st${k} host ${hex(native, s + off, 10)} ours ${hex(ours, s + off, 10)}`);
    } else if (!f.loose) field(`st${k}`, off, 10);
  }
  for (let k = 0; k < 128; k++) {
    if (f.skipMem && k >= f.skipMem[0] && k < f.skipMem[1]) continue;
    if (native[s + MEM + k] !== ours[s + MEM + k]) {
      bad.push(`mem host ${hex(native, s + MEM, 16)}… ours ${hex(ours, s + MEM, 16)}… (first difference at ${k})`);
      break;
    }
  }
  field('rflags', FL_OUT, 2, (x) => (parseInt(x, 16) & 0x8d5).toString(16));
  field('ax', RAX_OUT, 2);
  if (bad.length === 0) return '';
  const regs: string[] = [];
  const top = (input[s + 3] >> 3) & 7;
  for (let k = 0; k < 8; k++) regs.push(`st${k}=${hex(input, s + 32 + 16 * k, 10)}`);
  return `${bad.join('; ')} | in fcw=${hex(input, s, 2)} fsw=${hex(input, s + 2, 2)} (top ${top}) ftw=${hex(input, s + 4, 1)} ${regs.join(' ')} mem=${hex(input, s + MEM, 16)} flags=${hex(input, s + FL_IN, 2)}`;
}

const X87_ORACLE: Oracle<X87Form> = { stateSize: STATE, idOffset: ID, align: 64, formAsm, fillState, diffState };

export function runX87Differential(forms: X87Form[], seed: number): OracleResult<X87Form>[] {
  return runOracle(X87_ORACLE, forms, seed);
}
