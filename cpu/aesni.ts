/**
 * AES-NI (66 0F 38 DB–DF, 66 0F 3A DF): AESENC, AESENCLAST, AESDEC, AESDECLAST, AESIMC,
 * AESKEYGENASSIST. The S-boxes and GF(2^8) multiplication tables are built once at load.
 *
 * The XMM register holds the AES state column by column: byte k is row k % 4 of column k / 4.
 */
import { advertise, ECX } from './cpuid.js';
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { def, F_MODRM, F_SSE, I_B, V_66 } from './optable.js';
import { copyXmm, OUT, sseCheck, xmmSrc } from './sse-common.js';

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
function gmul(a: number, b: number): number {
  let r = 0;
  for (let k = 0; k < 8; k++) {
    if (b & 1) r ^= a;
    a = a & 0x80 ? ((a << 1) ^ 0x11b) & 0xff : a << 1;
    b >>= 1;
  }
  return r;
}

const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
const MUL2 = new Uint8Array(256);
const MUL3 = new Uint8Array(256);
const MUL9 = new Uint8Array(256);
const MUL11 = new Uint8Array(256);
const MUL13 = new Uint8Array(256);
const MUL14 = new Uint8Array(256);
// Powers of the generator 3 and their logarithms give every inverse in one step (a search by
// multiplication cost ~5 ms of every start-up).
const EXP = new Uint8Array(256);
const LOG = new Uint8Array(256);
for (let k = 0, p = 1; k < 255; k++) {
  EXP[k] = p;
  LOG[p] = k;
  p = gmul(p, 3);
}
for (let x = 0; x < 256; x++) {
  // Multiplicative inverse (0 maps to 0), then the affine transform.
  const inv = x === 0 ? 0 : EXP[(255 - LOG[x]) % 255];
  let s = inv;
  for (let k = 1; k <= 4; k++) s ^= ((inv << k) | (inv >> (8 - k))) & 0xff;
  s ^= 0x63;
  SBOX[x] = s;
  INV_SBOX[s] = x;
  MUL2[x] = gmul(x, 2);
  MUL3[x] = gmul(x, 3);
  MUL9[x] = gmul(x, 9);
  MUL11[x] = gmul(x, 11);
  MUL13[x] = gmul(x, 13);
  MUL14[x] = gmul(x, 14);
}

/** Working copy of the state (16 bytes). */
const st = new Uint8Array(16);

/** ShiftRows + SubBytes (or their inverses) of xmm `x` into st. */
function shiftSub(c: Cpu, x: number, inverse: boolean): void {
  const b = c.x8;
  const base = x * 16;
  for (let col = 0; col < 4; col++) {
    for (let row = 0; row < 4; row++) {
      const from = inverse ? (col - row + 4) & 3 : (col + row) & 3;
      const v = b[base + row + 4 * from];
      st[row + 4 * col] = inverse ? INV_SBOX[v] : SBOX[v];
    }
  }
}

function mixColumns(): void {
  for (let col = 0; col < 4; col++) {
    const k = 4 * col;
    const a0 = st[k], a1 = st[k + 1], a2 = st[k + 2], a3 = st[k + 3];
    st[k] = MUL2[a0] ^ MUL3[a1] ^ a2 ^ a3;
    st[k + 1] = a0 ^ MUL2[a1] ^ MUL3[a2] ^ a3;
    st[k + 2] = a0 ^ a1 ^ MUL2[a2] ^ MUL3[a3];
    st[k + 3] = MUL3[a0] ^ a1 ^ a2 ^ MUL2[a3];
  }
}

function invMixColumns(): void {
  for (let col = 0; col < 4; col++) {
    const k = 4 * col;
    const a0 = st[k], a1 = st[k + 1], a2 = st[k + 2], a3 = st[k + 3];
    st[k] = MUL14[a0] ^ MUL11[a1] ^ MUL13[a2] ^ MUL9[a3];
    st[k + 1] = MUL9[a0] ^ MUL14[a1] ^ MUL11[a2] ^ MUL13[a3];
    st[k + 2] = MUL13[a0] ^ MUL9[a1] ^ MUL14[a2] ^ MUL11[a3];
    st[k + 3] = MUL11[a0] ^ MUL13[a1] ^ MUL9[a2] ^ MUL14[a3];
  }
}

/** AESENC (DC), AESENCLAST (DD), AESDEC (DE), AESDECLAST (DF): one round with the key in the source. */
function aesRound(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const d = i.reg;
  const op = i.opcode & 0xff;
  const decrypt = op >= 0xde;
  const last = (op & 1) === 1;
  shiftSub(c, d, decrypt);
  if (!last) {
    if (decrypt) invMixColumns();
    else mixColumns();
  }
  const b = c.x8;
  for (let k = 0; k < 16; k++) b[d * 16 + k] = st[k] ^ b[s * 16 + k];
}

/** AESIMC (DB): InvMixColumns of the source. */
function aesimc(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true);
  const b = c.x8;
  for (let k = 0; k < 16; k++) st[k] = b[s * 16 + k];
  invMixColumns();
  for (let k = 0; k < 16; k++) b[i.reg * 16 + k] = st[k];
}

function subWord(v: number): number {
  return SBOX[v & 0xff] | (SBOX[(v >>> 8) & 0xff] << 8) | (SBOX[(v >>> 16) & 0xff] << 16) | (SBOX[v >>> 24] << 24);
}

/** AESKEYGENASSIST (66 0F 3A DF): SubWord/RotWord of dwords 1 and 3 of the source, XOR imm8. */
function aeskeygenassist(c: Cpu, i: Insn): void {
  sseCheck(c);
  const s = xmmSrc(c, i, 16, true) * 4;
  const w = c.x32;
  const rcon = i.imm & 0xff;
  const x1 = subWord(w[s + 1]);
  const x3 = subWord(w[s + 3]);
  const o = OUT * 4;
  w[o] = x1;
  w[o + 1] = ((x1 >>> 8) | (x1 << 24)) ^ rcon;
  w[o + 2] = x3;
  w[o + 3] = ((x3 >>> 8) | (x3 << 24)) ^ rcon;
  copyXmm(c, i.reg, OUT);
}

const M = F_MODRM | F_SSE;
def([0x2dc, 0x2dd, 0x2de, 0x2df], M, aesRound, V_66);
def(0x2db, M, aesimc, V_66);
def(0x3df, M | I_B, aeskeygenassist, V_66);

advertise(1, 0, ECX, 25);
