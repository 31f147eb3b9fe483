/**
 * The gdb remote stub against a fake processor over a real TCP socket: framing, acks and no-ack
 * mode, the target description, register layout, memory through page tables, breakpoint
 * bookkeeping, stop replies, Ctrl-C, detach, kill and disconnect.
 */
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { Seg, StopReason } from '../cpu/interface.js';
import type { DebugAgent, Resume } from '../src/debug-agent.js';
import { createGdbAgent } from '../src/gdb/index.js';
import { FakeProcessor } from './support/gdb-fake-processor.js';

const HOST = '127.0.0.1';
const PORT = 12340;

function checksum(data: string): string {
  let sum = 0;
  for (const ch of data) sum = (sum + ch.charCodeAt(0)) & 0xff;
  return sum.toString(16).padStart(2, '0');
}

/** A minimal gdb: sends packets, collects acks, packets and raw bytes from the stub. */
class RspClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  ended = false;
  ackMode = true;

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      this.buffer += chunk.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
  }

  static connectOnce(port = PORT): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const s = connect(port, HOST, () => resolve(s));
      s.once('error', reject);
    });
  }

  /** Connects as soon as the stub listens. */
  static async connect(port = PORT): Promise<RspClient> {
    for (;;) {
      try {
        return new RspClient(await RspClient.connectOnce(port));
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async until<T>(take: () => T | undefined): Promise<T> {
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (this.ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  sendRaw(data: string): void {
    this.socket.write(Buffer.from(data, 'latin1'));
  }

  send(data: string): void {
    this.sendRaw(`$${data}#${checksum(data)}`);
  }

  /** The next single byte outside a packet ('+' or '-'). */
  nextAck(): Promise<string> {
    return this.until(() => {
      if (this.buffer.length === 0 || this.buffer[0] === '$') return undefined;
      const ack = this.buffer[0];
      this.buffer = this.buffer.slice(1);
      return ack;
    });
  }

  /** The next packet's data; checks its checksum and acks it in ack mode. */
  async nextPacket(): Promise<string> {
    const data = await this.until(() => {
      if (this.buffer.length > 0 && this.buffer[0] !== '$') throw new Error(`expected a packet: ${this.buffer}`);
      const match = /^\$([^#]*)#([0-9a-f]{2})/.exec(this.buffer);
      if (!match) return undefined;
      this.buffer = this.buffer.slice(match[0].length);
      expect(match[2]).toBe(checksum(match[1]));
      return match[1];
    });
    if (this.ackMode) this.sendRaw('+');
    return data;
  }

  async request(data: string): Promise<string> {
    this.send(data);
    if (this.ackMode) expect(await this.nextAck()).toBe('+');
    return this.nextPacket();
  }

  waitClosed(): Promise<void> {
    return this.until(() => (this.ended ? true : undefined)).then(() => {});
  }

  get unread(): string {
    return this.buffer;
  }

  close(): void {
    this.socket.destroy();
  }
}

interface Session {
  cpu: FakeProcessor;
  agent: DebugAgent;
  interrupts: number;
  client: RspClient;
  attached: Promise<Resume>;
}

let session: Session;
let stderr: MockInstance<typeof process.stderr.write>;

async function start(setup?: (cpu: FakeProcessor) => void): Promise<Session> {
  const cpu = new FakeProcessor();
  setup?.(cpu);
  const s = { cpu, interrupts: 0 } as Session;
  s.agent = createGdbAgent(cpu, { interrupt: () => s.interrupts++ }, { host: HOST, port: PORT, kernelPath: 'k.hvt' });
  s.attached = s.agent.attach();
  s.client = await RspClient.connect();
  return s;
}

function le(hex: string): bigint {
  return BigInt('0x' + (hex.match(/../g) ?? []).reverse().join(''));
}

beforeEach(async () => {
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  session?.client.close();
  // Whatever state the test left, a disconnect lets a stopped guest go; wait for the stub to settle.
  await session?.attached.catch(() => {});
  stderr.mockRestore();
});

describe('gdb stub: connection and framing', () => {
  it('announces the gdb command line and answers ? with a SIGTRAP stop before the first instruction', async () => {
    session = await start((cpu) => (cpu.rip = 0x100000n));
    expect(stderr).toHaveBeenCalledWith(`tender: waiting for gdb: gdb --ex="target remote ${HOST}:${PORT}" k.hvt\n`);
    const stop = await session.client.request('?');
    expect(stop).toMatch(/^T05/);
    expect(stop).toContain('thread:1;');
    expect(stop).toContain('10:0000100000000000;');
    expect(session.cpu.interceptExceptions).toBe(true);
  });

  it('rejects a bad checksum with - and accepts the resent packet with +', async () => {
    session = await start();
    session.client.sendRaw('$qC#00');
    expect(await session.client.nextAck()).toBe('-');
    expect(await session.client.request('qC')).toBe('QC1');
  });

  it('resends its last reply when gdb answers -', async () => {
    session = await start();
    const { client } = session;
    client.send('qAttached');
    expect(await client.nextAck()).toBe('+');
    client.ackMode = false;
    expect(await client.nextPacket()).toBe('1');
    client.sendRaw('-');
    expect(await client.nextPacket()).toBe('1');
    client.sendRaw('+');
    client.ackMode = true;
    expect(await client.request('qC')).toBe('QC1');
  });

  it('negotiates features and switches to no-ack mode', async () => {
    session = await start();
    const { client } = session;
    expect(await client.request('qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386')).toBe(
      'PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+',
    );
    expect(await client.request('QStartNoAckMode')).toBe('OK');
    client.ackMode = false;
    // Even a wrong checksum is no longer answered with an ack; the reply comes straight away.
    client.sendRaw('$qC#00');
    expect(await client.nextPacket()).toBe('QC1');
    expect(await client.request('qfThreadInfo')).toBe('m1');
    expect(await client.request('qsThreadInfo')).toBe('l');
    expect(client.unread).toBe('');
  });

  it('answers thread and attach queries, and unknown packets with an empty reply', async () => {
    session = await start();
    const { client } = session;
    expect(await client.request('qAttached')).toBe('1');
    expect(await client.request('Hg0')).toBe('OK');
    expect(await client.request('Hc-1')).toBe('OK');
    expect(await client.request('T1')).toBe('OK');
    expect(await client.request('T2')).toMatch(/^E/);
    expect(await client.request('vCont?')).toBe('vCont;c;C;s;S');
    expect(await client.request('vMustReplyEmpty')).toBe('');
    expect(await client.request('qOffsets')).toBe('');
    expect(await client.request('!')).toBe('');
  });

  it('answers malformed requests with an error or an empty reply and keeps serving', async () => {
    session = await start();
    const { client } = session;
    const malformed = ['m', 'mzz,4', 'm1000,', 'M1000,2:zz', 'X1000,2:a', 'p', 'pzz', 'P=', 'P10=zz', 'G0',
      'Z0,', 'z9,1,1', 'Z2,1000,zz', 'qXfer:features:read:target.xml:zz', 'vCont;x', 'vCont;c:2', 'Czz', 'c123g',
      'm1' + '0'.repeat(20) + ',1'];
    for (const packet of malformed) {
      expect(await client.request(packet), packet).toMatch(/^(E[0-9a-f]{2})?$/);
    }
    // Bytes outside any packet do no harm either.
    client.sendRaw('garbage\xff\x00');
    expect(await client.request('qC')).toBe('QC1');
    expect(session.cpu.rip).toBe(0n);
  });

  it('serves one debugger: a second client is refused', async () => {
    session = await start();
    await expect(RspClient.connectOnce()).rejects.toThrow(/ECONNREFUSED/);
    expect(await session.client.request('qC')).toBe('QC1');
  });

  it('fails with a clear message when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(PORT + 1, HOST, () => r()));
    try {
      const agent = createGdbAgent(new FakeProcessor(), { interrupt: () => {} }, { host: HOST, port: PORT + 1, kernelPath: 'k' });
      await expect(agent.attach()).rejects.toThrow(`cannot listen for gdb on ${HOST}:${PORT + 1}`);
    } finally {
      blocker.close();
    }
  });
});

describe('gdb stub: target description and registers', () => {
  async function readTargetXml(client: RspClient): Promise<string> {
    let xml = '';
    for (;;) {
      const part = await client.request(`qXfer:features:read:target.xml:${xml.length.toString(16)},100`);
      expect(part[0]).toMatch(/[ml]/);
      xml += part.slice(1);
      if (part[0] === 'l') return xml;
    }
  }

  it('serves an amd64 description whose register order matches the g packet', async () => {
    session = await start();
    const xml = await readTargetXml(session.client);
    expect(xml).toContain('<architecture>i386:x86-64</architecture>');
    for (const f of ['org.gnu.gdb.i386.core', 'org.gnu.gdb.i386.sse', 'org.gnu.gdb.i386.segments']) {
      expect(xml).toContain(`<feature name="${f}">`);
    }
    const regs = [...xml.matchAll(/<reg name="([^"]+)" bitsize="(\d+)"[^>]*regnum="(\d+)"/g)];
    const names = regs.map((r) => r[1]);
    expect(names.slice(0, 17)).toEqual(['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp',
      'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip']);
    expect(names.indexOf('st0')).toBe(24);
    expect(names.indexOf('fop')).toBe(39);
    expect(names.indexOf('xmm0')).toBe(40);
    expect(names.indexOf('mxcsr')).toBe(56);
    expect(names.slice(57)).toEqual(['fs_base', 'gs_base']);
    regs.forEach((r, i) => expect(Number(r[3])).toBe(i));
    const totalBits = regs.reduce((sum, r) => sum + Number(r[2]), 0);
    expect(totalBits / 8).toBe(552);
    expect(await session.client.request(`qXfer:features:read:target.xml:${xml.length.toString(16)},100`)).toBe('l');
    expect(await session.client.request('qXfer:features:read:other.xml:0,100')).toMatch(/^E/);
  });

  it('lays out g with rip, eflags, selectors, x87, xmm0, mxcsr and the segment bases at gdb offsets', async () => {
    session = await start((cpu) => {
      cpu.gprs[0] = 0x1122334455667788n; // rax
      cpu.gprs[3] = 0xbbn; // rbx is second in gdb's order
      cpu.gprs[15] = 0xf15n;
      cpu.rip = 0x100123n;
      cpu.rflags = 0x246;
      cpu.segments[Seg.CS].selector = 0x10;
      cpu.segments[Seg.GS].selector = 0x2b;
      cpu.segments[Seg.FS].base = 0x7f0000001000n;
      cpu.segments[Seg.GS].base = 0xffff800000002000n;
      const fx = new DataView(cpu.fxsave.buffer);
      fx.setUint16(0, 0x037f, true); // FCW
      fx.setUint16(2, 7 << 11, true); // FSW: TOP = 7
      cpu.fxsave[4] = 0x80; // physical register 7 (= ST0) in use
      fx.setUint16(6, 0xfdd9, true); // FOP, only 11 bits count
      fx.setBigUint64(8, 0x0000123400005678n, true); // FIP
      fx.setUint32(24, 0x1f80, true); // MXCSR
      fx.setBigUint64(32, 0x8000000000000000n, true); // ST0 = 1.0
      fx.setUint16(40, 0x3fff, true);
      for (let i = 0; i < 16; i++) cpu.fxsave[160 + i] = i + 1; // XMM0
    });
    const g = await session.client.request('g');
    expect(g.length).toBe(552 * 2);
    const at = (offset: number, size: number) => g.slice(offset * 2, (offset + size) * 2);
    expect(le(at(0, 8))).toBe(0x1122334455667788n);
    expect(le(at(8, 8))).toBe(0xbbn);
    expect(le(at(120, 8))).toBe(0xf15n);
    expect(le(at(128, 8))).toBe(0x100123n);
    expect(le(at(136, 4))).toBe(0x246n);
    expect(le(at(140, 4))).toBe(0x10n); // cs
    expect(le(at(160, 4))).toBe(0x2bn); // gs
    expect(at(164, 10)).toBe('0000000000000080ff3f'); // st0
    expect(le(at(244, 4))).toBe(0x37fn); // fctrl
    expect(le(at(248, 4))).toBe(0x3800n); // fstat
    expect(le(at(252, 4))).toBe(0x3fffn); // ftag: physical 7 valid, the rest empty
    expect(le(at(256, 4))).toBe(0x1234n); // fiseg: high half of FIP
    expect(le(at(260, 4))).toBe(0x5678n); // fioff: low half of FIP
    expect(le(at(272, 4))).toBe(0x5d9n); // fop
    expect(at(276, 16)).toBe('0102030405060708090a0b0c0d0e0f10'); // xmm0
    expect(le(at(532, 4))).toBe(0x1f80n);
    expect(le(at(536, 8))).toBe(0x7f0000001000n);
    expect(le(at(544, 8))).toBe(0xffff800000002000n);
  });

  it('reads single registers with p and reports zero and special x87 tags', async () => {
    session = await start((cpu) => {
      cpu.rip = 0xabcdefn;
      new DataView(cpu.fxsave.buffer).setUint16(2, 0, true); // TOP = 0
      cpu.fxsave[4] = 0x03; // ST0 = +0.0 (zero), ST1 = exponent 0x7fff (special)
      new DataView(cpu.fxsave.buffer).setUint16(48 + 8, 0x7fff, true);
    });
    const { client } = session;
    expect(le(await client.request('p10'))).toBe(0xabcdefn);
    expect(le(await client.request('p22'))).toBe(0xfff9n); // ftag: 01 (zero), 10 (special), 11 × 6
    expect(await client.request('p28')).toBe('00'.repeat(16));
    expect(await client.request('p3b')).toMatch(/^E/);
  });

  it('writes registers with P and G, converting ftag back to the abridged form', async () => {
    session = await start();
    const { client, cpu } = session;
    expect(await client.request('P10=efbeadde00000000')).toBe('OK');
    expect(cpu.rip).toBe(0xdeadbeefn);
    expect(await client.request('P28=' + 'ab'.repeat(16))).toBe('OK');
    expect(cpu.fxsave.subarray(160, 176).every((b) => b === 0xab)).toBe(true);
    expect(await client.request('P22=ff3f0000')).toBe('OK'); // physical 7 valid, others empty
    expect(cpu.fxsave[4]).toBe(0x80);
    expect(await client.request('P39=0010000000000000')).toBe('OK');
    expect(cpu.segments[Seg.FS].base).toBe(0x1000n);
    expect(await client.request('P10=00')).toMatch(/^E/);

    const g = await client.request('g');
    const edited = '0700000000000000' + g.slice(16, 256) + '3412000000000000' + g.slice(272);
    expect(await client.request('G' + edited)).toBe('OK');
    expect(cpu.gprs[0]).toBe(7n);
    expect(cpu.rip).toBe(0x1234n);
    expect(cpu.fxsave.subarray(160, 176).every((b) => b === 0xab)).toBe(true);
    expect(cpu.segments[Seg.FS].base).toBe(0x1000n);
  });
});

describe('gdb stub: memory', () => {
  it('reads and writes guest memory and reports unmapped addresses as E14', async () => {
    session = await start((cpu) => cpu.memory.u8.set([0xde, 0xad, 0xbe, 0xef], 0x2000));
    const { client, cpu } = session;
    expect(await client.request('m2000,4')).toBe('deadbeef');
    expect(await client.request('m0,4')).toBe('E14');
    expect(await client.request('m10000,4')).toBe('E14');
    expect(await client.request('mffffffffffffff00,10')).toBe('E14');
    expect(await client.request('m2000')).toBe('E01');
    // A read running off the end of mapped memory comes back short.
    expect(await client.request('mfffe,4')).toBe('0000');

    expect(await client.request('M3000,3:010203')).toBe('OK');
    expect([...cpu.memory.u8.subarray(0x3000, 0x3003)]).toEqual([1, 2, 3]);
    expect(await client.request('Mfffe,4:aabbccdd')).toBe('E14');
    expect([...cpu.memory.u8.subarray(0xfffe, 0x10000)]).toEqual([0, 0]);
    expect(await client.request('M3000,2:01')).toBe('E01');
  });

  it('accepts binary X writes with escaped bytes, including the zero-length probe', async () => {
    session = await start();
    const { client, cpu } = session;
    expect(await client.request('X3000,0:')).toBe('OK');
    // '#', '$', '}' and '*' travel escaped as '}' followed by the byte XOR 0x20.
    expect(await client.request('X3000,5:a}\x03}\x04}]}\x0a')).toBe('OK');
    expect([...cpu.memory.u8.subarray(0x3000, 0x3005)]).toEqual([0x61, 0x23, 0x24, 0x7d, 0x2a]);
    expect(await client.request('X0,1:a')).toBe('E14');
  });

  it('serves large reads up to the packet size', async () => {
    session = await start((cpu) => cpu.memory.u8.fill(0x5a, 0x4000, 0x6000));
    const reply = await session.client.request('m4000,2000');
    expect(reply).toBe('5a'.repeat(0x2000));
  });
});

describe('gdb stub: breakpoints, stops and resuming', () => {
  it('keeps breakpoint and watchpoint bookkeeping without patching memory', async () => {
    session = await start();
    const { client, cpu } = session;
    expect(await client.request('Z0,2000,1')).toBe('OK');
    expect(await client.request('Z0,2000,1')).toBe('OK');
    expect(await client.request('Z1,2000,1')).toBe('OK');
    expect(cpu.breakpoints).toEqual(new Set([0x2000n]));
    expect(cpu.memory.u8[0x2000]).toBe(0);
    expect(await client.request('z0,2000,1')).toBe('OK');
    expect(await client.request('z1,2000,1')).toBe('OK');
    expect(cpu.breakpoints.has(0x2000n)).toBe(true);
    expect(await client.request('z0,2000,1')).toBe('OK');
    expect(cpu.breakpoints.size).toBe(0);

    for (let i = 0; i < 6; i++) expect(await client.request(`Z2,${(0x3000 + 8 * i).toString(16)},8`)).toBe('OK');
    expect(await client.request('Z3,4000,4')).toBe('OK');
    expect(await client.request('Z4,5000,2')).toBe('OK');
    expect(cpu.watchpoints.length).toBe(8);
    expect(cpu.watchpoints.slice(-2)).toEqual([
      { linear: 0x4000n, length: 4, kind: 'read' },
      { linear: 0x5000n, length: 2, kind: 'access' },
    ]);
    expect(await client.request('z3,4000,4')).toBe('OK');
    expect(cpu.watchpoints.some((w) => w.kind === 'read')).toBe(false);
    expect(await client.request('Z5,4000,4')).toBe('');
  });

  it('answers a request the CPU refuses with an error and keeps serving', async () => {
    session = await start((cpu) => (cpu.refuseWatchpoints = true));
    const { client } = session;
    expect(await client.request('Z2,3000,4')).toBe('E01');
    expect(stderr).toHaveBeenCalledWith(expect.stringContaining('watch range not supported'));
    expect(await client.request('qC')).toBe('QC1');
  });

  it('reports software, hardware and watchpoint stops with their reasons', async () => {
    session = await start();
    const { client, cpu, agent } = session;
    await client.request('Z0,2000,1');
    await client.request('Z1,2100,1');
    await client.request('Z2,3000,4');
    client.send('c');
    expect(await client.nextAck()).toBe('+');
    expect(await session.attached).toBe('resume');
    expect(cpu.singleStep).toBe(false);

    cpu.rip = 0x2000n;
    let resumed = agent.onStop(StopReason.Breakpoint);
    expect(await client.nextPacket()).toMatch(/^T05swbreak:;.*thread:1;$/);
    client.send('vCont;c:1');
    expect(await resumed).toBe('resume');
    expect(await client.nextAck()).toBe('+');

    cpu.rip = 0x2100n;
    resumed = agent.onStop(StopReason.Breakpoint);
    expect(await client.nextPacket()).toMatch(/^T05hwbreak:;/);
    client.send('s');
    expect(await resumed).toBe('resume');
    expect(cpu.singleStep).toBe(true);
    expect(await client.nextAck()).toBe('+');

    resumed = agent.onStop(StopReason.SingleStep);
    const stepStop = await client.nextPacket();
    expect(stepStop).toMatch(/^T05/);
    expect(stepStop).not.toMatch(/break|watch/);
    client.send('vCont;s:1;c');
    expect(await resumed).toBe('resume');
    expect(cpu.singleStep).toBe(true);
    expect(await client.nextAck()).toBe('+');

    Object.assign(cpu.stopInfo, { address: 0x3002n, watchKind: 'write' });
    resumed = agent.onStop(StopReason.Watchpoint);
    expect(await client.nextPacket()).toMatch(/^T05watch:3002;/);
    client.send('c');
    expect(await resumed).toBe('resume');
    expect(cpu.singleStep).toBe(false);
    expect(await client.nextAck()).toBe('+');

    Object.assign(cpu.stopInfo, { address: 0x3000n, watchKind: 'access' });
    resumed = agent.onStop(StopReason.Watchpoint);
    expect(await client.nextPacket()).toMatch(/^T05awatch:3000;/);
    client.send('c');
    expect(await resumed).toBe('resume');
  });

  it('maps guest exceptions to signals; a plain continue discards the exception, C with the signal delivers it', async () => {
    session = await start();
    const { client, cpu, agent } = session;
    client.send('c');
    await session.attached;
    expect(await client.nextAck()).toBe('+');

    const cases: Array<[number, string]> = [[14, 'T0b'], [13, 'T0b'], [6, 'T04'], [0, 'T08'], [19, 'T08'], [3, 'T05']];
    for (const [vector, signal] of cases) {
      cpu.stopInfo.vector = vector;
      const resumed = agent.onStop(StopReason.Exception);
      expect((await client.nextPacket()).slice(0, 3)).toBe(signal);
      client.send('C' + signal.slice(1));
      expect(await resumed).toBe('resume');
      expect(await client.nextAck()).toBe('+');
    }
    expect(cpu.discardCount).toBe(0);

    cpu.stopInfo.vector = 14;
    let resumed = agent.onStop(StopReason.Exception);
    await client.nextPacket();
    client.send('c');
    await resumed;
    expect(cpu.discardCount).toBe(1);
    expect(await client.nextAck()).toBe('+');

    resumed = agent.onStop(StopReason.Exception);
    await client.nextPacket();
    client.send('vCont;C0b:1');
    await resumed;
    expect(cpu.discardCount).toBe(1);
    expect(await client.nextAck()).toBe('+');

    // Continuing from an ordinary stop never touches a (non-existent) pending exception.
    resumed = agent.onStop(StopReason.SingleStep);
    await client.nextPacket();
    client.send('c');
    await resumed;
    expect(cpu.discardCount).toBe(1);
  });

  it('turns Ctrl-C while running into an interrupt request and a SIGINT stop', async () => {
    session = await start();
    const { client, agent } = session;
    client.sendRaw('\x03'); // ignored while stopped
    client.send('c');
    expect(await client.nextAck()).toBe('+');
    await session.attached;
    expect(session.interrupts).toBe(0);
    expect(agent.takeInterrupt()).toBe(false);

    client.sendRaw('\x03');
    await vi.waitFor(() => expect(session.interrupts).toBe(1));
    expect(agent.takeInterrupt()).toBe(true);
    expect(agent.takeInterrupt()).toBe(false);
    const resumed = agent.onStop(StopReason.Requested);
    expect(await client.nextPacket()).toMatch(/^T02.*thread:1;$/);
    client.send('c');
    expect(await resumed).toBe('resume');
  });

  it('forgets a Ctrl-C that another stop overtook', async () => {
    session = await start();
    const { client, agent, cpu } = session;
    client.send('c');
    await session.attached;
    expect(await client.nextAck()).toBe('+');
    client.sendRaw('\x03');
    await vi.waitFor(() => expect(session.interrupts).toBe(1));
    cpu.rip = 0x2000n;
    const resumed = agent.onStop(StopReason.Breakpoint);
    await client.nextPacket();
    expect(agent.takeInterrupt()).toBe(false);
    client.send('c');
    await resumed;
  });
});

describe('gdb stub: end of the session', () => {
  it('detaches: replies OK, removes every trap, lets the guest run and ignores later stops', async () => {
    session = await start();
    const { client, cpu, agent } = session;
    await client.request('Z0,2000,1');
    await client.request('Z2,3000,4');
    client.send('s');
    expect(await session.attached).toBe('resume');
    expect(cpu.singleStep).toBe(true);
    expect(await client.nextAck()).toBe('+');
    const detached = agent.onStop(StopReason.SingleStep);
    await client.nextPacket();
    expect(await client.request('D')).toBe('OK');
    expect(await detached).toBe('resume');
    await client.waitClosed();
    expect(cpu.breakpoints.size).toBe(0);
    expect(cpu.watchpoints.length).toBe(0);
    expect(cpu.singleStep).toBe(false);
    expect(cpu.interceptExceptions).toBe(false);
    expect(await agent.onStop(StopReason.SingleStep)).toBe('resume');
    await agent.onExit(0);
  });

  it('kills on k: the run loop is told to end the tender', async () => {
    session = await start();
    session.client.send('k');
    expect(await session.attached).toBe('kill');
    await session.client.waitClosed();
  });

  it('lets the guest run on when gdb disconnects without detaching', async () => {
    session = await start();
    const { client, cpu } = session;
    await client.request('Z0,2000,1');
    client.close();
    expect(await session.attached).toBe('resume');
    expect(cpu.breakpoints.size).toBe(0);
    expect(cpu.interceptExceptions).toBe(false);
  });

  describe('SIGINT and SIGTERM to the tender while the stub holds the run loop', () => {
    // Stands in for the tender's own handler, which records the signal for the run loop.
    const tenderHandler = () => {};
    beforeEach(() => {
      process.on('SIGINT', tenderHandler);
      process.on('SIGTERM', tenderHandler);
    });
    afterEach(() => {
      process.off('SIGINT', tenderHandler);
      process.off('SIGTERM', tenderHandler);
    });

    it('stop the wait for a client', async () => {
      const cpu = new FakeProcessor();
      const agent = createGdbAgent(cpu, { interrupt: () => {} }, { host: HOST, port: PORT + 2, kernelPath: 'k' });
      const attached = agent.attach();
      await vi.waitFor(() => expect(stderr).toHaveBeenCalledWith(expect.stringContaining(`:${PORT + 2}"`)));
      process.emit('SIGINT', 'SIGINT');
      expect(await attached).toBe('resume');
      await expect(RspClient.connectOnce(PORT + 2)).rejects.toThrow(/ECONNREFUSED/);
      expect(process.listenerCount('SIGINT')).toBe(1);
    });

    it('end a stopped session: gdb hears the process was terminated, the guest is released', async () => {
      session = await start();
      const { client, cpu } = session;
      await client.request('Z0,2000,1');
      process.emit('SIGTERM', 'SIGTERM');
      expect(await client.nextPacket()).toBe('X0f');
      client.close();
      expect(await session.attached).toBe('resume');
      expect(cpu.breakpoints.size).toBe(0);
      expect(cpu.interceptExceptions).toBe(false);
      expect(process.listenerCount('SIGTERM')).toBe(1);
    });

    it('are left alone while the guest runs', async () => {
      session = await start();
      session.client.send('c');
      expect(await session.attached).toBe('resume');
      expect(process.listenerCount('SIGINT')).toBe(1);
    });
  });

  it('reports the guest exit status with W and closes the connection', async () => {
    session = await start();
    const { client, agent } = session;
    client.send('c');
    await session.attached;
    expect(await client.nextAck()).toBe('+');
    await Promise.all([agent.onExit(3), client.waitClosed().catch(() => {})]);
    expect(client.unread).toMatch(/^\$W03#/);
  });
});
