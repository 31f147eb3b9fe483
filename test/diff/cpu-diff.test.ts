/**
 * Differential tests of our CPU against the host x86-64 CPU (see test/diff/forms.ts for coverage).
 *
 * - stored cases: replays test/diff/cases/ (host results recorded once) — runs everywhere.
 * - live: fresh cases with a fixed seed, run on the host through the native runner and on our
 *   CPU — only where linux/x64 and gcc are available.
 * - DIFF_LONG=1: many more cases with a random seed (printed), over every candidate form; prints a
 *   survey of which forms match, are not implemented, or mismatch, and fails on CI forms.
 *   DIFF_SEED repeats a seed, DIFF_LONG_CASES sets the cases per form (2000), DIFF_FORMS is a
 *   regular expression selecting forms.
 * - DIFF_REGEN=1: regenerates the stored cases from the CI form list; with DIFF_FORMS (a regular
 *   expression) only the matching CI forms, keeping the stored cases of the others as they are.
 */
import { afterAll, describe, expect, test } from 'vitest';
import type { DiffCase } from './case.js';
import { readStore, writeStore } from './case-store.js';
import { EmulatorRunner } from './emulator.js';
import { CASES_PER_FORM, CI_FORMS, KNOWN_MISMATCH, NOT_IMPLEMENTED, STORE_SEED } from './forms.js';
import { candidateForms, generateCases, whyNotCandidate } from './generate.js';
import { buildNativeRunner, nativeUnavailableReason, type NativeRunner } from './native.js';
import { formatMismatches, replay } from './report.js';

const LIVE_SEED = 20260101;
const LIVE_CASES_PER_FORM = 16;
const LONG_CASES_PER_FORM = Number(process.env.DIFF_LONG_CASES ?? 2000);

const nativeReason = nativeUnavailableReason();
let native: NativeRunner | null = null;
const host = (): NativeRunner => (native ??= buildNativeRunner());
afterAll(() => native?.dispose());

/** Per-file group in the store: the mnemonic part of the form name. */
const groupOf = (form: string): string => form.split('_')[0]!.toLowerCase();

describe('form lists', () => {
  test('every CI form is one the generator builds, and no form is in two lists', () => {
    const candidates = new Set(candidateForms());
    for (const form of CI_FORMS) expect(whyNotCandidate(form), form).toBeNull();
    for (const form of [...NOT_IMPLEMENTED, ...Object.keys(KNOWN_MISMATCH)]) expect(candidates.has(form), form).toBe(true);
    const all = [...CI_FORMS, ...NOT_IMPLEMENTED, ...Object.keys(KNOWN_MISMATCH)];
    expect(new Set(all).size).toBe(all.length);
  });
});

describe.runIf(process.env.DIFF_REGEN === '1')('regenerate the stored cases', () => {
  test('run the CI forms on the host and store the results', () => {
    if (nativeReason) throw new Error(`cannot regenerate: ${nativeReason}`);
    const only = process.env.DIFF_FORMS ? new RegExp(process.env.DIFF_FORMS) : null;
    const forms = only ? CI_FORMS.filter((form) => only.test(form)) : CI_FORMS;
    expect(forms.length, 'CI forms selected by DIFF_FORMS').toBeGreaterThan(0);
    const inputs = forms.flatMap((form) => generateCases(form, CASES_PER_FORM, STORE_SEED));
    const outputs = host().run(inputs);
    const hung = inputs.filter((_, i) => outputs[i]!.vector === -2).map((c) => c.form);
    expect(hung, 'cases that did not return on the host').toEqual([]);
    const fresh = inputs.map((input, i): DiffCase => ({ input, expected: outputs[i]! }));
    const kept = only ? readStore().filter((c) => !only.test(c.input.form) && CI_FORMS.includes(c.input.form)) : [];
    // CI-list order, as a full regeneration writes it (the sort is stable: cases keep their order).
    const order = new Map(CI_FORMS.map((form, i) => [form, i]));
    const all = [...kept, ...fresh].sort((a, b) => order.get(a.input.form)! - order.get(b.input.form)!);
    writeStore(all, groupOf);
  });
});

describe('stored cases', () => {
  test('the store holds exactly the CI forms', () => {
    const stored = readStore();
    const forms = new Map<string, number>();
    for (const c of stored) forms.set(c.input.form, (forms.get(c.input.form) ?? 0) + 1);
    expect([...forms.keys()].sort()).toEqual([...CI_FORMS].sort());
    for (const [form, count] of forms) expect(count, form).toBe(CASES_PER_FORM);
  });

  test('our CPU matches the host on every stored case', async () => {
    const stored = readStore();
    const mismatches = await replay(new EmulatorRunner(), stored.map((c) => c.input), stored.map((c) => c.expected));
    expect(formatMismatches(mismatches), `${mismatches.length} forms differ from the host`).toBe('');
  });

  test('translated blocks (jit/) match the host on every stored case', async () => {
    const stored = readStore();
    const mismatches = await replay(new EmulatorRunner(true), stored.map((c) => c.input), stored.map((c) => c.expected));
    expect(formatMismatches(mismatches), `${mismatches.length} forms differ from the host`).toBe('');
  });
});

describe.skipIf(nativeReason !== null)(`live against the host CPU${nativeReason ? ` (skipped: ${nativeReason})` : ''}`, () => {
  test('fresh cases for every CI form (fixed seed)', async () => {
    const inputs = CI_FORMS.flatMap((form) => generateCases(form, LIVE_CASES_PER_FORM, LIVE_SEED));
    const mismatches = await replay(new EmulatorRunner(), inputs, host().run(inputs));
    expect(formatMismatches(mismatches), `${mismatches.length} forms differ from the host`).toBe('');
  });

  test('the native runner reports faults by vector', () => {
    // Division overflow or by zero (#DE), UD2 (#UD), MOVAPS from unaligned memory (#GP).
    const inputs = ['Div_rm32', 'Ud2', 'Movaps_xmm_xmmm128'].flatMap((form) => generateCases(form, 50, 7));
    const vectors = new Set(host().run(inputs).map((o) => o.vector));
    for (const v of [0, 6, 13]) expect(vectors.has(v), `vector ${v}`).toBe(true);
  });

  test.runIf(process.env.DIFF_LONG === '1')(
    'long run: every candidate form, random seed',
    async () => {
      const seed = Number(process.env.DIFF_SEED ?? Math.floor(Math.random() * 2 ** 31));
      const only = new RegExp(process.env.DIFF_FORMS ?? '.');
      console.log(`DIFF_LONG seed ${seed} (repeat with DIFF_SEED=${seed}), ${LONG_CASES_PER_FORM} cases per form`);
      const emulator = new EmulatorRunner();
      const survey = { matching: [] as string[], notImplemented: [] as string[], mismatching: [] as string[] };
      const ciFailures = [];
      for (const form of candidateForms().filter((f) => only.test(f))) {
        await new Promise(setImmediate); // let vitest's worker talk to its parent between forms
        const inputs = generateCases(form, LONG_CASES_PER_FORM, seed);
        const outputs = host().run(inputs);
        const [mismatch] = await replay(emulator, inputs, outputs);
        if (!mismatch) survey.matching.push(form);
        else if (mismatch.failures.length === inputs.length && mismatch.failures.every((f) => f.diffs[0]!.endsWith('ours exception 6'))) {
          survey.notImplemented.push(form);
        } else {
          survey.mismatching.push(form);
          if (CI_FORMS.includes(form)) ciFailures.push(mismatch);
          console.log(`${KNOWN_MISMATCH[form] ? 'known: ' : ''}${formatMismatches([mismatch])}`);
        }
      }
      console.log(`survey: ${survey.matching.length} matching, ${survey.notImplemented.length} not implemented, ${survey.mismatching.length} mismatching`);
      console.log(`matching but not in CI_FORMS: ${survey.matching.filter((f) => !CI_FORMS.includes(f)).join(' ') || '-'}`);
      console.log(`mismatching: ${survey.mismatching.join(' ') || '-'}`);
      console.log(`not implemented: ${survey.notImplemented.join(' ') || '-'}`);
      console.log(`mismatching, not yet in KNOWN_MISMATCH: ${survey.mismatching.filter((f) => !KNOWN_MISMATCH[f]).join(' ') || '-'}`);
      expect(formatMismatches(ciFailures), `${ciFailures.length} CI forms differ from the host`).toBe('');
    },
    3_600_000,
  );
});
