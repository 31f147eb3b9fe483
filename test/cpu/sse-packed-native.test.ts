/**
 * Packed SSE/SSE2 (float, double and integer lanes, shuffles, conversions) compared with the
 * host processor: XMM result, a GPR result and MXCSR per case.
 */
import { describe, expect, it } from 'vitest';
import { runEmulated, runNative } from './native-runner.js';
import { StopReason } from './long-mode-harness.js';

const V: [bigint, bigint][] = [
  [0x3f800000bfc00000n, 0x7f7fffff00000001n],
  [0x400000007fc00001n, 0x80000000ff800000n],
  [0x3ff0000000000000n, 0xc004000000000000n],
  [0x0010000000000000n, 0x7ff8000000000001n],
  [0x0123456789abcdefn, 0xfedcba9876543210n],
  [0x8000800080007fffn, 0x00ff7f80ff01807fn],
  [0xffffffffffffffffn, 0x0000000000000000n],
  [0x4f32d05e3eaaaaabn, 0xcf000000c0000000n],
  [0x41e65a0bc0000000n, 0xc3e0000000000001n],
];

const OPS = [
  // RCPPS is an approximation on hardware: only that it raises no MXCSR flag is compared.
  'addps', 'subps', 'mulps', 'divps', 'sqrtps', 'minps', 'maxps', 'rcpps %xmm1, %xmm2\n  xorps %xmm2, %xmm2; addps', 'andps', 'andnps', 'orps', 'xorps',
  'addpd', 'subpd', 'mulpd', 'divpd', 'sqrtpd', 'minpd', 'maxpd', 'andpd', 'xorpd',
  'cmpltps', 'cmpleps', 'cmpunordps', 'cmpneqps', 'cmpnltps', 'cmpnleps', 'cmpordps', 'cmpeqpd', 'cmpltpd', 'cmpunordpd',
  'cvtps2dq', 'cvttps2dq', 'cvtdq2ps', 'cvtpd2dq', 'cvttpd2dq', 'cvtpd2ps', 'cvtps2pd', 'cvtdq2pd',
  'unpcklps', 'unpckhps', 'unpcklpd', 'unpckhpd', 'shufps $0x1b,', 'shufps $0xe4,', 'shufpd $1,', 'shufpd $2,',
  'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq', 'paddsb', 'paddsw', 'paddusb', 'paddusw', 'psubsb', 'psubsw', 'psubusb', 'psubusw',
  'pmullw', 'pmulhw', 'pmulhuw', 'pmuludq', 'pmaddwd', 'psadbw', 'pavgb', 'pavgw', 'pminub', 'pmaxub', 'pminsw', 'pmaxsw',
  'pand', 'pandn', 'por', 'pxor', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd',
  'packsswb', 'packssdw', 'packuswb', 'punpcklbw', 'punpcklwd', 'punpckldq', 'punpcklqdq', 'punpckhbw', 'punpckhwd', 'punpckhdq', 'punpckhqdq',
  'psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad',
  'pshufd $0x1b,', 'pshufhw $0x4e,', 'pshuflw $0xb1,',
];
const IMM_OPS = ['psllw $3', 'pslld $9', 'psllq $33', 'psrlw $15', 'psrld $1', 'psrlq $63', 'psraw $4', 'psrad $31', 'pslldq $5', 'psrldq $11', 'psllw $16', 'psrad $40'];
const GPR_OPS = ['pmovmskb %xmm0, %eax', 'movmskps %xmm0, %eax', 'movmskpd %xmm0, %eax', 'pextrw $5, %xmm0, %eax', 'pinsrw $3, %ebx, %xmm0', 'movd %xmm0, %eax', 'movq %xmm0, %rax'];

function build(): { source: string; labels: string[] } {
  let src = '.globl run_cases\nrun_cases:\n  push %rbx\n  sub $40, %rsp\n';
  const labels: string[] = [];
  const load = (a: [bigint, bigint], b: [bigint, bigint], mxcsr = 0x1f80): string =>
    `  mov $${a[0]}, %rax\n  mov %rax, (%rsp)\n  mov $${a[1]}, %rax\n  mov %rax, 8(%rsp)\n  movdqu (%rsp), %xmm0\n` +
    `  mov $${b[0]}, %rax\n  mov %rax, 16(%rsp)\n  mov $${b[1]}, %rax\n  mov %rax, 24(%rsp)\n  movdqu 16(%rsp), %xmm1\n` +
    `  mov $${b[0] & 0xffffffffn}, %rbx\n  mov $0x5a5a5a5a5a5a5a5a, %rax\n  movl $${mxcsr}, 32(%rsp)\n  ldmxcsr 32(%rsp)\n`;
  const save = '  movdqu %xmm0, (%rdi)\n  mov %rax, 16(%rdi)\n  stmxcsr 24(%rdi)\n  add $32, %rdi\n';
  for (const a of V) {
    for (const b of V) {
      // 0x1fa0 (PE already set) is the state of the plain-arithmetic fast paths in sse-float.ts.
      for (const mxcsr of [0x1f80, 0x1fa0]) {
        for (const op of OPS) {
          src += load(a, b, mxcsr) + `  ${op} %xmm1, %xmm0\n` + save;
          labels.push(`${op.split('\n').pop()} mxcsr=${mxcsr.toString(16)} a=${a.map((x) => x.toString(16))} b=${b.map((x) => x.toString(16))}`);
        }
      }
    }
    for (const op of [...IMM_OPS.map((o) => `${o}, %xmm0`), ...GPR_OPS]) {
      src += load(a, V[0]) + `  ${op}\n` + save;
      labels.push(`${op} a=${a.map((x) => x.toString(16))}`);
    }
  }
  src += '  movl $0x1f80, (%rsp)\n  ldmxcsr (%rsp)\n  add $40, %rsp\n  pop %rbx\n  ret\n';
  return { source: src, labels };
}

describe('packed SSE/SSE2 against the host CPU', () => {
  it('matches every lane, GPR result and MXCSR', () => {
    const { source, labels } = build();
    const words = labels.length * 4;
    const native = runNative(source, words);
    const { out, stop } = runEmulated(source, words);
    expect(stop).toBe(StopReason.Halted);
    const mismatches: string[] = [];
    for (let k = 0; k < labels.length && mismatches.length < 25; k++) {
      const n = [...native.subarray(k * 4, k * 4 + 4)];
      const e = [...out.subarray(k * 4, k * 4 + 4)];
      n[3] &= 0xffffffffn;
      e[3] &= 0xffffffffn;
      if (n.some((v, j) => v !== e[j])) mismatches.push(`${labels[k]}: native ${n.map((v) => v.toString(16))} emu ${e.map((v) => v.toString(16))}`);
    }
    expect(mismatches).toEqual([]);
  });
});
