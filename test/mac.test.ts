import { describe, expect, it } from 'vitest';
import { formatMac, parseMac, randomMac } from '../devices/mac.js';

describe('parseMac', () => {
  it('reads six hex octets of one or two digits, either case', () => {
    expect(parseMac('42:af:A2:0:1:FF')).toEqual(Uint8Array.of(0x42, 0xaf, 0xa2, 0, 1, 0xff));
    expect(parseMac('0:0:0:0:0:0')).toEqual(new Uint8Array(6));
  });

  it.each([
    '',
    '42:af:a2:00:01',
    '42:af:a2:00:01:ff:00',
    '42:af:a2:00:01:',
    '42::a2:00:01:ff',
    '42:af:a2:000:01:ff',
    '42-af-a2-00-01-ff',
    '42:af:g2:00:01:ff',
    ' 42:af:a2:00:01:ff',
    '42:af:a2:00:01:ff ',
    '+2:af:a2:00:01:ff',
  ])('rejects %j', (text) => {
    expect(parseMac(text)).toBeNull();
  });
});

describe('formatMac', () => {
  it('writes lower-case, zero-padded octets that parse back to the same address', () => {
    const mac = Uint8Array.of(0x02, 0xab, 0x0c, 0, 0xff, 9);
    expect(formatMac(mac)).toBe('02:ab:0c:00:ff:09');
    expect(parseMac(formatMac(mac))).toEqual(mac);
  });

  it('refuses anything but six octets', () => {
    expect(() => formatMac(new Uint8Array(5))).toThrow(RangeError);
  });
});

describe('randomMac', () => {
  it('is a unicast, locally administered address', () => {
    for (let i = 0; i < 64; i++) {
      const mac = randomMac();
      expect(mac).toHaveLength(6);
      expect(mac[0]! & 0x01).toBe(0);
      expect(mac[0]! & 0x02).toBe(2);
    }
  });

  it('differs between calls', () => {
    const seen = new Set(Array.from({ length: 16 }, () => formatMac(randomMac())));
    expect(seen.size).toBe(16);
  });
});
