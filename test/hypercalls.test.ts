/**
 * The hypercall handlers of §3 driven directly on a guest memory: pointer checks at the edges,
 * handle checks, block I/O at offsets against a real file, raw PUTS bytes, POLL and HALT.
 */
import * as fs from 'node:fs';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { GuestMemory } from '../cpu/memory.js';
import { BlockDevice } from '../devices/block.js';
import { Console } from '../devices/console.js';
import { Hypercalls, type HypercallHost, type NetPort } from '../solo5-abi/hypercalls.js';
import { Manifest } from '../solo5-abi/manifest.js';
import { manifestBytes } from './support/elf-builder.js';
import { tempDir, writeFile } from './support/tender.js';

const MEM = 2 * 1024 * 1024;
const ARG = 0x100000;
const BUF = 0x101000;
const tmp = tempDir();
afterAll(tmp.cleanup);

class RecordingHost implements HypercallHost {
  fatals: string[] = [];
  halts: Array<[number, number]> = [];
  polls: Array<[number, number]> = [];
  ready: boolean[] = [];
  deferPoll(argGpa: number, timeoutNs: number): void { this.polls.push([argGpa, timeoutNs]); }
  halt(status: number, cookieGpa: number): void { this.halts.push([status, cookieGpa]); }
  fatal(message: string): void { this.fatals.push(message); }
  readableNets(fds: readonly number[]): boolean[] { return fds.map((_, i) => this.ready[i] ?? false); }
}

class FakeNet implements NetPort {
  readonly fd = 99;
  frames: Uint8Array[] = [];
  sent: Buffer[] = [];
  read(buf: Uint8Array): number {
    const f = this.frames.shift();
    if (!f) return 0;
    const n = Math.min(f.length, buf.length);
    buf.set(f.subarray(0, n));
    return n;
  }
  write(frame: Uint8Array): void { this.sent.push(Buffer.from(frame)); }
}

let memory: GuestMemory;
let host: RecordingHost;
let disk: BlockDevice;
let diskPath: string;
let net: FakeNet;
let outPath: string;
let hc: Hypercalls;

beforeEach(() => {
  memory = new GuestMemory(MEM);
  host = new RecordingHost();
  diskPath = writeFile(tmp.dir, 'disk.img', Buffer.alloc(4096));
  disk = BlockDevice.open(diskPath);
  net = new FakeNet();
  outPath = writeFile(tmp.dir, 'out.txt', '');
  const manifest = Manifest.parse(manifestBytes([{ name: 'disk', type: 'BLOCK_BASIC' }, { name: 'eth', type: 'NET_BASIC' }]))!;
  manifest.attachBlock(1, disk.capacity, disk.fd);
  manifest.setBlockSize(1, 512);
  manifest.attachNet(2, 1500, net.fd);
  hc = new Hypercalls(memory, MEM, manifest,
    { console: new Console(fs.openSync(outPath, 'w')), blocks: [null, disk, null], nets: [null, null, net] }, host);
});

const v = () => memory.view;
const set64 = (gpa: number, value: number | bigint) => v().setBigUint64(gpa, BigInt(value), true);
const out = (nr: number, gpa = ARG) => hc.portOut(0x500 + nr, 4, gpa);

describe('ports', () => {
  it('accepts only 32-bit OUT to 0x501..0x508', () => {
    hc.portOut(0x501, 2, ARG);
    hc.portOut(0x509, 4, ARG);
    hc.portIn(0x501);
    out(0);
    expect(host.fatals).toEqual([
      'Invalid guest port access: port=0x501',
      'Invalid guest port access: port=0x509',
      'Invalid guest port access: port=0x501',
      'Invalid guest hypercall: num=0',
    ]);
  });

  it('has no block or net hypercalls without such devices', () => {
    const m = Manifest.parse(manifestBytes([]))!;
    const bare = new Hypercalls(memory, MEM, m, { console: new Console(), blocks: [null], nets: [null] }, host);
    for (const nr of [4, 5, 6, 7]) bare.portOut(0x500 + nr, 4, ARG);
    expect(host.fatals).toEqual([4, 5, 6, 7].map((n) => `Invalid guest hypercall: num=${n}`));
  });
});

describe('guest pointer checks', () => {
  it('rejects an argument struct that reaches the last byte of memory', () => {
    out(2, MEM - 16);
    expect(host.fatals).toEqual([`Invalid guest access: gpa=0x${(MEM - 16).toString(16)}, sz=16`]);
    host.fatals = [];
    set64(MEM - 17, BUF);
    set64(MEM - 9, 0);
    out(2, MEM - 17);
    expect(host.fatals).toEqual([]);
  });

  it('applies gpa + size < mem to data buffers, with 64-bit values', () => {
    set64(ARG, MEM - 10);
    set64(ARG + 8, 10);
    out(2);
    set64(ARG, MEM);
    set64(ARG + 8, 0);
    out(2);
    set64(ARG, 0x1_0000_0000n);
    out(2);
    set64(ARG, BUF);
    set64(ARG + 8, 0xffff_ffff_ffff_fff0n);
    out(2);
    expect(host.fatals).toEqual([
      `Invalid guest access: gpa=0x1ffff6, sz=10`,
      `Invalid guest access: gpa=0x200000, sz=0`,
      `Invalid guest access: gpa=0x100000000, sz=0`,
      `Invalid guest access: gpa=0x101000, sz=18446744073709551600`,
    ]);
  });
});

describe('PUTS and WALLTIME', () => {
  it('writes raw bytes, NULs included, to the console', () => {
    memory.u8.set([0x68, 0x69, 0x00, 0xff, 0x0a], BUF);
    set64(ARG, BUF);
    set64(ARG + 8, 5);
    out(2);
    expect([...fs.readFileSync(outPath)]).toEqual([0x68, 0x69, 0x00, 0xff, 0x0a]);
  });

  it('reports wall-clock nanoseconds since the epoch', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    out(1);
    const ns = v().getBigUint64(ARG, true);
    expect(ns >= before - 1_000_000n).toBe(true);
    expect(ns <= BigInt(Date.now() + 1) * 1_000_000n).toBe(true);
  });
});

describe('block hypercalls', () => {
  const request = (handle: number | bigint, offset: number | bigint, len: number | bigint) => {
    set64(ARG, handle);
    set64(ARG + 8, offset);
    set64(ARG + 16, BUF);
    set64(ARG + 24, len);
    v().setInt32(ARG + 32, -1, true);
  };
  const ret = () => v().getInt32(ARG + 32, true);

  it('writes and reads at the given offset of the file', () => {
    memory.u8.fill(0xab, BUF, BUF + 512);
    request(1, 1024, 512);
    out(4);
    expect(ret()).toBe(0);
    const file = fs.readFileSync(diskPath);
    expect(file[1023]).toBe(0);
    expect(file[1024]).toBe(0xab);
    expect(file[1535]).toBe(0xab);
    expect(file[1536]).toBe(0);
    memory.u8.fill(0, BUF, BUF + 512);
    request(1, 1024 - 8, 16);
    out(5);
    expect(ret()).toBe(0);
    expect([...memory.u8.subarray(BUF, BUF + 16)]).toEqual([...new Array(8).fill(0), ...new Array(8).fill(0xab)]);
  });

  it('accepts unaligned and partial-block I/O (alignment is the bindings\' business)', () => {
    request(1, 1, 100);
    out(5);
    expect(ret()).toBe(0);
    request(1, 4095, 0);
    out(5);
    expect(ret()).toBe(0);
  });

  it('answers EINVAL for bad handles and out-of-range requests', () => {
    const cases: Array<[number | bigint, number | bigint, number | bigint]> = [
      [0, 0, 512], [2, 0, 512], [3, 0, 512], [0x1_0000_0000n + 7n, 0, 512],
      [1, 4096, 0], [1, 3584, 1024], [1, 0xffff_ffff_ffff_fe00n, 1024], [1, 0, 0x8000_0000_0000_0000n],
    ];
    for (const [h, o, l] of cases) {
      request(h, o, l);
      out(4);
      expect(ret(), `handle ${h} offset ${o} len ${l}`).toBe(2);
    }
    expect(host.fatals).toEqual([]);
  });

  it('refuses to read into a host read-only segment', () => {
    memory.protectReadOnly(BUF, BUF + 4096);
    request(1, 0, 512);
    out(5);
    expect(host.fatals).toEqual(['Fatal error when reading: Bad address']);
  });

  it('truncates the handle to 32 bits', () => {
    request(0x1_0000_0001n, 0, 512);
    out(5);
    expect(ret()).toBe(0);
  });
});

describe('net hypercalls', () => {
  it('reads one frame, or AGAIN when none is queued', () => {
    set64(ARG, 2);
    set64(ARG + 8, BUF);
    set64(ARG + 16, 1514);
    out(7);
    expect(v().getInt32(ARG + 24, true)).toBe(1);
    net.frames.push(new Uint8Array([1, 2, 3]));
    out(7);
    expect(v().getInt32(ARG + 24, true)).toBe(0);
    expect(v().getBigUint64(ARG + 16, true)).toBe(3n);
    expect([...memory.u8.subarray(BUF, BUF + 3)]).toEqual([1, 2, 3]);
  });

  it('writes one frame and rejects non-net handles', () => {
    memory.u8.set([9, 8, 7], BUF);
    set64(ARG, 2);
    set64(ARG + 8, BUF);
    set64(ARG + 16, 3);
    out(6);
    expect(v().getInt32(ARG + 24, true)).toBe(0);
    expect(net.sent).toEqual([Buffer.from([9, 8, 7])]);
    set64(ARG, 1);
    out(6);
    expect(v().getInt32(ARG + 24, true)).toBe(2);
  });
});

describe('POLL', () => {
  it('answers at once with timeout 0 or when a net device is ready, level-triggered by handle', () => {
    set64(ARG, 0);
    out(3);
    expect(v().getBigUint64(ARG + 8, true)).toBe(0n);
    expect(v().getInt32(ARG + 16, true)).toBe(0);
    host.ready = [true];
    set64(ARG, 1_000_000_000);
    out(3);
    expect(v().getBigUint64(ARG + 8, true)).toBe(4n);
    expect(v().getInt32(ARG + 16, true)).toBe(1);
    expect(host.polls).toEqual([]);
  });

  it('defers to the run loop when it has to wait', () => {
    set64(ARG, 5_000_000);
    out(3);
    expect(host.polls).toEqual([[ARG, 5_000_000]]);
    host.ready = [true];
    hc.completePoll(ARG);
    expect(v().getBigUint64(ARG + 8, true)).toBe(4n);
  });
});

describe('HALT', () => {
  it('passes the status and a checked cookie', () => {
    set64(ARG, 0);
    v().setInt32(ARG + 8, -2, true);
    out(8);
    set64(ARG, MEM - 513);
    out(8);
    set64(ARG, MEM - 512);
    out(8);
    expect(host.halts).toEqual([[-2, 0], [-2, MEM - 513]]);
    expect(host.fatals).toEqual([`Invalid guest access: gpa=0x${(MEM - 512).toString(16)}, sz=512`]);
  });
});
