/**
 * The boundary between the processor and whoever owns it (a machine, the gdb stub, dumpcore, the
 * differential tests). The CPU knows nothing of Solo5: port I/O goes to an IoBus, and anything
 * the CPU cannot continue past comes back from `run` as a StopReason.
 *
 * 64-bit values cross this boundary as bigint: these calls are made outside the hot loop.
 */
import type { GuestMemory } from './memory.js';

/** Port I/O as the owner sees it. When `portOut` runs, RIP already points past the OUT. */
export interface IoBus {
  portOut(port: number, size: 1 | 2 | 4, value: number): void;
  portIn(port: number, size: 1 | 2 | 4): number;
}

export const StopReason = {
  /** `run` executed its whole instruction budget. */
  BudgetExhausted: 0,
  /** `requestStop()` was called (by an I/O handler, or by the owner between slices). */
  Requested: 1,
  /** HLT executed; RIP points past it. */
  Halted: 2,
  /** An exception could not be delivered even as #DF; stopInfo has the last vector. */
  TripleFault: 3,
  /** A guest store hit a PAGE_HOST_READONLY page; the store did not happen. stopInfo.address. */
  HostFault: 4,
  /** RIP reached a debug breakpoint before executing it. */
  Breakpoint: 5,
  /** One instruction completed with single-stepping on. */
  SingleStep: 6,
  /** A watched access completed; stopInfo.address and stopInfo.watchKind say which. */
  Watchpoint: 7,
  /** An exception was raised while interceptExceptions is set; it is held, not yet delivered. */
  Exception: 8,
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

export type WatchKind = 'write' | 'read' | 'access';

/** Details of the last stop; fields not relevant to it are left as they were. */
export interface StopInfo {
  /** Exception vector (Exception, TripleFault). */
  vector: number;
  /** Error code pushed with the exception, or -1 when it has none. */
  errorCode: number;
  /** Linear address: faulting store (HostFault), watched address (Watchpoint), CR2 (#PF). */
  address: bigint;
  /** RIP of the instruction that caused the stop. */
  rip: bigint;
  watchKind: WatchKind;
}

/** Segment registers in hardware encoding order. */
export const Seg = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5 } as const;

/** A segment register with its hidden part (descriptor cache). */
export interface SegmentState {
  selector: number;
  base: bigint;
  limit: number;
  /** Descriptor attribute bits as in bytes 5..6 of a descriptor: type(4) S DPL(2) P | AVL L D/B G (bits 12..15). */
  attributes: number;
}

export interface TableRegister {
  base: bigint;
  limit: number;
}

export interface CpuOptions {
  /** Frequency at which RDTSC advances, in Hz (the machine announces it to the guest). */
  tscHz: number;
  /** Host monotonic clock in nanoseconds; defaults to process.hrtime. Tests may pin it. */
  nowNs?: () => number;
  /**
   * Executions of an address before its block is translated to JavaScript (default 40); 0
   * turns the translator off, so every instruction goes through the interpreter.
   */
  jitThreshold?: number;
}

export interface Processor {
  readonly memory: GuestMemory;
  readonly io: IoBus;
  readonly stopInfo: StopInfo;
  /** Instructions completed since reset (a double: exact up to 2^53). */
  readonly instructionsRetired: number;

  /**
   * Runs until a stop reason or until `budget` instructions have completed. Calling it again after
   * a Breakpoint stop executes the instruction at the breakpoint; after an Exception stop it first
   * delivers the held exception (unless `discardPendingException` was called).
   */
  run(budget: number): StopReason;
  /** Ends the current `run` after the instruction in progress completes. */
  requestStop(): void;

  /** General registers in encoding order: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8..15 R8..R15. */
  getGpr(index: number): bigint;
  setGpr(index: number, value: bigint): void;
  getRip(): bigint;
  setRip(value: bigint): void;
  getRflags(): number;
  setRflags(value: number): void;
  getSegment(seg: number): SegmentState;
  setSegment(seg: number, state: SegmentState): void;
  getGdtr(): TableRegister;
  setGdtr(value: TableRegister): void;
  getIdtr(): TableRegister;
  setIdtr(value: TableRegister): void;
  getTr(): SegmentState;
  setTr(state: SegmentState): void;
  /** CR0, CR2, CR3, CR4, CR8. Writing CR0/CR3/CR4 re-evaluates the mode and flushes the TLB. */
  getControl(n: number): bigint;
  setControl(n: number, value: bigint): void;
  /** Model-specific registers by index (EFER 0xC0000080, FS_BASE 0xC0000100 …); undefined if unknown. */
  getMsr(index: number): bigint | undefined;
  setMsr(index: number, value: bigint): boolean;
  /** x87, MMX and SSE state as the 512-byte FXSAVE image (64-bit layout). */
  getFxsave(): Uint8Array;
  setFxsave(image: Uint8Array): void;

  /** Linear → physical through the current page tables, without side effects; -1 if unmapped. */
  translate(linear: bigint, write: boolean): number;
  /** Reads linear memory for a debugger; null if any byte is unmapped. */
  readLinear(linear: bigint, length: number): Uint8Array | null;
  /** Writes linear memory for a debugger (ignores host read-only pages); false if unmapped. */
  writeLinear(linear: bigint, data: Uint8Array): boolean;

  addBreakpoint(linear: bigint): void;
  removeBreakpoint(linear: bigint): void;
  addWatchpoint(linear: bigint, length: number, kind: WatchKind): void;
  removeWatchpoint(linear: bigint, length: number, kind: WatchKind): void;
  singleStep: boolean;
  /** When set, guest exceptions stop `run` (StopReason.Exception) before they are delivered. */
  interceptExceptions: boolean;
  discardPendingException(): void;

  /** External interrupt input for platform devices (8259 and friends); delivered when IF=1. */
  raiseInterrupt(vector: number): void;
}
