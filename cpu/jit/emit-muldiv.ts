/**
 * Emitters for multiplies, divides, NOT and NEG of 32 and 64 bits. 64-bit products and
 * divisions by a 32-bit divisor use wide-arith.ts; a 64-bit division the fast step cannot do
 * (divisor of 33 bits or more, or #DE) calls the interpreter handler, which decides.
 */
import * as alu from '../alu.js';
import { DE } from '../fault.js';
import { LOP_RESULT, LOP_SUB } from '../flags.js';
import type { Insn } from '../insn.js';
import * as muldiv from '../muldiv.js';
import { CF, OF } from '../state.js';
import { defJit, type BlockEmitter } from './emitter.js';
import { narrowSource } from './emit-integer.js';
import { mulHiU32, smul64, udiv32, umul64, W } from './wide-arith.js';

/** Reads the 64-bit r/m operand into `b`/`bh`. */
function source64(e: BlockEmitter, i: Insn): void {
  if (i.mod === 3) {
    e.emit(`b=${e.lo(i.rm)};bh=${e.hi(i.rm)};`);
    return;
  }
  e.ea(i);
  e.sync();
  e.emit('b=c.read64(ea,eh);bh=c.rhi;');
}

/** The lazy flags of a multiply: CF = OF = `overflow` (an expression). */
function mulFlags(e: BlockEmitter, size: 4 | 8, lo: string, hi: string, overflow: string): void {
  e.emit(`c.lop=${LOP_RESULT};c.lsize=${size};c.lres=${lo};c.lresHi=${hi};c.lextra=${overflow}?${CF | OF}:0;`);
  e.flags(-1, size);
}

// ---- IMUL r, r/m and IMUL r, r/m, imm (truncated product; CF = OF = "did not fit") ----

function imul32(e: BlockEmitter, i: Insn, a: string, b: string): void {
  e.emit(`a=${a};b=${b};x=Math.imul(a,b);`);
  mulFlags(e, 4, 'x', '0', 'a*b!==x');
  e.emit(`${e.lo(i.reg)}=x;${e.hi(i.reg)}=0;`);
}

/**
 * Signed product of (a, ah) and (b, bh) into i.reg. Two sign-extended int32 operands (the
 * common case) cannot overflow: their product is below 2^62, and its high word is recovered
 * from the double product as in `mulHiU32`.
 */
function imul64(e: BlockEmitter, i: Insn): void {
  const w = e.ref(W);
  e.emit(`if(ah===a>>31&&bh===b>>31){x=Math.imul(a,b);xh=Math.round((a*b-(x>>>0))/4294967296)|0;p=0;}`);
  e.emit(`else{${e.ref(smul64)}(a,ah,b,bh);x=${w}[0];xh=${w}[1];p=${w}[2]!==xh>>31||${w}[3]!==xh>>31?1:0;}`);
  mulFlags(e, 8, 'x', 'xh', 'p!==0');
  e.emit(`${e.lo(i.reg)}=x;${e.hi(i.reg)}=xh;`);
}

defJit(muldiv.imul2, (e, i) => {
  if (i.osize === 4) imul32(e, i, e.lo(i.reg), narrowSource(e, i, 4));
  else if (i.osize === 8) {
    source64(e, i);
    e.emit(`a=${e.lo(i.reg)};ah=${e.hi(i.reg)};`);
    imul64(e, i);
  } else return false;
  return true;
});

defJit(muldiv.imul3, (e, i) => {
  if (i.osize === 4) imul32(e, i, narrowSource(e, i, 4), String(i.imm | 0));
  else if (i.osize === 8) {
    source64(e, i);
    e.emit(`a=b;ah=bh;b=${i.imm | 0};bh=${i.imm >> 31};`);
    imul64(e, i);
  } else return false;
  return true;
});

// ---- MUL r/m32, r/m64: rDX:rAX = rAX × r/m ----

defJit(muldiv.mul, (e, i) => {
  if (i.opcode !== 0xf7) return false;
  if (i.osize === 4) {
    e.emit(`b=${narrowSource(e, i, 4)};a=${e.lo(0)};x=Math.imul(a,b);xh=${e.ref(mulHiU32)}(a,b);`);
    e.emit(`${e.lo(0)}=x;${e.hi(0)}=0;${e.lo(2)}=xh;${e.hi(2)}=0;`);
    mulFlags(e, 4, 'x', '0', 'xh!==0');
    return true;
  }
  if (i.osize !== 8) return false;
  source64(e, i);
  const w = e.ref(W);
  e.emit(`${e.ref(umul64)}(${e.lo(0)},${e.hi(0)},b,bh);x=${w}[0];xh=${w}[1];`);
  e.emit(`${e.lo(0)}=x;${e.hi(0)}=xh;${e.lo(2)}=${w}[2];${e.hi(2)}=${w}[3];`);
  mulFlags(e, 8, 'x', 'xh', `(${w}[2]|${w}[3])!==0`);
  return true;
});

// ---- DIV r/m32, r/m64 (flags unchanged) ----

defJit(muldiv.div, (e, i) => {
  if (i.opcode !== 0xf7) return false;
  const w = e.ref(W);
  const div = e.ref(udiv32);
  if (i.osize === 4) {
    e.emit(`b=${narrowSource(e, i, 4)};`);
    e.sync();
    e.emit(`if(b===0||(${e.lo(2)}>>>0)>=(b>>>0))c.raise(${DE},-1);`);
    e.emit(`x=${div}(${e.lo(2)},${e.lo(0)},b);${e.lo(0)}=x;${e.hi(0)}=0;${e.lo(2)}=${w}[2];${e.hi(2)}=0;`);
    return true;
  }
  // A memory divisor would be read twice on the handler's path: only registers here.
  if (i.osize !== 8 || i.mod !== 3) return false;
  e.sync();
  const handler = `c.ripLo=${e.nextLo};c.ripHi=${e.nextHi};${e.ref(i.exec)}(c,${e.ref(i)});`;
  // RDX:RAX / a nonzero 32-bit divisor with RDX below it: two 32-bit steps.
  e.emit(`b=${e.lo(i.rm)};if(${e.hi(i.rm)}===0&&b!==0&&${e.hi(2)}===0&&(${e.lo(2)}>>>0)<(b>>>0)){`);
  e.emit(`xh=${div}(${e.lo(2)},${e.hi(0)},b);x=${div}(${w}[2],${e.lo(0)},b);`);
  e.emit(`${e.lo(0)}=x;${e.hi(0)}=xh;${e.lo(2)}=${w}[2];${e.hi(2)}=0;}else{${handler}}`);
  return true;
});

// ---- IDIV r32, r64 ----

/**
 * Signed division when rDX:rAX is the sign extension of rAX (after CDQ/CQO) and both operands are
 * below 2^53 in magnitude: the remainder of doubles (fmod) is exact, so (n - r) / d is the exact
 * truncated quotient. Anything else (#DE included) calls the handler; only register divisors, as
 * the handler must not read memory a second time.
 */
defJit(muldiv.idiv, (e, i) => {
  if (i.opcode !== 0xf7 || i.mod !== 3 || (i.osize !== 4 && i.osize !== 8)) return false;
  e.sync();
  const handler = `c.ripLo=${e.nextLo};c.ripHi=${e.nextHi};${e.ref(i.exec)}(c,${e.ref(i)});`;
  const [rax, raxHi, rdx, rdxHi] = [e.lo(0), e.hi(0), e.lo(2), e.hi(2)];
  if (i.osize === 4) {
    e.emit(`b=${e.lo(i.rm)};a=${rax};if(b!==0&&${rdx}===a>>31&&(b!==-1||a!==-2147483648)){`);
    e.emit(`s=a%b;x=(a-s)/b;${rax}=x;${raxHi}=0;${rdx}=s;${rdxHi}=0;}else{${handler}}`);
    return true;
  }
  const small = (hi: string): string => `${hi}>=-2097152&&${hi}<2097152`;
  e.emit(`b=${e.lo(i.rm)};bh=${e.hi(i.rm)};ah=${raxHi};`);
  e.emit(`if((b|bh)!==0&&${small('bh')}&&${small('ah')}&&${rdx}===ah>>31&&${rdxHi}===ah>>31){`);
  e.emit(`a=ah*4294967296+(${rax}>>>0);b=bh*4294967296+(b>>>0);s=a%b;x=(a-s)/b;`);
  e.emit(`${rax}=x|0;${raxHi}=Math.floor(x/4294967296)|0;${rdx}=s|0;${rdxHi}=Math.floor(s/4294967296)|0;}else{${handler}}`);
  return true;
});

// ---- NOT and NEG of 32 and 64 bits ----

/** Reads the operand into `a`/`ah` (memory checked writable first, as the handler does). */
function readRMW(e: BlockEmitter, i: Insn, size: 4 | 8): void {
  if (i.mod === 3) {
    e.emit(`a=${e.lo(i.rm)};ah=${size === 8 ? e.hi(i.rm) : '0'};`);
    return;
  }
  e.ea(i);
  e.sync();
  e.emit(`c.checkWritable(ea,eh,${size});`);
  e.emit(size === 8 ? 'a=c.read64(ea,eh);ah=c.rhi;' : 'a=c.read32(ea,eh);ah=0;');
}

/** Writes (x, xh) back to the operand read by readRMW. */
function writeBack(e: BlockEmitter, i: Insn, size: 4 | 8): void {
  if (i.mod === 3) {
    e.emit(`${e.lo(i.rm)}=x;${e.hi(i.rm)}=${size === 8 ? 'xh' : '0'};`);
    return;
  }
  e.emit(size === 8 ? 'c.write64(ea,eh,x,xh);' : 'c.write32(ea,eh,x);');
  e.breakCheck();
}

function wideSize(i: Insn): 4 | 8 | 0 {
  return i.opcode !== 0xf7 ? 0 : i.osize === 4 ? 4 : i.osize === 8 ? 8 : 0;
}

defJit(alu.not, (e, i) => {
  const size = wideSize(i);
  if (size === 0) return false;
  readRMW(e, i, size);
  e.emit('x=~a;xh=~ah;');
  writeBack(e, i, size);
  return true;
});

defJit(alu.neg, (e, i) => {
  const size = wideSize(i);
  if (size === 0) return false;
  readRMW(e, i, size);
  e.emit(`x=(-a)|0;xh=${size === 8 ? '(-ah-(a!==0?1:0))|0' : '0'};`);
  e.emit(`c.lop=${LOP_SUB};c.lsize=${size};c.la=0;c.laHi=0;c.lb=a;c.lbHi=ah;c.lres=x;c.lresHi=xh;c.lextra=0;`);
  e.flags(LOP_SUB, size);
  writeBack(e, i, size);
  return true;
});
