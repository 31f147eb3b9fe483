/**
 * Guest instructions per second, counted by the emulated CPU itself: builds the hvt machine in
 * this process through the tender's programmatic entry (src/hvt-machine.ts, as the CLI does), runs
 * the guest to its exit, and reports `cpu.instructionsRetired` and the wall time of the run.
 *
 *   node dist/bench/ips-probe.js KERNEL.hvt [GUEST ARGS...]
 *
 * Guest output goes to stdout as usual; the last stderr line is
 * `PROBE instructions=N ns=T status=S`. Spawned by run.ts, one process per measurement, so the
 * figure is that of a fresh tender.
 */
import { TENDER_MEM_MB } from './engine.js';

/** The few parts of the tender and the CPU this probe uses (loaded at run time, see below). */
interface ProbeProcessor {
  readonly instructionsRetired: number;
}
interface ProbeMachine {
  cpu: ProbeProcessor;
  runLoop: { run(): Promise<number> };
  close(): void;
}
type BuildMachine = (req: {
  kernel: string;
  options: readonly string[];
  guestArgs: readonly string[];
  createProcessor: (...args: never[]) => unknown;
  warn: (message: string) => void;
}) => Promise<ProbeMachine>;

async function main(): Promise<number> {
  const [kernel, ...guestArgs] = process.argv.slice(2);
  if (!kernel) throw new Error('usage: ips-probe KERNEL.hvt [ARGS...]');
  // Imported by path at run time: the bench harness builds and runs natively even before the
  // tender and the CPU exist in the tree.
  const machineModule = '../src/hvt-machine.js';
  const cpuModule = '../cpu/cpu.js';
  const { buildMachine } = (await import(machineModule)) as { buildMachine: BuildMachine };
  const { Cpu } = (await import(cpuModule)) as { Cpu: new (...args: never[]) => unknown };
  const machine = await buildMachine({
    kernel,
    options: [`--mem=${TENDER_MEM_MB}`],
    guestArgs,
    createProcessor: (...args: never[]) => new Cpu(...args),
    warn: (message) => process.stderr.write(`ips-probe: ${message}\n`),
  });
  try {
    const start = process.hrtime.bigint();
    const status = await machine.runLoop.run();
    const ns = Number(process.hrtime.bigint() - start);
    process.stderr.write(`PROBE instructions=${machine.cpu.instructionsRetired} ns=${ns} status=${status}\n`);
    return status;
  } finally {
    machine.close();
  }
}

main().then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`ips-probe: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
