/**
 * The executable checks of §1.2–§1.5, each through the real CLI on a malformed ELF built here:
 * exit status 1 and Solo5's phrase on stderr.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ABI1_NOTE_TYPE, MFT1_NOTE_TYPE, PF_R, PF_W, PF_X, PT_LOAD, PT_NOTE } from '../solo5-abi/constants.js';
import {
  abiDesc, buildKernel, manifestBytes, manifestDesc, solo5Note, type KernelSpec,
} from './support/elf-builder.js';
import { REPO, runTender, tempDir, writeFile } from './support/tender.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
let counter = 0;

function rejects(content: Buffer, phrase: string, extraArgs: string[] = []): void {
  const file = writeFile(tmp.dir, `k${counter++}.hvt`, content);
  const r = runTender([...extraArgs, file]);
  expect(r.stderr).toContain(phrase);
  expect(r.status).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr.startsWith(`tender: ${file}: `)).toBe(true);
}

function kernel(spec: KernelSpec): Buffer {
  return buildKernel(spec);
}

const mft = (m: Buffer, descsz?: number) => solo5Note(MFT1_NOTE_TYPE, manifestDesc(m), { descsz });

describe('ELF header (§1.2)', () => {
  it('rejects a file shorter than the header', () => {
    rejects(Buffer.from('\x7fELF\x02\x01'), 'invalid executable: elf header does not match the expected size (6 != 64)');
  });

  const invalid = 'invalid executable: invalid or unsupported executable (elf header invalid while loading note)';
  const cases: Array<[string, Array<[number, number[]]>]> = [
    ['bad magic', [[1, [0x45, 0x4c, 0x47]]]],
    ['32-bit class', [[4, [1]]]],
    ['big-endian data', [[5, [2]]]],
    ['e_version 0', [[20, [0]]]],
    ['ET_DYN (PIE)', [[16, [3, 0]]]],
    ['machine i386', [[18, [3, 0]]]],
    ['e_ehsize 52', [[52, [52, 0]]]],
    ['e_phentsize 32', [[54, [32, 0]]]],
    ['no program headers', [[56, [0, 0]]]],
  ];
  for (const [name, patches] of cases) {
    it(`rejects ${name}`, () => rejects(kernel({ headerPatches: patches }), invalid));
  }

  it('does not check EI_OSABI', () => {
    const r = runTender([writeFile(tmp.dir, 'osabi.hvt', kernel({ headerPatches: [[7, [0xff]]], devices: [{ name: 'x', type: 'BLOCK_BASIC' }] }))]);
    expect(r.stderr).toContain("Device 'x' of type BLOCK_BASIC declared but not attached.");
  });

  it('rejects program headers beyond the end of the file', () => {
    rejects(kernel({ headerPatches: [[32, [0, 0, 1]]] }), 'program header does not match the expected size');
  });
});

describe('Solo5 notes (§1.3)', () => {
  it('needs the ABI note', () => rejects(kernel({ abi: null }), 'No Solo5 ABI information found in executable'));

  it('needs the hvt target', () => {
    rejects(kernel({ abi: solo5Note(ABI1_NOTE_TYPE, abiDesc(2, 2)) }), 'Executable is not for the solo5-hvt target');
  });

  it('needs ABI version 2', () => {
    rejects(kernel({ abi: solo5Note(ABI1_NOTE_TYPE, abiDesc(1, 3)) }), 'Executable requests unsupported ABI version 3');
  });

  it('rejects a PT_NOTE smaller than a note header', () => {
    rejects(kernel({ abi: Buffer.alloc(8) }), 'phdr[3].p_filesz note does not fall within valid size (8 < 12)');
  });

  it('skips a PT_NOTE too small for a Solo5 note and notes of other names', () => {
    const other = solo5Note(1, Buffer.alloc(4), { namesz: 8, name: 'OpenBSD\0' });
    const k = kernel({
      devices: [{ name: 'disk', type: 'BLOCK_BASIC' }],
      edit: (s) => s.unshift(
        { type: PT_NOTE, flags: PF_R, vaddr: 0x102200n, data: Buffer.alloc(16) },
        { type: PT_NOTE, flags: PF_R, vaddr: 0x102300n, data: other },
      ),
    });
    const r = runTender([writeFile(tmp.dir, 'skip.hvt', k)]);
    expect(r.stderr).toContain("Device 'disk' of type BLOCK_BASIC declared but not attached.");
    expect(r.status).toBe(1);
  });

  it('rejects a descriptor size of 0 or above the maximum', () => {
    rejects(kernel({ abi: solo5Note(ABI1_NOTE_TYPE, abiDesc(), { descsz: 0 }) }), 'phdr[3] note does not fall within valid size (0 < 1 || 0 > 32)');
    rejects(kernel({ abi: solo5Note(ABI1_NOTE_TYPE, Buffer.alloc(40), { descsz: 40 }) }), 'note does not fall within valid size (40 < 1 || 40 > 32)');
  });

  it('rejects a descriptor larger than its segment', () => {
    rejects(kernel({ abi: solo5Note(ABI1_NOTE_TYPE, abiDesc(), { descsz: 24 }) }), 'phdr[3] note does not fall within valid size (36 < 20+24)');
  });

  it('rejects the buggyelf manifest note (descsz 1)', () => {
    rejects(kernel({ mft: solo5Note(MFT1_NOTE_TYPE, Buffer.alloc(4), { descsz: 1 }) }),
      'INV_EXE: phdr[4] note does not fall within valid size (18446744073709551613 <= 0 || 18446744073709551613 > 1)');
  });

  it('needs the manifest note', () => rejects(kernel({ mft: null }), 'No Solo5 manifest found in executable'));
});

describe('manifest validation (§1.4)', () => {
  const good = () => manifestBytes([{ name: 'storage', type: 'BLOCK_BASIC' }]);
  const variants: Array<[string, (m: Buffer) => Buffer]> = [
    ['version 2', (m) => (m.writeUInt32LE(2, 0), m)],
    ['more than 64 entries', (m) => (m.writeUInt32LE(65, 4), m)],
    ['size not matching the entry count', (m) => (m.writeUInt32LE(3, 4), m)],
    ['zero entries', () => { const m = Buffer.alloc(8); m.writeUInt32LE(1, 0); return m; }],
    ['shorter than its header', () => Buffer.alloc(4)],
    ['entry 0 not reserved', (m) => (m.writeUInt32LE(1, 8 + 68), m)],
    ['entry 0 with a name', (m) => (m.write('x', 8), m)],
    ['a name without its terminating NUL', (m) => (m.fill(0x41, 8 + 104, 8 + 104 + 68), m)],
    ['an entry already attached', (m) => ((m[8 + 104 + 96] = 1), m)],
  ];
  for (const [name, corrupt] of variants) {
    it(`rejects ${name}`, () => rejects(kernel({ mft: mft(corrupt(good())) }), 'Solo5 manifest is invalid'));
  }
});

describe('PT_LOAD segments (§1.5)', () => {
  const text = (change: Partial<{ vaddr: bigint; align: bigint; memsz: bigint; filesz: bigint; flags: number; offset: bigint }>) =>
    kernel({ edit: (s) => Object.assign(s[0], change) });

  it('rejects an entry point below 1 MiB or beyond memory', () => {
    rejects(kernel({ entry: 0x1000n }), 'e_entry does not fall within the memory allocation range (4096 < 1048576 || 4096 >= 536870912)');
    rejects(kernel({ entry: 0x400000n }), 'e_entry does not fall within the memory allocation range (4194304 < 1048576 || 4194304 >= 2097152)', ['--mem=2']);
  });

  it('rejects a segment below 1 MiB', () => {
    rejects(text({ vaddr: 0x80000n }), 'phdr[0].p_vaddr outside of valid memory range (524288 < 1048576)');
  });

  it('rejects segments out of order', () => {
    rejects(kernel({ edit: (s) => ([s[0], s[1]] = [s[1], s[0]]) }), 'phdr[1].p_vaddr is not in ascending order');
  });

  it('rejects an alignment that is not a power of two', () => {
    rejects(text({ align: 0x1001n }), 'phdr[0].p_vaddr is outside of memory range (align_down with 1048576 (p_vaddr) and 4097 (p_align) failed)');
  });

  it('rejects a segment whose aligned start falls below 1 MiB', () => {
    rejects(text({ vaddr: 0x100000n, align: 0x200000n }), 'phdr[0].p_vaddr_start is outside of memory range (0 < 1048576 (p_min_loadaddr))');
  });

  it('rejects overlapping segments', () => {
    rejects(kernel({ edit: (s) => (s[1].vaddr = 0x100800n, s[1].align = 0x800n) }), 'phdr[1].p_vaddr_start is outside of memory range (1050624 < 1052672 (e_end))');
  });

  it('rejects segments outside guest memory', () => {
    rejects(kernel({ edit: (s) => (s[1].vaddr = 0x200000n) }), 'phdr[1] program file segment falls outside of valid range (2097152 >= 2097152 (mem_size))', ['--mem=2']);
    rejects(kernel({ edit: (s) => (s[1].vaddr = 0x1ff000n, s[1].data = Buffer.alloc(0x2000)) }), 'phdr[1] program file segment falls outside of valid range', ['--mem=2']);
    rejects(kernel({ edit: (s) => (s[1].memsz = 0x200000n) }), 'phdr[1] program memory segment falls outside of valid range', ['--mem=2']);
  });

  it('rejects memsz < filesz', () => {
    rejects(text({ memsz: 4n }), 'phdr[0] program memory segment falls outside of valid range (memsz < filesz)');
  });

  it('rejects a segment extending past the end of the file', () => {
    rejects(text({ filesz: 0x800n, memsz: 0x800n }), 'phdr[0] host file segment mismatched');
  });

  it('rejects segments not aligned to 4 KiB', () => {
    rejects(text({ vaddr: 0x100010n, align: 16n }), 'phdr[0] p_vaddr_start not aligned with architectural page size (1048592 & (4095 - 1))');
    rejects(text({ align: 16n }), 'phdr[0] p_vaddr_end not aligned with architectural page size');
  });

  it('rejects a writable and executable segment', () => {
    rejects(text({ flags: PF_R | PF_W | PF_X }), 'phdr[0] requests WRITE and EXEC permissions');
  });

  it('skips PT_LOADs without file bytes (BSS, empty .tdata at 0)', () => {
    const k = kernel({
      devices: [{ name: 'disk', type: 'BLOCK_BASIC' }],
      edit: (s) => s.push({ type: PT_LOAD, flags: PF_R | PF_W, vaddr: 0x50n, data: Buffer.alloc(0), memsz: 0x10000n }),
    });
    const r = runTender([writeFile(tmp.dir, 'bss.hvt', k)]);
    expect(r.stderr).toContain("Device 'disk' of type BLOCK_BASIC declared but not attached.");
  });
});

describe('real sample executable, patched (samples/build/hello.hvt)', () => {
  const hello = path.join(REPO, 'samples/build/hello.hvt');
  const original = () => fs.readFileSync(hello);
  /** Offsets of program header i and of its field at `field`. */
  const ph = (elf: Buffer, i: number, field: number) => Number(elf.readBigUInt64LE(32)) + 56 * i + field;
  const notes = (elf: Buffer) => {
    const found: Array<{ index: number; offset: number; type: number }> = [];
    for (let i = 0; i < elf.readUInt16LE(56); i++) {
      if (elf.readUInt32LE(ph(elf, i, 0)) !== PT_NOTE) continue;
      const offset = Number(elf.readBigUInt64LE(ph(elf, i, 8)));
      found.push({ index: i, offset, type: elf.readUInt32LE(offset + 8) });
    }
    return found;
  };
  const firstLoad = (elf: Buffer) => {
    for (let i = 0; ; i++) if (elf.readUInt32LE(ph(elf, i, 0)) === PT_LOAD) return i;
  };

  it('rejects its manifest note with descsz 1 (buggyelf)', () => {
    const elf = original();
    const mftNote = notes(elf).find((n) => n.type === MFT1_NOTE_TYPE)!;
    elf.writeUInt32LE(1, mftNote.offset + 4);
    rejects(elf, `INV_EXE: phdr[${mftNote.index}] note does not fall within valid size (18446744073709551613 <= 0 || 18446744073709551613 > 1)`);
  });

  it('rejects its ABI note with version 3', () => {
    const elf = original();
    const abi = notes(elf).find((n) => n.type === ABI1_NOTE_TYPE)!;
    elf.writeUInt32LE(3, abi.offset + 20 + 4);
    rejects(elf, 'Executable requests unsupported ABI version 3');
  });

  it('rejects its text segment made RWX', () => {
    const elf = original();
    const text = firstLoad(elf);
    elf.writeUInt32LE(PF_R | PF_W | PF_X, ph(elf, text, 4));
    rejects(elf, `phdr[${text}] requests WRITE and EXEC permissions`);
  });

  it('rejects its text segment moved to 0x80000', () => {
    const elf = original();
    const text = firstLoad(elf);
    elf.writeBigUInt64LE(0x80000n, ph(elf, text, 16));
    rejects(elf, `phdr[${text}].p_vaddr outside of valid memory range (524288 < 1048576)`);
  });
});
