/**
 * Emitters for the SSE2 forms vectorised loops are made of — the decode-time specialised
 * handlers of sse-move-fast.ts, sse-int-fast.ts and sse-shift-fast.ts: 128/64/32-bit moves,
 * MOVD/MOVQ, lane add/subtract/multiply/logic/compare, unpacks, PSHUFD and lane shifts. Like those handlers they use the
 * operand indexes the decoder left in `i.dst`/`i.src` (dwords of the XMM file, or words of the
 * register file for general registers). Lanes are written out with constant offsets; the
 * generated function has `x32`, `x16` and `xs16` (views of the XMM file) in scope.
 */
import { GP } from '../fault.js';
import type { Insn } from '../insn.js';
import { load128, sseCheck, store128, TMP } from '../sse-common.js';
import * as fast from '../sse-int-fast.js';
import * as mv from '../sse-move-fast.js';
import * as shifts from '../sse-shift-fast.js';
import * as move from '../sse-move.js';
import { defJit, type BlockEmitter } from './emitter.js';

/** CR0.EM | CR0.TS, and CR4.OSFXSR: what `sseCheck` looks at. */
const CR0_EM_TS = 12;
const CR4_OSFXSR = 512;

/** #UD/#NM unless SSE may run (CR0/CR4 can change inside a block, so this is checked each time). */
export function guard(e: BlockEmitter): void {
  e.sync();
  e.emit(`if((c.cr0&${CR0_EM_TS})!==0||(c.cr4&${CR4_OSFXSR})===0)${e.ref(sseCheck)}(c);`);
}

/** Loads the 16 bytes at i's memory operand into TMP (#GP first when `aligned` and misaligned). */
export function loadTmp(e: BlockEmitter, i: Insn, aligned: boolean): number {
  e.ea(i);
  if (aligned) e.emit(`if((ea&15)!==0)c.raise(${GP},0);`);
  e.emit(`c.eaLo=ea;c.eaHi=eh;${e.ref(load128)}(c,${TMP});`);
  return TMP * 4;
}

/** The aligned 16-byte source operand (as `srcA128`): its dword index in `x32`. */
function source(e: BlockEmitter, i: Insn): number {
  return i.mod === 3 ? i.src : loadTmp(e, i, true);
}

/** Byte views of the XMM file are not locals of the generated function: a block declares them. */
export function withView(view: string, code: string): string {
  return view === 'x8' || view === 'xs8' ? `{const ${view}=c.${view};${code}}` : code;
}

/**
 * `view[d+k] = f(view[d+k], view[s+k])` for the `count` lanes of a register, `d` and `s` given
 * as dword indexes into x32.
 */
export function laneOp(e: BlockEmitter, view: string, count: number, d: number, s: number, f: (d: string, s: string) => string): void {
  const per = count / 4;
  const out: string[] = [];
  for (let k = 0; k < count; k++) out.push(`${view}[${d * per + k}]=${f(`${view}[${d * per + k}]`, `${view}[${s * per + k}]`)};`);
  e.emit(withView(view, out.join('')));
}

/**
 * Unpack: interleaves, group by group, the half of the first operand starting at dword `a`
 * with the half of the second starting at dword `s`, into the register at dword `d` (all read
 * before any is written). `groups` groups of count/2/groups lanes each.
 */
export function interleave(e: BlockEmitter, view: string, count: number, d: number, a: number, s: number, groups: number): void {
  const per = count / 4;
  const g = count / 2 / groups;
  const reads: string[] = [];
  const writes: string[] = [];
  for (let k = 0; k < groups; k++) {
    for (let j = 0; j < g; j++) reads.push(`const a${k}_${j}=${view}[${a * per + k * g + j}],b${k}_${j}=${view}[${s * per + k * g + j}];`);
    for (let j = 0; j < g; j++) writes.push(`${view}[${d * per + 2 * k * g + j}]=a${k}_${j};`);
    for (let j = 0; j < g; j++) writes.push(`${view}[${d * per + 2 * k * g + g + j}]=b${k}_${j};`);
  }
  e.emit(withView(view, `{${reads.join('')}${writes.join('')}}`));
}

function lanes(e: BlockEmitter, i: Insn, view: string, count: number, f: (d: string, s: string) => string): void {
  guard(e);
  laneOp(e, view, count, i.dst, source(e, i), f);
}

defJit(fast.paddd, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `(${d}+${s})|0`), true));
defJit(fast.psubd, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `(${d}-${s})|0`), true));
defJit(fast.paddw, (e, i) => (lanes(e, i, 'x16', 8, (d, s) => `${d}+${s}`), true));
defJit(fast.psubw, (e, i) => (lanes(e, i, 'x16', 8, (d, s) => `${d}-${s}`), true));
defJit(fast.pmullw, (e, i) => (lanes(e, i, 'x16', 8, (d, s) => `Math.imul(${d},${s})`), true));
defJit(fast.pmulhw, (e, i) => (lanes(e, i, 'xs16', 8, (d, s) => `(${d}*${s})>>16`), true));
defJit(fast.pand, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `${d}&${s}`), true));
defJit(fast.pandn, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `~${d}&${s}`), true));
defJit(fast.por, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `${d}|${s}`), true));
defJit(fast.pxor, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `${d}^${s}`), true));
defJit(fast.pcmpeqd, (e, i) => (lanes(e, i, 'x32', 4, (d, s) => `${d}===${s}?-1:0`), true));

defJit(fast.zeroDst, (e, i) => {
  guard(e);
  e.emit(`x32[${i.dst}]=0;x32[${i.dst + 1}]=0;x32[${i.dst + 2}]=0;x32[${i.dst + 3}]=0;`);
  return true;
});

/** PADDQ (sub 0) / PSUBQ. */
defJit(fast.paddsubq, (e, i) => {
  guard(e);
  const s = source(e, i);
  const d = i.dst;
  for (let k = 0; k < 4; k += 2) {
    e.emit(`a=x32[${d + k}];ah=x32[${d + k + 1}];b=x32[${s + k}];bh=x32[${s + k + 1}];`);
    if (i.sub === 0) e.emit(`x=(a>>>0)+(b>>>0);x32[${d + k}]=x|0;x32[${d + k + 1}]=(ah+bh+(x>4294967295?1:0))|0;`);
    else e.emit(`x32[${d + k}]=(a-b)|0;x32[${d + k + 1}]=(ah-bh-((a>>>0)<(b>>>0)?1:0))|0;`);
  }
  return true;
});

/** Unpacks: `sub` is the dword offset of the half both operands are read from (0 low, 2 high). */
function unpack(e: BlockEmitter, i: Insn, view: string, count: number, groups: number): void {
  guard(e);
  const s = source(e, i) + i.sub;
  interleave(e, view, count, i.dst, i.dst + i.sub, s, groups);
}

defJit(fast.punpckwd, (e, i) => (unpack(e, i, 'x16', 8, 4), true));
defJit(fast.punpckdq, (e, i) => (unpack(e, i, 'x32', 4, 2), true));
defJit(fast.punpckqdq, (e, i) => (unpack(e, i, 'x32', 4, 1), true));

/** PSHUFD (the immediate is in `sub`) and its broadcast form. */
defJit([fast.pshufd, fast.pshufd0], (e, i) => {
  guard(e);
  const s = source(e, i);
  const d = i.dst;
  const sel = (k: number): number => s + ((i.sub >> (2 * k)) & 3);
  e.emit(`{const a0=x32[${sel(0)}],a1=x32[${sel(1)}],a2=x32[${sel(2)}],a3=x32[${sel(3)}];x32[${d}]=a0;x32[${d + 1}]=a1;x32[${d + 2}]=a2;x32[${d + 3}]=a3;}`);
  return true;
});

// ---- moves ----

function copy(e: BlockEmitter, d: number, s: number, dwords: number): void {
  if (d === s) return;
  for (let k = 0; k < dwords; k++) e.emit(`x32[${d + k}]=x32[${s + k}];`);
}

function zeroFrom(e: BlockEmitter, d: number, k: number): void {
  for (; k < 4; k++) e.emit(`x32[${d + k}]=0;`);
}

defJit(mv.mov128RR, (e, i) => (guard(e), copy(e, i.dst, i.src, 4), true));
defJit(mv.mov64RR, (e, i) => (guard(e), copy(e, i.dst, i.src, 2), true));
defJit(mv.mov32RR, (e, i) => (guard(e), copy(e, i.dst, i.src, 1), true));
defJit(mv.movqRR, (e, i) => (guard(e), copy(e, i.dst, i.src, 2), zeroFrom(e, i.dst, 2), true));

/** 16-byte loads land in the register only once both halves were read (through TMP). */
defJit(mv.load128A, (e, i) => (guard(e), copy(e, i.reg * 4, loadTmp(e, i, true), 4), true));
defJit(mv.load128U, (e, i) => (guard(e), copy(e, i.reg * 4, loadTmp(e, i, false), 4), true));

function store128To(e: BlockEmitter, i: Insn, aligned: boolean): void {
  guard(e);
  e.ea(i);
  if (aligned) e.emit(`if((ea&15)!==0)c.raise(${GP},0);`);
  e.emit(`c.eaLo=ea;c.eaHi=eh;${e.ref(store128)}(c,${i.reg});`);
  e.breakCheck();
}

defJit(mv.store128A, (e, i) => (store128To(e, i, true), true));
defJit(mv.store128U, (e, i) => (store128To(e, i, false), true));

defJit(mv.load64Zx, (e, i) => {
  guard(e);
  e.ea(i);
  e.load(8, `x32[${i.dst}]`, `x32[${i.dst + 1}]`);
  zeroFrom(e, i.dst, 2);
  return true;
});

defJit(mv.load32Zx, (e, i) => {
  guard(e);
  e.ea(i);
  e.load(4, `x32[${i.dst}]`);
  zeroFrom(e, i.dst, 1);
  return true;
});

defJit(mv.store64, (e, i) => {
  guard(e);
  e.ea(i);
  e.store(8, `x32[${i.src}]`, `x32[${i.src + 1}]`);
  e.breakCheck();
  return true;
});

defJit(mv.store32, (e, i) => {
  guard(e);
  e.ea(i);
  e.store(4, `x32[${i.src}]`);
  e.breakCheck();
  return true;
});

defJit(mv.movdFromGpr, (e, i) => (guard(e), e.emit(`x32[${i.dst}]=r[${i.src}];`), zeroFrom(e, i.dst, 1), true));
defJit(mv.movqFromGpr, (e, i) => (guard(e), e.emit(`x32[${i.dst}]=r[${i.src}];x32[${i.dst + 1}]=r[${i.src + 1}];`), zeroFrom(e, i.dst, 2), true));
defJit(mv.movdToGpr, (e, i) => (guard(e), e.emit(`r[${i.dst}]=x32[${i.src}];r[${i.dst + 1}]=0;`), true));
defJit(mv.movqToGpr, (e, i) => (guard(e), e.emit(`r[${i.dst}]=x32[${i.src}];r[${i.dst + 1}]=x32[${i.src + 1}];`), true));

/** 66 0F 7E with a memory destination: MOVD/MOVQ m32/m64, xmm. */
defJit(move.movdFromXmm, (e, i) => {
  if (i.mod === 3) return false;
  guard(e);
  const s = i.reg * 4;
  e.ea(i);
  if (i.osize === 8) e.store(8, `x32[${s}]`, `x32[${s + 1}]`);
  else e.store(4, `x32[${s}]`);
  e.breakCheck();
  return true;
});

// ---- lane shifts by a constant (count in `sub`, word masks in `src`, as sse-shift-fast.ts) ----

/** `x32[d+k] = f(x32[d+k])` for the four dwords of the destination. */
function dwords(e: BlockEmitter, i: Insn, f: (v: string) => string): void {
  guard(e);
  const out: string[] = [];
  for (let k = 0; k < 4; k++) out.push(`x32[${i.dst + k}]=${f(`x32[${i.dst + k}]`)};`);
  e.emit(out.join(''));
}

defJit(shifts.zero, (e, i) => (dwords(e, i, () => '0'), true));
defJit(shifts.keep, (e) => (guard(e), true));
defJit(shifts.psrlw, (e, i) => (dwords(e, i, (v) => `(${v}>>>${i.sub})&${i.src}`), true));
defJit(shifts.psllw, (e, i) => (dwords(e, i, (v) => `(${v}<<${i.sub})&${i.src}`), true));
defJit(shifts.psraw, (e, i) => (dwords(e, i, (v) => `(((${v}<<16)>>${16 + i.sub})&65535)|((${v}>>${16 + i.sub})<<16)`), true));
defJit(shifts.psrld, (e, i) => (dwords(e, i, (v) => `${v}>>>${i.sub}`), true));
defJit(shifts.pslld, (e, i) => (dwords(e, i, (v) => `${v}<<${i.sub}`), true));
defJit(shifts.psrad, (e, i) => (dwords(e, i, (v) => `${v}>>${i.sub}`), true));

/** PSRLQ/PSLLQ by 1..63: each qword as a lo/hi pair. */
function qwordShift(e: BlockEmitter, i: Insn, left: boolean): void {
  guard(e);
  const n = i.sub;
  for (const j of [i.dst, i.dst + 2]) {
    const [lo, hi] = [`x32[${j}]`, `x32[${j + 1}]`];
    e.emit(`a=${lo};ah=${hi};`);
    if (left) e.emit(n < 32 ? `${lo}=a<<${n};${hi}=(ah<<${n})|(a>>>${32 - n});` : `${lo}=0;${hi}=a<<${n - 32};`);
    else e.emit(n < 32 ? `${lo}=(a>>>${n})|(ah<<${32 - n});${hi}=ah>>>${n};` : `${lo}=ah>>>${n - 32};${hi}=0;`);
  }
}

defJit(shifts.psrlq, (e, i) => (qwordShift(e, i, false), true));
defJit(shifts.psllq, (e, i) => (qwordShift(e, i, true), true));
