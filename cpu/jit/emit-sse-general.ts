/**
 * Emitters for SSE2 forms that still run through the general handlers (the ones the decoder
 * does not specialise): the generic packed-integer handler `pbin` (compares, min/max, averages,
 * saturating arithmetic, byte unpacks, packs …), shifts by an immediate, PSRLDQ/PSLLDQ,
 * UNPCKL/HPS/PD, SHUFPS/SHUFPD and CVTSI2SD from 32 bits. Like those handlers they take their
 * registers from ModRM (`i.reg`, `i.rm`). Byte views of the XMM file are declared where used.
 */
import type { Insn } from '../insn.js';
import * as convert from '../sse-convert.js';
import * as float from '../sse-float.js';
import * as ssei from '../sse-int.js';
import { defJit, type BlockEmitter } from './emitter.js';
import { guard, interleave, laneOp, loadTmp, withView } from './emit-sse.js';

/** The 16-byte source operand: its dword index in `x32` (a register, or TMP after a load). */
function source128(e: BlockEmitter, i: Insn, aligned: boolean): number {
  return i.mod === 3 ? i.rm * 4 : loadTmp(e, i, aligned);
}

/** `dst[k] = f(dst[k], src[k])` for each lane of a view (`count` lanes per register). */
function lanes(e: BlockEmitter, i: Insn, view: string, count: number, f: (d: string, s: string) => string): void {
  guard(e);
  laneOp(e, view, count, i.reg * 4, source128(e, i, true), f);
}

/** PUNPCKL/H of bytes, words, dwords: interleave one half (starting at lane `base`) of both operands. */
function unpack(e: BlockEmitter, i: Insn, view: string, count: number, base: number): void {
  guard(e);
  const off = (base * 4) / count;
  interleave(e, view, count, i.reg * 4, i.reg * 4 + off, source128(e, i, true) + off, count / 2);
}

/** The two qwords of the result (as dword indices into x32), copied through temporaries. */
function qwords(e: BlockEmitter, d: number, lo: number, hi: number): void {
  e.emit(`{const a0=x32[${lo}],a1=x32[${lo + 1}],a2=x32[${hi}],a3=x32[${hi + 1}];x32[${d}]=a0;x32[${d + 1}]=a1;x32[${d + 2}]=a2;x32[${d + 3}]=a3;}`);
}

/** PUNPCKLQDQ/PUNPCKHQDQ: one qword of each operand. */
function unpackQ(e: BlockEmitter, i: Insn, high: boolean): void {
  guard(e);
  const s = source128(e, i, true);
  const q = high ? 2 : 0;
  qwords(e, i.reg * 4, i.reg * 4 + q, s + q);
}

/** PACKSSWB/PACKUSWB/PACKSSDW: both operands' lanes saturated into the narrower view. */
function pack(e: BlockEmitter, i: Insn, from: string, to: string, n: number, min: number, max: number): void {
  guard(e);
  const s = (source128(e, i, true) / 4) * n;
  const d = i.reg * n;
  const reads: string[] = [];
  for (let k = 0; k < n; k++) reads.push(`t${k}=${from}[${d + k}],t${n + k}=${from}[${s + k}]`);
  const writes: string[] = [];
  for (let k = 0; k < 2 * n; k++) writes.push(`${to}[${i.reg * 2 * n + k}]=t${k}<${min}?${min}:t${k}>${max}?${max}:t${k};`);
  e.emit(withView(to, `{const ${reads.join(',')};${writes.join('')}}`));
}

/** PADDQ/PSUBQ: two 64-bit lanes with the carry/borrow between the dwords. */
function addSubQ(e: BlockEmitter, i: Insn, sub: boolean): void {
  guard(e);
  const s = source128(e, i, true);
  const d = i.reg * 4;
  for (const k of [0, 2]) {
    e.emit(`a=x32[${d + k}];ah=x32[${d + k + 1}];b=x32[${s + k}];bh=x32[${s + k + 1}];`);
    e.emit(sub
      ? `x32[${d + k}]=(a-b)|0;x32[${d + k + 1}]=(ah-bh-((a>>>0)<(b>>>0)?1:0))|0;`
      : `x=(a>>>0)+(b>>>0);x32[${d + k}]=x|0;x32[${d + k + 1}]=(ah+bh+(x>4294967295?1:0))|0;`);
  }
}

/** The lane-wise pbin operations: view, lane count, and the lane formula. */
const PBIN_LANES = new Map<number, [string, number, (d: string, s: string) => string]>([
  [0x74, ['x8', 16, (d, s) => `${d}===${s}?255:0`]],
  [0x75, ['x16', 8, (d, s) => `${d}===${s}?65535:0`]],
  [0x76, ['x32', 4, (d, s) => `${d}===${s}?-1:0`]],
  [0x64, ['xs8', 16, (d, s) => `${d}>${s}?-1:0`]],
  [0x65, ['xs16', 8, (d, s) => `${d}>${s}?-1:0`]],
  [0x66, ['x32', 4, (d, s) => `${d}>${s}?-1:0`]],
  [0xda, ['x8', 16, (d, s) => `Math.min(${d},${s})`]],
  [0xde, ['x8', 16, (d, s) => `Math.max(${d},${s})`]],
  [0xea, ['xs16', 8, (d, s) => `Math.min(${d},${s})`]],
  [0xee, ['xs16', 8, (d, s) => `Math.max(${d},${s})`]],
  [0xe0, ['x8', 16, (d, s) => `(${d}+${s}+1)>>1`]],
  [0xe3, ['x16', 8, (d, s) => `(${d}+${s}+1)>>1`]],
  [0xdf, ['x32', 4, (d, s) => `~${d}&${s}`]],
  [0xfc, ['x8', 16, (d, s) => `${d}+${s}`]],
  [0xf8, ['x8', 16, (d, s) => `${d}-${s}`]],
  [0xdc, ['x8', 16, (d, s) => `Math.min(${d}+${s},255)`]],
  [0xd8, ['x8', 16, (d, s) => `Math.max(${d}-${s},0)`]],
  [0xdd, ['x16', 8, (d, s) => `Math.min(${d}+${s},65535)`]],
  [0xd9, ['x16', 8, (d, s) => `Math.max(${d}-${s},0)`]],
]);

/** The generic packed-integer handler: the frequent operations, the others stay with it. */
defJit(ssei.pbin, (e, i) => {
  const op = i.opcode & 0xff;
  const lane = PBIN_LANES.get(op);
  if (lane !== undefined) lanes(e, i, lane[0], lane[1], lane[2]);
  else if (op === 0x60 || op === 0x68) unpack(e, i, 'x8', 16, op === 0x68 ? 8 : 0);
  else if (op === 0x6c || op === 0x6d) unpackQ(e, i, op === 0x6d);
  else if (op === 0x63) pack(e, i, 'xs16', 'xs8', 8, -128, 127);
  else if (op === 0x67) pack(e, i, 'xs16', 'x8', 8, 0, 255);
  else if (op === 0x6b) pack(e, i, 'x32', 'xs16', 4, -32768, 32767);
  else if (op === 0xd4 || op === 0xfb) addSubQ(e, i, op === 0xfb);
  else return false;
  return true;
});

/** PSRLW/PSRAW/PSLLW, PSRLD/PSRAD/PSLLD, PSRLQ/PSLLQ of a register by a constant. */
defJit(ssei.shiftByImm, (e, i) => {
  guard(e);
  const width = i.opcode === 0x171 ? 2 : i.opcode === 0x172 ? 4 : 8;
  const r = i.reg & 7;
  const kind = r === 2 ? 0 : r === 4 ? 1 : 2;
  const count = i.imm & 0xff;
  const bits = width * 8;
  const d = i.rm * 4;
  if (count >= bits && kind !== 1) {
    e.emit(`x32[${d}]=0;x32[${d + 1}]=0;x32[${d + 2}]=0;x32[${d + 3}]=0;`);
    return true;
  }
  const n = Math.min(count, bits - 1);
  const out: string[] = [];
  if (width === 2) {
    const op = kind === 0 ? `>>>${n}` : kind === 1 ? `>>${n}` : `<<${n}`;
    const view = kind === 1 ? 'xs16' : 'x16';
    for (let k = 0; k < 8; k++) out.push(`${view}[${i.rm * 8 + k}]=${view}[${i.rm * 8 + k}]${op};`);
  } else if (width === 4) {
    const op = kind === 0 ? `>>>${n}` : kind === 1 ? `>>${n}` : `<<${n}`;
    for (let k = 0; k < 4; k++) out.push(`x32[${d + k}]=x32[${d + k}]${op};`);
  } else if (n !== 0) {
    for (const k of [d, d + 2]) {
      const [lo, hi] = [`x32[${k}]`, `x32[${k + 1}]`];
      if (kind === 0) out.push(n < 32 ? `${lo}=(${lo}>>>${n})|(${hi}<<${32 - n});${hi}=${hi}>>>${n};` : `${lo}=${hi}>>>${n - 32};${hi}=0;`);
      else out.push(n < 32 ? `${hi}=(${hi}<<${n})|(${lo}>>>${32 - n});${lo}=${lo}<<${n};` : `${hi}=${lo}<<${n - 32};${lo}=0;`);
    }
  }
  e.emit(out.join(''));
  return true;
});

/** PSRLDQ/PSLLDQ: whole-register byte shifts by a constant (whole dwords move as dwords). */
defJit(ssei.byteShift, (e, i) => {
  guard(e);
  const n = Math.min(i.imm & 0xff, 16);
  const left = (i.reg & 7) === 7;
  const [view, lanes, unit] = n % 4 === 0 ? ['x32', 4, 4] : ['x8', 16, 1];
  const d = i.rm * lanes;
  const shiftBy = n / unit;
  const out: string[] = [];
  // Lanes are written in the order that reads each source lane before it is overwritten.
  for (let j = 0; j < lanes; j++) {
    const k = left ? lanes - 1 - j : j;
    const from = left ? k - shiftBy : k + shiftBy;
    out.push(`${view}[${d + k}]=${from >= 0 && from < lanes ? `${view}[${d + from}]` : '0'};`);
  }
  e.emit(withView(view, out.join('')));
  return true;
});

/** UNPCKLPS/UNPCKHPS (dwords) and, with 66, UNPCKLPD/UNPCKHPD (qwords). */
defJit(float.unpck, (e, i) => {
  guard(e);
  const s = source128(e, i, true);
  const d = i.reg * 4;
  const b = (i.opcode & 1) === 1 ? 2 : 0;
  if (i.p66) qwords(e, d, d + b, s + b);
  else e.emit(`{const a0=x32[${d + b}],a1=x32[${s + b}],a2=x32[${d + b + 1}],a3=x32[${s + b + 1}];x32[${d}]=a0;x32[${d + 1}]=a1;x32[${d + 2}]=a2;x32[${d + 3}]=a3;}`);
  return true;
});

/** SHUFPS: two dwords of the destination, then two of the source, chosen by imm8. */
defJit(float.shufps, (e, i) => {
  guard(e);
  const s = source128(e, i, true);
  const d = i.reg * 4;
  const m = i.imm;
  e.emit(`{const a0=x32[${d + (m & 3)}],a1=x32[${d + ((m >> 2) & 3)}],a2=x32[${s + ((m >> 4) & 3)}],a3=x32[${s + ((m >> 6) & 3)}];x32[${d}]=a0;x32[${d + 1}]=a1;x32[${d + 2}]=a2;x32[${d + 3}]=a3;}`);
  return true;
});

/** SHUFPD: a qword of the destination, then one of the source, chosen by imm8 bits 0 and 1. */
defJit(float.shufpd, (e, i) => {
  guard(e);
  const s = source128(e, i, true);
  const d = i.reg * 4;
  qwords(e, d, d + (i.imm & 1) * 2, s + ((i.imm >> 1) & 1) * 2);
  return true;
});

/** CVTSI2SD xmm, r/m32 (exact: no MXCSR flags); the 64-bit form can round and stays with its handler. */
defJit(convert.cvtsi2sd, (e, i) => {
  if (i.osize === 8) return false;
  guard(e);
  if (i.mod === 3) e.emit(`c.xf64[${i.reg * 2}]=${e.lo(i.rm)};`);
  else {
    e.ea(i);
    e.emit(`c.xf64[${i.reg * 2}]=c.read32(ea,eh);`);
  }
  return true;
});
