/**
 * SSE4.2: CRC32 (F2 0F 38 F0/F1, CRC-32C with the reflected polynomial 0x82F63B78) and the
 * string comparisons PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (66 0F 3A 60–63). PCMPGTQ is with
 * the other packed compares in sse41.ts.
 */
import { advertise, ECX } from './cpuid.js';
import type { Cpu } from './cpu.js';
import { setArithFlags } from './flags.js';
import type { Insn } from './insn.js';
import { def, F_MODRM, F_SSE, I_B, V_66, V_F2 } from './optable.js';
import { sseCheck, xmmSrc } from './sse-common.js';
import { CF, OF, SF, ZF } from './state.js';

const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let v = n;
  for (let k = 0; k < 8; k++) v = v & 1 ? (v >>> 1) ^ 0x82f63b78 : v >>> 1;
  CRC_TABLE[n] = v;
}

function crcBytes(crc: number, v: number, count: number): number {
  for (let k = 0; k < count; k++) {
    crc = CRC_TABLE[(crc ^ v) & 0xff] ^ (crc >>> 8);
    v >>>= 8;
  }
  return crc;
}

/** CRC32 r32/r64, r/m8 (F0) or r/m16/32/64 (F1). The result is zero-extended into the destination. */
function crc32(c: Cpu, i: Insn): void {
  const size = (i.opcode & 1) === 0 ? 1 : i.osize;
  const lo = c.readRM(i, size);
  const hi = size === 8 ? c.rhi : 0;
  let crc = c.r[i.reg << 1];
  crc = crcBytes(crc, lo, size === 8 ? 4 : size);
  if (size === 8) crc = crcBytes(crc, hi, 4);
  c.setR64(i.reg, crc, 0);
}

// ---- PCMPxSTRx --------------------------------------------------------------------------

/** Elements of the two operands as numbers (signed or unsigned per imm8[1]). */
const elA = new Int32Array(16);
const elB = new Int32Array(16);

/** |length register| saturated to n; `wide` reads the full 64-bit register (REX.W). */
function explicitLength(c: Cpu, reg: number, wide: boolean, n: number): number {
  const lo = c.r[reg << 1];
  if (!wide) {
    const a = Math.abs(lo);
    return a > n ? n : a;
  }
  const hi = c.r[(reg << 1) + 1];
  if (hi === 0) return lo >>> 0 > n ? n : lo >>> 0;
  if (hi === -1 && lo !== 0) {
    const a = 4294967296 - (lo >>> 0);
    return a > n ? n : a;
  }
  return n;
}

function implicitLength(el: Int32Array, n: number): number {
  for (let k = 0; k < n; k++) if (el[k] === 0) return k;
  return n;
}

/**
 * The comparison core shared by the four instructions: returns IntRes2 as a bit mask (bit k for
 * element k of the second operand) and sets the flags. `la`/`lb` are the valid lengths.
 */
function compareStrings(c: Cpu, imm: number, n: number, la: number, lb: number): number {
  const agg = (imm >> 2) & 3;
  let res1 = 0;
  switch (agg) {
    case 0: // equal any: is element i of B in the set A?
      for (let i = 0; i < lb; i++) {
        for (let j = 0; j < la; j++) {
          if (elA[j] === elB[i]) {
            res1 |= 1 << i;
            break;
          }
        }
      }
      break;
    case 1: // ranges: A holds pairs [lo, hi]
      for (let i = 0; i < lb; i++) {
        for (let j = 0; j + 1 < la; j += 2) {
          if (elA[j] <= elB[i] && elB[i] <= elA[j + 1]) {
            res1 |= 1 << i;
            break;
          }
        }
      }
      break;
    case 2: // equal each: element-wise; two invalid elements compare equal
      for (let i = 0; i < n; i++) {
        const va = i < la;
        const vb = i < lb;
        if (va && vb ? elA[i] === elB[i] : !va && !vb) res1 |= 1 << i;
      }
      break;
    default: // equal ordered: does A occur in B starting at i? (A running past its end matches)
      for (let i = 0; i < n; i++) {
        let match = true;
        for (let k = 0; k < n - i && k < la; k++) {
          if (i + k >= lb || elA[k] !== elB[i + k]) {
            match = false;
            break;
          }
        }
        if (match) res1 |= 1 << i;
      }
  }
  const all = (1 << n) - 1;
  let res2: number;
  switch ((imm >> 4) & 3) {
    case 1:
      res2 = ~res1 & all;
      break;
    case 3:
      res2 = res1 ^ ((1 << lb) - 1);
      break;
    default:
      res2 = res1;
  }
  setArithFlags(c, (res2 !== 0 ? CF : 0) | (lb < n ? ZF : 0) | (la < n ? SF : 0) | (res2 & 1 ? OF : 0));
  return res2;
}

/** Loads the elements of xmm `a` and source `b` (register slot) into elA/elB. */
function loadElements(c: Cpu, a: number, b: number, imm: number): number {
  const words = (imm & 1) !== 0;
  const signed = (imm & 2) !== 0;
  const n = words ? 8 : 16;
  for (let k = 0; k < n; k++) {
    if (words) {
      elA[k] = signed ? c.xs16[a * 8 + k] : c.x16[a * 8 + k];
      elB[k] = signed ? c.xs16[b * 8 + k] : c.x16[b * 8 + k];
    } else {
      elA[k] = signed ? c.xs8[a * 16 + k] : c.x8[a * 16 + k];
      elB[k] = signed ? c.xs8[b * 16 + k] : c.x8[b * 16 + k];
    }
  }
  return n;
}

/** 66 0F 3A 60–63: bit 0 of the opcode selects index (1) or mask (0), bit 1 implicit lengths. */
function pcmpstr(c: Cpu, i: Insn): void {
  sseCheck(c);
  // The string instructions do not require an aligned memory operand.
  const s = xmmSrc(c, i, 16, false);
  const imm = i.imm & 0xff;
  const n = loadElements(c, i.reg, s, imm);
  const implicit = (i.opcode & 2) !== 0;
  const wide = i.osize === 8;
  const la = implicit ? implicitLength(elA, n) : explicitLength(c, 0, wide, n);
  const lb = implicit ? implicitLength(elB, n) : explicitLength(c, 2, wide, n);
  const res = compareStrings(c, imm, n, la, lb);
  const w = c.x32;
  if ((i.opcode & 1) !== 0) {
    // Index of the least (imm8[6] = 0) or most significant set bit, or n if none.
    const index = res === 0 ? n : (imm & 0x40) !== 0 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
    c.setR64(1, index, 0);
  } else if ((imm & 0x40) === 0) {
    w[0] = res;
    w[1] = 0;
    w[2] = 0;
    w[3] = 0;
  } else if (n === 16) {
    for (let k = 0; k < 16; k++) c.x8[k] = (res >> k) & 1 ? 0xff : 0;
  } else {
    for (let k = 0; k < 8; k++) c.x16[k] = (res >> k) & 1 ? 0xffff : 0;
  }
}

def([0x2f0, 0x2f1], F_MODRM, crc32, V_F2);
def([0x360, 0x361, 0x362, 0x363], F_MODRM | F_SSE | I_B, pcmpstr, V_66);

advertise(1, 0, ECX, 20);
