/**
 * x87 against the host CPU: every form on random and edge-case 80-bit inputs (denormals,
 * pseudo-denormals, unsupported encodings, infinities, NaNs, extreme exponents, all precision and
 * rounding controls, some unmasked exceptions), comparing registers, FSW, FCW, tags, memory,
 * flags and AX byte for byte. Transcendental forms are compared within 2^-50 relative.
 * TENDER_ORACLE_SCALE/TENDER_ORACLE_SEED widen the hunt; X87_REPORT=file writes every mismatch.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runX87Differential, xf, type X87Form } from './x87-oracle.js';

const ARITH = ['fadd', 'fmul', 'fsub', 'fsubr', 'fdiv', 'fdivr'];

const forms: X87Form[] = [
  ...ARITH.flatMap((op) => [
    xf(`${op} %st(1), %st`, 'none'),
    xf(`${op} %st, %st(2)`, 'none'),
    xf(`${op}p %st, %st(1)`, 'none'),
    xf(`${op}s (%rsi)`, 'f32'),
    xf(`${op}l (%rsi)`, 'f64'),
    xf(`fi${op.slice(1)}s (%rsi)`, 'i16'),
    xf(`fi${op.slice(1)}l (%rsi)`, 'i32'),
  ]),
  xf('fcom %st(1)', 'none'),
  xf('fcomp %st(2)', 'none'),
  xf('fcompp', 'none'),
  xf('fucom %st(1)', 'none'),
  xf('fucomp %st(1)', 'none'),
  xf('fucompp', 'none'),
  xf('fcoms (%rsi)', 'f32'),
  xf('fcompl (%rsi)', 'f64'),
  xf('ficoms (%rsi)', 'i16'),
  xf('ficompl (%rsi)', 'i32'),
  xf('fcomi %st(1), %st', 'none'),
  xf('fcomip %st(1), %st', 'none'),
  xf('fucomi %st(2), %st', 'none'),
  xf('fucomip %st(1), %st', 'none'),
  xf('ftst', 'none'),
  xf('fxam', 'none'),
  xf('flds (%rsi)', 'f32'),
  xf('fldl (%rsi)', 'f64'),
  xf('fldt (%rsi)', 'f80'),
  xf('fld %st(3)', 'none'),
  xf('fsts (%rsi)', 'none'),
  xf('fstl (%rsi)', 'none'),
  xf('fstps (%rsi)', 'none'),
  xf('fstpl (%rsi)', 'none'),
  xf('fstpt (%rsi)', 'none'),
  xf('fst %st(2)', 'none'),
  xf('fstp %st(1)', 'none'),
  xf('filds (%rsi)', 'i16'),
  xf('fildl (%rsi)', 'i32'),
  xf('fildll (%rsi)', 'i64'),
  xf('fists (%rsi)', 'none'),
  xf('fistl (%rsi)', 'none'),
  xf('fistps (%rsi)', 'none'),
  xf('fistpl (%rsi)', 'none'),
  xf('fistpll (%rsi)', 'none'),
  xf('fisttps (%rsi)', 'none'),
  xf('fisttpl (%rsi)', 'none'),
  xf('fisttpll (%rsi)', 'none'),
  xf('fbld (%rsi)', 'bcd'),
  xf('fbstp (%rsi)', 'none'),
  ...['fld1', 'fldz', 'fldpi', 'fldl2e', 'fldl2t', 'fldlg2', 'fldln2'].map((m) => xf(m, 'none')),
  xf('fchs', 'none'),
  xf('fabs', 'none'),
  xf('fsqrt', 'none'),
  xf('frndint', 'none'),
  xf('fscale', 'none'),
  xf('fxtract', 'none'),
  xf('fprem', 'none'),
  xf('fprem1', 'none'),
  xf('fxch %st(1)', 'none'),
  ...['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu', 'fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'].map((m) => xf(`${m} %st(1), %st`, 'none')),
  // Undocumented aliases: FSTP1, FCOM2, FCOMP3, FXCH4, FCOMP5, FFREEP, FXCH7, FSTP8, FSTP9.
  ...['0xd9, 0xd9', '0xdc, 0xd1', '0xdc, 0xd9', '0xdd, 0xc9', '0xde, 0xd1', '0xdf, 0xc1', '0xdf, 0xc9', '0xdf, 0xd1', '0xdf, 0xd9'].map((b) => xf(`.byte ${b}`, 'none')),
  xf('fincstp', 'none'),
  xf('fdecstp', 'none'),
  xf('ffree %st(1)', 'none'),
  xf('fnstsw %ax', 'none'),
  xf('fnstsw (%rsi)', 'none'),
  xf('fnstcw (%rsi)', 'none'),
  xf('fldcw (%rsi)', 'env'),
  xf('fnstenv (%rsi)', 'none', { skipMem: [12, 28] }),
  xf('fldenv (%rsi)', 'env'),
  xf('fnsave (%rsi)', 'none', { skipMem: [12, 28] }),
  xf('frstor (%rsi)', 'env'),
  xf('fnclex', 'none'),
  xf('fninit', 'none'),
  ...['fsin', 'fcos', 'fsincos', 'fptan', 'fpatan', 'fyl2x'].map((m) => xf(m, 'trans', { loose: true })),
  ...['f2xm1', 'fyl2xp1'].map((m) => xf(m, 'trans-small', { loose: true })),
];

describe('x87 against the host CPU', () => {
  it(`${forms.length} forms agree on registers, status, tags, memory and flags`, () => {
    const results = runX87Differential(forms, 8087);
    const report: string[] = [];
    let cases = 0;
    for (const r of results) {
      cases += r.cases;
      if (r.mismatches.length > 0) report.push(`${r.form.name}: ${r.mismatches.length}/${r.cases}\n  ${r.mismatches.slice(0, 3).join('\n  ')}`);
    }
    expect(cases).toBeGreaterThanOrEqual(200 * forms.length);
    if (process.env.X87_REPORT) writeFileSync(process.env.X87_REPORT, report.join('\n'));
    expect(report.join('\n')).toBe('');
  }, 600_000);
});
