/**
 * Network samples on real tap devices (root only). Everything happens inside a private network
 * namespace, so the guest addresses 10.0.0.2 / 10.1.0.2 cannot collide with anything on the host,
 * and no frame leaves this machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO } from './support/tender.js';

const NS = 'tender-tndr';
const isRoot = process.getuid?.() === 0;
const sample = (name: string) => path.join(REPO, 'samples/build', `${name}.hvt`);

function sh(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const inNs = (...args: string[]) => sh('ip', 'netns', 'exec', NS, ...args);

interface Running {
  output: () => string;
  waitFor: (text: string) => Promise<void>;
  exit: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

function start(args: string[]): Running {
  const child = spawn('ip', ['netns', 'exec', NS, process.execPath, CLI, '--mem=4096', ...args]);
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString('latin1');
    waiters.splice(0).forEach((w) => w());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    output: () => out,
    waitFor: (text) => new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes(text)) resolve();
        else if (child.exitCode !== null) reject(new Error(`tender exited: ${out}`));
        else waiters.push(check);
      };
      void exit.then(() => waiters.splice(0).forEach((w) => w()));
      check();
    }),
    exit,
    kill: (signal) => child.kill(signal),
  };
}

describe.skipIf(!isRoot)('network samples (root, private netns)', () => {
  beforeAll(() => {
    sh('ip', 'netns', 'del', NS);
    expect(sh('ip', 'netns', 'add', NS).status).toBe(0);
    for (const [tap, addr, mtu] of [['tndr0', '10.0.0.1/24', '1500'], ['tndr1', '10.1.0.1/24', '1500'], ['tndr2', '', '9000']]) {
      expect(inNs('ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap').status).toBe(0);
      inNs('ip', 'link', 'set', tap, 'mtu', mtu, 'up');
      if (addr) inNs('ip', 'addr', 'add', addr, 'dev', tap);
    }
  });
  afterAll(() => {
    sh('ip', 'netns', 'del', NS);
  });

  it('net_mtu reads the tap MTU from the manifest', () => {
    const r = inNs(process.execPath, CLI, '--mem=4096', '--net:service0=tndr2', '--', sample('net_mtu'));
    expect(r.stdout).toContain('MTU is 9000');
    expect(r.stdout).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('reports an interface that does not exist', () => {
    const r = inNs(process.execPath, CLI, '--net:service0=tndrnone', sample('net_mtu'));
    expect(r.stderr).toContain('Could not attach interface: tndrnone: No such file or directory');
    expect(r.status).toBe(1);
  });

  it('net answers ping with the MAC it was given, and exits on SIGTERM', async () => {
    const t = start(['--net:service0=tndr0', '--net-mac:service0=02:00:00:0a:0b:0c', '--', sample('net')]);
    await t.waitFor('serving 10.0.0.2');
    expect(t.output()).toContain('mac 02:00:00:0a:0b:0c');
    const ping = inNs('ping', '-c', '5', '-i', '0.2', '-W', '10', '10.0.0.2');
    expect(ping.stdout).toContain('5 received');
    const flood = inNs('ping', '-f', '-c', '2000', '-W', '10', '10.0.0.2');
    expect(flood.stdout).toContain('2000 received');
    t.kill('SIGTERM');
    expect(await t.exit).toBe(1);
    expect(t.output()).toContain('tender: Exiting on signal 15');
  });

  it('net limit: 100000 flood-ping echo requests, none lost (bats "net hvt")', async () => {
    const t = start(['--net:service0=tndr0', '--', sample('net'), 'limit']);
    await t.waitFor('serving 10.0.0.2');
    const flood = inNs('timeout', '60', 'ping', '-fq', '-c', '100000', '10.0.0.2');
    expect(flood.stdout).toContain('100000 received');
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('SUCCESS');
  });

  it('net_2if limit: two concurrent floods of 50000, none lost (bats "net_2if hvt")', async () => {
    const t = start(['--net:service0=tndr0', '--net:service1=tndr1', '--', sample('net_2if'), 'limit']);
    await t.waitFor('serving 10.1.0.2');
    const flood = (ip: string) => new Promise<string>((resolve) => {
      const p = spawn('ip', ['netns', 'exec', NS, 'timeout', '60', 'ping', '-fq', '-c', '50000', ip]);
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', () => resolve(out));
    });
    const [a, b] = await Promise.all([flood('10.0.0.2'), flood('10.1.0.2')]);
    expect(a).toContain('50000 received');
    expect(b).toContain('50000 received');
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('SUCCESS');
  });

  it('net_2if serves two interfaces', async () => {
    const t = start(['--net:service0=tndr0', '--net:service1=tndr1', '--', sample('net_2if')]);
    await t.waitFor('serving 10.1.0.2');
    expect(inNs('ping', '-c', '3', '-i', '0.2', '-W', '10', '10.0.0.2').stdout).toContain('3 received');
    expect(inNs('ping', '-c', '3', '-i', '0.2', '-W', '10', '10.1.0.2').stdout).toContain('3 received');
    t.kill('SIGINT');
    expect(await t.exit).toBe(1);
    expect(t.output()).toContain('tender: Exiting on signal 2');
  });
});
