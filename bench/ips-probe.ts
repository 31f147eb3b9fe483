/**
 * Guest instructions per second, counted by the emulated CPU itself: builds the hvt machine in
 * this process through the tender's programmatic entry (src/hvt-machine.ts, exactly as the CLI
 * does), runs the guest to its exit, and reports `cpu.instructionsRetired` and the wall time of
 * the run.
 *
 *   node dist/bench/ips-probe.js KERNEL.hvt [GUEST ARGS...]
 *
 * Guest output goes to stdout as usual; the last stderr line is
 * `PROBE instructions=N ns=T status=S`. run.ts spawns it, one process per measurement, so the
 * figure is that of a fresh tender.
 */
import { Cpu } from '../cpu/cpu.js';
import { buildMachine } from '../src/hvt-machine.js';
import { TENDER_MEM_MB } from './engine.js';

async function main(): Promise<number> {
  const [kernel, ...guestArgs] = process.argv.slice(2);
  if (!kernel) throw new Error('usage: ips-probe KERNEL.hvt [ARGS...]');
  const machine = await buildMachine({
    kernel,
    options: [`--mem=${TENDER_MEM_MB}`],
    guestArgs,
    createProcessor: (memory, io, options) => new Cpu(memory, io, options),
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
