/**
 * Cross-checks instruction lengths against iced-x86 on many generated encodings: whenever our
 * decoder accepts an instruction (does not map it to #UD), iced must agree it is valid and on its
 * length. Encodings iced rejects must not be accepted by us.
 */
import { Decoder, DecoderOptions, Code } from 'iced-x86';
import { describe, expect, it } from 'vitest';
import '../../cpu/cpu.js';
import { decode, raiseUD, type CodeSource } from '../../cpu/decoder.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  };
}

const PREFIXES = [0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x64, 0x65];

function generate(rnd: () => number, out: Uint8Array): void {
  let k = 0;
  const nPrefix = rnd() % 4 === 0 ? rnd() % 3 : 0;
  for (let p = 0; p < nPrefix; p++) out[k++] = PREFIXES[rnd() % PREFIXES.length];
  if (rnd() % 2 === 0) out[k++] = 0x40 | (rnd() & 15);
  const map = rnd() % 4;
  if (map >= 2) {
    out[k++] = 0x0f;
    if (map === 3 && rnd() % 4 === 0) out[k++] = rnd() % 2 ? 0x38 : 0x3a;
  }
  while (k < 16) out[k++] = rnd();
}

describe('decoder', () => {
  it('agrees with iced-x86 on the length and validity of accepted encodings', () => {
    const rnd = lcg(12345);
    const bytes = new Uint8Array(16);
    const src: CodeSource = {
      codeBytes: bytes,
      codeAvail: 15,
      codeByteSlow(): number {
        throw new Error('read past 15 bytes');
      },
    };
    let accepted = 0;
    const mismatches: string[] = [];
    for (let n = 0; n < 100000; n++) {
      generate(rnd, bytes);
      const ours = decode(src, true);
      if (ours.exec === raiseUD || ours.len === 15) continue;
      accepted++;
      const d = new Decoder(64, bytes.slice(0, 15), DecoderOptions.None);
      const ins = d.decode();
      const hex = [...bytes.slice(0, Math.max(ours.len, ins.length))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      if (ins.code === Code.INVALID) mismatches.push(`accepted invalid: ${hex}`);
      else if (ins.length !== ours.len) mismatches.push(`length ${ours.len} vs iced ${ins.length}: ${hex}`);
      ins.free();
      d.free();
    }
    expect(accepted).toBeGreaterThan(10000);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});
