/**
 * String instructions MOVS STOS LODS SCAS CMPS INS OUTS, with REP/REPE/REPNE.
 *
 * Forward REP MOVS/STOS run in bulk: page by page on the physical bytes (copyWithin/fill),
 * updating RSI/RDI/RCX after each page so that a fault in the middle leaves the architectural
 * state of a partially completed instruction (RIP still at the instruction, to be restarted).
 * Everything else runs element by element; a long element loop is cut into slices that
 * re-execute the instruction so the run loop keeps control.
 */
import { ALU_CMP, alu } from './alu.js';
import type { Cpu } from './cpu.js';
import { GP } from './fault.js';
import { getZF } from './flags.js';
import type { Insn } from './insn.js';
import { def, I_NONE } from './optable.js';
import { ACC_READ, ACC_WRITE, tlbIndex } from './mmu.js';
import { DF, IOPL } from './state.js';

const RCX = 1, RSI = 6, RDI = 7;
/** Elements handled per execution before the instruction is restarted (keeps run slices short). */
const SLICE = 16384;

function elementSize(i: Insn): number {
  return i.opcode & 1 ? i.osize : 1;
}

/** Adds `delta` to an index register with the address size. */
function advance(c: Cpu, n: number, delta: number, asize: number): void {
  const k = n << 1;
  const lo = c.r[k];
  const s = (lo >>> 0) + delta;
  if (asize === 4) {
    c.r[k] = s | 0;
    c.r[k + 1] = 0;
    return;
  }
  c.r[k] = s | 0;
  if (s > 0xffffffff) c.r[k + 1] = (c.r[k + 1] + 1) | 0;
  else if (s < 0) c.r[k + 1] = (c.r[k + 1] - 1) | 0;
}

/** RCX (or ECX) capped at `cap`, as a plain number. */
function countCapped(c: Cpu, i: Insn, cap: number): number {
  const lo = c.r[2] >>> 0;
  if (i.asize === 8 && c.r[3] !== 0) return cap;
  return lo < cap ? lo : cap;
}

function countIsZero(c: Cpu, i: Insn): boolean {
  return i.asize === 8 ? (c.r[2] | c.r[3]) === 0 : c.r[2] === 0;
}

function decCount(c: Cpu, i: Insn, n: number): void {
  advance(c, RCX, -n, i.asize);
}

/** Source DS:RSI (segment override honoured) into ea. */
function srcEa(c: Cpu, i: Insn): void {
  c.eaAbsolute(i, c.r[RSI << 1], c.r[(RSI << 1) + 1]);
}

function dstLo(c: Cpu): number {
  return c.r[RDI << 1];
}

function dstHi(c: Cpu, i: Insn): number {
  return i.asize === 4 ? 0 : c.r[(RDI << 1) + 1];
}

function step(c: Cpu, size: number): number {
  return c.flagsRest & DF ? -size : size;
}

/** Physical address for a write of `bytes` bytes (within one page) at (lo, hi), through the TLB. */
function physWrite(c: Cpu, lo: number, hi: number, bytes: number): number {
  const t = tlbIndex(lo, hi);
  if (c.tlbWrite[t] === (lo & ~0xfff) && c.tlbHi[t] === hi) return (c.tlbPhys[t] >>> 0) + (lo & 0xfff);
  return c.xlate(lo, hi, ACC_WRITE, bytes);
}

function physRead(c: Cpu, lo: number, hi: number): number {
  const t = tlbIndex(lo, hi);
  if (c.tlbRead[t] === (lo & ~0xfff) && c.tlbHi[t] === hi) return (c.tlbPhys[t] >>> 0) + (lo & 0xfff);
  return c.xlate(lo, hi, ACC_READ, 1);
}

/** Re-executes the current instruction next (a slice of a long REP ended). */
function restart(c: Cpu): void {
  c.ripLo = c.curLo;
  c.ripHi = c.curHi;
}

function canBulk(c: Cpu, i: Insn): boolean {
  // Alignment checking needs every element to go through the checked accessors.
  return (c.flagsRest & DF) === 0 && c.watches.length === 0 && i.asize === 8 && !c.alignCheck;
}

function movs(c: Cpu, i: Insn): void {
  const size = elementSize(i);
  if (i.rep === 0) {
    movsOne(c, i, size);
    return;
  }
  if (countIsZero(c, i)) return;
  if (canBulk(c, i) && i.seg < 4) {
    // Bulk forward copy; also handles the remainder element by element when it straddles pages.
    for (let budget = 1 << 20; budget > 0; ) {
      const n = countCapped(c, i, 1 << 30);
      if (n === 0) return;
      const sLo = c.r[RSI << 1];
      const sHi = c.r[(RSI << 1) + 1];
      const dLo = c.r[RDI << 1];
      const dHi = c.r[(RDI << 1) + 1];
      const sAvail = 4096 - (sLo & 0xfff);
      const dAvail = 4096 - (dLo & 0xfff);
      let elems = Math.min(n, Math.floor(Math.min(sAvail, dAvail) / size));
      if (elems === 0) {
        movsOne(c, i, size);
        decCount(c, i, 1);
        budget--;
        continue;
      }
      const sp = physRead(c, sLo, sHi);
      const dp = physWrite(c, dLo, dHi, elems * size);
      const dist = dp - sp;
      // Forward element copies over an overlap replicate data: copy at most `dist` bytes at a time.
      if (dist > 0 && dist < elems * size) elems = Math.max(1, Math.floor(dist / size));
      if (dist > 0 && dist < size) {
        movsOne(c, i, size);
        decCount(c, i, 1);
        budget--;
        continue;
      }
      const bytes = elems * size;
      c.u8.copyWithin(dp, sp, sp + bytes);
      advance(c, RSI, bytes, 8);
      advance(c, RDI, bytes, 8);
      decCount(c, i, elems);
      budget -= elems;
    }
    if (!countIsZero(c, i)) restart(c);
    return;
  }
  let n = countCapped(c, i, SLICE);
  while (n-- > 0) {
    movsOne(c, i, size);
    decCount(c, i, 1);
  }
  if (!countIsZero(c, i)) restart(c);
}

function movsOne(c: Cpu, i: Insn, size: number): void {
  srcEa(c, i);
  const v = c.readSized(size, c.eaLo, c.eaHi);
  c.writeSized(size, dstLo(c), dstHi(c, i), v, c.rhi);
  const d = step(c, size);
  advance(c, RSI, d, i.asize);
  advance(c, RDI, d, i.asize);
}

function stos(c: Cpu, i: Insn): void {
  const size = elementSize(i);
  const vLo = c.getReg(size, 0);
  const vHi = c.r[1];
  if (i.rep === 0) {
    c.writeSized(size, dstLo(c), dstHi(c, i), vLo, vHi);
    advance(c, RDI, step(c, size), i.asize);
    return;
  }
  if (countIsZero(c, i)) return;
  if (canBulk(c, i)) {
    for (let budget = 1 << 20; budget > 0; ) {
      const n = countCapped(c, i, 1 << 30);
      if (n === 0) return;
      const dLo = c.r[RDI << 1];
      const dHi = c.r[(RDI << 1) + 1];
      const elems = Math.min(n, Math.floor((4096 - (dLo & 0xfff)) / size));
      if (elems === 0) {
        c.writeSized(size, dLo, dHi, vLo, vHi);
        advance(c, RDI, size, 8);
        decCount(c, i, 1);
        budget--;
        continue;
      }
      const bytes = elems * size;
      const dp = physWrite(c, dLo, dHi, bytes);
      if (size === 1) c.u8.fill(vLo & 0xff, dp, dp + bytes);
      else {
        // Write one element, then double the filled span with copyWithin.
        const v = c.view;
        if (size === 2) v.setUint16(dp, vLo, true);
        else if (size === 4) v.setInt32(dp, vLo, true);
        else {
          v.setInt32(dp, vLo, true);
          v.setInt32(dp + 4, vHi, true);
        }
        for (let done = size; done < bytes; done *= 2) c.u8.copyWithin(dp + done, dp, dp + Math.min(done, bytes - done));
      }
      advance(c, RDI, bytes, 8);
      decCount(c, i, elems);
      budget -= elems;
    }
    if (!countIsZero(c, i)) restart(c);
    return;
  }
  let n = countCapped(c, i, SLICE);
  while (n-- > 0) {
    c.writeSized(size, dstLo(c), dstHi(c, i), vLo, vHi);
    advance(c, RDI, step(c, size), i.asize);
    decCount(c, i, 1);
  }
  if (!countIsZero(c, i)) restart(c);
}

function lods(c: Cpu, i: Insn): void {
  const size = elementSize(i);
  if (i.rep !== 0 && countIsZero(c, i)) return;
  let n = i.rep === 0 ? 1 : countCapped(c, i, SLICE);
  while (n-- > 0) {
    srcEa(c, i);
    const v = c.readSized(size, c.eaLo, c.eaHi);
    c.setReg(size, 0, v, c.rhi);
    advance(c, RSI, step(c, size), i.asize);
    if (i.rep !== 0) decCount(c, i, 1);
  }
  if (i.rep !== 0 && !countIsZero(c, i)) restart(c);
}

/** SCAS and CMPS: REPE stops on inequality, REPNE on equality. */
function scas(c: Cpu, i: Insn): void {
  compareLoop(c, i, false);
}

function cmps(c: Cpu, i: Insn): void {
  compareLoop(c, i, true);
}

function compareLoop(c: Cpu, i: Insn, withSource: boolean): void {
  const size = elementSize(i);
  if (i.rep !== 0 && countIsZero(c, i)) return;
  let n = i.rep === 0 ? 1 : countCapped(c, i, SLICE);
  while (n-- > 0) {
    let a: number;
    let aHi: number;
    if (withSource) {
      srcEa(c, i);
      a = c.readSized(size, c.eaLo, c.eaHi);
      aHi = c.rhi;
    } else {
      a = c.getReg(size, 0);
      aHi = c.r[1];
    }
    const b = c.readSized(size, dstLo(c), dstHi(c, i));
    alu(c, ALU_CMP, size, a, aHi, b, c.rhi);
    const d = step(c, size);
    if (withSource) advance(c, RSI, d, i.asize);
    advance(c, RDI, d, i.asize);
    if (i.rep === 0) return;
    decCount(c, i, 1);
    const zf = getZF(c);
    if ((i.rep === 1 && !zf) || (i.rep === 2 && zf)) return;
  }
  if (!countIsZero(c, i)) restart(c);
}

function ioAllowed(c: Cpu): void {
  if (c.cpl > ((c.flagsRest & IOPL) >> 12)) c.raise(GP, 0);
}

function ins(c: Cpu, i: Insn): void {
  ioAllowed(c);
  const size = i.opcode & 1 ? (i.osize === 2 ? 2 : 4) : 1;
  if (i.rep !== 0 && countIsZero(c, i)) return;
  let n = i.rep === 0 ? 1 : countCapped(c, i, SLICE);
  while (n-- > 0) {
    // Check the destination before the port is read (a port read can have side effects).
    c.probeWrite(dstLo(c), dstHi(c, i), size);
    const v = c.io.portIn(c.r[4] & 0xffff, size as 1 | 2 | 4);
    c.writeSized(size, dstLo(c), dstHi(c, i), v, 0);
    advance(c, RDI, step(c, size), i.asize);
    if (i.rep !== 0) decCount(c, i, 1);
  }
  if (i.rep !== 0 && !countIsZero(c, i)) restart(c);
}

function outs(c: Cpu, i: Insn): void {
  ioAllowed(c);
  const size = i.opcode & 1 ? (i.osize === 2 ? 2 : 4) : 1;
  if (i.rep !== 0 && countIsZero(c, i)) return;
  let n = i.rep === 0 ? 1 : countCapped(c, i, SLICE);
  while (n-- > 0) {
    srcEa(c, i);
    const v = c.readSized(size, c.eaLo, c.eaHi);
    advance(c, RSI, step(c, size), i.asize);
    if (i.rep !== 0) decCount(c, i, 1);
    c.io.portOut(c.r[4] & 0xffff, size as 1 | 2 | 4, size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v >>> 0);
  }
  if (i.rep !== 0 && !countIsZero(c, i)) restart(c);
}

def([0xa4, 0xa5], I_NONE, movs);
def([0xaa, 0xab], I_NONE, stos);
def([0xac, 0xad], I_NONE, lods);
def([0xae, 0xaf], I_NONE, scas);
def([0xa6, 0xa7], I_NONE, cmps);
def([0x6c, 0x6d], I_NONE, ins);
def([0x6e, 0x6f], I_NONE, outs);
