/** Runs cases on our CPU against expected results and renders the mismatches grouped per form. */
import type { CaseInput, CaseOutput } from './case.js';
import { compareOutputs, describeInput, describeInstruction } from './compare.js';
import type { EmulatorRunner } from './emulator.js';

export interface FormMismatches {
  form: string;
  cases: number;
  failures: Array<{ input: CaseInput; diffs: string[] }>;
}

/** Replays `inputs` on the emulator; returns the forms with at least one mismatch. */
/**
 * Runs every case on our CPU and compares. Yields to the event loop now and then: a long
 * synchronous stretch would starve the test runner's messages to its worker.
 */
export async function replay(emulator: EmulatorRunner, inputs: CaseInput[], expected: CaseOutput[]): Promise<FormMismatches[]> {
  const byForm = new Map<string, FormMismatches>();
  for (let i = 0; i < inputs.length; i++) {
    if (i % 2000 === 1999) await new Promise(setImmediate);
    const input = inputs[i]!;
    let entry = byForm.get(input.form);
    if (!entry) byForm.set(input.form, (entry = { form: input.form, cases: 0, failures: [] }));
    entry.cases++;
    const diffs = compareOutputs(input, expected[i]!, emulator.run(input));
    if (diffs.length) entry.failures.push({ input, diffs });
  }
  return [...byForm.values()].filter((f) => f.failures.length > 0);
}

/** Readable report: per form the failure count and the first few cases in full. */
export function formatMismatches(mismatches: FormMismatches[], examples = 3): string {
  return mismatches
    .map((m) => {
      const shown = m.failures.slice(0, examples).map((f) => `  ${describeInstruction(f.input.code).text}\n    in: ${describeInput(f.input)}\n    ${f.diffs.join('\n    ')}`);
      return `${m.form}: ${m.failures.length}/${m.cases} cases differ\n${shown.join('\n')}`;
    })
    .join('\n\n');
}
