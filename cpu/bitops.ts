/**
 * Bit instructions: BT/BTS/BTR/BTC (register and immediate offsets; register offsets reach
 * beyond the operand in memory), BSF/BSR, TZCNT/LZCNT, POPCNT.
 */
import type { Cpu } from './cpu.js';
import { getArithFlags, setArithFlags } from './flags.js';
import type { Insn } from './insn.js';
import { def, defGroup, F_LOCK, F_MODRM, I_B, V_F3 } from './optable.js';
import { CF, ZF } from './state.js';

function ctz32(v: number): number {
  return v === 0 ? 32 : 31 - Math.clz32(v & -v);
}

function popcnt32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** BT family: op 0 BT, 1 BTS, 2 BTR, 3 BTC. */
function bitTest(c: Cpu, i: Insn, op: number, offLo: number, offHi: number, fromReg: boolean): void {
  const size = i.osize;
  const bits = size * 8;
  let k: number;
  let v: number;
  let vHi = 0;
  if (i.mod === 3) {
    k = offLo & (bits - 1);
    v = c.readRM(i, size);
    vHi = c.rhi;
  } else {
    c.ea(i);
    if (fromReg) {
      // The signed bit offset selects an operand-sized unit relative to the address.
      const shift = size === 8 ? 6 : size === 4 ? 5 : 4;
      let unitLo: number, unitHi: number;
      if (size === 8) {
        unitLo = (offLo >>> 6) | (offHi << 26);
        unitHi = offHi >> 6;
      } else {
        const o = size === 4 ? offLo : (offLo << 16) >> 16;
        unitLo = o >> shift;
        unitHi = unitLo >> 31;
      }
      // byte displacement = unit * size
      const s = size === 8 ? 3 : size === 4 ? 2 : 1;
      const dLo = unitLo << s;
      const dHi = (unitHi << s) | (unitLo >>> (32 - s));
      const sum = (c.eaLo >>> 0) + (dLo >>> 0);
      c.eaHi = (c.eaHi + dHi + (sum > 0xffffffff ? 1 : 0)) | 0;
      c.eaLo = sum | 0;
    }
    k = offLo & (bits - 1);
    if (op !== 0) c.checkWritable(c.eaLo, c.eaHi, size);
    v = c.readSized(size, c.eaLo, c.eaHi);
    vHi = c.rhi;
  }
  const inHi = k >= 32;
  const m = 1 << (k & 31);
  const cur = ((inHi ? vHi : v) & m) !== 0;
  const f = getArithFlags(c);
  setArithFlags(c, cur ? f | CF : f & ~CF);
  if (op === 0) return;
  let w = inHi ? vHi : v;
  if (op === 1) w |= m;
  else if (op === 2) w &= ~m;
  else w ^= m;
  if (inHi) c.writeBackRM(i, size, v, w);
  else c.writeBackRM(i, size, w, vHi);
}

export function btReg(c: Cpu, i: Insn): void {
  const op = ((i.opcode >> 3) & 3);
  // 0F A3 BT, 0F AB BTS, 0F B3 BTR, 0F BB BTC
  const kind = op === 0 ? 0 : op === 1 ? 1 : op === 2 ? 2 : 3;
  const off = c.readReg(i, i.osize);
  bitTest(c, i, i.opcode === 0x1a3 ? 0 : kind, off, i.osize === 8 ? c.rhi : 0, true);
}

function btImm(c: Cpu, i: Insn): void {
  bitTest(c, i, (i.reg & 7) - 4, i.imm & 0xff, 0, false);
}

function scanFlags(c: Cpu, zero: boolean): void {
  const f = getArithFlags(c);
  setArithFlags(c, zero ? f | ZF : f & ~ZF);
}

export function bsf(c: Cpu, i: Insn): void {
  const size = i.osize;
  const v = c.readRM(i, size);
  const vHi = size === 8 ? c.rhi : 0;
  if ((v | vHi) === 0) {
    scanFlags(c, true);
    return;
  }
  scanFlags(c, false);
  const n = v !== 0 ? ctz32(v) : 32 + ctz32(vHi);
  c.writeReg(i, size, n, 0);
}

export function bsr(c: Cpu, i: Insn): void {
  const size = i.osize;
  const v = size === 2 ? c.readRM(i, size) & 0xffff : c.readRM(i, size);
  const vHi = size === 8 ? c.rhi : 0;
  if ((v | vHi) === 0) {
    scanFlags(c, true);
    return;
  }
  scanFlags(c, false);
  const n = vHi !== 0 ? 63 - Math.clz32(vHi) : 31 - Math.clz32(v);
  c.writeReg(i, size, n, 0);
}

/** TZCNT/LZCNT/POPCNT flags: CF as given, ZF from the result, the rest clear. */
function countFlags(c: Cpu, cf: boolean, zf: boolean): void {
  setArithFlags(c, (cf ? CF : 0) | (zf ? ZF : 0));
}

function tzcnt(c: Cpu, i: Insn): void {
  const size = i.osize;
  const v = c.readRM(i, size);
  const vHi = size === 8 ? c.rhi : 0;
  let n: number;
  if (size === 8) n = v !== 0 ? ctz32(v) : 32 + ctz32(vHi);
  else n = Math.min(ctz32(v), size * 8);
  countFlags(c, n === size * 8, n === 0);
  c.writeReg(i, size, n, 0);
}

function lzcnt(c: Cpu, i: Insn): void {
  const size = i.osize;
  const v = c.readRM(i, size);
  const vHi = size === 8 ? c.rhi : 0;
  let n: number;
  if (size === 8) n = vHi !== 0 ? Math.clz32(vHi) : 32 + Math.clz32(v);
  else if (size === 4) n = Math.clz32(v);
  else n = Math.clz32(v & 0xffff) - 16;
  countFlags(c, n === size * 8, n === 0);
  c.writeReg(i, size, n, 0);
}

function popcnt(c: Cpu, i: Insn): void {
  const size = i.osize;
  const v = c.readRM(i, size);
  const vHi = size === 8 ? c.rhi : 0;
  const n = popcnt32(size === 2 ? v & 0xffff : v) + popcnt32(vHi);
  countFlags(c, false, n === 0);
  c.writeReg(i, size, n, 0);
}

def(0x1a3, F_MODRM, btReg);
def([0x1ab, 0x1b3, 0x1bb], F_MODRM | F_LOCK, btReg);
defGroup(0x1ba, 4, I_B, btImm);
for (const r of [5, 6, 7]) defGroup(0x1ba, r, I_B | F_LOCK, btImm);
def(0x1bc, F_MODRM, bsf);
def(0x1bd, F_MODRM, bsr);
def(0x1bc, F_MODRM, tzcnt, V_F3);
def(0x1bd, F_MODRM, lzcnt, V_F3);
def(0x1b8, F_MODRM, popcnt, V_F3);
