/**
 * Emitters for the integer instructions compilers emit most: MOV and its extending forms, LEA,
 * the 32/64-bit ALU forms the decoder specialises, byte compares, constant shifts, PUSH/POP,
 * CMOVcc/SETcc, and the near branches (multiplies and divides are in emit-muldiv.ts). Each
 * reproduces its interpreter handler exactly (the handler named in `defJit` is the reference,
 * and the differential suite runs both).
 */
import * as alu from '../alu.js';
import * as ctl from '../control.js';
import { getArithFlags, getCF, LOP_ADD, LOP_DEC, LOP_EAGER, LOP_INC, LOP_RESULT, LOP_SUB, testCondition } from '../flags.js';
import type { Insn } from '../insn.js';
import * as mov from '../mov.js';
import * as shift from '../shift.js';
import * as stack from '../stack.js';
import { GP } from '../fault.js';
import { ARITH_FLAGS, CF, OF } from '../state.js';
import { addOffset, canonical, defJit, type BlockEmitter } from './emitter.js';

const ADD = 0, OR = 1, SUB = 5, XOR = 6, CMP = 7, TEST = 8;

/**
 * A 32-bit ALU operation of a and b (expressions): leaves the result in `x` and sets the lazy
 * flags as alu.ts's calc32 does.
 */
function calc32(e: BlockEmitter, op: number, a: string, b: string): void {
  switch (op) {
    case ADD:
      e.emit(`a=${a};b=${b};x=(a+b)|0;c.lop=${LOP_ADD};c.la=a;c.lb=b;c.lsize=4;c.lres=x;`);
      e.flags(LOP_ADD, 4);
      return;
    case SUB:
    case CMP:
      e.emit(`a=${a};b=${b};x=(a-b)|0;c.lop=${LOP_SUB};c.la=a;c.lb=b;c.lsize=4;c.lres=x;`);
      e.flags(LOP_SUB, 4);
      return;
    default: {
      const sym = op === OR ? '|' : op === XOR ? '^' : '&';
      e.emit(`x=(${a})${sym}(${b});c.lop=${LOP_RESULT};c.lextra=0;c.lsize=4;c.lres=x;`);
      e.flags(LOP_RESULT, 4);
    }
  }
}

/** The 64-bit form: operands (a, ah), (b, bh) as expressions; result in `x`/`xh`. */
function calc64(e: BlockEmitter, op: number, a: string, ah: string, b: string, bh: string): void {
  e.emit(`a=${a};ah=${ah};b=${b};bh=${bh};`);
  switch (op) {
    case ADD:
      e.emit(`s=(a>>>0)+(b>>>0);x=s|0;xh=(ah+bh+(s>4294967295?1:0))|0;c.lop=${LOP_ADD};c.la=a;c.laHi=ah;c.lb=b;c.lbHi=bh;`);
      e.flags(LOP_ADD, 8);
      break;
    case SUB:
    case CMP:
      e.emit(`x=(a-b)|0;xh=(ah-bh-((a>>>0)<(b>>>0)?1:0))|0;c.lop=${LOP_SUB};c.la=a;c.laHi=ah;c.lb=b;c.lbHi=bh;`);
      e.flags(LOP_SUB, 8);
      break;
    default: {
      const sym = op === OR ? '|' : op === XOR ? '^' : '&';
      e.emit(`x=a${sym}b;xh=ah${sym}bh;c.lop=${LOP_RESULT};c.lextra=0;`);
      e.flags(LOP_RESULT, 8);
    }
  }
  e.emit('c.lsize=8;c.lres=x;c.lresHi=xh;');
}

function writesResult(op: number): boolean {
  return op !== CMP && op !== TEST;
}

// ---- ALU, register and immediate forms ----

defJit(alu.rr32, (e, i) => {
  calc32(e, i.sub, e.lo(i.dst), e.lo(i.src));
  if (writesResult(i.sub)) e.emit(`${e.lo(i.dst)}=x;${e.hi(i.dst)}=0;`);
  return true;
});

defJit(alu.rr64, (e, i) => {
  calc64(e, i.sub, e.lo(i.dst), e.hi(i.dst), e.lo(i.src), e.hi(i.src));
  if (writesResult(i.sub)) e.emit(`${e.lo(i.dst)}=x;${e.hi(i.dst)}=xh;`);
  return true;
});

defJit(alu.ri32, (e, i) => {
  calc32(e, i.sub, e.lo(i.dst), String(i.imm | 0));
  if (writesResult(i.sub)) e.emit(`${e.lo(i.dst)}=x;${e.hi(i.dst)}=0;`);
  return true;
});

defJit(alu.ri64, (e, i) => {
  calc64(e, i.sub, e.lo(i.dst), e.hi(i.dst), String(i.imm | 0), String(i.imm >> 31));
  if (writesResult(i.sub)) e.emit(`${e.lo(i.dst)}=x;${e.hi(i.dst)}=xh;`);
  return true;
});

// ---- ALU with a memory operand ----

defJit(alu.memReg32, (e, i) => {
  e.ea(i);
  e.sync();
  e.load(4, 'p');
  if (i.src === 1) calc32(e, i.sub, 'p', e.lo(i.reg));
  else calc32(e, i.sub, e.lo(i.reg), 'p');
  if (writesResult(i.sub)) e.emit(`${e.lo(i.dst)}=x;${e.hi(i.dst)}=0;`);
  return true;
});

defJit(alu.memReg64, (e, i) => {
  e.ea(i);
  e.sync();
  e.load(8, 'p', 's');
  if (i.src === 1) calc64(e, i.sub, 'p', 's', e.lo(i.reg), e.hi(i.reg));
  else calc64(e, i.sub, e.lo(i.reg), e.hi(i.reg), 'p', 's');
  if (writesResult(i.sub)) e.emit(`${e.lo(i.dst)}=x;${e.hi(i.dst)}=xh;`);
  return true;
});

defJit(alu.memImm32, (e, i) => {
  e.ea(i);
  e.sync();
  e.load(4, 'p');
  calc32(e, i.sub, 'p', String(i.imm | 0));
  return true;
});

defJit(alu.memImm64, (e, i) => {
  e.ea(i);
  e.sync();
  e.load(8, 'p', 's');
  calc64(e, i.sub, 'p', 's', String(i.imm | 0), String(i.imm >> 31));
  return true;
});

/** op [mem], reg/imm: one translation when the TLB allows the write, else the general handler. */
function rmw(e: BlockEmitter, i: Insn, size: 4 | 8): boolean {
  e.ea(i);
  e.sync();
  const general = `c.ripLo=${e.nextLo};c.ripHi=${e.nextHi};${e.ref(i.exec)}(c,${e.ref(i)});`;
  e.emit(`c.eaLo=ea;c.eaHi=eh;p=${e.ref(alu.rmwPhys)}(c,${size});if(p<0){${general}}else{`);
  const b = i.src === 1 ? String(i.imm | 0) : e.lo(i.reg);
  if (size === 4) {
    calc32(e, i.sub, 'c.view.getInt32(p,true)', b);
    e.emit('c.view.setInt32(p,x,true);}');
  } else {
    const bh = i.src === 1 ? String(i.imm >> 31) : e.hi(i.reg);
    calc64(e, i.sub, 'c.view.getInt32(p,true)', 'c.view.getInt32(p+4,true)', b, bh);
    e.emit('c.view.setInt32(p,x,true);c.view.setInt32(p+4,xh,true);}');
  }
  e.breakCheck();
  return true;
}

defJit(alu.rmw32, (e, i) => rmw(e, i, 4));
defJit(alu.rmw64, (e, i) => rmw(e, i, 8));

defJit(alu.inc32, (e, i) => {
  const r = e.lo(i.dst);
  e.emit(`c.lextra=${e.ref(getCF)}(c)?${CF}:0;a=${r};x=(a+${i.sub})|0;c.lop=${i.sub === 1 ? LOP_INC : LOP_DEC};c.lsize=4;c.la=a;c.lb=1;c.lres=x;${r}=x;${e.hi(i.dst)}=0;`);
  e.flags(-1, 4);
  return true;
});

// ---- byte compares and tests ----

function cmp8(e: BlockEmitter, a: string, b: string): void {
  e.emit(`a=${a};b=${b};c.lop=${LOP_SUB};c.lsize=1;c.la=a;c.lb=b;c.lres=(a-b)&255;`);
  e.flags(LOP_SUB, 1);
}

function test8(e: BlockEmitter, v: string): void {
  e.emit(`c.lop=${LOP_RESULT};c.lsize=1;c.lres=${v};c.lextra=0;`);
  e.flags(-1, 1);
}

defJit(alu.cmp8RR, (e, i) => (cmp8(e, e.get8(i.dst), e.get8(i.src)), true));
defJit(alu.test8RR, (e, i) => (test8(e, `${e.get8(i.dst)}&${e.get8(i.src)}`), true));
defJit(alu.cmp8RI, (e, i) => (cmp8(e, e.get8(i.dst), String(i.imm & 0xff)), true));
defJit(alu.test8RI, (e, i) => (test8(e, `${e.get8(i.dst)}&${i.imm & 0xff}`), true));
defJit(alu.cmp8MI, (e, i) => {
  e.ea(i);
  e.sync();
  e.load(1, 'p');
  cmp8(e, 'p', String(i.imm & 0xff));
  return true;
});

// ---- moves ----

defJit(mov.movRR32, (e, i) => (e.emit(`${e.lo(i.dst)}=${e.lo(i.src)};${e.hi(i.dst)}=0;`), true));
defJit(mov.movRR64, (e, i) => (e.emit(`${e.lo(i.dst)}=${e.lo(i.src)};${e.hi(i.dst)}=${e.hi(i.src)};`), true));

defJit(mov.load32, (e, i) => {
  e.ea(i);
  e.sync();
  e.load(4, e.lo(i.reg));
  e.emit(`${e.hi(i.reg)}=0;`);
  return true;
});

defJit(mov.load64, (e, i) => {
  e.ea(i);
  e.sync();
  e.load(8, e.lo(i.reg), e.hi(i.reg));
  return true;
});

defJit(mov.store32, (e, i) => {
  e.ea(i);
  e.sync();
  e.store(4, e.lo(i.reg));
  e.breakCheck();
  return true;
});

defJit(mov.store64, (e, i) => {
  e.ea(i);
  e.sync();
  e.store(8, e.lo(i.reg), e.hi(i.reg));
  e.breakCheck();
  return true;
});

/** MOV r/m, r and MOV r, r/m of 8 and 16 bits (the 32/64-bit ones are specialised above). */
defJit(mov.movEG, (e, i) => {
  const size = i.opcode & 1 ? i.osize : 1;
  if (size !== 1 && size !== 2) return false;
  const v = size === 1 ? e.get8(i.reg8) : `(${e.lo(i.reg)}&65535)`;
  if (i.mod === 3) {
    e.emit(size === 1 ? e.set8(i.rm8, v) : `${e.lo(i.rm)}=(${e.lo(i.rm)}&-65536)|${v};`);
    return true;
  }
  e.ea(i);
  e.sync();
  e.store(size, v);
  e.breakCheck();
  return true;
});

defJit(mov.movGE, (e, i) => {
  const size = i.opcode & 1 ? i.osize : 1;
  if (size !== 1 && size !== 2) return false;
  let v: string;
  if (i.mod === 3) v = size === 1 ? e.get8(i.rm8) : `(${e.lo(i.rm)}&65535)`;
  else {
    e.ea(i);
    e.sync();
    e.load(size, 'p');
    v = 'p';
  }
  e.emit(size === 1 ? e.set8(i.reg8, v) : `${e.lo(i.reg)}=(${e.lo(i.reg)}&-65536)|${v};`);
  return true;
});

defJit(mov.movEI, (e, i) => {
  const size = i.opcode & 1 ? i.osize : 1;
  const imm = i.imm | 0;
  if (i.mod === 3) {
    if (size === 4) e.emit(`${e.lo(i.rm)}=${imm};${e.hi(i.rm)}=0;`);
    else if (size === 8) e.emit(`${e.lo(i.rm)}=${imm};${e.hi(i.rm)}=${imm >> 31};`);
    else return false;
    return true;
  }
  e.ea(i);
  e.sync();
  if (size === 1) e.store(1, String(imm & 0xff));
  else if (size === 2) e.store(2, String(imm & 0xffff));
  else if (size === 4) e.store(4, String(imm));
  else e.store(8, String(imm), String(imm >> 31));
  e.breakCheck();
  return true;
});

defJit(mov.movRI, (e, i) => {
  if (i.osize === 4) e.emit(`${e.lo(i.reg)}=${i.imm | 0};${e.hi(i.reg)}=0;`);
  else if (i.osize === 8) e.emit(`${e.lo(i.reg)}=${i.imm | 0};${e.hi(i.reg)}=${i.immHi | 0};`);
  else return false;
  return true;
});

defJit(mov.movRI8, (e, i) => (e.emit(e.set8(i.reg8, String(i.imm & 0xff))), true));

defJit(mov.lea, (e, i) => {
  if (i.osize === 2) return false;
  e.ea(i, true);
  e.emit(`${e.lo(i.reg)}=ea;${e.hi(i.reg)}=${i.osize === 8 ? 'eh' : '0'};`);
  return true;
});

/** The r/m source of MOVZX/MOVSX/MOVSXD (size 1, 2 or 4) as an expression. */
export function narrowSource(e: BlockEmitter, i: Insn, size: number): string {
  if (i.mod === 3) return size === 1 ? e.get8(i.rm8) : size === 2 ? `(${e.lo(i.rm)}&65535)` : e.lo(i.rm);
  e.ea(i);
  e.sync();
  e.load(size as 1 | 2 | 4, 'p');
  return 'p';
}

defJit(mov.movzx, (e, i) => {
  if (i.osize === 2) return false;
  const v = narrowSource(e, i, i.opcode & 1 ? 2 : 1);
  e.emit(`${e.lo(i.reg)}=${v};${e.hi(i.reg)}=0;`);
  return true;
});

defJit(mov.movsx, (e, i) => {
  if (i.osize === 2) return false;
  const sh = i.opcode & 1 ? 16 : 24;
  const v = narrowSource(e, i, i.opcode & 1 ? 2 : 1);
  e.emit(`a=(${v}<<${sh})>>${sh};${e.lo(i.reg)}=a;${e.hi(i.reg)}=${i.osize === 8 ? 'a>>31' : '0'};`);
  return true;
});

defJit(mov.movsxd, (e, i) => {
  if (i.osize !== 8) return false;
  const v = narrowSource(e, i, 4);
  e.emit(`a=${v};${e.lo(i.reg)}=a;${e.hi(i.reg)}=a>>31;`);
  return true;
});

defJit(mov.cmov, (e, i) => {
  if (i.osize !== 4 && i.osize !== 8) return false;
  const wide = i.osize === 8;
  if (i.mod === 3) e.emit(`a=${e.lo(i.rm)};ah=${wide ? e.hi(i.rm) : '0'};`);
  else {
    e.ea(i);
    e.sync();
    if (wide) e.load(8, 'a', 'ah');
    else {
      e.load(4, 'a');
      e.emit('ah=0;');
    }
  }
  const cond = e.cond(i.opcode & 15, testCondition);
  e.emit(`if(${cond}){${e.lo(i.reg)}=a;${e.hi(i.reg)}=ah;}${wide ? '' : `else ${e.hi(i.reg)}=0;`}`);
  return true;
});

defJit(mov.setcc, (e, i) => {
  const cond = e.cond(i.opcode & 15, testCondition);
  if (i.mod === 3) {
    e.emit(e.set8(i.rm8, `${cond}?1:0`));
    return true;
  }
  e.emit(`b=${cond}?1:0;`);
  e.ea(i);
  e.sync();
  e.store(1, 'b');
  e.breakCheck();
  return true;
});

defJit(mov.nop, () => true);

/** CBW/CWDE/CDQE: sign-extends the low half of rAX into rAX. */
defJit(mov.cbw, (e, i) => {
  const [lo, hi] = [e.lo(0), e.hi(0)];
  if (i.osize === 8) e.emit(`${hi}=${lo}>>31;`);
  else if (i.osize === 4) e.emit(`${lo}=(${lo}<<16)>>16;${hi}=0;`);
  else e.emit(`${lo}=(${lo}&-65536)|(((${lo}<<24)>>24)&65535);`);
  return true;
});

/** CWD/CDQ/CQO: fills rDX with the sign of rAX. */
defJit(mov.cwd, (e, i) => {
  if (i.osize === 8) e.emit(`${e.lo(2)}=${e.hi(0)}>>31;${e.hi(2)}=${e.hi(0)}>>31;`);
  else if (i.osize === 4) e.emit(`${e.lo(2)}=${e.lo(0)}>>31;${e.hi(2)}=0;`);
  else e.emit(`${e.lo(2)}=(${e.lo(2)}&-65536)|(((${e.lo(0)}<<16)>>31)&65535);`);
  return true;
});

/** XCHG rAX, r (90 without REX.B is NOP, and so is PAUSE). */
defJit(mov.xchgAR, (e, i) => {
  const n = i.reg;
  if (n === 0) return true;
  if (i.osize === 8) e.emit(`a=${e.lo(0)};ah=${e.hi(0)};${e.lo(0)}=${e.lo(n)};${e.hi(0)}=${e.hi(n)};${e.lo(n)}=a;${e.hi(n)}=ah;`);
  else if (i.osize === 4) e.emit(`a=${e.lo(0)};${e.lo(0)}=${e.lo(n)};${e.hi(0)}=0;${e.lo(n)}=a;${e.hi(n)}=0;`);
  else return false;
  return true;
});

// ---- shifts by a constant (the decoder's 32/64-bit register specialisations) ----

defJit(shift.shiftConst32, (e, i) => {
  const r = e.lo(i.dst);
  const n = i.src;
  e.emit(`a=${r};`);
  if (i.sub === 5) e.emit(`x=a>>>${n};b=((a>>>${n - 1})&1?${CF}:0)|(a<0?${OF}:0);`);
  else if (i.sub === 7) e.emit(`x=a>>${n};b=(a>>${n - 1})&1?${CF}:0;`);
  else e.emit(`x=a<<${n};s=(a>>>${32 - n})&1;b=(s?${CF}:0)|((x>>>31)^s?${OF}:0);`);
  e.emit(`c.lop=${LOP_RESULT};c.lsize=4;c.lres=x|0;c.lresHi=0;c.lextra=b;${r}=x;${e.hi(i.dst)}=0;`);
  e.flags(-1, 4);
  return true;
});

/** ROL/ROR r32 by a constant: CF and OF from the result, the other flags kept (eager flags). */
defJit(shift.rotConst32, (e, i) => {
  const r = e.lo(i.dst);
  const n = i.src;
  e.emit(`a=${r};b=${e.ref(getArithFlags)}(c)&${~(CF | OF)};`);
  if (i.sub === 0) e.emit(`x=(a<<${n})|(a>>>${32 - n});s=x&1;b|=(s?${CF}:0)|((x>>>31)^s?${OF}:0);`);
  else e.emit(`x=(a>>>${n})|(a<<${32 - n});b|=(x<0?${CF}:0)|(((x>>>31)^(x>>>30))&1?${OF}:0);`);
  e.emit(`c.lop=${LOP_EAGER};c.lextra=b&${ARITH_FLAGS};${r}=x;${e.hi(i.dst)}=0;`);
  e.flags(-1, 4);
  return true;
});

/** A bit of the 64-bit value (a, ah) at constant position k, as an expression. */
function bit64(k: number): string {
  return k < 32 ? `((a>>>${k})&1)` : `((ah>>>${k - 32})&1)`;
}

/** SHL/SHR/SAR r64 by a constant in [1, 63]. */
defJit(shift.shiftConst64, (e, i) => {
  const n = i.src;
  e.emit(`a=${e.lo(i.dst)};ah=${e.hi(i.dst)};`);
  if (i.sub === 5) {
    e.emit(n < 32 ? `x=(a>>>${n})|(ah<<${32 - n});xh=ah>>>${n};` : `x=ah>>>${n - 32};xh=0;`);
    e.emit(`b=(${bit64(n - 1)}?${CF}:0)|(ah<0?${OF}:0);`);
  } else if (i.sub === 7) {
    e.emit(n < 32 ? `x=(a>>>${n})|(ah<<${32 - n});xh=ah>>${n};` : `x=ah>>${n - 32};xh=ah>>31;`);
    e.emit(`b=${bit64(n - 1)}?${CF}:0;`);
  } else {
    e.emit(n < 32 ? `xh=(ah<<${n})|(a>>>${32 - n});x=a<<${n};` : `xh=a<<${n - 32};x=0;`);
    e.emit(`s=${bit64(64 - n)};b=(s?${CF}:0)|((xh>>>31)^s?${OF}:0);`);
  }
  e.emit(`c.lop=${LOP_RESULT};c.lsize=8;c.lres=x;c.lresHi=xh;c.lextra=b;${e.lo(i.dst)}=x;${e.hi(i.dst)}=xh;`);
  e.flags(-1, 8);
  return true;
});

// ---- stack ----

defJit(stack.pushR, (e, i) => {
  if (i.osize !== 8) return false;
  e.push64(e.lo(i.reg), e.hi(i.reg));
  e.breakCheck();
  return true;
});

defJit(stack.popR, (e, i) => {
  if (i.osize !== 8) return false;
  e.peek64();
  e.release(8);
  e.emit(`${e.lo(i.reg)}=a;${e.hi(i.reg)}=ah;`);
  return true;
});

// ---- near branches ----

/** A relative branch target, or null when it is not canonical (the handler raises #GP). */
function target(e: BlockEmitter, i: Insn): [number, number] | null {
  const t = addOffset(e.nextLo, e.nextHi, i.imm | 0);
  return canonical(t[1]) ? t : null;
}

function jcc(e: BlockEmitter, i: Insn): boolean {
  const t = target(e, i);
  if (t === null) return false;
  e.emit(`if(${e.cond(i.opcode & 15, testCondition)})${e.jumpCode(t[0], t[1])}`);
  e.emit(e.jumpCode(e.nextLo, e.nextHi));
  e.ends = true;
  return true;
}

defJit([ctl.jcc, ctl.je, ctl.jne, ctl.jb, ctl.jae, ctl.jl, ctl.jge, ctl.jle, ctl.jg], jcc);

defJit(ctl.jmpRel, (e, i) => {
  const t = target(e, i);
  if (t === null) return false;
  e.emit(e.jumpCode(t[0], t[1]));
  e.ends = true;
  return true;
});

defJit(ctl.callRel, (e, i) => {
  const t = target(e, i);
  if (t === null) return false;
  e.push64(String(e.nextLo), String(e.nextHi));
  e.emit(e.jumpCode(t[0], t[1]));
  e.ends = true;
  return true;
});

/** #GP(0) unless the branch target (a, ah) is canonical (the handlers' `jumpTo`). */
function checkTarget(e: BlockEmitter): void {
  e.emit(`s=ah>>15;if(s!==0&&s!==-1)c.raise(${GP},0);`);
}

/** The 64-bit r/m operand of an indirect branch into `a`/`ah`. */
function branchTarget(e: BlockEmitter, i: Insn): void {
  e.sync();
  if (i.mod === 3) e.emit(`a=${e.lo(i.rm)};ah=${e.hi(i.rm)};`);
  else {
    e.ea(i);
    e.load(8, 'a', 'ah');
  }
}

defJit(ctl.callE, (e, i) => {
  branchTarget(e, i);
  checkTarget(e);
  e.push64(String(e.nextLo), String(e.nextHi));
  e.emit(e.exitCode('a', 'ah'));
  e.ends = true;
  return true;
});

defJit(ctl.jmpE, (e, i) => {
  branchTarget(e, i);
  checkTarget(e);
  e.emit(e.exitCode('a', 'ah'));
  e.ends = true;
  return true;
});

/** RET / RET imm16: the target must be canonical (#GP at the RET) before RSP moves. */
defJit(ctl.ret, (e, i) => {
  e.peek64();
  checkTarget(e);
  e.release(8 + (i.opcode === 0xc2 ? i.imm & 0xffff : 0));
  e.emit(e.exitCode('a', 'ah'));
  e.ends = true;
  return true;
});
