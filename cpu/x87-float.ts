/**
 * Exact 80-bit extended-precision arithmetic in software (no BigInt, no allocation).
 *
 * A value is (se, hi, lo): se = sign << 15 | biased exponent, hi:lo the 64-bit significand with
 * its explicit integer bit (uint32 numbers). Results come back in `R` and exception flags
 * accumulate in `X.flags` (FSW bit layout), `X.c1` says whether the last rounding went up in
 * magnitude. Working significands are 96 bits (w0:w1:w2, w0 most significant) with everything
 * below jammed into the lowest bit, which is enough for correctly rounded +, −, ×, ÷, √.
 */

export const IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20;
const TWO32 = 4294967296;
const BIAS = 16383;
/** Exponent bias adjustment of the unmasked overflow/underflow response. */
const WRAP = 24576;

/** Result of the last operation. */
export const R = { se: 0, hi: 0, lo: 0 };
/** Flags raised so far (the caller clears them) and the C1 "rounded up" bit of the last result. */
export const X = { flags: 0, c1: 0 };

/** Rounding parameters of the destination: significand bits, exponent range, FCW.RC and masks. */
export const P = { bits: 64, emin: 1 - BIAS, emax: BIAS, rc: 0, masks: 0x3f };

export function setExtended(fcw: number): void {
  const pc = (fcw >> 8) & 3;
  P.bits = pc === 0 ? 24 : pc === 2 ? 53 : 64;
  P.emin = 1 - BIAS;
  P.emax = BIAS;
  P.rc = (fcw >> 10) & 3;
  P.masks = fcw & 0x3f;
}

/** Memory formats round by RC only; unmasked OE/UE leave memory alone (the caller checks). */
export function setFormat(fcw: number, bits: number, emin: number, emax: number): void {
  P.bits = bits;
  P.emin = emin;
  P.emax = emax;
  P.rc = (fcw >> 10) & 3;
  P.masks = (fcw & 0x3f) | OE | UE;
}

// ---- classification ---------------------------------------------------------------------------

export const K_ZERO = 0, K_FINITE = 1, K_INF = 2, K_QNAN = 3, K_SNAN = 4, K_BAD = 5;

export function kind(se: number, hi: number, lo: number): number {
  const e = se & 0x7fff;
  if (e === 0) return hi === 0 && lo === 0 ? K_ZERO : K_FINITE;
  if ((hi & 0x80000000) === 0) return K_BAD; // unnormal, pseudo-NaN, pseudo-infinity
  if (e === 0x7fff) {
    if ((hi & 0x7fffffff) === 0 && lo === 0) return K_INF;
    return (hi & 0x40000000) !== 0 ? K_QNAN : K_SNAN;
  }
  return K_FINITE;
}

export function isDenormal(se: number, hi: number, lo: number): boolean {
  return (se & 0x7fff) === 0 && (hi !== 0 || lo !== 0);
}

function set(se: number, hi: number, lo: number): void {
  R.se = se;
  R.hi = hi >>> 0;
  R.lo = lo >>> 0;
}

export function setIndefinite(): void {
  set(0xffff, 0xc0000000, 0);
}

/** NaN result of a two-operand operation (x87 rules: QNaN over SNaN, else larger significand). */
function propagateNaN(sa: number, ha: number, la: number, sb: number, hb: number, lb: number, ka: number, kb: number): void {
  if (ka === K_SNAN || kb === K_SNAN) X.flags |= IE;
  const aNaN = ka === K_QNAN || ka === K_SNAN;
  const bNaN = kb === K_QNAN || kb === K_SNAN;
  let pickA: boolean;
  if (!bNaN) pickA = true;
  else if (!aNaN) pickA = false;
  else if (ka === K_SNAN && kb === K_QNAN) pickA = false;
  else if (ka === K_QNAN && kb === K_SNAN) pickA = true;
  else if (ha !== hb) pickA = ha > hb;
  else if (la !== lb) pickA = la > lb;
  else pickA = (sa & 0x8000) === 0;
  if (pickA) set(sa, ha | 0x40000000, la);
  else set(sb, hb | 0x40000000, lb);
}

/** One-operand NaN result (SNaN quietened with IE). */
export function quietNaN(se: number, hi: number, lo: number, k: number): void {
  if (k === K_SNAN) X.flags |= IE;
  set(se, hi | 0x40000000, lo);
}

// ---- unpacking --------------------------------------------------------------------------------

/** Unpacked finite nonzero operands: unbiased exponent of the integer bit, normalised significand. */
let ea = 0, ha = 0, la = 0, eb = 0, hb = 0, lb = 0;

/** unpackTo's result. */
let eu = 0, hu = 0, lu = 0;

function unpackTo(se: number, hi: number, lo: number): void {
  let e = se & 0x7fff;
  if (e === 0) e = 1; // denormals and pseudo-denormals share the minimum exponent
  e -= BIAS;
  if (hi === 0) {
    hi = lo;
    lo = 0;
    e -= 32;
  }
  const n = Math.clz32(hi);
  if (n > 0) {
    hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
    lo = (lo << n) >>> 0;
    e -= n;
  }
  eu = e;
  hu = hi >>> 0;
  lu = lo >>> 0;
}

function unpackA(se: number, hi: number, lo: number): void {
  unpackTo(se, hi, lo);
  ea = eu;
  ha = hu;
  la = lu;
}

function unpackB(se: number, hi: number, lo: number): void {
  unpackTo(se, hi, lo);
  eb = eu;
  hb = hu;
  lb = lu;
}

// ---- the 96-bit working significand and rounding ------------------------------------------------

let w0 = 0, w1 = 0, w2 = 0;

function shiftRightJam(n: number): void {
  if (n <= 0) return;
  let sticky = 0;
  if (n >= 96) {
    sticky = w0 | w1 | w2;
    w0 = w1 = 0;
    w2 = sticky !== 0 ? 1 : 0;
    return;
  }
  while (n >= 32) {
    sticky |= w2;
    w2 = w1;
    w1 = w0;
    w0 = 0;
    n -= 32;
  }
  if (n > 0) {
    sticky |= w2 & ((1 << n) - 1);
    w2 = ((w2 >>> n) | (w1 << (32 - n))) >>> 0;
    w1 = ((w1 >>> n) | (w0 << (32 - n))) >>> 0;
    w0 = w0 >>> n;
  }
  if (sticky !== 0) w2 = (w2 | 1) >>> 0;
}

/** Shifts left until the top bit is set; returns the shift (w must be nonzero). */
function normalize(): number {
  let s = 0;
  while (w0 === 0) {
    w0 = w1;
    w1 = w2;
    w2 = 0;
    s += 32;
  }
  const n = Math.clz32(w0);
  if (n > 0) {
    w0 = ((w0 << n) | (w1 >>> (32 - n))) >>> 0;
    w1 = ((w1 << n) | (w2 >>> (32 - n))) >>> 0;
    w2 = (w2 << n) >>> 0;
  }
  return s + n;
}

/**
 * Rounds sign × 0.w × 2^(e+1) (w normalised, integer bit at the top of w0, value = w/2^95 × 2^e)
 * to P, with the masked/unmasked overflow and underflow responses, into R as an extended value.
 * Returns false when an unmasked overflow/underflow makes a memory destination keep its value.
 */
function roundPack(sign: number, e: number): void {
  let tiny = false;
  const unmaskedUE = (P.masks & UE) === 0;
  if (e < P.emin) {
    tiny = true;
    // Unmasked: the exponent wraps into range.
    if (unmaskedUE && e + WRAP >= P.emin) e += WRAP;
    else if (unmaskedUE) {
      // Measured: a result too small even for the wrapped exponent is ±0 whatever RC says.
      X.flags |= UE | PE;
      X.c1 = 0;
      set(sign << 15, 0, 0);
      return;
    } else {
      shiftRightJam(P.emin - e);
      e = P.emin;
    }
  }
  let round: number, sticky: number, lsb: number;
  if (P.bits === 64) {
    round = w2 >>> 31;
    sticky = w2 & 0x7fffffff;
    lsb = w1 & 1;
  } else if (P.bits === 53) {
    round = (w1 >>> 10) & 1;
    sticky = (w1 & 0x3ff) | w2;
    lsb = (w1 >>> 11) & 1;
  } else {
    round = (w0 >>> 7) & 1;
    sticky = (w0 & 0x7f) | w1 | w2;
    lsb = (w0 >>> 8) & 1;
  }
  const inexact = round !== 0 || sticky !== 0;
  let up = false;
  if (inexact) {
    const rc = P.rc;
    up = rc === 0 ? round !== 0 && (sticky !== 0 || lsb !== 0) : rc === 1 ? sign !== 0 : rc === 2 ? sign === 0 : false;
  }
  // Truncate to the kept bits, then add one unit in the last place.
  w2 = 0;
  if (P.bits === 53) w1 = (w1 & ~0x7ff) >>> 0;
  else if (P.bits === 24) {
    w1 = 0;
    w0 = (w0 & ~0xff) >>> 0;
  }
  if (up) {
    if (P.bits === 24) w0 += 0x100;
    else {
      w1 += P.bits === 53 ? 0x800 : 1;
      if (w1 >= TWO32) {
        w1 -= TWO32;
        w0 += 1;
      }
    }
    if (w0 >= TWO32) {
      w0 = 0x80000000;
      e++;
    }
  }
  X.c1 = up ? 1 : 0;
  if (tiny && (inexact || unmaskedUE)) X.flags |= UE;
  if (e > P.emax) {
    X.flags |= OE;
    if ((P.masks & OE) === 0 && e - WRAP <= P.emax) e -= WRAP;
    else {
      // Masked: ±∞ or the largest finite by RC; unmasked but too large even for the wrapped
      // exponent: ∞ (measured).
      X.flags |= PE;
      const toInf = (P.masks & OE) === 0 || P.rc === 0 || (P.rc === 1 && sign !== 0) || (P.rc === 2 && sign === 0);
      X.c1 = toInf ? 1 : 0;
      if (toInf) {
        set((sign << 15) | 0x7fff, 0x80000000, 0);
        return;
      }
      e = P.emax;
      w0 = P.bits === 24 ? 0xffffff00 : 0xffffffff;
      w1 = P.bits === 24 ? 0 : P.bits === 53 ? 0xfffff800 : 0xffffffff;
    }
  }
  if (inexact) X.flags |= PE;
  const biased = (w0 & 0x80000000) === 0 ? 0 : e + BIAS;
  set((sign << 15) | (biased & 0x7fff), w0, w1);
}

/** Rounds a finite extended value to P (used by loads into the stack and format conversions). */
export function roundExt(se: number, hi: number, lo: number): void {
  if (hi === 0 && lo === 0) {
    set(se & 0x8000, 0, 0);
    return;
  }
  unpackA(se, hi, lo);
  w0 = ha;
  w1 = la;
  w2 = 0;
  roundPack(se >>> 15, ea);
}

// ---- arithmetic -------------------------------------------------------------------------------

/** Common special-operand handling of binary operations; true when R already holds the result. */
function specials2(sa: number, hA: number, lA: number, sb: number, hB: number, lB: number, ka: number, kb: number, noDE = false): boolean {
  if (ka === K_BAD || kb === K_BAD) {
    X.flags |= IE;
    setIndefinite();
    return true;
  }
  if (ka >= K_QNAN || kb >= K_QNAN) {
    propagateNaN(sa, hA, lA, sb, hB, lB, ka, kb);
    return true;
  }
  if (!noDE && (isDenormal(sa, hA, lA) || isDenormal(sb, hB, lB))) {
    X.flags |= DE;
    // Unmasked: the instruction stops before computing anything (the caller leaves ST alone).
    if ((P.masks & DE) === 0) return true;
  }
  return false;
}

function invalid(): void {
  X.flags |= IE;
  setIndefinite();
}

/** a + b, or a − b when `negB`. */
export function add(sa: number, hA: number, lA: number, sb: number, hB: number, lB: number, negB: boolean): void {
  X.c1 = 0;
  const ka = kind(sa, hA, lA);
  const kb = kind(sb, hB, lB);
  if (specials2(sa, hA, lA, sb, hB, lB, ka, kb)) return;
  if (negB) sb ^= 0x8000;
  const signA = sa >>> 15;
  const signB = sb >>> 15;
  if (ka === K_INF || kb === K_INF) {
    if (ka === K_INF && kb === K_INF && signA !== signB) invalid();
    else set(ka === K_INF ? sa : sb, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO && kb === K_ZERO) {
    set(signA === signB ? sa & 0x8000 : P.rc === 1 ? 0x8000 : 0, 0, 0);
    return;
  }
  if (kb === K_ZERO) {
    roundExt(sa, hA, lA);
    return;
  }
  if (ka === K_ZERO) {
    roundExt(sb, hB, lB);
    return;
  }
  unpackA(sa, hA, lA);
  unpackB(sb, hB, lB);
  // Make A the operand of larger magnitude.
  let sign = signA;
  let otherSign = signB;
  if (eb > ea || (eb === ea && (hb > ha || (hb === ha && lb > la)))) {
    let t = ea;
    ea = eb;
    eb = t;
    t = ha;
    ha = hb;
    hb = t;
    t = la;
    la = lb;
    lb = t;
    sign = signB;
    otherSign = signA;
  }
  w0 = hb;
  w1 = lb;
  w2 = 0;
  shiftRightJam(ea - eb);
  let e = ea;
  if (sign === otherSign) {
    let x1 = la + w1;
    let x0 = ha + w0;
    if (x1 >= TWO32) {
      x1 -= TWO32;
      x0 += 1;
    }
    w1 = x1;
    if (x0 >= TWO32) {
      w0 = x0 - TWO32;
      shiftRightJam(1);
      w0 = (w0 | 0x80000000) >>> 0;
      e++;
    } else w0 = x0;
  } else {
    let x2 = -w2;
    let borrow = 0;
    if (x2 < 0) {
      x2 += TWO32;
      borrow = 1;
    }
    let x1 = la - w1 - borrow;
    borrow = 0;
    if (x1 < 0) {
      x1 += TWO32;
      borrow = 1;
    }
    const x0 = ha - w0 - borrow;
    w0 = x0;
    w1 = x1;
    w2 = x2;
    if (w0 === 0 && w1 === 0 && w2 === 0) {
      set(P.rc === 1 ? 0x8000 : 0, 0, 0);
      return;
    }
    e -= normalize();
  }
  roundPack(sign, e);
}

const ca = new Float64Array(4);
const cb = new Float64Array(4);
const limbs = new Float64Array(16);

/** limbs packed into 32-bit words (little-endian) by limbsToW. */
const words = new Int32Array(8);
let nWords = 0;

/** The 32 bits of `words` whose top bit is bit `pos` (bits below 0 read as zero). */
function bitsAt(pos: number): number {
  const low = pos - 31;
  if (low >= 0) {
    const q = low >> 5;
    const r = low & 31;
    const hi = r !== 0 && q + 1 < nWords ? words[q + 1] << (32 - r) : 0;
    return ((words[q] >>> r) | hi) >>> 0;
  }
  return low <= -32 ? 0 : (words[0] << -low) >>> 0;
}

/** Takes the top 96 bits of limbs[0..n) (16-bit, little-endian) into w with sticky; returns msb index. */
function limbsToW(n: number): number {
  nWords = (n + 1) >> 1;
  for (let j = 0; j < nWords; j++) words[j] = limbs[2 * j] | ((2 * j + 1 < n ? limbs[2 * j + 1] : 0) << 16);
  let t = nWords - 1;
  while (t > 0 && words[t] === 0) t--;
  const msb = t * 32 + 31 - Math.clz32(words[t]);
  w0 = bitsAt(msb);
  w1 = bitsAt(msb - 32);
  w2 = bitsAt(msb - 64);
  // Everything below the 96 bits taken is sticky.
  const low = msb - 95;
  if (low > 0) {
    const q = low >> 5;
    let sticky = words[q] & ((1 << (low & 31)) - 1);
    for (let j = 0; j < q; j++) sticky |= words[j];
    if (sticky !== 0) w2 = (w2 | 1) >>> 0;
  }
  return msb;
}

export function mul(sa: number, hA: number, lA: number, sb: number, hB: number, lB: number): void {
  X.c1 = 0;
  const ka = kind(sa, hA, lA);
  const kb = kind(sb, hB, lB);
  if (specials2(sa, hA, lA, sb, hB, lB, ka, kb)) return;
  const sign = (sa ^ sb) >>> 15;
  if (ka === K_INF || kb === K_INF) {
    if (ka === K_ZERO || kb === K_ZERO) invalid();
    else set((sign << 15) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO || kb === K_ZERO) {
    set(sign << 15, 0, 0);
    return;
  }
  unpackA(sa, hA, lA);
  unpackB(sb, hB, lB);
  ca[0] = la & 0xffff;
  ca[1] = la >>> 16;
  ca[2] = ha & 0xffff;
  ca[3] = ha >>> 16;
  cb[0] = lb & 0xffff;
  cb[1] = lb >>> 16;
  cb[2] = hb & 0xffff;
  cb[3] = hb >>> 16;
  limbs.fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) limbs[i + j] += ca[i] * cb[j];
  let carry = 0;
  for (let k = 0; k < 8; k++) {
    const v = limbs[k] + carry;
    limbs[k] = v % 65536;
    carry = Math.floor(v / 65536);
  }
  const msb = limbsToW(8);
  roundPack(sign, ea + eb + (msb - 126));
}

export function div(sa: number, hA: number, lA: number, sb: number, hB: number, lB: number): void {
  X.c1 = 0;
  const ka = kind(sa, hA, lA);
  const kb = kind(sb, hB, lB);
  // Division by zero reports ZE (or IE) without DE (measured).
  if (specials2(sa, hA, lA, sb, hB, lB, ka, kb, kb === K_ZERO)) return;
  const sign = (sa ^ sb) >>> 15;
  if (ka === K_INF) {
    if (kb === K_INF) invalid();
    else set((sign << 15) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (kb === K_INF) {
    set(sign << 15, 0, 0);
    return;
  }
  if (kb === K_ZERO) {
    if (ka === K_ZERO) invalid();
    else {
      X.flags |= ZE;
      set((sign << 15) | 0x7fff, 0x80000000, 0);
    }
    return;
  }
  if (ka === K_ZERO) {
    set(sign << 15, 0, 0);
    return;
  }
  unpackA(sa, hA, lA);
  unpackB(sb, hB, lB);
  let e = ea - eb;
  // Remainder as rh·2^32 + rl (rh may reach 2^33 transiently), one quotient bit per step.
  let rh = ha, rl = la;
  if (rh < hb || (rh === hb && rl < lb)) {
    rh = rh * 2 + (rl >= 0x80000000 ? 1 : 0);
    rl = rl >= 0x80000000 ? rl * 2 - TWO32 : rl * 2;
    e--;
  }
  w0 = w1 = w2 = 0;
  // 66 quotient bits (64 + guard + round) and the remainder as sticky are enough to round.
  for (let k = 0; k < 66; k++) {
    if (rh > hb || (rh === hb && rl >= lb)) {
      rl -= lb;
      rh -= hb;
      if (rl < 0) {
        rl += TWO32;
        rh -= 1;
      }
      const pos = 95 - k;
      if (pos >= 64) w0 = (w0 | (1 << (pos - 64))) >>> 0;
      else if (pos >= 32) w1 = (w1 | (1 << (pos - 32))) >>> 0;
      else w2 = (w2 | (1 << pos)) >>> 0;
    }
    rh = rh * 2 + (rl >= 0x80000000 ? 1 : 0);
    rl = rl >= 0x80000000 ? rl * 2 - TWO32 : rl * 2;
  }
  if (rh !== 0 || rl !== 0) w2 = (w2 | 1) >>> 0;
  roundPack(sign, e);
}

const rad = new Float64Array(16);
const root = new Float64Array(16);
const tmp = new Float64Array(16);
const NL = 14;

export function sqrt(sa: number, hA: number, lA: number): void {
  X.c1 = 0;
  const k = kind(sa, hA, lA);
  if (k === K_BAD) return invalid();
  if (k >= K_QNAN) return quietNaN(sa, hA, lA, k);
  if (k === K_ZERO) return set(sa, 0, 0);
  if ((sa & 0x8000) !== 0) return invalid();
  if (k === K_INF) return set(sa, hA, lA);
  if (isDenormal(sa, hA, lA)) {
    X.flags |= DE;
    if ((P.masks & DE) === 0) return;
  }
  unpackA(sa, hA, lA);
  // value = A·2^(ea-63); make the lsb exponent even, then take isqrt(A'·2^128).
  let lsbExp = ea - 63;
  const odd = (lsbExp & 1) !== 0;
  if (odd) lsbExp--;
  rad.fill(0);
  // A' = A << odd, placed at bit 128 (limb 8).
  let x0 = la, x1 = ha, extra = 0;
  if (odd) {
    extra = ha >>> 31;
    x1 = ((ha << 1) | (la >>> 31)) >>> 0;
    x0 = (la << 1) >>> 0;
  }
  rad[8] = x0 & 0xffff;
  rad[9] = x0 >>> 16;
  rad[10] = x1 & 0xffff;
  rad[11] = x1 >>> 16;
  rad[12] = extra;
  root.fill(0);
  tmp.fill(0);
  // Restoring digit-by-digit square root: rem = rem·4 + next pair; t = root·4 + 1.
  const rem = limbs;
  rem.fill(0);
  for (let pair = 97; pair >= 0; pair--) {
    shl(rem, 2);
    const bitPos = pair * 2;
    rem[0] += ((rad[bitPos >>> 4] >>> (bitPos & 15)) & 3);
    for (let l = 0; l < NL; l++) tmp[l] = root[l];
    shl(tmp, 2);
    tmp[0] += 1;
    shl(root, 1);
    if (cmp(rem, tmp) >= 0) {
      sub(rem, tmp);
      root[0] += 1;
    }
  }
  let remNonzero = false;
  for (let l = 0; l < NL; l++) if (rem[l] !== 0) remNonzero = true;
  for (let l = 0; l < NL; l++) limbs[l] = root[l];
  const msb = limbsToW(NL);
  if (remNonzero) w2 = (w2 | 1) >>> 0;
  // root = sqrt(A'·2^128) → value = root·2^(lsbExp/2 − 64); its top bit has exponent msb + that.
  roundPack(0, msb + lsbExp / 2 - 64);
}

function shl(a: Float64Array, n: number): void {
  let carry = 0;
  for (let l = 0; l < NL; l++) {
    const v = a[l] * (1 << n) + carry;
    a[l] = v % 65536;
    carry = Math.floor(v / 65536);
  }
}

function cmp(a: Float64Array, b: Float64Array): number {
  for (let l = NL - 1; l >= 0; l--) if (a[l] !== b[l]) return a[l] > b[l] ? 1 : -1;
  return 0;
}

function sub(a: Float64Array, b: Float64Array): void {
  let borrow = 0;
  for (let l = 0; l < NL; l++) {
    let v = a[l] - b[l] - borrow;
    borrow = 0;
    if (v < 0) {
      v += 65536;
      borrow = 1;
    }
    a[l] = v;
  }
}

/** sign × 2^n × a (FSCALE's core); n is clamped far beyond any finite result's range. */
export function scale(sa: number, hA: number, lA: number, n: number): void {
  X.c1 = 0;
  unpackA(sa, hA, lA);
  w0 = ha;
  w1 = la;
  w2 = 0;
  if (n > 70000) n = 70000;
  if (n < -70000) n = -70000;
  roundPack(sa >>> 15, ea + n);
}

/** Packs an exact (already ≤ 64-bit) magnitude hi:lo with exponent of bit 63 = e, rounded to P. */
export function fromSig(sign: number, e: number, hi: number, lo: number): void {
  if (hi === 0 && lo === 0) return set(sign << 15, 0, 0);
  w0 = hi >>> 0;
  w1 = lo >>> 0;
  w2 = 0;
  e -= normalize();
  roundPack(sign, e);
}

// ---- comparisons and integer rounding --------------------------------------------------------

/** Compares finite/inf non-NaN values: −1, 0, 1. */
export function compare(sa: number, hA: number, lA: number, sb: number, hB: number, lB: number): number {
  const ka = kind(sa, hA, lA);
  const kb = kind(sb, hB, lB);
  if (ka === K_ZERO && kb === K_ZERO) return 0;
  const signA = ka === K_ZERO ? (kb === K_ZERO ? 0 : (sb >>> 15) ^ 1) : sa >>> 15;
  const signB = kb === K_ZERO ? signA ^ 1 : sb >>> 15;
  if (ka === K_ZERO) return signB ? 1 : -1;
  if (kb === K_ZERO) return signA ? -1 : 1;
  if (signA !== signB) return signA ? -1 : 1;
  let m: number;
  if (ka === K_INF || kb === K_INF) m = ka === kb ? 0 : ka === K_INF ? 1 : -1;
  else {
    unpackA(sa, hA, lA);
    unpackB(sb, hB, lB);
    m = ea !== eb ? (ea > eb ? 1 : -1) : ha !== hb ? (ha > hb ? 1 : -1) : la !== lb ? (la > lb ? 1 : -1) : 0;
  }
  return signA ? -m : m;
}

/** Integer rounding result: the magnitude hi:lo, or `big` when it needs more than 64 bits. */
export const I = { hi: 0, lo: 0, big: false, inexact: false, up: false };

/** Rounds a finite value to an integer magnitude by rc (sign matters for directed modes). */
export function roundToInt(se: number, hi: number, lo: number, rc: number): void {
  I.big = false;
  I.inexact = false;
  I.up = false;
  if (hi === 0 && lo === 0) {
    I.hi = I.lo = 0;
    return;
  }
  unpackA(se, hi, lo);
  const sign = se >>> 15;
  if (ea >= 64) {
    I.big = true;
    return;
  }
  let round: number, sticky: number, ih: number, il: number;
  if (ea >= 63) {
    I.hi = ha;
    I.lo = la;
    return;
  }
  if (ea < 0) {
    round = ea === -1 ? 1 : 0;
    sticky = ea === -1 ? ((ha & 0x7fffffff) | la) : 1;
    ih = il = 0;
  } else {
    // The integer part is the top ea+1 bits; the lowest f bits of ha:la are the fraction.
    const f = 63 - ea; // 1..63
    if (f >= 32) {
      const fh = f - 32; // fraction bits within ha
      round = fh === 0 ? la >>> 31 : (ha >>> (fh - 1)) & 1;
      sticky = fh === 0 ? la & 0x7fffffff : (ha & ((1 << (fh - 1)) - 1)) | la;
      il = fh === 0 ? ha : ha >>> fh;
      ih = 0;
    } else {
      round = (la >>> (f - 1)) & 1;
      sticky = f === 1 ? 0 : la & ((1 << (f - 1)) - 1);
      il = ((la >>> f) | (ha << (32 - f))) >>> 0;
      ih = ha >>> f;
    }
  }
  I.inexact = round !== 0 || sticky !== 0;
  let up = false;
  if (I.inexact) up = rc === 0 ? round !== 0 && (sticky !== 0 || (il & 1) !== 0) : rc === 1 ? sign !== 0 : rc === 2 ? sign === 0 : false;
  if (up) {
    il += 1;
    if (il >= TWO32) {
      il -= TWO32;
      ih += 1;
    }
  }
  I.up = up;
  I.hi = ih >>> 0;
  I.lo = il >>> 0;
}
