/**
 * The machinery shared by the host-CPU oracles (host-oracle.ts for SSE/AES, x87-oracle.ts for
 * x87/MMX): each form becomes an assembly function `f_<n>(state)`; the very same assembly text is
 * linked into a native program (gcc, run on this machine) and into a guest image for our Cpu, both
 * run the same array of state blocks (each names its form at `idOffset`), and the two resulting
 * arrays are compared state by state. An oracle only states what differs: the state layout (its
 * size, the per-form assembly that loads and saves it), the input generator and the comparison.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../diff/rng.js';
import { assemble, CODE_BASE, createMachine, DATA_BASE, load, runUntilStop, StopReason } from './long-mode-harness.js';

export interface OracleForm {
  name: string;
  cases: number;
}

export interface Oracle<F extends OracleForm> {
  /** Bytes per state block (a multiple of `align`). */
  stateSize: number;
  /** Where a state block holds the index of its form (uint32). */
  idOffset: number;
  /** Alignment of the native state buffer (what the form assembly's aligned accesses need). */
  align: number;
  /** `f_<n>`: loads the state at RDI, runs the form once, saves the results in the same block. */
  formAsm(f: F, n: number): string;
  /** Fills the state block at `s` for case `n` of form number `id`. */
  fillState(r: Rng, f: F, id: number, buf: Uint8Array, s: number, n: number): void;
  /** Describes how the state at `s` differs between the host and us ('' when it does not). */
  diffState(f: F, input: Uint8Array, native: Uint8Array, ours: Uint8Array, s: number): string;
}

export interface OracleResult<F extends OracleForm> {
  form: F;
  cases: number;
  mismatches: string[];
}

/** `len` little-endian bytes at `off`, most significant first. */
export function hex(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let k = len - 1; k >= 0; k--) s += b[off + k].toString(16).padStart(2, '0');
  return s;
}

function formsAsm<F extends OracleForm>(oracle: Oracle<F>, forms: F[]): string {
  return forms.map((f, n) => oracle.formAsm(f, n)).join('\n');
}

function nativeMain<F extends OracleForm>(oracle: Oracle<F>): string {
  return `
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define STATE ${oracle.stateSize}
typedef void form_fn(uint8_t *);
extern form_fn *const form_table[];
int main(int argc, char **argv) {
  FILE *in = fopen(argv[1], "rb");
  if (!in) return 2;
  fseek(in, 0, SEEK_END);
  long size = ftell(in);
  fseek(in, 0, SEEK_SET);
  uint8_t *buf = aligned_alloc(${oracle.align}, (size_t)size);
  if (fread(buf, 1, (size_t)size, in) != (size_t)size) return 3;
  fclose(in);
  for (long off = 0; off < size; off += STATE) {
    uint32_t id;
    memcpy(&id, buf + off + ${oracle.idOffset}, 4);
    form_table[id](buf + off);
  }
  FILE *out = fopen(argv[2], "wb");
  if (!out || fwrite(buf, 1, (size_t)size, out) != (size_t)size) return 4;
  fclose(out);
  return 0;
}
`;
}

const cacheDir = join(tmpdir(), 'tender-cpu-oracle');

/** Builds (once, cached by content) the native program running `forms`, and returns its path. */
function nativeProgram<F extends OracleForm>(oracle: Oracle<F>, forms: F[]): string {
  const main = nativeMain(oracle);
  const table = `.section .data.rel.ro\n.globl form_table\n.balign 8\nform_table:\n${forms.map((_, n) => `.quad f_${n}`).join('\n')}\n.text\n`;
  const asm = `.section .note.GNU-stack,"",@progbits\n.text\n${formsAsm(oracle, forms)}\n${table}`;
  const hash = createHash('sha256').update(main).update(asm).digest('hex').slice(0, 24);
  const dir = join(cacheDir, hash);
  const exe = join(dir, 'oracle');
  if (existsSync(exe)) return exe;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.c'), main);
  writeFileSync(join(dir, 'forms.s'), asm);
  execFileSync('gcc', ['-O1', '-o', exe, join(dir, 'main.c'), join(dir, 'forms.s')]);
  return exe;
}

/** Runs the states on the host CPU; returns the states after. */
function runNative<F extends OracleForm>(oracle: Oracle<F>, forms: F[], states: Uint8Array): Uint8Array {
  const exe = nativeProgram(oracle, forms);
  const hash = createHash('sha256').update(states).digest('hex').slice(0, 16);
  const input = join(cacheDir, `in-${hash}.bin`);
  const output = join(cacheDir, `out-${hash}.bin`);
  writeFileSync(input, states);
  try {
    execFileSync(exe, [input, output]);
    return new Uint8Array(readFileSync(output));
  } finally {
    rmSync(input, { force: true });
    rmSync(output, { force: true });
  }
}

/** Runs the states on our Cpu (one guest run over all states); returns the states after. */
function runEmulated<F extends OracleForm>(oracle: Oracle<F>, forms: F[], states: Uint8Array): Uint8Array {
  const count = states.length / oracle.stateSize;
  const driver = [
    `mov $${DATA_BASE}, %rdi`,
    `mov $${count}, %r15`,
    '1:',
    `mov ${oracle.idOffset}(%rdi), %eax`,
    'call *form_table(,%rax,8)',
    `add $${oracle.stateSize}, %rdi`,
    'dec %r15',
    'jnz 1b',
    'hlt',
    '.balign 8',
    'form_table:',
    ...forms.map((_, n) => `.quad f_${n}`),
  ].join('\n');
  const memSize = Math.max(16 << 20, Math.ceil((DATA_BASE + states.length + (1 << 20)) / (2 << 20)) * (2 << 20));
  const m = createMachine({ memSize });
  load(m, CODE_BASE, assemble(`${driver}\n${formsAsm(oracle, forms)}`));
  load(m, DATA_BASE, states);
  const stop = runUntilStop(m, 1e9);
  if (stop !== StopReason.Halted) {
    // RDI points at the state being run (forms that borrow RDI restore it only on exit).
    const at = Number(m.cpu.getGpr(7)) - DATA_BASE;
    const form = forms[m.mem.view.getUint32(DATA_BASE + at + oracle.idOffset, true)];
    throw new Error(`guest stopped (reason ${stop}, vector ${m.cpu.stopInfo.vector}) at rip ${m.cpu.getRip().toString(16)} in "${form?.name}", state ${at / oracle.stateSize}`);
  }
  return m.mem.u8.slice(DATA_BASE, DATA_BASE + states.length);
}

/**
 * Generates inputs for every form (a fixed seed), runs them natively and on our Cpu, and compares.
 * A deeper hunt on demand: TENDER_ORACLE_SCALE multiplies the case counts, TENDER_ORACLE_SEED
 * shifts the seed.
 */
export function runOracle<F extends OracleForm>(oracle: Oracle<F>, baseForms: F[], seed: number): OracleResult<F>[] {
  const scale = Number(process.env.TENDER_ORACLE_SCALE ?? '1');
  const forms = baseForms.map((f) => ({ ...f, cases: f.cases * scale }));
  const r = new Rng(seed + Number(process.env.TENDER_ORACLE_SEED ?? '0'));
  const total = forms.reduce((n, f) => n + f.cases, 0);
  const states = new Uint8Array(total * oracle.stateSize);
  const starts: number[] = [];
  let at = 0;
  forms.forEach((f, id) => {
    starts.push(at);
    for (let n = 0; n < f.cases; n++) oracle.fillState(r, f, id, states, (at + n) * oracle.stateSize, n);
    at += f.cases;
  });
  const native = runNative(oracle, forms, states);
  const ours = runEmulated(oracle, forms, states);
  return forms.map((f, id) => {
    const mismatches: string[] = [];
    for (let n = 0; n < f.cases; n++) {
      const d = oracle.diffState(f, states, native, ours, (starts[id] + n) * oracle.stateSize);
      if (d) mismatches.push(`#${n}: ${d}`);
    }
    return { form: f, cases: f.cases, mismatches };
  });
}
