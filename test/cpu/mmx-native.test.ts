/**
 * MMX against the host CPU: every MMX form (and the SSE/SSE2/SSSE3 forms on MMX registers) on
 * random states, comparing the whole x87/MMX state (TOP, tags, exponent fields), XMM, MXCSR,
 * memory, flags and AX byte for byte.
 * TENDER_ORACLE_SCALE/TENDER_ORACLE_SEED widen the hunt; X87_REPORT=file writes every mismatch.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runX87Differential, xf, type X87Form } from './x87-oracle.js';

const BIN = [
  'punpcklbw', 'punpcklwd', 'punpckldq', 'packsswb', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd', 'packuswb', 'punpckhbw', 'punpckhwd', 'punpckhdq', 'packssdw',
  'pcmpeqb', 'pcmpeqw', 'pcmpeqd', 'paddq', 'pmullw', 'psubusb', 'psubusw', 'pminub', 'pand', 'paddusb', 'paddusw', 'pmaxub', 'pandn',
  'pavgb', 'pavgw', 'pmulhuw', 'pmulhw', 'psubsb', 'psubsw', 'pminsw', 'por', 'paddsb', 'paddsw', 'pmaxsw', 'pxor',
  'pmuludq', 'pmaddwd', 'psadbw', 'psubb', 'psubw', 'psubd', 'psubq', 'paddb', 'paddw', 'paddd',
  'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad', 'psllw', 'pslld', 'psllq',
  'pshufb', 'phaddw', 'phaddd', 'phaddsw', 'pmaddubsw', 'phsubw', 'phsubd', 'phsubsw', 'psignb', 'psignw', 'psignd', 'pmulhrsw', 'pabsb', 'pabsw', 'pabsd',
];

const forms: X87Form[] = [
  ...BIN.flatMap((m) => [xf(`${m} %mm2, %mm1`, 'mmx'), xf(`${m} (%rsi), %mm3`, 'mmx')]),
  ...['psrlw', 'psrld', 'psrlq', 'psraw', 'psrad', 'psllw', 'pslld', 'psllq'].flatMap((m) => [xf(`${m} $3, %mm1`, 'mmx'), xf(`${m} $17, %mm2`, 'mmx'), xf(`${m} $40, %mm0`, 'mmx')]),
  xf('palignr $3, %mm2, %mm1', 'mmx'),
  xf('palignr $11, (%rsi), %mm1', 'mmx'),
  xf('pshufw $0x1b, %mm2, %mm1', 'mmx'),
  xf('pshufw $0xd2, (%rsi), %mm7', 'mmx'),
  xf('pinsrw $2, (%rsi), %mm1', 'mmx'),
  xf('movd %mm2, %eax\npinsrw $1, %eax, %mm4', 'mmx'),
  xf('pextrw $3, %mm5, %eax', 'mmx'),
  xf('pmovmskb %mm6, %eax', 'mmx'),
  xf('movd %mm1, %eax', 'mmx'),
  xf('movq %mm1, %rax', 'mmx'),
  xf('movd (%rsi), %mm2', 'mmx'),
  xf('movd %mm3, (%rsi)', 'mmx'),
  xf('movq (%rsi), %mm4', 'mmx'),
  xf('movq %mm5, (%rsi)', 'mmx'),
  xf('movq %mm5, %mm6', 'mmx'),
  xf('movntq %mm7, (%rsi)', 'mmx'),
  xf('mov %rsi, %rdi\nmaskmovq %mm2, %mm1\nlea -1024(%rsi), %rdi', 'mmx'),
  xf('emms', 'mmx'),
  xf('movdq2q %xmm3, %mm1', 'mmx'),
  xf('movq2dq %mm2, %xmm5', 'mmx'),
  xf('cvtpi2ps %mm1, %xmm2', 'mmx'),
  xf('cvtpi2ps (%rsi), %xmm3', 'mmx'),
  xf('cvtpi2pd %mm1, %xmm2', 'mmx'),
  xf('cvtpi2pd (%rsi), %xmm3', 'mmx'),
  xf('cvtps2pi %xmm1, %mm2', 'mmx-f32'),
  xf('cvtps2pi (%rsi), %mm3', 'mmx-f32'),
  xf('cvttps2pi %xmm4, %mm2', 'mmx-f32'),
  xf('cvtpd2pi %xmm1, %mm2', 'mmx-f64'),
  xf('cvtpd2pi (%rsi), %mm3', 'mmx-f64'),
  xf('cvttpd2pi %xmm4, %mm2', 'mmx-f64'),
];

describe('MMX against the host CPU', () => {
  it(`${forms.length} forms agree on the x87/MMX state, XMM, MXCSR, memory and flags`, () => {
    const results = runX87Differential(forms, 1997);
    const report: string[] = [];
    let cases = 0;
    for (const r of results) {
      cases += r.cases;
      if (r.mismatches.length > 0) report.push(`${r.form.name}: ${r.mismatches.length}/${r.cases}\n  ${r.mismatches.slice(0, 3).join('\n  ')}`);
    }
    if (process.env.X87_REPORT) writeFileSync(process.env.X87_REPORT, report.join('\n'));
    expect(cases).toBeGreaterThanOrEqual(200 * forms.length);
    expect(report.join('\n')).toBe('');
  }, 600_000);
});
