// The few Linux system calls Node does not expose, bound once through koffi.
// Buffers passed as `void *` are handed to C by address (no copy), so these
// bindings are safe to use on hot paths with pre-allocated or caller-owned memory.
import koffi from 'koffi';

const lib = koffi.load('libc.so.6');

export const libc = {
  read: lib.func('long read(int fd, void *buf, size_t count)') as (fd: number, buf: Uint8Array, count: number) => number,
  write: lib.func('long write(int fd, const void *buf, size_t count)') as (
    fd: number,
    buf: Uint8Array,
    count: number,
  ) => number,
  close: lib.func('int close(int fd)') as (fd: number) => number,
  socket: lib.func('int socket(int domain, int type, int protocol)') as (
    domain: number,
    type: number,
    protocol: number,
  ) => number,
  timerfdCreate: lib.func('int timerfd_create(int clockid, int flags)') as (clockid: number, flags: number) => number,
  timerfdSettime: lib.func('int timerfd_settime(int fd, int flags, const void *new_value, void *old_value)') as (
    fd: number,
    flags: number,
    newValue: Uint8Array,
    oldValue: null,
  ) => number,
  eventfd: lib.func('int eventfd(unsigned int initval, int flags)') as (initval: number, flags: number) => number,
  poll: lib.func('int poll(void *fds, unsigned long nfds, int timeout)') as (
    fds: Uint8Array,
    nfds: number,
    timeoutMs: number,
  ) => number,
  /** Left untyped so that its koffi `async` form stays reachable: FdWaiter runs it on a worker thread. */
  ppoll: lib.func('int ppoll(void *fds, unsigned long nfds, void *timeout, void *sigmask)'),
  strerror: lib.func('const char *strerror(int errnum)') as (errnum: number) => string,
};

// ioctl is variadic in C; koffi needs the type of the extra argument at each call.
const ioctlVariadic = lib.func('int ioctl(int fd, unsigned long request, ...)');

/** ioctl(fd, request, arg) where arg points to `buf`; returns -1 and sets errno on failure. */
export function ioctlPointer(fd: number, request: number, buf: Uint8Array): number {
  return ioctlVariadic(fd, request, 'void *', buf) as number;
}

/** errno of the most recent failed libc call made through koffi on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

export const errno = {
  EINTR: 4,
  EAGAIN: 11,
  ENOENT: 2,
  ENODEV: 19,
  EINVAL: 22,
  ENAMETOOLONG: 36,
  ENETDOWN: 100,
} as const;

/** Memory outside the JS heap, for structures the kernel must see through a pointer stored in another structure. */
export interface NativeBuffer {
  /** The pointer to pass to C, also from worker threads (the memory never moves). */
  readonly pointer: unknown;
  readonly address: bigint;
  readonly memory: ArrayBuffer;
  free(): void;
}

/**
 * Zeroed memory outside the JS heap: for structures the kernel reaches through a pointer stored
 * in another structure, and for arguments of calls that run on a worker thread.
 */
export function nativeBuffer(size: number): NativeBuffer {
  const pointer = koffi.alloc('uint8_t', size);
  const memory = koffi.view(pointer, size);
  new Uint8Array(memory).fill(0);
  return { pointer, address: koffi.address(pointer), memory, free: () => koffi.free(pointer) };
}
