/**
 * Debugger access to guest memory through the guest's page tables. Reads stop at the first
 * unmapped page (gdb accepts a short read); nothing the debugger asks for can fault the tender.
 */
import type { Processor } from '../../cpu/interface.js';

const PAGE = 4096n;

/** Up to `length` bytes from `address`; null when not even the first byte is mapped. */
export function readGuest(cpu: Processor, address: bigint, length: number): Uint8Array | null {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const at = BigInt.asUintN(64, address + BigInt(done));
    const chunk = Math.min(length - done, Number(PAGE - (at % PAGE)));
    const bytes = cpu.readLinear(at, chunk);
    if (bytes === null) break;
    out.set(bytes, done);
    done += chunk;
  }
  return done === 0 && length > 0 ? null : out.subarray(0, done);
}

/** Writes all of `data`, or nothing when any page of the range is unmapped (then false). */
export function writeGuest(cpu: Processor, address: bigint, data: Uint8Array): boolean {
  if (data.length === 0) return true;
  const start = BigInt.asUintN(64, address);
  // Check every page first so that a write straddling into an unmapped page changes nothing.
  for (let offset = 0n; offset < BigInt(data.length); offset = offset - ((start + offset) % PAGE) + PAGE) {
    if (cpu.translate(BigInt.asUintN(64, start + offset), false) < 0) return false;
  }
  return cpu.writeLinear(start, data);
}
