import { describe, expect, it } from 'vitest';
import { GuestMemory, PAGE_HAS_CODE, PAGE_HOST_READONLY } from '../cpu/memory.js';

describe('GuestMemory', () => {
  it('allocates 4 GiB lazily and zero-filled', () => {
    const mem = new GuestMemory(2 ** 32);
    expect(mem.u8[2 ** 32 - 1]).toBe(0);
    mem.u8[2 ** 32 - 1] = 7;
    expect(mem.view.getUint8(2 ** 32 - 1)).toBe(7);
    expect(mem.pageFlags.length).toBe(2 ** 20);
    mem.protectReadOnly(2 ** 32 - 0x2000, 2 ** 32);
    expect([...mem.pageFlags.subarray(-3)]).toEqual([0, PAGE_HOST_READONLY, PAGE_HOST_READONLY]);
  });

  it('reports writes to pages holding decoded code, once', () => {
    const mem = new GuestMemory(1 << 20);
    const seen: number[] = [];
    mem.codeWriteListener = (p) => seen.push(p);
    mem.pageFlags[3] |= PAGE_HAS_CODE;
    mem.written(0x2ff0, 0x20);
    mem.written(0x3000, 4);
    expect(seen).toEqual([3]);
  });

  it('protects and unprotects page ranges', () => {
    const mem = new GuestMemory(1 << 20);
    mem.protectReadOnly(0x1000, 0x3000);
    expect([...mem.pageFlags.subarray(0, 4)].map((f) => f & PAGE_HOST_READONLY)).toEqual([0, 1, 1, 0]);
    mem.unprotectAll();
    expect(mem.pageFlags[1]).toBe(0);
  });
});
