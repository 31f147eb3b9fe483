/**
 * AES-NI and PCLMULQDQ against the host CPU (random inputs, fixed seed, every byte compared), a
 * known-answer check (FIPS-197 AES-128 example), and the CPUID bits.
 */
import { describe, expect, it } from 'vitest';
import { form, rm, runDifferential, type DiffResult, type Form } from './host-oracle.js';
import { DATA_BASE, RCX, runAsm } from './long-mode-harness.js';

const FORMS: Form[] = [
  ...['aesenc', 'aesenclast', 'aesdec', 'aesdeclast', 'aesimc'].flatMap((m) => rm(m, 'int')),
  ...rm('aeskeygenassist', 'int', { imm: true }),
  ...rm('pclmulqdq', 'int', { imm: true }),
  // Destination and key in the same register, and REX-extended registers.
  form('aesenc xmm1, xmm1', 'aesenc %xmm1, %xmm1', 'int'),
  form('aesdec xmm9, xmm10', 'movdqa %xmm1, %xmm9\nmovdqa %xmm2, %xmm10\naesdec %xmm10, %xmm9\nmovdqa %xmm9, %xmm1', 'int'),
  form('pclmulqdq xmm9, xmm10', 'movdqa %xmm1, %xmm9\nmovdqa %xmm2, %xmm10\npclmulqdq $IMM, %xmm10, %xmm9\nmovdqa %xmm9, %xmm1', 'int', true),
];

function check(results: DiffResult[]): void {
  const failures = results.filter((r) => r.mismatches.length > 0).map((r) => `${r.form.name}: ${r.mismatches.length}/${r.cases} differ, e.g. ${r.mismatches.slice(0, 3).join('\n    ')}`);
  expect(failures).toEqual([]);
  for (const r of results) expect(r.cases).toBeGreaterThanOrEqual(200);
}

describe('AES-NI and PCLMULQDQ', () => {
  it(`agree with the host CPU (${FORMS.length} forms)`, () => check(runDifferential(FORMS, 25)));

  it('encrypt the FIPS-197 AES-128 example block', () => {
    // Key 000102..0f, plaintext 00112233..ff, ciphertext 69c4e0d86a7b0430d8cdb78070b4c55a.
    const expand = (rcon: number): string =>
      `aeskeygenassist $${rcon}, %xmm1, %xmm2\npshufd $0xff, %xmm2, %xmm2\nmovdqa %xmm1, %xmm3\npslldq $4, %xmm3\npxor %xmm3, %xmm1\npslldq $4, %xmm3\npxor %xmm3, %xmm1\npslldq $4, %xmm3\npxor %xmm3, %xmm1\npxor %xmm2, %xmm1\n`;
    let code = `movdqu ${DATA_BASE}, %xmm1\nmovdqu ${DATA_BASE + 16}, %xmm0\npxor %xmm1, %xmm0\n`;
    const rcons = [1, 2, 4, 8, 16, 32, 64, 128, 0x1b, 0x36];
    rcons.forEach((r, k) => {
      code += expand(r) + (k < 9 ? 'aesenc %xmm1, %xmm0\n' : 'aesenclast %xmm1, %xmm0\n');
    });
    code += `movdqu %xmm0, ${DATA_BASE + 32}\nhlt\n`;
    const { m } = runAsm(code, (mm) => {
      for (let k = 0; k < 16; k++) {
        mm.mem.u8[DATA_BASE + k] = k;
        mm.mem.u8[DATA_BASE + 16 + k] = k * 0x11;
      }
    });
    const out = [...m.mem.u8.slice(DATA_BASE + 32, DATA_BASE + 48)].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(out).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
  });

  it('CPUID leaf 1 advertises PCLMULQDQ and AES', () => {
    const { m } = runAsm('mov $1, %eax\ncpuid\nhlt\n');
    const ecx = Number(m.cpu.getGpr(RCX));
    expect((ecx >>> 1) & 1).toBe(1);
    expect((ecx >>> 25) & 1).toBe(1);
  });
});
