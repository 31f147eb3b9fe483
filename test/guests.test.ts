/**
 * The sample unikernels (samples/build, `make -C samples`) run through the real CLI with
 * `--mem=4096`, judged by the pass conditions of hvt.md §8 as the samples README states them:
 * success = exit 0 and SUCCESS, abort = exit 255 and ABORT.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO, runTender, tempDir, type TenderResult } from './support/tender.js';

const BUILD = path.join(REPO, 'samples/build');
const sample = (name: string) => path.join(BUILD, `${name}.hvt`);
const tmp = tempDir();
afterAll(tmp.cleanup);

function hvt(args: string[]): TenderResult {
  return runTender(['--mem=4096', ...args]);
}

function expectSuccess(r: TenderResult): void {
  expect(r.output).toContain('SUCCESS');
  expect(r.status, r.output).toBe(0);
}

function expectAbort(r: TenderResult): void {
  expect(r.output).toContain('ABORT');
  expect(r.status, r.output).toBe(255);
}

/** The byte blk.c writes at index i of block b. */
const pattern = (i: number, block: number) => (i * 7 + block * 13 + 1) & 0xff;

describe('sample guests', () => {
  it('hello', () => {
    const r = hvt([sample('hello'), 'Hello_Solo5']);
    expectSuccess(r);
    expect(r.stdout).toContain("Command line is: 'Hello_Solo5'");
    expect(r.stderr).toBe('');
  });

  it('hello with the wrong command line fails', () => {
    expect(hvt([sample('hello'), 'Hello', 'Solo5']).status).toBe(1);
  });

  it('hello gets everything after KERNEL as its command line, up to 8191 characters', () => {
    expect(hvt([sample('hello'), '--mem=5', '--foo']).stdout).toContain("Command line is: '--mem=5 --foo'");
    const long = 'x'.repeat(8191);
    const r = hvt([sample('hello'), long]);
    expect(r.stdout).toContain(`Command line is: '${long}'`);
    expect(r.status).toBe(1);
  });

  it('quiet', () => {
    const r = hvt(['--', sample('quiet'), '--quiet']);
    expect(r.status).toBe(0);
    expect(r.output).toBe('SUCCESS\n');
  });

  it('output', () => {
    const r = hvt([sample('output'), 'Output_Solo5']);
    expectSuccess(r);
    expect(r.stdout).toContain('(4096 characters)');
  });

  it('globals', () => expectSuccess(hvt([sample('globals')])));

  for (const name of ['exception', 'zeropage', 'ud', 'de', 'gp', 'notls', 'ssp']) {
    it(name, () => expectAbort(hvt([sample(name)])));
  }

  it('exception reports the page fault at 0x400000000', () => {
    const r = hvt([sample('exception')]);
    expect(r.stdout).toContain('type=#PF ec=0x2');
    expect(r.stdout).toContain('cr2=0x400000000');
  });

  it('xnow: the tender stops a write to .text', () => {
    const r = hvt([sample('xnow')]);
    expect(r.stderr).toContain('host/guest translation fault');
    expect(r.status).toBe(1);
  });

  it('tls', () => expectSuccess(hvt([sample('tls')])));
  it('fpu', () => expectSuccess(hvt([sample('fpu')])));
  it('time', () => expectSuccess(hvt([sample('time')])));

  /** Starts the tender, sends `signal` once `marker` is printed, and returns exit status and output. */
  async function interrupted(args: string[], marker: string, signal: NodeJS.Signals): Promise<{ status: number | null; output: string }> {
    const child = spawn(process.execPath, [CLI, ...args]);
    let output = '';
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        output += d.toString('latin1');
        if (output.includes(marker)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exit.then(() => resolve());
    });
    child.kill(signal);
    return { status: await exit, output };
  }

  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
    it(`${signal} ends a guest sleeping in POLL: "Exiting on signal ${number}", exit 1`, async () => {
      const r = await interrupted(['--mem=4096', sample('time')], 'yield 1:', signal);
      expect(r.output).toContain(`tender: Exiting on signal ${number}`);
      expect(r.output).not.toContain('SUCCESS');
      expect(r.status).toBe(1);
    });
  }

  it('SIGINT ends a tender waiting for gdb', async () => {
    const r = await interrupted(['--gdb', '--gdb-port=47391', sample('hello')], 'waiting for gdb', 'SIGINT');
    expect(r.output).toContain('tender: Exiting on signal 2');
    expect(r.status).toBe(1);
  });

  for (const sectorSize of [512, 4096]) {
    it(`blk with ${sectorSize}-byte sectors`, () => {
      const img = path.join(tmp.dir, `blk${sectorSize}.img`);
      fs.writeFileSync(img, Buffer.alloc(4 * 1024 * 1024));
      const r = hvt([`--block:storage=${img}`, `--block-sector-size:storage=${sectorSize}`, '--', sample('blk')]);
      expectSuccess(r);
      const disk = fs.readFileSync(img);
      const blocks = disk.length / sectorSize;
      for (const b of [0, 10, 20, blocks - 1]) {
        const want = Buffer.from(Array.from({ length: sectorSize }, (_, i) => pattern(i, b)));
        expect(disk.subarray(b * sectorSize, (b + 1) * sectorSize).equals(want), `block ${b}`).toBe(true);
      }
      expect(disk.subarray(sectorSize, 2 * sectorSize).every((x) => x === 0)).toBe(true);
    });
  }

  it('maxdevices: 63 block devices', () => {
    const args: string[] = [];
    for (let i = 0; i < 63; i++) {
      const img = path.join(tmp.dir, `max${i}.img`);
      fs.writeFileSync(img, Buffer.alloc(4096));
      args.push(`--block:storage${i}=${img}`);
    }
    expectSuccess(hvt([...args, '--', sample('maxdevices')]));
  });

  it('dumpcore writes a core that gdb reads', () => {
    const dir = path.join(tmp.dir, 'cores');
    fs.mkdirSync(dir);
    const r = runTender([`--dumpcore=${dir}`, sample('dumpcore')]);
    expectAbort(r);
    const line = r.output.split('\n').find((l) => /core\.solo5-hvt\.\d+$/.test(l));
    expect(line, r.output).toBeDefined();
    const core = path.join(dir, path.basename(line!.split(' ').pop()!));
    expect(fs.existsSync(core)).toBe(true);
    const g = spawnSync('gdb', ['-batch', '-nx', '-ex', 'p/x $pc', '-ex', 'bt 1', sample('dumpcore'), core], { encoding: 'utf8' });
    expect(g.stdout).toMatch(/\$1 = 0x10[0-9a-f]{4}/);
  });

  it('dumpcore of a trap reports the faulting context from the trap frame', () => {
    const dir = path.join(tmp.dir, 'trapcores');
    fs.mkdirSync(dir);
    const r = runTender([`--dumpcore=${dir}`, sample('exception')]);
    expectAbort(r);
    const rip = /trap: type=#PF ec=0x2 rip=(0x[0-9a-f]+) rsp=(0x[0-9a-f]+)/.exec(r.stdout);
    expect(rip, r.output).not.toBeNull();
    const core = path.join(dir, fs.readdirSync(dir)[0]);
    const g = spawnSync('gdb', ['-batch', '-nx', '-ex', 'p/x $pc', '-ex', 'p/x $sp', sample('exception'), core], { encoding: 'utf8' });
    expect(g.stdout).toContain(`$1 = ${rip![1]}`);
    expect(g.stdout).toContain(`$2 = ${rip![2]}`);
  });
});
