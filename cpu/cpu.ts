/**
 * The processor: the run loop (fetch from the per-page decoded-instruction cache, execute, count),
 * the debug and interrupt checks that run only when something asks for them, operand helpers
 * shared by the instruction families, and the Processor API for the machine, gdb stub and tests.
 */
import { decode, type CodeSource } from './decoder.js';
import { deliverException, TRIPLE_FAULT } from './exceptions.js';
import { DB, FAULT, GP, hasErrorCode, NP, PF_VEC, SS_VEC, STOP } from './fault.js';
import { fxrstorImage, fxsaveImage } from './fxsave.js';
import { BASE_RIP, SEG_SS, type Insn } from './insn.js';
import { compileBlock, type JitBlock } from './jit/compile.js';
import {
  StopReason,
  type CpuOptions,
  type IoBus,
  type Processor,
  type SegmentState,
  type StopInfo,
  type TableRegister,
  type WatchKind,
} from './interface.js';
import './isa.js';
import { PAGE_HAS_CODE, PAGE_HOST_READONLY, type GuestMemory } from './memory.js';
import { ACC_EXEC, ACC_READ, ACC_WRITE, Mmu, tlbIndex } from './mmu.js';
import { MSR_EFER, readMsr, writeMsr } from './msr.js';
import { getRflags, setArithFlags } from './flags.js';
import { ARITH_FLAGS, CR0_PG, CR0_WP, EFER_LMA, EFER_LME, EFER_NXE, EFER_SCE, IF, TF } from './state.js';

function split(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0];
}

function join(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * The decoded instructions of one physical page, which of its bytes they cover, the blocks
 * translated from them and how often each address started an interpreted instruction.
 */
class CodePage {
  readonly insns = new Array<Insn | undefined>(4096);
  readonly covered = new Uint8Array(4096);
  readonly blocks = new Array<JitBlock | undefined>(4096);
  readonly heat = new Uint8Array(4096);
}

/** Default `jitThreshold`. */
const JIT_THRESHOLD = 40;

export class Cpu extends Mmu implements Processor, CodeSource {
  readonly io: IoBus;
  readonly stopInfo: StopInfo = { vector: 0, errorCode: -1, address: 0n, rip: 0n, watchKind: 'write' };
  readonly tscHz: number;
  readonly nowNs: () => number;
  /** Instructions completed. */
  icount = 0;

  // ---- decoded-instruction cache ------------------------------------------------------------
  private readonly codePages = new Map<number, CodePage>();
  /** The linear page RIP is in, its physical page and decoded instructions (-1: none). */
  private fetchTag = -1;
  private fetchHi = 0;
  private fetchPhys = 0;
  private fetchInsns: (Insn | undefined)[] = [];
  private fetchCovered = new Uint8Array(4096);
  private fetchBlocks: (JitBlock | undefined)[] = [];
  private fetchHeat = new Uint8Array(4096);
  readonly codeBytes = new Uint8Array(16);
  codeAvail = 0;

  // ---- stop / debug / interrupt state -------------------------------------------------------
  /** Non-zero when the loop must look at something before the next instruction. */
  private attention = false;
  /** The budget end of the running loop. */
  private loopEnd = 0;
  /**
   * The loop's one per-instruction check: icount >= checkAt. It is loopEnd, or -1 while
   * `attention` is set, so the budget and the attention flag cost one compare together.
   */
  checkAt = 0;

  // ---- translated blocks (jit/) -------------------------------------------------------------
  private readonly jitThreshold: number;
  /** Blocks may run now: no attention, single-step or watchpoint needs per-instruction checks. */
  private jitAllowed = false;
  /** A block is running (a fault caught by `run` adds its `jitIdx` to the count). */
  private inBlock = false;
  /** Instructions the running block completed in this pass before the one now executing. */
  jitIdx = 0;
  /** Set when a running block must stop after the current instruction (code dropped, TLB flushed, attention). */
  jitBreak = false;
  private stopRequested = false;
  private halted = false;
  private readonly breakpoints = new Map<number, Set<number>>();
  private breakpointCount = 0;
  /** RIP of the last Breakpoint stop: the next run executes that instruction once. */
  private bpResume = false;
  private bpResumeLo = 0;
  private bpResumeHi = 0;
  singleStep = false;
  interceptExceptions = false;
  /** TF was set when the previous instruction started: raise #DB before the next one. */
  private tfArmed = false;
  private readonly irqQueue: number[] = [];
  /** Interrupts are blocked while icount <= this (the instruction after STI / MOV SS). */
  shadowUntil = -1;
  /** An exception held by interceptExceptions. */
  private held = false;
  private heldVector = 0;
  private heldError = -1;
  private heldFault = true;
  private heldSoft = false;
  private heldRipLo = 0;
  private heldRipHi = 0;
  /** Set by INT n / INT3 / INTO / INT1 so the run loop delivers them as traps. */
  excTrap = false;
  excSoft = false;
  lastVector = 0;
  /** Scratch for descriptor loads. */
  descLo = 0;
  descHi = 0;
  /** Scratch for 64-bit results returned through helper calls. */
  tmpHi = 0;

  constructor(memory: GuestMemory, io: IoBus, options: CpuOptions) {
    super(memory);
    this.io = io;
    this.tscHz = options.tscHz;
    this.nowNs = options.nowNs ?? (() => performance.now() * 1e6);
    this.jitThreshold = Math.min(options.jitThreshold ?? JIT_THRESHOLD, 255);
    memory.codeWriteListener = (page) => this.codeWritten(page);
    this.resetSegments();
  }

  get instructionsRetired(): number {
    return this.icount;
  }

  private resetSegments(): void {
    for (let s = 0; s < 6; s++) {
      this.segLimit[s] = 0xffff;
      this.segAttr[s] = s === 1 ? 0x9b : 0x93;
    }
  }

  // ---- the run loop -------------------------------------------------------------------------

  run(budget: number): StopReason {
    if (this.singleStep && budget > 1) budget = 1;
    const start = this.icount;
    const end = start + budget;
    if (this.held) {
      this.held = false;
      this.ripLo = this.heldRipLo;
      this.ripHi = this.heldRipHi;
      if (deliverException(this, this.heldVector, this.heldError, this.heldFault, this.heldSoft) === TRIPLE_FAULT) {
        return this.tripleFault();
      }
      if (this.singleStep) return StopReason.SingleStep;
    }
    this.updateAttention();
    for (;;) {
      try {
        const r = this.loop(end);
        if (r === StopReason.BudgetExhausted && this.singleStep && this.icount > start) return StopReason.SingleStep;
        return r as StopReason;
      } catch (e) {
        if (this.inBlock) {
          this.inBlock = false;
          this.icount += this.jitIdx;
        }
        if (e === FAULT) {
          const r = this.onException();
          if (r >= 0) return r as StopReason;
          if (this.singleStep) return StopReason.SingleStep;
          continue;
        }
        if (e === STOP) {
          this.ripLo = this.curLo;
          this.ripHi = this.curHi;
          this.stopInfo.address = join(this.stopAddrLo, this.stopAddrHi);
          this.stopInfo.rip = join(this.curLo, this.curHi);
          return this.stopCode as StopReason;
        }
        throw e;
      }
    }
  }

  private loop(end: number): number {
    this.loopEnd = end;
    this.checkAt = this.attention ? -1 : end;
    for (;;) {
      if (this.icount >= this.checkAt) {
        if (this.attention) {
          const r = this.service();
          if (r >= 0) return r;
        }
        if (this.icount >= end) return StopReason.BudgetExhausted;
      }
      const lo = this.ripLo;
      const hi = this.ripHi;
      if ((lo & ~0xfff) !== this.fetchTag || hi !== this.fetchHi) {
        this.curLo = lo;
        this.curHi = hi;
        this.fetchPage(lo, hi);
      }
      const off = lo & 0xfff;
      if (this.jitAllowed) {
        const b = this.fetchBlocks[off];
        if (b !== undefined) {
          if (b.linPage === this.fetchTag && b.linHi === hi) {
            this.jitBreak = false;
            this.inBlock = true;
            b.fn!(this);
            this.inBlock = false;
            continue;
          }
        } else if (++this.fetchHeat[off] >= this.jitThreshold) {
          this.fetchBlocks[off] = this.translateBlock(lo, hi);
          continue;
        }
      }
      let insn = this.fetchInsns[off];
      if (insn === undefined) insn = this.decodeAt(lo, hi);
      this.curLo = lo;
      this.curHi = hi;
      const n = (lo >>> 0) + insn.len;
      if (n > 0xffffffff) {
        this.ripLo = n | 0;
        this.ripHi = (hi + 1) | 0;
      } else this.ripLo = n | 0;
      insn.exec(this, insn);
      this.icount++;
    }
  }

  /** Slow checks between instructions; returns a StopReason or -1 to go on. */
  private service(): number {
    if (this.watchHit) {
      this.watchHit = false;
      this.stopInfo.address = join(this.watchHitLo, this.watchHitHi);
      this.stopInfo.watchKind = this.watchHitKind;
      this.stopInfo.rip = join(this.curLo, this.curHi);
      this.updateAttention();
      return StopReason.Watchpoint;
    }
    if (this.halted) {
      this.halted = false;
      this.updateAttention();
      return StopReason.Halted;
    }
    if (this.stopRequested) {
      this.stopRequested = false;
      this.updateAttention();
      return StopReason.Requested;
    }
    if (this.tfArmed) {
      this.tfArmed = false;
      // Single-step trap after the previous instruction: DR6.BS is implied.
      this.excTrap = true;
      this.excSoft = false;
      this.excVector = DB;
      this.excError = -1;
      this.curLo = this.ripLo;
      this.curHi = this.ripHi;
      throw FAULT;
    }
    if (this.irqQueue.length !== 0 && (this.flagsRest & IF) !== 0 && this.icount > this.shadowUntil) {
      const vector = this.irqQueue.shift()!;
      if (deliverException(this, vector, -1, false, false) === TRIPLE_FAULT) return this.tripleFault();
    }
    if (this.breakpointCount !== 0) {
      const set = this.breakpoints.get(this.ripHi);
      if (set && set.has(this.ripLo)) {
        if (this.bpResume && this.bpResumeLo === this.ripLo && this.bpResumeHi === this.ripHi) {
          this.bpResume = false;
        } else {
          this.bpResume = true;
          this.bpResumeLo = this.ripLo;
          this.bpResumeHi = this.ripHi;
          this.stopInfo.rip = join(this.ripLo, this.ripHi);
          return StopReason.Breakpoint;
        }
      } else this.bpResume = false;
    }
    if (this.flagsRest & TF) this.tfArmed = true;
    this.updateAttention();
    return -1;
  }

  updateAttention(): void {
    this.attention =
      this.stopRequested ||
      this.halted ||
      this.watchHit ||
      this.tfArmed ||
      this.breakpointCount !== 0 ||
      (this.flagsRest & TF) !== 0 ||
      (this.irqQueue.length !== 0 && (this.flagsRest & IF) !== 0);
    this.checkAt = this.attention ? -1 : this.loopEnd;
    this.jitAllowed = this.jitThreshold > 0 && !this.attention && !this.singleStep && this.watches.length === 0;
    if (this.attention) this.jitBreak = true;
  }

  /** Makes the loop call `service` before the next instruction. */
  private attend(): void {
    this.attention = true;
    this.checkAt = -1;
    this.jitAllowed = false;
    this.jitBreak = true;
  }

  /** Called after anything that may change TF, IF or AC (or the CPL, with RFLAGS). */
  flagsChanged(): void {
    this.updateAttention();
    this.updateAlignCheck();
  }

  /** HLT: stop after this instruction. */
  halt(): void {
    this.halted = true;
    this.attend();
  }

  /** An access hit a watchpoint: stop after this instruction. */
  override noteWatch(): void {
    this.attend();
  }

  /** Handles a FAULT thrown by an instruction; returns a StopReason or -1 to continue. */
  private onException(): number {
    const vector = this.excVector;
    const error = hasErrorCode(vector) && !this.excTrap ? this.excError : this.excError >= 0 ? this.excError : -1;
    const trap = this.excTrap;
    const soft = this.excSoft;
    this.excTrap = false;
    this.excSoft = false;
    this.tfArmed = false;
    this.watchHit = false;
    if (!trap) {
      this.ripLo = this.curLo;
      this.ripHi = this.curHi;
    } else this.icount++;
    if (this.interceptExceptions && !(soft && vector >= 32)) {
      this.held = true;
      this.heldVector = vector;
      this.heldError = error;
      this.heldFault = !trap;
      this.heldSoft = soft;
      this.heldRipLo = this.ripLo;
      this.heldRipHi = this.ripHi;
      const si = this.stopInfo;
      si.vector = vector;
      si.errorCode = error;
      si.rip = join(this.curLo, this.curHi);
      if (vector === PF_VEC) si.address = join(this.cr2Lo, this.cr2Hi);
      return StopReason.Exception;
    }
    if (deliverException(this, vector, error, !trap, soft) === TRIPLE_FAULT) return this.tripleFault();
    this.updateAttention();
    return -1;
  }

  private tripleFault(): StopReason {
    this.stopInfo.vector = this.lastVector;
    this.stopInfo.rip = join(this.curLo, this.curHi);
    this.stopInfo.errorCode = -1;
    return StopReason.TripleFault;
  }

  /** Software interrupt / trap-class exception raised by an instruction (RIP stays after it). */
  raiseTrap(vector: number, soft: boolean): never {
    this.excTrap = true;
    this.excSoft = soft;
    this.excVector = vector;
    this.excError = -1;
    throw FAULT;
  }

  // ---- fetch and the decoded-instruction cache ---------------------------------------------

  /** Makes RIP's page the current fetch page (translating it for execution; may fault). */
  private fetchPage(lo: number, hi: number): void {
    const i = tlbIndex(lo, hi);
    let phys: number;
    if (this.tlbExec[i] === (lo & ~0xfff) && this.tlbHi[i] === hi) phys = this.tlbPhys[i] >>> 0;
    else phys = (this.xlate(lo, hi, ACC_EXEC, 1) & ~0xfff) >>> 0;
    const page = phys >>> 12;
    let cp = this.codePages.get(page);
    if (!cp) {
      cp = new CodePage();
      this.codePages.set(page, cp);
    }
    if ((this.pageFlags[page] & PAGE_HAS_CODE) === 0) {
      this.pageFlags[page] |= PAGE_HAS_CODE;
      this.revokeWrite(page);
    }
    this.fetchTag = lo & ~0xfff;
    this.fetchHi = hi;
    this.fetchPhys = phys;
    this.fetchInsns = cp.insns;
    this.fetchCovered = cp.covered;
    this.fetchBlocks = cp.blocks;
    this.fetchHeat = cp.heat;
  }

  /**
   * Translates the block at RIP (on the current fetch page). Block instructions come from the
   * decoded cache; decoding stops where an instruction could reach past the page (the
   * interpreter fetches those, with their faults, when it gets there).
   */
  private translateBlock(lo: number, hi: number): JitBlock {
    const page = lo & ~0xfff;
    const block = compileBlock(lo, hi, (off) => {
      const insn = this.fetchInsns[off];
      if (insn !== undefined) return insn;
      if (off > 4096 - 15) return undefined;
      const decoded = this.decodeAt((page + off) | 0, hi);
      return decoded.cacheable ? decoded : undefined;
    });
    this.curLo = lo;
    this.curHi = hi;
    return block;
  }

  private decodeAt(lo: number, hi: number): Insn {
    const off = lo & 0xfff;
    const n = Math.min(15, 4096 - off);
    const base = this.fetchPhys + off;
    for (let k = 0; k < n; k++) this.codeBytes[k] = this.u8[base + k];
    this.codeAvail = n;
    this.curLo = lo;
    this.curHi = hi;
    const insn = decode(this, this.longMode64);
    if (insn.len <= n) {
      this.fetchInsns[off] = insn;
      this.fetchCovered.fill(1, off, off + insn.len);
    } else insn.cacheable = false;
    return insn;
  }

  codeByteSlow(k: number): number {
    const lo = (this.curLo + k) | 0;
    const hi = (lo >>> 0) < (this.curLo >>> 0) ? this.curHi + 1 : this.curHi;
    const i = tlbIndex(lo, hi);
    if (this.tlbExec[i] === (lo & ~0xfff) && this.tlbHi[i] === hi) return this.u8[(this.tlbPhys[i] >>> 0) + (lo & 0xfff)];
    return this.u8[this.xlate(lo, hi, ACC_EXEC, 1)];
  }

  /** Writes that miss every decoded byte (data sharing a page with code) keep the code. */
  override codeWriteOverlaps(page: number, offset: number, length: number): boolean {
    const cp = this.codePages.get(page);
    if (!cp) return true;
    const covered = cp.covered;
    for (let k = offset; k < offset + length; k++) if (covered[k] !== 0) return true;
    return false;
  }

  /** A write reached physical page `page` holding decoded code: forget it. */
  override codeWritten(page: number): void {
    this.codePages.delete(page);
    if (this.fetchPhys >>> 12 === page) this.fetchTag = -1;
    this.jitBreak = true;
  }

  override flushTlb(): void {
    super.flushTlb();
    this.fetchTag = -1;
    this.jitBreak = true;
  }

  override flushTlbPage(lo: number, hi: number): void {
    super.flushTlbPage(lo, hi);
    this.fetchTag = -1;
    this.jitBreak = true;
  }

  // ---- operand helpers used by the instruction families -------------------------------------

  /** Computes the effective (linear) address of i's memory operand into eaLo/eaHi. */
  ea(i: Insn): void {
    this.eaOffset(i);
    if (i.seg >= 4) {
      const lo = this.eaLo;
      const s = (lo >>> 0) + (this.segBase[i.seg << 1] >>> 0);
      this.eaHi = (this.eaHi + this.segBase[(i.seg << 1) + 1] + (s > 0xffffffff ? 1 : 0)) | 0;
      this.eaLo = s | 0;
    }
  }

  /**
   * A non-canonical data address is #SS(0) when the current instruction's memory operand is in
   * the stack segment (`Insn.seg`, decided by the decoder), #GP(0) otherwise. The MMU asks only
   * on that fault, so `ea` pays nothing; the instruction is decoded again from its RIP (it was
   * just fetched, so its bytes translate).
   */
  override nonCanonicalVector(): number {
    this.codeAvail = 0;
    return decode(this, this.longMode64).seg === SEG_SS ? SS_VEC : GP;
  }

  /** The effective address without the segment base (what LEA computes). */
  eaOffset(i: Insn): void {
    const r = this.r;
    let lo = i.disp;
    let hi = lo >> 31;
    const b = i.base;
    if (b >= 0) {
      let bLo: number, bHi: number;
      if (b === BASE_RIP) {
        bLo = this.ripLo;
        bHi = this.ripHi;
      } else {
        bLo = r[b << 1];
        bHi = r[(b << 1) + 1];
      }
      const s = (lo >>> 0) + (bLo >>> 0);
      hi = (hi + bHi + (s > 0xffffffff ? 1 : 0)) | 0;
      lo = s | 0;
    }
    const x = i.index;
    if (x >= 0) {
      let xLo = r[x << 1];
      let xHi = r[(x << 1) + 1];
      const sc = i.scale;
      if (sc !== 0) {
        xHi = (xHi << sc) | (xLo >>> (32 - sc));
        xLo <<= sc;
      }
      const s = (lo >>> 0) + (xLo >>> 0);
      hi = (hi + xHi + (s > 0xffffffff ? 1 : 0)) | 0;
      lo = s | 0;
    }
    if (i.asize === 4) hi = 0;
    this.eaLo = lo;
    this.eaHi = hi;
  }

  /** Sets eaLo/eaHi to an absolute offset plus the override segment base (MOV moffs, XLAT…). */
  eaAbsolute(i: Insn, lo: number, hi: number): void {
    if (i.asize === 4) hi = 0;
    if (i.seg >= 4) {
      const s = (lo >>> 0) + (this.segBase[i.seg << 1] >>> 0);
      hi = (hi + this.segBase[(i.seg << 1) + 1] + (s > 0xffffffff ? 1 : 0)) | 0;
      lo = s | 0;
    }
    this.eaLo = lo;
    this.eaHi = hi;
  }

  /** Adds a byte offset to the effective address (for multi-part memory operands). */
  eaPlus(k: number): number {
    const lo = (this.eaLo + k) | 0;
    this.tmpHi = (lo >>> 0) < (this.eaLo >>> 0) ? (this.eaHi + 1) | 0 : this.eaHi;
    return lo;
  }

  /** Reads the r/m operand of `size` bytes; for size 8 the hi word is in `rhi`. Sets ea for memory. */
  readRM(i: Insn, size: number): number {
    if (i.mod === 3) {
      if (size === 8) {
        this.rhi = this.r[(i.rm << 1) + 1];
        return this.r[i.rm << 1];
      }
      return this.getReg(size, size === 1 ? i.rm8 : i.rm);
    }
    this.ea(i);
    return this.readSized(size, this.eaLo, this.eaHi);
  }

  /**
   * readRM for a read-modify-write operand: a memory destination is first checked writable, so
   * a faulting store cannot leave the flags (or anything else) half-updated.
   */
  readRMW(i: Insn, size: number): number {
    if (i.mod === 3) return this.readRM(i, size);
    this.ea(i);
    this.checkWritable(this.eaLo, this.eaHi, size);
    return this.readSized(size, this.eaLo, this.eaHi);
  }

  /** Writes the r/m operand at the address computed by a preceding readRM/ea. */
  writeBackRM(i: Insn, size: number, lo: number, hi: number): void {
    if (i.mod === 3) this.setReg(size, size === 1 ? i.rm8 : i.rm, lo, hi);
    else this.writeSized(size, this.eaLo, this.eaHi, lo, hi);
  }

  /** Computes the address and writes the r/m operand. */
  writeRM(i: Insn, size: number, lo: number, hi: number): void {
    if (i.mod === 3) this.setReg(size, size === 1 ? i.rm8 : i.rm, lo, hi);
    else {
      this.ea(i);
      this.writeSized(size, this.eaLo, this.eaHi, lo, hi);
    }
  }

  /** Reads the ModRM.reg register of `size` bytes (hi word of size 8 in `rhi`). */
  readReg(i: Insn, size: number): number {
    if (size === 8) {
      this.rhi = this.r[(i.reg << 1) + 1];
      return this.r[i.reg << 1];
    }
    return this.getReg(size, size === 1 ? i.reg8 : i.reg);
  }

  writeReg(i: Insn, size: number, lo: number, hi: number): void {
    this.setReg(size, size === 1 ? i.reg8 : i.reg, lo, hi);
  }

  /** A stack access at a non-canonical address is #SS(0), not #GP. */
  stackCanonical(hi: number): void {
    const t = hi >> 15;
    if (t !== 0 && t !== -1) this.raise(SS_VEC, 0);
  }

  push64(lo: number, hi: number): void {
    const sLo = this.r[8];
    const nLo = (sLo - 8) | 0;
    const nHi = (sLo >>> 0) < 8 ? (this.r[9] - 1) | 0 : this.r[9];
    this.stackCanonical(nHi);
    this.write64(nLo, nHi, lo, hi);
    this.r[8] = nLo;
    this.r[9] = nHi;
  }

  push16(v: number): void {
    const sLo = this.r[8];
    const nLo = (sLo - 2) | 0;
    const nHi = (sLo >>> 0) < 2 ? (this.r[9] - 1) | 0 : this.r[9];
    this.stackCanonical(nHi);
    this.write16(nLo, nHi, v);
    this.r[8] = nLo;
    this.r[9] = nHi;
  }

  /** Pushes a value of the stack operand size (2 or 8). */
  pushSized(size: number, lo: number, hi: number): void {
    if (size === 2) this.push16(lo);
    else this.push64(lo, hi);
  }

  /** Pops 8 bytes: returns lo, hi in `rhi`. */
  pop64(): number {
    const sLo = this.r[8];
    const sHi = this.r[9];
    this.stackCanonical(sHi);
    const v = this.read64(sLo, sHi);
    const nLo = (sLo + 8) | 0;
    this.r[8] = nLo;
    this.r[9] = (nLo >>> 0) < (sLo >>> 0) ? (sHi + 1) | 0 : sHi;
    return v;
  }

  pop16(): number {
    const sLo = this.r[8];
    const sHi = this.r[9];
    this.stackCanonical(sHi);
    const v = this.read16(sLo, sHi);
    const nLo = (sLo + 2) | 0;
    this.r[8] = nLo;
    this.r[9] = (nLo >>> 0) < (sLo >>> 0) ? (sHi + 1) | 0 : sHi;
    return v;
  }

  popSized(size: number): number {
    if (size === 2) {
      this.rhi = 0;
      return this.pop16();
    }
    return this.pop64();
  }

  /** Reads the value a pop of `size` would return, without popping (hi word in rhi). */
  peekSized(size: number): number {
    this.stackCanonical(this.r[9]);
    if (size === 2) {
      this.rhi = 0;
      return this.read16(this.r[8], this.r[9]);
    }
    return this.read64(this.r[8], this.r[9]);
  }

  /** Reads the value at RSP + k*8 without popping (for multi-slot pops that must not half-complete). */
  peek64(k: number): number {
    const lo = (this.r[8] + k * 8) | 0;
    const hi = (lo >>> 0) < (this.r[8] >>> 0) ? this.r[9] + 1 : this.r[9];
    this.stackCanonical(hi);
    return this.read64(lo, hi);
  }

  /** Sets RIP to next-instruction + rel (sign-extended 32), with the 64-bit carry. */
  jumpRel(rel: number): void {
    const s = (this.ripLo >>> 0) + (rel >>> 0);
    const hi = (this.ripHi + (rel >> 31) + (s > 0xffffffff ? 1 : 0)) | 0;
    this.jumpTo(s | 0, hi);
  }

  /** An absolute branch: the target must be canonical (#GP at the branch otherwise). */
  jumpTo(lo: number, hi: number): void {
    const t = hi >> 15;
    if (t !== 0 && t !== -1) this.raise(GP, 0);
    this.ripLo = lo;
    this.ripHi = hi;
  }

  // ---- segments -----------------------------------------------------------------------------

  /** Reads the GDT descriptor for `selector` into descLo/descHi (#GP(sel) if outside the GDT). */
  loadDescriptor(selector: number, ext: number): boolean {
    const idx = selector & ~7;
    if ((selector & 4) !== 0 || idx + 7 > this.gdtLimit) this.raise(GP, (selector & ~3) + ext);
    const lo = (this.gdtBaseLo + idx) | 0;
    const hi = (lo >>> 0) < (this.gdtBaseLo >>> 0) ? this.gdtBaseHi + 1 : this.gdtBaseHi;
    this.descLo = this.readSystem32(lo, hi);
    const lo2 = (lo + 4) | 0;
    this.descHi = this.readSystem32(lo2, lo2 === 0 ? hi + 1 : hi);
    return true;
  }

  private setSegFromDesc(seg: number, sel: number, dLo: number, dHi: number): void {
    this.segSel[seg] = sel;
    let limit = (dLo & 0xffff) | (dHi & 0xf0000);
    if (dHi & 0x800000) limit = (limit << 12) | 0xfff;
    this.segLimit[seg] = limit;
    this.segAttr[seg] = (dHi >>> 8) & 0xf0ff;
    // In 64-bit mode only FS/GS bases matter; others load them too for compatibility mode later.
    this.segBase[seg << 1] = ((dLo >>> 16) | ((dHi & 0xff) << 16) | (dHi & 0xff000000)) | 0;
    this.segBase[(seg << 1) + 1] = 0;
  }

  loadCodeSegment(sel: number, dLo: number, dHi: number): void {
    const wasCpl = this.cpl;
    this.setSegFromDesc(1, sel, dLo, dHi);
    if (this.cpl !== wasCpl) {
      this.flushTlb();
      this.updateAlignCheck();
    }
  }

  loadDataSegment(seg: number, sel: number, dLo: number, dHi: number): void {
    this.setSegFromDesc(seg, sel, dLo, dHi);
  }

  /** A null SS (allowed in 64-bit mode) with RPL = cpl. */
  loadNullSs(cpl: number): void {
    this.segSel[2] = cpl;
    this.segAttr[2] = 0;
  }

  /**
   * MOV to a data segment register / POP: loads and checks the descriptor. A null selector is
   * allowed for DS/ES/FS/GS (and SS at CPL < 3).
   */
  loadSegmentChecked(seg: number, sel: number): void {
    if ((sel & ~3) === 0) {
      if (seg === 2 && (this.cpl === 3 || (sel & 3) !== this.cpl)) this.raise(GP, 0);
      this.segSel[seg] = sel;
      this.segAttr[seg] = 0;
      if (seg < 4) {
        this.segBase[seg << 1] = 0;
        this.segBase[(seg << 1) + 1] = 0;
      }
      return;
    }
    this.loadDescriptor(sel, 0);
    const dHi = this.descHi;
    const type = (dHi >> 8) & 0xf;
    const s = (dHi & 0x1000) !== 0;
    const dpl = (dHi >> 13) & 3;
    const cpl = this.cpl;
    if (seg === 2) {
      // SS: writable data, RPL = DPL = CPL.
      if (!s || (type & 0xa) !== 0x2 || (sel & 3) !== cpl || dpl !== cpl) this.raise(GP, sel & ~3);
      if ((dHi & 0x8000) === 0) this.raise(0x0c, sel & ~3);
    } else {
      // Data or readable code; privilege check for data/non-conforming code.
      if (!s || (type & 0xa) === 0x8) this.raise(GP, sel & ~3);
      if (((type & 0xc) !== 0xc) && (dpl < cpl || dpl < (sel & 3))) this.raise(GP, sel & ~3);
      if ((dHi & 0x8000) === 0) this.raise(NP, sel & ~3);
    }
    // Keep a 64-bit FS/GS base loaded through MSRs only if the selector load replaces it.
    this.setSegFromDesc(seg, sel, this.descLo, dHi);
    if (seg === 2) this.shadowUntil = this.icount + 1;
  }

  // ---- time ---------------------------------------------------------------------------------

  /** The TSC as a double (exact below 2^53): host time scaled, plus offset, never backwards. */
  readTsc(): number {
    let t = Math.floor((this.nowNs() * this.tscHz) / 1e9) + this.tscOffset;
    if (t <= this.tscLast) t = this.tscLast + 1;
    this.tscLast = t;
    return t;
  }

  // ---- Processor API ------------------------------------------------------------------------

  requestStop(): void {
    this.stopRequested = true;
    this.attend();
  }

  getGpr(index: number): bigint {
    return join(this.r[index << 1], this.r[(index << 1) + 1]);
  }

  setGpr(index: number, value: bigint): void {
    const [lo, hi] = split(value);
    this.r[index << 1] = lo;
    this.r[(index << 1) + 1] = hi;
  }

  getRip(): bigint {
    return join(this.ripLo, this.ripHi);
  }

  setRip(value: bigint): void {
    [this.ripLo, this.ripHi] = split(value);
    this.curLo = this.ripLo;
    this.curHi = this.ripHi;
    this.held = false;
  }

  getRflags(): number {
    return getRflags(this);
  }

  setRflags(value: number): void {
    this.flagsRest = (value & ~ARITH_FLAGS & 0x3f7fd5) | 2;
    setArithFlags(this, value);
    this.updateAttention();
    this.updateAlignCheck();
  }

  getSegment(seg: number): SegmentState {
    return {
      selector: this.segSel[seg] & 0xffff,
      base: join(this.segBase[seg << 1], this.segBase[(seg << 1) + 1]),
      limit: this.segLimit[seg] >>> 0,
      attributes: this.segAttr[seg] & 0xf0ff,
    };
  }

  setSegment(seg: number, state: SegmentState): void {
    const wasCpl = this.cpl;
    this.segSel[seg] = state.selector & 0xffff;
    [this.segBase[seg << 1], this.segBase[(seg << 1) + 1]] = split(state.base);
    this.segLimit[seg] = state.limit | 0;
    this.segAttr[seg] = state.attributes & 0xf0ff;
    if (seg === 1) {
      this.fetchTag = -1;
      if (this.cpl !== wasCpl) this.flushTlb();
      this.updateAlignCheck();
    }
  }

  getGdtr(): TableRegister {
    return { base: join(this.gdtBaseLo, this.gdtBaseHi), limit: this.gdtLimit };
  }

  setGdtr(value: TableRegister): void {
    [this.gdtBaseLo, this.gdtBaseHi] = split(value.base);
    this.gdtLimit = value.limit & 0xffff;
  }

  getIdtr(): TableRegister {
    return { base: join(this.idtBaseLo, this.idtBaseHi), limit: this.idtLimit };
  }

  setIdtr(value: TableRegister): void {
    [this.idtBaseLo, this.idtBaseHi] = split(value.base);
    this.idtLimit = value.limit & 0xffff;
  }

  getTr(): SegmentState {
    return { selector: this.trSel, base: join(this.trBaseLo, this.trBaseHi), limit: this.trLimit >>> 0, attributes: this.trAttr };
  }

  setTr(state: SegmentState): void {
    this.trSel = state.selector & 0xffff;
    [this.trBaseLo, this.trBaseHi] = split(state.base);
    this.trLimit = state.limit | 0;
    this.trAttr = state.attributes & 0xf0ff;
  }

  getControl(n: number): bigint {
    switch (n) {
      case 0:
        return BigInt(this.cr0 >>> 0);
      case 2:
        return join(this.cr2Lo, this.cr2Hi);
      case 3:
        return join(this.cr3Lo, this.cr3Hi);
      case 4:
        return BigInt(this.cr4 >>> 0);
      case 8:
        return BigInt(this.cr8);
      default:
        throw new RangeError(`no control register CR${n}`);
    }
  }

  setControl(n: number, value: bigint): void {
    const [lo, hi] = split(value);
    switch (n) {
      case 0:
        this.writeCr0(lo);
        break;
      case 2:
        this.cr2Lo = lo;
        this.cr2Hi = hi;
        break;
      case 3:
        this.cr3Lo = lo;
        this.cr3Hi = hi;
        this.flushTlb();
        break;
      case 4:
        this.cr4 = lo;
        this.flushTlb();
        break;
      case 8:
        this.cr8 = lo & 15;
        break;
      default:
        throw new RangeError(`no control register CR${n}`);
    }
  }

  /** CR0 write: ET stays set, EFER.LMA follows PG && LME, the TLB is flushed. */
  writeCr0(v: number): void {
    this.cr0 = v | 0x10;
    if ((this.cr0 & CR0_PG) !== 0 && (this.efer & EFER_LME) !== 0) this.efer |= EFER_LMA;
    else this.efer &= ~EFER_LMA;
    this.flushTlb();
    this.updateAlignCheck();
  }

  getMsr(index: number): bigint | undefined {
    if (!readMsr(this, index)) return undefined;
    return join(this.msrLo, this.msrHi);
  }

  setMsr(index: number, value: bigint): boolean {
    const [lo, hi] = split(value);
    if (index === MSR_EFER) {
      // The owner establishes state directly (as KVM_SET_SREGS does): LME/LMA are taken as given.
      this.efer = lo & (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
      this.flushTlb();
      return hi === 0 && (lo & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) === 0;
    }
    return writeMsr(this, index, lo, hi);
  }

  /** Result of readMsr. */
  msrLo = 0;
  msrHi = 0;

  getFxsave(): Uint8Array {
    const img = new Uint8Array(512);
    fxsaveImage(this, img);
    return img;
  }

  setFxsave(image: Uint8Array): void {
    fxrstorImage(this, image);
  }

  translate(linear: bigint, write: boolean): number {
    const [lo, hi] = split(linear);
    const top = hi >> 15;
    if (top !== 0 && top !== -1) return -1;
    const page = this.walk(lo, hi, write ? ACC_WRITE : ACC_READ, false);
    if (page < 0 || page + 4096 > this.memory.size) return -1;
    // A write needs RW in the tables (CR0.WP is set on hvt; with WP clear CPL 0 may write anyway).
    if (write && !this.walkWritable && ((this.cr0 & CR0_WP) !== 0 || this.cpl === 3)) return -1;
    return page + (lo & 0xfff);
  }

  readLinear(linear: bigint, length: number): Uint8Array | null {
    const out = new Uint8Array(length);
    let k = 0;
    while (k < length) {
      const phys = this.translate(linear + BigInt(k), false);
      if (phys < 0) return null;
      const n = Math.min(length - k, 4096 - (phys & 0xfff));
      out.set(this.u8.subarray(phys, phys + n), k);
      k += n;
    }
    return out;
  }

  writeLinear(linear: bigint, data: Uint8Array): boolean {
    const phys: number[] = [];
    for (let k = 0; k < data.length; ) {
      const p = this.translate(linear + BigInt(k), false);
      if (p < 0) return false;
      phys.push(p);
      k += Math.min(data.length - k, 4096 - (p & 0xfff));
    }
    let k = 0;
    for (const p of phys) {
      const n = Math.min(data.length - k, 4096 - (p & 0xfff));
      this.u8.set(data.subarray(k, k + n), p);
      this.memory.written(p, n);
      k += n;
    }
    return true;
  }

  addBreakpoint(linear: bigint): void {
    const [lo, hi] = split(linear);
    let set = this.breakpoints.get(hi);
    if (!set) this.breakpoints.set(hi, (set = new Set()));
    if (!set.has(lo)) {
      set.add(lo);
      this.breakpointCount++;
    }
    this.updateAttention();
  }

  removeBreakpoint(linear: bigint): void {
    const [lo, hi] = split(linear);
    const set = this.breakpoints.get(hi);
    if (set && set.delete(lo)) this.breakpointCount--;
    this.updateAttention();
  }

  addWatchpoint(linear: bigint, length: number, kind: WatchKind): void {
    const [lo, hi] = split(linear);
    this.watches.push({ lo, hi, length, kind });
    this.flushTlb();
  }

  removeWatchpoint(linear: bigint, length: number, kind: WatchKind): void {
    const [lo, hi] = split(linear);
    const k = this.watches.findIndex((w) => w.lo === lo && w.hi === hi && w.length === length && w.kind === kind);
    if (k >= 0) this.watches.splice(k, 1);
    this.flushTlb();
  }

  discardPendingException(): void {
    this.held = false;
  }

  raiseInterrupt(vector: number): void {
    this.irqQueue.push(vector & 0xff);
    this.updateAttention();
  }

  /** True if physical page is host read-only (used by bulk string ops). */
  isHostReadOnly(phys: number): boolean {
    return (this.pageFlags[phys >>> 12] & PAGE_HOST_READONLY) !== 0;
  }
}
