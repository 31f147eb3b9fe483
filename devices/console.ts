/**
 * The guest console: raw bytes to the tender's stdout, written synchronously so that output and
 * exit status are ordered as the guest issued them. A non-blocking stdout (a pipe set so by a
 * parent) may refuse bytes with EAGAIN; we wait briefly and retry instead of losing them.
 */
import * as fs from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

export class Console {
  constructor(private readonly fd = 1) {}

  /** Writes bytes[start, start + length) completely. */
  write(bytes: Uint8Array, start = 0, length = bytes.length - start): void {
    let done = 0;
    while (done < length) {
      try {
        done += fs.writeSync(this.fd, bytes, start + done, length - done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  }
}
