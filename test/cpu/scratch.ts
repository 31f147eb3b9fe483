import { runAsm, RAX } from './long-mode-harness.js';
for (const n of [1, 2, 3]) {
const t0 = performance.now();
const { m, stop } = runAsm(`
  mov $20000000, %ecx
  xor %eax, %eax
  mov $0x200000, %rsi
1: add %rcx, %rax
  mov %rax, (%rsi)
  add (%rsi), %rdx
  dec %rcx
  jnz 1b
  hlt
`, undefined);
const dt = performance.now() - t0;
console.log(stop, m.cpu.getGpr(RAX), m.cpu.instructionsRetired, (m.cpu.instructionsRetired / dt / 1000).toFixed(1), 'MIPS');
}
