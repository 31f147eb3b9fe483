/**
 * Breakpoints and watchpoints gdb asked for (Z0..Z4), reference-counted per request so that a
 * repeated insert and the matching removes balance. The CPU does the trapping: guest memory is
 * never patched, so software and hardware breakpoints differ only in how the stop is reported.
 */
import type { Processor, WatchKind } from '../../cpu/interface.js';

export type BreakKind = 'software' | 'hardware';

const WATCH_KINDS: Record<number, WatchKind> = { 2: 'write', 3: 'read', 4: 'access' };

export class BreakpointTable {
  /** Per address: how many software and hardware inserts are live. */
  private readonly breaks = new Map<bigint, { software: number; hardware: number }>();
  private readonly watches = new Map<string, { address: bigint; length: number; kind: WatchKind; count: number }>();

  constructor(private readonly cpu: Processor) {}

  /** Z packet type 0..4; false for an unknown type or length. */
  insert(type: number, address: bigint, length: number): boolean {
    if (type === 0 || type === 1) {
      const entry = this.breaks.get(address) ?? { software: 0, hardware: 0 };
      if (entry.software + entry.hardware === 0) this.cpu.addBreakpoint(address);
      entry[type === 0 ? 'software' : 'hardware']++;
      this.breaks.set(address, entry);
      return true;
    }
    const kind = WATCH_KINDS[type];
    if (kind === undefined || length <= 0) return false;
    const key = `${kind}:${address}:${length}`;
    const entry = this.watches.get(key);
    if (entry) entry.count++;
    else {
      this.cpu.addWatchpoint(address, length, kind);
      this.watches.set(key, { address, length, kind, count: 1 });
    }
    return true;
  }

  /** Removing something that is not inserted is not an error: gdb may retry after a failure. */
  remove(type: number, address: bigint, length: number): boolean {
    if (type === 0 || type === 1) {
      const entry = this.breaks.get(address);
      const field = type === 0 ? 'software' : 'hardware';
      if (!entry || entry[field] === 0) return true;
      entry[field]--;
      if (entry.software + entry.hardware === 0) {
        this.breaks.delete(address);
        this.cpu.removeBreakpoint(address);
      }
      return true;
    }
    const kind = WATCH_KINDS[type];
    if (kind === undefined) return false;
    const key = `${kind}:${address}:${length}`;
    const entry = this.watches.get(key);
    if (entry && --entry.count === 0) {
      this.watches.delete(key);
      this.cpu.removeWatchpoint(address, length, kind);
    }
    return true;
  }

  /** How a breakpoint stop at `address` is reported: software wins when both kinds are set. */
  kindAt(address: bigint): BreakKind | null {
    const entry = this.breaks.get(address);
    if (!entry) return null;
    return entry.software > 0 ? 'software' : 'hardware';
  }

  /** Drops everything (detach, disconnect): the guest then runs without the debugger. */
  clear(): void {
    for (const address of this.breaks.keys()) this.cpu.removeBreakpoint(address);
    for (const w of this.watches.values()) this.cpu.removeWatchpoint(w.address, w.length, w.kind);
    this.breaks.clear();
    this.watches.clear();
  }
}
