/**
 * The 512-byte FXSAVE image (64-bit layout): FCW, FSW, abridged FTW, MXCSR and its mask, ST0–ST7
 * as 80-bit values, and XMM0–15. Used by FXSAVE/FXRSTOR and by the Processor API.
 */
import type { CpuState } from './state.js';

/** MXCSR bits this processor supports (DAZ included). */
export const MXCSR_MASK = 0xffff;

export function fxsaveImage(s: CpuState, out: Uint8Array): void {
  const v = new DataView(out.buffer, out.byteOffset, 512);
  out.fill(0, 0, 512);
  v.setUint16(0, s.fcw, true);
  v.setUint16(2, s.fsw, true);
  v.setUint8(4, s.ftw);
  v.setUint32(24, s.mxcsr, true);
  v.setUint32(28, MXCSR_MASK, true);
  const top = (s.fsw >> 11) & 7;
  for (let k = 0; k < 8; k++) {
    const p = (top + k) & 7;
    v.setUint32(32 + k * 16, s.fpLo[p], true);
    v.setUint32(36 + k * 16, s.fpHi[p], true);
    v.setUint16(40 + k * 16, s.fpSe[p], true);
  }
  out.set(s.x8.subarray(0, 256), 160);
}

/** Returns false (caller raises #GP) if the image sets MXCSR bits outside MXCSR_MASK. */
export function fxrstorImage(s: CpuState, img: Uint8Array): boolean {
  const v = new DataView(img.buffer, img.byteOffset, 512);
  const mxcsr = v.getUint32(24, true);
  if ((mxcsr & ~MXCSR_MASK) !== 0) return false;
  s.fcw = v.getUint16(0, true);
  s.fsw = v.getUint16(2, true);
  s.ftw = v.getUint8(4);
  s.mxcsr = mxcsr;
  const top = (s.fsw >> 11) & 7;
  for (let k = 0; k < 8; k++) {
    const p = (top + k) & 7;
    s.fpLo[p] = v.getUint32(32 + k * 16, true);
    s.fpHi[p] = v.getUint32(36 + k * 16, true);
    s.fpSe[p] = v.getUint16(40 + k * 16, true);
  }
  s.x8.set(img.subarray(160, 416), 0);
  return true;
}
