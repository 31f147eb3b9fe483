/**
 * Linear-address access: 4-level paging (4 KiB / 2 MiB / 1 GiB pages), permission checks, A/D
 * bits, #PF/#GP, and a software TLB of 4 KiB entries.
 *
 * The TLB keeps one tag array per access kind (read, write, execute): an entry's tag is set in
 * `tlbWrite` only if a write through it needs no further work (page writable, dirty bit already
 * set, not host-read-only, holds no decoded code, not watched). So each fast path is one index
 * computation and two compares. The index hashes upper page-number bits into the low ones so that
 * streams exactly 16 MiB (or any power of two ≥ the TLB span) apart do not evict each other.
 *
 * Alignment checking (#AC: CR0.AM, RFLAGS.AC and CPL 3) costs the fast paths nothing: while it
 * is on, no read or write TLB entry is filled, so every data access reaches `xlate`, which checks.
 */
import { AC_VEC, FAULT, GP, PF_VEC, STOP } from './fault.js';
import { StopReason } from './interface.js';
import { PAGE_HAS_CODE, PAGE_HOST_READONLY } from './memory.js';
import { AC, CR0_AM, CR0_PG, CR0_WP, CpuState, EFER_NXE } from './state.js';

export const TLB_SIZE = 4096;
const TLB_MASK = TLB_SIZE - 1;
/** A tag no page-aligned address can have. */
const NO_TAG = -1;

export const ACC_READ = 0;
export const ACC_WRITE = 1;
export const ACC_EXEC = 2;

export function tlbIndex(lo: number, hi: number): number {
  return ((lo >>> 12) ^ (lo >>> 24) ^ (hi << 4) ^ (hi >>> 12)) & TLB_MASK;
}

export interface WatchRange {
  lo: number;
  hi: number;
  length: number;
  kind: 'write' | 'read' | 'access';
}

export class Mmu extends CpuState {
  readonly u8: Uint8Array;
  readonly view: DataView;
  readonly pageFlags: Uint8Array;
  readonly tlbRead = new Int32Array(TLB_SIZE).fill(NO_TAG);
  readonly tlbWrite = new Int32Array(TLB_SIZE).fill(NO_TAG);
  readonly tlbExec = new Int32Array(TLB_SIZE).fill(NO_TAG);
  /**
   * Writable pages that hold decoded code: writes there take the slow path (to check whether
   * they touch decoded bytes) but need no page walk.
   */
  readonly tlbCodeWrite = new Int32Array(TLB_SIZE).fill(NO_TAG);
  readonly tlbHi = new Int32Array(TLB_SIZE);
  /** Physical page addresses, stored as int32 (read them with `>>> 0`: memory may be 4 GiB). */
  readonly tlbPhys = new Int32Array(TLB_SIZE);

  /** Exception raised by the current instruction (read by the run loop after FAULT). */
  excVector = 0;
  excError = -1;
  /** Stop reason and address for STOP. */
  stopCode: number = StopReason.BudgetExhausted;
  stopAddrLo = 0;
  stopAddrHi = 0;

  /** Debug watch ranges; when non-empty, watched pages bypass the TLB. */
  readonly watches: WatchRange[] = [];
  /** Set by an access that hit a watch range; the run loop stops after the instruction. */
  watchHit = false;
  watchHitLo = 0;
  watchHitHi = 0;
  watchHitKind: 'write' | 'read' | 'access' = 'write';

  /** Effective address of the memory operand of the current instruction. */
  eaLo = 0;
  eaHi = 0;
  /** Hi word of the last 64-bit read. */
  rhi = 0;

  /**
   * CR0.AM, RFLAGS.AC and CPL 3 all hold: 2-, 4- and 8-byte data accesses must be aligned
   * (#AC(0)). Kept by `updateAlignCheck`; while set the read/write TLB stays empty.
   */
  alignCheck = false;
  /**
   * Set while an instruction moves a multi-part image that the hardware does not check piece by
   * piece (the x87 environment/state, SGDT/SIDT). `updateAlignCheck` clears it, so a fault in
   * the middle cannot leave it set past the exception's delivery.
   */
  alignExempt = false;

  constructor(memory: import('./memory.js').GuestMemory) {
    super(memory);
    this.u8 = memory.u8;
    this.view = memory.view;
    this.pageFlags = memory.pageFlags;
  }

  /** Raises a CPU exception: unwinds the current instruction. */
  raise(vector: number, errorCode: number): never {
    this.excVector = vector;
    this.excError = errorCode;
    throw FAULT;
  }

  /** Called when a guest write reaches a page that holds decoded code (the CPU overrides it). */
  codeWritten(_page: number): void {}

  /**
   * Whether a write of `length` bytes at `offset` of physical page `page` touches bytes of
   * decoded instructions (the CPU overrides it; by default any write to a code page does).
   */
  codeWriteOverlaps(_page: number, _offset: number, _length: number): boolean {
    return true;
  }

  /** A write to a page holding decoded code: drops the code if the written bytes overlap it. */
  private writeToCodePage(page: number, offset: number, length: number): void {
    if (this.codeWriteOverlaps(page, offset, Math.min(length, 4096 - offset))) {
      this.pageFlags[page] &= ~PAGE_HAS_CODE;
      this.codeWritten(page);
    }
  }

  /**
   * The vector of a non-canonical data access: #GP here; the CPU answers #SS for stack-segment
   * operands.
   */
  nonCanonicalVector(): number {
    return GP;
  }

  /** Called when an access hits a watch range (the CPU overrides it to stop after the instruction). */
  noteWatch(): void {}

  /** Recomputes `alignCheck` after CR0, RFLAGS or CPL may have changed. */
  updateAlignCheck(): void {
    this.alignExempt = false;
    const on = (this.cr0 & CR0_AM) !== 0 && (this.flagsRest & AC) !== 0 && this.cpl === 3;
    if (on === this.alignCheck) return;
    this.alignCheck = on;
    // Drop the fast-path entries filled before, so that every access is checked from now on.
    if (on) this.flushTlb();
  }

  flushTlb(): void {
    this.tlbRead.fill(NO_TAG);
    this.tlbWrite.fill(NO_TAG);
    this.tlbExec.fill(NO_TAG);
    this.tlbCodeWrite.fill(NO_TAG);
  }

  flushTlbPage(lo: number, hi: number): void {
    const i = tlbIndex(lo, hi);
    this.tlbRead[i] = NO_TAG;
    this.tlbWrite[i] = NO_TAG;
    this.tlbExec[i] = NO_TAG;
    this.tlbCodeWrite[i] = NO_TAG;
  }

  /** Removes write permission from every TLB entry mapping physical page `page`. */
  revokeWrite(page: number): void {
    const base = page << 12;
    for (let i = 0; i < TLB_SIZE; i++) {
      if (this.tlbPhys[i] === base && this.tlbWrite[i] !== NO_TAG) {
        this.tlbCodeWrite[i] = this.tlbWrite[i];
        this.tlbWrite[i] = NO_TAG;
      }
    }
  }

  // ---- translation ------------------------------------------------------------------------

  /** Result of the last walk: permissions. */
  protected walkWritable = false;
  private walkUser = false;
  private walkNx = false;
  private walkDirty = false;

  private pageFault(lo: number, hi: number, err: number): never {
    this.cr2Lo = lo;
    this.cr2Hi = hi;
    this.raise(PF_VEC, err);
  }

  /**
   * Walks the page tables for linear (lo, hi). Returns the physical address of the 4 KiB page, or
   * -1 with `faultErr` set if not mapped (not present or reserved bits). Sets A bits (and D for
   * writes) only when `update` is set and the access is permitted.
   */
  private faultErr = 0;
  private readonly walkIndex = new Int32Array(4);
  private readonly walkEntries = new Float64Array(4);
  walk(lo: number, hi: number, kind: number, update: boolean, userAccess = this.cpl === 3): number {
    if ((this.cr0 & CR0_PG) === 0) {
      this.walkWritable = true;
      this.walkUser = true;
      this.walkNx = false;
      this.walkDirty = true;
      return hi === 0 ? lo & ~0xfff : -1;
    }
    const view = this.view;
    const size = this.memory.size;
    const nxe = (this.efer & EFER_NXE) !== 0;
    let table = (this.cr3Lo & ~0xfff) >>> 0;
    let writable = true;
    let user = true;
    let nx = false;
    const idx = this.walkIndex;
    const entries = this.walkEntries;
    idx[0] = (hi >>> 7) & 0x1ff;
    idx[1] = ((hi & 0x7f) << 2) | (lo >>> 30);
    idx[2] = (lo >>> 21) & 0x1ff;
    idx[3] = (lo >>> 12) & 0x1ff;
    let level = 0;
    let phys = -1;
    for (; level < 4; level++) {
      const addr = table + idx[level] * 8;
      if (this.cr3Hi !== 0 || addr + 8 > size) {
        this.faultErr = 0;
        return -1;
      }
      const eLo = view.getInt32(addr, true);
      const eHi = view.getInt32(addr + 4, true);
      entries[level] = addr;
      if ((eLo & 1) === 0) {
        this.faultErr = 0;
        return -1;
      }
      // Bits 51..40 are above MAXPHYADDR; bit 63 is reserved without NXE.
      if ((eHi & 0x000fff00) !== 0 || (!nxe && eHi < 0)) {
        this.faultErr = 1 | 8;
        return -1;
      }
      // Physical addresses above 4 GiB hold no memory here.
      if ((eHi & 0xff) !== 0) {
        this.faultErr = 0;
        return -1;
      }
      writable = writable && (eLo & 2) !== 0;
      user = user && (eLo & 4) !== 0;
      nx = nx || (nxe && eHi < 0);
      const large = (eLo & 0x80) !== 0;
      if (level === 0 && large) {
        this.faultErr = 1 | 8;
        return -1;
      }
      if (level === 3) {
        phys = (eLo & ~0xfff) >>> 0;
        break;
      }
      if (large) {
        if (level === 1) {
          if ((eLo & 0x3fffe000) !== 0) {
            this.faultErr = 1 | 8;
            return -1;
          }
          phys = ((eLo & 0xc0000000) >>> 0) + (lo & 0x3ffff000);
        } else {
          if ((eLo & 0x1fe000) !== 0) {
            this.faultErr = 1 | 8;
            return -1;
          }
          phys = ((eLo & 0xffe00000) >>> 0) + (lo & 0x1ff000);
        }
        break;
      }
      table = (eLo & ~0xfff) >>> 0;
    }
    const leafAddr = entries[level];
    this.walkWritable = writable;
    this.walkUser = user;
    this.walkNx = nx;
    const leafLo = view.getInt32(leafAddr, true);
    this.walkDirty = (leafLo & 0x40) !== 0;
    if (update) {
      const write = kind === ACC_WRITE;
      const wp = (this.cr0 & CR0_WP) !== 0;
      const denied = (write && !writable && (wp || userAccess)) || (userAccess && !user) || (kind === ACC_EXEC && nx);
      if (!denied) {
        for (let l = 0; l <= level; l++) {
          const a = entries[l];
          let e = view.getInt32(a, true);
          const want = e | 0x20 | (write && l === level ? 0x40 : 0);
          if (want !== e) {
            e = want;
            this.physWritten(a);
            view.setInt32(a, e, true);
          }
        }
        if (write) this.walkDirty = true;
      }
    }
    return phys;
  }

  /** A CPU-internal write (A/D bits) to physical address a: keeps decoded code coherent. */
  private physWritten(a: number): void {
    const page = a >>> 12;
    if (this.pageFlags[page] & PAGE_HAS_CODE) {
      this.pageFlags[page] &= ~PAGE_HAS_CODE;
      this.codeWritten(page);
    }
  }

  /**
   * The TLB-miss path: checks canonical form, permissions and (when on) alignment, handles
   * watchpoints, host read-only and code pages, fills the TLB, and returns the physical address
   * of (lo, hi). `size` is the access size: only 2, 4 and 8 are alignment-checked (16-byte SSE
   * accesses are not; their pieces come through the unchecked paths).
   */
  xlate(lo: number, hi: number, kind: number, size: number): number {
    const phys = this.translateAs(lo, hi, kind, size, this.cpl === 3);
    if (this.alignCheck && (lo & (size - 1)) !== 0 && (size === 2 || size === 4 || size === 8) && kind !== ACC_EXEC && !this.alignExempt) {
      this.raise(AC_VEC, 0);
    }
    return phys;
  }

  /**
   * Translation for an access made at user level (`user`, CPL 3) or supervisor level. An
   * implicit supervisor access at CPL 3 (descriptor tables, TSS) fills no TLB entry, since the
   * TLB holds only what the current CPL may use.
   */
  private translateAs(lo: number, hi: number, kind: number, size: number, user: boolean): number {
    const top = hi >> 15;
    if (top !== 0 && top !== -1) this.raise(kind === ACC_EXEC ? GP : this.nonCanonicalVector(), 0);
    if (this.watches.length !== 0) this.checkWatch(lo, hi, size, kind);
    if (kind === ACC_WRITE) {
      const t = tlbIndex(lo, hi);
      if (this.tlbCodeWrite[t] === (lo & ~0xfff) && this.tlbHi[t] === hi) {
        const p = this.tlbPhys[t] >>> 0;
        if (this.pageFlags[p >>> 12] & PAGE_HAS_CODE) this.writeToCodePage(p >>> 12, lo & 0xfff, size);
        if ((this.pageFlags[p >>> 12] & PAGE_HAS_CODE) === 0) {
          // The decoded code is gone: writes may take the fast path again.
          this.tlbWrite[t] = this.tlbCodeWrite[t];
          this.tlbCodeWrite[t] = NO_TAG;
        }
        return (p + (lo & 0xfff)) >>> 0;
      }
    }
    const phys = this.walk(lo, hi, kind, true, user);
    const nxe = (this.efer & EFER_NXE) !== 0;
    const baseErr = (kind === ACC_WRITE ? 2 : 0) | (user ? 4 : 0) | (kind === ACC_EXEC && nxe ? 16 : 0);
    if (phys < 0) this.pageFault(lo, hi, this.faultErr | baseErr);
    const wp = (this.cr0 & CR0_WP) !== 0;
    if (
      (kind === ACC_WRITE && !this.walkWritable && (wp || user)) ||
      (user && !this.walkUser) ||
      (kind === ACC_EXEC && this.walkNx)
    ) {
      this.pageFault(lo, hi, 1 | baseErr);
    }
    if (phys + 4096 > this.memory.size) this.pageFault(lo, hi, baseErr);
    const page = phys >>> 12;
    const pflags = this.pageFlags[page];
    if (kind === ACC_WRITE) {
      if (pflags & PAGE_HOST_READONLY) {
        this.stopCode = StopReason.HostFault;
        this.stopAddrLo = lo;
        this.stopAddrHi = hi;
        throw STOP;
      }
      if (pflags & PAGE_HAS_CODE) this.writeToCodePage(page, lo & 0xfff, size);
    }
    const tag = lo & ~0xfff;
    const i = tlbIndex(lo, hi);
    this.tlbRead[i] = NO_TAG;
    this.tlbWrite[i] = NO_TAG;
    this.tlbExec[i] = NO_TAG;
    this.tlbCodeWrite[i] = NO_TAG;
    if (!(this.watches.length !== 0 && this.pageWatched(lo, hi)) && user === (this.cpl === 3)) {
      this.tlbHi[i] = hi;
      this.tlbPhys[i] = phys;
      if (!user || this.walkUser) {
        if (!this.walkNx) this.tlbExec[i] = tag;
        if (!this.alignCheck) this.tlbRead[i] = tag;
        const canWrite = this.walkWritable || (!wp && !user);
        const flagsNow = this.pageFlags[page];
        if (canWrite && this.walkDirty && (flagsNow & PAGE_HOST_READONLY) === 0 && !this.alignCheck) {
          if ((flagsNow & PAGE_HAS_CODE) === 0) this.tlbWrite[i] = tag;
          else this.tlbCodeWrite[i] = tag;
        }
      }
    }
    return (phys + (lo & 0xfff)) >>> 0;
  }

  private checkWatch(lo: number, hi: number, size: number, kind: number): void {
    if (kind === ACC_EXEC) return;
    const a = (lo >>> 0) + hi * 4294967296;
    for (const w of this.watches) {
      if (w.kind === 'write' && kind !== ACC_WRITE) continue;
      if (w.kind === 'read' && kind !== ACC_READ) continue;
      const wa = (w.lo >>> 0) + w.hi * 4294967296;
      if (a < wa + w.length && wa < a + size) {
        this.watchHit = true;
        this.watchHitLo = lo;
        this.watchHitHi = hi;
        this.watchHitKind = w.kind;
        this.noteWatch();
      }
    }
  }

  private pageWatched(lo: number, hi: number): boolean {
    const page = ((lo & ~0xfff) >>> 0) + hi * 4294967296;
    for (const w of this.watches) {
      const wa = (w.lo >>> 0) + w.hi * 4294967296;
      if (wa < page + 4096 && page < wa + w.length) return true;
    }
    return false;
  }

  // ---- data access --------------------------------------------------------------------------

  read8(lo: number, hi: number): number {
    const i = tlbIndex(lo, hi);
    if (this.tlbRead[i] === (lo & ~0xfff) && this.tlbHi[i] === hi) return this.u8[(this.tlbPhys[i] >>> 0) + (lo & 0xfff)];
    return this.u8[this.xlate(lo, hi, ACC_READ, 1)];
  }

  read16(lo: number, hi: number): number {
    const i = tlbIndex(lo, hi);
    const off = lo & 0xfff;
    if (this.tlbRead[i] === (lo & ~0xfff) && this.tlbHi[i] === hi && off <= 0xffe) return this.view.getUint16((this.tlbPhys[i] >>> 0) + off, true);
    if (off <= 0xffe) return this.view.getUint16(this.xlate(lo, hi, ACC_READ, 2), true);
    if (this.alignCheck) this.misalignedSplit(lo, hi, 2, ACC_READ);
    return this.read8(lo, hi) | (this.read8((lo + 1) | 0, hi + (lo === -1 ? 1 : 0)) << 8);
  }

  read32(lo: number, hi: number): number {
    const i = tlbIndex(lo, hi);
    const off = lo & 0xfff;
    if (this.tlbRead[i] === (lo & ~0xfff) && this.tlbHi[i] === hi && off <= 0xffc) return this.view.getInt32((this.tlbPhys[i] >>> 0) + off, true);
    if (off <= 0xffc) return this.view.getInt32(this.xlate(lo, hi, ACC_READ, 4), true);
    if (this.alignCheck) this.misalignedSplit(lo, hi, 4, ACC_READ);
    return this.readSplit(lo, hi, 4);
  }

  /** Returns the lo word; the hi word is left in `rhi`. */
  read64(lo: number, hi: number): number {
    const i = tlbIndex(lo, hi);
    const off = lo & 0xfff;
    if (this.tlbRead[i] === (lo & ~0xfff) && this.tlbHi[i] === hi && off <= 0xff8) {
      const p = (this.tlbPhys[i] >>> 0) + off;
      this.rhi = this.view.getInt32(p + 4, true);
      return this.view.getInt32(p, true);
    }
    if (off <= 0xff8) {
      const p = this.xlate(lo, hi, ACC_READ, 8);
      this.rhi = this.view.getInt32(p + 4, true);
      return this.view.getInt32(p, true);
    }
    if (this.alignCheck) this.misalignedSplit(lo, hi, 8, ACC_READ);
    const l = this.readSplit(lo, hi, 4);
    const n = (lo + 4) | 0;
    this.rhi = this.readSplit(n, n >>> 0 < lo >>> 0 ? hi + 1 : hi, 4);
    return l;
  }

  /** A little-endian read that crosses a page boundary, byte by byte. */
  private readSplit(lo: number, hi: number, size: number): number {
    let v = 0;
    for (let k = 0; k < size; k++) {
      const a = (lo + k) | 0;
      v |= this.read8(a, (a >>> 0) < (lo >>> 0) ? hi + 1 : hi) << (8 * k);
    }
    return v;
  }

  write8(lo: number, hi: number, v: number): void {
    const i = tlbIndex(lo, hi);
    if (this.tlbWrite[i] === (lo & ~0xfff) && this.tlbHi[i] === hi) {
      this.u8[(this.tlbPhys[i] >>> 0) + (lo & 0xfff)] = v;
      return;
    }
    this.u8[this.xlate(lo, hi, ACC_WRITE, 1)] = v;
  }

  write16(lo: number, hi: number, v: number): void {
    const i = tlbIndex(lo, hi);
    const off = lo & 0xfff;
    if (this.tlbWrite[i] === (lo & ~0xfff) && this.tlbHi[i] === hi && off <= 0xffe) {
      this.view.setUint16((this.tlbPhys[i] >>> 0) + off, v, true);
      return;
    }
    if (off <= 0xffe) this.view.setUint16(this.xlate(lo, hi, ACC_WRITE, 2), v, true);
    else this.writeSplit(lo, hi, 2, v, 0);
  }

  write32(lo: number, hi: number, v: number): void {
    const i = tlbIndex(lo, hi);
    const off = lo & 0xfff;
    if (this.tlbWrite[i] === (lo & ~0xfff) && this.tlbHi[i] === hi && off <= 0xffc) {
      this.view.setInt32((this.tlbPhys[i] >>> 0) + off, v, true);
      return;
    }
    if (off <= 0xffc) this.view.setInt32(this.xlate(lo, hi, ACC_WRITE, 4), v, true);
    else this.writeSplit(lo, hi, 4, v, 0);
  }

  write64(lo: number, hi: number, vLo: number, vHi: number): void {
    const i = tlbIndex(lo, hi);
    const off = lo & 0xfff;
    if (this.tlbWrite[i] === (lo & ~0xfff) && this.tlbHi[i] === hi && off <= 0xff8) {
      const p = (this.tlbPhys[i] >>> 0) + off;
      this.view.setInt32(p, vLo, true);
      this.view.setInt32(p + 4, vHi, true);
      return;
    }
    if (off <= 0xff8) {
      const p = this.xlate(lo, hi, ACC_WRITE, 8);
      this.view.setInt32(p, vLo, true);
      this.view.setInt32(p + 4, vHi, true);
    } else this.writeSplit(lo, hi, 8, vLo, vHi);
  }

  /** A page-crossing write: both pages are checked before any byte is stored. */
  private writeSplit(lo: number, hi: number, size: number, vLo: number, vHi: number): void {
    if (this.alignCheck) this.misalignedSplit(lo, hi, size, ACC_WRITE);
    const endLo = (lo + size - 1) | 0;
    const endHi = (endLo >>> 0) < (lo >>> 0) ? hi + 1 : hi;
    const first = 4096 - (lo & 0xfff);
    const p0 = this.xlate(lo, hi, ACC_WRITE, first);
    const p1 = this.xlate(endLo & ~0xfff, endHi, ACC_WRITE, size - first);
    for (let k = 0; k < size; k++) {
      const b = k < 4 ? (vLo >>> (8 * k)) & 0xff : (vHi >>> (8 * (k - 4))) & 0xff;
      this.u8[k < first ? p0 + k : p1 + (k - first)] = b;
    }
  }

  /**
   * A 2-, 4- or 8-byte access crossing a page is misaligned: #AC(0) while alignment checking is
   * on, once both pages translate (a #PF takes precedence).
   */
  private misalignedSplit(lo: number, hi: number, size: number, kind: number): void {
    if (this.alignExempt) return;
    const endLo = (lo + size - 1) | 0;
    this.xlate(lo, hi, kind, 1);
    this.xlate(endLo, (endLo >>> 0) < (lo >>> 0) ? hi + 1 : hi, kind, 1);
    this.raise(AC_VEC, 0);
  }

  /**
   * For an operand read or written in pieces but checked as a whole (an 80-bit real must be
   * 8-byte aligned, an x87 environment 4-byte aligned): #AC(0) if misaligned while alignment
   * checking is on.
   */
  checkAlignment(lo: number, align: number): void {
    if (this.alignCheck && (lo & (align - 1)) !== 0) this.raise(AC_VEC, 0);
  }

  // ---- implicit supervisor accesses ----------------------------------------------------------
  // Descriptor tables, the TSS and the frame of an event delivered to CPL 0 are accessed at
  // supervisor level whatever the CPL, and are never alignment-checked. At CPL 0 that is what
  // the ordinary accessors do; at CPL 3 these walk the tables without touching the TLB.

  private systemByte(lo: number, hi: number, kind: number): number {
    return this.translateAs(lo, hi, kind, 1, false);
  }

  readSystem32(lo: number, hi: number): number {
    if (this.cpl !== 3) return this.read32(lo, hi);
    if ((lo & 0xfff) <= 0xffc) return this.view.getInt32(this.translateAs(lo, hi, ACC_READ, 4, false), true);
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const a = (lo + k) | 0;
      v |= this.u8[this.systemByte(a, (a >>> 0) < (lo >>> 0) ? hi + 1 : hi, ACC_READ)] << (8 * k);
    }
    return v;
  }

  /** Returns the lo word; the hi word is left in `rhi`. */
  readSystem64(lo: number, hi: number): number {
    if (this.cpl !== 3) return this.read64(lo, hi);
    const v = this.readSystem32(lo, hi);
    const n = (lo + 4) | 0;
    this.rhi = this.readSystem32(n, (n >>> 0) < (lo >>> 0) ? hi + 1 : hi);
    return v;
  }

  /** Checks that a supervisor write of `size` bytes at (lo, hi) will not fault. */
  probeSystemWrite(lo: number, hi: number, size: number): void {
    if (this.cpl !== 3) {
      this.probeWrite(lo, hi, size);
      return;
    }
    this.translateAs(lo, hi, ACC_WRITE, size, false);
    const endLo = (lo + size - 1) | 0;
    if ((endLo & ~0xfff) !== (lo & ~0xfff)) this.translateAs(endLo, (endLo >>> 0) < (lo >>> 0) ? hi + 1 : hi, ACC_WRITE, 1, false);
  }

  writeSystem64(lo: number, hi: number, vLo: number, vHi: number): void {
    if (this.cpl !== 3) {
      this.write64(lo, hi, vLo, vHi);
      return;
    }
    for (let k = 0; k < 8; k++) {
      const a = (lo + k) | 0;
      const b = k < 4 ? vLo >>> (8 * k) : vHi >>> (8 * (k - 4));
      this.u8[this.systemByte(a, (a >>> 0) < (lo >>> 0) ? hi + 1 : hi, ACC_WRITE)] = b;
    }
  }

  /** Reads `size` bytes (1, 2, 4, 8); for 8 the hi word goes to `rhi`. */
  readSized(size: number, lo: number, hi: number): number {
    switch (size) {
      case 1:
        return this.read8(lo, hi);
      case 2:
        return this.read16(lo, hi);
      case 4:
        return this.read32(lo, hi);
      default:
        return this.read64(lo, hi);
    }
  }

  writeSized(size: number, lo: number, hi: number, vLo: number, vHi: number): void {
    switch (size) {
      case 1:
        this.write8(lo, hi, vLo);
        break;
      case 2:
        this.write16(lo, hi, vLo);
        break;
      case 4:
        this.write32(lo, hi, vLo);
        break;
      default:
        this.write64(lo, hi, vLo, vHi);
    }
  }

  /**
   * Makes sure a later write of `size` bytes at (lo, hi) will not fault, before an instruction
   * changes any state (a read-modify-write must leave flags untouched when its store faults).
   */
  checkWritable(lo: number, hi: number, size: number): void {
    this.probeWrite(lo, hi, size);
  }

  /** Checks that [lo, lo+size) is writable without storing anything (for multi-part writes). */
  probeWrite(lo: number, hi: number, size: number): void {
    // A write TLB hit on one page needs no walk (that was a page walk per 16-byte SSE store).
    const t = tlbIndex(lo, hi);
    if (this.tlbWrite[t] === (lo & ~0xfff) && this.tlbHi[t] === hi && (lo & 0xfff) <= 4096 - size) return;
    this.xlate(lo, hi, ACC_WRITE, size);
    const endLo = (lo + size - 1) | 0;
    if ((endLo & ~0xfff) !== (lo & ~0xfff)) this.xlate(endLo, (endLo >>> 0) < (lo >>> 0) ? hi + 1 : hi, ACC_WRITE, 1);
  }
}
