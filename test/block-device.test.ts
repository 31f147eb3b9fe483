/**
 * The block device's read-ahead window against a real file: reads see the tender's own writes,
 * reads straddle and outrun the window, the last bytes of the device read correctly, and large
 * reads bypass the window.
 */
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockDevice } from '../devices/block.js';
import { tempDir, writeFile } from './support/tender.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** A file of `size` bytes whose byte k is a hash of k. */
function pattern(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k++) b[k] = (k * 2654435761) >>> 24;
  return b;
}

function readBack(disk: BlockDevice, offset: number, length: number): Buffer {
  const out = new Uint8Array(length + 16);
  disk.read(out, 8, length, offset);
  return Buffer.from(out.subarray(8, 8 + length));
}

describe('block device read-ahead', () => {
  const size = 200 * 1024 + 512;
  const content = pattern(size);

  it('returns the file bytes for sector reads across and beyond window boundaries', () => {
    const disk = BlockDevice.open(writeFile(tmp.dir, 'a.img', content));
    try {
      for (let off = 0; off < size; off += 512) expect(readBack(disk, off, 512)).toEqual(content.subarray(off, off + 512));
      // Backwards, straddling 64 KiB, and the very last bytes.
      expect(readBack(disk, 65536 - 100, 300)).toEqual(content.subarray(65536 - 100, 65536 + 200));
      expect(readBack(disk, 1000, 512)).toEqual(content.subarray(1000, 1512));
      expect(readBack(disk, size - 7, 7)).toEqual(content.subarray(size - 7));
      // Larger than the window: read directly.
      expect(readBack(disk, 4096, 100_000)).toEqual(content.subarray(4096, 104_096));
    } finally {
      disk.close();
    }
  });

  it('sees its own writes in a window read before them', () => {
    const path = writeFile(tmp.dir, 'b.img', content);
    const disk = BlockDevice.open(path);
    try {
      expect(readBack(disk, 512, 512)).toEqual(content.subarray(512, 1024));
      const sector = Buffer.alloc(512, 0xa5);
      disk.write(sector, 0, 512, 1024);
      expect(readBack(disk, 1024, 512)).toEqual(sector);
      expect(readBack(disk, 512, 512)).toEqual(content.subarray(512, 1024));
      expect(fs.readFileSync(path).subarray(1024, 1536)).toEqual(sector);
    } finally {
      disk.close();
    }
  });
});
