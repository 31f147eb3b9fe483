/** Hex and binary encodings used inside gdb remote protocol packets. */

const HEX_DIGITS = '0123456789abcdef';

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15];
  return out;
}

/** Decodes an even-length hex string; null if it is malformed. */
export function hexToBytes(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** A hex number as gdb writes addresses and lengths; null if malformed or wider than 64 bits. */
export function parseHexNumber(text: string): bigint | null {
  if (!/^[0-9a-fA-F]+$/.test(text)) return null;
  const value = BigInt('0x' + text);
  return value >> 64n === 0n ? value : null;
}

/** Two lowercase hex digits. */
export function hexByte(value: number): string {
  return HEX_DIGITS[(value >> 4) & 15] + HEX_DIGITS[value & 15];
}

/** Little-endian bytes of an unsigned value, `size` bytes wide (the target's register order). */
export function littleEndian(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function fromLittleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** Bytes that must be escaped in binary packet data: '#', '$', '}' and '*'. */
function needsEscape(b: number): boolean {
  return b === 0x23 || b === 0x24 || b === 0x7d || b === 0x2a;
}

/** Binary data as it travels in a packet: special bytes become '}' followed by the byte XOR 0x20. */
export function escapeBinary(data: Uint8Array): Buffer {
  const out: number[] = [];
  for (const b of data) {
    if (needsEscape(b)) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  return Buffer.from(out);
}

export function unescapeBinary(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x7d && i + 1 < data.length) out.push(data[++i] ^ 0x20);
    else out.push(data[i]);
  }
  return Uint8Array.from(out);
}
