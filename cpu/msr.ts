/**
 * Model-specific registers: the set a 64-bit kernel and Solo5's bindings touch. Unknown MSRs make
 * RDMSR/WRMSR raise #GP(0) (the callers' job), and getMsr return undefined.
 */
import type { Cpu } from './cpu.js';
import { CR0_PG, EFER_LMA, EFER_LME, EFER_NXE, EFER_SCE } from './state.js';

export const MSR_TSC = 0x10;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;
export const MSR_MISC_ENABLE = 0x1a0;
export const MSR_PAT = 0x277;
export const MSR_EFER = 0xc0000080;
export const MSR_STAR = 0xc0000081;
export const MSR_LSTAR = 0xc0000082;
export const MSR_CSTAR = 0xc0000083;
export const MSR_SFMASK = 0xc0000084;
export const MSR_FS_BASE = 0xc0000100;
export const MSR_GS_BASE = 0xc0000101;
export const MSR_KERNEL_GS_BASE = 0xc0000102;
export const MSR_TSC_AUX = 0xc0000103;

const TWO32 = 4294967296;

/** Plain storage for MSRs with no behaviour of their own. */
const STORED = [MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK];

function isCanonical(hi: number): boolean {
  const t = hi >> 15;
  return t === 0 || t === -1;
}

/** Reads MSR `index` into c.msrLo/c.msrHi; false if unknown. */
export function readMsr(c: Cpu, index: number): boolean {
  index >>>= 0;
  let lo = 0;
  let hi = 0;
  switch (index) {
    case MSR_TSC: {
      const t = c.readTsc();
      lo = t % TWO32;
      hi = Math.floor(t / TWO32);
      break;
    }
    case MSR_MISC_ENABLE:
      lo = c.miscEnableLo;
      break;
    case MSR_PAT:
      lo = c.patLo;
      hi = c.patHi;
      break;
    case MSR_EFER:
      lo = c.efer;
      break;
    case MSR_FS_BASE:
      lo = c.segBase[8];
      hi = c.segBase[9];
      break;
    case MSR_GS_BASE:
      lo = c.segBase[10];
      hi = c.segBase[11];
      break;
    case MSR_KERNEL_GS_BASE:
      lo = c.kernelGsBaseLo;
      hi = c.kernelGsBaseHi;
      break;
    case MSR_TSC_AUX:
      lo = c.tscAux;
      break;
    default: {
      const k = STORED.indexOf(index);
      if (k < 0) return false;
      lo = c.storedMsrs[2 * k];
      hi = c.storedMsrs[2 * k + 1];
    }
  }
  c.msrLo = lo | 0;
  c.msrHi = hi | 0;
  return true;
}

/** Writes MSR `index`; false if unknown or the value is invalid (#GP for the instruction). */
export function writeMsr(c: Cpu, index: number, lo: number, hi: number): boolean {
  index >>>= 0;
  switch (index) {
    case MSR_TSC: {
      // Writing the TSC sets an offset so that it reads back from the written value.
      const now = Math.floor((c.nowNs() * c.tscHz) / 1e9);
      const want = (lo >>> 0) + (hi >>> 0) * TWO32;
      c.tscOffset = want - now;
      c.tscLast = want - 1;
      return true;
    }
    case MSR_MISC_ENABLE:
      c.miscEnableLo = lo;
      return true;
    case MSR_PAT:
      for (let k = 0; k < 8; k++) {
        const t = ((k < 4 ? lo : hi) >>> ((k & 3) * 8)) & 0xff;
        if (t === 2 || t === 3 || t > 7) return false;
      }
      c.patLo = lo;
      c.patHi = hi;
      return true;
    case MSR_EFER: {
      const allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
      if ((lo & ~allowed) !== 0 || hi !== 0) return false;
      // LME cannot change while paging is on; LMA is read-only.
      if ((c.cr0 & CR0_PG) !== 0 && ((lo ^ c.efer) & EFER_LME) !== 0) return false;
      const nxeChanged = ((lo ^ c.efer) & EFER_NXE) !== 0;
      c.efer = (lo & ~EFER_LMA) | (c.efer & EFER_LMA);
      if (nxeChanged) c.flushTlb();
      return true;
    }
    case MSR_FS_BASE:
    case MSR_GS_BASE:
      if (!isCanonical(hi)) return false;
      c.segBase[index === MSR_FS_BASE ? 8 : 10] = lo;
      c.segBase[index === MSR_FS_BASE ? 9 : 11] = hi;
      return true;
    case MSR_KERNEL_GS_BASE:
      if (!isCanonical(hi)) return false;
      c.kernelGsBaseLo = lo;
      c.kernelGsBaseHi = hi;
      return true;
    case MSR_TSC_AUX:
      if (hi !== 0) return false;
      c.tscAux = lo;
      return true;
    default: {
      const k = STORED.indexOf(index);
      if (k < 0) return false;
      if ((index === MSR_LSTAR || index === MSR_CSTAR || index === MSR_SYSENTER_ESP || index === MSR_SYSENTER_EIP) && !isCanonical(hi)) return false;
      c.storedMsrs[2 * k] = lo;
      c.storedMsrs[2 * k + 1] = hi;
      return true;
    }
  }
}

export const STORED_MSR_COUNT = STORED.length;

/** Index of a plain-storage MSR in `storedMsrs` (lo at 2k, hi at 2k+1). */
export function storedMsrSlot(index: number): number {
  return 2 * STORED.indexOf(index);
}
