/** Where the harness finds things: everything is relative to the repository root. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled harness lives in dist/bench/, two levels below the root. */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export const benchBuildDir = join(repoRoot, 'bench', 'build');
export const resultsDir = join(repoRoot, 'bench', 'results');
export const tenderCli = join(repoRoot, 'dist', 'src', 'cli.js');
export const samplesBuildDir = join(repoRoot, 'samples', 'build');

export function nativeBinary(workload: string): string {
  return join(benchBuildDir, `${workload}.native`);
}

export function hvtBinary(workload: string): string {
  return join(benchBuildDir, `${workload}.hvt`);
}

/** Why Tender cannot run `workload`, or null when it can. */
export function tenderMissing(workload: string): string | null {
  if (!existsSync(tenderCli)) return 'tender not built';
  if (!existsSync(hvtBinary(workload))) return 'hvt guest not built';
  return null;
}

/** The in-process instruction counter (bench/ips-probe.ts, compiled). */
export const ipsProbe = join(repoRoot, 'dist', 'bench', 'ips-probe.js');
