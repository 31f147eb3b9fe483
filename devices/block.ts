/**
 * A block device backed by a host file (or device node) opened read-write. I/O is positional and
 * synchronous, so every completed guest write is on the file before the guest sees OK.
 */
import * as fs from 'node:fs';
import { TenderError } from '../solo5-abi/errors.js';
import { strerror } from '../src/strerror.js';

export class BlockDevice {
  private constructor(readonly path: string, readonly fd: number, readonly capacity: number) {}

  static open(path: string): BlockDevice {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r+');
    } catch (e) {
      throw new TenderError(`Could not open block device: ${path}: ${strerror(e)}`);
    }
    let capacity: number;
    try {
      const st = fs.fstatSync(fd);
      capacity = st.isBlockDevice() ? blockDeviceSize(path) : st.size;
    } catch {
      fs.closeSync(fd);
      throw new TenderError(`${path}: Could not determine capacity`);
    }
    return new BlockDevice(path, fd, capacity);
  }

  /** Reads exactly `length` bytes at file `offset` into buffer[start…]; short or failed is fatal. */
  read(buffer: Uint8Array, start: number, length: number, offset: number): void {
    let n: number;
    try {
      n = fs.readSync(this.fd, buffer, start, length, offset);
    } catch (e) {
      throw new TenderError(`Fatal error when reading: ${strerror(e)}`);
    }
    if (n !== length) throw new TenderError(`Fatal error: read only ${n} out of ${length} bytes`);
  }

  /** Writes buffer[start, start + length) at file `offset`; short or failed is fatal. */
  write(buffer: Uint8Array, start: number, length: number, offset: number): void {
    let n: number;
    try {
      n = fs.writeSync(this.fd, buffer, start, length, offset);
    } catch (e) {
      throw new TenderError(`Fatal error when writing: ${strerror(e)}`);
    }
    if (n !== length) throw new TenderError(`Fatal error: wrote only ${n} out of ${length} bytes`);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/** fstat reports 0 bytes for a block device node; the kernel publishes its size in sectors. */
function blockDeviceSize(path: string): number {
  const name = fs.realpathSync(path).split('/').pop() ?? '';
  return Number(fs.readFileSync(`/sys/class/block/${name}/size`, 'utf8').trim()) * 512;
}
