/**
 * Decode-time specialisations of single-precision ADD/SUB/MUL/DIV in SS and PS forms, on the
 * same terms as the double ones in sse-float-fast.ts: JavaScript's result when MXCSR is QUIET,
 * no operand is NaN or denormal and the result is finite normal or an exact zero;
 * otherwise the general lane code in sse-float.ts. Each lane is computed in double and rounded
 * again to single with Math.fround, which for + − × ÷ of floats gives the correctly rounded
 * single result (53 ≥ 2·24 + 2: double rounding is innocuous). The checks are written out rather
 * than called: a double passed to or returned from a call V8 does not inline is boxed.
 * `dst`/`src` hold the registers' x32 offsets (register × 4), set at decode time.
 */
import type { Cpu } from './cpu.js';
import { GP } from './fault.js';
import type { Handler, Insn } from './insn.js';
import { defFast, V_F3, V_NONE } from './optable.js';
import { load128, sseCheck, TMP } from './sse-common.js';
import { exactPS, exactSS, OP_ADD, OP_DIV, OP_MUL, OP_SUB, QUIET, QUIET_MASK } from './sse-float.js';

const MIN_NORMAL32 = 1.1754943508222875e-38;
const MAX32 = 3.4028234663852886e38;

/** Reads an m32 source into TMP's low dword; returns TMP's x32 offset. */
function loadSS(c: Cpu, i: Insn): number {
  c.ea(i);
  c.x32[TMP * 4] = c.read32(c.eaLo, c.eaHi);
  return TMP * 4;
}

/** Reads an aligned m128 source into TMP; returns TMP's x32 offset. */
function loadPS(c: Cpu, i: Insn): number {
  c.ea(i);
  if ((c.eaLo & 15) !== 0) c.raise(GP, 0);
  load128(c, TMP);
  return TMP * 4;
}

// ---- scalar: a core on x32 offsets (d, s), a register form and a memory form -------------

function addSSCore(c: Cpu, d: number, s: number): void {
  const f = c.xf32;
  const a = f[d], b = f[s];
  const r = Math.fround(a + b);
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a === 0 || Math.abs(a) >= MIN_NORMAL32) &&
    (b === 0 || Math.abs(b) >= MIN_NORMAL32) &&
    ((Math.abs(r) > MIN_NORMAL32 && Math.abs(r) <= MAX32) || r === 0)
  ) {
    f[d] = r;
  } else exactSS(c, d >> 2, s >> 2, OP_ADD);
}

function subSSCore(c: Cpu, d: number, s: number): void {
  const f = c.xf32;
  const a = f[d], b = f[s];
  const r = Math.fround(a - b);
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a === 0 || Math.abs(a) >= MIN_NORMAL32) &&
    (b === 0 || Math.abs(b) >= MIN_NORMAL32) &&
    ((Math.abs(r) > MIN_NORMAL32 && Math.abs(r) <= MAX32) || r === 0)
  ) {
    f[d] = r;
  } else exactSS(c, d >> 2, s >> 2, OP_SUB);
}

function mulSSCore(c: Cpu, d: number, s: number): void {
  const f = c.xf32;
  const a = f[d], b = f[s];
  const r = Math.fround(a * b);
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a === 0 || Math.abs(a) >= MIN_NORMAL32) &&
    (b === 0 || Math.abs(b) >= MIN_NORMAL32) &&
    ((Math.abs(r) > MIN_NORMAL32 && Math.abs(r) <= MAX32) || (r === 0 && (a === 0 || b === 0)))
  ) {
    f[d] = r;
  } else exactSS(c, d >> 2, s >> 2, OP_MUL);
}

function divSSCore(c: Cpu, d: number, s: number): void {
  const f = c.xf32;
  const a = f[d], b = f[s];
  const r = Math.fround(a / b);
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a === 0 || Math.abs(a) >= MIN_NORMAL32) &&
    (b === 0 || Math.abs(b) >= MIN_NORMAL32) &&
    ((Math.abs(r) > MIN_NORMAL32 && Math.abs(r) <= MAX32) || (a === 0 && b !== 0))
  ) {
    f[d] = r;
  } else exactSS(c, d >> 2, s >> 2, OP_DIV);
}

function addSSRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  addSSCore(c, i.dst, i.src);
}
function addSSRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  addSSCore(c, i.dst, loadSS(c, i));
}
function subSSRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  subSSCore(c, i.dst, i.src);
}
function subSSRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  subSSCore(c, i.dst, loadSS(c, i));
}
function mulSSRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  mulSSCore(c, i.dst, i.src);
}
function mulSSRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  mulSSCore(c, i.dst, loadSS(c, i));
}
function divSSRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  divSSCore(c, i.dst, i.src);
}
function divSSRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  divSSCore(c, i.dst, loadSS(c, i));
}

// ---- packed: all four lanes quiet, or the general path for all four -----------------------

function addPSCore(c: Cpu, d: number, s: number): void {
  const f = c.xf32;
  const a0 = f[d], a1 = f[d + 1], a2 = f[d + 2], a3 = f[d + 3];
  const b0 = f[s], b1 = f[s + 1], b2 = f[s + 2], b3 = f[s + 3];
  const r0 = Math.fround(a0 + b0), r1 = Math.fround(a1 + b1), r2 = Math.fround(a2 + b2), r3 = Math.fround(a3 + b3);
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a0 === 0 || Math.abs(a0) >= MIN_NORMAL32) &&
    (b0 === 0 || Math.abs(b0) >= MIN_NORMAL32) &&
    ((Math.abs(r0) > MIN_NORMAL32 && Math.abs(r0) <= MAX32) || r0 === 0) &&
    (a1 === 0 || Math.abs(a1) >= MIN_NORMAL32) &&
    (b1 === 0 || Math.abs(b1) >= MIN_NORMAL32) &&
    ((Math.abs(r1) > MIN_NORMAL32 && Math.abs(r1) <= MAX32) || r1 === 0) &&
    (a2 === 0 || Math.abs(a2) >= MIN_NORMAL32) &&
    (b2 === 0 || Math.abs(b2) >= MIN_NORMAL32) &&
    ((Math.abs(r2) > MIN_NORMAL32 && Math.abs(r2) <= MAX32) || r2 === 0) &&
    (a3 === 0 || Math.abs(a3) >= MIN_NORMAL32) &&
    (b3 === 0 || Math.abs(b3) >= MIN_NORMAL32) &&
    ((Math.abs(r3) > MIN_NORMAL32 && Math.abs(r3) <= MAX32) || r3 === 0)
  ) {
    f[d] = r0;
    f[d + 1] = r1;
    f[d + 2] = r2;
    f[d + 3] = r3;
  } else exactPS(c, d >> 2, s >> 2, OP_ADD);
}

function subPSCore(c: Cpu, d: number, s: number): void {
  const f = c.xf32;
  const a0 = f[d], a1 = f[d + 1], a2 = f[d + 2], a3 = f[d + 3];
  const b0 = f[s], b1 = f[s + 1], b2 = f[s + 2], b3 = f[s + 3];
  const r0 = Math.fround(a0 - b0), r1 = Math.fround(a1 - b1), r2 = Math.fround(a2 - b2), r3 = Math.fround(a3 - b3);
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a0 === 0 || Math.abs(a0) >= MIN_NORMAL32) &&
    (b0 === 0 || Math.abs(b0) >= MIN_NORMAL32) &&
    ((Math.abs(r0) > MIN_NORMAL32 && Math.abs(r0) <= MAX32) || r0 === 0) &&
    (a1 === 0 || Math.abs(a1) >= MIN_NORMAL32) &&
    (b1 === 0 || Math.abs(b1) >= MIN_NORMAL32) &&
    ((Math.abs(r1) > MIN_NORMAL32 && Math.abs(r1) <= MAX32) || r1 === 0) &&
    (a2 === 0 || Math.abs(a2) >= MIN_NORMAL32) &&
    (b2 === 0 || Math.abs(b2) >= MIN_NORMAL32) &&
    ((Math.abs(r2) > MIN_NORMAL32 && Math.abs(r2) <= MAX32) || r2 === 0) &&
    (a3 === 0 || Math.abs(a3) >= MIN_NORMAL32) &&
    (b3 === 0 || Math.abs(b3) >= MIN_NORMAL32) &&
    ((Math.abs(r3) > MIN_NORMAL32 && Math.abs(r3) <= MAX32) || r3 === 0)
  ) {
    f[d] = r0;
    f[d + 1] = r1;
    f[d + 2] = r2;
    f[d + 3] = r3;
  } else exactPS(c, d >> 2, s >> 2, OP_SUB);
}

function mulPSCore(c: Cpu, d: number, s: number): void {
  const f = c.xf32;
  const a0 = f[d], a1 = f[d + 1], a2 = f[d + 2], a3 = f[d + 3];
  const b0 = f[s], b1 = f[s + 1], b2 = f[s + 2], b3 = f[s + 3];
  const r0 = Math.fround(a0 * b0), r1 = Math.fround(a1 * b1), r2 = Math.fround(a2 * b2), r3 = Math.fround(a3 * b3);
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a0 === 0 || Math.abs(a0) >= MIN_NORMAL32) &&
    (b0 === 0 || Math.abs(b0) >= MIN_NORMAL32) &&
    ((Math.abs(r0) > MIN_NORMAL32 && Math.abs(r0) <= MAX32) || (r0 === 0 && (a0 === 0 || b0 === 0))) &&
    (a1 === 0 || Math.abs(a1) >= MIN_NORMAL32) &&
    (b1 === 0 || Math.abs(b1) >= MIN_NORMAL32) &&
    ((Math.abs(r1) > MIN_NORMAL32 && Math.abs(r1) <= MAX32) || (r1 === 0 && (a1 === 0 || b1 === 0))) &&
    (a2 === 0 || Math.abs(a2) >= MIN_NORMAL32) &&
    (b2 === 0 || Math.abs(b2) >= MIN_NORMAL32) &&
    ((Math.abs(r2) > MIN_NORMAL32 && Math.abs(r2) <= MAX32) || (r2 === 0 && (a2 === 0 || b2 === 0))) &&
    (a3 === 0 || Math.abs(a3) >= MIN_NORMAL32) &&
    (b3 === 0 || Math.abs(b3) >= MIN_NORMAL32) &&
    ((Math.abs(r3) > MIN_NORMAL32 && Math.abs(r3) <= MAX32) || (r3 === 0 && (a3 === 0 || b3 === 0)))
  ) {
    f[d] = r0;
    f[d + 1] = r1;
    f[d + 2] = r2;
    f[d + 3] = r3;
  } else exactPS(c, d >> 2, s >> 2, OP_MUL);
}

function divPSCore(c: Cpu, d: number, s: number): void {
  const f = c.xf32;
  const a0 = f[d], a1 = f[d + 1], a2 = f[d + 2], a3 = f[d + 3];
  const b0 = f[s], b1 = f[s + 1], b2 = f[s + 2], b3 = f[s + 3];
  const r0 = Math.fround(a0 / b0), r1 = Math.fround(a1 / b1), r2 = Math.fround(a2 / b2), r3 = Math.fround(a3 / b3);
  if (
    (c.mxcsr & QUIET_MASK) === QUIET &&
    (a0 === 0 || Math.abs(a0) >= MIN_NORMAL32) &&
    (b0 === 0 || Math.abs(b0) >= MIN_NORMAL32) &&
    ((Math.abs(r0) > MIN_NORMAL32 && Math.abs(r0) <= MAX32) || (a0 === 0 && b0 !== 0)) &&
    (a1 === 0 || Math.abs(a1) >= MIN_NORMAL32) &&
    (b1 === 0 || Math.abs(b1) >= MIN_NORMAL32) &&
    ((Math.abs(r1) > MIN_NORMAL32 && Math.abs(r1) <= MAX32) || (a1 === 0 && b1 !== 0)) &&
    (a2 === 0 || Math.abs(a2) >= MIN_NORMAL32) &&
    (b2 === 0 || Math.abs(b2) >= MIN_NORMAL32) &&
    ((Math.abs(r2) > MIN_NORMAL32 && Math.abs(r2) <= MAX32) || (a2 === 0 && b2 !== 0)) &&
    (a3 === 0 || Math.abs(a3) >= MIN_NORMAL32) &&
    (b3 === 0 || Math.abs(b3) >= MIN_NORMAL32) &&
    ((Math.abs(r3) > MIN_NORMAL32 && Math.abs(r3) <= MAX32) || (a3 === 0 && b3 !== 0))
  ) {
    f[d] = r0;
    f[d + 1] = r1;
    f[d + 2] = r2;
    f[d + 3] = r3;
  } else exactPS(c, d >> 2, s >> 2, OP_DIV);
}

function addPSRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  addPSCore(c, i.dst, i.src);
}
function addPSRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  addPSCore(c, i.dst, loadPS(c, i));
}
function subPSRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  subPSCore(c, i.dst, i.src);
}
function subPSRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  subPSCore(c, i.dst, loadPS(c, i));
}
function mulPSRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  mulPSCore(c, i.dst, i.src);
}
function mulPSRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  mulPSCore(c, i.dst, loadPS(c, i));
}
function divPSRR(c: Cpu, i: Insn): void {
  sseCheck(c);
  divPSCore(c, i.dst, i.src);
}
function divPSRM(c: Cpu, i: Insn): void {
  sseCheck(c);
  divPSCore(c, i.dst, loadPS(c, i));
}

/** Register and memory source forms. */
function forms(rr: Handler, rm: Handler): (i: Insn) => Handler {
  return (i) => {
    i.dst = i.reg * 4;
    i.src = i.rm * 4;
    return i.mod === 3 ? rr : rm;
  };
}

defFast(0x158, forms(addSSRR, addSSRM), -1, V_F3);
defFast(0x15c, forms(subSSRR, subSSRM), -1, V_F3);
defFast(0x159, forms(mulSSRR, mulSSRM), -1, V_F3);
defFast(0x15e, forms(divSSRR, divSSRM), -1, V_F3);
defFast(0x158, forms(addPSRR, addPSRM), -1, V_NONE);
defFast(0x15c, forms(subPSRR, subPSRM), -1, V_NONE);
defFast(0x159, forms(mulPSRR, mulPSRM), -1, V_NONE);
defFast(0x15e, forms(divPSRR, divPSRM), -1, V_NONE);
