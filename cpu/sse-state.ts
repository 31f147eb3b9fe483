/**
 * SSE state instructions: LDMXCSR, STMXCSR, FXSAVE, FXRSTOR (0F AE /0../3, memory forms).
 */
import type { Cpu } from './cpu.js';
import { GP, NM, UD } from './fault.js';
import { fxrstorImage, fxsaveImage, MXCSR_MASK } from './fxsave.js';
import type { Insn } from './insn.js';
import { defGroup, F_MEM, F_SSE } from './optable.js';
import { sseCheck } from './sse-common.js';
import { CR0_EM, CR0_TS } from './state.js';

const image = new Uint8Array(512);

function ldmxcsr(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  sseCheck(c);
  c.ea(i);
  const v = c.read32(c.eaLo, c.eaHi);
  if ((v & ~MXCSR_MASK) !== 0) c.raise(GP, 0);
  c.mxcsr = v;
}

function stmxcsr(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  sseCheck(c);
  c.ea(i);
  c.write32(c.eaLo, c.eaHi, c.mxcsr);
}

/** FXSAVE/FXRSTOR need only CR0.EM/TS clear (they work without CR4.OSFXSR, minus the XMM part). */
function fxCheck(c: Cpu, i: Insn): void {
  if (i.mod === 3) c.raise(UD, -1);
  if ((c.cr0 & CR0_EM) !== 0) c.raise(UD, -1);
  if ((c.cr0 & CR0_TS) !== 0) c.raise(NM, -1);
  c.ea(i);
  if ((c.eaLo & 15) !== 0) c.raise(GP, 0);
}

function fxsave(c: Cpu, i: Insn): void {
  fxCheck(c, i);
  fxsaveImage(c, image);
  c.probeWrite(c.eaLo, c.eaHi, 512);
  const lo = c.eaLo;
  const hi = c.eaHi;
  for (let k = 0; k < 512; k += 4) {
    const a = (lo + k) | 0;
    c.write32(a, (a >>> 0) < (lo >>> 0) ? hi + 1 : hi, image[k] | (image[k + 1] << 8) | (image[k + 2] << 16) | (image[k + 3] << 24));
  }
}

function fxrstor(c: Cpu, i: Insn): void {
  fxCheck(c, i);
  const lo = c.eaLo;
  const hi = c.eaHi;
  for (let k = 0; k < 512; k += 4) {
    const a = (lo + k) | 0;
    const v = c.read32(a, (a >>> 0) < (lo >>> 0) ? hi + 1 : hi);
    image[k] = v;
    image[k + 1] = v >> 8;
    image[k + 2] = v >> 16;
    image[k + 3] = v >> 24;
  }
  if (!fxrstorImage(c, image)) c.raise(GP, 0);
}

defGroup(0x1ae, 0, F_MEM | F_SSE, fxsave);
defGroup(0x1ae, 1, F_MEM | F_SSE, fxrstor);
defGroup(0x1ae, 2, F_MEM | F_SSE, ldmxcsr);
defGroup(0x1ae, 3, F_MEM | F_SSE, stmxcsr);
