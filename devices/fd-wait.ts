// Waiting for host file descriptors (the tap devices) on behalf of the guest's POLL hypercall.
// The blocking wait runs ppoll on one of koffi's worker threads, so the event loop (gdb, timers)
// stays free while the guest sleeps. As in solo5-hvt, the timeout is a timerfd in the poll set:
// it fires on time (ppoll's own timeout gets 0.1 % kernel slack) and survives EINTR retries.
// An eventfd in the set lets wake() cut the sleep short.
import { errno, lastErrno, libc, nativeBuffer, type NativeBuffer } from './libc.js';

/** Bit i of the mask is a JS number; it stays exact up to 2 ** 53. */
export const MAX_WAIT_FDS = 53;

const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }
const POLLIN = 0x1;
// A read on an fd in error or hang-up does not block either: report it, so the reader sees the error.
const READABLE = POLLIN | 0x8 /* POLLERR */ | 0x10 /* POLLHUP */ | 0x20 /* POLLNVAL */;
const NONBLOCK = 0o4000;
const CLOEXEC = 0o2000000;
const CLOCK_MONOTONIC = 1;
const ITIMERSPEC_SIZE = 32; // { timespec it_interval; timespec it_value; }, timespec = { int64 sec; long nsec; }

interface PendingWait {
  readonly count: number;
  readonly resolve: (mask: number) => void;
  readonly reject: (error: Error) => void;
}

export class FdWaiter {
  private readonly eventFd: number;
  private readonly timerFd: number;
  private readonly drainBuffer = new Uint8Array(8);
  private readonly wakeValue = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);
  private readonly timerSpec = new Uint8Array(ITIMERSPEC_SIZE);
  private readonly timerSpecInts = new Int32Array(this.timerSpec.buffer);

  // Used by readableMask on the main thread.
  private readonly syncSet = new Uint8Array(MAX_WAIT_FDS * POLLFD_SIZE);
  private readonly syncInts = new Int32Array(this.syncSet.buffer);
  private readonly syncShorts = new Int16Array(this.syncSet.buffer);

  // Used by the worker thread during wait(): native memory, which the garbage collector never moves.
  // Layout: the caller's fds, then the timerfd, then the eventfd.
  private readonly asyncSet: NativeBuffer;
  private readonly asyncInts: Int32Array;
  private readonly asyncShorts: Int16Array;

  private pending: PendingWait | null = null;
  private closed = false;

  constructor() {
    this.eventFd = libc.eventfd(0, NONBLOCK | CLOEXEC);
    if (this.eventFd < 0) throw new Error(`eventfd: ${libc.strerror(lastErrno())}`);
    this.timerFd = libc.timerfdCreate(CLOCK_MONOTONIC, NONBLOCK | CLOEXEC);
    if (this.timerFd < 0) {
      const code = lastErrno();
      libc.close(this.eventFd);
      throw new Error(`timerfd_create: ${libc.strerror(code)}`);
    }
    this.asyncSet = nativeBuffer((MAX_WAIT_FDS + 2) * POLLFD_SIZE);
    this.asyncInts = new Int32Array(this.asyncSet.memory);
    this.asyncShorts = new Int16Array(this.asyncSet.memory);
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

    this.armTimer(timeoutNs);
    const count = fds.length;
    const ints = this.asyncInts;
    const shorts = this.asyncShorts;
    for (let i = 0; i < count + 2; i++) {
      ints[i * 2] = i < count ? fds[i]! : i === count ? this.timerFd : this.eventFd;
      shorts[i * 4 + 2] = POLLIN;
      shorts[i * 4 + 3] = 0;
    }
    return new Promise<number>((resolve, reject) => {
      this.pending = { count, resolve, reject };
      this.startPoll();
    });
  }

  /** Makes a pending wait resolve (with the mask of what is readable, usually 0) now. No effect otherwise. */
  wake(): void {
    if (this.pending !== null) libc.write(this.eventFd, this.wakeValue, 8);
  }

  /** Releases the waiter's fds; a pending wait is woken first and resolves. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending !== null) this.wake();
    else this.release();
  }

  /** One-shot, relative, nanosecond precise; re-arming also clears an expiry left from an earlier wait. */
  private armTimer(timeoutNs: number): void {
    const seconds = Math.floor(timeoutNs / 1e9);
    const nanoseconds = Math.max(1, Math.floor(timeoutNs - seconds * 1e9)); // all-zero would disarm
    const v = this.timerSpecInts; // it_interval stays zero: words 0..3
    v[4] = seconds % 2 ** 32;
    v[5] = Math.floor(seconds / 2 ** 32);
    v[6] = nanoseconds;
    v[7] = 0;
    if (libc.timerfdSettime(this.timerFd, 0, this.timerSpec, null) < 0) {
      throw new Error(`timerfd_settime: ${libc.strerror(lastErrno())}`);
    }
  }

  private startPoll(): void {
    // No ppoll timeout: the timerfd ends the wait.
    libc.ppoll.async(this.asyncSet.pointer, this.pending!.count + 2, null, null, this.onPolled);
  }

  private readonly onPolled = (error: unknown, result: number): void => {
    const pending = this.pending!;
    if (error === null && result < 0 && lastErrno() === errno.EINTR && !this.closed) {
      this.startPoll();
      return;
    }
    this.pending = null;
    libc.read(this.eventFd, this.drainBuffer, 8); // consume a wake; EAGAIN when there was none
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
    libc.close(this.timerFd);
    this.asyncSet.free();
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
