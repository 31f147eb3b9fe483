/**
 * A register-and-memory-only Processor for gdb protocol tests: it never executes instructions.
 * Linear addresses map one to one onto guest memory, except page 0 and everything past the end
 * of memory, which are unmapped. It records what a debugger asked of it.
 */
import {
  StopReason, type IoBus, type Processor, type SegmentState, type StopInfo, type TableRegister, type WatchKind,
} from '../../cpu/interface.js';
import { GuestMemory } from '../../cpu/memory.js';

export class FakeProcessor implements Processor {
  readonly memory: GuestMemory;
  readonly io: IoBus = { portOut: () => {}, portIn: () => 0 };
  readonly stopInfo: StopInfo = { vector: 0, errorCode: -1, address: 0n, rip: 0n, watchKind: 'write' };
  readonly instructionsRetired = 0;

  readonly gprs: bigint[] = new Array<bigint>(16).fill(0n);
  rip = 0n;
  rflags = 0x2;
  readonly segments: SegmentState[] = Array.from({ length: 6 }, () => ({ selector: 0, base: 0n, limit: 0xffffffff, attributes: 0 }));
  fxsave = new Uint8Array(512);
  readonly breakpoints = new Set<bigint>();
  readonly watchpoints: Array<{ linear: bigint; length: number; kind: WatchKind }> = [];
  singleStep = false;
  interceptExceptions = false;
  discardCount = 0;
  /** Makes addWatchpoint throw, as a CPU that cannot track a range would. */
  refuseWatchpoints = false;

  constructor(memorySize = 64 * 1024) {
    this.memory = new GuestMemory(memorySize);
  }

  run(): StopReason {
    throw new Error('FakeProcessor does not execute instructions');
  }
  requestStop(): void {}

  getGpr(index: number): bigint { return this.gprs[index]; }
  setGpr(index: number, value: bigint): void { this.gprs[index] = BigInt.asUintN(64, value); }
  getRip(): bigint { return this.rip; }
  setRip(value: bigint): void { this.rip = value; }
  getRflags(): number { return this.rflags; }
  setRflags(value: number): void { this.rflags = value; }
  getSegment(seg: number): SegmentState { return { ...this.segments[seg] }; }
  setSegment(seg: number, state: SegmentState): void { this.segments[seg] = { ...state }; }
  getGdtr(): TableRegister { return { base: 0n, limit: 0 }; }
  setGdtr(): void {}
  getIdtr(): TableRegister { return { base: 0n, limit: 0 }; }
  setIdtr(): void {}
  getTr(): SegmentState { return { selector: 0, base: 0n, limit: 0, attributes: 0 }; }
  setTr(): void {}
  getControl(): bigint { return 0n; }
  setControl(): void {}
  getMsr(): bigint | undefined { return undefined; }
  setMsr(): boolean { return false; }
  getFxsave(): Uint8Array { return this.fxsave.slice(); }
  setFxsave(image: Uint8Array): void { this.fxsave = image.slice(); }

  translate(linear: bigint): number {
    return linear >= 0x1000n && linear < BigInt(this.memory.size) ? Number(linear) : -1;
  }
  readLinear(linear: bigint, length: number): Uint8Array | null {
    if (length === 0) return new Uint8Array(0);
    if (this.translate(linear) < 0 || this.translate(linear + BigInt(length - 1)) < 0) return null;
    return this.memory.u8.slice(Number(linear), Number(linear) + length);
  }
  writeLinear(linear: bigint, data: Uint8Array): boolean {
    if (data.length === 0) return true;
    if (this.translate(linear) < 0 || this.translate(linear + BigInt(data.length - 1)) < 0) return false;
    this.memory.u8.set(data, Number(linear));
    return true;
  }

  addBreakpoint(linear: bigint): void { this.breakpoints.add(linear); }
  removeBreakpoint(linear: bigint): void { this.breakpoints.delete(linear); }
  addWatchpoint(linear: bigint, length: number, kind: WatchKind): void {
    if (this.refuseWatchpoints) throw new RangeError('watch range not supported');
    this.watchpoints.push({ linear, length, kind });
  }
  removeWatchpoint(linear: bigint, length: number, kind: WatchKind): void {
    const i = this.watchpoints.findIndex((w) => w.linear === linear && w.length === length && w.kind === kind);
    if (i >= 0) this.watchpoints.splice(i, 1);
  }
  discardPendingException(): void { this.discardCount++; }
  raiseInterrupt(): void {}
}
