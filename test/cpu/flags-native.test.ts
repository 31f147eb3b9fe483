/**
 * Integer results and architecturally defined flags, compared with the host processor: one
 * generated assembly routine runs every case natively (linked into a gcc program) and on the
 * emulator (same source at CODE_BASE); both write (result, flags, second operand) per case.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, CODE_BASE, createMachine, load, RDI, runUntilStop, StopReason } from './long-mode-harness.js';

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ALL = CF | PF | AF | ZF | SF | OF;

interface Op {
  /** AT&T template: A = destination register of the size, B = source register, C = %cl. */
  text: string;
  sizes: number[];
  /** Flags defined after the instruction (others are not compared). */
  defined: (count: number) => number;
  /** Use a small count in RCX (shifts), else a full second operand in RBX. */
  count?: boolean;
}

const ops: Op[] = [
  { text: 'add B, A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'adc B, A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'sub B, A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'sbb B, A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'cmp B, A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'and B, A', sizes: [1, 2, 4, 8], defined: () => ALL & ~AF },
  { text: 'or B, A', sizes: [1, 2, 4, 8], defined: () => ALL & ~AF },
  { text: 'xor B, A', sizes: [1, 2, 4, 8], defined: () => ALL & ~AF },
  { text: 'test B, A', sizes: [1, 2, 4, 8], defined: () => ALL & ~AF },
  { text: 'inc A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'dec A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'neg A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'not A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'shl %cl, A', sizes: [1, 2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? ALL & ~AF : CF | PF | ZF | SF) },
  { text: 'shr %cl, A', sizes: [1, 2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? ALL & ~AF : CF | PF | ZF | SF) },
  { text: 'sar %cl, A', sizes: [1, 2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? ALL & ~AF : CF | PF | ZF | SF) },
  { text: 'rol %cl, A', sizes: [1, 2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? CF | OF : CF) },
  { text: 'ror %cl, A', sizes: [1, 2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? CF | OF : CF) },
  { text: 'rcl %cl, A', sizes: [1, 2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? CF | OF : CF) },
  { text: 'rcr %cl, A', sizes: [1, 2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? CF | OF : CF) },
  { text: 'shld %cl, B, A', sizes: [2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? ALL & ~AF : CF | PF | ZF | SF) },
  { text: 'shrd %cl, B, A', sizes: [2, 4, 8], count: true, defined: (n) => (n === 0 ? ALL : n === 1 ? ALL & ~AF : CF | PF | ZF | SF) },
  { text: 'imul B, A', sizes: [2, 4, 8], defined: () => CF | OF },
  { text: 'bsf B, A', sizes: [2, 4, 8], defined: () => ZF },
  { text: 'bsr B, A', sizes: [2, 4, 8], defined: () => ZF },
  { text: 'bt B, A', sizes: [2, 4, 8], defined: () => CF },
  { text: 'bts B, A', sizes: [2, 4, 8], defined: () => CF },
  { text: 'btc B, A', sizes: [2, 4, 8], defined: () => CF },
  { text: 'popcnt B, A', sizes: [2, 4, 8], defined: () => ALL },
  { text: 'tzcnt B, A', sizes: [2, 4, 8], defined: () => CF | ZF },
  { text: 'lzcnt B, A', sizes: [2, 4, 8], defined: () => CF | ZF },
  { text: 'xadd B, A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'cmpxchg B, A', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'bswap A', sizes: [4, 8], defined: () => ALL },
];

const VALUES = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n, 0xfedcba9876543210n, 0x10n, 0x0f0f0f0fn,
];
const COUNTS = [0n, 1n, 2n, 7n, 8n, 15n, 16n, 17n, 31n, 32n, 33n, 63n, 64n, 65n];

/** Results go above the (large) generated code. */
const OUT = 32 << 20;

const REG_A: Record<number, string> = { 1: '%al', 2: '%ax', 4: '%eax', 8: '%rax' };
const REG_B: Record<number, string> = { 1: '%bl', 2: '%bx', 4: '%ebx', 8: '%rbx' };

interface Case {
  op: Op;
  size: number;
  count: number;
  a: bigint;
  b: bigint;
}

function buildCases(): { source: string; cases: Case[] } {
  let src = '.globl run_cases\nrun_cases:\n  push %rbx\n';
  const cases: Case[] = [];
  let flagSeed = 0;
  for (const op of ops) {
    for (const size of op.sizes) {
      const seconds = op.count ? COUNTS : VALUES;
      for (const a of VALUES) {
        for (const b of seconds) {
          const init = [0x2, 0x2 | CF, 0x2 | ALL, 0x2 | ZF | OF][flagSeed++ & 3];
          const text = op.text.replace('A', REG_A[size]).replace('B', REG_B[size]);
          src += `  mov $${a}, %rax\n  mov $${op.count ? 0x5a5a5a5a5a5a5a5an : b}, %rbx\n  mov $${op.count ? b : 0n}, %rcx\n  pushq $${init}\n  popfq\n  ${text}\n`;
          src += '  pushfq\n  pop %rdx\n  mov %rax, (%rdi)\n  mov %rdx, 8(%rdi)\n  mov %rbx, 16(%rdi)\n  add $24, %rdi\n';
          cases.push({ op, size, count: op.count ? Number(b) & (size === 8 ? 63 : 31) : -1, a, b });
        }
      }
    }
  }
  src += '  pop %rbx\n  ret\n';
  return { source: src, cases };
}

function runNative(source: string, n: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'tender-flags-'));
  try {
    writeFileSync(join(dir, 'cases.s'), '.section .note.GNU-stack,"",@progbits\n.text\n' + source);
    writeFileSync(
      join(dir, 'main.c'),
      `#include <stdio.h>\n#include <stdlib.h>\nvoid run_cases(unsigned long *);\nint main(void){unsigned long *b=calloc(${n * 3},8);run_cases(b);fwrite(b,8,${n * 3},stdout);return 0;}\n`,
    );
    execFileSync('gcc', ['-O0', '-o', join(dir, 'prog'), join(dir, 'main.c'), join(dir, 'cases.s')]);
    return execFileSync(join(dir, 'prog'), { maxBuffer: 64 << 20 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('integer flags against the host CPU', () => {
  it('matches results and defined flags for every case', () => {
    const { source, cases } = buildCases();
    const native = runNative(source, cases.length);
    const m = createMachine({ memSize: 64 << 20 });
    const stub = assemble(`call run_cases\nhlt\n${source}`);
    load(m, CODE_BASE, stub);
    m.cpu.setGpr(RDI, BigInt(OUT));
    expect(runUntilStop(m, 100_000_000)).toBe(StopReason.Halted);
    const mismatches: string[] = [];
    for (let k = 0; k < cases.length && mismatches.length < 20; k++) {
      const c = cases[k];
      const nat = [0, 1, 2].map((j) => native.readBigUInt64LE((k * 3 + j) * 8));
      const emu = [0, 1, 2].map((j) => m.mem.view.getBigUint64(OUT + (k * 3 + j) * 8, true));
      const mask = BigInt(c.op.defined(c.count));
      // 16-bit SHLD/SHRD by more than 16: result and flags undefined.
      if (c.op.text.startsWith('sh') && c.op.text.includes('d') && c.size === 2 && c.count > 16) continue;
      const sameResult = nat[0] === emu[0] && nat[2] === emu[2];
      const same = sameResult && (nat[1] & mask) === (emu[1] & mask);
      if (!same) mismatches.push(`${c.op.text} size ${c.size} a=${c.a.toString(16)} b=${c.b.toString(16)}: native ${nat.map((v) => v.toString(16))} emu ${emu.map((v) => v.toString(16))} mask ${mask.toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
