/**
 * Emitters for the integer forms the decoder leaves to the general handlers: ALU operations and
 * TEST of 8 and 16 bits, ADC/SBB of every size, INC/DEC, shifts and rotates of 32/64-bit
 * operands by CL (and the constant forms not specialised: memory operands, 64-bit rotates),
 * BSF/BSR and BT/BTS/BTR/BTC with a register operand. Each follows its handler's steps: operands
 * read in the same order, a written memory operand checked writable before anything changes, the
 * lazy flags left as `alu()`, `shiftOp()` or `setArithFlags()` leave them.
 */
import * as alu from '../alu.js';
import * as bitops from '../bitops.js';
import { getArithFlags, getCF, LOP_ADC, LOP_ADD, LOP_DEC, LOP_EAGER, LOP_INC, LOP_RESULT, LOP_SBB, LOP_SUB } from '../flags.js';
import type { Insn } from '../insn.js';
import * as shift from '../shift.js';
import { ARITH_FLAGS, CF, OF, ZF } from '../state.js';
import { defJit, type BlockEmitter } from './emitter.js';

const ALU_ADD = 0, ALU_ADC = 2, ALU_SBB = 3, ALU_AND = 4, ALU_SUB = 5, ALU_CMP = 7;

/** A register of `size` bytes (8-bit codes for size 1) as an expression, zero-extended. */
function getReg(e: BlockEmitter, size: number, n: number): string {
  if (size === 1) return e.get8(n);
  if (size === 2) return `(${e.lo(n)}&65535)`;
  return e.lo(n);
}

/** Statement writing (lo, hi) to a register as `setReg` does (32-bit writes clear the hi word). */
function setReg(e: BlockEmitter, size: number, n: number, lo: string, hi: string): string {
  if (size === 1) return e.set8(n, lo);
  if (size === 2) return `${e.lo(n)}=(${e.lo(n)}&-65536)|((${lo})&65535);`;
  return `${e.lo(n)}=${lo};${e.hi(n)}=${size === 8 ? hi : '0'};`;
}

/** Reads the r/m operand into `a`/`ah` (ah is 0 below 8 bytes); `write`: checked writable first. */
function readRM(e: BlockEmitter, i: Insn, size: number, write: boolean): void {
  if (i.mod === 3) {
    e.emit(`a=${getReg(e, size, size === 1 ? i.rm8 : i.rm)};ah=${size === 8 ? e.hi(i.rm) : '0'};`);
    return;
  }
  e.ea(i);
  e.sync();
  if (write) e.emit(`c.checkWritable(ea,eh,${size});`);
  e.emit(size === 8 ? 'a=c.read64(ea,eh);ah=c.rhi;' : `a=c.read${size * 8}(ea,eh);ah=0;`);
}

/** Writes (x, xh) back to the operand readRM read. */
function writeRM(e: BlockEmitter, i: Insn, size: number): void {
  if (i.mod === 3) {
    e.emit(setReg(e, size, size === 1 ? i.rm8 : i.rm, 'x', 'xh'));
    return;
  }
  e.emit(size === 8 ? 'c.write64(ea,eh,x,xh);' : `c.write${size * 8}(ea,eh,x);`);
  e.breakCheck();
}

function truncate(size: number, v: string): string {
  return size === 1 ? `(${v})&255` : size === 2 ? `(${v})&65535` : `(${v})|0`;
}

/**
 * `alu()` of (a, ah) and (b, bh): b/bh are expressions, truncated here as `alu` does for sizes
 * below 8. Result in `x`/`xh`, lazy flags set.
 */
function calc(e: BlockEmitter, op: number, size: number, b: string, bh: string): void {
  const wide = size === 8;
  e.emit(`b=${wide ? b : truncate(size, b)};bh=${wide ? bh : '0'};`);
  if (op === ALU_ADD || op === ALU_ADC || op === ALU_SUB || op === ALU_SBB || op === ALU_CMP) {
    const carry = op === ALU_ADC || op === ALU_SBB;
    const cin = carry ? 'p' : '0';
    if (carry) e.emit(`p=${e.ref(getCF)}(c)?1:0;`);
    const add = op === ALU_ADD || op === ALU_ADC;
    if (add) {
      e.emit(wide ? `s=(a>>>0)+(b>>>0)+${cin};x=s|0;xh=(ah+bh+(s>4294967295?1:0))|0;` : `x=${truncate(size, `a+b+${cin}`)};xh=0;`);
    } else {
      e.emit(wide ? `xh=(ah-bh-((a>>>0)<(b>>>0)+${cin}?1:0))|0;x=(a-b-${cin})|0;` : `x=${truncate(size, `a-b-${cin}`)};xh=0;`);
    }
    const lop = op === ALU_ADD ? LOP_ADD : op === ALU_ADC ? LOP_ADC : op === ALU_SBB ? LOP_SBB : LOP_SUB;
    e.emit(`c.lop=${lop};c.lsize=${size};c.la=a;c.laHi=ah;c.lb=b;c.lbHi=bh;c.lres=x;c.lresHi=xh;c.lextra=${cin};`);
    e.flags(carry ? -1 : lop, size);
    return;
  }
  const sym = op === ALU_AND ? '&' : op === 1 ? '|' : '^';
  e.emit(`x=a${sym}b;xh=ah${sym}bh;c.lop=${LOP_RESULT};c.lsize=${size};c.lres=x;c.lresHi=xh;c.lextra=0;`);
  e.flags(LOP_RESULT, size);
}

/** op r/m, imm or r/m, reg (`writes`: not CMP/TEST). */
function opRM(e: BlockEmitter, i: Insn, op: number, size: number, b: string, bh: string, writes: boolean): void {
  readRM(e, i, size, writes);
  calc(e, op, size, b, bh);
  if (writes) writeRM(e, i, size);
}

const regOperand = (e: BlockEmitter, i: Insn, size: number): [string, string] =>
  [getReg(e, size, size === 1 ? i.reg8 : i.reg), size === 8 ? e.hi(i.reg) : '0'];

defJit(alu.aluEG, (e, i) => {
  const op = (i.opcode >> 3) & 7;
  const size = i.opcode & 1 ? i.osize : 1;
  const [b, bh] = regOperand(e, i, size);
  opRM(e, i, op, size, b, bh, op !== ALU_CMP);
  return true;
});

defJit(alu.aluEI, (e, i) => {
  const op = i.reg & 7;
  const size = i.opcode === 0x80 ? 1 : i.osize;
  opRM(e, i, op, size, String(i.imm | 0), String(i.imm >> 31), op !== ALU_CMP);
  return true;
});

defJit(alu.testEG, (e, i) => {
  const size = i.opcode & 1 ? i.osize : 1;
  const [b, bh] = regOperand(e, i, size);
  opRM(e, i, ALU_AND, size, b, bh, false);
  return true;
});

defJit(alu.testEI, (e, i) => {
  const size = i.opcode & 1 ? i.osize : 1;
  opRM(e, i, ALU_AND, size, String(i.imm | 0), String(i.imm >> 31), false);
  return true;
});

/** op reg, r/m: the r/m operand is read first, then the register, and the result goes to reg. */
defJit(alu.aluGE, (e, i) => {
  const op = (i.opcode >> 3) & 7;
  const size = i.opcode & 1 ? i.osize : 1;
  readRM(e, i, size, false);
  e.emit('b=a;bh=ah;');
  const [a, ah] = regOperand(e, i, size);
  e.emit(`a=${a};ah=${ah};`);
  calc(e, op, size, 'b', 'bh');
  if (op !== ALU_CMP) e.emit(setReg(e, size, size === 1 ? i.reg8 : i.reg, 'x', 'xh'));
  return true;
});

/** op AL/AX/EAX/RAX, imm (TEST included). */
function accImm(e: BlockEmitter, i: Insn, op: number, writes: boolean): void {
  const size = i.opcode & 1 ? i.osize : 1;
  e.emit(`a=${getReg(e, size, 0)};ah=${size === 8 ? e.hi(0) : '0'};`);
  calc(e, op, size, String(i.imm | 0), String(i.imm >> 31));
  if (writes) e.emit(setReg(e, size, 0, 'x', 'xh'));
}

defJit(alu.aluAI, (e, i) => {
  const op = (i.opcode >> 3) & 7;
  accImm(e, i, op, op !== ALU_CMP);
  return true;
});

defJit(alu.testAI, (e, i) => (accImm(e, i, ALU_AND, false), true));

/** INC/DEC r/m (FE/FF /0 /1; the decoder specialises 32-bit registers): CF is kept in `lextra`. */
defJit(alu.incDec, (e, i) => {
  const size = i.opcode & 1 ? i.osize : 1;
  const dec = (i.reg & 7) === 1;
  readRM(e, i, size, true);
  const step = dec ? '-1' : '+1';
  if (size === 8) e.emit(`x=(a${step})|0;xh=${dec ? '(a===0?ah-1:ah)|0' : '(x===0?ah+1:ah)|0'};`);
  else e.emit(`x=${truncate(size, `a${step}`)};xh=0;`);
  e.emit(`c.lextra=${e.ref(getCF)}(c)?${CF}:0;c.lop=${dec ? LOP_DEC : LOP_INC};c.lsize=${size};c.la=a;c.laHi=ah;c.lb=1;c.lbHi=0;c.lres=x;c.lresHi=xh;`);
  e.flags(-1, size);
  writeRM(e, i, size);
  return true;
});

// ---- shifts and rotates of 32/64-bit operands (counts from an immediate, 1 or CL) ----

/** Bit k (an expression in [0, 64)) of (a, ah). */
function bitAt(k: string): string {
  return `((${k})<32?(a>>>(${k})):(ah>>>((${k})-32)))&1`;
}

/** Rotates (a, ah) left by p in [1, 63] into (x, xh). */
const ROL64 = 'if(p<32){x=(a<<p)|(ah>>>(32-p));xh=(ah<<p)|(a>>>(32-p));}else if(p===32){x=ah;xh=a;}else{s=p-32;x=(ah<<s)|(a>>>(32-s));xh=(a<<s)|(ah>>>(32-s));}';

/** The shift/rotate of (a, ah) by p (masked, non-zero): result in (x, xh), flags set. */
function shiftBody(e: BlockEmitter, op: number, size: 4 | 8): void {
  const result = `c.lop=${LOP_RESULT};c.lsize=${size};c.lres=x;c.lresHi=xh;c.lextra=b;`;
  const eager = `c.lop=${LOP_EAGER};c.lextra=b&${ARITH_FLAGS};`;
  const keep = `b=${e.ref(getArithFlags)}(c)&${~(CF | OF)};`;
  if (size === 4) {
    switch (op) {
      case 0:
        e.emit(`x=(a<<p)|(a>>>(32-p));xh=0;${keep}s=x&1;b|=(s?${CF}:0)|((x>>>31)^s?${OF}:0);${eager}`);
        return;
      case 1:
        e.emit(`x=(a<<(32-p))|(a>>>p);xh=0;${keep}s=x>>>31;b|=(s?${CF}:0)|((s^((x>>>30)&1))?${OF}:0);${eager}`);
        return;
      case 5:
        e.emit(`s=(a>>>(p-1))&1;x=(a>>>p)|0;xh=0;b=(s?${CF}:0)|(a<0?${OF}:0);${result}`);
        return;
      case 7:
        e.emit(`s=(a>>(p-1))&1;x=a>>p;xh=0;b=s?${CF}:0;${result}`);
        return;
      default:
        e.emit(`s=(a>>>(32-p))&1;x=a<<p;xh=0;b=(s?${CF}:0)|((x>>>31)^s?${OF}:0);${result}`);
        return;
    }
  }
  switch (op) {
    case 0:
      e.emit(`${ROL64}${keep}s=x&1;b|=(s?${CF}:0)|((xh>>>31)^s?${OF}:0);${eager}`);
      return;
    case 1:
      e.emit(`p=64-p;${ROL64}${keep}s=xh>>>31;b|=(s?${CF}:0)|((s^((xh>>>30)&1))?${OF}:0);${eager}`);
      return;
    case 5:
      e.emit(`s=${bitAt('p-1')};if(p<32){x=(a>>>p)|(ah<<(32-p));xh=(ah>>>p)|0;}else{x=(ah>>>(p-32))|0;xh=0;}`);
      e.emit(`b=(s?${CF}:0)|(ah<0?${OF}:0);${result}`);
      return;
    case 7:
      e.emit(`s=${bitAt('p-1')};if(p<32){x=(a>>>p)|(ah<<(32-p));xh=ah>>p;}else{x=ah>>(p-32);xh=ah>>31;}`);
      e.emit(`b=s?${CF}:0;${result}`);
      return;
    default:
      e.emit(`s=${bitAt('64-p')};if(p<32){xh=(ah<<p)|(a>>>(32-p));x=a<<p;}else{xh=a<<(p-32);x=0;}`);
      e.emit(`b=(s?${CF}:0)|((xh>>>31)^s?${OF}:0);${result}`);
  }
}

defJit(shift.shiftGroup, (e, i) => {
  const size = i.opcode & 1 ? i.osize : 1;
  const op = i.reg & 7;
  if ((size !== 4 && size !== 8) || op === 2 || op === 3) return false;
  const count = i.opcode <= 0xc1 ? String(i.imm | 0) : i.opcode <= 0xd1 ? '1' : e.lo(1);
  readRM(e, i, size, true);
  // A masked count of 0 changes nothing, but a 32-bit register is still zero-extended.
  e.emit(`p=(${count})&${size === 8 ? 63 : 31};if(p===0){${size === 4 && i.mod === 3 ? `${e.hi(i.rm)}=0;` : ''}}else{`);
  shiftBody(e, op, size);
  writeRM(e, i, size);
  e.emit('}');
  e.flags(-1, size);
  return true;
});

// ---- bit scans and bit tests ----

/** BSF/BSR r32/r64: ZF from a zero source (destination kept), else the bit index. */
function scan(e: BlockEmitter, i: Insn, reverse: boolean): boolean {
  const size = i.osize;
  if (size !== 4 && size !== 8) return false;
  readRM(e, i, size, false);
  const index = reverse
    ? size === 8 ? 'ah!==0?63-Math.clz32(ah):31-Math.clz32(a)' : '31-Math.clz32(a)'
    : size === 8 ? 'a!==0?31-Math.clz32(a&-a):63-Math.clz32(ah&-ah)' : '31-Math.clz32(a&-a)';
  e.emit(`b=${e.ref(getArithFlags)}(c);c.lop=${LOP_EAGER};if((a|ah)===0)c.lextra=(b|${ZF})&${ARITH_FLAGS};`);
  e.emit(`else{c.lextra=b&${~ZF & ARITH_FLAGS};${e.lo(i.reg)}=${index};${e.hi(i.reg)}=0;}`);
  e.flags(-1, size);
  return true;
}

defJit(bitops.bsf, (e, i) => scan(e, i, false));
defJit(bitops.bsr, (e, i) => scan(e, i, true));

/** BT/BTS/BTR/BTC r/m, reg with a register operand (memory operands address beyond it). */
defJit(bitops.btReg, (e, i) => {
  const size = i.osize;
  if ((size !== 4 && size !== 8) || i.mod !== 3) return false;
  const op = i.opcode === 0x1a3 ? 0 : i.opcode === 0x1ab ? 1 : i.opcode === 0x1b3 ? 2 : 3;
  e.emit(`p=${e.lo(i.reg)}&${size * 8 - 1};a=${e.lo(i.rm)};ah=${size === 8 ? e.hi(i.rm) : '0'};`);
  e.emit(`s=1<<(p&31);b=${e.ref(getArithFlags)}(c);c.lop=${LOP_EAGER};c.lextra=((p<32?a:ah)&s)!==0?(b|${CF})&${ARITH_FLAGS}:b&${~CF & ARITH_FLAGS};`);
  e.flags(-1, size);
  if (op === 0) return true;
  const change = op === 1 ? '|=s' : op === 2 ? '&=~s' : '^=s';
  e.emit(`if(p<32)a${change};else ah${change};${e.lo(i.rm)}=a;${e.hi(i.rm)}=${size === 8 ? 'ah' : '0'};`);
  return true;
});
