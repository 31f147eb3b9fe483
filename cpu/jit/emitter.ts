/**
 * What an instruction emitter writes with: the JavaScript source of one block under construction,
 * the instruction being translated (its addresses as constants), and helpers for the parts every
 * emitter needs — effective addresses, the fault bookkeeping, flag conditions, and leaving the
 * block.
 *
 * The generated function has these locals: `c` (the Cpu), `r` (its register words), the TLB
 * arrays `tR tW tH tP` and guest memory `dv`/`u8` (for inline accesses), and scratch
 * `ea eh a ah b bh x xh s p` (numbers; `t q` belong to load/store). Register n is `r[2n]` (lo)
 * and `r[2n+1]` (hi).
 */
import { BASE_RIP, type Handler, type Insn } from '../insn.js';
import { SS_VEC } from '../fault.js';
import { LOP_ADD, LOP_RESULT, LOP_SUB } from '../flags.js';

/** Translates one instruction; returns false to leave it to its interpreter handler. */
export type Emitter = (e: BlockEmitter, i: Insn) => boolean;

/** The TLB slot of (ea, eh): the MMU's `tlbIndex` hash, spelled out for generated code. */
const TLB_INDEX = '((ea>>>12)^(ea>>>24)^(eh<<4)^(eh>>>12))&4095';

const emitters = new Map<Handler, Emitter>();

/** Attaches an emitter to interpreter handlers (the decoded instruction names its handler). */
export function defJit(handlers: Handler | readonly Handler[], emit: Emitter): void {
  for (const h of Array.isArray(handlers) ? handlers : [handlers as Handler]) {
    if (emitters.has(h)) throw new Error(`handler ${h.name} has two emitters`);
    emitters.set(h, emit);
  }
}

export function emitterFor(h: Handler): Emitter | undefined {
  return emitters.get(h);
}

/** A lo/hi address plus a signed 32-bit offset. */
export function addOffset(lo: number, hi: number, off: number): [number, number] {
  const s = (lo >>> 0) + (off >>> 0);
  return [s | 0, (hi + (off >> 31) + (s > 0xffffffff ? 1 : 0)) | 0];
}

export function canonical(hi: number): boolean {
  const t = hi >> 15;
  return t === 0 || t === -1;
}

export class BlockEmitter {
  private readonly body: string[] = [];
  /** Values the generated code refers to by name (handlers, decoded instructions, helpers). */
  readonly refs: unknown[] = [];
  private readonly refNames = new Map<unknown, string>();

  /** Index of the instruction being emitted, and its addresses. */
  k = 0;
  curLo = 0;
  nextLo = 0;
  nextHi = 0;
  /** The instruction ends the block (it always leaves it). */
  ends = false;
  /** The block's first instruction (a jump there loops inside the generated function). */
  readonly startLo: number;
  readonly startHi: number;
  /** Lazy-flag kind and size the last translated instruction left, or -1 when unknown here. */
  flagOp = -1;
  flagSize = 0;
  /** Instructions of this pass already added to `c.icount` where the code being emitted runs. */
  private counted = 0;
  private synced = false;

  constructor(startLo: number, startHi: number) {
    this.startLo = startLo;
    this.startHi = startHi;
  }

  /** Starts instruction k at cur (next is the address after it). */
  begin(k: number, curLo: number, nextLo: number, nextHi: number): void {
    this.k = k;
    this.curLo = curLo;
    this.nextLo = nextLo;
    this.nextHi = nextHi;
    this.ends = false;
    this.synced = false;
  }

  emit(code: string): void {
    this.body.push(code);
  }

  /** A name for `value` inside the generated function. */
  ref(value: unknown): string {
    let name = this.refNames.get(value);
    if (name === undefined) {
      name = `R${this.refs.length}`;
      this.refs.push(value);
      this.refNames.set(value, name);
    }
    return name;
  }

  source(): string {
    return this.body.join('\n');
  }

  /**
   * Before anything that can fault: RIP of the faulting instruction and how many instructions
   * of this pass completed (the run loop adds them to the count when it catches the fault).
   */
  sync(): void {
    if (this.synced) return;
    this.synced = true;
    this.emit(`c.curLo=${this.curLo};c.jitIdx=${this.k - this.counted};`);
  }

  /**
   * Before an interpreter handler: brings `c.icount` up to this instruction, as the interpreter
   * would have it (STI and MOV SS record it for the interrupt shadow).
   */
  countToHere(): void {
    if (this.k > this.counted) this.emit(`c.icount+=${this.k - this.counted};`);
    this.counted = this.k;
  }

  /** Code that adds the instructions up to and including this one to `c.icount`. */
  countThis(): string {
    return `c.icount+=${this.k + 1 - this.counted};`;
  }

  /** Leaves the block after this instruction with RIP = (lo, hi) given as expressions. */
  exitCode(lo: string, hi: string): string {
    return `{c.ripLo=${lo};c.ripHi=${hi};${this.countThis()}return;}`;
  }

  /** Leaves at the next instruction. */
  exitNext(): string {
    return this.exitCode(String(this.nextLo), String(this.nextHi));
  }

  /** After a store: a write that dropped decoded code (or raised attention) ends the block. */
  breakCheck(): void {
    this.emit(`if(c.jitBreak)${this.exitNext()}`);
  }

  /** Code that continues at a constant target: loops when it is the block's start. */
  jumpCode(lo: number, hi: number): string {
    if (lo === this.startLo && hi === this.startHi) {
      return `{${this.countThis()}if(c.icount>=c.checkAt||c.jitBreak){c.ripLo=${lo};c.ripHi=${hi};return;}continue;}`;
    }
    return this.exitCode(String(lo), String(hi));
  }

  /** Register word expressions. */
  lo(n: number): string {
    return `r[${n << 1}]`;
  }

  hi(n: number): string {
    return `r[${(n << 1) + 1}]`;
  }

  /** An 8-bit register by its decoded code (16..19: AH CH DH BH), as an expression. */
  get8(code: number): string {
    return code < 16 ? `(r[${code << 1}]&255)` : `((r[${(code - 16) << 1}]>>>8)&255)`;
  }

  set8(code: number, v: string): string {
    if (code < 16) return `r[${code << 1}]=(r[${code << 1}]&-256)|((${v})&255);`;
    const k = (code - 16) << 1;
    return `r[${k}]=(r[${k}]&-65281)|(((${v})&255)<<8);`;
  }

  /**
   * Computes i's effective address into `ea`/`eh` (with the FS/GS base unless `offsetOnly`).
   * RIP-relative addresses are constants.
   */
  ea(i: Insn, offsetOnly = false): void {
    const disp = i.disp | 0;
    const parts: string[] = [];
    let constLo = disp;
    let constHi = disp >> 31;
    let haveReg = false;
    if (i.base === BASE_RIP) {
      [constLo, constHi] = addOffset(this.nextLo, this.nextHi, disp);
    } else if (i.base >= 0) {
      const b = i.base;
      if (disp === 0) parts.push(`ea=r[${b << 1}];eh=r[${(b << 1) + 1}];`);
      else parts.push(`s=(r[${b << 1}]>>>0)+${disp >>> 0};ea=s|0;eh=(r[${(b << 1) + 1}]+${disp >> 31}+(s>4294967295?1:0))|0;`);
      haveReg = true;
    }
    if (i.index >= 0) {
      const x = i.index;
      const sc = i.scale;
      const xl = sc === 0 ? `r[${x << 1}]` : `(r[${x << 1}]<<${sc})`;
      const xh = sc === 0 ? `r[${(x << 1) + 1}]` : `((r[${(x << 1) + 1}]<<${sc})|(r[${x << 1}]>>>${32 - sc}))`;
      if (haveReg) parts.push(`s=(ea>>>0)+(${xl}>>>0);eh=(eh+${xh}+(s>4294967295?1:0))|0;ea=s|0;`);
      else if (constLo === 0 && constHi === 0) parts.push(`ea=${xl};eh=${xh};`);
      else parts.push(`s=(${xl}>>>0)+${constLo >>> 0};ea=s|0;eh=(${xh}+${constHi}+(s>4294967295?1:0))|0;`);
      haveReg = true;
    }
    if (!haveReg) parts.push(`ea=${constLo};eh=${constHi};`);
    if (i.asize === 4) parts.push('eh=0;');
    if (!offsetOnly && i.seg >= 4) {
      const k = i.seg << 1;
      parts.push(`s=(ea>>>0)+(c.segBase[${k}]>>>0);eh=(eh+c.segBase[${k + 1}]+(s>4294967295?1:0))|0;ea=s|0;`);
    }
    this.emit(parts.join(''));
  }

  /**
   * Reads `size` bytes at (ea, eh) into the lvalue `dst` (size 8: lo into `dst`, hi into
   * `dstHi`). A TLB hit reads guest memory inline (the same test as the MMU's fast path);
   * anything else goes through the MMU, which walks, checks and faults.
   */
  load(size: 1 | 2 | 4 | 8, dst: string, dstHi = ''): void {
    const hit = `t=${TLB_INDEX};if(tR[t]===(ea&-4096)&&tH[t]===eh&&(ea&4095)<=${4096 - size})`;
    switch (size) {
      case 1:
        this.emit(`${hit}${dst}=u8[(tP[t]>>>0)+(ea&4095)];else ${dst}=c.read8(ea,eh);`);
        return;
      case 2:
        this.emit(`${hit}${dst}=dv.getUint16((tP[t]>>>0)+(ea&4095),true);else ${dst}=c.read16(ea,eh);`);
        return;
      case 4:
        this.emit(`${hit}${dst}=dv.getInt32((tP[t]>>>0)+(ea&4095),true);else ${dst}=c.read32(ea,eh);`);
        return;
      default:
        this.emit(`${hit}{q=(tP[t]>>>0)+(ea&4095);${dst}=dv.getInt32(q,true);${dstHi}=dv.getInt32(q+4,true);}else{${dst}=c.read64(ea,eh);${dstHi}=c.rhi;}`);
    }
  }

  /** Writes `size` bytes of the expression `v` (size 8: and `vh`) at (ea, eh); see `load`. */
  store(size: 1 | 2 | 4 | 8, v: string, vh = ''): void {
    const hit = `t=${TLB_INDEX};if(tW[t]===(ea&-4096)&&tH[t]===eh&&(ea&4095)<=${4096 - size})`;
    switch (size) {
      case 1:
        this.emit(`${hit}u8[(tP[t]>>>0)+(ea&4095)]=${v};else c.write8(ea,eh,${v});`);
        return;
      case 2:
        this.emit(`${hit}dv.setUint16((tP[t]>>>0)+(ea&4095),${v},true);else c.write16(ea,eh,${v});`);
        return;
      case 4:
        this.emit(`${hit}dv.setInt32((tP[t]>>>0)+(ea&4095),${v},true);else c.write32(ea,eh,${v});`);
        return;
      default:
        this.emit(`${hit}{q=(tP[t]>>>0)+(ea&4095);dv.setInt32(q,${v},true);dv.setInt32(q+4,${vh},true);}else c.write64(ea,eh,${v},${vh});`);
    }
  }

  /** #SS(0) unless (the hi word of) a stack address is canonical. */
  private stackCanonical(hi: string): void {
    this.emit(`t=${hi}>>15;if(t!==0&&t!==-1)c.raise(${SS_VEC},0);`);
  }

  /** PUSH of a 64-bit value (expressions, read before RSP changes; `x` is clobbered), as `Cpu.push64`. */
  push64(v: string, vh: string): void {
    this.sync();
    this.emit('x=r[8];ea=(x-8)|0;eh=(x>>>0)<8?(r[9]-1)|0:r[9];');
    this.stackCanonical('eh');
    this.store(8, v, vh);
    this.emit('r[8]=ea;r[9]=eh;');
  }

  /** Reads the 64-bit value at RSP into `a`/`ah` (leaving RSP in ea/eh), as `Cpu.peekSized(8)`. */
  peek64(): void {
    this.sync();
    this.emit('ea=r[8];eh=r[9];');
    this.stackCanonical('eh');
    this.load(8, 'a', 'ah');
  }

  /** RSP += n after `peek64` (ea/eh still hold the old RSP). */
  release(n: number): void {
    this.emit(`x=(ea>>>0)+${n};r[8]=x|0;r[9]=x>4294967295?(eh+1)|0:eh;`);
  }

  /** Notes the lazy flags a translated instruction left (for conditions later in the block). */
  flags(op: number, size: number): void {
    this.flagOp = op;
    this.flagSize = size;
  }

  /** Evaluates condition code cc (Jcc/SETcc/CMOVcc low nibble) as a boolean expression. */
  cond(cc: number, testCondition: unknown): string {
    const r = this.knownCond(cc >> 1);
    if (r === null) return `${this.ref(testCondition)}(c,${cc})`;
    return (cc & 1) === 0 ? `(${r})` : `!(${r})`;
  }

  /** The even condition cc2*2 from flags this block produced, or null. */
  private knownCond(cc2: number): string | null {
    const size = this.flagSize;
    if (this.flagOp === LOP_SUB) {
      // la, lb, lres hold a - b truncated to the size (unsigned for 1 and 2, int32 for 4).
      if (size === 4) {
        switch (cc2) {
          case 1: return '(c.la>>>0)<(c.lb>>>0)';
          case 2: return 'c.lres===0';
          case 3: return '(c.la>>>0)<=(c.lb>>>0)';
          case 4: return 'c.lres<0';
          case 6: return 'c.la<c.lb';
          case 7: return 'c.la<=c.lb';
        }
      } else if (size === 8) {
        switch (cc2) {
          case 1: return 'c.laHi!==c.lbHi?(c.laHi>>>0)<(c.lbHi>>>0):(c.la>>>0)<(c.lb>>>0)';
          case 2: return '(c.lres|c.lresHi)===0';
          case 3: return 'c.laHi!==c.lbHi?(c.laHi>>>0)<(c.lbHi>>>0):(c.la>>>0)<=(c.lb>>>0)';
          case 4: return 'c.lresHi<0';
          case 6: return 'c.laHi!==c.lbHi?c.laHi<c.lbHi:(c.la>>>0)<(c.lb>>>0)';
          case 7: return 'c.laHi!==c.lbHi?c.laHi<c.lbHi:(c.la>>>0)<=(c.lb>>>0)';
        }
      } else if (size === 1 || size === 2) {
        const sh = size === 1 ? 24 : 16;
        switch (cc2) {
          case 1: return 'c.la<c.lb';
          case 2: return 'c.lres===0';
          case 3: return 'c.la<=c.lb';
          case 6: return `(c.la<<${sh})<(c.lb<<${sh})`;
          case 7: return `(c.la<<${sh})<=(c.lb<<${sh})`;
        }
      }
      return null;
    }
    if (this.flagOp === LOP_RESULT && (size === 4 || size === 8)) {
      // Logic results: CF = OF = 0 (lextra was set to 0 by the translated instruction).
      const z = size === 4 ? 'c.lres===0' : '(c.lres|c.lresHi)===0';
      const sgn = size === 4 ? 'c.lres<0' : 'c.lresHi<0';
      switch (cc2) {
        case 0: return 'false';
        case 1: return 'false';
        case 2: return z;
        case 3: return z;
        case 4: return sgn;
        case 6: return sgn;
        case 7: return `${z}||${sgn}`;
      }
      return null;
    }
    if (this.flagOp === LOP_ADD && size === 4) {
      switch (cc2) {
        case 1: return '(c.lres>>>0)<(c.la>>>0)';
        case 2: return 'c.lres===0';
        case 4: return 'c.lres<0';
      }
    }
    return null;
  }
}
