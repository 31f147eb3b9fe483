// FdWaiter on real fds: FIFOs for exact control, a real tap for a queued frame.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FdWaiter, MAX_WAIT_FDS } from '../devices/fd-wait.js';
import { TapDevice } from '../devices/tap.js';
import { ping } from './support/flood-ping.js';
import { createTap } from './support/tap-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-wait-'));
const openFds: number[] = [];
let fifoCount = 0;
let waiter: FdWaiter;

/** A FIFO opened for reading and writing: readable exactly while bytes are queued in it. */
function fifo(): number {
  const path = join(dir, `fifo${fifoCount++}`);
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, 'r+');
  openFds.push(fd);
  return fd;
}

function elapsedMs(since: number): number {
  return performance.now() - since;
}

beforeAll(() => {
  waiter = new FdWaiter();
});

afterEach(() => {
  for (const fd of openFds.splice(0)) closeSync(fd);
});

afterAll(() => {
  waiter.close();
  rmSync(dir, { recursive: true });
});

describe('FdWaiter.readableMask', () => {
  it('sets bit i exactly for the fds[i] that have data queued, for as long as it stays queued', () => {
    const fds = [fifo(), fifo(), fifo()];
    expect(waiter.readableMask(fds)).toBe(0);
    writeSync(fds[1]!, 'a');
    writeSync(fds[2]!, 'b');
    expect(waiter.readableMask(fds)).toBe(0b110);
    expect(waiter.readableMask(fds)).toBe(0b110); // level, not edge
    readSync(fds[1]!, new Uint8Array(1));
    expect(waiter.readableMask(fds)).toBe(0b100);
    expect(waiter.readableMask([])).toBe(0);
  });

  it('reports an fd that is not open, so that its reader meets the error instead of waiting forever', () => {
    expect(waiter.readableMask([fifo(), 999_999])).toBe(0b10);
  });

  it(`accepts at most ${MAX_WAIT_FDS} fds`, () => {
    const fd = fifo();
    expect(waiter.readableMask(new Array<number>(MAX_WAIT_FDS).fill(fd))).toBe(0);
    expect(() => waiter.readableMask(new Array<number>(MAX_WAIT_FDS + 1).fill(fd))).toThrow(RangeError);
  });

  it('reports a tap with a queued frame', async () => {
    const fixture = createTap('tnet3', { address: '10.77.3.1/24' });
    const tap = TapDevice.open('tnet3');
    try {
      const pinging = ping('10.77.3.2', 1, ['-W', '1']); // queues an ARP request on the tap
      const fds = [fifo(), tap.fd];
      const mask = await waiter.wait(fds, 5e9);
      expect(mask).toBe(0b10);
      expect(waiter.readableMask(fds)).toBe(0b10);
      expect(tap.read(new Uint8Array(1514))).toBe(42);
      await pinging;
    } finally {
      tap.close();
      fixture.remove();
    }
  });
});

describe('FdWaiter.wait', () => {
  it('resolves at once with the mask when data is already queued', async () => {
    const fds = [fifo(), fifo()];
    writeSync(fds[0]!, 'x');
    expect(await waiter.wait(fds, 10e9)).toBe(0b01);
  });

  it('resolves with the mask when data arrives during the wait', async () => {
    const fds = [fifo(), fifo()];
    setTimeout(() => writeSync(fds[1]!, 'x'), 50);
    const started = performance.now();
    expect(await waiter.wait(fds, 10e9)).toBe(0b10);
    expect(elapsedMs(started)).toBeLessThan(10_000);
  });

  it('resolves with 0 after no less than the timeout', async () => {
    const fd = fifo();
    let started = performance.now();
    expect(await waiter.wait([fd], 50e6)).toBe(0);
    expect(elapsedMs(started)).toBeGreaterThanOrEqual(50);
    started = performance.now();
    expect(await waiter.wait([], 20_500_000)).toBe(0); // no fds: a plain sleep, sub-millisecond part kept
    expect(elapsedMs(started)).toBeGreaterThanOrEqual(20.5);
  });

  it('returns the current mask for a zero or negative timeout', async () => {
    const fds = [fifo(), fifo()];
    expect(await waiter.wait(fds, 0)).toBe(0);
    expect(await waiter.wait(fds, -5)).toBe(0);
    writeSync(fds[1]!, 'x');
    expect(await waiter.wait(fds, 0)).toBe(0b10);
  });

  it('leaves the event loop free while it waits', async () => {
    let timerFired = false;
    setTimeout(() => (timerFired = true), 50);
    await waiter.wait([fifo()], 300e6);
    expect(timerFired).toBe(true);
  });

  it('allows one pending wait at a time', async () => {
    const fd = fifo();
    const first = waiter.wait([fd], 30e6);
    await expect(waiter.wait([fd], 30e6)).rejects.toThrow(/pending/);
    expect(await first).toBe(0);
    expect(await waiter.wait([fd], 1e6)).toBe(0);
  });
});

describe('FdWaiter.wake', () => {
  it('cuts a long wait short', async () => {
    const fd = fifo();
    setTimeout(() => waiter.wake(), 50);
    const started = performance.now();
    expect(await waiter.wait([fd], 20e9)).toBe(0);
    expect(elapsedMs(started)).toBeLessThan(20_000);
  });

  it('ends a wait for as long as a guest may ask (2 ** 64 ns)', async () => {
    setTimeout(() => waiter.wake(), 20);
    expect(await waiter.wait([fifo()], 2 ** 64)).toBe(0);
  });

  it('does nothing when no wait is pending', async () => {
    waiter.wake();
    const started = performance.now();
    expect(await waiter.wait([fifo()], 30e6)).toBe(0);
    expect(elapsedMs(started)).toBeGreaterThanOrEqual(30);
  });
});

describe('FdWaiter.close', () => {
  it('wakes a pending wait and refuses new ones', async () => {
    const own = new FdWaiter();
    const started = performance.now();
    const pending = own.wait([fifo()], 20e9);
    own.close();
    expect(await pending).toBe(0);
    expect(elapsedMs(started)).toBeLessThan(20_000);
    await expect(own.wait([], 1e6)).rejects.toThrow(/closed/);
  });
});
