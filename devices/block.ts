/**
 * A block device backed by a host file (or device node) opened read-write. I/O is positional and
 * synchronous, so every completed guest write is on the file before the guest sees OK.
 *
 * Reads smaller than READ_AHEAD are served from a read-ahead window: a guest reading 512-byte
 * sectors one by one costs one pread per 64 KiB instead of one per sector (the system call was
 * most of the time of such a read). The tender's own writes drop an overlapping window; a file
 * changed behind the tender's back may be seen up to one window late.
 */
import * as fs from 'node:fs';
import { TenderError } from '../solo5-abi/errors.js';
import { strerror } from '../src/strerror.js';

const READ_AHEAD = 64 * 1024;

export class BlockDevice {
  private readonly window = Buffer.allocUnsafeSlow(READ_AHEAD);
  /** File offset and length of the valid bytes in `window` (length 0: empty). */
  private windowStart = 0;
  private windowLength = 0;

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
    if (length < READ_AHEAD) {
      if (offset < this.windowStart || offset + length > this.windowStart + this.windowLength) this.readAhead(offset);
      const from = offset - this.windowStart;
      if (from >= 0 && from + length <= this.windowLength) {
        this.window.copy(buffer, start, from, from + length);
        return;
      }
    }
    this.readDirect(buffer, start, length, offset);
  }

  /** Refills the window from `offset` (up to the capacity). */
  private readAhead(offset: number): void {
    this.windowLength = 0;
    this.readDirect(this.window, 0, Math.min(READ_AHEAD, this.capacity - offset), offset);
    this.windowStart = offset;
    this.windowLength = Math.min(READ_AHEAD, this.capacity - offset);
  }

  private readDirect(buffer: Uint8Array, start: number, length: number, offset: number): void {
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
    if (offset < this.windowStart + this.windowLength && this.windowStart < offset + length) this.windowLength = 0;
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
