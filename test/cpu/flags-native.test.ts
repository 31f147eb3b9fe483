/**
 * Integer results and architecturally defined flags, compared with the host processor: one
 * generated assembly routine runs every case natively (linked into a gcc program) and on the
 * emulator (same source at CODE_BASE); both write RAX, flags, RBX, RCX, RDX per case.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from './long-mode-harness.js';
import { runEmulated, runNative } from './native-runner.js';

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
  /** Skip second operands that are zero at the operand size (divisors). */
  nonzero?: boolean;
  /** Signed division: also skip the quotient-overflow case (minimum / -1). */
  signed?: boolean;
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
  { text: 'mul B', sizes: [1, 2, 4, 8], defined: () => CF | OF },
  { text: 'imul B', sizes: [1, 2, 4, 8], defined: () => CF | OF },
  { text: 'xor %edx, %edx\n  movzbl %al, %eax\n  div B', sizes: [1], defined: () => 0, nonzero: true },
  { text: 'xor %edx, %edx\n  div B', sizes: [2, 4, 8], defined: () => 0, nonzero: true },
  { text: 'cbtw\n  idiv B', sizes: [1], defined: () => 0, nonzero: true, signed: true },
  { text: 'cwtd\n  idiv B', sizes: [2], defined: () => 0, nonzero: true, signed: true },
  { text: 'cltd\n  idiv B', sizes: [4], defined: () => 0, nonzero: true, signed: true },
  { text: 'cqto\n  idiv B', sizes: [8], defined: () => 0, nonzero: true, signed: true },
  ...['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'].map((cc) => ({
    text: `cmp B, A\n  set${cc} %cl\n  cmov${cc} %rbx, %rdx`,
    sizes: [1, 4, 8],
    defined: () => ALL,
  })),
  ...['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'].map((cc) => ({
    text: `cmp B, A\n  mov $0, %ecx\n  j${cc} 1f\n  mov $1, %ecx\n1:\n  sub $1, A\n  mov $0, %edx\n  j${cc} 1f\n  mov $1, %edx\n1:`,
    sizes: [1, 2, 4, 8],
    defined: () => ALL,
  })),
  // Memory operands (M = a scratch slot holding the second operand, S = the size suffix).
  ...['add', 'sub', 'and', 'or', 'xor', 'cmp', 'adc', 'sbb'].map((op) => ({ text: `mov %rbx, M\n  ${op} M, A`, sizes: [1, 2, 4, 8], defined: () => ALL })),
  { text: 'mov %rbx, M\n  cmp A, M', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'mov %rbx, M\n  test A, M', sizes: [1, 2, 4, 8], defined: () => ALL & ~AF },
  { text: 'mov %rbx, M\n  cmpS $-3, M\n  setl %cl\n  cmpS $0x7f, M', sizes: [1, 2, 4, 8], defined: () => ALL },
  { text: 'mov %rbx, M\n  add A, M\n  mov M, %rbx', sizes: [1, 2, 4, 8], defined: () => ALL },
  ...['add', 'or', 'and', 'sub', 'xor'].map((op) => ({
    text: `mov %rbx, M\n  ${op} A, M\n  ${op}S $-3, M\n  ${op}S $0x55, M\n  mov M, %rbx`,
    sizes: [1, 2, 4, 8],
    defined: () => (op === 'add' || op === 'sub' ? ALL : ALL & ~AF),
  })),
  { text: 'movsbq %al, %rbx\n  movzwl %ax, %ecx\n  movslq %eax, %rdx', sizes: [8], defined: () => ALL },
  { text: 'cbtw\n  cwtl\n  cltq\n  cqto', sizes: [8], defined: () => ALL },
  { text: 'xchg B, A', sizes: [1, 2, 4, 8], defined: () => ALL },
];

const VALUES = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n, 0xfedcba9876543210n, 0x10n, 0x0f0f0f0fn,
];
const COUNTS = [0n, 1n, 2n, 7n, 8n, 15n, 16n, 17n, 31n, 32n, 33n, 63n, 64n, 65n];

const REG_A: Record<number, string> = { 1: '%al', 2: '%ax', 4: '%eax', 8: '%rax' };
const REG_B: Record<number, string> = { 1: '%bl', 2: '%bx', 4: '%ebx', 8: '%rbx' };
const SUFFIX: Record<number, string> = { 1: 'b', 2: 'w', 4: 'l', 8: 'q' };

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
          const mask = BigInt.asUintN(size * 8, -1n);
          if (op.nonzero && (b & mask) === 0n) continue;
          const min = 1n << BigInt(size * 8 - 1);
          if (op.signed && (a & mask) === min && (b & mask) === mask) continue;
          const init = [0x2, 0x2 | CF, 0x2 | ALL, 0x2 | ZF | OF][flagSeed++ & 3];
          const text = op.text
            .replaceAll('A', REG_A[size])
            .replaceAll('B', REG_B[size])
            .replaceAll('M', '32(%rdi)')
            .replaceAll('S', SUFFIX[size]);
          src += `  mov $${a}, %rax\n  mov $${op.count ? 0x5a5a5a5a5a5a5a5an : b}, %rbx\n  mov $${op.count ? b : 0x1234n}, %rcx\n  mov $0x77, %rdx\n  pushq $${init}\n  popfq\n  ${text}\n`;
          src += '  mov %rdx, 32(%rdi)\n  pushfq\n  pop %rdx\n  mov %rax, (%rdi)\n  mov %rdx, 8(%rdi)\n  mov %rbx, 16(%rdi)\n  mov %rcx, 24(%rdi)\n  add $40, %rdi\n';
          cases.push({ op, size, count: op.count ? Number(b) & (size === 8 ? 63 : 31) : -1, a, b });
        }
      }
    }
  }
  src += '  pop %rbx\n  ret\n';
  return { source: src, cases };
}


describe('integer flags against the host CPU', () => {
  it('matches results and defined flags for every case', () => {
    const { source, cases } = buildCases();
    const native = runNative(source, cases.length * 5);
    const { out, stop } = runEmulated(source, cases.length * 5);
    expect(stop).toBe(StopReason.Halted);
    const mismatches: string[] = [];
    for (let k = 0; k < cases.length && mismatches.length < 20; k++) {
      const c = cases[k];
      const nat = [...native.subarray(k * 5, k * 5 + 5)];
      const emu = [...out.subarray(k * 5, k * 5 + 5)];
      const mask = BigInt(c.op.defined(c.count));
      // 16-bit SHLD/SHRD by more than 16: result and flags undefined.
      if (c.op.text.startsWith('sh') && c.op.text.includes('d') && c.size === 2 && c.count > 16) continue;
      const sameResult = nat[0] === emu[0] && nat[2] === emu[2] && nat[3] === emu[3] && nat[4] === emu[4];
      const same = sameResult && (nat[1] & mask) === (emu[1] & mask);
      if (!same) mismatches.push(`${c.op.text} size ${c.size} a=${c.a.toString(16)} b=${c.b.toString(16)}: native ${nat.map((v) => v.toString(16))} emu ${emu.map((v) => v.toString(16))} mask ${mask.toString(16)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
