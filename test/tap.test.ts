// Real tap devices (root): attach rules and error texts, real frames in both directions.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FdWaiter } from '../devices/fd-wait.js';
import { ioctlPointer, lastErrno, libc, nativeBuffer } from '../devices/libc.js';
import { formatMac, parseMac } from '../devices/mac.js';
import { TapDevice, TapError } from '../devices/tap.js';
import { EchoResponder } from './support/echo-responder.js';
import { floodPing, ping } from './support/flood-ping.js';
import { createTap, ip, type TapFixture } from './support/tap-fixture.js';

const HOST_IP = Uint8Array.of(10, 77, 0, 1);
const GUEST_MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x10, 0x00, 0x07);

let fixtures: TapFixture[] = [];
const opened: TapDevice[] = [];
const waiter = new FdWaiter();

beforeAll(() => {
  fixtures = [
    createTap('tnet0', { address: '10.77.0.1/24' }),
    createTap('tnet1', { mtu: 9000 }),
    createTap('tnet2', { up: false }),
  ];
});

afterEach(() => {
  for (const tap of opened.splice(0)) tap.close();
});

afterAll(() => {
  waiter.close();
  for (const fixture of fixtures) fixture.remove();
});

function open(name: string): TapDevice {
  const tap = TapDevice.open(name);
  opened.push(tap);
  return tap;
}

function openError(name: string): string {
  try {
    open(name);
  } catch (error) {
    expect(error).toBeInstanceOf(TapError);
    return (error as Error).message;
  }
  throw new Error(`${name} opened`);
}

/** Waits (up to 5 s) for a frame that `wanted` accepts; returns its bytes. */
async function nextFrame(tap: TapDevice, wanted: (frame: Uint8Array) => boolean): Promise<Uint8Array> {
  const buf = new Uint8Array(tap.mtu + 14);
  const giveUp = performance.now() + 5000;
  while (performance.now() < giveUp) {
    for (let n = tap.read(buf); n > 0; n = tap.read(buf)) {
      const frame = buf.slice(0, n);
      if (wanted(frame)) return frame;
    }
    await waiter.wait([tap.fd], 100e6);
  }
  throw new Error('no such frame arrived');
}

const ethertype = (f: Uint8Array) => (f[12]! << 8) | f[13]!;
const isArpRequestFor = (target: number[]) => (f: Uint8Array) =>
  ethertype(f) === 0x0806 && f[21] === 1 && f.subarray(38, 42).join('.') === target.join('.');

function arpReply(to: Uint8Array, fromIp: number[]): Uint8Array {
  const r = new Uint8Array(42);
  const toMac = to.subarray(22, 28);
  r.set(toMac, 0);
  r.set(GUEST_MAC, 6);
  r.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2], 12);
  r.set(GUEST_MAC, 22);
  r.set(fromIp, 28);
  r.set(toMac, 32);
  r.set(to.subarray(28, 32), 38);
  return r;
}

describe('TapDevice.open', () => {
  it('attaches to an up tap and reports its name, fd and MTU', () => {
    const tap = open('tnet0');
    expect(tap.name).toBe('tnet0');
    expect(tap.fd).toBeGreaterThan(2);
    expect(tap.mtu).toBe(1500);
  });

  it('detects a 9000-byte MTU', () => {
    expect(open('tnet1').mtu).toBe(9000);
  });

  it('fails with solo5-hvt error texts', () => {
    expect(openError('tnetmissing')).toBe('No such file or directory');
    expect(openError('tnet2')).toBe('Network is down');
    expect(openError('tnet0123456789a')).toBe('No such file or directory'); // 15 chars: allowed length
    expect(openError('tnet0123456789ab')).toBe('File name too long'); // 16 chars
    expect(openError('')).toBe('No such file or directory');
    expect(openError('lo')).toBe('Invalid argument'); // exists and is up, but is not a tap
  });

  it('refuses a tap that is already attached, and allows it again after close', () => {
    const first = open('tnet0');
    expect(openError('tnet0')).toBe('Device or resource busy');
    first.close();
    expect(open('tnet0').mtu).toBe(1500);
  });
});

/** Reads an ethtool on/off setting (ETHTOOL_GGRO, ETHTOOL_GGSO) of an interface. */
function ethtoolFlag(ifname: string, command: number): number {
  const sock = libc.socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
  const value = nativeBuffer(8);
  try {
    new DataView(value.memory).setUint32(0, command, true);
    const ifr = new Uint8Array(40);
    ifr.set(Buffer.from(ifname));
    new DataView(ifr.buffer).setBigUint64(16, value.address, true);
    if (ioctlPointer(sock, 0x8946 /* SIOCETHTOOL */, ifr) < 0) throw new Error(libc.strerror(lastErrno()));
    return new DataView(value.memory).getUint32(4, true);
  } finally {
    value.free();
    libc.close(sock);
  }
}

describe('TapDevice offloads', () => {
  it('switches GRO and GSO off, so the guest only ever gets frames up to the MTU', () => {
    const ETHTOOL_GGRO = 0x2b;
    const ETHTOOL_GGSO = 0x23;
    const fresh = createTap('tnet4'); // the setting outlives the attachment: never attached before
    try {
      expect([ethtoolFlag('tnet4', ETHTOOL_GGRO), ethtoolFlag('tnet4', ETHTOOL_GGSO)]).toEqual([1, 1]);
      open('tnet4').close();
      expect([ethtoolFlag('tnet4', ETHTOOL_GGRO), ethtoolFlag('tnet4', ETHTOOL_GGSO)]).toEqual([0, 0]);
    } finally {
      fresh.remove();
    }
  });
});

describe('TapDevice frames', () => {
  it('returns 0 from read when nothing is queued (the fd does not block)', () => {
    const tap = open('tnet1'); // no address, IPv6 off: the kernel sends nothing on it
    expect(tap.read(new Uint8Array(1514))).toBe(0);
  });

  it('reads the kernel ARP request, and the kernel believes the ARP reply written back', async () => {
    const tap = open('tnet0');
    const hostMac = parseMac(readFileSync('/sys/class/net/tnet0/address', 'utf8').trim())!;
    const pinging = ping('10.77.0.2', 1, ['-W', '1']);
    const request = await nextFrame(tap, isArpRequestFor([10, 77, 0, 2]));
    expect(request.subarray(0, 6)).toEqual(new Uint8Array(6).fill(0xff));
    expect(request.subarray(6, 12)).toEqual(hostMac);
    expect(request.subarray(28, 32)).toEqual(HOST_IP);

    tap.write(arpReply(request, [10, 77, 0, 2]));
    // With our MAC learnt, the kernel sends the ICMP echo request to it.
    const echo = await nextFrame(tap, (f) => ethertype(f) === 0x0800 && f[23] === 1);
    expect(echo.subarray(0, 6)).toEqual(GUEST_MAC);
    expect(echo.subarray(30, 34)).toEqual(Uint8Array.of(10, 77, 0, 2));
    expect(ip('neigh', 'show', '10.77.0.2', 'dev', 'tnet0')).toContain(`lladdr ${formatMac(GUEST_MAC)}`);
    await pinging;
  });

  it('truncates a frame longer than the buffer', async () => {
    const tap = open('tnet0');
    const short = new Uint8Array(20);
    const pinging = ping('10.77.0.5', 1, ['-W', '1']); // a new neighbour: the kernel asks ARP first
    let n = tap.read(short);
    while (n === 0) {
      await waiter.wait([tap.fd], 100e6);
      n = tap.read(short);
    }
    expect(n).toBe(20); // the 42-byte ARP request, cut
    expect(ethertype(short)).toBe(0x0806);
    // Frames after it still arrive whole.
    const another = ping('10.77.0.6', 1, ['-W', '1']);
    expect((await nextFrame(tap, isArpRequestFor([10, 77, 0, 6]))).length).toBe(42);
    await Promise.all([pinging, another]);
  });

  it('throws the strerror text when the kernel rejects a frame', () => {
    const tap = open('tnet0');
    expect(() => tap.write(new Uint8Array(4))).toThrow(/^Invalid argument$/);
  });

  it('answers every ping through an echo responder written on read/write/wait', async () => {
    const tap = open('tnet0');
    const responder = new EchoResponder(tap, Uint8Array.of(10, 77, 0, 3), GUEST_MAC);
    try {
      expect((await ping('10.77.0.3', 3, ['-i', '0.2'])).received).toBe(3);
      const flood = await floodPing('10.77.0.3', 2000);
      expect(flood).toMatchObject({ transmitted: 2000, received: 2000 });
    } finally {
      await responder.stop();
    }
    expect(responder.echoReplies).toBe(2003);
    expect(responder.arpReplies).toBeGreaterThanOrEqual(1);
  });
});
