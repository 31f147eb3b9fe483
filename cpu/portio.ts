/**
 * IN and OUT (immediate port and DX forms). The owner's IoBus sees each access; for OUT, RIP
 * already points past the instruction, so a handler can requestStop() and resume cleanly.
 */
import type { Cpu } from './cpu.js';
import { GP } from './fault.js';
import type { Insn } from './insn.js';
import { def, I_B, I_NONE } from './optable.js';
import { IOPL } from './state.js';

function ioSize(i: Insn): 1 | 2 | 4 {
  return i.opcode & 1 ? (i.osize === 2 ? 2 : 4) : 1;
}

function checkIo(c: Cpu): void {
  // No I/O permission bitmap: above IOPL every port is denied.
  if (c.cpl > ((c.flagsRest & IOPL) >> 12)) c.raise(GP, 0);
}

function port(c: Cpu, i: Insn): number {
  return i.opcode >= 0xec ? c.r[4] & 0xffff : i.imm & 0xff;
}

function inp(c: Cpu, i: Insn): void {
  checkIo(c);
  const size = ioSize(i);
  const v = c.io.portIn(port(c, i), size);
  c.setReg(size, 0, v | 0, 0);
}

function outp(c: Cpu, i: Insn): void {
  checkIo(c);
  const size = ioSize(i);
  const v = c.r[0];
  c.io.portOut(port(c, i), size, size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v >>> 0);
}

def([0xe4, 0xe5], I_B, inp);
def([0xe6, 0xe7], I_B, outp);
def([0xec, 0xed], I_NONE, inp);
def([0xee, 0xef], I_NONE, outp);
