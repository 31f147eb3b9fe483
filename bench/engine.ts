/**
 * One run of a benchmark guest on one engine, and the result lines it prints. Both engines run
 * the same object code; the guest times its own kernels, so process and tender start-up are not
 * part of any kernel figure.
 */
import { spawnSync } from 'node:child_process';
import { hvtBinary, nativeBinary, tenderCli } from './paths.js';

export type EngineName = 'native' | 'tender';

/** Tender's guest memory for benchmark guests: the memory workload needs 24 MiB of buffers. */
export const TENDER_MEM_MB = 64;

/** One kernel's line: `BENCH name=… reps=… ns=… checksum=… bytes=… insns=… warmup=…`. */
export interface KernelResult {
  name: string;
  reps: number;
  ns: number;
  checksum: string;
  bytes: number;
  insns: number;
  /** Nanoseconds of the warm-up repetition the guest runs before the timed ones. */
  warmup: number;
}

export interface RunRequest {
  workload: string;
  /** Kernel name → repetitions, in the order the guest should run them. */
  reps: Map<string, number>;
  /** Extra tender flags (devices) and extra environment for the native shim. */
  tenderFlags: string[];
  nativeEnv: Record<string, string>;
  timeoutMs: number;
}

export class EngineError extends Error {}

function engineCommand(engine: EngineName, req: RunRequest, nodeFlags: string[] = []): string[] {
  const args = [...req.reps].map(([name, reps]) => `${name}=${reps}`);
  if (engine === 'native') return [nativeBinary(req.workload), ...args];
  return [
    process.execPath,
    ...nodeFlags,
    tenderCli,
    `--mem=${TENDER_MEM_MB}`,
    ...req.tenderFlags,
    hvtBinary(req.workload),
    // The runtime consumes a leading --quiet (no banner), so the guest sees the same line as natively.
    '--quiet',
    ...args,
  ];
}

/** Runs the guest once and returns its kernel results; throws EngineError with the reason. */
export function runEngine(engine: EngineName, req: RunRequest, nodeFlags: string[] = []): KernelResult[] {
  const [command, ...args] = engineCommand(engine, req, nodeFlags);
  const child = spawnSync(command!, args, {
    encoding: 'utf8',
    timeout: req.timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
    env: engine === 'native' ? { ...process.env, ...req.nativeEnv } : process.env,
  });
  if (child.error) {
    const timedOut = (child.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    throw new EngineError(timedOut ? `timed out after ${req.timeoutMs / 1000} s` : child.error.message);
  }
  const results = parseResults(child.stdout);
  const guestError = child.stdout.split('\n').find((line) => line.startsWith('BENCH error'));
  if (guestError) throw new EngineError(guestError.slice('BENCH '.length));
  if (child.status !== 0 || !child.stdout.includes('BENCH done ok')) {
    const why = child.signal ? `killed by ${child.signal}` : `exit status ${child.status}`;
    const lastLine = lastMeaningfulLine(child.stderr) ?? lastMeaningfulLine(child.stdout);
    throw new EngineError(`${why}${lastLine ? `: ${lastLine}` : ''}`);
  }
  for (const name of req.reps.keys()) {
    if (!results.some((r) => r.name === name)) throw new EngineError(`no result line for ${name}`);
  }
  return results;
}

export function parseResults(stdout: string): KernelResult[] {
  const results: KernelResult[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^BENCH name=(\S+) reps=(\d+) ns=(\d+) checksum=([0-9a-f]{16}) bytes=(\d+) insns=(\d+) warmup=(\d+)$/.exec(line.trim());
    if (!m) continue;
    results.push({
      name: m[1]!,
      reps: Number(m[2]),
      ns: Number(m[3]),
      checksum: m[4]!,
      bytes: Number(m[5]),
      insns: Number(m[6]),
      warmup: Number(m[7]),
    });
  }
  return results;
}

function lastMeaningfulLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .at(-1)
    ?.slice(0, 200);
}
