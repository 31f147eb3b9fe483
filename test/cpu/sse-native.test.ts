/**
 * SSE/SSE2 scalar arithmetic, conversions and compares in all four MXCSR rounding modes (and
 * FTZ/DAZ), compared with the host processor: results, EFLAGS and MXCSR exception flags.
 */
import { describe, expect, it } from 'vitest';
import { StopReason } from './long-mode-harness.js';
import { runEmulated, runNative } from './native-runner.js';

const F64 = [
  0x0000000000000000n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff8000000000000n, 0x3fb999999999999an, 0x3fd5555555555555n,
  0x7fe1ccf385ebc8a0n, 0xffe1ccf385ebc8a0n, 0x0000000000000001n, 0x0010000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n,
  0x7ff8000000000001n, 0x7ff0000000000001n, 0x41e65a0bc0000000n, 0xc004000000000000n, 0x43e0000000000000n, 0x4415af1d78b58c40n,
];
const F32 = [
  0x00000000n, 0x80000000n, 0x3f800000n, 0xbfc00000n, 0x3dcccccdn, 0x3eaaaaabn, 0x7f7fffffn, 0xff7fffffn, 0x00000001n, 0x00800000n,
  0x7f800000n, 0xff800000n, 0x7fc00001n, 0x7f800001n, 0x4f32d05en, 0xc0200000n, 0x5f000000n, 0x60ad78ecn,
];
const INTS = [0n, 1n, 0xffffffffffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0x123456789abcdefn, 0x20000001n, 0xfffffffff0000001n];

interface Op {
  text: string;
  /** Operand kind: 'ss'/'sd' two XMM floats, 'si' integer source in RBX, 'cvt' one XMM float. */
  kind: 'ss' | 'sd' | 'si';
}

const ops: Op[] = [
  ...['addss', 'subss', 'mulss', 'divss', 'sqrtss', 'minss', 'maxss', 'cvtss2sd', 'ucomiss', 'comiss', 'cmpltss', 'cmpunordss'].map((t) => ({ text: `${t} %xmm1, %xmm0`, kind: 'ss' as const })),
  ...['addsd', 'subsd', 'mulsd', 'divsd', 'sqrtsd', 'minsd', 'maxsd', 'cvtsd2ss', 'ucomisd', 'comisd', 'cmplesd', 'cmpneqsd'].map((t) => ({ text: `${t} %xmm1, %xmm0`, kind: 'sd' as const })),
  ...['cvtss2si %xmm1, %rax', 'cvttss2si %xmm1, %eax', 'cvtss2si %xmm1, %eax'].map((t) => ({ text: t, kind: 'ss' as const })),
  ...['cvtsd2si %xmm1, %rax', 'cvttsd2si %xmm1, %rax', 'cvtsd2si %xmm1, %eax', 'cvttsd2si %xmm1, %eax'].map((t) => ({ text: t, kind: 'sd' as const })),
  ...['cvtsi2ss %rbx, %xmm0', 'cvtsi2sd %rbx, %xmm0', 'cvtsi2ss %ebx, %xmm0', 'cvtsi2sd %ebx, %xmm0'].map((t) => ({ text: t, kind: 'si' as const })),
];

// 0x1fa0 (round to nearest, all masked, PE already set) is the state of the fast paths in
// sse-float.ts: plain JS arithmetic whenever nothing beyond PE can be raised.
const MODES = [0x1f80, 0x1fa0, 0x3f80, 0x5f80, 0x7f80, 0x9f80 | 0x40];

function build(): { source: string; n: number; labels: string[] } {
  let src = '.globl run_cases\nrun_cases:\n  push %rbx\n';
  const labels: string[] = [];
  for (const op of ops) {
    const values = op.kind === 'sd' ? F64 : op.kind === 'ss' ? F32 : INTS;
    const seconds = op.kind === 'si' ? [0n] : values;
    for (const mode of MODES) {
      for (const a of op.kind === 'si' ? [0x3ff0000000000000n] : values) {
        for (const b of op.kind === 'si' ? values : seconds) {
          src += `  movl $${mode}, 24(%rdi)\n  ldmxcsr 24(%rdi)\n  mov $${a}, %rax\n  movq %rax, %xmm0\n  mov $${b}, %rax\n  movq %rax, %xmm1\n  mov %rax, %rbx\n  mov $0x5a5a5a5a5a5a5a5a, %rax\n  xor %edx, %edx\n`;
          src += `  ${op.text}\n  pushfq\n  pop %rdx\n  movq %xmm0, (%rdi)\n  mov %rax, 8(%rdi)\n  mov %rdx, 16(%rdi)\n  stmxcsr 24(%rdi)\n  add $32, %rdi\n`;
          labels.push(`${op.text} mxcsr=${mode.toString(16)} a=${a.toString(16)} b=${b.toString(16)}`);
        }
      }
    }
  }
  src += '  movl $0x1f80, -8(%rsp)\n  ldmxcsr -8(%rsp)\n  pop %rbx\n  ret\n';
  return { source: src, n: labels.length, labels };
}


describe('SSE scalar floating point against the host CPU', () => {
  it('matches results, EFLAGS and MXCSR in every rounding mode', () => {
    const { source, n, labels } = build();
    const native = runNative(source, n * 4);
    const { out, stop } = runEmulated(source, n * 4);
    expect(stop).toBe(StopReason.Halted);
    const mismatches: string[] = [];
    for (let k = 0; k < n && mismatches.length < 25; k++) {
      const nat = [...native.subarray(k * 4, k * 4 + 4)];
      const emu = [...out.subarray(k * 4, k * 4 + 4)];
      nat[3] &= 0xffffffffn;
      emu[3] &= 0xffffffffn;
      nat[2] &= 0x8d5n;
      emu[2] &= 0x8d5n;
      if (nat.some((v, j) => v !== emu[j])) mismatches.push(`${labels[k]}: native ${nat.map((v) => v.toString(16))} emu ${emu.map((v) => v.toString(16))}`);
    }
    expect(mismatches).toEqual([]);
  });
});
