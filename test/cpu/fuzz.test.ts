/**
 * The guest is untrusted: random code must only ever end `run` with a StopReason — never a
 * JavaScript exception, never a hang. Each program runs with exceptions intercepted; after each
 * one the faulting byte is skipped, so many different encodings get executed.
 */
import { describe, expect, it } from 'vitest';
import { CODE_BASE, createMachine, DATA_BASE, RAX, RBX, RCX, RDI, RDX, RSI, StopReason } from './long-mode-harness.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

describe('random code', () => {
  it('always ends with a StopReason', () => {
    const rnd = lcg(4242);
    const m = createMachine();
    m.cpu.interceptExceptions = true;
    const seen = new Set<number>();
    let executed = 0;
    for (let program = 0; program < 300; program++) {
      const code = new Uint8Array(256);
      for (let k = 0; k < code.length; k++) code[k] = rnd();
      m.mem.u8.set(code, CODE_BASE);
      m.mem.written(CODE_BASE, code.length);
      // Registers point at mapped data so memory operands often succeed.
      for (const r of [RAX, RBX, RCX, RDX, RSI, RDI]) m.cpu.setGpr(r, BigInt(DATA_BASE + rnd() * 64));
      m.cpu.setGpr(4, BigInt((16 << 20) - 0x1000));
      m.cpu.setRflags(0x2);
      m.cpu.setRip(BigInt(CODE_BASE));
      for (let step = 0; step < 40; step++) {
        const before = m.cpu.instructionsRetired;
        const stop = m.cpu.run(2000);
        executed += m.cpu.instructionsRetired - before;
        seen.add(stop);
        expect(Object.values(StopReason)).toContain(stop);
        if (stop === StopReason.Exception) {
          m.cpu.discardPendingException();
          m.cpu.setRip(m.cpu.stopInfo.rip + 1n);
        } else if (stop === StopReason.Halted || stop === StopReason.BudgetExhausted || stop === StopReason.Requested) {
          m.cpu.setRip(m.cpu.getRip() + 1n);
        } else break;
        const rip = Number(m.cpu.getRip());
        if (rip < CODE_BASE || rip >= CODE_BASE + code.length) break;
      }
    }
    expect(executed).toBeGreaterThan(1000);
    expect(seen.has(StopReason.Exception)).toBe(true);
  });
});
