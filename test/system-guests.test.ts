/**
 * The sys_* sample guests (samples/build, `make -C samples`) prove the CPU's system behaviour —
 * own page tables, page protection, IST stacks and IRETQ, self-modifying code, triple fault,
 * FS/GS bases, ring 3 and alignment checking, #SS vs #GP — from inside a real guest run through
 * the real CLI. Each guest checks itself and prints SUCCESS (exit 0) or a FAILURE line per broken
 * check (exit 1).
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runTender, type TenderResult } from './support/tender.js';

const sample = (name: string) => path.join(REPO, 'samples/build', `${name}.hvt`);

function expectSuccess(r: TenderResult): void {
  expect(r.output).not.toContain('FAILURE');
  expect(r.stdout).toContain('SUCCESS');
  expect(r.status, r.output).toBe(0);
}

describe('system sample guests', () => {
  for (const name of ['sys_protect', 'sys_ist', 'sys_smc', 'sys_tlsfs']) {
    it(`${name} with --mem=64`, () => expectSuccess(runTender(['--mem=64', sample(name)])));
  }

  it('sys_paging with --mem=64: the 1 GiB page maps physical 0', () => {
    const r = runTender(['--mem=64', sample('sys_paging')]);
    expectSuccess(r);
    expect(r.stdout).toContain('mem 0x4000000, 1 GiB page at physical 0x0\n');
  });

  it('sys_paging with --mem=4096: the 1 GiB page maps physical 1 GiB', () => {
    const r = runTender(['--mem=4096', sample('sys_paging')]);
    expectSuccess(r);
    expect(r.stdout).toContain('mem 0x100000000, 1 GiB page at physical 0x40000000\n');
  });

  it('sys_usermode with --mem=64: ring 3 by IRETQ, #AC(0) only with AM, AC and CPL 3, LAR/LSL/LSS/LFS/LGS', () => {
    expectSuccess(runTender(['--mem=64', sample('sys_usermode')]));
  });

  it('sys_stackfault with --mem=64: a non-canonical stack-segment access is #SS(0), others #GP(0)', () => {
    expectSuccess(runTender(['--mem=64', sample('sys_stackfault')]));
  });

  it('sys_triple: an undeliverable #UD is a triple fault, exit 1', () => {
    const r = runTender(['--mem=64', sample('sys_triple')]);
    expect(r.stdout).toContain('Loading an empty IDT and executing ud2');
    expect(r.stdout).not.toContain('FAILURE');
    expect(r.stderr).toContain('triple fault');
    expect(r.status, r.output).toBe(1);
  });
});
