/**
 * The command line of §5 through the real CLI: help and version, every error path with its exit
 * status and phrase, the --mem rules of §2.1, block options and the attachment rule.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitCommandLine } from '../src/options.js';
import { buildKernel } from './support/elf-builder.js';
import { runTender, tempDir, writeFile } from './support/tender.js';

const tmp = tempDir();
afterAll(tmp.cleanup);
const blkKernel = writeFile(tmp.dir, 'blk.hvt', buildKernel({ devices: [{ name: 'storage', type: 'BLOCK_BASIC' }] }));
const netKernel = writeFile(tmp.dir, 'net.hvt', buildKernel({ devices: [{ name: 'service0', type: 'NET_BASIC' }] }));
const mixedKernel = writeFile(tmp.dir, 'mixed.hvt', buildKernel({
  devices: [{ name: 'service0', type: 'NET_BASIC' }, { name: 'storage', type: 'BLOCK_BASIC' }, { name: 'odd', type: 7 }],
}));
const image = (name: string, size: number) => writeFile(tmp.dir, name, Buffer.alloc(size));

function fails(args: string[], phrase: string): string {
  const r = runTender(args);
  expect(r.stderr).toContain(phrase);
  expect(r.status).toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  return r.stderr;
}

describe('help and version', () => {
  it('--help lists every flag and exits 0', () => {
    const r = runTender(['--help']);
    expect(r.status).toBe(0);
    for (const flag of ['--mem=MB', '--net:NAME=IFACE', '--net-mac:NAME=HWADDR', '--block:NAME=PATH',
      '--block-sector-size:NAME=N', '--dumpcore=DIR', '--gdb', '--gdb-port=N', '--gdb-host=ADDR', '--help', '--version']) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('--version prints the tender version and the ABI version', () => {
    const r = runTender(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tender \d+\.\d+\.\d+\nABI version 2\n$/);
  });

  it('acts on --help only before KERNEL', () => {
    fails([blkKernel, '--help'], "Device 'storage' of type BLOCK_BASIC declared but not attached.");
  });
});

describe('operands', () => {
  it('needs KERNEL', () => {
    fails([], 'Missing KERNEL operand');
    fails(['--mem=4'], 'Missing KERNEL operand');
    fails(['--'], 'Missing KERNEL operand');
  });

  it('reports a missing or unreadable kernel', () => {
    fails([path.join(tmp.dir, 'nope.hvt')], 'nope.hvt: Could not open: No such file or directory');
    fails([tmp.dir], 'Is a directory');
  });

  it('splits options, KERNEL and the guest command line', () => {
    expect(splitCommandLine(['--mem=4', 'k', '--mem=5', '--foo'])).toEqual({ options: ['--mem=4'], kernel: 'k', guestArgs: ['--mem=5', '--foo'] });
    expect(splitCommandLine(['--mem=4', '--', '-k', 'a'])).toEqual({ options: ['--mem=4'], kernel: '-k', guestArgs: ['a'] });
  });

  it('rejects unknown and malformed options, after the executable checks', () => {
    fails(['--bogus', blkKernel], "Invalid option: `--bogus'");
    fails(['-x', blkKernel], "Invalid option: `-x'");
    fails(['--mem', blkKernel], "Invalid option: `--mem'");
    fails(['--dumpcore=', blkKernel], "Invalid option: `--dumpcore='");
    fails(['--block:bad-name=x', blkKernel], "Invalid option: `--block:bad-name=x'");
    fails([`--block:${'a'.repeat(68)}=x`, blkKernel], 'Invalid option');
    fails(['--block:storage=', blkKernel], "Invalid option: `--block:storage='");
    fails(['--net-mac:service0=zz:00:00:00:00:00', '--bogus', path.join(tmp.dir, 'nope.hvt')], 'Could not open');
  });

  it('checks --gdb-port', () => {
    fails(['--gdb-port=abc', blkKernel], 'Malformed argument to --gdb-port');
    fails(['--gdb-port=65536', blkKernel], 'Malformed argument to --gdb-port');
  });

  it('refuses a guest command line longer than 8191 characters', () => {
    fails([writeFile(tmp.dir, 'nodev.hvt', buildKernel()), 'x'.repeat(8192)],
      'Guest command line too long (max=8191 characters)');
  });
});

describe('--mem (§2.1)', () => {
  it('rejects 0 and non-numbers', () => {
    fails(['--mem=0', blkKernel], 'Malformed argument to --mem');
    fails(['--mem=abc', blkKernel], 'Malformed argument to --mem');
  });

  it('rounds down to 2 MiB with a warning, ignoring trailing junk', () => {
    expect(fails(['--mem=5', blkKernel], 'declared but not attached')).toContain('tender: adjusting memory to 4194304 bytes');
    expect(fails(['--mem=1', blkKernel], 'declared but not attached')).toContain('adjusting memory to 2097152 bytes');
    expect(fails(['--mem=10x', blkKernel], 'declared but not attached')).not.toContain('adjusting');
    expect(fails(['--mem=4097', blkKernel], 'declared but not attached')).toContain('adjusting memory to 4294967296 bytes');
  });

  it('enforces the 4 GiB maximum', () => {
    fails(['--mem=4098', blkKernel], 'guest memory size 4297064448 bytes exceeds the max size 4294967296 bytes');
    const err = fails(['--mem=-5', blkKernel], 'exceeds the max size 4294967296 bytes');
    expect(err).toContain('adjusting memory to 18446744073703260160 bytes');
  });

  it('lets the last --mem win', () => {
    fails(['--mem=0', '--mem=4098', blkKernel], 'exceeds the max size');
  });
});

describe('devices (§5.3, §5.4)', () => {
  it('lists every unattached device', () => {
    const err = fails([mixedKernel], 'All declared devices must be attached. See --help for syntax.');
    expect(err).toContain("tender: Device 'service0' of type NET_BASIC declared but not attached.");
    expect(err).toContain("tender: Device 'storage' of type BLOCK_BASIC declared but not attached.");
    expect(err).toContain("tender: Device 'odd' of type <undefined type> declared but not attached.");
  });

  it('attaches only names declared with the right type', () => {
    fails([`--block:service0=${image('a.img', 512)}`, netKernel], "Resource not declared in manifest: 'service0'");
    fails(['--net:storage=tap0', blkKernel], "Resource not declared in manifest: 'storage'");
    fails(['--block-sector-size:nothere=512', blkKernel], "Resource not declared in manifest: 'nothere'");
    fails(['--net-mac:storage=02:00:00:00:00:01', blkKernel], "Resource not declared in manifest: 'storage'");
  });

  it('reports a block file that cannot be opened', () => {
    const missing = path.join(tmp.dir, 'missing.img');
    fails([`--block:storage=${missing}`, blkKernel], `Could not open block device: ${missing}: No such file or directory`);
  });

  it('rejects a misaligned backing file (blk misaligned)', () => {
    fails([`--block:storage=${image('m.img', 6144)}`, '--block-sector-size:storage=4096', blkKernel],
      'storage: Backing storage size must be block aligned (4096 bytes)');
  });

  it('rejects an odd sector size (blk odd)', () => {
    fails([`--block:storage=${image('o.img', 1563)}`, '--block-sector-size:storage=521', blkKernel], 'Block size must be a multiple of 2');
  });

  it('rejects a sector size below 512 (blk too small)', () => {
    fails([`--block:storage=${image('s.img', 256)}`, '--block-sector-size:storage=256', blkKernel],
      'Block size must be a multiple of 2 greater than or equal 512');
    fails(['--block-sector-size:storage=65536', `--block:storage=${image('b.img', 65536)}`, blkKernel],
      'Block size must be a multiple of 2 greater than or equal 512');
  });

  it('needs at least one block', () => {
    fails([`--block:storage=${image('e.img', 0)}`, blkKernel], 'storage: Backing storage must be at least 1 block (512 bytes) in size');
  });

  it('checks the --dumpcore directory', () => {
    fails(['--dumpcore=/nonexistent-dir', blkKernel], 'dumpcore: cannot open dir');
    if (process.getuid?.() !== 0) {
      const ro = path.join(tmp.dir, 'ro');
      fs.mkdirSync(ro, { mode: 0o500 });
      fails([`--dumpcore=${ro}`, `--block:storage=${image('d.img', 512)}`, blkKernel], 'dumpcore: dir not writable');
    }
  });
});
