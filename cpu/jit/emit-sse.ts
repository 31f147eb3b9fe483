/**
 * Emitters for the SSE2 integer and move forms that vectorised integer loops are made of:
 * 128-bit loads/stores/copies, MOVD/MOVQ, lane adds/subtracts/multiplies, logic, unpacks and
 * PSHUFD. Lanes are written out with their register offsets as constants. The generated
 * function has `x32`, `x16` and `xs16` (views of the XMM file) in scope.
 */
import { GP } from '../fault.js';
import type { Insn } from '../insn.js';
import { load128, sseCheck, store128, TMP } from '../sse-common.js';
import * as ssei from '../sse-int.js';
import * as fast from '../sse-int-fast.js';
import * as move from '../sse-move.js';
import { defJit, type BlockEmitter } from './emitter.js';

/** CR0.EM | CR0.TS, and CR4.OSFXSR: what `sseCheck` looks at. */
const CR0_EM_TS = 12;
const CR4_OSFXSR = 512;

/** #UD/#NM unless SSE may run (CR0/CR4 can change inside a block, so this is checked each time). */
function guard(e: BlockEmitter): void {
  e.sync();
  e.emit(`if((c.cr0&${CR0_EM_TS})!==0||(c.cr4&${CR4_OSFXSR})===0)${e.ref(sseCheck)}(c);`);
}

/** The 16-byte source operand: its dword index in `x32` (a register, or TMP after a load). */
function source128(e: BlockEmitter, i: Insn, aligned: boolean): number {
  if (i.mod === 3) return i.rm * 4;
  e.ea(i);
  if (aligned) e.emit(`if((ea&15)!==0)c.raise(${GP},0);`);
  e.emit(`c.eaLo=ea;c.eaHi=eh;${e.ref(load128)}(c,${TMP});`);
  return TMP * 4;
}

/** Emits `dst[k] = f(dst[k], src[k])` for each lane of a view (`lanes` lanes of an array name). */
function lanes(e: BlockEmitter, i: Insn, view: string, count: number, f: (d: string, s: string) => string): void {
  guard(e);
  const s = (source128(e, i, true) / 4) * count;
  const d = i.reg * count;
  const out: string[] = [];
  for (let k = 0; k < count; k++) out.push(`${view}[${d + k}]=${f(`${view}[${d + k}]`, `${view}[${s + k}]`)};`);
  e.emit(out.join(''));
}

defJit(fast.paddd, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `(${d}+${s})|0`), true));
defJit(fast.psubd, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `(${d}-${s})|0`), true));
defJit(fast.paddw, (e, i) => (lanes(e, i, 'x16', 8, (d, s) => `${d}+${s}`), true));
defJit(fast.psubw, (e, i) => (lanes(e, i, 'x16', 8, (d, s) => `${d}-${s}`), true));
defJit(fast.pmullw, (e, i) => (lanes(e, i, 'x16', 8, (d, s) => `Math.imul(${d},${s})`), true));
defJit(fast.pmulhw, (e, i) => (lanes(e, i, 'xs16', 8, (d, s) => `(${d}*${s})>>16`), true));
defJit(fast.pand, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `${d}&${s}`), true));
defJit(fast.por, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `${d}|${s}`), true));
defJit(fast.pxor, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `${d}^${s}`), true));

/** PUNPCKL/HWD and PUNPCKL/HDQ: interleave one half (`sub` = its lane offset) of both operands. */
function unpack(e: BlockEmitter, i: Insn, view: string, count: number): void {
  guard(e);
  const s = (source128(e, i, true) / 4) * count + i.sub;
  const d = i.reg * count;
  const half = count / 2;
  const reads: string[] = [];
  for (let k = 0; k < half; k++) reads.push(`const a${k}=${view}[${d + i.sub + k}],b${k}=${view}[${s + k}];`);
  const writes: string[] = [];
  for (let k = 0; k < half; k++) writes.push(`${view}[${d + 2 * k}]=a${k};${view}[${d + 2 * k + 1}]=b${k};`);
  e.emit(`{${reads.join('')}${writes.join('')}}`);
}

defJit(fast.punpckwd, (e, i) => (unpack(e, i, 'x16', 8), true));
defJit(fast.punpckdq, (e, i) => (unpack(e, i, 'x32', 4), true));

defJit(ssei.pshufd, (e, i) => {
  guard(e);
  const s = source128(e, i, true);
  const d = i.reg * 4;
  const sel = (k: number): number => s + ((i.imm >> (2 * k)) & 3);
  e.emit(`{const a0=x32[${sel(0)}],a1=x32[${sel(1)}],a2=x32[${sel(2)}],a3=x32[${sel(3)}];x32[${d}]=a0;x32[${d + 1}]=a1;x32[${d + 2}]=a2;x32[${d + 3}]=a3;}`);
  return true;
});

// ---- moves ----

function copy(e: BlockEmitter, d: number, s: number): void {
  if (d !== s) e.emit(`x32[${d}]=x32[${s}];x32[${d + 1}]=x32[${s + 1}];x32[${d + 2}]=x32[${s + 2}];x32[${d + 3}]=x32[${s + 3}];`);
}

defJit(move.loadA, (e, i) => (guard(e), copy(e, i.reg * 4, source128(e, i, true)), true));
defJit(move.loadU, (e, i) => (guard(e), copy(e, i.reg * 4, source128(e, i, false)), true));

function store(e: BlockEmitter, i: Insn, aligned: boolean): void {
  guard(e);
  const s = i.reg * 4;
  if (i.mod === 3) {
    copy(e, i.rm * 4, s);
    return;
  }
  e.ea(i);
  if (aligned) e.emit(`if((ea&15)!==0)c.raise(${GP},0);`);
  e.emit(`c.eaLo=ea;c.eaHi=eh;${e.ref(store128)}(c,${i.reg});`);
  e.breakCheck();
}

defJit(move.storeA, (e, i) => (store(e, i, true), true));
defJit(move.storeU, (e, i) => (store(e, i, false), true));

defJit(move.movdToXmm, (e, i) => {
  guard(e);
  const d = i.reg * 4;
  const wide = i.osize === 8;
  if (i.mod === 3) e.emit(`x32[${d}]=${e.lo(i.rm)};x32[${d + 1}]=${wide ? e.hi(i.rm) : '0'};`);
  else {
    e.ea(i);
    if (wide) e.load(8, `x32[${d}]`, `x32[${d + 1}]`);
    else {
      e.load(4, `x32[${d}]`);
      e.emit(`x32[${d + 1}]=0;`);
    }
  }
  e.emit(`x32[${d + 2}]=0;x32[${d + 3}]=0;`);
  return true;
});

defJit(move.movdFromXmm, (e, i) => {
  guard(e);
  const s = i.reg * 4;
  const wide = i.osize === 8;
  if (i.mod === 3) {
    e.emit(`${e.lo(i.rm)}=x32[${s}];${e.hi(i.rm)}=${wide ? `x32[${s + 1}]` : '0'};`);
    return true;
  }
  e.ea(i);
  if (wide) e.store(8, `x32[${s}]`, `x32[${s + 1}]`);
  else e.store(4, `x32[${s}]`);
  e.breakCheck();
  return true;
});

defJit(move.movqLoad, (e, i) => {
  guard(e);
  const d = i.reg * 4;
  if (i.mod === 3) e.emit(`x32[${d}]=x32[${i.rm * 4}];x32[${d + 1}]=x32[${i.rm * 4 + 1}];`);
  else {
    e.ea(i);
    e.load(8, `x32[${d}]`, `x32[${d + 1}]`);
  }
  e.emit(`x32[${d + 2}]=0;x32[${d + 3}]=0;`);
  return true;
});

/** MOVSD/MOVSS loads: a register source moves the low lane; memory zeroes the rest. */
function scalarLoad(e: BlockEmitter, i: Insn, dwords: 1 | 2): void {
  guard(e);
  const d = i.reg * 4;
  if (i.mod === 3) {
    for (let k = 0; k < dwords; k++) e.emit(`x32[${d + k}]=x32[${i.rm * 4 + k}];`);
    return;
  }
  e.ea(i);
  if (dwords === 2) e.load(8, `x32[${d}]`, `x32[${d + 1}]`);
  else {
    e.load(4, `x32[${d}]`);
    e.emit(`x32[${d + 1}]=0;`);
  }
  e.emit(`x32[${d + 2}]=0;x32[${d + 3}]=0;`);
}

/** MOVSD/MOVSS/MOVQ stores of the low lane (MOVQ's register form zeroes the upper qword). */
function scalarStore(e: BlockEmitter, i: Insn, dwords: 1 | 2, regZeroesUpper: boolean): void {
  guard(e);
  const s = i.reg * 4;
  if (i.mod === 3) {
    const d = i.rm * 4;
    for (let k = 0; k < dwords; k++) e.emit(`x32[${d + k}]=x32[${s + k}];`);
    if (regZeroesUpper) e.emit(`x32[${d + 2}]=0;x32[${d + 3}]=0;`);
    return;
  }
  e.ea(i);
  if (dwords === 2) e.store(8, `x32[${s}]`, `x32[${s + 1}]`);
  else e.store(4, `x32[${s}]`);
  e.breakCheck();
}

defJit(move.movsdLoad, (e, i) => (scalarLoad(e, i, 2), true));
defJit(move.movssLoad, (e, i) => (scalarLoad(e, i, 1), true));
defJit(move.movsdStore, (e, i) => (scalarStore(e, i, 2, false), true));
defJit(move.movssStore, (e, i) => (scalarStore(e, i, 1, false), true));
defJit(move.movqStore, (e, i) => (scalarStore(e, i, 2, true), true));
