/**
 * Side-by-side measurement of one workload: calibrate natively, then alternate native and
 * Tender runs (A B A B …) and take the slowdown of each pair, so that slow drifts of the machine
 * (other processes, thermal state) hit both engines alike.
 *
 * Repetition counts are chosen per engine and per kernel: the native side aims at `nativeTargetMs`
 * per kernel (from a one-repetition calibration run), Tender at `tenderTargetMs`. Tender's first
 * run guesses its repetition counts from the native times and an assumed slowdown of
 * ASSUMED_SLOWDOWN; every later run is re-aimed with what the previous one measured. In full runs
 * that first run is a sizing run and not counted (a run of a guessed length would skew pair 1);
 * quick runs count it, to save a tender start per workload.
 * A kernel's checksum does not depend on its repetition count, so the engines must still agree on
 * it exactly. Figures are per repetition and exclude the guest's warm-up repetition.
 */
import { EngineError, runEngine, type EngineName, type KernelResult, type RunRequest } from './engine.js';
import { tenderMissing } from './paths.js';
import type { Workload, WorkloadContext } from './workloads.js';

export interface MeasureOptions {
  pairs: number;
  nativeTargetMs: number;
  tenderTargetMs: number;
  /** Whether Tender's first run only sizes the others (full runs) or counts as pair 1 (quick). */
  sizingRun: boolean;
  /** Progress lines go here (stderr), the table comes later. */
  log: (line: string) => void;
}

/** Everything measured for one kernel of one workload. */
export interface KernelMeasurement {
  label: string;
  workload: string;
  bytesPerRep: number;
  insnsPerRep: number;
  /** Nanoseconds per repetition, one entry per pair (the calibration runs are not included). */
  nativeNsPerRep: number[];
  tenderNsPerRep: number[];
  /** Tender ÷ native per repetition, one per completed pair. */
  ratios: number[];
  nativeReps: number;
  tenderReps: number[];
  /** The warm-up repetition of each Tender run, in ns (V8 compiling the emulator shows here). */
  tenderWarmupNs: number[];
  checksum: string;
  /** Checksums Tender produced that differ from the native one (a CPU bug). */
  mismatches: string[];
  /** Why there is no Tender figure (not built, failed run), if so. */
  tenderNote: string | null;
}

const MAX_REPS = 10_000_000;
/** What Tender's first run assumes; a wrong guess only makes that run longer or shorter. */
const ASSUMED_SLOWDOWN = 300;

function repsFor(targetMs: number, nsPerRep: number): number {
  return Math.min(MAX_REPS, Math.max(1, Math.round((targetMs * 1e6) / Math.max(nsPerRep, 1))));
}

export function measureWorkload(workload: Workload, ctx: WorkloadContext, opts: MeasureOptions): KernelMeasurement[] {
  const devices = workload.devices?.(ctx) ?? { tenderFlags: [], nativeEnv: {}, suffix: '' };
  const request = (reps: Map<string, number>, timeoutMs: number): RunRequest => ({
    workload: workload.binary,
    reps,
    tenderFlags: devices.tenderFlags,
    nativeEnv: devices.nativeEnv,
    timeoutMs,
  });

  // Calibration: every kernel once, on the native side (its failure ends the workload).
  const nativeCalibration = runEngine('native', request(new Map(), 60_000));
  const rows = new Map<string, KernelMeasurement>();
  for (const r of nativeCalibration) {
    rows.set(r.name, {
      label: r.name + devices.suffix,
      workload: workload.id,
      bytesPerRep: r.bytes,
      insnsPerRep: r.insns,
      nativeNsPerRep: [],
      tenderNsPerRep: [],
      ratios: [],
      nativeReps: repsFor(opts.nativeTargetMs, r.ns),
      tenderReps: [],
      tenderWarmupNs: [],
      checksum: r.checksum,
      mismatches: [],
      tenderNote: null,
    });
  }
  const allRows = [...rows.values()];
  const nativeReps = new Map([...rows].map(([name, row]) => [name, row.nativeReps]));

  const check = (engine: EngineName, results: KernelResult[]): void => {
    for (const r of results) {
      const row = rows.get(r.name);
      if (!row) throw new EngineError(`${engine} printed an unknown kernel ${r.name}`);
      if (r.checksum === row.checksum) continue;
      if (engine === 'native') throw new EngineError(`native checksum of ${r.name} is not stable`);
      row.mismatches.push(r.checksum);
    }
  };

  let tenderReps: Map<string, number> | null = new Map(
    nativeCalibration.map((r) => [r.name, repsFor(opts.tenderTargetMs, r.ns * ASSUMED_SLOWDOWN)]),
  );
  const stopTender = (why: string): void => {
    tenderReps = null;
    for (const row of allRows) row.tenderNote = why;
    opts.log(`  ${workload.id}: tender: ${why}`);
  };
  const tenderTimeout = (reps: Map<string, number>): number =>
    // Generous: the sizing run's guess may be far off, and boot, set-up and warm-up come on top.
    300_000 + 10 * opts.tenderTargetMs * reps.size;
  const tenderProblem = tenderMissing(workload.binary);
  if (tenderProblem) stopTender(tenderProblem);
  const sizingReps: Map<string, number> | null = tenderReps;
  if (sizingReps && opts.sizingRun) {
    try {
      const sizing = runEngine('tender', request(sizingReps, tenderTimeout(sizingReps)));
      check('tender', sizing);
      for (const r of sizing) sizingReps.set(r.name, repsFor(opts.tenderTargetMs, r.ns / r.reps));
    } catch (e) {
      stopTender(e instanceof EngineError ? `failed: ${e.message}` : String(e));
    }
  }

  for (let pair = 1; pair <= opts.pairs; pair++) {
    const native = runEngine('native', request(nativeReps, 60_000));
    check('native', native);
    let tender: KernelResult[] | null = null;
    const reps: Map<string, number> | null = tenderReps;
    if (reps) {
      try {
        tender = runEngine('tender', request(reps, tenderTimeout(reps)));
        check('tender', tender);
      } catch (e) {
        stopTender(e instanceof EngineError ? `failed in pair ${pair}: ${e.message}` : String(e));
      }
    }
    for (const n of native) {
      const row = rows.get(n.name)!;
      const nativeNs = n.ns / n.reps;
      row.nativeNsPerRep.push(nativeNs);
      const t = tender?.find((r) => r.name === n.name);
      if (!t || !tenderReps) continue;
      const tenderNs = t.ns / t.reps;
      row.tenderNsPerRep.push(tenderNs);
      row.tenderReps.push(t.reps);
      row.tenderWarmupNs.push(t.warmup);
      row.ratios.push(tenderNs / nativeNs);
      // Re-aim the next Tender run at the target with what this one measured.
      tenderReps.set(n.name, repsFor(opts.tenderTargetMs, tenderNs));
    }
    const ratios = allRows.filter((r) => r.ratios.length === pair).map((r) => `${r.label} ${r.ratios.at(-1)!.toFixed(1)}×`);
    opts.log(`  ${workload.id} pair ${pair}/${opts.pairs}${ratios.length ? ': ' + ratios.join(', ') : ''}`);
  }
  return allRows;
}
