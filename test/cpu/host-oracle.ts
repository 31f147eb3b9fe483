/**
 * Differential testing of single instructions against the host CPU.
 *
 * Each instruction form becomes an assembly function `f_<n>(state)` that loads XMM0–2, RAX RCX RDX
 * RBX, RFLAGS, MXCSR and a 16-byte memory operand (at RSI) from a 256-byte state block, runs the
 * instruction exactly once, and stores everything back. Forms that take an imm8 are assembled
 * 256 times (one 32-byte slot per value) and the state picks the slot. oracle-driver.ts runs the
 * state blocks natively and on our Cpu; the outputs are compared byte for byte (RFLAGS: the
 * arithmetic flags).
 *
 * State block (offsets): 0 XMM0, 16 XMM1, 32 XMM2, 48 memory operand, 64 RAX, 72 RCX, 80 RDX,
 * 88 RBX, 96 RFLAGS, 104 MXCSR, 108 imm8, 248 form index; outputs at 128 XMM0, 144 XMM1,
 * 160 XMM2, 176 memory operand, 192 RAX, 200 RCX, 208 RDX, 216 RBX, 224 RFLAGS, 232 MXCSR.
 */
import type { Rng } from '../diff/rng.js';
import { hex, runOracle, type Oracle, type OracleResult } from './oracle-driver.js';

const STATE_SIZE = 256;
/** CF PF AF ZF SF OF: every form either defines them or must leave them alone. */
const ARITH_FLAGS = 0x8d5;

/**
 * How the random inputs of a form are shaped: integers, floats/doubles (a mix of specials, random
 * bits and ordinary values), tiny floats/doubles (around the denormal range, to exercise DAZ, FTZ
 * and underflow), strings for PCMPxSTRx, general registers.
 */
export type InputKind = 'int' | 'f32' | 'f64' | 'f32tiny' | 'f64tiny' | 'str' | 'gpr';

export interface Form {
  name: string;
  /** One instruction (or `.byte` line); `IMM` is replaced by the imm8 value in imm forms. */
  asm: string;
  imm: boolean;
  kind: InputKind;
  cases: number;
}

/** Register and memory variants of `mnemonic src, %xmm1` (with `$IMM, ` first for imm forms). */
export function rm(mnemonic: string, kind: InputKind, opts: { imm?: boolean; cases?: number; regOnly?: boolean; memOnly?: boolean } = {}): Form[] {
  const imm = opts.imm ?? false;
  const cases = opts.cases ?? (imm ? 512 : 300);
  const pre = imm ? '$IMM, ' : '';
  const out: Form[] = [];
  if (!opts.memOnly) out.push({ name: `${mnemonic} xmm, xmm`, asm: `${mnemonic} ${pre}%xmm2, %xmm1`, imm, kind, cases });
  if (!opts.regOnly) out.push({ name: `${mnemonic} xmm, mem`, asm: `${mnemonic} ${pre}(%rsi), %xmm1`, imm, kind, cases });
  return out;
}

export function form(name: string, asm: string, kind: InputKind, imm = false, cases = imm ? 512 : 300): Form {
  return { name, asm, imm, kind, cases };
}

function formAsm(f: Form, n: number): string {
  const lines = [
    `.globl f_${n}`,
    `f_${n}:`,
    'push %rbx',
    'ldmxcsr 104(%rdi)',
    'movdqa 0(%rdi), %xmm0',
    'movdqa 16(%rdi), %xmm1',
    'movdqa 32(%rdi), %xmm2',
    'mov 64(%rdi), %rax',
    'mov 72(%rdi), %rcx',
    'mov 80(%rdi), %rdx',
    'mov 88(%rdi), %rbx',
    'lea 48(%rdi), %rsi',
    'mov 108(%rdi), %r11d',
    'shl $5, %r11',
    `lea .Ltab_${n}(%rip), %r10`,
    'add %r11, %r10',
    'pushq 96(%rdi)',
    'popfq',
    'jmp *%r10',
    '.balign 32',
    `.Ltab_${n}:`,
  ];
  const count = f.imm ? 256 : 1;
  for (let k = 0; k < count; k++) {
    lines.push(`.org .Ltab_${n} + ${32 * k}, 0xcc`, f.asm.replace(/IMM/g, String(k)), `jmp .Ldone_${n}`);
  }
  lines.push(
    `.Ldone_${n}:`,
    'pushfq',
    'popq 224(%rdi)',
    'stmxcsr 232(%rdi)',
    'movdqa %xmm0, 128(%rdi)',
    'movdqa %xmm1, 144(%rdi)',
    'movdqa %xmm2, 160(%rdi)',
    'movdqa 48(%rdi), %xmm3',
    'movdqa %xmm3, 176(%rdi)',
    'mov %rax, 192(%rdi)',
    'mov %rcx, 200(%rdi)',
    'mov %rdx, 208(%rdi)',
    'mov %rbx, 216(%rdi)',
    'pop %rbx',
    'ret',
  );
  return lines.join('\n');
}

// ---- random inputs -------------------------------------------------------------------------


const EDGE_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x02, 0x40];

function intBlock(r: Rng, v: DataView, off: number, others: number[]): void {
  const choice = r.int(20);
  if (choice < 9) for (let k = 0; k < 16; k++) v.setUint8(off + k, r.int(256));
  else if (choice < 12) for (let k = 0; k < 16; k++) v.setUint8(off + k, r.pick(EDGE_BYTES));
  else if (choice < 14) for (let k = 0; k < 8; k++) v.setUint16(off + 2 * k, r.pick([0, 1, 0x7fff, 0x8000, 0xffff, 0x8001, 0x7ffe, r.int(65536)]), true);
  else if (choice < 15) for (let k = 0; k < 16; k++) v.setUint8(off + k, 0);
  else if (choice < 17 && others.length > 0) {
    // Equal, complementary or subset of an earlier block (PCMPEQ, PTEST, PSIGN edges).
    const src = r.pick(others);
    const how = r.int(3);
    for (let k = 0; k < 16; k++) {
      const b = v.getUint8(src + k);
      v.setUint8(off + k, how === 0 ? b : how === 1 ? ~b & 0xff : b & r.int(256));
    }
  } else for (let k = 0; k < 16; k++) v.setUint8(off + k, r.int(8) === 0 ? r.int(256) : r.int(5));
}

function f32Lane(r: Rng, v: DataView, off: number, prev: number): void {
  const c = r.int(20);
  const sign = r.int(2) << 31;
  let bits: number;
  if (c < 6) bits = r.next();
  else if (c < 12) bits = sign | ((127 - 12 + r.int(24)) << 23) | r.int(1 << 23);
  else if (c < 14) {
    v.setFloat32(off, (r.int(41) - 20) + r.pick([0, 0.5, 0.25, 0.75, 1.5]) * (r.int(2) ? 1 : -1), true);
    return;
  } else if (c < 18)
    bits = r.pick([
      sign,
      sign | 0x7f800000,
      sign | 0x7fc00000 | r.int(1 << 22),
      sign | 0x7f800000 | (1 + r.int((1 << 22) - 1)),
      sign | (1 + r.int(1 << 23)),
      sign | 0x7f7fffff,
      sign | 0x00800000,
      sign | 0x3f800000,
      sign | ((254 - r.int(3)) << 23) | r.int(1 << 23),
      sign | ((1 + r.int(3)) << 23) | r.int(1 << 23),
    ]);
  else if (prev >= 0) bits = v.getUint32(prev, true) ^ (r.int(2) ? 0x80000000 : 0);
  else bits = r.next();
  v.setUint32(off, bits >>> 0, true);
}

function f64Lane(r: Rng, v: DataView, off: number, prev: number): void {
  const c = r.int(20);
  const sign = r.int(2) << 31;
  let hi: number;
  let lo = r.next();
  if (c < 6) hi = r.next();
  else if (c < 12) hi = sign | ((1023 - 30 + r.int(60)) << 20) | r.int(1 << 20);
  else if (c < 14) {
    v.setFloat64(off, (r.int(41) - 20) + r.pick([0, 0.5, 0.25, 0.75, 1.5]) * (r.int(2) ? 1 : -1), true);
    return;
  } else if (c < 18) {
    const s = r.int(10);
    hi = [
      sign,
      sign | 0x7ff00000,
      sign | 0x7ff80000 | r.int(1 << 19),
      sign | 0x7ff00000 | r.int(1 << 19),
      sign | r.int(1 << 20),
      sign | 0x7fefffff,
      sign | 0x00100000,
      sign | 0x3ff00000,
      sign | ((2046 - r.int(3)) << 20) | r.int(1 << 20),
      sign | ((1 + r.int(3)) << 20) | r.int(1 << 20),
    ][s];
    if (s === 0 || s === 1 || s === 6 || s === 7) lo = 0;
    if (s === 5) lo = 0xffffffff;
    if (s === 3 && (hi & 0xfffff) === 0 && lo === 0) lo = 1;
  } else if (prev >= 0) {
    hi = v.getUint32(prev + 4, true) ^ (r.int(2) ? 0x80000000 : 0);
    lo = v.getUint32(prev, true);
  } else hi = r.next();
  v.setUint32(off, lo >>> 0, true);
  v.setUint32(off + 4, hi >>> 0, true);
}

/** Floats near the bottom of the range: denormals, small normals, and some ordinary values. */
function tiny32(r: Rng): number {
  const sign = r.int(2) << 31;
  const c = r.int(8);
  if (c < 3) return (sign | r.int(1 << 23)) >>> 0;
  if (c < 6) return (sign | ((1 + r.int(24)) << 23) | r.int(1 << 23)) >>> 0;
  if (c < 7) return (sign | ((127 - 20 + r.int(40)) << 23) | r.int(1 << 23)) >>> 0;
  return sign >>> 0;
}

function tiny64(r: Rng, v: DataView, off: number): void {
  const sign = r.int(2) << 31;
  const c = r.int(8);
  let hi: number;
  if (c < 3) hi = sign | r.int(1 << 20);
  else if (c < 6) hi = sign | ((1 + r.int(53)) << 20) | r.int(1 << 20);
  else if (c < 7) hi = sign | ((1023 - 500 + r.int(1000)) << 20) | r.int(1 << 20);
  else hi = sign;
  v.setUint32(off, c === 7 ? 0 : r.next(), true);
  v.setUint32(off + 4, hi >>> 0, true);
}

const ALPHABET = [0x61, 0x62, 0x63, 0x41, 0x30, 0x7a, 0x80, 0xff, 0x01];

function strBlock(r: Rng, v: DataView, off: number, others: number[]): void {
  const c = r.int(10);
  if (c < 2) {
    intBlock(r, v, off, others);
    return;
  }
  const zeroAt = r.int(3) === 0 ? r.int(17) : 99;
  for (let k = 0; k < 16; k++) {
    let b = r.pick(ALPHABET);
    if (c < 4 && others.length > 0 && r.int(3) > 0) b = v.getUint8(r.pick(others) + r.int(16));
    v.setUint8(off + k, k === zeroAt || (r.int(30) === 0) ? 0 : b);
  }
  if (c === 9 && others.length > 0) {
    // A substring of another block, to give "equal ordered" real matches.
    const src = r.pick(others);
    const from = r.int(12);
    const at = r.int(12);
    const len = 1 + r.int(4);
    for (let k = 0; k < len && at + k < 16; k++) v.setUint8(off + at + k, v.getUint8(src + from + k));
  }
}

function gpr(r: Rng, v: DataView, off: number, kind: InputKind): void {
  let lo: number;
  let hi: number;
  if (kind === 'str' && r.int(4) > 0) {
    const n = r.int(5) === 0 ? r.int(64) - 32 : r.int(41) - 20;
    lo = n;
    hi = n < 0 ? -1 : 0;
    if (r.int(10) === 0) hi = r.int(3) === 0 ? r.next() : hi;
    if (r.int(20) === 0) lo = r.pick([0x80000000, 0x7fffffff, 0xfffffff0, 0x10]);
  } else {
    lo = r.next();
    hi = r.int(4) === 0 ? r.pick([0, -1]) : r.next();
  }
  v.setUint32(off, lo >>> 0, true);
  v.setUint32(off + 4, hi >>> 0, true);
}

/** Fills the state block at `s` for case `n` of form number `id`. */
function fillState(r: Rng, f: Form, id: number, buf: Uint8Array, s: number, n: number): void {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const blocks = [s, s + 16, s + 32, s + 48];
  for (let b = 0; b < 4; b++) {
    const off = blocks[b];
    const earlier = blocks.slice(0, b);
    if (f.kind === 'f32tiny') for (let k = 0; k < 4; k++) v.setUint32(off + 4 * k, tiny32(r), true);
    else if (f.kind === 'f64tiny') for (let k = 0; k < 2; k++) tiny64(r, v, off + 8 * k);
    else if (f.kind === 'f32') for (let k = 0; k < 4; k++) f32Lane(r, v, off + 4 * k, k > 0 ? off + 4 * (k - 1) : b > 0 ? earlier[0] + 4 * k : -1);
    else if (f.kind === 'f64') for (let k = 0; k < 2; k++) f64Lane(r, v, off + 8 * k, k > 0 ? off : b > 0 ? earlier[0] + 8 * k : -1);
    else if (f.kind === 'str') strBlock(r, v, off, earlier);
    else intBlock(r, v, off, earlier);
  }
  for (const g of [64, 72, 80, 88]) gpr(r, v, s + g, f.kind);
  v.setUint32(s + 96, (r.next() & ARITH_FLAGS) | 2, true);
  v.setUint32(s + 100, 0, true);
  const float = f.kind !== 'int' && f.kind !== 'str' && f.kind !== 'gpr';
  let mxcsr = 0x1f80 | (r.int(4) << 13);
  if (float && r.int(4) === 0) mxcsr |= 0x40; // DAZ
  if (float && r.int(4) === 0) mxcsr |= 0x8000; // FTZ
  if (r.int(4) === 0) mxcsr |= r.int(64);
  v.setUint32(s + 104, mxcsr, true);
  v.setUint32(s + 108, f.imm ? n % 256 : 0, true);
  v.setUint32(s + 248, id, true);
}

const FIELDS: [string, number, number][] = [
  ['xmm0', 128, 16],
  ['xmm1', 144, 16],
  ['xmm2', 160, 16],
  ['mem', 176, 16],
  ['rax', 192, 8],
  ['rcx', 200, 8],
  ['rdx', 208, 8],
  ['rbx', 216, 8],
  ['rflags', 224, 8],
  ['mxcsr', 232, 4],
];

/** Describes the differences of one state (empty string when equal). */
function diffState(_f: Form, input: Uint8Array, native: Uint8Array, ours: Uint8Array, s: number): string {
  const bad: string[] = [];
  for (const [name, off, len] of FIELDS) {
    let a = hex(native, s + off, len);
    let b = hex(ours, s + off, len);
    if (name === 'rflags') {
      const mask = (x: Uint8Array): string => ((x[s + off] | (x[s + off + 1] << 8)) & ARITH_FLAGS).toString(16);
      a = mask(native);
      b = mask(ours);
    }
    if (a !== b) bad.push(`${name} host ${a} ours ${b}`);
  }
  if (bad.length === 0) return '';
  const inputs = [
    `xmm0=${hex(input, s, 16)}`,
    `xmm1=${hex(input, s + 16, 16)}`,
    `xmm2=${hex(input, s + 32, 16)}`,
    `mem=${hex(input, s + 48, 16)}`,
    `rax=${hex(input, s + 64, 8)}`,
    `rcx=${hex(input, s + 72, 8)}`,
    `rdx=${hex(input, s + 80, 8)}`,
    `rbx=${hex(input, s + 88, 8)}`,
    `flags=${hex(input, s + 96, 2)}`,
    `mxcsr=${hex(input, s + 104, 4)}`,
    `imm=${input[s + 108]}`,
  ];
  return `${bad.join('; ')} | inputs ${inputs.join(' ')}`;
}

const SSE_ORACLE: Oracle<Form> = { stateSize: STATE_SIZE, idOffset: 248, align: 256, formAsm, fillState, diffState };

export type DiffResult = OracleResult<Form>;

/** Generates inputs for every form, runs them natively and on our Cpu, and compares. */
export function runDifferential(forms: Form[], seed: number): DiffResult[] {
  return runOracle(SSE_ORACLE, forms, seed);
}
