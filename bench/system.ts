/**
 * Whole-system figures: boot-to-exit time of the hello sample (and how much of it is Node's own
 * start-up), and flood-ping round trips through a real tap device.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TENDER_MEM_MB } from './engine.js';
import { hvtBinary, ipsProbe, samplesBuildDir, tenderCli } from './paths.js';
import { spread, type Spread } from './stats.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Wall time of one process run from spawn to exit, in milliseconds. */
function timeProcess(command: string, args: string[]): Outcome<number> {
  const start = process.hrtime.bigint();
  const child = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.error) return { ok: false, reason: child.error.message };
  if (child.status !== 0) {
    const last = child.stderr.trim().split('\n').at(-1) ?? '';
    return { ok: false, reason: `exit status ${child.status}${last ? `: ${last.slice(0, 160)}` : ''}` };
  }
  return { ok: true, value: ms };
}

export interface BootFigures {
  nodeStartup: Outcome<Spread>;
  hello: Outcome<Spread>;
}

/** Runs `node -e 0` and Tender on hello.hvt alternately, `runs` times each. */
export function measureBoot(runs: number): BootFigures {
  const hello = join(samplesBuildDir, 'hello.hvt');
  const helloMissing = !existsSync(tenderCli)
    ? 'tender not built'
    : !existsSync(hello)
      ? 'samples/build/hello.hvt not built'
      : null;
  const nodeTimes: number[] = [];
  const helloTimes: number[] = [];
  let nodeFailure: string | null = null;
  let helloFailure: string | null = helloMissing;
  for (let i = 0; i < runs; i++) {
    if (!nodeFailure) {
      const t = timeProcess(process.execPath, ['-e', '0']);
      if (t.ok) nodeTimes.push(t.value);
      else nodeFailure = t.reason;
    }
    if (!helloFailure) {
      const t = timeProcess(process.execPath, [tenderCli, `--mem=${TENDER_MEM_MB}`, hello, 'Hello_Solo5']);
      if (t.ok) helloTimes.push(t.value);
      else helloFailure = t.reason;
    }
  }
  const outcome = (times: number[], failure: string | null): Outcome<Spread> =>
    failure ? { ok: false, reason: failure } : { ok: true, value: spread(times) };
  return { nodeStartup: outcome(nodeTimes, nodeFailure), hello: outcome(helloTimes, helloFailure) };
}

const TAP = 'tbench0';
const HOST_CIDR = '10.0.0.1/24';
/** The samples' net responder answers on this fixed address (as Solo5's test_net does). */
const GUEST_IP = '10.0.0.2';

export interface PingFigures {
  transmitted: number;
  received: number;
  seconds: number;
  perSecond: number;
}

function run(command: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  return { status: child.status, stdout: child.stdout ?? '', stderr: child.stderr ?? child.error?.message ?? '' };
}

/** Why the flood-ping row cannot run here, or null. */
function pingPrerequisite(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  if (!existsSync(tenderCli)) return 'tender not built';
  if (!existsSync(join(samplesBuildDir, 'net.hvt'))) return 'samples/build/net.hvt not built';
  if (run('ping', ['-V']).status !== 0) return 'no ping';
  const addrs = run('ip', ['-o', '-4', 'addr', 'show']);
  if (addrs.status !== 0) return 'ip(8) not usable';
  const clash = addrs.stdout.split('\n').find((l) => / inet 10\.0\.0\.\d+\//.test(l));
  if (clash) return `10.0.0.0/24 already in use (${clash.trim().split(/\s+/)[1]})`;
  if (run('ip', ['link', 'show', TAP]).status === 0) return `${TAP} already exists`;
  return null;
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Parses ping's summary: "N packets transmitted, M received, …, time Tms". */
export function parsePingSummary(text: string): PingFigures | null {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received.*?time (\d+)ms/s.exec(text);
  if (!m) return null;
  const transmitted = Number(m[1]);
  const received = Number(m[2]);
  const seconds = Number(m[3]) / 1000;
  return { transmitted, received, seconds, perSecond: seconds > 0 ? received / seconds : 0 };
}

/**
 * Creates tap tbench0 (10.0.0.1/24), boots samples/build/net.hvt on it, waits until the guest
 * answers one ping, then floods it. The tap is removed and the tender stopped in every case.
 */
export async function measureFloodPing(count: number, deadlineS: number): Promise<Outcome<PingFigures>> {
  const missing = pingPrerequisite();
  if (missing) return { ok: false, reason: missing };
  const setup = [
    ['tuntap', 'add', 'dev', TAP, 'mode', 'tap'],
    ['addr', 'add', HOST_CIDR, 'dev', TAP],
    ['link', 'set', TAP, 'up'],
  ];
  let tender: ChildProcess | null = null;
  let tenderOutput = '';
  try {
    for (const args of setup) {
      const r = run('ip', args);
      if (r.status !== 0) return { ok: false, reason: `ip ${args.join(' ')}: ${r.stderr.trim()}` };
    }
    tender = spawn(process.execPath, [tenderCli, `--mem=${TENDER_MEM_MB}`, `--net:service0=${TAP}`, join(samplesBuildDir, 'net.hvt')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    tender.stdout!.on('data', (d: Buffer) => (tenderOutput += d.toString()));
    tender.stderr!.on('data', (d: Buffer) => (tenderOutput += d.toString()));
    // The guest needs to boot and answer ARP: wait for a first reply (up to ~15 s).
    let alive = false;
    for (let i = 0; i < 15 && !alive && tender.exitCode === null; i++) {
      alive = (await runAsync('ping', ['-c', '1', '-W', '1', GUEST_IP])).status === 0;
    }
    if (!alive) {
      const last = tenderOutput.trim().split('\n').at(-1) ?? '';
      return { ok: false, reason: `guest never answered a ping${last ? ` (tender: ${last.slice(0, 120)})` : ''}` };
    }
    const flood = await runAsync('ping', ['-f', '-q', '-c', String(count), '-w', String(deadlineS), GUEST_IP]);
    const figures = parsePingSummary(flood.stdout);
    if (!figures) return { ok: false, reason: `no ping summary: ${(flood.stdout + flood.stderr).trim().slice(0, 160)}` };
    return { ok: true, value: figures };
  } finally {
    if (tender) {
      tender.kill('SIGTERM');
      await waitExit(tender, 3000);
    }
    run('ip', ['link', 'del', TAP]);
  }
}

function runAsync(command: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ status: null, stdout, stderr: stderr + e.message }));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface IpsFigures {
  instructions: number;
  ns: number;
  perSecond: number;
}

/**
 * Runs one workload on the tender in-process (ips-probe.js) and returns the instructions the CPU
 * retired over the whole guest run, boot and set-up included, divided by its wall time.
 */
export function measureGuestIps(binary: string, guestArgs: string[]): Outcome<IpsFigures> {
  if (!existsSync(tenderCli)) return { ok: false, reason: 'tender not built' };
  if (!existsSync(hvtBinary(binary))) return { ok: false, reason: 'hvt guest not built' };
  const child = spawnSync(process.execPath, [ipsProbe, hvtBinary(binary), ...guestArgs], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.error) return { ok: false, reason: child.error.message };
  const m = /PROBE instructions=(\d+) ns=(\d+) status=(\d+)/.exec(child.stderr);
  if (!m) {
    const last = child.stderr.trim().split('\n').at(-1) ?? `exit status ${child.status}`;
    return { ok: false, reason: last.slice(0, 160) };
  }
  if (m[3] !== '0') return { ok: false, reason: `guest exit status ${m[3]}` };
  const instructions = Number(m[1]);
  const ns = Number(m[2]);
  if (instructions === 0) return { ok: false, reason: 'the CPU reports 0 instructions retired' };
  return { ok: true, value: { instructions, ns, perSecond: (instructions / ns) * 1e9 } };
}
