/**
 * Exception and interrupt delivery in long mode: 64-bit IDT interrupt/trap gates, IST and
 * privilege stacks from the TSS, 16-byte stack alignment, the SS:RSP/RFLAGS/CS/RIP(/error) frame,
 * and the double-fault / triple-fault escalation rules. Also IRETQ.
 */
import type { Cpu } from './cpu.js';
import { DF_VEC, exceptionClass, FAULT, GP, NP, SS_VEC, TS } from './fault.js';
import { getRflags, setArithFlags } from './flags.js';
import { ARITH_FLAGS, IF, IOPL, NT, RF, TF, WRITABLE_FLAGS } from './state.js';

/** Outcome of delivering: normally delivered, or the machine triple-faulted. */
export const DELIVERED = 0;
export const TRIPLE_FAULT = 1;

/**
 * Delivers `vector` (with `errorCode`, -1 for none), escalating nested faults: a fault during
 * delivery is combined with the first by the contributory/page-fault rules into #DF, and a fault
 * while delivering #DF is a triple fault. `fault` marks fault-class exceptions (RF=1 pushed);
 * `soft` marks INT n/INT3/INTO (gate DPL is checked).
 */
export function deliverException(cpu: Cpu, vector: number, errorCode: number, fault: boolean, soft: boolean): number {
  let vec = vector;
  let err = errorCode;
  let isFault = fault;
  let isSoft = soft;
  // The faulting instruction may have been moving an image exempt from alignment checks.
  cpu.alignExempt = false;
  for (;;) {
    try {
      deliverOnce(cpu, vec, err, isFault, isSoft);
      return DELIVERED;
    } catch (e) {
      if (e !== FAULT) throw e;
      const second = cpu.excVector;
      if (vec === DF_VEC) {
        cpu.lastVector = second;
        return TRIPLE_FAULT;
      }
      const c1 = exceptionClass(vec);
      const c2 = exceptionClass(second);
      if ((c1 === 1 && c2 === 1) || (c1 === 2 && c2 !== 0)) {
        vec = DF_VEC;
        err = 0;
      } else {
        vec = second;
        err = cpu.excError;
      }
      isFault = true;
      isSoft = false;
    }
  }
}

function deliverOnce(cpu: Cpu, vector: number, errorCode: number, fault: boolean, soft: boolean): void {
  const ext = soft ? 0 : 1;
  const idtErr = vector * 8 + 2 + ext;
  if (vector * 16 + 15 > cpu.idtLimit) cpu.raise(GP, idtErr);
  let gLo = (cpu.idtBaseLo + vector * 16) | 0;
  let gHi = cpu.idtBaseHi + ((gLo >>> 0) < (cpu.idtBaseLo >>> 0) ? 1 : 0);
  // The IDT, the TSS and a frame pushed for CPL 0 are supervisor accesses, even from CPL 3.
  const w0 = cpu.readSystem32(gLo, gHi);
  gLo = (gLo + 4) | 0;
  if (gLo === 0) gHi++;
  const w1 = cpu.readSystem32(gLo, gHi);
  gLo = (gLo + 4) | 0;
  if (gLo === 0) gHi++;
  const w2 = cpu.readSystem32(gLo, gHi);
  const type = (w1 >> 8) & 0x1f;
  const dpl = (w1 >> 13) & 3;
  const present = (w1 & 0x8000) !== 0;
  if (type !== 0x0e && type !== 0x0f) cpu.raise(GP, idtErr);
  if (soft && dpl < cpu.cpl) cpu.raise(GP, idtErr);
  if (!present) cpu.raise(NP, idtErr);
  const selector = w0 >>> 16;
  const targetLo = (w0 & 0xffff) | (w1 & 0xffff0000);
  const targetHi = w2;
  const ist = w1 & 7;

  // The target code segment must be a present 64-bit code segment.
  if ((selector & ~3) === 0) cpu.raise(GP, ext);
  cpu.loadDescriptor(selector, ext);
  const dLo = cpu.descLo;
  const dHi = cpu.descHi;
  if ((dHi & 0x1800) !== 0x1800 || (dHi & 0x200000) === 0) cpu.raise(GP, (selector & ~3) + ext);
  if ((dHi & 0x8000) === 0) cpu.raise(NP, (selector & ~3) + ext);
  const newCpl = (dHi >> 13) & 3;
  const oldCpl = cpu.cpl;
  if (newCpl > oldCpl) cpu.raise(GP, (selector & ~3) + ext);

  const oldRspLo = cpu.r[8];
  const oldRspHi = cpu.r[9];
  const oldSs = cpu.segSel[2];
  let spLo = oldRspLo;
  let spHi = oldRspHi;
  if (ist !== 0 || newCpl < oldCpl) {
    const off = ist !== 0 ? 0x24 + (ist - 1) * 8 : 4 + newCpl * 8;
    if (off + 7 > cpu.trLimit) cpu.raise(TS, (cpu.trSel & ~3) + ext);
    const aLo = (cpu.trBaseLo + off) | 0;
    const aHi = cpu.trBaseHi + ((aLo >>> 0) < (cpu.trBaseLo >>> 0) ? 1 : 0);
    spLo = cpu.readSystem64(aLo, aHi);
    spHi = cpu.rhi;
  }
  spLo &= ~15;
  const rflags = getRflags(cpu) | (fault ? RF : 0);
  // Check the whole frame first so that a #PF on the stack leaves nothing half-pushed.
  const frame = errorCode >= 0 ? 48 : 40;
  const topLo = (spLo - frame) | 0;
  const topHi = (spLo >>> 0) < frame ? spHi - 1 : spHi;
  const canon = topHi >> 15;
  if (canon !== 0 && canon !== -1) cpu.raise(SS_VEC, ext);
  const supervisorFrame = newCpl < 3;
  if (supervisorFrame) cpu.probeSystemWrite(topLo, topHi, frame);
  else cpu.probeWrite(topLo, topHi, frame);
  let p = frame;
  const put = (lo: number, hi: number): void => {
    p -= 8;
    const aLo = (topLo + p) | 0;
    const aHi = (aLo >>> 0) < (topLo >>> 0) ? topHi + 1 : topHi;
    if (supervisorFrame) cpu.writeSystem64(aLo, aHi, lo, hi);
    else cpu.write64(aLo, aHi, lo, hi);
  };
  put(newCpl < oldCpl ? oldSs : oldSs, 0);
  put(oldRspLo, oldRspHi);
  put(rflags, 0);
  put(cpu.segSel[1], 0);
  put(cpu.ripLo, cpu.ripHi);
  if (errorCode >= 0) put(errorCode, 0);

  cpu.r[8] = topLo;
  cpu.r[9] = topHi;
  if (newCpl < oldCpl) cpu.loadNullSs(newCpl);
  cpu.loadCodeSegment((selector & ~3) | newCpl, dLo, dHi);
  cpu.ripLo = targetLo;
  cpu.ripHi = targetHi;
  let rest = cpu.flagsRest & ~(TF | NT | RF);
  if (type === 0x0e) rest &= ~IF;
  cpu.flagsRest = rest;
  cpu.flagsChanged();
}

/** Reads stack slot k of `size` bytes above RSP, zero-extended (hi word in cpu.rhi). */
function stackSlot(cpu: Cpu, size: number, k: number): number {
  const spLo = cpu.r[8];
  const aLo = (spLo + k * size) | 0;
  const aHi = (aLo >>> 0) < (spLo >>> 0) ? cpu.r[9] + 1 : cpu.r[9];
  cpu.stackCanonical(aHi);
  const v = cpu.readSized(size, aLo, aHi);
  if (size !== 8) cpu.rhi = 0;
  return v;
}

/** IRET in 64-bit mode (IRETQ, or IRETD/IRETW with 4- or 2-byte slots), same or outer level. */
export function iretq(cpu: Cpu, osize: number): void {
  if (cpu.flagsRest & NT) cpu.raise(GP, 0);
  const ripLo = stackSlot(cpu, osize, 0);
  const ripHi = cpu.rhi;
  const cs = stackSlot(cpu, osize, 1) & 0xffff;
  const flags = stackSlot(cpu, osize, 2);
  const newRspLo = stackSlot(cpu, osize, 3);
  const newRspHi = cpu.rhi;
  const ss = stackSlot(cpu, osize, 4) & 0xffff;

  const cpl = cpu.cpl;
  const rpl = cs & 3;
  if ((cs & ~3) === 0) cpu.raise(GP, 0);
  if (rpl < cpl) cpu.raise(GP, cs & ~3);
  cpu.loadDescriptor(cs, 0);
  const dLo = cpu.descLo;
  const dHi = cpu.descHi;
  if ((dHi & 0x1800) !== 0x1800) cpu.raise(GP, cs & ~3);
  if ((dHi & 0x8000) === 0) cpu.raise(NP, cs & ~3);
  if ((dHi & 0x200000) === 0) {
    // Returning to compatibility mode is not supported yet.
    cpu.raise(GP, cs & ~3);
  }
  const canon = ripHi >> 15;
  if (canon !== 0 && canon !== -1) cpu.raise(GP, 0);
  // SS: a null selector is allowed in 64-bit mode when returning to CPL < 3.
  if ((ss & ~3) !== 0) {
    cpu.loadDescriptor(ss, 0);
    if ((ss & 3) !== rpl) cpu.raise(GP, ss & ~3);
  } else if (rpl === 3) cpu.raise(GP, 0);
  const ssLo = cpu.descLo;
  const ssHi = cpu.descHi;

  // RFLAGS: at CPL 0 every writable bit; otherwise IOPL (and IF unless CPL <= IOPL) are kept.
  let mask = WRITABLE_FLAGS;
  if (cpl > 0) mask &= ~IOPL;
  if (cpl > ((cpu.flagsRest & IOPL) >> 12)) mask &= ~IF;
  if (osize === 2) mask &= 0xffff;
  const newFlags = (cpu.flagsRest & ~mask) | (flags & mask) | 2;
  cpu.flagsRest = newFlags & ~ARITH_FLAGS;
  setArithFlags(cpu, newFlags);
  cpu.loadCodeSegment(cs, dLo, dHi);
  if ((ss & ~3) !== 0) cpu.loadDataSegment(2, ss, ssLo, ssHi);
  else cpu.loadNullSs(rpl);
  cpu.r[8] = newRspLo;
  cpu.r[9] = newRspHi;
  cpu.ripLo = ripLo;
  cpu.ripHi = ripHi;
  cpu.flagsChanged();
}
