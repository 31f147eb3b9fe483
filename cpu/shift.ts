/**
 * Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR (by 1, CL, imm8) and SHLD/SHRD.
 * Count masking follows hardware (5 bits, 6 for 64-bit operands); a masked count of 0 changes
 * neither the flags nor memory. OF is computed by the count-1 formula for every count (it is
 * architecturally undefined for larger counts); AF is left clear.
 */
import type { Cpu } from './cpu.js';
import { getArithFlags, getCF, setArithFlags, setResultFlags } from './flags.js';
import type { Handler, Insn } from './insn.js';
import { def, defFast, defGroup, F_MODRM, I_B, I_NONE } from './optable.js';
import { CF, OF, sext, trunc } from './state.js';

let outLo = 0;
let outHi = 0;

function shl64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    outLo = lo;
    outHi = hi;
  } else if (n < 32) {
    outHi = ((hi << n) | (lo >>> (32 - n))) | 0;
    outLo = (lo << n) | 0;
  } else if (n < 64) {
    outHi = (lo << (n - 32)) | 0;
    outLo = 0;
  } else {
    outLo = 0;
    outHi = 0;
  }
}

function shr64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    outLo = lo;
    outHi = hi;
  } else if (n < 32) {
    outLo = ((lo >>> n) | (hi << (32 - n))) | 0;
    outHi = (hi >>> n) | 0;
  } else if (n < 64) {
    outLo = (hi >>> (n - 32)) | 0;
    outHi = 0;
  } else {
    outLo = 0;
    outHi = 0;
  }
}

function sar64(lo: number, hi: number, n: number): void {
  if (n === 0) {
    outLo = lo;
    outHi = hi;
  } else if (n < 32) {
    outLo = ((lo >>> n) | (hi << (32 - n))) | 0;
    outHi = (hi >> n) | 0;
  } else {
    outLo = (hi >> Math.min(n - 32, 31)) | 0;
    outHi = (hi >> 31) | 0;
  }
}

/** Bit k (0-based) of a value; k outside [0, 64) gives 0. */
function bit(lo: number, hi: number, k: number): number {
  if (k < 0 || k >= 64) return 0;
  return k < 32 ? (lo >>> k) & 1 : (hi >>> (k - 32)) & 1;
}

function msb(size: number, lo: number, hi: number): number {
  return bit(lo, hi, size * 8 - 1);
}

/** Shifts/rotates v by `count` (already masked, non-zero); sets flags; result in outLo/outHi. */
function shiftOp(c: Cpu, op: number, size: number, lo: number, hi: number, count: number): void {
  const bits = size * 8;
  if (size !== 8) hi = 0;
  switch (op) {
    case 0: // ROL
    case 1: {
      // ROR
      const n = count % bits;
      if (op === 0) rotl(size, lo, hi, n);
      else rotl(size, lo, hi, (bits - n) % bits);
      const rl = outLo;
      const rh = outHi;
      let f = getArithFlags(c) & ~(CF | OF);
      if (op === 0) {
        const cf = bit(rl, rh, 0);
        f |= (cf ? CF : 0) | ((msb(size, rl, rh) ^ cf) !== 0 ? OF : 0);
      } else {
        const m = msb(size, rl, rh);
        f |= (m ? CF : 0) | ((m ^ bit(rl, rh, bits - 2)) !== 0 ? OF : 0);
      }
      setArithFlags(c, f);
      outLo = rl;
      outHi = rh;
      return;
    }
    case 2: // RCL
    case 3: {
      // RCR: bit by bit through CF (rare; counts are small)
      const n = count % (bits + 1);
      let cf = getCF(c) ? 1 : 0;
      let l = lo;
      let h = hi;
      for (let k = 0; k < n; k++) {
        if (op === 2) {
          const out = msb(size, l, h);
          shl64(l, h, 1);
          l = outLo | cf;
          h = outHi;
          cf = out;
        } else {
          const out = l & 1;
          shr64(l, h, 1);
          l = outLo;
          h = outHi;
          if (cf) {
            if (bits > 32) h |= 1 << (bits - 33);
            else l |= 1 << (bits - 1);
          }
          cf = out;
        }
        if (size !== 8) {
          l = trunc(size, l);
          h = 0;
        }
      }
      let f = getArithFlags(c) & ~(CF | OF);
      if (op === 2) f |= (cf ? CF : 0) | ((msb(size, l, h) ^ cf) !== 0 ? OF : 0);
      else f |= (cf ? CF : 0) | ((msb(size, l, h) ^ bit(l, h, bits - 2)) !== 0 ? OF : 0);
      setArithFlags(c, f);
      outLo = l;
      outHi = h;
      return;
    }
    case 4:
    case 6: {
      // SHL/SAL
      const cf = bit(lo, hi, bits - count);
      let rl: number, rh: number;
      if (size === 8) {
        shl64(lo, hi, count);
        rl = outLo;
        rh = outHi;
      } else {
        rl = count < 32 ? trunc(size, lo << count) : 0;
        rh = 0;
      }
      setResultFlags(c, size, rl, rh, (cf ? CF : 0) | ((msb(size, rl, rh) ^ cf) !== 0 ? OF : 0));
      outLo = rl;
      outHi = rh;
      return;
    }
    case 5: {
      // SHR
      const cf = bit(lo, hi, count - 1);
      let rl: number, rh: number;
      if (size === 8) {
        shr64(lo, hi, count);
        rl = outLo;
        rh = outHi;
      } else {
        rl = trunc(size, (size === 4 ? lo >>> 0 : lo) >>> count);
        rh = 0;
      }
      setResultFlags(c, size, rl, rh, (cf ? CF : 0) | (msb(size, lo, hi) ? OF : 0));
      outLo = rl;
      outHi = rh;
      return;
    }
    default: {
      // SAR
      let rl: number, rh: number, cf: number;
      if (size === 8) {
        cf = count >= 64 ? hi >>> 31 : bit(lo, hi, count - 1) | 0;
        sar64(lo, hi, count);
        rl = outLo;
        rh = outHi;
      } else {
        const sv = sext(size, lo);
        cf = (sv >> Math.min(count - 1, 31)) & 1;
        rl = trunc(size, sv >> Math.min(count, 31));
        rh = 0;
      }
      setResultFlags(c, size, rl, rh, cf ? CF : 0);
      outLo = rl;
      outHi = rh;
    }
  }
}

/** Rotate left within `size` bytes by n in [0, bits). */
function rotl(size: number, lo: number, hi: number, n: number): void {
  const bits = size * 8;
  if (n === 0) {
    outLo = trunc(size, lo);
    outHi = size === 8 ? hi : 0;
    return;
  }
  if (size === 8) {
    shl64(lo, hi, n);
    const al = outLo;
    const ah = outHi;
    shr64(lo, hi, 64 - n);
    outLo = al | outLo;
    outHi = ah | outHi;
    return;
  }
  const u = size === 4 ? lo >>> 0 : lo;
  outLo = trunc(size, (u << n) | (u >>> (bits - n)));
  outHi = 0;
}

export function shiftGroup(c: Cpu, i: Insn): void {
  const byte = (i.opcode & 1) === 0;
  const size = byte ? 1 : i.osize;
  let count: number;
  if (i.opcode <= 0xc1) count = i.imm;
  else if (i.opcode <= 0xd1) count = 1;
  else count = c.r[2];
  count &= size === 8 ? 63 : 31;
  const v = c.readRMW(i, size);
  const vHi = c.rhi;
  if (count === 0) {
    // No flags, no store; a 32-bit register operand is still zero-extended.
    if (size === 4 && i.mod === 3) c.r[(i.rm << 1) + 1] = 0;
    return;
  }
  shiftOp(c, i.reg & 7, size, v, vHi, count);
  c.writeBackRM(i, size, outLo, outHi);
}

/** SHLD/SHRD Ev, Gv, imm8/CL. */
function shiftDouble(c: Cpu, i: Insn): void {
  const size = i.osize;
  const left = i.opcode < 0x1a8;
  let count = (i.opcode & 1) === 0 ? i.imm : c.r[2];
  count &= size === 8 ? 63 : 31;
  const d = c.readRMW(i, size);
  const dHi = size === 8 ? c.rhi : 0;
  const s = c.readReg(i, size);
  const sHi = size === 8 ? c.rhi : 0;
  if (count === 0) {
    if (size === 4 && i.mod === 3) c.r[(i.rm << 1) + 1] = 0;
    return;
  }
  let rl: number, rh: number, cf: number;
  if (size === 8) {
    if (left) {
      cf = bit(d, dHi, 64 - count);
      shl64(d, dHi, count);
      const al = outLo;
      const ah = outHi;
      shr64(s, sHi, 64 - count);
      rl = al | outLo;
      rh = ah | outHi;
    } else {
      cf = bit(d, dHi, count - 1);
      shr64(d, dHi, count);
      const al = outLo;
      const ah = outHi;
      shl64(s, sHi, 64 - count);
      rl = al | outLo;
      rh = ah | outHi;
    }
  } else {
    // Concatenate into a 64-bit pair (d:s or s:d) and shift that.
    if (left) {
      const pl = size === 4 ? s : (d << 16) | s;
      const ph = size === 4 ? d : 0;
      cf = bit(pl, ph, (size === 4 ? 64 : 32) - count);
      shl64(pl, ph, count);
      rl = size === 4 ? outHi : trunc(2, outLo >>> 16);
    } else {
      const pl = size === 4 ? d : d | (s << 16);
      const ph = size === 4 ? s : 0;
      cf = bit(pl, ph, count - 1);
      shr64(pl, ph, count);
      rl = trunc(size, outLo);
    }
    rh = 0;
  }
  setResultFlags(c, size, rl, rh, (cf ? CF : 0) | ((msb(size, rl, rh) ^ msb(size, d, dHi)) !== 0 ? OF : 0));
  c.writeBackRM(i, size, rl, rh);
}

for (let r = 0; r < 8; r++) {
  defGroup(0xc0, r, I_B, shiftGroup);
  defGroup(0xc1, r, I_B, shiftGroup);
  defGroup(0xd0, r, I_NONE, shiftGroup);
  defGroup(0xd1, r, I_NONE, shiftGroup);
  defGroup(0xd2, r, I_NONE, shiftGroup);
  defGroup(0xd3, r, I_NONE, shiftGroup);
}
def([0x1a4, 0x1ac], F_MODRM | I_B, shiftDouble);
def([0x1a5, 0x1ad], F_MODRM, shiftDouble);

// ---- decode-time specialisation: 32-bit register shifts by a constant (SHL, SHR, SAR) ----

export function shiftConst32(c: Cpu, i: Insn): void {
  const k = i.dst << 1;
  const v = c.r[k];
  const n = i.src;
  let res: number;
  let flags: number;
  switch (i.sub) {
    case 5: // SHR
      res = v >>> n;
      flags = ((v >>> (n - 1)) & 1 ? CF : 0) | (v < 0 ? OF : 0);
      break;
    case 7: // SAR
      res = v >> n;
      flags = (v >> (n - 1)) & 1 ? CF : 0;
      break;
    default: {
      // SHL/SAL
      res = v << n;
      const cf = (v >>> (32 - n)) & 1;
      flags = (cf ? CF : 0) | ((res >>> 31) ^ cf ? OF : 0);
    }
  }
  setResultFlags(c, 4, res | 0, 0, flags);
  c.r[k] = res;
  c.r[k + 1] = 0;
}

/** ROL/ROR of a 32-bit register by a constant: CF and OF change, the other flags stay. */
export function rotConst32(c: Cpu, i: Insn): void {
  const k = i.dst << 1;
  const v = c.r[k];
  const n = i.src;
  let res: number;
  let f = getArithFlags(c) & ~(CF | OF);
  if (i.sub === 0) {
    res = (v << n) | (v >>> (32 - n));
    const cf = res & 1;
    f |= (cf ? CF : 0) | ((res >>> 31) ^ cf ? OF : 0);
  } else {
    res = (v >>> n) | (v << (32 - n));
    f |= (res < 0 ? CF : 0) | (((res >>> 31) ^ (res >>> 30)) & 1 ? OF : 0);
  }
  setArithFlags(c, f);
  c.r[k] = res;
  c.r[k + 1] = 0;
}

/** SHL/SHR/SAR of a 64-bit register by a constant in [1, 63]. */
export function shiftConst64(c: Cpu, i: Insn): void {
  const k = i.dst << 1;
  const lo = c.r[k];
  const hi = c.r[k + 1];
  const n = i.src;
  let flags: number;
  switch (i.sub) {
    case 5: // SHR
      flags = (bit(lo, hi, n - 1) ? CF : 0) | (hi < 0 ? OF : 0);
      shr64(lo, hi, n);
      break;
    case 7: // SAR
      flags = bit(lo, hi, n - 1) ? CF : 0;
      sar64(lo, hi, n);
      break;
    default: {
      // SHL/SAL
      const cf = bit(lo, hi, 64 - n);
      shl64(lo, hi, n);
      flags = (cf ? CF : 0) | ((outHi >>> 31) ^ cf ? OF : 0);
    }
  }
  setResultFlags(c, 8, outLo, outHi, flags);
  c.r[k] = outLo;
  c.r[k + 1] = outHi;
}

function specializeShift(i: Insn): Handler | null {
  const op = i.reg & 7;
  if (i.mod !== 3 || (i.osize !== 4 && i.osize !== 8) || op === 2 || op === 3) return null;
  const count = i.opcode === 0xc1 ? i.imm & (i.osize === 8 ? 63 : 31) : 1;
  if (count === 0) return null;
  i.dst = i.rm;
  i.src = count;
  i.sub = op === 6 ? 4 : op;
  if (op <= 1) return i.osize === 4 ? rotConst32 : null;
  return i.osize === 4 ? shiftConst32 : shiftConst64;
}

for (const r of [0, 1, 4, 5, 6, 7]) {
  defFast(0xc1, specializeShift, r);
  defFast(0xd1, specializeShift, r);
}
