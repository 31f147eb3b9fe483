/**
 * x87 tag word conversions. FXSAVE keeps an abridged tag (one bit per physical register: 1 = in
 * use); gdb's `ftag` is the full FSAVE form with two bits per physical register:
 * 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unsupported), 3 empty.
 */

const TAG_VALID = 0;
const TAG_ZERO = 1;
const TAG_SPECIAL = 2;
const TAG_EMPTY = 3;

/** Classifies one 80-bit register (little-endian, 10 bytes) the way the FPU tags it. */
function classify(reg: Uint8Array): number {
  const exponent = ((reg[9] & 0x7f) << 8) | reg[8];
  const integerBit = (reg[7] & 0x80) !== 0;
  let fractionZero = (reg[7] & 0x7f) === 0;
  for (let i = 0; i < 7 && fractionZero; i++) fractionZero = reg[i] === 0;
  if (exponent === 0x7fff) return TAG_SPECIAL;
  if (exponent === 0) return fractionZero && !integerBit ? TAG_ZERO : TAG_SPECIAL;
  return integerBit ? TAG_VALID : TAG_SPECIAL;
}

/**
 * Full tag word from the abridged one. `stackRegs[i]` is ST(i); physical register p holds
 * ST((p - TOP) mod 8), where TOP is bits 11..13 of the status word.
 */
export function fullTagWord(abridged: number, statusWord: number, stackRegs: Uint8Array[]): number {
  const top = (statusWord >> 11) & 7;
  let tags = 0;
  for (let physical = 0; physical < 8; physical++) {
    const tag = abridged & (1 << physical) ? classify(stackRegs[(physical - top + 8) & 7]) : TAG_EMPTY;
    tags |= tag << (2 * physical);
  }
  return tags;
}

/** Abridged tag byte from a full tag word: a register is in use unless its tag says empty. */
export function abridgedTagWord(full: number): number {
  let abridged = 0;
  for (let physical = 0; physical < 8; physical++) {
    if (((full >> (2 * physical)) & 3) !== TAG_EMPTY) abridged |= 1 << physical;
  }
  return abridged;
}
