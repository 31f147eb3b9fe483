/**
 * Runs a generated assembly routine `run_cases(uint64_t *out)` natively (linked into a small gcc
 * program) and returns what it wrote: `words` 64-bit words. The same source runs on the
 * emulator via `runEmulated`, so the two outputs can be compared word for word.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, CODE_BASE, createMachine, load, RDI, runUntilStop, StopReason, type Machine } from './long-mode-harness.js';

/** Where the emulated routine writes (above large generated code). */
export const EMULATED_OUT = 32 << 20;

export function runNative(source: string, words: number): BigUint64Array {
  const dir = mkdtempSync(join(tmpdir(), 'tender-native-'));
  try {
    writeFileSync(join(dir, 'cases.s'), '.section .note.GNU-stack,"",@progbits\n.text\n' + source);
    writeFileSync(
      join(dir, 'main.c'),
      `#include <stdio.h>\n#include <stdlib.h>\nvoid run_cases(unsigned long *);\n` +
        `int main(void){unsigned long *b=aligned_alloc(64,${words * 8 + 64});run_cases(b);fwrite(b,8,${words},stdout);return 0;}\n`,
    );
    execFileSync('gcc', ['-O0', '-o', join(dir, 'prog'), join(dir, 'main.c'), join(dir, 'cases.s')], { maxBuffer: 64 << 20 });
    const out = execFileSync(join(dir, 'prog'), { maxBuffer: 256 << 20 });
    return new BigUint64Array(out.buffer.slice(out.byteOffset, out.byteOffset + words * 8));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the same routine on the CPU; returns its output words and the machine. */
export function runEmulated(source: string, words: number): { out: BigUint64Array; m: Machine; stop: StopReason } {
  const m = createMachine({ memSize: 64 << 20 });
  load(m, CODE_BASE, assemble(`call run_cases\nhlt\n${source}`));
  m.cpu.setGpr(RDI, BigInt(EMULATED_OUT));
  const stop = runUntilStop(m, 200_000_000);
  const out = new BigUint64Array(words);
  for (let k = 0; k < words; k++) out[k] = m.mem.view.getBigUint64(EMULATED_OUT + k * 8, true);
  return { out, m, stop };
}
