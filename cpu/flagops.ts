/**
 * Instructions that manipulate RFLAGS directly: CLC STC CMC CLD STD CLI STI LAHF SAHF.
 */
import type { Cpu } from './cpu.js';
import { GP } from './fault.js';
import { getArithFlags, getCF, setArithFlags, setCF } from './flags.js';
import { def, I_NONE } from './optable.js';
import { AF, CF, DF, IF, IOPL, OF, PF, SF, ZF } from './state.js';

function clc(c: Cpu): void {
  setCF(c, false);
}

function stc(c: Cpu): void {
  setCF(c, true);
}

function cmc(c: Cpu): void {
  setCF(c, !getCF(c));
}

function cld(c: Cpu): void {
  c.flagsRest &= ~DF;
}

function std(c: Cpu): void {
  c.flagsRest |= DF;
}

function iopl(c: Cpu): number {
  return (c.flagsRest & IOPL) >> 12;
}

function cli(c: Cpu): void {
  if (c.cpl > iopl(c)) c.raise(GP, 0);
  c.flagsRest &= ~IF;
  c.flagsChanged();
}

/** STI: interrupts are recognised only after the next instruction (the STI shadow). */
function sti(c: Cpu): void {
  if (c.cpl > iopl(c)) c.raise(GP, 0);
  if ((c.flagsRest & IF) === 0) c.shadowUntil = c.icount + 1;
  c.flagsRest |= IF;
  c.flagsChanged();
}

function lahf(c: Cpu): void {
  c.setR8(16, getArithFlags(c) & (SF | ZF | AF | PF | CF) | 2);
}

function sahf(c: Cpu): void {
  const ah = c.getR8(16);
  setArithFlags(c, (getArithFlags(c) & OF) | (ah & (SF | ZF | AF | PF | CF)));
}

def(0xf8, I_NONE, clc);
def(0xf9, I_NONE, stc);
def(0xf5, I_NONE, cmc);
def(0xfc, I_NONE, cld);
def(0xfd, I_NONE, std);
def(0xfa, I_NONE, cli);
def(0xfb, I_NONE, sti);
def(0x9f, I_NONE, lahf);
def(0x9e, I_NONE, sahf);
