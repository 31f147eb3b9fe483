/**
 * Translates a run of decoded instructions (one basic block, within one page) into a JavaScript
 * function. Instructions with an emitter become inline code with their operands as constants;
 * the others call their interpreter handler, which V8 can inline because each call site in a
 * block sees one handler. A block that jumps back to its own start loops inside the function.
 *
 * Contract with the run loop (cpu.ts): the function runs with RIP at the block start and leaves
 * RIP, `icount` and the state as the interpreter would after the instructions it completed. It
 * exits early when a handler changed RIP, or when `jitBreak` says decoded code was dropped, the
 * TLB flushed or attention was raised. A fault inside leaves `curLo` and `jitIdx` (instructions
 * completed in this pass) for the run loop's handler.
 */
import type { Cpu } from '../cpu.js';
import { raiseUD } from '../decoder.js';
import type { Insn } from '../insn.js';
import { BlockEmitter, emitterFor } from './emitter.js';
// The instruction table first: the emitters' modules reach into the families it registers.
import '../isa.js';
import './emit-alu.js';
import './emit-integer.js';
import './emit-muldiv.js';
import './emit-sse.js';
import './emit-sse-general.js';

export type BlockFn = (c: Cpu) => void;

/** A compiled block: valid for the linear page it was translated at. */
export class JitBlock {
  constructor(
    readonly fn: BlockFn | null,
    readonly linPage: number,
    readonly linHi: number,
  ) {}
}

/** Marks an address the translator cannot start a block at (the interpreter runs it). */
export const NO_BLOCK = new JitBlock(null, -2, 0);

/** Longest block, in instructions (bigger ones cost V8 more to optimise than they return). */
const MAX_INSNS = 96;

/** Opcodes whose handlers always leave the block (returns, calls, far jumps, traps, SYSCALL/SYSRET, UD2). */
const ENDS_BLOCK = new Set([0xc2, 0xc3, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xe8, 0xe9, 0xea, 0xeb, 0xf1, 0xf4, 0x105, 0x107, 0x10b]);

/**
 * Compiles the block starting at linear (lo, hi); `insnAt(offset)` gives the decoded instruction
 * at a page offset, or undefined where the block must stop (page end, straddling instruction).
 */
export function compileBlock(lo: number, hi: number, insnAt: (off: number) => Insn | undefined): JitBlock {
  const page = lo & ~0xfff;
  let off = lo & 0xfff;
  const e = new BlockEmitter(lo, hi);
  let count = 0;
  for (let k = 0; k < MAX_INSNS; k++) {
    const i = insnAt(off);
    if (i === undefined) break;
    const curLo = (page + off) | 0;
    const nextOff = off + i.len;
    // The address after the last instruction of the page may carry into the hi word.
    const nextSum = (page >>> 0) + nextOff;
    const nextLo = nextSum | 0;
    const nextHi = nextSum > 0xffffffff ? (hi + 1) | 0 : hi;
    e.begin(k, curLo, nextLo, nextHi);
    count++;
    const emit = emitterFor(i.exec);
    if (emit === undefined || !emit(e, i)) emitCall(e, i);
    if (e.ends) break;
    off = nextOff;
    if (off >= 4096) break;
  }
  if (count === 0) return NO_BLOCK;
  // Out of instructions, page or length: go on at the next address through the run loop.
  if (!e.ends) e.emit(e.exitNext());
  const hoist = e.refs.map((_, n) => `const R${n}=R[${n}];`).join('');
  const name = `blk_${(hi >>> 0).toString(16)}_${(lo >>> 0).toString(16)}`;
  const src = `"use strict";${hoist}return function ${name}(c){const r=c.r,x32=c.x32,x16=c.x16,xs16=c.xs16,tR=c.tlbRead,tW=c.tlbWrite,tH=c.tlbHi,tP=c.tlbPhys,dv=c.view,u8=c.u8;let ea=0,eh=0,a=0,ah=0,b=0,bh=0,x=0,xh=0,s=0,p=0,t=0,q=0;c.curHi=${hi};for(;;){\n${e.source()}\n}};`;
  const factory = new Function('R', src) as (refs: unknown[]) => BlockFn;
  return new JitBlock(factory(e.refs), page, hi);
}

/** Runs the interpreter handler: full RIP state first, and an exit when it jumped or broke. */
function emitCall(e: BlockEmitter, i: Insn): void {
  const h = e.ref(i.exec);
  const insn = e.ref(i);
  e.countToHere();
  e.sync();
  e.emit(`c.ripLo=${e.nextLo};c.ripHi=${e.nextHi};${h}(c,${insn});`);
  e.flagOp = -1;
  const indirect = i.opcode === 0xff && (i.reg & 7) >= 2 && (i.reg & 7) <= 5;
  if (i.exec === raiseUD || indirect || ENDS_BLOCK.has(i.opcode)) {
    e.emit(`${e.countThis()}return;`);
    e.ends = true;
    return;
  }
  e.emit(`if(c.ripLo!==${e.nextLo}||c.ripHi!==${e.nextHi}||c.jitBreak){${e.countThis()}return;}`);
}
