/**
 * Tiny hand-assembled guests run through the CLI on the real CPU: exit statuses, and the one-line
 * fatal messages for guests that break the hvt rules (§3.1, §3.4, §3.5, §1.5).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildKernel, HALT_CODE } from './support/elf-builder.js';
import { runTender, tempDir, writeFile } from './support/tender.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let counter = 0;

/** mov eax, 0x101000 (the data page, where the argument structs are) */
const EAX_DATA = [0xb8, 0x00, 0x10, 0x10, 0x00];
const outTo = (port: number) => [0x66, 0xba, port & 0xff, port >> 8, 0xef];
const SPIN = [0xeb, 0xfe];

function run(code: number[] | Buffer, data: Buffer = Buffer.alloc(16), args: string[] = ['--mem=2']) {
  const file = writeFile(tmp.dir, `g${counter++}.hvt`, buildKernel({ code: Buffer.from(code), data }));
  return runTender([...args, file]);
}

function haltData(status: number, cookie = 0n): Buffer {
  const d = Buffer.alloc(16);
  d.writeBigUInt64LE(cookie, 0);
  d.writeInt32LE(status, 8);
  return d;
}

function fatal(r: ReturnType<typeof run>, line: string): void {
  expect(r.stderr).toBe(`tender: ${line}\n`);
  expect(r.status).toBe(1);
}

describe('hand-made guests', () => {
  it('exit with the HALT status & 0xFF and print nothing', () => {
    for (const [status, exit] of [[0, 0], [300, 44], [-2, 254], [255, 255]]) {
      const r = run(HALT_CODE, haltData(status));
      expect(r.status).toBe(exit);
      expect(r.output).toBe('');
    }
  });

  it('die on port access outside the hypercall ports', () => {
    fatal(run([...EAX_DATA, ...outTo(0x509), ...SPIN]), 'Invalid guest port access: port=0x509');
    fatal(run([0x66, 0xba, 0x01, 0x05, 0xec, ...SPIN]), 'Invalid guest port access: port=0x501');
    fatal(run([0x66, 0xba, 0x01, 0x05, 0x66, 0xef, ...SPIN]), 'Invalid guest port access: port=0x501');
  });

  it('die on hypercalls that are reserved or not active', () => {
    fatal(run([...EAX_DATA, ...outTo(0x500), ...SPIN]), 'Invalid guest hypercall: num=0');
    fatal(run([...EAX_DATA, ...outTo(0x504), ...SPIN]), 'Invalid guest hypercall: num=4');
    fatal(run([...EAX_DATA, ...outTo(0x507), ...SPIN]), 'Invalid guest hypercall: num=7');
  });

  it('die on a PUTS buffer reaching the end of memory', () => {
    const d = Buffer.alloc(16);
    d.writeBigUInt64LE(0x1ffff0n, 0);
    d.writeBigUInt64LE(16n, 8);
    fatal(run([...EAX_DATA, ...outTo(0x502), ...SPIN], d), 'Invalid guest access: gpa=0x1ffff0, sz=16');
  });

  it('die on a HALT cookie too close to the end of memory', () => {
    fatal(run(HALT_CODE, haltData(0, 0x1ffe00n)), 'Invalid guest access: gpa=0x1ffe00, sz=512');
  });

  it('stop a store to the text segment (host-side W^X)', () => {
    // mov [0x100000], eax
    fatal(run([0xa3, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, ...SPIN]), 'host/guest translation fault: rip=0x100000');
  });

  it('report a triple fault (no IDT at boot)', () => {
    const r = run([0x0f, 0x0b]);
    expect(r.stderr).toMatch(/^tender: guest triple fault: rip=0x[0-9a-f]+ vector=\d+\n$/);
    expect(r.status).toBe(1);
  });

  it('report HLT, which can never wake on hvt', () => {
    const r = run([0xf4, ...SPIN]);
    expect(r.stderr).toMatch(/^tender: guest executed HLT and can never wake .*rip=0x100001\n$/);
    expect(r.status).toBe(1);
  });

  it('PUTS passes raw bytes through', () => {
    const d = Buffer.alloc(64);
    d.writeBigUInt64LE(0x101020n, 0);
    d.writeBigUInt64LE(5n, 8);
    d.set([0x41, 0x00, 0xff, 0x0a, 0x42], 0x20);
    // puts at 0x101000, then HALT(0) with its struct at 0x101010
    const code = [...EAX_DATA, ...outTo(0x502), 0xb8, 0x10, 0x10, 0x10, 0x00, ...outTo(0x508), ...SPIN];
    const r = run(code, d);
    expect(r.status).toBe(0);
    expect(Buffer.from(r.stdout, 'latin1')).toEqual(Buffer.from([0x41, 0x00, 0xff, 0x0a, 0x42]));
  });
});
