/**
 * Decoder check: random byte strings decoded by iced-x86 (64-bit) and by our decoder must agree on
 * validity and, where both accept the bytes, on the instruction length. Our decoder may reject a
 * valid encoding only for instructions our CPU does not implement — never for a CI form.
 * Some invalid encodings decode to a handler that raises #UD when it runs (e.g. LEA with a
 * register operand): those are executed once on our CPU, which must then raise #UD.
 * DIFF_LONG=1 decodes many more strings with a random (printed) seed.
 */
import { Code, Decoder, DecoderOptions, Formatter, FormatterSyntax, Mnemonic } from 'iced-x86';
import { describe, expect, test } from 'vitest';
// The opcode table is filled by the instruction families that cpu.js loads.
import '../../cpu/cpu.js';
import { decode, type CodeSource } from '../../cpu/decoder.js';
import type { Insn } from '../../cpu/insn.js';
import { defaultGpr, defaultMm, DATA_BASE, type CaseInput } from './case.js';
import { EmulatorRunner } from './emulator.js';
import { CI_FORMS } from './forms.js';
import { Rng } from './rng.js';

const LEGACY_PREFIXES = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65];
const ciForms = new Set(CI_FORMS);
const formatter = new Formatter(FormatterSyntax.Intel);
const UD = 6;
/** Valid instructions whose whole purpose is #UD: whether a decoder table lists them is immaterial. */
const UNDEFINED_ON_PURPOSE = new Set(['Ud0', 'Ud1', 'Ud2']);

let emulator: EmulatorRunner | null = null;

/** Runs the bytes once on our CPU (registers pointing into the data area) and returns the exception vector, or -1. */
function executeOnce(bytes: Uint8Array): number {
  emulator ??= new EmulatorRunner();
  const input: CaseInput = {
    form: 'decoder',
    code: bytes,
    gpr: Array.from({ length: 16 }, (_, r) => (r === 4 ? BigInt(DATA_BASE + 0x1000) : defaultGpr(r))),
    rflags: 2,
    mxcsr: 0x1f80,
    dataSeed: 1,
    xmm: new Uint8Array(256),
    patchOffset: 0,
    patch: new Uint8Array(0),
    mm: defaultMm(),
  };
  try {
    return emulator.run(input).vector;
  } catch {
    return -1; // stopped for another reason (HLT, I/O): it certainly did not raise #UD
  }
}

function ours(bytes: Uint8Array): Insn {
  const source: CodeSource = {
    codeBytes: bytes,
    codeAvail: bytes.length,
    codeByteSlow: (k) => {
      throw new RangeError(`decoder read byte ${k} past the ${bytes.length} supplied`);
    },
  };
  return decode(source, true);
}

/** The handler our decoder gives encodings it rejects (0xD6, SALC, is invalid in 64-bit mode). */
const rejectHandler = ours(Uint8Array.of(0xd6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).exec;
/** The handler for encodings longer than 15 bytes (#GP). */
const tooLongHandler = ours(new Uint8Array(15).fill(0x66)).exec;

/** 15 bytes shaped like instructions: a few prefixes, maybe REX, an escape, opcode, ModRM/SIB/imm. */
function randomInstructionBytes(rng: Rng): Uint8Array {
  const bytes: number[] = [];
  const prefixes = rng.chance(0.5) ? rng.int(4) : 0;
  for (let k = 0; k < prefixes; k++) bytes.push(rng.pick(LEGACY_PREFIXES));
  if (rng.chance(0.5)) bytes.push(0x40 | rng.int(16));
  const escape = rng.int(8);
  if (escape >= 3) bytes.push(0x0f);
  if (escape === 6) bytes.push(0x38);
  if (escape === 7) bytes.push(0x3a);
  while (bytes.length < 15) bytes.push(rng.int(256));
  return Uint8Array.from(bytes);
}

interface DecoderReport {
  checked: number;
  /** Valid for iced, rejected by ours: mnemonic → count (instructions we do not implement). */
  unimplemented: Map<string, number>;
  failures: string[];
}

function compareDecoders(seed: number, count: number): DecoderReport {
  const rng = new Rng(seed);
  const report: DecoderReport = { checked: 0, unimplemented: new Map(), failures: [] };
  for (let n = 0; n < count; n++) {
    const bytes = randomInstructionBytes(rng);
    const decoder = new Decoder(64, bytes, DecoderOptions.None);
    const reference = decoder.decode();
    const icedValid = reference.code !== Code.INVALID;
    const icedLength = reference.length;
    const text = icedValid ? formatter.format(reference) : '(invalid)';
    const form = Code[reference.code];
    const mnemonic = Mnemonic[reference.mnemonic];
    reference.free();
    decoder.free();

    const insn = ours(bytes);
    const oursValid = insn.exec !== rejectHandler && insn.exec !== tooLongHandler;
    const hex = Buffer.from(bytes).toString('hex');
    report.checked++;
    if (!icedValid && oursValid) {
      const vector = executeOnce(bytes);
      if (vector !== UD) report.failures.push(`${hex}: iced-x86 rejects it, ours decodes ${insn.len} bytes and executes it (${vector === -1 ? 'completes' : `exception ${vector}`})`);
    } else if (icedValid && UNDEFINED_ON_PURPOSE.has(mnemonic!)) {
      continue;
    } else if (icedValid && !oursValid) {
      if (ciForms.has(form!)) report.failures.push(`${hex}: ${text} (${form}, a CI form) rejected by ours`);
      else report.unimplemented.set(mnemonic!, (report.unimplemented.get(mnemonic!) ?? 0) + 1);
    } else if (icedValid && icedLength !== insn.len) {
      report.failures.push(`${hex}: ${text} is ${icedLength} bytes, ours says ${insn.len}`);
    }
  }
  return report;
}

function summary(report: DecoderReport): string {
  const top = [...report.unimplemented].sort((a, b) => b[1] - a[1]).slice(0, 60);
  return `${report.checked} strings; valid for iced-x86 but not implemented by ours: ${top.map(([m, c]) => `${m}×${c}`).join(' ')}`;
}

describe('decoder against iced-x86', () => {
  test('the reference handlers are distinct from a valid instruction’s', () => {
    const nop = ours(Uint8Array.of(0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    expect(nop.len).toBe(1);
    expect(nop.exec).not.toBe(rejectHandler);
    expect(nop.exec).not.toBe(tooLongHandler);
    expect(rejectHandler).not.toBe(tooLongHandler);
  });

  test('random byte strings: same validity and length (fixed seed)', () => {
    const report = compareDecoders(0x5eed, 100_000);
    console.log(summary(report));
    expect(report.failures.slice(0, 40).join('\n'), `${report.failures.length} disagreements`).toBe('');
  });

  test.runIf(process.env.DIFF_LONG === '1')(
    'long run: random seed',
    () => {
      const seed = Number(process.env.DIFF_SEED ?? Math.floor(Math.random() * 2 ** 31));
      console.log(`decoder DIFF_LONG seed ${seed}`);
      const report = compareDecoders(seed, 3_000_000);
      console.log(summary(report));
      expect(report.failures.slice(0, 40).join('\n'), `${report.failures.length} disagreements`).toBe('');
    },
    3_600_000,
  );
});
