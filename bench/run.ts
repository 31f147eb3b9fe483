/**
 * `npm run bench`: Tender's speed as a ratio to native, measured side by side in one run.
 *
 *   node dist/bench/run.js [--quick] [--pairs N] [--only ID,ID] [--profile NAME]
 *
 * Builds the benchmark guests (make -C bench), measures every workload natively and on Tender in
 * alternating pairs, adds the system figures (boot time, IPS, flood ping, block I/O), prints a
 * table and writes bench/results/<timestamp>.json. Exit status 1 if a checksum differed between
 * the engines (a CPU bug) or a native run failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { EngineError } from './engine.js';
import { measureWorkload, type KernelMeasurement } from './measure.js';
import { repoRoot, resultsDir } from './paths.js';
import { profileWorkload } from './profile.js';
import { selfTimes } from './profile-summary.js';
import { coremarkRow, formatTable, gitCommit, kernelRow, machineInfo, systemRow, type Row } from './report.js';
import { measureBoot, measureFloodPing, measureGuestIps } from './system.js';
import { coremarkKernels, workloads, type WorkloadContext } from './workloads.js';

interface Options {
  quick: boolean;
  pairs: number;
  only: Set<string> | null;
  profile: string | null;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      pairs: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run bench -- [--quick] [--pairs N] [--only ID,...] [--profile NAME]\n' +
        `  IDs: ${workloads.map((w) => w.id).join(', ')}, system\n` +
        '  --profile takes a workload ID or a kernel name (e.g. cm-list)\n',
    );
    process.exit(0);
  }
  const pairs = values.pairs === undefined ? (values.quick ? 3 : 5) : Number(values.pairs);
  if (!Number.isInteger(pairs) || pairs < 1) fail(`--pairs must be a positive integer, not ${values.pairs}`);
  const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : null;
  for (const id of only ?? []) {
    if (id !== 'system' && !workloads.some((w) => w.id === id)) fail(`--only: unknown workload ${id}`);
  }
  return { quick: values.quick!, pairs, only, profile: values.profile ?? null };
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const log = (line: string): void => {
  process.stderr.write(line + '\n');
};

/** Builds the guests: the native side must build; the hvt side may not be possible yet. */
function buildGuests(): string | null {
  const make = (target: string) =>
    spawnSync('make', ['-s', '-C', join(repoRoot, 'bench'), target], { encoding: 'utf8' });
  const native = make('native');
  if (native.status !== 0) fail(`make -C bench native failed:\n${native.stderr}`);
  const hvt = make('hvt');
  if (hvt.status === 0) return null;
  const why = (hvt.stderr || hvt.stdout).trim().split('\n').at(-1) ?? 'unknown error';
  log(`bench: hvt guests not built: ${why}`);
  return why;
}

/** Finds the workload a --profile NAME means: a workload ID, or the workload holding that kernel. */
function resolveProfileTarget(name: string, ctx: WorkloadContext): { id: string; kernel: string | null } {
  const direct = workloads.find((w) => w.id === name);
  if (direct) return { id: direct.id, kernel: null };
  for (const w of workloads) {
    const native = spawnSync(join(repoRoot, 'bench', 'build', `${w.binary}.native`), [], {
      encoding: 'utf8',
      env: { ...process.env, ...(w.devices?.(ctx).nativeEnv ?? {}) },
    });
    if (native.stdout?.includes(`BENCH name=${name} `)) return { id: w.id, kernel: name };
  }
  fail(`--profile: no workload or kernel named ${name}`);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  buildGuests();
  mkdirSync(resultsDir, { recursive: true });
  const tmpDir = mkdtempSync(join(tmpdir(), 'tender-bench-'));
  const ctx: WorkloadContext = { quick: opts.quick, tmpDir };
  try {
    if (opts.profile) {
      const { id, kernel } = resolveProfileTarget(opts.profile, ctx);
      const file = profileWorkload(workloads.find((w) => w.id === id)!, kernel, ctx);
      process.stdout.write(`profile of ${opts.profile} on Tender: ${relative(process.cwd(), file)}\n`);
      process.stdout.write('open it in Chrome DevTools (Performance → Load profile) or https://www.speedscope.app; see bench/README.md\n');
      process.stdout.write('\nself time, largest first:\n');
      for (const t of selfTimes(file, 15)) {
        process.stdout.write(`${(t.share * 100).toFixed(1).padStart(5)}%  ${t.ms.toFixed(0).padStart(6)} ms  ${t.name}\n`);
      }
      return;
    }
    await runAll(opts, ctx);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

async function runAll(opts: Options, ctx: WorkloadContext): Promise<void> {
  const started = Date.now();
  const selected = (id: string): boolean => opts.only === null || opts.only.has(id);
  const measureOpts = {
    pairs: opts.pairs,
    nativeTargetMs: opts.quick ? 10 : 60,
    tenderTargetMs: opts.quick ? 100 : 1000,
    sizingRun: !opts.quick,
    log,
  };
  const kernels: KernelMeasurement[] = [];
  const rows: Row[] = [];
  let nativeFailed = false;
  for (const w of workloads.filter((w) => selected(w.id))) {
    log(`bench: ${w.id}`);
    const t0 = Date.now();
    try {
      kernels.push(...measureWorkload(w, ctx, measureOpts));
      log(`  ${w.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      nativeFailed = true;
      rows.push(systemRow(w.id, null, null, 0, `native run failed: ${e.message}`));
    }
  }
  if (kernels.some((k) => coremarkKernels.includes(k.label))) rows.push(coremarkRow(kernels));
  rows.push(...kernels.map(kernelRow));

  if (selected('system')) {
    log('bench: system figures');
    const t0 = Date.now();
    rows.push(...ipsRows(kernels, opts.quick ? IPS_WORKLOADS.slice(0, 1) : IPS_WORKLOADS));
    rows.push(...(await systemRows(opts)));
    log(`  system: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  const mismatches = kernels.filter((k) => k.mismatches.length > 0);
  for (const k of mismatches) {
    log(`\n!!! CHECKSUM MISMATCH in ${k.label}: native ${k.checksum}, tender ${[...new Set(k.mismatches)].join(', ')}`);
    log('!!! The emulated CPU computed a different result from the same code: a CPU bug.');
  }

  const machine = machineInfo();
  const commit = gitCommit();
  process.stdout.write(`\nTender benchmark — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, commit ${commit.slice(0, 12)}\n`);
  process.stdout.write(formatTable(rows) + '\n');
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const file = join(resultsDir, `${stamp}.json`);
  const report = {
    timestamp: new Date(started).toISOString(),
    commit,
    machine,
    options: {
      quick: opts.quick,
      pairs: opts.pairs,
      only: opts.only ? [...opts.only] : null,
      nativeTargetMs: measureOpts.nativeTargetMs,
      tenderTargetMs: measureOpts.tenderTargetMs,
    },
    durationS: (Date.now() - started) / 1000,
    rows,
    kernels,
  };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`\nresults: ${relative(process.cwd(), file)} (${report.durationS.toFixed(0)} s)\n`);
  if (mismatches.length > 0 || nativeFailed) process.exitCode = 1;
}

/** Workloads whose whole-run instruction rate is worth a row: pure computation, no devices. */
const IPS_WORKLOADS = ['coremark', 'hash', 'sse', 'calls'];

/**
 * Guest instructions per second as the CPU counts them (instructionsRetired), one run per compute
 * workload with the repetition counts its last Tender run used (quick: CoreMark-class only).
 */
function ipsRows(kernels: KernelMeasurement[], ids: string[]): Row[] {
  const rows: Row[] = [];
  for (const id of ids) {
    const mine = kernels.filter((k) => k.workload === id);
    if (mine.length === 0) continue;
    const label = `guest instr/s (${id})`;
    if (mine.some((k) => k.tenderReps.length === 0)) {
      rows.push(systemRow(label, null, null, 0, mine.find((k) => k.tenderNote)?.tenderNote ?? 'no Tender run'));
      continue;
    }
    log(`  instructions retired: ${id}`);
    const args = ['--quiet', ...mine.map((k) => `${k.label}=${k.tenderReps.at(-1)}`)];
    const ips = measureGuestIps(workloads.find((w) => w.id === id)!.binary, args);
    rows.push(
      ips.ok
        ? systemRow(label, null, { value: ips.value.perSecond / 1e6, unit: 'M instr/s' }, 1,
            `${(ips.value.instructions / 1e6).toFixed(0)} M instructions retired in ${(ips.value.ns / 1e9).toFixed(2)} s (whole guest run)`)
        : systemRow(label, null, null, 0, `skipped (${ips.reason})`),
    );
  }
  return rows;
}

async function systemRows(opts: Options): Promise<Row[]> {
  const rows: Row[] = [];
  const boot = measureBoot(opts.quick ? 3 : 7);
  const node = boot.nodeStartup.ok ? { value: boot.nodeStartup.value.median, unit: 'ms' } : null;
  if (boot.hello.ok) {
    const hello = boot.hello.value;
    const share = node ? `Node start-up (node -e 0, native column) is ${((node.value / hello.median) * 100).toFixed(0)}%` : '';
    const spreadText = `hello ${hello.min.toFixed(0)}–${hello.max.toFixed(0)} ms`;
    rows.push(systemRow('hello boot-to-exit', node, { value: hello.median, unit: 'ms' }, hello.count, [share, spreadText].filter(Boolean).join('; ')));
  } else {
    rows.push(systemRow('hello boot-to-exit', node, null, 0, `skipped (${boot.hello.reason}); native column is node -e 0`));
  }

  const count = opts.quick ? 10000 : 20000;
  const ping = await measureFloodPing(count, opts.quick ? 10 : 30);
  if (ping.ok) {
    const p = ping.value;
    rows.push(systemRow('flood ping', null, { value: p.perSecond, unit: 'round trips/s' }, 1, `${p.received}/${p.transmitted} replies in ${p.seconds.toFixed(1)} s`));
  } else {
    rows.push(systemRow('flood ping', null, null, 0, `skipped (${ping.reason})`));
  }
  return rows;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
