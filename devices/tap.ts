// A Linux tap interface opened the way solo5-hvt attaches `--net:NAME=IFACE`:
// raw Ethernet frames, no packet-information header, non-blocking fd.
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { errno, ioctlPointer, lastErrno, libc, nativeBuffer } from './libc.js';

/** Attaching failed; the message is the C library's text for the errno (as solo5-hvt prints it). */
export class TapError extends Error {
  constructor(readonly errno: number) {
    super(libc.strerror(errno));
    this.name = 'TapError';
  }
}

const IFNAMSIZ = 16;
const IFREQ_SIZE = 40; // name[16] + a 24-byte union (flags, mtu or a data pointer at offset 16)
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFFLAGS = 0x8913;
const SIOCGIFMTU = 0x8921;
const SIOCETHTOOL = 0x8946;
const TUNSETIFF = 0x400454ca;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const ETHTOOL_SGSO = 0x24;
const ETHTOOL_SGRO = 0x2c;

export class TapDevice {
  private closed = false;

  private constructor(
    readonly name: string,
    readonly fd: number,
    readonly mtu: number,
  ) {}

  /** Attaches to an existing tap interface that is up; throws TapError with solo5-hvt's reasons. */
  static open(ifname: string): TapDevice {
    const nameBytes = Buffer.from(ifname, 'utf8');
    if (nameBytes.length >= IFNAMSIZ) throw new TapError(errno.ENAMETOOLONG);
    // A NUL would silently shorten the name the kernel sees: no interface is called that.
    if (nameBytes.length === 0 || nameBytes.includes(0)) throw new TapError(errno.ENOENT);

    const sock = libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) throw new TapError(lastErrno());
    try {
      const flags = interfaceFlags(sock, nameBytes);
      if ((flags & (IFF_UP | IFF_RUNNING)) === 0) throw new TapError(errno.ENETDOWN);
      const fd = attach(nameBytes);
      try {
        const mtu = interfaceMtu(sock, nameBytes);
        disableOffload(sock, nameBytes);
        return new TapDevice(ifname, fd, mtu);
      } catch (error) {
        closeSync(fd);
        throw error;
      }
    } finally {
      libc.close(sock);
    }
  }

  /** Reads one frame into buf (truncated to buf's size); 0 when none is queued. */
  read(buf: Uint8Array): number {
    const n = libc.read(this.fd, buf, buf.length);
    if (n >= 0) return n;
    const code = lastErrno();
    if (code === errno.EAGAIN) return 0;
    throw new Error(libc.strerror(code));
  }

  /** Writes one frame; any error or short write is an Error (solo5-hvt treats both as fatal). */
  write(frame: Uint8Array): void {
    const n = libc.write(this.fd, frame, frame.length);
    if (n === frame.length) return;
    if (n < 0) throw new Error(libc.strerror(lastErrno()));
    throw new Error(`wrote only ${n} out of ${frame.length} bytes`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function ifreqFor(nameBytes: Uint8Array): Uint8Array {
  const ifr = new Uint8Array(IFREQ_SIZE);
  ifr.set(nameBytes);
  return ifr;
}

function interfaceFlags(sock: number, nameBytes: Uint8Array): number {
  const ifr = ifreqFor(nameBytes);
  if (ioctlPointer(sock, SIOCGIFFLAGS, ifr) < 0) {
    const code = lastErrno();
    // The kernel says "no such device"; solo5-hvt, which looks the name up in getifaddrs, says ENOENT.
    throw new TapError(code === errno.ENODEV ? errno.ENOENT : code);
  }
  return new DataView(ifr.buffer).getUint16(IFNAMSIZ, true);
}

function attach(nameBytes: Uint8Array): number {
  let fd: number;
  try {
    fd = openSync('/dev/net/tun', fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
  } catch (error) {
    throw new TapError(-((error as NodeJS.ErrnoException).errno ?? -errno.ENOENT));
  }
  const ifr = ifreqFor(nameBytes);
  new DataView(ifr.buffer).setUint16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
  if (ioctlPointer(fd, TUNSETIFF, ifr) < 0) {
    const code = lastErrno();
    closeSync(fd);
    throw new TapError(code);
  }
  // The kernel writes back the name it used; a template such as "tap%d" would create a new device.
  const returned = ifr.subarray(0, IFNAMSIZ);
  const end = returned.indexOf(0);
  if (Buffer.compare(returned.subarray(0, end < 0 ? IFNAMSIZ : end), nameBytes) !== 0) {
    closeSync(fd);
    throw new TapError(errno.EINVAL);
  }
  return fd;
}

function interfaceMtu(sock: number, nameBytes: Uint8Array): number {
  const ifr = ifreqFor(nameBytes);
  if (ioctlPointer(sock, SIOCGIFMTU, ifr) < 0) throw new TapError(lastErrno());
  return new DataView(ifr.buffer).getInt32(IFNAMSIZ, true);
}

/** The guest handles only plain frames up to the MTU, so large coalesced receives must be off. Best effort. */
function disableOffload(sock: number, nameBytes: Uint8Array): void {
  const value = nativeBuffer(8); // struct ethtool_value { u32 cmd; u32 data = 0 }
  try {
    const ifr = ifreqFor(nameBytes);
    new DataView(ifr.buffer).setBigUint64(IFNAMSIZ, value.address, true);
    for (const command of [ETHTOOL_SGRO, ETHTOOL_SGSO]) {
      new DataView(value.memory).setUint32(0, command, true);
      ioctlPointer(sock, SIOCETHTOOL, ifr);
    }
  } finally {
    value.free();
  }
}
