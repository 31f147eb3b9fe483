/**
 * SSE2 integer instructions on XMM registers (66-prefixed): PADD/PSUB (with signed/unsigned
 * saturation), PMULLW/PMULHW/PMULHUW/PMULUDQ/PMADDWD, PAND/PANDN/POR/PXOR, PCMPEQ/PCMPGT,
 * PSLL/PSRL/PSRA by immediate and by XMM, PSLLDQ/PSRLDQ, PSHUFD/PSHUFLW/PSHUFHW, PUNPCK*, PACK*,
 * PMOVMSKB, PMINUB/PMAXUB/PMINSW/PMAXSW, PAVGB/PAVGW, PSADBW, PINSRW/PEXTRW.
 * Results go to a scratch slot first, so a destination that is also a source reads correctly.
 */
import type { Cpu } from './cpu.js';
import { UD } from './fault.js';
import type { Insn } from './insn.js';
import { def, defGroup, F_MODRM, F_REG, F_SSE, I_B, range, V_66, V_F2, V_F3 } from './optable.js';
import { copyXmm, OUT, satS16, satS8, satU16, satU8, sseCheck, xmmSrc } from './sse-common.js';

/**
 * Two-operand packed integer operations, by opcode (0F 60–76, D4–FE), on the low `bytes` (8 for
 * the MMX forms, 16 for the XMM forms) of XMM slots `d` and `s`, into OUT. One implementation
 * serves both widths: MMX copies its operands into scratch slots first.
 */
export function packedIntBinary(c: Cpu, op: number, d: number, s: number, bytes: number): void {
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
    case 0x60: // PUNPCKLBW
    case 0x68:
      for (let k = 0, base = op & 8 ? n8 >> 1 : 0; k < n8 >> 1; k++) {
        b[O8 + 2 * k] = b[D8 + base + k];
        b[O8 + 2 * k + 1] = b[S8 + base + k];
      }
      break;
    case 0x61: // PUNPCKLWD
    case 0x69:
      for (let k = 0, base = op & 8 ? n16 >> 1 : 0; k < n16 >> 1; k++) {
        h[O16 + 2 * k] = h[D16 + base + k];
        h[O16 + 2 * k + 1] = h[S16 + base + k];
      }
      break;
    case 0x62: // PUNPCKLDQ
    case 0x6a:
      for (let k = 0, base = op & 8 ? n32 >> 1 : 0; k < n32 >> 1; k++) {
        w[O32 + 2 * k] = w[D32 + base + k];
        w[O32 + 2 * k + 1] = w[S32 + base + k];
      }
      break;
    case 0x6c: // PUNPCKLQDQ
    case 0x6d: {
      const base = op & 1 ? 2 : 0;
      w[O32] = w[D32 + base];
      w[O32 + 1] = w[D32 + base + 1];
      w[O32 + 2] = w[S32 + base];
      w[O32 + 3] = w[S32 + base + 1];
      break;
    }
    case 0x63: // PACKSSWB
      for (let k = 0; k < n16; k++) {
        sb[O8 + k] = satS8(sh[D16 + k]);
        sb[O8 + n16 + k] = satS8(sh[S16 + k]);
      }
      break;
    case 0x67: // PACKUSWB
      for (let k = 0; k < n16; k++) {
        b[O8 + k] = satU8(sh[D16 + k]);
        b[O8 + n16 + k] = satU8(sh[S16 + k]);
      }
      break;
    case 0x6b: // PACKSSDW
      for (let k = 0; k < n32; k++) {
        sh[O16 + k] = satS16(w[D32 + k]);
        sh[O16 + n32 + k] = satS16(w[S32 + k]);
      }
      break;
    case 0x64: // PCMPGTB
      for (let k = 0; k < n8; k++) b[O8 + k] = sb[D8 + k] > sb[S8 + k] ? 0xff : 0;
      break;
    case 0x65: // PCMPGTW
      for (let k = 0; k < n16; k++) h[O16 + k] = sh[D16 + k] > sh[S16 + k] ? 0xffff : 0;
      break;
    case 0x66: // PCMPGTD
      for (let k = 0; k < n32; k++) w[O32 + k] = w[D32 + k] > w[S32 + k] ? -1 : 0;
      break;
    case 0x74: // PCMPEQB
      for (let k = 0; k < n8; k++) b[O8 + k] = b[D8 + k] === b[S8 + k] ? 0xff : 0;
      break;
    case 0x75: // PCMPEQW
      for (let k = 0; k < n16; k++) h[O16 + k] = h[D16 + k] === h[S16 + k] ? 0xffff : 0;
      break;
    case 0x76: // PCMPEQD
      for (let k = 0; k < n32; k++) w[O32 + k] = w[D32 + k] === w[S32 + k] ? -1 : 0;
      break;
    case 0xd4: // PADDQ
    case 0xfb: // PSUBQ
      for (let k = 0; k < n32; k += 2) {
        const aLo = w[D32 + k], aHi = w[D32 + k + 1], bLo = w[S32 + k], bHi = w[S32 + k + 1];
        if (op === 0xd4) {
          const sum = (aLo >>> 0) + (bLo >>> 0);
          w[O32 + k] = sum | 0;
          w[O32 + k + 1] = (aHi + bHi + (sum > 0xffffffff ? 1 : 0)) | 0;
        } else {
          w[O32 + k] = (aLo - bLo) | 0;
          w[O32 + k + 1] = (aHi - bHi - ((aLo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0;
        }
      }
      break;
    case 0xd5: // PMULLW
      for (let k = 0; k < n16; k++) h[O16 + k] = Math.imul(sh[D16 + k], sh[S16 + k]);
      break;
    case 0xe5: // PMULHW
      for (let k = 0; k < n16; k++) h[O16 + k] = (sh[D16 + k] * sh[S16 + k]) >> 16;
      break;
    case 0xe4: // PMULHUW
      for (let k = 0; k < n16; k++) h[O16 + k] = Math.floor((h[D16 + k] * h[S16 + k]) / 65536);
      break;
    case 0xf4: // PMULUDQ
      for (let k = 0; k < n32; k += 2) {
        const x = w[D32 + k] >>> 0;
        const y = w[S32 + k] >>> 0;
        const xl = x & 0xffff, xh = x >>> 16, yl = y & 0xffff, yh = y >>> 16;
        const ll = xl * yl;
        const mid = (ll >>> 16) + (xl * yh & 0xffff) + (xh * yl & 0xffff);
        w[O32 + k] = ((mid & 0xffff) << 16) | (ll & 0xffff);
        w[O32 + k + 1] = (xh * yh + ((xl * yh) >>> 16) + ((xh * yl) >>> 16) + (mid >>> 16)) | 0;
      }
      break;
    case 0xf5: // PMADDWD
      for (let k = 0; k < n32; k++) w[O32 + k] = (sh[D16 + 2 * k] * sh[S16 + 2 * k] + sh[D16 + 2 * k + 1] * sh[S16 + 2 * k + 1]) | 0;
      break;
    case 0xf6: // PSADBW
      for (let half = 0; half < bytes >> 3; half++) {
        let sum = 0;
        for (let k = 0; k < 8; k++) sum += Math.abs(b[D8 + half * 8 + k] - b[S8 + half * 8 + k]);
        w[O32 + half * 2] = sum;
        w[O32 + half * 2 + 1] = 0;
      }
      break;
    case 0xd8: // PSUBUSB
      for (let k = 0; k < n8; k++) b[O8 + k] = satU8(b[D8 + k] - b[S8 + k]);
      break;
    case 0xd9: // PSUBUSW
      for (let k = 0; k < n16; k++) h[O16 + k] = satU16(h[D16 + k] - h[S16 + k]);
      break;
    case 0xdc: // PADDUSB
      for (let k = 0; k < n8; k++) b[O8 + k] = satU8(b[D8 + k] + b[S8 + k]);
      break;
    case 0xdd: // PADDUSW
      for (let k = 0; k < n16; k++) h[O16 + k] = satU16(h[D16 + k] + h[S16 + k]);
      break;
    case 0xe8: // PSUBSB
      for (let k = 0; k < n8; k++) sb[O8 + k] = satS8(sb[D8 + k] - sb[S8 + k]);
      break;
    case 0xe9: // PSUBSW
      for (let k = 0; k < n16; k++) sh[O16 + k] = satS16(sh[D16 + k] - sh[S16 + k]);
      break;
    case 0xec: // PADDSB
      for (let k = 0; k < n8; k++) sb[O8 + k] = satS8(sb[D8 + k] + sb[S8 + k]);
      break;
    case 0xed: // PADDSW
      for (let k = 0; k < n16; k++) sh[O16 + k] = satS16(sh[D16 + k] + sh[S16 + k]);
      break;
    case 0xda: // PMINUB
      for (let k = 0; k < n8; k++) b[O8 + k] = Math.min(b[D8 + k], b[S8 + k]);
      break;
    case 0xde: // PMAXUB
      for (let k = 0; k < n8; k++) b[O8 + k] = Math.max(b[D8 + k], b[S8 + k]);
      break;
    case 0xea: // PMINSW
      for (let k = 0; k < n16; k++) sh[O16 + k] = Math.min(sh[D16 + k], sh[S16 + k]);
      break;
    case 0xee: // PMAXSW
      for (let k = 0; k < n16; k++) sh[O16 + k] = Math.max(sh[D16 + k], sh[S16 + k]);
      break;
    case 0xe0: // PAVGB
      for (let k = 0; k < n8; k++) b[O8 + k] = (b[D8 + k] + b[S8 + k] + 1) >> 1;
      break;
    case 0xe3: // PAVGW
      for (let k = 0; k < n16; k++) h[O16 + k] = (h[D16 + k] + h[S16 + k] + 1) >> 1;
      break;
    case 0xdb: // PAND
      for (let k = 0; k < n32; k++) w[O32 + k] = w[D32 + k] & w[S32 + k];
      break;
    case 0xdf: // PANDN
      for (let k = 0; k < n32; k++) w[O32 + k] = ~w[D32 + k] & w[S32 + k];
      break;
    case 0xeb: // POR
      for (let k = 0; k < n32; k++) w[O32 + k] = w[D32 + k] | w[S32 + k];
      break;
    case 0xef: // PXOR
      for (let k = 0; k < n32; k++) w[O32 + k] = w[D32 + k] ^ w[S32 + k];
      break;
    case 0xf8: // PSUBB
      for (let k = 0; k < n8; k++) b[O8 + k] = b[D8 + k] - b[S8 + k];
      break;
    case 0xf9: // PSUBW
      for (let k = 0; k < n16; k++) h[O16 + k] = h[D16 + k] - h[S16 + k];
      break;
    case 0xfa: // PSUBD
      for (let k = 0; k < n32; k++) w[O32 + k] = (w[D32 + k] - w[S32 + k]) | 0;
      break;
    case 0xfc: // PADDB
      for (let k = 0; k < n8; k++) b[O8 + k] = b[D8 + k] + b[S8 + k];
      break;
    case 0xfd: // PADDW
      for (let k = 0; k < n16; k++) h[O16 + k] = h[D16 + k] + h[S16 + k];
      break;
    case 0xfe: // PADDD
      for (let k = 0; k < n32; k++) w[O32 + k] = (w[D32 + k] + w[S32 + k]) | 0;
      break;
    default:
      c.raise(UD, -1);
  }
}

export function pbin(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  packedIntBinary(c, i.opcode & 0xff, i.reg, s, 16);
  copyXmm(c, i.reg, OUT);
}

/**
 * Element shifts, in place, of the low `bytes` (8 for MMX, 16 for XMM) of XMM slot `d` by
 * `count`: kind 0 logical right, 1 arithmetic right, 2 left; width 2, 4 or 8 bytes.
 */
export function shiftLanes(c: Cpu, d: number, width: number, kind: number, count: number, bytes: number): void {
  const h = c.x16;
  const sh = c.xs16;
  const w = c.x32;
  const bits = width * 8;
  if (count >= bits && kind !== 1) {
    for (let k = 0; k < bytes >> 2; k++) w[d * 4 + k] = 0;
    return;
  }
  const n = Math.min(count, bits - 1);
  if (width === 2) {
    for (let k = 0; k < bytes >> 1; k++) {
      const j = d * 8 + k;
      h[j] = kind === 0 ? h[j] >>> n : kind === 1 ? sh[j] >> n : h[j] << n;
    }
  } else if (width === 4) {
    for (let k = 0; k < bytes >> 2; k++) {
      const j = d * 4 + k;
      w[j] = kind === 0 ? w[j] >>> n : kind === 1 ? w[j] >> n : w[j] << n;
    }
  } else {
    for (let k = 0; k < bytes >> 2; k += 2) {
      const j = d * 4 + k;
      const lo = w[j];
      const hi = w[j + 1];
      if (n === 0) continue;
      if (kind === 0) {
        w[j] = n < 32 ? (lo >>> n) | (hi << (32 - n)) : hi >>> (n - 32);
        w[j + 1] = n < 32 ? hi >>> n : 0;
      } else {
        w[j] = n < 32 ? lo << n : 0;
        w[j + 1] = n < 32 ? (hi << n) | (lo >>> (32 - n)) : lo << (n - 32);
      }
    }
  }
}

/** PSRLW/PSRAW/PSLLW, PSRLD/PSRAD/PSLLD, PSRLQ/PSLLQ by the low 64 bits of an XMM/m128. */
function shiftByXmm(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const w = c.x32;
  const count = w[s * 4 + 1] !== 0 || w[s * 4] < 0 ? 255 : w[s * 4];
  const op = i.opcode & 0xff;
  const width = 1 << (op & 3);
  const kind = op >= 0xf0 ? 2 : op >= 0xe0 ? 1 : 0;
  shiftLanes(c, i.reg, width, kind, count, 16);
}

/** 66 0F 71/72/73 with /2 /4 /6 and imm8. */
export function shiftByImm(c: Cpu, i: Insn): void {
  sseCheck(c);
  const width = i.opcode === 0x171 ? 2 : i.opcode === 0x172 ? 4 : 8;
  const r = i.reg & 7;
  shiftLanes(c, i.rm, width, r === 2 ? 0 : r === 4 ? 1 : 2, i.imm & 0xff, 16);
}

/** PSRLDQ (/3) and PSLLDQ (/7): whole-register byte shifts. */
export function byteShift(c: Cpu, i: Insn): void {
  sseCheck(c);
  const n = Math.min(i.imm & 0xff, 16);
  const b = c.x8;
  const d = i.rm * 16;
  const left = (i.reg & 7) === 7;
  for (let k = 0; k < 16; k++) {
    const from = left ? k - n : k + n;
    b[OUT * 16 + k] = from >= 0 && from < 16 ? b[d + from] : 0;
  }
  copyXmm(c, i.rm, OUT);
}

function pshufd(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const w = c.x32;
  for (let k = 0; k < 4; k++) w[OUT * 4 + k] = w[s * 4 + ((i.imm >> (2 * k)) & 3)];
  copyXmm(c, i.reg, OUT);
}

/** PSHUFHW (F3) / PSHUFLW (F2): shuffle the words of one half, copy the other. */
function pshufw(c: Cpu, i: Insn, high: boolean): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const h = c.x16;
  const base = high ? 4 : 0;
  const other = high ? 0 : 4;
  for (let k = 0; k < 4; k++) {
    h[OUT * 8 + base + k] = h[s * 8 + base + ((i.imm >> (2 * k)) & 3)];
    h[OUT * 8 + other + k] = h[s * 8 + other + k];
  }
  copyXmm(c, i.reg, OUT);
}

function pshufhw(c: Cpu, i: Insn): void {
  pshufw(c, i, true);
}

function pshuflw(c: Cpu, i: Insn): void {
  pshufw(c, i, false);
}

function pmovmskb(c: Cpu, i: Insn): void {
  sseCheck(c);
  if (i.mod !== 3) c.raise(UD, -1);
  const b = c.x8;
  let m = 0;
  for (let k = 0; k < 16; k++) m |= (b[i.rm * 16 + k] >> 7) << k;
  c.setR64(i.reg, m, 0);
}

function pinsrw(c: Cpu, i: Insn): void {
  sseCheck(c);
  const v = i.mod === 3 ? c.r[i.rm << 1] : c.readRM(i, 2);
  c.x16[i.reg * 8 + (i.imm & 7)] = v;
}

function pextrw(c: Cpu, i: Insn): void {
  sseCheck(c);
  if (i.mod !== 3) c.raise(UD, -1);
  c.setR64(i.reg, c.x16[i.rm * 8 + (i.imm & 7)], 0);
}

const M = F_MODRM | F_SSE;
def([...range(0x160, 14), 0x174, 0x175, 0x176], M, pbin, V_66);
def([0x1d4, 0x1d5, ...range(0x1d8, 8), 0x1e0, 0x1e3, 0x1e4, 0x1e5, ...range(0x1e8, 8), 0x1f4, 0x1f5, 0x1f6, ...range(0x1f8, 7)], M, pbin, V_66);
def([0x1d1, 0x1d2, 0x1d3, 0x1e1, 0x1e2, 0x1f1, 0x1f2, 0x1f3], M, shiftByXmm, V_66);
const G = F_SSE | F_REG | I_B;
for (const op of [0x171, 0x172]) for (const r of [2, 4, 6]) defGroup(op, r, G, shiftByImm, V_66);
defGroup(0x173, 2, G, shiftByImm, V_66);
defGroup(0x173, 6, G, shiftByImm, V_66);
defGroup(0x173, 3, G, byteShift, V_66);
defGroup(0x173, 7, G, byteShift, V_66);
def(0x170, M | I_B, pshufd, V_66);
def(0x170, M | I_B, pshufhw, V_F3);
def(0x170, M | I_B, pshuflw, V_F2);
def(0x1d7, M | F_REG, pmovmskb, V_66);
def(0x1c4, M | I_B, pinsrw, V_66);
def(0x1c5, M | F_REG | I_B, pextrw, V_66);
