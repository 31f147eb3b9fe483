/**
 * `--profile NAME`: one Tender run of a workload (or of one kernel) under `node --cpu-prof`, sized
 * to run a few seconds, so the profile shows where the emulator spends a guest's time.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runEngine, type RunRequest } from './engine.js';
import { resultsDir, tenderMissing } from './paths.js';
import type { Workload, WorkloadContext } from './workloads.js';

const PROFILE_TARGET_MS = 3000;

export function profileWorkload(workload: Workload, kernel: string | null, ctx: WorkloadContext): string {
  const problem = tenderMissing(workload.binary);
  if (problem) throw new Error(problem);
  const devices = workload.devices?.(ctx) ?? { tenderFlags: [], nativeEnv: {}, suffix: '' };
  const request = (reps: Map<string, number>): RunRequest => ({
    workload: workload.binary,
    reps,
    tenderFlags: devices.tenderFlags,
    nativeEnv: devices.nativeEnv,
    timeoutMs: 600_000,
  });
  // An unprofiled calibration run sizes the profiled one.
  const calibration = runEngine('tender', request(new Map()));
  const chosen = calibration.filter((r) => kernel === null || r.name === kernel);
  if (chosen.length === 0) throw new Error(`workload ${workload.id} has no kernel ${kernel}`);
  const reps = new Map<string, number>();
  // Kernels that must run together stay together (the block read verifies the write).
  const keep = workload.binary === 'block' ? calibration : chosen;
  for (const r of keep) {
    const share = PROFILE_TARGET_MS / keep.length;
    reps.set(r.name, Math.max(1, Math.round((share * 1e6) / Math.max(r.ns, 1))));
  }
  const started = Date.now();
  runEngine('tender', request(reps), ['--cpu-prof', `--cpu-prof-dir=${resultsDir}`]);
  const profiles = readdirSync(resultsDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(resultsDir, f))
    .filter((f) => statSync(f).mtimeMs >= started - 1000)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!profiles[0]) throw new Error('node wrote no .cpuprofile');
  return profiles[0];
}
