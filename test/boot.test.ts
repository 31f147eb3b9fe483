/**
 * The boot state of §2.2–§2.6 as the machine builds it, observed through a recording processor:
 * page tables, GDT, registers, boot info, manifest copy, command line and host-side protection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Seg } from '../cpu/interface.js';
import { PAGE_HOST_READONLY } from '../cpu/memory.js';
import { buildMachine, TSC_HZ, type Machine } from '../src/hvt-machine.js';
import { buildKernel } from './support/elf-builder.js';
import { FakeProcessor } from './support/fake-processor.js';
import { tempDir, writeFile } from './support/tender.js';

const MEM = 64 * 1024 * 1024;
const tmp = tempDir();
let machine: Machine;
let cpu: FakeProcessor;

beforeAll(async () => {
  const kernel = writeFile(tmp.dir, 'k.hvt', buildKernel({ devices: [{ name: 'disk', type: 'BLOCK_BASIC' }] }));
  const disk = writeFile(tmp.dir, 'disk.img', Buffer.alloc(8192));
  machine = await buildMachine({
    kernel,
    options: ['--mem=64', `--block:disk=${disk}`, '--block-sector-size:disk=4096'],
    guestArgs: ['Hello_Solo5', 'arg2'],
    createProcessor: (memory, io, options) => (cpu = new FakeProcessor(memory, io, options)),
    warn: (m) => { throw new Error(`unexpected warning ${m}`); },
  });
});
afterAll(() => {
  machine?.close();
  tmp.cleanup();
});

const u64 = (gpa: number) => machine.memory.view.getBigUint64(gpa, true);
const u32 = (gpa: number) => machine.memory.view.getUint32(gpa, true);

describe('hvt boot state', () => {
  it('builds the 4-level identity map of §2.3', () => {
    expect(u64(0x2000)).toBe(0x3003n);
    expect(u64(0x2008)).toBe(0n);
    expect([0, 1, 2, 3].map((i) => u64(0x3000 + 8 * i))).toEqual([0x4003n, 0x5003n, 0x6003n, 0x7003n]);
    expect(u64(0x3020)).toBe(0n);
    expect(u64(0x4000)).toBe(0x8003n);
    expect(u64(0x4008)).toBe(0x200083n);
    expect(u64(0x4000 + 8 * 31)).toBe(0x3e00083n);
    expect(u64(0x4000 + 8 * 32)).toBe(0n);
    expect(u64(0x8000 + 8 * 0x0f)).toBe(0n);
    expect(u64(0x8080)).toBe(0x10001n);
    expect(u64(0x8000 + 8 * 0xff)).toBe(0xff001n);
    expect(u64(0x8800)).toBe(0x100003n);
    expect(u64(0x8000 + 8 * 0x1ff)).toBe(0x1ff003n);
  });

  it('writes the boot GDT at 0x1000', () => {
    expect([u64(0x1000), u64(0x1008), u64(0x1010)]).toEqual([0n, 0x00af99000000ffffn, 0x00cf93000000ffffn]);
    expect(cpu.gdtr).toEqual({ base: 0x1000n, limit: 0x17 });
    expect(cpu.idtr).toEqual({ base: 0n, limit: 0 });
  });

  it('sets the registers of §2.5', () => {
    expect(cpu.rip).toBe(0x100000n);
    expect(cpu.gpr[4]).toBe(BigInt(MEM - 8));
    expect(cpu.gpr[7]).toBe(0x10000n);
    expect(cpu.gpr.filter((v, i) => i !== 4 && i !== 7 && v !== 0n)).toEqual([]);
    expect(cpu.rflags).toBe(2);
    expect(cpu.getControl(0)).toBe(0x80010021n);
    expect(cpu.getControl(3)).toBe(0x2000n);
    expect(cpu.getControl(4)).toBe(0x620n);
    expect(cpu.getMsr(0xc0000080)).toBe(0x500n);
    expect(cpu.getSegment(Seg.CS)).toEqual({ selector: 8, base: 0n, limit: 0xffffffff, attributes: 0xa099 });
    for (const s of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) {
      expect(cpu.getSegment(s)).toEqual({ selector: 0x10, base: 0n, limit: 0xffffffff, attributes: 0xc093 });
    }
    expect(cpu.tr.attributes).toBe(0x8b);
    expect(new DataView(cpu.fxsave.buffer).getUint16(0, true)).toBe(0x037f);
    expect(new DataView(cpu.fxsave.buffer).getUint32(24, true)).toBe(0x1f80);
    expect(cpu.options.tscHz).toBe(TSC_HZ);
  });

  it('writes boot info, manifest copy and command line (§2.6)', () => {
    const mftSize = 8 + 104 * 2;
    expect(u64(0x10000)).toBe(BigInt(MEM));
    expect(u64(0x10008)).toBe(0x102000n);
    expect(u64(0x10010)).toBe(BigInt(TSC_HZ));
    expect(u64(0x10018)).toBe(BigInt(0x10038 + mftSize));
    expect(u64(0x10020)).toBe(0x10038n);
    expect([u32(0x10028), u32(0x1002c), u64(0x10030)]).toEqual([0, 0, 0n]);
    expect(u32(0x10038)).toBe(1);
    expect(u32(0x1003c)).toBe(2);
    const e1 = 0x10038 + 8 + 104;
    expect(Buffer.from(machine.memory.u8.subarray(e1, e1 + 5)).toString('latin1')).toBe('disk\0');
    expect(u32(e1 + 68)).toBe(1);
    expect(u64(e1 + 72)).toBe(8192n);
    expect(machine.memory.view.getUint16(e1 + 80, true)).toBe(4096);
    expect(machine.memory.u8[e1 + 96]).toBe(1);
    const cmd = 0x10038 + mftSize;
    expect(Buffer.from(machine.memory.u8.subarray(cmd, cmd + 17)).toString('latin1')).toBe('Hello_Solo5 arg2\0');
  });

  it('makes executable and read-only segments read-only on the host, and only those', () => {
    const flags = machine.memory.pageFlags;
    expect(flags[0x100] & PAGE_HOST_READONLY).toBe(PAGE_HOST_READONLY);
    expect(flags[0x101] & PAGE_HOST_READONLY).toBe(0);
    expect(flags[0x10] & PAGE_HOST_READONLY).toBe(0);
    expect(flags[0x102] & PAGE_HOST_READONLY).toBe(0);
  });
});
