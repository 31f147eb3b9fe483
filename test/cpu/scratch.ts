import { readFileSync } from 'node:fs';
import { CODE_BASE, compileC, createMachine, load } from './long-mode-harness.js';
const src = readFileSync('test/cpu/gcc-program.test.ts', 'utf8');
const prog = src.split('const program = `')[1].split('`;')[0].replace('${DATA_BASE}', String(0x200000));
const { image, entry } = compileC(prog, [process.argv[2] ?? '-O2']);
const m2 = createMachine();
load(m2, CODE_BASE, image);
m2.cpu.setRip(BigInt(entry));
m2.cpu.interceptExceptions = true;
m2.cpu.singleStep = true;
const ring: string[] = [];
for (let n = 0; n < 20_000_000; n++) {
  const rip = m2.cpu.getRip();
  const r = m2.cpu.run(1);
  ring.push(rip.toString(16) + ' rsp=' + m2.cpu.getGpr(4).toString(16) + ' rax=' + m2.cpu.getGpr(0).toString(16));
  if (ring.length > 12) ring.shift();
  if (r !== 6) { console.log('stop', r, n, m2.cpu.stopInfo); break; }
}
console.log(ring.join('\n'));
