/**
 * SSSE3 on XMM registers (66 0F 38 00–0B, 1C–1E and 66 0F 3A 0F): PSHUFB, PHADDW/D/SW,
 * PHSUBW/D/SW, PMADDUBSW, PMULHRSW, PSIGNB/W/D, PABSB/W/D, PALIGNR.
 * The MMX-register forms (no 66 prefix) are in mmx.ts.
 */
import { advertise, ECX } from './cpuid.js';
import type { Cpu } from './cpu.js';
import { UD } from './fault.js';
import type { Insn } from './insn.js';
import { def, F_MODRM, F_SSE, I_B, range, V_66 } from './optable.js';
import { copyXmm, OUT, satS16, sseCheck, xmmSrc } from './sse-common.js';

/**
 * SSSE3 two-operand ops by opcode (0F 38 00–0B, 1C–1E) on the low `bytes` (8 for the MMX forms,
 * 16 for the XMM forms) of XMM slots `d` and `s`, into OUT. Shared by both widths.
 */
export function packedSsse3(c: Cpu, op: number, d: number, s: number, bytes: number): void {
  const n8 = bytes, n16 = bytes >> 1, n32 = bytes >> 2;
  const b = c.x8;
  const sb = c.xs8;
  const h = c.x16;
  const sh = c.xs16;
  const w = c.x32;
  const D8 = d * 16, S8 = s * 16, O8 = OUT * 16;
  const D16 = d * 8, S16 = s * 8, O16 = OUT * 8;
  const D32 = d * 4, S32 = s * 4, O32 = OUT * 4;
  switch (op) {
    case 0x00: // PSHUFB
      for (let k = 0; k < n8; k++) {
        const m = b[S8 + k];
        b[O8 + k] = m & 0x80 ? 0 : b[D8 + (m & (n8 - 1))];
      }
      break;
    case 0x01: // PHADDW
    case 0x05: // PHSUBW
    case 0x03: // PHADDSW
    case 0x07: {
      // PHSUBSW
      const sub = (op & 4) !== 0;
      const sat = (op & 2) !== 0;
      for (let k = 0, half = n16 >> 1; k < n16; k++) {
        const base = k < half ? D16 + 2 * k : S16 + 2 * (k - half);
        const v = sub ? sh[base] - sh[base + 1] : sh[base] + sh[base + 1];
        sh[O16 + k] = sat ? satS16(v) : v;
      }
      break;
    }
    case 0x02: // PHADDD
    case 0x06: // PHSUBD
      for (let k = 0, half = n32 >> 1; k < n32; k++) {
        const base = k < half ? D32 + 2 * k : S32 + 2 * (k - half);
        w[O32 + k] = (op & 4) !== 0 ? (w[base] - w[base + 1]) | 0 : (w[base] + w[base + 1]) | 0;
      }
      break;
    case 0x04: // PMADDUBSW: unsigned bytes of the destination times signed bytes of the source
      for (let k = 0; k < n16; k++) sh[O16 + k] = satS16(b[D8 + 2 * k] * sb[S8 + 2 * k] + b[D8 + 2 * k + 1] * sb[S8 + 2 * k + 1]);
      break;
    case 0x08: // PSIGNB
      for (let k = 0; k < n8; k++) {
        const m = sb[S8 + k];
        b[O8 + k] = m < 0 ? -b[D8 + k] : m === 0 ? 0 : b[D8 + k];
      }
      break;
    case 0x09: // PSIGNW
      for (let k = 0; k < n16; k++) {
        const m = sh[S16 + k];
        h[O16 + k] = m < 0 ? -h[D16 + k] : m === 0 ? 0 : h[D16 + k];
      }
      break;
    case 0x0a: // PSIGND
      for (let k = 0; k < n32; k++) {
        const m = w[S32 + k];
        w[O32 + k] = m < 0 ? -w[D32 + k] | 0 : m === 0 ? 0 : w[D32 + k];
      }
      break;
    case 0x0b: // PMULHRSW: round((a*b) >> 14) >> 1
      for (let k = 0; k < n16; k++) h[O16 + k] = (((sh[D16 + k] * sh[S16 + k]) >> 14) + 1) >> 1;
      break;
    case 0x1c: // PABSB
      for (let k = 0; k < n8; k++) b[O8 + k] = Math.abs(sb[S8 + k]);
      break;
    case 0x1d: // PABSW
      for (let k = 0; k < n16; k++) h[O16 + k] = Math.abs(sh[S16 + k]);
      break;
    case 0x1e: // PABSD
      for (let k = 0; k < n32; k++) w[O32 + k] = Math.abs(w[S32 + k]) | 0;
      break;
    default:
      c.raise(UD, -1);
  }
}

function ssse3(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  packedSsse3(c, i.opcode & 0xff, i.reg, s, 16);
  copyXmm(c, i.reg, OUT);
}

/** PALIGNR into OUT: (d:s) >> (n bytes), keeping the low `bytes` (8 for MMX, 16 for XMM). */
export function alignRight(c: Cpu, d: number, s: number, n: number, bytes: number): void {
  const b = c.x8;
  for (let k = 0; k < bytes; k++) {
    const j = k + n;
    b[OUT * 16 + k] = j < bytes ? b[s * 16 + j] : j < 2 * bytes ? b[d * 16 + j - bytes] : 0;
  }
}

/** 66 0F 3A 0F PALIGNR xmm, xmm/m128, imm8. */
function palignr(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  alignRight(c, i.reg, s, i.imm & 0xff, 16);
  copyXmm(c, i.reg, OUT);
}

const M = F_MODRM | F_SSE;
def([...range(0x200, 12), 0x21c, 0x21d, 0x21e], M, ssse3, V_66);
def(0x30f, M | I_B, palignr, V_66);

advertise(1, 0, ECX, 9);
