/**
 * A Processor that executes nothing: it records what the machine sets so tests can inspect the
 * boot state, and `run` replays stop reasons a test scripts (calling the I/O bus in between, as a
 * guest's OUT instructions would).
 */
import {
  StopReason, type CpuOptions, type IoBus, type Processor, type SegmentState, type StopInfo, type TableRegister,
  type WatchKind,
} from '../../cpu/interface.js';
import type { GuestMemory } from '../../cpu/memory.js';

export type ScriptStep = (cpu: FakeProcessor) => StopReason;

export class FakeProcessor implements Processor {
  readonly stopInfo: StopInfo = { vector: 0, errorCode: -1, address: 0n, rip: 0n, watchKind: 'write' };
  instructionsRetired = 0;
  readonly gpr: bigint[] = new Array<bigint>(16).fill(0n);
  rip = 0n;
  rflags = 0;
  readonly segments: SegmentState[] = [];
  gdtr: TableRegister = { base: 0n, limit: 0 };
  idtr: TableRegister = { base: 0n, limit: 0 };
  tr: SegmentState = { selector: 0, base: 0n, limit: 0, attributes: 0 };
  readonly control = new Map<number, bigint>();
  readonly msrs = new Map<number, bigint>();
  fxsave = new Uint8Array(512);
  singleStep = false;
  interceptExceptions = false;
  stopRequested = false;
  /** Steps `run` executes, one per call; with none left it reports a triple fault. */
  readonly script: ScriptStep[] = [];

  constructor(readonly memory: GuestMemory, readonly io: IoBus, readonly options: CpuOptions) {
    for (let i = 0; i < 6; i++) this.segments.push({ selector: 0, base: 0n, limit: 0, attributes: 0 });
  }

  run(_budget: number): StopReason {
    this.stopRequested = false;
    const step = this.script.shift();
    if (step === undefined) return StopReason.TripleFault;
    const reason = step(this);
    return this.stopRequested ? StopReason.Requested : reason;
  }
  requestStop(): void {
    this.stopRequested = true;
  }
  getGpr(i: number): bigint { return this.gpr[i]; }
  setGpr(i: number, v: bigint): void { this.gpr[i] = v; }
  getRip(): bigint { return this.rip; }
  setRip(v: bigint): void { this.rip = v; }
  getRflags(): number { return this.rflags; }
  setRflags(v: number): void { this.rflags = v; }
  getSegment(s: number): SegmentState { return this.segments[s]; }
  setSegment(s: number, st: SegmentState): void { this.segments[s] = { ...st }; }
  getGdtr(): TableRegister { return this.gdtr; }
  setGdtr(v: TableRegister): void { this.gdtr = { ...v }; }
  getIdtr(): TableRegister { return this.idtr; }
  setIdtr(v: TableRegister): void { this.idtr = { ...v }; }
  getTr(): SegmentState { return this.tr; }
  setTr(st: SegmentState): void { this.tr = { ...st }; }
  getControl(n: number): bigint { return this.control.get(n) ?? 0n; }
  setControl(n: number, v: bigint): void { this.control.set(n, v); }
  getMsr(i: number): bigint | undefined { return this.msrs.get(i); }
  setMsr(i: number, v: bigint): boolean { this.msrs.set(i, v); return true; }
  getFxsave(): Uint8Array { return this.fxsave; }
  setFxsave(img: Uint8Array): void { this.fxsave = new Uint8Array(img); }
  translate(linear: bigint): number { return Number(linear); }
  readLinear(linear: bigint, length: number): Uint8Array | null { return this.memory.u8.slice(Number(linear), Number(linear) + length); }
  writeLinear(linear: bigint, data: Uint8Array): boolean { this.memory.u8.set(data, Number(linear)); return true; }
  addBreakpoint(_l: bigint): void {}
  removeBreakpoint(_l: bigint): void {}
  addWatchpoint(_l: bigint, _n: number, _k: WatchKind): void {}
  removeWatchpoint(_l: bigint, _n: number, _k: WatchKind): void {}
  discardPendingException(): void {}
  raiseInterrupt(_v: number): void {}
}
