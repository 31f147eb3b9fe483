import { it } from 'vitest';
import { CODE_BASE, compileC, createMachine, load, runUntilStop } from './long-mode-harness.js';
it('speed', () => {
  for (const src of [
    `long main(void){ long double s=0; for(int k=1;k<=300000;k++) s+=1.0L/k; return (long)(s*1000); }`,
    `long main(void){ long double s=0, p=1; for(int k=1;k<=300000;k++) { s+=p*k; p = p * 0.999999L; } return (long)(s); }`,
  ]) {
    const { image, entry } = compileC(src, ['-O2']);
    const m = createMachine();
    load(m, CODE_BASE, image);
    m.cpu.setRip(BigInt(entry));
    const t0 = process.cpuUsage();
    runUntilStop(m, 1e9);
    const t = process.cpuUsage(t0);
    const secs = (t.user + t.system) / 1e6;
    console.log(`${src.slice(40, 70)} ${m.cpu.getGpr(0)} ${secs.toFixed(2)} s, ${(300000 / secs / 1e6).toFixed(2)} M iterations/s`);
  }
});
