import { candidateForms, generateCases } from './generate.js';
import { buildNativeRunner } from './native.js';
import { EmulatorRunner } from './emulator.js';
import { compareOutputs, describeInput, describeInstruction } from './compare.js';
import { writeFileSync } from 'node:fs';
const forms = candidateForms();
const runner = buildNativeRunner();
const emu = new EmulatorRunner();
const t0 = Date.now();
const good: string[] = []; const bad: string[] = [];
for (const f of forms) {
  const cases = generateCases(f, 200, 1);
  const outs = runner.run(cases);
  let n = 0; let first = ''; const kinds = new Map<string, number>();
  cases.forEach((c, i) => {
    let d: string[];
    try { d = compareOutputs(c, outs[i]!, emu.run(c)); } catch (e) { d = ['THROW ' + String(e).slice(0, 200)]; }
    if (d.length) { n++; const k = d.map(x => x.split(':')[0]).join(','); kinds.set(k, (kinds.get(k) ?? 0) + 1); if (!first) first = `  ${describeInstruction(c.code).text}\n  ${describeInput(c)}\n  ${d.join('\n  ')}`; }
  });
  if (n === 0) good.push(f); else bad.push(`${f}: ${n}/200 ${[...kinds].map(([k, v]) => k + '×' + v).join(' ')}\n${first}`);
}
writeFileSync('/tmp/dx/good.txt', good.join('\n') + '\n');
writeFileSync('/tmp/dx/bad.txt', bad.join('\n') + '\n');
console.log('good', good.length, 'bad', bad.length, 'ms', Date.now() - t0);
runner.dispose();
