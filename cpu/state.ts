/**
 * The architectural register file, kept in forms V8 handles without allocation:
 * 64-bit registers are (lo, hi) pairs of signed 32-bit words in one Int32Array (int32 values stay
 * small integers in V8, uint32 ones would often be boxed as doubles). The instruction families
 * work on these words directly; bigint only appears at the Processor API boundary.
 */
import type { GuestMemory } from './memory.js';

/** RFLAGS bits. */
export const CF = 1 << 0;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const IOPL = 3 << 12;
export const NT = 1 << 14;
export const RF = 1 << 16;
export const VM = 1 << 17;
export const AC = 1 << 18;
export const ID = 1 << 21;
/** The six arithmetic flags the lazy-flag machinery computes. */
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
/** Bits software can change through POPF/IRET at CPL 0 in 64-bit mode. */
export const WRITABLE_FLAGS = ARITH_FLAGS | TF | IF | DF | IOPL | NT | RF | AC | ID;

export const CR0_PE = 1 << 0;
export const CR0_MP = 1 << 1;
export const CR0_EM = 1 << 2;
export const CR0_TS = 1 << 3;
export const CR0_NE = 1 << 5;
export const CR0_WP = 1 << 16;
export const CR0_AM = 1 << 18;
export const CR0_PG = 1 << 31;
export const CR4_PAE = 1 << 5;
export const CR4_PGE = 1 << 7;
export const CR4_OSFXSR = 1 << 9;
export const CR4_OSXMMEXCPT = 1 << 10;
export const EFER_SCE = 1 << 0;
export const EFER_LME = 1 << 8;
export const EFER_LMA = 1 << 10;
export const EFER_NXE = 1 << 11;

/** Register numbers in encoding order. */
export const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

export class CpuState {
  readonly memory: GuestMemory;
  /** GPR n: lo word at r[2n], hi word at r[2n+1]. */
  readonly r = new Int32Array(32);
  /** Address of the next instruction while one executes (so RIP-relative and jumps use it). */
  ripLo = 0;
  ripHi = 0;
  /** Address of the instruction executing now (faults restore RIP to it). */
  curLo = 0;
  curHi = 0;

  /** RFLAGS bits other than the six arithmetic ones (those live in the lazy-flag fields). */
  flagsRest = 0x2;
  /** Lazy flags: which operation produced them, its size in bytes, operands and result. */
  lop = 0;
  lsize = 4;
  lres = 0;
  lresHi = 0;
  la = 0;
  laHi = 0;
  lb = 0;
  lbHi = 0;
  /** Carry-in for ADC/SBB, the preserved CF for INC/DEC, or the full flag word for eager ops. */
  lextra = 0;

  /** Segments in hardware order ES CS SS DS FS GS: selector, base (lo/hi), limit, attributes. */
  readonly segSel = new Int32Array(6);
  readonly segBase = new Int32Array(12);
  readonly segLimit = new Int32Array(6);
  readonly segAttr = new Int32Array(6);
  gdtBaseLo = 0;
  gdtBaseHi = 0;
  gdtLimit = 0;
  idtBaseLo = 0;
  idtBaseHi = 0;
  idtLimit = 0;
  trSel = 0;
  trBaseLo = 0;
  trBaseHi = 0;
  trLimit = 0;
  trAttr = 0x8b;
  ldtrSel = 0;

  cr0 = 0x60000010;
  cr2Lo = 0;
  cr2Hi = 0;
  cr3Lo = 0;
  cr3Hi = 0;
  cr4 = 0;
  cr8 = 0;
  efer = 0;
  /** MSR-backed state. */
  kernelGsBaseLo = 0;
  kernelGsBaseHi = 0;
  patLo = 0x00070406;
  patHi = 0x00070406;
  miscEnableLo = 1;
  tscAux = 0;
  /** MSRs with plain storage (SYSENTER_*, STAR, LSTAR, CSTAR, SFMASK) as lo/hi pairs. */
  readonly storedMsrs = new Int32Array(16);
  /** DR0..DR7 as lo/hi pairs (stored only). */
  readonly dr = new Int32Array(16);
  /** Added to the host-derived TSC; changed by writes to the TSC MSR. */
  tscOffset = 0;
  /** Last TSC value handed out, so the counter never goes backwards. */
  tscLast = 0;

  /**
   * XMM0..15 as 16 × 16 bytes, with views of every lane width over the same bytes. Slots 16 to
   * 18 are scratch: a memory source operand, results held back until MXCSR says they commit, and
   * an MMX destination operand (MMX shares the XMM packed-integer kernels).
   */
  readonly xmmBuf = new ArrayBuffer(19 * 16);
  readonly x8 = new Uint8Array(this.xmmBuf);
  readonly xs8 = new Int8Array(this.xmmBuf);
  readonly x16 = new Uint16Array(this.xmmBuf);
  readonly xs16 = new Int16Array(this.xmmBuf);
  readonly x32 = new Int32Array(this.xmmBuf);
  readonly xf32 = new Float32Array(this.xmmBuf);
  readonly xf64 = new Float64Array(this.xmmBuf);
  mxcsr = 0x1f80;
  /** x87: control and status words (TOP in FSW 13..11), abridged tags (bit p = physical reg p in use). */
  fcw = 0x37f;
  fsw = 0;
  ftw = 0;
  /** x87 physical registers R0..R7, 80-bit: sign/exponent, significand high and low words. */
  readonly fpSe = new Uint16Array(8);
  readonly fpHi = new Uint32Array(8);
  readonly fpLo = new Uint32Array(8);

  constructor(memory: GuestMemory) {
    this.memory = memory;
  }

  get cpl(): number {
    return this.segSel[1] & 3;
  }

  /** In 64-bit mode (EFER.LMA and CS.L) — the only mode this processor executes for now. */
  get longMode64(): boolean {
    return (this.efer & EFER_LMA) !== 0 && (this.segAttr[1] & 0x2000) !== 0;
  }

  // ---- general registers by size -----------------------------------------------------------

  /** Reads an 8-bit register by its decoded code: 0..15 low bytes, 16..19 AH CH DH BH. */
  getR8(code: number): number {
    return code < 16 ? this.r[code << 1] & 0xff : (this.r[(code - 16) << 1] >>> 8) & 0xff;
  }

  setR8(code: number, v: number): void {
    if (code < 16) {
      const k = code << 1;
      this.r[k] = (this.r[k] & ~0xff) | (v & 0xff);
    } else {
      const k = (code - 16) << 1;
      this.r[k] = (this.r[k] & ~0xff00) | ((v & 0xff) << 8);
    }
  }

  getR16(n: number): number {
    return this.r[n << 1] & 0xffff;
  }

  setR16(n: number, v: number): void {
    const k = n << 1;
    this.r[k] = (this.r[k] & ~0xffff) | (v & 0xffff);
  }

  /** 32-bit writes zero the upper half, as in hardware. */
  setR32(n: number, v: number): void {
    this.r[n << 1] = v;
    this.r[(n << 1) + 1] = 0;
  }

  setR64(n: number, lo: number, hi: number): void {
    this.r[n << 1] = lo;
    this.r[(n << 1) + 1] = hi;
  }

  /** Reads a register of `size` bytes (1 uses the 8-bit code numbering); 64-bit returns the lo word. */
  getReg(size: number, n: number): number {
    switch (size) {
      case 1:
        return this.getR8(n);
      case 2:
        return this.r[n << 1] & 0xffff;
      default:
        return this.r[n << 1];
    }
  }

  /** Writes a register of `size` bytes; `hi` is used only for size 8. */
  setReg(size: number, n: number, lo: number, hi: number): void {
    switch (size) {
      case 1:
        this.setR8(n, lo);
        break;
      case 2:
        this.setR16(n, lo);
        break;
      case 4:
        this.r[n << 1] = lo;
        this.r[(n << 1) + 1] = 0;
        break;
      default:
        this.r[n << 1] = lo;
        this.r[(n << 1) + 1] = hi;
    }
  }
}

/** Truncates a value to `size` bytes (unsigned for 1 and 2, int32 for 4 and 8's lo word). */
export function trunc(size: number, v: number): number {
  return size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v | 0;
}

/** Sign-extends the low `size` bytes of v to int32. */
export function sext(size: number, v: number): number {
  return size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
}
