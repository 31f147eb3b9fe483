/**
 * A decoded instruction: everything the executor needs, computed once and cached per physical
 * page. All fields are numbers/booleans set in the constructor so every Insn has one shape.
 */
import type { Cpu } from './cpu.js';

export type Handler = (cpu: Cpu, i: Insn) => void;

/** Memory-operand base value meaning "RIP-relative". */
export const BASE_RIP = 16;
/** `Insn.seg` of a stack-segment operand. */
export const SEG_SS = 2;

export class Insn {
  exec: Handler;
  /** Length in bytes. */
  len = 0;
  /** (map << 8) | opcode byte; maps: 0 one-byte, 1 0F, 2 0F38, 3 0F3A. */
  opcode = 0;
  /** Operand size of v-sized operands: 2, 4 or 8. */
  osize = 4;
  /** Address size: 4 or 8. */
  asize = 8;
  rex = 0;
  /** A 66 prefix was present (whether or not it was taken as a mandatory SSE prefix). */
  p66 = false;
  /** Repeat prefix: 0 none, 1 F3 (REP/REPE), 2 F2 (REPNE). */
  rep = 0;
  lock = false;
  /**
   * The segment of the memory operand when it matters in 64-bit mode: FS (4) or GS (5) add a
   * base; SS (SEG_SS: RSP or RBP as base, no FS/GS override) makes a non-canonical address
   * #SS(0) instead of #GP(0) (see `Cpu.nonCanonicalVector`); -1 otherwise.
   */
  seg = -1;
  hasModrm = false;
  mod = 0;
  /** ModRM.reg with REX.R (also the opcode register for +r forms, with REX.B). */
  reg = 0;
  /** ModRM.rm with REX.B (the register when mod = 3). */
  rm = 0;
  /** 8-bit register codes for reg and rm (16..19 = AH CH DH BH when there is no REX). */
  reg8 = 0;
  rm8 = 0;
  /** Memory operand: base register (-1 none, BASE_RIP), index register (-1 none), scale shift, disp. */
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  /** Immediate, sign-extended to int32 where the encoding sign-extends; immHi for 64-bit. */
  imm = 0;
  immHi = 0;
  /** Second immediate (ENTER's nesting level). */
  imm2 = 0;
  /** Operands chosen at decode time for specialised handlers: destination, source, sub-operation. */
  dst = 0;
  src = 0;
  sub = 0;
  /** False when the instruction straddles a page and must be re-decoded each time. */
  cacheable = true;

  constructor(exec: Handler) {
    this.exec = exec;
  }

  get isMem(): boolean {
    return this.mod !== 3;
  }
}
