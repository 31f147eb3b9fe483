/**
 * The core file of §7 from a machine state set through a recording processor: ELF layout, the
 * NT_PRSTATUS registers (trap frame taking precedence), sparse memory at 0x214 + GPA, and gdb
 * reading it next to the kernel.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMachine, type Machine } from '../src/hvt-machine.js';
import { dumpCore } from '../src/dumpcore.js';
import { buildKernel, HALT_CODE } from './support/elf-builder.js';
import { FakeProcessor } from './support/fake-processor.js';
import { tempDir, writeFile } from './support/tender.js';

const MEM = 4 * 1024 * 1024;
const tmp = tempDir();
let kernel: string;
let machine: Machine;
let cpu: FakeProcessor;

beforeAll(async () => {
  kernel = writeFile(tmp.dir, 'k.hvt', buildKernel());
  machine = await buildMachine({
    kernel, options: ['--mem=4'], guestArgs: [],
    createProcessor: (m, io, o) => (cpu = new FakeProcessor(m, io, o)),
    warn: () => {},
  });
  cpu.setGpr(0, 0x1111n);
  cpu.setGpr(15, 0xf0f0n);
  cpu.setRip(0x10000an);
  machine.memory.u8.fill(0x5a, 0x300000, 0x300010);
});
afterAll(() => {
  machine.close();
  tmp.cleanup();
});

function dump(dirName: string, cookie: number): { file: string; core: Buffer; log: string[] } {
  const dir = path.join(tmp.dir, dirName);
  fs.mkdirSync(dir);
  const log: string[] = [];
  dumpCore(cpu, MEM, dir, cookie, (l) => log.push(l));
  const file = path.join(dir, `core.solo5-hvt.${process.pid}`);
  return { file, core: fs.readFileSync(file), log };
}

describe('dumpcore', () => {
  it('writes an ELF core with one note and one load segment', () => {
    const { file, core, log } = dump('a', 0);
    expect(log[0]).toBe(`dumpcore: dumping guest core to: ${file}`);
    expect(log[1]).toMatch(/^dumpcore: dumped \d+ pages of total 1024 pages$/);
    expect([...core.subarray(0, 8)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0xff]);
    expect(core.readUInt16LE(16)).toBe(4);
    expect(core.readUInt16LE(18)).toBe(62);
    expect(core.readUInt16LE(56)).toBe(2);
    expect(core.readUInt32LE(64)).toBe(4);
    expect(core.readBigUInt64LE(64 + 8)).toBe(0xb0n);
    expect(core.readBigUInt64LE(64 + 32)).toBe(0x164n);
    expect(core.readUInt32LE(120)).toBe(1);
    expect(core.readBigUInt64LE(120 + 8)).toBe(0x214n);
    expect(core.readBigUInt64LE(120 + 32)).toBe(BigInt(MEM));
    expect(core.length).toBe(0x214 + MEM);
    expect(core.toString('latin1', 0xb0 + 12, 0xb0 + 16)).toBe('CORE');
    const regs = 0xb0 + 20 + 112;
    expect(core.readBigUInt64LE(regs)).toBe(0xf0f0n); // r15
    expect(core.readBigUInt64LE(regs + 10 * 8)).toBe(0x1111n); // rax
    expect(core.readBigUInt64LE(regs + 16 * 8)).toBe(0x10000an); // rip
    expect(core.readBigUInt64LE(regs + 17 * 8)).toBe(8n); // cs
    expect(core.subarray(0x214 + 0x100000, 0x214 + 0x100000 + HALT_CODE.length)).toEqual(HALT_CODE);
    expect(core[0x214 + 0x300000]).toBe(0x5a);
    expect(fs.statSync(file).blocks * 512).toBeLessThan(MEM / 4);
  });

  it('takes rip, cs, rflags, rsp and ss from the trap frame', () => {
    const frame = 0x200000;
    const v = machine.memory.view;
    [0x400000000n, 2n, 0x104022n, 8n, 0x10006n, 0x1fffffe0n, 0x10n].forEach((x, i) => v.setBigUint64(frame + 8 * i, x, true));
    const { core } = dump('b', frame);
    const reg = (i: number) => core.readBigUInt64LE(0xb0 + 20 + 112 + 8 * i);
    expect([reg(16), reg(17), reg(18), reg(19), reg(20)]).toEqual([0x104022n, 8n, 0x10006n, 0x1fffffe0n, 0x10n]);
  });

  it('is readable by gdb together with the kernel', () => {
    const { file } = dump('c', 0);
    const r = spawnSync('gdb', ['-batch', '-nx', '-ex', 'p/x $rip', '-ex', 'p/x $rax', '-ex', 'x/1xb 0x100000', kernel, file], { encoding: 'utf8' });
    expect(r.stdout).toContain('= 0x10000a');
    expect(r.stdout).toContain('= 0x1111');
    expect(r.stdout).toMatch(/0x100000:\s+0xb8/);
  });
});
