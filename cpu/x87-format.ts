/**
 * Conversion between doubles and the x87 80-bit extended format (sign, 15-bit exponent, 64-bit
 * significand with an explicit integer bit), for FLD/FSTP m80, FSAVE/FRSTOR and FXSAVE images.
 */
const TWO32 = 4294967296;
const cv = new DataView(new ArrayBuffer(8));

/** Writes `v` as an 80-bit extended value at out[off..off+10). */
export function doubleToExt(v: number, out: Uint8Array, off: number): void {
  cv.setFloat64(0, v, true);
  const lo = cv.getUint32(0, true);
  const hi = cv.getUint32(4, true);
  const sign = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  let mHi = ((hi & 0xfffff) << 11) | (lo >>> 21);
  let mLo = (lo << 11) >>> 0;
  let ex: number;
  if (e === 0x7ff) {
    ex = 0x7fff;
    mHi = (mHi | 0x80000000) >>> 0;
  } else if (e === 0) {
    if (mHi === 0 && mLo === 0) ex = 0;
    else {
      // Denormal double: normalise (extended has the exponent range for it).
      ex = 1 - 1023 + 16383;
      while ((mHi & 0x80000000) === 0) {
        mHi = ((mHi << 1) | (mLo >>> 31)) >>> 0;
        mLo = (mLo << 1) >>> 0;
        ex--;
      }
    }
  } else {
    ex = e - 1023 + 16383;
    mHi = (mHi | 0x80000000) >>> 0;
  }
  const d = new DataView(out.buffer, out.byteOffset + off, 10);
  d.setUint32(0, mLo, true);
  d.setUint32(4, mHi >>> 0, true);
  d.setUint16(8, (sign << 15) | ex, true);
}

export function extToDouble(b: Uint8Array, off: number): number {
  const d = new DataView(b.buffer, b.byteOffset + off, 10);
  const mLo = d.getUint32(0, true);
  const mHi = d.getUint32(4, true);
  const se = d.getUint16(8, true);
  const neg = (se & 0x8000) !== 0;
  const ex = se & 0x7fff;
  let v: number;
  if (ex === 0x7fff) {
    if ((mHi & 0x7fffffff) === 0 && mLo === 0) v = Infinity;
    else {
      // NaN: keep the top payload bits.
      cv.setUint32(4, (neg ? 0x80000000 : 0) | 0x7ff00000 | ((mHi >>> 11) & 0xfffff), true);
      cv.setUint32(0, ((mHi << 21) | (mLo >>> 11)) >>> 0, true);
      return cv.getFloat64(0, true);
    }
  } else v = (mHi * TWO32 + mLo) * Math.pow(2, ex - 16383 - 63);
  return neg ? -v : v;
}

