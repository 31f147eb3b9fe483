/**
 * The workloads the harness runs, and the targets printed next to the figures. A workload is one
 * guest binary (bench/guests/NAME.c); the block guest runs twice, once per sector size, each time
 * on a fresh file in the harness's temporary directory.
 */
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';

export interface Workload {
  /** The name accepted by --only and --profile. */
  id: string;
  /** Guest binary name: bench/build/BINARY.native and .hvt. */
  binary: string;
  /** Devices for this workload: tender flags, native environment, a suffix for the row labels. */
  devices?: (ctx: WorkloadContext) => DeviceSetup;
}

export interface WorkloadContext {
  quick: boolean;
  tmpDir: string;
}

export interface DeviceSetup {
  tenderFlags: string[];
  nativeEnv: Record<string, string>;
  suffix: string;
}

/** Block device size: large enough that a pass is well above timer noise, small enough for CI. */
function blockDevice(sectorSize: number): (ctx: WorkloadContext) => DeviceSetup {
  return ({ quick, tmpDir }) => {
    const file = join(tmpDir, `block-${sectorSize}.img`);
    const fd = openSync(file, 'w');
    ftruncateSync(fd, (quick ? 4 : 16) * 1024 * 1024);
    closeSync(fd);
    return {
      tenderFlags: [`--block:storage=${file}`, `--block-sector-size:storage=${sectorSize}`],
      nativeEnv: { BENCH_BLOCK_FILE: file, BENCH_BLOCK_SIZE: String(sectorSize) },
      suffix: `@${sectorSize}`,
    };
  };
}

export const workloads: Workload[] = [
  { id: 'coremark', binary: 'coremark' },
  { id: 'hash', binary: 'hash' },
  { id: 'memory', binary: 'memory' },
  { id: 'sse', binary: 'sse' },
  { id: 'calls', binary: 'calls' },
  { id: 'ips', binary: 'ips' },
  { id: 'block-512', binary: 'block', devices: blockDevice(512) },
  { id: 'block-32k', binary: 'block', devices: blockDevice(32768) },
];

/** A target is met when the judged figure compares to `bound` the way `better` says. */
export interface Target {
  text: string;
  /** Which figure of the row it judges: the slowdown, or Tender's own figure in the row's unit. */
  on: 'slowdown' | 'tender';
  better: 'lower' | 'higher';
  bound: number;
}

export const targets: Record<string, Target> = {
  'coremark-class': { text: '≤ 60×', on: 'slowdown', better: 'lower', bound: 60 },
  'rep-movsb': { text: '≤ 3×', on: 'slowdown', better: 'lower', bound: 3 },
  'blk-write@512': { text: '≥ 100 MB/s', on: 'tender', better: 'higher', bound: 100 },
  'blk-read@512': { text: '≥ 200 MB/s', on: 'tender', better: 'higher', bound: 200 },
  'hello boot-to-exit': { text: '≤ 150 ms', on: 'tender', better: 'lower', bound: 150 },
  'flood ping': { text: '≥ 20000 /s', on: 'tender', better: 'higher', bound: 20000 },
};

/** The CoreMark-class summary row is the geometric mean of these kernels' slowdowns. */
export const coremarkKernels = ['cm-list', 'cm-matrix', 'cm-state', 'cm-crc'];

export function meets(target: Target, value: number): boolean {
  return target.better === 'lower' ? value <= target.bound : value >= target.bound;
}
