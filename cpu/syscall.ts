/**
 * SYSCALL/SYSRET (64-bit forms): the fast system-call pair, enabled by EFER.SCE. CS/SS come from
 * STAR as flat segments without reading the GDT (as the hardware does), RIP from LSTAR, and
 * SFMASK clears RFLAGS bits on entry. Solo5 hvt guests do not use them (SCE is clear there).
 */
import type { Cpu } from './cpu.js';
import { getRflags, setArithFlags } from './flags.js';
import { GP, UD } from './fault.js';
import type { Insn } from './insn.js';
import { MSR_LSTAR, MSR_SFMASK, MSR_STAR, storedMsrSlot } from './msr.js';
import { advertise, EDX } from './cpuid.js';
import { def, I_NONE } from './optable.js';
import { ARITH_FLAGS, EFER_LMA, EFER_SCE, RF, VM } from './state.js';

/** Loads CS and SS as the flat segments SYSCALL/SYSRET define. */
function flatSegments(c: Cpu, cs: number, ss: number, cpl: number): void {
  const wasCpl = c.cpl;
  c.segSel[1] = cs;
  c.segBase[2] = 0;
  c.segBase[3] = 0;
  c.segLimit[1] = -1;
  c.segAttr[1] = 0xa09b | (cpl << 5);
  c.segSel[2] = ss;
  c.segBase[4] = 0;
  c.segBase[5] = 0;
  c.segLimit[2] = -1;
  c.segAttr[2] = 0xc093 | (cpl << 5);
  if (cpl !== wasCpl) c.flushTlb();
}

function syscall(c: Cpu): void {
  if ((c.efer & EFER_SCE) === 0 || (c.efer & EFER_LMA) === 0) c.raise(UD, -1);
  const star = storedMsrSlot(MSR_STAR);
  const lstar = storedMsrSlot(MSR_LSTAR);
  const sfmask = c.storedMsrs[storedMsrSlot(MSR_SFMASK)];
  const sel = c.storedMsrs[star + 1] & 0xffff;
  c.setR64(1, c.ripLo, c.ripHi);
  const flags = getRflags(c);
  c.setR64(11, flags & ~RF, 0);
  const f = flags & ~sfmask & ~RF;
  c.flagsRest = (f & ~ARITH_FLAGS) | 2;
  setArithFlags(c, f);
  flatSegments(c, sel & 0xfffc, (sel + 8) & 0xfffc, 0);
  c.ripLo = c.storedMsrs[lstar];
  c.ripHi = c.storedMsrs[lstar + 1];
  c.flagsChanged();
}

/** SYSRET with REX.W returns to 64-bit code at CPL 3 (the 32-bit form is not supported yet). */
function sysret(c: Cpu, i: Insn): void {
  if ((c.efer & EFER_SCE) === 0 || (c.efer & EFER_LMA) === 0) c.raise(UD, -1);
  if (c.cpl !== 0 || i.osize !== 8) c.raise(GP, 0);
  const t = c.r[3] >> 15;
  if (t !== 0 && t !== -1) c.raise(GP, 0);
  const sel = (c.storedMsrs[storedMsrSlot(MSR_STAR) + 1] >>> 16) & 0xffff;
  const f = (c.r[22] & ~(RF | VM)) | 2;
  c.flagsRest = f & ~ARITH_FLAGS;
  setArithFlags(c, f);
  flatSegments(c, ((sel + 16) & 0xfffc) | 3, ((sel + 8) & 0xfffc) | 3, 3);
  c.ripLo = c.r[2];
  c.ripHi = c.r[3];
  c.flagsChanged();
}

def(0x105, I_NONE, syscall);
def(0x107, I_NONE, sysret);
advertise(0x80000001, 0, EDX, 11);
