/**
 * Decode-time specialisations of the conversions between general registers and doubles that
 * compiled code runs most: CVTSI2SD from a register and CVTTSD2SI to a register. They take the
 * result directly when it is exact (no MXCSR flag at all) or when the only flag it could raise
 * is PE and PE is already sticky with every exception masked; anything else goes to the general
 * handlers in sse-convert.ts, which stay the reference. `dst`/`src` index the register arrays.
 */
import type { Cpu } from './cpu.js';
import type { Insn } from './insn.js';
import { defFast, V_F2 } from './optable.js';
import { sseCheck } from './sse-common.js';
import { cvtsd2si, cvtsi2sd } from './sse-convert.js';
import { QUIET, QUIET_MASK } from './sse-float.js';

const TWO32 = 4294967296;
const TWO31 = 2147483648;
/** Doubles of magnitude below 2^63 whose truncation fits int64 without overflow. */
const TWO63 = 9223372036854775808;

/** CVTSI2SD xmm, r32: every int32 is a double. */
function cvtsi2sdR32(c: Cpu, i: Insn): void {
  sseCheck(c);
  c.xf64[i.dst] = c.r[i.src];
}

/** CVTSI2SD xmm, r64: exact below 2^53 in magnitude (|hi| < 2^21), else rounded by the reference. */
function cvtsi2sdR64(c: Cpu, i: Insn): void {
  const hi = c.r[i.src + 1];
  if (hi >= -0x200000 && hi < 0x200000) {
    sseCheck(c);
    c.xf64[i.dst] = hi * TWO32 + (c.r[i.src] >>> 0);
  } else cvtsi2sd(c, i);
}

/** CVTTSD2SI r32, xmm. */
function cvttsd2siR32(c: Cpu, i: Insn): void {
  const v = c.xf64[i.src];
  const t = Math.trunc(v);
  // In range (NaN fails both tests); exact, or inexact with PE sticky and nothing else to do.
  if (t >= -TWO31 && t < TWO31 && (t === v || (c.mxcsr & QUIET_MASK) === QUIET)) {
    sseCheck(c);
    c.r[i.dst] = t | 0;
    c.r[i.dst + 1] = 0;
  } else cvtsd2si(c, i);
}

/** CVTTSD2SI r64, xmm. */
function cvttsd2siR64(c: Cpu, i: Insn): void {
  const v = c.xf64[i.src];
  const t = Math.trunc(v);
  if (t >= -TWO63 && t < TWO63 && (t === v || (c.mxcsr & QUIET_MASK) === QUIET)) {
    sseCheck(c);
    const hi = Math.floor(t / TWO32);
    c.r[i.dst] = (t - hi * TWO32) | 0;
    c.r[i.dst + 1] = hi | 0;
  } else cvtsd2si(c, i);
}

defFast(
  0x12a,
  (i) => {
    if (i.mod !== 3) return null;
    i.dst = i.reg * 2;
    i.src = i.rm * 2;
    return i.osize === 8 ? cvtsi2sdR64 : cvtsi2sdR32;
  },
  -1,
  V_F2,
);
defFast(
  0x12c,
  (i) => {
    if (i.mod !== 3) return null;
    i.dst = i.reg * 2;
    i.src = i.rm * 2;
    return i.osize === 8 ? cvttsd2siR64 : cvttsd2siR32;
  },
  -1,
  V_F2,
);
