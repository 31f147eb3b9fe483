/**
 * The decode-time SSE/SSE2 specialisations (cpu/sse-*-fast.ts) in the forms the other SSE suites
 * do not reach: memory sources and destinations, a register used as both operands (in-place
 * lanes, zeroing idioms), compared with the host processor; and their faults: page-crossing
 * accesses that fault half-way, misaligned aligned forms, #NM/#UD.
 */
import { describe, expect, it } from 'vitest';
import { DATA_BASE, PT0, runAsm, StopReason, type Machine } from './long-mode-harness.js';
import { runEmulated, runNative } from './native-runner.js';

const V: [bigint, bigint][] = [
  [0x3ff0000000000000n, 0xc004000000000000n],
  [0x0010000000000000n, 0x7ff8000000000001n],
  [0x7fe1ccf385ebc8a0n, 0x0000000000000001n],
  [0x0123456789abcdefn, 0xfedcba9876543210n],
  [0x8000800080007fffn, 0x00ff7f80ff01807fn],
  [0xffffffffffffffffn, 0x0000000000000000n],
  [0x3fb999999999999an, 0xbfd5555555555555n],
  // Denormal double and float, double SNaN, float SNaN, −0 in the low lanes.
  [0x0000000000000001n, 0x7ff0000000000001n],
  [0x7ff0000000000001n, 0x8000000000000000n],
  [0x000000007f800001n, 0x3ff0000000000000n],
  [0x8000000000000000n, 0x0000000000000000n],
  // Infinities: +∞/−∞ doubles, then −∞ and +∞ floats in the low lanes.
  [0x7ff0000000000000n, 0xfff0000000000000n],
  [0x7f800000ff800000n, 0x000000007f800000n],
  // One special lane beside an ordinary one (a packed fast path must see every lane).
  [0x0000000000000000n, 0x3ff0000000000000n],
  [0x7ff0000000000000n, 0x4000000000000000n],
];

const BINARY = [
  'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq', 'pmullw', 'pmulhw', 'pmaddwd',
  'pand', 'pandn', 'por', 'pxor', 'punpcklbw', 'punpckhbw', 'punpcklwd', 'punpckhwd', 'punpckldq', 'punpckhdq',
  'punpcklqdq', 'punpckhqdq', 'pshufd $0x1b,', 'pshufd $0,', 'addpd', 'subpd', 'mulpd', 'divpd', 'unpcklpd',
  'unpckhpd', 'unpcklps', 'unpckhps', 'addsd', 'subsd', 'mulsd', 'divsd', 'sqrtsd',
  'movdqa', 'movdqu', 'movaps', 'movups', 'movapd', 'movupd', 'movsd', 'movq', 'minsd', 'maxsd',
  'andps', 'andnps', 'orps', 'xorps', 'andpd', 'andnpd', 'orpd', 'xorpd', 'addss', 'subss', 'mulss', 'divss',
  'addps', 'subps', 'mulps', 'divps', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'pcmpgtd',
  'pmuludq', 'shufps $0x1b,', 'shufps $0xe4,', 'shufpd $1,', 'shufpd $2,', 'movss',
];
/** Shifts by immediate: counts 0, inside, at and past the lane width. */
const SHIFTS = [
  'psrlw $0', 'psrlw $7', 'psrlw $16', 'psllw $1', 'psllw $15', 'psraw $15', 'psraw $16', 'psrld $0', 'psrld $31', 'pslld $32',
  'psrad $0', 'psrad $200', 'psrlq $0', 'psrlq $1', 'psrlq $32', 'psrlq $63', 'psrlq $64', 'psllq $0', 'psllq $31', 'psllq $32',
  'psllq $40',
];
/** Compares: EFLAGS (the defined bits) go to RAX. */
const COMPARES = ['ucomisd', 'comisd', 'ucomiss', 'comiss'];
const FLAGS = '  pushfq\n  pop %rax\n  and $0x8d5, %rax\n';

/** Each case leaves XMM0, RAX and MXCSR in four output words. */
function build(): { source: string; labels: string[] } {
  // a at (%rsp), b at 16(%rsp) (16-byte aligned), MXCSR image at 32(%rsp).
  let src = '.globl run_cases\nrun_cases:\n  push %rbx\n  push %rbp\n  mov %rsp, %rbp\n  and $-16, %rsp\n  sub $48, %rsp\n';
  const labels: string[] = [];
  const setup = (a: [bigint, bigint], b: [bigint, bigint], mxcsr: number): string =>
    `  mov $${a[0]}, %rax\n  mov %rax, (%rsp)\n  mov $${a[1]}, %rax\n  mov %rax, 8(%rsp)\n  movdqu (%rsp), %xmm0\n` +
    `  mov $${b[0]}, %rax\n  mov %rax, 16(%rsp)\n  mov $${b[1]}, %rax\n  mov %rax, 24(%rsp)\n  movdqu 16(%rsp), %xmm1\n` +
    `  mov $${b[0]}, %rbx\n  mov $0x5a5a5a5a5a5a5a5a, %rax\n  movl $${mxcsr}, 32(%rsp)\n  ldmxcsr 32(%rsp)\n`;
  const save = '  movdqu %xmm0, (%rdi)\n  mov %rax, 16(%rdi)\n  stmxcsr 24(%rdi)\n  add $32, %rdi\n';
  const add = (a: [bigint, bigint], b: [bigint, bigint], mxcsr: number, body: string): void => {
    src += setup(a, b, mxcsr) + body + save;
    labels.push(`${body.trim().replace(/\n\s*/g, '; ')} mxcsr=${mxcsr.toString(16)} a=${a.map((x) => x.toString(16))} b=${b.map((x) => x.toString(16))}`);
  };
  for (const a of V) {
    for (const b of V) {
      for (const mxcsr of [0x1f80, 0x1fa0]) {
        for (const op of BINARY) add(a, b, mxcsr, `  ${op} 16(%rsp), %xmm0\n`);
        for (const op of COMPARES) {
          add(a, b, mxcsr, `  ${op} 16(%rsp), %xmm0\n${FLAGS}`);
          add(a, b, mxcsr, `  ${op} %xmm1, %xmm0\n${FLAGS}`);
        }
        for (const op of ['movd 16(%rsp),', 'movd %ebx,', 'movq %rbx,', 'cvtsi2sd %ebx,', 'cvtsi2sd %rbx,']) add(a, b, mxcsr, `  ${op} %xmm0\n`);
        for (const op of ['movups', 'movss', 'movsd', 'movq']) add(a, b, mxcsr, `  ${op} %xmm1, (%rsp)\n  movdqu (%rsp), %xmm0\n`);
        add(a, b, mxcsr, '  movaps %xmm1, 16(%rsp)\n  movdqa 16(%rsp), %xmm0\n');
        for (const op of SHIFTS) add(a, b, mxcsr, `  ${op}, %xmm0\n`);
        for (const op of ['pmovmskb %xmm1, %eax', 'pcmpeqb %xmm0, %xmm1\n  pmovmskb %xmm1, %eax', 'movd %xmm1, %eax', 'movq %xmm1, %rax', 'cvttsd2si %xmm1, %eax', 'cvttsd2si %xmm1, %rax']) add(a, b, mxcsr, `  ${op}\n`);
      }
      for (const mxcsr of [0x1f80, 0x1fa0]) for (const op of BINARY) add(a, b, mxcsr, `  ${op} %xmm0, %xmm0\n`);
    }
  }
  src += '  movl $0x1f80, (%rsp)\n  ldmxcsr (%rsp)\n  mov %rbp, %rsp\n  pop %rbp\n  pop %rbx\n  ret\n';
  return { source: src, labels };
}

describe('specialised SSE/SSE2 forms against the host CPU', () => {
  it('memory operands and same-register operands match every lane, GPR result and MXCSR', () => {
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

function xmm(m: Machine, n: number): bigint[] {
  const img = new DataView(m.cpu.getFxsave().buffer);
  return [img.getBigUint64(160 + n * 16, true), img.getBigUint64(168 + n * 16, true)];
}

/** The 4 KiB page at DATA_BASE - 0x1000 (in the harness's 4 KiB-mapped first 2 MiB) is changed. */
const LAST = DATA_BASE - 0x1000;

function faultRun(code: string, pte: (m: Machine) => void): { m: Machine; stop: StopReason } {
  return runAsm(`mov $-1, %rax\nmovq %rax, %xmm0\nmovq %rax, %xmm1\n${code}\nhlt\n`, (m) => {
    m.cpu.interceptExceptions = true;
    for (let k = 0; k < 32; k++) m.mem.u8[LAST - 16 + k] = k + 1;
    pte(m);
  });
}

const unmapLast = (m: Machine): void => m.mem.view.setBigUint64(PT0 + (LAST >>> 12) * 8, 0n, true);
const readOnlyLast = (m: Machine): void => m.mem.view.setBigUint64(PT0 + (LAST >>> 12) * 8, BigInt(LAST | 1), true);

describe('specialised SSE/SSE2 faults', () => {
  it('a 16-byte load crossing into an absent page raises #PF and leaves the destination unchanged', () => {
    for (const op of ['movdqu', 'movups', 'movupd']) {
      const { m, stop } = faultRun(`${op} ${LAST - 8}, %xmm0`, unmapLast);
      expect(stop).toBe(StopReason.Exception);
      expect(m.cpu.stopInfo.vector).toBe(14);
      expect(m.cpu.stopInfo.address).toBe(BigInt(LAST));
      expect(xmm(m, 0)).toEqual([0xffffffffffffffffn, 0n]);
    }
  });

  it('a 16-byte store crossing into a read-only page raises #PF and stores nothing', () => {
    for (const op of ['movdqu', 'movups', 'movupd']) {
      const { m, stop } = faultRun(`${op} %xmm0, ${LAST - 8}`, readOnlyLast);
      expect(stop).toBe(StopReason.Exception);
      expect(m.cpu.stopInfo.vector).toBe(14);
      expect([...m.mem.u8.subarray(LAST - 8, LAST + 8)]).toEqual([...Array(16).keys()].map((k) => k + 9));
    }
  });

  it('16-byte loads and stores crossing two mapped pages move all 16 bytes', () => {
    const { m, stop } = faultRun(`movdqu ${LAST - 8}, %xmm1\nmovups %xmm1, ${LAST - 12}`, () => {});
    expect(stop).toBe(StopReason.Halted);
    expect(xmm(m, 1)).toEqual([0x100f0e0d0c0b0a09n, 0x1817161514131211n]);
    expect([...m.mem.u8.subarray(LAST - 12, LAST + 4)]).toEqual([...Array(16).keys()].map((k) => k + 9));
  });

  it('aligned forms with a misaligned memory operand raise #GP(0)', () => {
    for (const op of ['movdqa %xmm0, A', 'movaps A, %xmm0', 'paddd A, %xmm0', 'pmulhw A, %xmm0', 'pshufd $0, A, %xmm0', 'mulpd A, %xmm0', 'unpcklpd A, %xmm0']) {
      const { m, stop } = faultRun(op.replace('A', `${DATA_BASE + 8}`), () => {});
      expect(stop, op).toBe(StopReason.Exception);
      expect(m.cpu.stopInfo.vector, op).toBe(13);
      expect(m.cpu.stopInfo.errorCode, op).toBe(0);
    }
  });

  it('raise #NM with CR0.TS and #UD with CR0.EM before touching any state', () => {
    const forms = [
      'movdqa %xmm1, %xmm0', 'movsd %xmm1, %xmm0', 'movd %eax, %xmm0', 'movq %xmm1, %rax', 'paddd %xmm1, %xmm0', 'pxor %xmm0, %xmm0',
      'pshufd $0, %xmm1, %xmm0', 'addsd %xmm1, %xmm0', 'mulpd %xmm1, %xmm0', 'sqrtsd %xmm1, %xmm0', 'cvtsi2sd %rax, %xmm0',
      'cvttsd2si %xmm1, %eax', 'psrlw $3, %xmm0', 'pmovmskb %xmm1, %eax', 'ucomisd %xmm1, %xmm0', 'addps %xmm1, %xmm0',
    ];
    for (const [bit, vector] of [[8n, 7], [4n, 6]] as const) {
      for (const op of forms) {
        const { m, stop } = runAsm(`mov $3, %eax\n${op}\nhlt\n`, (mm) => {
          mm.cpu.interceptExceptions = true;
          mm.cpu.setControl(0, mm.cpu.getControl(0) | bit);
        });
        expect(stop, op).toBe(StopReason.Exception);
        expect(m.cpu.stopInfo.vector, op).toBe(vector);
        expect(m.cpu.getGpr(0), op).toBe(3n);
      }
    }
  });
});
