/**
 * SSE3, SSSE3, SSE4.1 and SSE4.2 against the host CPU: every form runs on random inputs (fixed
 * seed) natively and on our Cpu, and every output byte, RFLAGS' arithmetic flags and MXCSR must
 * agree. Plus the encodings that must stay #UD and the CPUID bits.
 */
import { describe, expect, it } from 'vitest';
import { form, rm, runDifferential, type DiffResult, type Form } from './host-oracle.js';
import { RCX, runAsm, StopReason } from './long-mode-harness.js';

const SSE3: Form[] = [
  ...rm('addsubps', 'f32'),
  ...rm('addsubpd', 'f64'),
  ...rm('haddps', 'f32'),
  ...rm('haddpd', 'f64'),
  ...rm('hsubps', 'f32'),
  ...rm('hsubpd', 'f64'),
  ...rm('movsldup', 'int'),
  ...rm('movshdup', 'int'),
  ...rm('movddup', 'int'),
  form('haddps xmm1, xmm1', 'haddps %xmm1, %xmm1', 'f32'),
  form('addsubps tiny', 'addsubps %xmm2, %xmm1', 'f32tiny'),
  form('haddpd tiny', 'haddpd %xmm2, %xmm1', 'f64tiny'),
  form('lddqu xmm, mem', 'lddqu (%rsi), %xmm1', 'int'),
  // FISTTP (the x87 member of SSE3, implemented in x87.ts): a double from memory, truncated.
  form('fisttps m16', 'fldl (%rsi)\nfisttps 8(%rsi)', 'f64'),
  form('fisttpl m32', 'fldl (%rsi)\nfisttpl 8(%rsi)', 'f64'),
  form('fisttpll m64', 'fldl (%rsi)\nfisttpll 8(%rsi)', 'f64'),
  form('lddqu xmm, mem+5 (unaligned)', 'lddqu 5(%rsi), %xmm1', 'int'),
];

const SSSE3: Form[] = [
  ...['pshufb', 'phaddw', 'phaddd', 'phaddsw', 'phsubw', 'phsubd', 'phsubsw', 'pmaddubsw', 'pmulhrsw', 'psignb', 'psignw', 'psignd', 'pabsb', 'pabsw', 'pabsd'].flatMap((m) => rm(m, 'int')),
  ...rm('palignr', 'int', { imm: true }),
  form('pshufb xmm1, xmm1', 'pshufb %xmm1, %xmm1', 'int'),
];

const SSE41: Form[] = [
  ...['pblendvb', 'blendvps', 'blendvpd'].flatMap((m) => rm(m, 'int')),
  form('blendvps xmm0, xmm2 -> xmm0', 'blendvps %xmm0, %xmm2, %xmm0', 'int'),
  ...['blendps', 'blendpd', 'pblendw', 'mpsadbw'].flatMap((m) => rm(m, 'int', { imm: true })),
  ...rm('dpps', 'f32', { imm: true, cases: 1024 }),
  ...rm('dppd', 'f64', { imm: true, cases: 1024 }),
  ...rm('insertps', 'int', { imm: true }),
  form('extractps r32', 'extractps $IMM, %xmm1, %ebx', 'int', true),
  form('extractps r64', 'extractps $IMM, %xmm1, %rbx', 'int', true),
  form('extractps m32', 'extractps $IMM, %xmm1, (%rsi)', 'int', true),
  ...['packusdw', 'pcmpeqq', 'pmuldq', 'pmulld', 'pminsb', 'pminsd', 'pminuw', 'pminud', 'pmaxsb', 'pmaxsd', 'pmaxuw', 'pmaxud', 'phminposuw', 'ptest'].flatMap((m) =>
    rm(m, 'int'),
  ),
  ...['bw', 'bd', 'bq', 'wd', 'wq', 'dq'].flatMap((k) => [...rm(`pmovsx${k}`, 'int'), ...rm(`pmovzx${k}`, 'int')]),
  form('pextrb r32', 'pextrb $IMM, %xmm1, %ebx', 'int', true),
  form('pextrb m8', 'pextrb $IMM, %xmm1, (%rsi)', 'int', true),
  // The SSE4.1 register form of PEXTRW (66 0F 3A 15 /r; gas prefers 66 0F C5): xmm1 → ebx.
  form('pextrw r32 (0F 3A 15)', '.byte 0x66, 0x0f, 0x3a, 0x15, 0xcb, IMM', 'int', true),
  form('pextrw m16', 'pextrw $IMM, %xmm1, (%rsi)', 'int', true),
  form('pextrd r32', 'pextrd $IMM, %xmm1, %ebx', 'int', true),
  form('pextrd m32', 'pextrd $IMM, %xmm1, (%rsi)', 'int', true),
  form('pextrq r64', 'pextrq $IMM, %xmm1, %rbx', 'int', true),
  form('pextrq m64', 'pextrq $IMM, %xmm1, (%rsi)', 'int', true),
  form('pinsrb r32', 'pinsrb $IMM, %ebx, %xmm1', 'int', true),
  form('pinsrb m8', 'pinsrb $IMM, (%rsi), %xmm1', 'int', true),
  form('pinsrd r32', 'pinsrd $IMM, %ebx, %xmm1', 'int', true),
  form('pinsrd m32', 'pinsrd $IMM, (%rsi), %xmm1', 'int', true),
  form('pinsrq r64', 'pinsrq $IMM, %rbx, %xmm1', 'int', true),
  form('pinsrq m64', 'pinsrq $IMM, (%rsi), %xmm1', 'int', true),
  ...['roundps', 'roundss'].flatMap((m) => rm(m, 'f32', { imm: true, cases: 1024 })),
  ...['roundpd', 'roundsd'].flatMap((m) => rm(m, 'f64', { imm: true, cases: 1024 })),
  form('movntdqa xmm, mem', 'movntdqa (%rsi), %xmm1', 'int'),
  // Around the denormal range: DAZ, FTZ, underflow and denormal flags of products and sums.
  form('dpps tiny', 'dpps $IMM, %xmm2, %xmm1', 'f32tiny', true),
  form('dppd tiny', 'dppd $IMM, %xmm2, %xmm1', 'f64tiny', true),
  form('roundps tiny', 'roundps $IMM, %xmm2, %xmm1', 'f32tiny', true),
  form('roundsd tiny', 'roundsd $IMM, %xmm2, %xmm1', 'f64tiny', true),
];

const SSE42: Form[] = [
  ...rm('pcmpgtq', 'int'),
  form('crc32b r32, r8', 'crc32b %bl, %eax', 'gpr'),
  form('crc32b r32, ah-r8', 'crc32b %bh, %eax', 'gpr'),
  form('crc32b r64, r8', 'crc32b %bl, %rax', 'gpr'),
  form('crc32w r32, r16', 'crc32w %bx, %eax', 'gpr'),
  form('crc32l r32, r32', 'crc32l %ebx, %eax', 'gpr'),
  form('crc32q r64, r64', 'crc32q %rbx, %rax', 'gpr'),
  form('crc32b r32, m8', 'crc32b (%rsi), %eax', 'gpr'),
  form('crc32b r64, m8', 'crc32b (%rsi), %rax', 'gpr'),
  form('crc32w r32, m16', 'crc32w (%rsi), %eax', 'gpr'),
  form('crc32l r32, m32', 'crc32l (%rsi), %eax', 'gpr'),
  form('crc32q r64, m64', 'crc32q (%rsi), %rax', 'gpr'),
  ...['pcmpestri', 'pcmpestrm', 'pcmpistri', 'pcmpistrm'].flatMap((m) => rm(m, 'str', { imm: true, cases: 1536 })),
  // REX.W forms: 64-bit lengths in RAX/RDX (xmm1, xmm2 and xmm1, (%rsi)).
  form('pcmpestri REX.W xmm, xmm', '.byte 0x66, 0x48, 0x0f, 0x3a, 0x61, 0xca, IMM', 'str', true, 1024),
  form('pcmpestrm REX.W xmm, mem', '.byte 0x66, 0x48, 0x0f, 0x3a, 0x60, 0x0e, IMM', 'str', true, 1024),
  form('pcmpestri xmm, mem+3 (unaligned)', 'pcmpestri $IMM, 3(%rsi), %xmm1', 'str', true),
];

/** REX-extended registers (XMM8+, R8+), copied in and out of the state registers. */
const REX_FORMS: Form[] = [
  form('pshufb xmm9, xmm10', 'movdqa %xmm1, %xmm9\nmovdqa %xmm2, %xmm10\npshufb %xmm10, %xmm9\nmovdqa %xmm9, %xmm1', 'int'),
  form('blendvpd xmm9, xmm10', 'movdqa %xmm1, %xmm9\nmovdqa %xmm2, %xmm10\nblendvpd %xmm10, %xmm9\nmovdqa %xmm9, %xmm1', 'int'),
  form('pextrq r9, xmm9', 'movdqa %xmm1, %xmm9\npextrq $IMM, %xmm9, %r9\nmov %r9, %rbx', 'int', true),
  form('pextrb r64 (REX.W)', '.byte 0x66, 0x48, 0x0f, 0x3a, 0x14, 0xcb, IMM', 'int', true),
  form('pinsrb xmm9, r8d', 'movdqa %xmm1, %xmm9\nmov %rbx, %r8\npinsrb $IMM, %r8d, %xmm9\nmovdqa %xmm9, %xmm1', 'int', true),
  form('crc32q r9, r10', 'mov %rax, %r9\nmov %rbx, %r10\ncrc32q %r10, %r9\nmov %r9, %rax', 'gpr'),
  form('crc32b eax, r8b', 'mov %rbx, %r8\ncrc32b %r8b, %eax', 'gpr'),
  form('pcmpistrm xmm9, xmm10', 'movdqa %xmm1, %xmm9\nmovdqa %xmm2, %xmm10\npcmpistrm $IMM, %xmm10, %xmm9', 'str', true),
  form('roundpd xmm9, xmm10', 'movdqa %xmm2, %xmm10\nroundpd $IMM, %xmm10, %xmm9\nmovdqa %xmm9, %xmm1', 'f64', true),
];

function check(results: DiffResult[]): void {
  const failures = results.filter((r) => r.mismatches.length > 0).map((r) => `${r.form.name}: ${r.mismatches.length}/${r.cases} differ, e.g. ${r.mismatches.slice(0, 3).join('\n    ')}`);
  expect(failures).toEqual([]);
  for (const r of results) expect(r.cases).toBeGreaterThanOrEqual(200);
}

describe('SSE3/SSSE3/SSE4.1/SSE4.2 against the host CPU', () => {
  it(`SSE3 (${SSE3.length} forms)`, () => check(runDifferential(SSE3, 3)));
  it(`SSSE3 (${SSSE3.length} forms)`, () => check(runDifferential(SSSE3, 33)));
  it(`SSE4.1 (${SSE41.length} forms)`, () => check(runDifferential(SSE41, 41)));
  it(`SSE4.2 (${SSE42.length} forms)`, () => check(runDifferential(SSE42, 42)));
  it(`REX-extended registers (${REX_FORMS.length} forms)`, () => check(runDifferential(REX_FORMS, 8)));
});

describe('SSE3-SSE4.2 encodings and CPUID', () => {
  function vectorOf(code: string): number {
    const { m, stop } = runAsm(code + '\nhlt\n', (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    return stop === StopReason.Exception ? m.cpu.stopInfo.vector : -1;
  }

  it('MMX forms of SSSE3 (no 66 prefix) run on the MMX registers (values: mmx-native.test.ts)', () => {
    expect(vectorOf('pshufb %mm1, %mm0')).toBe(-1);
    expect(vectorOf('palignr $3, %mm1, %mm0')).toBe(-1);
    expect(vectorOf('pabsw %mm1, %mm0')).toBe(-1);
    expect(vectorOf('pshufb %xmm1, %xmm0')).toBe(-1);
  });

  it('memory-only forms reject registers and aligned forms check alignment', () => {
    // MOVNTDQA xmm0, xmm1 and LDDQU xmm0, xmm1 encodings (mod = 3).
    expect(vectorOf('.byte 0x66, 0x0f, 0x38, 0x2a, 0xc1')).toBe(6);
    expect(vectorOf('.byte 0xf2, 0x0f, 0xf0, 0xc1')).toBe(6);
    expect(vectorOf('movntdqa 0x200008, %xmm0')).toBe(13);
    expect(vectorOf('pmulld 0x200008, %xmm0')).toBe(13);
    expect(vectorOf('pcmpistri $0, 0x200008, %xmm0')).toBe(-1);
    expect(vectorOf('pmovzxbw 0x200001, %xmm0')).toBe(-1);
  });

  it('an unmasked precision exception from ROUNDSS raises #XM unless imm8[3] suppresses it', () => {
    const setup = 'movl $0x0f80, 0x200000\nldmxcsr 0x200000\nmov $0x3fc00000, %eax\nmovd %eax, %xmm1\n';
    expect(vectorOf(setup + 'roundss $0, %xmm1, %xmm0')).toBe(19);
    expect(vectorOf(setup + 'roundss $8, %xmm1, %xmm0')).toBe(-1);
  });

  it('a faulting memory operand leaves every destination unchanged', () => {
    // Page 0 is not mapped: #PF before PCMPISTRI writes RCX/flags or PMOVZX/DPPS write XMM1.
    const code = 'mov $0x1234, %ecx\nmov $0x3f800000, %eax\nmovd %eax, %xmm1\n';
    for (const insn of ['pcmpistri $0x0c, 0x10, %xmm1', 'pmovzxbw 0x10, %xmm1', 'dpps $0xff, 0x10, %xmm1', 'crc32l 0x10, %ecx']) {
      const { m, stop } = runAsm(code + insn + '\nhlt\n', (mm) => {
        mm.cpu.interceptExceptions = true;
      });
      expect(stop).toBe(StopReason.Exception);
      expect(m.cpu.stopInfo.vector).toBe(14);
      expect(m.cpu.getGpr(RCX)).toBe(0x1234n);
      expect(new DataView(m.cpu.getFxsave().buffer).getUint32(160 + 16, true)).toBe(0x3f800000);
    }
  });

  it('an unmasked invalid operation in DPPS raises #XM and writes nothing', () => {
    // MXCSR with IM clear; lane 0 of XMM1 is a signaling NaN.
    const code = 'movl $0x1f00, 0x200000\nldmxcsr 0x200000\nmov $0x7f800001, %eax\nmovd %eax, %xmm1\nmovd %eax, %xmm2\ndpps $0xff, %xmm2, %xmm1\nhlt\n';
    const { m, stop } = runAsm(code, (mm) => {
      mm.cpu.interceptExceptions = true;
    });
    expect(stop).toBe(StopReason.Exception);
    expect(m.cpu.stopInfo.vector).toBe(19);
    expect(new DataView(m.cpu.getFxsave().buffer).getUint32(160 + 16, true)).toBe(0x7f800001);
  });

  it('CPUID leaf 1 advertises SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT', () => {
    const { m } = runAsm('mov $1, %eax\ncpuid\nhlt\n');
    const ecx = Number(m.cpu.getGpr(RCX));
    for (const bit of [0, 9, 19, 20, 23]) expect((ecx >>> bit) & 1).toBe(1);
  });
});
