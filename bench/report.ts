/**
 * Turning measurements into rows: the table on stdout and the JSON file in bench/results/.
 * Every row carries the native figure, Tender's figure, and the slowdown (median and range over the
 * pairs); rows that could not be measured carry the reason instead.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { KernelMeasurement } from './measure.js';
import { repoRoot } from './paths.js';
import { geomean, median, spread, type Spread } from './stats.js';
import { coremarkKernels, meets, targets } from './workloads.js';

export interface Figure {
  value: number;
  unit: string;
}

export interface Row {
  workload: string;
  native: Figure | null;
  tender: Figure | null;
  slowdown: Spread | null;
  pairs: number;
  target: string | null;
  met: boolean | null;
  /** Why a figure is missing, or what else the reader must know about the row. */
  note: string | null;
}

/** The figure a kernel is judged by: throughput when it moves bytes, IPS when it counts them, else time. */
function kernelFigure(k: KernelMeasurement, nsPerRep: number): Figure {
  if (k.insnsPerRep > 0) return { value: (k.insnsPerRep / nsPerRep) * 1e3, unit: 'M instr/s' };
  if (k.bytesPerRep > 0) return { value: (k.bytesPerRep / nsPerRep) * 1e3, unit: 'MB/s' };
  return { value: nsPerRep / 1e3, unit: 'µs/rep' };
}

function judge(label: string, row: Omit<Row, 'target' | 'met'>): Row {
  const target = targets[label];
  if (!target) return { ...row, target: null, met: null };
  const value = target.on === 'slowdown' ? row.slowdown?.median : row.tender?.value;
  return { ...row, target: target.text, met: value === undefined ? null : meets(target, value) };
}

export function kernelRow(k: KernelMeasurement): Row {
  const hasTender = k.tenderNsPerRep.length > 0;
  const notes: string[] = [];
  if (k.mismatches.length) notes.push(`CHECKSUM MISMATCH native ${k.checksum} tender ${[...new Set(k.mismatches)].join(',')}`);
  if (k.tenderNote) notes.push(k.tenderNote);
  return judge(k.label, {
    workload: k.label,
    native: k.nativeNsPerRep.length ? kernelFigure(k, median(k.nativeNsPerRep)) : null,
    tender: hasTender ? kernelFigure(k, median(k.tenderNsPerRep)) : null,
    slowdown: hasTender ? spread(k.ratios) : null,
    pairs: k.ratios.length,
    note: notes.length ? notes.join('; ') : null,
  });
}

/** The CoreMark-class row: per pair, the geometric mean of the four kernels' slowdowns. */
export function coremarkRow(kernels: KernelMeasurement[]): Row {
  const parts = coremarkKernels.map((name) => kernels.find((k) => k.label === name));
  const pairs = Math.min(...parts.map((k) => k?.ratios.length ?? 0));
  const perPair: number[] = [];
  for (let p = 0; p < pairs; p++) perPair.push(geomean(parts.map((k) => k!.ratios[p]!)));
  const note = pairs
    ? `geomean of ${coremarkKernels.join(', ')}`
    : (parts.find((k) => k?.tenderNote)?.tenderNote ?? 'CoreMark-class kernels not measured');
  return judge('coremark-class', {
    workload: 'coremark-class',
    native: null,
    tender: null,
    slowdown: pairs ? spread(perPair) : null,
    pairs,
    note,
  });
}

export function systemRow(
  label: string,
  native: Figure | null,
  tender: Figure | null,
  pairs: number,
  note: string | null,
): Row {
  return judge(label, { workload: label, native, tender, slowdown: null, pairs, note });
}

function formatNumber(v: number): string {
  if (v >= 1e5) return v.toExponential(2);
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function formatFigure(f: Figure | null): string {
  return f ? `${formatNumber(f.value)} ${f.unit}` : '—';
}

function formatSlowdown(s: Spread | null): string {
  if (!s) return '—';
  return `${formatNumber(s.median)}× [${formatNumber(s.min)}–${formatNumber(s.max)}]`;
}

export function formatTable(rows: Row[]): string {
  const header = ['workload', 'native', 'tender', 'slowdown median [min–max]', 'pairs', 'target', 'note'];
  const cells = rows.map((r) => [
    r.workload,
    formatFigure(r.native),
    formatFigure(r.tender),
    formatSlowdown(r.slowdown),
    r.pairs ? String(r.pairs) : '—',
    r.target ? `${r.target} ${r.met === null ? '' : r.met ? 'met' : 'MISSED'}`.trim() : '',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((text, i) => (i === c.length - 1 ? text : text.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
}

export function machineInfo(): MachineInfo {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (model) cpu = model[1]!.trim();
  } catch {
    // Not Linux: os.cpus() already gave the model.
  }
  return { cpu, cores: cpus().length, node: process.version };
}

export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
