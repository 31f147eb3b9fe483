// Waiting for host file descriptors (the tap devices) on behalf of the guest's POLL hypercall.
// The blocking wait runs ppoll on one of koffi's worker threads, so the event loop (gdb, timers)
// stays free while the guest sleeps; an eventfd in the set lets wake() cut the sleep short.
import { errno, lastErrno, libc, nativeBuffer, type NativeBuffer } from './libc.js';

/** Bit i of the mask is a JS number; it stays exact up to 2 ** 53. */
export const MAX_WAIT_FDS = 53;

const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }
const POLLIN = 0x1;
// A read on an fd in error or hang-up does not block either: report it, so the reader sees the error.
const READABLE = POLLIN | 0x8 /* POLLERR */ | 0x10 /* POLLHUP */ | 0x20 /* POLLNVAL */;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const TIMESPEC_SIZE = 16; // struct timespec { int64 tv_sec; long tv_nsec; }

interface PendingWait {
  readonly count: number;
  readonly deadlineMs: number;
  readonly resolve: (mask: number) => void;
  readonly reject: (error: Error) => void;
}

export class FdWaiter {
  private readonly eventFd: number;
  private readonly eventCounter = new Uint8Array(8);
  private readonly wakeValue = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);

  // Used by readableMask on the main thread.
  private readonly syncSet = new Uint8Array(MAX_WAIT_FDS * POLLFD_SIZE);
  private readonly syncInts = new Int32Array(this.syncSet.buffer);
  private readonly syncShorts = new Int16Array(this.syncSet.buffer);

  // Used by the worker thread during wait(): native memory, which the garbage collector never moves.
  private readonly asyncSet: NativeBuffer;
  private readonly asyncInts: Int32Array;
  private readonly asyncShorts: Int16Array;
  private readonly timespec: NativeBuffer;
  private readonly timespecInts: Int32Array;

  private pending: PendingWait | null = null;
  private closed = false;

  constructor() {
    this.eventFd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.eventFd < 0) throw new Error(`eventfd: ${libc.strerror(lastErrno())}`);
    this.asyncSet = nativeBuffer((MAX_WAIT_FDS + 1) * POLLFD_SIZE);
    this.asyncInts = new Int32Array(this.asyncSet.memory);
    this.asyncShorts = new Int16Array(this.asyncSet.memory);
    this.timespec = nativeBuffer(TIMESPEC_SIZE);
    this.timespecInts = new Int32Array(this.timespec.memory);
  }

  /** Bit i is set if fds[i] can be read without blocking, right now. */
  readableMask(fds: readonly number[]): number {
    const count = checkedCount(fds);
    const ints = this.syncInts;
    const shorts = this.syncShorts;
    for (let i = 0; i < count; i++) {
      ints[i * 2] = fds[i]!;
      shorts[i * 4 + 2] = POLLIN;
      shorts[i * 4 + 3] = 0;
    }
    let ready = libc.poll(this.syncSet, count, 0);
    while (ready < 0 && lastErrno() === errno.EINTR) ready = libc.poll(this.syncSet, count, 0);
    if (ready < 0) throw new Error(`poll: ${libc.strerror(lastErrno())}`);
    return ready === 0 ? 0 : readableBits(shorts, count);
  }

  /**
   * Resolves with the readable mask as soon as one of fds is readable, or with 0 when timeoutNs
   * has passed or wake() was called. Only one wait may be pending at a time.
   */
  wait(fds: readonly number[], timeoutNs: number): Promise<number> {
    if (this.closed) return Promise.reject(new Error('FdWaiter is closed'));
    if (this.pending !== null) return Promise.reject(new Error('FdWaiter already has a pending wait'));
    const ready = this.readableMask(fds);
    if (ready !== 0 || !(timeoutNs > 0)) return Promise.resolve(ready);

    const count = fds.length;
    const ints = this.asyncInts;
    const shorts = this.asyncShorts;
    for (let i = 0; i <= count; i++) {
      ints[i * 2] = i < count ? fds[i]! : this.eventFd;
      shorts[i * 4 + 2] = POLLIN;
      shorts[i * 4 + 3] = 0;
    }
    return new Promise<number>((resolve, reject) => {
      this.pending = { count, deadlineMs: performance.now() + timeoutNs / 1e6, resolve, reject };
      this.startPoll(timeoutNs);
    });
  }

  /** Makes a pending wait resolve (with the mask of what is readable, usually 0) now. No effect otherwise. */
  wake(): void {
    if (this.pending !== null) libc.write(this.eventFd, this.wakeValue, 8);
  }

  /** Releases the eventfd; a pending wait is woken first and resolves. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending !== null) this.wake();
    else this.release();
  }

  private startPoll(timeoutNs: number): void {
    const seconds = Math.floor(timeoutNs / 1e9);
    this.timespecInts[0] = seconds % 2 ** 32;
    this.timespecInts[1] = Math.floor(seconds / 2 ** 32);
    this.timespecInts[2] = Math.floor(timeoutNs - seconds * 1e9);
    this.timespecInts[3] = 0;
    libc.ppoll.async(this.asyncSet.pointer, this.pending!.count + 1, this.timespec.pointer, null, this.onPolled);
  }

  private readonly onPolled = (error: unknown, result: number): void => {
    const pending = this.pending!;
    if (error === null && result < 0 && lastErrno() === errno.EINTR && !this.closed) {
      const remainingNs = (pending.deadlineMs - performance.now()) * 1e6;
      if (remainingNs > 0) {
        this.startPoll(remainingNs);
        return;
      }
      result = 0;
    }
    this.pending = null;
    libc.read(this.eventFd, this.eventCounter, 8); // consume a wake; EAGAIN when there was none
    const failure =
      error !== null
        ? error instanceof Error
          ? error
          : new Error(String(error))
        : result < 0
          ? new Error(`ppoll: ${libc.strerror(lastErrno())}`)
          : null;
    const mask = result > 0 ? readableBits(this.asyncShorts, pending.count) : 0;
    if (this.closed) this.release();
    if (failure !== null) pending.reject(failure);
    else pending.resolve(mask);
  };

  private release(): void {
    libc.close(this.eventFd);
    this.asyncSet.free();
    this.timespec.free();
  }
}

function checkedCount(fds: readonly number[]): number {
  if (fds.length > MAX_WAIT_FDS) throw new RangeError(`at most ${MAX_WAIT_FDS} fds can be waited for`);
  return fds.length;
}

function readableBits(shorts: Int16Array, count: number): number {
  let mask = 0;
  for (let i = 0; i < count; i++) if ((shorts[i * 4 + 3]! & READABLE) !== 0) mask += 2 ** i;
  return mask;
}
