/**
 * The one instruction table. Each instruction family registers its opcodes here with the operand
 * form the decoder needs (ModRM present? which immediate? default 64-bit operand size?) and the
 * function that executes it; the decoder and the dispatch are both derived from this table, so
 * they cannot disagree. Adding an extension (SSE4, x87, AES-NI) is one new file that calls `def`,
 * plus one line in isa.ts.
 *
 * Opcode numbers: 0x000–0x0FF one-byte map, 0x1xx = 0F xx, 0x2xx = 0F 38 xx, 0x3xx = 0F 3A xx.
 */
import type { Handler, Insn } from './insn.js';

/** A ModRM byte follows the opcode. */
export const F_MODRM = 1;
/** Immediate kinds (bits 1..4). */
export const I_NONE = 0;
/** imm8, sign-extended into `imm` (also rel8). */
export const I_B = 1 << 1;
/** imm16, zero-extended. */
export const I_W = 2 << 1;
/** imm16 with a 16-bit operand size, else imm32 sign-extended (also rel32). */
export const I_Z = 3 << 1;
/** Like I_Z, but a full imm64 when REX.W (MOV r64, imm64). */
export const I_V = 4 << 1;
/** imm16 then imm8 (ENTER). */
export const I_WB = 5 << 1;
/** An absolute address of the address size (MOV AL/AX, moffs). */
export const I_MOFFS = 6 << 1;
/** imm32 sign-extended whatever the operand size (near branches in 64-bit mode). */
export const I_D = 7 << 1;
export const I_MASK = 15 << 1;
/** Operand size defaults to 64 in 64-bit mode (PUSH, POP, near branches …); 66 gives 16. */
export const F_DEF64 = 1 << 5;
/** Operand size is always 64 in 64-bit mode (near branches ignore 66 on Intel). */
export const F_FORCE64 = 1 << 6;
/** The opcode's meaning depends on a mandatory 66/F3/F2 prefix; unregistered combinations #UD. */
export const F_SSE = 1 << 7;

/** LOCK is allowed (with a memory destination). */
export const F_LOCK = 1 << 8;

/** Only a memory operand is valid (ModRM.mod = 3 is #UD). */
export const F_MEM = 1 << 9;
/** Only a register operand is valid (a memory operand is #UD). */
export const F_REG = 1 << 10;
/** ModRM always names registers whatever its mod field (MOV to/from CR/DR). */
export const F_MODRM_REG = 1 << 11;

export const V_NONE = 0;
export const V_66 = 1;
export const V_F3 = 2;
export const V_F2 = 3;

/** Picks a specialised handler for a decoded instruction (e.g. register-only, one size), or null. */
export type Specializer = (i: Insn) => Handler | null;

export class OpEntry {
  /** Optional decode-time specialisation of `exec` (the general handler stays the reference). */
  fast: Specializer | null = null;

  constructor(
    readonly form: number,
    readonly exec: Handler | null,
    /** For group opcodes: entries selected by ModRM.reg. */
    readonly group: (OpEntry | null)[] | null,
  ) {}
}

/** Indexed by (opcode << 2) | variant. */
export const opTable: (OpEntry | null)[] = new Array(0x400 * 4).fill(null);

/** Registers `exec` for one or more opcodes (with an optional mandatory prefix variant). */
export function def(opcodes: number | readonly number[], form: number, exec: Handler, variant = V_NONE): void {
  for (const op of typeof opcodes === 'number' ? [opcodes] : opcodes) {
    const k = (op << 2) | variant;
    if (opTable[k]) throw new Error(`opcode 0x${op.toString(16)}/${variant} registered twice`);
    opTable[k] = new OpEntry(form, exec, null);
  }
}

/** Registers `exec` for ModRM.reg = `reg` of the group opcode `op`. */
export function defGroup(op: number, reg: number, form: number, exec: Handler, variant = V_NONE): void {
  const k = (op << 2) | variant;
  let e = opTable[k];
  if (!e) {
    e = new OpEntry(F_MODRM, null, new Array<OpEntry | null>(8).fill(null));
    opTable[k] = e;
  }
  if (!e.group) throw new Error(`opcode 0x${op.toString(16)} is not a group`);
  if (e.group[reg]) throw new Error(`opcode 0x${op.toString(16)} /${reg} registered twice`);
  e.group[reg] = new OpEntry(form | F_MODRM, exec, null);
}

/** Range helper: [first, first+1, …, first+count-1]. */
export function range(first: number, count: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < count; k++) out.push(first + k);
  return out;
}

/** Attaches a decode-time specialiser to registered opcodes (or to group member /reg). */
export function defFast(opcodes: number | readonly number[], fast: Specializer, reg = -1, variant = V_NONE): void {
  for (const op of typeof opcodes === 'number' ? [opcodes] : opcodes) {
    let e = opTable[(op << 2) | variant];
    if (e && reg >= 0) e = e.group ? e.group[reg] : null;
    if (!e || !e.exec) throw new Error(`opcode 0x${op.toString(16)} has no handler to specialise`);
    e.fast = fast;
  }
}
