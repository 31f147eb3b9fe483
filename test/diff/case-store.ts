/**
 * Stored cases: gzip'd JSON lines under test/diff/cases/, one file per mnemonic, so that a machine
 * without x86-64 or gcc replays what the host CPU did. Inputs and outputs are stored as
 * differences from the defaults (untouched registers, unchanged state) to keep the files small.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { defaultGpr, defaultMm, defaultXmmByte, MMX_FTW, type CaseInput, type CaseOutput, type DiffCase } from './case.js';

export const CASES_DIR = fileURLToPath(new URL('./cases/', import.meta.url));
const DEFAULT_MXCSR = 0x1f80;

interface StoredLine {
  f: string;
  c: string;
  g?: Record<string, string>;
  fl: number;
  mx?: number;
  s: number;
  x?: Record<string, string>;
  p?: [number, string];
  /** MM registers not at their defaults. */
  mm?: Record<string, string>;
  o: {
    v?: number;
    rip?: number;
    g?: Record<string, string>;
    fl?: number;
    mx?: number;
    x?: Record<string, string>;
    m?: Array<[number, string]>;
    mm?: Record<string, string>;
    /** Abridged x87 tag word when not all-valid. */
    tw?: number;
  };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

function defaultXmm(): Uint8Array {
  const xmm = new Uint8Array(256);
  for (let r = 0; r < 16; r++) for (let b = 0; b < 16; b++) xmm[r * 16 + b] = defaultXmmByte(r, b);
  return xmm;
}

function changedGprs(values: bigint[], from: bigint[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  values.forEach((v, i) => {
    if (v !== from[i]) out[i] = v.toString(16);
  });
  return Object.keys(out).length ? out : undefined;
}

function changedXmm(values: Uint8Array, from: Uint8Array, count = 16, width = 16): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (let r = 0; r < count; r++) {
    const reg = values.subarray(r * width, r * width + width);
    if (hex(reg) !== hex(from.subarray(r * width, r * width + width))) out[r] = hex(reg);
  }
  return Object.keys(out).length ? out : undefined;
}

/** Contiguous runs of changed bytes: [offset, hex bytes]. */
function memoryRuns(memory: Array<[number, number]>): Array<[number, string]> {
  const runs: Array<[number, string]> = [];
  let start = -1;
  let bytes: number[] = [];
  for (const [offset, value] of memory) {
    if (start >= 0 && offset === start + bytes.length) bytes.push(value);
    else {
      if (start >= 0) runs.push([start, hex(Uint8Array.from(bytes))]);
      start = offset;
      bytes = [value];
    }
  }
  if (start >= 0) runs.push([start, hex(Uint8Array.from(bytes))]);
  return runs;
}

export function encodeCase({ input, expected }: DiffCase): StoredLine {
  const defaults = Array.from({ length: 16 }, (_, i) => defaultGpr(i));
  const line: StoredLine = { f: input.form, c: hex(input.code), fl: input.rflags, s: input.dataSeed, o: {} };
  const g = changedGprs(input.gpr, defaults);
  if (g) line.g = g;
  if (input.mxcsr !== DEFAULT_MXCSR) line.mx = input.mxcsr;
  const x = changedXmm(input.xmm, defaultXmm());
  if (x) line.x = x;
  if (input.patch.length) line.p = [input.patchOffset, hex(input.patch)];
  const mm = changedXmm(input.mm, defaultMm(), 8, 8);
  if (mm) line.mm = mm;
  const o = line.o;
  if (expected.vector !== -1) {
    o.v = expected.vector;
    return line;
  }
  o.rip = Number(expected.rip);
  const og = changedGprs(expected.gpr, input.gpr);
  if (og) o.g = og;
  o.fl = expected.rflags;
  if (expected.mxcsr !== input.mxcsr) o.mx = expected.mxcsr;
  const ox = changedXmm(expected.xmm, input.xmm);
  if (ox) o.x = ox;
  if (expected.memory.length) o.m = memoryRuns(expected.memory);
  const omm = changedXmm(expected.mm, input.mm, 8, 8);
  if (omm) o.mm = omm;
  if (expected.ftw !== MMX_FTW) o.tw = expected.ftw;
  return line;
}

export function decodeCase(line: StoredLine): DiffCase {
  const gpr = Array.from({ length: 16 }, (_, i) => (line.g?.[i] !== undefined ? BigInt(`0x${line.g[i]}`) : defaultGpr(i)));
  const xmm = defaultXmm();
  for (const [r, v] of Object.entries(line.x ?? {})) xmm.set(unhex(v), Number(r) * 16);
  const input: CaseInput = {
    form: line.f,
    code: unhex(line.c),
    gpr,
    rflags: line.fl,
    mxcsr: line.mx ?? DEFAULT_MXCSR,
    dataSeed: line.s,
    xmm,
    patchOffset: line.p?.[0] ?? 0,
    patch: line.p ? unhex(line.p[1]) : new Uint8Array(0),
    mm: defaultMm(),
  };
  for (const [r, v] of Object.entries(line.mm ?? {})) input.mm.set(unhex(v), Number(r) * 8);
  const o = line.o;
  const outXmm = new Uint8Array(xmm);
  for (const [r, v] of Object.entries(o.x ?? {})) outXmm.set(unhex(v), Number(r) * 16);
  const memory: Array<[number, number]> = [];
  for (const [offset, bytes] of o.m ?? []) unhex(bytes).forEach((b, i) => memory.push([offset + i, b]));
  const expected: CaseOutput = {
    vector: o.v ?? -1,
    gpr: gpr.map((v, i) => (o.g?.[i] !== undefined ? BigInt(`0x${o.g[i]}`) : v)),
    rip: BigInt(o.rip ?? 0),
    rflags: o.fl ?? 0,
    mxcsr: o.mx ?? input.mxcsr,
    xmm: outXmm,
    memory,
    mm: new Uint8Array(input.mm),
    ftw: o.tw ?? MMX_FTW,
  };
  for (const [r, v] of Object.entries(o.mm ?? {})) expected.mm.set(unhex(v), Number(r) * 8);
  return { input, expected };
}

/** Replaces the whole store with `cases`, one file per group key. */
export function writeStore(cases: DiffCase[], groupOf: (form: string) => string): void {
  rmSync(CASES_DIR, { recursive: true, force: true });
  mkdirSync(CASES_DIR, { recursive: true });
  const groups = new Map<string, string[]>();
  for (const c of cases) {
    const key = groupOf(c.input.form);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(JSON.stringify(encodeCase(c)));
  }
  for (const [key, lines] of groups) {
    writeFileSync(join(CASES_DIR, `${key}.jsonl.gz`), gzipSync(`${lines.join('\n')}\n`, { level: 9 }));
  }
}

export function readStore(): DiffCase[] {
  const cases: DiffCase[] = [];
  for (const file of readdirSync(CASES_DIR).filter((f) => f.endsWith('.jsonl.gz')).sort()) {
    const text = gunzipSync(readFileSync(join(CASES_DIR, file))).toString('utf8');
    for (const line of text.split('\n')) if (line) cases.push(decodeCase(JSON.parse(line) as StoredLine));
  }
  return cases;
}
