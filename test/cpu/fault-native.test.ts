/**
 * Which exception an access raises, checked against the host processor at CPL 3: #SS(0) or
 * #GP(0) for a non-canonical address by the segment of the access, and #AC(0) for misaligned
 * data accesses with RFLAGS.AC set (Linux runs user code with CR0.AM=1) — which sizes and
 * instructions are checked and which are not.
 *
 * Each case is one instruction after a register setup. Natively it runs in a gcc-built program
 * whose signal handler reads the hardware vector and error code from the signal context; on our
 * CPU it runs at CPL 3 (user code/stack segments, U=1 pages, CR0.AM=1) followed by UD2, with
 * exceptions intercepted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, CODE_BASE, createMachine, DATA_BASE, enterUserMode, load, runUntilStop, StopReason, type Machine } from './long-mode-harness.js';

const NON_CANONICAL = 0x0000_8000_0000_0000n;
const AC_FLAG = 0x40000;

/** A register's value: an offset into the data buffer, or an absolute number. */
type Value = { buf: number } | { abs: bigint };

interface FaultCase {
  insn: string;
  regs: Record<string, Value>;
  /** Set RFLAGS.AC before the instruction. */
  ac: boolean;
}

const nc = (plus = 0n): Value => ({ abs: NON_CANONICAL + plus });
const buf = (offset: number): Value => ({ buf: offset });
/** RBX, RBP, R12 and R13 non-canonical; RSP too (16 above, so a push is non-canonical) if asked. */
function ncRegs(stack: boolean): Record<string, Value> {
  const r: Record<string, Value> = { rbx: nc(), rbp: nc(), r12: nc(), r13: nc() };
  if (stack) r.rsp = nc(16n);
  return r;
}

const CASES: FaultCase[] = [
  // Non-canonical addresses.
  ...[
    'movq 8(%rbp), %rax',
    'movl %eax, 4(%rbp)',
    'addq $1, 16(%rbp)',
    'movq (%rbp,%rbx), %rax',
    'movq (%rbx,%rbp), %rax',
    'movq %ss:(%rbx), %rax',
    'movq %ds:8(%rbp), %rax',
    'movq %fs:8(%rbp), %rax',
    'movq %gs:8(%rbp), %rax',
    'movq 8(%r12), %rax',
    'movq 8(%r13), %rax',
    'movq (%rbx), %rax',
    'pushq 8(%rbp)',
    'pushq (%rbx)',
    'cmpxchg %rcx, 8(%rbp)',
    'movdqu 8(%rbp), %xmm0',
    'fldl 8(%rbp)',
    'leave',
    'lea 8(%rbp), %rax',
    'nopl 8(%rbp)',
  ].map((insn) => ({ insn, regs: ncRegs(false), ac: false })),
  ...['movq 16(%rsp), %rax', 'movq %rax, (%rsp,%rbx)', 'pushq %rax', 'popq %rax', 'ret', 'movq %es:16(%rsp), %rax'].map((insn) => ({
    insn,
    regs: ncRegs(true),
    ac: false,
  })),
  // Alignment checking.
  ...(
    [
      ['movw (%rbx), %ax', 1],
      ['movw (%rbx), %ax', 2],
      ['movl (%rbx), %eax', 2],
      ['movl (%rbx), %eax', 4],
      ['movq (%rbx), %rax', 4],
      ['movq (%rbx), %rax', 8],
      ['movq (%rbx), %rax', 4092],
      ['movb (%rbx), %al', 1],
      ['movl %eax, (%rbx)', 3],
      ['addl $1, (%rbx)', 1],
      ['lock xaddl %eax, (%rbx)', 2],
      ['xchg %ax, (%rbx)', 1],
      ['movbe (%rbx), %eax', 2],
      ['crc32q (%rbx), %rax', 4],
      ['movups (%rbx), %xmm0', 4],
      ['movdqu (%rbx), %xmm0', 1],
      ['movups %xmm0, (%rbx)', 2],
      ['movaps (%rbx), %xmm0', 8],
      ['movsd (%rbx), %xmm0', 4],
      ['movss (%rbx), %xmm0', 2],
      ['movhps (%rbx), %xmm0', 4],
      ['pinsrw $0, (%rbx), %xmm0', 1],
      ['movq (%rbx), %mm0', 4],
      ['flds (%rbx)', 2],
      ['fldl (%rbx)', 4],
      ['fldt (%rbx)', 8],
      ['fldt (%rbx)', 4],
      ['fldt (%rbx)', 2],
      ['fstpt (%rbx)', 4],
      ['fnstcw (%rbx)', 1],
      ['fnstenv (%rbx)', 2],
      ['fnsave (%rbx)', 4],
      ['fnsave (%rbx)', 2],
      ['fnsave (%rbx)', 1],
      ['fnstenv (%rbx)', 1],
      ['fnstenv (%rbx)', 4],
      ['fldenv (%rbx)', 2],
      ['frstor (%rbx)', 2],
      ['frstor (%rbx)', 4],
      ['sgdt (%rbx)', 1],
      ['sgdt (%rbx)', 2],
      ['sgdt (%rbx)', 4],
      ['sidt (%rbx)', 2],
      ['fnstsw (%rbx)', 1],
      ['fnsave (%rbx)', 8],
      ['sgdt (%rbx)', 8],
      ['cmpxchg16b (%rbx)', 8],
      ['fxsave (%rbx)', 16],
      ['fxsave (%rbx)', 8],
      ['fxsave (%rbx)', 4],
      ['movl (%rbx), %eax', 4094],
      ['stmxcsr (%rbx)', 2],
      ['call *(%rbx)', 4],
      ['pushq (%rbx)', 4],
      ['popq (%rbx)', 4],
      ['mov %ds, (%rbx)', 1],
      ['movzwl (%rbx), %eax', 1],
      ['movslq (%rbx), %rax', 2],
      ['cmovne (%rbx), %eax', 2],
      ['bt %eax, (%rbx)', 1],
      ['btsl $3, (%rbx)', 2],
      ['cmpxchg8b (%rbx)', 4],
      ['movnti %eax, (%rbx)', 2],
      ['lddqu (%rbx), %xmm0', 4],
      ['pcmpestri $0, (%rbx), %xmm0', 4],
      ['pshufb (%rbx), %xmm0', 8],
      ['paddb (%rbx), %mm0', 4],
      ['cvtsi2sdq (%rbx), %xmm0', 4],
      ['cvtsi2ssl (%rbx), %xmm0', 2],
      ['movlpd %xmm0, (%rbx)', 4],
      ['pextrw $1, %xmm0, (%rbx)', 1],
      ['pextrd $1, %xmm0, (%rbx)', 2],
      ['fildl (%rbx)', 2],
      ['fistps (%rbx)', 1],
      ['fbld (%rbx)', 4],
      ['fbstp (%rbx)', 2],
      ['fbld (%rbx)', 8],
      ['fldcw (%rbx)', 1],
      ['ldmxcsr (%rbx)', 2],
      ['imul (%rbx), %eax', 2],
      ['mulq (%rbx)', 4],
    ] as [string, number][]
  ).map(([insn, offset]) => ({ insn, regs: { rbx: buf(offset) }, ac: true })),
  { insn: 'movq (%rbx), %rax', regs: { rbx: buf(4) }, ac: false },
  { insn: 'pushq %rax', regs: { rsp: buf(0x804) }, ac: true },
  { insn: 'pushq %rax', regs: { rsp: buf(0x808) }, ac: true },
  { insn: 'popq %rax', regs: { rsp: buf(0x804) }, ac: true },
  { insn: 'movsw', regs: { rsi: buf(1), rdi: buf(0x100) }, ac: true },
  { insn: 'movsw', regs: { rsi: buf(2), rdi: buf(0x100) }, ac: true },
  { insn: 'rep movsl', regs: { rcx: { abs: 4n }, rsi: buf(2), rdi: buf(0x100) }, ac: true },
  { insn: 'rep stosq', regs: { rcx: { abs: 2n }, rdi: buf(0x104) }, ac: true },
  { insn: 'lodsw', regs: { rsi: buf(3) }, ac: true },
  { insn: 'scasl', regs: { rdi: buf(2) }, ac: true },
  { insn: 'cmpsq', regs: { rsi: buf(8), rdi: buf(0x104) }, ac: true },
  { insn: 'xlat', regs: { rbx: buf(1), rax: { abs: 0n } }, ac: true },
  { insn: 'enter $16, $0', regs: { rsp: buf(0x804) }, ac: true },
  { insn: 'leave', regs: { rbp: buf(0x804) }, ac: true },
  { insn: 'call 1f\n1:', regs: { rsp: buf(0x804) }, ac: true },
];

interface Outcome {
  /** Vector raised by the instruction, or -1 when it completed. */
  vector: number;
  error: number;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** Register setup in the order given, RSP last (the AC flag is set through the old stack). */
function setup(c: FaultCase, address: (offset: number) => string): string {
  const names = Object.keys(c.regs).sort((a, b) => (a === 'rsp' ? 1 : 0) - (b === 'rsp' ? 1 : 0));
  let s = c.ac ? 'pushfq\norq $0x40000, (%rsp)\npopfq\n' : '';
  for (const r of names) {
    const v = c.regs[r]!;
    s += 'buf' in v ? `${address(v.buf).replace('%REG', `%${r}`)}\n` : `movabsq $${hex(v.abs)}, %${r}\n`;
  }
  return s;
}

function runNative(cases: FaultCase[]): Outcome[] {
  const dir = mkdtempSync(join(tmpdir(), 'tender-faults-'));
  try {
    let s = '.section .note.GNU-stack,"",@progbits\n.text\n';
    cases.forEach((c, n) => {
      s += `.globl case_${n}\ncase_${n}:\npushq %rbp\npushq %rbx\npushq %r12\npushq %r13\npushq %r14\npushq %r15\n`;
      s += 'movq %rsp, saved_rsp(%rip)\n';
      s += setup(c, (off) => `leaq buf+${off}(%rip), %REG`);
      s += `.globl probe_${n}\nprobe_${n}:\n${c.insn}\n.globl after_${n}\nafter_${n}:\n`;
      s += 'movq saved_rsp(%rip), %rsp\npushfq\nandq $~0x40000, (%rsp)\npopfq\nfninit\n';
      s += 'popq %r15\npopq %r14\npopq %r13\npopq %r12\npopq %rbx\npopq %rbp\nret\n';
    });
    writeFileSync(join(dir, 'cases.s'), s);
    const decls = cases.map((_, n) => `void case_${n}(void); extern char probe_${n}[], after_${n}[];`).join('\n');
    const table = cases.map((_, n) => `{case_${n}, probe_${n}, after_${n}}`).join(',\n');
    writeFileSync(
      join(dir, 'main.c'),
      `#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
unsigned char buf[8192] __attribute__((aligned(4096)));
unsigned long saved_rsp;
${decls}
static const struct { void (*run)(void); char *probe, *after; } cases[] = {
${table}
};
static volatile long trap, err, rip;
static char *resume;
/* Record the vector, then resume after the probe with AC clear (the stack is restored there). */
static void on_signal(int sig, siginfo_t *info, void *ctx) {
  (void)sig; (void)info;
  ucontext_t *uc = ctx;
  trap = uc->uc_mcontext.gregs[REG_TRAPNO];
  err = uc->uc_mcontext.gregs[REG_ERR];
  rip = uc->uc_mcontext.gregs[REG_RIP];
  uc->uc_mcontext.gregs[REG_EFL] &= ~${AC_FLAG}L;
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume;
}
int main(void) {
  stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536};
  sigaltstack(&ss, 0);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
  for (int i = 0; i < 5; i++) sigaction(sigs[i], &sa, 0);
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    trap = -1;
    resume = cases[i].after;
    cases[i].run();
    int at_probe = trap >= 0 && rip == (long)cases[i].probe;
    printf("%ld %ld\\n", at_probe ? trap : -1L, at_probe ? err : -1L);
  }
  return 0;
}
`,
    );
    execFileSync('gcc', ['-O1', '-o', join(dir, 'prog'), join(dir, 'main.c'), join(dir, 'cases.s')]);
    const lines = execFileSync(join(dir, 'prog'), { encoding: 'utf8' }).trim().split('\n');
    return lines.map((l) => {
      const [vector, error] = l.split(' ').map(Number);
      return { vector: vector!, error: error! };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The harness machine at CPL 3 (user pages and segments, CR0.AM), exceptions intercepted. */
function userMachine(): Machine {
  const m = createMachine();
  enterUserMode(m);
  m.cpu.interceptExceptions = true;
  return m;
}

function runEmulated(c: FaultCase): Outcome {
  const prefix = setup(c, (off) => `movq $${DATA_BASE + off}, %REG`);
  const probe = CODE_BASE + assemble(prefix).length;
  const m = userMachine();
  load(m, CODE_BASE, assemble(`${prefix}${c.insn}\nud2\n`));
  expect(runUntilStop(m)).toBe(StopReason.Exception);
  const { vector, errorCode, rip } = m.cpu.stopInfo;
  if (rip === BigInt(probe)) return { vector, error: Math.max(errorCode, 0) };
  // Anything else must be the UD2 right after the instruction.
  expect(vector, `${c.insn}: stopped at ${hex(rip)}`).toBe(6);
  return { vector: -1, error: -1 };
}

function nativeUnavailable(): string | null {
  if (arch() !== 'x64' || platform() !== 'linux') return `host is ${platform()}/${arch()}`;
  return spawnSync('gcc', ['--version']).status !== 0 ? 'no gcc' : null;
}
const nativeReason = nativeUnavailable();

describe.skipIf(nativeReason !== null)('exceptions of memory accesses against the host (CPL 3)', () => {
  it('raises the same vector and error code as the host for every case', () => {
    const host = runNative(CASES);
    // The host must show each behaviour at least once, or the comparison proves little.
    for (const v of [-1, 12, 13, 17]) expect(host.some((o) => o.vector === v), `host vector ${v}`).toBe(true);
    const mismatches: string[] = [];
    CASES.forEach((c, n) => {
      const ours = runEmulated(c);
      const regs = Object.entries(c.regs)
        .map(([r, v]) => `${r}=${'buf' in v ? `buf+${v.buf}` : hex(v.abs)}`)
        .join(' ');
      const want = host[n]!;
      if (ours.vector !== want.vector || ours.error !== want.error) {
        mismatches.push(`${c.insn} [${regs}${c.ac ? ' AC' : ''}]: host ${want.vector}/${want.error}, ours ${ours.vector}/${ours.error}`);
      }
    });
    expect(mismatches).toEqual([]);
  });
});
