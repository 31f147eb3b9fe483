/**
 * One differential test case: an instruction, the machine state before it, and what the host CPU
 * did with it. Shared by the generator, the native runner bridge, the case store and the replay.
 */

/** Fixed addresses (identity-mapped in the emulator, MAP_FIXED in the native runner). */
export const CODE_PAGE = 0x1000_0000;
/** The instruction sits mid-page so that short branches either way land inside the page. */
export const CODE_ENTRY = CODE_PAGE + 0x800;
export const DATA_BASE = 0x2000_0000;
export const DATA_SIZE = 8192;
/** Initial RSP: the middle of the data area, so pushes and pops stay inside it. */
export const STACK_TOP = DATA_BASE + 0x1000;

/** Architectural RFLAGS bits the tests set and compare. */
export const FLAG_CF = 0x1;
export const FLAG_PF = 0x4;
export const FLAG_AF = 0x10;
export const FLAG_ZF = 0x40;
export const FLAG_SF = 0x80;
export const FLAG_DF = 0x400;
export const FLAG_OF = 0x800;
export const STATUS_FLAGS = FLAG_CF | FLAG_PF | FLAG_AF | FLAG_ZF | FLAG_SF | FLAG_OF;
export const RFLAGS_FIXED = 0x2;

export interface CaseInput {
  /** iced-x86 Code name of the form this case exercises. */
  form: string;
  code: Uint8Array;
  gpr: bigint[];
  rflags: number;
  mxcsr: number;
  /** Seed of the data-area fill (see fillData). */
  dataSeed: number;
  /** XMM0..15, 16 bytes each, little-endian. */
  xmm: Uint8Array;
  /** Bytes laid over the fill at `patchOffset`, so memory operands get edge values too. */
  patchOffset: number;
  patch: Uint8Array;
  /** MM0..7, 8 bytes each (the x87 unit starts in MMX state: TOP 0, all tags valid). */
  mm: Uint8Array;
}

export interface CaseOutput {
  /** Exception vector, or -1 when the instruction completed. */
  vector: number;
  gpr: bigint[];
  rip: bigint;
  rflags: number;
  mxcsr: number;
  xmm: Uint8Array;
  /** Data-area bytes that changed: [offset, new value]. */
  memory: Array<[number, number]>;
  /** MM0..7 after the instruction, and the abridged x87 tag word (EMMS empties it). */
  mm: Uint8Array;
  ftw: number;
}

export interface DiffCase {
  input: CaseInput;
  expected: CaseOutput;
}

/** Register values for GPRs a case does not care about: distinctive, so clobbering shows. */
export function defaultGpr(index: number): bigint {
  return 0x0101_0101_0101_0101n * BigInt(index + 1) ^ 0xa000_0000_0000_0000n;
}

export function defaultXmmByte(register: number, byte: number): number {
  return (0x40 + register * 16 + byte) & 0xff;
}

export function defaultMmByte(register: number, byte: number): number {
  return (0x90 + register * 8 + byte) & 0xff;
}

export function defaultMm(): Uint8Array {
  const mm = new Uint8Array(64);
  for (let r = 0; r < 8; r++) for (let b = 0; b < 8; b++) mm[r * 8 + b] = defaultMmByte(r, b);
  return mm;
}

/** The abridged tag word in MMX state: all registers valid. */
export const MMX_FTW = 0xff;

/** The data area's initial content: xorshift32 words. The native runner has the same function. */
export function fillData(target: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 0x9e3779b9;
  const view = new DataView(target.buffer, target.byteOffset, DATA_SIZE);
  for (let i = 0; i < DATA_SIZE; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    view.setUint32(i, x, true);
  }
}

/** The data area as a case starts it: fill plus patch. */
export function initialData(input: CaseInput): Uint8Array {
  const data = new Uint8Array(DATA_SIZE);
  fillData(data, input.dataSeed);
  data.set(input.patch, input.patchOffset);
  return data;
}
