/**
 * Compares what our CPU did with what the host CPU did, masking the flags the instruction leaves
 * undefined (per iced-x86), and renders mismatches readably (disassembly, inputs, differences).
 */
import { Code, Decoder, DecoderOptions, Formatter, FormatterSyntax, Mnemonic, OpKind, RflagsBits } from 'iced-x86';
import { defaultGpr, defaultMmByte, defaultXmmByte, CODE_ENTRY, FLAG_AF, FLAG_CF, FLAG_DF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF, STATUS_FLAGS, type CaseInput, type CaseOutput } from './case.js';

const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const ICED_TO_RFLAGS: Array<[number, number]> = [
  [RflagsBits.CF, FLAG_CF],
  [RflagsBits.PF, FLAG_PF],
  [RflagsBits.AF, FLAG_AF],
  [RflagsBits.ZF, FLAG_ZF],
  [RflagsBits.SF, FLAG_SF],
  [RflagsBits.OF, FLAG_OF],
];
const formatter = new Formatter(FormatterSyntax.Intel);

interface Decoded {
  text: string;
  /** RFLAGS bits whose value after this instruction is architecturally defined. */
  definedFlags: number;
  /** Shifts and rotates: where the count comes from (OF is defined only for masked counts 0 and 1). */
  shiftCount: { fromCl: boolean; value: number; mask: number } | null;
  doubleShift16: boolean;
}

const SHIFTS = new Set([Mnemonic.Rol, Mnemonic.Ror, Mnemonic.Rcl, Mnemonic.Rcr, Mnemonic.Shl, Mnemonic.Sal, Mnemonic.Shr, Mnemonic.Sar, Mnemonic.Shld, Mnemonic.Shrd]);

/** 16-bit SHLD/SHRD with a masked count above 16: result and flags are undefined. */
function resultUndefined(input: CaseInput): boolean {
  const d = describeInstruction(input.code);
  if (!d.doubleShift16 || !d.shiftCount) return false;
  const count = d.shiftCount.fromCl ? Number(input.gpr[1]! & 31n) : d.shiftCount.value;
  return count > 16;
}

/** Flags to compare for this case: the instruction's defined flags, less OF after multi-bit shifts. */
function comparedFlags(input: CaseInput): number {
  const d = describeInstruction(input.code);
  if (!d.shiftCount) return d.definedFlags;
  const count = d.shiftCount.fromCl ? Number(input.gpr[1]! & BigInt(d.shiftCount.mask)) : d.shiftCount.value;
  return count <= 1 ? d.definedFlags : d.definedFlags & ~FLAG_OF;
}
const decodedCache = new Map<string, Decoded>();

export function describeInstruction(code: Uint8Array): Decoded {
  const key = Buffer.from(code).toString('hex');
  let d = decodedCache.get(key);
  if (!d) {
    const decoder = new Decoder(64, code, DecoderOptions.None);
    decoder.ip = BigInt(CODE_ENTRY);
    const instruction = decoder.decode();
    let undefinedFlags = 0;
    for (const [iced, bit] of ICED_TO_RFLAGS) if (instruction.rflagsUndefined & iced) undefinedFlags |= bit;
    let shiftCount: Decoded['shiftCount'] = null;
    if (SHIFTS.has(instruction.mnemonic)) {
      const last = instruction.opCount - 1;
      const countMask = Code[instruction.code].includes('rm64') ? 63 : 31;
      shiftCount = { fromCl: instruction.opKind(last) === OpKind.Register, value: instruction.immediate8 & countMask, mask: countMask };
    }
    d = { text: `${formatter.format(instruction)}  (${key})`, definedFlags: (STATUS_FLAGS | FLAG_DF) & ~undefinedFlags, shiftCount, doubleShift16: /^Sh[lr]d_rm16_/.test(Code[instruction.code]) };
    instruction.free();
    decoder.free();
    if (decodedCache.size > 50_000) decodedCache.clear();
    decodedCache.set(key, d);
  }
  return d;
}

const h64 = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16).padStart(16, '0')}`;
const hexBytes = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function flagNames(flags: number): string {
  const names: Array<[number, string]> = [[FLAG_CF, 'CF'], [FLAG_PF, 'PF'], [FLAG_AF, 'AF'], [FLAG_ZF, 'ZF'], [FLAG_SF, 'SF'], [FLAG_DF, 'DF'], [FLAG_OF, 'OF']];
  return names.filter(([bit]) => flags & bit).map(([, n]) => n).join(' ') || '-';
}

const vectorName = (v: number): string => (v === -1 ? 'completed' : v === -2 ? 'did not return' : `exception ${v}`);

/** Differences as readable lines; empty when the emulator agrees with the host. */
export function compareOutputs(input: CaseInput, expected: CaseOutput, actual: CaseOutput): string[] {
  if (expected.vector !== actual.vector) return [`outcome: host ${vectorName(expected.vector)}, ours ${vectorName(actual.vector)}`];
  if (expected.vector !== -1 || resultUndefined(input)) return [];
  const diffs: string[] = [];
  for (let r = 0; r < 16; r++) {
    if (expected.gpr[r] !== actual.gpr[r]) diffs.push(`${GPR_NAMES[r]}: host ${h64(expected.gpr[r]!)}, ours ${h64(actual.gpr[r]!)}`);
  }
  if (expected.rip !== actual.rip) diffs.push(`rip: host ${h64(expected.rip)}, ours ${h64(actual.rip)}`);
  const mask = comparedFlags(input);
  if ((expected.rflags ^ actual.rflags) & mask) {
    diffs.push(`flags: host ${flagNames(expected.rflags & mask)}, ours ${flagNames(actual.rflags & mask)} (compared: ${flagNames(mask)})`);
  }
  if (expected.mxcsr !== actual.mxcsr) diffs.push(`mxcsr: host 0x${expected.mxcsr.toString(16)}, ours 0x${actual.mxcsr.toString(16)}`);
  for (let r = 0; r < 16; r++) {
    const e = expected.xmm.subarray(r * 16, r * 16 + 16);
    const a = actual.xmm.subarray(r * 16, r * 16 + 16);
    if (hexBytes(e) !== hexBytes(a)) diffs.push(`xmm${r}: host ${hexBytes(e)}, ours ${hexBytes(a)}`);
  }
  for (let r = 0; r < 8; r++) {
    const e = expected.mm.subarray(r * 8, r * 8 + 8);
    const a = actual.mm.subarray(r * 8, r * 8 + 8);
    if (hexBytes(e) !== hexBytes(a)) diffs.push(`mm${r}: host ${hexBytes(e)}, ours ${hexBytes(a)}`);
  }
  if (expected.ftw !== actual.ftw) diffs.push(`x87 tags: host 0x${expected.ftw.toString(16)}, ours 0x${actual.ftw.toString(16)}`);
  const mem = (m: Array<[number, number]>): string => m.map(([o, v]) => `${o.toString(16)}=${v.toString(16).padStart(2, '0')}`).join(' ');
  if (mem(expected.memory) !== mem(actual.memory)) diffs.push(`memory: host [${mem(expected.memory)}], ours [${mem(actual.memory)}]`);
  return diffs;
}

/** The state a case starts from, for a mismatch report: registers not at their defaults, flags, MXCSR, memory patch. */
export function describeInput(input: CaseInput): string {
  const regs = input.gpr
    .map((v, r) => (v === defaultGpr(r) ? '' : `${GPR_NAMES[r]}=${h64(v)}`))
    .concat(Array.from({ length: 16 }, (_, r) => {
      const bytes = input.xmm.subarray(r * 16, r * 16 + 16);
      return bytes.every((b, i) => b === defaultXmmByte(r, i)) ? '' : `xmm${r}=${hexBytes(bytes)}`;
    }))
    .concat(Array.from({ length: 8 }, (_, r) => {
      const bytes = input.mm.subarray(r * 8, r * 8 + 8);
      return bytes.every((b, i) => b === defaultMmByte(r, i)) ? '' : `mm${r}=${hexBytes(bytes)}`;
    }))
    .filter(Boolean)
    .join(' ');
  const patch = input.patch.length ? ` patch@${input.patchOffset.toString(16)}=${hexBytes(input.patch)}` : '';
  return `${regs} flags=${flagNames(input.rflags)} mxcsr=0x${input.mxcsr.toString(16)} seed=${input.dataSeed}${patch}`;
}
